package kernels

// MEAN over the spatial axes (H and W) of an NHWC tensor: the global
// average pooling of Keras and other converters' MobileNets. The output
// holds N x C values (shape [N, 1, 1, C] with keep_dims, [N, C] without:
// the same bytes).
//
// Quantized MEAN is the same in both schemes (TFLite's own kernel):
//
//   - input and output with the same scale and zero point (the common
//     case): the rounded average of the H*W values, exactly as
//     AVERAGE_POOL_2D rounds it — (sum + n/2) / n for uint8, half away from
//     zero for int8. This is what TFLite's uint8 kernel
//     (reference_ops::Mean for uint8, optimized_ops::Mean, keep_dims over
//     H and W) computes: its bias is 0 and its multiplier is 1/n, which
//     gives the same rounding for every window size a MobileNet has (the
//     tests check all sums for n up to 64 and 7x7, 14x14).
//   - different quantization: uint8 is reference_ops::Mean for uint8
//     (reference/reduce.h):
//     clamp(MultiplyByQuantizedMultiplier(sum, M, shift) + bias) with
//     M, shift = QuantizeMultiplier(float32(inScale / float32(n*outScale)))
//     and bias = outZP - trunc(float32(inZP*inScale/outScale) ± 0.5);
//     int8 is reference_integer_ops::Mean (reference/integer_ops/mean.h):
//     sum of (x - inZP), MultiplyByQuantizedMultiplier by
//     QuantizeMultiplier(inScale/outScale), divided by n half away from
//     zero, plus outZP, clamped.
//
// TFLite without keep_dims takes other paths (an integer division that
// truncates for equal quantization, a float formula otherwise); these
// kernels always compute the keep_dims results above.

// MeanParams are the precomputed parameters of a quantized spatial MEAN,
// made once by NewMeanParams.
type MeanParams struct {
	In Shape4
	// SameQuant is true when input and output share scale and zero point:
	// the kernels then compute the rounded average.
	SameQuant bool
	// uint8 with different quantization: reference_ops::Mean's multiplier,
	// shift (for sum / n * inScale / outScale) and bias.
	Multiplier int32
	Shift      int
	Bias       int32
	// int8 with different quantization: reference_integer_ops::Mean's
	// zero points and multiplier and shift (for inScale / outScale).
	InputZeroPoint, OutputZeroPoint int32
	Int8Multiplier                  int32
	Int8Shift                       int
}

// NewMeanParams returns the parameters of a quantized MEAN over H and W of
// a tensor of shape in, quantized with (inScale, inZP), into an output
// quantized with (outScale, outZP).
func NewMeanParams(in Shape4, inScale float32, inZP int32, outScale float32, outZP int32) *MeanParams {
	p := &MeanParams{
		In:              in,
		SameQuant:       inScale == outScale && inZP == outZP,
		InputZeroPoint:  inZP,
		OutputZeroPoint: outZP,
	}
	// reference_ops::Mean (uint8), all in float32 as written there.
	n := float32(in.H * in.W)
	temp := float32(float32(inZP)*inScale) / outScale
	if temp > 0 {
		temp += 0.5
	} else {
		temp -= 0.5
	}
	p.Bias = outZP - int32(temp)
	p.Multiplier, p.Shift = QuantizeMultiplier(float64(inScale / float32(n*outScale)))
	// reduce.cc PrepareMeanOrSum (int8).
	p.Int8Multiplier, p.Int8Shift = QuantizeMultiplier(float64(inScale) / float64(outScale))
	return p
}

// MeanF32 is the float32 MEAN over H and W of a tensor of shape s: the
// float32 sum over H then W, divided by H*W (reference_ops::Mean).
func MeanF32(s Shape4, in, out []float32) {
	n := float32(s.H * s.W)
	for b := range s.N {
		o := out[b*s.C : (b+1)*s.C]
		for c := range o {
			var sum float32
			for y := range s.H {
				for x := range s.W {
					sum += in[((b*s.H+y)*s.W+x)*s.C+c]
				}
			}
			o[c] = sum / n
		}
	}
}

// MeanU8 is the uint8 MEAN over H and W with the parameters of p.
func MeanU8(p *MeanParams, in, out []uint8) {
	s := p.In
	n := int32(s.H * s.W)
	for b := range s.N {
		o := out[b*s.C : (b+1)*s.C]
		for c := range o {
			// At most 255 * H * W: no overflow below 2^23 values.
			var sum int32
			for y := range s.H {
				for x := range s.W {
					sum += int32(in[((b*s.H+y)*s.W+x)*s.C+c])
				}
			}
			var v int32
			if p.SameQuant {
				v = (sum + n/2) / n
			} else {
				v = MultiplyByQuantizedMultiplier(sum, p.Multiplier, p.Shift) + p.Bias
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
			var v int32
			if p.SameQuant {
				var sum int32
				for y := range s.H {
					for x := range s.W {
						sum += int32(in[((b*s.H+y)*s.W+x)*s.C+c])
					}
				}
				v = roundedDivide(sum, n)
			} else {
				var sum int32 // of x - inZP: at most 255 * H * W in magnitude
				for y := range s.H {
					for x := range s.W {
						sum += int32(in[((b*s.H+y)*s.W+x)*s.C+c]) - p.InputZeroPoint
					}
				}
				v = roundedDivide(MultiplyByQuantizedMultiplier(sum, p.Int8Multiplier, p.Int8Shift), n) + p.OutputZeroPoint
			}
			o[c] = int8(max(min(v, 127), -128))
		}
	}
}
