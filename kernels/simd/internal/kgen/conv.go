package kgen

import (
	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels/simd"
)

// convKernel is an OpConv export: a CONV_2D with any filter size, stride
// and padding (dilation 1), one output row at a time: im2col copies the
// row's input patches into args.Scratch (pixel ox's patch at
// Scratch + ox*KStride, in filter order KH x KW x C; padding taps copy C
// elements from args.Zero), then the variant's GEMM runs over those OutW
// rows into the output row.
func (k *kernel) convKernel() {
	f, v := k.f, k.v
	es := 1
	if !v.DType.Quantized() {
		es = 4
	}
	a := simd.ConvArgs{}
	x, out, w, zero, scratch := k.field(a, "X"), k.field(a, "Out"), k.field(a, "W"), k.field(a, "Zero"), k.field(a, "Scratch")
	nb, inH, inW, c := k.field(a, "N"), k.field(a, "InH"), k.field(a, "InW"), k.field(a, "C")
	outH, outW, outC := k.field(a, "OutH"), k.field(a, "OutW"), k.field(a, "OutC")
	kh, kw := k.field(a, "KH"), k.field(a, "KW")
	sh, sw := k.field(a, "StrideH"), k.field(a, "StrideW")
	padTop, padLeft := k.field(a, "PadTop"), k.field(a, "PadLeft")
	kstride := k.field(a, "KStride")
	q := k.loadQuant(a, "Q")

	cb := k.let("c_bytes", I32Mul(c, c32(es)))
	rowBytes := k.let("row_bytes", I32Mul(inW, cb))
	runBytes := k.let("run_bytes", I32Mul(kw, cb)) // one filter row's taps
	outRow := k.let("out_row_bytes", I32Mul(I32Mul(outW, outC), c32(es)))
	// The GEMM's K: c8 reads whole steps of the zero-weighted padding of
	// each row (KStride is K rounded up to 8); c2 and f32 read K exactly.
	gk := k.i32("gemm_k")
	if v.DType.Quantized() && v.KC == 8 {
		f.Set(gk, kstride)
	} else {
		f.Set(gk, I32Mul(I32Mul(kh, kw), c))
	}
	b, oy, ox, ky, kx := k.i32("b"), k.i32("oy"), k.i32("ox"), k.i32("ky"), k.i32("kx")
	xb, dst, src, iy, ix0, ix := k.i32("xb"), k.i32("dst"), k.i32("src"), k.i32("iy"), k.i32("ix0"), k.i32("ix")
	gx, gout := k.i32("gemm_x"), k.i32("gemm_out")
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
						k.copyBytes(dst, src, runBytes)
					}, func() {
						f.For(kx, c32(0), kw, 1, func() {
							f.Set(ix, I32Add(ix0, kx))
							f.Set(src, Select(I32Add(I32Add(xb, I32Mul(iy, rowBytes)), I32Mul(ix, cb)), zero,
								I32And(I32LtU(iy, inH), I32LtU(ix, inW))))
							k.copyBytes(dst, src, cb)
						})
					})
				})
			})
			f.Set(gx, scratch)
			k.gemm(gemmOperands{
				x: gx, xStride: kstride, out: gout, outStride: k.let("out_stride", I32Mul(outC, c32(es))),
				rows: outW, k: gk, n: outC, w: w, q: q,
			})
			f.Set(gout, I32Add(gout, outRow))
		})
	})
}
