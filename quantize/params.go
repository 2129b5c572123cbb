package quantize

import (
	"encoding/binary"
	"math"
)

// affineParams returns the scale and zero point that map the real range
// [lo, hi], widened to include 0, onto the integers [qmin, qmax], as
// TFLite's converter chooses them: scale (hi-lo)/(qmax-qmin), zero point
// qmin - lo/scale rounded half away from zero and clamped, so that 0 is
// exactly representable (the range is nudged by less than a step). A
// degenerate range (both ends 0) becomes [0, 1].
func affineParams(lo, hi float64, qmin, qmax int) (scale float64, zp int) {
	lo, hi = min(lo, 0), max(hi, 0)
	if hi-lo <= 0 || math.IsNaN(hi-lo) {
		lo, hi = 0, 1
	}
	// The zero point comes from the exact scale (as TFLite's converter
	// computes it, in double); the scale is stored as float32.
	exact := (hi - lo) / float64(qmax-qmin)
	zpf := float64(qmin) - lo/exact
	zp = int(math.Round(min(max(zpf, float64(qmin)), float64(qmax))))
	scale = float64(float32(exact))
	if scale == 0 {
		scale = float64(math.SmallestNonzeroFloat32)
	}
	return scale, zp
}

// quantizeValue returns round(v/scale)+zp, rounding half away from zero,
// clamped to [qmin, qmax].
func quantizeValue(v, scale float64, zp, qmin, qmax int) int {
	q := math.Round(v/scale) + float64(zp)
	return int(min(max(q, float64(qmin)), float64(qmax)))
}

// asymmetricWeights quantizes w per tensor to uint8 over [min(w,0),
// max(w,0)] (the release's weight format), with scale at least minScale
// (see biasMinScale).
func asymmetricWeights(w []float32, minScale float64) (q []byte, scale float64, zp int) {
	lo, hi := 0.0, 0.0
	for _, x := range w {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	if hi-lo < minScale*255 {
		// Widen the range around the same zero point so that the
		// scale reaches minScale.
		hi = lo + minScale*255*(1+1e-6)
	}
	scale, zp = affineParams(lo, hi, 0, 255)
	q = make([]byte, len(w))
	for i, x := range w {
		q[i] = byte(quantizeValue(float64(x), scale, zp, 0, 255))
	}
	return q, scale, zp
}

// symmetricWeights quantizes w to int8 in [-127, 127] with zero point 0
// and one scale max|w|/127 per index of dimension axis of shape (TFLite's
// per-channel spec), or one for the whole tensor when axis is -1. Scales
// are at least minScale[c] (see biasMinScale); an all-zero channel gets
// the largest scale of the others (1 when all are zero), so that its bias
// keeps the others' precision.
func symmetricWeights(w []float32, shape []int, axis int, minScale []float64) (q []byte, scales []float64) {
	channels, inner := 1, 1
	if axis >= 0 {
		channels = shape[axis]
		for _, d := range shape[axis+1:] {
			inner *= d
		}
	}
	ch := func(i int) int {
		if axis < 0 {
			return 0
		}
		return (i / inner) % channels
	}
	amax := make([]float64, channels)
	for i, x := range w {
		c := ch(i)
		amax[c] = max(amax[c], math.Abs(float64(x)))
	}
	scales = make([]float64, channels)
	fallback := 0.0
	for c, a := range amax {
		scales[c] = float64(float32(a / 127))
		fallback = max(fallback, scales[c])
	}
	if fallback == 0 {
		fallback = 1
	}
	for c := range scales {
		if scales[c] == 0 {
			scales[c] = fallback
		}
		if minScale != nil && scales[c] < minScale[c] {
			scales[c] = float64(float32(minScale[c] * (1 + 1e-6)))
		}
	}
	q = make([]byte, len(w))
	for i, x := range w {
		q[i] = byte(int8(quantizeValue(float64(x), scales[ch(i)], 0, -127, 127)))
	}
	return q, scales
}

// maxBias is the largest int32 bias magnitude.
const maxBias = math.MaxInt32

// biasMinScale returns, for each bias value, the smallest weight scale
// that keeps the bias representable in int32 at scale inScale*weightScale
// (TFLite's converter raises the weight scale the same way when a bias
// would overflow). Zero means no constraint.
func biasMinScale(bias []float32, inScale float64) []float64 {
	out := make([]float64, len(bias))
	for i, b := range bias {
		out[i] = math.Abs(float64(b)) / (inScale * maxBias)
	}
	return out
}

// int32Bias quantizes bias values with scale inScale*weightScale[c] (one
// weight scale, or one per channel) and zero point 0, as little-endian
// int32 bytes, and returns the scales as stored (float32).
func int32Bias(bias []float32, inScale float64, weightScales []float64) ([]byte, []float32) {
	out := make([]byte, 4*len(bias))
	scales := make([]float32, len(weightScales))
	for c, ws := range weightScales {
		scales[c] = float32(inScale * ws)
	}
	for i, b := range bias {
		s := float64(scales[0])
		if len(scales) > 1 {
			s = float64(scales[i])
		}
		q := math.Round(float64(b) / s)
		q = min(max(q, -maxBias), maxBias)
		binary.LittleEndian.PutUint32(out[4*i:], uint32(int32(q)))
	}
	return out, scales
}
