package kgen

import (
	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels/simd"
)

// emitAvgPool emits an OpAvgPool variant: AVERAGE_POOL_2D as TFLite's built-in
// kernels compute it (padding taps skipped, the average over the in-bounds
// taps). Per output pixel and CT channels: the window's taps are summed
// row by row (int32, or float32 in the portable kernel's order), then
//
//   - qu8: (sum + n/2) / n, the sum being non-negative;
//   - qc8: (sum + n/2) / n if sum > 0, else (sum - n/2) / n, truncating;
//   - f32: sum / n;
//
// then clamped. The integer division is float64 division then truncation:
// exact, since |numerator| < 2^31 makes the quotient's distance to the next
// integer (at least 1/n) larger than float64's rounding error.
func (e *emitter) emitAvgPool() {
	f, v := e.f, e.v
	ct := v.CT
	es := 1
	if !v.DType.Quantized() {
		es = 4
	}
	a := simd.PoolArgs{}
	x, out := e.field(a, "X"), e.field(a, "Out")
	nb, inH, inW, c := e.field(a, "N"), e.field(a, "InH"), e.field(a, "InW"), e.field(a, "C")
	outH, outW := e.field(a, "OutH"), e.field(a, "OutW")
	fh, fw := e.field(a, "FH"), e.field(a, "FW")
	sh, sw := e.field(a, "StrideH"), e.field(a, "StrideW")
	padTop, padLeft := e.field(a, "PadTop"), e.field(a, "PadLeft")
	q := e.loadQuant(a, "Q")

	cb := e.let("c_bytes", I32Mul(c, c32(es)))
	rowBytes := e.let("row_bytes", I32Mul(inW, cb))
	b, oy, ox := e.i32("b"), e.i32("oy"), e.i32("ox")
	xb, op := e.i32("xb"), e.i32("op")
	iy0, ix0, fy0, fy1, fx0, fx1 := e.i32("iy0"), e.i32("ix0"), e.i32("fy0"), e.i32("fy1"), e.i32("fx0"), e.i32("fx1")
	base, cc, py, px, fy, fx := e.i32("base"), e.i32("cc"), e.i32("py"), e.i32("px"), e.i32("fy"), e.i32("fx")
	cnt := e.i32("count")
	half := e.vec("half")
	cntF := e.vec("count_f")

	f.Set(op, out)
	f.For(b, c32(0), nb, 1, func() {
		f.Set(xb, I32Add(x, I32Mul(I32Mul(b, inH), rowBytes)))
		f.For(oy, c32(0), outH, 1, func() {
			f.Set(iy0, I32Sub(I32Mul(oy, sh), padTop))
			f.Set(fy0, Select(c32(0), I32Sub(c32(0), iy0), I32GeS(iy0, c32(0))))
			f.Set(fy1, imin(fh, I32Sub(inH, iy0)))
			f.For(ox, c32(0), outW, 1, func() {
				f.Set(ix0, I32Sub(I32Mul(ox, sw), padLeft))
				f.Set(fx0, Select(c32(0), I32Sub(c32(0), ix0), I32GeS(ix0, c32(0))))
				f.Set(fx1, imin(fw, I32Sub(inW, ix0)))
				f.Set(cnt, I32Mul(I32Sub(fy1, fy0), I32Sub(fx1, fx0)))
				if v.DType.Quantized() {
					f.Set(half, I32x4Splat(I32ShrS(cnt, c32(1))))
					f.Set(cntF, F64x2Splat(F64ConvertI32S(cnt)))
				} else {
					f.Set(cntF, F32x4Splat(F32ConvertI32S(cnt)))
				}
				f.Set(base, I32Add(xb, I32Add(I32Mul(I32Add(iy0, fy0), rowBytes), I32Mul(I32Add(ix0, fx0), cb))))
				f.Set(cc, c)
				tile := func(n Val) {
					acc := e.tmpVecs("pacc", ct/4)
					for _, a := range acc {
						f.Set(a, V128Zero())
					}
					f.Set(py, base)
					f.For(fy, fy0, fy1, 1, func() {
						f.Set(px, py)
						f.For(fx, fx0, fx1, 1, func() {
							e.poolAdd(acc, px, n)
							f.Set(px, I32Add(px, cb))
						})
						f.Set(py, I32Add(py, rowBytes))
					})
					e.poolStore(acc, op, n, half, cntF, q)
				}
				f.While(func() Val { return I32GeS(cc, c32(ct)) }, func() {
					tile(nil)
					f.Inc(base, int32(ct*es))
					f.Inc(op, int32(ct*es))
					f.Inc(cc, -int32(ct))
				})
				f.If(cc, func() {
					tile(cc)
					f.Set(op, I32Add(op, I32Mul(cc, c32(es))))
				}, nil)
			})
		})
	})
}

// poolAdd adds the CT (or n) elements at p into the accumulators.
func (e *emitter) poolAdd(acc []Local, p Local, n Val) {
	f, v := e.f, e.v
	if !v.DType.Quantized() {
		xv := e.tmpVecs("px", len(acc))
		if n != nil {
			e.loadF32s(xv, p, 0, n)
		} else {
			for j := len(xv) - 1; j >= 0; j-- {
				f.Set(xv[j], V128Load(p, uint32(16*j)))
			}
		}
		for j := range acc {
			f.Set(acc[j], F32x4Add(acc[j], xv[j]))
		}
		return
	}
	raw := e.tmp("praw", V128)
	if n != nil {
		e.loadBytes(raw, p, 0, n, v.CT-1)
	} else if v.CT == 16 {
		f.Set(raw, V128Load(p, 0))
	} else {
		f.Set(raw, V128Load64Zero(p, 0))
	}
	h := e.tmp("ph", V128)
	for half := range v.CT / 8 {
		f.Set(h, e.extendX(raw, half == 1))
		ext := [2]func(Val) Val{I32x4ExtendLowI16x8S, I32x4ExtendHighI16x8S}
		for i := range 2 {
			a := acc[2*half+i]
			f.Set(a, I32x4Add(a, ext[i](h)))
		}
	}
}

// poolStore divides, clamps and stores the accumulators.
func (e *emitter) poolStore(acc []Local, op Local, n Val, half, cntF Local, q quant) {
	f, v := e.f, e.v
	if !v.DType.Quantized() {
		vs := make([]Val, len(acc))
		for j, a := range acc {
			// pmax/pmin are exactly clampF32's comparisons.
			f.Set(a, F32x4Pmin(F32x4Pmax(F32x4Div(a, cntF), q.lo), q.hi))
			vs[j] = a
		}
		if n != nil {
			e.storeF32s(op, 0, vs, n)
			return
		}
		for j := len(vs) - 1; j >= 0; j-- {
			f.V128Store(op, uint32(16*j), vs[j])
		}
		return
	}
	qs := make([]Val, len(acc))
	num := e.tmp("pnum", V128)
	for j, a := range acc {
		if v.DType == simd.QC8 {
			f.Set(num, V128Bitselect(I32x4Add(a, half), I32x4Sub(a, half), I32x4GtS(a, V128Zero())))
		} else {
			f.Set(num, I32x4Add(a, half))
		}
		lo := I32x4TruncSatF64x2SZero(F64x2Div(F64x2ConvertLowI32x4S(num), cntF))
		hiNum := shuffle32(num, num, [4]int{2, 3, 2, 3})
		hi := I32x4TruncSatF64x2SZero(F64x2Div(F64x2ConvertLowI32x4S(hiNum), cntF))
		f.Set(a, I32x4MaxS(I32x4MinS(shuffle32(lo, hi, [4]int{0, 1, 4, 5}), q.amax), q.amin))
		qs[j] = a
	}
	e.storeNarrow(op, 0, qs, n, nil)
}
