package loader

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	flatbuffers "github.com/google/flatbuffers/go"
	fb "mobilenet-wasm/loader/tflitefb"
)

// Small synthetic models, built with the generated object API. Tests mutate
// them to make hostile inputs; their packed bytes seed the fuzzer.

// builder assembles a one-subgraph model.
type builder struct {
	m  *fb.ModelT
	sg *fb.SubGraphT
}

func newBuilder() *builder {
	sg := &fb.SubGraphT{Name: "main"}
	return &builder{
		m: &fb.ModelT{
			Version:     3,
			Description: "synthetic",
			Subgraphs:   []*fb.SubGraphT{sg},
			Buffers:     []*fb.BufferT{{}}, // buffer 0: the empty sentinel
		},
		sg: sg,
	}
}

// tensor adds a tensor (constant when data is not nil) and returns its index.
func (b *builder) tensor(name string, typ fb.TensorType, shape []int32, data []byte, q *fb.QuantizationParametersT) int32 {
	buf := uint32(0)
	if data != nil {
		buf = uint32(len(b.m.Buffers))
		b.m.Buffers = append(b.m.Buffers, &fb.BufferT{Data: data})
	}
	b.sg.Tensors = append(b.sg.Tensors, &fb.TensorT{Name: name, Type: typ, Shape: shape, Buffer: buf, Quantization: q})
	return int32(len(b.sg.Tensors) - 1)
}

// op appends an operator, adding its operator code when new.
func (b *builder) op(code fb.BuiltinOperator, in, out []int32, opts *fb.BuiltinOptionsT) {
	idx := -1
	for i, c := range b.m.OperatorCodes {
		if c.BuiltinCode == code {
			idx = i
		}
	}
	if idx < 0 {
		idx = len(b.m.OperatorCodes)
		b.m.OperatorCodes = append(b.m.OperatorCodes, &fb.OperatorCodeT{
			DeprecatedBuiltinCode: int8(min(code, fb.BuiltinOperatorPLACEHOLDER_FOR_GREATER_OP_CODES)),
			BuiltinCode:           code,
			Version:               1,
		})
	}
	b.sg.Operators = append(b.sg.Operators, &fb.OperatorT{OpcodeIndex: uint32(idx), Inputs: in, Outputs: out, BuiltinOptions: opts})
}

func (b *builder) io(in, out []int32) { b.sg.Inputs, b.sg.Outputs = in, out }

func quant(scale float32, zp int64) *fb.QuantizationParametersT {
	return &fb.QuantizationParametersT{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
}

func opts(t fb.BuiltinOptions, v any) *fb.BuiltinOptionsT {
	return &fb.BuiltinOptionsT{Type: t, Value: v}
}

func le32[T int32 | float32](v ...T) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		switch x := any(x).(type) {
		case int32:
			out = binary.LittleEndian.AppendUint32(out, uint32(x))
		case float32:
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
		}
	}
	return out
}

// pack serializes a model with the TFL3 identifier.
func pack(m *fb.ModelT) []byte {
	b := flatbuffers.NewBuilder(1024)
	b.FinishWithFileIdentifier(m.Pack(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// synthUint8 is a uint8 model shaped like the release's quantized
// MobileNets: CONV_2D (+bias, RELU6), AVERAGE_POOL_2D, RESHAPE (shape
// tensor, no options), SOFTMAX.
func synthUint8() *fb.ModelT {
	b := newBuilder()
	in := b.tensor("input", fb.TensorTypeUINT8, []int32{1, 4, 4, 3}, nil, quant(1.0/128, 128))
	w := b.tensor("conv/weights", fb.TensorTypeUINT8, []int32{2, 1, 1, 3}, []byte{11, 12, 13, 14, 15, 16}, quant(0.02, 120))
	bias := b.tensor("conv/bias", fb.TensorTypeINT32, []int32{2}, le32[int32](-7, 9), quant(0.02/128, 0))
	conv := b.tensor("conv", fb.TensorTypeUINT8, []int32{1, 4, 4, 2}, nil, quant(0.05, 0))
	pool := b.tensor("pool", fb.TensorTypeUINT8, []int32{1, 1, 1, 2}, nil, quant(0.05, 0))
	shape := b.tensor("shape", fb.TensorTypeINT32, []int32{2}, le32[int32](1, 2), nil)
	logits := b.tensor("logits", fb.TensorTypeUINT8, []int32{1, 2}, nil, quant(0.05, 0))
	prob := b.tensor("prob", fb.TensorTypeUINT8, []int32{1, 2}, nil, quant(1.0/256, 0))
	b.op(fb.BuiltinOperatorCONV_2D, []int32{in, w, bias}, []int32{conv}, opts(fb.BuiltinOptionsConv2DOptions,
		&fb.Conv2DOptionsT{StrideW: 1, StrideH: 1, DilationWFactor: 1, DilationHFactor: 1, FusedActivationFunction: fb.ActivationFunctionTypeRELU6}))
	b.op(fb.BuiltinOperatorAVERAGE_POOL_2D, []int32{conv}, []int32{pool}, opts(fb.BuiltinOptionsPool2DOptions,
		&fb.Pool2DOptionsT{Padding: fb.PaddingVALID, StrideW: 2, StrideH: 2, FilterWidth: 4, FilterHeight: 4}))
	b.op(fb.BuiltinOperatorRESHAPE, []int32{pool, shape}, []int32{logits}, nil)
	b.op(fb.BuiltinOperatorSOFTMAX, []int32{logits}, []int32{prob}, opts(fb.BuiltinOptionsSoftmaxOptions, &fb.SoftmaxOptionsT{Beta: 1}))
	b.io([]int32{in}, []int32{prob})
	return b.m
}

// synthFloat is a float32 model using the ops other converters emit:
// DEPTHWISE_CONV_2D, PAD, MAX_POOL_2D, MEAN, FULLY_CONNECTED, RELU6,
// SOFTMAX. Only deprecated_builtin_code is set, like in old TOCO files.
func synthFloat() *fb.ModelT {
	b := newBuilder()
	in := b.tensor("input", fb.TensorTypeFLOAT32, []int32{1, 4, 4, 2}, nil, &fb.QuantizationParametersT{Min: []float32{0}, Max: []float32{255}})
	dw := b.tensor("dw/weights", fb.TensorTypeFLOAT32, []int32{1, 3, 3, 2}, le32[float32](1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18), nil)
	dwb := b.tensor("dw/bias", fb.TensorTypeFLOAT32, []int32{2}, le32[float32](0.5, -0.5), nil)
	dwo := b.tensor("dw", fb.TensorTypeFLOAT32, []int32{1, 4, 4, 2}, nil, nil)
	pads := b.tensor("paddings", fb.TensorTypeINT32, []int32{4, 2}, le32[int32](0, 0, 1, 1, 1, 1, 0, 0), nil)
	pado := b.tensor("pad", fb.TensorTypeFLOAT32, []int32{1, 6, 6, 2}, nil, nil)
	mp := b.tensor("maxpool", fb.TensorTypeFLOAT32, []int32{1, 3, 3, 2}, nil, nil)
	axes := b.tensor("axes", fb.TensorTypeINT32, []int32{2}, le32[int32](1, 2), nil)
	mean := b.tensor("mean", fb.TensorTypeFLOAT32, []int32{1, 2}, nil, nil)
	fcw := b.tensor("fc/weights", fb.TensorTypeFLOAT32, []int32{3, 2}, le32[float32](1, 0, 0, 1, 1, 1), nil)
	fcb := b.tensor("fc/bias", fb.TensorTypeFLOAT32, []int32{3}, le32[float32](0, 0, 0), nil)
	fc := b.tensor("fc", fb.TensorTypeFLOAT32, []int32{1, 3}, nil, nil)
	r6 := b.tensor("relu6", fb.TensorTypeFLOAT32, []int32{1, 3}, nil, nil)
	prob := b.tensor("prob", fb.TensorTypeFLOAT32, []int32{1, 3}, nil, &fb.QuantizationParametersT{})
	b.op(fb.BuiltinOperatorDEPTHWISE_CONV_2D, []int32{in, dw, dwb}, []int32{dwo}, opts(fb.BuiltinOptionsDepthwiseConv2DOptions,
		&fb.DepthwiseConv2DOptionsT{StrideW: 1, StrideH: 1, DepthMultiplier: 1, DilationWFactor: 1, DilationHFactor: 1}))
	b.op(fb.BuiltinOperatorPAD, []int32{dwo, pads}, []int32{pado}, opts(fb.BuiltinOptionsPadOptions, &fb.PadOptionsT{}))
	b.op(fb.BuiltinOperatorMAX_POOL_2D, []int32{pado}, []int32{mp}, opts(fb.BuiltinOptionsPool2DOptions,
		&fb.Pool2DOptionsT{Padding: fb.PaddingSAME, StrideW: 2, StrideH: 2, FilterWidth: 2, FilterHeight: 2}))
	b.op(fb.BuiltinOperatorMEAN, []int32{mp, axes}, []int32{mean}, opts(fb.BuiltinOptionsReducerOptions, &fb.ReducerOptionsT{KeepDims: false}))
	b.op(fb.BuiltinOperatorFULLY_CONNECTED, []int32{mean, fcw, fcb}, []int32{fc}, opts(fb.BuiltinOptionsFullyConnectedOptions,
		&fb.FullyConnectedOptionsT{FusedActivationFunction: fb.ActivationFunctionTypeRELU}))
	b.op(fb.BuiltinOperatorRELU6, []int32{fc}, []int32{r6}, nil)
	b.op(fb.BuiltinOperatorSOFTMAX, []int32{r6}, []int32{prob}, opts(fb.BuiltinOptionsSoftmaxOptions, &fb.SoftmaxOptionsT{Beta: 0.5}))
	b.io([]int32{in}, []int32{prob})
	for _, c := range b.m.OperatorCodes {
		c.BuiltinCode = 0
	}
	return b.m
}

// synthInt8 is an int8 model with per-channel weights: QUANTIZE, CONV_2D
// (no bias: -1), ADD, RELU, DEQUANTIZE, SQUEEZE.
func synthInt8() *fb.ModelT {
	b := newBuilder()
	in := b.tensor("input", fb.TensorTypeFLOAT32, []int32{1, 2, 2, 2}, nil, nil)
	q := b.tensor("quantized", fb.TensorTypeINT8, []int32{1, 2, 2, 2}, nil, quant(0.01, -5))
	w := b.tensor("conv/weights", fb.TensorTypeINT8, []int32{3, 1, 1, 2}, []byte{1, 0xff, 2, 0xfe, 3, 0xfd},
		&fb.QuantizationParametersT{Scale: []float32{0.1, 0.2, 0.3}, ZeroPoint: []int64{0, 0, 0}, QuantizedDimension: 0})
	conv := b.tensor("conv", fb.TensorTypeINT8, []int32{1, 2, 2, 3}, nil, quant(0.02, 3))
	addend := b.tensor("addend", fb.TensorTypeINT8, []int32{1, 1, 1, 3}, []byte{1, 2, 3}, quant(0.02, 0))
	sum := b.tensor("sum", fb.TensorTypeINT8, []int32{1, 2, 2, 3}, nil, quant(0.03, -1))
	relu := b.tensor("relu", fb.TensorTypeINT8, []int32{1, 2, 2, 3}, nil, quant(0.03, -128))
	deq := b.tensor("dequantized", fb.TensorTypeFLOAT32, []int32{1, 2, 2, 3}, nil, nil)
	out := b.tensor("output", fb.TensorTypeFLOAT32, []int32{2, 2, 3}, nil, nil)
	b.op(fb.BuiltinOperatorQUANTIZE, []int32{in}, []int32{q}, nil)
	b.op(fb.BuiltinOperatorCONV_2D, []int32{q, w, -1}, []int32{conv}, opts(fb.BuiltinOptionsConv2DOptions,
		&fb.Conv2DOptionsT{StrideW: 1, StrideH: 1, DilationWFactor: 1, DilationHFactor: 1}))
	b.op(fb.BuiltinOperatorADD, []int32{conv, addend}, []int32{sum}, opts(fb.BuiltinOptionsAddOptions, &fb.AddOptionsT{}))
	b.op(fb.BuiltinOperatorRELU, []int32{sum}, []int32{relu}, nil)
	b.op(fb.BuiltinOperatorDEQUANTIZE, []int32{relu}, []int32{deq}, opts(fb.BuiltinOptionsDequantizeOptions, &fb.DequantizeOptionsT{}))
	b.op(fb.BuiltinOperatorSQUEEZE, []int32{deq}, []int32{out}, opts(fb.BuiltinOptionsSqueezeOptions, &fb.SqueezeOptionsT{SqueezeDims: []int32{0}}))
	b.io([]int32{in}, []int32{out})
	return b.m
}

// withMetadata adds a TFLITE_METADATA buffer to m.
func withMetadata(m *fb.ModelT, md *fb.ModelMetadataT) {
	b := flatbuffers.NewBuilder(256)
	b.FinishWithFileIdentifier(md.Pack(b), []byte("M001"))
	m.Buffers = append(m.Buffers, &fb.BufferT{Data: b.FinishedBytes()})
	m.Metadata = append(m.Metadata, &fb.MetadataT{Name: "TFLITE_METADATA", Buffer: uint32(len(m.Buffers) - 1)})
}

// labelMetadata names a TENSOR_AXIS_LABELS file on the output tensor, as the
// release's metadata does.
func labelMetadata(file string) *fb.ModelMetadataT {
	return &fb.ModelMetadataT{
		Name:    "ImageClassifier",
		Version: "v1",
		Author:  "tests",
		License: "Apache-2.0",
		SubgraphMetadata: []*fb.SubGraphMetadataT{{
			InputTensorMetadata: []*fb.TensorMetadataT{{Name: "image"}},
			OutputTensorMetadata: []*fb.TensorMetadataT{{
				Name:            "probability",
				AssociatedFiles: []*fb.AssociatedFileT{{Name: file, Type: fb.AssociatedFileTypeTENSOR_AXIS_LABELS}},
			}},
		}},
	}
}

// appendZip appends a zip archive of files (name, contents pairs) to model,
// the way TFLite's metadata populator does.
func appendZip(t testing.TB, model []byte, files ...string) []byte {
	var out bytes.Buffer
	out.Write(model)
	zw := zip.NewWriter(&out)
	zw.SetOffset(int64(len(model)))
	for i := 0; i < len(files); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: files[i], Method: zip.Store})
		require.NoError(t, err)
		w.Write([]byte(files[i+1]))
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// synthLabeled is synthUint8 with metadata naming labels.txt, zipped at the
// end together with a decoy text file.
func synthLabeled(t testing.TB) []byte {
	m := synthUint8()
	withMetadata(m, labelMetadata("labels.txt"))
	return appendZip(t, pack(m), "readme.txt", "not labels\n", "labels.txt", "background\r\ncat\n\n dog \n")
}

// synthSeeds are the synthetic models, packed.
func synthSeeds(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"synth_uint8":   pack(synthUint8()),
		"synth_float":   pack(synthFloat()),
		"synth_int8":    pack(synthInt8()),
		"synth_labeled": synthLabeled(t),
	}
}
