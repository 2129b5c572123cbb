package kernels

import "math"

// Standalone RELU and RELU6 (and RELU_N1_TO_1) ops, as TFLite's built-in
// kernels (kernels/activations.cc: ReluEval, Relu6Eval, QuantizedReluX with
// optimized_ops::ReluX). The quantized kernels are the same in both
// schemes: they clamp in the output's quantized domain after requantizing
// with TFLite's reference MultiplyByQuantizedMultiplier, which is the
// identity when input and output share scale and zero point (the multiplier
// is then 2^30 with shift 1, exact).

// ReluF32 computes out[i] = max(in[i], 0). out may be in.
func ReluF32(in, out []float32) {
	inf := float32(math.Inf(1))
	for i, x := range in {
		out[i] = clampActF32(x, 0, inf)
	}
}

// Relu6F32 computes out[i] = min(max(in[i], 0), 6). out may be in.
func Relu6F32(in, out []float32) {
	for i, x := range in {
		out[i] = clampActF32(x, 0, 6)
	}
}

// ReluParams are the parameters of a quantized RELU-like op, made by
// NewReluParams.
type ReluParams struct {
	// InputZeroPoint and OutputZeroPoint are the two quantizations' zero
	// points.
	InputZeroPoint, OutputZeroPoint int32
	// Multiplier and Shift requantize from the input's scale to the
	// output's: QuantizeMultiplier(float64(inScale) / float64(outScale)).
	Multiplier int32
	Shift      int
	// ActMin and ActMax are the activation's bounds in the output's
	// quantized domain.
	ActMin, ActMax int32
}

// NewReluParams returns the parameters of a quantized activation that
// clamps to the real range [lo, hi] (RELU: 0, +Inf; RELU6: 0, 6;
// RELU_N1_TO_1: -1, 1), from an input quantized with input to an output
// quantized with output of type int8 when int8 is true, uint8 otherwise.
// As TFLite's QuantizedReluX, with outScale and outZP output's scale and
// zero point:
//
//	ActMin = max(qmin, outZP + int32(roundf(lo / outScale)))
//	ActMax = hi == +Inf ? qmax : min(qmax, outZP + int32(roundf(hi / outScale)))
//
// with the division in float32 and roundf rounding half away from zero.
func NewReluParams(lo, hi float32, input, output Quant, int8 bool) *ReluParams {
	qmin, qmax := int32(0), int32(255)
	if int8 {
		qmin, qmax = -128, 127
	}
	outScale, outZP := output.Scale, output.ZeroPoint
	p := &ReluParams{InputZeroPoint: input.ZeroPoint, OutputZeroPoint: outZP}
	p.Multiplier, p.Shift = QuantizeMultiplier(float64(input.Scale) / float64(outScale))
	p.ActMin = max(qmin, outZP+roundfToInt32(lo/outScale))
	p.ActMax = qmax
	if !math.IsInf(float64(hi), 1) {
		p.ActMax = min(qmax, outZP+roundfToInt32(hi/outScale))
	}
	return p
}

// roundfToInt32 is static_cast<int32_t>(roundf(x)), saturating instead of
// undefined outside the int32 range.
func roundfToInt32(x float32) int32 {
	r := math.Round(float64(x))
	return int32(math.Max(math.Min(r, math.MaxInt32/2), math.MinInt32/2))
}

// relu returns one output of the quantized activation.
func (p *ReluParams) relu(q int32) int32 {
	v := p.OutputZeroPoint + MultiplyByQuantizedMultiplier(q-p.InputZeroPoint, p.Multiplier, p.Shift)
	return max(min(v, p.ActMax), p.ActMin)
}

// ReluU8 applies the quantized activation of p to uint8 values. out may be
// in.
func ReluU8(p *ReluParams, in, out []uint8) {
	for i, q := range in {
		out[i] = uint8(p.relu(int32(q)))
	}
}

// ReluI8 applies the quantized activation of p to int8 values. out may be
// in.
func ReluI8(p *ReluParams, in, out []int8) {
	for i, q := range in {
		out[i] = int8(p.relu(int32(q)))
	}
}
