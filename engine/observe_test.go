package engine_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
)

// TestRunObserved: RunObserved reports the float input and every float
// operator output, in order, and computes what Run does.
func TestRunObserved(t *testing.T) {
	b, err := os.ReadFile(testdata.Path(t, "models", "mobilenet_v1_0.25_224.tflite"))
	require.NoError(t, err)
	c, err := engine.Load([][]byte{b}, engine.Options{})
	require.NoError(t, err)
	img, _, err := imagefile.DecodeFile(testdata.Path(t, "images", "cat.bmp"))
	require.NoError(t, err)
	_, err = c.Classify(img, 1)
	require.NoError(t, err)
	want := bytes.Clone(c.Output())
	clear(c.Output())

	var ops []int
	var last []float32
	require.NoError(t, c.ObserveImage(img, func(o engine.Observation) {
		ops = append(ops, o.Op)
		require.Equal(t, o.Tensor.NumElements(), len(o.Values))
		require.Equal(t, loader.Float32, o.Tensor.Type)
		if o.Op >= 0 {
			require.Equal(t, o.Tensor.Index, o.Operator.Outputs[0])
		}
		last = append(last[:0], o.Values...)
	}))
	require.Len(t, ops, 32, "the input and 31 operators")
	for i, op := range ops {
		assert.Equal(t, i-1, op)
	}
	assert.Equal(t, want, c.Output(), "the same output as Run")
	assert.Len(t, last, 1001)

	// A quantized model has no float tensors to report.
	q, err := engine.LoadFiles([]string{testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")}, engine.Options{})
	require.NoError(t, err)
	n := 0
	q.RunObserved(func(engine.Observation) { n++ })
	assert.Zero(t, n)
}
