// Package abi holds the numbers and names of the engine module's ABI
// (engine.wasm, package mobilenet-wasm/wasm) and of the SIMD kernel module
// linked to it (simd.wasm, package mobilenet-wasm/kernels/simd): what the
// modules and their hosts must agree on. The module, the kernel generator
// and the wazero host (package host) import them from here; the
// browser's copy is site/engine-link.js, which a test of this package
// compares with these constants.
//
// What the exports do is described once, in package mobilenet-wasm/wasm's
// comment. This package is plain Go with no dependencies, so that it builds
// for every GOOS, the wasip1 module and native hosts alike.
package abi

// EngineVersion is what the engine's mn_abi_version export returns; a host
// checks it before any other call. Bump it whenever an export's signature
// or meaning changes.
const EngineVersion = 1

// SIMDVersion is what simd.wasm's SIMDVersionExport returns; the engine
// runs the kernels only when its import of the same name answers this.
// Bump it whenever an argument block, a packed weight layout or a kernel's
// meaning changes.
const SIMDVersion = 1

// Names linking simd.wasm to the engine: the engine imports the kernels and
// the version function from module SIMDImportModule under the names
// simd.wasm exports them by, and simd.wasm imports the engine's memory as
// SIMDMemoryModule.SIMDMemoryName.
const (
	// SIMDImportModule is the module name of the engine's kernel imports.
	SIMDImportModule = "simd"
	// SIMDVersionExport is simd.wasm's version export, and the engine's
	// import of it; a host without SIMD answers 0.
	SIMDVersionExport = "simd_abi_version"
	// SIMDMemoryModule is the module name of simd.wasm's memory import:
	// wazero hosts name the engine's instance so.
	SIMDMemoryModule = "engine"
	// SIMDMemoryName is the name of simd.wasm's memory import.
	SIMDMemoryName = "memory"
)

// The kernel modules' file names, as build.sh puts them beside
// engine.wasm (the generator writes them in kernels/simd): simd.wasm, and
// simd-relaxed.wasm, the same exports with relaxed SIMD in the float
// kernels, which a host with relaxed SIMD may link instead.
const (
	SIMDModuleFile        = "simd.wasm"
	SIMDRelaxedModuleFile = "simd-relaxed.wasm"
)

// Kernel threads: imports of module SIMDImportModule that the host
// provides itself (simd.wasm does not export them). With threads, the
// host runs several instances of simd.wasm on the engine's memory, made
// shared (SharedMemory), and the engine splits each large layer into
// parts that run on them at once (package mobilenet-wasm/wasm's comment
// has the contract). A host without threads answers 1 and is never
// asked to run parts.
const (
	// SIMDThreadsImport is simd_threads() int32: how many kernel
	// instances the host runs (1 to MaxThreads). The engine asks once, at
	// its first layer plan.
	SIMDThreadsImport = "simd_threads"
	// SIMDParallelImport is simd_parallel(kernel, jobs, n int32): run the
	// kernel export number kernel (its position among simd.wasm's kernel
	// exports, which follow the registry's order; simd_abi_version is not
	// counted) on the n argument blocks whose addresses are the n uint32s
	// at jobs, at once, one per instance, and return when all are done.
	// 2 <= n <= the simd_threads answer.
	SIMDParallelImport = "simd_parallel"
	// MaxThreads bounds simd_threads' answer: the most kernel instances a
	// layer is split across.
	MaxThreads = 16
	// SpawnKernelWorkerMessage is, in browsers, the key of the engine
	// worker's message asking the page that started it to start one
	// kernel worker: {key: a MessagePort, url: the kernel worker's
	// script}. The page starts it and hands it the port, over which the
	// engine's worker then talks to it (site/engine-link.js
	// startKernelThreads): Firefox sometimes never returned from a
	// worker's own new Worker() for them.
	SpawnKernelWorkerMessage = "mnSpawnKernelWorker"
)

// SharedMemoryMaxPages is the maximum, in 64 KiB pages, that the shared
// copies of engine.wasm and simd.wasm declare (package
// mobilenet-wasm/wasm/sharedmem; 1 GiB, the wazero host's default memory
// limit): a shared memory cannot move, so browsers reserve it up front.
const SharedMemoryMaxPages = 16384

// Status codes returned by the exports.
const (
	// StatusOK is success.
	StatusOK int32 = 0
	// StatusArgument is a bad handle, pointer, length, flag or dimension.
	StatusArgument int32 = -1
	// StatusInput is an input the engine refused: a tensor of the wrong
	// size, a frame smaller than its dimensions, an image call on a model
	// whose input is not an image.
	StatusInput int32 = -2
	// StatusInternal is a Go panic inside the module, recovered and
	// reported instead of trapping.
	StatusInternal int32 = -3
)

// FlagReference is the mn_load flag that selects TFLite's reference
// requantization instead of the default fp32 one.
const FlagReference = 1

// MaxAlloc is the largest block mn_alloc hands out: 256 MiB, one 8192 x
// 8192 RGBA frame (imagefile.MaxPixels).
const MaxAlloc = 256 << 20

// MaxAllocLive is the most bytes mn_alloc's blocks may hold at once (a
// largest frame and a large model): past what the instance's memory can
// grow to, Go's runtime does not fail an allocation, it ends the module
// (FuzzABI found two live 176 MiB blocks killing an instance capped at
// 512 MiB).
const MaxAllocLive = 320 << 20

// What mn_simd answers.
const (
	// SIMDUnlinked: the host did not link simd.wasm; the portable Go
	// kernels run.
	SIMDUnlinked = 0
	// SIMDOff: simd.wasm is linked but switched off by mn_set_simd(0).
	SIMDOff = 1
	// SIMDOn: simd.wasm is linked and in use (the default when linked).
	SIMDOn = 2
)

// Limits of the teaching exports (mn_teach_*), which refuse what exceeds
// them with StatusArgument or StatusInput.
const (
	// TeachMinSide is the smallest width and height of an example frame.
	TeachMinSide = 16
	// TeachMaxClasses is the most classes a session holds.
	TeachMaxClasses = 100
	// TeachMaxExamples is the most examples (feature vectors) a class holds.
	TeachMaxExamples = 5000
	// TeachMaxCopies is the most augmented copies mn_teach_add_frame adds.
	TeachMaxCopies = 16
	// TeachMaxName is the longest class name, in bytes.
	TeachMaxName = 200
	// TeachMaxEpochs bounds the epochs of a training and of one step.
	TeachMaxEpochs = 10000
	// TeachMaxHidden bounds the hidden units of a head.
	TeachMaxHidden = 1024
)
