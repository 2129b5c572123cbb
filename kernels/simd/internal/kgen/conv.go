package kgen

import (
	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels/simd"
)

// emitConv emits an OpConv variant: a CONV_2D with any filter size, stride
// and padding (dilation 1), one output row at a time: im2col copies the
// row's input patches into args.Scratch (pixel ox's patch at
// Scratch + ox*KStride, in filter order KH x KW x C; padding taps copy C
// elements from args.Zero), then the variant's GEMM runs over those OutW
// rows into the output row.
func (e *emitter) emitConv() {
	f, v := e.f, e.v
	es := 1
	if !v.DType.Quantized() {
		es = 4
	}
	a := simd.ConvArgs{}
	x, out, w, zero, scratch := e.field(a, "X"), e.field(a, "Out"), e.field(a, "W"), e.field(a, "Zero"), e.field(a, "Scratch")
	nb, inH, inW, c := e.field(a, "N"), e.field(a, "InH"), e.field(a, "InW"), e.field(a, "C")
	outH, outW, outC := e.field(a, "OutH"), e.field(a, "OutW"), e.field(a, "OutC")
	kh, kw := e.field(a, "KH"), e.field(a, "KW")
	sh, sw := e.field(a, "StrideH"), e.field(a, "StrideW")
	padTop, padLeft := e.field(a, "PadTop"), e.field(a, "PadLeft")
	kstride := e.field(a, "KStride")
	q := e.loadQuant(a, "Q")

	cb := e.let("c_bytes", I32Mul(c, c32(es)))
	rowBytes := e.let("row_bytes", I32Mul(inW, cb))
	runBytes := e.let("run_bytes", I32Mul(kw, cb)) // one filter row's taps
	outRow := e.let("out_row_bytes", I32Mul(I32Mul(outW, outC), c32(es)))
	// The GEMM's K: c8 reads whole steps of the zero-weighted padding of
	// each row (KStride is K rounded up to 8); c2 and f32 read K exactly.
	gk := e.i32("gemm_k")
	if v.DType.Quantized() && v.KStep == 8 {
		f.Set(gk, kstride)
	} else {
		f.Set(gk, I32Mul(I32Mul(kh, kw), c))
	}
	b, oy, ox, ky, kx := e.i32("b"), e.i32("oy"), e.i32("ox"), e.i32("ky"), e.i32("kx")
	xb, dst, src, iy, ix0, ix := e.i32("xb"), e.i32("dst"), e.i32("src"), e.i32("iy"), e.i32("ix0"), e.i32("ix")
	gx, gout := e.i32("gemm_x"), e.i32("gemm_out")
	f.Set(gout, out)
	f.For(b, c32(0), nb, 1, func() {
		f.Set(xb, I32Add(x, I32Mul(I32Mul(b, inH), rowBytes)))
		f.For(oy, c32(0), outH, 1, func() {
			f.For(ox, c32(0), outW, 1, func() {
				f.Set(dst, I32Add(scratch, I32Mul(ox, kstride)))
				f.Set(ix0, I32Sub(I32Mul(ox, sw), padLeft))
				f.For(ky, c32(0), kh, 1, func() {
					f.Set(iy, I32Add(I32Sub(I32Mul(oy, sh), padTop), ky))
					// A filter row wholly inside the input is one run.
					f.If(I32And(I32LtU(iy, inH), I32And(I32GeS(ix0, c32(0)), I32LeS(I32Add(ix0, kw), inW))), func() {
						f.Set(src, I32Add(I32Add(xb, I32Mul(iy, rowBytes)), I32Mul(ix0, cb)))
						e.copyBytes(dst, src, runBytes)
					}, func() {
						f.For(kx, c32(0), kw, 1, func() {
							f.Set(ix, I32Add(ix0, kx))
							f.Set(src, Select(I32Add(I32Add(xb, I32Mul(iy, rowBytes)), I32Mul(ix, cb)), zero,
								I32And(I32LtU(iy, inH), I32LtU(ix, inW))))
							e.copyBytes(dst, src, cb)
						})
					})
				})
			})
			f.Set(gx, scratch)
			g := gemmOperands{
				x: gx, xStride: kstride, out: gout, outStride: e.let("out_stride", I32Mul(outC, c32(es))),
				rows: outW, k: gk, n: outC, w: w, q: q,
			}
			if simd.ShiftBytes(v) > 0 {
				g.scratch = e.let("tile_scratch", I32Add(scratch, I32Mul(outW, kstride))) // after the patches
			}
			e.gemm(g)
			f.Set(gout, I32Add(gout, outRow))
		})
	})
}
