// mobilenet.js: MobileNet V1 TFLite classifiers in the browser.
//
//   import * as mobilenet from './mobilenet.js';
//   const clf = await mobilenet.load({model: 'mobilenet_v1_0.5_160_quant'});
//   const top5 = await clf.classify(document.querySelector('video'), {topK: 5});
//   // [{index: 286, label: 'Egyptian cat', score: 0.43}, ...]
//
// Each classifier runs its own instance of engine.wasm (a Go module, ABI in
// wasm/doc.go) in a Web Worker, so the page never stalls. Frames travel to
// the worker as ImageBitmap/ImageData; the engine does the release's
// preprocessing (central crop 87.5%, bilinear resize) itself. When the
// browser has wasm SIMD and the server has simd.wasm, the worker links the
// SIMD kernels to the engine (with relaxedSimd: true, simd-relaxed.wasm
// where the browser has relaxed SIMD); otherwise it runs the portable Go
// kernels.
// Models come from a URL (cached in Cache Storage), from bytes, or by name
// from the server's catalog (models/catalog.json, see `mobilenet serve`).
// Types: mobilenet.d.ts.

import {
  compileWasm, ENGINE_ABI_VERSION, FLAG_REFERENCE, kernelFiles, kernelImports, MAX_THREADS, RELAXED_SIMD_FILE, relaxedSimdSupported,
  SIMD_OFF, SIMD_ON, SIMD_UNLINKED, SPAWN_KERNEL_WORKER, kernelWorkerUrl, simdSupported, startModuleWorker, threadsSupported,
} from './engine-link.js';
import {browserFeatures} from './features.js';

export {relaxedSimdSupported, simdSupported, threadsSupported};

// Kernel threads (wasm/doc.go): the number of kernel instances load()
// runs, its threads option else defaultThreads(), and the builds they
// need: engine-threads.wasm and simd-threads.wasm, whose memory is shared,
// which only a cross-origin isolated page may use.

/**
 * defaultThreads is the kernel instances load() runs without a threads
 * option: suggestedThreads(). On 2 cores two threads took 0.55-0.78x the
 * time of one on every model of the release (README, Speed).
 */
export function defaultThreads() {
  return suggestedThreads();
}

/**
 * suggestedThreads is the kernel threads worth asking load() for here:
 * the cores the browser reports, at most 4, in a cross-origin isolated
 * page with wasm SIMD; 1 elsewhere.
 */
export function suggestedThreads() {
  if (!threadsSupported() || !simdSupported()) return 1;
  return coresUpTo4();
}

// coresUpTo4 is the cores the browser reports, at most 4.
function coresUpTo4() {
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

// threadPlan is what load() asks for: threads, and the engine and kernel
// files, with the reason when threads are 1 although more were wanted.
function threadPlan(opts, wantSimd) {
  // By default, the cores (defaultThreads() is suggestedThreads(), which is
  // 1 where the checks below fail: they say why).
  const byDefault = opts.threads === undefined;
  const asked = byDefault ? coresUpTo4() : Math.min(MAX_THREADS, Math.max(1, Math.floor(Number(opts.threads)) || 1));
  let reason = '';
  if (asked <= 1) reason = byDefault ? 'the browser reports one core' : 'one thread requested';
  else if (!wantSimd) reason = 'kernel threads run the SIMD kernels, which are off or unsupported';
  else if (!threadsSupported()) reason = 'the page is not cross-origin isolated (shared memory needs COOP and COEP headers)';
  const threads = reason ? 1 : asked;
  return {threads, reason};
}

// threadedFile names the copy of a module file whose memory is shared
// (build.sh writes name-threads.wasm beside name.wasm).
function threadedFile(file) {
  return file.replace(/\.wasm$/, '-threads.wasm');
}

const here = new URL('.', import.meta.url);

/** The Cache Storage cache holding downloaded models and labels. */
export const MODEL_CACHE = 'mobilenet-models-v1';

/**
 * DEFAULT_WATCHDOG_MS is how long a classify, embed or infer call may go
 * unanswered before its worker is taken for dead. The slowest model takes
 * about a second a frame on a slow phone's portable path: 30 s is far
 * beyond any real call.
 */
export const DEFAULT_WATCHDOG_MS = 30000;

/** MobilenetError is every error this module rejects with. */
export class MobilenetError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.name = 'MobilenetError';
    /** what failed: 'network', 'load', 'input', 'image', 'argument', 'internal', 'crash', 'alloc', 'unsupported', 'disposed', 'aborted' */
    this.code = code;
    /** the engine's status code (wasm/doc.go), or 0 */
    this.status = status;
  }
}

// mark sets the performance mark "mn:"+name, the steps of a load (a
// page's cold start breakdown: site/boot.js, the README).
function mark(name, at) {
  if (typeof performance === 'undefined' || !performance.mark) return;
  if (at === undefined) performance.mark(`mn:${name}`);
  else performance.mark(`mn:${name}`, {startTime: Math.max(0, at - performance.timeOrigin)});
}

// markSteps marks the worker's own steps (init's steps: {name, t} with t
// an absolute time, performance.timeOrigin + now, in the worker).
function markSteps(steps) {
  for (const s of steps || []) mark(s.name, s.t);
}

// compiled caches compiled modules by URL: every classifier of a page
// shares one compilation (a WebAssembly.Module can be posted to workers).
const compiled = new Map();

function compile(url, optional = false) {
  if (!compiled.has(url)) {
    const p = compileWasm(url, {optional, response: takeEarlyFetch(url)}).catch((e) => {
      throw new MobilenetError(e.code || 'network', e.message);
    });
    p.catch(() => compiled.delete(url));
    compiled.set(url, p);
  }
  return compiled.get(url);
}

// takeEarlyFetch returns the download of url a page started before its
// scripts ran (globalThis.mobilenetEarlyFetch: {url, response, abort}, set
// by site/index.html), once, or undefined.
function takeEarlyFetch(url) {
  const early = globalThis.mobilenetEarlyFetch;
  if (!early || early.url !== url) return undefined;
  globalThis.mobilenetEarlyFetch = undefined;
  return early.response;
}

/**
 * preload starts fetching and compiling engine.wasm (and simd.wasm or
 * simd-relaxed.wasm, when it will be used) at once, so that a later load()
 * finds them compiled: a page calls it as early as it can (site/boot.js,
 * before its catalog and its own UI), and the engine's download overlaps
 * theirs. Pass the simd, relaxedSimd, threads and engine that load() will
 * get. A download of the engine the page started before its scripts ran
 * (site/index.html) is taken over when it is the file chosen here, and
 * cancelled when it is another.
 */
export function preload({baseUrl, simd, relaxedSimd, threads, engine} = {}) {
  const base = new URL(baseUrl || here.href, location.href).href;
  const wantSimd = simd === undefined ? simdSupported() : Boolean(simd) && simdSupported();
  linkModules(base, wantSimd, relaxedSimd, threadPlan({threads}, wantSimd), engine);
  // linkModules asked for its engine file synchronously: an early download
  // still here is of a file this page does not use.
  const unused = globalThis.mobilenetEarlyFetch;
  if (unused) {
    globalThis.mobilenetEarlyFetch = undefined;
    unused.abort.abort();
    mark('early-fetch-cancelled');
  }
}

// ENGINE_FILES are the engine's builds (wasm/doc.go) by load's engine
// option: "full" has everything; "classify" leaves out teaching and
// quantization, a quarter smaller on the wire.
const ENGINE_FILES = {full: 'engine.wasm', classify: 'engine-classify.wasm'};

/**
 * linkModules starts compiling the engine build named by engine (an
 * ENGINE_FILES key; "classify" falls back to the full build on a server
 * without it): its -threads copy when plan asks for threads and the server
 * has it, else the plain one, and plan says so (plan.threads, plan.reason;
 * plan.engine names the build compiled), and, when wantSimd, the kernel
 * module alongside it (not after it: on a slow network its round trip
 * would come last), and returns the two promises. simdP resolves to the
 * first of kernelFiles({relaxed}) (relaxed undefined: the default; their
 * -threads copies with threads) that the server has and that compiles, as
 * {module, file}, or to {module: null, file: ''} when the engine imports
 * no kernels (a portable build, wasm/doc.go) or without SIMD.
 */
function linkModules(baseUrl, wantSimd, relaxed, plan = {threads: 1, reason: ''}, engine = 'full') {
  const builds = engine === 'classify' ? ['classify', 'full'] : ['full'];
  // first compiles the first of builds whose file (fileOf) the server has
  // (HTTP 404: the next one), and resolves to null when it has none, or,
  // unless noneIsNull, rejects with the last one's error.
  const first = async (fileOf, noneIsNull) => {
    for (const [i, build] of builds.entries()) {
      const m = await compile(new URL(fileOf(ENGINE_FILES[build]), baseUrl).href, noneIsNull || i < builds.length - 1);
      if (m) {
        plan.engine = build;
        return m;
      }
    }
    return null;
  };
  const engineP = plan.threads > 1
    ? first(threadedFile, true).then((m) => {
      if (m) return m;
      // A server without the threaded builds: a plain one.
      plan.threads = 1;
      plan.reason = `${threadedFile(ENGINE_FILES[builds[0]])} is not on the server`;
      return first((f) => f, false);
    })
    : first((f) => f, false);
  const candidates = () => (wantSimd ? kernelFiles(relaxed === undefined ? {} : {relaxed: Boolean(relaxed)}) : [])
    .map((f) => (plan.threads > 1 ? threadedFile(f) : f));
  const kernels = candidates()[0];
  if (kernels) compile(new URL(kernels, baseUrl).href, true).catch(() => {});
  const simdP = engineP.then(async (m) => {
    if (kernelImports(m).length > 0) {
      for (const file of candidates()) {
        const module = await compile(new URL(file, baseUrl).href, true);
        if (module) return {module, file};
      }
    }
    return {module: null, file: ''};
  });
  engineP.catch(() => {});
  simdP.catch(() => {});
  return {engineP, simdP};
}

// storing holds the Cache Storage writes fetchBytes has started and not
// finished: a download is handed over before its copy is stored (a first
// visit's fresh cache takes a while to write), and what reads the cache
// (cachedUrls, load's return) waits for them.
const storing = new Set();

/** cacheWrites resolves when every started Cache Storage write is done. */
function cacheWrites() {
  return Promise.all([...storing]);
}

/**
 * fetchBytes downloads url with progress reports, through Cache Storage
 * when cache is true. The download and the cache lookup run side by side,
 * and whichever has the bytes first wins (a hit cancels the download):
 * opening Cache Storage in a fresh profile takes a second or two, which a
 * first visit would otherwise wait for. (Model URLs name their content,
 * ?v=checksum, so both give the same bytes.)
 */
export async function fetchBytes(url, {onProgress, cache = true, signal} = {}) {
  const u = new URL(url, location.href).href;
  const net = new AbortController();
  const cancel = () => net.abort();
  if (signal) {
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, {once: true});
  }
  const fromNet = download(u, net.signal, onProgress);
  fromNet.catch(() => {});
  // storeP: the cache, or null (none, opaque origins, storage disabled:
  // download every time); hitP: the cached bytes, or null.
  const storeP = cache && typeof caches !== 'undefined' ? caches.open(MODEL_CACHE).catch(() => null) : Promise.resolve(null);
  const hitP = storeP.then((st) => st && st.match(u)).then((r) => (r ? r.arrayBuffer() : null)).catch(() => null);
  const first = await Promise.race([hitP.then((b) => ({b})), fromNet.then(() => null, () => null)]);
  let hit = first && first.b;
  if (!first && !(await fromNet.then(() => true, () => false))) hit = await hitP; // offline: the cache's copy
  if (hit) {
    cancel();
    if (onProgress) onProgress({url: u, loaded: hit.byteLength, total: hit.byteLength, cached: true, done: true});
    return hit;
  }
  const {out, type} = await fromNet; // the network's error, when neither has it
  // Stored after the bytes are handed over (cachedUrls and load wait), from
  // a copy taken now: the caller may transfer out's buffer to a worker
  // before the cache opens.
  const copy = cache ? new Response(out.slice(), {headers: {'content-type': type}}) : null;
  const put = storeP.then((st) => st && copy && st.put(u, copy)).catch(() => {});
  storing.add(put);
  put.then(() => storing.delete(put));
  return out.buffer;
}

// download fetches u, reporting progress, and resolves to {out, type}
// (the bytes and their content type).
async function download(u, signal, onProgress) {
  let resp;
  try {
    resp = await fetch(u, {signal});
  } catch (e) {
    throw new MobilenetError('network', `cannot fetch ${u}: ${e.message}`);
  }
  if (!resp.ok) throw new MobilenetError('network', `cannot fetch ${u}: HTTP ${resp.status} ${resp.statusText}`);
  // A compressed response's Content-Length is not what the body counts
  // to: mobilenet serve sends the model's own size in X-Decoded-Length.
  const identity = !resp.headers.get('content-encoding');
  const total = Number(resp.headers.get(identity ? 'content-length' : 'x-decoded-length')) || 0;
  const chunks = [];
  let loaded = 0;
  if (resp.body && resp.body.getReader) {
    const reader = resp.body.getReader();
    for (;;) {
      let part;
      try {
        part = await reader.read();
      } catch (e) {
        // A connection cut half way: say so; nothing is cached.
        throw new MobilenetError('network', `the download of ${u} was cut after ${loaded} of ${total || '?'} bytes: ${e.message}`);
      }
      const {done, value} = part;
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      if (onProgress) onProgress({url: u, loaded, total, cached: false, done: false});
    }
  } else {
    chunks.push(new Uint8Array(await resp.arrayBuffer()));
    loaded = chunks[0].byteLength;
  }
  if (total && loaded !== total) {
    // A body that ended early without an error (no chunked trailer check
    // in some stacks): never hand over, or cache, a truncated file.
    throw new MobilenetError('network', `the download of ${u} was cut after ${loaded} of ${total} bytes`);
  }
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  if (onProgress) onProgress({url: u, loaded, total: loaded, cached: false, done: true});
  return {out, type: resp.headers.get('content-type') || 'application/octet-stream'};
}

/** cachedUrls lists the URLs in the model cache. */
export async function cachedUrls() {
  if (typeof caches === 'undefined') return [];
  await cacheWrites();
  const store = await caches.open(MODEL_CACHE);
  return (await store.keys()).map((r) => r.url);
}

/** clearCache deletes every cached model and label file. */
export async function clearCache() {
  if (typeof caches === 'undefined') return;
  await cacheWrites(); // or a download's copy would land after the delete
  await caches.delete(MODEL_CACHE);
}

/**
 * catalog fetches the server's model catalog (models/catalog.json, written
 * by `mobilenet serve`): the 32 models of the release, with the URLs of
 * those in the server's models folder. URLs in the result are absolute.
 */
export async function catalog({modelsUrl = new URL('models/', here).href} = {}) {
  const url = new URL('catalog.json', new URL(modelsUrl, location.href)).href;
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new MobilenetError('network', `cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) throw new MobilenetError('network', `cannot fetch ${url}: HTTP ${resp.status}`);
  const doc = await resp.json();
  const abs = (u) => (u ? new URL(u, url).href : u);
  return (doc.models || []).map((m) => ({
    ...m,
    model_url: abs(m.model_url),
    head_url: abs(m.head_url),
    labels_url: abs(m.labels_url),
  }));
}

// Worker plumbing: one worker per classifier, requests matched by id.
function startWorker(baseUrl) {
  return startModuleWorker(new URL('worker.js', baseUrl).href);
}

class Channel {
  // kernels, when the engine will run kernel threads, is {url, n}: n
  // kernel workers (kernel-worker.js at url) to start now, so that their
  // scripts load while the engine downloads instead of after it.
  constructor(worker, kernels = null) {
    this.worker = worker;
    this.next = 1;
    this.pending = new Map();
    this.closed = null;
    this.workerCanvas = true; // the worker's OffscreenCanvas, known after init
    this.kernelWorkers = []; // started for the worker's kernel threads
    const spares = []; // started ahead, not yet asked for
    for (let i = 0; kernels && i < kernels.n; i++) spares.push(startModuleWorker(kernels.url));
    this.kernelWorkers.push(...spares);
    worker.onmessage = (ev) => {
      const port = ev.data[SPAWN_KERNEL_WORKER];
      if (port) {
        // The engine's kernel threads, started here rather than by the
        // worker itself (engine-link.js startKernelThreads), with the
        // channel's end the worker sent.
        let k = kernels && ev.data.url === kernels.url ? spares.shift() : null;
        if (!k) {
          k = startModuleWorker(ev.data.url);
          this.kernelWorkers.push(k);
        }
        k.postMessage({port}, [port]);
        return;
      }
      const {id, ok, value, error} = ev.data;
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if (ok) p.resolve(value);
      else p.reject(new MobilenetError(error.code, error.message, error.status));
    };
    worker.onerror = (ev) => {
      ev.preventDefault();
      this.close(new MobilenetError('crash', `the engine worker failed: ${ev.message || 'could not start worker.js'}`));
    };
  }

  // call sends op to the worker. With watchdogMs > 0, a call unanswered
  // after that long means the worker died without an error event (a
  // browser that kills an out-of-memory worker, a worker stuck in a loop):
  // the channel closes with a 'crash' error, as for a worker that failed,
  // so whoever restarts crashed engines restarts this one.
  call(op, args = {}, transfer = [], watchdogMs = 0) {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      let timer = 0;
      const settle = (f) => (v) => {
        clearTimeout(timer);
        f(v);
      };
      this.pending.set(id, {resolve: settle(resolve), reject: settle(reject)});
      this.worker.postMessage({...args, id, op}, transfer);
      if (watchdogMs > 0) {
        timer = setTimeout(() => this.close(new MobilenetError('crash',
          `the engine worker stopped answering (no reply to ${op} in ${(watchdogMs / 1000).toFixed(1)} s): it may have run out of memory or been stopped by the browser; load the model again`)), watchdogMs);
      }
    });
  }

  close(err) {
    if (this.closed) return;
    this.closed = err;
    // The worker ends its kernel workers and itself when it gets to this
    // message; terminate() stops it anyway, a little later, if it is busy.
    const w = this.worker;
    const kernels = this.kernelWorkers;
    w.postMessage({op: 'close'});
    setTimeout(() => [w, ...kernels].forEach((x) => x.terminate()), 1000);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

// framePayload turns a source into what the worker on channel ch takes,
// and the objects to transfer. ImageData and caller-owned ImageBitmaps are
// copied (the caller keeps them); bitmaps made here are transferred. A
// worker without OffscreenCanvas (ch.workerCanvas false) cannot read a
// bitmap's pixels, so the page reads them and sends RGBA.
async function framePayload(source, ch) {
  const [frame, transfer] = await payload(source);
  if (!frame.bitmap || ch.workerCanvas) return [frame, transfer];
  const own = transfer.length > 0;
  try {
    return rgbaPayload(frame.bitmap);
  } finally {
    if (own) frame.bitmap.close();
  }
}

// rgbaPayload reads a bitmap's RGBA pixels on the page (a DOM canvas, or
// an OffscreenCanvas where the page has one).
function rgbaPayload(bmp) {
  const w = bmp.width;
  const h = bmp.height;
  if (w === 0 || h === 0) throw new MobilenetError('input', 'the image is empty (0 pixels)');
  const c = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), {width: w, height: h});
  const g = c.getContext('2d', {willReadFrequently: true});
  g.drawImage(bmp, 0, 0);
  const data = g.getImageData(0, 0, w, h).data;
  return [{imageData: {data, width: w, height: h}}, [data.buffer]];
}

async function payload(source) {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) return [{imageData: source}, []];
  if (typeof ImageBitmap !== 'undefined' && source instanceof ImageBitmap) return [{bitmap: source}, []];
  if (source && typeof source === 'object' && 'data' in source && 'width' in source && 'height' in source) {
    const data = new Uint8ClampedArray(source.data);
    return [{imageData: {data, width: source.width, height: source.height}}, [data.buffer]];
  }
  let opts;
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    opts = {colorSpaceConversion: 'none'};
  } else if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) {
    if (!source.complete || source.naturalWidth === 0) {
      try {
        await source.decode();
      } catch {
        throw new MobilenetError('image', `the image ${source.currentSrc || source.src} did not load or is not an image`);
      }
    }
    // Like the release's evaluation (TensorFlow decodes JPEGs without
    // colour management), ignore embedded colour profiles.
    opts = {colorSpaceConversion: 'none'};
  } else if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) {
    if (source.readyState < 2 || source.videoWidth === 0) throw new MobilenetError('input', 'the video has no frame yet');
  }
  let bmp;
  try {
    bmp = await createImageBitmap(source, opts);
  } catch (e) {
    const what = source instanceof Blob && source.name ? source.name : 'the source';
    throw new MobilenetError('image', `${what} is not an image this browser can decode (${e.message})`);
  }
  return [{bitmap: bmp}, [bmp]];
}

// pageFeatures is browserFeatures() of the page, measured once.
let pageFeaturesCache = null;
function pageFeatures() {
  if (!pageFeaturesCache) pageFeaturesCache = browserFeatures();
  return {...pageFeaturesCache};
}

function quantiles(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN);
  return {runs: ms, median: q(0.5), p10: q(0.1), p90: q(0.9), mean: ms.reduce((a, b) => a + b, 0) / (ms.length || 1)};
}

/** Classifier is a loaded model in its own worker. */
export class Classifier {
  constructor(channel, info, watchdogMs = DEFAULT_WATCHDOG_MS) {
    this._ch = channel;
    this._watchdogMs = watchdogMs;
    /** The model's description (engine.Info) plus the loader's: name, simd, simdSupported, simdReason. */
    this.info = info;
    /** Timing of the last classify: {decodeMs, engineMs, totalMs, width, height}. */
    this.lastTiming = null;
  }

  /** classify returns the top k classes of an image, best first. */
  async classify(source, {topK = 5} = {}) {
    const t0 = performance.now();
    const [frame, transfer] = await framePayload(source, this._ch);
    const r = await this._ch.call('classify', {frame, topK}, transfer, this._watchdogMs);
    this.lastTiming = {decodeMs: r.decodeMs, engineMs: r.engineMs, totalMs: performance.now() - t0, width: r.width, height: r.height};
    return r.predictions;
  }

  /** embed returns the feature vector the model's final layer reads. */
  async embed(source) {
    const [frame, transfer] = await framePayload(source, this._ch);
    const r = await this._ch.call('embed', {frame}, transfer, this._watchdogMs);
    return r.embedding;
  }

  /** infer runs a raw input tensor (the model's dtype and shape) and returns the raw output bytes. */
  async infer(input) {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    return this._ch.call('infer', {input: bytes.slice().buffer}, [], this._watchdogMs);
  }

  /**
   * time measures inference inside the worker (no messaging, no
   * preprocessing): warmup untimed runs, then runs timed ones, on input
   * (a raw tensor; default mid-grey). Each timed run is the mean of a
   * batch lasting at least 20 ticks of the browser's clock
   * (info.features.timerResolutionMs), so a 1 ms clock still times a
   * 0.6 ms model.
   */
  async time({runs = 20, warmup = 3, input = null} = {}) {
    let buf = null;
    if (input) {
      const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      buf = b.slice().buffer;
    }
    return quantiles(await this._ch.call('time', {input: buf, runs, warmup}));
  }

  /**
   * setSimd switches this classifier between the SIMD kernels and the
   * portable ones (same results; for A/B timing). Turning SIMD on fails
   * when it is not linked. Returns and records the new info.simd (and
   * info.kernels, info.relaxedSimd).
   */
  async setSimd(on) {
    const state = await this._ch.call('setSimd', {on: Boolean(on)});
    this.info.simd = state === SIMD_ON;
    this.info.kernels = this.info.simd ? this._kernelFile : 'portable';
    this.info.relaxedSimd = this.info.simd && this._kernelFile === RELAXED_SIMD_FILE;
    return this.info.simd;
  }

  /**
   * teacher starts a teaching session on this classifier's model: new
   * classes from examples, trained in the worker (see Teacher below).
   * Options: classes (names), state (a saved project: Teacher.save()).
   */
  teacher(opts = {}) {
    return startTeacher(this, opts);
  }

  /** dispose stops the worker; later calls reject with code 'disposed'. */
  dispose() {
    this._ch.close(new MobilenetError('disposed', 'the classifier was disposed'));
  }
}

// asBytes copies the caller's bytes (the copy is transferred to the worker,
// which detaches it).
function asBytes(x) {
  if (x instanceof ArrayBuffer) return x.slice(0);
  if (ArrayBuffer.isView(x)) return x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength);
  return null;
}

/**
 * load starts a worker, fetches the model and loads it. Options (see
 * mobilenet.d.ts): model (a catalog name, bytes or a Blob/File), modelUrl,
 * head / headUrl (the head of a split model), labels / labelsUrl, simd
 * (default: when supported), relaxedSimd (true: simd-relaxed.wasm when the
 * browser has relaxed SIMD; default: where it is faster, see engine-link.js
 * kernelFiles), threads (kernel threads; default defaultThreads()),
 * requant ('fp32' or 'reference'), engine ('full', the default, or
 * 'classify': ENGINE_FILES), cache, onProgress, baseUrl (where
 * engine.wasm lives), modelsUrl, watchdogMs (how long classify, embed and
 * infer may go unanswered before the worker is taken for dead: a 'crash'
 * error; default DEFAULT_WATCHDOG_MS, 0 = never).
 */
export async function load(opts = {}) {
  const baseUrl = new URL(opts.baseUrl || here.href, location.href).href;
  const wantSimd = opts.simd === undefined ? simdSupported() : Boolean(opts.simd) && simdSupported();
  const fetchOpts = {onProgress: opts.onProgress, cache: opts.cache !== false, signal: opts.signal};
  const plan = threadPlan(opts, wantSimd);
  const engine = opts.engine === undefined ? 'full' : opts.engine;
  if (!Object.hasOwn(ENGINE_FILES, engine)) throw new MobilenetError('argument', `engine must be ${Object.keys(ENGINE_FILES).map((k) => `'${k}'`).join(' or ')}, not ${JSON.stringify(opts.engine)}`);

  // Start the engine while the model downloads, and the worker with it
  // (its scripts, the engine's instantiation and Go runtime start).
  const {engineP, simdP} = linkModules(baseUrl, wantSimd, opts.relaxedSimd, plan, engine);
  const kernels = plan.threads > 1 ? {url: kernelWorkerUrl(baseUrl), n: plan.threads - 1} : null;
  const live = {ch: new Channel(startWorker(baseUrl), kernels), kernelFile: ''};
  engineP.then(() => mark('engine-compiled'), () => {});
  const initP = Promise.all([engineP, simdP]).then(([engineModule, {module: simdModule, file}]) => {
    live.kernelFile = file;
    return live.ch.call('init', {engineModule, simdModule, wantSimd, threads: plan.threads});
  }).catch(async (e) => {
    if (plan.threads <= 1) throw e;
    // The threaded build did not start (no room for its shared memory's
    // maximum, say): the plain one, on one thread.
    live.ch.close(new MobilenetError('load', 'replaced by a single-threaded engine'));
    plan.threads = 1;
    plan.reason = `the threaded engine did not start: ${e.message || e}`;
    const single = {threads: 1, reason: ''};
    const plain = linkModules(baseUrl, wantSimd, opts.relaxedSimd, single, engine);
    const [engineModule, {module: simdModule, file}] = await Promise.all([plain.engineP, plain.simdP]);
    plan.engine = single.engine;
    live.kernelFile = file;
    live.ch = new Channel(startWorker(baseUrl));
    return live.ch.call('init', {engineModule, simdModule, wantSimd, threads: 1});
  });
  initP.then((init) => {
    markSteps(init.steps);
    mark('engine-started');
  }, () => {});
  try {
    return await loadInto(live, initP, plan, opts, {baseUrl, fetchOpts});
  } catch (e) {
    live.ch.close(e instanceof MobilenetError ? e : new MobilenetError('load', String(e)));
    throw e instanceof MobilenetError ? e : new MobilenetError('load', e.message || String(e));
  }
}

// loadInto is load's work once the worker (live.ch) starts: fetch the
// model, head and labels while initP (the worker's "init") runs, then load
// them. live.kernelFile names the kernel module linked once initP has
// resolved, and live.ch the worker (a new one when the threaded engine
// did not start).
async function loadInto(live, initP, plan, opts, {baseUrl, fetchOpts}) {

  let name = opts.name || '';
  let model = null;
  let head = null;
  let modelUrl = opts.modelUrl;
  let headUrl = opts.headUrl;
  let labelsUrl = opts.labelsUrl;
  if (typeof opts.model === 'string') {
    const all = await catalog({modelsUrl: opts.modelsUrl || new URL('models/', baseUrl).href});
    const e = all.find((m) => m.name === opts.model || m.file === opts.model);
    if (!e) throw new MobilenetError('load', `no model named ${opts.model} in the catalog`);
    if (!e.model_url) throw new MobilenetError('load', `${e.name} is not in the server's models folder (mobilenet models fetch ${e.name})`);
    name = e.name;
    modelUrl = modelUrl || e.model_url;
    headUrl = headUrl || e.head_url;
    labelsUrl = labelsUrl || e.labels_url;
  } else if (opts.model instanceof Blob) {
    model = await opts.model.arrayBuffer();
    name = name || opts.model.name || 'model.tflite';
  } else if (opts.model) {
    model = asBytes(opts.model);
    if (!model) throw new MobilenetError('argument', 'model must be a catalog name, an ArrayBuffer, a typed array or a Blob');
  }
  if (!model && !modelUrl) throw new MobilenetError('argument', 'load needs model or modelUrl');
  if (!name && modelUrl) name = decodeURIComponent(new URL(modelUrl, location.href).pathname.split('/').pop());
  if (opts.head instanceof Blob) head = await opts.head.arrayBuffer();
  else if (opts.head) head = asBytes(opts.head);

  let labels = null;
  [model, head, labels] = await Promise.all([
    model ? Promise.resolve(model) : fetchBytes(modelUrl, fetchOpts),
    head || !headUrl ? Promise.resolve(head) : fetchBytes(headUrl, fetchOpts),
    labelsUrl ? fetchBytes(labelsUrl, {cache: fetchOpts.cache}).then((b) => new TextDecoder().decode(b)) : Promise.resolve(null),
  ]);
  if (Array.isArray(opts.labels)) labels = opts.labels.join('\n');
  else if (typeof opts.labels === 'string') labels = opts.labels;

  mark('model-downloaded');
  const flags = opts.requant === 'reference' ? FLAG_REFERENCE : 0;
  const init = await initP;
  const ch = live.ch; // the first worker, or its single-threaded replacement
  ch.workerCanvas = init.features.offscreenCanvas;
  const [{simdState, ...info}] = await Promise.all([ch.call('load', {model, head, labels, flags}, [model, ...(head ? [head] : [])]), cacheWrites()]);
  const file = live.kernelFile;
  const kernelSet = file.replace(/-threads\.wasm$/, '.wasm');
  let simdReason = init.simdReason;
  if (init.simd && simdState !== SIMD_ON) simdReason = simdState === SIMD_OFF ? 'SIMD kernels linked but switched off' : `the engine did not accept ${file} (ABI version?)`;
  const on = simdState === SIMD_ON;
  const clf = new Classifier(ch, {
    ...info,
    name,
    abi: ENGINE_ABI_VERSION,
    simd: on,
    simdLinked: simdState !== SIMD_UNLINKED,
    simdSupported: simdSupported(),
    simdReason: on ? '' : simdReason,
    // Which kernels run: the module linked (simd.wasm or simd-relaxed.wasm,
    // whether or not its shared-memory copy: info.threads says), or
    // 'portable'.
    kernels: on ? kernelSet : 'portable',
    // Which engine build runs (ENGINE_FILES): 'classify' cannot teach.
    engine: plan.engine,
    relaxedSimd: on && kernelSet === RELAXED_SIMD_FILE,
    relaxedSimdSupported: relaxedSimdSupported(),
    // Kernel threads: how many run, and why only one when so.
    threads: init.threads,
    threadsReason: init.threads > 1 ? '' : plan.reason || init.threadsReason,
    // What differs between browsers, on the page; workerCanvas is the
    // worker's OffscreenCanvas (without it, frames travel as RGBA).
    features: {...pageFeatures(), workerCanvas: init.features.offscreenCanvas},
  }, opts.watchdogMs === undefined ? DEFAULT_WATCHDOG_MS : Math.max(0, Number(opts.watchdogMs) || 0));
  clf._kernelFile = kernelSet;
  return clf;
}

// ---------------------------------------------------------------------------
// Teaching: new classes from examples (transfer learning on the model's
// feature vectors, in the worker; the mn_teach_* exports of wasm/doc.go).

// teachError drops the export's name from the engine's messages.
function teachError(e) {
  if (e instanceof MobilenetError) {
    e.message = e.message.replace(/^mn_teach_\w+: /, '');
    return e;
  }
  return new MobilenetError('internal', e.message || String(e));
}

// camelProgress turns one epoch of the engine's progress into the API's.
function camelProgress(p) {
  return {epoch: p.epoch, phase: p.phase, loss: p.loss, trainAcc: p.train_acc, valAcc: p.val_acc, valLoss: p.val_loss, best: p.best, done: p.done};
}

/**
 * Teacher is a teaching session in a classifier's worker: named classes of
 * examples (kept as feature vectors), a head trained on them, a .tflite
 * export. Get one from classifier.teacher() or openProject().
 */
export class Teacher {
  constructor(clf, session, info) {
    this._clf = clf;
    this._session = session;
    this._training = null;
    /** The session's description: model, dim, quant, classes [{name, count}], head, training, history. */
    this.info = info;
  }

  async _call(op, args = {}, transfer = []) {
    try {
      return await this._clf._ch.call(op, {...args, session: this._session}, transfer);
    } catch (e) {
      throw teachError(e);
    }
  }

  _update(info) {
    this.info = info;
    return info;
  }

  /** The classes: [{name, count}], in index order. */
  get classes() {
    return this.info.classes;
  }

  /** Whether a head has been trained (classify and exportModel work). */
  get trained() {
    return Boolean(this.info.head);
  }

  /** refresh re-reads info from the worker. */
  async refresh() {
    return this._update(await this._call('teachInfo'));
  }

  /** addClass adds a class and returns its index. Adding a class drops the trained head. */
  async addClass(name) {
    this._update(await this._call('teachClass', {index: this.info.classes.length, name: String(name)}));
    return this.info.classes.length - 1;
  }

  /** renameClass renames class index (the head keeps working). */
  async renameClass(index, name) {
    this._update(await this._call('teachClass', {index, name: String(name)}));
  }

  /** deleteClass deletes a class and its examples; later classes move down. Drops the head. */
  async deleteClass(index) {
    this._update(await this._call('teachDeleteClass', {index}));
  }

  /**
   * addExample embeds an image (any ImageSource) into class index, with
   * augment more mirrored/cropped/brightened copies (default 0), and
   * resolves to the class's example count.
   */
  async addExample(index, source, {augment = 0} = {}) {
    let frame, transfer;
    try {
      [frame, transfer] = await framePayload(source, this._clf._ch);
    } catch (e) {
      throw teachError(e);
    }
    const r = await this._call('teachAddFrame', {index, frame, copies: augment}, transfer);
    if (this.info.classes[index]) this.info.classes[index].count = r.count;
    return r.count;
  }

  /** addEmbedding adds a feature vector (Float32Array of info.dim) to class index. */
  async addEmbedding(index, embedding) {
    const f = embedding instanceof Float32Array ? embedding : new Float32Array(embedding);
    const r = await this._call('teachAddEmbedding', {index, embedding: f.slice().buffer});
    if (this.info.classes[index]) this.info.classes[index].count = r.count;
    return r.count;
  }

  /** removeExample removes example i (in the order added) of class index. */
  async removeExample(index, i) {
    this._update(await this._call('teachRemove', {index, example: i}));
  }

  /** clearClass removes every example of class index, or of every class without one. */
  async clearClass(index = -1) {
    this._update(await this._call('teachClear', {index}));
  }

  /**
   * train trains a head on the examples, a few epochs per worker call, and
   * resolves to {epochs: Progress[], head} when done. onProgress gets each
   * epoch. Aborting signal cancels: train rejects with code 'aborted' and
   * the head from before stays (keepPartial: the best head so far instead).
   * Options: epochs, hidden, lr, weightDecay, batchSize, patience, val,
   * seed, quant, qatEpochs, stepMs (worker time per call, default 50).
   */
  async train(opts = {}) {
    if (this._training) throw new MobilenetError('argument', 'this teacher is already training');
    const {onProgress, signal, keepPartial = false, stepMs = 50} = opts;
    const config = {};
    const keys = {epochs: 'epochs', hidden: 'hidden', lr: 'lr', weightDecay: 'weight_decay', batchSize: 'batch_size', patience: 'patience', val: 'val', seed: 'seed', quant: 'quant', qatEpochs: 'qat_epochs'};
    for (const [k, v] of Object.entries(keys)) if (opts[k] !== undefined) config[v] = opts[k];
    const aborted = () => new MobilenetError('aborted', keepPartial ? 'training cancelled; the best head so far is kept' : 'training cancelled; the previous head is kept');
    if (signal && signal.aborted) throw aborted();
    this._training = true;
    const epochs = [];
    try {
      await this._call('teachTrainStart', {config});
      for (;;) {
        if (signal && signal.aborted) {
          this._update(await this._call('teachTrainStop', {keep: keepPartial}));
          throw aborted();
        }
        const r = await this._call('teachTrainStep', {budgetMs: stepMs});
        for (const p of r.steps) {
          const c = camelProgress(p);
          epochs.push(c);
          if (onProgress) onProgress(c);
        }
        if (r.done) break;
      }
      await this.refresh();
      return {epochs, head: this.info.head};
    } finally {
      this._training = null;
    }
  }

  /** classify classifies an image with the trained head: [{index, label, score}], best first. */
  async classify(source, {topK = 5} = {}) {
    let frame, transfer;
    try {
      [frame, transfer] = await framePayload(source, this._clf._ch);
    } catch (e) {
      throw teachError(e);
    }
    return this._call('teachPredict', {frame, topK}, transfer);
  }

  /** exportModel returns the .tflite: the model up to its features, the head, softmax, labels. */
  async exportModel({name = '', description = ''} = {}) {
    return this._call('teachExport', {name, description});
  }

  /** save returns the project (classes, examples, head) as bytes for openProject / restore. */
  async save() {
    return this._call('teachSave');
  }

  /** restore replaces the classes, examples and head with a saved project; a damaged one changes nothing. */
  async restore(state) {
    const b = asBytes(state);
    if (!b) throw new MobilenetError('argument', 'a project is an ArrayBuffer or a typed array');
    return this._update(await this._call('teachRestore', {state: b}, [b]));
  }

  /** dispose ends the session (the classifier stays). */
  dispose() {
    this._clf._ch.call('teachFree', {session: this._session}).catch(() => {});
  }
}

async function startTeacher(clf, {classes = [], state = null} = {}) {
  if (clf.info.engine === 'classify') throw new MobilenetError('unsupported', `${clf.info.name} was loaded with engine 'classify', which cannot teach: load it with engine 'full' (the default)`);
  let r;
  try {
    r = await clf._ch.call('teachNew', {classes, model: clf.info.name});
  } catch (e) {
    throw teachError(e);
  }
  const t = new Teacher(clf, r.session, r.info);
  if (state) {
    try {
      await t.restore(state);
    } catch (e) {
      t.dispose();
      throw e;
    }
  }
  return t;
}

/** openProject starts a teacher on clf with a saved project (Teacher.save()). */
export function openProject(clf, state) {
  return startTeacher(clf, {state});
}

/** projectModel reads the model name a saved project was made with ('' if unknown or damaged). */
export function projectModel(state) {
  try {
    const b = state instanceof ArrayBuffer ? new Uint8Array(state) : new Uint8Array(state.buffer, state.byteOffset, state.byteLength);
    if (new TextDecoder().decode(b.subarray(0, 8)) !== 'MNTEACH1') return '';
    const n = new DataView(b.buffer, b.byteOffset + 8, 4).getUint32(0, true);
    return JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + n))).model || '';
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------
// Quantization: post-training quantization of a float model in a worker
// (the engine's mn_quant_* exports, wasm/doc.go "Quantization"; the same
// bytes as `mobilenet quantize` for the same pixels and options).

// quantOptionNames maps quantize()'s options to mn_quant_run's JSON fields.
const quantOptionNames = {
  format: 'format',
  method: 'method',
  percentile: 'percentile',
  inputType: 'input_type',
  outputType: 'output_type',
  equalize: 'equalize',
  absorbBias: 'absorb_bias',
  correctBias: 'correct_bias',
  relu6: 'relu6',
};

/**
 * quantize converts a float .tflite model into a quantized one, calibrated
 * on images, in its own worker, and resolves to the .tflite bytes.
 * model: the float model's bytes, a Blob/File, or a catalog name. images:
 * an array (or any iterable, e.g. a FileList) of what classify() takes,
 * used in order; the release's preprocessing applies (central crop 87.5%,
 * bilinear resize). Options (see mobilenet.d.ts): format ('uint8', the
 * default, or 'int8'), method, percentile, inputType, outputType, labels,
 * equalize / absorbBias / correctBias ('auto', 'on', 'off' or booleans),
 * relu6, onProgress({phase, done, total}), signal (an AbortSignal:
 * cancelling stops the worker at once and rejects with code 'aborted'),
 * simd, baseUrl, modelsUrl.
 */
export async function quantize(model, images, opts = {}) {
  const list = images ? Array.from(images) : [];
  if (list.length === 0) throw new MobilenetError('argument', 'no calibration images: add a few photos');
  const aborted = () => new MobilenetError('aborted', 'quantization cancelled');
  const signal = opts.signal;
  if (signal && signal.aborted) throw aborted();
  const options = {};
  for (const [k, field] of Object.entries(quantOptionNames)) {
    let v = opts[k];
    if (v === undefined || v === null) continue;
    if (typeof v === 'boolean') v = v ? 'on' : 'off';
    options[field] = v;
  }
  if (Array.isArray(opts.labels)) options.labels = opts.labels.map(String);
  else if (typeof opts.labels === 'string') options.labels = opts.labels.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');

  const baseUrl = new URL(opts.baseUrl || here.href, location.href).href;
  const wantSimd = opts.simd === undefined ? simdSupported() : Boolean(opts.simd) && simdSupported();
  // Calibration runs simd.wasm, whose float kernels round as the portable
  // ones do, so that the file is the CLI's byte for byte.
  const {engineP, simdP} = linkModules(baseUrl, wantSimd, false);

  let bytes;
  if (typeof model === 'string') {
    const all = await catalog({modelsUrl: opts.modelsUrl || new URL('models/', baseUrl).href});
    const e = all.find((m) => m.name === model || m.file === model);
    if (!e) throw new MobilenetError('load', `no model named ${model} in the catalog`);
    if (!e.model_url) throw new MobilenetError('load', `${e.name} is not in the server's models folder (mobilenet models fetch ${e.name})`);
    bytes = await fetchBytes(e.model_url, {signal});
  } else if (typeof Blob !== 'undefined' && model instanceof Blob) {
    bytes = await model.arrayBuffer();
  } else {
    bytes = asBytes(model);
    if (!bytes) throw new MobilenetError('argument', 'model must be a catalog name, an ArrayBuffer, a typed array or a Blob');
  }

  const progress = (phase, done) => {
    if (opts.onProgress) opts.onProgress({phase, done, total: list.length});
  };
  const [engineModule, {module: simdModule}] = await Promise.all([engineP, simdP]);
  if (signal && signal.aborted) throw aborted();
  const ch = new Channel(startWorker(baseUrl));
  const onAbort = () => ch.close(aborted());
  if (signal) signal.addEventListener('abort', onAbort);
  try {
    ch.workerCanvas = (await ch.call('init', {engineModule, simdModule, wantSimd})).features.offscreenCanvas;
    const handle = await ch.call('quantNew', {model: bytes}, [bytes]);
    progress('calibrate', 0);
    for (let i = 0; i < list.length; i++) {
      const [frame, transfer] = await framePayload(list[i], ch).catch((e) => {
        const name = list[i] && list[i].name ? list[i].name : `image ${i + 1}`;
        throw new MobilenetError(e.code || 'image', `${name}: ${e.message}`);
      });
      try {
        await ch.call('quantAdd', {handle, frame}, transfer);
      } catch (e) {
        const name = list[i] && list[i].name ? list[i].name : `image ${i + 1}`;
        throw e.code === 'input' ? new MobilenetError('input', `${name}: ${e.message}`, e.status) : e;
      }
      progress('calibrate', i + 1);
    }
    progress('quantize', list.length);
    const out = await ch.call('quantRun', {handle, options});
    progress('done', list.length);
    return out;
  } finally {
    if (signal) signal.removeEventListener('abort', onAbort);
    ch.close(new MobilenetError('disposed', 'the quantization worker was stopped'));
  }
}
