// quantize.mjs drives the page's Quantize mode in headless Chromium or
// Firefox (internal/headless/browser.mjs) and records what it showed; quantize_test.go makes
// the inputs, runs this script and judges the results. Usage:
//
//   node e2e/quantize.mjs CONFIG.json
//
// CONFIG: {url, out, browser, executable, floatModel (a catalog name), quantModel (a
// quantized .tflite to drop), photos (paths), textFile}. The observations
// go to out/results-quantize.json ({ok: true, ...} or {ok: false, error}),
// the downloaded model to out/downloaded.tflite, screenshots to out/.

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {join, basename} from 'node:path';
import {launch} from '../internal/headless/browser.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});
const T = 30000;

const browser = await launch({browser: cfg.browser, executable: cfg.executable});
const ctx = await browser.newContext({viewport: {width: 1280, height: 1100}, acceptDownloads: true});
const page = await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('console', (m) => {
  if (m.type() === 'error' && !/favicon|status of 404/.test(m.text())) pageErrors.push(m.text());
});

const shot = async (name) => {
  const path = join(cfg.out, `${name}.png`);
  await page.screenshot({path, fullPage: true});
  return path;
};
const message = (key) => page.$$eval(`#messages .msg[data-key="${key}"]`, (ms) => ms.map((m) => m.querySelector('span').textContent).join(' | '));
// waitMessage waits for the quantize message to match re.
const waitMessage = (re) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#messages .msg[data-key="quantize"]')?.textContent || ''), re.source, {timeout: T});

// drop drops files on the Quantize panel, as a user's drag and drop.
async function drop(files) {
  const items = files.map(({path, name, type}) => ({b64: readFileSync(path).toString('base64'), name, type}));
  await page.evaluate((items) => {
    const dt = new DataTransfer();
    for (const {b64, name, type} of items) dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, {type}));
    const el = document.getElementById('quantize');
    el.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
    el.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
  }, items);
}

const r = {};
try {
  await page.goto(`${cfg.url}/?mode=quantize`);
  await page.waitForSelector('#quantize', {state: 'visible', timeout: T});
  r.classifierHidden = !(await page.isVisible('#viewer'));
  await page.waitForSelector(`#q-model option[value="${cfg.floatModel}"]`, {state: 'attached', timeout: T});

  // No model, then a model and no photos.
  await page.click('#q-run');
  await waitMessage(/Pick a float model/);
  r.noModel = await message('quantize');
  await drop([{path: cfg.quantModel, name: basename(cfg.quantModel), type: 'application/octet-stream'}]);
  await page.click('#q-run');
  await waitMessage(/Add a few photos/);
  r.noPhotos = await message('quantize');

  // Photos and a file that is not one; the dropped quantized model is refused.
  await page.setInputFiles('#q-photos', [...cfg.photos, cfg.textFile]);
  await page.waitForSelector('#messages .msg[data-key="quantize-photos"]', {timeout: T});
  r.skipped = await message('quantize-photos');
  r.photoCount = +(await page.getAttribute('#q-photo-count', 'data-count'));
  await page.click('#q-run');
  await page.waitForSelector('#quantize[data-state="error"]', {timeout: 60000});
  r.quantized = await message('quantize');
  r.quantizedShot = await shot('quantize-quantized-model');

  // The float model of the server, uint8.
  await page.selectOption('#q-model', cfg.floatModel);
  await page.selectOption('#q-format', 'uint8');
  // Record every progress value the bar shows.
  await page.evaluate(() => {
    const bar = document.getElementById('q-bar');
    window.__progress = [];
    new MutationObserver(() => window.__progress.push([bar.value, bar.max])).observe(bar, {attributes: true});
    setInterval(() => window.__progress.push([bar.value, bar.max]), 50);
  });
  const t0 = Date.now();
  await page.click('#q-run');
  await page.waitForSelector('#quantize[data-state="running"]', {timeout: T});
  r.cancelEnabled = !(await page.isDisabled('#q-cancel'));
  await page.waitForSelector('#quantize[data-state="done"], #quantize[data-state="error"]', {timeout: 180000});
  r.seconds = (Date.now() - t0) / 1000;
  r.state = await page.getAttribute('#quantize', 'data-state');
  if (r.state !== 'done') throw new Error(`quantization failed: ${await message('quantize')}`);
  r.bar = await page.$eval('#q-bar', (b) => ({value: b.value, max: b.max}));
  r.progress = await page.evaluate(() => window.__progress);
  r.progressText = await page.textContent('#q-progress-text');
  r.compare = await page.$$eval('#q-compare-body tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.row, [...tr.children].map((td) => td.textContent)])));
  r.agree = await page.getAttribute('#q-compare', 'data-agree');
  r.floatMs = +(await page.getAttribute('#q-compare', 'data-float-ms'));
  r.quantMs = +(await page.getAttribute('#q-compare', 'data-quant-ms'));
  r.photoRows = await page.$$eval('#q-photos-body tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  r.shot = await shot('quantize-done');

  // The download.
  const [dl] = await Promise.all([page.waitForEvent('download', {timeout: T}), page.click('#q-download')]);
  r.downloadName = dl.suggestedFilename();
  r.downloaded = join(cfg.out, 'downloaded.tflite');
  await dl.saveAs(r.downloaded);

  // Your own photo.
  await page.setInputFiles('#q-test-photo', cfg.photos[0]);
  await page.waitForFunction((n) => document.querySelectorAll('#q-photos-body tr').length > n, r.photoRows.length, {timeout: T});
  r.yours = await page.$eval('#q-photos-body tr', (tr) => [...tr.children].map((td) => td.textContent));

  // The JS API's own refusals: a quantized model (the engine's check),
  // no images.
  r.api = await page.evaluate(async ({b64, photoB64}) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const photo = new Blob([Uint8Array.from(atob(photoB64), (c) => c.charCodeAt(0))], {type: 'image/bmp'});
    const err = (p) => p.then(() => 'resolved', (e) => `${e.code}: ${e.message}`);
    return {
      quantized: await err(globalThis.mobilenet.quantize(bytes, [photo])),
      noImages: await err(globalThis.mobilenet.quantize(bytes, [])),
    };
  }, {b64: readFileSync(cfg.quantModel).toString('base64'), photoB64: readFileSync(cfg.photos[0]).toString('base64')});

  // Cancel a second run while it calibrates.
  await page.click('#q-run');
  await page.waitForFunction(() => document.getElementById('quantize').dataset.state === 'running' && document.getElementById('q-bar').value >= 1, null, {timeout: T});
  await page.click('#q-cancel');
  await waitMessage(/cancelled/);
  r.cancelled = await message('quantize');
  r.stateAfterCancel = await page.getAttribute('#quantize', 'data-state');
  r.ok = true;
} catch (e) {
  r.ok = false;
  r.error = String((e && e.stack) || e);
  r.failShot = await shot('quantize-FAILED').catch(() => '');
}
r.pageErrors = pageErrors;
await browser.close();
writeFileSync(join(cfg.out, 'results-quantize.json'), JSON.stringify(r, null, 2));
console.log(`[e2e ${cfg.browser} quantize]`, r.ok ? 'ok' : 'FAILED', r.seconds ? `${r.seconds} s quantizing` : '');
