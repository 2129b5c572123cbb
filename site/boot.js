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
mobilenet.preload({simd: boot.simd, relaxedSimd: boot.relaxedSimd}); // the engine, while the catalog and ui.wasm come
boot.catalog = mobilenet.catalog();
boot.catalog.then(() => mark('catalog'), () => {});
// first resolves to {name, classifier, reason} (classifier: a promise;
// reason: why the page picked the smallest model, or ''), or null when the
// server has no model.
boot.first = boot.catalog.then((list) => {
  const {name, reason} = firstModel(list, params.get('model') || '', storedModel(), slowLink(navigator.connection));
  if (!name) return null;
  if (barText) barText.textContent = `Loading ${name}…`;
  mark('model-load-start');
  // The catalog's URLs, so that load does not fetch the catalog again.
  const e = list.find((m) => m.name === name);
  const classifier = mobilenet.load({modelUrl: e.model_url, headUrl: e.head_url, labelsUrl: e.labels_url, name, simd: boot.simd, relaxedSimd: boot.relaxedSimd, watchdogMs: boot.watchdogMs, onProgress: (p) => progress(name, p)});
  classifier.then(() => mark('model-ready'), () => {});
  return {name, classifier, reason};
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
