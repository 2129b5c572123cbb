package kernels

import "math"

// AVERAGE_POOL_2D and MAX_POOL_2D over NHWC tensors, as TFLite's built-in
// kernels (reference/pooling.h, reference/integer_ops/pooling.h; the
// optimized uint8 AveragePool in optimized_ops.h computes the same values).
//
// A window is the filter placed at (out_y*StrideH - PadTop,
// out_x*StrideW - PadLeft), clamped to the input: padding taps are skipped,
// not counted as zeros, so averages divide by the number of in-bounds taps.
// Every window must hold at least one in-bounds tap (TFLite rejects the
// model otherwise; the kernels divide by zero).
//
// Quantized AVERAGE_POOL_2D is the same in both schemes: the official
// runtime runs TFLite's own kernel, not XNNPACK's, for it, and TFLite's
// reference kernel computes the same integer arithmetic. Input and output share scale and zero point (TFLite requires
// it), so no requantization happens; actMin and actMax are the fused
// activation's clamp in the quantized domain (the type's range when none),
// which TFLite's pooling.cc computes with CalculateActivationRangeQuantized:
// QuantizedActivationRange with SchemeReference, in both schemes. A max is a
// max in every runtime; only such bounds (XNNPACK rounds them half to even)
// could tell XNNPACK's MAX_POOL_2D apart, and MobileNets fuse no activation
// into their pools.

// poolTranche is the number of channels pooled at once: the window is
// walked once per tranche with the channels innermost (contiguous in NHWC),
// summing into a stack array, as TFLite's optimized uint8 AveragePool does
// (kPoolingAccTrancheSize). The order of the additions within one channel
// (row by row) is the reference kernel's.
const poolTranche = 256

// poolSpan is one tranche of one output position: image b, the in-bounds
// filter taps [fy0, fy1) x [fx0, fx1) of its window, the input coordinates
// (iy, ix) of filter tap (0, 0), which may be negative, and its n channels
// from c0, at out[at:at+n].
type poolSpan struct {
	b, iy, ix, fy0, fy1, fx0, fx1 int
	c0, at, n                     int
}

// taps is the number of in-bounds taps of the window.
func (s poolSpan) taps() int { return (s.fy1 - s.fy0) * (s.fx1 - s.fx0) }

// spans yields the tranches of every output position in output order: the
// loops every pooling kernel shares, the per-channel work being the
// caller's (called once per tranche, not per element).
func (p *PoolParams) spans(yield func(poolSpan) bool) {
	out4 := p.Out
	var s poolSpan
	for s.b = range out4.N {
		for oy := range out4.H {
			s.iy = oy*p.StrideH - p.PadTop
			s.fy0, s.fy1 = max(0, -s.iy), min(p.FilterH, p.In.H-s.iy)
			for ox := range out4.W {
				s.ix = ox*p.StrideW - p.PadLeft
				s.fx0, s.fx1 = max(0, -s.ix), min(p.FilterW, p.In.W-s.ix)
				at := ((s.b*out4.H+oy)*out4.W + ox) * out4.C
				for s.c0 = 0; s.c0 < out4.C; s.c0 += poolTranche {
					s.at, s.n = at+s.c0, min(poolTranche, out4.C-s.c0)
					if !yield(s) {
						return
					}
				}
			}
		}
	}
}

// sumTaps adds span s's window taps, its channels, into sum, row by row:
// the order of the additions within one channel is the reference
// kernel's (it matters for float32).
func sumTaps[T uint8 | int8 | float32, A int32 | float32](in4 Shape4, in []T, s poolSpan, sum []A) {
	for fy := s.fy0; fy < s.fy1; fy++ {
		for fx := s.fx0; fx < s.fx1; fx++ {
			tap := in[((s.b*in4.H+s.iy+fy)*in4.W+s.ix+fx)*in4.C+s.c0:][:len(sum)]
			for c, v := range tap {
				sum[c] += A(v)
			}
		}
	}
}

// maxTaps raises m to span s's window taps, its channels. It is
// std::max(m, v), which replaces m only when m < v: for float32 a NaN tap
// is passed over, where Go's max would return it.
func maxTaps[T uint8 | int8 | float32](in4 Shape4, in []T, s poolSpan, m []T) {
	for fy := s.fy0; fy < s.fy1; fy++ {
		for fx := s.fx0; fx < s.fx1; fx++ {
			tap := in[((s.b*in4.H+s.iy+fy)*in4.W+s.ix+fx)*in4.C+s.c0:][:len(m)]
			for c, v := range tap {
				if m[c] < v {
					m[c] = v
				}
			}
		}
	}
}

// AveragePoolF32 is float32 AVERAGE_POOL_2D: the float32 sum of the window's
// in-bounds taps (row by row) divided by their count, clamped to
// [actMin, actMax].
func AveragePoolF32(p *PoolParams, in, out []float32, actMin, actMax float32) {
	var acc [poolTranche]float32
	for s := range p.spans {
		sum := acc[:s.n]
		clear(sum)
		sumTaps(p.In, in, s, sum)
		count := float32(s.taps())
		for c, v := range sum {
			out[s.at+c] = clampActF32(v/count, actMin, actMax)
		}
	}
}

// AveragePoolU8 is uint8 AVERAGE_POOL_2D: the int32 sum of the window's
// in-bounds taps, divided by their count n rounding half up
// ((sum + n/2) / n, the sum being non-negative), clamped to
// [actMin, actMax].
func AveragePoolU8(p *PoolParams, in, out []uint8, actMin, actMax int32) {
	averagePoolQ(p, in, out, actMin, actMax)
}

// AveragePoolI8 is int8 AVERAGE_POOL_2D: the int32 sum of the window's
// in-bounds taps divided by their count n rounding half away from zero
// ((sum + n/2) / n for a positive sum, (sum - n/2) / n otherwise, with
// truncating division, as reference/integer_ops/pooling.h), clamped to
// [actMin, actMax].
func AveragePoolI8(p *PoolParams, in, out []int8, actMin, actMax int32) {
	averagePoolQ(p, in, out, actMin, actMax)
}

// averagePoolQ is both: for uint8 the sum is never negative, where
// rounding half away from zero is TFLite's uint8 rounding half up.
func averagePoolQ[T uint8 | int8](p *PoolParams, in, out []T, actMin, actMax int32) {
	// Each sum is at most 255 * FilterH * FilterW in magnitude: no
	// overflow below 2^23 taps.
	var acc [poolTranche]int32
	for s := range p.spans {
		sum := acc[:s.n]
		clear(sum)
		sumTaps(p.In, in, s, sum)
		count := int32(s.taps())
		for c, v := range sum {
			out[s.at+c] = T(max(min(divideRoundHalfAway(v, count), actMax), actMin))
		}
	}
}

// divideRoundHalfAway returns acc / n (n > 0) rounded to nearest, ties away from
// zero, as TFLite's int8 AveragePool and Mean write it:
// acc > 0 ? (acc + n/2) / n : (acc - n/2) / n, with C's truncating
// division (Go's is the same).
func divideRoundHalfAway(acc, n int32) int32 {
	if acc > 0 {
		return (acc + n/2) / n
	}
	return (acc - n/2) / n
}

// MaxPoolF32 is float32 MAX_POOL_2D: the largest in-bounds tap of each
// window, clamped to [actMin, actMax].
func MaxPoolF32(p *PoolParams, in, out []float32, actMin, actMax float32) {
	var acc [poolTranche]float32
	for s := range p.spans {
		m := acc[:s.n]
		fill(m, -math.MaxFloat32) // std::numeric_limits<float>::lowest()
		maxTaps(p.In, in, s, m)
		for c, v := range m {
			out[s.at+c] = clampActF32(v, actMin, actMax)
		}
	}
}

// MaxPoolU8 is uint8 MAX_POOL_2D: the largest in-bounds tap of each window,
// clamped to [actMin, actMax].
func MaxPoolU8(p *PoolParams, in, out []uint8, actMin, actMax int32) {
	maxPoolQ(p, in, out, actMin, actMax, 0)
}

// MaxPoolI8 is int8 MAX_POOL_2D: the largest in-bounds tap of each window,
// clamped to [actMin, actMax].
func MaxPoolI8(p *PoolParams, in, out []int8, actMin, actMax int32) {
	maxPoolQ(p, in, out, actMin, actMax, -128)
}

// maxPoolQ is both; lowest is the type's smallest value, where each
// window's maximum starts.
func maxPoolQ[T uint8 | int8](p *PoolParams, in, out []T, actMin, actMax int32, lowest T) {
	var acc [poolTranche]T
	for s := range p.spans {
		m := acc[:s.n]
		fill(m, lowest)
		maxTaps(p.In, in, s, m)
		for c, v := range m {
			out[s.at+c] = T(max(min(int32(v), actMax), actMin))
		}
	}
}
