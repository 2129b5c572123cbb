package kernels

import (
	"math"
	"slices"
	"testing"
)

var inf32 = float32(math.Inf(1))

func TestReluF32(t *testing.T) {
	in := []float32{-1, -1e-30, 0, 3, 6, 7, 1e30}
	out := make([]float32, len(in))
	ReluF32(in, out)
	if want := []float32{0, 0, 0, 3, 6, 7, 1e30}; !slices.Equal(out, want) {
		t.Errorf("relu: got %v, want %v", out, want)
	}
	Relu6F32(in, out)
	if want := []float32{0, 0, 0, 3, 6, 6, 6}; !slices.Equal(out, want) {
		t.Errorf("relu6: got %v, want %v", out, want)
	}
	// In place.
	Relu6F32(in, in)
	if want := []float32{0, 0, 0, 3, 6, 6, 6}; !slices.Equal(in, want) {
		t.Errorf("relu6 in place: got %v, want %v", in, want)
	}
}

func TestReluU8SameQuant(t *testing.T) {
	// Scale 0.1, zero point 10: RELU clamps below at 10 + round(0/0.1) =
	// 10; RELU6 above at 10 + round(6/0.1f) = 10 + 60 (6/0.1f is 59.9999991,
	// which rounds to float32 60).
	in := []uint8{0, 9, 10, 50, 70, 71, 255}
	out := make([]uint8, len(in))
	ReluU8(NewReluParams(0, inf32, Quant{0.1, 10}, Quant{0.1, 10}, false), in, out)
	if want := []uint8{10, 10, 10, 50, 70, 71, 255}; !slices.Equal(out, want) {
		t.Errorf("relu: got %v, want %v", out, want)
	}
	p := NewReluParams(0, 6, Quant{0.1, 10}, Quant{0.1, 10}, false)
	if p.ActMin != 10 || p.ActMax != 70 || p.Multiplier != 1<<30 || p.Shift != 1 {
		t.Errorf("relu6 params %+v", *p)
	}
	ReluU8(p, in, out)
	if want := []uint8{10, 10, 10, 50, 70, 70, 70}; !slices.Equal(out, want) {
		t.Errorf("relu6: got %v, want %v", out, want)
	}
}

// The bound 6/scale is rounded half away from zero (roundf), as TFLite's
// QuantizedReluX: 6/12 = 0.5 gives 1 (XNNPACK's round-half-even would give
// 0).
func TestRelu6BoundRoundsHalfAwayFromZero(t *testing.T) {
	p := NewReluParams(0, 6, Quant{12, 0}, Quant{12, 0}, false)
	if p.ActMax != 1 {
		t.Errorf("ActMax = %d, want 1", p.ActMax)
	}
	out := make([]uint8, 4)
	ReluU8(p, []uint8{0, 1, 2, 200}, out)
	if want := []uint8{0, 1, 1, 1}; !slices.Equal(out, want) {
		t.Errorf("got %v, want %v", out, want)
	}
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
	if want := []uint8{0, 0, 6, 24}; !slices.Equal(out, want) {
		t.Errorf("got %v, want %v", out, want)
	}
}

func TestReluI8(t *testing.T) {
	in := []int8{-128, -21, -20, 0, 127}
	out := make([]int8, len(in))
	ReluI8(NewReluParams(0, inf32, Quant{0.05, -20}, Quant{0.05, -20}, true), in, out)
	if want := []int8{-20, -20, -20, 0, 127}; !slices.Equal(out, want) {
		t.Errorf("relu: got %v, want %v", out, want)
	}
	// RELU6: -20 + round(6/0.05f) = -20 + 120 = 100.
	ReluI8(NewReluParams(0, 6, Quant{0.05, -20}, Quant{0.05, -20}, true), in, out)
	if want := []int8{-20, -20, -20, 0, 100}; !slices.Equal(out, want) {
		t.Errorf("relu6: got %v, want %v", out, want)
	}
	// RELU_N1_TO_1 with zero point -128 at scale 1/64: [-128 - 64, -128 +
	// 64] clamped to the type: [-128, -64].
	ReluI8(NewReluParams(-1, 1, Quant{1.0 / 64, -128}, Quant{1.0 / 64, -128}, true), in, out)
	if want := []int8{-128, -64, -64, -64, -64}; !slices.Equal(out, want) {
		t.Errorf("relu_n1_to_1: got %v, want %v", out, want)
	}
}

func TestReluZeroAllocs(t *testing.T) {
	u := make([]uint8, 1000)
	p := NewReluParams(0, 6, Quant{0.1, 10}, Quant{0.1, 10}, false)
	if n := testing.AllocsPerRun(5, func() { ReluU8(p, u, u) }); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}
