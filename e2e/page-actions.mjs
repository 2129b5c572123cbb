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

// giveFile hands the page the file at path (as name, of MIME type) the way
// a user would: dropped on the photo area (how 'drop') or pasted ('paste').
async function giveFile(page, path, name, type, how) {
  const b64 = readFileSync(path).toString('base64');
  await page.evaluate(({b64, name, type, how}) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, {type}));
    const opts = {bubbles: true, cancelable: true};
    if (how === 'paste') {
      document.body.dispatchEvent(new ClipboardEvent('paste', {...opts, clipboardData: dt}));
      return;
    }
    const stage = document.getElementById('stage');
    stage.dispatchEvent(new DragEvent('dragover', {...opts, dataTransfer: dt}));
    stage.dispatchEvent(new DragEvent('drop', {...opts, dataTransfer: dt}));
  }, {b64, name, type, how});
}

// dropFile drops a file on the page's photo area, as a user's drag and drop.
export const dropFile = (page, path, name, type) => giveFile(page, path, name, type, 'drop');

// pasteFile pastes a file on the page, as Ctrl+V of a copied image.
export const pasteFile = (page, path, name, type) => giveFile(page, path, name, type, 'paste');

// screenshot saves the page as out/name.png and returns the path.
export async function screenshot(out, page, name, fullPage = false) {
  const path = join(out, `${name}.png`);
  await page.screenshot({path, fullPage});
  return path;
}
