// teach.mjs drives the page's Teach mode in headless Chromium or Firefox
// (internal/headless/browser.mjs); e2e/teach_test.go makes the inputs, runs this script
// and judges the results. Usage:
//
//   node e2e/teach.mjs CONFIG.json
//
// CONFIG: {phase: "main" | "offline", url, out, browser, executable, model, y4mA,
// y4mB, pngA, pngB (the Y4Ms' frames), classA, classB, textFile, profile}.
// Chromium's fake webcam plays one Y4M per launch (Firefox: canvasCamera), so
// the flow is three launches on one persistent profile (IndexedDB
// survives): (1) camera A: record class A, save the project; (2) camera
// B: reopen the project, record class B, train, classify live, download
// the .tflite, the widget with model-url, the JS API's bad inputs; (3)
// camera A again: reopen the trained project, classify live. Results go
// to out/results-teach.json, one entry per launch, {ok, ...}. The
// "offline" phase, run after the server stopped, relaunches on camera A
// and reopens the project (out/results-teach-offline.json).

import {readFileSync, writeFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {launchPersistent} from '../internal/headless/browser.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(cfg.out, {recursive: true});
const T = 30000;
const results = {};
const log = (...a) => console.log(`[e2e ${cfg.browser} teach]`, ...a);
const project = 'pets';
const page0 = `/?model=${encodeURIComponent(cfg.model)}&mode=teach`;
const camA = {y4m: cfg.y4mA, png: cfg.pngA};
const camB = {y4m: cfg.y4mB, png: cfg.pngB};

async function shot(page, name) {
  const path = join(cfg.out, `teach-${name}.png`);
  await page.screenshot({path, fullPage: true});
  return path;
}

// canvasCamera replaces getUserMedia with a camera showing the image at
// url: a canvas redrawn at 30 frames/s, captured as a MediaStream. The
// Firefox run uses it because Firefox's fake camera shows only its own
// synthetic pattern, and Teach must see two different scenes, one per
// class; the page's code from getUserMedia on is the same.
function canvasCamera(url) {
  if (!navigator.mediaDevices) return; // about:blank and other insecure documents
  navigator.mediaDevices.getUserMedia = async () => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    const draw = () => g.drawImage(img, 0, 0);
    draw();
    const stream = c.captureStream(30);
    const timer = setInterval(draw, 33);
    stream.getVideoTracks()[0].addEventListener('ended', () => clearInterval(timer));
    return stream;
  };
}

// launch opens the profile with camera cam ({y4m, png}: Chromium plays
// the Y4M, Firefox gets canvasCamera on the PNG of the same frame), runs
// fn(page), records.
async function launch(name, cam, fn) {
  const t0 = Date.now();
  const ctx = await launchPersistent({browser: cfg.browser, executable: cfg.executable}, cfg.profile, {
    viewport: {width: 1280, height: 900},
    acceptDownloads: true,
  }, cam.y4m);
  const pageErrors = [];
  let page = null;
  try {
    if (cfg.browser === 'firefox') await ctx.addInitScript(canvasCamera, 'data:image/png;base64,' + readFileSync(cam.png).toString('base64'));
    page = ctx.pages()[0] || (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      const where = (m.location() && m.location().url) || '';
      if (m.type() === 'error' && !/favicon|status of 404/.test(m.text() + ' ' + where)) pageErrors.push(`${m.text()} (${where})`);
    });
    await page.goto(cfg.url + page0);
    await page.waitForSelector('body[data-teach="ready"]', {timeout: 60000});
    const r = await fn(page);
    results[name] = {ok: true, ...r, pageErrors, seconds: (Date.now() - t0) / 1000};
  } catch (e) {
    const screenshot = page ? await shot(page, `${name}-FAILED`).catch(() => '') : '';
    results[name] = {ok: false, error: String((e && e.stack) || e), pageErrors, screenshot};
  } finally {
    await ctx.close();
  }
  log(name, results[name].ok ? 'ok' : 'FAILED', `${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return results[name].ok;
}

const card = (i) => `#teach-classes .tclass[data-class="${i}"]`;

async function rename(page, i, name) {
  await page.fill(`${card(i)} .tname`, name);
  await page.dispatchEvent(`${card(i)} .tname`, 'change');
  await page.waitForFunction(([i, name]) => document.querySelector(`#teach-classes .tclass[data-class="${i}"] .tname`)?.value === name, [i, name]);
}

async function startCamera(page) {
  await page.click('#teach-cam-start');
  await page.waitForSelector('body[data-teach-camera="on"]', {timeout: T});
  await page.waitForFunction(() => document.getElementById('teach-video').readyState >= 2, null, {timeout: T});
}

// record holds class i's Record button until it has n examples.
async function record(page, i, n) {
  const btn = await page.$(`${card(i)} .trecord`);
  await btn.scrollIntoViewIfNeeded();
  const box = await btn.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForFunction(([i, n]) => +document.querySelector(`#teach-classes .tclass[data-class="${i}"]`).dataset.count >= n, [i, n], {timeout: T});
  await page.mouse.up();
  await page.waitForTimeout(300); // the last frame in flight lands
  return page.$eval(card(i), (c) => ({count: +c.dataset.count, thumbs: c.querySelectorAll('.thumbs img').length}));
}

async function openProject(page) {
  await page.selectOption('#teach-projects', project);
  await page.click('#teach-open');
  await page.waitForSelector(`body[data-teach-opened="${project}"]`, {timeout: T});
  await page.waitForSelector('body[data-teach="ready"]', {timeout: T});
}

function classes(page) {
  return page.$$eval('#teach-classes .tclass', (cs) => cs.map((c) => ({name: c.querySelector('.tname').value, count: +c.dataset.count, thumbs: c.querySelectorAll('.thumbs img').length})));
}

async function save(page) {
  await page.evaluate(() => document.body.removeAttribute('data-teach-saved'));
  await page.fill('#teach-project-name', project);
  await page.click('#teach-save');
  await page.waitForSelector(`body[data-teach-saved="${project}"]`, {timeout: T});
}

// liveTop waits for fresh live results and returns the top label of the last few.
async function liveTop(page) {
  const seq = +((await page.getAttribute('#teach-live', 'data-seq')) || 0);
  await page.waitForFunction((s) => +(document.getElementById('teach-live').dataset.seq || 0) >= s + 3, seq, {timeout: T});
  return page.$$eval('#teach-top li', (lis) => lis.map((li) => ({index: +li.dataset.index, label: li.dataset.label, score: +li.dataset.score})));
}

const messages = (page) => page.$$eval('#messages .msg[data-key="teach"]', (ms) => ms.map((m) => ({kind: m.dataset.kind, text: m.querySelector('span').textContent})));

if (cfg.phase === 'offline') {
  // The server is down: the page, the engine, the model and the project
  // come from the service worker's cache, Cache Storage and IndexedDB.
  await launch('offline', camA, async (page) => {
    await openProject(page);
    await startCamera(page);
    return {trained: await page.getAttribute('#teach-main', 'data-trained'), top: await liveTop(page), screenshot: await shot(page, 'offline')};
  });
  writeFileSync(join(cfg.out, 'results-teach-offline.json'), JSON.stringify(results, null, 2));
  process.exit(0);
}

// (1) Camera A: class A from the webcam; a non-image upload; save.
const ok1 = await launch('record-a', camA, async (page) => {
  await rename(page, 0, cfg.classA);
  await rename(page, 1, cfg.classB);
  await startCamera(page);
  const a = await record(page, 0, 8);
  // A text file given as a photo: a clear message, nothing added.
  await page.setInputFiles(`${card(1)} .tfiles`, cfg.textFile);
  await page.waitForSelector('#messages .msg[data-key="teach"][data-kind="error"]', {timeout: T});
  const notImage = await messages(page);
  // Training with class B empty: a clear message.
  await page.click('#teach-train');
  await page.waitForFunction(() => /no examples/.test(document.querySelector('#messages .msg[data-key="teach"]')?.textContent || ''), null, {timeout: T});
  const emptyClass = await messages(page);
  await save(page);
  return {a, notImage, emptyClass, classes: await classes(page), screenshot: await shot(page, 'record-a')};
});

// (2) Camera B: reopen (a new launch: the page reloaded), class B, train,
// live, download, widget, the JS API's bad inputs.
const ok2 = ok1 && await launch('train-b', camB, async (page) => {
  await openProject(page);
  const reopened = await classes(page);
  await startCamera(page);
  const b = await record(page, 1, 8);
  await page.click('#teach-train');
  await page.waitForSelector('#teach-main[data-trained="true"]', {timeout: 60000});
  await page.waitForSelector('body[data-teach="ready"]', {timeout: 60000});
  const status = await page.textContent('#teach-status');
  const epochs = +(await page.getAttribute('#teach-plot', 'data-epochs'));
  const top = await liveTop(page);
  const trainedShot = await shot(page, 'trained');
  await page.waitForSelector('#teach-download:not([hidden])', {timeout: T});
  const [dl] = await Promise.all([page.waitForEvent('download', {timeout: T}), page.click('#teach-download')]);
  const tflite = join(cfg.out, 'teach-export.tflite');
  await dl.saveAs(tflite);
  await save(page);

  // The widget takes the exported model by URL, on the same camera.
  const href = await page.getAttribute('#teach-download', 'href');
  const widget = await page.evaluate(async (href) => {
    await import('/widget.js');
    const w = document.createElement('mobilenet-classifier');
    const got = new Promise((resolve, reject) => {
      w.addEventListener('prediction', (e) => { if (e.detail.source === 'webcam') resolve(e.detail); });
      w.addEventListener('mobilenet-error', (e) => reject(new Error(e.detail.message)));
      setTimeout(() => reject(new Error('no prediction from the widget in 20 s')), 20000);
    });
    w.setAttribute('model-url', href);
    w.setAttribute('top-k', '2');
    w.setAttribute('webcam', '');
    document.body.append(w);
    const d = await got;
    w.remove();
    return {predictions: d.predictions, model: d.model};
  }, href);

  // The JS API's bad inputs.
  const api = await page.evaluate(async (model) => {
    const m = await import('/mobilenet.js');
    const clf = await m.load({model});
    const out = {};
    const err = async (fn) => {
      try {
        await fn();
        return {ok: true};
      } catch (e) {
        return {code: e.code, message: e.message};
      }
    };
    const canvas = (hue, seed) => {
      const c = new OffscreenCanvas(96, 96);
      const g = c.getContext('2d');
      for (let i = 0; i < 64; i++) {
        g.fillStyle = `hsl(${hue + ((i * 37 + seed * 11) % 40)}, 70%, ${30 + ((i * 13 + seed) % 40)}%)`;
        g.fillRect((i % 8) * 12, Math.floor(i / 8) * 12, 12, 12);
      }
      return g.getImageData(0, 0, 96, 96);
    };
    // The classify-only engine build: no teacher, refused in words (and by
    // the worker, which stays usable); an unknown build name.
    out.badEngine = await err(() => m.load({model, engine: 'lite'}));
    const lite = await m.load({model, engine: 'classify'});
    out.liteEngine = lite.info.engine;
    out.liteTeacher = await err(() => lite.teacher({classes: ['x']}));
    out.liteWorker = await err(() => lite._ch.call('teachNew', {classes: ['x'], model: ''}));
    out.liteClassifies = (await lite.classify(canvas(0, 1), {topK: 1})).length;
    lite.dispose();
    const t = await clf.teacher({classes: ['red']});
    out.noExamples = await err(() => t.train());
    await t.addExample(0, canvas(0, 1));
    out.oneClass = await err(() => t.train());
    await t.addClass('blue');
    out.emptyClass = await err(() => t.train());
    out.tiny = await err(() => t.addExample(1, new ImageData(1, 1)));
    out.notImage = await err(() => t.addExample(1, new Blob(['not a photo'], {type: 'text/plain'})));
    out.untrained = await err(() => t.classify(canvas(0, 2)));
    out.countsAfterErrors = t.classes.map((c) => c.count);
    for (let s = 2; s < 6; s++) await t.addExample(0, canvas(0, s));
    for (let s = 1; s < 6; s++) await t.addExample(1, canvas(220, s));
    const progress = [];
    const r = await t.train({seed: 1, onProgress: (p) => progress.push(p)});
    out.trained = {epochs: r.epochs.length, progress: progress.length, head: r.head};
    const before = await t.classify(canvas(0, 9), {topK: 2});
    // Cancel a second training half way: the previous head stays.
    const ac = new AbortController();
    out.cancelled = await err(() => t.train({seed: 7, lr: 0.2, stepMs: 1, onProgress: (p) => { if (p.epoch >= 2) ac.abort(); }, signal: ac.signal}));
    const after = await t.classify(canvas(0, 9), {topK: 2});
    out.cancelKeepsHead = JSON.stringify(before) === JSON.stringify(after);
    out.before = before;
    // A damaged project: refused, nothing changed.
    const state = await t.save();
    const infoBefore = JSON.stringify(t.info.classes);
    const broken = state.slice(0, state.length - 10);
    out.corrupt = await err(() => t.restore(broken));
    out.corruptOpen = await err(() => m.openProject(clf, new TextEncoder().encode('MNTEACH1 garbage')));
    out.unchanged = JSON.stringify((await t.refresh()).classes) === infoBefore;
    out.reopened = await err(async () => {
      const t2 = await m.openProject(clf, state);
      const p = await t2.classify(canvas(0, 9), {topK: 2});
      if (JSON.stringify(p) !== JSON.stringify(before)) throw new Error('the reopened project predicts differently');
      t2.dispose();
    });
    out.projectModel = m.projectModel(state);
    const exported = await t.exportModel({name: 'colours'});
    const c2 = await m.load({model: exported});
    out.exported = {labels: c2.info.labels, top: await c2.classify(canvas(220, 9), {topK: 1})};
    c2.dispose();
    clf.dispose();
    return out;
  }, cfg.model);

  return {reopened, b, status, epochs, top, tflite, widget, api, classes: await classes(page), screenshots: [trainedShot, await shot(page, 'train-b')]};
});

// (3) Camera A again: reopen the trained project, classify live; the
// page at a phone's width.
if (ok2) {
  await launch('reopen-a', camA, async (page) => {
    await openProject(page);
    const reopened = await classes(page);
    const trained = await page.getAttribute('#teach-main', 'data-trained');
    await startCamera(page);
    const top = await liveTop(page);
    await page.setViewportSize({width: 390, height: 844});
    await page.waitForTimeout(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    return {reopened, trained, top, overflow, screenshot: await shot(page, 'phone')};
  });
}

writeFileSync(join(cfg.out, 'results-teach.json'), JSON.stringify(results, null, 2));
