// engine-link.js: how a JS host starts site/engine.wasm. It compiles the
// module, instantiates it with the WASI shim (wasi.js), and links the SIMD
// kernels (simd.wasm, or on request simd-relaxed.wasm where the browser has
// relaxed SIMD: kernelFiles) onto the engine's memory, or gives the engine stubs
// instead, so that it runs its portable Go kernels (no wasm SIMD, no
// simd.wasm, or SIMD turned off). The loader's worker (worker.js) and the
// benchmark page (bench.js) both start the engine through here.
//
// The ABI is described in wasm/doc.go. Its numbers and names are exported
// below, the JS copy of package wasm/abi: a Go test there fails when the
// two differ, or when another site/*.js file writes an ABI version itself.
//
// instantiateKernels is the one step that needs no engine instance: it
// puts simd.wasm on any memory, so several workers could run kernels on
// one shared memory.

import {createWASI} from './wasi.js';

/** What the engine's mn_abi_version returns: the ABI this file speaks. */
export const ENGINE_ABI_VERSION = 1;
/** What simd.wasm's version export returns; the engine links no other. */
export const SIMD_ABI_VERSION = 1;
/** The module name of the engine's kernel imports. */
export const SIMD_IMPORT_MODULE = 'simd';
/** simd.wasm's version export (and the engine's import of it). */
export const SIMD_VERSION_EXPORT = 'simd_abi_version';
/** The module and name under which simd.wasm imports the engine's memory. */
export const SIMD_MEMORY_MODULE = 'engine';
export const SIMD_MEMORY_NAME = 'memory';

/** Status codes of the exports. */
export const STATUS_OK = 0;
export const STATUS_ARGUMENT = -1;
export const STATUS_INPUT = -2;
export const STATUS_INTERNAL = -3;

/** mn_load's flag for TFLite's reference requantization. */
export const FLAG_REFERENCE = 1;

/** What mn_simd answers: simd.wasm not linked, linked but off, in use. */
export const SIMD_UNLINKED = 0;
export const SIMD_OFF = 1;
export const SIMD_ON = 2;

/**
 * LinkError is what this module throws: code 'network' (a fetch failed) or
 * 'unsupported' (a module does not compile, or speaks another ABI), the
 * codes the loader reports.
 */
export class LinkError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

// The smallest module using a SIMD instruction (i8x16.popcnt of a splat).
const simdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The smallest module using a relaxed SIMD instruction
// (i8x16.relaxed_swizzle of two splats).
const relaxedSimdProbe = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 15, 1, 13, 0, 65, 0, 253, 15, 65, 0, 253, 15, 253, 128, 2, 11,
]);

/** The kernel modules: plain wasm SIMD, and the same kernels with relaxed SIMD. */
export const SIMD_FILE = 'simd.wasm';
export const RELAXED_SIMD_FILE = 'simd-relaxed.wasm';

/**
 * relaxedSimdSupported reports whether this browser validates relaxed
 * SIMD (Chromium 114+, Firefox 145+).
 */
export function relaxedSimdSupported() {
  try {
    return WebAssembly.validate(relaxedSimdProbe);
  } catch {
    return false;
  }
}

// relaxedSimdDefault is whether loaders link simd-relaxed.wasm when not
// told (load's relaxedSimd option). Off: measured in one interleaved run
// each on the float model (the only one whose kernels differ), the relaxed
// kernels took 0.955x the time of simd.wasm's in Chromium 156 but about
// 1.3x in Firefox ESR 153 (whose GEMM and im2col kernels slow down with
// f32x4.relaxed_madd), and the integer kernels are the same code. See
// README, Speed.
const relaxedSimdDefault = false;

/**
 * kernelFiles lists the kernel modules to try, best first: with relaxed
 * (default false: relaxedSimdDefault) and a browser that validates relaxed SIMD,
 * simd-relaxed.wasm (its float kernels use f32x4.relaxed_madd; the same
 * exports and results within the float contract, integer outputs
 * identical), then simd.wasm, the fallback when that file is missing or
 * does not compile. Without wasm SIMD, none.
 *
 * @param {{relaxed?: boolean}} [opts]
 * @returns {string[]}
 */
export function kernelFiles({relaxed = relaxedSimdDefault} = {}) {
  if (!simdSupported()) return [];
  return relaxed && relaxedSimdSupported() ? [RELAXED_SIMD_FILE, SIMD_FILE] : [SIMD_FILE];
}

/** simdSupported reports whether this browser runs WebAssembly SIMD (128-bit). */
export function simdSupported() {
  try {
    return WebAssembly.validate(simdProbe);
  } catch {
    return false;
  }
}

/**
 * compileWasm fetches and compiles the module at url. With optional, a
 * missing file (HTTP 404) or one that does not compile gives null instead
 * of a LinkError.
 *
 * @param {string} url
 * @param {{optional?: boolean}} [opts]
 * @returns {Promise<WebAssembly.Module | null>}
 */
export async function compileWasm(url, {optional = false} = {}) {
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new LinkError('network', `cannot fetch ${url}: ${e.message}`);
  }
  if (!resp.ok) {
    if (optional && resp.status === 404) return null;
    throw new LinkError('network', `cannot fetch ${url}: HTTP ${resp.status}`);
  }
  try {
    if ((resp.headers.get('content-type') || '').startsWith('application/wasm')) {
      return await WebAssembly.compileStreaming(resp);
    }
    return await WebAssembly.compile(await resp.arrayBuffer());
  } catch (e) {
    if (optional) return null;
    throw new LinkError('unsupported', `cannot compile ${url}: ${e.message}`);
  }
}

/**
 * kernelImports lists the compiled engine's SIMD imports (the kernels and
 * the version function); a portable build has none.
 *
 * @param {WebAssembly.Module} engineModule
 * @returns {WebAssembly.ModuleImportDescriptor[]}
 */
export function kernelImports(engineModule) {
  return WebAssembly.Module.imports(engineModule).filter((i) => i.module === SIMD_IMPORT_MODULE && i.kind === 'function');
}

/**
 * instantiateKernels instantiates simd.wasm on memory (an engine's, or one
 * shared by several instances) and returns its exports, after checking
 * that it exports every name of names (the kernels an engine imports).
 *
 * @param {WebAssembly.Module} simdModule
 * @param {WebAssembly.Memory} memory
 * @param {string[]} [names]
 * @returns {Promise<WebAssembly.Exports>}
 */
export async function instantiateKernels(simdModule, memory, names = []) {
  for (const i of WebAssembly.Module.imports(simdModule)) {
    if (i.kind !== 'memory' || i.module !== SIMD_MEMORY_MODULE || i.name !== SIMD_MEMORY_NAME) {
      throw new Error(`simd.wasm: unexpected import ${i.module}.${i.name}`);
    }
  }
  const instance = await WebAssembly.instantiate(simdModule, {[SIMD_MEMORY_MODULE]: {[SIMD_MEMORY_NAME]: memory}});
  const missing = names.filter((n) => typeof instance.exports[n] !== 'function');
  if (missing.length) throw new Error(`simd.wasm lacks ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}`);
  return instance.exports;
}

/**
 * instantiateEngine instantiates the compiled engine with the WASI shim,
 * links simdModule (when given, and when the engine imports kernels) onto
 * its memory, runs _initialize and checks the ABI version. The engine's
 * kernel imports forward to simd.wasm's exports of the same name; when
 * nothing is linked, the version import answers 0, so the engine runs its
 * portable kernels and calls none.
 *
 * A simd.wasm that does not link is not an error: the engine runs
 * portable, and simdReason says why.
 *
 * @param {WebAssembly.Module} engineModule
 * @param {object} [opts]
 * @param {WebAssembly.Module | null} [opts.simdModule] simd.wasm, or null
 * @param {(line: string) => void} [opts.stdout] the engine's stdout lines
 * @param {(line: string) => void} [opts.stderr] its stderr lines (fatal Go errors)
 * @param {(name: string, forward: (args: number) => void) => (args: number) => void} [opts.wrapKernel]
 *   wraps each kernel's forwarder (to count or time calls)
 * @returns {Promise<{instance: WebAssembly.Instance, exports: WebAssembly.Exports,
 *   kernelImports: number, simd: boolean, simdReason: string, kernels: WebAssembly.Exports | null}>}
 *   simd: whether simd.wasm is linked; kernels: its exports, or null
 */
export async function instantiateEngine(engineModule, {simdModule = null, stdout, stderr, wrapKernel} = {}) {
  const wasi = createWASI(engineModule, {stdout, stderr});
  const imports = {wasi_snapshot_preview1: wasi.imports};
  const wanted = kernelImports(engineModule);
  let kernels = null; // simd.wasm's exports, once linked
  if (wanted.length) imports[SIMD_IMPORT_MODULE] = {};
  for (const {name} of wanted) {
    if (name === SIMD_VERSION_EXPORT) {
      imports[SIMD_IMPORT_MODULE][name] = () => (kernels ? kernels[name]() : 0);
      continue;
    }
    const forward = (args) => {
      if (!kernels) throw new Error(`SIMD kernel ${name} called, but simd.wasm is not linked`);
      return kernels[name](args);
    };
    imports[SIMD_IMPORT_MODULE][name] = wrapKernel ? wrapKernel(name, forward) : forward;
  }

  const instance = await WebAssembly.instantiate(engineModule, imports);
  const x = instance.exports;
  wasi.setMemory(x.memory);

  let simdReason = '';
  if (wanted.length === 0) {
    simdReason = 'this engine.wasm imports no SIMD kernels (portable build)';
  } else if (!simdModule) {
    simdReason = 'simd.wasm is not available or this browser has no wasm SIMD';
  } else {
    try {
      kernels = await instantiateKernels(simdModule, x.memory, wanted.map((i) => i.name));
    } catch (e) {
      simdReason = `SIMD kernels not linked: ${e.message}`;
    }
  }

  x._initialize(); // calls no kernel (wasm/doc.go)
  const v = x.mn_abi_version();
  if (v !== ENGINE_ABI_VERSION) throw new LinkError('unsupported', `engine.wasm speaks ABI ${v}, this loader ${ENGINE_ABI_VERSION}`);
  return {instance, exports: x, kernelImports: wanted.length, simd: kernels !== null, simdReason, kernels};
}
