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
	q                          quant
}

// gemmKernel is an OpGEMM export: load simd.GEMMArgs, run the body.
func (k *kernel) gemmKernel() {
	a := simd.GEMMArgs{}
	g := gemmOperands{
		x: k.field(a, "X"), xStride: k.field(a, "XStride"),
		out: k.field(a, "Out"), outStride: k.field(a, "OutStride"),
		rows: k.field(a, "Rows"), k: k.field(a, "K"), n: k.field(a, "N"), w: k.field(a, "W"),
		q: k.loadQuant(a, "Q"),
	}
	k.gemm(g)
}

// gemm emits the GEMM body of the variant: quantized (c8, dot) or f32
// (broadcast).
func (k *kernel) gemm(g gemmOperands) {
	if k.v.DType.Quantized() {
		k.gemmQ(g)
	} else {
		k.gemmF32(g)
	}
}

// gemmQ is the integer GEMM, "MRxNRc8": for each tile of NR output
// channels (its packed weights stay in L1), for each block of MR pixels,
// accumulators acc[i][j] (pixel i, channel j) hold four partial sums each;
// every step loads 8 input channels of each pixel as i16 (raw x: the input
// zero point is in the packed bias) and one vector of 8 int16 weights per
// channel, and adds i32x4.dot_i16x8_s(x, w) (|x*w| <= 255*255, so the pair
// sums fit). Then the four lanes are summed (integer addition: any order
// gives the same wrapping sum), the bias added, the sum requantized and
// narrowed. Pixels past Rows repeat the last pixel (same value stored
// twice), so the block needs no tail code; channels past N are computed
// from zero weights and not stored; input channels past the last multiple
// of 8 are read exactly (byte lanes) against zero-padded weights.
func (k *kernel) gemmQ(g gemmOperands) {
	f, v := k.f, k.v
	mr, nr := v.MR, v.NR
	if nr%4 != 0 || mr < 1 || nr > 16 {
		panic(fmt.Sprintf("kgen: bad GEMM tile %dx%d", mr, nr))
	}
	head := 4*nr + simd.RQBytes(v.Scheme, nr) // bias + requant block
	tb := k.let("tile_bytes", I32Add(c32(head), I32Mul(I32ShrU(I32Add(g.k, c32(7)), c32(3)), c32(nr*16))))
	kb := k.let("kblocks", I32ShrU(g.k, c32(3)))
	krem := k.let("krem", I32And(g.k, c32(7)))
	last := k.let("last_row", I32Sub(g.rows, c32(1)))
	wt := k.let("wt", g.w)
	n0 := k.i32("n0")
	nv := k.i32("nvalid")
	r := k.i32("r")
	kk := k.i32("kk")
	wp := k.i32("wp")
	xp := make([]Local, mr)
	op := make([]Local, mr)
	xv := make([]Local, mr)
	for i := range mr {
		xp[i] = k.i32(fmt.Sprintf("x%d", i))
		op[i] = k.i32(fmt.Sprintf("o%d", i))
		xv[i] = k.vec(fmt.Sprintf("xv%d", i))
	}
	acc := make([][]Local, mr)
	for i := range acc {
		acc[i] = make([]Local, nr)
		for j := range acc[i] {
			acc[i][j] = k.vec(fmt.Sprintf("acc%d_%d", i, j))
		}
	}
	wv := k.vec("wv")

	// step adds the dots of the current xv and the NR weight vectors at wp.
	// The weights are loaded from the highest offset down, so that wazero
	// bounds-checks wp once per step.
	step := func() {
		for j := nr - 1; j >= 0; j-- {
			f.Set(wv, V128Load(wp, uint32(16*j)))
			for i := range mr {
				f.Set(acc[i][j], I32x4Add(acc[i][j], I32x4DotI16x8S(xv[i], wv)))
			}
		}
	}

	f.For(n0, c32(0), g.n, int32(nr), func() {
		f.Set(nv, imin(I32Sub(g.n, n0), c32(nr)))
		f.For(r, c32(0), g.rows, int32(mr), func() {
			for i := range mr {
				ri := Val(r)
				if i > 0 {
					ri = imin(I32Add(r, c32(i)), last)
				}
				f.Set(xp[i], I32Add(g.x, I32Mul(ri, g.xStride)))
				f.Set(op[i], I32Add(I32Add(g.out, I32Mul(ri, g.outStride)), n0))
				for j := range nr {
					f.Set(acc[i][j], V128Zero())
				}
			}
			f.Set(wp, I32Add(wt, c32(head)))
			f.Set(kk, kb)
			f.If(kk, func() {
				f.Loop(func(top Label) {
					for i := range mr {
						f.Set(xv[i], k.load8x8(xp[i], 0))
					}
					step()
					for i := range mr {
						f.Inc(xp[i], 8)
					}
					f.Inc(wp, int32(16*nr))
					f.Set(kk, I32Sub(kk, c32(1)))
					f.BrIf(top, kk)
				})
			}, nil)
			f.If(krem, func() {
				for i := range mr {
					k.loadBytes(xv[i], xp[i], 0, krem, 7)
					f.Set(xv[i], k.extendX(xv[i], false))
				}
				step()
			}, nil)
			for i := range mr {
				qs := make([]Val, nr/4)
				for gi := range nr / 4 {
					s := hsum4(acc[i][4*gi], acc[i][4*gi+1], acc[i][4*gi+2], acc[i][4*gi+3])
					s = I32x4Add(s, V128Load(wt, uint32(16*gi)))
					qs[gi] = k.requant(s, I32Add(wt, c32(4*nr)), nr, gi, g.q)
				}
				k.storeNarrow(op[i], 0, qs, nv)
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
// 4j..4j+3 of pixel i; every step broadcasts one input channel of each
// pixel (v128.load32_splat) and adds x*w with a separate multiply and add,
// one input channel after the other from zero, then adds the bias and
// clamps: the portable kernel's order, so the results are equal.
func (k *kernel) gemmF32(g gemmOperands) {
	f, v := k.f, k.v
	mr, nr := v.MR, v.NR
	if nr%4 != 0 || mr < 1 {
		panic(fmt.Sprintf("kgen: bad GEMM tile %dx%d", mr, nr))
	}
	nvec := nr / 4
	tb := k.let("tile_bytes", I32Add(c32(4*nr), I32Mul(g.k, c32(4*nr))))
	last := k.let("last_row", I32Sub(g.rows, c32(1)))
	wt := k.let("wt", g.w)
	n0 := k.i32("n0")
	nv := k.i32("nvalid")
	r := k.i32("r")
	kk := k.i32("kk")
	wp := k.i32("wp")
	xp := make([]Local, mr)
	op := make([]Local, mr)
	xs := make([]Local, mr)
	for i := range mr {
		xp[i] = k.i32(fmt.Sprintf("x%d", i))
		op[i] = k.i32(fmt.Sprintf("o%d", i))
		xs[i] = k.vec(fmt.Sprintf("xs%d", i))
	}
	acc := make([][]Local, mr)
	for i := range acc {
		acc[i] = k.f.Locals(V128, fmt.Sprintf("acc%d_", i), nvec)
	}
	wv := k.vec("wv")

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
				for j := range nvec {
					f.Set(acc[i][j], V128Zero())
				}
			}
			f.Set(wp, I32Add(wt, c32(4*nr)))
			f.Set(kk, g.k)
			f.If(kk, func() {
				f.Loop(func(top Label) {
					for i := range mr {
						f.Set(xs[i], V128Load32Splat(xp[i], 0))
					}
					for j := nvec - 1; j >= 0; j-- {
						f.Set(wv, V128Load(wp, uint32(16*j)))
						for i := range mr {
							f.Set(acc[i][j], F32x4Add(acc[i][j], F32x4Mul(xs[i], wv)))
						}
					}
					for i := range mr {
						f.Inc(xp[i], 4)
					}
					f.Inc(wp, int32(4*nr))
					f.Set(kk, I32Sub(kk, c32(1)))
					f.BrIf(top, kk)
				})
			}, nil)
			for i := range mr {
				vs := make([]Val, nvec)
				for j := range nvec {
					o := k.tmp(fmt.Sprintf("res%d", j), V128)
					f.Set(o, F32x4Min(F32x4Max(F32x4Add(acc[i][j], V128Load(wt, uint32(16*j))), g.q.lo), g.q.hi))
					vs[j] = o
				}
				f.If(I32GeS(nv, c32(nr)), func() {
					for j := nvec - 1; j >= 0; j-- {
						f.V128Store(op[i], uint32(16*j), vs[j])
					}
				}, func() {
					k.storeF32s(op[i], 0, vs, nv)
				})
			}
		})
		f.Set(wt, I32Add(wt, tb))
	})
}
