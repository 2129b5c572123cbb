package kernels

import "math"

// The fixed-point helpers of TFLite's reference kernels (and gemmlowp's),
// with the same rounding. Go's int32 arithmetic wraps where C++'s would be
// undefined; TFLite never relies on those cases.

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2*a*b,
// that is a*b / 2^31, rounded to nearest, saturating the single overflow
// case a == b == MinInt32. As in gemmlowp, ties round toward +infinity, not
// away from zero: the nudge is 2^30 for a non-negative product and
// 1 - 2^30 for a negative one, then the division truncates, so 0.5 -> 1
// but -0.5 -> 0 and -1.5 -> -1.
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == b && a == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	// Go's integer division truncates toward zero, as C++'s does.
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT returns x / 2^exponent rounded to nearest, ties away
// from zero. exponent is in [0, 31].
func RoundingDivideByPOT(x int32, exponent int) int32 {
	mask := int32(uint32(1)<<uint(exponent) - 1)
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	r := x >> uint(exponent)
	if remainder > threshold {
		r++
	}
	return r
}

// MultiplyByQuantizedMultiplier returns x * multiplier * 2^shift where
// multiplier is a Q31 fixed-point value in [0.5, 1) and shift is positive
// for a left shift, as TFLite's reference kernels compute it.
func MultiplyByQuantizedMultiplier(x, multiplier int32, shift int) int32 {
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x*(1<<uint(left)), multiplier), right)
}

// QuantizeMultiplier splits a positive real multiplier into a Q31 value in
// [0.5, 1) and a power-of-two shift, as TFLite's QuantizeMultiplier does
// (frexp, then rounding half away from zero). Multipliers below about 2^-32
// become (0, 0). Shifts above 30 saturate to (MaxInt32, 30) as in TFLite's
// single-rounding build (the default build leaves them unsaturated; no
// real scale, at most 256 here, gets near).
func QuantizeMultiplier(m float64) (multiplier int32, shift int) {
	multiplier, shift = quantizeMultiplierUncapped(m)
	if shift > 30 {
		return math.MaxInt32, 30
	}
	return multiplier, shift
}

// quantizeMultiplierUncapped is QuantizeMultiplier as TFLite's default
// build computes it, with shifts above 30 left as they are (the softmax
// input multiplier may need 31).
func quantizeMultiplierUncapped(m float64) (multiplier int32, shift int) {
	if m == 0 {
		return 0, 0
	}
	q, exp := math.Frexp(m)
	qFixed := int64(math.Round(q * (1 << 31)))
	if qFixed == 1<<31 {
		qFixed /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0
	}
	return int32(qFixed), exp
}
