// run.mjs opens the LiteRT.js referee page (internal/litert) in headless
// Chromium and waits until it has posted every result to the Go test's
// server; the page reports to that server, this script only drives the
// browser. Usage (litert.go runs it):
//
//   node internal/litert/run.mjs URL CHROMIUM TIMEOUT_MS
//
// Console messages and page errors are printed prefixed with [page]. The
// exit status is 0 when the page finished, 1 otherwise.

import {chromium} from 'playwright-core';
import {launchOptions} from '../headless/chromium.mjs';

const [url, executablePath, timeout] = process.argv.slice(2);
const browser = await chromium.launch(launchOptions(executablePath));
let status = 0;
try {
  console.log(`chromium ${browser.version()}`);
  const page = await browser.newPage();
  page.on('console', (m) => console.log(`[page] ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[page] uncaught: ${e.stack || e}`));
  await page.goto(url);
  await page.waitForFunction(() => window.litertDone === true, null, {timeout: Number(timeout), polling: 100});
} catch (e) {
  console.log(`run.mjs: ${e.stack || e}`);
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
