// soak.mjs keeps the page classifying Chromium's fake webcam for a while,
// switching models through the page's model picker every few seconds, and
// samples memory along the way; soak_test.go runs it and judges the
// results. Usage:
//
//   node e2e/soak.mjs CONFIG.json
//
// CONFIG: {url (mobilenet serve's, cross-origin isolated), out, chromium,
// y4m (the fake camera's video), models (catalog names, switched in turn),
// seconds (how long), switchSeconds (time on each model)}. The results,
// in out/results-soak.json ({ok: true, ...} or {ok: false, error}):
//
//   - samples: after every switch, {t (s since the camera started), model,
//     frames (classified so far), pageHeap (the page's JS heap after a
//     collection, DevTools protocol), workers (live), rss (the resident
//     memory of Chromium's renderer processes, which run the page and its
//     workers: wasm memories included; from /proc, so Linux only)};
//
// (performance.measureUserAgentSpecificMemory would attribute memory to
// each worker, but it waits for every worker to reach its event loop, and
// kernel workers never do: it took 60 s.)
//   - switches, frames, errors (the page's error messages), pageErrors.

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {chromium} from 'playwright-core';
import {fakeCameraArgs, launchOptions} from '../internal/headless/chromium.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});
const T = 60000;

const browser = await chromium.launch(launchOptions(cfg.chromium, fakeCameraArgs(cfg.y4m)));
const page = await browser.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
const r = {ok: false, samples: [], switches: 0};
try {
  await page.goto(`${cfg.url}/?model=${encodeURIComponent(cfg.models[0])}`);
  await page.waitForSelector(`body[data-state="ready"][data-model="${cfg.models[0]}"]`, {timeout: T});
  const cdp = await page.context().newCDPSession(page);
  const bcdp = await browser.newBrowserCDPSession();
  const rendererRSS = async () => {
    let kb = 0;
    for (const p of (await bcdp.send('SystemInfo.getProcessInfo')).processInfo) {
      if (p.type !== 'renderer') continue;
      try {
        kb += +readFileSync(`/proc/${p.id}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)[1];
      } catch {} // a renderer that just ended
    }
    return kb * 1024;
  };
  const frames = () => page.evaluate(() => +(document.getElementById('results').dataset.frames || 0));
  const sample = async (t, model) => {
    await cdp.send('HeapProfiler.collectGarbage');
    const pageHeap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
    const ws = page.workers();
    return {t, model, frames: await frames(), pageHeap, workers: ws.length, workerFiles: ws.map((w) => w.url().split('/').pop()), rss: await rendererRSS()};
  };
  await page.click('#cam-start');
  await page.waitForFunction(() => +(document.getElementById('results').dataset.frames || 0) >= 5, null, {timeout: T});
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  r.samples.push(await sample(0, cfg.models[0]));
  console.log(`first sample after ${elapsed().toFixed(1)} s: ${JSON.stringify(r.samples[0])}`);
  for (let i = 1; elapsed() < cfg.seconds; i++) {
    await page.waitForTimeout(cfg.switchSeconds * 1000);
    const model = cfg.models[i % cfg.models.length];
    const before = await frames();
    await page.selectOption('#model-pick', model);
    await page.waitForSelector(`body[data-state="ready"][data-model="${model}"]`, {timeout: T});
    // The camera goes on with the new model.
    await page.waitForFunction((n) => +(document.getElementById('results').dataset.frames || 0) > n, before, {timeout: T});
    r.switches++;
    r.samples.push(await sample(elapsed(), model));
    console.log(`${elapsed().toFixed(0)} s: ${model}, ${r.samples.at(-1).frames} frames, page heap ${(r.samples.at(-1).pageHeap / 1048576).toFixed(2)} MiB, ` +
      `${r.samples.at(-1).workers} workers (${r.samples.at(-1).workerFiles}), renderers ${(r.samples.at(-1).rss / 1048576).toFixed(1)} MiB`);
  }
  r.frames = await frames();
  r.camera = await page.getAttribute('body', 'data-camera');
  r.errors = await page.$$eval('#messages .msg[data-kind="error"]', (els) => els.map((e) => e.textContent));
  await page.click('#cam-stop');
  r.ok = true;
} catch (e) {
  r.error = e.stack || String(e);
} finally {
  r.pageErrors = pageErrors;
  writeFileSync(join(cfg.out, 'results-soak.json'), JSON.stringify(r));
  await browser.close();
}
