package engine

import (
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/loader"
)

// compile checks op against the engine's expectations (arity, shapes,
// types, quantization) and returns the closure that runs it.
func (p *plan) compile(op *loader.Operator) (func(), error) {
	switch op.Op {
	case loader.OpConv2D, loader.OpDepthwiseConv2D:
		return p.compileConv(op)
	case loader.OpFullyConnected:
		return p.compileFullyConnected(op)
	case loader.OpReshape, loader.OpSqueeze:
		return p.compileReshape(op)
	}
	return p.compileOther(op)
}

// tensor returns the i-th input tensor of op, or nil when absent.
func (p *plan) input(op *loader.Operator, i int) *loader.Tensor {
	if i >= len(op.Inputs) || op.Inputs[i] < 0 {
		return nil
	}
	return &p.model.Tensors[op.Inputs[i]]
}

func (p *plan) output(op *loader.Operator, i int) *loader.Tensor {
	return &p.model.Tensors[op.Outputs[i]]
}

// shape4 reads a rank-4 NHWC shape.
func shape4(op *loader.Operator, t *loader.Tensor) (kernels.Shape4, error) {
	if len(t.Shape) != 4 {
		return kernels.Shape4{}, opError(op, "tensor %d %q has shape %v, want rank 4 (NHWC)", t.Index, t.Name, t.Shape)
	}
	return kernels.Shape4{N: t.Shape[0], H: t.Shape[1], W: t.Shape[2], C: t.Shape[3]}, nil
}

// sameTypes checks that the tensors all have type want.
func sameTypes(op *loader.Operator, want loader.DType, ts ...*loader.Tensor) error {
	for _, t := range ts {
		if t != nil && t.Type != want {
			return opError(op, "tensor %d %q is %v, want %v like the op's input", t.Index, t.Name, t.Type, want)
		}
	}
	return nil
}

// quantOf returns t's per-tensor scale and zero point, or an error when t
// has no quantization.
func quantOf(op *loader.Operator, t *loader.Tensor) (float32, int32, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return 0, 0, opError(op, "tensor %d %q (%v) has no quantization parameters", t.Index, t.Name, t.Type)
	}
	if len(t.Quant.Scale) != 1 {
		return 0, 0, opError(op, "tensor %d %q is quantized per channel; want per tensor", t.Index, t.Name)
	}
	return t.Quant.Scale[0], int32(t.Quant.ZeroPoint[0]), nil
}

// typeRange is the value range of a quantized type.
func typeRange(d loader.DType) (int32, int32) {
	if d == loader.Int8 {
		return -128, 127
	}
	return 0, 255
}

func (p *plan) compileConv(op *loader.Operator) (func(), error) {
	in, filter, bias, out := p.input(op, 0), p.input(op, 1), p.input(op, 2), p.output(op, 0)
	if in == nil || filter == nil || filter.Data == nil {
		return nil, opError(op, "needs an input and a constant filter")
	}
	if bias != nil && bias.Data == nil {
		return nil, opError(op, "bias tensor %d %q is not constant", bias.Index, bias.Name)
	}
	is, err := shape4(op, in)
	if err != nil {
		return nil, err
	}
	os, err := shape4(op, out)
	if err != nil {
		return nil, err
	}
	fs, err := shape4(op, filter) // [OC, KH, KW, IC] or [1, KH, KW, OC]
	if err != nil {
		return nil, err
	}
	cp := &kernels.ConvParams{In: is, Out: os, KH: fs.H, KW: fs.W}
	var padding loader.Padding
	var act loader.Activation
	depthwise := op.Op == loader.OpDepthwiseConv2D
	if depthwise {
		o := op.Options.(*loader.DepthwiseConv2DOptions)
		padding, act = o.Padding, o.Activation
		cp.StrideH, cp.StrideW, cp.DilationH, cp.DilationW = o.StrideH, o.StrideW, o.DilationH, o.DilationW
		cp.DepthMultiplier = os.C / max(is.C, 1)
		if fs.N != 1 || fs.C != os.C || os.C != is.C*cp.DepthMultiplier {
			return nil, opError(op, "filter %v, input %v and output %v channels disagree", filter.Shape, in.Shape, out.Shape)
		}
	} else {
		o := op.Options.(*loader.Conv2DOptions)
		padding, act = o.Padding, o.Activation
		cp.StrideH, cp.StrideW, cp.DilationH, cp.DilationW = o.StrideH, o.StrideW, o.DilationH, o.DilationW
		if fs.C != is.C || fs.N != os.C {
			return nil, opError(op, "filter %v does not map input %v to output %v", filter.Shape, in.Shape, out.Shape)
		}
	}
	if bias != nil && bias.NumElements() != os.C {
		return nil, opError(op, "bias has %d elements, want %d", bias.NumElements(), os.C)
	}
	oh, ow, pt, pl := kernels.ComputePadding(padding == loader.PaddingSame, is.H, is.W, fs.H, fs.W, cp.StrideH, cp.StrideW, cp.DilationH, cp.DilationW)
	if os.N != is.N || os.H != oh || os.W != ow {
		return nil, opError(op, "output shape %v, want [%d %d %d %d]", out.Shape, is.N, oh, ow, os.C)
	}
	cp.PadTop, cp.PadLeft = pt, pl
	perOut := int64(fs.H * fs.W)
	if !depthwise {
		perOut *= int64(is.C)
	}
	p.macs += int64(os.Size()) * perOut
	p.params += int64(filter.NumElements())
	if bias != nil {
		p.params += int64(bias.NumElements())
	}

	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		if err := sameTypes(op, loader.Float32, filter, bias, out); err != nil {
			return nil, err
		}
		w, b := constF32(filter), constF32(bias)
		lo, hi := kernels.FloatActivationRange(int(act))
		x, y := f32(inB), f32(outB)
		if depthwise {
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewDepthwiseF32(nil, cp, w, b, lo, hi) },
				func() { kernels.DepthwiseConvF32(cp, x, w, b, y, lo, hi) }), nil
		}
		return withSIMD(inB, outB, func() *simd.Layer { return simd.NewConvF32(nil, cp, w, b, lo, hi) },
			func() { kernels.ConvF32(cp, x, w, b, y, lo, hi) }), nil
	case loader.UInt8, loader.Int8:
		q, err := p.quantConv(op, in, filter, bias, out, os.C, act)
		if err != nil {
			return nil, err
		}
		b := constI32(bias)
		if in.Type == loader.UInt8 {
			w := filter.Data
			if !depthwise {
				q.Packed = kernels.PrepackConvU8(cp, q, w, b)
			}
			if depthwise {
				return withSIMD(inB, outB, func() *simd.Layer { return simd.NewDepthwiseQ(nil, cp, q, w, b) },
					func() { kernels.DepthwiseConvU8(cp, q, inB, w, b, outB) }), nil
			}
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewConvQ(nil, cp, q, w, b) },
				func() { kernels.ConvU8(cp, q, inB, w, b, outB) }), nil
		}
		w, x, y := i8(filter.Data), i8(inB), i8(outB)
		if !depthwise {
			q.Packed = kernels.PrepackConvI8(cp, q, w, b)
		}
		if depthwise {
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewDepthwiseQ(nil, cp, q, w, b) },
				func() { kernels.DepthwiseConvI8(cp, q, x, w, b, y) }), nil
		}
		return withSIMD(inB, outB, func() *simd.Layer { return simd.NewConvQ(nil, cp, q, w, b) },
			func() { kernels.ConvI8(cp, q, x, w, b, y) }), nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

// quantConv builds the integer params of a quantized conv or fully
// connected layer with channels output channels.
func (p *plan) quantConv(op *loader.Operator, in, filter, bias, out *loader.Tensor, channels int, act loader.Activation) (*kernels.QuantConv, error) {
	if err := sameTypes(op, in.Type, filter, out); err != nil {
		return nil, err
	}
	if err := sameTypes(op, loader.Int32, bias); err != nil {
		return nil, err
	}
	inScale, inZP, err := quantOf(op, in)
	if err != nil {
		return nil, err
	}
	outScale, outZP, err := quantOf(op, out)
	if err != nil {
		return nil, err
	}
	if filter.Quant == nil || len(filter.Quant.Scale) == 0 {
		return nil, opError(op, "filter %d %q has no quantization parameters", filter.Index, filter.Name)
	}
	fq := filter.Quant
	if n := len(fq.Scale); n != 1 && n != channels {
		return nil, opError(op, "filter %d %q has %d scales for %d output channels", filter.Index, filter.Name, n, channels)
	}
	filterZP := int32(fq.ZeroPoint[0])
	if in.Type == loader.Int8 {
		for _, z := range fq.ZeroPoint {
			if z != 0 {
				return nil, opError(op, "int8 filter %d %q has zero point %d; the int8 spec wants 0", filter.Index, filter.Name, z)
			}
		}
	} else if len(fq.Scale) != 1 {
		return nil, opError(op, "uint8 filter %d %q is quantized per channel; uint8 supports per tensor only", filter.Index, filter.Name)
	}
	qmin, qmax := typeRange(out.Type)
	lo, hi := kernels.QuantizedActivationRange(p.scheme, int(act), outScale, outZP, qmin, qmax)
	// TFLite's uint8 kernels (and per-tensor int8 FULLY_CONNECTED) build
	// the reference multiplier from the scales multiplied in float32; its
	// per-channel int8 path multiplies in double. (fp32: the same either way.)
	requant := kernels.NewRequant
	if in.Type == loader.UInt8 || (op.Op == loader.OpFullyConnected && len(fq.Scale) == 1) {
		requant = kernels.NewRequantLegacy
	}
	return &kernels.QuantConv{
		InputOffset:  -inZP,
		FilterOffset: -filterZP,
		Requant:      requant(p.scheme, inScale, fq.Scale, outScale, outZP, channels, lo, hi),
	}, nil
}

func (p *plan) compileFullyConnected(op *loader.Operator) (func(), error) {
	in, w, bias, out := p.input(op, 0), p.input(op, 1), p.input(op, 2), p.output(op, 0)
	if in == nil || w == nil || w.Data == nil || len(w.Shape) != 2 {
		return nil, opError(op, "needs an input and a constant 2-D weights tensor")
	}
	o, _ := op.Options.(*loader.FullyConnectedOptions)
	var act loader.Activation
	if o != nil {
		act = o.Activation
	}
	fp := &kernels.FCParams{Out: w.Shape[0], In: w.Shape[1]}
	if fp.In == 0 || in.NumElements()%fp.In != 0 {
		return nil, opError(op, "input %v does not split into rows of %d", in.Shape, fp.In)
	}
	fp.Batches = in.NumElements() / fp.In
	if out.NumElements() != fp.Batches*fp.Out {
		return nil, opError(op, "output %v, want %d x %d elements", out.Shape, fp.Batches, fp.Out)
	}
	if bias != nil && (bias.Data == nil || bias.NumElements() != fp.Out) {
		return nil, opError(op, "bias must be constant with %d elements", fp.Out)
	}
	p.macs += int64(fp.Batches * fp.In * fp.Out)
	p.params += int64(w.NumElements())
	if bias != nil {
		p.params += int64(bias.NumElements())
	}
	inB, outB := p.bufs[in.Index], p.bufs[out.Index]
	switch in.Type {
	case loader.Float32:
		if err := sameTypes(op, loader.Float32, w, bias, out); err != nil {
			return nil, err
		}
		wf, b := constF32(w), constF32(bias)
		lo, hi := kernels.FloatActivationRange(int(act))
		x, y := f32(inB), f32(outB)
		return func() { kernels.FullyConnectedF32(fp, x, wf, b, y, lo, hi) }, nil
	case loader.UInt8, loader.Int8:
		q, err := p.quantConv(op, in, w, bias, out, fp.Out, act)
		if err != nil {
			return nil, err
		}
		b := constI32(bias)
		if in.Type == loader.UInt8 {
			wd := w.Data
			q.Packed = kernels.PrepackFullyConnectedU8(fp, q, wd, b)
			return func() { kernels.FullyConnectedU8(fp, q, inB, wd, b, outB) }, nil
		}
		wd, x, y := i8(w.Data), i8(inB), i8(outB)
		q.Packed = kernels.PrepackFullyConnectedI8(fp, q, wd, b)
		return func() { kernels.FullyConnectedI8(fp, q, x, wd, b, y) }, nil
	}
	return nil, opError(op, "input type %v is not supported (float32, uint8, int8)", in.Type)
}

// compileReshape handles RESHAPE and SQUEEZE: the bytes do not change, so
// it is a copy (the tensors are at most a few KiB in these models).
func (p *plan) compileReshape(op *loader.Operator) (func(), error) {
	in, out := p.input(op, 0), p.output(op, 0)
	if in == nil {
		return nil, opError(op, "needs an input")
	}
	if in.Type != out.Type || in.NumElements() != out.NumElements() {
		return nil, opError(op, "input %v %v and output %v %v differ in type or size", in.Shape, in.Type, out.Shape, out.Type)
	}
	if in.Quant != nil && out.Quant != nil && (in.Quant.Scale[0] != out.Quant.Scale[0] || in.Quant.ZeroPoint[0] != out.Quant.ZeroPoint[0]) {
		return nil, opError(op, "input and output quantization differ")
	}
	src, dst := p.bufs[in.Index], p.bufs[out.Index]
	if in.Data != nil {
		src = in.Data
	}
	return func() { copy(dst, src) }, nil
}
