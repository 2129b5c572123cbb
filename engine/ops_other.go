package engine

import (
	"math"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/loader"
)

// compileOther compiles the ops that carry no weights: pooling, softmax,
// elementwise and (de)quantization ops.
func (p *plan) compileOther(op *loader.Operator) (func(), error) {
	in := p.input(op, 0)
	if in == nil || len(op.Outputs) != 1 {
		return nil, opError(op, "needs an input and one output")
	}
	out := p.output(op, 0)
	switch op.Op {
	case loader.OpAveragePool2D, loader.OpMaxPool2D:
		return p.compilePool(op, in, out)
	case loader.OpSoftmax:
		return p.compileSoftmax(op, in, out)
	case loader.OpAdd:
		return p.compileAdd(op, in, out)
	case loader.OpPad:
		return p.compilePad(op, in, out)
	case loader.OpMean:
		return p.compileMean(op, in, out)
	case loader.OpQuantize, loader.OpDequantize:
		return p.compileQuantize(op, in, out)
	case loader.OpRelu, loader.OpRelu6:
		return p.compileRelu(op, in, out)
	}
	return nil, opError(op, "is not supported by the engine")
}

// f32Of views a float32 tensor: its arena buffer, or its decoded constant.
func (p *plan) f32Of(t *loader.Tensor) []float32 {
	if t.Data != nil {
		return constF32(t)
	}
	return f32(p.bufs[t.Index])
}

// sameQuant checks that quantized tensors a and b share scale and zero
// point, as TFLite requires of pooling, padding and reshaping ops.
func sameQuant(op *loader.Operator, a, b *loader.Tensor) error {
	if a.Type == loader.Float32 {
		return nil
	}
	as, az, err := quantOf(op, a)
	if err != nil {
		return err
	}
	bs, bz, err := quantOf(op, b)
	if err != nil {
		return err
	}
	if as != bs || az != bz {
		return opError(op, "input (scale %g, zero point %d) and output (scale %g, zero point %d) quantization differ", as, az, bs, bz)
	}
	return nil
}

func (p *plan) compilePool(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	o := op.Options.(*loader.Pool2DOptions)
	is, err := shape4(op, in)
	if err != nil {
		return nil, err
	}
	os, err := shape4(op, out)
	if err != nil {
		return nil, err
	}
	oh, ow, pt, pl := kernels.ComputePadding(o.Padding == loader.PaddingSame, is.H, is.W, o.FilterH, o.FilterW, o.StrideH, o.StrideW, 1, 1)
	if os != (kernels.Shape4{N: is.N, H: oh, W: ow, C: is.C}) {
		return nil, opError(op, "output shape %v, want [%d %d %d %d]", out.Shape, is.N, oh, ow, is.C)
	}
	if err := sameTypes(op, in.Type, out); err != nil {
		return nil, err
	}
	if err := sameQuant(op, in, out); err != nil {
		return nil, err
	}
	pp := &kernels.PoolParams{In: is, Out: os, FilterH: o.FilterH, FilterW: o.FilterW, StrideH: o.StrideH, StrideW: o.StrideW, PadTop: pt, PadLeft: pl}
	avg := op.Op == loader.OpAveragePool2D
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		lo, hi := kernels.FloatActivationRange(int(o.Activation))
		x, y := f32(inB), f32(outB)
		if avg {
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewAvgPoolF32(nil, pp, lo, hi) },
				func() { kernels.AveragePoolF32(pp, x, y, lo, hi) }), nil
		}
		return func() { kernels.MaxPoolF32(pp, x, y, lo, hi) }, nil
	case loader.UInt8, loader.Int8:
		scale, zp, _ := quantOf(op, out)
		qmin, qmax := typeRange(out.Type)
		// TFLite runs pooling itself, not through XNNPACK, in both
		// schemes: its activation bounds are the reference ones.
		lo, hi := kernels.QuantizedActivationRange(kernels.SchemeReference, int(o.Activation), scale, zp, qmin, qmax)
		if in.Type == loader.UInt8 {
			if avg {
				return withSIMD(inB, outB, func() *simd.Layer { return simd.NewAvgPoolQ[uint8](nil, pp, lo, hi) },
					func() { kernels.AveragePoolU8(pp, inB, outB, lo, hi) }), nil
			}
			return func() { kernels.MaxPoolU8(pp, inB, outB, lo, hi) }, nil
		}
		x, y := i8(inB), i8(outB)
		if avg {
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewAvgPoolQ[int8](nil, pp, lo, hi) },
				func() { kernels.AveragePoolI8(pp, x, y, lo, hi) }), nil
		}
		return func() { kernels.MaxPoolI8(pp, x, y, lo, hi) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

func (p *plan) compileSoftmax(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	if err := sameTypes(op, in.Type, out); err != nil {
		return nil, err
	}
	n := in.NumElements()
	if len(in.Shape) == 0 || n != out.NumElements() {
		return nil, opError(op, "input %v and output %v differ in size", in.Shape, out.Shape)
	}
	depth := in.Shape[len(in.Shape)-1]
	rows := n / max(depth, 1)
	beta := float32(1)
	if o, ok := op.Options.(*loader.SoftmaxOptions); ok {
		beta = o.Beta
	}
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		x, y := f32(inB), f32(outB)
		return func() { kernels.SoftmaxF32(x, y, rows, depth, beta) }, nil
	case loader.UInt8, loader.Int8:
		inScale, _, err := quantOf(op, in)
		if err != nil {
			return nil, err
		}
		outScale, outZP, err := quantOf(op, out)
		if err != nil {
			return nil, err
		}
		if p.scheme == kernels.SchemeReference && float64(beta)*float64(inScale) <= math.Ldexp(1, -26) {
			return nil, opError(op, "beta*input scale %g is too small for the reference fixed-point softmax", beta*inScale)
		}
		sp := kernels.NewSoftmaxParams(p.scheme, inScale, beta, outScale, outZP)
		if in.Type == loader.UInt8 {
			return func() { kernels.SoftmaxU8(sp, inB, outB, rows, depth) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.SoftmaxI8(sp, x, y, rows, depth) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

func (p *plan) compileAdd(op *loader.Operator, a, out *loader.Tensor) (func(), error) {
	b := p.input(op, 1)
	if b == nil {
		return nil, opError(op, "needs two inputs")
	}
	if err := sameTypes(op, a.Type, b, out); err != nil {
		return nil, err
	}
	na, nb := a.NumElements(), b.NumElements()
	if nb > na {
		a, b, na, nb = b, a, nb, na
	}
	if na != out.NumElements() || nb == 0 || na%nb != 0 || (nb != 1 && nb != na && (len(b.Shape) == 0 || nb != b.Shape[len(b.Shape)-1] || a.Shape[len(a.Shape)-1] != nb)) {
		return nil, opError(op, "shapes %v + %v -> %v: only equal shapes, scalars and last-dimension vectors broadcast", a.Shape, b.Shape, out.Shape)
	}
	var act loader.Activation
	if o, ok := op.Options.(*loader.AddOptions); ok {
		act = o.Activation
	}
	aB, bB, outB := p.bufs[a.Index], p.bufs[b.Index], p.bufs[out.Index]
	switch a.Type {
	case loader.Float32:
		lo, hi := kernels.FloatActivationRange(int(act))
		x, y, z := p.f32Of(a), p.f32Of(b), f32(outB)
		return func() { kernels.AddF32(x, y, z, lo, hi) }, nil
	case loader.UInt8, loader.Int8:
		s1, z1, err := quantOf(op, a)
		if err != nil {
			return nil, err
		}
		s2, z2, err := quantOf(op, b)
		if err != nil {
			return nil, err
		}
		so, zo, err := quantOf(op, out)
		if err != nil {
			return nil, err
		}
		qmin, qmax := typeRange(out.Type)
		lo, hi := kernels.QuantizedActivationRange(p.scheme, int(act), so, zo, qmin, qmax)
		ap := kernels.NewAddParams(p.scheme, s1, z1, s2, z2, so, zo, lo, hi)
		if ap.UseReference {
			// XNNPACK declines this ADD (scale ratios out of its range),
			// so TFLite runs it, with its own activation bounds.
			ap.ActMin, ap.ActMax = kernels.QuantizedActivationRange(kernels.SchemeReference, int(act), so, zo, qmin, qmax)
		}
		if a.Type == loader.UInt8 {
			return func() { kernels.AddU8(ap, aB, bB, outB) }, nil
		}
		x, y, z := i8(aB), i8(bB), i8(outB)
		return func() { kernels.AddI8(ap, x, y, z) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", a.Type)
}

// constInts reads a constant int32 or int64 tensor (paddings, axes).
func constInts(op *loader.Operator, t *loader.Tensor) ([]int, error) {
	if t == nil || t.Data == nil {
		return nil, opError(op, "needs a constant int32 parameter tensor")
	}
	v, err := t.Ints()
	if err != nil {
		return nil, opError(op, "%v", err)
	}
	return v, nil
}

func (p *plan) compilePad(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	pads, err := constInts(op, p.input(op, 1))
	if err != nil {
		return nil, err
	}
	is, err := shape4(op, in)
	if err != nil {
		return nil, err
	}
	if len(pads) != 8 {
		return nil, opError(op, "paddings has %d values, want 4x2", len(pads))
	}
	var before, after [4]int
	want := []int{is.N, is.H, is.W, is.C}
	for d := range 4 {
		before[d], after[d] = pads[2*d], pads[2*d+1]
		if before[d] < 0 || after[d] < 0 || before[d] > 1<<16 || after[d] > 1<<16 {
			return nil, opError(op, "padding %v is negative or huge", pads)
		}
		want[d] += before[d] + after[d]
	}
	if len(out.Shape) != 4 || out.Shape[0] != want[0] || out.Shape[1] != want[1] || out.Shape[2] != want[2] || out.Shape[3] != want[3] {
		return nil, opError(op, "output shape %v, want %v", out.Shape, want)
	}
	if err := sameTypes(op, in.Type, out); err != nil {
		return nil, err
	}
	if err := sameQuant(op, in, out); err != nil {
		return nil, err
	}
	pp := kernels.NewPadParams(is, before, after)
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		x, y := f32(inB), f32(outB)
		return func() { kernels.Pad(pp, x, y, 0) }, nil
	case loader.UInt8:
		_, zp, _ := quantOf(op, out)
		return func() { kernels.Pad(pp, inB, outB, uint8(zp)) }, nil
	case loader.Int8:
		_, zp, _ := quantOf(op, out)
		x, y := i8(inB), i8(outB)
		return func() { kernels.Pad(pp, x, y, int8(zp)) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

func (p *plan) compileMean(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	axes, err := constInts(op, p.input(op, 1))
	if err != nil {
		return nil, err
	}
	is, err := shape4(op, in)
	if err != nil {
		return nil, err
	}
	if len(axes) != 2 || !((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1)) {
		return nil, opError(op, "reduces axes %v; only the spatial axes [1 2] of NHWC are supported", axes)
	}
	if out.NumElements() != is.N*is.C {
		return nil, opError(op, "output %v, want %d elements", out.Shape, is.N*is.C)
	}
	if err := sameTypes(op, in.Type, out); err != nil {
		return nil, err
	}
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		x, y := f32(inB), f32(outB)
		return func() { kernels.MeanF32(is, x, y) }, nil
	case loader.UInt8, loader.Int8:
		s1, z1, err := quantOf(op, in)
		if err != nil {
			return nil, err
		}
		s2, z2, err := quantOf(op, out)
		if err != nil {
			return nil, err
		}
		keep := false
		if o, ok := op.Options.(*loader.ReducerOptions); ok {
			keep = o.KeepDims
		}
		mp := kernels.NewMeanParams(is, keep, s1, z1, s2, z2)
		if in.Type == loader.UInt8 {
			return func() { kernels.MeanU8(mp, inB, outB) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.MeanI8(mp, x, y) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

func (p *plan) compileQuantize(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	if in.NumElements() != out.NumElements() {
		return nil, opError(op, "input %v and output %v differ in size", in.Shape, out.Shape)
	}
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	if op.Op == loader.OpDequantize {
		if out.Type != loader.Float32 {
			return nil, opError(op, "output is %v, want float32", out.Type)
		}
		s, z, err := quantOf(op, in)
		if err != nil {
			return nil, err
		}
		y := f32(outB)
		switch in.Type {
		case loader.UInt8:
			return func() { kernels.DequantizeU8(inB, y, s, z) }, nil
		case loader.Int8:
			x := i8(inB)
			return func() { kernels.DequantizeI8(x, y, s, z) }, nil
		}
		return nil, opError(op, "input is %v, want uint8 or int8", in.Type)
	}
	so, zo, err := quantOf(op, out)
	if err != nil {
		return nil, err
	}
	if in.Type == loader.Float32 {
		qp := kernels.NewQuantizeParams(p.scheme, so, zo)
		x := f32(inB)
		switch out.Type {
		case loader.UInt8:
			return func() { kernels.QuantizeU8(qp, x, outB) }, nil
		case loader.Int8:
			y := i8(outB)
			return func() { kernels.QuantizeI8(qp, x, y) }, nil
		}
		return nil, opError(op, "output is %v, want uint8 or int8", out.Type)
	}
	si, zi, err := quantOf(op, in)
	if err != nil {
		return nil, err
	}
	rp := kernels.NewRequantizeParams(si, zi, so, zo)
	switch {
	case in.Type == loader.UInt8 && out.Type == loader.UInt8:
		return func() { kernels.RequantizeU8(rp, inB, outB) }, nil
	case in.Type == loader.UInt8 && out.Type == loader.Int8:
		y := i8(outB)
		return func() { kernels.RequantizeU8ToI8(rp, inB, y) }, nil
	case in.Type == loader.Int8 && out.Type == loader.UInt8:
		x := i8(inB)
		return func() { kernels.RequantizeI8ToU8(rp, x, outB) }, nil
	case in.Type == loader.Int8 && out.Type == loader.Int8:
		x, y := i8(inB), i8(outB)
		return func() { kernels.RequantizeI8(rp, x, y) }, nil
	}
	return nil, opError(op, "%v to %v is not supported", in.Type, out.Type)
}

func (p *plan) compileRelu(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	if err := sameTypes(op, in.Type, out); err != nil {
		return nil, err
	}
	if in.NumElements() != out.NumElements() {
		return nil, opError(op, "input %v and output %v differ in size", in.Shape, out.Shape)
	}
	relu6 := op.Op == loader.OpRelu6
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		x, y := f32(inB), f32(outB)
		if relu6 {
			return func() { kernels.Relu6F32(x, y) }, nil
		}
		return func() { kernels.ReluF32(x, y) }, nil
	case loader.UInt8, loader.Int8:
		si, zi, err := quantOf(op, in)
		if err != nil {
			return nil, err
		}
		so, zo, err := quantOf(op, out)
		if err != nil {
			return nil, err
		}
		hi := float32(math.Inf(1))
		if relu6 {
			hi = 6
		}
		rp := kernels.NewReluParams(0, hi, si, zi, so, zo, in.Type == loader.Int8)
		if in.Type == loader.UInt8 {
			return func() { kernels.ReluU8(rp, inB, outB) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.ReluI8(rp, x, y) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}
