// A minimal WASI preview 1 host for the engine module (site/engine.wasm).
//
// The engine is a Go wasip1 reactor that reads no arguments, environment or
// files (wasm/doc.go, "Instantiating"). It needs real answers from only a
// few imports: clock_time_get (Go's clocks), random_get (Go's runtime
// seeds), fd_write (stderr, where the Go runtime prints fatal errors),
// poll_oneoff (timers) and proc_exit. The rest answer as a system with no
// arguments, no environment, no preopened directories and closed files
// would. Any other wasi_snapshot_preview1 import a later Go release adds is
// answered with ENOSYS, so the module still instantiates.
//
// This is not a general WASI implementation: no file system, no sockets,
// no stdin.

const ESUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;

const FILETYPE_CHARACTER_DEVICE = 2;
const EVENTTYPE_CLOCK = 0;

/** WASIExit is thrown by proc_exit: the instance is finished. */
export class WASIExit extends Error {
  constructor(code) {
    super(`the module exited with status ${code}`);
    this.name = 'WASIExit';
    this.code = code;
  }
}

/**
 * createWASI returns the imports for module "wasi_snapshot_preview1" of a
 * compiled module, and setMemory, to call with the instance's exported
 * memory right after instantiation (before _initialize).
 *
 * @param {WebAssembly.Module} module the compiled engine, to list its imports
 * @param {{stdout?: (line: string) => void, stderr?: (line: string) => void}} [out]
 */
export function createWASI(module, out = {}) {
  let memory = null;
  const view = () => new DataView(memory.buffer);
  const bytes = (ptr, len) => new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0);
  const decoder = new TextDecoder();
  const sinks = {
    1: lineWriter(out.stdout || ((s) => console.log(s))),
    2: lineWriter(out.stderr || ((s) => console.error(s))),
  };
  const timeOrigin = BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n;

  // The module gets no arguments and no environment: both *_sizes_get
  // report zero strings in zero bytes, and there is nothing to *_get.
  const noStrings = (countPtr, bufSizePtr) => {
    const v = view();
    v.setUint32(countPtr >>> 0, 0, true);
    v.setUint32(bufSizePtr >>> 0, 0, true);
    return ESUCCESS;
  };
  const nothing = () => ESUCCESS;

  const fns = {
    args_sizes_get: noStrings,
    args_get: nothing,
    environ_sizes_get: noStrings,
    environ_get: nothing,
    clock_res_get(id, resPtr) {
      if (id !== 0 && id !== 1) return EINVAL;
      view().setBigUint64(resPtr >>> 0, 1000n, true);
      return ESUCCESS;
    },
    clock_time_get(id, _precision, timePtr) {
      // 0: realtime, 1: monotonic (performance.now, microsecond-ish).
      const mono = BigInt(Math.round(performance.now() * 1e6));
      let t;
      if (id === 0) t = timeOrigin + mono;
      else if (id === 1) t = mono;
      else return EINVAL;
      view().setBigUint64(timePtr >>> 0, t, true);
      return ESUCCESS;
    },
    random_get(ptr, len) {
      // getRandomValues fills at most 65536 bytes per call, and no view of
      // a shared memory (kernel threads): then it fills a copy.
      for (let off = 0; off < len; off += 65536) {
        const dst = bytes(ptr + off, Math.min(65536, len - off));
        if (dst.buffer instanceof ArrayBuffer) crypto.getRandomValues(dst);
        else dst.set(crypto.getRandomValues(new Uint8Array(dst.length)));
      }
      return ESUCCESS;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      const sink = sinks[fd];
      if (!sink) return EBADF;
      const v = view();
      let n = 0;
      for (let i = 0; i < iovsLen; i++) {
        const p = v.getUint32((iovs >>> 0) + 8 * i, true);
        const l = v.getUint32((iovs >>> 0) + 8 * i + 4, true);
        const b = bytes(p, l);
        // TextDecoder reads no view of a shared memory: a copy then.
        sink(decoder.decode(b.buffer instanceof ArrayBuffer ? b : b.slice(), {stream: true}));
        n += l;
      }
      v.setUint32(nwrittenPtr >>> 0, n, true);
      return ESUCCESS;
    },
    fd_read() {
      return EBADF;
    },
    fd_close() {
      return EBADF;
    },
    fd_fdstat_get(fd, statPtr) {
      // stdin, stdout and stderr are character devices; nothing else is open.
      if (fd > 2) return EBADF;
      const v = view();
      const p = statPtr >>> 0;
      v.setUint8(p, FILETYPE_CHARACTER_DEVICE);
      v.setUint16(p + 2, 0, true);
      v.setBigUint64(p + 8, 0xffffffffffffffffn, true);
      v.setBigUint64(p + 16, 0xffffffffffffffffn, true);
      return ESUCCESS;
    },
    fd_fdstat_set_flags(fd) {
      return fd > 2 ? EBADF : ESUCCESS;
    },
    fd_prestat_get() {
      // EBADF ends the runtime's scan for preopened directories.
      return EBADF;
    },
    fd_prestat_dir_name() {
      return EBADF;
    },
    poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
      // Report every subscription as ready at once. The engine only polls
      // for Go timers, which re-check the clock; nothing here may block a
      // worker's event loop.
      const v = view();
      for (let i = 0; i < nsubs; i++) {
        const s = (inPtr >>> 0) + 48 * i;
        const e = (outPtr >>> 0) + 32 * i;
        v.setBigUint64(e, v.getBigUint64(s, true), true); // userdata
        v.setUint16(e + 8, ESUCCESS, true); // error
        v.setUint8(e + 10, v.getUint8(s + 8)); // type
        for (let j = 11; j < 32; j++) v.setUint8(e + j, 0);
        if (v.getUint8(s + 8) !== EVENTTYPE_CLOCK) v.setUint16(e + 8, EBADF, true);
      }
      v.setUint32(neventsPtr >>> 0, nsubs, true);
      return ESUCCESS;
    },
    sched_yield() {
      return ESUCCESS;
    },
    proc_exit(code) {
      throw new WASIExit(code);
    },
  };

  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== 'wasi_snapshot_preview1' || imp.kind !== 'function') continue;
    imports[imp.name] = fns[imp.name] || (() => ENOSYS);
  }
  return {
    imports,
    setMemory(m) {
      memory = m;
    },
  };
}

// lineWriter buffers text until a newline and hands out whole lines.
function lineWriter(emit) {
  let buf = '';
  return (s) => {
    buf += s;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      emit(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    if (buf.length > 4096) {
      emit(buf);
      buf = '';
    }
  };
}
