// chromium.mjs: the one way this repository launches headless Chromium
// (playwright-core), shared by the e2e scripts (e2e/*.mjs), internal/litert/run.mjs and
// bench/browser/run.mjs so that the tests, the referee and the benchmark run
// the same browser setup. It does not import playwright-core itself: each
// script loads that its own way (bench/browser/run.mjs reports a missing
// install), and passes launchOptions(...) to chromium.launch or
// chromium.launchPersistentContext.

// chromiumArgs: no sandbox (CI runs as root in a container), no GPU
// (headless machines have none), and none of Chromium's own network and
// background work, so that nothing leaves the machine and nothing competes
// with what is measured.
export const chromiumArgs = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

// launchOptions returns playwright's launch options for the browser at
// executablePath, headless, with chromiumArgs and then extraArgs.
export function launchOptions(executablePath, extraArgs = []) {
  return {executablePath, headless: true, args: [...chromiumArgs, ...extraArgs]};
}

// fakeCameraArgs makes getUserMedia answer yes without a prompt, with a
// camera that plays y4m (a YUV4MPEG2 video) in a loop.
export function fakeCameraArgs(y4m) {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
  ];
}
