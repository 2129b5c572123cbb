// kernel-worker.js: one kernel thread (wasm/doc.go, "Kernel threads").
// engine-link.js's startKernelThreads starts it (through the page when the
// engine runs in a worker) and posts {simdModule, memory, ctl, slot},
// directly or on a MessagePort posted first: it
// instantiates simd.wasm (the shared-memory build) on the engine's shared
// memory, answers {ok: true}, then runs the parts of layers posted in its
// slot of the control block ctl until it is told to stop.

import {instantiateKernels, kernelNames, kernelWorkerLoop} from './engine-link.js';

// io is where the engine talks to this worker: the MessagePort of the
// first message when the page started it for an engine worker, else this
// worker's own port (an engine on the page's thread: the benchmark page).
let io = self;

self.onmessage = (e) => {
  self.onmessage = null;
  if (e.data.port) {
    io = e.data.port;
    io.onmessage = (m) => {
      io.onmessage = (q) => q.data.quit && self.close();
      run(m.data);
    };
    return;
  }
  run(e.data);
};

async function run({simdModule, memory, ctl, slot}) {
  let fns;
  try {
    const names = kernelNames(simdModule);
    const kernels = await instantiateKernels(simdModule, memory, names);
    fns = names.map((n) => kernels[n]);
  } catch (err) {
    io.postMessage({ok: false, error: err.message || String(err)});
    return;
  }
  io.postMessage({ok: true});
  kernelWorkerLoop(ctl, slot, fns);
  io.postMessage({stopped: true}); // engine-link.js's terminate waits for this
  self.close();
}
