package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddF32(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		name       string
		a, b, want []float32
		lo, hi     float32
	}{
		{"same shape", []float32{1, 2, 3}, []float32{10, 20, 30}, []float32{11, 22, 33}, -inf, inf},
		{"last-dim vector", []float32{1, 2, 3, 4}, []float32{10, 20}, []float32{11, 22, 13, 24}, -inf, inf},
		{"scalar", []float32{1, 2, 3}, []float32{-0.5}, []float32{0.5, 1.5, 2.5}, -inf, inf},
		{"relu6", []float32{-3, 2, 5}, []float32{1, 1, 1}, []float32{0, 3, 6}, 0, 6},
	}
	for _, c := range cases {
		out := make([]float32, len(c.a))
		AddF32(c.a, c.b, out, c.lo, c.hi)
		assert.Equal(t, c.want, out, "%s", c.name)
	}
	// In place.
	a := []float32{1, 2}
	AddF32(a, []float32{1, 1}, a, -inf, inf)
	assert.Equal(t, []float32{2, 3}, a, "in place")
}

// NNAPI conformance vectors V1_0 add_quant8 and add_broadcast_quant8:
// scales 2 and 1, zero points 0, output scale 1.
func TestAddU8NNAPIVectors(t *testing.T) {
	for _, scheme := range bothSchemes {
		// op1 (scale 2) {1, 2} + op2 (scale 1) {3, 4} = {5, 8}.
		p := NewAddParams(scheme, Quant{2, 0}, Quant{1, 0}, Quant{1, 0}, 0, 255)
		out := make([]uint8, 2)
		AddU8(p, []uint8{1, 2}, []uint8{3, 4}, out)
		assert.Equal(t, []uint8{5, 8}, out, "%v same shape", scheme)
		// The broadcast operand goes second: {1, 2, 3, 4} (scale 1) +
		// {1, 2} (scale 2) along the last dimension = {3, 6, 5, 8}.
		p = NewAddParams(scheme, Quant{1, 0}, Quant{2, 0}, Quant{1, 0}, 0, 255)
		out = make([]uint8, 4)
		AddU8(p, []uint8{1, 2, 3, 4}, []uint8{1, 2}, out)
		assert.Equal(t, []uint8{3, 6, 5, 8}, out, "%v broadcast", scheme)
	}
}

func TestAddReferenceParams(t *testing.T) {
	// Scales 0.5 and 0.25 into 1: twice the max is 1, so the input
	// multipliers are 0.5 (2^30, shift 0) and 0.25 (2^30, shift -1), the
	// output multiplier 1/2^20 (2^30, shift -19).
	p := NewAddParams(SchemeReference, Quant{0.5, 2}, Quant{0.25, 0}, Quant{1, 10}, 0, 255)
	ref := AddParams{Scheme: SchemeReference, UseReference: true,
		Input1Offset: -2, Input2Offset: 0, OutputOffset: 10, LeftShift: 20,
		Input1Multiplier: 1 << 30, Input1Shift: 0, Input2Multiplier: 1 << 30, Input2Shift: -1,
		OutputMultiplier: 1 << 30, OutputShift: -19, ActMin: 0, ActMax: 255}
	assert.Equal(t, &ref, p, "reference params")
	// XNNPACK: ratios 0.5 and 0.25, max exponent -1, shift 21;
	// multipliers 2^20 and 2^19; bias -(2^20 * 2).
	p = NewAddParams(SchemeFP32, Quant{0.5, 2}, Quant{0.25, 0}, Quant{1, 10}, 0, 255)
	// The reference fields are filled as well.
	fp32 := ref
	fp32.Scheme, fp32.UseReference = SchemeFP32, false
	fp32.Shift, fp32.A1Multiplier, fp32.A2Multiplier, fp32.Bias = 21, 1<<20, 1<<19, -(1 << 21)
	assert.Equal(t, &fp32, p, "fp32 params")
}

// The schemes round exact halves differently: TFLite's reference rounds
// -0.5 away from zero, XNNPACK's (acc + 2^(shift-1)) >> shift rounds it up.
func TestAddRoundingOfNegativeHalves(t *testing.T) {
	// (1 - 2) * 0.5 + (0 - 0) * 0.25 = -0.5, output zero point 10.
	// Reference: s1 = -2^19, RoundingDivideByPOT(-2^18, 19) = -1 -> 9.
	// XNNPACK: acc = -2^21 + 2^20 = -2^20, (-2^20 + 2^20) >> 21 = 0 -> 10.
	// +0.5 ((3 - 2) * 0.5) gives 11 in both.
	want := map[Scheme][]uint8{SchemeReference: {9, 11}, SchemeFP32: {10, 11}}
	for _, scheme := range bothSchemes {
		p := NewAddParams(scheme, Quant{0.5, 2}, Quant{0.25, 0}, Quant{1, 10}, 0, 255)
		out := make([]uint8, 2)
		AddU8(p, []uint8{1, 3}, []uint8{0, 0}, out)
		assert.Equal(t, want[scheme], out, "%v", scheme)
	}
	// int8, zero points -3, -128 and -5: (-4 + 3) * 0.5 = -0.5.
	wantI8 := map[Scheme][]int8{SchemeReference: {-6, -4}, SchemeFP32: {-5, -4}}
	for _, scheme := range bothSchemes {
		p := NewAddParams(scheme, Quant{0.5, -3}, Quant{0.25, -128}, Quant{1, -5}, -128, 127)
		out := make([]int8, 2)
		AddI8(p, []int8{-4, -2}, []int8{-128, -128}, out)
		assert.Equal(t, wantI8[scheme], out, "%v int8", scheme)
	}
}

func TestAddScalarBroadcastAndClamp(t *testing.T) {
	for _, scheme := range bothSchemes {
		p := NewAddParams(scheme, Quant{1, 0}, Quant{1, 0}, Quant{1, 0}, 0, 255)
		out := make([]uint8, 3)
		AddU8(p, []uint8{0, 1, 2}, []uint8{10}, out)
		assert.Equal(t, []uint8{10, 11, 12}, out, "%v scalar", scheme)
		// Saturation at the type's top and a fused clamp.
		AddU8(p, []uint8{200, 250, 5}, []uint8{100}, out)
		assert.Equal(t, []uint8{255, 255, 105}, out, "%v saturate", scheme)
		p = NewAddParams(scheme, Quant{1, 0}, Quant{1, 0}, Quant{1, 0}, 3, 6)
		AddU8(p, []uint8{0, 2, 9}, []uint8{1}, out)
		assert.Equal(t, []uint8{3, 3, 6}, out, "%v clamp", scheme)
	}
}

// XNNPACK takes an ADD only when both scale ratios lie in [2^-10, 2^8);
// otherwise TFLite's own kernel (the reference arithmetic) runs.
func TestAddFP32FallsBackOutsideXNNPACKRange(t *testing.T) {
	assert.True(t, NewAddParams(SchemeFP32, Quant{512, 0}, Quant{1, 0}, Quant{1, 0}, 0, 255).UseReference, "ratio 512: want the reference arithmetic")
	assert.True(t, NewAddParams(SchemeFP32, Quant{1.0 / 2048, 0}, Quant{1, 0}, Quant{1, 0}, 0, 255).UseReference, "ratio 2^-11: want the reference arithmetic")
	assert.False(t, NewAddParams(SchemeFP32, Quant{255, 0}, Quant{1.0 / 1024, 0}, Quant{1, 0}, 0, 255).UseReference, "ratios 255 and 2^-10: want XNNPACK's arithmetic")
}

// Random quantizations: both schemes land within one of the exactly
// rounded real sum.
func TestAddRandomWithinOneOfExact(t *testing.T) {
	seed := uint64(11)
	r := rand.New(rand.NewPCG(seed, 0))
	for iter := range 300 {
		s1 := float32(math.Exp2(r.Float64()*8 - 6))
		s2 := float32(math.Exp2(r.Float64()*8 - 6))
		so := float32(math.Exp2(r.Float64()*4 - 1))
		zp1, zp2, zpo := int32(r.IntN(256)), int32(r.IntN(256)), int32(r.IntN(256))
		for _, scheme := range bothSchemes {
			p := NewAddParams(scheme, Quant{s1, zp1}, Quant{s2, zp2}, Quant{so, zpo}, 0, 255)
			for range 20 {
				q1, q2 := int32(r.IntN(256)), int32(r.IntN(256))
				exact := (float64(q1-zp1)*float64(s1)+float64(q2-zp2)*float64(s2))/float64(so) + float64(zpo)
				exact = math.Max(0, math.Min(255, exact))
				out := make([]uint8, 1)
				AddU8(p, []uint8{uint8(q1)}, []uint8{uint8(q2)}, out)
				require.LessOrEqual(t, math.Abs(float64(out[0])-exact), 1.0,
					"seed %d iteration %d %v: %d*%g(zp %d) + %d*%g(zp %d) -> %d (scale %g zp %d), exact %.3f",
					seed, iter, scheme, q1, s1, zp1, q2, s2, zp2, out[0], so, zpo, exact)
			}
		}
	}
}

func TestAddZeroAllocs(t *testing.T) {
	a := make([]uint8, 1024)
	p := NewAddParams(SchemeFP32, Quant{0.5, 3}, Quant{0.25, 7}, Quant{1, 10}, 0, 255)
	n := testing.AllocsPerRun(10, func() { AddU8(p, a, a[:16], a) })
	assert.Zero(t, n, "allocations per run")
}
