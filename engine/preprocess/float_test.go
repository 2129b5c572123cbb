package preprocess

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestToFloat32(t *testing.T) {
	src := make([]byte, 256)
	for i := range src {
		src[i] = byte(i)
	}
	dst := make([]float32, 256)
	require.NoError(t, ToFloat32(dst, src))
	le := make([]byte, 4*256)
	require.NoError(t, ToFloat32LE(le, src))
	for i, x := range src {
		want := float32(float64(x)/127.5 - 1)
		require.Equal(t, want, dst[i], "ToFloat32 byte %d", x)
		require.Equal(t, want, Float(x), "Float byte %d", x)
		require.Equal(t, want, math.Float32frombits(binary.LittleEndian.Uint32(le[4*i:])), "LE byte %d", x)
	}
	assert.Equal(t, [2]float32{-1, 1}, [2]float32{dst[0], dst[255]}, "ends")
	assert.Error(t, ToFloat32(dst[:3], src), "ToFloat32 accepted a short dst")
	assert.Error(t, ToFloat32LE(le[:1023], src), "ToFloat32LE accepted a wrong dst")
	n := testing.AllocsPerRun(5, func() { _ = ToFloat32(dst, src) })
	assert.Zero(t, n, "ToFloat32: allocations per run")
}
