package engine

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/kernels"
)

// TestBadInput: every API returns a clear error for bad input, and the
// classifier keeps working afterwards.
func TestBadInput(t *testing.T) {
	small := testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")
	head := testdata.Path(t, "models", "mobilenet_quant_v1_224_head_layers.tflite")
	data, err := os.ReadFile(small)
	require.NoError(t, err)

	_, err = LoadFiles([]string{"/nonexistent/model.tflite"}, Options{})
	require.ErrorContains(t, err, "no such file")
	_, err = Load(nil, Options{})
	require.EqualError(t, err, "engine: no model given")
	_, err = Load([][]byte{[]byte("this is not a model at all, just text")}, Options{})
	require.ErrorContains(t, err, "not a TFLite")
	// (Cutting only the zipped labels at the very end leaves a valid model.)
	for _, n := range []int{0, 7, 100, 1000, len(data) / 3, len(data) / 2} {
		_, err = Load([][]byte{data[:n]}, Options{})
		require.Error(t, err, "truncated to %d bytes", n)
	}
	_, err = LoadFiles([]string{small, head}, Options{})
	require.ErrorContains(t, err, "engine: model 1 outputs [1 1001] uint8 but model 2 takes")
	_, err = Load([][]byte{data}, Options{Labels: []string{"a", "b"}})
	require.EqualError(t, err, "engine: 2 labels for a model with 1001 classes")

	c, err := Load([][]byte{data}, Options{})
	require.NoError(t, err)
	_, err = c.Infer(make([]byte, 10))
	require.EqualError(t, err, "engine: input is 10 bytes; the model takes [1 128 128 3] uint8 = 49152 bytes")
	_, err = c.ClassifyRGBA(make([]byte, 10), 640, 480, 640*4, 5)
	require.Error(t, err)
	_, err = c.ClassifyRGBA(make([]byte, 4*8*8), 8, 8, 16, 5)
	require.Error(t, err, "stride below 4*width")

	// Still working: a grey frame classifies.
	preds, err := c.ClassifyRGBA(grey(64, 48), 64, 48, 64*4, 3)
	require.NoError(t, err)
	require.Len(t, preds, 3)
	require.GreaterOrEqual(t, preds[0].Score, preds[1].Score)
}

func grey(w, h int) []byte {
	pix := make([]byte, 4*w*h)
	for i := range pix {
		pix[i] = 128
	}
	return pix
}

// TestEmbed: the feature vector is the 1024 (x width) channels before the
// logits, for a single model and for the extractor+head chain, and the
// chain's equals what the head reads.
func TestEmbed(t *testing.T) {
	c := loadShared(t, sharedModels[0], kernels.SchemeFP32)
	v, err := c.EmbedRGBA(grey(32, 32), 32, 32, 128)
	require.NoError(t, err)
	require.Len(t, v, 256)
	chain := loadShared(t, sharedModels[4], kernels.SchemeFP32)
	v, err = chain.EmbedRGBA(grey(32, 32), 32, 32, 128)
	require.NoError(t, err)
	require.Len(t, v, 1024)
	nonzero := 0
	for _, x := range v {
		require.GreaterOrEqual(t, x, float32(0), "after ReLU6")
		if x != 0 {
			nonzero++
		}
	}
	require.Greater(t, nonzero, 100)
	require.Equal(t, []int{1, 1, 1, 1024}, chain.Info().Embedding.Shape)
}
