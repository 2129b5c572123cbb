//go:build wasip1

package simd

import (
	"sync"
	"unsafe"

	"mobilenet-wasm/wasm/abi"
)

// linked calls the host's simd_abi_version once: a host without the SIMD
// module links a stub returning 0.
var linked = sync.OnceValue(func() bool { return importedABIVersion() == abi.SIMDVersion })

var disabled bool

// Linked reports whether the host linked simd.wasm (of abi.SIMDVersion) to
// the engine's imports.
func Linked() bool { return linked() }

// Enabled reports whether Layers run on their SIMD variants (true by
// default when Linked).
func Enabled() bool { return !disabled && linked() }

// SetEnabled switches between the SIMD kernels and the portable ones, for
// A/B runs. Turning SIMD on fails (returns false) when it is not linked.
func SetEnabled(on bool) bool {
	if on && !linked() {
		return false
	}
	disabled = !on
	return true
}

// threads is the host's answer to simd_threads, asked once: how many
// kernel instances run parts of a layer at once (1: no threads).
var threads = sync.OnceValue(func() int {
	return max(1, min(int(importedThreads()), abi.MaxThreads))
})

// Threads is the number of kernel instances the host runs (1 without
// threads or without SIMD).
func Threads() int {
	if !linked() {
		return 1
	}
	return threads()
}

// BindSlices is Bind for tensors and buffers in this module's memory. With
// kernel threads it first splits the layer (PartsFor, Split): binding is
// done at plan time, so the parts and their scratch are allocated once.
func (l *Layer) BindSlices(x, out []byte) {
	l.id = index(l.V)
	if l.Parts() == 1 {
		l.Split(l.PartsFor(Threads()))
	}
	l.Bind(Addr(x), Addr(out), Addr)
	l.jobs = nil
	if n := l.Parts(); n > 1 {
		l.jobs = make([]uint32, n)
		for i := range l.jobs {
			l.jobs[i] = uint32(uintptr(l.partArgs(i)))
		}
	}
}

// Run runs the layer's variant on its bound tensors: whole, or its parts
// at once through the host's simd_parallel. It must be bound and Linked.
func (l *Layer) Run() {
	if l.jobs != nil {
		importedParallel(uint32(l.id), uint32(uintptr(unsafe.Pointer(&l.jobs[0]))), uint32(len(l.jobs)))
		return
	}
	kernelFuncs[l.id](uint32(uintptr(l.args())))
}
