// boot.js starts the page: it exposes the JS loader to the Go UI as
// globalThis.mobilenet, registers the service worker that keeps the page
// usable offline, and runs ui.wasm (Go, GOOS=js) with wasm_exec.js.
//
// The first model loads before ui.wasm: boot.js fetches the catalog, picks
// the first model (firstModel) and loads it, showing the progress over the
// picture. ui.wasm (0.9 MB on the wire) comes once that model is ready, so
// that on a slow link its download does not share the line with the
// engine's and the model's, and on a fast one its compilation and Go
// runtime start do not share the cores with the engine's. Until the UI
// runs, boot.js itself classifies a photo chosen, dropped or pasted on
// the page and shows the result in the UI's elements (the first
// prediction), and remembers a click on "Start camera"; the UI takes both
// over when it starts (globalThis.mobilenetBoot, read by ui/app_js.go).
// Performance marks "mn:*" record the steps (the README's breakdown).

import {loadScript} from './engine-link.js';
import * as mobilenet from './mobilenet.js';
import * as teachStore from './teach-store.js';
import {formatPercent, isBackground, shortLabel} from './format.js';

globalThis.mobilenet = mobilenet;
globalThis.teachStore = teachStore; // the Teach mode's saved projects

const mark = (name) => performance.mark(`mn:${name}`);
mark('boot');

// say shows a message the way the UI does (ui/app_js.go message): one per
// key, which the UI's own messages of that key replace.
function say(key, kind, text) {
  const box = document.getElementById('messages');
  box.querySelector(`[data-key="${key}"]`)?.remove();
  const m = document.createElement('div');
  m.className = `msg ${kind}`;
  m.dataset.key = key;
  m.dataset.kind = kind;
  m.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const close = Object.assign(document.createElement('button'), {className: 'close', textContent: '×'});
  close.setAttribute('aria-label', 'Dismiss');
  close.onclick = () => m.remove();
  m.append(Object.assign(document.createElement('span'), {textContent: text}), close);
  box.append(m);
}

function fatal(text) {
  say('boot', 'error', text);
  document.body.dataset.state = 'error';
}

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker:', e.message));
}

// preferred are the default models, best first, when the address and the
// last visit name none: accurate enough to impress, fast enough for live
// video.
const preferred = ['mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.75_192_quant', 'mobilenet_v1_0.25_128_quant'];

// SLOW_MBPS: below this downlink estimate (Mbit/s), a first visit starts
// with the smallest model the server has. The page's own files are about
// 2.1 MB on the wire; 0.5_160_quant adds 1.0 MB (0.5 s at 16 Mbit/s, 5 s at
// 1.6), 0.25_128_quant 0.4 MB.
export const SLOW_MBPS = 5;

/**
 * slowLink says why the connection counts as slow, from the browser's
 * estimate (navigator.connection, the Network Information API: Chromium
 * has it, Firefox and Safari do not), or '' when it does not or the
 * browser does not say.
 */
export function slowLink(conn) {
  if (!conn) return '';
  if (conn.saveData) return 'the browser asks to save data';
  if (typeof conn.downlink === 'number' && conn.downlink > 0 && conn.downlink < SLOW_MBPS) return `the connection is slow (about ${conn.downlink} Mbit/s)`;
  if (['slow-2g', '2g', '3g'].includes(conn.effectiveType)) return `the connection is slow (${conn.effectiveType})`;
  return '';
}

/**
 * firstModel picks the model a visit starts with, as {name, reason}: ?model=,
 * else the last visit's (localStorage "mobilenet.model"), else, when slow
 * (slowLink's reason) the smallest the server has, else a preferred one,
 * else any; reason is slow when the choice was the smallest for it, else
 * ''. name is '' when the server has no model.
 */
export function firstModel(list, param, stored, slow = '') {
  const has = (n) => n && list.some((m) => m.name === n && m.available);
  for (const n of [param, stored]) if (has(n)) return {name: n, reason: ''};
  const available = list.filter((m) => m.available);
  if (slow && available.length > 0) {
    const size = (m) => m.bytes || Infinity;
    const smallest = available.reduce((a, b) => (size(b) < size(a) ? b : a));
    if (smallest.bytes) return {name: smallest.name, reason: slow};
  }
  for (const n of preferred) if (has(n)) return {name: n, reason: ''};
  return {name: (available[0] || {name: ''}).name, reason: ''};
}

function storedModel() {
  try {
    return localStorage.getItem('mobilenet.model') || '';
  } catch {
    return ''; // storage disabled
  }
}

// The progress of the first load, shown by the elements the UI uses
// (ui/app_js.go progress) until the UI registers its own handler.
const bar = document.getElementById('download-bar');
const barText = document.getElementById('download-text');
const boot = {onProgress: null, lastProgress: null, preferred};
function progress(name, p) {
  boot.lastProgress = {name, p};
  if (boot.onProgress) return boot.onProgress(name, p);
  if (!bar) return;
  const kB = (n) => (n < 1 << 20 ? `${Math.round(n / 1024)} kB` : `${(n / (1 << 20)).toFixed(1)} MB`);
  if (p.cached) barText.textContent = `${name}: ${kB(p.loaded)} from this browser's cache; starting…`;
  else if (p.done) barText.textContent = `${name}: ${kB(p.loaded)} downloaded; starting…`;
  else barText.textContent = `Downloading ${name}: ${kB(p.loaded)}${p.total ? ` of ${kB(p.total)}` : ''}`;
  if (p.total && !p.done) {
    bar.max = p.total;
    bar.value = p.loaded;
  } else bar.removeAttribute('value');
}

const params = new URLSearchParams(location.search);
boot.simd = mobilenet.simdSupported() && params.get('simd') !== '0';
// ?relaxed=1 or 0: simd-relaxed.wasm where the browser has relaxed SIMD, or
// simd.wasm; without it, the loader's default.
boot.relaxedSimd = {1: true, 0: false}[params.get('relaxed')];
// ?watchdog=MS: load's watchdogMs (how long a classification may go
// unanswered before the engine's worker is taken for dead and restarted).
if (/^\d+$/.test(params.get('watchdog') || '')) boot.watchdogMs = Number(params.get('watchdog'));
// The page's classifier runs the engine build without teaching and
// quantization (a quarter smaller on the wire); the Teach and Quantize modes
// load the full one in their own workers when used.
boot.engine = 'classify';
mobilenet.preload({simd: boot.simd, relaxedSimd: boot.relaxedSimd, engine: boot.engine}); // the engine, while the catalog comes
boot.catalog = mobilenet.catalog();
boot.catalog.then(() => mark('catalog'), () => {});
// first resolves to {name, classifier, reason} (classifier: a promise;
// reason: why the page picked the smallest model, or ''), or null when the
// server has no model.
boot.first = boot.catalog.then((list) => {
  const {name, reason} = firstModel(list, params.get('model') || '', storedModel(), slowLink(navigator.connection));
  if (!name) return null;
  if (barText) barText.textContent = `Loading ${name}…`;
  const badge = document.getElementById('model-badge');
  if (badge) badge.textContent = `loading ${name}…`;
  if (reason) say('first-model', 'info', `The page starts with its smallest model, ${name}, since ${reason}. Larger models are more accurate: choose one in the model picker (M).`);
  mark('model-load-start');
  // The catalog's URLs, so that load does not fetch the catalog again.
  const e = list.find((m) => m.name === name);
  const classifier = mobilenet.load({modelUrl: e.model_url, headUrl: e.head_url, labelsUrl: e.labels_url, name, simd: boot.simd, relaxedSimd: boot.relaxedSimd, engine: boot.engine, watchdogMs: boot.watchdogMs, onProgress: (p) => progress(name, p)});
  classifier.then(() => {
    mark('model-ready');
    if (early.taken) return; // the UI's from now on
    if (badge) badge.textContent = name;
    document.body.dataset.model = name;
  }, () => {});
  return {name, classifier, reason, bytes: e.bytes || 0};
});
boot.first.catch(() => {});
globalThis.mobilenetBoot = boot;

// What the page does before the UI runs (the header comment). early.pending
// is the user's last request, {file, url} (url: the photo's object URL on
// show, or '') or {camera: true}, for the UI to take over; early.busy
// settles when boot.js's own classification does.
const early = {pending: null, taken: false, busy: Promise.resolve()};
const el = (id) => document.getElementById(id);

function earlyFile(f) {
  if (!f || early.taken) return;
  if (early.pending && early.pending.url) URL.revokeObjectURL(early.pending.url);
  early.pending = {file: f, url: ''};
  const model = f.name.toLowerCase().endsWith('.tflite');
  if (model || (f.type && !f.type.startsWith('image/'))) return; // the UI loads it or says what is wrong
  early.pending.url = URL.createObjectURL(f);
  el('photo').src = early.pending.url;
  el('photo').alt = f.name;
  el('photo').hidden = false;
  el('video').hidden = true;
  el('placeholder').hidden = true;
  early.busy = earlyClassify(f).catch(() => {}); // a failure is the UI's to report, on its own try
}

// earlyClassify classifies f with the first model and shows the top five
// classes (not "background", as the UI's defaults) in the UI's own markup
// (ui/app_js.go renderTop).
async function earlyClassify(f) {
  const first = await boot.first;
  if (!first) return;
  const clf = await first.classifier;
  if (early.taken || early.pending.file !== f) return;
  const preds = (await clf.classify(f, {topK: 6})).filter((p) => !isBackground(p.label)).slice(0, 5);
  if (early.taken || early.pending.file !== f) return;
  el('top5').replaceChildren(...preds.map((p) => {
    const li = document.createElement('li');
    li.dataset.index = p.index;
    li.dataset.score = p.score;
    li.dataset.label = p.label;
    const span = (cls, text) => Object.assign(document.createElement('span'), {className: cls, textContent: text});
    const name = span('label', shortLabel(p.label, p.index));
    name.title = `${p.label} (class ${p.index})`;
    const bar = span('bar', '');
    bar.append(span('fill', ''));
    bar.firstChild.style.width = `${(100 * Math.min(Math.max(p.score, 0), 1)).toFixed(1)}%`;
    li.append(name, bar, span('score', formatPercent(p.score)));
    return li;
  }));
  const results = el('results');
  results.dataset.source = `photo: ${f.name}`;
  results.dataset.model = first.name;
  mark('first-prediction');
}

const onFile = (e) => {
  earlyFile(e.target.files[0]);
  e.target.value = '';
};
const onDragOver = (e) => e.preventDefault(); // or a drop opens the file instead of the page
const onDrop = (e) => {
  e.preventDefault();
  earlyFile(e.dataTransfer && e.dataTransfer.files[0]);
};
const onPaste = (e) => {
  const f = e.clipboardData && e.clipboardData.files[0];
  if (!f) return; // a pasted address waits for the UI (ui/tools_js.go paste)
  e.preventDefault();
  earlyFile(f);
};
const onCamera = () => {
  early.pending = {camera: true};
  say('boot-camera', 'info', 'The camera starts as soon as the page has loaded.'); // removed by the UI's resume
};
el('file').addEventListener('change', onFile);
document.addEventListener('dragover', onDragOver);
document.addEventListener('drop', onDrop);
document.addEventListener('paste', onPaste);
el('cam-start').addEventListener('click', onCamera);

/**
 * takeOver is the UI's, once its own handlers are attached: boot.js stops
 * handling the page and hands over the user's last request (early.pending,
 * or null).
 */
boot.takeOver = () => {
  early.taken = true;
  el('file').removeEventListener('change', onFile);
  document.removeEventListener('dragover', onDragOver);
  document.removeEventListener('drop', onDrop);
  document.removeEventListener('paste', onPaste);
  el('cam-start').removeEventListener('click', onCamera);
  return early.pending;
};

// UI_WAITS_FOR_BYTES: ui.wasm (0.9 MB on the wire) waits for a first model
// up to this size (the catalog's bytes: the 0.25 and 0.5 quantized models
// and the 0.25 float ones); a larger model's download would keep the UI
// away much longer than its own, so ui.wasm then comes at once and the
// model can be changed meanwhile.
const UI_WAITS_FOR_BYTES = 2 << 20;

async function run() {
  if (typeof WebAssembly !== 'object') {
    fatal('This browser has no WebAssembly: the classifier cannot run here.');
    return;
  }
  // The first model first (the header comment), and the first photo's
  // prediction when one was chosen meanwhile.
  const first = await boot.first.catch(() => null);
  if (first && first.bytes <= UI_WAITS_FOR_BYTES) await first.classifier.catch(() => {});
  await early.busy;
  mark('ui-fetch');
  const resp = fetch('ui.wasm');
  // wasm_exec.js (Go's glue for ui.wasm) comes with ui.wasm, not with the
  // page: nothing before the UI needs it.
  try {
    await loadScript('wasm_exec.js');
  } catch {
    fatal('wasm_exec.js is missing: run ./build.sh.');
    return;
  }
  const go = new Go();
  let instance;
  try {
    ({instance} = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } catch (e) {
    fatal(`The page's UI (ui.wasm) did not load: ${e.message}. Run ./build.sh, then reload.`);
    return;
  }
  mark('ui-compiled');
  go.run(instance).then(() => fatal('The UI stopped.'));
}

run();
