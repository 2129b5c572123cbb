// teach-ops.js: the worker's side of teaching (mobilenet.js's Teacher):
// the mn_teach_* exports of engine.wasm (described under "Teaching" in
// wasm/doc.go) as worker ops. worker.js adds them to its own ops; each
// takes the posted message and returns its value (or {value, transfer}).

const json = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

/**
 * teachOps returns the teaching ops of a worker whose engine getEngine
 * returns (worker.js's Engine), with frameOf turning posted frames into
 * RGBA and Failure its error class.
 */
export function teachOps(getEngine, frameOf, Failure) {
  // withJSON copies v as JSON text into the engine for fn(ptr, len).
  const withBytes = (e, bytes, fn) => {
    const p = e.put(bytes);
    try {
      return fn(p, bytes.byteLength);
    } finally {
      e.free(p);
    }
  };
  const withJSON = (e, v, fn) => withBytes(e, v == null ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(v)), fn);
  // run calls a status-returning export and returns its result bytes.
  const run = (name, ...args) => {
    const e = getEngine();
    e.check(e.call(name, ...args), name);
    return e.result();
  };
  const frameCall = (name, m, ...tail) => {
    const e = getEngine();
    const f = frameOf(m.frame);
    const p = e.putFrame(f.data);
    return run(name, m.session, ...(name === 'mn_teach_add_frame' ? [m.index] : []), p, f.data.byteLength, f.width, f.height, 4 * f.width, ...tail);
  };

  return {
    teachNew(m) {
      const e = getEngine();
      e.loaded();
      const id = withJSON(e, {classes: m.classes || [], model: m.model || ''}, (p, n) => e.call('mn_teach_new', e.handle, p, n));
      if (id === 0) throw new Failure('input', e.errorMessage('the teaching session did not start'));
      return {session: id, info: json(run('mn_teach_info', id))};
    },
    teachFree(m) {
      run('mn_teach_free', m.session);
      return true;
    },
    teachInfo: (m) => json(run('mn_teach_info', m.session)),
    teachClass(m) {
      const e = getEngine();
      return json(withBytes(e, new TextEncoder().encode(m.name), (p, n) => run('mn_teach_class', m.session, m.index, p, n)));
    },
    teachDeleteClass: (m) => json(run('mn_teach_delete_class', m.session, m.index)),
    teachAddFrame: (m) => json(frameCall('mn_teach_add_frame', m, m.copies || 0)),
    teachAddEmbedding(m) {
      const e = getEngine();
      return json(withBytes(e, new Uint8Array(m.embedding), (p, n) => run('mn_teach_add_embedding', m.session, m.index, p, n)));
    },
    teachRemove: (m) => json(run('mn_teach_remove', m.session, m.index, m.example)),
    teachClear: (m) => json(run('mn_teach_clear', m.session, m.index)),
    teachTrainStart(m) {
      const e = getEngine();
      return json(withJSON(e, m.config, (p, n) => run('mn_teach_train_start', m.session, p, n)));
    },
    // teachTrainStep runs epochs for about budgetMs (at least one), so
    // that the page hears back often and can cancel in between.
    teachTrainStep(m) {
      const t0 = performance.now();
      const steps = [];
      let chunk = 1;
      for (;;) {
        const t1 = performance.now();
        const r = json(run('mn_teach_train_step', m.session, chunk));
        steps.push(...r.steps);
        if (r.done) return {steps, done: true};
        const now = performance.now();
        if (now - t0 >= m.budgetMs) return {steps, done: false};
        // Grow the chunk while epochs are quick.
        if (now - t1 < m.budgetMs / 8) chunk = Math.min(chunk * 2, 64);
      }
    },
    teachTrainStop: (m) => json(run('mn_teach_train_stop', m.session, m.keep ? 1 : 0)),
    teachPredict: (m) => json(frameCall('mn_teach_predict', m, m.topK)),
    teachExport(m) {
      const e = getEngine();
      const out = withJSON(e, {name: m.name || '', description: m.description || ''}, (p, n) => run('mn_teach_export', m.session, p, n));
      return {value: out, transfer: [out.buffer]};
    },
    teachSave(m) {
      const out = run('mn_teach_save', m.session);
      return {value: out, transfer: [out.buffer]};
    },
    teachRestore(m) {
      const e = getEngine();
      return json(withBytes(e, new Uint8Array(m.state), (p, n) => run('mn_teach_restore', m.session, p, n)));
    },
  };
}
