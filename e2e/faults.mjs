// faults.mjs puts the JS API through faults of the network and of the
// browser's storage in headless Chromium (playwright-core); faults_test.go
// runs it and judges the results. Usage:
//
//   node e2e/faults.mjs CONFIG.json
//
// CONFIG: {url (mobilenet serve's), out, chromium, cutUrl (a model whose
// download the server cuts half way), wholeUrl (the same model, whole)}.
// Results in out/results-faults.json: {ok, cut, noCaches, quota} or {ok:
// false, error}.

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {chromium} from 'playwright-core';
import {launchOptions} from '../internal/headless/chromium.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});
const browser = await chromium.launch(launchOptions(cfg.chromium));
const r = {ok: false, pageErrors: []};

// open opens the benchmark page (it starts nothing by itself) in a fresh
// context, with an init script run before the page's own.
async function open(init) {
  const ctx = await browser.newContext();
  if (init) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => r.pageErrors.push(e.message));
  await page.goto(`${cfg.url}/bench.html`);
  return page;
}

// tryLoad loads url through the JS API, classifies a grey frame and reports
// what happened and what Cache Storage then holds.
const tryLoad = async (url) => {
  const mn = await import('/mobilenet.js');
  const out = {};
  try {
    const clf = await mn.load({modelUrl: url});
    const img = new ImageData(64, 48);
    img.data.fill(128);
    out.top = (await clf.classify(img, {topK: 1})).length;
    clf.dispose();
  } catch (e) {
    out.error = {code: e.code, message: e.message};
  }
  try {
    out.cached = await mn.cachedUrls();
  } catch (e) {
    out.cached = `cachedUrls: ${e.message}`;
  }
  return out;
};

try {
  // A model download cut half way: a clear error, nothing cached; then the
  // whole file loads (and is cached).
  let page = await open();
  r.cut = {first: await page.evaluate(tryLoad, cfg.cutUrl)};
  r.cut.then = await page.evaluate(tryLoad, cfg.wholeUrl);
  await page.context().close();

  // No Cache Storage (private modes, opaque origins): models still load.
  page = await open(() => Object.defineProperty(self, 'caches', {value: undefined, configurable: true}));
  r.noCaches = await page.evaluate(tryLoad, cfg.wholeUrl);
  await page.context().close();

  // Cache Storage over its quota: every put fails; models still load.
  page = await open(() => {
    Cache.prototype.put = () => Promise.reject(new DOMException('over quota', 'QuotaExceededError'));
  });
  r.quota = await page.evaluate(tryLoad, cfg.wholeUrl);
  await page.context().close();
  r.ok = true;
} catch (e) {
  r.error = e.stack || String(e);
} finally {
  writeFileSync(join(cfg.out, 'results-faults.json'), JSON.stringify(r));
  await browser.close();
}
