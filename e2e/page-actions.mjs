// page-actions.mjs: what the e2e scripts do on the page the same way in
// each of them (run.mjs, page.mjs): read the Top 5, drop or paste a file as
// a user would, take a screenshot.

import {readFileSync} from 'node:fs';
import {join} from 'node:path';

// readTop reads the page's Top 5 list: index, score and label from its
// data attributes, and the score as shown.
export function readTop(page) {
  return page.$$eval('#top5 li', (lis) => lis.map((li) => ({index: +li.dataset.index, score: +li.dataset.score, label: li.dataset.label, text: li.querySelector('.score').textContent})));
}

// dropFile drops a file on the page's photo area, as a user's drag and drop.
export async function dropFile(page, path, name, type) {
  const b64 = readFileSync(path).toString('base64');
  await page.evaluate(({b64, name, type}) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, {type}));
    const stage = document.getElementById('stage');
    stage.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
    stage.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
  }, {b64, name, type});
}

// pasteFile pastes a file on the page, as Ctrl+V of a copied image.
export async function pasteFile(page, path, name, type) {
  const b64 = readFileSync(path).toString('base64');
  await page.evaluate(({b64, name, type}) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, {type}));
    document.body.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
  }, {b64, name, type});
}

// screenshot saves the page as out/name.png and returns the path.
export async function screenshot(out, page, name, fullPage = false) {
  const path = join(out, `${name}.png`);
  await page.screenshot({path, fullPage});
  return path;
}
