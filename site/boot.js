// boot.js starts the page: it exposes the JS loader to the Go UI as
// globalThis.mobilenet, registers the service worker that keeps the page
// usable offline, and runs ui.wasm (Go, GOOS=js) with wasm_exec.js.
//
// The first model starts loading here, before ui.wasm, so that the two
// downloads, compilations and Go runtime starts overlap instead of
// following each other: boot.js fetches the catalog, picks the first model
// (firstModel) and loads it, showing the progress over the picture until
// the UI takes over (globalThis.mobilenetBoot, read by ui/app_js.go).
// Performance marks "mn:*" record the steps (the README's breakdown).

import * as mobilenet from './mobilenet.js';
import * as teachStore from './teach-store.js';

globalThis.mobilenet = mobilenet;
globalThis.teachStore = teachStore; // the Teach mode's saved projects

const mark = (name) => performance.mark(`mn:${name}`);
mark('boot');

function fatal(text) {
  const m = document.createElement('div');
  m.className = 'msg error';
  m.dataset.key = 'boot';
  m.dataset.kind = 'error';
  m.textContent = text;
  document.getElementById('messages').append(m);
  document.body.dataset.state = 'error';
}

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker:', e.message));
}

// preferred are the default models, best first, when the address and the
// last visit name none: accurate enough to impress, fast enough for live
// video.
const preferred = ['mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.75_192_quant', 'mobilenet_v1_0.25_128_quant'];

/**
 * firstModel picks the model a visit starts with: ?model=, else the last
 * visit's (localStorage "mobilenet.model"), else a preferred one, else any
 * the server has; '' when it has none.
 */
export function firstModel(list, param, stored) {
  const has = (n) => n && list.some((m) => m.name === n && m.available);
  for (const n of [param, stored, ...preferred]) if (has(n)) return n;
  return (list.find((m) => m.available) || {name: ''}).name;
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
mobilenet.preload({simd: boot.simd, relaxedSimd: boot.relaxedSimd}); // the engine, while the catalog and ui.wasm come
boot.catalog = mobilenet.catalog();
boot.catalog.then(() => mark('catalog'), () => {});
// first resolves to {name, classifier} (classifier: a promise), or null
// when the server has no model.
boot.first = boot.catalog.then((list) => {
  const name = firstModel(list, params.get('model') || '', storedModel());
  if (!name) return null;
  if (barText) barText.textContent = `Loading ${name}…`;
  mark('model-load-start');
  // The catalog's URLs, so that load does not fetch the catalog again.
  const e = list.find((m) => m.name === name);
  const classifier = mobilenet.load({modelUrl: e.model_url, headUrl: e.head_url, labelsUrl: e.labels_url, name, simd: boot.simd, relaxedSimd: boot.relaxedSimd, watchdogMs: boot.watchdogMs, onProgress: (p) => progress(name, p)});
  classifier.then(() => mark('model-ready'), () => {});
  return {name, classifier};
});
boot.first.catch(() => {});
globalThis.mobilenetBoot = boot;

async function run() {
  if (typeof WebAssembly !== 'object') {
    fatal('This browser has no WebAssembly: the classifier cannot run here.');
    return;
  }
  if (typeof Go !== 'function') {
    fatal('wasm_exec.js is missing: run ./build.sh.');
    return;
  }
  // ui.wasm's compilation and the UI's start hold the page's one thread
  // for a while (on 2 cores the catalog's answer then waited 0.9 s): let
  // the first model's load start first (its catalog, then its download).
  await boot.first.catch(() => {});
  const go = new Go();
  let instance;
  try {
    const resp = fetch('ui.wasm');
    ({instance} = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } catch (e) {
    fatal(`The page's UI (ui.wasm) did not load: ${e.message}. Run ./build.sh, then reload.`);
    return;
  }
  mark('ui-compiled');
  go.run(instance).then(() => fatal('The UI stopped.'));
}

run();
