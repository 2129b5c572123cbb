// widget.js: the <mobilenet-classifier> custom element. One script tag on
// any page:
//
//   <script type="module" src="https://HOST/widget.js"></script>
//   <mobilenet-classifier model="mobilenet_v1_0.5_160_quant" src="cat.jpg"></mobilenet-classifier>
//   <mobilenet-classifier model="mobilenet_v1_0.5_160_quant" webcam></mobilenet-classifier>
//
// Attributes:
//   model       a model of HOST's catalog (HOST/models/catalog.json), or
//   model-url   a .tflite URL (with head-url, labels-url when needed)
//   src         a photo to classify (same origin, blob:, or served with CORS)
//   webcam      classify the camera instead, live (asks for permission)
//   top-k       how many classes to show and report (default 3)
//   show-background  also show and report the release's class 0,
//               "background" (hidden by default: no photo is meant to show it)
//   simd        "off" runs the portable kernels
//
// It fires "prediction" (bubbles, composed) after every classification,
// with detail {predictions: [{index, label, score}], source: "image" |
// "webcam", model, timing}, and "mobilenet-error" with detail {message,
// code} when something fails. Properties: predictions (the last ones),
// classifier (a promise of the mobilenet.js Classifier, running the
// engine build that only classifies: engine 'classify'); method
// classify(source) classifies any image source on demand.
//
// Widgets of one page share a classifier (one worker) per model.

import * as mobilenet from './mobilenet.js';
import {formatPercent, isBackground, shortLabel} from './format.js';

export {formatPercent}; // the page's format of a score

const shared = new Map(); // model key -> Promise<Classifier>

function classifierFor(opts) {
  const key = JSON.stringify(opts);
  if (!shared.has(key)) {
    const p = mobilenet.load(opts);
    p.catch(() => shared.delete(key));
    shared.set(key, p);
  }
  return shared.get(key);
}

const style = `
:host { display: inline-block; width: 320px; max-width: 100%; font: 14px/1.4 system-ui, sans-serif; color: #1c2330;
  border: 1px solid #dde1e7; border-radius: 10px; overflow: hidden; background: #fff; vertical-align: top; }
.view { position: relative; aspect-ratio: 4 / 3; background: #11151c; display: flex; align-items: center; justify-content: center; }
img, video { width: 100%; height: 100%; object-fit: contain; }
video { transform: scaleX(-1); }
ol { list-style: none; margin: 0; padding: 8px 12px; }
li { display: grid; grid-template-columns: 1fr auto; gap: 0 8px; padding: 2px 0; }
li:first-child { font-weight: 600; }
.bar { grid-column: 1 / -1; height: 5px; background: #eef1f5; border-radius: 3px; overflow: hidden; }
.bar span { display: block; height: 100%; background: #1f6feb; }
.status { padding: 6px 12px; color: #5d6778; font-size: 12px; border-top: 1px solid #eef1f5; }
.status.error { color: #b42318; background: #fdecea; }
`;

export class MobilenetClassifier extends HTMLElement {
  static get observedAttributes() {
    return ['model', 'model-url', 'head-url', 'labels-url', 'src', 'webcam', 'top-k', 'simd', 'show-background'];
  }

  constructor() {
    super();
    const root = this.attachShadow({mode: 'open'});
    root.innerHTML = `<style>${style}</style><div class="view" part="view"></div><ol part="results"></ol><div class="status" part="status">Loading…</div>`;
    this._view = root.querySelector('.view');
    this._list = root.querySelector('ol');
    this._status = root.querySelector('.status');
    this.predictions = [];
    this.classifier = null;
    this._gen = 0;
    this._stream = null;
    this._objectUrl = '';
  }

  connectedCallback() {
    this._schedule();
  }

  disconnectedCallback() {
    this._stop();
  }

  attributeChangedCallback() {
    if (this.isConnected) this._schedule();
  }

  get topK() {
    const k = parseInt(this.getAttribute('top-k') || '3', 10);
    return Number.isFinite(k) && k > 0 ? k : 3;
  }

  // _schedule restarts once per burst of attribute changes.
  _schedule() {
    if (this._pending) return;
    this._pending = true;
    queueMicrotask(() => {
      this._pending = false;
      this._start();
    });
  }

  _modelOpts() {
    const opts = {};
    if (this.hasAttribute('model-url')) opts.modelUrl = new URL(this.getAttribute('model-url'), document.baseURI).href;
    else if (this.hasAttribute('model')) opts.model = this.getAttribute('model');
    else return null;
    if (this.hasAttribute('head-url')) opts.headUrl = new URL(this.getAttribute('head-url'), document.baseURI).href;
    if (this.hasAttribute('labels-url')) opts.labelsUrl = new URL(this.getAttribute('labels-url'), document.baseURI).href;
    if (this.getAttribute('simd') === 'off') opts.simd = false;
    opts.engine = 'classify'; // a widget only classifies: the smaller engine build
    return opts;
  }

  _stop() {
    this._gen++;
    if (this._stream) {
      this._stream.getTracks().forEach((t) => t.stop());
      this._stream = null;
    }
    if (this._objectUrl) {
      URL.revokeObjectURL(this._objectUrl);
      this._objectUrl = '';
    }
  }

  _fail(message, code = 'error') {
    this._status.textContent = message;
    this._status.classList.add('error');
    this.dispatchEvent(new CustomEvent('mobilenet-error', {detail: {message, code}, bubbles: true, composed: true}));
  }

  _say(text) {
    this._status.textContent = text;
    this._status.classList.remove('error');
  }

  async _start() {
    this._stop();
    const gen = this._gen;
    const opts = this._modelOpts();
    if (!opts) {
      this._fail('Set the model (or model-url) attribute.', 'argument');
      return;
    }
    this._say('Loading the model…');
    this.classifier = classifierFor(opts);
    let clf;
    try {
      clf = await this.classifier;
    } catch (e) {
      if (gen === this._gen) this._fail(`The model did not load: ${e.message}`, e.code);
      return;
    }
    if (gen !== this._gen) return;
    this._model = clf.info.name;
    if (this.hasAttribute('webcam')) await this._webcam(clf, gen);
    else if (this.hasAttribute('src')) await this._photo(clf, gen);
    else this._say('Ready: give it a photo or turn on the camera.');
  }

  async _photo(clf, gen) {
    const src = new URL(this.getAttribute('src'), document.baseURI).href;
    this._say('Loading the photo…');
    let blob;
    try {
      const resp = await fetch(src);
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      blob = await resp.blob();
    } catch (e) {
      if (gen === this._gen) this._fail(`Cannot read ${src}: ${e.message} (other sites' photos need CORS)`, 'network');
      return;
    }
    if (gen !== this._gen) return;
    this._objectUrl = URL.createObjectURL(blob);
    const img = document.createElement('img');
    img.alt = this.getAttribute('alt') || '';
    img.src = this._objectUrl;
    this._view.replaceChildren(img);
    try {
      const preds = await this._classify(clf, blob);
      if (gen === this._gen) this._show(preds, 'image', clf);
    } catch (e) {
      if (gen === this._gen) this._fail(`Cannot classify ${src}: ${e.message}`, e.code);
    }
  }

  async _webcam(clf, gen) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this._fail('No camera here: cameras need https:// or localhost.', 'camera');
      return;
    }
    this._say('Starting the camera…');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: false, video: {width: {ideal: 640}, height: {ideal: 480}}});
    } catch (e) {
      if (gen !== this._gen) return;
      const denied = e.name === 'NotAllowedError' || e.name === 'SecurityError';
      this._fail(denied ? 'Camera access was denied.' : `No camera: ${e.message}`, 'camera');
      return;
    }
    if (gen !== this._gen) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    this._stream = stream;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    this._view.replaceChildren(video);
    await video.play().catch(() => {});
    while (gen === this._gen) {
      await new Promise((r) => requestAnimationFrame(r));
      if (video.readyState < 2) continue;
      try {
        const preds = await this._classify(clf, video);
        if (gen === this._gen) this._show(preds, 'webcam', clf);
      } catch (e) {
        if (gen !== this._gen) return;
        if (e.code !== 'input') {
          this._fail(`Cannot classify the camera: ${e.message}`, e.code);
          return;
        }
      }
    }
  }

  // _classify returns the top-k classes, without "background" unless the
  // show-background attribute is set (one more class is asked for).
  async _classify(clf, source) {
    const k = this.topK;
    const all = this.hasAttribute('show-background');
    const preds = await clf.classify(source, {topK: all ? k : k + 1});
    return (all ? preds : preds.filter((p) => !isBackground(p.label))).slice(0, k);
  }

  _show(preds, source, clf) {
    this.predictions = preds;
    this._list.replaceChildren(
      ...preds.map((p) => {
        const li = document.createElement('li');
        const name = document.createElement('span');
        name.textContent = shortLabel(p.label, p.index);
        name.title = p.label;
        const pct = document.createElement('span');
        pct.textContent = formatPercent(p.score);
        const bar = document.createElement('div');
        bar.className = 'bar';
        const fill = document.createElement('span');
        fill.style.width = `${Math.max(0, Math.min(1, p.score)) * 100}%`;
        bar.append(fill);
        li.append(name, pct, bar);
        return li;
      }),
    );
    const t = clf.lastTiming;
    this._say(`${clf.info.name}${clf.info.simd ? ' · SIMD' : ''} · ${t ? t.engineMs.toFixed(1) + ' ms' : ''}`);
    this.dispatchEvent(new CustomEvent('prediction', {
      detail: {predictions: preds, source, model: clf.info.name, timing: t},
      bubbles: true,
      composed: true,
    }));
  }

  /** classify classifies any source mobilenet.js takes and fires "prediction". */
  async classify(source) {
    const clf = await this.classifier;
    const preds = await this._classify(clf, source);
    this._show(preds, 'image', clf);
    return preds;
  }
}

if (!customElements.get('mobilenet-classifier')) customElements.define('mobilenet-classifier', MobilenetClassifier);
