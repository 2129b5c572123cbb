// firefox.mjs: headless Firefox (Debian's firefox-esr) driven by
// puppeteer-core over WebDriver BiDi, behind the small part of
// playwright's API that the e2e scripts and bench/browser use, so that one
// script runs in both browsers (browser.mjs picks). Playwright itself
// cannot drive a stock Firefox (it needs its own patched build);
// puppeteer-core talks BiDi to the one apt installs and downloads nothing.
//
// What differs from playwright and is papered over here: contexts take
// their viewport per page; init scripts are BiDi preload scripts;
// downloads land in a folder (Firefox's download prefs) and are picked up
// from there; waitForFunction's argument order. Anything else throws, so a
// script that needs more of the API says so at once.

import {mkdirSync, readdirSync, statSync, copyFileSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

// firefoxPrefs: nothing leaves the machine or competes with what is
// measured (no updates, telemetry, safe-browsing lists, first-run pages),
// and downloads are saved without a dialog into downloadDir.
export function firefoxPrefs(downloadDir) {
  return {
    'app.update.enabled': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.shell.checkDefaultBrowser': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'toolkit.telemetry.enabled': false,
    'browser.download.folderList': 2,
    'browser.download.dir': downloadDir,
    'browser.download.useDownloadDir': true,
    'browser.download.always_ask_before_handling_new_types': false,
    'browser.helperApps.neverAsk.saveToDisk': 'application/octet-stream',
    'browser.download.start_downloads_in_tmp_dir': false,
  };
}

// fakeCameraPrefs makes getUserMedia answer yes without a prompt, with
// Firefox's fake camera: a synthetic, moving colour pattern (Firefox
// cannot play a file as a camera the way Chromium plays a Y4M).
export const fakeCameraPrefs = Object.freeze({
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// start launches Firefox at executablePath, downloads going to a fresh
// folder. opts: {camera: bool, profile: the profile folder, else a
// temporary one}.
async function start(puppeteer, executablePath, {camera = false, profile = ''} = {}) {
  const downloads = mkdtempSync(join(tmpdir(), 'ff-downloads-'));
  const b = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    // No time limit on one protocol call, as in playwright: the bench's
    // evaluate runs for minutes; the callers have their own timeouts.
    protocolTimeout: 0,
    userDataDir: profile || undefined,
    extraPrefsFirefox: {...firefoxPrefs(downloads), ...(camera ? fakeCameraPrefs : {})},
  });
  return {b, downloads};
}

// launchFirefox is playwright's browserType.launch for Firefox: a
// playwright-shaped Browser. opts: {camera: bool}.
export async function launchFirefox(puppeteer, executablePath, opts = {}) {
  const {b, downloads} = await start(puppeteer, executablePath, opts);
  const browser = new Browser(b, downloads);
  await browser._init(); // playwright's version() is synchronous
  return browser;
}

// launchFirefoxPersistent is playwright's launchPersistentContext: a
// profile kept in a folder across launches (service worker, Cache
// Storage, IndexedDB), one context, closed with the browser.
export async function launchFirefoxPersistent(puppeteer, executablePath, profile, ctxOpts = {}, opts = {}) {
  mkdirSync(profile, {recursive: true});
  const {b, downloads} = await start(puppeteer, executablePath, {...opts, profile});
  const closeAll = async () => {
    await b.close();
    rmSync(downloads, {recursive: true, force: true});
  };
  const ctx = new Context(b.defaultBrowserContext(), ctxOpts, downloads, closeAll);
  await ctx._adoptPages();
  return ctx;
}

class Browser {
  constructor(b, downloads) {
    this._b = b;
    this._downloads = downloads;
    this._version = '';
  }
  async _init() {
    this._version = await this._b.version();
  }
  version() {
    return this._version;
  }
  async newContext(opts = {}) {
    return new Context(await this._b.createBrowserContext(), opts, this._downloads, null);
  }
  // newPage is a page in a context of its own, as in playwright.
  async newPage(opts = {}) {
    return (await this.newContext(opts)).newPage();
  }
  // close closes the browser and deletes its downloads folder (a
  // download is kept by Download.saveAs, as in playwright).
  async close() {
    await this._b.close();
    rmSync(this._downloads, {recursive: true, force: true});
  }
}

class Context {
  constructor(c, opts, downloads, closeAll) {
    this._c = c;
    this._opts = opts;
    this._downloads = downloads;
    this._closeAll = closeAll;
    this._inits = [];
    this._pages = [];
  }
  async _wrap(p) {
    const page = new Page(p, this);
    const {viewport = {width: 1280, height: 720}, deviceScaleFactor = 1, isMobile = false, hasTouch = false} = this._opts;
    await p.setViewport({...viewport, deviceScaleFactor, isMobile, hasTouch});
    for (const [fn, arg] of this._inits) await p.evaluateOnNewDocument(fn, arg);
    this._pages.push(page);
    return page;
  }
  async _adoptPages() {
    for (const p of await this._c.pages()) await this._wrap(p);
  }
  pages() {
    return this._pages;
  }
  async addInitScript(fn, arg) {
    this._inits.push([fn, arg]);
    for (const p of this._pages) await p._p.evaluateOnNewDocument(fn, arg);
  }
  async newPage() {
    return this._wrap(await this._c.newPage());
  }
  async close() {
    if (this._closeAll) return this._closeAll();
    return this._c.close();
  }
}

class Page {
  constructor(p, ctx) {
    this._p = p;
    this._ctx = ctx;
    this.mouse = p.mouse;
  }
  on(ev, fn) {
    // pageerror: playwright and puppeteer both pass an Error; console
    // messages have type() and text() in both, location() too.
    this._p.on(ev, fn);
  }
  goto(url) {
    return this._p.goto(url);
  }
  reload() {
    return this._p.reload();
  }
  url() {
    return this._p.url();
  }
  async waitForSelector(sel, {timeout = 30000, state = 'visible'} = {}) {
    // playwright waits for visible by default; 'attached' is puppeteer's default.
    return this._p.waitForSelector(sel, {timeout, visible: state === 'visible', hidden: state === 'hidden' || state === 'detached'});
  }
  $(sel) {
    return this._p.$(sel);
  }
  $eval(sel, fn, arg) {
    return this._p.$eval(sel, fn, arg);
  }
  $$eval(sel, fn, arg) {
    return this._p.$$eval(sel, fn, arg);
  }
  evaluate(fn, arg) {
    return this._p.evaluate(fn, arg);
  }
  async waitForFunction(fn, arg, {timeout = 30000} = {}) {
    return this._p.waitForFunction(fn, {timeout, polling: 50}, arg);
  }
  async getAttribute(sel, name) {
    return this._p.$eval(sel, (e, n) => e.getAttribute(n), name);
  }
  async textContent(sel) {
    return this._p.$eval(sel, (e) => e.textContent);
  }
  async isVisible(sel) {
    return this._p.evaluate((s) => {
      const e = document.querySelector(s);
      if (!e) return false;
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    }, sel);
  }
  async isDisabled(sel) {
    return this._p.$eval(sel, (e) => Boolean(e.disabled));
  }
  async click(sel) {
    await this.waitForSelector(sel);
    return this._p.click(sel);
  }
  async fill(sel, value) {
    await this.waitForSelector(sel);
    await this._p.$eval(sel, (e, v) => {
      e.focus();
      e.value = v;
      e.dispatchEvent(new Event('input', {bubbles: true}));
    }, value);
  }
  async dispatchEvent(sel, type) {
    await this._p.$eval(sel, (e, t) => e.dispatchEvent(new Event(t, {bubbles: true})), type);
  }
  async selectOption(sel, value) {
    return this._p.select(sel, value);
  }
  async setInputFiles(sel, files) {
    const el = await this._p.waitForSelector(sel, {timeout: 30000});
    await el.uploadFile(...(Array.isArray(files) ? files : [files]));
  }
  setViewportSize(size) {
    return this._p.setViewport({...this._p.viewport(), ...size});
  }
  waitForTimeout(ms) {
    return sleep(ms);
  }
  bringToFront() {
    return this._p.bringToFront();
  }
  context() {
    return this._ctx;
  }
  close() {
    return this._p.close();
  }
  screenshot({path, fullPage = false} = {}) {
    return this._p.screenshot({path, fullPage});
  }
  // waitForEvent('download') resolves with a playwright-shaped Download
  // once a new file in the downloads folder is complete.
  async waitForEvent(ev, {timeout = 30000} = {}) {
    if (ev !== 'download') throw new Error(`firefox.mjs: waitForEvent(${ev}) is not supported`);
    const dir = this._ctx._downloads;
    const before = new Set(readdirSync(dir));
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      const done = readdirSync(dir).filter((f) => !before.has(f) && !f.endsWith('.part'));
      // Firefox writes NAME and NAME.part side by side until it is done.
      const ready = done.filter((f) => !readdirSync(dir).includes(f + '.part') && statSync(join(dir, f)).size > 0);
      if (ready.length) {
        const f = ready[0];
        return {suggestedFilename: () => f, saveAs: async (to) => copyFileSync(join(dir, f), to), path: async () => join(dir, f)};
      }
      await sleep(100);
    }
    throw new Error(`firefox.mjs: no download within ${timeout} ms`);
  }
}
