package kernels

import "math"

// ADD of two tensors, the second either of the same size as the first or
// broadcast: a scalar (one element) or a vector along the last dimension
// (len(b) divides len(a), b repeats every len(b) elements). ADD is
// commutative in every scheme here, so the engine can always put the
// larger operand first (swapping the quantization parameters with it).

// AddF32 computes out[i] = clamp(a[i] + b[i mod len(b)], actMin, actMax) in
// float32, as TFLite's reference Add with ActivationFunctionWithMinMax.
// len(b) is len(a), 1 or a divisor of len(a) (the last dimension); out may
// be a.
func AddF32(a, b, out []float32, actMin, actMax float32) {
	nb := len(b)
	if nb == 0 {
		return
	}
	for i0 := 0; i0 < len(a); i0 += nb {
		x := a[i0 : i0+nb]
		y := out[i0 : i0+nb]
		for i, v := range b {
			y[i] = clampActF32(x[i]+v, actMin, actMax)
		}
	}
}

// AddParams are the integer parameters of a quantized ADD, computed once by
// NewAddParams.
//
// The reference scheme is TFLite's reference (and optimized) 8-bit Add
// (kernels/add.cc Prepare, reference/add.h, reference/integer_ops/add.h):
// each input, offset by its zero point, is shifted left by LeftShift = 20
// and scaled by Input{1,2}Multiplier/Shift (scale_i / (2*max(scale1,
// scale2)), so below one), the sum is scaled by OutputMultiplier/Shift
// ((2*max scale) / (2^20 * outputScale)), then offset by the output zero
// point and clamped:
//
//	s_i = MultiplyByQuantizedMultiplier((q_i - zp_i) << 20, M_i, shift_i)
//	out = clamp(MultiplyByQuantizedMultiplier(s_1 + s_2, M_o, shift_o) + zp_o)
//
// The fp32 scheme is XNNPACK's qu8/qs8 vadd and vaddc (what TFLite's
// XNNPACK delegate runs; src/qs8-vadd/scalar.c.in, params-init.c
// xnn_init_qu8_add_minmax_*_params), which also uses integer multipliers:
// with the float32 ratios r_i = scale_i / outputScale,
//
//	shift = 20 - exponent(max(r_1, r_2))   (in [12, 30])
//	A_i   = lrintf(r_i * 2^shift)          (largest in [2^20, 2^21))
//	acc   = bias + q_1*A_1 + q_2*A_2,  bias = -(A_1*zp_1 + A_2*zp_2)
//	out   = clamp(((acc + 2^(shift-1)) >> shift) + zp_o)   (arithmetic >>)
//
// The delegate only takes an ADD whose ratios r_i lie in [2^-10, 2^8);
// otherwise TFLite runs its own kernel, so NewAddParams falls back to the
// reference arithmetic for such an ADD even in the fp32 scheme
// (UseReference tells which one runs).
type AddParams struct {
	// Scheme is the scheme the params were made for.
	Scheme Scheme
	// UseReference is true when the reference arithmetic runs: in the
	// reference scheme, or in the fp32 scheme when XNNPACK would not take
	// the ADD.
	UseReference bool

	// Reference arithmetic (TFLite's names).
	Input1Offset, Input2Offset int32 // -zero point
	OutputOffset               int32 // output zero point
	LeftShift                  int   // 20 for 8-bit
	Input1Multiplier           int32
	Input1Shift                int // <= 0 (right shift)
	Input2Multiplier           int32
	Input2Shift                int
	OutputMultiplier           int32
	OutputShift                int

	// XNNPACK arithmetic.
	Bias         int32 // -(A1*zp1 + A2*zp2)
	A1Multiplier int32
	A2Multiplier int32
	Shift        uint // in [12, 30]

	// ActMin and ActMax clamp the output in its quantized domain: from
	// QuantizedActivationRange for the same scheme, or with
	// SchemeReference when UseReference holds (TFLite's own kernel runs
	// then, with its own rounding of the bounds). The engine may reset
	// them after NewAddParams.
	ActMin, ActMax int32
}

// NewAddParams computes the parameters of a quantized ADD of inputs
// quantized with in1 and in2 into an output quantized with out, clamped to
// [actMin, actMax].
func NewAddParams(scheme Scheme, in1, in2, out Quant, actMin, actMax int32) *AddParams {
	p := &AddParams{Scheme: scheme, ActMin: actMin, ActMax: actMax}
	scale1, zp1, scale2, zp2 := in1.Scale, in1.ZeroPoint, in2.Scale, in2.ZeroPoint
	outScale, outZP := out.Scale, out.ZeroPoint

	// TFLite (add.cc): twice_max_input_scale = 2 * max(s1, s2) in float,
	// held in a double; the multipliers are double divisions.
	p.Input1Offset, p.Input2Offset, p.OutputOffset = -zp1, -zp2, outZP
	p.LeftShift = 20
	twiceMax := float64(2 * max(scale1, scale2))
	p.Input1Multiplier, p.Input1Shift = QuantizeMultiplier(float64(scale1) / twiceMax)
	p.Input2Multiplier, p.Input2Shift = QuantizeMultiplier(float64(scale2) / twiceMax)
	p.OutputMultiplier, p.OutputShift = QuantizeMultiplier(twiceMax / float64(float32(int32(1)<<p.LeftShift)*outScale))

	// XNNPACK: a_output_scale = a_scale / output_scale in float.
	r1, r2 := scale1/outScale, scale2/outScale
	const lo, hi = 1.0 / 1024, 256.0
	p.UseReference = scheme == SchemeReference || !(r1 >= lo && r1 < hi && r2 >= lo && r2 < hi)
	if p.UseReference {
		return p
	}
	maxExponent := int32(math.Float32bits(max(r1, r2))>>23) - 127
	p.Shift = uint(20 - maxExponent)
	p.A1Multiplier = xnnAddMultiplier(r1, p.Shift)
	p.A2Multiplier = xnnAddMultiplier(r2, p.Shift)
	p.Bias = -(p.A1Multiplier*zp1 + p.A2Multiplier*zp2)
	return p
}

// xnnAddMultiplier is XNNPACK's lrintf(r * 2^shift), the product formed by
// adding shift to r's exponent bits (exact for the normal r it accepts) and
// rounded half to even.
func xnnAddMultiplier(r float32, shift uint) int32 {
	scaled := math.Float32frombits(math.Float32bits(r) + uint32(shift)<<23)
	return int32(math.RoundToEven(float64(scaled)))
}

// add returns one output value of the quantized ADD of q1 and q2.
func (p *AddParams) add(q1, q2 int32) int32 {
	var out int32
	if p.UseReference {
		// Overflow: |q - zp| <= 255, << 20 stays below 2^28.
		s1 := MultiplyByQuantizedMultiplier((q1+p.Input1Offset)*(1<<uint(p.LeftShift)), p.Input1Multiplier, p.Input1Shift)
		s2 := MultiplyByQuantizedMultiplier((q2+p.Input2Offset)*(1<<uint(p.LeftShift)), p.Input2Multiplier, p.Input2Shift)
		out = MultiplyByQuantizedMultiplier(s1+s2, p.OutputMultiplier, p.OutputShift) + p.OutputOffset
	} else {
		// Overflow: |q| <= 255 and A < 2^21, so each product is below
		// 2^29 and the bias below 2^30 in magnitude.
		acc := p.Bias + q1*p.A1Multiplier + q2*p.A2Multiplier
		out = (acc+int32(1)<<(p.Shift-1))>>p.Shift + p.OutputOffset
	}
	return max(min(out, p.ActMax), p.ActMin)
}

// AddU8 computes the uint8 ADD out[i] = a[i] + b[i mod len(b)] with the
// parameters of p. len(b) is len(a), 1 or a divisor of len(a); out may be a.
func AddU8(p *AddParams, a, b, out []uint8) { addQ(p, a, b, out) }

// AddI8 computes the int8 ADD out[i] = a[i] + b[i mod len(b)] with the
// parameters of p. len(b) is len(a), 1 or a divisor of len(a); out may be a.
func AddI8(p *AddParams, a, b, out []int8) { addQ(p, a, b, out) }

func addQ[T uint8 | int8](p *AddParams, a, b, out []T) {
	nb := len(b)
	if nb == 0 {
		return
	}
	for i0 := 0; i0 < len(a); i0 += nb {
		x := a[i0 : i0+nb]
		y := out[i0 : i0+nb]
		for i, v := range b {
			y[i] = T(p.add(int32(x[i]), int32(v)))
		}
	}
}
