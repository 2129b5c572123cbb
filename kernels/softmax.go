package kernels

import "math"

// SOFTMAX over the last dimension: rows independent rows of depth values.
//
// float32 is TFLite's reference Softmax. The quantized kernels have two
// schemes (see NewSoftmaxParams):
//
//   - SchemeFP32 is TFLite's built-in optimized uint8/int8 SOFTMAX
//     (optimized_ops.h: PopulateSoftmaxLookupTable, Softmax<In, Out> and
//     QuantizeSoftmaxOutput), the kernel the official runtime runs in
//     browsers: a 256-entry float32 table of exp(-inputScale*beta*d) for
//     d = max - x, a sequential float32 sum, one float32 reciprocal per row.
//   - SchemeReference is TFLite's reference fixed-point softmax
//     (reference/softmax.h Softmax<InputT, OutputT>): gemmlowp's
//     exp_on_negative_values in Q5.26, a Q12.19 sum, GetReciprocal.

// kScaledDiffIntegerBits and kAccumulationIntegerBits are the fixed-point
// formats of TFLite's reference quantized softmax: differences in Q5.26, the
// sum of exponentials in Q12.19.
const (
	softmaxScaledDiffIntegerBits   = 5
	softmaxAccumulationIntegerBits = 12
)

// SoftmaxParams are the precomputed parameters of a quantized SOFTMAX,
// made once at plan time by NewSoftmaxParams.
type SoftmaxParams struct {
	// Scheme selects the kernel: the float table (SchemeFP32) or the
	// fixed-point reference (SchemeReference).
	Scheme Scheme

	// SchemeFP32: Table[255-d] = expf(-inputScale*beta*d) for d in
	// [0, 255], computed in float32 exactly as TFLite's
	// PopulateSoftmaxLookupTable.
	Table [256]float32
	// OutputScale and OutputZeroPoint are the output quantization (TFLite
	// requires 1/256 and 0 for uint8, 1/256 and -128 for int8). The uint8
	// kernel of the fp32 scheme ignores the zero point, as TFLite's does.
	OutputScale     float32
	OutputZeroPoint int32

	// SchemeReference: the input multiplier (Q31) and left shift that
	// scale an input difference by inputScale*beta into Q5.26, and the
	// smallest difference whose exponential is computed (smaller ones
	// give a zero probability), as TFLite's SoftmaxPrepare computes them
	// (PreprocessSoftmaxScaling, CalculateInputRadius).
	InputMultiplier int32
	InputLeftShift  int
	DiffMin         int32
}

// NewSoftmaxParams computes the parameters of a quantized SOFTMAX whose
// input has scale inputScale, with the op's beta, producing an output
// quantized with output (scale 1/256 and zero point 0 for uint8, 1/256 and
// -128 for int8 in every TFLite model; the reference scheme assumes them).
//
// The fp32 scheme's table needs expf in float32; it is computed as
// float32(math.Exp(float64(x))), which is what a correctly rounded expf
// returns. The official runtime's wasm build uses musl's expf (via
// emscripten), which is correctly rounded in all but extremely rare cases,
// so the tables agree.
//
// The reference scheme needs beta*inputScale > 2^-26 (TFLite checks that
// the Q5.26 input multiplier is greater than one).
func NewSoftmaxParams(scheme Scheme, inputScale, beta float32, output Quant) *SoftmaxParams {
	p := &SoftmaxParams{Scheme: scheme, OutputScale: output.Scale, OutputZeroPoint: output.ZeroPoint}
	// PopulateSoftmaxLookupTable: scale = -input_scale * beta (float),
	// table[255 - val] = expf(scale * val).
	scale := -inputScale * beta
	for val := 0; val <= 255; val++ {
		p.Table[255-val] = float32(math.Exp(float64(scale * float32(val))))
	}
	// PreprocessSoftmaxScaling(beta, input_scale, kScaledDiffIntegerBits):
	// min(beta * input_scale * 2^(31-5), 2^31 - 1) in double, then
	// QuantizeMultiplierGreaterThanOne.
	realMultiplier := float64(beta) * float64(inputScale) * float64(int64(1)<<(31-softmaxScaledDiffIntegerBits))
	realMultiplier = math.Min(realMultiplier, float64(int64(1)<<31)-1.0)
	p.InputMultiplier, p.InputLeftShift = quantizeMultiplierUncapped(realMultiplier)
	// CalculateInputRadius(kScaledDiffIntegerBits, input_left_shift, 31):
	// floor((2^5 - 1) * 2^(31-5) / 2^input_left_shift), negated.
	radius := math.Floor(float64((int64(1)<<softmaxScaledDiffIntegerBits)-1) *
		float64(int64(1)<<(31-softmaxScaledDiffIntegerBits)) / math.Ldexp(1, p.InputLeftShift))
	p.DiffMin = -int32(radius)
	return p
}

// SoftmaxF32 computes softmax(beta * x) over each of rows rows of depth
// values, as TFLite's reference float Softmax: subtract the row maximum,
// exp in float32 (expf), sum sequentially in float32, divide each term by
// the sum. out may be in. (The float model's goldens come from XNNPACK's
// softmax, whose polynomial exp and reciprocal differ from this by about
// 1e-7, well inside the 1e-5 tolerance.)
func SoftmaxF32(in, out []float32, rows, depth int, beta float32) {
	for r := range rows {
		x := in[r*depth : (r+1)*depth]
		y := out[r*depth : (r+1)*depth]
		maxVal := float32(-math.MaxFloat32)
		for _, v := range x {
			if maxVal < v { // std::max(max, v)
				maxVal = v
			}
		}
		var sum float32
		for c, v := range x {
			e := float32(math.Exp(float64((v - maxVal) * beta)))
			y[c] = e
			sum += e
		}
		for c := range y {
			y[c] /= sum
		}
	}
}

// SoftmaxU8 computes a uint8 SOFTMAX over rows rows of depth values in the
// scheme of p. out may be in.
func SoftmaxU8(p *SoftmaxParams, in, out []uint8, rows, depth int) {
	if p.Scheme == SchemeReference {
		softmaxReferenceQ(p, in, out, rows, depth, 0, 255)
		return
	}
	for r := range rows {
		x := in[r*depth : (r+1)*depth]
		y := out[r*depth : (r+1)*depth]
		maxVal := rowMax(x, 0)
		// table[255 - max + x] = exp(-inputScale*beta*(max - x)).
		t := p.Table[255-maxVal:]
		var sumExp float32
		for _, v := range x {
			sumExp += t[v]
		}
		invSumExp := 1 / float32(sumExp*p.OutputScale)
		for c, v := range x {
			y[c] = uint8(min(softmaxQuantizeU8(float32(t[v]*invSumExp)), 255))
		}
	}
}

// SoftmaxI8 computes an int8 SOFTMAX over rows rows of depth values in the
// scheme of p. out may be in.
func SoftmaxI8(p *SoftmaxParams, in, out []int8, rows, depth int) {
	if p.Scheme == SchemeReference {
		softmaxReferenceQ(p, in, out, rows, depth, -128, 127)
		return
	}
	for r := range rows {
		x := in[r*depth : (r+1)*depth]
		y := out[r*depth : (r+1)*depth]
		maxVal := rowMax(x, -128)
		// table_offset = &table[255 - max]; indexed by the (signed) input:
		// table[255 - max + x], 255 - max + x in [0, 255].
		base := 255 - maxVal
		var sumExp float32
		for _, v := range x {
			sumExp += p.Table[base+int32(v)]
		}
		invSumExp := 1 / float32(sumExp*p.OutputScale)
		for c, v := range x {
			q := softmaxQuantizeI8(float32(p.Table[base+int32(v)]*invSumExp), p.OutputZeroPoint)
			y[c] = int8(max(min(q, 127), -128))
		}
	}
}

// softmaxReferenceQ is SoftmaxU8 and SoftmaxI8 in SchemeReference, whose
// arithmetic is the same for both types (reference_ops::Softmax and
// reference_integer_ops::Softmax); [lo, hi] is the type's range, lo its
// smallest value.
func softmaxReferenceQ[T uint8 | int8](p *SoftmaxParams, in, out []T, rows, depth int, lo, hi int32) {
	for r := range rows {
		x := in[r*depth : (r+1)*depth]
		y := out[r*depth : (r+1)*depth]
		maxInRow := rowMax(x, lo)
		scale, exponent := referenceRowScale(p, x, maxInRow)
		for c, v := range x {
			y[c] = T(p.referenceOutput(int32(v)-maxInRow, scale, exponent, lo, hi))
		}
	}
}

// rowMax is the largest value of x, lowest for an empty row.
func rowMax[T uint8 | int8](x []T, lowest int32) int32 {
	m := lowest
	for _, v := range x {
		m = max(m, int32(v))
	}
	return m
}

// softmaxQuantizeU8 is QuantizeSoftmaxOutput<uint8_t> as built for every
// target but arm64 (wasm included): static_cast<int32_t>(prob_rescaled +
// 0.5f), a float32 sum truncated, without the zero point. The float32 sum
// can round up: 0.49999997 + 0.5 is 1.
func softmaxQuantizeU8(probRescaled float32) int32 {
	return int32(float32(probRescaled + 0.5))
}

// softmaxQuantizeI8 is QuantizeSoftmaxOutput<int8_t>:
// static_cast<int32_t>(std::round(prob_rescaled)) + zero_point, rounding
// half away from zero exactly (prob_rescaled >= 0).
func softmaxQuantizeI8(probRescaled float32, zeroPoint int32) int32 {
	return int32(math.Round(float64(probRescaled))) + zeroPoint
}

// referenceExp returns exp(diff * inputScale * beta) in Q0.31 for an input
// difference diff >= DiffMin (diff <= 0).
func (p *SoftmaxParams) referenceExp(diff int32) int32 {
	var rescaled int32
	if p.InputLeftShift >= 0 {
		// MultiplyByQuantizedMultiplierGreaterThanOne.
		rescaled = SaturatingRoundingDoublingHighMul(diff*(1<<uint(p.InputLeftShift)), p.InputMultiplier)
	} else {
		// Only reached when beta*inputScale <= 2^-26, which TFLite rejects.
		rescaled = MultiplyByQuantizedMultiplier(diff, p.InputMultiplier, p.InputLeftShift)
	}
	return expOnNegativeValues(rescaled, softmaxScaledDiffIntegerBits)
}

// referenceRowScale returns the row's reciprocal sum of exponentials
// (Q0.31) and the right shift that turns scale*exp into an 8-bit
// probability.
func referenceRowScale[T uint8 | int8](p *SoftmaxParams, x []T, maxInRow int32) (int32, int) {
	var sumOfExps int32 // Q12.19
	for _, v := range x {
		if diff := int32(v) - maxInRow; diff >= p.DiffMin {
			sumOfExps += rescaleFixedPoint(p.referenceExp(diff), 0, softmaxAccumulationIntegerBits)
		}
	}
	return referenceScale(sumOfExps)
}

// referenceScale turns a Q12.19 sum of exponentials into its reciprocal
// and the output exponent num_bits_over_unit + 31 - 8.
func referenceScale(sumOfExps int32) (int32, int) {
	scale, numBitsOverUnit := getReciprocal(sumOfExps, softmaxAccumulationIntegerBits)
	return scale, numBitsOverUnit + 31 - 8
}

// referenceOutput is one output of the reference softmax: exp(diff) times
// the row's reciprocal sum, divided by 2^exponent with rounding, offset by
// the output type's minimum and clamped to [outMin, outMax]. Differences
// below DiffMin give outMin.
func (p *SoftmaxParams) referenceOutput(diff, scale int32, exponent int, outMin, outMax int32) int32 {
	if diff < p.DiffMin {
		return outMin
	}
	prod := SaturatingRoundingDoublingHighMul(scale, p.referenceExp(diff))
	var unsat int32
	if exponent <= 31 {
		unsat = RoundingDivideByPOT(prod, exponent)
	}
	// exponent > 31 happens when the sum of exponentials reaches 512 (512
	// or more entries tied near the maximum): TFLite's TFLITE_CHECK aborts
	// there; the exact quotient prod / 2^exponent is below 1/2, so 0.
	return max(min(unsat+outMin, outMax), outMin)
}
