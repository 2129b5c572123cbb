package loader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	fb "mobilenet-wasm/loader/tflitefb"
)

// checkModel asserts the promises Parse makes about a Model it returns.
func checkModel(t testing.TB, m *Model) {
	t.Helper()
	n := len(m.Tensors)
	for i := range m.Tensors {
		tt := &m.Tensors[i]
		require.Equal(t, i, tt.Index, "tensor %d: index", i)
		require.LessOrEqual(t, len(tt.Shape), MaxRank, "tensor %d: rank", i)
		require.NotZero(t, tt.Type.ElemSize(), "tensor %d: type %v", i, tt.Type)
		for _, d := range tt.Shape {
			require.GreaterOrEqual(t, d, 0, "tensor %d: shape %v", i, tt.Shape)
		}
		require.LessOrEqual(t, tt.ByteSize(), MaxTensorBytes, "tensor %d: shape %v %v", i, tt.Shape, tt.Type)
		if tt.Data != nil {
			require.Len(t, tt.Data, tt.ByteSize(), "tensor %d: data bytes for shape %v %v", i, tt.Shape, tt.Type)
		}
		if q := tt.Quant; q != nil {
			require.NotEmpty(t, q.Scale, "tensor %d: quantization %+v", i, q)
			require.Len(t, q.ZeroPoint, len(q.Scale), "tensor %d: quantization %+v", i, q)
			if q.PerChannel() {
				require.Equal(t, len(q.Scale), tt.Shape[q.Axis], "tensor %d: quantization %+v for shape %v", i, q, tt.Shape)
			}
		} else {
			require.NotContains(t, []DType{UInt8, Int8}, tt.Type, "tensor %d: quantized type without quantization", i)
		}
	}
	for _, i := range append(append([]int{}, m.Inputs...), m.Outputs...) {
		require.NotNil(t, m.Tensor(i), "subgraph input/output %d out of range", i)
	}
	for k, o := range m.Operators {
		spec, ok := opSpecs[o.Op]
		require.Equal(t, k, o.Index, "operator %d: index", k)
		require.True(t, ok, "operator %d: op %v has no spec", k, o.Op)
		require.GreaterOrEqual(t, len(o.Inputs), spec.minIn, "operator %d: inputs %v", k, o.Inputs)
		require.LessOrEqual(t, len(o.Inputs), spec.maxIn, "operator %d: inputs %v", k, o.Inputs)
		require.Len(t, o.Outputs, 1, "operator %d: outputs", k)
		for j, i := range o.Inputs {
			require.True(t, i >= -1 && i < n && (i != -1 || j >= spec.minIn), "operator %d: input %d", k, i)
		}
		i := o.Outputs[0]
		require.True(t, i >= 0 && i < n, "operator %d: output %d", k, i)
		require.False(t, m.Tensors[i].IsConstant(), "operator %d: output %d is constant", k, i)
		switch o.Op {
		case OpConv2D, OpDepthwiseConv2D:
			w := m.Tensor(o.Inputs[1])
			require.Len(t, w.Shape, 4, "operator %d: filter %+v", k, w)
			require.True(t, w.IsConstant(), "operator %d: filter %+v is not constant", k, w)
		}
		if want, ok := optionsTypes[o.Op]; ok {
			require.IsType(t, want, o.Options, "operator %d %v: options %T", k, o.Op, o.Options)
		} else {
			require.Nil(t, o.Options, "operator %d %v: options %T", k, o.Op, o.Options)
		}
	}
}

// optionsTypes is the Options type Parse gives each op that has options;
// the others have none.
var optionsTypes = map[Op]any{
	OpConv2D:          (*Conv2DOptions)(nil),
	OpDepthwiseConv2D: (*DepthwiseConv2DOptions)(nil),
	OpAveragePool2D:   (*Pool2DOptions)(nil),
	OpMaxPool2D:       (*Pool2DOptions)(nil),
	OpFullyConnected:  (*FullyConnectedOptions)(nil),
	OpSoftmax:         (*SoftmaxOptions)(nil),
	OpAdd:             (*AddOptions)(nil),
	OpReshape:         (*ReshapeOptions)(nil),
	OpSqueeze:         (*SqueezeOptions)(nil),
	OpMean:            (*ReducerOptions)(nil),
}

func mustParse(t *testing.T, data []byte) *Model {
	t.Helper()
	m, err := Parse(data)
	require.NoError(t, err)
	checkModel(t, m)
	return m
}

func TestSynthUint8(t *testing.T) {
	m := mustParse(t, pack(synthUint8()))
	assert.Equal(t, "synthetic", m.Description)
	assert.Equal(t, []Op{OpConv2D, OpAveragePool2D, OpReshape, OpSoftmax}, opList(m))
	assert.Equal(t, &Conv2DOptions{StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, Activation: ActRelu6}, m.Operators[0].Options)
	assert.Equal(t, &ReshapeOptions{}, m.Operators[2].Options)
	w := m.Tensor(1)
	assert.Equal(t, []byte{11, 12, 13, 14, 15, 16}, w.Data)
	assert.Equal(t, len(w.Data), cap(w.Data), "Data's capacity is capped")
	bias, err := m.Tensor(2).Int32s()
	require.NoError(t, err)
	assert.Equal(t, []int32{-7, 9}, bias)
	assert.Nil(t, m.Metadata)
	assert.Nil(t, m.Labels)
	assert.Nil(t, m.Tensor(-1))
	assert.Nil(t, m.Input(1))
}

func TestSynthFloat(t *testing.T) {
	m := mustParse(t, pack(synthFloat()))
	assert.Equal(t, []Op{OpDepthwiseConv2D, OpPad, OpMaxPool2D, OpMean, OpFullyConnected, OpRelu6, OpSoftmax}, opList(m))
	assert.Equal(t, &DepthwiseConv2DOptions{StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, DepthMultiplier: 1}, m.Operators[0].Options)
	assert.Nil(t, m.Operators[1].Options)
	assert.Equal(t, &Pool2DOptions{StrideW: 2, StrideH: 2, FilterW: 2, FilterH: 2}, m.Operators[2].Options)
	assert.Equal(t, &ReducerOptions{}, m.Operators[3].Options)
	assert.Equal(t, &FullyConnectedOptions{Activation: ActRelu}, m.Operators[4].Options)
	assert.Equal(t, &SoftmaxOptions{Beta: 0.5}, m.Operators[6].Options)
	for i := range m.Tensors {
		assert.Nil(t, m.Tensors[i].Quant)
	}
	pads, err := m.Tensor(m.Operators[1].Inputs[1]).Ints()
	require.NoError(t, err)
	assert.Equal(t, []int{0, 0, 1, 1, 1, 1, 0, 0}, pads)
	w, err := m.Tensor(1).Float32s()
	require.NoError(t, err)
	assert.Equal(t, float32(18), w[17])
}

func TestSynthInt8(t *testing.T) {
	m := mustParse(t, pack(synthInt8()))
	assert.Equal(t, []Op{OpQuantize, OpConv2D, OpAdd, OpRelu, OpDequantize, OpSqueeze}, opList(m))
	assert.Equal(t, []int{1, 2, -1}, m.Operators[1].Inputs)
	w := m.Tensor(2)
	assert.True(t, w.Quant.PerChannel())
	assert.Equal(t, []float32{0.1, 0.2, 0.3}, w.Quant.Scale)
	v, err := w.Int8s()
	require.NoError(t, err)
	assert.Equal(t, []int8{1, -1, 2, -2, 3, -3}, v)
	assert.Equal(t, &AddOptions{}, m.Operators[2].Options)
	assert.Equal(t, &SqueezeOptions{SqueezeDims: []int{0}}, m.Operators[5].Options)
	assert.Equal(t, int64(-5), m.Tensor(1).Quant.ZeroPoint[0])
}

func TestLabels(t *testing.T) {
	m := mustParse(t, synthLabeled(t))
	require.NotNil(t, m.Metadata)
	assert.Equal(t, Metadata{Name: "ImageClassifier", Version: "v1", Author: "tests", License: "Apache-2.0",
		AssociatedFiles: []string{"labels.txt"}}, *m.Metadata)
	assert.Equal(t, []string{"background", "cat", "dog"}, m.Labels)
	assert.Empty(t, m.Warnings)

	// No metadata: a labels*.txt is preferred to another text file.
	data := appendZip(t, pack(synthUint8()), "notes.txt", "a\n", "model/labels_en.txt", "x\ny\n")
	m = mustParse(t, data)
	assert.Nil(t, m.Metadata)
	assert.Equal(t, []string{"x", "y"}, m.Labels)

	// Else any text file.
	m = mustParse(t, appendZip(t, pack(synthUint8()), "classes.txt", "a\nb\n", "x.bin", "\x00"))
	assert.Equal(t, []string{"a", "b"}, m.Labels)

	// But not one the metadata lists as something else.
	mt := synthUint8()
	withMetadata(mt, &fb.ModelMetadataT{AssociatedFiles: []*fb.AssociatedFileT{{Name: "readme.txt", Type: fb.AssociatedFileTypeDESCRIPTIONS}}})
	m = mustParse(t, appendZip(t, pack(mt), "readme.txt", "about\n"))
	assert.Equal(t, []string{"readme.txt"}, m.Metadata.AssociatedFiles)
	assert.Nil(t, m.Labels)
	assert.Empty(t, m.Warnings)
}

func TestMetadataProblemsAreWarnings(t *testing.T) {
	// The metadata names a file the zip does not hold.
	mt := synthUint8()
	withMetadata(mt, labelMetadata("missing.txt"))
	m := mustParse(t, appendZip(t, pack(mt), "labels.txt", "a\n"))
	assert.Nil(t, m.Labels)
	assert.Equal(t, []string{`loader: label file "missing.txt" named by the metadata is not in the zip archive`}, m.Warnings)

	// No zip at all.
	m = mustParse(t, pack(mt))
	require.Len(t, m.Warnings, 1)
	assert.Contains(t, m.Warnings[0], `label file "missing.txt" named by the metadata: no zip archive`)

	// A metadata buffer that is not a metadata flatbuffer.
	mt = synthUint8()
	mt.Buffers = append(mt.Buffers, &fb.BufferT{Data: []byte("0123456789")})
	mt.Metadata = []*fb.MetadataT{{Name: "TFLITE_METADATA", Buffer: uint32(len(mt.Buffers) - 1)}}
	m = mustParse(t, pack(mt))
	assert.Nil(t, m.Metadata)
	assert.Equal(t, []string{"loader: TFLITE_METADATA: not a metadata flatbuffer (identifier is not M001)"}, m.Warnings)

	// A metadata buffer with garbage after a valid identifier.
	mt.Buffers[len(mt.Buffers)-1].Data = []byte("\xff\xff\xff\x7fM001\x01\x02")
	m = mustParse(t, pack(mt))
	require.Len(t, m.Warnings, 1)
	assert.Contains(t, m.Warnings[0], "loader: TFLITE_METADATA: malformed flatbuffer")

	// A metadata entry pointing at a buffer that does not exist.
	mt.Metadata[0].Buffer = 99
	m = mustParse(t, pack(mt))
	assert.Equal(t, []string{"loader: buffer index 99 out of range (model has 5 buffers)"}, m.Warnings)
}

func TestDecodeUnaligned(t *testing.T) {
	data := []byte{0xff, 0, 0, 0x80, 0x3f, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}
	f := Tensor{Type: Float32, Shape: []int{1}, Data: data[1:5]}
	v, err := f.Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1}, v)
	i := Tensor{Type: Int32, Shape: []int{1}, Data: data[5:9]}
	iv, err := i.Ints()
	require.NoError(t, err)
	assert.Equal(t, []int{2}, iv)
	l := Tensor{Type: Int64, Shape: []int{1}, Data: data[9:17]}
	lv, err := l.Ints()
	require.NoError(t, err)
	assert.Equal(t, []int{3}, lv)

	_, err = f.Int32s()
	assert.EqualError(t, err, `loader: tensor 0 "" is float32, want int32`)
	_, err = (&Tensor{Type: Float32, Shape: []int{1}}).Float32s()
	assert.EqualError(t, err, `loader: tensor 0 "" is not constant`)
}

func TestNames(t *testing.T) {
	assert.Equal(t, "CONV_2D", OpConv2D.String())
	assert.Equal(t, "DEPTHWISE_CONV_2D", OpDepthwiseConv2D.String())
	assert.Equal(t, "QUANTIZE", OpQuantize.String())
	assert.Equal(t, "RESIZE_BILINEAR", Op(23).String())
	assert.Equal(t, "Op(999)", Op(999).String())
	assert.Equal(t, "float32", Float32.String())
	assert.Equal(t, "uint8", UInt8.String())
	assert.Equal(t, "int8", Int8.String())
	assert.Equal(t, "int32", Int32.String())
	assert.Equal(t, "DType(-3)", DType(-3).String())
	assert.Equal(t, 4, Float32.ElemSize())
	assert.Equal(t, 1, UInt8.ElemSize())
	assert.Equal(t, 8, Int64.ElemSize())
	assert.Equal(t, 0, String.ElemSize())
	assert.Equal(t, "RELU6", ActRelu6.String())
	assert.Equal(t, "VALID", PaddingValid.String())
	assert.Equal(t, 1, (&Tensor{}).NumElements(), "a scalar has one element")
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.tflite")
	require.NoError(t, os.WriteFile(path, pack(synthUint8()), 0o644))
	m, err := ParseFile(path)
	require.NoError(t, err)
	assert.Len(t, m.Operators, 4)

	require.NoError(t, os.WriteFile(path, []byte("PK\x03\x04 not a model"), 0o644))
	_, err = ParseFile(path)
	assert.ErrorIs(t, err, ErrNotTFLite)
	assert.ErrorContains(t, err, "m.tflite")

	_, err = ParseFile(filepath.Join(t.TempDir(), "absent.tflite"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// Hostile inputs. Each mutates a valid synthetic model and expects a
// specific error.

func TestHostile(t *testing.T) {
	u8 := func(f func(m *fb.ModelT)) []byte { m := synthUint8(); f(m); return pack(m) }
	fl := func(f func(m *fb.ModelT)) []byte { m := synthFloat(); f(m); return pack(m) }
	i8 := func(f func(m *fb.ModelT)) []byte { m := synthInt8(); f(m); return pack(m) }
	tensors := func(m *fb.ModelT) []*fb.TensorT { return m.Subgraphs[0].Tensors }
	ops := func(m *fb.ModelT) []*fb.OperatorT { return m.Subgraphs[0].Operators }
	conv := func(m *fb.ModelT) *fb.Conv2DOptionsT { return ops(m)[0].BuiltinOptions.Value.(*fb.Conv2DOptionsT) }
	valid := pack(synthUint8())
	wrongID := append([]byte{}, valid...)
	copy(wrongID[4:], "TFL2")

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "loader: not a TFLite flatbuffer: 0 bytes is too short"},
		{"wrong identifier", wrongID, `loader: not a TFLite flatbuffer: file identifier "TFL2", want "TFL3"`},
		{"zip file", []byte("PK\x03\x04\x14\x00\x00\x00"), `file identifier "\x14\x00\x00\x00"`},
		{"root offset out of range", []byte("\xff\xff\x00\x00TFL3"), "loader: model: malformed flatbuffer"},
		{"schema version", u8(func(m *fb.ModelT) { m.Version = 2 }), "loader: schema version 2, want 3"},
		{"two subgraphs", u8(func(m *fb.ModelT) { m.Subgraphs = append(m.Subgraphs, m.Subgraphs[0]) }), "loader: model has 2 subgraphs, want exactly 1"},
		{"no subgraph", u8(func(m *fb.ModelT) { m.Subgraphs = nil }), "loader: model has 0 subgraphs, want exactly 1"},

		// Tensors.
		{"buffer too small", u8(func(m *fb.ModelT) { m.Buffers[1].Data = []byte{1, 2, 3, 4, 5} }),
			`loader: tensor 1 "conv/weights": buffer 1 holds 5 bytes, shape [2 1 1 3] uint8 needs 6`},
		{"buffer too large", u8(func(m *fb.ModelT) { m.Buffers[2].Data = make([]byte, 12) }),
			`loader: tensor 2 "conv/bias": buffer 2 holds 12 bytes, shape [2] int32 needs 8`},
		{"buffer index out of range", u8(func(m *fb.ModelT) { tensors(m)[3].Buffer = 42 }),
			`loader: tensor 3 "conv": buffer index 42 out of range (model has 4 buffers)`},
		{"external buffer outside the file", u8(func(m *fb.ModelT) { m.Buffers[1] = &fb.BufferT{Offset: 1 << 40, Size: 6} }),
			"loader: buffer 1: 6 bytes at offset 1099511627776 lie outside the"},
		{"negative dimension", u8(func(m *fb.ModelT) { tensors(m)[3].Shape = []int32{1, -4, 4, 2} }),
			`loader: tensor 3 "conv": negative dimension in shape [1 -4 4 2]`},
		{"huge shape", u8(func(m *fb.ModelT) { tensors(m)[3].Shape = []int32{1 << 30, 1 << 30, 1 << 30, 2} }),
			`loader: tensor 3 "conv": shape [1073741824 1073741824 1073741824 2] uint8 is larger than 268435456 bytes`},
		{"rank", u8(func(m *fb.ModelT) { tensors(m)[3].Shape = make([]int32, 9) }),
			`loader: tensor 3 "conv": rank 9 exceeds 8`},
		{"string tensor", u8(func(m *fb.ModelT) { tensors(m)[3].Type = fb.TensorTypeSTRING }),
			`loader: tensor 3 "conv": unsupported type string`},
		{"variable tensor", u8(func(m *fb.ModelT) { tensors(m)[3].IsVariable = true }),
			`loader: tensor 3 "conv": unsupported variable tensor`},
		{"sparse tensor", u8(func(m *fb.ModelT) { tensors(m)[1].Sparsity = &fb.SparsityParametersT{} }),
			`loader: tensor 1 "conv/weights": unsupported sparse tensor`},

		// Quantization.
		{"uint8 without quantization", u8(func(m *fb.ModelT) { tensors(m)[3].Quantization = nil }),
			`loader: tensor 3 "conv": uint8 tensor has no quantization parameters`},
		{"int8 with min/max only", i8(func(m *fb.ModelT) {
			tensors(m)[1].Quantization = &fb.QuantizationParametersT{Min: []float32{-1}, Max: []float32{1}}
		}), `loader: tensor 1 "quantized": int8 tensor has no quantization parameters`},
		{"zero scale", u8(func(m *fb.ModelT) { tensors(m)[0].Quantization.Scale[0] = 0 }),
			`loader: tensor 0 "input": scale 0 is not positive and finite`},
		{"NaN scale", u8(func(m *fb.ModelT) { tensors(m)[0].Quantization.Scale[0] = float32(math.NaN()) }),
			`loader: tensor 0 "input": scale NaN is not positive and finite`},
		{"infinite scale", u8(func(m *fb.ModelT) { tensors(m)[0].Quantization.Scale[0] = float32(math.Inf(1)) }),
			`loader: tensor 0 "input": scale +Inf is not positive and finite`},
		{"uint8 zero point", u8(func(m *fb.ModelT) { tensors(m)[0].Quantization.ZeroPoint[0] = 256 }),
			`loader: tensor 0 "input": zero point 256 is outside the uint8 range [0, 255]`},
		{"int8 zero point", i8(func(m *fb.ModelT) { tensors(m)[1].Quantization.ZeroPoint[0] = -129 }),
			`loader: tensor 1 "quantized": zero point -129 is outside the int8 range [-128, 127]`},
		{"scales without zero points", u8(func(m *fb.ModelT) { tensors(m)[0].Quantization.ZeroPoint = nil }),
			`loader: tensor 0 "input": quantization has 1 scales but 0 zero points`},
		{"per-channel count", i8(func(m *fb.ModelT) {
			q := tensors(m)[2].Quantization
			q.Scale, q.ZeroPoint = q.Scale[:2], q.ZeroPoint[:2]
		}), `loader: tensor 2 "conv/weights": 2 per-channel scales, but dimension 0 of shape [3 1 1 2] is 3`},
		{"per-channel axis", i8(func(m *fb.ModelT) { tensors(m)[2].Quantization.QuantizedDimension = 4 }),
			`loader: tensor 2 "conv/weights": quantized dimension 4 out of range for shape [3 1 1 2]`},
		{"custom quantization", u8(func(m *fb.ModelT) {
			tensors(m)[0].Quantization.Details = &fb.QuantizationDetailsT{Type: fb.QuantizationDetailsCustomQuantization, Value: &fb.CustomQuantizationT{}}
		}), `loader: tensor 0 "input": unsupported custom quantization`},

		// Subgraph inputs and outputs.
		{"subgraph input out of range", u8(func(m *fb.ModelT) { m.Subgraphs[0].Inputs = []int32{8} }),
			"loader: subgraph input 0 is tensor 8, out of range [0, 8)"},
		{"subgraph output -1", u8(func(m *fb.ModelT) { m.Subgraphs[0].Outputs = []int32{-1} }),
			"loader: subgraph output 0 is tensor -1, out of range [0, 8)"},
		{"no subgraph output", u8(func(m *fb.ModelT) { m.Subgraphs[0].Outputs = nil }),
			"loader: subgraph has 1 inputs and 0 outputs, want at least one of each"},
		{"constant subgraph input", u8(func(m *fb.ModelT) { m.Subgraphs[0].Inputs = []int32{0, 1} }),
			`loader: tensor 1 "conv/weights": subgraph input is constant or listed twice`},

		// Operators.
		{"unsupported op", u8(func(m *fb.ModelT) {
			m.OperatorCodes[0] = &fb.OperatorCodeT{DeprecatedBuiltinCode: 23, BuiltinCode: fb.BuiltinOperatorRESIZE_BILINEAR}
		}), "loader: operator 0: unsupported op RESIZE_BILINEAR (code 23)"},
		{"unsupported extended op", u8(func(m *fb.ModelT) {
			m.OperatorCodes[1] = &fb.OperatorCodeT{DeprecatedBuiltinCode: 127, BuiltinCode: fb.BuiltinOperatorGELU}
		}), "loader: operator 1: unsupported op GELU (code 150)"},
		{"unknown op code", u8(func(m *fb.ModelT) { m.OperatorCodes[1] = &fb.OperatorCodeT{BuiltinCode: 5000} }),
			"loader: operator 1: unsupported op Op(5000) (code 5000)"},
		{"custom op", u8(func(m *fb.ModelT) {
			m.OperatorCodes[0] = &fb.OperatorCodeT{DeprecatedBuiltinCode: 32, BuiltinCode: fb.BuiltinOperatorCUSTOM, CustomCode: "TFLite_Detection_PostProcess"}
		}), `loader: operator 0: unsupported custom op "TFLite_Detection_PostProcess"`},
		{"opcode index out of range", u8(func(m *fb.ModelT) { ops(m)[2].OpcodeIndex = 4 }),
			"loader: operator 2: opcode index 4 out of range (model has 4 operator codes)"},
		{"input out of range", u8(func(m *fb.ModelT) { ops(m)[0].Inputs[1] = 99 }),
			"loader: operator 0 CONV_2D: input 1 is tensor 99, out of range [0, 8)"},
		{"input below -1", u8(func(m *fb.ModelT) { ops(m)[0].Inputs[2] = -2 }),
			"loader: operator 0 CONV_2D: input 2 is tensor -2, out of range [0, 8)"},
		{"required input absent", u8(func(m *fb.ModelT) { ops(m)[0].Inputs[1] = -1 }),
			"loader: operator 0 CONV_2D: required input 1 is absent (-1)"},
		{"output out of range", u8(func(m *fb.ModelT) { ops(m)[3].Outputs[0] = 8 }),
			"loader: operator 3 SOFTMAX: output 0 is tensor 8, out of range [0, 8)"},
		{"too few inputs", u8(func(m *fb.ModelT) { ops(m)[0].Inputs = ops(m)[0].Inputs[:1] }),
			"loader: operator 0 CONV_2D: 1 inputs, want 2 to 3"},
		{"too many inputs", u8(func(m *fb.ModelT) { ops(m)[3].Inputs = []int32{6, 6} }),
			"loader: operator 3 SOFTMAX: 2 inputs, want 1 to 1"},
		{"two outputs", u8(func(m *fb.ModelT) { ops(m)[3].Outputs = []int32{7, 6} }),
			"loader: operator 3 SOFTMAX: 2 outputs, want 1"},
		{"missing options", u8(func(m *fb.ModelT) { ops(m)[0].BuiltinOptions = nil }),
			"loader: operator 0 CONV_2D: missing Conv2DOptions"},
		{"wrong options", u8(func(m *fb.ModelT) { ops(m)[0].BuiltinOptions = ops(m)[1].BuiltinOptions }),
			"loader: operator 0 CONV_2D: builtin options are Pool2DOptions, want Conv2DOptions"},
		{"options on an op without", fl(func(m *fb.ModelT) { ops(m)[5].BuiltinOptions = opts(fb.BuiltinOptionsAddOptions, &fb.AddOptionsT{}) }),
			"loader: operator 5 RELU6: builtin options are AddOptions, want NONE"},
		{"stride 0", u8(func(m *fb.ModelT) { conv(m).StrideW = 0 }),
			"loader: operator 0 CONV_2D: stride 0,1 (w,h) must be >= 1"},
		{"dilation 0", u8(func(m *fb.ModelT) { conv(m).DilationHFactor = 0 }),
			"loader: operator 0 CONV_2D: dilation 1,0 (w,h) must be >= 1"},
		{"negative dilation", u8(func(m *fb.ModelT) { conv(m).DilationWFactor = -3 }),
			"loader: operator 0 CONV_2D: dilation -3,1 (w,h) must be >= 1"},
		{"padding", u8(func(m *fb.ModelT) { conv(m).Padding = 2 }),
			"loader: operator 0 CONV_2D: padding 2 is neither SAME nor VALID"},
		{"fused tanh", u8(func(m *fb.ModelT) { conv(m).FusedActivationFunction = fb.ActivationFunctionTypeTANH }),
			"loader: operator 0 CONV_2D: unsupported fused activation TANH"},
		{"pool filter 0", u8(func(m *fb.ModelT) { ops(m)[1].BuiltinOptions.Value.(*fb.Pool2DOptionsT).FilterHeight = 0 }),
			"loader: operator 1 AVERAGE_POOL_2D: filter size 4,0 (w,h) must be >= 1"},
		{"depth multiplier 0", fl(func(m *fb.ModelT) { ops(m)[0].BuiltinOptions.Value.(*fb.DepthwiseConv2DOptionsT).DepthMultiplier = 0 }),
			"loader: operator 0 DEPTHWISE_CONV_2D: depth multiplier 0,1 (w,h) must be >= 1"},
		{"softmax beta 0", u8(func(m *fb.ModelT) { ops(m)[3].BuiltinOptions.Value.(*fb.SoftmaxOptionsT).Beta = 0 }),
			"loader: operator 3 SOFTMAX: softmax beta 0 is not positive and finite"},
		{"shuffled FC weights", fl(func(m *fb.ModelT) {
			ops(m)[4].BuiltinOptions.Value.(*fb.FullyConnectedOptionsT).WeightsFormat = fb.FullyConnectedOptionsWeightsFormatSHUFFLED4x16INT8
		}), "loader: operator 4 FULLY_CONNECTED: unsupported weights format SHUFFLED4x16INT8"},
		{"reshape new shape", u8(func(m *fb.ModelT) {
			ops(m)[2].BuiltinOptions = opts(fb.BuiltinOptionsReshapeOptions, &fb.ReshapeOptionsT{NewShape: []int32{1, -2}})
		}), "loader: operator 2 RESHAPE: new shape [1 -2] has a dimension below -1"},

		// Operands.
		{"filter rank", u8(func(m *fb.ModelT) { tensors(m)[1].Shape = []int32{2, 3} }),
			`loader: operator 0 CONV_2D: filter tensor 1 "conv/weights" has shape [2 3], want rank 4`},
		{"filter not constant", u8(func(m *fb.ModelT) { tensors(m)[1].Buffer = 0 }),
			`loader: operator 0 CONV_2D: filter tensor 1 "conv/weights" is not constant`},
		{"bias rank", u8(func(m *fb.ModelT) { tensors(m)[2].Shape = []int32{1, 2} }),
			`loader: operator 0 CONV_2D: bias tensor 2 "conv/bias" has shape [1 2], want rank 1`},
		{"bias length", u8(func(m *fb.ModelT) { tensors(m)[1].Shape = []int32{1, 1, 2, 3} }),
			`loader: operator 0 CONV_2D: bias tensor 2 "conv/bias" has 2 entries for 1 output channels`},
		{"depthwise filter", fl(func(m *fb.ModelT) { tensors(m)[1].Shape = []int32{2, 3, 3, 1} }),
			`loader: operator 0 DEPTHWISE_CONV_2D: filter tensor 1 "dw/weights" has shape [2 3 3 1], want [1 H W C]`},
		{"FC weights rank", fl(func(m *fb.ModelT) { tensors(m)[9].Shape = []int32{3, 2, 1} }),
			`loader: operator 4 FULLY_CONNECTED: filter tensor 9 "fc/weights" has shape [3 2 1], want rank 2`},
		{"paddings shape", fl(func(m *fb.ModelT) { tensors(m)[4].Shape = []int32{2, 4} }),
			`loader: operator 1 PAD: paddings tensor 4 "paddings" has shape [2 4], want [N 2]`},
		{"paddings type", fl(func(m *fb.ModelT) { tensors(m)[4].Type = fb.TensorTypeFLOAT32 }),
			`loader: operator 1 PAD: paddings tensor 4 "paddings" is float32, want int32 or int64`},
		{"mean axis not constant", fl(func(m *fb.ModelT) { tensors(m)[7].Buffer = 0 }),
			`loader: operator 3 MEAN: axis tensor 7 "axes" is not constant`},
		{"reshape shape rank", u8(func(m *fb.ModelT) { tensors(m)[5].Shape = []int32{1, 2} }),
			`loader: operator 2 RESHAPE: shape tensor 5 "shape" has shape [1 2], want rank 1`},

		// Graph order.
		{"read before written", u8(func(m *fb.ModelT) { o := ops(m); o[0], o[1] = o[1], o[0] }),
			`loader: operator 0 AVERAGE_POOL_2D: input tensor 3 "conv" is read before any operator writes it`},
		{"writes a constant", u8(func(m *fb.ModelT) { ops(m)[3].Outputs[0] = 5 }),
			`loader: operator 3 SOFTMAX: output tensor 5 "shape" is a constant, a subgraph input or written before`},
		{"writes twice", u8(func(m *fb.ModelT) { ops(m)[3].Outputs[0] = 4 }),
			`loader: operator 3 SOFTMAX: output tensor 4 "pool" is a constant, a subgraph input or written before`},
		{"output never written", u8(func(m *fb.ModelT) { m.Subgraphs[0].Operators = ops(m)[:3] }),
			`loader: subgraph output tensor 7 "prob" is never written`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestErrorKinds(t *testing.T) {
	_, err := Parse([]byte("hello world"))
	assert.ErrorIs(t, err, ErrNotTFLite)
	m := synthUint8()
	m.OperatorCodes[0] = &fb.OperatorCodeT{DeprecatedBuiltinCode: 23}
	_, err = Parse(pack(m))
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.NotErrorIs(t, err, ErrNotTFLite)
}

// Optional parts of operators that are absent must parse.
func TestOptionalOperands(t *testing.T) {
	m := synthUint8()
	m.Subgraphs[0].Operators[0].Inputs = m.Subgraphs[0].Operators[0].Inputs[:2] // no bias at all
	m.Subgraphs[0].Operators[2].Inputs = m.Subgraphs[0].Operators[2].Inputs[:1] // RESHAPE without shape tensor
	got := mustParse(t, pack(m))
	assert.Equal(t, []int{0, 1, -1}, got.Operators[0].Inputs)
	assert.Equal(t, []int{4, -1}, got.Operators[2].Inputs)

	// Deprecated-only opcodes (old files) and builtin-only codes (new files).
	m = synthUint8()
	for _, c := range m.OperatorCodes {
		c.DeprecatedBuiltinCode = 0
	}
	assert.Equal(t, []Op{OpConv2D, OpAveragePool2D, OpReshape, OpSoftmax}, opList(mustParse(t, pack(m))))
}

// patchVecLen finds the vector whose contents are elems in data and sets its
// length prefix to n.
func patchVecLen(t *testing.T, data, elems []byte, n uint32) []byte {
	t.Helper()
	out := append([]byte{}, data...)
	for i := 4; i+len(elems) <= len(out); i++ {
		if string(out[i:i+len(elems)]) == string(elems) {
			binary.LittleEndian.PutUint32(out[i-4:], n)
			return out
		}
	}
	require.Failf(t, "vector not found", "% x", elems)
	return nil
}

func TestHugeVectorLengths(t *testing.T) {
	m := synthUint8()
	valid := pack(m)
	for _, tc := range []struct {
		name  string
		elems []byte
		want  string
	}{
		{"buffer data", []byte{11, 12, 13, 14, 15, 16}, `loader: tensor 1 "conv/weights": malformed flatbuffer`},
		{"shape", le32[int32](2, 1, 1, 3), `loader: tensor 1 "conv/weights": rank 2147483647 exceeds 8`},
		{"scales", le32[float32](0.02), `loader: tensor 1 "conv/weights" scales: 2147483647 entries do not fit in 1376 bytes`},
		{"operator inputs", le32[int32](0, 1, 2), "loader: operator 0 CONV_2D: 2147483647 inputs, want 2 to 3"},
		{"name", []byte("conv/weights"), `loader: tensor 1: malformed flatbuffer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := patchVecLen(t, valid, tc.elems, math.MaxInt32)
			_, err := Parse(data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Parse must read only data[:len(data)], even when the slice has spare
// capacity (the fuzzer's inputs do; flatbuffers slices up to cap).
func TestIgnoresCapacity(t *testing.T) {
	valid := pack(synthUint8())
	patched := patchVecLen(t, valid, []byte{11, 12, 13, 14, 15, 16}, uint32(len(valid)+1000))
	data := append(make([]byte, 0, len(valid)+4096), patched...)
	_, err := Parse(data)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `loader: tensor 1 "conv/weights": malformed flatbuffer`)
}

func TestTruncated(t *testing.T) {
	labeled := synthUint8()
	withMetadata(labeled, labelMetadata("labels.txt"))
	for name, data := range synthSeeds(t) {
		end := len(data) // where the flatbuffer ends
		if name == "synth_labeled" {
			end = len(pack(labeled)) // then comes the zip
		}
		for n := range len(data) {
			m, err := Parse(data[:n])
			if err == nil {
				// Cutting the builder's trailing padding leaves a valid model.
				assert.Greater(t, n, end-16, "%s truncated to %d bytes parsed", name, n)
				checkModel(t, m)
			}
		}
	}
}

// Bit flips and random bytes must never panic; when they parse, the Model
// keeps every promise.
func TestBitFlips(t *testing.T) {
	for name, data := range synthSeeds(t) {
		buf := append([]byte{}, data...)
		for i := range len(buf) * 8 {
			buf[i/8] ^= 1 << (i % 8)
			if m, err := Parse(buf); err == nil {
				checkModel(t, m)
			}
			buf[i/8] ^= 1 << (i % 8)
		}
		_ = name
	}
}

func TestRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		data := make([]byte, r.IntN(2048))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		if len(data) >= 8 && i%2 == 0 {
			copy(data[4:], "TFL3")
		}
		_, err := Parse(data)
		require.Error(t, err, fmt.Sprintf("random input %d", i))
		if i%2 == 1 {
			assert.True(t, errors.Is(err, ErrNotTFLite))
		}
	}
}
