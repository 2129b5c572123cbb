// engine-link.js: how a JS host starts site/engine.wasm. It compiles the
// module, instantiates it with the WASI shim (wasi.js), and links the SIMD
// kernels (simd.wasm, or on request simd-relaxed.wasm where the browser has
// relaxed SIMD: kernelFiles) onto the engine's memory, or gives the engine stubs
// instead, so that it runs its portable Go kernels (no wasm SIMD, no
// simd.wasm, or SIMD turned off). The loader's worker (worker.js) and the
// benchmark page (bench.js) both start the engine through here.
//
// The ABI is described in wasm/doc.go. Its numbers and names are exported
// below, the JS copy of package wasm/abi: a Go test there fails when the
// two differ, or when another site/*.js file writes an ABI version itself.
//
// instantiateKernels is the one step that needs no engine instance: it
// puts simd.wasm on any memory, so that the kernel workers
// (kernel-worker.js) run kernels on the engine's memory when it is shared
// (kernel threads: engine-threads.wasm and simd-threads.wasm, in
// cross-origin isolated pages; see startKernelThreads).

import {createWASI} from './wasi.js';

/** What the engine's mn_abi_version returns: the ABI this file speaks. */
export const ENGINE_ABI_VERSION = 1;
/** What simd.wasm's version export returns; the engine links no other. */
export const SIMD_ABI_VERSION = 1;
/** The module name of the engine's kernel imports. */
export const SIMD_IMPORT_MODULE = 'simd';
/** simd.wasm's version export (and the engine's import of it). */
export const SIMD_VERSION_EXPORT = 'simd_abi_version';
/** The module and name under which simd.wasm imports the engine's memory. */
export const SIMD_MEMORY_MODULE = 'engine';
export const SIMD_MEMORY_NAME = 'memory';
/** The kernel-thread imports the host provides itself (wasm/doc.go, "Kernel threads"). */
export const SIMD_THREADS_IMPORT = 'simd_threads';
export const SIMD_PARALLEL_IMPORT = 'simd_parallel';
/** The most kernel instances a layer is split across. */
export const MAX_THREADS = 16;
/** The least work (GEMM multiply-accumulates) the engine gives a part of a split layer (kernels/simd: MinPartWork). */
export const MIN_PART_WORK = 262144;
/** Work per multiply-accumulate of depthwise and convolution layers, relative to a GEMM's (kernels/simd: Work). */
export const DW_WORK_PER_MAC = 2;
export const CONV_WORK_PER_MAC = 2;

/** Status codes of the exports. */
export const STATUS_OK = 0;
export const STATUS_ARGUMENT = -1;
export const STATUS_INPUT = -2;
export const STATUS_INTERNAL = -3;

/** mn_load's flag for TFLite's reference requantization. */
export const FLAG_REFERENCE = 1;

/** What mn_simd answers: simd.wasm not linked, linked but off, in use. */
export const SIMD_UNLINKED = 0;
export const SIMD_OFF = 1;
export const SIMD_ON = 2;

/**
 * LinkError is what this module throws: code 'network' (a fetch failed) or
 * 'unsupported' (a module does not compile, or speaks another ABI), the
 * codes the loader reports.
 */
export class LinkError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

// The smallest module using a SIMD instruction (i8x16.popcnt of a splat).
const simdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The smallest module using a relaxed SIMD instruction
// (i8x16.relaxed_swizzle of two splats).
const relaxedSimdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 15, 1, 13, 0, 65, 0, 253, 15, 65, 0, 253, 15, 253, 128, 2, 11,
]);

/** The kernel modules: plain wasm SIMD, and the same kernels with relaxed SIMD. */
export const SIMD_FILE = 'simd.wasm';
export const RELAXED_SIMD_FILE = 'simd-relaxed.wasm';

/**
 * relaxedSimdSupported reports whether this browser validates relaxed
 * SIMD (Chromium 114+, Firefox 145+).
 */
export function relaxedSimdSupported() {
  try {
    return WebAssembly.validate(relaxedSimdProbe);
  } catch {
    return false;
  }
}

/**
 * inFirefox reports whether this is Firefox, where the relaxed SIMD kernels
 * are slower (relaxedSimdDefault).
 */
export function inFirefox() {
  return typeof navigator !== 'undefined' && /Firefox\//.test(navigator.userAgent);
}

// relaxedSimdDefault is whether loaders link simd-relaxed.wasm when not
// told (load's relaxedSimd option): yes but in Firefox. Measured in
// interleaved runs on the float model (the only one whose kernels differ),
// the relaxed kernels took 0.92-0.955x the time of simd.wasm's in Chromium
// 156 but about 1.3x in Firefox ESR 153 (whose GEMM and im2col kernels
// slow down with f32x4.relaxed_madd); the integer kernels are the same
// code. See README, Speed.
function relaxedSimdDefault() {
  return !inFirefox();
}

/**
 * kernelFiles lists the kernel modules to try, best first: with relaxed
 * (default: relaxedSimdDefault) and a browser that validates relaxed SIMD,
 * simd-relaxed.wasm (its float kernels use f32x4.relaxed_madd; the same
 * exports and results within the float contract, integer outputs
 * identical), then simd.wasm, the fallback when that file is missing or
 * does not compile. Without wasm SIMD, none.
 *
 * @param {{relaxed?: boolean}} [opts]
 * @returns {string[]}
 */
export function kernelFiles({relaxed = relaxedSimdDefault()} = {}) {
  if (!simdSupported()) return [];
  return relaxed && relaxedSimdSupported() ? [RELAXED_SIMD_FILE, SIMD_FILE] : [SIMD_FILE];
}

/** simdSupported reports whether this browser runs WebAssembly SIMD (128-bit). */
export function simdSupported() {
  try {
    return WebAssembly.validate(simdProbe);
  } catch {
    return false;
  }
}

/**
 * compileWasm fetches and compiles the module at url. With optional, a
 * missing file (HTTP 404) or one that does not compile gives null instead
 * of a LinkError. response, when given, is a fetch of url already under
 * way (a page's early start of its engine, site/index.html).
 *
 * @param {string} url
 * @param {{optional?: boolean, response?: Promise<Response>}} [opts]
 * @returns {Promise<WebAssembly.Module | null>}
 */
export async function compileWasm(url, {optional = false, response} = {}) {
  let resp;
  try {
    resp = await (response || fetch(url));
  } catch (e) {
    throw new LinkError('network', `cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) {
    if (optional && resp.status === 404) return null;
    throw new LinkError('network', `cannot fetch ${url}: HTTP ${resp.status}`);
  }
  try {
    if ((resp.headers.get('content-type') || '').startsWith('application/wasm')) {
      return await WebAssembly.compileStreaming(resp);
    }
    return await WebAssembly.compile(await resp.arrayBuffer());
  } catch (e) {
    if (optional) return null;
    throw new LinkError('unsupported', `cannot compile ${url}: ${e.message}`);
  }
}

/**
 * kernelImports lists the compiled engine's SIMD imports (the kernels and
 * the version function); a portable build has none.
 *
 * @param {WebAssembly.Module} engineModule
 * @returns {WebAssembly.ModuleImportDescriptor[]}
 */
export function kernelImports(engineModule) {
  return WebAssembly.Module.imports(engineModule).filter((i) => i.module === SIMD_IMPORT_MODULE && i.kind === 'function');
}

/**
 * kernelNames lists simd.wasm's kernels by number, the numbers
 * simd_parallel passes: its function exports in order, without the version
 * export (wasm/doc.go).
 *
 * @param {WebAssembly.Module} simdModule
 * @returns {string[]}
 */
export function kernelNames(simdModule) {
  return WebAssembly.Module.exports(simdModule)
    .filter((e) => e.kind === 'function' && e.name !== SIMD_VERSION_EXPORT)
    .map((e) => e.name);
}

/**
 * threadsSupported reports whether this context can run kernel threads:
 * shared memory needs a cross-origin isolated page (COOP and COEP
 * headers), and the workers need Atomics.wait.
 */
export function threadsSupported() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
}

// The control block of the kernel threads: for each kernel worker, CTL
// int32 slots: a request counter the worker waits on, the kernel number,
// the argument block's address, the counter of the last request it ran,
// whether that failed, and the request's state: pending, or taken by the
// worker. A part still pending when the caller has done its own is taken
// back and run by the caller: a worker the system has not scheduled (a
// busy machine) costs nothing but its own part.
const CTL = 8;
const CTL_REQ = 0;
const CTL_KERNEL = 1;
const CTL_ARGS = 2;
const CTL_DONE = 3;
const CTL_FAILED = 4;
const CTL_STATE = 5;
const CTL_STOP = 6; // set when the worker is to leave its loop

const IDLE = 0;
const PENDING = 1;
const TAKEN = 2;
// SPIN is how many times a side polls the control block before it sleeps
// in Atomics.wait: a layer's part takes tens of microseconds, waking a
// sleeping thread about as long.
const SPIN = 50000;
// STOP_WAIT_MS is how long terminate waits for kernel workers to leave
// their loops (they do within microseconds unless busy with a part).
const STOP_WAIT_MS = 500;

/**
 * kernelWorkerLoop is the body of a kernel worker (kernel-worker.js): it
 * waits for requests in its slot of the control block and runs those it
 * takes (the caller may take a pending one back) on fns (simd.wasm's
 * kernels by number), until its slot's stop flag is set.
 *
 * @param {Int32Array} ctl
 * @param {number} slot
 * @param {Function[]} fns
 */
export function kernelWorkerLoop(ctl, slot, fns) {
  const base = slot * CTL;
  let seen = Atomics.load(ctl, base + CTL_REQ);
  for (;;) {
    for (let i = 0; i < SPIN && Atomics.load(ctl, base + CTL_REQ) === seen && Atomics.load(ctl, base + CTL_STATE) !== PENDING; i++);
    if (Atomics.load(ctl, base + CTL_STATE) !== PENDING) Atomics.wait(ctl, base + CTL_REQ, seen);
    // Chromium cannot terminate a worker blocked in Atomics.wait at once
    // (it waits seconds, then kills it): the worker returns when told to.
    if (Atomics.load(ctl, base + CTL_STOP)) return;
    seen = Atomics.load(ctl, base + CTL_REQ);
    if (Atomics.compareExchange(ctl, base + CTL_STATE, PENDING, TAKEN) !== PENDING) continue; // taken back
    const req = Atomics.load(ctl, base + CTL_REQ); // the caller issues no other before this is done
    let failed = 0;
    try {
      fns[Atomics.load(ctl, base + CTL_KERNEL)](Atomics.load(ctl, base + CTL_ARGS));
    } catch (e) {
      failed = 1;
      console.error('[mobilenet kernel thread]', e);
    }
    Atomics.store(ctl, base + CTL_FAILED, failed);
    Atomics.store(ctl, base + CTL_STATE, IDLE);
    Atomics.store(ctl, base + CTL_DONE, req);
    Atomics.notify(ctl, base + CTL_DONE);
    seen = req;
  }
}

// KERNEL_WORKER is the kernel thread's script, beside this module.
const KERNEL_WORKER = 'kernel-worker.js';

/** kernelWorkerUrl is the kernel thread's script beside base (default: this module). */
export function kernelWorkerUrl(base = import.meta.url) {
  return new URL(KERNEL_WORKER, base).href;
}

// SPAWN_KERNEL_WORKER names the engine worker's request to the page that
// started it, {[SPAWN_KERNEL_WORKER]: port, url}: start a worker on url
// (KERNEL_WORKER) and pass it the port (see startKernelThreads).
export const SPAWN_KERNEL_WORKER = 'mnSpawnKernelWorker';

/**
 * startModuleWorker starts a module worker running url: directly when it
 * is on this page's origin, else through a blob that imports it (a page
 * cannot start another origin's script as a worker; the server sends
 * CORS headers).
 */
export function startModuleWorker(url) {
  if (new URL(url).origin === location.origin) return new Worker(url, {type: 'module'});
  const blob = new Blob([`import ${JSON.stringify(url)};\n`], {type: 'text/javascript'});
  return new Worker(URL.createObjectURL(blob), {type: 'module'});
}

/**
 * loadScript runs the classic script at src in this page (Go's
 * wasm_exec.js for ui.wasm, TFLite's wasm build for the benchmark page),
 * resolving once it ran.
 *
 * @param {string} src
 * @returns {Promise<void>}
 */
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.append(el);
  });
}

/**
 * startKernelThreads starts n kernel workers (kernel-worker.js), each
 * running simdModule on memory (shared), and returns once all are ready:
 * parallel(fns, kernel, jobs, count) then runs part 0 of a layer on fns
 * (the caller's own kernels by number) and offers parts 1.. to the
 * workers, runs those no worker has started by then itself, and returns
 * when all are done. Close the workers with terminate().
 *
 * @param {WebAssembly.Module} simdModule
 * @param {WebAssembly.Memory} memory
 * @param {number} n
 * @returns {Promise<{workers: number, parallel: Function, terminate: () => Promise<void>}>}
 */
export async function startKernelThreads(simdModule, memory, n) {
  const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL * n));
  const url = kernelWorkerUrl();
  const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;
  const workers = [];
  const stopped = []; // resolved when each worker says it left its loop
  // terminate tells every worker to leave its loop and waits (at most
  // STOP_WAIT_MS) until they say they did, then terminates them: none is
  // terminated in the middle of a part or while waking from Atomics.wait.
  const terminate = async () => {
    for (let slot = 0; slot < n; slot++) {
      Atomics.store(ctl, slot * CTL + CTL_STOP, 1);
      Atomics.add(ctl, slot * CTL + CTL_REQ, 1);
      Atomics.notify(ctl, slot * CTL + CTL_REQ);
    }
    await Promise.race([Promise.all(stopped), new Promise((r) => setTimeout(r, STOP_WAIT_MS))]);
    workers.forEach((w) => w.terminate());
  };
  try {
    await Promise.all(Array.from({length: n}, (_, slot) => new Promise((resolve, reject) => {
      let w;
      if (inWorker) {
        // The page starts the kernel worker (mobilenet.js, Channel) and
        // hands it one end of a channel: in Firefox a worker's own
        // `new Worker()` sometimes never returned (while other workers
        // were being ended); started by the page, none hung in 80 loads.
        const {port1, port2} = new MessageChannel();
        self.postMessage({[SPAWN_KERNEL_WORKER]: port2, url}, [port2]);
        w = port1;
        w.terminate = () => port1.postMessage({quit: true}); // and the page terminates it
      } else {
        w = startModuleWorker(url);
      }
      workers.push(w);
      stopped.push(new Promise((left) => {
        w.onmessage = (e) => {
          if (e.data.stopped) left();
          else if (e.data.ok) resolve();
          else reject(new Error(e.data.error));
        };
      }));
      w.onerror = (e) => reject(new Error(`kernel worker: ${e.message || 'failed to start'}`));
      w.postMessage({simdModule, memory, ctl, slot});
    })));
  } catch (e) {
    await terminate();
    throw e;
  }
  // A page's main thread may not Atomics.wait (the benchmark page runs
  // the engine there): it polls instead.
  const canWait = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;
  let view = new Uint32Array(memory.buffer); // renewed when the memory grows
  const want = new Int32Array(n); // each worker's request counter to wait for
  const parallel = (fns, kernel, jobs, count) => {
    if (count < 2 || count > n + 1 || !fns[kernel]) throw new Error(`simd_parallel(${kernel}, ${jobs}, ${count}): want 2 to ${n + 1} parts of a known kernel`);
    if (view.byteLength !== memory.buffer.byteLength) view = new Uint32Array(memory.buffer);
    const first = view[jobs >>> 2];
    for (let i = 1; i < count; i++) {
      const base = (i - 1) * CTL;
      Atomics.store(ctl, base + CTL_KERNEL, kernel);
      Atomics.store(ctl, base + CTL_ARGS, view[(jobs >>> 2) + i]);
      want[i - 1] = Atomics.add(ctl, base + CTL_REQ, 1) + 1;
      Atomics.store(ctl, base + CTL_STATE, PENDING); // after REQ: a worker that takes it reads this request's number
      Atomics.notify(ctl, base + CTL_REQ);
    }
    fns[kernel](first);
    let failed = false;
    for (let i = 1; i < count; i++) {
      const base = (i - 1) * CTL;
      if (Atomics.compareExchange(ctl, base + CTL_STATE, PENDING, IDLE) === PENDING) {
        fns[kernel](view[(jobs >>> 2) + i]); // its worker has not started it: run it here
        continue;
      }
      const w = want[i - 1];
      for (let s = 0; s < SPIN && Atomics.load(ctl, base + CTL_DONE) !== w; s++);
      for (let d; (d = Atomics.load(ctl, base + CTL_DONE)) !== w;) if (canWait) Atomics.wait(ctl, base + CTL_DONE, d);
      if (ctl[base + CTL_FAILED]) failed = true;
    }
    if (failed) throw new Error('a kernel thread trapped');
  };
  return {workers: n, parallel, terminate};
}

/**
 * instantiateKernels instantiates simd.wasm on memory (an engine's, or one
 * shared by several instances) and returns its exports, after checking
 * that it exports every name of names (the kernels an engine imports).
 *
 * @param {WebAssembly.Module} simdModule
 * @param {WebAssembly.Memory} memory
 * @param {string[]} [names]
 * @returns {Promise<WebAssembly.Exports>}
 */
export async function instantiateKernels(simdModule, memory, names = []) {
  for (const i of WebAssembly.Module.imports(simdModule)) {
    if (i.kind !== 'memory' || i.module !== SIMD_MEMORY_MODULE || i.name !== SIMD_MEMORY_NAME) {
      throw new Error(`simd.wasm: unexpected import ${i.module}.${i.name}`);
    }
  }
  const instance = await WebAssembly.instantiate(simdModule, {[SIMD_MEMORY_MODULE]: {[SIMD_MEMORY_NAME]: memory}});
  const missing = names.filter((n) => typeof instance.exports[n] !== 'function');
  if (missing.length) throw new Error(`simd.wasm lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}`);
  return instance.exports;
}

/**
 * instantiateEngine instantiates the compiled engine with the WASI shim,
 * links simdModule (when given, and when the engine imports kernels) onto
 * its memory, runs _initialize and checks the ABI version. The engine's
 * kernel imports forward to simd.wasm's exports of the same name; when
 * nothing is linked, the version import answers 0, so the engine runs its
 * portable kernels and calls none.
 *
 * A simd.wasm that does not link is not an error: the engine runs
 * portable, and simdReason says why.
 *
 * @param {WebAssembly.Module} engineModule
 * @param {object} [opts]
 * @param {WebAssembly.Module | null} [opts.simdModule] simd.wasm, or null
 * @param {(line: string) => void} [opts.stdout] the engine's stdout lines
 * @param {(line: string) => void} [opts.stderr] its stderr lines (fatal Go errors)
 * @param {(name: string, forward: (args: number) => void) => (args: number) => void} [opts.wrapKernel]
 *   wraps each kernel's forwarder (to count or time calls)
 * @param {number} [opts.threads] kernel instances to run (default 1): above
 *   1, engineModule and simdModule must be the shared-memory builds
 *   (engine-threads.wasm, simd-threads.wasm) and threadsSupported() true;
 *   threads-1 kernel workers start (startKernelThreads). When they cannot,
 *   the engine runs on one thread and threadsReason says why.
 * @returns {Promise<{instance: WebAssembly.Instance, exports: WebAssembly.Exports,
 *   kernelImports: number, simd: boolean, simdReason: string, kernels: WebAssembly.Exports | null,
 *   threads: number, threadsReason: string, terminate: () => Promise<void>}>}
 *   simd: whether simd.wasm is linked; kernels: its exports, or null;
 *   threads: the kernel instances running; terminate: stops the kernel workers
 */
export async function instantiateEngine(engineModule, {simdModule = null, stdout, stderr, wrapKernel, threads = 1, step = () => {}} = {}) {
  const wasi = createWASI(engineModule, {stdout, stderr});
  const imports = {wasi_snapshot_preview1: wasi.imports};
  const wanted = kernelImports(engineModule);
  let kernels = null; // simd.wasm's exports, once linked
  let pool = null; // the kernel threads, once started
  let byNumber = []; // simd.wasm's kernels by number (simd_parallel's)
  if (wanted.length) imports[SIMD_IMPORT_MODULE] = {};
  for (const {name} of wanted) {
    if (name === SIMD_VERSION_EXPORT) {
      imports[SIMD_IMPORT_MODULE][name] = () => (kernels ? kernels[name]() : 0);
      continue;
    }
    if (name === SIMD_THREADS_IMPORT) {
      imports[SIMD_IMPORT_MODULE][name] = () => (pool ? pool.workers + 1 : 1);
      continue;
    }
    if (name === SIMD_PARALLEL_IMPORT) {
      imports[SIMD_IMPORT_MODULE][name] = (kernel, jobs, n) => {
        if (!pool) throw new Error('simd_parallel called without kernel threads');
        pool.parallel(byNumber, kernel, jobs, n);
      };
      continue;
    }
    const forward = (args) => {
      if (!kernels) throw new Error(`SIMD kernel ${name} called, but simd.wasm is not linked`);
      return kernels[name](args);
    };
    imports[SIMD_IMPORT_MODULE][name] = wrapKernel ? wrapKernel(name, forward) : forward;
  }

  const instance = await WebAssembly.instantiate(engineModule, imports);
  step('engine-instantiated');
  const x = instance.exports;
  wasi.setMemory(x.memory);

  let simdReason = '';
  if (wanted.length === 0) {
    simdReason = 'this engine.wasm imports no SIMD kernels (portable build)';
  } else if (!simdModule) {
    simdReason = 'simd.wasm is not available or this browser has no wasm SIMD';
  } else {
    try {
      const own = wanted.map((i) => i.name).filter((n) => n !== SIMD_THREADS_IMPORT && n !== SIMD_PARALLEL_IMPORT);
      kernels = await instantiateKernels(simdModule, x.memory, own);
    } catch (e) {
      simdReason = `SIMD kernels not linked: ${e.message}`;
    }
  }

  let threadsReason = '';
  let poolP = null; // the kernel threads, starting
  const n = Math.min(Math.max(1, Math.floor(Number(threads)) || 1), MAX_THREADS);
  if (n === 1) {
    threadsReason = 'one thread requested';
  } else if (!kernels) {
    threadsReason = 'kernel threads run the SIMD kernels, which are not linked';
  } else if (!threadsSupported()) {
    threadsReason = 'the page is not cross-origin isolated (shared memory needs COOP and COEP headers)';
  } else if (!(x.memory.buffer instanceof SharedArrayBuffer)) {
    threadsReason = "this engine.wasm's memory is not shared (engine-threads.wasm is the threaded build)";
  } else {
    step('kernels-linked');
    poolP = (async () => {
      byNumber = kernelNames(simdModule).map((k) => kernels[k]);
      return startKernelThreads(simdModule, x.memory, n - 1);
    })();
    poolP.catch(() => {}); // awaited below
  }

  // The Go runtime starts while the kernel threads do: _initialize calls
  // no kernel (wasm/doc.go) and does not ask simd_threads, which the
  // engine first asks when it plans a model.
  x._initialize();
  step('engine-initialized');
  if (poolP) {
    try {
      pool = await poolP;
      step('kernel-threads-started');
    } catch (e) {
      threadsReason = `kernel threads did not start: ${e.message}`;
    }
  }
  const v = x.mn_abi_version();
  if (v !== ENGINE_ABI_VERSION) {
    if (pool) await pool.terminate();
    throw new LinkError('unsupported', `engine.wasm speaks ABI ${v}, this loader ${ENGINE_ABI_VERSION}`);
  }
  return {
    instance, exports: x, kernelImports: wanted.length, simd: kernels !== null, simdReason, kernels,
    threads: pool ? pool.workers + 1 : 1, threadsReason, terminate: async () => pool && pool.terminate(),
  };
}
