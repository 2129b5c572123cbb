package engine

import (
	"math"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
)

// The ops that map each element on its own (ADD broadcasts its second
// operand; SOFTMAX normalizes along the last axis): ADD, RELU, RELU6,
// QUANTIZE, DEQUANTIZE and SOFTMAX.

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
		lo, hi := kernels.FloatActivationRange(fused(act))
		x, y, z := p.f32Of(a), p.f32Of(b), f32(outB)
		return func() { kernels.AddF32(x, y, z, lo, hi) }, nil
	case loader.UInt8, loader.Int8:
		qs, err := quantsOf(op, a, b, out)
		if err != nil {
			return nil, err
		}
		outQ := qs[2]
		qmin, qmax := typeRange(out.Type)
		lo, hi := kernels.QuantizedActivationRange(p.scheme, fused(act), outQ, qmin, qmax)
		ap := kernels.NewAddParams(p.scheme, qs[0], qs[1], outQ, lo, hi)
		if ap.UseReference {
			// XNNPACK declines this ADD (scale ratios out of its range),
			// so TFLite runs it, with its own activation bounds.
			ap.ActMin, ap.ActMax = kernels.QuantizedActivationRange(kernels.SchemeReference, fused(act), outQ, qmin, qmax)
		}
		if a.Type == loader.UInt8 {
			return func() { kernels.AddU8(ap, aB, bB, outB) }, nil
		}
		x, y, z := i8(aB), i8(bB), i8(outB)
		return func() { kernels.AddI8(ap, x, y, z) }, nil
	}
	return nil, unsupportedType(op, a)
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
		qs, err := quantsOf(op, in, out)
		if err != nil {
			return nil, err
		}
		hi := float32(math.Inf(1))
		if relu6 {
			hi = 6
		}
		rp := kernels.NewReluParams(0, hi, qs[0], qs[1], in.Type == loader.Int8)
		if in.Type == loader.UInt8 {
			return func() { kernels.ReluU8(rp, inB, outB) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.ReluI8(rp, x, y) }, nil
	}
	return nil, unsupportedType(op, in)
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
		inQ, err := quantOf(op, in)
		if err != nil {
			return nil, err
		}
		s, z := inQ.Scale, inQ.ZeroPoint
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
	outQ, err := quantOf(op, out)
	if err != nil {
		return nil, err
	}
	if in.Type == loader.Float32 {
		qp := kernels.NewQuantizeParams(p.scheme, outQ)
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
	inQ, err := quantOf(op, in)
	if err != nil {
		return nil, err
	}
	rp := kernels.NewRequantizeParams(inQ, outQ)
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
		qs, err := quantsOf(op, in, out)
		if err != nil {
			return nil, err
		}
		inScale := qs[0].Scale
		if p.scheme == kernels.SchemeReference && float64(beta)*float64(inScale) <= math.Ldexp(1, -26) {
			return nil, opError(op, "beta*input scale %g is too small for the reference fixed-point softmax", beta*inScale)
		}
		sp := kernels.NewSoftmaxParams(p.scheme, inScale, beta, qs[1])
		if in.Type == loader.UInt8 {
			return func() { kernels.SoftmaxU8(sp, inB, outB, rows, depth) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.SoftmaxI8(sp, x, y, rows, depth) }, nil
	}
	return nil, unsupportedType(op, in)
}
