// page.js runs the cases the Go harness (litert.go) serves through LiteRT.js
// (@litertjs/core, served from node_modules under /litert/) on its wasm CPU
// backend, and posts every output tensor back as raw bytes.
//
// It drives LiteRT.js's wasm bindings (LiteRt.liteRtWasm: loadModel,
// compileModel, LiteRtTensorBuffer, CompiledModel.run) rather than the
// Tensor / CompiledModel wrapper classes: those know only float32, int32 and
// uint8 tensors and throw "Element type INT8 is not supported." on int8
// models, which the runtime itself runs. The calls are the ones the
// wrappers make (loadAndCompile, Tensor.fromTypedArray, run, toTypedArray).

import {loadLiteRt, Environment} from '/litert/dist/index.js';

const logs = [];
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  const orig = console[level].bind(console);
  console[level] = (...a) => {
    logs.push(`${level}: ${a.map(String).join(' ')}`);
    orig(...a);
  };
}

const ELEMENT = {1: 'float32', 2: 'int32', 3: 'uint8', 4: 'int64', 6: 'bool', 7: 'int16', 9: 'int8', 10: 'float16'};

// errText makes a message of whatever the runtime threw (Error, string, or
// an Emscripten C++ exception pointer).
function errText(e, w) {
  if (e instanceof Error) return e.message || String(e);
  if (typeof e === 'number' && w && typeof w.getExceptionMessage === 'function') {
    try {
      return w.getExceptionMessage(e).join(': ');
    } catch (_) { /* fall through */ }
  }
  return String(e);
}

function b64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function vec(v) {
  const a = [];
  for (let i = 0; i < v.size(); i++) a.push(v.get(i));
  v.delete();
  return a;
}

// describe returns {dtype, shape} of a LiteRtRankedTensorType, deleting it.
function describe(t) {
  const layout = t.layout();
  const shape = vec(layout.dimensions());
  layout.delete();
  const el = t.elementType().value;
  t.delete();
  return {dtype: ELEMENT[el] || `element type ${el}`, shape};
}

async function post(path, body) {
  const r = await fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
}

async function bytesOf(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// runCase loads, compiles and runs one case; what LiteRT.js throws becomes
// the result's error.
async function runCase(w, env, i, c) {
  const res = {inputs: [], outputs: [], error: ''};
  const toDelete = [];
  let ptr = 0;
  let stage = 'load';
  try {
    const model = await bytesOf(`/case/${i}/model`);
    ptr = w._malloc(model.byteLength);
    w.HEAPU8.set(model, ptr);
    const m = w.loadModel(env.liteRtEnvironment, ptr, model.byteLength);
    toDelete.push(m);
    stage = 'compile';
    const cm = await w.compileModel(env.liteRtEnvironment, m, {
      environment: env, accelerator: 'wasm', cpuOptions: {numThreads: 1}, gpuOptions: {}, webNNOptions: {},
    });
    toDelete.push(cm);
    const sig = m.getSignature(0);
    const nIn = sig.inputNames().size();
    sig.delete();
    for (let j = 0; j < nIn; j++) res.inputs.push(describe(m.getInputTensorType(0, j)));
    for (let k = 0; k < c.runs.length; k++) {
      stage = `run ${k}`;
      if (c.runs[k] !== nIn) throw new Error(`run ${k} has ${c.runs[k]} input tensors, the model takes ${nIn}`);
      const bufs = [];
      try {
        for (let j = 0; j < nIn; j++) {
          const data = await bytesOf(`/case/${i}/run/${k}/input/${j}`);
          const type = m.getInputTensorType(0, j);
          const want = type.bytes();
          if (data.byteLength !== want) {
            type.delete();
            throw new Error(`run ${k} input ${j}: ${data.byteLength} bytes, the model's tensor has ${want}`);
          }
          const buf = w.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, w.LiteRtTensorBufferType.HOST_MEMORY, type, want);
          bufs.push(buf);
          const p = buf.lock(w.LiteRtTensorBufferLockMode.WRITE);
          try {
            w.HEAPU8.set(data, p);
          } finally {
            buf.unlock();
          }
          const req = cm.getInputBufferRequirements(0, j);
          try {
            w.checkTensorBufferCompatible(buf, type, req);
          } finally {
            req.delete();
            type.delete();
          }
        }
        const outs = await cm.run(0, bufs);
        const got = [];
        for (const o of outs) {
          try {
            const d = describe(o.tensorType());
            if (o.size() !== o.packedSize() || o.offset() !== 0) throw new Error('output tensor with strides or padding');
            const p = o.lock(w.LiteRtTensorBufferLockMode.READ);
            try {
              d.data = b64(w.HEAPU8.subarray(p, p + o.packedSize()));
            } finally {
              o.unlock();
            }
            got.push(d);
          } finally {
            o.delete();
          }
        }
        res.outputs.push(got);
      } finally {
        for (const b of bufs) b.delete();
      }
    }
  } catch (e) {
    res.error = `${stage}: ${errText(e, w)}`;
  } finally {
    for (const o of toDelete.reverse()) {
      try { o.delete(); } catch (_) { /* already gone */ }
    }
    if (ptr) w._free(ptr);
  }
  return res;
}

async function main() {
  const {cases, script} = await (await fetch('/cases')).json();
  let lr;
  try {
    // A directory lets LiteRT.js pick its build (no threads, no JSPI: the
    // single-threaded one, relaxed SIMD or compat); a .js file forces one.
    lr = await loadLiteRt('/litert/wasm/' + (script || ''));
  } catch (e) {
    await post('/done', {error: `loadLiteRt: ${errText(e)}`, logs});
    return;
  }
  const w = lr.liteRtWasm;
  const env = new Environment({webGpuDevice: null});
  for (let i = 0; i < cases.length; i++) {
    const n0 = logs.length;
    const t0 = performance.now();
    const r = await runCase(w, env, i, cases[i]);
    r.logs = logs.slice(n0);
    r.ms = performance.now() - t0;
    await post(`/result/${i}`, r);
  }
  await post('/done', {logs, threads: w.getThreadCount()});
}

main().catch(async (e) => {
  await post('/done', {error: `page: ${errText(e)}`, logs}).catch(() => {});
}).finally(() => {
  window.litertDone = true;
});
