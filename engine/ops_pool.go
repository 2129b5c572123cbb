package engine

import (
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/loader"
)

// The ops that reduce over windows of the spatial axes: AVERAGE_POOL_2D,
// MAX_POOL_2D and MEAN.

func (p *plan) compilePool(op *loader.Operator, in, out *loader.Tensor) (func(), error) {
	o := op.Options.(*loader.Pool2DOptions)
	is, os, err := shapes4(op, in, out)
	if err != nil {
		return nil, err
	}
	oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: o.Padding == loader.PaddingSame, InH: is.H, InW: is.W,
		KH: o.FilterH, KW: o.FilterW, StrideH: o.StrideH, StrideW: o.StrideW})
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
		lo, hi := kernels.FloatActivationRange(fused(o.Activation))
		x, y := f32(inB), f32(outB)
		if avg {
			return withSIMD(inB, outB, func() *simd.Layer { return simd.NewAvgPoolF32(nil, pp, lo, hi) },
				func() { kernels.AveragePoolF32(pp, x, y, lo, hi) }), nil
		}
		return func() { kernels.MaxPoolF32(pp, x, y, lo, hi) }, nil
	case loader.UInt8, loader.Int8:
		outQ, _ := quantOf(op, out) // checked by sameQuant
		qmin, qmax := typeRange(out.Type)
		// TFLite runs pooling itself, not through XNNPACK, in both
		// schemes: its activation bounds are the reference ones.
		lo, hi := kernels.QuantizedActivationRange(kernels.SchemeReference, fused(o.Activation), outQ, qmin, qmax)
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
	return nil, unsupportedType(op, in)
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
		qs, err := quantsOf(op, in, out)
		if err != nil {
			return nil, err
		}
		keep := false
		if o, ok := op.Options.(*loader.ReducerOptions); ok {
			keep = o.KeepDims
		}
		mp := kernels.NewMeanParams(is, keep, qs[0], qs[1])
		if in.Type == loader.UInt8 {
			return func() { kernels.MeanU8(mp, inB, outB) }, nil
		}
		x, y := i8(inB), i8(outB)
		return func() { kernels.MeanI8(mp, x, y) }, nil
	}
	return nil, unsupportedType(op, in)
}
