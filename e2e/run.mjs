// run.mjs drives the page in headless Chromium or Firefox
// (internal/headless/browser.mjs) and records what it showed; e2e_test.go makes the inputs, runs this script
// and judges the results against `mobilenet classify`. Usage:
//
//   node e2e/run.mjs CONFIG.json
//
// CONFIG (written by e2e_test.go): {phase: "main" | "offline", url, other,
// out, browser ("chromium" | "firefox"), executable, y4m, model, floatModel, uploadPhoto, widgetPhotoUrl,
// corruptModel, textFile, fakeJpeg, profile, scenarios}. Screenshots go to
// out/*.png and the observations to out/results-PHASE.json: one entry per
// scenario, {ok: true, ...} or {ok: false, error}. The script fails only
// when it cannot run at all; judging is the Go test's job.

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {readTop, dropFile, screenshot} from './page-actions.mjs';
import {join, basename} from 'node:path';
import {launch, launchPersistent} from '../internal/headless/browser.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});
const T = 30000; // default wait, ms

// The fake camera, with the permission prompt answered yes: in Chromium
// it plays cfg.y4m (made by e2e_test.go from a photo), in Firefox it
// shows Firefox's own synthetic pattern.
const which = {browser: cfg.browser, executable: cfg.executable};

const results = {};
const log = (...a) => console.log(`[e2e ${cfg.browser} ${cfg.phase}]`, ...a);

// scenario runs fn(record), storing what it returns; a throw is recorded
// with a screenshot of the page it was on, if any.
async function scenario(name, fn) {
  if (cfg.scenarios && !cfg.scenarios.includes(name)) return;
  const t0 = Date.now();
  const ctxs = [];
  const pageErrors = [];
  const open = async (path, ctxOpts = {}, init = null) => {
    const ctx = await browser.newContext({viewport: {width: 1280, height: 900}, ...ctxOpts});
    ctxs.push(ctx);
    if (init) await ctx.addInitScript(init);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/favicon|status of 404/.test(m.text())) pageErrors.push(m.text());
    });
    await page.goto(cfg.url + path);
    return page;
  };
  let last = null;
  try {
    const r = await fn(async (...a) => (last = await open(...a)));
    results[name] = {ok: true, ...r, pageErrors, seconds: (Date.now() - t0) / 1000};
  } catch (e) {
    let failed = '';
    if (last) failed = await screenshot(cfg.out, last, `${name}-FAILED`, true).catch(() => '');
    results[name] = {ok: false, error: String(e && e.stack || e), pageErrors, screenshot: failed};
  } finally {
    for (const c of ctxs) await c.close().catch(() => {});
  }
  log(name, results[name].ok ? 'ok' : 'FAILED', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const ready = (page) => page.waitForSelector('body[data-state=ready]', {timeout: 60000});

function messages(page, key) {
  return page.$$eval(`#messages .msg[data-key="${key}"]`, (ms) => ms.map((m) => ({kind: m.dataset.kind, text: m.querySelector('span').textContent})));
}

async function uploadAndRead(page, path) {
  const before = +((await page.getAttribute('#results', 'data-seq')) || 0);
  await page.setInputFiles('#file', path);
  await page.waitForFunction((n) => +(document.getElementById('results').dataset.seq || 0) > n &&
    (document.getElementById('results').dataset.source || '').startsWith('photo'), before, {timeout: T});
  return readTop(page);
}

const page0 = `/?model=${encodeURIComponent(cfg.model)}`;
let browser;

if (cfg.phase === 'main') {
  browser = await launch(which, cfg.y4m);
  log(cfg.browser, browser.version());

  await scenario('upload', async (open) => {
    const page = await open(page0);
    await ready(page);
    const top = await uploadAndRead(page, cfg.uploadPhoto);
    const r = {
      top,
      model: await page.getAttribute('body', 'data-model'),
      simd: await page.getAttribute('#simd-badge', 'data-simd'),
      stats: await page.textContent('#stat-ms'),
      screenshot: await screenshot(cfg.out, page, 'upload'),
    };

    // A corrupt model: an error message, and the page keeps its model.
    await dropFile(page, cfg.corruptModel, 'broken.tflite', 'application/octet-stream');
    await page.waitForSelector('#messages .msg[data-key="model"][data-kind="error"]', {timeout: T});
    r.corrupt = {
      messages: await messages(page, 'model'),
      modelAfter: await page.getAttribute('body', 'data-model'),
      screenshot: await screenshot(cfg.out, page, 'corrupt-tflite'),
    };
    r.corrupt.topAfter = await uploadAndRead(page, cfg.uploadPhoto);

    // Files that are not images.
    await dropFile(page, cfg.textFile, basename(cfg.textFile), 'text/plain');
    await page.waitForSelector('#messages .msg[data-key="file"]', {timeout: T});
    r.notImage = {text: await messages(page, 'file')};
    await dropFile(page, cfg.fakeJpeg, 'holiday.jpg', 'image/jpeg');
    await page.waitForFunction(() => /holiday\.jpg/.test(document.querySelector('#messages .msg[data-key="file"]')?.textContent || ''), null, {timeout: T});
    r.notImage.fakeJpeg = await messages(page, 'file');
    r.notImage.screenshot = await screenshot(cfg.out, page, 'not-image');
    r.notImage.topAfter = await uploadAndRead(page, cfg.uploadPhoto);

    // Any .tflite dropped on the page: here one without embedded labels,
    // which gets the server's ImageNet labels.
    const name = basename(cfg.droppedModel);
    await dropFile(page, cfg.droppedModel, name, 'application/octet-stream');
    await page.waitForSelector(`body[data-model="${name}"]`, {timeout: T});
    r.dropped = {model: name, top: await uploadAndRead(page, cfg.uploadPhoto), badge: await page.textContent('#model-badge')};
    return r;
  });

  await scenario('camera', async (open) => {
    const page = await open(page0);
    await ready(page);
    await page.click('#cam-start');
    await page.waitForFunction(() => +(document.getElementById('results').dataset.frames || 0) >= 5, null, {timeout: T});
    const r = {
      top: await readTop(page),
      frames: +(await page.getAttribute('#results', 'data-frames')),
      fps: await page.textContent('#stat-fps'),
      ms: await page.textContent('#stat-ms'),
      mirrored: await page.$eval('#video', (v) => v.classList.contains('mirrored')),
      facingMode: await page.$eval('#video', (v) => v.srcObject.getVideoTracks()[0].getSettings().facingMode || ''),
      videoSize: await page.$eval('#video', (v) => [v.videoWidth, v.videoHeight]),
      screenshot: await screenshot(cfg.out, page, 'camera'),
    };
    await page.click('#cam-stop');
    await page.waitForSelector('body[data-camera="off"]', {timeout: T});
    r.stopped = true;
    return r;
  });

  // The tab is hidden while the camera runs: the page classifies nothing
  // until it is shown again, then goes on. Firefox hides a tab brought
  // behind another; headless Chromium keeps every tab visible (focus
  // emulation, bringToFront, a minimized window and background targets
  // were tried), so there the document says it is hidden and fires
  // visibilitychange, as a browser does.
  await scenario('hidden-tab', async (open) => {
    const page = await open(page0);
    await ready(page);
    await page.click('#cam-start');
    const frames = () => page.evaluate(() => +(document.getElementById('results').dataset.frames || 0));
    await page.waitForFunction(() => +(document.getElementById('results').dataset.frames || 0) >= 3, null, {timeout: T});
    const real = cfg.browser === 'firefox';
    let other = null;
    if (real) {
      other = await page.context().newPage();
      await other.bringToFront();
    } else {
      await page.evaluate(() => {
        Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
      });
    }
    // The loop checks at its next frame, after any classification under
    // way: from then on the count stays.
    await page.waitForSelector('#results[data-paused="hidden"]', {state: 'attached', timeout: T});
    const r = {real, visibility: await page.evaluate(() => document.visibilityState)};
    const f0 = await frames();
    await page.waitForTimeout(2000);
    r.hiddenFrames = (await frames()) - f0;
    if (real) {
      await page.bringToFront();
      await other.close();
    } else {
      await page.evaluate(() => {
        delete document.hidden;
        delete document.visibilityState;
        document.dispatchEvent(new Event('visibilitychange'));
      });
    }
    const f1 = await frames();
    await page.waitForFunction((f) => +(document.getElementById('results').dataset.frames || 0) >= f + 3, f1, {timeout: T});
    r.shownFrames = (await frames()) - f1;
    r.pausedAfter = await page.getAttribute('#results', 'data-paused');
    r.visibilityAfter = await page.evaluate(() => document.visibilityState);
    await page.click('#cam-stop');
    return r;
  });

  await scenario('camera-errors', async (open) => {
    const page = await open(page0, {}, () => {
      // Init scripts also run in documents without mediaDevices (in
      // Firefox, the about:blank before a page whose COOP header moves it).
      if (!navigator.mediaDevices) return;
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('simulated by the test', window.__gumError || 'NotAllowedError'));
    });
    await ready(page);
    await page.click('#cam-start');
    await page.waitForSelector('#messages .msg[data-key="camera"]', {timeout: T});
    const denied = await messages(page, 'camera');
    const deniedShot = await screenshot(cfg.out, page, 'camera-denied');
    await page.evaluate(() => (window.__gumError = 'NotFoundError'));
    await page.click('#cam-start');
    await page.waitForFunction(() => /No camera/.test(document.querySelector('#messages .msg[data-key="camera"]')?.textContent || ''), null, {timeout: T});
    return {denied, missing: await messages(page, 'camera'), screenshots: [deniedShot, await screenshot(cfg.out, page, 'camera-missing')]};
  });

  await scenario('widget', async (open) => {
    const record = () => {
      window.__predictions = [];
      window.__widgetErrors = [];
      document.addEventListener('prediction', (e) => window.__predictions.push({id: e.target.id, source: e.detail.source, model: e.detail.model, predictions: e.detail.predictions}));
      document.addEventListener('mobilenet-error', (e) => window.__widgetErrors.push(e.detail));
    };
    const wait = (page) => page.waitForFunction(() => window.__predictions.length > 0 || window.__widgetErrors.length > 0, null, {timeout: 60000});
    const page = await open(`/embed-example.html?model=${encodeURIComponent(cfg.model)}&src=${encodeURIComponent(cfg.widgetPhotoUrl)}`, {}, record);
    await wait(page);
    await page.waitForTimeout(200);
    const r = {
      events: await page.evaluate(() => window.__predictions),
      errors: await page.evaluate(() => window.__widgetErrors),
      screenshot: await screenshot(cfg.out, page, 'widget', true),
    };
    // The second widget on the camera (the page's button adds webcam).
    await page.click('#cam');
    await page.waitForFunction(() => window.__predictions.some((p) => p.source === 'webcam'), null, {timeout: T});
    r.webcam = await page.evaluate(() => window.__predictions.find((p) => p.source === 'webcam'));
    r.webcamScreenshot = await screenshot(cfg.out, page, 'widget-webcam', true);
    // The same widget on another origin's page, from one script tag.
    const ctx = await browser.newContext({viewport: {width: 900, height: 700}});
    try {
      await ctx.addInitScript(record);
      const other = await ctx.newPage();
      other.on('pageerror', (e) => (r.crossOriginPageErrors ||= []).push(e.message));
      await other.goto(cfg.other + '/embed.html');
      await wait(other);
      r.crossOrigin = {
        origin: await other.evaluate(() => location.origin),
        events: await other.evaluate(() => window.__predictions),
        errors: await other.evaluate(() => window.__widgetErrors),
        screenshot: await screenshot(cfg.out, other, 'widget-cross-origin'),
      };
    } finally {
      await ctx.close();
    }
    return r;
  });

  await scenario('simd', async (open) => {
    const page = await open('/mobilenet.d.ts');
    const models = [cfg.model, cfg.floatModel].filter(Boolean);
    return page.evaluate(async ({models, photo}) => {
      const m = await import('/mobilenet.js');
      const blob = await (await fetch(photo)).blob();
      const out = {supported: m.simdSupported(), models: []};
      for (const name of models) {
        const a = await m.load({model: name, simd: true, relaxedSimd: true});
        const b = await m.load({model: name, simd: false});
        // The plain SIMD kernels (simd.wasm), and the default.
        const c = await m.load({model: name, simd: true, relaxedSimd: false});
        const d = await m.load({model: name});
        const defaultInfo = {kernels: d.info.kernels, relaxed: d.info.relaxedSimd, threads: d.info.threads};
        d.dispose();
        const n = a.info.input.shape.reduce((x, y) => x * y, 1);
        let input;
        if (a.info.input.dtype === 'float32') {
          input = new Float32Array(n);
          for (let i = 0; i < n; i++) input[i] = Math.random() * 2 - 1;
        } else {
          input = new Uint8Array(n);
          for (let i = 0; i < n; i += 65536) crypto.getRandomValues(input.subarray(i, Math.min(n, i + 65536)));
        }
        const r = {
          name,
          features: a.info.features,
          relaxedSupported: m.relaxedSimdSupported(),
          simdInfo: {simd: a.info.simd, linked: a.info.simdLinked, reason: a.info.simdReason, kernels: a.info.kernels, relaxed: a.info.relaxedSimd},
          portableInfo: {simd: b.info.simd, linked: b.info.simdLinked, reason: b.info.simdReason, kernels: b.info.kernels, relaxed: b.info.relaxedSimd},
          plainInfo: {simd: c.info.simd, kernels: c.info.kernels, relaxed: c.info.relaxedSimd},
          defaultInfo,
          outputDtype: a.info.output.dtype,
          predsSimd: await a.classify(blob, {topK: 5}),
          predsPortable: await b.classify(blob, {topK: 5}),
          outSimd: Array.from(await a.infer(input)),
          outPortable: Array.from(await b.infer(input)),
          outPlain: Array.from(await c.infer(input)),
          embeddingShape: a.info.embedding.shape,
          embedSimd: Array.from(await a.embed(blob)),
          embedPortable: Array.from(await b.embed(blob)),
        };
        if (a.info.simdLinked) {
          // The same instance switched to its portable kernels and back.
          await a.setSimd(false);
          r.outSwitched = Array.from(await a.infer(input));
          r.switchedInfo = a.info.simd;
          r.switchedKernels = a.info.kernels;
          await a.setSimd(true);
          r.switchedBackKernels = a.info.kernels;
        }
        r.msSimd = (await a.time({runs: 15, warmup: 3})).median;
        r.msPortable = (await b.time({runs: 15, warmup: 3})).median;
        r.msPlain = (await c.time({runs: 15, warmup: 3})).median;
        a.dispose();
        b.dispose();
        c.dispose();
        out.models.push(r);
      }
      return out;
    }, {models, photo: cfg.widgetPhotoUrl});
  });

  // Kernel threads: the same model on 1, 2 and 4 threads and by default,
  // the same random input; outputs must be byte-identical, and threads
  // run only in a cross-origin isolated page.
  await scenario('threads', async (open) => {
    const page = await open('/mobilenet.d.ts');
    const models = [cfg.model, cfg.floatModel].filter(Boolean);
    return page.evaluate(async ({models}) => {
      const m = await import('/mobilenet.js');
      const out = {isolated: self.crossOriginIsolated === true, supported: m.threadsSupported(), defaultThreads: m.defaultThreads(), suggestedThreads: m.suggestedThreads(),
        cores: navigator.hardwareConcurrency, models: []};
      for (const name of models) {
        const r = {name, runs: []};
        let input = null;
        for (const threads of [1, 2, 4, undefined]) {
          const c = await m.load({model: name, threads});
          if (!input) {
            const n = c.info.input.shape.reduce((x, y) => x * y, 1);
            if (c.info.input.dtype === 'float32') input = new Float32Array(n).map(() => Math.random() * 2 - 1);
            else {
              input = new Uint8Array(n);
              for (let i = 0; i < n; i += 65536) crypto.getRandomValues(input.subarray(i, Math.min(n, i + 65536)));
            }
          }
          r.runs.push({asked: threads === undefined ? 'default' : threads, threads: c.info.threads, reason: c.info.threadsReason,
            out: Array.from(new Uint8Array((await c.infer(input)).buffer))});
          c.dispose();
        }
        out.models.push(r);
      }
      return out;
    }, {models});
  });

  // A worker without OffscreenCanvas (Safari before 16.4; neither tested
  // browser lacks it, so it is simulated: every worker first runs a module
  // that removes it): the page must send frames as RGBA, same results.
  await scenario('no-worker-canvas', async (open) => {
    const page = await open('/mobilenet.d.ts', {}, () => {
      const W = window.Worker;
      const strip = URL.createObjectURL(new Blob(['self.OffscreenCanvas = undefined;\n'], {type: 'text/javascript'}));
      window.Worker = function (url, opts) {
        const abs = new URL(url, location.href).href;
        const src = `import ${JSON.stringify(strip)};\nimport ${JSON.stringify(abs)};\n`;
        return new W(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})), {...opts, type: 'module'});
      };
    });
    return page.evaluate(async ({model, photo}) => {
      const m = await import('/mobilenet.js');
      const blob = await (await fetch(photo)).blob();
      const clf = await m.load({model});
      const r = {features: clf.info.features, top: await clf.classify(blob, {topK: 3})};
      // A caller's own ImageBitmap too (copied, not taken).
      const bmp = await createImageBitmap(blob, {colorSpaceConversion: 'none'});
      r.topBitmap = await clf.classify(bmp, {topK: 3});
      r.bitmapKept = bmp.width > 0;
      clf.dispose();
      return r;
    }, {model: cfg.model, photo: cfg.widgetPhotoUrl});
  });

  // A browser with wasm SIMD but without relaxed SIMD (Safari, older
  // Chromium and Firefox): its validator refuses relaxed opcodes, so the
  // loader asked for relaxed SIMD links simd.wasm, with the same results.
  await scenario('no-relaxed', async (open) => {
    const page = await open('/mobilenet.d.ts', {}, () => {
      const validate = WebAssembly.validate;
      WebAssembly.validate = (bytes) => {
        const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer || bytes);
        for (let i = 0; i + 2 < u.length; i++) if (u[i] === 0xfd && u[i + 2] === 2 && u[i + 1] >= 0x80) return false; // 0xfd 0x100-0x17f
        return validate.call(WebAssembly, bytes);
      };
    });
    return page.evaluate(async ({model, photo}) => {
      const m = await import('/mobilenet.js');
      const blob = await (await fetch(photo)).blob();
      const clf = await m.load({model, relaxedSimd: true});
      const r = {relaxedSupported: m.relaxedSimdSupported(), kernels: clf.info.kernels, relaxed: clf.info.relaxedSimd,
        simd: clf.info.simd, features: clf.info.features, top: await clf.classify(blob, {topK: 3})};
      clf.dispose();
      return r;
    }, {model: cfg.model, photo: cfg.widgetPhotoUrl});
  });

  await scenario('no-simd', async (open) => {
    const page = await open(page0, {}, () => {
      // A browser without wasm SIMD: its validator refuses the probe.
      const validate = WebAssembly.validate;
      WebAssembly.validate = (bytes) => {
        const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer || bytes);
        return u.includes(0xfd) && u.length < 64 ? false : validate.call(WebAssembly, bytes);
      };
    });
    await ready(page);
    const top = await uploadAndRead(page, cfg.uploadPhoto);
    return {
      messages: await messages(page, 'simd'),
      badge: await page.textContent('#simd-badge'),
      simd: await page.getAttribute('#simd-badge', 'data-simd'),
      toggleDisabled: await page.$eval('#simd-toggle', (t) => t.disabled),
      top,
      screenshot: await screenshot(cfg.out, page, 'no-simd'),
    };
  });

  await scenario('benchmark', async (open) => {
    const page = await open(page0);
    await ready(page);
    await page.click('#bench-all');
    await page.waitForSelector('body[data-bench="done"]', {timeout: 120000});
    return {
      rows: await page.$$eval('#catalog-body tr.available', (trs) => trs.map((tr) => ({name: tr.dataset.model, ms: +(tr.querySelector('td.ms').dataset.ms || 0)}))),
      unavailable: await page.$$eval('#catalog-body tr:not(.available)', (trs) => trs.length),
      points: await page.$$eval('#plot .plot-point[data-model]', (ps) => ps.map((p) => p.dataset.model)),
      state: await page.textContent('#bench-state'),
      screenshot: await screenshot(cfg.out, page, 'benchmark', true),
    };
  });

  await scenario('phone', async (open) => {
    const page = await open(page0, {viewport: {width: 390, height: 844}, deviceScaleFactor: 2, isMobile: true, hasTouch: true});
    await ready(page);
    const top = await uploadAndRead(page, cfg.uploadPhoto);
    return {
      top,
      overflow: await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      screenshot: await screenshot(cfg.out, page, 'phone', true),
    };
  });

  await browser.close();

  // Prime a profile for the offline phase: a visit under the service
  // worker, so the page, the engine and the model are cached.
  if (!cfg.scenarios || cfg.scenarios.includes('offline')) {
    const t0 = Date.now();
    const ctx = await launchPersistent(which, cfg.profile, {viewport: {width: 1280, height: 900}}, cfg.y4m);
    try {
      const page = ctx.pages()[0] || (await ctx.newPage());
      await page.goto(cfg.url + page0);
      await ready(page);
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.reload(); // now every request goes through the service worker
      await ready(page);
      results['offline-prime'] = {
        ok: true,
        controlled: await page.evaluate(() => !!navigator.serviceWorker.controller),
        cachedModels: await page.evaluate(() => window.mobilenet.cachedUrls()),
      };
    } catch (e) {
      results['offline-prime'] = {ok: false, error: String(e.stack || e)};
    } finally {
      await ctx.close();
    }
    log('offline-prime', results['offline-prime'].ok ? 'ok' : 'FAILED', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
} else if (cfg.phase === 'offline') {
  // The server is down: the page must come from the service worker's cache
  // and the model from Cache Storage.
  const ctx = await launchPersistent(which, cfg.profile, {viewport: {width: 1280, height: 900}}, cfg.y4m);
  const t0 = Date.now();
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(cfg.url + page0);
    await ready(page);
    const top = await uploadAndRead(page, cfg.uploadPhoto);
    results.offline = {ok: true, top, model: await page.getAttribute('body', 'data-model'), pageErrors, screenshot: await screenshot(cfg.out, page, 'offline')};
  } catch (e) {
    results.offline = {ok: false, error: String(e.stack || e)};
  } finally {
    await ctx.close();
  }
  log('offline', results.offline.ok ? 'ok' : 'FAILED', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

writeFileSync(join(cfg.out, `results-${cfg.phase}.json`), JSON.stringify(results, null, 2));
