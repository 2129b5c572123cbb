package engine

import (
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
)

// The ops that move bytes without arithmetic: PAD, RESHAPE and SQUEEZE.

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
		outQ, _ := quantOf(op, out) // checked by sameQuant
		return func() { kernels.Pad(pp, inB, outB, uint8(outQ.ZeroPoint)) }, nil
	case loader.Int8:
		outQ, _ := quantOf(op, out)
		x, y := i8(inB), i8(outB)
		return func() { kernels.Pad(pp, x, y, int8(outQ.ZeroPoint)) }, nil
	}
	return nil, unsupportedType(op, in)
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
	src, dst := p.bufs[in.Index], p.bufs[out.Index] // a constant's bufs are its copy
	return func() { copy(dst, src) }, nil
}
