package kernels

import "math"

// MEAN over the spatial axes (H and W) of an NHWC tensor: the global
// average pooling of Keras and other converters' MobileNets. The output
// holds N x C values (shape [N, 1, 1, C] with keep_dims, [N, C] without:
// the same bytes).
//
// Quantized MEAN is TFLite's own kernel in both schemes (reduce.cc,
// EvalMean and EvalMeanReferenceOps; reference/reduce.h and
// reference/integer_ops/mean.h), which takes different paths:
//
//   - keep_dims, uint8 (reference_ops::Mean for uint8, and
//     optimized_ops::Mean, the same arithmetic), with n = H*W:
//     clamp(MultiplyByQuantizedMultiplier(sum, M, shift) + bias), where
//     M, shift = QuantizeMultiplier(float32(inScale / float32(n*outScale)))
//     and bias = outZP - trunc(float32(inZP*inScale/outScale) ± 0.5).
//     With equal input and output quantization the bias is 0 and this is
//     the average rounded half up, except that the multiply rounds twice
//     (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT), which
//     sends some averages below k + 1/2 up to k + 1: for n = 4 every
//     k + 1/4 (sum 1: 1/2 after the first rounding, then 1), for n = 49
//     one sum per level (24/49 gives 1). AVERAGE_POOL_2D's
//     (sum + n/2) / n does not do that. This is TFLite's result, so it is
//     this kernel's.
//   - keep_dims, int8 (reference_integer_ops::Mean): the sum of x - inZP,
//     MultiplyByQuantizedMultiplier by QuantizeMultiplier(inScale/outScale),
//     divided by n rounding half away from zero, plus outZP, clamped. With
//     equal quantization that is zp + round(sum(x - zp) / n), the exactly
//     rounded average.
//   - no keep_dims, equal quantization (reference_ops::Mean<T, int>): the
//     sum divided by n with C's truncating division.
//   - no keep_dims, different quantization (QuantizedMeanOrSum): in
//     float32, round(float32(sum)/n * s - inZP*s) + outZP with
//     s = inScale/outScale, rounding half away from zero, clamped.
//
// (TFLite's optimized int8 kernel of some versions computes the keep_dims
// int8 mean in float32 instead; XNNPACK is not involved.)

// MeanParams are the precomputed parameters of a quantized spatial MEAN,
// made once by NewMeanParams.
type MeanParams struct {
	// In is the input shape; the mean is over In.H x In.W.
	In Shape4
	// KeepDims is the op's keep_dims, which selects TFLite's arithmetic.
	KeepDims bool
	// SameQuant is true when input and output share scale and zero point.
	SameQuant                       bool
	InputZeroPoint, OutputZeroPoint int32
	// keep_dims, uint8: reference_ops::Mean's multiplier and shift (for
	// inScale / (n * outScale)) and bias.
	Multiplier int32
	Shift      int
	Bias       int32
	// keep_dims, int8: reference_integer_ops::Mean's multiplier and shift
	// (for inScale / outScale).
	Int8Multiplier int32
	Int8Shift      int
	// No keep_dims, different quantization: QuantizedMeanOrSum's float32
	// scale (inScale / outScale) and bias (-inZP * scale).
	FloatScale, FloatBias float32
}

// NewMeanParams returns the parameters of a quantized MEAN over H and W of
// a tensor of shape in, quantized with input, into an output quantized
// with output, with the op's keep_dims.
func NewMeanParams(in Shape4, keepDims bool, input, output Quant) *MeanParams {
	inScale, inZP, outScale, outZP := input.Scale, input.ZeroPoint, output.Scale, output.ZeroPoint
	p := &MeanParams{
		In:              in,
		KeepDims:        keepDims,
		SameQuant:       inScale == outScale && inZP == outZP,
		InputZeroPoint:  inZP,
		OutputZeroPoint: outZP,
	}
	// reference_ops::Mean (uint8), in float32 as written there.
	n := float32(in.H * in.W)
	temp := float32(float32(inZP)*inScale) / outScale
	if temp > 0 {
		temp += 0.5
	} else {
		temp -= 0.5
	}
	p.Bias = outZP - int32(temp)
	p.Multiplier, p.Shift = QuantizeMultiplier(float64(inScale / float32(n*outScale)))
	// reduce.cc PrepareMeanOrSum.
	p.Int8Multiplier, p.Int8Shift = QuantizeMultiplier(float64(inScale) / float64(outScale))
	// QuantizedMeanOrSum.
	p.FloatScale = inScale / outScale
	p.FloatBias = float32(-inZP) * p.FloatScale
	return p
}

// MeanF32 is the float32 MEAN over H and W of a tensor of shape s: the
// float32 sum over H then W, divided by H*W (reference_ops::Mean).
func MeanF32(s Shape4, in, out []float32) {
	n := float32(s.H * s.W)
	for b := range s.N {
		o := out[b*s.C : (b+1)*s.C]
		for c := range o {
			o[c] = planeSum[float32](s, in, b, c) / n
		}
	}
}

// MeanU8 is the uint8 MEAN over H and W with the parameters of p.
func MeanU8(p *MeanParams, in, out []uint8) {
	s := p.In
	for b := range s.N {
		o := out[b*s.C : (b+1)*s.C]
		for c := range o {
			// At most 255 * H * W: no overflow below 2^23 values.
			sum := planeSum[int32](s, in, b, c)
			var v int32
			if p.KeepDims {
				v = MultiplyByQuantizedMultiplier(sum, p.Multiplier, p.Shift) + p.Bias
			} else {
				v = p.meanNoKeepDims(sum, 255)
			}
			o[c] = uint8(max(min(v, 255), 0))
		}
	}
}

// MeanI8 is the int8 MEAN over H and W with the parameters of p.
func MeanI8(p *MeanParams, in, out []int8) {
	s := p.In
	n := int32(s.H * s.W)
	for b := range s.N {
		o := out[b*s.C : (b+1)*s.C]
		for c := range o {
			sum := planeSum[int32](s, in, b, c) // at most 128 * H * W in magnitude
			var v int32
			if p.KeepDims {
				// The sum of x - inZP, as TFLite writes it: n*inZP
				// subtracted at once is the same int32 value (wrapping
				// included).
				sum -= n * p.InputZeroPoint
				v = divideRoundHalfAway(MultiplyByQuantizedMultiplier(sum, p.Int8Multiplier, p.Int8Shift), n) + p.OutputZeroPoint
			} else {
				v = p.meanNoKeepDims(sum, 127)
			}
			o[c] = int8(max(min(v, 127), -128))
		}
	}
}

// planeSum is the sum of channel c of image b over H then W (the
// reference order, which matters for float32).
func planeSum[A int32 | float32, T uint8 | int8 | float32](s Shape4, in []T, b, c int) A {
	var sum A
	for y := range s.H {
		for x := range s.W {
			sum += A(in[((b*s.H+y)*s.W+x)*s.C+c])
		}
	}
	return sum
}

// meanNoKeepDims is TFLite's MEAN without keep_dims for a sum of raw
// quantized values: a truncating division for equal quantization, else
// QuantizedMeanOrSum's float32 formula, clamped there to [.., qmax] (the
// callers clamp the bottom).
func (p *MeanParams) meanNoKeepDims(sum, qmax int32) int32 {
	n := int32(p.In.H * p.In.W)
	if p.SameQuant {
		return sum / n
	}
	mean := float32(sum) / float32(n)
	r := float32(math.Round(float64(float32(float32(mean*p.FloatScale) + p.FloatBias))))
	return int32(clampActF32(float32(r+float32(p.OutputZeroPoint)), -256, float32(qmax)))
}
