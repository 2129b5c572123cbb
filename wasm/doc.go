// Command wasm is the engine's WebAssembly module: package engine behind a
// small C-like ABI, for browsers (the JS loader in site/) and for wazero
// (package host). This comment is the ABI's one description; the hosts
// follow it.
//
// It is not a WASI command and has no main loop. Build it as a reactor
// (build.sh does this):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-s -o site/engine.wasm ./wasm
//
// With the build tag classifyonly it leaves out Teaching and Quantization
// (the mn_teach_* and mn_quant_* exports): build.sh writes that build as
// engine-classify.wasm, 43% smaller on the wire (0.62 MB brotli
// instead of 1.09), which the page's own classifier loads. The tag also
// leaves out what the module never calls but would link: reading model
// files (loader.ParseFile, engine.LoadFiles), the embedded kernel module
// (simd.Module), and deflated label files (TFLite's metadata writer
// stores them; this build reports one as unsupported). TestClassifyOnlyDeps
// keeps fmt, os, time, archive/zip and the teaching packages out of it.
// Everything else below is the same in both.
//
// # Instantiating
//
// The module imports wasi_snapshot_preview1 functions, those the Go
// runtime and package os call (the exact list depends on the Go release):
// clock_time_get, random_get, poll_oneoff, sched_yield, proc_exit, fd_write
// (stderr, for fatal errors), and args_*, environ_*, fd_prestat_*,
// fd_fdstat_*, fd_read and fd_close, which may answer "none" or fail: the
// module reads no arguments, environment or files, so any WASI shim works
// (wazero's, node:wasi, @bjorn3/browser_wasi_shim). It also imports the
// wasm SIMD kernels from module "simd" (see SIMD kernels below): a host
// links them to simd.wasm, or, without SIMD, provides stubs, and the engine
// then runs its portable Go kernels. It exports its
// linear memory as "memory" and the functions below. After instantiation
// the host calls "_initialize" exactly once (wazero:
// WithStartFunctions("_initialize")); then any export, one call at a time
// (the module is single-threaded and not re-entrant).
//
// # Conventions
//
// The numbers and names below (versions, status codes, flags, module and
// function names of the SIMD link) are constants of package
// mobilenet-wasm/wasm/abi, which this module and the Go hosts import; the
// JS loader's copy is site/engine-link.js.
//
//   - Types: pointers and lengths are i32 holding unsigned 32-bit values
//     (uint32 in the signatures below; JS hosts read returned pointers as
//     ptr >>> 0). Handles, dimensions, k and status codes are signed i32.
//   - Status: functions returning a status return StatusOK (0) on success
//     and a negative code on failure: StatusArgument (-1, a bad handle,
//     pointer, length, flag or dimension), StatusInput (-2, the engine
//     refused the input: wrong tensor size, not an image model, frame too
//     small) or StatusInternal (-3, a Go panic inside the engine, recovered).
//     mn_alloc returns 0 and mn_load returns handle 0 on failure.
//   - Errors: every failing call stores a message (UTF-8) that
//     mn_error_ptr / mn_error_len locate; every call that can fail clears it
//     first, so mn_error_len is 0 after a success. No export ever lets a Go
//     panic escape as a trap. What the Go runtime treats as fatal (running
//     out of memory, stack exhaustion) still traps: the instance is then
//     dead and the host must instantiate a new one.
//   - Guest memory: every pointer the host passes in must lie, with its
//     length, inside one live block from mn_alloc (interior pointers are
//     fine); anything else is StatusArgument, never a stray access. A
//     length of 0 needs no pointer (pass 0). Blocks are zeroed, do not
//     move, and stay valid until mn_free. mn_load and the other calls copy
//     what they need, so a block may be reused or freed as soon as the call
//     returns.
//   - Results: calls that produce bytes (mn_info, mn_memory, mn_classify,
//     mn_classify_bin, mn_infer, mn_embed) put them in one module-wide
//     result buffer that mn_result_ptr / mn_result_len locate. It is valid
//     until the next mn_* call other than mn_result_* and mn_error_*, and it
//     is emptied when a call fails. Copy it out before calling again.
//   - Linear memory may grow during any call. JS hosts must re-create
//     their views (new Uint8Array(memory.buffer)) after every call.
//   - Numbers in results are little-endian.
//
// # Exports
//
//	mn_abi_version() int32
//	    The ABI version, abi.EngineVersion (1). A host checks it before
//	    anything else.
//
//	mn_alloc(size uint32) uint32
//	    Allocates size zeroed bytes (at most abi.MaxAlloc, and at most
//	    abi.MaxAllocLive in all live blocks) and returns their address, or 0
//	    on failure.
//	mn_free(ptr uint32) int32
//	    Frees a block from mn_alloc (ptr must be its start).
//
//	mn_load(model_ptr, model_len, head_ptr, head_len, labels_ptr, labels_len, flags uint32) int32
//	    Loads a .tflite model, and when head_len > 0 a head model that takes
//	    the first model's output (the 1.0_224 quant extractor + head pair).
//	    labels_len > 0 overrides the model's embedded labels with UTF-8 text,
//	    one label per line ("\r\n" or "\n"; a final newline is ignored; a
//	    list one shorter than the classes gets "background" prepended).
//	    flags: abi.FlagReference (1) selects TFLite's reference requantization
//	    instead of the default fp32 one (XNNPACK's, what the goldens are);
//	    other bits must be 0. Returns a handle > 0, or 0 on failure.
//	mn_free_model(handle int32) int32
//	    Frees a model; its handle is never reused.
//
//	mn_info(handle int32) int32
//	    Result: the model's description as JSON, engine.Info: {"input",
//	    "output", "embedding" (tensors: name, shape, dtype, scale,
//	    zero_point), "input_size", "classes", "ops", "macs", "params",
//	    "labels", "requant"}.
//	mn_memory(handle int32) int32
//	    Result: where the module's memory goes, as JSON: {"model":
//	    engine.Memory, the bytes the model holds ("simd_weights",
//	    "portable_weights", "constants", "arena", "buffers"), "go_heap": the
//	    Go runtime's figures after a collection ("sys", "heap_sys",
//	    "heap_inuse", "heap_alloc", "num_gc")}. The module keeps nothing of
//	    the model files; a load collects eagerly and mn_free_model frees the
//	    model's memory for the next load (linear memory never shrinks).
//
//	mn_classify(handle int32, ptr, len uint32, width, height, stride, k int32) int32
//	    Classifies an RGBA frame (4 bytes a pixel, rows stride bytes apart,
//	    alpha ignored: canvas ImageData has stride = 4*width) after the
//	    release's preprocessing (central crop 87.5%, bilinear resize).
//	    Result: the top k (clamped to the class count; 0 gives []) as JSON,
//	    best first, ties broken by the lower index:
//	    [{"index":N,"label":"...","score":F},...]. label is "" when the model
//	    has no labels; score is the probability (uint8 outputs: byte/256),
//	    written as the shortest decimal that reads back as the same float32
//	    (null if not finite).
//	mn_classify_bin(handle int32, ptr, len uint32, width, height, stride, k int32) int32
//	    mn_classify with a binary result: one 8-byte record per class,
//	    {index int32, score float32}, best first. No labels (see mn_info).
//	mn_infer(handle int32, ptr, len uint32) int32
//	    Runs a raw input tensor (the model's input dtype and shape, bytes as
//	    stored: uint8, int8 or little-endian float32; len must be its exact
//	    size). Result: the raw output tensor, its bytes as stored.
//	mn_embed(handle int32, ptr, len uint32, width, height, stride int32) int32
//	    Preprocesses a frame as mn_classify does and runs it. Result: the
//	    feature vector the head takes (the extractor's output of a chain, the
//	    input of a single model's final logits layer), dequantized, as
//	    little-endian float32.
//
//	mn_result_ptr() uint32, mn_result_len() uint32
//	    The result buffer (see Results). ptr is 0 when len is 0.
//	mn_error_ptr() uint32, mn_error_len() uint32
//	    The last error message. ptr is 0 when len is 0.
//
//	mn_simd() int32
//	    abi.SIMDUnlinked (0): the SIMD kernels are not linked (the portable
//	    Go kernels run); abi.SIMDOff (1): linked but switched off;
//	    abi.SIMDOn (2): linked and on (the default).
//	mn_set_simd(on int32) int32
//	    Switches every model, loaded or not, between the SIMD kernels (1)
//	    and the portable ones (0), for A/B runs; both give the same outputs.
//	    A layer holds its weights in its path's form only: it converts them
//	    on its first run after a switch.
//	    StatusArgument for other values, or for 1 when not linked.
//
// # SIMD kernels
//
// The module imports, from module "simd" (abi.SIMDImportModule),
// simd_abi_version() int32 (abi.SIMDVersionExport) and one
// function per kernel it may call, each (func (param i32)): the names are
// the Default variants of package kernels/simd (its registry), e.g.
// qu8_gemm_fp32_3x4c8__wasmsimd; WebAssembly.Module.imports or wazero's
// ImportedFunctions list them. simd.wasm (kernels/simd/simd.wasm, copied to
// site/ by build.sh) exports simd_abi_version and every kernel under the
// same names, and imports the engine's memory as "engine" "memory". A host
// with SIMD:
//
//  1. instantiates this module with "simd" imports that forward to simd.wasm's
//     exports once they exist (JS: small wrappers calling a variable
//     assigned in step 2; wazero: host functions calling the api.Function
//     with the same stack), and calls _initialize (which calls no kernel);
//  2. instantiates simd.wasm with {engine: {memory: <this module's memory>}}.
//
// simd-relaxed.wasm (kernels/simd/simd-relaxed.wasm, also copied to site/)
// is the same module, the same exports, imports and argument blocks, whose
// float kernels multiply-add with f32x4.relaxed_madd (relaxed SIMD: fused
// where the machine has FMA; float outputs within 1e-5 of simd.wasm's,
// integer outputs identical). A host that validates relaxed SIMD may link
// it instead of simd.wasm (site/engine-link.js kernelFiles does when asked:
// it is not faster everywhere); the engine cannot tell them apart. wazero has no relaxed
// SIMD: host links simd.wasm.
//
// A host without SIMD (no wasm SIMD, or an A/B run) provides every "simd"
// import as a stub: simd_abi_version returns 0, the kernels trap (they are
// never called). The engine calls simd_abi_version once, at the first
// mn_load or mn_simd (never during _initialize), and uses the kernels only
// when it returns abi.SIMDVersion (1). A kernel's i32 argument
// is the address, in this module's memory, of its argument block (simd.GEMMArgs, DWArgs, ConvArgs or
// PoolArgs): tensors, packed weights and scratch buffers all live in this
// memory, and the engine keeps them alive while the model is loaded.
// Forwarding costs one host call per layer. In the browser,
// site/engine-link.js does all of this (and host/internal/wasmmod/simd.go under wazero).
//
// # Kernel threads
//
// The module also imports two functions of module "simd" that the host
// provides itself (simd.wasm does not export them):
//
//	simd_threads() int32 (abi.SIMDThreadsImport)
//	    How many instances of simd.wasm the host runs on this module's
//	    memory, 1 to abi.MaxThreads; 1 without threads, and what a host
//	    without SIMD answers. Asked once, when the first layer is planned.
//	simd_parallel(kernel, jobs, n int32) (abi.SIMDParallelImport)
//	    Runs kernel number kernel (its position among simd.wasm's kernel
//	    exports, simd_abi_version not counted: the registry's order) on n
//	    argument blocks at once, one per instance, and returns when all n
//	    are done; jobs is the address of n uint32 block addresses. Called
//	    only with 2 <= n <= simd_threads(). The parts write disjoint
//	    outputs (package kernels/simd, split.go), so their order does not
//	    matter and the outputs equal one thread's bit for bit.
//
// With threads the module's memory must be shared: build.sh writes
// engine-threads.wasm and simd-threads.wasm, copies of the two modules
// whose memory (defined, and imported) is shared with a maximum of
// abi.SharedMemoryMaxPages (package mobilenet-wasm/wasm/sharedmem rewrites
// only the limits). Browsers allow a shared memory only in cross-origin
// isolated pages (COOP same-origin and COEP require-corp, which `mobilenet
// serve` sends). A threaded host instantiates the engine with the shared
// copies, then N instances of simd-threads.wasm on its memory (in a
// browser, one per Web Worker, each sent the memory and the module), and
// makes simd_parallel run part 0 on its own instance and parts 1.. on the
// others. Only the kernels run on other threads: Go's runtime and every
// export stay on the thread that called them.
//
// # Teaching
//
// Transfer learning in the module (package mobilenet-wasm/train): a
// teaching session belongs to a loaded model and holds named classes of
// examples, kept as feature vectors (what mn_embed returns; frames are
// embedded as they are added and not kept), a trained head (softmax layer
// on the features, optionally after a hidden ReLU layer) and at most one
// training in progress. Training runs a few epochs per call, so that a
// host can show progress, stay responsive and cancel between calls.
// Session ids are like model handles: positive, never reused. A session
// keeps its model alive: mn_free_model does not end it. Limits (classes,
// examples, name length, frame size) are the Teach* constants of package
// abi. JSON arguments may be empty (len 0: defaults) and must not have
// unknown fields. Class indices are positions in the session's class
// list: 0 to classes-1.
//
//	mn_teach_new(handle int32, opts_ptr, opts_len uint32) int32
//	    Starts a session on model handle. opts: {"classes": ["name", ...],
//	    "model": "what the host calls the model, kept in saved states"}.
//	    Returns a session id > 0, or 0 on failure (the model has no
//	    feature vector: StatusInput's message in mn_error).
//	mn_teach_free(session int32) int32
//	    Ends a session.
//	mn_teach_info(session int32) int32
//	    Result: {"model", "dim" (feature vector length), "quant" (the
//	    features are uint8: heads train quantization-aware and export in
//	    uint8), "classes": [{"name", "count"}], "head": null or {"classes",
//	    "hidden", "quant", "labels"}, "training": bool, "history": [progress
//	    of the current or last training's epochs]}.
//	mn_teach_class(session, class int32, name_ptr, name_len uint32) int32
//	    class = the number of classes adds a class named so; a smaller one
//	    renames that class (the head keeps working under the new name).
//	    Names are 1 to abi.TeachMaxName bytes of UTF-8 without line breaks.
//	    Adding a class drops the head and any training in progress (their
//	    outputs are the old classes). Result: as mn_teach_info.
//	mn_teach_delete_class(session, class int32) int32
//	    Deletes a class and its examples; later classes move down one. The
//	    head and any training are dropped. Result: as mn_teach_info.
//	mn_teach_add_frame(session, class int32, ptr, len uint32, width, height, stride, copies int32) int32
//	    Embeds an RGBA frame (as mn_embed) and adds its feature vector to
//	    class, then copies (0 to abi.TeachMaxCopies) more from mirrored,
//	    cropped, brightened versions of it (train.Augment). A frame under
//	    abi.TeachMinSide pixels a side is StatusInput. Result:
//	    {"class", "count" (the class's examples now), "added"}.
//	mn_teach_add_embedding(session, class int32, ptr, len uint32) int32
//	    Adds a feature vector: dim little-endian float32s (len = 4*dim),
//	    all finite. Result: as mn_teach_add_frame.
//	mn_teach_remove(session, class, index int32) int32
//	    Removes a class's example index (in the order added). Result: as
//	    mn_teach_info.
//	mn_teach_clear(session, class int32) int32
//	    Removes every example of class, or of every class for -1. Result:
//	    as mn_teach_info.
//	mn_teach_train_start(session int32, cfg_ptr, cfg_len uint32) int32
//	    Starts (or restarts) training on the examples. cfg: {"hidden",
//	    "epochs", "patience", "batch_size", "lr", "weight_decay", "seed",
//	    "qat_epochs" (train.Config's fields; 0 = default), "val" (share of
//	    each class held out for early stopping, default 0.2; none when a
//	    class has fewer than 3 examples, and then 100 epochs by default),
//	    "quant" (default: true when the features are uint8)}. No class,
//	    one class, or a class without examples is StatusInput with a
//	    message naming it. Result: {"train", "val"}: examples in each set.
//	    The committed head (if any) stays in use until training ends.
//	mn_teach_train_step(session, epochs int32) int32
//	    Runs up to epochs epochs. Result: {"steps": [{"epoch", "phase"
//	    ("float", then "refit" with validation: from scratch on the
//	    training and validation examples for 1.25 times the best float
//	    epoch, then "qat" for a uint8 head), "loss", "train_acc" (of the
//	    epoch's batches, as the loss), "val_acc", "val_loss" (-1
//	    without validation and during "refit"; in "qat", on examples
//	    trained on),
//	    "best", "done"}], "done": bool}. When done, the best head becomes
//	    the session's.
//	mn_teach_train_stop(session, keep int32) int32
//	    Cancels training: keep 0 keeps the head the session had before it
//	    (none, if it had none), keep 1 commits the best head so far.
//	    Result: as mn_teach_info.
//	mn_teach_predict(session int32, ptr, len uint32, width, height, stride, k int32) int32
//	    Classifies an RGBA frame with the session's head. Result: as
//	    mn_classify's, the classes' names as labels, score the head's
//	    probability. StatusInput before any training.
//	mn_teach_export(session int32, opts_ptr, opts_len uint32) int32
//	    Result: one .tflite (train.Export): the model's layers up to the
//	    feature vector, the head and a SOFTMAX, uint8 for a quantized head,
//	    the class names as labels in its metadata; mn_load loads it. opts:
//	    {"name", "description"} for the metadata.
//	mn_teach_save(session int32) int32
//	    Result: the session's state (classes, examples, head), to store and
//	    give back to mn_teach_restore: "MNTEACH1", a little-endian uint32
//	    header length, a JSON header {"model", "dim", "classes", "head",
//	    "labels", "seed"}, then the examples' float32s, class by class.
//	mn_teach_restore(session int32, ptr, len uint32) int32
//	    Replaces the session's classes, examples and head with a saved
//	    state, after checking all of it: a damaged state, or one from a
//	    model with other feature vectors, is StatusInput and changes
//	    nothing. Result: as mn_teach_info.
//
// # Call sequence
//
// Classifying webcam frames from JS, error handling shortened to fail():
//
//	// wasi: a WASI shim, e.g. new WASI({version: "preview1"}) of node:wasi, or
//	// @bjorn3/browser_wasi_shim's; its initialize() gives it the memory and
//	// calls _initialize. simdBytes: simd.wasm, or null without wasm SIMD.
//	const engine = await WebAssembly.compile(wasmBytes);
//	let kernels = null;                           // simd.wasm's exports, once linked
//	const simd = {};
//	for (const {module, name} of WebAssembly.Module.imports(engine)) {
//	  if (module !== 'simd') continue;
//	  simd[name] = name === 'simd_abi_version'
//	    ? () => (kernels ? kernels.simd_abi_version() : 0)
//	    : (args) => kernels[name](args);
//	}
//	const instance = await WebAssembly.instantiate(engine, {wasi_snapshot_preview1: wasi.wasiImport, simd});
//	wasi.initialize(instance);
//	const x = instance.exports;
//	if (simdBytes) {
//	  kernels = (await WebAssembly.instantiate(simdBytes, {engine: {memory: x.memory}})).instance.exports;
//	}
//	if (x.mn_abi_version() !== 1) fail();
//	const bytes = (p, n) => new Uint8Array(x.memory.buffer, p >>> 0, n >>> 0);
//	const text = (p, n) => new TextDecoder().decode(bytes(p, n));
//	const error = () => text(x.mn_error_ptr(), x.mn_error_len());
//
//	const mp = x.mn_alloc(model.length);          // model: Uint8Array of the .tflite
//	bytes(mp, model.length).set(model);
//	const h = x.mn_load(mp, model.length, 0, 0, 0, 0, 0);
//	x.mn_free(mp);
//	if (h === 0) fail(error());
//	if (x.mn_info(h) !== 0) fail(error());
//	const info = JSON.parse(text(x.mn_result_ptr(), x.mn_result_len()));
//
//	const fp = x.mn_alloc(frame.data.length);     // frame: ImageData; reuse fp for every frame
//	bytes(fp, frame.data.length).set(frame.data); // re-create views after each call
//	if (x.mn_classify(h, fp, frame.data.length, frame.width, frame.height, 4 * frame.width, 5) !== 0) fail(error());
//	const top5 = JSON.parse(text(x.mn_result_ptr(), x.mn_result_len()));
//
//	x.mn_free(fp);
//	x.mn_free_model(h);
//
// The Go host in package host does the same through wazero.
//
// # Quantization
//
// Post-training quantization of a float model (package
// mobilenet-wasm/quantize, as `mobilenet quantize` runs it) inside the
// module: create a calibrator, feed it calibration frames, then write the
// quantized .tflite. A calibrator keeps every calibration input (the
// preprocessed pixels, input_size² x 3 bytes each) until mn_quant_free.
// The same model, frames (in the same order) and options give the same
// bytes as the native package (host/internal/wasmmod checks it).
//
//	mn_quant_new(model_ptr, model_len uint32) int32
//	    Parses and checks a float .tflite model and returns a calibrator
//	    handle > 0 (its own numbering, never reused), or 0 on failure
//	    (the message says why: not a model, already quantized, an
//	    operator the quantizer does not rewrite, an input that is not a
//	    square RGB image).
//	mn_quant_add_frame(handle int32, ptr, len uint32, width, height, stride int32) int32
//	    Runs the float model on an RGBA frame (as mn_classify: alpha
//	    ignored, central crop 87.5%, bilinear resize) and records its
//	    activations. StatusInput when the frame's bytes do not cover it.
//	mn_quant_samples(handle int32) int32
//	    The number of frames added so far (>= 0), or a negative status.
//	mn_quant_run(handle int32, opts_ptr, opts_len uint32) int32
//	    Quantizes. opts is UTF-8 JSON (opts_len 0: every default), each
//	    field optional, unknown fields refused (StatusArgument):
//	    {"format": "uint8" (default) | "int8", "method": "auto" |
//	    "minmax" | "percentile" | "mse", "percentile": P (in (50, 100]),
//	    "input_type", "output_type": "uint8" | "int8" | "float32" (default:
//	    the format's), "labels": ["...", ...] (embedded instead of the
//	    model's), "equalize", "absorb_bias", "correct_bias": "auto" |
//	    "on" | "off", "relu6": "keep" | "relu"} (quantize.Options).
//	    StatusInput when no frame was added. Result: the quantized .tflite.
//	    The calibrator stays, for another run with other options.
//	mn_quant_free(handle int32) int32
//	    Frees a calibrator and its calibration inputs.
package main
