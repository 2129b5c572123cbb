package tflitewrite

import (
	"reflect"

	flatbuffers "github.com/google/flatbuffers/go"

	"mobilenet-wasm/loader"
	fb "mobilenet-wasm/loader/tflitefb"
)

// writeOptions writes an operator's builtin options table (checked to be
// of the op's type). Nil options of ops that take some are written as the
// schema's defaults; ops without options get none.
func writeOptions(b *flatbuffers.Builder, op loader.Op, opts any) (fb.BuiltinOptions, flatbuffers.UOffsetT) {
	if spec := opOptions[op]; opts == nil && spec.typ != nil {
		opts = reflect.New(reflect.TypeOf(spec.typ).Elem()).Interface()
	}
	switch op {
	case loader.OpConv2D:
		o := opts.(*loader.Conv2DOptions)
		fb.Conv2DOptionsStart(b)
		fb.Conv2DOptionsAddPadding(b, fb.Padding(o.Padding))
		fb.Conv2DOptionsAddStrideW(b, int32(o.StrideW))
		fb.Conv2DOptionsAddStrideH(b, int32(o.StrideH))
		fb.Conv2DOptionsAddFusedActivationFunction(b, fb.ActivationFunctionType(o.Activation))
		fb.Conv2DOptionsAddDilationWFactor(b, int32(o.DilationW))
		fb.Conv2DOptionsAddDilationHFactor(b, int32(o.DilationH))
		return fb.BuiltinOptionsConv2DOptions, fb.Conv2DOptionsEnd(b)
	case loader.OpDepthwiseConv2D:
		o := opts.(*loader.DepthwiseConv2DOptions)
		fb.DepthwiseConv2DOptionsStart(b)
		fb.DepthwiseConv2DOptionsAddPadding(b, fb.Padding(o.Padding))
		fb.DepthwiseConv2DOptionsAddStrideW(b, int32(o.StrideW))
		fb.DepthwiseConv2DOptionsAddStrideH(b, int32(o.StrideH))
		fb.DepthwiseConv2DOptionsAddDepthMultiplier(b, int32(o.DepthMultiplier))
		fb.DepthwiseConv2DOptionsAddFusedActivationFunction(b, fb.ActivationFunctionType(o.Activation))
		fb.DepthwiseConv2DOptionsAddDilationWFactor(b, int32(o.DilationW))
		fb.DepthwiseConv2DOptionsAddDilationHFactor(b, int32(o.DilationH))
		return fb.BuiltinOptionsDepthwiseConv2DOptions, fb.DepthwiseConv2DOptionsEnd(b)
	case loader.OpAveragePool2D, loader.OpMaxPool2D:
		o := opts.(*loader.Pool2DOptions)
		fb.Pool2DOptionsStart(b)
		fb.Pool2DOptionsAddPadding(b, fb.Padding(o.Padding))
		fb.Pool2DOptionsAddStrideW(b, int32(o.StrideW))
		fb.Pool2DOptionsAddStrideH(b, int32(o.StrideH))
		fb.Pool2DOptionsAddFilterWidth(b, int32(o.FilterW))
		fb.Pool2DOptionsAddFilterHeight(b, int32(o.FilterH))
		fb.Pool2DOptionsAddFusedActivationFunction(b, fb.ActivationFunctionType(o.Activation))
		return fb.BuiltinOptionsPool2DOptions, fb.Pool2DOptionsEnd(b)
	case loader.OpFullyConnected:
		o := opts.(*loader.FullyConnectedOptions)
		fb.FullyConnectedOptionsStart(b)
		fb.FullyConnectedOptionsAddFusedActivationFunction(b, fb.ActivationFunctionType(o.Activation))
		fb.FullyConnectedOptionsAddKeepNumDims(b, o.KeepNumDims)
		return fb.BuiltinOptionsFullyConnectedOptions, fb.FullyConnectedOptionsEnd(b)
	case loader.OpSoftmax:
		o := opts.(*loader.SoftmaxOptions)
		fb.SoftmaxOptionsStart(b)
		fb.SoftmaxOptionsAddBeta(b, o.Beta)
		return fb.BuiltinOptionsSoftmaxOptions, fb.SoftmaxOptionsEnd(b)
	case loader.OpAdd:
		o := opts.(*loader.AddOptions)
		fb.AddOptionsStart(b)
		fb.AddOptionsAddFusedActivationFunction(b, fb.ActivationFunctionType(o.Activation))
		return fb.BuiltinOptionsAddOptions, fb.AddOptionsEnd(b)
	case loader.OpReshape:
		shape := optionalInts(b, opts.(*loader.ReshapeOptions).NewShape)
		fb.ReshapeOptionsStart(b)
		if shape != 0 {
			fb.ReshapeOptionsAddNewShape(b, shape)
		}
		return fb.BuiltinOptionsReshapeOptions, fb.ReshapeOptionsEnd(b)
	case loader.OpSqueeze:
		dims := optionalInts(b, opts.(*loader.SqueezeOptions).SqueezeDims)
		fb.SqueezeOptionsStart(b)
		if dims != 0 {
			fb.SqueezeOptionsAddSqueezeDims(b, dims)
		}
		return fb.BuiltinOptionsSqueezeOptions, fb.SqueezeOptionsEnd(b)
	case loader.OpMean:
		o := opts.(*loader.ReducerOptions)
		fb.ReducerOptionsStart(b)
		fb.ReducerOptionsAddKeepDims(b, o.KeepDims)
		return fb.BuiltinOptionsReducerOptions, fb.ReducerOptionsEnd(b)
	}
	return fb.BuiltinOptionsNONE, 0
}

// optionalInts writes v as a vector of int32, or nothing (offset 0) when
// it is empty, so that the field keeps its schema default.
func optionalInts(b *flatbuffers.Builder, v []int) flatbuffers.UOffsetT {
	if len(v) == 0 {
		return 0
	}
	return int32s(b, v)
}
