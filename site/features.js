// features.js: what this browser offers among the things that differ
// between browsers (and between a page and its workers), detected at run
// time rather than guessed from the user agent. mobilenet.js reports it
// as a classifier's info.features (the page's side merged with the
// worker's), and uses workerCanvas to pick how frames reach the worker.
//
// Chromium 156 and Firefox ESR 153 differ here only in the clock's
// resolution without cross-origin isolation (0.1 ms and 1 ms; the
// worker's time() times batches because of it); both have relaxed SIMD,
// OffscreenCanvas in workers, VideoFrame, Cache Storage and service
// workers, and neither runs wasm threads on a page that is not
// cross-origin isolated. Older browsers lack some: without OffscreenCanvas
// in workers the page sends frames as RGBA, without Cache Storage models
// are downloaded at every load, without service workers there is no
// offline visit. With relaxed SIMD the loader can link simd-relaxed.wasm
// (load({relaxedSimd: true}), engine-link.js kernelFiles); threads are
// reported so that users, tests and the benchmark can see them.

import {relaxedSimdSupported, simdSupported} from './engine-link.js';

// A module with a shared memory: the wasm threads proposal.
const sharedMemoryProbe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 3, 1, 1]);

function validates(bytes) {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

// timerResolutionMs is the smallest step performance.now() takes, ms.
export function timerResolutionMs() {
  let best = Infinity;
  for (let i = 0; i < 5 && best > 1e-6; i++) {
    const t0 = performance.now();
    let t1 = t0;
    for (let n = 0; t1 === t0 && n < 1e7; n++) t1 = performance.now();
    if (t1 > t0) best = Math.min(best, t1 - t0);
  }
  return Math.round(best * 1e6) / 1e6;
}

// canvas2d reports whether OffscreenCanvas with a 2D context exists here
// (a worker decodes frames with it).
function canvas2d() {
  try {
    return typeof OffscreenCanvas === 'function' && new OffscreenCanvas(1, 1).getContext('2d') !== null;
  } catch {
    return false;
  }
}

/**
 * browserFeatures describes the global scope it runs in (a page or a
 * worker): wasm SIMD, relaxed SIMD, wasm threads usable (shared memory,
 * SharedArrayBuffer and cross-origin isolation), cross-origin isolation,
 * OffscreenCanvas with a 2D context, VideoFrame, Cache Storage, service
 * workers, and the clock's resolution in ms.
 */
export function browserFeatures() {
  const isolated = self.crossOriginIsolated === true;
  return {
    simd: simdSupported(),
    relaxedSimd: relaxedSimdSupported(),
    threads: validates(sharedMemoryProbe) && typeof SharedArrayBuffer === 'function' && isolated,
    crossOriginIsolated: isolated,
    offscreenCanvas: canvas2d(),
    videoFrame: typeof VideoFrame === 'function',
    cacheStorage: typeof caches !== 'undefined',
    serviceWorker: typeof navigator !== 'undefined' && 'serviceWorker' in navigator,
    timerResolutionMs: timerResolutionMs(),
  };
}
