// bench.js: the benchmark page's logic (site/bench.html), an ES module.
//
// It times, interleaved in one page, on the same prepared input tensor:
//   - ours, SIMD:     site/engine.wasm with simd.wasm linked to its "simd"
//                     imports (when the engine has such imports);
//   - ours, portable: site/engine.wasm with the "simd" imports stubbed
//                     (simd_abi_version returns 0: the engine falls back to
//                     its portable Go kernels);
//   - ours, SIMD, 2 threads (simd2): engine-threads.wasm and
//                     simd-threads.wasm (shared memory), each large layer
//                     split across this page's thread and one kernel worker
//                     (wasm/doc.go, "Kernel threads"); needs a cross-origin
//                     isolated page;
//   - TFLite-wasm:    the official TFLite runtime compiled to wasm
//                     (@tensorflow/tfjs-tflite's tflite_web_api_cc_simd.wasm,
//                     XNNPACK, one thread), through its raw model runner
//                     (tfweb.TFLiteWebModelRunner: fill the input tensor,
//                     infer(), read the output tensor; no tfjs tensors);
//   - ours, relaxed:  the same with simd-relaxed.wasm (relaxed SIMD) linked
//                     instead, as the loader does where the browser has it;
//   - LiteRT.js (litert, litert2): Google's current web runtime
//                     (@litertjs/core, XNNPACK), its wasm CPU backend with
//                     numThreads 1 and 2, through its wasm bindings
//                     (loadModel, compileModel, run) as internal/litert
//                     drives it. One LiteRT.js loads per page: in a
//                     cross-origin isolated page its threaded build (both
//                     variants), else its single-threaded one (litert only).
//
// Our engine runs on this page's main thread through the C-like ABI of
// wasm/doc.go (mn_alloc, mn_load, mn_infer, mn_result_*), started and
// linked to simd.wasm by the loader's engine-link.js, not through the
// JS loader's worker: the input is already a tensor, and a postMessage round
// trip per inference would be measured instead of the engine. Each timed
// sample includes copying the input into the runtime's memory and running
// the whole model (for the 1.0_224 quant pair: the extractor, then the head
// on its output), for every variant alike.
//
// It is driven by bench/browser/run.mjs (headless Chromium), which serves
// this folder, the models, the golden tensors and tfjs-tflite's files from
// node_modules, and calls window.mnBench.run(config). The page also runs by
// hand: open the URL that `node bench/browser/run.mjs --serve` prints.

import {
  compileWasm, CONV_WORK_PER_MAC, DW_WORK_PER_MAC, instantiateEngine, kernelImports, loadScript, MIN_PART_WORK, SIMD_ON, simdSupported, STATUS_OK, threadsSupported,
} from './engine-link.js';

const log = (...a) => {
  const line = a.join(' ');
  console.log(line);
  const el = typeof document !== 'undefined' && document.getElementById('log');
  if (el) el.textContent += line + '\n';
};

// ---------------------------------------------------------- our engine (ABI)

// Engine is one instance of engine.wasm. simdModule, when given, is
// instantiated on the engine's memory and linked to its "simd" imports;
// otherwise those imports get stubs (simd_abi_version() = 0, so the engine
// never calls a kernel).
class Engine {
  static async create(engineModule, simdModule, threads = 1) {
    const e = new Engine();
    e.kernelCalls = 0;
    const linked = await instantiateEngine(engineModule, {
      simdModule,
      threads,
      stdout: l => console.log('engine: ' + l),
      stderr: l => console.error('engine: ' + l),
      // One host call per layer: counting them costs nothing measurable;
      // timing them is done only in the profile (scaling).
      wrapKernel: (name, forward) => (args) => {
        e.kernelCalls++;
        if (e.profile) return e.profile(name, args, forward);
        return forward(args);
      },
    });
    e.kernels = linked.kernels;
    if (simdModule && linked.kernelImports && !linked.simd) throw new Error(linked.simdReason);
    if (linked.threads !== threads) throw new Error(`${threads} kernel threads wanted, ${linked.threads} run: ${linked.threadsReason}`);
    e.threads = linked.threads;
    const x = linked.exports;
    e.x = x;
    e.simdImports = linked.kernelImports;
    e.simdLinked = linked.simd;
    // mn_simd (wasm/doc.go): SIMD_UNLINKED, SIMD_OFF or SIMD_ON. Engines
    // before it have no such export (null): --engine may be an old build.
    e.simdState = typeof x.mn_simd === 'function' ? x.mn_simd() : null;
    return e;
  }

  bytes(p, n) { return new Uint8Array(this.x.memory.buffer, p >>> 0, n >>> 0); }
  error() { return new TextDecoder().decode(this.bytes(this.x.mn_error_ptr(), this.x.mn_error_len()).slice()); }
  result() { return this.bytes(this.x.mn_result_ptr(), this.x.mn_result_len()); }

  put(data) {
    const p = this.x.mn_alloc(data.length) >>> 0;
    if (p === 0) throw new Error('mn_alloc: ' + this.error());
    this.bytes(p, data.length).set(data);
    return p;
  }

  // load loads model (and head) bytes; returns the model's info.
  load(model, head) {
    const x = this.x;
    const mp = this.put(model);
    const hp = head ? this.put(head) : 0;
    const h = x.mn_load(mp, model.length, hp, head ? head.length : 0, 0, 0, 0);
    x.mn_free(mp);
    if (hp) x.mn_free(hp);
    if (h === 0) throw new Error('mn_load: ' + this.error());
    if (x.mn_info(h) !== STATUS_OK) throw new Error('mn_info: ' + this.error());
    this.handle = h;
    this.info = JSON.parse(new TextDecoder().decode(this.result().slice()));
    return this.info;
  }

  // prepare copies nothing yet: it allocates the input block once.
  prepare(input) {
    this.input = input;
    this.inPtr = this.put(input);
  }

  // infer copies the input into the engine and runs the model; the output
  // stays in the result buffer.
  infer() {
    const x = this.x;
    new Uint8Array(x.memory.buffer, this.inPtr, this.input.length).set(this.input);
    const st = x.mn_infer(this.handle, this.inPtr, this.input.length);
    if (st !== STATUS_OK) throw new Error(`mn_infer: status ${st}: ${this.error()}`);
  }

  output() { return this.result().slice(); }

  dispose() {
    if (this.inPtr) this.x.mn_free(this.inPtr);
    if (this.handle) this.x.mn_free_model(this.handle);
    this.inPtr = 0;
    this.handle = 0;
  }
}

// scaling estimates how the engine's time scales with kernel threads, from
// a profile of engine e on one thread (runs inferences, every kernel call
// timed): each layer's time divided by the parts the engine splits it into
// on n threads (kernels/simd/split.go: min(n, output rows or register
// blocks, work / MIN_PART_WORK)), plus the time outside the kernels, which
// stays on one thread (Amdahl's law per layer; the cost of handing parts
// to other threads is left out, so measured 2-thread times check it).
function scaling(e, runs) {
  const byArgs = new Map();
  e.profile = (name, args, forward) => {
    const t0 = performance.now();
    const r = forward(args);
    const dt = performance.now() - t0;
    const p = byArgs.get(args) || {name, args, ms: 0, calls: 0};
    p.ms += dt;
    p.calls++;
    byArgs.set(args, p);
    return r;
  };
  const t0 = performance.now();
  try {
    for (let i = 0; i < runs; i++) e.infer();
  } finally {
    e.profile = null;
  }
  const total = (performance.now() - t0) / runs;
  const calls = [...byArgs.values()];
  const u32 = new Uint32Array(e.x.memory.buffer);
  const layers = calls.map((c) => {
    const a = (c.args >>> 2);
    const mr = +((c.name.match(/_(\d+)x\d+(c\d+)?__/) || [0, 1])[1]);
    let units = 1, macs = 0, work = 0;
    if (c.name.includes('_gemm_')) { // X XStride Out OutStride Rows K N
      units = Math.ceil(u32[a + 4] / mr);
      macs = u32[a + 4] * u32[a + 5] * u32[a + 6];
      work = macs;
    } else if (c.name.includes('_dwconv_')) { // X Out W Zero N InH InW C OutH OutW
      units = u32[a + 4] === 1 ? u32[a + 8] : 1;
      macs = u32[a + 4] * u32[a + 8] * u32[a + 9] * u32[a + 7] * 9;
      work = macs * DW_WORK_PER_MAC;
    } else if (c.name.includes('_conv_')) { // X Out W Zero Scratch N InH InW C OutH OutW OutC KH KW
      units = u32[a + 5] === 1 ? u32[a + 9] : 1;
      macs = u32[a + 5] * u32[a + 9] * u32[a + 10] * u32[a + 11] * u32[a + 12] * u32[a + 13] * u32[a + 8];
      work = macs * CONV_WORK_PER_MAC;
    }
    return {name: c.name, ms: c.ms / runs, units, macs, work};
  });
  const kernelMs = layers.reduce((x, l) => x + l.ms, 0);
  const serialMs = Math.max(0, total - kernelMs);
  const parts = (l, n) => Math.max(1, Math.min(n, l.units, Math.floor(l.work / MIN_PART_WORK)));
  const predicted = {};
  for (const n of [1, 2, 4, 8]) predicted[n] = serialMs + layers.reduce((x, l) => x + l.ms / parts(l, n), 0);
  const splitMs = layers.filter((l) => parts(l, 2) > 1).reduce((x, l) => x + l.ms, 0);
  return {totalMs: total, kernelMs, serialMs, parallelFraction: splitMs / total, predicted, layers};
}

// --------------------------------------------------------------- TFLite-wasm

let tfliteReady = null;

// loadTFLite loads tf-tflite.min.js from base (a folder that also holds the
// tflite_web_api_cc*.js/.wasm files: on load the script preloads the wasm
// build from its own folder). SharedArrayBuffer is hidden first, so its
// feature check reports no threads and it picks tflite_web_api_cc_simd.
function loadTFLite(base) {
  if (!tfliteReady) {
    tfliteReady = (async () => {
      const hadSAB = typeof SharedArrayBuffer !== 'undefined';
      const SAB = self.SharedArrayBuffer;
      try { delete self.SharedArrayBuffer; } catch (_) { /* not configurable */ }
      if (typeof SharedArrayBuffer !== 'undefined') self.SharedArrayBuffer = undefined;
      try {
        await loadScript(base + 'tf-tflite.min.js');
      } finally {
        // Back for our kernel threads and LiteRT.js: tfjs-tflite chose its
        // build when its script ran.
        if (hadSAB) self.SharedArrayBuffer = SAB;
      }
      if (!self.tfweb || !self.tfweb.TFLiteWebModelRunner) throw new Error('tf-tflite.min.js did not define tfweb.TFLiteWebModelRunner');
      const features = await self.tfweb.tflite_web_api.getWasmFeatures();
      return {features, hadSharedArrayBuffer: hadSAB, crossOriginIsolated: self.crossOriginIsolated === true};
    })();
  }
  return tfliteReady;
}

// TFLite wraps one or two (extractor + head) TFLiteWebModelRunners.
class TFLite {
  static async create(model, head) {
    const t = new TFLite();
    const opts = {numThreads: 1, enableProfiling: false};
    t.runners = [await self.tfweb.TFLiteWebModelRunner.create(model.buffer.slice(model.byteOffset, model.byteOffset + model.length), opts)];
    if (head) t.runners.push(await self.tfweb.TFLiteWebModelRunner.create(head.buffer.slice(head.byteOffset, head.byteOffset + head.length), opts));
    const desc = r => ({
      inputs: r.getInputs().map(i => ({name: i.name, dtype: i.dataType, shape: i.shape})),
      outputs: r.getOutputs().map(o => ({name: o.name, dtype: o.dataType, shape: o.shape})),
    });
    t.info = t.runners.map(desc);
    return t;
  }

  // prepare takes the raw bytes of the input tensor, viewed as the input's type.
  prepare(input) {
    const T = this.runners[0].getInputs()[0].data().constructor;
    this.input = new T(input.buffer, input.byteOffset, input.length / T.BYTES_PER_ELEMENT);
  }

  infer() {
    const [a, b] = this.runners;
    a.getInputs()[0].data().set(this.input);
    if (!a.infer()) throw new Error('TFLite infer failed');
    if (b) {
      b.getInputs()[0].data().set(a.getOutputs()[0].data());
      if (!b.infer()) throw new Error('TFLite head infer failed');
    }
  }

  output() {
    const r = this.runners[this.runners.length - 1];
    const d = r.getOutputs()[0].data();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
  }

  dispose() { for (const r of this.runners) r.cleanUp(); }
}

// profileKernels times every kernel call of one inference of engine e, each
// call repeated in 5 batches of reps calls back to back (the fastest batch) (the same arguments: a kernel's
// output does not feed its input), and, for GEMM and im2col convolutions,
// every other export whose packed layout is the same (the same name but
// the pixel count MR of its tile), on the same arguments; the real kernel
// runs last, so the layer's output is its own. Returns rows {key, name,
// shape, us, alt: {name: us}} in call order, us per call. For tile
// choices: a page that is cross-origin isolated times in 5 us steps.
function profileKernels(e, reps) {
  const rows = new Map();
  // The fastest of 5 batches of reps calls: other processes only add
  // time, so on a busy machine the minimum is the steadiest estimate.
  const time = (fn, args) => {
    let best = Infinity;
    for (let b = 0; b < 5; b++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) fn(args);
      best = Math.min(best, (performance.now() - t0) * 1000 / reps);
    }
    return best;
  };
  const sameLayout = (name) => {
    const m = name.match(/^(.*_)\d+(x\d+(?:c\d+)?__wasmsimd)$/);
    if (!m || !/_(gemm|conv)_/.test(name)) return [];
    return Object.keys(e.kernels).filter((n) => n !== name && n.startsWith(m[1]) && n.endsWith(m[2]) && /^\d+$/.test(n.slice(m[1].length, n.length - m[2].length)));
  };
  e.profile = (name, args, forward) => {
    const w = new Uint32Array(e.x.memory.buffer, args, 12);
    let shape;
    if (name.includes('_gemm_')) shape = `rows=${w[4]} K=${w[5]} N=${w[6]}`;
    else if (name.includes('dwconv')) shape = `in=${w[5]}x${w[6]}x${w[7]} out=${w[8]}x${w[9]}`;
    else if (name.includes('conv')) shape = `in=${w[6]}x${w[7]}x${w[8]} out=${w[9]}x${w[10]}x${w[11]}`;
    else shape = `in=${w[3]}x${w[4]}x${w[5]}`;
    const key = `${name} ${shape}`;
    const r = rows.get(key) || {key, name, shape, calls: 0, us: 0, alt: {}};
    rows.set(key, r);
    r.calls++;
    for (const a of sameLayout(name)) r.alt[a] = (r.alt[a] || 0) + time(e.kernels[a], args);
    r.us += time(forward, args);
  };
  try {
    e.infer();
  } finally {
    e.profile = null;
  }
  return [...rows.values()];
}

// ---------------------------------------------------------------- LiteRT.js

let litertReady = null;

// loadLiteRT loads LiteRT.js from base (@litertjs/core's folder: dist/
// and wasm/), threaded when the page is cross-origin isolated. Once per
// page: LiteRT.js is a singleton.
function loadLiteRT(base) {
  if (!litertReady) {
    litertReady = (async () => {
      const {loadLiteRt, Environment} = await import(base + 'dist/index.js');
      const threaded = threadsSupported();
      const lr = await loadLiteRt(base + 'wasm/', threaded ? {threads: true} : undefined);
      return {w: lr.liteRtWasm, env: new Environment({webGpuDevice: null}), threaded};
    })();
  }
  return litertReady;
}

// LiteRT runs one model, or an extractor and its head, compiled for the
// wasm CPU backend with numThreads.
class LiteRT {
  static async create(rt, model, head, numThreads) {
    const t = new LiteRT();
    t.w = rt.w;
    t.parts = [];
    for (const bytes of head ? [model, head] : [model]) {
      const w = rt.w;
      const ptr = w._malloc(bytes.byteLength); // read by the runtime while the model lives
      w.HEAPU8.set(bytes, ptr);
      const m = w.loadModel(rt.env.liteRtEnvironment, ptr, bytes.byteLength);
      const cm = await w.compileModel(rt.env.liteRtEnvironment, m, {
        environment: rt.env, accelerator: 'wasm', cpuOptions: {numThreads}, gpuOptions: {}, webNNOptions: {},
      });
      const type = m.getInputTensorType(0, 0);
      const n = type.bytes();
      const buf = w.LiteRtTensorBuffer.createManaged(rt.env.liteRtEnvironment, w.LiteRtTensorBufferType.HOST_MEMORY, type, n);
      type.delete();
      t.parts.push({ptr, m, cm, buf, n});
    }
    t.threads = typeof rt.w.getThreadCount === 'function' ? rt.w.getThreadCount() : null;
    return t;
  }

  prepare(input) { this.input = input; }

  // write copies bytes into a part's input buffer.
  write(part, bytes) {
    const w = this.w;
    const p = part.buf.lock(w.LiteRtTensorBufferLockMode.WRITE);
    try {
      w.HEAPU8.set(bytes, p);
    } finally {
      part.buf.unlock();
    }
  }

  async infer() {
    const w = this.w;
    let data = this.input;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i];
      this.write(part, data);
      const outs = await part.cm.run(0, [part.buf]);
      try {
        const o = outs[0];
        const p = o.lock(w.LiteRtTensorBufferLockMode.READ);
        try {
          data = w.HEAPU8.slice(p, p + o.packedSize());
        } finally {
          o.unlock();
        }
      } finally {
        outs.forEach((o) => o.delete());
      }
    }
    this.out = data;
  }

  output() { return this.out; }

  dispose() {
    for (const p of this.parts) {
      p.buf.delete();
      p.cm.delete();
      p.m.delete();
      this.w._free(p.ptr);
    }
    this.parts = [];
  }
}

// ------------------------------------------------------------------ helpers

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const i = (sorted.length - 1) * q, lo = Math.floor(i), hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9),
    min: s[0], max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length,
  };
}

// timerResolution estimates performance.now()'s granularity in ms
// (100 us with jitter in a page that is not cross-origin isolated).
function timerResolution() {
  let best = Infinity;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    let t1;
    while ((t1 = performance.now()) === t0) { /* spin */ }
    best = Math.min(best, t1 - t0);
  }
  return best;
}

// compare returns how two raw output tensors differ.
function compare(dtype, a, b) {
  if (!a || !b) return null;
  if (a.length !== b.length) return {equal: false, note: `lengths ${a.length} and ${b.length}`};
  if (dtype === 'float32') {
    const fa = new Float32Array(a.buffer, a.byteOffset, a.length / 4), fb = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
    let max = 0, at = -1;
    for (let i = 0; i < fa.length; i++) {
      const d = Math.abs(fa[i] - fb[i]);
      if (!(d <= max)) { max = d; at = i; }
    }
    return {equal: max === 0, maxAbsDiff: max, at};
  }
  let diff = 0, max = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) { diff++; if (d > max) { max = d; at = i; } }
  }
  return {equal: diff === 0, differingBytes: diff, maxAbsDiff: max, at};
}

function argmax(dtype, out) {
  const v = dtype === 'float32' ? new Float32Array(out.buffer, out.byteOffset, out.length / 4) : out;
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

const nextFrame = () => new Promise(r => setTimeout(r, 0));

// ---------------------------------------------------------------- the bench

// run benchmarks every model of config.models:
//   {name, file, head?} with file and head relative to config.modelsUrl.
// Other fields (all optional): engineUrl, simdUrl (null: no SIMD module),
// relaxedUrl (simd-relaxed.wasm, for relaxed), engineThreadsUrl and
// simdThreadsUrl (the shared-memory builds, for simd2), tfliteUrl
// (folder), litertUrl (@litertjs/core's folder), tensorsUrl, goldensUrl,
// image, runs, warmup, warmupMs, minSampleMs, profile (repetitions: a
// per-kernel profile of the SIMD engines), variants (subset of
// bench/browser/run.mjs's VARIANTS).
async function run(config) {
  const c = Object.assign({
    engineUrl: 'engine.wasm', simdUrl: 'simd.wasm', relaxedUrl: 'simd-relaxed.wasm', tfliteUrl: '/vendor/tflite/', litertUrl: '/vendor/litert/',
    engineThreadsUrl: 'engine-threads.wasm', simdThreadsUrl: 'simd-threads.wasm',
    modelsUrl: '/models/', tensorsUrl: '/tensors/', goldensUrl: '/goldens/',
    image: 'grace_hopper.bmp', runs: 50, warmup: 10, warmupMs: 0, minSampleMs: 5,
    variants: ['simd', 'portable', 'tflite'],
  }, config);
  const out = {
    userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency, timerResolutionMs: timerResolution(),
    config: c, models: [],
  };
  log(`timer resolution ${(out.timerResolutionMs * 1000).toFixed(1)} us, crossOriginIsolated ${out.crossOriginIsolated}`);

  const engineModule = await compileWasm(c.engineUrl);
  const simdWanted = c.variants.includes('simd');
  const engineSimdImports = kernelImports(engineModule).length;
  let simdModule = null;
  out.simd = {engineImports: engineSimdImports};
  if (simdWanted && engineSimdImports && c.simdUrl) {
    try {
      simdModule = await compileWasm(c.simdUrl);
      if (!simdSupported()) {
        out.simd.note = 'this browser has no wasm SIMD';
        simdModule = null;
      }
    } catch (err) {
      out.simd.note = 'cannot load simd.wasm: ' + err.message;
    }
  } else if (!engineSimdImports) {
    out.simd.note = 'n/a (not yet linked): engine.wasm imports no SIMD kernels';
  }
  log(`engine.wasm: ${engineSimdImports} simd imports; ${simdModule ? 'simd.wasm loaded' : out.simd.note || 'SIMD not requested'}`);

  if (c.variants.includes('tflite')) {
    out.tflite = await loadTFLite(c.tfliteUrl);
    log(`TFLite wasm features: ${JSON.stringify(out.tflite.features)} (SharedArrayBuffer existed: ${out.tflite.hadSharedArrayBuffer})`);
  }
  let litert = null;
  if (c.variants.includes('litert') || c.variants.includes('litert2')) {
    litert = await loadLiteRT(c.litertUrl);
    out.litert = {threadedBuild: litert.threaded};
    log(`LiteRT.js: ${litert.threaded ? 'threaded' : 'single-threaded'} build`);
    if (c.variants.includes('litert2') && !litert.threaded) throw new Error('litert2 needs a cross-origin isolated page (LiteRT.js threaded build)');
  }

  // One engine instance per variant, reused across models (as a page would).
  const engines = {};
  if (c.variants.includes('portable')) engines.portable = await Engine.create(engineModule, null);
  if (simdModule) engines.simd = await Engine.create(engineModule, simdModule);
  if (c.variants.includes('simd2')) {
    if (!threadsSupported()) throw new Error('simd2 needs a cross-origin isolated page (shared memory)');
    engines.simd2 = await Engine.create(await compileWasm(c.engineThreadsUrl), await compileWasm(c.simdThreadsUrl), 2);
  }
  out.simd.state = Object.fromEntries(Object.entries(engines).map(([v, e]) => [v, e.simdState]));
  let relaxedModule = null;
  if (c.variants.includes('relaxed') && engineSimdImports && c.relaxedUrl) {
    relaxedModule = await compileWasm(c.relaxedUrl, {optional: true});
    out.simd.relaxed = relaxedModule ? 'simd-relaxed.wasm compiled' : 'simd-relaxed.wasm missing or not compiled (no relaxed SIMD?)';
    log(out.simd.relaxed);
  }
  if (relaxedModule) engines.relaxed = await Engine.create(engineModule, relaxedModule);
  if (engines.simd && engines.simd.simdState !== null && engines.simd.simdState !== SIMD_ON) {
    log(`WARNING: simd.wasm linked, but mn_simd() = ${engines.simd.simdState} (want ${SIMD_ON})`);
  }
  if (engines.portable && engines.portable.simdState) log(`WARNING: portable engine has mn_simd() = ${engines.portable.simdState}`);

  for (const m of c.models) {
    log(`--- ${m.name}`);
    const res = {name: m.name, file: m.file, head: m.head || null, variants: {}};
    out.models.push(res);
    try {
      const model = await fetchBytes(c.modelsUrl + m.file);
      const head = m.head ? await fetchBytes(c.modelsUrl + m.head) : null;

      const subjects = {}; // variant -> {infer, output, dispose}
      for (const [v, e] of Object.entries(engines)) {
        e.load(model, head);
        subjects[v] = e;
      }
      let tfl = null;
      if (c.variants.includes('tflite')) {
        tfl = await TFLite.create(model, head);
        subjects.tflite = tfl;
        res.tfliteInfo = tfl.info;
      }
      for (const [v, n] of [['litert', 1], ['litert2', 2]]) {
        if (c.variants.includes(v)) subjects[v] = await LiteRT.create(litert, model, head, n);
      }

      // The prepared input: the golden tensor, as the model's dtype wants it.
      const anyEngine = engines.portable || engines.simd || engines.relaxed;
      let dtype, size, outDtype;
      if (anyEngine) {
        const info = anyEngine.info;
        dtype = info.input.dtype;
        size = info.input.shape[1];
        outDtype = info.output.dtype;
        res.info = {input: info.input, output: info.output, macs: info.macs, params: info.params, ops: info.ops};
      } else {
        dtype = tfl.info[0].inputs[0].dtype;
        size = Number(tfl.info[0].inputs[0].shape.split(',')[1]);
        outDtype = tfl.info[tfl.info.length - 1].outputs[0].dtype;
      }
      const rgb = await fetchBytes(`${c.tensorsUrl}${size}/${c.image}.rgb`);
      if (rgb.length !== size * size * 3) throw new Error(`tensor ${size}/${c.image}.rgb has ${rgb.length} bytes`);
      let input = rgb;
      if (dtype === 'float32') {
        const f = new Float32Array(rgb.length);
        for (let i = 0; i < rgb.length; i++) f[i] = rgb[i] / 127.5 - 1; // float64, rounded once
        input = new Uint8Array(f.buffer);
      } else if (dtype === 'int8') {
        input = rgb.map(b => (b - 128) & 0xff);
      }
      res.inputDtype = dtype;
      res.outputDtype = outDtype;
      for (const s of Object.values(subjects)) s.prepare(input);

      // Correctness first: one run each, outputs compared.
      const outputs = {};
      for (const [v, s] of Object.entries(subjects)) {
        if (engines[v]) engines[v].kernelCalls = 0;
        await s.infer();
        outputs[v] = s.output();
        res.variants[v] = {top1: argmax(outDtype, outputs[v])};
        if (engines[v] && engines[v].simdImports) res.variants[v].simdKernelCalls = engines[v].kernelCalls;
        if (v === 'simd' && engines[v].kernelCalls === 0) log('  WARNING: simd.wasm is linked but the engine called no SIMD kernel');
      }
      let golden = null;
      try {
        golden = await fetchBytes(`${c.goldensUrl}${m.name}/${c.image}.out`);
      } catch (_) { /* no golden for this model */ }
      res.compare = {};
      for (const v of Object.keys(outputs)) {
        if (v !== 'tflite' && outputs.tflite) res.compare[`${v}_vs_tflite`] = compare(outDtype, outputs[v], outputs.tflite);
        if (golden) res.compare[`${v}_vs_golden`] = compare(outDtype, outputs[v], golden);
      }
      if (engines.simd && outputs.portable) res.compare.simd_vs_portable = compare(outDtype, outputs.simd, outputs.portable);
      if (engines.simd && outputs.simd2) res.compare.simd2_vs_simd = compare(outDtype, outputs.simd2, outputs.simd);
      if (engines.relaxed && outputs.simd) res.compare.relaxed_vs_simd = compare(outDtype, outputs.relaxed, outputs.simd);
      for (const v of ['litert', 'litert2']) if (outputs[v] && golden) res.compare[`${v}_vs_golden`] = compare(outDtype, outputs[v], golden);
      for (const [k, r] of Object.entries(res.compare)) {
        log(`  ${k}: ${r.equal ? 'equal' : 'DIFFERENT'}${r.maxAbsDiff ? ` (max diff ${r.maxAbsDiff} at ${r.at}${r.differingBytes ? `, ${r.differingBytes} bytes` : ''})` : ''}`);
      }

      // Warm-up, and the number of inferences per timed sample: enough that
      // one sample spans minSampleMs, so the timer's granularity does not
      // dominate the small models. The same count for every variant.
      const names = Object.keys(subjects);
      let fastest = Infinity;
      for (const v of names) {
        const s = subjects[v];
        // Warm up for warmup runs and warmupMs: the first run is slow
        // (XNNPACK sets up on its first), and Firefox runs a module's
        // baseline code until its optimized code is compiled, in the
        // background. Then warmup runs more, timed as one batch, as a
        // clock that ticks in 1 ms (Firefox without cross-origin
        // isolation) cannot time one small inference.
        const until = performance.now() + c.warmupMs;
        for (let i = 0; i < c.warmup || performance.now() < until; i++) await s.infer();
        const n = Math.max(1, c.warmup);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await s.infer();
        fastest = Math.min(fastest, (performance.now() - t0) / n);
        await nextFrame();
      }
      const inner = Math.max(1, Math.min(200, Math.ceil(c.minSampleMs / Math.max(fastest, 1e-3))));
      res.inner = inner;

      // Interleaved: each round times every variant once, in a rotating order.
      const samples = Object.fromEntries(names.map(v => [v, []]));
      for (let r = 0; r < c.runs; r++) {
        for (let j = 0; j < names.length; j++) {
          const v = names[(r + j) % names.length], s = subjects[v];
          const t0 = performance.now();
          // LiteRT.js's run is async; ours and TFLite's are not, and are
          // not awaited, so that a microtask per run is not timed for them.
          if (s instanceof LiteRT) for (let i = 0; i < inner; i++) await s.infer();
          else for (let i = 0; i < inner; i++) s.infer();
          samples[v].push((performance.now() - t0) / inner);
        }
        if (r % 10 === 9) await nextFrame();
      }
      for (const v of names) {
        Object.assign(res.variants[v], stats(samples[v]), {samples: samples[v]});
        // The ratio within each round, less sensitive to load that drifts
        // during the run than the ratio of the medians.
        if (v !== 'tflite' && samples.tflite) {
          res.variants[v].pairedRatio = stats(samples[v].map((x, i) => x / samples.tflite[i]));
          delete res.variants[v].pairedRatio.n;
        }
        // Ratios to every other variant, per round (median of round ratios).
        res.variants[v].ratios = {};
        for (const u of names) {
          if (u === v) continue;
          const r = stats(samples[v].map((x, i) => x / samples[u][i]));
          res.variants[v].ratios[u] = {median: r.median, p10: r.p10, p90: r.p90};
        }
        log(`  ${v}: median ${res.variants[v].median.toFixed(3)} ms (p10 ${res.variants[v].p10.toFixed(3)}, p90 ${res.variants[v].p90.toFixed(3)}), ${inner} inference(s) per sample`);
      }
      if (engines.simd) {
        res.scaling = scaling(engines.simd, Math.max(5, Math.min(50, Math.ceil(1000 / res.variants.simd.median))));
        const sc = res.scaling;
        log(`  scaling: ${sc.totalMs.toFixed(2)} ms profiled, ${sc.kernelMs.toFixed(2)} in kernels, parallel fraction ${sc.parallelFraction.toFixed(3)}; ` +
          `predicted ${[2, 4, 8].map((n) => `${n}: ${(sc.predicted[n] / sc.predicted[1]).toFixed(2)}x`).join(', ')}`);
      }
      // With config.profile (repetitions), a per-kernel profile of each of
      // our SIMD engines (see profileKernels).
      if (c.profile > 0) {
        for (const v of ['simd', 'relaxed']) {
          if (!engines[v]) continue;
          res.variants[v].profile = profileKernels(engines[v], c.profile);
          for (const r of res.variants[v].profile) {
            const alt = Object.entries(r.alt).map(([a, us]) => `${a.replace(/__wasmsimd$/, '').replace(/^.*_/, '')} ${us.toFixed(1)}`).join(', ');
            log(`  ${v} ${r.us.toFixed(1).padStart(8)} us  x${r.calls}  ${r.key}${alt ? `   [same layout: ${alt}]` : ''}`);
          }
        }
      }
      for (const e of Object.values(engines)) e.dispose();
      if (tfl) tfl.dispose();
      for (const v of ['litert', 'litert2']) if (subjects[v]) subjects[v].dispose();
    } catch (err) {
      res.error = String(err && err.stack || err);
      log(`  ERROR: ${res.error}`);
    }
  }
  out.wasmFetched = performance.getEntriesByType('resource')
    .filter(e => /\.wasm($|\?)/.test(e.name))
    .map(e => ({url: e.name, transferSize: e.transferSize, encodedBodySize: e.encodedBodySize, decodedBodySize: e.decodedBodySize}));
  return out;
}

// Manual use: the runner's --serve mode serves /bench-config.json.
async function runFromPage() {
  const btn = document.getElementById('run');
  btn.disabled = true;
  try {
    const cfg = await (await fetch('/bench-config.json')).json();
    const res = await run(cfg);
    document.getElementById('result').textContent = JSON.stringify(res, (k, v) => (k === 'samples' ? undefined : v), 2);
  } catch (err) {
    log('ERROR: ' + (err && err.stack || err));
  } finally {
    btn.disabled = false;
  }
}

globalThis.mnBench = {run, Engine, TFLite, loadTFLite, LiteRT};
export {run, Engine, TFLite, LiteRT};
if (typeof document !== 'undefined') {
  const btn = document.getElementById('run');
  if (btn) btn.addEventListener('click', runFromPage);
}
