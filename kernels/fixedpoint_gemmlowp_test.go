package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected raw values below that are not worked out in the comments come
// from an independent re-implementation of gemmlowp's fixedpoint.h in exact
// integer arithmetic (Python big integers), not from this code.

func TestSaturatingRoundingMultiplyByPOT(t *testing.T) {
	cases := []struct {
		x        int32
		exponent int
		want     int32
	}{
		{12345, 0, 12345},
		{5, -1, 3},   // 2.5 rounds away from zero
		{-5, -1, -3}, // -2.5 too
		{7, -2, 2},   // 1.75
		{1 << 29, 1, 1 << 30},
		{1<<30 - 1, 1, 1<<31 - 2},
		{1 << 30, 1, math.MaxInt32},             // saturates
		{-(1 << 30) + 1, 1, -(1 << 31) + 2},     // -threshold, exact
		{-(1 << 30), 1, math.MinInt32},          // below -threshold: saturates
		{3, 29, 3 << 29},                        // 3 is at the threshold: no saturation
		{-1, 30, -(1 << 30)},                    // -1 is -threshold: exact
		{math.MinInt32, -31, -1},                // -1 exactly
		{math.MaxInt32, -12, 1 << 19},           // 524287.99 -> 524288
		{-(1 << 26) + (1 << 24), 5, -(3 << 29)}, // Q5.26 -0.75 to Q0.31
	}
	for _, c := range cases {
		assert.Equal(t, c.want, saturatingRoundingMultiplyByPOT(c.x, c.exponent), "saturatingRoundingMultiplyByPOT(%d, %d)", c.x, c.exponent)
	}
}

func TestRoundingHalfSum(t *testing.T) {
	cases := []struct{ a, b, want int32 }{
		{1, 2, 2}, // 1.5 away from zero
		{-1, -2, -2},
		{-1, 2, 1}, // 0.5
		{0, 0, 0},
		{math.MaxInt32, math.MaxInt32, math.MaxInt32},
		{math.MinInt32, math.MinInt32, math.MinInt32},
		{0, math.MaxInt32, 1 << 30}, // (2^31 - 1) / 2 = 2^30 - 0.5 -> 2^30
	}
	for _, c := range cases {
		assert.Equal(t, c.want, roundingHalfSum(c.a, c.b), "roundingHalfSum(%d, %d)", c.a, c.b)
	}
}

func TestExpOnNegativeValues(t *testing.T) {
	// Inputs in Q5.26, results in Q0.31.
	cases := []struct{ a, want int32 }{
		{0, math.MaxInt32},                  // exp(0) is one
		{-(1 << 24), 1672462419},            // exp(-1/4): the polynomial alone
		{-(1 << 26), 790015308},             // exp(-1): polynomial at -1/4, times exp(-1/2), exp(-1/4)
		{-(3 << 25), 479168506},             // exp(-1.5)
		{-(1 << 30), 242},                   // exp(-16): the +4 multiplier alone
		{-12345678, 1786631188},             // exp(-0.18396)
		{-1, 2147483124},                    // exp(-2^-26)
		{math.MinInt32 + 1, 0},              // exp(-32): beyond every multiplier
		{-(31 << 26), 0},                    // exp(-31) underflows Q0.31
		{-(1 << 26) * 5, 14469635},          // exp(-5)
		{-(1 << 26) * 10, 97496},            // exp(-10)
		{-(1 << 25), 1302515042},            // exp(-1/2)
		{-(5 << 23), 1149465166},            // exp(-5/8)
		{-(1 << 22), 2017374176},            // exp(-1/16)
		{-(1 << 20), 2114189749},            // exp(-1/64)
		{-(1<<26)*2 - (1 << 24), 226343175}, // exp(-2.25)
	}
	for _, c := range cases {
		assert.Equal(t, c.want, expOnNegativeValues(c.a, 5), "expOnNegativeValues(%d)", c.a)
	}
}

// exp_on_negative_values is accurate to a few parts in 10^7 over [-16, 0].
func TestExpOnNegativeValuesAccuracy(t *testing.T) {
	worst := 0.0
	for a := int32(0); a > -(16 << 26); a -= 1<<18 + 12345 {
		got := float64(expOnNegativeValues(a, 5)) / (1 << 31)
		want := math.Exp(float64(a) / (1 << 26))
		worst = max(worst, math.Abs(got-want))
	}
	// Tolerance: 1e-6 absolute (2^-20), well above the worst error seen.
	assert.LessOrEqual(t, worst, 1e-6, "worst absolute error %g", worst)
}

func TestOneOverOnePlusXForXIn01(t *testing.T) {
	cases := []struct{ a, want int32 }{
		{0, math.MaxInt32},          // 1/(1+0): one
		{1 << 30, 1431655762},       // 1/1.5 = 2/3
		{1 << 29, 1717986914},       // 1/1.25 = 0.8
		{123456789, 2030738432},     // 1/1.0575
		{math.MaxInt32, 1073741820}, // 1/2
	}
	for _, c := range cases {
		assert.Equal(t, c.want, oneOverOnePlusXForXIn01(c.a), "oneOverOnePlusXForXIn01(%d)", c.a)
	}
	for a := int32(0); a >= 0 && a < math.MaxInt32-(1<<22); a += 1<<22 + 777 {
		got := float64(oneOverOnePlusXForXIn01(a)) / (1 << 31)
		want := 1 / (1 + float64(a)/(1<<31))
		// Tolerance: 1e-8, a few dozen Q0.31 units.
		require.LessOrEqual(t, math.Abs(got-want), 1e-8, "1/(1+%g) = %g, want %g", float64(a)/(1<<31), got, want)
	}
}

func TestGetReciprocal(t *testing.T) {
	// The sum of exponentials of one softmax row with a single class:
	// exp(0) = one in Q12.19 is 2^19. headroom_plus_one = clz(2^19) = 12, so
	// num_bits_over_unit = 0 and the reciprocal of exactly 1.0 is
	// 1/(1+0) = MaxInt32.
	s, n := getReciprocal(1<<19, 12)
	assert.Equal(t, [2]int32{math.MaxInt32, 0}, [2]int32{s, int32(n)}, "getReciprocal(1.0): scale, num_bits_over_unit")
	// 3.0 in Q12.19: 3 << 19 has clz 11, so num_bits_over_unit = 1 and
	// the scale is 1/1.5 (3.0 = 2^1 * 1.5): 1431655762 as above.
	s, n = getReciprocal(3<<19, 12)
	assert.Equal(t, [2]int32{1431655762, 1}, [2]int32{s, int32(n)}, "getReciprocal(3.0): scale, num_bits_over_unit")
}
