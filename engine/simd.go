package engine

import "mobilenet-wasm/kernels/simd"

// The wasm SIMD kernels (package kernels/simd). When the engine runs in
// wasm and the host linked simd.wasm to its "simd" imports, every CONV_2D,
// DEPTHWISE_CONV_2D and AVERAGE_POOL_2D that a SIMD variant computes is
// also prepared for it at plan time as a simd.Layer (weights packed into
// the variant's layout, buffers allocated, addresses bound), and its step
// runs the SIMD variant while SIMD is enabled, the portable kernel
// otherwise: one binary, two paths, with identical results (integer
// outputs bit for bit, float ones as float32 values). Natively simd.Linked
// is false and none of this allocates.

// withSIMD returns the step of a layer: portable alone when SIMD is not
// linked or newLayer returns nil (no variant fits), else a step that runs
// the simd.Layer newLayer prepares on the tensors in and out while
// simd.Enabled, portable otherwise.
func withSIMD(in, out []byte, newLayer func() *simd.Layer, portable func()) func() {
	if !simd.Linked() {
		return portable
	}
	l := newLayer()
	if l == nil {
		return portable
	}
	l.BindSlices(in, out)
	return func() {
		if simd.Enabled() {
			l.Run()
			return
		}
		portable()
	}
}

// SIMDLinked reports whether the host linked the SIMD kernels (never
// outside wasm).
func SIMDLinked() bool { return simd.Linked() }

// SIMDEnabled reports whether layers run the SIMD kernels: linked and not
// switched off.
func SIMDEnabled() bool { return simd.Enabled() }

// SetSIMD switches every loaded and future model between the SIMD kernels
// and the portable ones, for A/B runs; switching on fails (false) when the
// kernels are not linked.
func SetSIMD(on bool) bool { return simd.SetEnabled(on) }
