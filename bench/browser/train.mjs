#!/usr/bin/env node
// train.mjs: times training a head in headless Chromium (Teacher.train() in
// the engine's worker) on the 600 sign-digits photos embedded by the
// 1.0_224 quant base, as BenchmarkTrain1024 (train/signdigits_test.go) does
// natively. See README.md here.
//
//   node bench/browser/train.mjs [--rounds 5] [--out FILE.json]
//
// Flags:
//   --models DIR      the .tflite files (default $MOBILENET_TESTDATA/models,
//                     MOBILENET_TESTDATA defaulting to ../shared)
//   --data DIR        the photos (default $MOBILENET_TESTDATA/datasets/sign-digits)
//   --embeddings FILE the embeddings file of bench/browser/embeddings: used
//                     as is when it exists, else computed natively (minutes)
//                     and written there (default: a file in the temp dir)
//   --rounds N        timed trainings (default 5), after one untimed warm-up
//   --step-ms X       TrainOptions.stepMs, worker time per step call (default 50,
//                     the default of train()); a large value (60000) runs the
//                     whole training in one worker call
//   --simd on|off     the engine's SIMD kernels (default on)
//   --out FILE        write the results as JSON (default: a file in the temp dir)
//   --chromium PATH   the browser (default $CHROMIUM or /usr/bin/chromium)
//
// Training uses train()'s defaults plus seed 1: a stratified 20% validation
// split (seed 1), early stopping, then quantization-aware epochs (the base is
// quantized), the same data, split and config as BenchmarkTrain1024. The
// time is train()'s, call to resolve, on the page. It needs site/engine.wasm
// (./build.sh), `npm install` at the repository root and Go (for the
// embeddings). Nothing is fetched from the network.

import {createServer} from 'node:http';
import {createReadStream, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';
import {launchOptions} from '../../internal/headless/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));
const EXTRACTOR = 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite';
const HEAD = 'mobilenet_quant_v1_224_head_layers.tflite';

function parseArgs(argv) {
  const testdata = process.env.MOBILENET_TESTDATA || path.join(root, '..', 'shared');
  const a = {
    models: path.join(testdata, 'models'), data: path.join(testdata, 'datasets', 'sign-digits'),
    embeddings: path.join(os.tmpdir(), 'mobilenet-signdigits-1.0_224_quant.emb'),
    rounds: 5, stepMs: 50, simd: true, out: '', chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${f} needs a value`);
      return argv[++i];
    };
    switch (f) {
      case '--models': a.models = path.resolve(val()); break;
      case '--data': a.data = path.resolve(val()); break;
      case '--embeddings': a.embeddings = path.resolve(val()); break;
      case '--rounds': a.rounds = Number(val()); break;
      case '--step-ms': a.stepMs = Number(val()); break;
      case '--simd': {
        const v = val();
        if (v !== 'on' && v !== 'off') die('--simd is on or off');
        a.simd = v === 'on';
        break;
      }
      case '--out': a.out = path.resolve(val()); break;
      case '--chromium': a.chromium = val(); break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 30).map(l => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
      default: die(`unknown flag ${f} (see --help)`);
    }
  }
  if (!(a.rounds >= 1) || !(a.stepMs > 0)) die('--rounds must be >= 1, --step-ms > 0');
  return a;
}

function die(msg) {
  console.error('train.mjs: ' + msg);
  process.exit(2);
}

// readEmbeddings parses the file of bench/browser/embeddings (see its doc).
function readEmbeddings(file) {
  const b = readFileSync(file);
  if (b.subarray(0, 8).toString('latin1') !== 'MNEMB001') throw new Error(`${file}: not an embeddings file`);
  const [n, dim, classes] = [8, 12, 16].map(o => b.readUInt32LE(o));
  if (b.length !== 20 + 4 * n + 4 * n * dim) throw new Error(`${file}: ${b.length} bytes, want ${20 + 4 * n + 4 * n * dim}`);
  return {n, dim, classes};
}

const types = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json'};

// serve serves site/ at /, the models at /models/, the embeddings at
// /embeddings.bin and an empty page at /train-bench.html.
function serve(site, models, embeddings) {
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (u.pathname === '/train-bench.html') {
      res.writeHead(200, {'content-type': types['.html'], 'cache-control': 'no-store'});
      res.end('<!doctype html><meta charset="utf-8"><title>train benchmark</title>\n');
      return;
    }
    let file = null;
    if (u.pathname === '/embeddings.bin') file = embeddings;
    for (const [prefix, d] of [['/models/', models], ['/', site]]) {
      if (file || !u.pathname.startsWith(prefix)) continue;
      const p = path.resolve(d, decodeURIComponent(u.pathname.slice(prefix.length)));
      if (p.startsWith(path.resolve(d) + path.sep) && existsSync(p) && statSync(p).isFile()) file = p;
      else break;
    }
    if (!file) {
      console.error(`server: 404 ${u.pathname}`);
      res.writeHead(404, {'content-type': 'text/plain'});
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {'content-type': types[path.extname(file)] || 'application/octet-stream', 'content-length': statSync(file).size, 'cache-control': 'no-store'});
    createReadStream(file).pipe(res);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// pageBench runs in the page: load the model pair, add the embeddings to a
// teacher of `classes` classes, train once untimed, then `rounds` timed.
async function pageBench(cfg) {
  const mn = await import('/mobilenet.js');
  const buf = await (await fetch('/embeddings.bin')).arrayBuffer();
  const dv = new DataView(buf);
  const [n, dim, classes] = [8, 12, 16].map(o => dv.getUint32(o, true));
  const labels = new Int32Array(buf.slice(20, 20 + 4 * n));
  const vecs = new Float32Array(buf, 20 + 4 * n, n * dim);
  const t0 = performance.now();
  const clf = await mn.load({modelUrl: cfg.modelUrl, headUrl: cfg.headUrl, cache: false, simd: cfg.simd});
  const loadMs = performance.now() - t0;
  const names = Array.from({length: classes}, (_, i) => String(i));
  const t = await clf.teacher({classes: names});
  if (t.info.dim !== dim) throw new Error(`the teacher's features are ${t.info.dim} long, the embeddings ${dim}`);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) await t.addEmbedding(labels[i], vecs.subarray(i * dim, (i + 1) * dim));
  const addMs = performance.now() - t1;
  const runs = [];
  for (let r = 0; r <= cfg.rounds; r++) {
    let epochs = 0, qat = 0, last = null, firstMs = null;
    const s = performance.now();
    const res = await t.train({seed: 1, stepMs: cfg.stepMs, onProgress: (p) => {
      if (firstMs == null) firstMs = performance.now() - s;
      epochs++;
      if (p.phase === 'qat') qat++;
      last = p;
    }});
    const ms = performance.now() - s;
    runs.push({ms, epochs, qatEpochs: qat, firstProgressMs: firstMs, valAcc: last && last.valAcc, reported: res.epochs.length, warmup: r === 0});
  }
  const info = {...clf.info};
  t.dispose();
  clf.dispose();
  return {n, dim, classes, quant: t.info.quant, loadMs, addMs, runs, model: {name: info.name, simd: info.simd, simdReason: info.simdReason}, userAgent: navigator.userAgent};
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = p => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return {median: s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2, min: s[0], max: s[s.length - 1], p10: q(0.1), p90: q(0.9)};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const site = path.join(root, 'site');
  if (!existsSync(path.join(site, 'engine.wasm'))) die('no site/engine.wasm: run ./build.sh first');
  for (const f of [EXTRACTOR, HEAD]) if (!existsSync(path.join(args.models, f))) die(`no ${f} in ${args.models} (see --models)`);
  if (!existsSync(args.embeddings)) {
    console.error(`computing the embeddings natively into ${args.embeddings} (minutes)...`);
    execFileSync('go', ['run', './bench/browser/embeddings', '-out', args.embeddings, '-data', args.data, '-models', args.models,
      '-model', `${EXTRACTOR},${HEAD}`], {cwd: root, stdio: ['ignore', 'inherit', 'inherit']});
  }
  const emb = readEmbeddings(args.embeddings);

  let chromium;
  try {
    ({chromium} = require('playwright-core'));
  } catch (err) {
    die(`playwright-core is not installed (npm install at ${root}): ${err.message}`);
  }
  if (!existsSync(args.chromium)) die(`no browser at ${args.chromium} (apt-get install chromium, or --chromium PATH)`);
  const server = await serve(site, args.models, args.embeddings);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch(launchOptions(args.chromium));
  const browserVersion = browser.version();
  const loadavgBefore = os.loadavg();
  let result;
  try {
    const page = await browser.newPage();
    page.on('console', msg => console.error(`[page] ${msg.text()}`));
    page.on('pageerror', err => console.error(`[page error] ${err.message}`));
    await page.goto(base + 'train-bench.html');
    result = await page.evaluate(pageBench, {modelUrl: '/models/' + EXTRACTOR, headUrl: '/models/' + HEAD, rounds: args.rounds, stepMs: args.stepMs, simd: args.simd});
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }
  const timed = result.runs.filter(r => !r.warmup);
  const ms = stats(timed.map(r => r.ms));
  const epochs = [...new Set(timed.map(r => r.epochs))];
  const report = {
    date: new Date().toISOString(),
    command: 'node bench/browser/train.mjs ' + process.argv.slice(2).join(' '),
    chromium: `Chromium ${browserVersion}`,
    host: {cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavgBefore, loadavgAfter: os.loadavg()},
    models: [EXTRACTOR, HEAD], embeddings: {file: args.embeddings, ...emb}, stepMs: args.stepMs,
    trainMs: ms, msPerEpoch: ms.median / (timed.reduce((s, r) => s + r.epochs, 0) / timed.length), ...result,
  };
  const f = x => x.toFixed(0);
  const md = [
    `Training benchmark, ${report.date.slice(0, 16).replace('T', ' ')} UTC, ${report.chromium} headless, ${report.host.cpu}, ` +
      `load average ${loadavgBefore[0].toFixed(1)} before / ${report.host.loadavgAfter[0].toFixed(1)} after on ${report.host.cores} cores`,
    `${result.n} sign-digits embeddings (${result.dim} features, ${result.classes} classes) of the 1.0_224 quant base; ` +
      `train() with seed 1, 20% validation, ${result.quant ? 'quantization-aware' : 'float'}, stepMs ${args.stepMs}, SIMD ${result.model.simd}; ` +
      `${args.rounds} timed rounds after 1 warm-up`,
    '',
    '| base | examples | train() ms median (min–max) | epochs per run (float + QAT) | ms per epoch |',
    '| --- | --: | --: | --: | --: |',
    `| 1.0_224_quant | ${result.n} | ${f(ms.median)} (${f(ms.min)}–${f(ms.max)}) | ${epochs.join(', ')} (${timed[0].epochs - timed[0].qatEpochs} + ${timed[0].qatEpochs}) | ${report.msPerEpoch.toFixed(1)} |`,
  ].join('\n');
  console.log(md);
  const out = args.out || path.join(os.tmpdir(), 'mobilenet-bench-train.json');
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  console.error(`wrote ${out}`);
}

main().catch(err => {
  console.error(err && err.stack || err);
  process.exit(1);
});
