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

// poolWindow returns the in-bounds filter taps [fy0, fy1) x [fx0, fx1) of
// output position (oy, ox) and the input coordinates (iy, ix) of filter tap
// (0, 0), which may be negative.
func poolWindow(p *PoolParams, oy, ox int) (iy, ix, fy0, fy1, fx0, fx1 int) {
	iy = oy*p.StrideH - p.PadTop
	ix = ox*p.StrideW - p.PadLeft
	fy0 = max(0, -iy)
	fy1 = min(p.FilterH, p.In.H-iy)
	fx0 = max(0, -ix)
	fx1 = min(p.FilterW, p.In.W-ix)
	return
}

// poolTranche is the number of channels pooled at once: the window is
// walked once per tranche with the channels innermost (contiguous in NHWC),
// summing into a stack array, as TFLite's optimized uint8 AveragePool does
// (kPoolingAccTrancheSize). The order of the additions within one channel
// (row by row) is the reference kernel's.
const poolTranche = 256

// AveragePoolF32 is float32 AVERAGE_POOL_2D: the float32 sum of the window's
// in-bounds taps (row by row) divided by their count, clamped to
// [actMin, actMax].
func AveragePoolF32(p *PoolParams, in, out []float32, actMin, actMax float32) {
	in4, out4 := p.In, p.Out
	var acc [poolTranche]float32
	for b := range out4.N {
		for oy := range out4.H {
			for ox := range out4.W {
				iy, ix, fy0, fy1, fx0, fx1 := poolWindow(p, oy, ox)
				count := float32((fy1 - fy0) * (fx1 - fx0))
				o := out[((b*out4.H+oy)*out4.W+ox)*out4.C:][:out4.C]
				for c0 := 0; c0 < len(o); c0 += poolTranche {
					total := acc[:min(poolTranche, len(o)-c0)]
					clear(total)
					for fy := fy0; fy < fy1; fy++ {
						for fx := fx0; fx < fx1; fx++ {
							tap := in[((b*in4.H+iy+fy)*in4.W+ix+fx)*in4.C+c0:][:len(total)]
							for c, v := range tap {
								total[c] += v
							}
						}
					}
					for c, v := range total {
						o[c0+c] = clampActF32(v/count, actMin, actMax)
					}
				}
			}
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
	in4, out4 := p.In, p.Out
	// Each sum is at most 255 * FilterH * FilterW in magnitude: no
	// overflow below 2^23 taps.
	var acc [poolTranche]int32
	for b := range out4.N {
		for oy := range out4.H {
			for ox := range out4.W {
				iy, ix, fy0, fy1, fx0, fx1 := poolWindow(p, oy, ox)
				count := int32((fy1 - fy0) * (fx1 - fx0))
				o := out[((b*out4.H+oy)*out4.W+ox)*out4.C:][:out4.C]
				for c0 := 0; c0 < len(o); c0 += poolTranche {
					sum := acc[:min(poolTranche, len(o)-c0)]
					clear(sum)
					for fy := fy0; fy < fy1; fy++ {
						for fx := fx0; fx < fx1; fx++ {
							tap := in[((b*in4.H+iy+fy)*in4.W+ix+fx)*in4.C+c0:][:len(sum)]
							for c, v := range tap {
								sum[c] += int32(v)
							}
						}
					}
					for c, s := range sum {
						o[c0+c] = T(max(min(divideRoundHalfAway(s, count), actMax), actMin))
					}
				}
			}
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
	in4, out4 := p.In, p.Out
	var acc [poolTranche]float32
	for b := range out4.N {
		for oy := range out4.H {
			for ox := range out4.W {
				iy, ix, fy0, fy1, fx0, fx1 := poolWindow(p, oy, ox)
				o := out[((b*out4.H+oy)*out4.W+ox)*out4.C:][:out4.C]
				for c0 := 0; c0 < len(o); c0 += poolTranche {
					m := acc[:min(poolTranche, len(o)-c0)]
					fill(m, -math.MaxFloat32) // std::numeric_limits<float>::lowest()
					for fy := fy0; fy < fy1; fy++ {
						for fx := fx0; fx < fx1; fx++ {
							tap := in[((b*in4.H+iy+fy)*in4.W+ix+fx)*in4.C+c0:][:len(m)]
							for c, v := range tap {
								// std::max(m, v): v replaces m only when m < v.
								if m[c] < v {
									m[c] = v
								}
							}
						}
					}
					for c, v := range m {
						o[c0+c] = clampActF32(v, actMin, actMax)
					}
				}
			}
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
	in4, out4 := p.In, p.Out
	var acc [poolTranche]T
	for b := range out4.N {
		for oy := range out4.H {
			for ox := range out4.W {
				iy, ix, fy0, fy1, fx0, fx1 := poolWindow(p, oy, ox)
				o := out[((b*out4.H+oy)*out4.W+ox)*out4.C:][:out4.C]
				for c0 := 0; c0 < len(o); c0 += poolTranche {
					m := acc[:min(poolTranche, len(o)-c0)]
					fill(m, lowest)
					for fy := fy0; fy < fy1; fy++ {
						for fx := fx0; fx < fx1; fx++ {
							tap := in[((b*in4.H+iy+fy)*in4.W+ix+fx)*in4.C+c0:][:len(m)]
							for c, v := range tap {
								m[c] = max(m[c], v)
							}
						}
					}
					for c, v := range m {
						o[c0+c] = T(max(min(int32(v), actMax), actMin))
					}
				}
			}
		}
	}
}
