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

// Enabled reports whether layers prepared with a Kernel run it (true by
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
func (k *Kernel) BindSlices(x, out []byte) {
	k.id = index(k.V)
	k.Bind(addr32(x), addr32(out), addr32)
}

func addr32(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(addrOf(b))
}

// Run runs the kernel on its bound tensors. It must be bound and Linked.
func (k *Kernel) Run() {
	kernelFuncs[k.id](uint32(uintptr(k.args())))
}
