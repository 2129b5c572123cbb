// The engine's Web Worker: one instance of site/engine.wasm (and, when
// linked, site/simd.wasm on its memory, both started by engine-link.js),
// driven by messages from mobilenet.js. Running here keeps inference off
// the page's main thread.
//
// Protocol: the page posts {id, op, ...args}; the worker answers
// {id, ok: true, value} or {id, ok: false, error: {code, message, status}}.
// Messages are handled one at a time, in order (the engine is not
// re-entrant). The engine's ABI is described in wasm/doc.go; this file
// follows it: allocate with mn_alloc, copy in, call, read the result
// buffer, and re-create memory views after every call (memory may grow).

import {instantiateEngine, STATUS_ARGUMENT, STATUS_INPUT, STATUS_INTERNAL, STATUS_OK} from './engine-link.js';
import {teachOps} from './teach-ops.js';
import {browserFeatures, timerResolutionMs} from './features.js';

const statusCodes = {[STATUS_ARGUMENT]: 'argument', [STATUS_INPUT]: 'input', [STATUS_INTERNAL]: 'internal'};

let engine = null; // the Engine, after "init"
let stopKernels = () => {}; // ends the kernel threads' workers (engine-link.js)
let initFailure = null; // why "init" failed, for the ops queued behind it

// Failure is an error with a code, sent back to the page as is.
class Failure extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

// Engine wraps one instance of the module.
class Engine {
  constructor(instance, stderrTail) {
    this.x = instance.exports;
    this.stderrTail = stderrTail;
    this.dead = null;
    this.frame = {ptr: 0, cap: 0}; // reused for every frame
    this.handle = 0;
    this.info = null;
  }

  // call invokes an export; a trap kills the instance.
  call(name, ...args) {
    if (this.dead) throw this.dead;
    if (typeof this.x[name] !== 'function') {
      // engine-classify.wasm has no mn_teach_* or mn_quant_* (wasm/doc.go).
      throw new Failure('unsupported', `${name}: this engine build does not have it (engine-classify.wasm classifies only: load with engine 'full')`);
    }
    try {
      return this.x[name](...args);
    } catch (e) {
      const tail = this.stderrTail.join('\n');
      this.dead = new Failure('crash', `the engine crashed in ${name}: ${e.message}${tail ? '\n' + tail : ''}; load the model again`);
      throw this.dead;
    }
  }

  // bytes is a fresh view of guest memory (views go stale when memory grows).
  bytes(ptr, len) {
    return new Uint8Array(this.x.memory.buffer, ptr >>> 0, len >>> 0);
  }

  text(ptr, len) {
    // A copy: TextDecoder reads no view of a shared memory (kernel threads).
    return new TextDecoder().decode(this.bytes(ptr, len).slice());
  }

  errorMessage(fallback) {
    const msg = this.text(this.call('mn_error_ptr'), this.call('mn_error_len'));
    return msg || fallback;
  }

  // check turns a negative status into a Failure with the module's message.
  check(status, name) {
    if (status === STATUS_OK) return;
    const code = statusCodes[status] || 'internal';
    throw new Failure(code, this.errorMessage(`${name} failed with status ${status}`), status);
  }

  // result copies the result buffer out of guest memory.
  result() {
    const p = this.call('mn_result_ptr');
    const n = this.call('mn_result_len');
    return this.bytes(p, n).slice();
  }

  // put copies data into a new block; the caller frees it.
  put(data) {
    const n = data.byteLength;
    if (n === 0) return 0;
    const p = this.call('mn_alloc', n);
    if (p === 0) throw new Failure('alloc', `cannot allocate ${n} bytes in the engine: ${this.errorMessage('out of memory')}`);
    this.bytes(p, n).set(new Uint8Array(data.buffer || data, data.byteOffset || 0, n));
    return p;
  }

  free(p) {
    if (p !== 0) this.call('mn_free', p);
  }

  load(model, head, labels, flags) {
    if (this.handle !== 0) {
      this.call('mn_free_model', this.handle);
      this.handle = 0;
      this.info = null;
    }
    const lab = labels ? new TextEncoder().encode(labels) : new Uint8Array(0);
    const blocks = [];
    try {
      const parts = [model, head || new Uint8Array(0), lab].map((b) => {
        const p = this.put(b);
        blocks.push(p);
        return [p, b.byteLength];
      });
      const h = this.call('mn_load', ...parts[0], ...parts[1], ...parts[2], flags);
      if (h === 0) throw new Failure('load', this.errorMessage('the model did not load'));
      this.handle = h;
    } finally {
      blocks.forEach((p) => this.free(p));
    }
    this.check(this.call('mn_info', this.handle), 'mn_info');
    this.info = JSON.parse(new TextDecoder().decode(this.result()));
    return {...this.info, simdState: this.simdState()};
  }

  // simdState is mn_simd: SIMD_UNLINKED, SIMD_OFF or SIMD_ON.
  simdState() {
    return this.call('mn_simd');
  }

  // setSimd switches between the SIMD and the portable kernels (A/B runs).
  setSimd(on) {
    this.check(this.call('mn_set_simd', on ? 1 : 0), 'mn_set_simd');
    return this.simdState();
  }

  loaded() {
    if (this.handle === 0) throw new Failure('argument', 'no model is loaded');
  }

  // putFrame copies RGBA pixels into the reused frame block.
  putFrame(rgba) {
    const n = rgba.byteLength;
    if (this.frame.cap < n) {
      this.free(this.frame.ptr);
      this.frame = {ptr: 0, cap: 0};
      const p = this.call('mn_alloc', n);
      if (p === 0) throw new Failure('alloc', `cannot allocate a ${n}-byte frame: ${this.errorMessage('out of memory')}`);
      this.frame = {ptr: p, cap: n};
    }
    this.bytes(this.frame.ptr, n).set(rgba);
    return this.frame.ptr;
  }

  classify(f, k) {
    this.loaded();
    const p = this.putFrame(f.data);
    const t0 = performance.now();
    const st = this.call('mn_classify', this.handle, p, f.data.byteLength, f.width, f.height, 4 * f.width, k);
    const ms = performance.now() - t0;
    this.check(st, 'mn_classify');
    return {predictions: JSON.parse(new TextDecoder().decode(this.result())), engineMs: ms};
  }

  embed(f) {
    this.loaded();
    const p = this.putFrame(f.data);
    const t0 = performance.now();
    const st = this.call('mn_embed', this.handle, p, f.data.byteLength, f.width, f.height, 4 * f.width);
    const ms = performance.now() - t0;
    this.check(st, 'mn_embed');
    return {embedding: new Float32Array(this.result().buffer), engineMs: ms};
  }

  // runRaw runs one raw input tensor already in guest memory at p.
  runRaw(p, n) {
    this.check(this.call('mn_infer', this.handle, p, n), 'mn_infer');
  }

  infer(input) {
    this.loaded();
    const p = this.put(input);
    try {
      this.runRaw(p, input.byteLength);
      return this.result();
    } finally {
      this.free(p);
    }
  }

  // time runs the raw input (default: mid-grey) warmup + runs times and
  // returns each timed run's milliseconds.
  time(input, runs, warmup) {
    this.loaded();
    if (!input) input = defaultInput(this.info.input);
    const p = this.put(input);
    try {
      for (let i = 0; i < warmup; i++) this.runRaw(p, input.byteLength);
      // A run is timed as a batch lasting at least 20 ticks of the clock
      // (Firefox's ticks 1 ms without cross-origin isolation, Chromium's
      // 0.1 ms), and each run's time is its batch's mean.
      const tick = clockTick();
      const t = performance.now();
      this.runRaw(p, input.byteLength);
      this.runRaw(p, input.byteLength);
      const once = Math.max((performance.now() - t) / 2, tick / 100);
      const batch = Math.min(200, Math.max(1, Math.ceil((20 * tick) / once)));
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        for (let j = 0; j < batch; j++) this.runRaw(p, input.byteLength);
        ms.push((performance.now() - t0) / batch);
      }
      return ms;
    } finally {
      this.free(p);
    }
  }
}

// clockTick is performance.now()'s step in this worker, measured once.
let tick = 0;
function clockTick() {
  if (!tick) {
    const r = timerResolutionMs();
    tick = r > 0 && r < 100 ? r : 1; // Infinity: a clock that did not move
  }
  return tick;
}

// defaultInput is a mid-grey input tensor: the engine's speed does not
// depend on the pixel values.
function defaultInput(t) {
  const n = t.shape.reduce((a, b) => a * b, 1);
  switch (t.dtype) {
    case 'float32':
      return new Uint8Array(new Float32Array(n).buffer);
    case 'uint8':
      return new Uint8Array(n).fill(128);
    default:
      return new Uint8Array(n);
  }
}

// init instantiates the engine, links the SIMD kernels when asked and
// possible, and runs _initialize.
async function init({engineModule, simdModule, wantSimd, threads = 1}) {
  const steps = [];
  const step = (name) => steps.push({name, t: performance.timeOrigin + performance.now()});
  step('worker-init');
  const stderrTail = [];
  const linked = await instantiateEngine(engineModule, {
    simdModule: wantSimd ? simdModule : null,
    threads: wantSimd ? threads : 1,
    step,
    stdout: (l) => console.log('[mobilenet engine]', l),
    stderr: (l) => {
      stderrTail.push(l);
      if (stderrTail.length > 20) stderrTail.shift();
      console.error('[mobilenet engine]', l);
    },
  });
  engine = new Engine(linked.instance, stderrTail);
  stopKernels = linked.terminate;
  return {
    simd: linked.simd,
    simdReason: wantSimd ? linked.simdReason : 'SIMD turned off (simd: false)',
    kernelImports: linked.kernelImports,
    threads: linked.threads,
    threadsReason: wantSimd || threads <= 1 ? linked.threadsReason : 'kernel threads run the SIMD kernels, turned off (simd: false)',
    // What this worker offers (OffscreenCanvas decides how frames come).
    features: browserFeatures(),
    steps,
  };
}

// frameOf turns a posted frame into {data, width, height} RGBA.
let canvas = null;
let ctx = null;
function frameOf(f) {
  if (f.imageData) return f.imageData;
  if (f.rgba) return {data: new Uint8Array(f.rgba), width: f.width, height: f.height};
  const bmp = f.bitmap;
  const w = bmp.width;
  const h = bmp.height;
  if (w === 0 || h === 0) {
    bmp.close();
    throw new Failure('input', 'the image is empty (0 pixels)');
  }
  if (typeof OffscreenCanvas !== 'function') {
    bmp.close();
    throw new Failure('internal', 'no OffscreenCanvas in this worker: the page should have sent RGBA');
  }
  if (!canvas || canvas.width !== w || canvas.height !== h) {
    canvas = new OffscreenCanvas(w, h);
    ctx = canvas.getContext('2d', {willReadFrequently: true});
  }
  ctx.clearRect(0, 0, w, h);
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  return ctx.getImageData(0, 0, w, h);
}

const ops = {
  init: (m) => init(m).catch((e) => {
    initFailure = e;
    throw e;
  }),
  load: (m) => engine.load(m.model, m.head, m.labels, m.flags),
  classify(m) {
    const t0 = performance.now();
    const f = frameOf(m.frame);
    const decodeMs = performance.now() - t0;
    return {...engine.classify(f, m.topK), decodeMs, width: f.width, height: f.height};
  },
  embed(m) {
    const f = frameOf(m.frame);
    const r = engine.embed(f);
    return {value: r, transfer: [r.embedding.buffer]};
  },
  infer(m) {
    const out = engine.infer(new Uint8Array(m.input));
    return {value: out, transfer: [out.buffer]};
  },
  time: (m) => engine.time(m.input ? new Uint8Array(m.input) : null, m.runs, m.warmup),
  setSimd: (m) => engine.setSimd(m.on),
};

// Teaching (mobilenet.js's Teacher): the mn_teach_* exports.
Object.assign(ops, teachOps(() => engine, frameOf, Failure));

// queue runs the ops one after the other, in the order they came: the
// page may post "load" before "init" has answered (a cold start hands the
// model over as soon as it arrives).
let queue = Promise.resolve();

self.onmessage = (ev) => {
  const m = ev.data;
  if (m.op === 'close') {
    handle(m);
    return;
  }
  queue = queue.then(() => handle(m));
};

async function handle(m) {
  if (m.op === 'close') {
    // The page is done with this worker: its kernel workers end now (a
    // terminated worker's own workers linger for seconds in Chromium).
    // The page terminates this worker a second later (Channel.close):
    // closing itself right after its kernel workers sometimes left it
    // running for good in Chromium 156, thread stuck (a worker every few
    // dozen model switches; e2e TestWebcamSoak, TestMemorySwitches).
    await stopKernels();
    return;
  }
  try {
    if (!ops[m.op]) throw new Failure('argument', `unknown op ${m.op}`);
    if (m.op !== 'init' && !engine) throw new Failure(initFailure ? initFailure.code || 'load' : 'argument', initFailure ? `the engine did not start: ${initFailure.message}` : 'the engine is not initialised');
    let r = await ops[m.op](m);
    let transfer = [];
    if (r && r.transfer) {
      transfer = r.transfer;
      r = r.value;
    }
    self.postMessage({id: m.id, ok: true, value: r}, transfer);
  } catch (e) {
    if (m.frame && m.frame.bitmap) m.frame.bitmap.close();
    self.postMessage({id: m.id, ok: false, error: {code: e.code || 'internal', message: e.message || String(e), status: e.status || 0}});
  }
}

// Quantization (mn_quant_*, wasm/doc.go "Quantization"), for
// mobilenet.quantize: quantNew {model} -> handle, quantAdd {handle, frame}
// per calibration image, quantRun {handle, options} -> the .tflite bytes,
// quantFree {handle}. The page's side checks for cancellation between
// messages; cancelling terminates this worker.
Object.assign(ops, {
  quantNew(m) {
    const model = new Uint8Array(m.model);
    const p = engine.put(model);
    try {
      const h = engine.call('mn_quant_new', p, model.byteLength);
      // Read the message before mn_free clears it.
      if (h === 0) throw new Failure('load', engine.errorMessage('the model cannot be quantized'));
      return h;
    } finally {
      engine.free(p);
    }
  },
  quantAdd(m) {
    const f = frameOf(m.frame);
    const p = engine.putFrame(f.data);
    const st = engine.call('mn_quant_add_frame', m.handle, p, f.data.byteLength, f.width, f.height, 4 * f.width);
    engine.check(st, 'mn_quant_add_frame');
    return {width: f.width, height: f.height};
  },
  quantRun(m) {
    const opts = new TextEncoder().encode(JSON.stringify(m.options || {}));
    const p = engine.put(opts);
    try {
      engine.check(engine.call('mn_quant_run', m.handle, p, opts.byteLength), 'mn_quant_run');
    } finally {
      engine.free(p);
    }
    const out = engine.result();
    return {value: out, transfer: [out.buffer]};
  },
  quantFree(m) {
    engine.check(engine.call('mn_quant_free', m.handle), 'mn_quant_free');
    return true;
  },
});
