package kgen

import (
	"fmt"

	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels/simd"
)

// gemmOperands are the values a GEMM body reads (i32 locals).
type gemmOperands struct {
	x, xStride, out, outStride Local
	rows, k, n, w              Local
	scratch                    Local // quantized c8: simd.TileScratchBytes
	q                          quant
	// A float convolution read in place (emitConv): K is segs runs of
	// segLen input channels, and after each run every pixel's pointer
	// moves on by segJump bytes (to the next filter row of the input).
	segmented             bool
	segs, segLen, segJump Local
}

// emitGEMM emits an OpGEMM variant: load simd.GEMMArgs, run the body.
func (e *emitter) emitGEMM() {
	a := simd.GEMMArgs{}
	g := gemmOperands{
		x: e.field(a, "X"), xStride: e.field(a, "XStride"),
		out: e.field(a, "Out"), outStride: e.field(a, "OutStride"),
		rows: e.field(a, "Rows"), k: e.field(a, "K"), n: e.field(a, "N"), w: e.field(a, "W"),
		q: e.loadQuant(a, "Q"),
	}
	if simd.ShiftBytes(e.v) > 0 {
		g.scratch = e.field(a, "Scratch")
	}
	e.gemm(g)
}

// gemm emits the GEMM body of the variant: quantized (c8, dot) or f32
// (broadcast).
func (e *emitter) gemm(g gemmOperands) {
	if e.v.DType.Quantized() {
		e.gemmQ(g)
	} else {
		e.gemmF32(g)
	}
}

// gemmQ is the integer GEMM. For each tile of NR output channels (its
// packed weights stay in L1) and each block of MR pixels, it accumulates
// raw x (i16; the input zero point is in the packed bias) times the int16
// weights w' with i32x4.dot_i16x8_s (|x*w'| <= 255*255, so the pair sums
// fit), adds the bias, requantizes and narrows. Two layouts (Variant.KStep):
//
//   - c8: acc[i][j] (pixel i, channel j) holds four partial sums; each step
//     loads 8 input channels of each pixel and one vector of 8 weights per
//     channel; at the end the lanes are summed (integer addition: any
//     order gives the same wrapping sum). The packing holds the weights as
//     bytes (simd.ShiftBytes); each tile is first widened to int16 w' in
//     the scratch, which the steps then read.
//   - c2: acc[i][j] holds channels 4j..4j+3 of pixel i; each step
//     broadcasts a pair of input channels of each pixel
//     (v128.load16_splat) against a vector of the pair's weights for four
//     channels. No final sums: cheaper for small K.
//
// Pixels past Rows repeat the last pixel (same value stored twice), so the
// block needs no tail code; channels past N are computed from zero weights
// and not stored; input channels past the last full step are read exactly
// (byte lanes, or one byte broadcast) against zero-padded weights.
func (e *emitter) gemmQ(g gemmOperands) {
	f, v := e.f, e.v
	mr, nr := v.MR, v.NR
	if nr%4 != 0 || mr < 1 || nr > 16 || (v.KStep != 8 && v.KStep != 2) {
		panic(fmt.Sprintf("kgen: bad GEMM tile %dx%dc%d", mr, nr, v.KStep))
	}
	head := 4*nr + simd.RQBytes(v.Scheme, nr) // bias + requant block
	var tb Local
	if v.KStep == 8 {
		tb = e.let("tile_bytes", I32Add(c32(head), I32Mul(I32ShrU(I32Add(g.k, c32(7)), c32(3)), c32(nr*8))))
	} else {
		tb = e.let("tile_bytes", I32Add(c32(head), I32Mul(I32ShrU(I32Add(g.k, c32(1)), c32(1)), c32(nr*4))))
	}
	last := e.let("last_row", I32Sub(g.rows, c32(1)))
	wt := e.let("wt", g.w)
	var shift, src, dst, cnt Local
	if v.KStep == 8 {
		// The c8 packing starts with d in every i16 lane (simd.ShiftBytes).
		shift = e.let("shift", V128Load(g.w, 0))
		f.Set(wt, I32Add(g.w, c32(simd.ShiftBytes(v))))
		src, dst, cnt = e.i32("widen_src"), e.i32("widen_dst"), e.i32("widen_n")
	}
	n0 := e.i32("n0")
	nv := e.i32("nvalid")
	r := e.i32("r")
	kk := e.i32("kk")
	wp := e.i32("wp")
	xp := make([]Local, mr)
	op := make([]Local, mr)
	xv := make([]Local, mr)
	for i := range mr {
		xp[i] = e.i32(fmt.Sprintf("x%d", i))
		op[i] = e.i32(fmt.Sprintf("o%d", i))
		xv[i] = e.vec(fmt.Sprintf("xv%d", i))
	}
	nacc := nr // c8: one per channel
	if v.KStep == 2 {
		nacc = nr / 4 // c2: one per 4 channels
	}
	acc := make([][]Local, mr)
	for i := range acc {
		acc[i] = e.f.Locals(V128, fmt.Sprintf("acc%d_", i), nacc)
	}
	wv := e.vec("wv")

	// dots adds the dots of the current xv and the weight vectors at
	// wp+off, loaded from the highest offset down so that wazero
	// bounds-checks wp once per step.
	dots := func(off int) {
		for j := nacc - 1; j >= 0; j-- {
			f.Set(wv, V128Load(wp, uint32(off+16*j)))
			for i := range mr {
				f.Set(acc[i][j], I32x4Add(acc[i][j], I32x4DotI16x8S(xv[i], wv)))
			}
		}
	}

	f.For(n0, c32(0), g.n, int32(nr), func() {
		f.Set(nv, imin(I32Sub(g.n, n0), c32(nr)))
		if v.KStep == 8 {
			// Widen the tile's weight bytes s to int16 w' = s + d in
			// the scratch, once for all rows.
			f.Set(src, I32Add(wt, c32(head)))
			f.Set(dst, g.scratch)
			f.Set(cnt, I32Mul(I32ShrU(I32Add(g.k, c32(7)), c32(3)), c32(nr)))
			f.While(func() Val { return cnt }, func() {
				f.V128Store(dst, 0, I16x8Add(V128Load8x8S(src, 0), shift))
				f.Inc(src, 8)
				f.Inc(dst, 16)
				f.Inc(cnt, -1)
			})
		}
		f.For(r, c32(0), g.rows, int32(mr), func() {
			for i := range mr {
				ri := Val(r)
				if i > 0 {
					ri = imin(I32Add(r, c32(i)), last)
				}
				f.Set(xp[i], I32Add(g.x, I32Mul(ri, g.xStride)))
				f.Set(op[i], I32Add(I32Add(g.out, I32Mul(ri, g.outStride)), n0))
				for j := range nacc {
					f.Set(acc[i][j], V128Zero())
				}
			}
			if v.KStep == 8 {
				f.Set(wp, g.scratch)
			} else {
				f.Set(wp, I32Add(wt, c32(head)))
			}
			if v.KStep == 8 {
				// Two steps per pass (the second step's loads first, so
				// that wazero checks each pointer's bounds once per pass),
				// then a last single step.
				f.Set(kk, I32ShrU(g.k, c32(3)))
				f.While(func() Val { return I32GeU(kk, c32(2)) }, func() {
					for u := 1; u >= 0; u-- {
						for i := range mr {
							f.Set(xv[i], e.load8x8(xp[i], uint32(8*u)))
						}
						dots(u * 16 * nr)
					}
					for i := range mr {
						f.Inc(xp[i], 16)
					}
					f.Inc(wp, int32(32*nr))
					f.Inc(kk, -2)
				})
				f.If(kk, func() {
					for i := range mr {
						f.Set(xv[i], e.load8x8(xp[i], 0))
					}
					dots(0)
					for i := range mr {
						f.Inc(xp[i], 8)
					}
					f.Inc(wp, int32(16*nr))
				}, nil)
				krem := I32And(g.k, c32(7))
				f.If(krem, func() {
					for i := range mr {
						e.loadBytes(xv[i], xp[i], 0, I32And(g.k, c32(7)), 7)
						f.Set(xv[i], e.extendX(xv[i], false))
					}
					dots(0)
				}, nil)
			} else {
				// Four pairs per pass, then one pair at a time.
				const unroll = 4
				pairBytes := 4 * nr
				pair := func(off int) {
					for i := range mr {
						f.Set(xv[i], e.extendX(V128Load16Splat(xp[i], uint32(off/pairBytes*2)), false))
					}
					dots(off)
				}
				f.Set(kk, I32ShrU(g.k, c32(1)))
				f.While(func() Val { return I32GeU(kk, c32(unroll)) }, func() {
					for u := unroll - 1; u >= 0; u-- {
						pair(u * pairBytes)
					}
					for i := range mr {
						f.Inc(xp[i], 2*unroll)
					}
					f.Inc(wp, int32(unroll*pairBytes))
					f.Inc(kk, -unroll)
				})
				f.While(func() Val { return kk }, func() {
					pair(0)
					for i := range mr {
						f.Inc(xp[i], 2)
					}
					f.Inc(wp, int32(pairBytes))
					f.Inc(kk, -1)
				})
				// An odd last channel: (x, x) against (w, 0).
				f.If(I32And(g.k, c32(1)), func() {
					for i := range mr {
						f.Set(xv[i], e.extendX(V128Load8Splat(xp[i], 0), false))
					}
					dots(0)
				}, nil)
			}
			for i := range mr {
				qs := make([]Val, nr/4)
				for gi := range nr / 4 {
					var s Val
					if v.KStep == 8 {
						s = hsum4(acc[i][4*gi], acc[i][4*gi+1], acc[i][4*gi+2], acc[i][4*gi+3])
					} else {
						s = acc[i][gi]
					}
					s = I32x4Add(s, V128Load(wt, uint32(16*gi)))
					qs[gi] = e.requant(s, I32Add(wt, c32(4*nr)), nr, gi, g.q)
				}
				e.storeNarrow(op[i], 0, qs, nv, e.narrowMax(g.q))
			}
		})
		f.Set(wt, I32Add(wt, tb))
	})
}

// hsum4 returns [sum(a), sum(b), sum(c), sum(d)] of four i32x4 vectors.
func hsum4(a, b, c, d Val) Val {
	ab := I32x4Add(shuffle32(a, b, [4]int{0, 4, 1, 5}), shuffle32(a, b, [4]int{2, 6, 3, 7}))
	cd := I32x4Add(shuffle32(c, d, [4]int{0, 4, 1, 5}), shuffle32(c, d, [4]int{2, 6, 3, 7}))
	return I32x4Add(shuffle32(ab, cd, [4]int{0, 1, 4, 5}), shuffle32(ab, cd, [4]int{2, 3, 6, 7}))
}

// gemmF32 is the float GEMM, "MRxNR": acc[i][j] holds output channels
// 4j..4j+3 of pixel i, starting from the bias; every step broadcasts one
// input channel of each pixel (v128.load32_splat) and adds x*w with a
// separate multiply and add, one input channel after the other; then the
// clamp, with pmax/pmin (v < lo ? lo : v, then hi < v ? hi : v: TFLite's
// comparisons, -0 and NaN included). That is XNNPACK's order and the
// portable kernel's, so the results are equal.
func (e *emitter) gemmF32(g gemmOperands) {
	f, v := e.f, e.v
	mr, nr := v.MR, v.NR
	if nr%4 != 0 || mr < 1 {
		panic(fmt.Sprintf("kgen: bad GEMM tile %dx%d", mr, nr))
	}
	nvec := nr / 4
	tb := e.let("tile_bytes", I32Add(c32(4*nr), I32Mul(g.k, c32(4*nr))))
	last := e.let("last_row", I32Sub(g.rows, c32(1)))
	wt := e.let("wt", g.w)
	n0 := e.i32("n0")
	nv := e.i32("nvalid")
	r := e.i32("r")
	kk := e.i32("kk")
	wp := e.i32("wp")
	xp := make([]Local, mr)
	op := make([]Local, mr)
	xs := make([]Local, mr)
	for i := range mr {
		xp[i] = e.i32(fmt.Sprintf("x%d", i))
		op[i] = e.i32(fmt.Sprintf("o%d", i))
		xs[i] = e.vec(fmt.Sprintf("xs%d", i))
	}
	xs2 := e.f.Locals(V128, "xs_next", mr)
	acc := make([][]Local, mr)
	for i := range acc {
		acc[i] = e.f.Locals(V128, fmt.Sprintf("acc%d_", i), nvec)
	}
	wv := e.vec("wv")

	f.For(n0, c32(0), g.n, int32(nr), func() {
		f.Set(nv, imin(I32Sub(g.n, n0), c32(nr)))
		f.For(r, c32(0), g.rows, int32(mr), func() {
			for i := range mr {
				ri := Val(r)
				if i > 0 {
					ri = imin(I32Add(r, c32(i)), last)
				}
				f.Set(xp[i], I32Add(g.x, I32Mul(ri, g.xStride)))
				f.Set(op[i], I32Add(I32Add(g.out, I32Mul(ri, g.outStride)), I32Shl(n0, c32(2))))
				for j := nvec - 1; j >= 0; j-- {
					f.Set(acc[i][j], V128Load(wt, uint32(16*j))) // the bias
				}
			}
			f.Set(wp, I32Add(wt, c32(4*nr)))
			// step adds input channel k+u (x in xs, weights at wp+u*4*NR).
			step := func(xs []Local, u int) {
				for j := nvec - 1; j >= 0; j-- {
					f.Set(wv, V128Load(wp, uint32(u*4*nr+16*j)))
					for i := range mr {
						f.Set(acc[i][j], e.fmadd(xs[i], wv, acc[i][j]))
					}
				}
			}
			// channels adds kk input channels. Two per pass: the second
			// one's x loads first, so that wazero checks each pointer once
			// per pass; the sums still go in channel order. advance: the
			// last odd channel moves the pointers on too (more follow).
			channels := func(advance bool) {
				f.While(func() Val { return I32GeU(kk, c32(2)) }, func() {
					for i := range mr {
						f.Set(xs2[i], V128Load32Splat(xp[i], 4))
						f.Set(xs[i], V128Load32Splat(xp[i], 0))
					}
					step(xs, 0)
					step(xs2, 1)
					for i := range mr {
						f.Inc(xp[i], 8)
					}
					f.Inc(wp, int32(8*nr))
					f.Inc(kk, -2)
				})
				f.If(kk, func() {
					for i := range mr {
						f.Set(xs[i], V128Load32Splat(xp[i], 0))
					}
					step(xs, 0)
					if advance {
						for i := range mr {
							f.Inc(xp[i], 4)
						}
						f.Inc(wp, int32(4*nr))
					}
				}, nil)
			}
			if !g.segmented {
				f.Set(kk, g.k)
				channels(false)
			} else {
				seg := e.tmp("seg", I32)
				f.Set(seg, g.segs)
				f.While(func() Val { return seg }, func() {
					f.Set(kk, g.segLen)
					channels(true)
					for i := range mr {
						f.Set(xp[i], I32Add(xp[i], g.segJump))
					}
					f.Inc(seg, -1)
				})
			}
			for i := range mr {
				vs := make([]Val, nvec)
				for j := range nvec {
					o := e.tmp(fmt.Sprintf("res%d", j), V128)
					f.Set(o, F32x4Pmin(F32x4Pmax(acc[i][j], g.q.lo), g.q.hi))
					vs[j] = o
				}
				f.If(I32GeS(nv, c32(nr)), func() {
					for j := nvec - 1; j >= 0; j-- {
						f.V128Store(op[i], uint32(16*j), vs[j])
					}
				}, func() {
					e.storeF32s(op[i], 0, vs, nv)
				})
			}
		})
		f.Set(wt, I32Add(wt, tb))
	})
}
