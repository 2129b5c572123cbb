package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/tflitewrite"
	"mobilenet-wasm/train"
)

// TestModelSource rebuilds each shared model's first file from a loaded
// classifier, which keeps no file, and checks that it is the file as
// tflitewrite rewrites it and that a teaching session's export from it is
// the export from the original file.
func TestModelSource(t *testing.T) {
	for _, m := range testdata.GoldenModels {
		t.Run(m.Name, func(t *testing.T) {
			files := m.Read(t)
			orig := append([]byte(nil), files[0]...)
			d, err := tflitewrite.ReadFileDetails(files[0])
			require.NoError(t, err)
			c, err := engine.Load(files, engine.Options{})
			require.NoError(t, err)
			clear(files[0]) // the classifier must not need it

			got, err := modelSource(c, d)
			require.NoError(t, err)
			g, err := tflitewrite.FromBytes(orig)
			require.NoError(t, err)
			want, err := tflitewrite.Write(g)
			require.NoError(t, err)
			require.Equal(t, want, got, "the rebuilt file")

			dim := 1
			for _, s := range c.Info().Embedding.Shape {
				dim *= s
			}
			h := &train.Head{Layers: []train.Layer{{In: dim, Out: 2, W: make([]float64, 2*dim), B: []float64{0.5, -0.5}}}}
			for i := range h.Layers[0].W {
				h.Layers[0].W[i] = float64(i%7) / 10
			}
			opts := train.ExportOptions{Labels: []string{"a", "b"}}
			a, errA := train.Export(orig, h, opts)
			b, errB := train.Export(got, h, opts)
			require.NoError(t, errA)
			require.NoError(t, errB)
			require.Equal(t, a, b, "the export from the rebuilt file")
		})
	}
}
