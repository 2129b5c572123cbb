// Package loader parses and validates TensorFlow Lite flatbuffers into a
// Model: tensors with shapes, data types, quantization and constant data,
// and operators with typed options. It also reads TFLite metadata and the
// label files zipped at the end of a model.
//
// The loader is the trust boundary: every index, shape, byte size and
// quantization parameter is checked before a Model is returned, so later
// stages (engine, kernels) may index without re-checking. It never panics on
// any input; malformed bytes give an error that says what is wrong and where.
//
// It is not an interpreter: it does not plan memory or run anything.
package loader

// DType is a tensor element type, numbered as TFLite's TensorType.
type DType int8

// Tensor element types used by MobileNet-like models.
const (
	Float32 DType = 0
	Float16 DType = 1
	Int32   DType = 2
	UInt8   DType = 3
	Int64   DType = 4
	String  DType = 5
	Bool    DType = 6
	Int16   DType = 7
	Int8    DType = 9
)

// Op is a TFLite builtin operator code.
type Op int32

// Builtin operator codes (TFLite's BuiltinOperator values) this project knows.
const (
	OpAdd             Op = 0
	OpAveragePool2D   Op = 1
	OpConv2D          Op = 3
	OpDepthwiseConv2D Op = 4
	OpDequantize      Op = 6
	OpFullyConnected  Op = 9
	OpMaxPool2D       Op = 17
	OpRelu            Op = 19
	OpRelu6           Op = 21
	OpReshape         Op = 22
	OpSoftmax         Op = 25
	OpPad             Op = 34
	OpMean            Op = 40
	OpSqueeze         Op = 43
	OpQuantize        Op = 114
)

// Padding is a convolution or pooling padding scheme.
type Padding int8

// Padding schemes, numbered as TFLite's Padding enum.
const (
	PaddingSame  Padding = 0
	PaddingValid Padding = 1
)

// Activation is a fused activation function, numbered as TFLite's
// ActivationFunctionType.
type Activation int8

// Fused activations. Only None, Relu, Relu6 (and ReluN1To1) are supported.
const (
	ActNone      Activation = 0
	ActRelu      Activation = 1
	ActReluN1To1 Activation = 2
	ActRelu6     Activation = 3
)

// Quant holds a tensor's affine quantization: real = Scale * (q - ZeroPoint).
// Per-tensor quantization has one Scale and one ZeroPoint; per-channel has
// one per index of dimension Axis.
type Quant struct {
	Scale     []float32
	ZeroPoint []int64
	Axis      int
}

// PerChannel reports whether q has more than one scale.
func (q *Quant) PerChannel() bool { return q != nil && len(q.Scale) > 1 }

// Tensor is one validated tensor of the model's subgraph.
type Tensor struct {
	Index int
	Name  string
	Type  DType
	Shape []int
	// Data is the constant contents (weights, biases, shape vectors),
	// exactly NumElements*ElemSize bytes, or nil for activations.
	Data  []byte
	Quant *Quant // nil when the tensor is not quantized
}

// Operator is one validated operator of the subgraph. Inputs and Outputs are
// tensor indices; an optional input that is absent is -1. Inputs always has
// an entry for every input the op can take, absent ones -1 even when the
// file leaves them out: the bias of CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED (Inputs[2]), RESHAPE's shape tensor (Inputs[1]).
type Operator struct {
	Index   int
	Op      Op
	Inputs  []int
	Outputs []int
	// Options is one of *Conv2DOptions, *DepthwiseConv2DOptions,
	// *Pool2DOptions, *FullyConnectedOptions, *SoftmaxOptions, *AddOptions,
	// *ReshapeOptions, *SqueezeOptions, *ReducerOptions, or nil for ops
	// without options. It is never nil for the ops these types belong to
	// (schema defaults when the file has no options table).
	Options any
}

// Conv2DOptions are CONV_2D's options.
type Conv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	DilationW, DilationH int
	Activation           Activation
}

// DepthwiseConv2DOptions are DEPTHWISE_CONV_2D's options.
type DepthwiseConv2DOptions struct {
	Padding              Padding
	StrideW, StrideH     int
	DilationW, DilationH int
	DepthMultiplier      int
	Activation           Activation
}

// Pool2DOptions are AVERAGE_POOL_2D's and MAX_POOL_2D's options.
type Pool2DOptions struct {
	Padding          Padding
	StrideW, StrideH int
	FilterW, FilterH int
	Activation       Activation
}

// FullyConnectedOptions are FULLY_CONNECTED's options.
type FullyConnectedOptions struct {
	Activation  Activation
	KeepNumDims bool
}

// SoftmaxOptions are SOFTMAX's options.
type SoftmaxOptions struct {
	Beta float32
}

// AddOptions are ADD's options.
type AddOptions struct {
	Activation Activation
}

// ReshapeOptions are RESHAPE's options (the target shape, when given as an
// option rather than as a second input tensor).
type ReshapeOptions struct {
	NewShape []int
}

// SqueezeOptions are SQUEEZE's options.
type SqueezeOptions struct {
	SqueezeDims []int
}

// ReducerOptions are MEAN's options.
type ReducerOptions struct {
	KeepDims bool
}

// Model is a validated single-subgraph TFLite model.
type Model struct {
	Version     int
	Description string
	Tensors     []Tensor
	Operators   []Operator
	Inputs      []int // subgraph input tensor indices
	Outputs     []int // subgraph output tensor indices
	// Metadata is the TFLite model metadata, when the model carries a
	// TFLITE_METADATA buffer; nil otherwise.
	Metadata *Metadata
	// Labels are the class labels found in the model (an associated file
	// of the metadata, or a labels text file zipped at the end of the
	// model); nil when the model carries none.
	Labels []string
	// Warnings describe problems in the optional parts (metadata, zipped
	// label file) that did not stop the load.
	Warnings []string
}

// Metadata is the subset of TFLite's ModelMetadata the project uses.
type Metadata struct {
	Name        string
	Description string
	Version     string
	Author      string
	License     string
	// AssociatedFiles are the names of files the metadata lists.
	AssociatedFiles []string
}
