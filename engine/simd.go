package engine

import "mobilenet-wasm/kernels/simd"

// The wasm SIMD kernels (package kernels/simd). When the engine runs in
// wasm and the host linked simd.wasm to its "simd" imports, every CONV_2D,
// DEPTHWISE_CONV_2D and AVERAGE_POOL_2D that a SIMD variant computes is
// prepared at plan time as a simd.Layer (weights packed into the variant's
// layout, buffers allocated, addresses bound), and its step runs the SIMD
// variant while SIMD is enabled, the portable kernel otherwise: one
// binary, two paths, with identical results (integer outputs bit for bit,
// float ones as float32 values). Natively simd.Linked is false and none of
// this allocates.
//
// A layer with weights holds them in one form only, the one of the path in
// use (see weightForms): the model file is not kept, and the portable
// packing (4 bytes a weight for the quantized pointwise layers) is not
// built next to the SIMD one (1 byte a weight). Switching paths converts
// the layer on its first run afterwards.

// withSIMD returns the step of a layer without weights (pooling): portable
// alone when SIMD is not linked or newLayer returns nil (no variant fits),
// else a step that runs the simd.Layer newLayer prepares on the tensors in
// and out while simd.Enabled, portable otherwise.
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

// form is a layer's weights prepared for its portable kernel: the step,
// the filter they were built from (recomputed, in the file's layout, to
// build another form) and the bytes the form holds.
type form[W any] struct {
	run    func()
	filter func() []W
	bytes  int
}

// weightForms is a layer with weights and a SIMD variant. It holds its
// filter either as the simd.Layer's packing or as the portable form, never
// both: on the first run after SIMD was switched on or off it rebuilds the
// other form from the filter the held one gives back (exactly: see
// simd.UnpackQ and kernels.PrepackedFilter) and drops the held one. Only
// that run allocates.
type weightForms[W any] struct {
	in, out     []byte
	newSIMD     func(filter []W) *simd.Layer
	unpack      func(*simd.Layer) []W
	newPortable func(filter []W) form[W]
	simd        *simd.Layer // nil while the portable form is held
	portable    *form[W]    // nil while the SIMD packing is held
}

func (f *weightForms[W]) run() {
	if simd.Enabled() {
		if f.simd == nil {
			w := f.portable.filter()
			f.portable = nil
			f.simd = f.newSIMD(w)
			f.simd.BindSlices(f.in, f.out)
		}
		f.simd.Run()
		return
	}
	if f.portable == nil {
		pf := f.newPortable(f.unpack(f.simd))
		f.simd, f.portable = nil, &pf
	}
	f.portable.run()
}

// filter is the layer's filter in the file's layout, from the form held.
func (f *weightForms[W]) filter() []W {
	if f.simd != nil {
		return f.unpack(f.simd)
	}
	return f.portable.filter()
}

// heldBytes is what each form holds now.
func (f *weightForms[W]) heldBytes() (simdBytes, portableBytes int) {
	if f.portable != nil {
		return 0, f.portable.bytes
	}
	return f.simd.Bytes(), 0
}

// weighted is what the plan keeps of a layer with weights: the bytes of its
// forms (Memory) and its filter (Models).
type weighted struct {
	tensor    int           // the filter tensor
	filter    func() []byte // the filter's bytes as the file stores them
	heldBytes func() (simd, portable int)
}

// withWeights returns the step of a layer with weights: newPortable's
// form alone when SIMD is not linked or newSIMD returns nil (no variant
// fits), else a weightForms holding the form of the path in use. It
// records the layer in p.weighted; asBytes turns a filter into the file's
// bytes.
func withWeights[W any](p *plan, tensor int, in, out []byte, filter []W, asBytes func([]W) []byte,
	newSIMD func([]W) *simd.Layer, unpack func(*simd.Layer) []W, newPortable func([]W) form[W]) func() {
	if simd.Linked() {
		if l := newSIMD(filter); l != nil {
			f := &weightForms[W]{in: in, out: out, newSIMD: newSIMD, unpack: unpack, newPortable: newPortable}
			if simd.Enabled() {
				f.simd = l
				l.BindSlices(in, out)
			} else {
				pf := newPortable(filter)
				f.portable = &pf
			}
			p.weighted = append(p.weighted, weighted{tensor: tensor,
				filter: func() []byte { return asBytes(f.filter()) }, heldBytes: f.heldBytes})
			return f.run
		}
	}
	pf := newPortable(filter)
	p.weighted = append(p.weighted, weighted{tensor: tensor,
		filter: func() []byte { return asBytes(pf.filter()) }, heldBytes: func() (int, int) { return 0, pf.bytes }})
	return pf.run
}

// SIMDLinked reports whether the host linked the SIMD kernels (never
// outside wasm).
func SIMDLinked() bool { return simd.Linked() }

// SIMDEnabled reports whether layers run the SIMD kernels: linked and not
// switched off.
func SIMDEnabled() bool { return simd.Enabled() }

// SetSIMD switches every loaded and future model between the SIMD kernels
// and the portable ones, for A/B runs; switching on fails (false) when the
// kernels are not linked. Each layer with weights converts its weights to
// the other path's form on its next run (see weightForms).
func SetSIMD(on bool) bool { return simd.SetEnabled(on) }
