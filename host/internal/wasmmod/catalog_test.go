package wasmmod

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/models"
)

// TestCatalogModelsRunInWasm: the synthetic twin of each of the release's 32
// models loads in the wasm module and gives, with the SIMD kernels, the
// same output bytes as the native engine on a random input.
func TestCatalogModelsRunInWasm(t *testing.T) {
	mod := openModule(t)
	linked, enabled, err := mod.SIMD()
	require.NoError(t, err)
	require.True(t, linked && enabled, "SIMD kernels linked and on")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, e := range models.Catalog {
		data, err := models.SynthEntry(e, 1)
		require.NoError(t, err, e.Name)
		native, err := engine.Load([][]byte{data}, engine.Options{})
		require.NoError(t, err, e.Name)
		in := native.Input()
		for i := range in {
			in[i] = byte(rng.IntN(256))
		}
		if !e.Quantized { // keep float inputs finite: values in [0.5, 1)
			for i := 0; i < len(in); i += 4 {
				in[i+3], in[i+2] = 0x3f, in[i+2]&0x7f
			}
		}
		want, err := native.Infer(in)
		require.NoError(t, err, e.Name)
		md, err := mod.Load([][]byte{data}, Options{})
		require.NoError(t, err, e.Name)
		got, err := md.Infer(in)
		require.NoError(t, err, e.Name)
		require.Equal(t, want, got, "%s: wasm (SIMD) and native outputs differ", e.Name)
		require.NoError(t, md.Close())
	}
}
