#!/usr/bin/env node
// run.mjs: benchmarks our engine (SIMD on 1 and 2 kernel threads, and
// portable) against LiteRT.js (numThreads 1 and 2) and the official TFLite
// runtime compiled to wasm (tfjs-tflite), interleaved in one headless
// Chromium or Firefox page (site/bench.html), and prints a Markdown table.
// See README.md here.
//
//   node bench/browser/run.mjs [--browser firefox] [--models DIR] [--runs 50] [--out FILE.json]
//
// Flags:
//   --browser NAME    chromium (default) or firefox
//   --models DIR      the .tflite files (default $MOBILENET_TESTDATA/models,
//                     MOBILENET_TESTDATA defaulting to ../shared)
//   --goldens DIR     golden tensors and outputs (default $MOBILENET_TESTDATA/goldens)
//   --image NAME      the prepared input, goldens/tensors/S/NAME.rgb (default grace_hopper.bmp)
//   --only REGEXP     only the models whose name matches
//   --runs N          timed samples per variant and model (default 50)
//   --warmup N        untimed inferences per variant first (default 10)
//   --warmup-ms X     and at least X ms of them (default 1000: Firefox runs
//                     baseline code until its optimizing compiler is done)
//   --min-sample-ms X one sample runs enough inferences to last X ms (default 5
//                     in Chromium, 50 in Firefox, whose clock ticks in 1 ms;
//                     0 = one inference a sample); see README.md
//   --variants LIST   comma-separated subset of simd,simd2,relaxed,portable,tflite,litert,litert2
//                     (default all but relaxed; relaxed: simd-relaxed.wasm;
//                     simd2 and litert2 make the page cross-origin isolated,
//                     and LiteRT.js its threaded build)
//   --out FILE        write the results as JSON (default: a file in the temp dir)
//   --engine FILE     the engine module (default site/engine.wasm)
//   --engine-threads FILE  the shared-memory engine of simd2 (default site/engine-threads.wasm)
//   --simd FILE       the kernel module for simd (default site/simd.wasm): with
//                     --engine, an older build's pair for before/after runs
//   --chromium PATH   Chromium (default $CHROMIUM or /usr/bin/chromium)
//   --firefox PATH    Firefox (default $FIREFOX or /usr/bin/firefox-esr)
//   --serve           only serve the page and print its URL (for a real browser)
//   --profile N       also time every kernel call of one inference N times over,
//                     and the other tiles of the same packed layout (the page is
//                     then cross-origin isolated for a 5 us clock: no tflite)
//
// It needs site/engine.wasm (./build.sh) and `npm install` at the repository
// root (playwright-core or puppeteer-core, @tensorflow/tfjs-tflite, @litertjs/core). Nothing is
// fetched from the network: this script's own server serves site/, the
// models, the goldens and tfjs-tflite's and LiteRT.js's files from node_modules.

import {createServer} from 'node:http';
import {createReadStream, existsSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {gzipSync} from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {createRequire} from 'node:module';
import {launch} from '../../internal/headless/browser.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(root, 'package.json'));

const VARIANTS = ['simd', 'simd2', 'relaxed', 'portable', 'tflite', 'litert', 'litert2'];

function parseArgs(argv) {
  const testdata = process.env.MOBILENET_TESTDATA || path.join(root, '..', 'shared');
  const a = {
    models: path.join(testdata, 'models'), goldens: path.join(testdata, 'goldens'),
    image: 'grace_hopper.bmp', only: '', runs: 50, warmup: 10, warmupMs: 1000, minSampleMs: null,
    variants: VARIANTS.filter(v => v !== 'relaxed').join(','), out: '', engine: path.join(root, 'site', 'engine.wasm'), engineThreads: path.join(root, 'site', 'engine-threads.wasm'), browser: 'chromium',
    chromium: process.env.CHROMIUM || '/usr/bin/chromium', firefox: process.env.FIREFOX || '/usr/bin/firefox-esr', serve: false, profile: 0,
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${f} needs a value`);
      return argv[++i];
    };
    switch (f) {
      case '--models': a.models = path.resolve(val()); break;
      case '--goldens': a.goldens = path.resolve(val()); break;
      case '--image': a.image = val(); break;
      case '--only': a.only = val(); break;
      case '--runs': a.runs = Number(val()); break;
      case '--warmup': a.warmup = Number(val()); break;
      case '--warmup-ms': a.warmupMs = Number(val()); break;
      case '--min-sample-ms': a.minSampleMs = Number(val()); break;
      case '--variants': a.variants = val(); break;
      case '--out': a.out = path.resolve(val()); break;
      case '--engine': a.engine = path.resolve(val()); break;
      case '--simd': a.simd = path.resolve(val()); break;
      case '--engine-threads': a.engineThreads = path.resolve(val()); break;
      case '--chromium': a.chromium = val(); break;
      case '--firefox': a.firefox = val(); break;
      case '--browser': a.browser = val(); break;
      case '--serve': a.serve = true; break;
      case '--profile': a.profile = Number(val()); break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1).filter((l, i, a) => a.slice(0, i + 1).every(x => x.startsWith('//'))).map(l => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
      default: die(`unknown flag ${f} (see --help)`);
    }
  }
  if (!['chromium', 'firefox'].includes(a.browser)) die(`--browser ${a.browser}: want chromium or firefox`);
  // Firefox rounds performance.now() to 1 ms without cross-origin
  // isolation (which this page must not have, see serve): a sample must
  // last 50 ticks to keep the rounding under 2%.
  if (a.minSampleMs == null) a.minSampleMs = a.browser === 'firefox' ? 50 : 5;
  a.executable = a.browser === 'firefox' ? a.firefox : a.chromium;
  if (!(a.runs >= 1) || !(a.warmup >= 1) || !(a.minSampleMs >= 0) || !(a.warmupMs >= 0)) die('--runs and --warmup must be >= 1, --min-sample-ms >= 0');
  a.variants = a.variants.split(',').map(s => s.trim()).filter(Boolean);
  for (const v of a.variants) if (!VARIANTS.includes(v)) die(`unknown variant ${v}`);
  if (a.profile > 0 && a.variants.includes('tflite')) die('--profile isolates the page, where tfjs-tflite would pick its threaded build: leave tflite out of --variants');
  a.isolate = a.variants.includes('simd2') || a.variants.includes('litert2') || a.profile > 0;
  return a;
}

function die(msg) {
  console.error('run.mjs: ' + msg);
  process.exit(2);
}

// findModels lists the models of dir: every .tflite, except that an
// "..._embedding_extractor" file and a "..._head_layers" file form one chained
// model named like the extractor without the suffix (the 1.0_224 quant pair).
function findModels(dir) {
  if (!existsSync(dir)) die(`no models folder ${dir} (see --models)`);
  const files = readdirSync(dir).filter(f => f.endsWith('.tflite')).sort();
  const heads = files.filter(f => /head_layers/.test(f));
  const models = [];
  for (const f of files) {
    if (heads.includes(f)) continue;
    const name = f.replace(/\.tflite$/, '');
    if (/_embedding_extractor$/.test(name)) {
      if (heads.length !== 1) die(`${f}: want exactly one *head_layers*.tflite beside it, found ${heads.length}`);
      models.push({name: name.replace(/_embedding_extractor$/, ''), file: f, head: heads[0]});
    } else {
      models.push({name, file: f});
    }
  }
  return models;
}

function packageDir(name) {
  try {
    return path.dirname(require.resolve(name + '/package.json'));
  } catch (_) {
    const p = path.join(root, 'node_modules', name);
    if (existsSync(path.join(p, 'package.json'))) return p;
    die(`${name} is not installed: run npm install at ${root}`);
  }
}

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json', '.css': 'text/css',
};

// serve serves mounts (URL prefix -> list of folders, first hit wins) plus
// fixed files (URL path -> file path, or a Buffer of JSON), with COOP/COEP
// headers when isolate (threaded variants: shared memory needs a
// cross-origin isolated page; bench.js keeps tfjs-tflite on its
// single-threaded build there).
function serve(mounts, files, isolate) {
  const iso = isolate ? {'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp'} : {};
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    let file = files[u.pathname];
    if (!file) {
      for (const [prefix, dirs] of mounts) {
        if (!u.pathname.startsWith(prefix)) continue;
        const rel = decodeURIComponent(u.pathname.slice(prefix.length)) || 'bench.html';
        for (const d of dirs) {
          const p = path.resolve(d, rel);
          if (p.startsWith(path.resolve(d) + path.sep) && existsSync(p) && statSync(p).isFile()) { file = p; break; }
        }
        if (file) break;
      }
    }
    if (Buffer.isBuffer(file)) {
      res.writeHead(200, {'content-type': 'application/json', 'cache-control': 'no-store', ...iso});
      res.end(file);
      return;
    }
    if (!file && u.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (!file) {
      console.error(`server: 404 ${u.pathname}`);
      res.writeHead(404, {'content-type': 'text/plain'});
      res.end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': types[path.extname(file)] || 'application/octet-stream',
      'content-length': statSync(file).size,
      'cache-control': 'no-store',
      ...iso,
    });
    createReadStream(file).pipe(res);
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function sizes(file) {
  const b = readFileSync(file);
  const rel = path.relative(root, file);
  return {file: rel.startsWith('..') ? file : rel, raw: b.length, gzip: gzipSync(b, {level: 9}).length};
}

const ms = x => (x == null || Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function cell(v) {
  if (!v || v.median == null) return 'n/a';
  return `${ms(v.median)} (${ms(v.p10)}–${ms(v.p90)})`;
}

// What each variant is called in the table.
const variantNames = {
  simd: 'ours SIMD', simd2: 'ours SIMD 2 threads', relaxed: 'ours relaxed SIMD', portable: 'ours portable',
  tflite: 'TFLite-wasm', litert: 'LiteRT.js', litert2: 'LiteRT.js 2 threads',
};
const ours = ['simd', 'simd2', 'relaxed', 'portable'];

function agreement(m) {
  const parts = [];
  for (const v of ours) {
    for (const ref of ['tflite', 'litert', 'golden']) {
      const c = m.compare && m.compare[`${v}_vs_${ref}`];
      if (!c) continue;
      let s;
      if (m.outputDtype === 'float32') s = c.equal ? 'equal' : `max diff ${c.maxAbsDiff.toExponential(2)}`;
      else s = c.equal ? 'byte-equal' : `${c.differingBytes} bytes differ (max ${c.maxAbsDiff})`;
      parts.push(`${v} vs ${ref}: ${s}`);
    }
  }
  for (const ref of ['tflite', 'litert']) {
    const g = m.compare && m.compare[`${ref}_vs_golden`];
    if (g) parts.push(`${ref} vs golden: ${g.equal ? 'equal' : m.outputDtype === 'float32' ? `max diff ${g.maxAbsDiff.toExponential(2)}` : `${g.differingBytes} bytes differ`}`);
  }
  return parts.join('; ');
}

// table: median (p10-p90) ms per variant, then for each of ours against
// each reference runtime the median of the per-round ratios (p10-p90).
function table(result, simdNote, variants) {
  const refs = ['litert', 'tflite'].filter(r => variants.includes(r));
  const mine = ours.filter(v => variants.includes(v));
  const ratioCols = [];
  for (const r of refs) for (const v of mine) ratioCols.push([v, r]);
  const head = ['model', ...variants.map(v => `${variantNames[v]} ms`), ...ratioCols.map(([v, r]) => `${v} / ${r}`), 'outputs'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const m of result.models) {
    if (m.error) {
      lines.push(`| ${m.name} | error: ${m.error.split('\n')[0]} |${' |'.repeat(head.length - 2)}`);
      continue;
    }
    const v = m.variants;
    const ratio = (x, r) => {
      const p = x && x.ratios && x.ratios[r];
      return p ? `${p.median.toFixed(2)}x (${p.p10.toFixed(2)}–${p.p90.toFixed(2)})` : 'n/a';
    };
    const cells = variants.map(x => (v[x] ? cell(v[x]) : x === 'simd' ? simdNote : 'n/a'));
    lines.push(`| ${m.name} | ${cells.join(' | ')} | ${ratioCols.map(([x, r]) => ratio(v[x], r)).join(' | ')} | ${agreement(m)} |`);
  }
  return lines.join('\n');
}

// roundRatio is the median (p10–p90) of the per-round ratios of variant a
// to variant b, or n/a.
function roundRatio(m, a, b) {
  const r = m.variants[a] && m.variants[a].ratios && m.variants[a].ratios[b];
  return r ? `${r.median.toFixed(2)}x (${r.p10.toFixed(2)}–${r.p90.toFixed(2)})` : 'n/a';
}

// threadsTable is the threads comparison: ours and LiteRT.js on 1 and 2
// threads, ratios per round.
function threadsTable(result) {
  const lines = [
    '| model | ours 1 thread ms | ours 2 threads ms | LiteRT.js 1 ms | LiteRT.js 2 ms | ours 1 / LiteRT.js 1 | ours 2 / LiteRT.js 2 | ours 2 / ours 1 | ours 2 = ours 1 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const m of result.models) {
    if (m.error) continue;
    const v = m.variants;
    const same = m.compare && m.compare.simd2_vs_simd ? (m.compare.simd2_vs_simd.equal ? 'byte-equal' : 'DIFFERENT') : 'n/a';
    lines.push(`| ${m.name} | ${cell(v.simd)} | ${cell(v.simd2)} | ${cell(v.litert)} | ${cell(v.litert2)} | ${roundRatio(m, 'simd', 'litert')} | ${roundRatio(m, 'simd2', 'litert2')} | ${roundRatio(m, 'simd2', 'simd')} | ${same} |`);
  }
  return lines.join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const site = path.join(root, 'site');
  const engine = args.engine;
  if (!existsSync(engine)) die(`no ${path.relative(root, engine)}: run ./build.sh first`);
  const simd = [args.simd, path.join(site, 'simd.wasm'), path.join(root, 'kernels', 'simd', 'simd.wasm')].find(f => f && existsSync(f));
  if (args.simd && simd !== args.simd) die(`no ${args.simd}`);
  const relaxed = [path.join(site, 'simd-relaxed.wasm'), path.join(root, 'kernels', 'simd', 'simd-relaxed.wasm')].find(existsSync);
  const tflitePkg = packageDir('@tensorflow/tfjs-tflite');
  const litertPkg = packageDir('@litertjs/core');
  const litertVersion = JSON.parse(readFileSync(path.join(litertPkg, 'package.json'), 'utf8')).version;
  const wasmUtilsPkg = packageDir('@litertjs/wasm-utils');
  const tfliteVersion = JSON.parse(readFileSync(path.join(tflitePkg, 'package.json'), 'utf8')).version;
  let models = findModels(args.models);
  if (args.only) models = models.filter(m => new RegExp(args.only).test(m.name));
  if (!models.length) die(`no models in ${args.models}${args.only ? ' matching ' + args.only : ''}`);

  // tf-tflite.min.js preloads tflite_web_api_cc*.js from its own folder, so
  // /vendor/tflite/ serves dist/ and wasm/ of the package as one folder.
  const config = {
    models, runs: args.runs, warmup: args.warmup, warmupMs: args.warmupMs, minSampleMs: args.minSampleMs, variants: args.variants,
    image: args.image, engineUrl: '/engine.wasm', simdUrl: simd ? '/simd.wasm' : null, relaxedUrl: relaxed ? '/simd-relaxed.wasm' : null,
    tfliteUrl: '/vendor/tflite/', litertUrl: '/vendor/litert/', profile: args.profile, modelsUrl: '/models/', tensorsUrl: '/tensors/', goldensUrl: '/goldens/',
    engineThreadsUrl: '/engine-threads.wasm', simdThreadsUrl: '/simd-threads.wasm',
  };
  // /bench-config.json is for the page's Run button (--serve).
  const server = await serve([
    ['/vendor/tflite/', [path.join(tflitePkg, 'dist'), path.join(tflitePkg, 'wasm')]],
    ['/vendor/litert/', [litertPkg]],
    ['/vendor/wasm-utils/', [wasmUtilsPkg]],
    ['/models/', [args.models]],
    ['/tensors/', [path.join(args.goldens, 'tensors')]],
    ['/goldens/', [args.goldens]],
    ['/', [site]],
  ], {'/engine.wasm': engine, '/engine-threads.wasm': args.engineThreads, ...(simd ? {'/simd.wasm': simd} : {}), ...(relaxed ? {'/simd-relaxed.wasm': relaxed} : {}), '/bench-config.json': Buffer.from(JSON.stringify(config))}, args.isolate);
  const base = `http://127.0.0.1:${server.address().port}/`;

  if (args.serve) {
    console.log(`serving ${base}bench.html (Ctrl-C to stop)`);
    return;
  }

  const driver = args.browser === 'firefox' ? 'puppeteer-core' : 'playwright-core';
  try {
    require.resolve(driver);
  } catch (err) {
    die(`${driver} is not installed (npm install at ${root}): ${err.message}`);
  }
  const apt = args.browser === 'firefox' ? 'firefox-esr' : 'chromium';
  if (!existsSync(args.executable)) die(`no browser at ${args.executable} (apt-get install ${apt}, or --${args.browser} PATH)`);
  const browser = await launch({browser: args.browser, executable: args.executable});
  const browserVersion = browser.version();
  const loadavgBefore = os.loadavg();
  let result;
  const wasmRequests = [];
  try {
    const page = await browser.newPage();
    page.on('console', msg => console.error(`[page] ${msg.text()}`));
    page.on('pageerror', err => console.error(`[page error] ${err.message}`));
    page.on('response', r => {
      if (r.status() >= 400) console.error(`[page] HTTP ${r.status()} ${new URL(r.url()).pathname}`);
    });
    page.on('requestfinished', req => {
      if (/\.wasm($|\?)/.test(req.url())) wasmRequests.push(new URL(req.url()).pathname);
    });
    await page.goto(base + 'bench.html');
    await page.waitForFunction(() => self.mnBench, null, {timeout: 30000});
    result = await page.evaluate(cfg => self.mnBench.run(cfg), config);
  } finally {
    await browser.close().catch(() => {});
    server.close();
  }

  const tfliteWasm = wasmRequests.filter(p => p.startsWith('/vendor/tflite/')).map(p => path.basename(p));
  const litertWasm = wasmRequests.filter(p => p.startsWith('/vendor/litert/')).map(p => path.basename(p));
  const wasmFiles = [sizes(engine)];
  if (simd) wasmFiles.push({...sizes(simd), linked: !!(result.simd && result.simd.engineImports && result.models.some(m => m.variants && m.variants.simd))});
  if (relaxed && args.variants.includes('relaxed')) wasmFiles.push(sizes(relaxed));
  for (const f of new Set(tfliteWasm)) wasmFiles.push(sizes(path.join(tflitePkg, 'wasm', f)));
  for (const f of new Set(litertWasm)) wasmFiles.push(sizes(path.join(litertPkg, 'wasm', f)));
  const simdNote = result.simd && !result.simd.engineImports ? 'n/a (not yet linked)' : (result.simd && result.simd.note) || 'n/a';
  const report = {
    date: new Date().toISOString(),
    command: 'node bench/browser/run.mjs ' + process.argv.slice(2).join(' '),
    browser: `${args.browser === 'firefox' ? 'Firefox' : 'Chromium'} ${browserVersion.replace(/^firefox\//, '')}`, userAgent: result.userAgent,
    host: {cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavgBefore, loadavgAfter: os.loadavg()},
    tfjsTflite: tfliteVersion, tfliteWasmFetched: tfliteWasm, litertjs: litertVersion, litertWasmFetched: litertWasm, wasmRequests, wasmFiles, ...result,
  };
  if (!tfliteWasm.length && args.variants.includes('tflite')) console.error('warning: no TFLite .wasm request seen');
  if (tfliteWasm.some(f => f !== 'tflite_web_api_cc_simd.wasm')) console.error(`warning: TFLite fetched ${tfliteWasm.join(', ')}, not (only) tflite_web_api_cc_simd.wasm`);

  const md = [
    `Benchmark, ${report.date.slice(0, 16).replace('T', ' ')} UTC, ${report.browser} headless (${args.executable}), ${report.host.cpu}, ` +
      `timer ${(result.timerResolutionMs * 1000).toFixed(0)} us, crossOriginIsolated ${result.crossOriginIsolated}, ` +
      `load average ${loadavgBefore[0].toFixed(1)} before / ${report.host.loadavgAfter[0].toFixed(1)} after on ${os.cpus().length} cores`,
    `TFLite: @tensorflow/tfjs-tflite ${tfliteVersion}, fetched ${tfliteWasm.join(', ') || 'nothing'}, numThreads 1; ` +
      `input ${args.image}; ${args.runs} interleaved samples per variant (each sized to last about ${args.minSampleMs} ms) after ${args.warmup} warm-up runs and ${args.warmupMs} ms; ` +
      'median (p10–p90) ms per inference; ratios: the median (p10–p90) of the per-round ratios',
    `LiteRT.js: @litertjs/core ${litertVersion}, fetched ${litertWasm.join(', ') || 'nothing'}, numThreads 1 (litert) and 2 (litert2)`,
    '',
    table(result, simdNote, args.variants),
    '',
    ...(args.variants.some(v => ['simd2', 'litert', 'litert2'].includes(v)) ? [
      `Threads: ours on 1 and 2 kernel threads (engine.wasm / engine-threads.wasm), LiteRT.js ${litertVersion} ` +
        `(${result.litert && result.litert.threadedBuild ? 'its threaded build' : 'its single-threaded build'}) with numThreads 1 and 2; ` +
        'ratios: median (p10–p90) of the per-round ratios',
      '',
      threadsTable(result),
      '',
    ] : []),
    'wasm files: ' + wasmFiles.map(f => `${f.file.replace(/^.*node_modules\//, '')} ${f.raw} B raw / ${f.gzip} B gzip -9${f.linked === false ? ' (not linked)' : ''}`).join('; '),
  ].join('\n');
  console.log(md);
  const out = args.out || path.join(os.tmpdir(), 'mobilenet-bench-browser.json');
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  console.error(`wrote ${out}`);
  if (result.models.some(m => m.error)) process.exitCode = 1;
}

main().catch(err => {
  console.error(err && err.stack || err);
  process.exit(1);
});
