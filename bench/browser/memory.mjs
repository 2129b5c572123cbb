#!/usr/bin/env node
// memory.mjs: the wasm memory a loaded model takes, ours (site/engine.wasm,
// with site/simd.wasm linked, and portable) next to LiteRT.js's (npm
// @litertjs/core, the referee of internal/litert), each measured in a fresh
// page of one headless Chromium run; prints a Markdown table. See the
// Memory section of the repository's README.
//
//   node bench/browser/memory.mjs [--models DIR] [--only REGEXP] [--out FILE.json]
//   node bench/browser/memory.mjs --baseline OLD_SITE_DIR [--only REGEXP] [--rounds 15]
//
// For each of the 32 models of the catalog (the file in --models, else its
// synthetic twin, written by `bin/mobilenet models synth` into a temporary
// folder; mobilenet_v1_1.0_224_quant is the extractor + head pair when
// --models has it), in a new page each time:
//
//   - ours: instantiate the engine, load the model (mn_alloc, copy, mn_load,
//     mn_free as site/worker.js does), run one inference on a zero input;
//     "peak" is the engine's wasm memory then (memory never shrinks, so it
//     is the high-water mark of the load); "in use" is that less the Go
//     heap's free bytes after a collection (mn_memory's "go_heap"): what
//     the memory would be without the load's transient bytes (the model
//     file in the host's block above all); the breakdown is mn_memory's
//     "model";
//   - LiteRT.js: load and compile the file (both files for the pair) on its
//     wasm CPU backend, one thread, and run it once on zero inputs; its
//     memory is the Emscripten heap's size.
//
// --baseline DIR instead times our engine against another build of it (for
// "speed unchanged"; DIR holds its engine.wasm and simd.wasm, as site/
// does): both instantiated in one page, each with its simd.wasm linked;
// each round times both (the order alternating) on the same input over at
// least --min-ms ms after a warm-up by time; prints per model the median
// of the per-round ratios (this / baseline) with their range.
//
// Flags:
//   --models DIR      the .tflite files (default $MOBILENET_TESTDATA/models,
//                     MOBILENET_TESTDATA defaulting to ../shared)
//   --only REGEXP     only the models whose name matches
//   --variants LIST   comma-separated subset of simd,portable,litert
//   --engine FILE     our engine (default site/engine.wasm)
//   --baseline DIR    compare speed with the engine.wasm + simd.wasm there instead (see above)
//   --rounds N        speed rounds (default 15); --min-ms X each side of a round (default 300)
//   --out FILE        write the results as JSON
//   --chromium PATH   the browser (default $CHROMIUM or /usr/bin/chromium)
//
// It needs ./build.sh (site/engine.wasm, site/simd.wasm, bin/mobilenet) and
// `npm ci` (playwright-core, @litertjs/core). Nothing is fetched from the
// network.

import {createServer} from 'node:http';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';
import {launchOptions} from '../../internal/headless/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const MiB = 1 << 20;

function die(msg) {
  console.error(`memory.mjs: ${msg}`);
  process.exit(2);
}

function parseArgs(argv) {
  const testdata = process.env.MOBILENET_TESTDATA || path.join(root, '..', 'shared');
  const a = {
    models: path.join(testdata, 'models'), only: '', variants: 'simd,portable,litert',
    engine: path.join(root, 'site', 'engine.wasm'), baseline: '', rounds: 15, minMs: 300, out: '',
    chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : die(`${f} needs a value`));
    switch (f) {
      case '--models': a.models = path.resolve(val()); break;
      case '--only': a.only = val(); break;
      case '--variants': a.variants = val(); break;
      case '--engine': a.engine = path.resolve(val()); break;
      case '--baseline': a.baseline = path.resolve(val()); break;
      case '--rounds': a.rounds = Number(val()); break;
      case '--min-ms': a.minMs = Number(val()); break;
      case '--out': a.out = path.resolve(val()); break;
      case '--chromium': a.chromium = val(); break;
      default: die(`unknown flag ${f}`);
    }
  }
  return a;
}

// catalog lists the 32 models, widest and largest first (the README's order).
function catalog() {
  const out = [];
  for (const w of ['1.0', '0.75', '0.5', '0.25']) {
    for (const r of [224, 192, 160, 128]) {
      for (const q of [false, true]) out.push({name: `mobilenet_v1_${w}_${r}${q ? '_quant' : ''}`, w, r, q});
    }
  }
  return out;
}

// files resolves each model's files: the real ones in dir (the 1.0_224
// pair for mobilenet_v1_1.0_224_quant), else a synthetic twin in synthDir.
function files(m, dir, synthDir, mobilenet) {
  const whole = path.join(dir, `${m.name}.tflite`);
  if (existsSync(whole)) return {weights: 'real', files: [whole]};
  if (m.name === 'mobilenet_v1_1.0_224_quant') {
    const pair = ['mobilenet_v1_1.0_224_quant_embedding_extractor.tflite', 'mobilenet_quant_v1_224_head_layers.tflite'].map((f) => path.join(dir, f));
    if (pair.every(existsSync)) return {weights: 'real', files: pair};
  }
  const out = path.join(synthDir, `${m.name}.tflite`);
  execFileSync(mobilenet, ['models', 'synth', '-w', m.w, '-r', String(m.r), ...(m.q ? ['-quant'] : []), '-o', out]);
  return {weights: 'synthetic', files: [out]};
}

// serve serves files (URL path -> file path or string) and folders (URL
// prefix -> folder), without COOP/COEP headers (LiteRT.js then picks its
// single-threaded build).
function serve(files, mounts) {
  const types = {'.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html'};
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    let body = files[u.pathname];
    let file = typeof body === 'string' && body.startsWith('/') ? body : '';
    for (const [prefix, dir] of mounts) {
      if (body !== undefined || !u.pathname.startsWith(prefix)) continue;
      const p = path.resolve(dir, decodeURIComponent(u.pathname.slice(prefix.length)));
      if (p.startsWith(path.resolve(dir) + path.sep) && existsSync(p)) file = p;
    }
    if (file) body = readFileSync(file);
    if (body === undefined) {
      res.writeHead(404, {'content-type': 'text/plain'});
      res.end('not found');
      return;
    }
    const type = file ? types[path.extname(file)] || 'application/octet-stream' : 'text/html';
    res.writeHead(200, {'content-type': type, 'cache-control': 'no-store'});
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// The blank page every measurement starts from: an import map for LiteRT.js.
const PAGE = `<!doctype html><meta charset="utf-8"><title>memory</title>
<script type="importmap">{"imports": {"@litertjs/wasm-utils": "/wasm-utils/dist/index.js"}}</script>`;

// oursInPage runs in the page: one fresh engine, one model, one inference.
async function oursInPage({urls, simd}) {
  const link = await import('/site/engine-link.js');
  const engine = await link.compileWasm('/site/engine.wasm');
  const kernels = simd ? await link.compileWasm('/site/simd.wasm') : null;
  const {exports: x, simd: linked} = await link.instantiateEngine(engine, {simdModule: kernels, stdout: () => {}});
  if (simd && !linked) throw new Error('simd.wasm did not link');
  const mem = () => x.memory.buffer.byteLength;
  const err = () => new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.mn_error_ptr() >>> 0, x.mn_error_len()));
  const put = (b) => {
    const p = x.mn_alloc(b.byteLength) >>> 0;
    if (!p) throw new Error(`mn_alloc: ${err()}`);
    new Uint8Array(x.memory.buffer, p, b.byteLength).set(b);
    return p;
  };
  const start = mem();
  const bytes = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const blocks = bytes.map(put);
  const h = x.mn_load(blocks[0], bytes[0].byteLength, blocks[1] || 0, bytes[1] ? bytes[1].byteLength : 0, 0, 0, 0);
  blocks.forEach((p) => x.mn_free(p));
  if (!h) throw new Error(`mn_load: ${err()}`);
  const afterLoad = mem();
  const info = () => {
    if (x.mn_info(h) !== 0) throw new Error(`mn_info: ${err()}`);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())));
  };
  const i0 = info();
  const n = i0.input.shape.reduce((a, b) => a * b, 1) * (i0.input.dtype === 'float32' ? 4 : 1);
  const p = put(new Uint8Array(n));
  if (x.mn_infer(h, p, n) !== 0) throw new Error(`mn_infer: ${err()}`);
  x.mn_free(p);
  const peak = mem();
  if (x.mn_memory(h) !== 0) throw new Error(`mn_memory: ${err()}`);
  const m = JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())));
  return {start, afterLoad, peak, memory: m.model, goHeap: m.go_heap};
}

// litertInPage runs in the page: LiteRT.js loads, compiles and runs each
// file once (zero inputs); the files stay loaded, as a page using them would.
async function litertInPage({urls}) {
  const {loadLiteRt, Environment} = await import('/litert/dist/index.js');
  const lr = await loadLiteRt('/litert/wasm/');
  const w = lr.liteRtWasm;
  const env = new Environment({webGpuDevice: null});
  const start = w.HEAPU8.buffer.byteLength;
  for (const u of urls) {
    const model = new Uint8Array(await (await fetch(u)).arrayBuffer());
    const ptr = w._malloc(model.byteLength); // TFLite reads the model from here for its lifetime
    w.HEAPU8.set(model, ptr);
    const m = w.loadModel(env.liteRtEnvironment, ptr, model.byteLength);
    const cm = await w.compileModel(env.liteRtEnvironment, m, {
      environment: env, accelerator: 'wasm', cpuOptions: {numThreads: 1}, gpuOptions: {}, webNNOptions: {},
    });
    const type = m.getInputTensorType(0, 0);
    const buf = w.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, w.LiteRtTensorBufferType.HOST_MEMORY, type, type.bytes());
    type.delete();
    const outs = await cm.run(0, [buf]);
    outs.forEach((o) => o.delete());
    buf.delete();
  }
  return {start, peak: w.HEAPU8.buffer.byteLength};
}

// speedInPage runs in the page: this engine against the baseline, each
// with its simd.wasm, on one model; per round both are timed (order
// alternating) over at least minMs, after checking that both give the
// same output bytes; returns the per-round ratios.
async function speedInPage({urls, rounds, minMs}) {
  const link = await import('/site/engine-link.js');
  const bytes = await Promise.all(urls.map(async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer())));
  const engines = [];
  for (const dir of ['/site/', '/baseline/']) {
    const url = dir + 'engine.wasm';
    const kernels = await link.compileWasm(dir + 'simd.wasm');
    const {exports: x, simd} = await link.instantiateEngine(await link.compileWasm(url), {simdModule: kernels, stdout: () => {}});
    if (!simd) throw new Error(`${dir}simd.wasm did not link`);
    const put = (b) => {
      const p = x.mn_alloc(b.byteLength) >>> 0;
      new Uint8Array(x.memory.buffer, p, b.byteLength).set(b);
      return p;
    };
    const blocks = bytes.map(put);
    const h = x.mn_load(blocks[0], bytes[0].byteLength, blocks[1] || 0, bytes[1] ? bytes[1].byteLength : 0, 0, 0, 0);
    if (!h) throw new Error(`${url}: mn_load failed`);
    x.mn_info(h);
    const info = JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())));
    const n = info.input.shape.reduce((a, b) => a * b, 1) * (info.input.dtype === 'float32' ? 4 : 1);
    const p = put(new Uint8Array(n).map((_, i) => (i * 37) & 0x7f));
    const once = () => {
      if (x.mn_infer(h, p, n) !== 0) throw new Error(`${url}: mn_infer failed`);
    };
    // Per sample: enough inferences to last minMs; the time of one.
    const sample = () => {
      let k = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < minMs) {
        once();
        k++;
        t = performance.now();
      }
      return (t - t0) / k;
    };
    const output = () => {
      once();
      return Array.from(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())).join(',');
    };
    engines.push({once, sample, output});
  }
  // The outputs must be the same bytes, or the timing compares nothing.
  if (engines[0].output() !== engines[1].output()) throw new Error('the two engines give different outputs');
  for (const e of engines) {
    const t0 = performance.now();
    while (performance.now() - t0 < 1000) e.once(); // warm-up by time
  }
  const ratios = [];
  const ms = [[], []];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    const t = [0, 0];
    for (const i of order) t[i] = engines[i].sample();
    ratios.push(t[0] / t[1]);
    ms[0].push(t[0]);
    ms[1].push(t[1]);
  }
  return {ratios, ms};
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mib = (n) => (n / MiB).toFixed(1);

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let chromium;
  try {
    ({chromium} = require('playwright-core'));
    require.resolve('@litertjs/core/package.json');
  } catch (e) {
    die(`run npm ci at ${root} first (${e.message})`);
  }
  for (const f of [a.engine, path.join(root, 'site', 'simd.wasm'), path.join(root, 'bin', 'mobilenet')]) {
    if (!existsSync(f)) die(`${f} is missing: run ./build.sh`);
  }
  const only = new RegExp(a.only || '.');
  const synthDir = mkdtempSync(path.join(os.tmpdir(), 'mobilenet-memory-'));
  const models = catalog().filter((m) => only.test(m.name)).map((m) => ({...m, ...files(m, a.models, synthDir, path.join(root, 'bin', 'mobilenet'))}));
  if (!models.length) die(`no model matches ${a.only}`);

  const fileMap = {'/': PAGE, '/site/engine.wasm': a.engine};
  if (a.baseline) {
    fileMap['/baseline/engine.wasm'] = path.join(a.baseline, 'engine.wasm');
    fileMap['/baseline/simd.wasm'] = path.join(a.baseline, 'simd.wasm');
  }
  models.forEach((m) => m.files.forEach((f, i) => (fileMap[`/models/${m.name}/${i}`] = f)));
  const core = path.dirname(require.resolve('@litertjs/core/package.json'));
  const utils = path.dirname(require.resolve('@litertjs/wasm-utils/package.json'));
  const server = await serve(fileMap, [['/site/', path.join(root, 'site')], ['/litert/', core], ['/wasm-utils/', utils]]);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch(launchOptions(a.chromium));
  const variants = a.variants.split(',');
  const results = {browser: browser.version(), litert: require('@litertjs/core/package.json').version, models: []};

  // fresh runs fn in a new page (new wasm instances), then closes it.
  const fresh = async (fn, arg) => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page] ${e.stack || e}`));
    try {
      await page.goto(origin + '/');
      return await page.evaluate(fn, arg);
    } finally {
      await page.close();
    }
  };

  try {
    for (const m of models) {
      const urls = m.files.map((_, i) => `/models/${m.name}/${i}`);
      const size = m.files.reduce((s, f) => s + readFileSync(f).byteLength, 0);
      const r = {name: m.name, weights: m.weights, bytes: size};
      if (a.baseline) {
        const s = await fresh(speedInPage, {urls, rounds: a.rounds, minMs: a.minMs});
        r.speed = {ratio: median(s.ratios), min: Math.min(...s.ratios), max: Math.max(...s.ratios), ms: median(s.ms[0]), baselineMs: median(s.ms[1])};
        console.error(`${m.name}: ${r.speed.ms.toFixed(2)} ms vs baseline ${r.speed.baselineMs.toFixed(2)} ms, ratio ${r.speed.ratio.toFixed(3)} (${r.speed.min.toFixed(3)}-${r.speed.max.toFixed(3)})`);
      } else {
        if (variants.includes('simd')) r.simd = await fresh(oursInPage, {urls, simd: true});
        if (variants.includes('portable')) r.portable = await fresh(oursInPage, {urls, simd: false});
        if (variants.includes('litert')) r.litert = await fresh(litertInPage, {urls});
        console.error(`${m.name}: ours ${r.simd ? mib(r.simd.peak) : '-'} MiB, LiteRT.js ${r.litert ? mib(r.litert.peak) : '-'} MiB`);
      }
      results.models.push(r);
    }
  } finally {
    await browser.close();
    server.close();
  }
  if (a.out) writeFileSync(a.out, JSON.stringify(results, null, 1));
  console.log(a.baseline ? speedTable(results) : memoryTable(results));
}

// inUse is what the engine's memory holds besides the Go heap's free
// space: the peak less the heap's bytes that no live object uses (after
// mn_memory's collection): static data, the runtime's own, live objects.
function inUse(o) {
  return o.peak - (o.goHeap.heap_sys - o.goHeap.heap_alloc);
}

function memoryTable(res) {
  const rows = [`Headless Chromium ${res.browser}, LiteRT.js ${res.litert}; MiB of wasm memory after loading the model and one inference.`, '',
    '| model | file | ours, SIMD: peak | in use | SIMD weights | arena | other | ours, portable: peak | LiteRT.js |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: |'];
  for (const m of res.models) {
    const s = m.simd;
    const cells = [m.name + (m.weights === 'synthetic' ? ' (synthetic)' : ''), `${(m.bytes / 1e6).toFixed(2)} MB`];
    if (s) {
      const mem = s.memory;
      cells.push(mib(s.peak), mib(inUse(s)), mib(mem.simd_weights + mem.portable_weights), mib(mem.arena), mib(mem.constants + mem.buffers));
    } else {
      cells.push('-', '-', '-', '-', '-');
    }
    cells.push(m.portable ? mib(m.portable.peak) : '-', m.litert ? mib(m.litert.peak) : '-');
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows.join('\n');
}

function speedTable(res) {
  const rows = [`Headless Chromium ${res.browser}, SIMD; median per-round time ratio this engine / baseline (range).`, '',
    '| model | this engine | baseline | ratio (range) |', '| --- | --: | --: | --: |'];
  for (const m of res.models) {
    const s = m.speed;
    rows.push(`| ${m.name} | ${s.ms.toFixed(2)} ms | ${s.baselineMs.toFixed(2)} ms | ${s.ratio.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)}) |`);
  }
  return rows.join('\n');
}

main().catch((e) => {
  console.error(e.stack || e);
  process.exit(1);
});
