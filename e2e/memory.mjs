// memory.mjs measures the engine's memory across model switches in
// headless Chromium (playwright-core); memory_test.go runs it and judges
// the results. Usage:
//
//   node e2e/memory.mjs CONFIG.json
//
// CONFIG: {url (mobilenet serve's), out, chromium, switches, engineModels
// (two catalog names), pageModels (two catalog names)}. Two phases, the
// results in out/results-memory.json ({ok: true, engine, page} or {ok:
// false, error}):
//
//   - engine: one engine instance (site/engine-link.js, simd.wasm linked),
//     `switches` times: mn_free_model the loaded model, mn_load the other
//     of engineModels, one inference on a fixed input; after each switch,
//     the wasm memory's size and the output's bytes (as a string to
//     compare).
//   - page: the JS API, `switches` times: mobilenet.load the other of
//     pageModels, dispose the previous classifier; after each switch, the
//     number of live workers, the classifier's kernel threads (its worker
//     runs threads-1 kernel workers) and the page's JS heap after a
//     collection.

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {chromium} from 'playwright-core';
import {launchOptions} from '../internal/headless/chromium.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});

const browser = await chromium.launch(launchOptions(cfg.chromium));
const page = await browser.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
const r = {ok: false};
try {
  // A page that starts nothing by itself (its benchmark waits for a click).
  await page.goto(`${cfg.url}/bench.html`);

  r.engine = await page.evaluate(async ({names, switches}) => {
    const link = await import('/engine-link.js');
    const mn = await import('/mobilenet.js');
    const entries = (await mn.catalog()).filter((m) => names.includes(m.name));
    if (entries.length !== 2) throw new Error(`catalog lacks ${names}`);
    const get = async (u) => (u ? new Uint8Array(await (await fetch(u)).arrayBuffer()) : null);
    const models = await Promise.all(entries.map(async (e) => ({name: e.name, model: await get(e.model_url), head: await get(e.head_url)})));
    const engine = await link.compileWasm('/engine.wasm');
    const kernels = await link.compileWasm('/simd.wasm');
    const {exports: x, simd} = await link.instantiateEngine(engine, {simdModule: kernels, stdout: () => {}});
    const put = (b) => {
      const p = x.mn_alloc(b.byteLength) >>> 0;
      if (!p) throw new Error('mn_alloc failed');
      new Uint8Array(x.memory.buffer, p, b.byteLength).set(b);
      return p;
    };
    const res = {simd, start: x.memory.buffer.byteLength, memory: [], outputs: [], names: []};
    let h = 0;
    for (let i = 0; i < switches; i++) {
      const m = models[i % 2];
      if (h && x.mn_free_model(h) !== 0) throw new Error('mn_free_model failed');
      const mp = put(m.model);
      const hp = m.head ? put(m.head) : 0;
      h = x.mn_load(mp, m.model.byteLength, hp, m.head ? m.head.byteLength : 0, 0, 0, 0);
      x.mn_free(mp);
      if (hp) x.mn_free(hp);
      if (!h) throw new Error(`mn_load ${m.name} failed`);
      x.mn_info(h);
      const info = JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())));
      const n = info.input.shape.reduce((a, b) => a * b, 1) * (info.input.dtype === 'float32' ? 4 : 1);
      const ip = put(new Uint8Array(n).map((_, j) => (j * 31) & 0x7f));
      if (x.mn_infer(h, ip, n) !== 0) throw new Error(`mn_infer ${m.name} failed`);
      x.mn_free(ip);
      res.outputs.push(Array.from(new Uint8Array(x.memory.buffer, x.mn_result_ptr() >>> 0, x.mn_result_len())).join(','));
      res.memory.push(x.memory.buffer.byteLength);
      res.names.push(m.name);
    }
    return res;
  }, {names: cfg.engineModels, switches: cfg.switches});
  console.log(`engine: ${cfg.switches} switches, memory ${r.engine.memory.slice(0, 4).join(' ')} ... ${r.engine.memory.at(-1)}`);

  const cdp = await page.context().newCDPSession(page);
  const jsHeap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  r.page = {workers: [], threads: [], jsHeap: [], names: []};
  await page.evaluate(() => import('/mobilenet.js').then((m) => (window.mn = m)));
  for (let i = 0; i < cfg.switches; i++) {
    const name = cfg.pageModels[i % 2];
    const threads = await page.evaluate(async (name) => {
      const clf = await window.mn.load({model: name});
      if (window.clf) window.clf.dispose();
      window.clf = clf;
      return clf.info.threads;
    }, name);
    // A terminated worker leaves page.workers() when Chromium reports it
    // (its kernel workers, with kernel threads, a little later). What
    // stays: the classifier's worker and its threads-1 kernel workers.
    const t0 = Date.now();
    while (page.workers().length > threads && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
    r.page.workers.push(page.workers().length);
    r.page.threads.push(threads);
    r.page.jsHeap.push(await jsHeap());
    r.page.names.push(name);
  }
  console.log(`page: workers ${[...new Set(r.page.workers)]}, JS heap ${r.page.jsHeap[9]} -> ${r.page.jsHeap.at(-1)}`);
  r.pageErrors = pageErrors;
  r.ok = true;
} catch (e) {
  r.error = e.stack || String(e);
  r.pageErrors = pageErrors;
} finally {
  writeFileSync(join(cfg.out, 'results-memory.json'), JSON.stringify(r));
  await browser.close();
}
