//go:build !wasip1

package simd

// Outside wasip1 no SIMD module is linked: the engine runs the portable
// kernels, and these say so.

// Linked reports whether the host linked simd.wasm: never, natively.
func Linked() bool { return false }

// Enabled reports whether layers run SIMD kernels: never, natively.
func Enabled() bool { return false }

// SetEnabled accepts only off, natively.
func SetEnabled(on bool) bool { return !on }

// BindSlices panics: native builds have no SIMD module to run on.
func (l *Layer) BindSlices(x, out []byte) {
	panic("simd: kernels run only in wasm (GOOS=wasip1)")
}

// Run panics: native builds have no SIMD module to run.
func (l *Layer) Run() {
	panic("simd: kernels run only in wasm (GOOS=wasip1)")
}
