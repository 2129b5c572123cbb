// boot.js starts the page: it exposes the JS loader to the Go UI as
// globalThis.mobilenet, registers the service worker that keeps the page
// usable offline, and runs ui.wasm (Go, GOOS=js) with wasm_exec.js.

import * as mobilenet from './mobilenet.js';
import * as teachStore from './teach-store.js';

globalThis.mobilenet = mobilenet;
globalThis.teachStore = teachStore; // the Teach mode's saved projects

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

async function run() {
  if (typeof WebAssembly !== 'object') {
    fatal('This browser has no WebAssembly: the classifier cannot run here.');
    return;
  }
  if (typeof Go !== 'function') {
    fatal('wasm_exec.js is missing: run ./build.sh.');
    return;
  }
  const go = new Go();
  let instance;
  try {
    const resp = fetch('ui.wasm');
    ({instance} = await WebAssembly.instantiateStreaming(resp, go.importObject));
  } catch (e) {
    fatal(`The page's UI (ui.wasm) did not load: ${e.message}. Run ./build.sh, then reload.`);
    return;
  }
  go.run(instance).then(() => fatal('The UI stopped.'));
}

run();
