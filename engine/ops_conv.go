package engine

import (
	"slices"
	"unsafe"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/loader"
)

// The layers with weights: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.
// Compiling one is two steps: a validation that is the same for every type
// (constant weights, shapes, padding, the MAC and parameter counts), then
// the kernels of its input type, looked up in weightedByType.

// weightedLayer is a validated layer with weights: its tensors, its fused
// activation and the shape params of its kind.
type weightedLayer struct {
	op                    *loader.Operator
	in, filter, bias, out *loader.Tensor
	act                   loader.Activation
	// conv is set for CONV_2D and DEPTHWISE_CONV_2D (depthwise tells which),
	// fc for FULLY_CONNECTED.
	conv      *kernels.ConvParams
	depthwise bool
	fc        *kernels.FCParams
}

// macs is the layer's number of multiply-accumulates per run.
func (l *weightedLayer) macs() int64 {
	if l.fc != nil {
		return int64(l.fc.Batches * l.fc.In * l.fc.Out)
	}
	perOut := int64(l.conv.KH * l.conv.KW)
	if !l.depthwise {
		perOut *= int64(l.conv.In.C)
	}
	return int64(l.conv.Out.Size()) * perOut
}

// channels is the layer's number of output channels.
func (l *weightedLayer) channels() int {
	if l.fc != nil {
		return l.fc.Out
	}
	return l.conv.Out.C
}

// weightedKernels compiles the validated layers with weights of one input
// type into steps.
type weightedKernels interface {
	compileConv(p *plan, l *weightedLayer) (func(), error)
	compileFullyConnected(p *plan, l *weightedLayer) (func(), error)
}

// weightedByType holds the kernels of every input type the engine runs:
// supporting another type is one entry.
var weightedByType = map[loader.DType]weightedKernels{
	loader.Float32: floatKernels{},
	loader.UInt8: quantKernels[uint8]{
		conv:                  kernels.ConvU8,
		depthwise:             kernels.DepthwiseConvU8,
		fullyConnected:        kernels.FullyConnectedU8,
		prepackConv:           kernels.PrepackConvU8,
		prepackFullyConnected: kernels.PrepackFullyConnectedU8,
	},
	loader.Int8: quantKernels[int8]{
		conv:                  kernels.ConvI8,
		depthwise:             kernels.DepthwiseConvI8,
		fullyConnected:        kernels.FullyConnectedI8,
		prepackConv:           kernels.PrepackConvI8,
		prepackFullyConnected: kernels.PrepackFullyConnectedI8,
	},
}

func (p *plan) compileConv(op *loader.Operator) (func(), error) {
	l, err := p.convLayer(op)
	if err != nil {
		return nil, err
	}
	return p.compileWeighted(l, weightedKernels.compileConv)
}

func (p *plan) compileFullyConnected(op *loader.Operator) (func(), error) {
	l, err := p.fullyConnectedLayer(op)
	if err != nil {
		return nil, err
	}
	return p.compileWeighted(l, weightedKernels.compileFullyConnected)
}

// compileWeighted counts l's work and parameters and compiles it with the
// kernels of its input type.
func (p *plan) compileWeighted(l *weightedLayer, compile func(weightedKernels, *plan, *weightedLayer) (func(), error)) (func(), error) {
	p.macs += l.macs()
	p.params += int64(l.filter.NumElements())
	if l.bias != nil {
		p.params += int64(l.bias.NumElements())
	}
	k, ok := weightedByType[l.in.Type]
	if !ok {
		return nil, unsupportedType(l.op, l.in)
	}
	return compile(k, p, l)
}

// convLayer validates a CONV_2D or DEPTHWISE_CONV_2D (constant filter and
// bias, shapes, channels, padding) and resolves its params.
func (p *plan) convLayer(op *loader.Operator) (*weightedLayer, error) {
	l := &weightedLayer{op: op, in: p.input(op, 0), filter: p.input(op, 1), bias: p.input(op, 2), out: p.output(op, 0),
		depthwise: op.Op == loader.OpDepthwiseConv2D}
	in, filter, bias, out := l.in, l.filter, l.bias, l.out
	if in == nil || filter == nil || filter.Data == nil {
		return nil, opError(op, "needs an input and a constant filter")
	}
	if bias != nil && bias.Data == nil {
		return nil, opError(op, "bias tensor %d %q is not constant", bias.Index, bias.Name)
	}
	is, os, err := shapes4(op, in, out)
	if err != nil {
		return nil, err
	}
	fs, err := shape4(op, filter) // [OC, KH, KW, IC] or [1, KH, KW, OC]
	if err != nil {
		return nil, err
	}
	cp := &kernels.ConvParams{In: is, Out: os, KH: fs.H, KW: fs.W}
	var padding loader.Padding
	if l.depthwise {
		o := op.Options.(*loader.DepthwiseConv2DOptions)
		padding, l.act = o.Padding, o.Activation
		cp.StrideH, cp.StrideW, cp.DilationH, cp.DilationW = o.StrideH, o.StrideW, o.DilationH, o.DilationW
		cp.DepthMultiplier = os.C / max(is.C, 1)
		if fs.N != 1 || fs.C != os.C || os.C != is.C*cp.DepthMultiplier {
			return nil, opError(op, "filter %v, input %v and output %v channels disagree", filter.Shape, in.Shape, out.Shape)
		}
	} else {
		o := op.Options.(*loader.Conv2DOptions)
		padding, l.act = o.Padding, o.Activation
		cp.StrideH, cp.StrideW, cp.DilationH, cp.DilationW = o.StrideH, o.StrideW, o.DilationH, o.DilationW
		if fs.C != is.C || fs.N != os.C {
			return nil, opError(op, "filter %v does not map input %v to output %v", filter.Shape, in.Shape, out.Shape)
		}
	}
	if bias != nil && bias.NumElements() != os.C {
		return nil, opError(op, "bias has %d elements, want %d", bias.NumElements(), os.C)
	}
	oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: padding == loader.PaddingSame, InH: is.H, InW: is.W,
		KH: fs.H, KW: fs.W, StrideH: cp.StrideH, StrideW: cp.StrideW, DilationH: cp.DilationH, DilationW: cp.DilationW})
	if os.N != is.N || os.H != oh || os.W != ow {
		return nil, opError(op, "output shape %v, want [%d %d %d %d]", out.Shape, is.N, oh, ow, os.C)
	}
	cp.PadTop, cp.PadLeft = pt, pl
	l.conv = cp
	return l, nil
}

// fullyConnectedLayer validates a FULLY_CONNECTED (constant 2-D weights and
// bias, sizes) and resolves its params.
func (p *plan) fullyConnectedLayer(op *loader.Operator) (*weightedLayer, error) {
	l := &weightedLayer{op: op, in: p.input(op, 0), filter: p.input(op, 1), bias: p.input(op, 2), out: p.output(op, 0)}
	in, w, bias, out := l.in, l.filter, l.bias, l.out
	if in == nil || w == nil || w.Data == nil || len(w.Shape) != 2 {
		return nil, opError(op, "needs an input and a constant 2-D weights tensor")
	}
	if o, _ := op.Options.(*loader.FullyConnectedOptions); o != nil {
		l.act = o.Activation
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
	l.fc = fp
	return l, nil
}

// floatKernels are the float32 layers with weights.
type floatKernels struct{}

// weights checks that l is float32 throughout and returns its constants
// and activation bounds.
func (floatKernels) weights(l *weightedLayer) (w, b []float32, lo, hi float32, err error) {
	if err := sameTypes(l.op, loader.Float32, l.filter, l.bias, l.out); err != nil {
		return nil, nil, 0, 0, err
	}
	lo, hi = kernels.FloatActivationRange(fused(l.act))
	return f32View(l.filter), constF32(l.bias), lo, hi, nil
}

// f32View views a constant float32 tensor's data in place when it is
// aligned (the file's bytes: valid only while planning), else decodes a
// copy: packing reads it once, and the portable form keeps its own copy
// (floatForm), so no decoded copy of every filter is made for nothing.
func f32View(t *loader.Tensor) []float32 {
	if len(t.Data)%4 == 0 && uintptr(unsafe.Pointer(unsafe.SliceData(t.Data)))%4 == 0 {
		return f32(t.Data)
	}
	return constF32(t)
}

// floatForm is the portable form of a float layer: run on its own copy of
// filter w (not the model file's bytes).
func floatForm(w []float32, run func(w []float32)) form[float32] {
	w = slices.Clone(w)
	return form[float32]{run: func() { run(w) }, filter: func() []float32 { return w }, bytes: 4 * len(w)}
}

func (k floatKernels) compileConv(p *plan, l *weightedLayer) (func(), error) {
	w, b, lo, hi, err := k.weights(l)
	if err != nil {
		return nil, err
	}
	cp := l.conv
	inB, outB := p.bufs[l.in.Index], p.bufs[l.out.Index]
	x, y := f32(inB), f32(outB)
	p.constBytes += 4 * len(b)
	newSIMD := func(w []float32) *simd.Layer { return simd.NewConvF32(nil, cp, w, b, lo, hi) }
	portable := func(w []float32) form[float32] {
		return floatForm(w, func(w []float32) { kernels.ConvF32(cp, x, w, b, y, lo, hi) })
	}
	if l.depthwise {
		newSIMD = func(w []float32) *simd.Layer { return simd.NewDepthwiseF32(nil, cp, w, b, lo, hi) }
		portable = func(w []float32) form[float32] {
			return floatForm(w, func(w []float32) { kernels.DepthwiseConvF32(cp, x, w, b, y, lo, hi) })
		}
	}
	return withWeights(p, l.filter.Index, inB, outB, w, f32Bytes, newSIMD, simd.UnpackF32, portable), nil
}

func (k floatKernels) compileFullyConnected(p *plan, l *weightedLayer) (func(), error) {
	w, b, lo, hi, err := k.weights(l)
	if err != nil {
		return nil, err
	}
	fp := l.fc
	inB, outB := p.bufs[l.in.Index], p.bufs[l.out.Index]
	x, y := f32(inB), f32(outB)
	p.constBytes += 4 * len(b)
	return withWeights(p, l.filter.Index, inB, outB, w, f32Bytes, noSIMD[float32], simd.UnpackF32,
		func(w []float32) form[float32] {
			return floatForm(w, func(w []float32) { kernels.FullyConnectedF32(fp, x, w, b, y, lo, hi) })
		}), nil
}

// noSIMD is the SIMD constructor of layers that no variant computes.
func noSIMD[W any]([]W) *simd.Layer { return nil }

// quantKernels are the 8-bit layers with weights of element type T.
type quantKernels[T uint8 | int8] struct {
	conv, depthwise       func(p *kernels.ConvParams, q *kernels.QuantConv, in, filter []T, bias []int32, out []T)
	fullyConnected        func(fp *kernels.FCParams, q *kernels.QuantConv, in, weights []T, bias []int32, out []T)
	prepackConv           func(p *kernels.ConvParams, q *kernels.QuantConv, filter []T, bias []int32) *kernels.Prepacked
	prepackFullyConnected func(fp *kernels.FCParams, q *kernels.QuantConv, weights []T, bias []int32) *kernels.Prepacked
}

// quantForm is the portable form of a quantized layer built from filter w:
// with its own copy of q, whose Packed prepack sets (nil: no prepacked
// path) and which goes with the form, and otherwise its own copy of w.
// run runs the kernel on the form's params and weights.
func quantForm[T uint8 | int8](q *kernels.QuantConv, w []T, prepack func(q *kernels.QuantConv, w []T) *kernels.Prepacked,
	run func(q *kernels.QuantConv, w []T)) form[T] {
	qp := *q
	if prepack != nil {
		qp.Packed = prepack(&qp, w)
	}
	if pk, fo := qp.Packed, qp.FilterOffset; pk != nil {
		// The prepacked GEMM reads neither the filter nor the bias.
		return form[T]{run: func() { run(&qp, nil) }, filter: func() []T { return kernels.PrepackedFilter[T](pk, fo) }, bytes: pk.Bytes()}
	}
	w = slices.Clone(w) // not the model file's bytes: the plan keeps none of them
	return form[T]{run: func() { run(&qp, w) }, filter: func() []T { return w }, bytes: len(w)}
}

func (k quantKernels[T]) compileConv(p *plan, l *weightedLayer) (func(), error) {
	q, err := p.quantConv(l)
	if err != nil {
		return nil, err
	}
	cp, b := l.conv, constI32(l.bias)
	inB, outB := p.bufs[l.in.Index], p.bufs[l.out.Index]
	w, x, y := bytesAs[T](l.filter.Data), bytesAs[T](inB), bytesAs[T](outB)
	p.constBytes += 4 * len(b)
	if l.depthwise {
		depthwise := k.depthwise
		return withWeights(p, l.filter.Index, inB, outB, w, asBytes[T],
			func(w []T) *simd.Layer { return simd.NewDepthwiseQ(nil, cp, q, w, b) },
			func(s *simd.Layer) []T { return simd.UnpackQ[T](s, q.FilterOffset) },
			func(w []T) form[T] {
				return quantForm(q, w, nil, func(q *kernels.QuantConv, w []T) { depthwise(cp, q, x, w, b, y) })
			}), nil
	}
	conv, prepack := k.conv, k.prepackConv
	return withWeights(p, l.filter.Index, inB, outB, w, asBytes[T],
		func(w []T) *simd.Layer { return simd.NewConvQ(nil, cp, q, w, b) },
		func(s *simd.Layer) []T { return simd.UnpackQ[T](s, q.FilterOffset) },
		func(w []T) form[T] {
			return quantForm(q, w, func(q *kernels.QuantConv, w []T) *kernels.Prepacked { return prepack(cp, q, w, b) },
				func(q *kernels.QuantConv, w []T) { conv(cp, q, x, w, b, y) })
		}), nil
}

func (k quantKernels[T]) compileFullyConnected(p *plan, l *weightedLayer) (func(), error) {
	q, err := p.quantConv(l)
	if err != nil {
		return nil, err
	}
	fp, b := l.fc, constI32(l.bias)
	inB, outB := p.bufs[l.in.Index], p.bufs[l.out.Index]
	w, x, y := bytesAs[T](l.filter.Data), bytesAs[T](inB), bytesAs[T](outB)
	p.constBytes += 4 * len(b)
	fullyConnected, prepack := k.fullyConnected, k.prepackFullyConnected
	return withWeights(p, l.filter.Index, inB, outB, w, asBytes[T], noSIMD[T],
		func(s *simd.Layer) []T { return simd.UnpackQ[T](s, q.FilterOffset) },
		func(w []T) form[T] {
			return quantForm(q, w, func(q *kernels.QuantConv, w []T) *kernels.Prepacked { return prepack(fp, q, w, b) },
				func(q *kernels.QuantConv, w []T) { fullyConnected(fp, q, x, w, b, y) })
		}), nil
}

// quantConv builds the integer params of a quantized layer with weights.
func (p *plan) quantConv(l *weightedLayer) (*kernels.QuantConv, error) {
	op, in, filter, out := l.op, l.in, l.filter, l.out
	if err := sameTypes(op, in.Type, filter, out); err != nil {
		return nil, err
	}
	if err := sameTypes(op, loader.Int32, l.bias); err != nil {
		return nil, err
	}
	qs, err := quantsOf(op, in, out)
	if err != nil {
		return nil, err
	}
	inQ, outQ := qs[0], qs[1]
	if filter.Quant == nil || len(filter.Quant.Scale) == 0 {
		return nil, opError(op, "filter %d %q has no quantization parameters", filter.Index, filter.Name)
	}
	fq := filter.Quant
	channels := l.channels()
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
	lo, hi := kernels.QuantizedActivationRange(p.scheme, fused(l.act), outQ, qmin, qmax)
	// TFLite's uint8 kernels (and per-tensor int8 FULLY_CONNECTED) build
	// the reference multiplier from the scales multiplied in float32; its
	// per-channel int8 path multiplies in double. (fp32: the same either way.)
	requant := kernels.NewRequant
	if in.Type == loader.UInt8 || (op.Op == loader.OpFullyConnected && len(fq.Scale) == 1) {
		requant = kernels.NewRequantLegacy
	}
	return &kernels.QuantConv{
		InputOffset:  -inQ.ZeroPoint,
		FilterOffset: -filterZP,
		Requant:      requant(p.scheme, inQ.Scale, fq.Scale, outQ, channels, lo, hi),
	}, nil
}
