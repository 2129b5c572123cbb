package train

import "math"

// QParams are per-tensor asymmetric uint8 quantization parameters, the
// release's format: real = Scale * (q - ZeroPoint), q in [0, 255]. Scale
// is a float32 because the file stores it so; arithmetic on it is done in
// float64 from that exact value.
type QParams struct {
	Scale     float32
	ZeroPoint int32
}

// ChooseQParams returns the parameters that cover [lo, hi], widened to
// hold 0 so that zero (ReLU's floor, zero padding) is exact: scale =
// (hi-lo)/255 and the zero point round(-lo/scale), as TensorFlow's
// FakeQuantWithMinMaxVars nudges its range (its nudged range is
// [-zp*scale, (255-zp)*scale]). An empty range is widened to one unit so
// that the scale is never zero.
func ChooseQParams(lo, hi float64) QParams {
	lo, hi = min(lo, 0), max(hi, 0)
	if hi-lo < 1e-8 {
		hi = lo + 1
	}
	scale := float32((hi - lo) / 255)
	zp := math.Round(-lo / float64(scale))
	zp = min(max(zp, 0), 255)
	return QParams{Scale: scale, ZeroPoint: int32(zp)}
}

// Quantize returns the uint8 code of x: round half to even (as the
// engine's fp32 requantization and TFLite's converter round), plus the
// zero point, clamped to [0, 255].
func (q QParams) Quantize(x float64) uint8 {
	v := math.RoundToEven(x/float64(q.Scale)) + float64(q.ZeroPoint)
	return uint8(min(max(v, 0), 255))
}

// Dequantize returns the real value of code v.
func (q QParams) Dequantize(v uint8) float64 {
	return float64(q.Scale) * float64(int32(v)-q.ZeroPoint)
}

// FakeQuant rounds x to the nearest value uint8 can hold (Dequantize of
// Quantize) and reports whether x was inside the representable range:
// the straight-through estimator passes the gradient only there.
func (q QParams) FakeQuant(x float64) (float64, bool) {
	lo, hi := q.Dequantize(0), q.Dequantize(255)
	return q.Dequantize(q.Quantize(x)), x >= lo && x <= hi
}

// weightQParams are the parameters of a weight matrix: its own min/max.
func weightQParams(w []float64) QParams {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range w {
		lo, hi = min(lo, v), max(hi, v)
	}
	if len(w) == 0 {
		lo, hi = 0, 0
	}
	return ChooseQParams(lo, hi)
}

// biasScale is the scale of an int32 bias: input scale times weight scale,
// multiplied in float32 as the release's files store it.
func biasScale(in, w QParams) float32 { return in.Scale * w.Scale }

// quantizeBias returns the int32 code of bias b at scale s (zero point 0),
// saturated.
func quantizeBias(b float64, s float32) int32 {
	v := math.RoundToEven(b / float64(s))
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}
