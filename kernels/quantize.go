package kernels

import "math"

// QUANTIZE (float32 to uint8/int8, and uint8/int8 to uint8/int8) and
// DEQUANTIZE.

// QuantizeParams are the parameters of a float32 to uint8/int8 QUANTIZE,
// made by NewQuantizeParams.
//
//   - SchemeReference is TFLite's AffineQuantize
//     (reference/quantize.h): q = round(x / scale) + zeroPoint, the
//     division in float32, rounding half away from zero, clamped to the
//     output type.
//   - SchemeFP32 is XNNPACK's f32-qu8/f32-qs8 vcvt (what TFLite's XNNPACK
//     delegate runs for QUANTIZE): x times InvScale = float32(1/scale),
//     clamped to the type's range less the zero point, rounded half to
//     even, plus the zero point.
//
// The two can differ by one where x/scale is (nearly) half-way between
// integers. NaN inputs give the zero point in both (TFLite's result is
// undefined there).
type QuantizeParams struct {
	// Scheme selects the rounding (see above).
	Scheme Scheme
	// Scale and ZeroPoint are the output's quantization; InvScale is
	// float32(1 / Scale), XNNPACK's multiplier.
	Scale     float32
	InvScale  float32
	ZeroPoint int32
}

// NewQuantizeParams returns the parameters of a QUANTIZE to an output
// quantized with output.
func NewQuantizeParams(scheme Scheme, output Quant) *QuantizeParams {
	return &QuantizeParams{Scheme: scheme, Scale: output.Scale, InvScale: 1 / output.Scale, ZeroPoint: output.ZeroPoint}
}

// quantize returns x quantized with p, clamped to [qmin, qmax].
func (p *QuantizeParams) quantize(x float32, qmin, qmax int32) int32 {
	if x != x { // NaN
		return max(min(p.ZeroPoint, qmax), qmin)
	}
	if p.Scheme == SchemeReference {
		// TfLiteRound(val / static_cast<float>(scale)) + zero_point. The
		// float64 round-trip of a float32 is exact; the clamp in float64
		// avoids C++'s undefined out-of-range int conversion.
		r := math.Round(float64(x / p.Scale))
		r = math.Max(math.Min(r, float64(qmax-p.ZeroPoint)), float64(qmin-p.ZeroPoint))
		return max(min(int32(r)+p.ZeroPoint, qmax), qmin)
	}
	v := clampActF32(float32(x*p.InvScale), float32(qmin-p.ZeroPoint), float32(qmax-p.ZeroPoint))
	return int32(math.RoundToEven(float64(v))) + p.ZeroPoint
}

// QuantizeU8 quantizes float32 values to uint8 with p.
func QuantizeU8(p *QuantizeParams, in []float32, out []uint8) {
	for i, x := range in {
		out[i] = uint8(p.quantize(x, 0, 255))
	}
}

// QuantizeI8 quantizes float32 values to int8 with p.
func QuantizeI8(p *QuantizeParams, in []float32, out []int8) {
	for i, x := range in {
		out[i] = int8(p.quantize(x, -128, 127))
	}
}

// DequantizeU8 computes out[i] = float32(in[i] - zeroPoint) * scale, the
// product rounded once to float32. TFLite (reference and optimized
// Dequantize: static_cast<float>(scale * (val - zero_point)) with a double
// scale) and XNNPACK (float32 multiply) agree: the exact product of a
// float32 and an integer below 2^10 fits in a double, so both round it
// once.
func DequantizeU8(in []uint8, out []float32, scale float32, zeroPoint int32) {
	for i, q := range in {
		out[i] = float32(int32(q)-zeroPoint) * scale
	}
}

// DequantizeI8 is DequantizeU8 for int8 inputs.
func DequantizeI8(in []int8, out []float32, scale float32, zeroPoint int32) {
	for i, q := range in {
		out[i] = float32(int32(q)-zeroPoint) * scale
	}
}

// RequantizeParams are the parameters of a quantized-to-quantized QUANTIZE
// (uint8 to int8, int8 to uint8, or a change of scale/zero point within one
// type), made by NewRequantizeParams. Both schemes use TFLite's Requantize
// (quantize.cc, reference/requantize.h):
//
//	out = clamp(MultiplyByQuantizedMultiplier(q - inZP, M, shift) + outZP)
//
// with M, shift = QuantizeMultiplier(float64(inScale) / float64(outScale)).
// For the usual uint8<->int8 conversion (same scale, zero points 128
// apart) that is q ^ 0x80, TFLite's fast path.
type RequantizeParams struct {
	// InputZeroPoint and OutputZeroPoint are the two quantizations' zero
	// points.
	InputZeroPoint, OutputZeroPoint int32
	// Multiplier and Shift scale by inScale/outScale (Q31, shift positive
	// to the left).
	Multiplier int32
	Shift      int
}

// NewRequantizeParams returns the parameters of a requantization from
// input's quantization to output's.
func NewRequantizeParams(input, output Quant) *RequantizeParams {
	m, s := QuantizeMultiplier(float64(input.Scale) / float64(output.Scale))
	return &RequantizeParams{InputZeroPoint: input.ZeroPoint, OutputZeroPoint: output.ZeroPoint, Multiplier: m, Shift: s}
}

// requantize returns q requantized with p, clamped to [qmin, qmax].
func (p *RequantizeParams) requantize(q, qmin, qmax int32) int32 {
	v := MultiplyByQuantizedMultiplier(q-p.InputZeroPoint, p.Multiplier, p.Shift) + p.OutputZeroPoint
	return max(min(v, qmax), qmin)
}

// RequantizeU8ToI8 requantizes uint8 values to int8 with p.
func RequantizeU8ToI8(p *RequantizeParams, in []uint8, out []int8) {
	for i, q := range in {
		out[i] = int8(p.requantize(int32(q), -128, 127))
	}
}

// RequantizeI8ToU8 requantizes int8 values to uint8 with p.
func RequantizeI8ToU8(p *RequantizeParams, in []int8, out []uint8) {
	for i, q := range in {
		out[i] = uint8(p.requantize(int32(q), 0, 255))
	}
}

// RequantizeU8 requantizes uint8 values to uint8 with p. out may be in.
func RequantizeU8(p *RequantizeParams, in, out []uint8) {
	for i, q := range in {
		out[i] = uint8(p.requantize(int32(q), 0, 255))
	}
}

// RequantizeI8 requantizes int8 values to int8 with p. out may be in.
func RequantizeI8(p *RequantizeParams, in, out []int8) {
	for i, q := range in {
		out[i] = int8(p.requantize(int32(q), -128, 127))
	}
}
