package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
)

// TestRecognizeShared: the release's files of the shared test data are
// recognised by their shapes, the split 1.0_224 as its two parts.
func TestRecognizeShared(t *testing.T) {
	for file, want := range map[string]Match{
		"mobilenet_v1_0.25_128_quant.tflite":                    {Entry: entryOf(t, "mobilenet_v1_0.25_128_quant")},
		"mobilenet_v1_0.5_160_quant.tflite":                     {Entry: entryOf(t, "mobilenet_v1_0.5_160_quant")},
		"mobilenet_v1_0.75_192_quant.tflite":                    {Entry: entryOf(t, "mobilenet_v1_0.75_192_quant")},
		"mobilenet_v1_0.25_224.tflite":                          {Entry: entryOf(t, "mobilenet_v1_0.25_224")},
		"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite": {Entry: entryOf(t, "mobilenet_v1_1.0_224_quant"), Part: Extractor},
		"mobilenet_quant_v1_224_head_layers.tflite":             {Entry: entryOf(t, "mobilenet_v1_1.0_224_quant"), Part: Head},
	} {
		m, err := loader.ParseFile(testdata.Path(t, "models", file))
		require.NoError(t, err)
		got, ok := Identify(m)
		require.True(t, ok, file)
		assert.Equal(t, want, got, file)
		e, ok := Recognize(m)
		assert.True(t, ok)
		assert.Equal(t, want.Entry, e)
	}
}

func entryOf(t *testing.T, name string) Entry {
	t.Helper()
	e, ok := Lookup(name)
	require.True(t, ok, name)
	return e
}

// TestRecognizeRejects: a model that differs from the architecture in any
// checked way is not recognised.
func TestRecognizeRejects(t *testing.T) {
	data, err := Synth(SynthOptions{Width: 0.25, Resolution: 128, Quantized: true})
	require.NoError(t, err)
	parse := func() *loader.Model {
		m, err := loader.Parse(data)
		require.NoError(t, err)
		return m
	}
	_, ok := Identify(parse())
	require.True(t, ok)

	for name, mutate := range map[string]func(m *loader.Model){
		"int8 input": func(m *loader.Model) { m.Tensors[m.Inputs[0]].Type = loader.Int8 },
		"resolution 96": func(m *loader.Model) {
			m.Tensors[m.Inputs[0]].Shape = []int{1, 96, 96, 3}
		},
		"first conv 12 channels": func(m *loader.Model) {
			m.Tensors[m.Operators[0].Inputs[1]].Shape = []int{12, 3, 3, 3}
		},
		"stride 1 in block 2": func(m *loader.Model) {
			m.Operators[3].Options.(*loader.DepthwiseConv2DOptions).StrideW = 1
		},
		"no ReLU6": func(m *loader.Model) {
			m.Operators[5].Options.(*loader.DepthwiseConv2DOptions).Activation = loader.ActRelu
		},
		"VALID padding": func(m *loader.Model) {
			m.Operators[0].Options.(*loader.Conv2DOptions).Padding = loader.PaddingValid
		},
		"wider pointwise": func(m *loader.Model) {
			m.Tensors[m.Operators[2].Inputs[1]].Shape = []int{17, 1, 1, 8}
		},
		"pool of 3": func(m *loader.Model) {
			m.Operators[27].Options.(*loader.Pool2DOptions).FilterW = 3
		},
		"1000 classes": func(m *loader.Model) {
			m.Tensors[m.Outputs[0]].Shape = []int{1, 1000}
		},
		"an op dropped": func(m *loader.Model) {
			m.Operators = append(m.Operators[:10:10], m.Operators[11:]...)
		},
		"an op reads another tensor": func(m *loader.Model) {
			m.Operators[4].Inputs[0] = m.Operators[2].Outputs[0]
		},
		"output is not the softmax": func(m *loader.Model) {
			m.Outputs = []int{m.Operators[29].Outputs[0]}
		},
		"two inputs": func(m *loader.Model) { m.Inputs = append(m.Inputs, 5) },
	} {
		m := parse()
		mutate(m)
		_, ok := Identify(m)
		assert.False(t, ok, name)
	}
}

func TestMatchFile(t *testing.T) {
	e := entryOf(t, "mobilenet_v1_1.0_224_quant")
	assert.Equal(t, "mobilenet_v1_1.0_224_quant.tflite", Match{Entry: e}.File())
	assert.Equal(t, "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", Match{Entry: e, Part: Extractor}.File())
	assert.Equal(t, "mobilenet_v1_1.0_224_quant_head_layers.tflite", Match{Entry: e, Part: Head}.File())
}
