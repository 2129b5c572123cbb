package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every expected value below is worked out by hand from gemmlowp's and
// TFLite's definitions (fixedpoint.h, common.h, quantization_util.cc); the
// comment on each line shows the arithmetic.

func TestSaturatingRoundingDoublingHighMul(t *testing.T) {
	const minI, maxI = math.MinInt32, math.MaxInt32
	cases := []struct {
		name    string
		a, b    int32
		want    int32
		working string
	}{
		{"zero", 0, 12345, 0, "0"},
		{"half times half", 1 << 30, 1 << 30, 1 << 29, "2^60/2^31 = 2^29 exactly"},
		{"saturation", minI, minI, maxI, "(-1)*(-1) = 1 does not fit Q31: MaxInt32"},
		{"min times half", minI, 1 << 30, -(1 << 30), "-2^61/2^31 = -2^30 exactly"},
		{"max times max", maxI, maxI, 2147483646, "(2^31-1)^2/2^31 = 2^31 - 2 + 2^-31 -> 2147483646"},
		{"tie positive rounds up", 1 << 15, 1 << 15, 1, "2^30/2^31 = 0.5 -> (2^30 + 2^30)/2^31 = 1"},
		{"tie 1.5 rounds up", 3, 1 << 30, 2, "3*2^30/2^31 = 1.5 -> (3*2^30 + 2^30)/2^31 = 2"},
		{"tie negative rounds toward +inf", -(1 << 15), 1 << 15, 0, "-0.5 -> (-2^30 + 1 - 2^30)/2^31 = -0.99.. truncates to 0"},
		{"tie -1.5 rounds toward +inf", -3 << 15, 1 << 15, -1, "-3*2^30/2^31 = -1.5 -> (-2^32 + 1)/2^31 = -1.99.. -> -1"},
		{"negative exact", -100, 1 << 30, -50, "-100*2^30/2^31 = -50 -> (-50.5*2^31 + 1)/2^31 truncates to -50"},
		{"negative below tie", -(1 << 15) - 1, 1 << 15, -1, "(-2^30 - 2^15)/2^31 < -0.5 -> -1"},
		{"positive below tie", (1 << 15) - 1, 1 << 15, 0, "(2^30 - 2^15)/2^31 < 0.5 -> 0"},
		{"three quarters of -14", -14, 1610612736, -10, "-14*0.75 = -10.5, a tie: rounds up to -10"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, SaturatingRoundingDoublingHighMul(c.a, c.b), "%s: SRDHM(%d, %d) (%s)", c.name, c.a, c.b, c.working)
		assert.Equal(t, c.want, SaturatingRoundingDoublingHighMul(c.b, c.a), "%s: SRDHM is not symmetric: SRDHM(%d, %d)", c.name, c.b, c.a)
	}
}

func TestRoundingDivideByPOT(t *testing.T) {
	const minI, maxI = math.MinInt32, math.MaxInt32
	cases := []struct {
		x    int32
		exp  int
		want int32
		why  string
	}{
		{5, 0, 5, "exponent 0 is the identity"},
		{-5, 0, -5, "exponent 0 is the identity"},
		{5, 1, 3, "2.5: tie away from zero"},
		{-5, 1, -3, "-2.5: tie away from zero (-5>>1 = -3, remainder 1 not > threshold 1)"},
		{7, 2, 2, "1.75"},
		{-7, 2, -2, "-1.75"},
		{6, 2, 2, "1.5: tie away from zero"},
		{-6, 2, -2, "-1.5: tie away from zero (-6>>2 = -2, remainder 2 not > threshold 2)"},
		{5, 2, 1, "1.25"},
		{-5, 2, -1, "-1.25 (-5>>2 = -2, remainder 3 > threshold 2: +1)"},
		{4, 3, 1, "0.5: tie away from zero"},
		{-4, 3, -1, "-0.5: tie away from zero"},
		{3, 3, 0, "0.375"},
		{-3, 3, 0, "-0.375"},
		{minI, 1, -(1 << 30), "exact"},
		{maxI, 1, 1 << 30, "1073741823.5: tie away from zero"},
		{minI, 31, -1, "-1 exactly (mask 0x7fffffff, remainder 0)"},
		{maxI, 31, 1, "0.99999999953"},
		{1 << 30, 31, 1, "0.5: tie away from zero"},
		{-(1 << 30), 31, -1, "-0.5: tie away from zero"},
		{(1 << 30) - 1, 31, 0, "just below 0.5"},
		{-(1 << 30) + 1, 31, 0, "just above -0.5"},
	}
	for _, c := range cases {
		got := RoundingDivideByPOT(c.x, c.exp)
		assert.Equal(t, c.want, got, "RoundingDivideByPOT(%d, %d) (%s)", c.x, c.exp, c.why)
	}
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	const minI, maxI = math.MinInt32, math.MaxInt32
	cases := []struct {
		x, m  int32
		shift int
		want  int32
		why   string
	}{
		{1000, 1 << 30, 1, 1000, "left shift: 2000 * 0.5 = 1000"},
		{3, 1 << 30, 2, 6, "left shift: 12 * 0.5 = 6"},
		{-7, 1610612736, 1, -10, "left shift then a tie in SRDHM: -14 * 0.75 = -10.5 -> -10"},
		{1000, 1 << 30, -3, 63, "right shift: SRDHM 500, 500/8 = 62.5 -> 63"},
		{-1000, 1 << 30, -3, -63, "right shift: SRDHM -500, -62.5 -> -63"},
		{12, 1610612736, -1, 5, "SRDHM 9 exactly, 9/2 = 4.5 -> 5"},
		{-12, 1610612736, -1, -5, "SRDHM -9 exactly, -4.5 -> -5"},
		{100, 1431655765, -1, 34, "double rounding: SRDHM(100, 2/3) = 66.67 -> 67, 67/2 = 33.5 -> 34 (exact value 33.33)"},
		{minI, minI, 0, maxI, "saturation in SRDHM"},
		{0, 1 << 30, -31, 0, "zero"},
		{maxI, 1 << 30, -31, 1, "SRDHM(2^31-1, 0.5) = 2^30 - 0.5 -> 2^30 (tie up); 2^30/2^31 = 0.5 -> 1 (tie away)"},
	}
	for _, c := range cases {
		got := MultiplyByQuantizedMultiplier(c.x, c.m, c.shift)
		assert.Equal(t, c.want, got, "MultiplyByQuantizedMultiplier(%d, %d, %d) (%s)", c.x, c.m, c.shift, c.why)
	}
}

func TestQuantizeMultiplier(t *testing.T) {
	cases := []struct {
		real      float64
		wantM     int32
		wantShift int
		why       string
	}{
		{0, 0, 0, "zero is (0, 0)"},
		{0.5, 1 << 30, 0, "frexp(0.5) = (0.5, 0); 0.5*2^31 = 2^30"},
		{1, 1 << 30, 1, "frexp(1) = (0.5, 1)"},
		{0.75, 1610612736, 0, "0.75*2^31 = 1610612736"},
		{0.046875, 1610612736, -4, "1.5*2^-5 = 0.75*2^-4"},
		{1.0 / 3, 1431655765, -1, "frexp = (2/3, -1); 2/3*2^31 = 1431655765.33 -> 1431655765"},
		{float64(float32(1.0 / 3)), 1431655808, -1, "float32(1/3) = 11184811*2^-25; 2/3-ish * 2^31 = 11184811*2^7 exactly"},
		{0.5 + 1.0/(1<<32), (1 << 30) + 1, 0, "q*2^31 = 2^30 + 0.5: tie rounds away from zero"},
		{1 - 1.0/(1<<40), 1 << 30, 1, "q*2^31 rounds up to 2^31: halved, shift + 1"},
		{1.0 / (1 << 32), 1 << 30, -31, "frexp = (0.5, -31): smallest kept shift"},
		{1.0 / (1 << 33), 0, 0, "frexp = (0.5, -32): flushed to zero"},
		{1 << 40, math.MaxInt32, 30, "shift 41 > 30: saturated"},
	}
	for _, c := range cases {
		m, s := QuantizeMultiplier(c.real)
		assert.Equal(t, c.wantM, m, "QuantizeMultiplier(%v) multiplier (%s)", c.real, c.why)
		assert.Equal(t, c.wantShift, s, "QuantizeMultiplier(%v) shift (%s)", c.real, c.why)
	}
}

// TestFixedPointProperties checks the closed forms the hand cases
// illustrate, over random and extreme inputs: SRDHM(a, b) = floor(a*b/2^31
// + 1/2) (round half up) except for the saturated MinInt32*MinInt32, and
// RoundingDivideByPOT(x, e) = x/2^e rounded half away from zero (exact in
// float64).
func TestFixedPointProperties(t *testing.T) {
	const seed = 1
	r := newRand(seed)
	edge := []int32{0, 1, -1, 2, -2, 1 << 15, -(1 << 15), 1 << 30, -(1 << 30), math.MaxInt32, math.MinInt32, math.MinInt32 + 1}
	vals := append([]int32{}, edge...)
	for range 2000 {
		vals = append(vals, int32(r.Uint32()))
	}
	for i, a := range vals {
		b := vals[(i*7+3)%len(vals)]
		for _, bb := range []int32{b, edge[i%len(edge)]} {
			if a == math.MinInt32 && bb == math.MinInt32 {
				continue
			}
			want := int32((int64(a)*int64(bb) + 1<<30) >> 31) // >> floors
			require.Equal(t, want, SaturatingRoundingDoublingHighMul(a, bb), "seed %d: SRDHM(%d, %d)", seed, a, bb)
		}
		for e := 0; e <= 31; e++ {
			want := int32(math.Round(float64(a) / float64(int64(1)<<e)))
			require.Equal(t, want, RoundingDivideByPOT(a, e), "seed %d: RoundingDivideByPOT(%d, %d)", seed, a, e)
		}
	}
}
