package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requant1 is a one-channel Requant for the hand-computed cases.
func requant1(scheme Scheme, inScale, filterScale, outScale float32, zp, lo, hi int32) Requant {
	return NewRequant(scheme, inScale, []float32{filterScale}, Quant{outScale, zp}, 1, lo, hi)
}

func TestRequantFP32RoundsHalfToEven(t *testing.T) {
	// scale = 0.5 * 0.5 / 1 = 0.25 exactly.
	r := requant1(SchemeFP32, 0.5, 0.5, 1, 0, 0, 255)
	rz := requant1(SchemeFP32, 0.5, 0.5, 1, 128, 0, 255)
	cases := []struct {
		r         *Requant
		acc, want int32
		why       string
	}{
		{&r, 10, 2, "10*0.25 = 2.5 -> 2 (even)"},
		{&r, 14, 4, "3.5 -> 4 (even)"},
		{&r, 6, 2, "1.5 -> 2"},
		{&r, 2, 0, "0.5 -> 0"},
		{&r, 11, 3, "2.75 -> 3"},
		{&r, -4, 0, "-1 clamps to ActMin - zp = 0"},
		{&rz, -10, 126, "-2.5 -> -2, + zero point 128"},
		{&rz, -14, 124, "-3.5 -> -4, + 128"},
		{&rz, 1000, 255, "250 + 128 clamps to 255"},
		{&rz, math.MaxInt32, 255, "huge positive clamps before rounding"},
		{&rz, math.MinInt32, 0, "huge negative clamps before rounding"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.r.Apply(c.acc, 0), "fp32 Apply(%d) (%s)", c.acc, c.why)
	}
}

func TestRequantReferenceHandComputed(t *testing.T) {
	// 0.5 * 0.75 / 1 = 0.375: frexp = (0.75, -1), multiplier
	// 0.75*2^31 = 1610612736, shift -1.
	r := requant1(SchemeReference, 0.5, 0.75, 1, 0, 0, 255)
	require.Equal(t, [2]int32{1610612736, -1}, [2]int32{r.Multiplier[0], r.Shift[0]}, "multiplier, shift")
	rz := requant1(SchemeReference, 0.5, 0.75, 1, 10, 0, 255)
	// float32(1/3) = 11184811*2^-25: multiplier 11184811*2^7 =
	// 1431655808, shift -1.
	third := requant1(SchemeReference, 1, float32(1.0/3), 1, 0, 0, 255)
	require.Equal(t, [2]int32{1431655808, -1}, [2]int32{third.Multiplier[0], third.Shift[0]}, "1/3: multiplier, shift")
	cases := []struct {
		r         *Requant
		acc, want int32
		why       string
	}{
		{&r, 12, 5, "SRDHM(12, 0.75) = 9 exactly; RDBPOT(9, 1) = 4.5 -> 5 (fp32 would give 4)"},
		{&rz, -12, 5, "SRDHM = -9 exactly; -4.5 -> -5; + 10"},
		{&r, 7, 3, "SRDHM(7, 0.75) = 5.25 -> 5; 5/2 = 2.5 -> 3"},
		{&third, 100, 34, "SRDHM(100, 2/3) = (143165580800 + 2^30)/2^31 = 67.17 -> 67; 67/2 = 33.5 -> 34 (fp32: 33.333336 -> 33)"},
		{&rz, -1000, 0, "-375 + 10 clamps to 0"},
		{&rz, math.MaxInt32, 255, "clamps to ActMax"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.r.Apply(c.acc, 0), "reference Apply(%d) (%s)", c.acc, c.why)
	}
	// The same accumulators through the fp32 scheme, for contrast.
	f := requant1(SchemeFP32, 0.5, 0.75, 1, 0, 0, 255)
	assert.Equal(t, int32(4), f.Apply(12, 0), "fp32 Apply(12) at scale 0.375 (4.5 -> 4)")
	f3 := requant1(SchemeFP32, 1, float32(1.0/3), 1, 0, 0, 255)
	assert.Equal(t, int32(33), f3.Apply(100, 0), "fp32 Apply(100) at scale 1/3")
}

func TestNewRequantPerChannelAndLegacy(t *testing.T) {
	r := NewRequant(SchemeFP32, 0.5, []float32{0.5, 0.25, 2}, Quant{1, 3}, 3, -128, 127)
	assert.Equal(t, []float32{0.25, 0.125, 1}, r.Scale, "per-channel scales")
	p := NewRequant(SchemeFP32, 0.5, []float32{0.5}, Quant{1, 3}, 4, 0, 255)
	// The per-tensor scale is repeated over the 4 channels.
	assert.Equal(t, []float32{0.25, 0.25, 0.25, 0.25}, p.Scale, "per-tensor scales")
	assert.Equal(t, []int32{1 << 30, 1 << 30, 1 << 30, 1 << 30}, p.Multiplier, "per-tensor multipliers")
	assert.Equal(t, []int32{-1, -1, -1, -1}, p.Shift, "per-tensor shifts")
	// The fp32 scale is float32((in*f)/out) with each step rounded to
	// float32; the reference multiplier comes from float64 (NewRequant) or
	// from the float32 product (NewRequantLegacy).
	in, f, out := float32(0.0078125), float32(0.0218266789), float32(0.0235284772)
	n := NewRequant(SchemeReference, in, []float32{f}, Quant{out, 0}, 1, 0, 255)
	l := NewRequantLegacy(SchemeReference, in, []float32{f}, Quant{out, 0}, 1, 0, 255)
	wantScale := float32(float32(in*f) / out)
	assert.Equal(t, wantScale, n.Scale[0], "NewRequant fp32 scale")
	assert.Equal(t, wantScale, l.Scale[0], "NewRequantLegacy fp32 scale")
	wm, ws := QuantizeMultiplier(float64(in) * float64(f) / float64(out))
	assert.Equal(t, [2]int{int(wm), ws}, [2]int{int(n.Multiplier[0]), int(n.Shift[0])}, "NewRequant multiplier, shift")
	lm, ls := QuantizeMultiplier(float64(float32(in*f)) / float64(out))
	assert.Equal(t, [2]int{int(lm), ls}, [2]int{int(l.Multiplier[0]), int(l.Shift[0])}, "NewRequantLegacy multiplier, shift")
}

// xnnWasmSIMD emulates one lane of XNNPACK's QU8/QS8 "fp32" wasmsimd
// requantization (src/qu8-gemm/gen/*-wasmsimd-dot16x2*.c and friends):
// the magic bias is added before any clamp, the lower clamp is an integer
// max on the float's bits, then two saturating narrows and an integer min.
func xnnWasmSIMD(acc int32, scale float32, zp, outMin, outMax int32, signed bool) int32 {
	v := float32(float32(acc) * scale)
	vi := int32(math.Float32bits(float32(v + magicBias)))
	magicMin := int32(math.Float32bits(float32(magicBias + float32(outMin-zp))))
	vi = max(vi, magicMin)
	vi -= magicBiasBits - zp
	vi = min(max(vi, math.MinInt16), math.MaxInt16) // i16x8.narrow_i32x4_s
	if signed {
		vi = min(max(vi, math.MinInt8), math.MaxInt8) // i8x16.narrow_i16x8_s
	} else {
		vi = min(max(vi, 0), math.MaxUint8) // u8x16.narrow_i16x8_u
	}
	return min(vi, outMax)
}

// xnnScalarLrintf emulates XNNPACK's scalar "fp32 lrintf" requantization:
// clamp in float, lrintf (half to even), add the zero point.
func xnnScalarLrintf(acc int32, scale float32, zp, outMin, outMax int32) int32 {
	v := float32(float32(acc) * scale)
	v = min(max(v, float32(outMin-zp)), float32(outMax-zp))
	return int32(math.RoundToEven(float64(v))) + zp
}

// TestRequantFP32MatchesXNNPACK compares Apply with emulations of
// XNNPACK's wasmsimd (magic bias first, clamp after) and scalar lrintf
// requantization for accumulators across the whole int32 range, including
// the huge ones where the magic-bias addition itself is inexact.
func TestRequantFP32MatchesXNNPACK(t *testing.T) {
	const seed = 7
	rng := newRand(seed)
	accs := []int32{0, 1, -1, 2, -2, 1 << 21, -(1 << 21), 1 << 22, -(1 << 22), 1 << 23, -(1 << 23),
		12582912, -12582912, 1 << 24, -(1 << 24), math.MaxInt32, math.MinInt32, math.MaxInt32 - 1, math.MinInt32 + 1}
	for range 20000 {
		switch rng.IntN(3) {
		case 0:
			accs = append(accs, int32(rng.Uint32()))
		case 1:
			accs = append(accs, int32(rng.IntN(1<<16))-1<<15)
		default:
			accs = append(accs, int32(rng.IntN(1<<26))-1<<25)
		}
	}
	for k := range 200 {
		scale := float32(math.Exp2(rng.Float64()*40 - 32)) // 2^-32 .. 2^8
		if scale >= 256 {
			scale = 255.5
		}
		signed := k%2 == 1
		qmin, qmax := int32(0), int32(255)
		if signed {
			qmin, qmax = -128, 127
		}
		zp := qmin + int32(rng.IntN(256))
		lo := qmin + int32(rng.IntN(100))
		hi := qmax - int32(rng.IntN(100))
		r := requant1(SchemeFP32, 1, 1, 1, zp, lo, hi)
		r.Scale[0] = scale
		var out [1]int8
		var outU [1]uint8
		for _, acc := range accs {
			// Millions of cases: compare cheaply, let testify report.
			got := r.Apply(acc, 0)
			if w := xnnWasmSIMD(acc, scale, zp, lo, hi, signed); w != got {
				require.Equal(t, w, got, "seed %d: scale %g zp %d [%d,%d] acc %d: Apply vs XNNPACK wasmsimd", seed, scale, zp, lo, hi, acc)
			}
			if w := xnnScalarLrintf(acc, scale, zp, lo, hi); w != got {
				require.Equal(t, w, got, "seed %d: scale %g zp %d acc %d: Apply vs XNNPACK lrintf", seed, scale, zp, acc)
			}
			// requantRow (the kernels' loop) agrees with Apply.
			acc1 := []int32{acc}
			var row int32
			if signed {
				requantRow(&r, acc1, 0, out[:])
				row = int32(out[0])
			} else {
				requantRow(&r, acc1, 0, outU[:])
				row = int32(outU[0])
			}
			if row != got {
				require.Equal(t, got, row, "seed %d: requantRow (signed %v) vs Apply, acc %d", seed, signed, acc)
			}
		}
	}
}

func TestQuantizedActivationRange(t *testing.T) {
	cases := []struct {
		name             string
		scheme           Scheme
		act              int
		scale            float32
		zp, qmin, qmax   int32
		wantMin, wantMax int32
	}{
		{"none uint8", SchemeReference, FusedNone, 0.1, 128, 0, 255, 0, 255},
		{"none int8 fp32", SchemeFP32, FusedNone, 0.1, 5, -128, 127, -128, 127},
		{"relu zp 128", SchemeReference, FusedRelu, 0.1, 128, 0, 255, 128, 255},
		{"relu zp 128 fp32", SchemeFP32, FusedRelu, 0.1, 128, 0, 255, 128, 255},
		{"relu int8 zp -128", SchemeFP32, FusedRelu, 0.1, -128, -128, 127, -128, 127},
		{"relu6 zp 10", SchemeReference, FusedRelu6, 0.05, 10, 0, 255, 10, 130}, // 6/0.05f = 120.0f
		{"relu6 zp 10 fp32", SchemeFP32, FusedRelu6, 0.05, 10, 0, 255, 10, 130},
		{"relu6 clamps to type", SchemeReference, FusedRelu6, 0.01, 0, 0, 255, 0, 255}, // 600 -> 255
		{"relu6 clamps to type fp32", SchemeFP32, FusedRelu6, 0.01, 0, 0, 255, 0, 255},
		{"relu6 mobilenet", SchemeFP32, FusedRelu6, 0.0235285, 0, 0, 255, 0, 255}, // 255.01 -> 255
		// 6/12 = 0.5: reference rounds half away (zp + 1), fp32 rounds
		// zp + 0.5 half to even.
		{"relu6 tie zp 3", SchemeReference, FusedRelu6, 12, 3, 0, 255, 3, 4},
		{"relu6 tie zp 3 fp32", SchemeFP32, FusedRelu6, 12, 3, 0, 255, 3, 4},         // 3.5 -> 4
		{"relu6 tie zp 4", SchemeReference, FusedRelu6, 12, 4, 0, 255, 4, 5},         // 4 + round(0.5)
		{"relu6 tie zp 4 fp32", SchemeFP32, FusedRelu6, 12, 4, 0, 255, 4, 4},         // 4.5 -> 4
		{"relu_n1_to_1 tie", SchemeReference, FusedReluN1To1, 2, 10, 0, 255, 9, 11},  // 10 + round(-0.5) = 9, 10 + round(0.5) = 11
		{"relu_n1_to_1 tie fp32", SchemeFP32, FusedReluN1To1, 2, 10, 0, 255, 10, 10}, // 9.5 -> 10, 10.5 -> 10
		{"relu_n1_to_1 int8", SchemeReference, FusedReluN1To1, 1.0 / 64, 0, -128, 127, -64, 64},
	}
	for _, c := range cases {
		lo, hi := QuantizedActivationRange(c.scheme, c.act, Quant{c.scale, c.zp}, c.qmin, c.qmax)
		assert.Equal(t, [2]int32{c.wantMin, c.wantMax}, [2]int32{lo, hi}, "%s: QuantizedActivationRange", c.name)
	}
}

func TestFloatActivationRange(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		act    int
		lo, hi float32
	}{
		{FusedNone, -inf, inf}, {FusedRelu, 0, inf}, {FusedReluN1To1, -1, 1}, {FusedRelu6, 0, 6},
	}
	for _, c := range cases {
		lo, hi := FloatActivationRange(c.act)
		assert.Equal(t, [2]float32{c.lo, c.hi}, [2]float32{lo, hi}, "FloatActivationRange(%d)", c.act)
	}
}
