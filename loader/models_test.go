package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// The shared models (../shared/models): what the loader must find in them.

func sharedModel(t *testing.T, name string) *Model {
	t.Helper()
	m, err := ParseFile(testdata.Path(t, "models", name))
	require.NoError(t, err)
	checkModel(t, m)
	return m
}

func opList(m *Model) []Op {
	ops := make([]Op, len(m.Operators))
	for i, o := range m.Operators {
		ops[i] = o.Op
	}
	return ops
}

// mobilenetOps is the op list of a whole MobileNet V1: a full conv, 13
// depthwise-separable blocks, the average pool, the 1x1 logits conv, the
// squeeze (RESHAPE or SQUEEZE) and SOFTMAX.
func mobilenetOps(squeeze Op) []Op {
	ops := []Op{OpConv2D}
	for range 13 {
		ops = append(ops, OpDepthwiseConv2D, OpConv2D)
	}
	return append(ops, OpAveragePool2D, OpConv2D, squeeze, OpSoftmax)
}

func TestSharedModelsAllParse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata.Path(t, "models"), "*.tflite"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			m, err := ParseFile(f)
			require.NoError(t, err)
			checkModel(t, m)
			assert.Empty(t, m.Warnings)
		})
	}
}

func TestQuantModel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		res, ch   int // input resolution, channels before the pool
		poolSize  int
		firstConv []int
	}{
		{"mobilenet_v1_0.25_128_quant.tflite", 128, 256, 4, []int{8, 3, 3, 3}},
		{"mobilenet_v1_0.5_160_quant.tflite", 160, 512, 5, []int{16, 3, 3, 3}},
		{"mobilenet_v1_0.75_192_quant.tflite", 192, 768, 6, []int{24, 3, 3, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := sharedModel(t, tc.name)
			assert.Equal(t, 3, m.Version)
			assert.Equal(t, "MLIR Converted.", m.Description)
			assert.Equal(t, mobilenetOps(OpReshape), opList(m))

			in := m.Input(0)
			assert.Equal(t, "input", in.Name)
			assert.Equal(t, []int{1, tc.res, tc.res, 3}, in.Shape)
			assert.Equal(t, UInt8, in.Type)
			assert.Equal(t, &Quant{Scale: []float32{0.0078125}, ZeroPoint: []int64{128}}, in.Quant)
			out := m.Output(0)
			assert.Equal(t, []int{1, 1001}, out.Shape)
			assert.Equal(t, UInt8, out.Type)
			assert.Equal(t, &Quant{Scale: []float32{1.0 / 256}, ZeroPoint: []int64{0}}, out.Quant)

			conv := m.Operators[0]
			assert.Equal(t, &Conv2DOptions{Padding: PaddingSame, StrideW: 2, StrideH: 2, DilationW: 1, DilationH: 1, Activation: ActRelu6}, conv.Options)
			w := m.Tensor(conv.Inputs[1])
			assert.Equal(t, tc.firstConv, w.Shape)
			assert.Equal(t, UInt8, w.Type)
			assert.Len(t, w.Data, w.NumElements())
			b := m.Tensor(conv.Inputs[2])
			assert.Equal(t, Int32, b.Type)
			assert.Equal(t, []int64{0}, b.Quant.ZeroPoint)

			pool := m.Operators[27]
			assert.Equal(t, &Pool2DOptions{Padding: PaddingValid, StrideW: 2, StrideH: 2, FilterW: tc.poolSize, FilterH: tc.poolSize}, pool.Options)
			assert.Equal(t, []int{1, tc.poolSize, tc.poolSize, tc.ch}, m.Tensor(pool.Inputs[0]).Shape)

			// RESHAPE: no options; the new shape is a constant int32 input.
			reshape := m.Operators[29]
			assert.Equal(t, &ReshapeOptions{}, reshape.Options)
			shape, err := m.Tensor(reshape.Inputs[1]).Ints()
			require.NoError(t, err)
			assert.Equal(t, []int{1, 1001}, shape)
			assert.Equal(t, &SoftmaxOptions{Beta: 1}, m.Operators[30].Options)

			require.NotNil(t, m.Metadata)
			assert.Equal(t, "ImageClassifier", m.Metadata.Name)
			assert.Equal(t, []string{"imagenet_labels.txt"}, m.Metadata.AssociatedFiles)
			require.Len(t, m.Labels, 1001)
			assert.Equal(t, "background", m.Labels[0])
			assert.Equal(t, "tench, Tinca tinca", m.Labels[1])
			assert.Equal(t, sharedLabels(t), m.Labels)
		})
	}
}

func sharedLabels(t *testing.T) []string {
	b, err := os.ReadFile(testdata.Path(t, "models", "imagenet_labels.txt"))
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestFloatModel(t *testing.T) {
	m := sharedModel(t, "mobilenet_v1_0.25_224.tflite")
	assert.Equal(t, "TOCO Converted.", m.Description)
	assert.Equal(t, mobilenetOps(OpSqueeze), opList(m))
	for i := range m.Tensors {
		assert.Equal(t, Float32, m.Tensors[i].Type)
		assert.Nil(t, m.Tensors[i].Quant, "tensor %d", i) // min/max only
	}
	in, out := m.Input(0), m.Output(0)
	assert.Equal(t, []int{1, 224, 224, 3}, in.Shape)
	assert.Equal(t, []int{1, 1001}, out.Shape)
	assert.Equal(t, &SqueezeOptions{SqueezeDims: []int{1, 2}}, m.Operators[29].Options)
	assert.Nil(t, m.Metadata)
	assert.Nil(t, m.Labels)

	bias, err := m.Tensor(m.Operators[0].Inputs[2]).Float32s()
	require.NoError(t, err)
	assert.Len(t, bias, 8)
}

func TestEmbeddingExtractorAndHead(t *testing.T) {
	ext := sharedModel(t, "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite")
	ops := mobilenetOps(OpReshape)
	assert.Equal(t, ops[:28], opList(ext)) // up to the average pool
	assert.Equal(t, []int{1, 224, 224, 3}, ext.Input(0).Shape)
	emb := ext.Output(0)
	assert.Equal(t, []int{1, 1, 1, 1024}, emb.Shape)
	assert.Equal(t, UInt8, emb.Type)
	assert.Nil(t, ext.Metadata)
	assert.Nil(t, ext.Labels)

	head := sharedModel(t, "mobilenet_quant_v1_224_head_layers.tflite")
	assert.Equal(t, []Op{OpConv2D, OpReshape, OpSoftmax}, opList(head))
	hin := head.Input(0)
	assert.Equal(t, emb.Shape, hin.Shape)
	assert.Equal(t, emb.Quant, hin.Quant, "the head takes the extractor's output unchanged")
	assert.InDelta(t, 0.0235285, hin.Quant.Scale[0], 1e-7)
	assert.Equal(t, &Conv2DOptions{StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1}, head.Operators[0].Options)
	// This (TOCO) file gives RESHAPE's new shape both ways.
	assert.Equal(t, &ReshapeOptions{NewShape: []int{1, 1001}}, head.Operators[1].Options)
	shape, err := head.Tensor(head.Operators[1].Inputs[1]).Ints()
	require.NoError(t, err)
	assert.Equal(t, []int{1, 1001}, shape)
	assert.Equal(t, []int{1, 1001}, head.Output(0).Shape)
	assert.Nil(t, head.Metadata)
}
