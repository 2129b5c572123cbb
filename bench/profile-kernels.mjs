// Per-kernel profile of our engine in Node's V8 (not wazero): instantiates
// site/engine.wasm + site/simd.wasm through the loader's site/engine-link.js,
// wraps every forwarded simd import with a nanosecond timer, runs one model on its
// golden input tensor and prints the time per inference outside and inside
// the kernels, and per kernel call with its shape. Run ./build.sh first.
//
//   node bench/profile-kernels.mjs [MODEL] [ITERS]      (default mobilenet_v1_0.25_128_quant 200)
//
// Environment: ENGINE, SIMD (other .wasm files, for A/B runs);
// MOBILENET_TESTDATA (default ../shared: models/, goldens/); FORCE=a=b[=m],...
// runs kernel b wherever the engine calls a (when rows % m == 0; b must
// read a's packed layout); ALT=1 also times, on every call, each other
// export of the same family on the same arguments (outputs overwritten by
// the real kernel, run last; timings include cache effects of the order).
// Node 20's V8 is older than Chromium's: confirm tile choices with
// bench/browser/run.mjs (a 2x8 f32 GEMM won here and lost in Chromium 156).
import {instantiateEngine} from '../site/engine-link.js';
import fs from 'fs';
const root = new URL('..', import.meta.url).pathname;
const data = process.env.MOBILENET_TESTDATA || root + '../shared';
const model = process.argv[2] || 'mobilenet_v1_0.25_128_quant';
const size = +(model.match(/_(\d+)(_quant)?$/)[1]);
const iters = +(process.argv[3] || 200);
const eng = await WebAssembly.compile(fs.readFileSync(process.env.ENGINE || root + 'site/engine.wasm'));
const simdMod = await WebAssembly.compile(fs.readFileSync(process.env.SIMD || root + 'site/simd.wasm'));
let simd = null, x = null, timing = false;
const stats = new Map(); // key -> {n, t}
const now = () => Number(process.hrtime.bigint());
let kernTotal = 0; const alt = new Map(); let altDone = 0;
const call = (name, a) => {
  if (!timing) return simd[name](a);
  const t0 = now(); simd[name](a); const dt = now() - t0;
  kernTotal += dt;
  const m = new Uint32Array(x.memory.buffer, a, 12);
  let shape;
  if (name.includes('_gemm_')) shape = `rows=${m[4]} K=${m[5]} N=${m[6]}`;
  else if (name.includes('dwconv')) shape = `in=${m[5]}x${m[6]}x${m[7]} out=${m[8]}x${m[9]}`;
  else if (name.includes('conv')) shape = `in=${m[6]}x${m[7]}x${m[8]} out=${m[9]}x${m[10]}x${m[11]}`;
  else shape = `in=${m[3]}x${m[4]}x${m[5]}`;
  const key = `${name} ${shape}`;
  if (process.env.ALT && altDone < iters) {
    const fam = name.replace(/_(\d+x\d+c\d+|3x3s\d_\d+c|im2col_\d+x\d+c\d+|\d+x\d+)__wasmsimd$/, '');
    for (const e of Object.keys(simd)) {
      if (e === name || !e.startsWith(fam + '_') || e.replace(fam + '_', '').split('_').length !== (name.replace(fam + '_', '').split('_').length)) continue;
      if (name.includes('dwconv') && e.match(/s(\d)/)[1] !== name.match(/s(\d)/)[1]) continue;
      const ak = `${key}  ALT ${e}`;
      const t1 = now(); simd[e](a); const d1 = now() - t1;
      const s2 = alt.get(ak) || {n: 0, t: 0, order: alt.size}; s2.n++; s2.t += d1; alt.set(ak, s2);
    }
    const t2 = now(); simd[name](a); const d2 = now() - t2;
    const s3 = alt.get(key) || {n: 0, t: 0, order: alt.size}; s3.n++; s3.t += d2; alt.set(key, s3);
  }
  const s = stats.get(key) || {n: 0, t: 0, order: stats.size};
  s.n++; s.t += dt; stats.set(key, s);
};
// Every kernel call goes through call(), under FORCE to another kernel.
const wrapKernel = (name) => (a0) => {
  let name2 = name;
  if (process.env.FORCE) for (const fr of process.env.FORCE.split(',')) { const [from, to, mod] = fr.split('='); if (from === name && (!mod || new Uint32Array(x.memory.buffer, a0, 8)[4] % +mod === 0)) name2 = to; }
  return call(name2, a0);
};
const linked = await instantiateEngine(eng, {simdModule: simdMod, stdout: l => console.log(l), stderr: l => console.error(l), wrapKernel});
if (!linked.simd) throw new Error(linked.simdReason);
x = linked.exports;
simd = linked.kernels;
const bytes = (p, n) => new Uint8Array(x.memory.buffer, p >>> 0, n >>> 0);
const put = d => { const p = x.mn_alloc(d.length) >>> 0; bytes(p, d.length).set(d); return p; };
const mb = fs.readFileSync(`${data}/models/${model}.tflite`);
const mp = put(mb);
const h = x.mn_load(mp, mb.length, 0, 0, 0, 0, 0);
if (!h) throw new Error('load');
let inp = fs.readFileSync(`${data}/goldens/tensors/${size}/grace_hopper.bmp.rgb`);
if (!model.includes('quant')) { const f = new Float32Array(inp.length); for (let i = 0; i < inp.length; i++) f[i] = inp[i] / 127.5 - 1; inp = new Uint8Array(f.buffer); }
const ip = put(inp);
for (let i = 0; i < 50; i++) x.mn_infer(h, ip, inp.length);
// plain timing
let t0 = now();
for (let i = 0; i < iters; i++) x.mn_infer(h, ip, inp.length);
const plain = (now() - t0) / iters / 1e6;
timing = true; kernTotal = 0;
t0 = now();
for (let i = 0; i < iters; i++) x.mn_infer(h, ip, inp.length);
const timed = (now() - t0) / iters / 1e6;
console.log(`${model}: plain ${plain.toFixed(3)} ms/inf; timed ${timed.toFixed(3)} ms, kernels ${(kernTotal/iters/1e6).toFixed(3)} ms, outside ${(timed - kernTotal/iters/1e6).toFixed(3)} ms`);
const rows = [...stats.entries()].sort((a, b) => a[1].order - b[1].order);
for (const [k, s] of rows) console.log(`${(s.t / iters / 1e3).toFixed(1).padStart(8)} us  x${s.n / iters}  ${k}`);

if (process.env.ALT) { for (let i = 0; i < iters; i++) { x.mn_infer(h, ip, inp.length); altDone++; }
  for (const [k, s] of [...alt.entries()].sort((a, b) => a[1].order - b[1].order)) console.log(`${(s.t / iters / 1e3).toFixed(1).padStart(8)} us  ${k}`); }
