package engine

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/loader"
)

// TestKeepsNoModelFile loads the shared models, overwrites the files'
// bytes the engine was given, and checks that the outputs do not change
// (the plan reads nothing of the files after Load) and that Models gives
// back every constant as the file holds it.
func TestKeepsNoModelFile(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			files := m.Read(t)
			keep := make([][]byte, len(files))
			for i, b := range files {
				keep[i] = bytes.Clone(b)
			}
			ref, err := Load(keep, Options{})
			require.NoError(t, err)
			c, err := Load(files, Options{})
			require.NoError(t, err)
			for _, b := range files {
				for i := range b {
					b[i] = 0x5a
				}
			}
			in := c.Input()
			for i := range in {
				in[i] = byte(i * 7)
			}
			copy(ref.Input(), in)
			c.Run()
			ref.Run()
			assert.Equal(t, ref.Output(), c.Output(), "outputs after the files were overwritten")

			got := c.Models()
			require.Len(t, got, len(keep))
			for i, b := range keep {
				want, err := loader.Parse(b)
				require.NoError(t, err)
				require.Len(t, got[i].Tensors, len(want.Tensors))
				for j := range want.Tensors {
					assert.Equal(t, want.Tensors[j].Data, got[i].Tensors[j].Data, "model %d tensor %d %q", i, j, want.Tensors[j].Name)
				}
			}

			mem := c.Memory()
			assert.Zero(t, mem.SIMDWeights, "natively nothing is packed for SIMD")
			assert.Positive(t, mem.PortableWeights)
			assert.Positive(t, mem.Arena)
			t.Logf("%s: %+v, total %d", m.Name, mem, mem.Total())
		})
	}
}
