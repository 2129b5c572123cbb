package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

var inf32 = float32(math.Inf(1))

func TestReluF32(t *testing.T) {
	in := []float32{-1, -1e-30, 0, 3, 6, 7, 1e30}
	out := make([]float32, len(in))
	ReluF32(in, out)
	assert.Equal(t, []float32{0, 0, 0, 3, 6, 7, 1e30}, out, "relu")
	Relu6F32(in, out)
	assert.Equal(t, []float32{0, 0, 0, 3, 6, 6, 6}, out, "relu6")
	// In place.
	Relu6F32(in, in)
	assert.Equal(t, []float32{0, 0, 0, 3, 6, 6, 6}, in, "relu6 in place")
}

func TestReluU8SameQuant(t *testing.T) {
	// Scale 0.1, zero point 10: RELU clamps below at 10 + round(0/0.1) =
	// 10; RELU6 above at 10 + round(6/0.1f) = 10 + 60 (6/0.1f is 59.9999991,
	// which rounds to float32 60).
	in := []uint8{0, 9, 10, 50, 70, 71, 255}
	out := make([]uint8, len(in))
	ReluU8(NewReluParams(0, inf32, Quant{0.1, 10}, Quant{0.1, 10}, false), in, out)
	assert.Equal(t, []uint8{10, 10, 10, 50, 70, 71, 255}, out, "relu")
	p := NewReluParams(0, 6, Quant{0.1, 10}, Quant{0.1, 10}, false)
	assert.Equal(t, &ReluParams{InputZeroPoint: 10, OutputZeroPoint: 10, Multiplier: 1 << 30, Shift: 1, ActMin: 10, ActMax: 70}, p, "relu6 params")
	ReluU8(p, in, out)
	assert.Equal(t, []uint8{10, 10, 10, 50, 70, 70, 70}, out, "relu6")
}

// The bound 6/scale is rounded half away from zero (roundf), as TFLite's
// QuantizedReluX: 6/12 = 0.5 gives 1 (XNNPACK's round-half-even would give
// 0).
func TestRelu6BoundRoundsHalfAwayFromZero(t *testing.T) {
	p := NewReluParams(0, 6, Quant{12, 0}, Quant{12, 0}, false)
	assert.Equal(t, int32(1), p.ActMax, "ActMax")
	out := make([]uint8, 4)
	ReluU8(p, []uint8{0, 1, 2, 200}, out)
	assert.Equal(t, []uint8{0, 1, 1, 1}, out)
}

// Different input and output quantization: TFLite requantizes with
// MultiplyByQuantizedMultiplier(q - inZP, inScale/outScale) + outZP.
func TestReluU8Requantizes(t *testing.T) {
	// Input (0.5, zp 10), output (0.25, 0): x2, multiplier 2^30 shift 2;
	// RELU6 bound 6/0.25 = 24.
	p := NewReluParams(0, 6, Quant{0.5, 10}, Quant{0.25, 0}, false)
	out := make([]uint8, 4)
	ReluU8(p, []uint8{5, 10, 13, 30}, out)
	// (5-10)*2 = -10 -> 0; 0; 6; 40 -> 24.
	assert.Equal(t, []uint8{0, 0, 6, 24}, out)
}

func TestReluI8(t *testing.T) {
	in := []int8{-128, -21, -20, 0, 127}
	out := make([]int8, len(in))
	ReluI8(NewReluParams(0, inf32, Quant{0.05, -20}, Quant{0.05, -20}, true), in, out)
	assert.Equal(t, []int8{-20, -20, -20, 0, 127}, out, "relu")
	// RELU6: -20 + round(6/0.05f) = -20 + 120 = 100.
	ReluI8(NewReluParams(0, 6, Quant{0.05, -20}, Quant{0.05, -20}, true), in, out)
	assert.Equal(t, []int8{-20, -20, -20, 0, 100}, out, "relu6")
	// RELU_N1_TO_1 with zero point -128 at scale 1/64: [-128 - 64, -128 +
	// 64] clamped to the type: [-128, -64].
	ReluI8(NewReluParams(-1, 1, Quant{1.0 / 64, -128}, Quant{1.0 / 64, -128}, true), in, out)
	assert.Equal(t, []int8{-128, -64, -64, -64, -64}, out, "relu_n1_to_1")
}

func TestReluZeroAllocs(t *testing.T) {
	u := make([]uint8, 1000)
	p := NewReluParams(0, 6, Quant{0.1, 10}, Quant{0.1, 10}, false)
	n := testing.AllocsPerRun(5, func() { ReluU8(p, u, u) })
	assert.Zero(t, n, "allocations per run")
}
