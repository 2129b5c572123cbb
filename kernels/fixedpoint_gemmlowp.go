package kernels

import (
	"math"
	"math/bits"
)

// The gemmlowp fixed-point functions (gemmlowp/fixedpoint/fixedpoint.h) that
// TFLite's reference quantized softmax uses, over raw int32 values. A value
// with m integer bits ("Qm.(31-m)", gemmlowp's FixedPoint<int32_t, m>)
// represents raw / 2^(31-m). Fixed-point multiplication is
// SaturatingRoundingDoublingHighMul, whose result has the sum of the
// operands' integer bits; addition and subtraction are plain int32 (they
// wrap where C++ would be undefined, which gemmlowp never relies on).

// saturatingRoundingMultiplyByPOT returns x * 2^exponent: for exponent > 0 a
// left shift that saturates to MinInt32/MaxInt32, for exponent < 0 a
// rounding right shift (RoundingDivideByPOT), as gemmlowp's
// SaturatingRoundingMultiplyByPOT<exponent>.
func saturatingRoundingMultiplyByPOT(x int32, exponent int) int32 {
	switch {
	case exponent == 0:
		return x
	case exponent < 0:
		return RoundingDivideByPOT(x, -exponent)
	}
	threshold := int32(1)<<uint(31-exponent) - 1
	if x > threshold {
		return math.MaxInt32
	}
	if x < -threshold {
		return math.MinInt32
	}
	return x << uint(exponent)
}

// rescaleFixedPoint changes the number of integer bits of a fixed-point raw
// value from srcBits to dstBits (gemmlowp's Rescale<dstBits>).
func rescaleFixedPoint(x int32, srcBits, dstBits int) int32 {
	return saturatingRoundingMultiplyByPOT(x, srcBits-dstBits)
}

// roundingHalfSum returns (a+b)/2 rounded to nearest, ties away from zero
// (gemmlowp's RoundingHalfSum for int32, computed in 64 bits).
func roundingHalfSum(a, b int32) int32 {
	sum := int64(a) + int64(b)
	sign := int64(1)
	if sum < 0 {
		sign = -1
	}
	return int32((sum + sign) / 2) // Go's division truncates, like C++'s.
}

// expOnIntervalBetweenNegativeOneQuarterAnd0Excl returns exp(a) for a in
// [-1/4, 0), a and the result in Q0.31: a fourth-order Taylor expansion
// around -1/8, with gemmlowp's constants and rounding.
func expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a int32) int32 {
	const (
		constantTerm   = 1895147668 // exp(-1/8) in Q0.31
		constant1Over3 = 715827883  // 1/3 in Q0.31
	)
	x := a + 1<<28 // a + 1/8
	x2 := SaturatingRoundingDoublingHighMul(x, x)
	x3 := SaturatingRoundingDoublingHighMul(x2, x)
	x4 := SaturatingRoundingDoublingHighMul(x2, x2)
	x4Over4 := saturatingRoundingMultiplyByPOT(x4, -2)
	x4Over24PlusX3Over6PlusX2Over2 := saturatingRoundingMultiplyByPOT(
		SaturatingRoundingDoublingHighMul(x4Over4+x3, constant1Over3)+x2, -1)
	return constantTerm + SaturatingRoundingDoublingHighMul(constantTerm, x+x4Over24PlusX3Over6PlusX2Over2)
}

// expBarrelShifter are gemmlowp's exp_on_negative_values multipliers:
// exp(-2^exponent) in Q0.31 for exponent = -2 ... 4.
var expBarrelShifter = [...]struct {
	exponent   int
	multiplier int32
}{
	{-2, 1672461947},
	{-1, 1302514674},
	{0, 790015084},
	{1, 290630308},
	{2, 39332535},
	{3, 720401},
	{4, 242},
}

// expOnNegativeValues returns exp(a) in Q0.31 for a <= 0 given with
// integerBits integer bits (gemmlowp's exp_on_negative_values): exp of
// a mod 1/4 by expOnIntervalBetweenNegativeOneQuarterAnd0Excl, multiplied by
// exp(-2^k) for each set bit k of the rest; exp(0) is MaxInt32 (one).
func expOnNegativeValues(a int32, integerBits int) int32 {
	fractionalBits := 31 - integerBits
	oneQuarter := int32(1) << uint(fractionalBits-2)
	mask := oneQuarter - 1
	aModQuarterMinusOneQuarter := (a & mask) - oneQuarter
	result := expOnIntervalBetweenNegativeOneQuarterAnd0Excl(
		rescaleFixedPoint(aModQuarterMinusOneQuarter, integerBits, 0))
	remainder := aModQuarterMinusOneQuarter - a
	for _, b := range expBarrelShifter {
		if integerBits > b.exponent && remainder&(int32(1)<<uint(fractionalBits+b.exponent)) != 0 {
			result = SaturatingRoundingDoublingHighMul(result, b.multiplier)
		}
	}
	if integerBits > 5 {
		// Below -32 the result is zero.
		clamp := -(int32(1) << uint(36-integerBits))
		if a < clamp {
			result = 0
		}
	}
	if a == 0 {
		result = math.MaxInt32
	}
	return result
}

// oneOverOnePlusXForXIn01 returns 1/(1+a) for a in [0, 1), a and the result
// in Q0.31, by three Newton-Raphson steps from 48/17 - 32/17*d (gemmlowp's
// one_over_one_plus_x_for_x_in_0_1).
func oneOverOnePlusXForXIn01(a int32) int32 {
	const (
		constant48Over17    = 1515870810  // 48/17 in Q2.29
		constantNeg32Over17 = -1010580540 // -32/17 in Q2.29
		oneQ2               = 1 << 29     // 1 in Q2.29
	)
	halfDenominator := roundingHalfSum(a, math.MaxInt32) // (1+a)/2 in Q0.31
	x := constant48Over17 + SaturatingRoundingDoublingHighMul(halfDenominator, constantNeg32Over17)
	for range 3 {
		halfDenominatorTimesX := SaturatingRoundingDoublingHighMul(halfDenominator, x) // Q2.29
		oneMinusHalfDenominatorTimesX := oneQ2 - halfDenominatorTimesX
		// x * (1 - d*x) has 4 integer bits; Rescale<2> brings it back.
		x += saturatingRoundingMultiplyByPOT(SaturatingRoundingDoublingHighMul(x, oneMinusHalfDenominatorTimesX), 2)
	}
	// x ~ 1/d = 2/(1+a) in Q2.29; ExactMulByPot<-1> makes it 1/(1+a) in
	// Q1.30, and Rescale<0> converts that to Q0.31 (a saturating shift).
	return saturatingRoundingMultiplyByPOT(x, 1)
}

// getReciprocal returns 1/x as a Q0.31 scale and the number of bits by which
// the result must still be shifted right (numBitsOverUnit), for x > 0 with
// xIntegerDigits integer bits: TFLite's GetReciprocal (kernels/internal/
// common.h).
func getReciprocal(x int32, xIntegerDigits int) (scale int32, numBitsOverUnit int) {
	headroomPlusOne := bits.LeadingZeros32(uint32(x))
	numBitsOverUnit = xIntegerDigits - headroomPlusOne
	shiftedSumMinusOne := int32(uint32(x)<<uint(headroomPlusOne) - 1<<31)
	return oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit
}
