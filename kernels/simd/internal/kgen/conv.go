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
//
// The float variants copy only the patches that touch the padding: the
// GEMM reads the others in place, KH runs of KW x C contiguous input
// channels a pixel (gemmOperands.segmented), in the same channel order, so
// the sums are the same. On MobileNet's first layer (3 input channels, a
// 36-byte run per filter row) the copies took about a third of its time.
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
	gout := e.i32("gemm_out")
	// patch copies pixel ox's patch of output row oy into the scratch.
	patch := func() {
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
	}
	f.Set(gout, out)
	// The loop over output rows. Per row, the pixels [lo, hi) whose patches
	// lie wholly inside the input (when the row's filter rows all do) are
	// the interior: the float GEMM reads their patches in place; the
	// quantized variants copy them with no bounds tests (their GEMMs read
	// whole 8-channel steps, which the filter rows' runs do not line up
	// with). The pixels left and right of them, and whole rows that touch
	// the padding, are copied by patch; the GEMM runs on the copies in the
	// scratch.
	//
	// The columns whose filter window starts at or after the left edge
	// (ox*sw >= padLeft) and ends by the right one (ox*sw - padLeft + kw
	// <= inW), as a range [lo0, hi0) of ox.
	lo0 := e.let("in_lo", I32DivU(I32Add(padLeft, I32Sub(sw, c32(1))), sw))
	f.Set(lo0, imin(lo0, outW))
	last := e.let("in_last", I32Add(I32Sub(inW, kw), padLeft)) // the last window start, plus padLeft
	hi0 := e.let("in_hi", c32(0))
	f.If(I32GeS(last, c32(0)), func() {
		f.Set(hi0, imin(I32Add(I32DivU(last, sw), c32(1)), outW))
	}, nil)
	f.Set(hi0, Select(hi0, lo0, I32GtS(hi0, lo0)))
	lo, hi, iy0 := e.i32("lo"), e.i32("hi"), e.i32("iy0")
	outStride := e.let("out_stride", I32Mul(outC, c32(es)))
	segJump := e.let("seg_jump", I32Sub(rowBytes, runBytes))
	segLen := e.let("seg_len", I32Mul(kw, c))
	xStride := e.let("x_stride", I32Mul(sw, cb))
	var tileScratch Local
	if simd.ShiftBytes(e.v) > 0 {
		tileScratch = e.let("tile_scratch", I32Add(scratch, I32Mul(outW, kstride))) // after the patches
	}
	// fromScratch runs the GEMM over the copied pixels [from, to).
	fromScratch := func(from, to Val) {
		n := e.tmp("scratch_rows", I32)
		f.Set(n, I32Sub(to, from))
		f.If(I32GtS(n, c32(0)), func() {
			g := gemmOperands{
				x: e.let("gemm_x", I32Add(scratch, I32Mul(from, kstride))), xStride: kstride,
				out: e.let("gemm_out", I32Add(gout, I32Mul(from, outStride))), outStride: outStride,
				rows: n, k: gk, n: outC, w: w, q: q,
			}
			if simd.ShiftBytes(e.v) > 0 {
				g.scratch = tileScratch
			}
			e.gemm(g)
		}, nil)
	}
	f.For(b, c32(0), nb, 1, func() {
		f.Set(xb, I32Add(x, I32Mul(I32Mul(b, inH), rowBytes)))
		f.For(oy, c32(0), outH, 1, func() {
			f.Set(iy0, I32Sub(I32Mul(oy, sh), padTop))
			f.Set(lo, c32(0))
			f.Set(hi, c32(0))
			f.If(I32And(I32GeS(iy0, c32(0)), I32LeS(I32Add(iy0, kh), inH)), func() {
				f.Set(lo, lo0)
				f.Set(hi, hi0)
			}, nil)
			f.For(ox, c32(0), lo, 1, patch)
			f.For(ox, hi, outW, 1, patch)
			// The interior's first patch starts here in the input.
			start := e.let("in_start", I32Add(I32Add(xb, I32Mul(iy0, rowBytes)), I32Mul(I32Sub(I32Mul(lo, sw), padLeft), cb)))
			if e.v.DType.Quantized() {
				// The interior's patches: kh runs of kw*c bytes a pixel,
				// the rows' sources one stride further per pixel.
				src, dst, ky := e.i32("in_src"), e.i32("in_dst"), e.i32("in_ky")
				f.For(ox, lo, hi, 1, func() {
					f.Set(dst, I32Add(scratch, I32Mul(ox, kstride)))
					f.Set(src, start)
					f.For(ky, c32(0), kh, 1, func() {
						e.copyBytes(dst, src, runBytes)
						f.Set(src, I32Add(src, segJump))
					})
					f.Set(start, I32Add(start, xStride))
				})
				fromScratch(c32(0), outW)
				f.Set(gout, I32Add(gout, outRow))
				return
			}
			fromScratch(c32(0), lo)
			f.If(I32GtS(hi, lo), func() {
				g := gemmOperands{
					x: start, xStride: xStride,
					out: e.let("direct_out", I32Add(gout, I32Mul(lo, outStride))), outStride: outStride,
					rows: e.let("direct_rows", I32Sub(hi, lo)), k: gk, n: outC, w: w, q: q,
					segmented: true, segs: kh, segLen: segLen, segJump: segJump,
				}
				e.gemm(g)
			}, nil)
			fromScratch(hi, outW)
			f.Set(gout, I32Add(gout, outRow))
		})
	})
}
