package quantize

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAffineParams(t *testing.T) {
	for _, tc := range []struct {
		name       string
		lo, hi     float64
		qmin, qmax int
		scale      float64
		zp         int
	}{
		{"relu6 uint8", 0, 6, 0, 255, float64(float32(6.0 / 255)), 0},
		{"relu6 int8", 0, 6, -128, 127, float64(float32(6.0 / 255)), -128},
		// zero point -128 + 127.5 = -0.5 rounds half away from zero.
		{"symmetric int8", -1, 1, -128, 127, float64(float32(2.0 / 255)), -1},
		{"symmetric uint8", -1, 1, 0, 255, float64(float32(2.0 / 255)), 128},
		{"range above 0 includes 0", 2, 5, 0, 255, float64(float32(5.0 / 255)), 0},
		{"range below 0 includes 0", -4, -1, 0, 255, float64(float32(4.0 / 255)), 255},
		{"degenerate becomes [0, 1]", 0, 0, 0, 255, float64(float32(1.0 / 255)), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scale, zp := affineParams(tc.lo, tc.hi, tc.qmin, tc.qmax)
			assert.Equal(t, tc.scale, scale)
			assert.Equal(t, tc.zp, zp)
			// 0 is exactly representable: it quantizes to the zero point.
			assert.Equal(t, zp, quantizeValue(0, scale, zp, tc.qmin, tc.qmax))
		})
	}
}

func TestQuantizeValueRoundsHalfAwayFromZero(t *testing.T) {
	assert.Equal(t, 3, quantizeValue(2.5, 1, 0, -128, 127))
	assert.Equal(t, -3, quantizeValue(-2.5, 1, 0, -128, 127))
	assert.Equal(t, 127, quantizeValue(1000, 1, 0, -128, 127), "clamped")
	assert.Equal(t, 0, quantizeValue(-1000, 1, 10, 0, 255), "clamped")
}

func TestAsymmetricWeights(t *testing.T) {
	q, scale, zp := asymmetricWeights([]float32{-1, 0, 0.5}, 0)
	assert.Equal(t, float64(float32(1.5/255)), scale)
	assert.Equal(t, 170, zp) // 1/scale = 170
	assert.Equal(t, []byte{0, 170, 255}, q)

	// A bias that would overflow int32 raises the scale.
	_, scale, _ = asymmetricWeights([]float32{-1, 1}, 0.5)
	assert.GreaterOrEqual(t, scale, 0.5)
}

func TestSymmetricWeightsPerChannel(t *testing.T) {
	// CONV_2D filter [OC=2, 1, 1, IC=3]: one scale per output channel.
	w := []float32{1, -2, 0.5, 0, 0, 0}
	q, scales := symmetricWeights(w, []int{2, 1, 1, 3}, 0, nil)
	require.Len(t, scales, 2)
	assert.Equal(t, float64(float32(2.0/127)), scales[0])
	// The all-zero channel borrows the largest scale.
	assert.Equal(t, scales[0], scales[1])
	assert.Equal(t, []int8{64, -127, 32, 0, 0, 0}, asInt8(q))

	// DEPTHWISE_CONV_2D filter [1, 1, 2, C=3]: channels on dimension 3.
	w = []float32{1, 2, 4, -1, -2, 2}
	q, scales = symmetricWeights(w, []int{1, 1, 2, 3}, 3, nil)
	require.Len(t, scales, 3)
	for c, m := range []float64{1, 2, 4} {
		assert.Equal(t, float64(float32(m/127)), scales[c], "channel %d", c)
	}
	assert.Equal(t, []int8{127, 127, 127, -127, -127, 64}, asInt8(q))

	// Per tensor (FULLY_CONNECTED).
	_, scales = symmetricWeights(w, []int{2, 3}, -1, nil)
	assert.Equal(t, []float64{float64(float32(4.0 / 127))}, scales)

	// A minimum scale (from a large bias) wins.
	_, scales = symmetricWeights([]float32{1, 1}, []int{2, 1}, 0, []float64{0, 1})
	assert.Equal(t, float64(float32(1.0/127)), scales[0])
	assert.InDelta(t, 1, scales[1], 1e-5)
}

func asInt8(b []byte) []int8 {
	out := make([]int8, len(b))
	for i, x := range b {
		out[i] = int8(x)
	}
	return out
}

func TestInt32Bias(t *testing.T) {
	data, scales := int32Bias([]float32{2.5, -2.5, 1e12}, 0.5, []float64{2, 4, 1})
	assert.Equal(t, []float32{1, 2, 0.5}, scales)
	var got []int32
	for i := range 3 {
		got = append(got, int32(binary.LittleEndian.Uint32(data[4*i:])))
	}
	// 2.5/1 rounds half away from zero; -2.5/2 = -1.25; 1e12 clamps.
	assert.Equal(t, []int32{3, -1, math.MaxInt32}, got)

	ms := biasMinScale([]float32{1e12}, 0.5)
	assert.InDelta(t, float64(float32(1e12))/(0.5*math.MaxInt32), ms[0], 1e-9*ms[0])
}
