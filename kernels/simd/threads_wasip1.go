//go:build wasip1

package simd

// The kernel-thread imports the host provides itself (abi.SIMDThreadsImport
// and abi.SIMDParallelImport; package mobilenet-wasm/wasm, "Kernel
// threads"). Not generated: they are no variant's.

//go:wasmimport simd simd_threads
func importedThreads() int32

//go:wasmimport simd simd_parallel
func importedParallel(kernel, jobs, n uint32)
