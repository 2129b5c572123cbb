// browser.mjs: the one browser-neutral launcher of the e2e scripts and
// bench/browser: headless Chromium through playwright-core (chromium.mjs's
// options) or headless Firefox through puppeteer-core over WebDriver BiDi
// (firefox.mjs, which gives it playwright's API), so that one script runs
// in both. Each library is imported only when its browser is asked for.
//
// which: {browser: 'chromium' | 'firefox', executable: the browser's path}.
// camera: a Y4M file for Chromium's fake webcam (Firefox's fake webcam
// shows its own synthetic pattern whatever the file), or '' for none.

import {fakeCameraArgs, launchOptions} from './chromium.mjs';
import {launchFirefox, launchFirefoxPersistent} from './firefox.mjs';

// browserNames are the browsers launch knows.
export const browserNames = Object.freeze(['chromium', 'firefox']);

function check(which) {
  if (!browserNames.includes(which.browser)) throw new Error(`unknown browser ${JSON.stringify(which.browser)} (want ${browserNames.join(' or ')})`);
  if (!which.executable) throw new Error(`no executable for ${which.browser}`);
}

// launch starts the browser; the result has playwright's Browser API
// (newContext, version, close).
export async function launch(which, camera = '') {
  check(which);
  if (which.browser === 'firefox') {
    const {default: puppeteer} = await import('puppeteer-core');
    return launchFirefox(puppeteer, which.executable, {camera: Boolean(camera)});
  }
  const {chromium} = await import('playwright-core');
  return chromium.launch(launchOptions(which.executable, camera ? fakeCameraArgs(camera) : []));
}

// launchPersistent starts the browser on the profile folder (kept across
// launches: service worker, Cache Storage, IndexedDB); the result has
// playwright's BrowserContext API, ctxOpts its context options
// (viewport, acceptDownloads).
export async function launchPersistent(which, profile, ctxOpts = {}, camera = '') {
  check(which);
  if (which.browser === 'firefox') {
    const {default: puppeteer} = await import('puppeteer-core');
    return launchFirefoxPersistent(puppeteer, which.executable, profile, ctxOpts, {camera: Boolean(camera)});
  }
  const {chromium} = await import('playwright-core');
  return chromium.launchPersistentContext(profile, {...launchOptions(which.executable, camera ? fakeCameraArgs(camera) : []), ...ctxOpts});
}
