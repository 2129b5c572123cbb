package kgen

import (
	"fmt"

	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels/simd"
)

// emitDWConv emits an OpDWConv variant: 3x3 depthwise convolution, depth
// multiplier 1, with the variant's stride and any padding.
//
// Per output pixel it computes the nine tap addresses once: an in-bounds
// tap points into the input, a padding tap at args.Zero (C elements of the
// input zero point, or 0.0), so that every output sums all nine taps with
// no bounds tests in the channel loop. Border columns test each tap;
// interior columns (no padding column) step three row pointers. Then, CT channels per pass, it adds
// the taps into accumulators that start at the packed bias, and
// requantizes (or clamps) and stores. Float taps go column by column, the
// portable kernel's (and XNNPACK's) order; a padding tap adds x*w = ±0,
// which changes no sum but the sign of a zero. The last C mod CT channels
// take the same path with exact byte/lane loads and stores.
//
// Quantized products: x (raw, i16) * w' (i16) can reach 255*255, beyond
// i16, so each tap is i32x4.extmul_{low,high}_i16x8_s into i32 lanes, or
// with TapPairs the x of two taps are interleaved and one
// i32x4.dot_i16x8_s adds both taps' products for 4 channels (each product
// fits in i32, and so does the pair's sum, as in the GEMMs).
func (e *emitter) emitDWConv() {
	f, v := e.f, e.v
	ct := v.CT
	es := 1 // element size
	if !v.DType.Quantized() {
		es = 4
	}
	if (v.DType.Quantized() && ct%8 != 0) || ct%4 != 0 || ct > 16 {
		panic(fmt.Sprintf("kgen: bad depthwise tile %d", ct))
	}
	a := simd.DWArgs{}
	x, out, w, zero := e.field(a, "X"), e.field(a, "Out"), e.field(a, "W"), e.field(a, "Zero")
	nb, inH, inW, c := e.field(a, "N"), e.field(a, "InH"), e.field(a, "InW"), e.field(a, "C")
	outH, outW := e.field(a, "OutH"), e.field(a, "OutW")
	padTop, padLeft := e.field(a, "PadTop"), e.field(a, "PadLeft")
	q := e.loadQuant(a, "Q")

	cb := e.let("c_bytes", I32Mul(c, c32(es)))
	rowBytes := e.let("row_bytes", I32Mul(inW, cb))
	tb := simd.DWTileBytes(v)
	wOff := 4 * ct // weights after the bias ...
	if v.DType.Quantized() {
		wOff += simd.RQBytes(v.Scheme, ct) // ... and the requantization block
	}

	b, oy, ox := e.i32("b"), e.i32("oy"), e.i32("ox")
	xb, op := e.i32("xb"), e.i32("op")
	iy0, ix0 := e.i32("iy0"), e.i32("ix0")
	rowOK := e.f.Locals(I32, "row_ok", 3)
	rowP := e.f.Locals(I32, "row_p", 3)
	colOK := e.f.Locals(I32, "col_ok", 3)
	colOff := e.f.Locals(I32, "col_off", 3)
	p := e.f.Locals(I32, "tap", 9)
	wt, cc := e.i32("wt"), e.i32("cc")

	// Output columns [oxL, oxR) read no padding column: there the nine tap
	// addresses step by stride*C elements per pixel (padding rows stay at
	// Zero), with no per-pixel bounds tests; the border columns take the
	// general path.
	oxL, oxR := e.i32("ox_l"), e.i32("ox_r")
	rp := e.f.Locals(I32, "row_cur", 3)
	cs1 := e.f.Locals(I32, "row_cs1", 3)
	cs2 := e.f.Locals(I32, "row_cs2", 3)
	st := e.f.Locals(I32, "row_step", 3)
	stepBytes := e.let("step_bytes", I32Mul(cb, c32(v.Stride)))
	f.Set(oxL, I32DivU(I32Add(padLeft, c32(v.Stride-1)), c32(v.Stride)))
	f.Set(oxL, Select(oxL, outW, I32LtU(oxL, outW)))
	num := e.let("ox_r_num", I32Add(I32Sub(inW, c32(3-v.Stride)), padLeft))
	f.Set(oxR, Select(I32DivU(num, c32(v.Stride)), c32(0), I32GeS(num, c32(0))))
	f.Set(oxR, Select(oxR, outW, I32LtU(oxR, outW)))
	f.Set(oxR, Select(oxR, oxL, I32GtS(oxR, oxL)))

	pixel := func() {
		f.Set(wt, w)
		f.Set(cc, c)
		f.While(func() Val { return I32GeS(cc, c32(ct)) }, func() {
			e.dwTile(p, wt, op, wOff, nil, q)
			for t := range 9 {
				f.Inc(p[t], int32(ct*es))
			}
			f.Inc(wt, int32(tb))
			f.Inc(op, int32(ct*es))
			f.Inc(cc, -int32(ct))
		})
		f.If(cc, func() {
			e.dwTile(p, wt, op, wOff, cc, q)
			f.Set(op, I32Add(op, I32Mul(cc, c32(es))))
		}, nil)
	}
	border := func() {
		f.Set(ix0, I32Sub(I32Mul(ox, c32(v.Stride)), padLeft))
		for kx := range 3 {
			ix := I32Add(ix0, c32(kx))
			f.Set(colOK[kx], I32LtU(ix, inW))
			f.Set(colOff[kx], I32Mul(ix, cb))
		}
		for t := range 9 {
			ky, kx := t/3, t%3
			f.Set(p[t], Select(I32Add(rowP[ky], colOff[kx]), zero, I32And(rowOK[ky], colOK[kx])))
		}
	}

	// Float, every channel in full tiles (C a multiple of CT): two
	// interior pixels at a time share each weight load and, at stride 1,
	// the input columns they both read (dwTilePairF32).
	pairs := Val(nil)
	if !v.DType.Quantized() {
		pairs = e.let("pairs", I32Eqz(I32RemU(c, c32(ct))))
	}
	pair := func() {
		f.Set(wt, w)
		f.Set(cc, c)
		f.While(func() Val { return I32GeS(cc, c32(ct)) }, func() {
			e.dwTilePairF32(p, st, cb, wt, op, wOff, q)
			for t := range 9 {
				f.Inc(p[t], int32(ct*es))
			}
			f.Inc(wt, int32(tb))
			f.Inc(op, int32(ct*es))
			f.Inc(cc, -int32(ct))
		})
		f.Set(op, I32Add(op, cb)) // past the second pixel
	}

	f.Set(op, out)
	f.For(b, c32(0), nb, 1, func() {
		f.Set(xb, I32Add(x, I32Mul(I32Mul(b, inH), rowBytes)))
		f.For(oy, c32(0), outH, 1, func() {
			f.Set(iy0, I32Sub(I32Mul(oy, c32(v.Stride)), padTop))
			for ky := range 3 {
				iy := I32Add(iy0, c32(ky))
				f.Set(rowOK[ky], I32LtU(iy, inH))
				f.Set(rowP[ky], I32Add(xb, I32Mul(iy, rowBytes)))
			}
			f.Set(ix0, I32Sub(I32Mul(oxL, c32(v.Stride)), padLeft))
			for ky := range 3 {
				f.Set(rp[ky], Select(I32Add(rowP[ky], I32Mul(ix0, cb)), zero, rowOK[ky]))
				f.Set(cs1[ky], Select(cb, c32(0), rowOK[ky]))
				f.Set(cs2[ky], I32Add(cs1[ky], cs1[ky]))
				f.Set(st[ky], Select(stepBytes, c32(0), rowOK[ky]))
			}
			interior := func() {
				for ky := range 3 {
					f.Set(p[3*ky], rp[ky])
					f.Set(p[3*ky+1], I32Add(rp[ky], cs1[ky]))
					f.Set(p[3*ky+2], I32Add(rp[ky], cs2[ky]))
					f.Set(rp[ky], I32Add(rp[ky], st[ky]))
				}
			}
			f.For(ox, c32(0), outW, 1, func() {
				inside := I32And(I32GeS(ox, oxL), I32LtS(ox, oxR))
				if pairs == nil {
					f.If(inside, interior, border)
					pixel()
					return
				}
				// Pixels ox and ox+1 both interior: one pass for both.
				f.If(I32And(pairs, I32And(inside, I32LtS(I32Add(ox, c32(1)), oxR))), func() {
					interior()
					f.Set(rp[0], I32Add(rp[0], st[0]))
					f.Set(rp[1], I32Add(rp[1], st[1]))
					f.Set(rp[2], I32Add(rp[2], st[2]))
					pair()
					f.Inc(ox, 1)
				}, func() {
					f.If(inside, interior, border)
					pixel()
				})
			})
		})
	})
}

// dwTile emits one pass over CT channels at the tap addresses p, weights at
// wt, output at op; n (an i32 below CT) limits the channels read and
// stored, or is nil for a full tile.
func (e *emitter) dwTile(p []Local, wt, op Local, wOff int, n Val, q quant) {
	f, v := e.f, e.v
	ct := v.CT
	if !v.DType.Quantized() {
		nvec := ct / 4
		acc := e.tmpVecs("dacc", nvec)
		xv := e.tmpVecs("dx", nvec)
		for j := nvec - 1; j >= 0; j-- {
			f.Set(acc[j], V128Load(wt, uint32(16*j))) // the bias
		}
		for _, t := range dwOrderF32 {
			if n != nil {
				e.loadF32s(xv, p[t], 0, n)
			} else {
				for j := nvec - 1; j >= 0; j-- {
					f.Set(xv[j], V128Load(p[t], uint32(16*j)))
				}
			}
			for j := nvec - 1; j >= 0; j-- {
				w := V128Load(wt, uint32(wOff+t*4*ct+16*j))
				f.Set(acc[j], e.fmadd(xv[j], w, acc[j]))
			}
		}
		vs := make([]Val, nvec)
		for j := range nvec {
			f.Set(acc[j], F32x4Pmin(F32x4Pmax(acc[j], q.lo), q.hi))
			vs[j] = acc[j]
		}
		if n != nil {
			e.storeF32s(op, 0, vs, n)
			return
		}
		for j := nvec - 1; j >= 0; j-- {
			f.V128Store(op, uint32(16*j), vs[j])
		}
		return
	}
	ngrp := ct / 4
	acc := e.tmpVecs("dacc", ngrp)
	for j := ngrp - 1; j >= 0; j-- {
		f.Set(acc[j], V128Load(wt, uint32(16*j))) // the packed bias
	}
	xv := e.tmp("dx", V128)
	raw := e.tmp("draw", V128)
	wv := e.tmp("dw", V128)
	if v.TapPairs {
		// Tap pairs: x of taps a and b (i16) interleaved, 4 channels per
		// vector, against the pair's interleaved weights; tap 8 pairs with
		// itself (its partner's weights are zero).
		xb := e.tmp("dxb", V128)
		rawB := e.tmp("drawb", V128)
		lo := [16]byte{0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23}
		hi := [16]byte{8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31}
		for pr := range 5 {
			ta, tb := 2*pr, min(2*pr+1, 8)
			if n != nil {
				e.loadBytes(raw, p[ta], 0, n, ct-1)
				if tb != ta {
					e.loadBytes(rawB, p[tb], 0, n, ct-1)
				}
			}
			for h := ct/8 - 1; h >= 0; h-- {
				if n != nil {
					f.Set(xv, e.extendX(raw, h == 1))
					if tb != ta {
						f.Set(xb, e.extendX(rawB, h == 1))
					}
				} else {
					f.Set(xv, e.load8x8(p[ta], uint32(8*h)))
					if tb != ta {
						f.Set(xb, e.load8x8(p[tb], uint32(8*h)))
					}
				}
				other := Val(xb)
				if tb == ta {
					other = xv
				}
				for g := 1; g >= 0; g-- {
					idx := lo
					if g == 1 {
						idx = hi
					}
					f.Set(wv, V128Load(wt, uint32(wOff+pr*4*ct+16*(2*h+g))))
					f.Set(acc[2*h+g], I32x4Add(acc[2*h+g], I32x4DotI16x8S(I8x16Shuffle(xv, other, idx), wv)))
				}
			}
		}
	} else {
		// One tap at a time, kept for A/B runs against the tap pairs.
		for t := range 9 {
			if n != nil {
				e.loadBytes(raw, p[t], 0, n, ct-1)
			}
			for h := ct/8 - 1; h >= 0; h-- {
				if n != nil {
					f.Set(xv, e.extendX(raw, h == 1))
				} else {
					f.Set(xv, e.load8x8(p[t], uint32(8*h)))
				}
				f.Set(wv, V128Load(wt, uint32(wOff+t*2*ct+16*h)))
				f.Set(acc[2*h], I32x4Add(acc[2*h], I32x4ExtMulLowI16x8S(xv, wv)))
				f.Set(acc[2*h+1], I32x4Add(acc[2*h+1], I32x4ExtMulHighI16x8S(xv, wv)))
			}
		}
	}
	qs := make([]Val, ngrp)
	for g := range ngrp {
		qs[g] = e.requant(acc[g], I32Add(wt, c32(4*ct)), ct, g, q)
	}
	e.storeNarrow(op, 0, qs, n, e.narrowMax(q))
}

// dwTilePairF32 is dwTile for float32 and two pixels: the taps p of the
// first and, st[ky] bytes further (0 on padding rows, which stay at
// Zero), those of the second, whose output is cb bytes after op's. Each
// weight vector is loaded once for both; each output sums its taps in
// dwOrderF32 as dwTile does, so the results are the same.
func (e *emitter) dwTilePairF32(p, st []Local, cb, wt, op Local, wOff int, q quant) {
	f, ct := e.f, e.v.CT
	nvec := ct / 4
	acc := e.tmpVecs("dacc", nvec)
	accB := e.tmpVecs("daccb", nvec)
	wv := e.tmp("dwv", V128)
	for j := nvec - 1; j >= 0; j-- {
		f.Set(acc[j], V128Load(wt, uint32(16*j))) // the bias
		f.Set(accB[j], acc[j])
	}
	if e.v.Stride == 1 {
		// Stride 1: the second pixel's filter column kx is the first
		// pixel's column kx+1 (on padding rows both stay at Zero, st 0),
		// so each column is loaded once and reused: 12 input loads a
		// vector instead of 18.
		colA := e.tmpVecs("dcola", 3)
		colB := e.tmpVecs("dcolb", 3)
		for j := nvec - 1; j >= 0; j-- {
			for ky := range 3 {
				f.Set(colA[ky], V128Load(p[3*ky], uint32(16*j)))
			}
			for kx := range 3 {
				for ky := range 3 {
					t := 3*ky + kx
					f.Set(colB[ky], V128Load(I32Add(p[t], st[ky]), uint32(16*j)))
				}
				for ky := range 3 { // dwOrderF32: column by column
					t := 3*ky + kx
					f.Set(wv, V128Load(wt, uint32(wOff+t*4*ct+16*j)))
					f.Set(acc[j], e.fmadd(colA[ky], wv, acc[j]))
					f.Set(accB[j], e.fmadd(colB[ky], wv, accB[j]))
				}
				colA, colB = colB, colA
			}
		}
	} else {
		e.dwPairTaps(p, st, wt, wOff, acc, accB, wv)
	}
	for j := nvec - 1; j >= 0; j-- {
		f.V128Store(op, uint32(16*j), F32x4Pmin(F32x4Pmax(acc[j], q.lo), q.hi))
		f.V128Store(I32Add(op, cb), uint32(16*j), F32x4Pmin(F32x4Pmax(accB[j], q.lo), q.hi))
	}
}

// dwPairTaps adds the nine taps of both pixels of dwTilePairF32, tap by
// tap in dwOrderF32, each weight vector loaded once for both.
func (e *emitter) dwPairTaps(p, st []Local, wt Local, wOff int, acc, accB []Local, wv Local) {
	f, ct := e.f, e.v.CT
	xa, xb := e.tmp("dxa", V128), e.tmp("dxb2", V128)
	nvec := ct / 4
	for _, t := range dwOrderF32 {
		for j := nvec - 1; j >= 0; j-- {
			f.Set(wv, V128Load(wt, uint32(wOff+t*4*ct+16*j)))
			f.Set(xa, V128Load(p[t], uint32(16*j)))
			f.Set(xb, V128Load(I32Add(p[t], st[t/3]), uint32(16*j)))
			f.Set(acc[j], e.fmadd(xa, wv, acc[j]))
			f.Set(accB[j], e.fmadd(xb, wv, accB[j]))
		}
	}
}

// dwOrderF32 is the order of the float taps: column by column (filter x
// outer, y inner), XNNPACK's and the portable kernel's.
var dwOrderF32 = [9]int{0, 3, 6, 1, 4, 7, 2, 5, 8}

// tmpVecs returns n scratch v128 locals name0..name{n-1}.
func (e *emitter) tmpVecs(name string, n int) []Local {
	ls := make([]Local, n)
	for i := range ls {
		ls[i] = e.tmp(fmt.Sprintf("%s%d", name, i), V128)
	}
	return ls
}
