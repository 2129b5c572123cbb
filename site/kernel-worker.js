// kernel-worker.js: one kernel thread (wasm/doc.go, "Kernel threads").
// The engine's worker starts it through engine-link.js's
// startKernelThreads and posts {simdModule, memory, ctl, slot}: it
// instantiates simd.wasm (the shared-memory build) on the engine's shared
// memory, answers {ok: true}, then runs the parts of layers posted in its
// slot of the control block ctl until it is told to stop.

import {instantiateKernels, kernelNames, kernelWorkerLoop} from './engine-link.js';

self.onmessage = async (e) => {
  self.onmessage = null;
  const {simdModule, memory, ctl, slot} = e.data;
  let fns;
  try {
    const names = kernelNames(simdModule);
    const kernels = await instantiateKernels(simdModule, memory, names);
    fns = names.map((n) => kernels[n]);
  } catch (err) {
    self.postMessage({ok: false, error: err.message || String(err)});
    return;
  }
  self.postMessage({ok: true});
  kernelWorkerLoop(ctl, slot, fns);
  self.postMessage({stopped: true}); // engine-link.js's terminate waits for this
  self.close();
};
