package engine

import (
	"mobilenet-wasm/kernels"
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
	// The ops without weights: one input (and maybe constant parameters),
	// one output.
	in := p.input(op, 0)
	if in == nil || len(op.Outputs) != 1 {
		return nil, opError(op, "needs an input and one output")
	}
	out := p.output(op, 0)
	switch op.Op {
	case loader.OpAveragePool2D, loader.OpMaxPool2D:
		return p.compilePool(op, in, out)
	case loader.OpMean:
		return p.compileMean(op, in, out)
	case loader.OpSoftmax:
		return p.compileSoftmax(op, in, out)
	case loader.OpAdd:
		return p.compileAdd(op, in, out)
	case loader.OpQuantize, loader.OpDequantize:
		return p.compileQuantize(op, in, out)
	case loader.OpRelu, loader.OpRelu6:
		return p.compileRelu(op, in, out)
	case loader.OpPad:
		return p.compilePad(op, in, out)
	}
	return nil, opError(op, "is not supported by the engine")
}

// input returns the i-th input tensor of op, or nil when absent.
func (p *plan) input(op *loader.Operator, i int) *loader.Tensor {
	if i >= len(op.Inputs) || op.Inputs[i] < 0 {
		return nil
	}
	return &p.model.Tensors[op.Inputs[i]]
}

// output returns the i-th output tensor of op.
func (p *plan) output(op *loader.Operator, i int) *loader.Tensor {
	return &p.model.Tensors[op.Outputs[i]]
}

// f32Of views a float32 tensor: its arena buffer, or its decoded constant.
func (p *plan) f32Of(t *loader.Tensor) []float32 {
	if t.Data != nil {
		return constF32(t)
	}
	return f32(p.bufs[t.Index])
}

// fused is the kernels' number of a fused activation. loader.Activation and
// the kernels' Fused constants both number TFLite's ActivationFunctionType
// (a test pins them together), so it is a conversion.
func fused(a loader.Activation) int { return int(a) }

// shape4 reads a rank-4 NHWC shape.
func shape4(op *loader.Operator, t *loader.Tensor) (kernels.Shape4, error) {
	if len(t.Shape) != 4 {
		return kernels.Shape4{}, opError(op, "tensor %d %q has shape %v, want rank 4 (NHWC)", t.Index, t.Name, t.Shape)
	}
	return kernels.Shape4{N: t.Shape[0], H: t.Shape[1], W: t.Shape[2], C: t.Shape[3]}, nil
}

// shapes4 reads the rank-4 NHWC shapes of an op's input and output.
func shapes4(op *loader.Operator, in, out *loader.Tensor) (is, os kernels.Shape4, err error) {
	if is, err = shape4(op, in); err != nil {
		return is, os, err
	}
	os, err = shape4(op, out)
	return is, os, err
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

// quantOf returns t's per-tensor quantization, or an error when t has none
// or is quantized per channel.
func quantOf(op *loader.Operator, t *loader.Tensor) (kernels.Quant, error) {
	if t.Quant == nil || len(t.Quant.Scale) == 0 {
		return kernels.Quant{}, opError(op, "tensor %d %q (%v) has no quantization parameters", t.Index, t.Name, t.Type)
	}
	if len(t.Quant.Scale) != 1 {
		return kernels.Quant{}, opError(op, "tensor %d %q is quantized per channel; want per tensor", t.Index, t.Name)
	}
	return kernels.Quant{Scale: t.Quant.Scale[0], ZeroPoint: int32(t.Quant.ZeroPoint[0])}, nil
}

// quantsOf is quantOf of each of ts, in order.
func quantsOf(op *loader.Operator, ts ...*loader.Tensor) ([]kernels.Quant, error) {
	qs := make([]kernels.Quant, len(ts))
	for i, t := range ts {
		q, err := quantOf(op, t)
		if err != nil {
			return nil, err
		}
		qs[i] = q
	}
	return qs, nil
}

// sameQuant checks that quantized tensors a and b share scale and zero
// point, as TFLite requires of pooling, padding and reshaping ops.
func sameQuant(op *loader.Operator, a, b *loader.Tensor) error {
	if a.Type == loader.Float32 {
		return nil
	}
	qs, err := quantsOf(op, a, b)
	if err != nil {
		return err
	}
	if qs[0] != qs[1] {
		return opError(op, "input (scale %g, zero point %d) and output (scale %g, zero point %d) quantization differ",
			qs[0].Scale, qs[0].ZeroPoint, qs[1].Scale, qs[1].ZeroPoint)
	}
	return nil
}

// typeRange is the value range of a quantized type.
func typeRange(d loader.DType) (int32, int32) {
	if d == loader.Int8 {
		return -128, 127
	}
	return 0, 255
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

// unsupportedType is the error of an op whose input type no kernel takes.
func unsupportedType(op *loader.Operator, t *loader.Tensor) error {
	return opError(op, "input type %v is not supported (float32, uint8, int8)", t.Type)
}
