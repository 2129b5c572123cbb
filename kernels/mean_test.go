package kernels

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeanF32(t *testing.T) {
	s := Shape4{2, 2, 2, 2}
	in := []float32{
		1, 10, 2, 20, 3, 30, 4, 41, // batch 0: channel 0 {1,2,3,4}, channel 1 {10,20,30,41}
		-1, 0, -1, 0, -1, 0, -1, 1, // batch 1
	}
	out := make([]float32, 4)
	MeanF32(s, in, out)
	assert.Equal(t, []float32{2.5, 25.25, -1, 0.25}, out)
}

func meanU8(keepDims bool, s Shape4, inQ, outQ Quant, in []uint8) []uint8 {
	p := NewMeanParams(s, keepDims, inQ, outQ)
	out := make([]uint8, s.N*s.C)
	MeanU8(p, in, out)
	return out
}

func meanI8(keepDims bool, s Shape4, inQ, outQ Quant, in []int8) []int8 {
	p := NewMeanParams(s, keepDims, inQ, outQ)
	out := make([]int8, s.N*s.C)
	MeanI8(p, in, out)
	return out
}

// keep_dims uint8 with equal quantization: the average rounded half up,
// computed by TFLite as MultiplyByQuantizedMultiplier(sum, 1/n) (bias 0).
func TestMeanU8KeepDimsSameQuant(t *testing.T) {
	s := Shape4{1, 2, 2, 4}
	in := []uint8{ // channels: {1,2,3,4} {1,1,0,0} {1,1,1,0} {255 x4}
		1, 1, 1, 255,
		2, 1, 1, 255,
		3, 0, 1, 255,
		4, 0, 0, 255,
	}
	// 1/4 is 2^30 with shift -1: sum 10 -> SRDHM 5 -> 5/2 -> 3 (2.5 up);
	// sum 2 -> 1 -> 1/2 -> 1 (0.5 up); sum 3 -> 2 -> 1 (0.75).
	assert.Equal(t, []uint8{3, 1, 1, 255}, meanU8(true, s, Quant{0.023528477, 0}, Quant{0.023528477, 0}, in))
}

// TFLite's multiply rounds twice: SaturatingRoundingDoublingHighMul, then
// RoundingDivideByPOT. An average just below k + 1/2 can round to k + 1
// where AVERAGE_POOL_2D's (sum + n/2) / n gives k.
func TestMeanU8KeepDimsDoubleRounding(t *testing.T) {
	// n = 4, sum 1 (0.25): SRDHM(1, 2^30) = round(0.5) = 1, then
	// RoundingDivideByPOT(1, 1) = round(0.5) = 1.
	assert.Equal(t, uint8(1), meanU8(true, Shape4{1, 2, 2, 1}, Quant{0.5, 0}, Quant{0.5, 0}, []uint8{1, 0, 0, 0})[0], "n 4, sum 1")
	// Every k + 1/4 for n = 4: sum 5 (1.25) -> SRDHM 3 -> 1.5 -> 2.
	assert.Equal(t, uint8(2), meanU8(true, Shape4{1, 2, 2, 1}, Quant{0.5, 0}, Quant{0.5, 0}, []uint8{2, 1, 1, 1})[0], "n 4, sum 5")
	// MobileNet's 7x7 pool as a MEAN: sum 24 (0.49): the multiplier for
	// 1/49 at scale 0.0235 is 1402438400 with shift -5; SRDHM(24, M) =
	// round(15.67) = 16, and 16 / 2^5 = 0.5 rounds to 1.
	in := make([]uint8, 49)
	in[0] = 24
	assert.Equal(t, uint8(1), meanU8(true, Shape4{1, 7, 7, 1}, Quant{0.023528477, 0}, Quant{0.023528477, 0}, in)[0], "n 49, sum 24")
	p := NewMeanParams(Shape4{1, 7, 7, 1}, true, Quant{0.023528477, 0}, Quant{0.023528477, 0})
	assert.Equal(t, [3]int64{1402438400, -5, 0}, [3]int64{int64(p.Multiplier), int64(p.Shift), int64(p.Bias)}, "multiplier, shift, bias")
}

func TestMeanU8KeepDimsDifferentQuant(t *testing.T) {
	// Input (0.5, zp 10), output (0.25, zp 5): temp = 10*0.5/0.25 = 20,
	// +0.5 truncates to 20, bias = 5 - 20 = -15; real scale 0.5/(4*0.25)
	// = 0.5 (2^30, shift 0).
	p := NewMeanParams(Shape4{1, 2, 2, 1}, true, Quant{0.5, 10}, Quant{0.25, 5})
	require.Equal(t, [3]int64{1 << 30, 0, -15}, [3]int64{int64(p.Multiplier), int64(p.Shift), int64(p.Bias)}, "multiplier, shift, bias")
	s := Shape4{1, 2, 2, 3}
	in := []uint8{
		10, 10, 255,
		12, 11, 255,
		14, 10, 255,
		16, 10, 255,
	}
	// Channel 0: sum 52 -> 26 - 15 = 11 (real: mean 1.5 -> 6 + 5).
	// Channel 1: sum 41 -> SRDHM rounds 20.5 up to 21 -> 6.
	// Channel 2: 510 - 15 saturates to 255.
	assert.Equal(t, []uint8{11, 6, 255}, meanU8(true, s, Quant{0.5, 10}, Quant{0.25, 5}, in))
}

func TestMeanI8KeepDims(t *testing.T) {
	s := Shape4{1, 2, 2, 2}
	// Equal quantization, zp -128: channel 0 sum(x - zp) = 1 -> (1+2)/4
	// = 0 -> -128; channel 1 = 2 -> (2+2)/4 = 1 -> -127 (0.5 rounds away
	// from the zero point).
	in := []int8{-128, -127, -127, -127, -128, -128, -128, -128}
	assert.Equal(t, []int8{-128, -127}, meanI8(true, s, Quant{0.1, -128}, Quant{0.1, -128}, in), "same quant")
	// Input (0.5, zp -10), output (0.25, zp 3): inScale/outScale = 2 =
	// 2^30 with shift 2. Channel 0 {-10,-9,-8,-7}: sum(x - zp) = 6, x2 =
	// 12, /4 = 3, +3 = 6. Channel 1 {-11,-11,-11,-12}: -5 -> -10 -> (-10-2)/4
	// = -3 -> 0.
	in = []int8{-10, -11, -9, -11, -8, -11, -7, -12}
	assert.Equal(t, []int8{6, 0}, meanI8(true, s, Quant{0.5, -10}, Quant{0.25, 3}, in), "different quant")
}

// Without keep_dims TFLite truncates (equal quantization) or rounds in
// float32 (different quantization).
func TestMeanNoKeepDims(t *testing.T) {
	s := Shape4{1, 2, 2, 2}
	in := []uint8{1, 10, 2, 11, 3, 10, 4, 10}
	// Equal quantization: 10/4 truncates to 2; 41/4 to 10.
	assert.Equal(t, []uint8{2, 10}, meanU8(false, s, Quant{0.5, 10}, Quant{0.5, 10}, in), "uint8 same quant")
	inI := []int8{-1, 0, -2, 0, -3, 0, -4, 1}
	// -10/4 truncates toward zero to -2; 1/4 to 0.
	assert.Equal(t, []int8{-2, 0}, meanI8(false, s, Quant{0.5, 0}, Quant{0.5, 0}, inI), "int8 same quant")
	// Input (0.5, 10), output (0.25, 5): scale 2, bias -20. Channel 0
	// {1,2,3,4}: 2.5*2 - 20 = -15 -> -10 -> 0 (clamped). Channel 1
	// {10,11,10,10}: 10.25*2 - 20 = 0.5 rounds away to 1 -> 6.
	assert.Equal(t, []uint8{0, 6}, meanU8(false, s, Quant{0.5, 10}, Quant{0.25, 5}, in), "uint8 different quant")
}

func TestMeanZeroAllocs(t *testing.T) {
	s := Shape4{1, 7, 7, 1024}
	in := make([]uint8, s.Size())
	out := make([]uint8, s.C)
	for _, keep := range []bool{true, false} {
		p := NewMeanParams(s, keep, Quant{0.02, 0}, Quant{0.03, 5})
		n := testing.AllocsPerRun(5, func() { MeanU8(p, in, out) })
		assert.Zero(t, n, "keep_dims %v: allocations per run", keep)
	}
}
