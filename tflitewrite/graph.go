// Package tflitewrite writes TensorFlow Lite models: a Graph (tensors with
// their data and quantization, operators with typed options, the
// subgraph's inputs and outputs, a description, labels) becomes a
// single-subgraph .tflite flatbuffer, built with the flatc-generated code
// of mobilenet-wasm/loader/tflitefb. Labels are attached the way the
// release's quantized models carry them: a ModelMetadata flatbuffer in the
// "TFLITE_METADATA" metadata buffer names a TENSOR_AXIS_LABELS file, and a
// zip archive appended to the model holds it.
//
// A Graph can also start from an existing model (FromModel, FromBytes),
// to be edited and written again: a new head on a base model, a quantized
// rewrite of a float one.
//
// The types of the description are the loader's (loader.DType, loader.Op,
// loader.Quant and the option structs), so that a written model reads back
// with the same values. Write checks the graph and never panics; it never
// returns a model that package loader rejects. It is not a converter: it
// writes what it is given, and infers no shapes or quantization.
package tflitewrite

import (
	"fmt"
	"math"
	"reflect"

	"mobilenet-wasm/loader"
)

// Graph describes one single-subgraph model.
type Graph struct {
	// Description is the model's description string.
	Description string
	// Tensors are the subgraph's tensors; operators and the subgraph's
	// inputs and outputs refer to them by index.
	Tensors []Tensor
	// Operators run in order: each reads subgraph inputs, constants or
	// the outputs of earlier operators.
	Operators []Operator
	// Inputs and Outputs are the subgraph's input and output tensors.
	Inputs, Outputs []int
	// MinRuntimeVersion, when set, is written as the "min_runtime_version"
	// metadata buffer the TFLite converter adds (such as "1.5.0"), zero
	// padded to 16 bytes.
	MinRuntimeVersion string
	// Metadata, when set or when there are Labels, is written as the
	// TFLITE_METADATA ModelMetadata flatbuffer.
	Metadata *Metadata
	// Labels, when not empty, are attached as the labels file of the
	// first output (one label a line).
	Labels []string
}

// Tensor is one tensor of a Graph.
type Tensor struct {
	Name  string
	Type  loader.DType
	Shape []int
	// Data is the constant contents, exactly elements x element size
	// bytes (little-endian), or nil (or empty) for an activation.
	Data []byte
	// Quant is the affine quantization, per tensor (one scale and zero
	// point) or per channel (one per index of dimension Axis); nil when
	// the tensor is not quantized.
	Quant *loader.Quant
}

// Operator is one builtin operator of a Graph.
type Operator struct {
	Op loader.Op
	// Inputs and Outputs are tensor indices; -1 is an absent optional
	// input (such as a convolution's bias).
	Inputs, Outputs []int
	// Options is the op's options as the loader gives them: a pointer to
	// loader.Conv2DOptions (CONV_2D), DepthwiseConv2DOptions,
	// Pool2DOptions (AVERAGE_POOL_2D, MAX_POOL_2D), FullyConnectedOptions,
	// SoftmaxOptions, AddOptions, ReshapeOptions, SqueezeOptions or
	// ReducerOptions (MEAN). It may be nil for the ops whose options all
	// have defaults (FULLY_CONNECTED, ADD, RESHAPE, SQUEEZE, MEAN), and is
	// nil for the ops without options (PAD, QUANTIZE, DEQUANTIZE, RELU,
	// RELU6).
	Options any
	// Version is the operator code's version; 0 means 1.
	Version int
}

// Metadata is the TFLite ModelMetadata written with the model.
type Metadata struct {
	Name, Description, Version, Author, License string
	// LabelsFile names the attached labels file; empty means
	// DefaultLabelsFile.
	LabelsFile string
}

// DefaultLabelsFile is the labels file's name when Metadata does not give
// one.
const DefaultLabelsFile = "labels.txt"

// AddTensor appends a tensor and returns its index.
func (g *Graph) AddTensor(t Tensor) int {
	g.Tensors = append(g.Tensors, t)
	return len(g.Tensors) - 1
}

// AddOperator appends an operator.
func (g *Graph) AddOperator(o Operator) {
	g.Operators = append(g.Operators, o)
}

// opOptions are the options each supported op takes: the Go type of
// Operator.Options (nil: none), and whether it may be left nil.
var opOptions = map[loader.Op]struct {
	typ      any
	optional bool
}{
	loader.OpConv2D:          {(*loader.Conv2DOptions)(nil), false},
	loader.OpDepthwiseConv2D: {(*loader.DepthwiseConv2DOptions)(nil), false},
	loader.OpAveragePool2D:   {(*loader.Pool2DOptions)(nil), false},
	loader.OpMaxPool2D:       {(*loader.Pool2DOptions)(nil), false},
	loader.OpFullyConnected:  {(*loader.FullyConnectedOptions)(nil), true},
	loader.OpSoftmax:         {(*loader.SoftmaxOptions)(nil), false},
	loader.OpAdd:             {(*loader.AddOptions)(nil), true},
	loader.OpReshape:         {(*loader.ReshapeOptions)(nil), true},
	loader.OpSqueeze:         {(*loader.SqueezeOptions)(nil), true},
	loader.OpMean:            {(*loader.ReducerOptions)(nil), true},
	loader.OpPad:             {nil, true},
	loader.OpQuantize:        {nil, true},
	loader.OpDequantize:      {nil, true},
	loader.OpRelu:            {nil, true},
	loader.OpRelu6:           {nil, true},
}

// check returns the first problem of the graph's structure: indices,
// data sizes, quantization counts, options types. What it does not check
// (operator order, operand shapes) the loader checks on the written bytes.
func (g *Graph) check() error {
	n := len(g.Tensors)
	for i := range g.Tensors {
		if err := g.Tensors[i].check(); err != nil {
			return fmt.Errorf("tflitewrite: tensor %d %q: %w", i, g.Tensors[i].Name, err)
		}
	}
	for i, o := range g.Operators {
		if err := o.check(n); err != nil {
			return fmt.Errorf("tflitewrite: operator %d %v: %w", i, o.Op, err)
		}
	}
	for what, idx := range map[string][]int{"input": g.Inputs, "output": g.Outputs} {
		if len(idx) == 0 {
			return fmt.Errorf("tflitewrite: the graph has no %s", what)
		}
		for j, t := range idx {
			if t < 0 || t >= n {
				return fmt.Errorf("tflitewrite: graph %s %d is tensor %d, out of range [0, %d)", what, j, t, n)
			}
		}
	}
	if len(g.MinRuntimeVersion) > runtimeVersionSize {
		return fmt.Errorf("tflitewrite: min runtime version %q is longer than %d bytes", g.MinRuntimeVersion, runtimeVersionSize)
	}
	return nil
}

func (t *Tensor) check() error {
	size := t.Type.ElemSize()
	if size == 0 {
		return fmt.Errorf("type %v cannot be written", t.Type)
	}
	if len(t.Shape) > loader.MaxRank {
		return fmt.Errorf("rank %d exceeds %d", len(t.Shape), loader.MaxRank)
	}
	bytes := size
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		if d > 0 && bytes > loader.MaxTensorBytes/d {
			return fmt.Errorf("shape %v %v is larger than %d bytes", t.Shape, t.Type, loader.MaxTensorBytes)
		}
		bytes *= d
	}
	if len(t.Data) > 0 && len(t.Data) != bytes {
		return fmt.Errorf("%d bytes of data, shape %v %v needs %d", len(t.Data), t.Shape, t.Type, bytes)
	}
	if q := t.Quant; q != nil {
		if len(q.Scale) == 0 || len(q.Scale) != len(q.ZeroPoint) {
			return fmt.Errorf("quantization has %d scales and %d zero points, want as many and at least one", len(q.Scale), len(q.ZeroPoint))
		}
		if len(q.Scale) > 1 && (q.Axis < 0 || q.Axis >= len(t.Shape) || t.Shape[q.Axis] != len(q.Scale)) {
			return fmt.Errorf("%d per-channel scales on dimension %d of shape %v", len(q.Scale), q.Axis, t.Shape)
		}
	}
	return nil
}

func (o *Operator) check(tensors int) error {
	for j, t := range o.Inputs {
		if t < -1 || t >= tensors {
			return fmt.Errorf("input %d is tensor %d, out of range [-1, %d)", j, t, tensors)
		}
	}
	for j, t := range o.Outputs {
		if t < 0 || t >= tensors {
			return fmt.Errorf("output %d is tensor %d, out of range [0, %d)", j, t, tensors)
		}
	}
	return o.checkOptions()
}

// checkOptions checks the op and the type of its options: what pack needs.
func (o *Operator) checkOptions() error {
	spec, ok := opOptions[o.Op]
	if !ok {
		return fmt.Errorf("operator %v cannot be written", o.Op)
	}
	if o.Version < 0 || o.Version > math.MaxInt32 {
		return fmt.Errorf("version %d out of range", o.Version)
	}
	switch {
	case o.Options == nil && !spec.optional:
		return fmt.Errorf("no options, want %T", spec.typ)
	case o.Options == nil:
	case spec.typ == nil:
		return fmt.Errorf("options %T given to an op without options", o.Options)
	case reflect.TypeOf(o.Options) != reflect.TypeOf(spec.typ):
		return fmt.Errorf("options are %T, want %T", o.Options, spec.typ)
	case reflect.ValueOf(o.Options).IsNil():
		return fmt.Errorf("options are a nil %T", o.Options)
	}
	return nil
}
