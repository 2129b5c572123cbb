package kernels

import "math"

// Fused activations, numbered as in the TFLite schema's
// ActivationFunctionType (loader.Activation has the same values), so that
// callers can pass int(act) without this package importing the loader.
const (
	FusedNone      = 0 // no clamp beyond the output type's range
	FusedRelu      = 1 // [0, +inf)
	FusedReluN1To1 = 2 // [-1, 1]
	FusedRelu6     = 3 // [0, 6]
)

// magicBias is 1.5 * 2^23: adding it to a float32 v with |v| <= 2^22 leaves
// round-half-even(v) in the low mantissa bits, as XNNPACK's "fmagic" and
// wasmsimd requantization do. magicBiasBits is its bit pattern.
const (
	magicBias     = float32(12582912.0)
	magicBiasBits = int32(0x4B400000)
)

// NewRequant builds the requantization of a CONV_2D, DEPTHWISE_CONV_2D or
// per-channel FULLY_CONNECTED with channels output channels, from an input
// of scale inputScale to an output quantized with output. filterScales has
// one entry per channel, or a single entry for per-tensor quantization
// (repeated for every channel). actMin and actMax come from
// QuantizedActivationRange for the same scheme.
//
// Both schemes' fields are filled (Scale as well as Multiplier and Shift);
// r.Scheme selects which one Apply uses. Per channel c, with fs =
// filterScales[c] and outputScale = output.Scale:
//
//   - fp32 (XNNPACK, src/operators/convolution-nhwc.c, create_convolution2d_nhwc_qu8
//     and the qc8w per-channel variant): Scale[c] = float32(float32(inputScale*fs) / outputScale),
//     every operation in float32, left to right.
//   - reference (TFLite, kernels/kernel_util.cc, PopulateConvolutionQuantizationParams):
//     QuantizeMultiplier(float64(inputScale) * float64(fs) / float64(outputScale)).
//
// TFLite's uint8 kernels (and every per-tensor FULLY_CONNECTED) instead take
// their multiplier from GetQuantizedConvolutionMultipler, which multiplies the
// two scales in float32 first: use NewRequantLegacy for those.
func NewRequant(scheme Scheme, inputScale float32, filterScales []float32, output Quant, channels int, actMin, actMax int32) Requant {
	return newRequant(scheme, inputScale, filterScales, output, channels, actMin, actMax, false)
}

// NewRequantLegacy is NewRequant for the layers whose TFLite reference
// multiplier comes from GetQuantizedConvolutionMultipler
// (kernels/kernel_util.cc): every uint8 CONV_2D, DEPTHWISE_CONV_2D and
// FULLY_CONNECTED, and per-tensor int8 FULLY_CONNECTED. There the reference
// scheme's effective scale is
//
//	float64(float32(inputScale * filterScale)) / float64(outputScale)
//
// (the product rounded to float32 first). That changes the quantized
// multiplier's low bits (by up to about 80 in Q31) on 26 of the 27 or 28
// conv layers of each of the release's uint8 MobileNets, and so, now and
// then, an output by 1. The fp32 scheme is the same as NewRequant's.
func NewRequantLegacy(scheme Scheme, inputScale float32, filterScales []float32, output Quant, channels int, actMin, actMax int32) Requant {
	return newRequant(scheme, inputScale, filterScales, output, channels, actMin, actMax, true)
}

func newRequant(scheme Scheme, inputScale float32, filterScales []float32, output Quant, channels int, actMin, actMax int32, legacy bool) Requant {
	outputScale := output.Scale
	r := Requant{
		Scheme:       scheme,
		Scale:        make([]float32, channels),
		Multiplier:   make([]int32, channels),
		Shift:        make([]int32, channels),
		OutputOffset: output.ZeroPoint,
		ActMin:       actMin,
		ActMax:       actMax,
	}
	for c := range channels {
		fs := filterScales[0]
		if len(filterScales) > 1 {
			fs = filterScales[c]
		}
		// Explicit conversions: each product/quotient is rounded to
		// float32 on its own, as in C with FLT_EVAL_METHOD 0.
		r.Scale[c] = float32(float32(inputScale*fs) / outputScale)
		var real float64
		if legacy {
			real = float64(float32(inputScale*fs)) / float64(outputScale)
		} else {
			real = float64(inputScale) * float64(fs) / float64(outputScale)
		}
		m, s := QuantizeMultiplier(real)
		r.Multiplier[c], r.Shift[c] = m, int32(s)
	}
	return r
}

// Apply requantizes the int32 accumulator acc (bias included) of output
// channel ch to the output's quantized domain, clamped to [ActMin, ActMax].
//
// fp32 scheme, XNNPACK's QU8/QS8 "fp32" requantization:
//
//	v := float32(acc) * Scale[ch]                       // one float32 rounding
//	v  = clamp(v, float32(ActMin-OutputOffset), float32(ActMax-OutputOffset))
//	out = roundHalfEven(v) + OutputOffset
//
// XNNPACK's scalar kernels clamp in float, then round with the magic bias
// 1.5*2^23 ("fmagic") or lrintf; its wasmsimd kernels add the magic bias
// first and clamp the float's bit pattern with integer min/max. All equal
// the formula above for every int32 acc: the clamp bounds are integers, so
// clamping and rounding commute, and a |v| too large for exact magic-bias
// rounding still falls on the right side of the bounds. Apply computes it
// the wasmsimd way (see requantFP32), which needs no float comparison.
//
// reference scheme, TFLite's reference kernels:
//
//	out = clamp(MultiplyByQuantizedMultiplier(acc, Multiplier[ch], Shift[ch]) + OutputOffset, ActMin, ActMax)
func (r *Requant) Apply(acc int32, ch int) int32 {
	if r.Scheme == SchemeReference {
		return r.applyReference(acc, ch)
	}
	lo, hi, bz := r.fp32Bounds()
	return requantFP32(acc, r.Scale[ch], lo, hi, bz)
}

// fp32Bounds returns the fp32 scheme's clamp bounds as magic-biased bit
// patterns, and magicBiasBits minus the output zero point.
func (r *Requant) fp32Bounds() (lo, hi, biasLessZP int32) {
	lo = int32(math.Float32bits(magicBias + float32(r.ActMin-r.OutputOffset)))
	hi = int32(math.Float32bits(magicBias + float32(r.ActMax-r.OutputOffset)))
	return lo, hi, magicBiasBits - r.OutputOffset
}

func (r *Requant) applyReference(acc int32, ch int) int32 {
	v := MultiplyByQuantizedMultiplier(acc, r.Multiplier[ch], int(r.Shift[ch])) + r.OutputOffset
	return min(max(v, r.ActMin), r.ActMax)
}

// requantFP32 is the fp32 scheme for one value, clamping the way
// XNNPACK's wasmsimd kernels do: the magic bias goes in first, then the
// float's bit pattern is clamped as an integer to [lo, hi] (the bit
// patterns of magicBias + ActMin - zp and magicBias + ActMax - zp, from
// fp32Bounds), then biasLessZP (magicBiasBits - zp) comes off. For
// |v| < 2^22 the biased float holds roundHalfEven(v) exactly; a larger v
// lands on the right side of the bounds (a biased float >= 2^24 has larger
// bits than hi; one <= 2^23, zero or negative has smaller bits, as an
// int32, than lo), so this equals clamp-then-round for every int32 acc
// (TestRequantFP32MatchesXNNPACK). Integer min and max are branch-free,
// unlike float comparisons, natively and on wasm.
func requantFP32(acc int32, scale float32, lo, hi, biasLessZP int32) int32 {
	v := float32(float32(acc) * scale) // rounded on its own: no fused multiply-add
	bits := int32(math.Float32bits(float32(v + magicBias)))
	return min(max(bits, lo), hi) - biasLessZP
}

// clampActF32 is std::min(std::max(v, lo), hi), as TFLite's
// ActivationFunctionWithMinMax computes it: a NaN passes through and -0
// stays -0 (Go's builtin max(-0, 0) is +0). Written with comparisons
// because Go's builtin float min and max compile to code about ten times
// slower on wasm.
func clampActF32(v, lo, hi float32) float32 {
	if v < lo {
		v = lo
	}
	if hi < v {
		v = hi
	}
	return v
}

// requantRow requantizes acc[i], the accumulator of output channel ch0+i,
// into out[i]. It hoists the scheme test out of the loop; kernels call it
// once per block of channels.
func requantRow[T uint8 | int8](r *Requant, acc []int32, ch0 int, out []T) {
	out = out[:len(acc)]
	if r.Scheme == SchemeReference {
		mul := r.Multiplier[ch0 : ch0+len(acc)]
		sh := r.Shift[ch0 : ch0+len(acc)]
		for i, a := range acc {
			v := MultiplyByQuantizedMultiplier(a, mul[i], int(sh[i])) + r.OutputOffset
			out[i] = T(min(max(v, r.ActMin), r.ActMax))
		}
		return
	}
	scale := r.Scale[ch0 : ch0+len(acc)]
	lo, hi, bz := r.fp32Bounds()
	for i, a := range acc {
		out[i] = T(requantFP32(a, scale[i], lo, hi, bz))
	}
}

// QuantizedActivationRange returns the clamp [actMin, actMax] of a fused
// activation act (FusedNone, FusedRelu, FusedReluN1To1, FusedRelu6) on an
// output quantized with output (scale, zeroPoint), whose type spans [qmin, qmax]
// (0..255 for uint8, -128..127 for int8), as each scheme's runtime
// computes it:
//
//   - reference, TFLite's CalculateActivationRangeQuantized
//     (kernels/kernel_util.cc): q(f) = zeroPoint + int32(roundHalfAway(float32(f / scale)));
//     RELU: [max(qmin, q(0)), qmax]; RELU6: [max(qmin, q(0)), min(qmax, q(6))];
//     RELU_N1_TO_1: [max(qmin, q(-1)), min(qmax, q(1))]; NONE: [qmin, qmax].
//   - fp32, the XNNPACK delegate (delegates/xnnpack/xnnpack_delegate.cc,
//     ConvertActivationToOutputRange) turns the activation into float
//     bounds (NONE: -inf..+inf, RELU: 0..+inf, RELU_N1_TO_1: -1..1,
//     RELU6: 0..6) and XNNPACK's subgraph quantizes each with
//     xnn_qu8_quantize / xnn_qs8_quantize:
//     lrintf(clamp(float32(float32(f / scale) + float32(zeroPoint)), qmin, qmax)),
//     rounding half to even.
//
// The two differ only on exact halves (and half-even vs half-away), e.g.
// 6/scale + zp = 254.5 gives 255 (reference) but 254 (fp32).
func QuantizedActivationRange(scheme Scheme, act int, output Quant, qmin, qmax int32) (actMin, actMax int32) {
	scale, zeroPoint := output.Scale, output.ZeroPoint
	if scheme == SchemeReference {
		q := func(f float32) int32 {
			// TfLiteRound is std::round on float: half away from zero.
			return zeroPoint + int32(math.Round(float64(float32(f/scale))))
		}
		switch act {
		case FusedRelu:
			return max(qmin, q(0)), qmax
		case FusedRelu6:
			return max(qmin, q(0)), min(qmax, q(6))
		case FusedReluN1To1:
			return max(qmin, q(-1)), min(qmax, q(1))
		}
		return qmin, qmax
	}
	lo, hi := FloatActivationRange(act)
	q := func(f float32) int32 {
		v := float32(float32(f/scale) + float32(zeroPoint))
		v = min(max(v, float32(qmin)), float32(qmax))
		return int32(math.RoundToEven(float64(v)))
	}
	return q(lo), q(hi)
}

// FloatActivationRange returns the float clamp of a fused activation for
// the float kernels: NONE (and any unknown value) is [-Inf, +Inf], RELU is
// [0, +Inf], RELU_N1_TO_1 is [-1, 1], RELU6 is [0, 6]. These are the
// XNNPACK delegate's bounds, which produced the float goldens; TFLite's
// built-in kernels use ±MaxFloat32 instead, which differs only for
// infinite values.
func FloatActivationRange(act int) (actMin, actMax float32) {
	inf := float32(math.Inf(1))
	switch act {
	case FusedRelu:
		return 0, inf
	case FusedReluN1To1:
		return -1, 1
	case FusedRelu6:
		return 0, 6
	}
	return -inf, inf
}
