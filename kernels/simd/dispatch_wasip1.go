//go:build wasip1

package simd

import (
	"sync"

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

// BindSlices is Bind for tensors and buffers in this module's memory.
func (l *Layer) BindSlices(x, out []byte) {
	l.id = index(l.V)
	l.Bind(Addr(x), Addr(out), Addr)
}

// Run runs the layer's variant on its bound tensors. It must be bound and
// Linked.
func (l *Layer) Run() {
	kernelFuncs[l.id](uint32(uintptr(l.args())))
}
