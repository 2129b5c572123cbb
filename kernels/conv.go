package kernels

// CONV_2D in float32, uint8 and int8.
//
// Each dtype has three implementations, all bit-identical:
//   - convRef*: the reference loop nest, mirroring TFLite's
//     reference_ops::Conv / reference_integer_ops::ConvPerChannel (the
//     float one starts its sums from the bias, as XNNPACK does; see
//     ConvF32); slow and clear, the definition the others are tested
//     against.
//   - convFast*: the same sums in the same order, with the in-bounds filter
//     taps computed once per output pixel instead of tested per tap, and
//     four output channels per pass over the input (each input value is
//     loaded once for four multiplies). Used for every layer.
//   - gemmPacked (quantized pointwise layers with Prepacked weights): a
//     GEMM over contiguous pixels, two int32 lanes per int64 multiply.

// Window is a filter sliding over the spatial dimensions of an input: what
// ComputePadding needs of a CONV_2D, DEPTHWISE_CONV_2D or pool.
type Window struct {
	// Same is TFLite's SAME padding; false is VALID.
	Same bool
	// InH and InW are the input's height and width.
	InH, InW int
	// KH and KW are the filter's height and width.
	KH, KW           int
	StrideH, StrideW int
	// DilationH and DilationW below 1 (pools leave them 0) count as 1.
	DilationH, DilationW int
}

// ComputePadding resolves w's SAME / VALID padding into the output size and
// the top/left padding, as TFLite's ComputePaddingHeightWidth and
// ComputeOutSize do, per dimension:
//
//	effective = (k-1)*dilation + 1
//	SAME:  out = ceil(in/stride), pad = max(((out-1)*stride + effective - in) / 2, 0)
//	VALID: out = (in - effective + stride) / stride, pad = 0
//
// (C integer division, truncating.) Stride 0 gives an output size of 0.
func ComputePadding(w Window) (outH, outW, padTop, padLeft int) {
	outH, padTop = computePadding1(w.Same, w.InH, w.KH, w.StrideH, w.DilationH)
	outW, padLeft = computePadding1(w.Same, w.InW, w.KW, w.StrideW, w.DilationW)
	return outH, outW, padTop, padLeft
}

func computePadding1(same bool, in, k, stride, dil int) (out, pad int) {
	if stride <= 0 {
		return 0, 0
	}
	dil = max(dil, 1)
	eff := (k-1)*dil + 1
	if !same {
		return (in - eff + stride) / stride, 0
	}
	out = (in + stride - 1) / stride
	pad = ((out-1)*stride + eff - in) / 2
	return out, max(pad, 0)
}

// tapRange returns the filter taps [k0, k1) of one spatial dimension whose
// input coordinate origin + k*dil lies in [0, size).
func tapRange(origin, size, k, dil int) (k0, k1 int) {
	k0, k1 = 0, k
	for k0 < k1 && origin+k0*dil < 0 {
		k0++
	}
	for k1 > k0 && origin+(k1-1)*dil >= size {
		k1--
	}
	return k0, k1
}

// outPixel is one output pixel of a convolution: image b, position
// (oy, ox), and the offset at of its channels in the output.
type outPixel struct{ b, oy, ox, at int }

// outPixels yields the output pixels of p in order: the loop nest that
// every CONV_2D and DEPTHWISE_CONV_2D kernel walks, the work on the
// pixel's channels being the caller's (called once per pixel, not per
// element).
func (p *ConvParams) outPixels(yield func(outPixel) bool) {
	for b := range p.In.N {
		for oy := range p.Out.H {
			for ox := range p.Out.W {
				if !yield(outPixel{b, oy, ox, ((b*p.Out.H+oy)*p.Out.W + ox) * p.Out.C}) {
					return
				}
			}
		}
	}
}

// window returns the input position (iy0, ix0) of output pixel px's
// filter tap (0, 0), which may be negative, and its in-bounds filter taps
// [ky0, ky1) x [kx0, kx1).
func (p *ConvParams) window(px outPixel) (iy0, ix0, ky0, ky1, kx0, kx1 int) {
	iy0 = px.oy*p.StrideH - p.PadTop
	ix0 = px.ox*p.StrideW - p.PadLeft
	ky0, ky1 = tapRange(iy0, p.In.H, p.KH, p.DilationH)
	kx0, kx1 = tapRange(ix0, p.In.W, p.KW, p.DilationW)
	return
}

// ConvF32 is CONV_2D in float32: filter is OHWI ([OC, KH, KW, IC]), bias
// has OC entries or is nil (zero), the result is clamped to
// [actMin, actMax] (see FloatActivationRange). Out-of-bounds taps (padding)
// contribute nothing. Per output, the sum starts from the bias and adds
// the products one at a time in filter row, column, input channel order,
// as XNNPACK's f32 GEMM/IGEMM kernels (which produced the float goldens)
// do; TFLite's reference kernel adds the bias last instead, which moved
// mobilenet_v1_0.25_224's outputs up to 2x further from the goldens. The
// result equals convRefF32 bit for bit.
func ConvF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	convFastF32(p, in, filter, bias, out, actMin, actMax)
}

// ConvU8 is CONV_2D on uint8 tensors with per-tensor quantization: filter
// is OHWI, bias (int32, scale inputScale*filterScale) has OC entries or is
// nil. Per output channel oc:
//
//	acc = sum over in-bounds taps of (filter + FilterOffset) * (input + InputOffset) + bias[oc]
//	out = q.Apply(acc, oc)
//
// Padding taps contribute nothing (as an input equal to the zero point
// would). When q.Packed was built by PrepackConvU8 for this layer (a 1x1,
// stride 1, unpadded conv) the prepacked GEMM runs instead; the results are
// identical.
func ConvU8(p *ConvParams, q *QuantConv, in, filter []uint8, bias []int32, out []uint8) {
	if q.Packed != nil && p.Pointwise() {
		gemmPacked(q.Packed, &q.Requant, in, out, p.In.N*p.In.H*p.In.W)
		return
	}
	convFastQ(p, q, in, filter, bias, out)
}

// ConvI8 is CONV_2D on int8 tensors (the TFLite int8 spec: per-channel
// symmetric filter, FilterOffset 0, asymmetric activations), with the same
// arithmetic as ConvU8 and per-channel requantization through q.Requant.
// q.Packed from PrepackConvI8 selects the pointwise GEMM.
func ConvI8(p *ConvParams, q *QuantConv, in, filter []int8, bias []int32, out []int8) {
	if q.Packed != nil && p.Pointwise() {
		gemmPacked(q.Packed, &q.Requant, in, out, p.In.N*p.In.H*p.In.W)
		return
	}
	convFastQ(p, q, in, filter, bias, out)
}

// Pointwise reports whether p is a 1x1, stride 1, unpadded CONV_2D, where
// output pixel i reads exactly input pixel i: a GEMM over the pixels.
func (p *ConvParams) Pointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadTop == 0 && p.PadLeft == 0 && p.In.H == p.Out.H && p.In.W == p.Out.W
}

// convRefF32 is the reference loop nest of ConvF32 (TFLite's
// reference_ops::Conv for float, with the bias added first).
func convRefF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	ic, oc := p.In.C, p.Out.C
	for px := range p.outPixels {
		for o := range oc {
			// Bias first, as XNNPACK's f32 GEMMs do.
			var total float32
			if bias != nil {
				total = bias[o]
			}
			for ky := range p.KH {
				iy := px.oy*p.StrideH - p.PadTop + ky*p.DilationH
				for kx := range p.KW {
					ix := px.ox*p.StrideW - p.PadLeft + kx*p.DilationW
					if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
						continue
					}
					for c := range ic {
						x := in[((px.b*p.In.H+iy)*p.In.W+ix)*ic+c]
						w := filter[((o*p.KH+ky)*p.KW+kx)*ic+c]
						// float32() keeps the product rounded on
						// its own (no fused multiply-add), so every
						// variant sums the same values.
						total += float32(x * w)
					}
				}
			}
			out[px.at+o] = clampActF32(total, actMin, actMax)
		}
	}
}

// convRefQ is the reference loop nest of ConvU8 and ConvI8 (TFLite's
// reference_ops::Conv for uint8, reference_integer_ops::ConvPerChannel for
// int8).
func convRefQ[T uint8 | int8](p *ConvParams, q *QuantConv, in, filter []T, bias []int32, out []T) {
	ic, oc := p.In.C, p.Out.C
	for px := range p.outPixels {
		for o := range oc {
			// Overflow: |filter + FilterOffset| <= 255 and
			// |input + InputOffset| <= 255, so each term is at most
			// 65025 in magnitude and the sum of KH*KW*IC terms fits
			// int32 for KH*KW*IC <= 33025 (MobileNet: at most 1024),
			// the same assumption as TFLite's int32 accumulator.
			// Beyond it Go's int32 arithmetic wraps, and so do the
			// fast paths, identically.
			var acc int32
			for ky := range p.KH {
				iy := px.oy*p.StrideH - p.PadTop + ky*p.DilationH
				for kx := range p.KW {
					ix := px.ox*p.StrideW - p.PadLeft + kx*p.DilationW
					if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
						continue
					}
					for c := range ic {
						x := int32(in[((px.b*p.In.H+iy)*p.In.W+ix)*ic+c])
						w := int32(filter[((o*p.KH+ky)*p.KW+kx)*ic+c])
						acc += (w + q.FilterOffset) * (x + q.InputOffset)
					}
				}
			}
			if bias != nil {
				acc += bias[o]
			}
			out[px.at+o] = T(q.Apply(acc, o))
		}
	}
}

// convRun is one run of n contiguous input and filter elements that an
// output pixel reads, at inOff in the input and wOff in each output
// channel's filter. With dilation 1 a filter row's in-bounds taps are
// adjacent in NHWC memory, so each filter row is one run of (kx1-kx0)*IC
// elements; with dilation, one run per tap.
type convRun struct{ inOff, wOff, n int }

// pixelRuns fills runs (len >= KH*KW) for output pixel px and returns
// how many it wrote.
func pixelRuns(p *ConvParams, px outPixel, runs []convRun) int {
	ic, b := p.In.C, px.b
	oy0, ox0, ky0, ky1, kx0, kx1 := p.window(px)
	nr := 0
	if kx0 >= kx1 {
		return 0
	}
	for ky := ky0; ky < ky1; ky++ {
		iy := oy0 + ky*p.DilationH
		if p.DilationW == 1 {
			ix := ox0 + kx0
			runs[nr] = convRun{((b*p.In.H+iy)*p.In.W + ix) * ic, (ky*p.KW + kx0) * ic, (kx1 - kx0) * ic}
			nr++
			continue
		}
		for kx := kx0; kx < kx1; kx++ {
			ix := ox0 + kx*p.DilationW
			runs[nr] = convRun{((b*p.In.H+iy)*p.In.W + ix) * ic, (ky*p.KW + kx) * ic, ic}
			nr++
		}
	}
	return nr
}

// maxStackRuns bounds the runs kept on the stack; filters with more taps
// (KH*KW > 64, never seen in MobileNets) use the reference nest.
const maxStackRuns = 64

// convFastQ computes convRefQ's sums with the tap bounds hoisted and four
// output channels per pass.
func convFastQ[T uint8 | int8](p *ConvParams, q *QuantConv, in, filter []T, bias []int32, out []T) {
	if p.KH*p.KW > maxStackRuns {
		convRefQ(p, q, in, filter, bias, out)
		return
	}
	oc := p.Out.C
	ksize := p.KH * p.KW * p.In.C // one output channel's filter
	io, fo := q.InputOffset, q.FilterOffset
	var runs [maxStackRuns]convRun
	var acc [4]int32
	for px := range p.outPixels {
		nr := pixelRuns(p, px, runs[:])
		rs := runs[:nr]
		dst := out[px.at:][:oc]
		o := 0
		for ; o+4 <= oc; o += 4 {
			// Overflow: as in convRefQ; the same terms are summed
			// (in another order, which int32 wrapping ignores).
			var a0, a1, a2, a3 int32
			f0 := filter[o*ksize:][:ksize]
			f1 := filter[(o+1)*ksize:][:ksize]
			f2 := filter[(o+2)*ksize:][:ksize]
			f3 := filter[(o+3)*ksize:][:ksize]
			for _, r := range rs {
				a0, a1, a2, a3 = dot4Q(in[r.inOff:r.inOff+r.n],
					f0[r.wOff:r.wOff+r.n], f1[r.wOff:r.wOff+r.n], f2[r.wOff:r.wOff+r.n], f3[r.wOff:r.wOff+r.n],
					io, fo, a0, a1, a2, a3)
			}
			if bias != nil {
				bs := bias[o : o+4]
				a0, a1, a2, a3 = a0+bs[0], a1+bs[1], a2+bs[2], a3+bs[3]
			}
			acc = [4]int32{a0, a1, a2, a3}
			requantRow(&q.Requant, acc[:], o, dst[o:o+4])
		}
		for ; o < oc; o++ {
			var a int32
			f := filter[o*ksize:][:ksize]
			for _, r := range rs {
				a = dot1Q(in[r.inOff:r.inOff+r.n], f[r.wOff:r.wOff+r.n], io, fo, a)
			}
			if bias != nil {
				a += bias[o]
			}
			dst[o] = T(q.Apply(a, o))
		}
	}
}

// dot4Q adds sum((x+io)*(w_k+fo)) to a_k for the four filter rows w0..w3,
// each as long as x.
func dot4Q[T uint8 | int8](x, w0, w1, w2, w3 []T, io, fo, a0, a1, a2, a3 int32) (int32, int32, int32, int32) {
	w0, w1, w2, w3 = w0[:len(x)], w1[:len(x)], w2[:len(x)], w3[:len(x)]
	for i, xv := range x {
		xi := int32(xv) + io
		a0 += xi * (int32(w0[i]) + fo)
		a1 += xi * (int32(w1[i]) + fo)
		a2 += xi * (int32(w2[i]) + fo)
		a3 += xi * (int32(w3[i]) + fo)
	}
	return a0, a1, a2, a3
}

// dot1Q adds sum((x+io)*(w+fo)) to a.
func dot1Q[T uint8 | int8](x, w []T, io, fo, a int32) int32 {
	w = w[:len(x)]
	for i, xv := range x {
		a += (int32(xv) + io) * (int32(w[i]) + fo)
	}
	return a
}

// convFastF32 computes convRefF32's sums, in the same order (bias, then
// taps in order), with the tap bounds hoisted and four output channels per
// pass.
func convFastF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	if p.KH*p.KW > maxStackRuns {
		convRefF32(p, in, filter, bias, out, actMin, actMax)
		return
	}
	oc := p.Out.C
	ksize := p.KH * p.KW * p.In.C
	var runs [maxStackRuns]convRun
	for px := range p.outPixels {
		nr := pixelRuns(p, px, runs[:])
		rs := runs[:nr]
		dst := out[px.at:][:oc]
		o := 0
		for ; o+4 <= oc; o += 4 {
			var a0, a1, a2, a3 float32
			if bias != nil {
				bs := bias[o : o+4]
				a0, a1, a2, a3 = bs[0], bs[1], bs[2], bs[3]
			}
			f0 := filter[o*ksize:][:ksize]
			f1 := filter[(o+1)*ksize:][:ksize]
			f2 := filter[(o+2)*ksize:][:ksize]
			f3 := filter[(o+3)*ksize:][:ksize]
			for _, r := range rs {
				a0, a1, a2, a3 = dot4F32(in[r.inOff:r.inOff+r.n],
					f0[r.wOff:r.wOff+r.n], f1[r.wOff:r.wOff+r.n], f2[r.wOff:r.wOff+r.n], f3[r.wOff:r.wOff+r.n],
					a0, a1, a2, a3)
			}
			d := dst[o : o+4]
			d[0] = clampActF32(a0, actMin, actMax)
			d[1] = clampActF32(a1, actMin, actMax)
			d[2] = clampActF32(a2, actMin, actMax)
			d[3] = clampActF32(a3, actMin, actMax)
		}
		for ; o < oc; o++ {
			var a float32
			if bias != nil {
				a = bias[o]
			}
			f := filter[o*ksize:][:ksize]
			for _, r := range rs {
				a = dot1F32(in[r.inOff:r.inOff+r.n], f[r.wOff:r.wOff+r.n], a)
			}
			dst[o] = clampActF32(a, actMin, actMax)
		}
	}
}

// dot4F32 adds x·w_k to a_k, one product at a time in index order.
func dot4F32(x, w0, w1, w2, w3 []float32, a0, a1, a2, a3 float32) (float32, float32, float32, float32) {
	w0, w1, w2, w3 = w0[:len(x)], w1[:len(x)], w2[:len(x)], w3[:len(x)]
	for i, xv := range x {
		a0 += float32(xv * w0[i])
		a1 += float32(xv * w1[i])
		a2 += float32(xv * w2[i])
		a3 += float32(xv * w3[i])
	}
	return a0, a1, a2, a3
}

// dot1F32 adds x·w to a, one product at a time in index order.
func dot1F32(x, w []float32, a float32) float32 {
	w = w[:len(x)]
	for i, xv := range x {
		a += float32(xv * w[i])
	}
	return a
}

// Prepacked holds the weights of one quantized pointwise layer (a 1x1,
// stride 1, unpadded CONV_2D, or a FULLY_CONNECTED) re-laid out at plan
// time for gemmPacked. Build it with PrepackConvU8, PrepackConvI8,
// PrepackFullyConnectedU8 or PrepackFullyConnectedI8 and store it in
// QuantConv.Packed; the kernels then use it instead of the filter and bias
// they are passed, with identical results. It bakes in the filter, the
// bias, InputOffset and FilterOffset: rebuild it if any of them changes.
//
// Arithmetic: with W'[o][i] = filter[o][i] + FilterOffset,
//
//	acc[o] = sum_i (x[i] + InputOffset) * W'[o][i] + bias[o]
//	       = sum_i x[i] * W'[o][i] + (bias[o] + InputOffset * sum_i W'[o][i])
//
// exactly (int32 arithmetic is a ring, wrapping included); the constant
// part is precomputed per channel. The sum takes two channels per int64
// multiply: w holds, for each block of four output channels and each input
// channel i, {W'[4b][i] + W'[4b+1][i]<<32, W'[4b+2][i] + W'[4b+3][i]<<32}
// (channels past OC are zero). x * (u + v<<32) = x*u + (x*v)<<32, so an
// int64 accumulator holds S0 + S1*2^32 with S0, S1 the two channels' sums;
// |x * W'| <= 255*255, so |S0|, |S1| < 2^31 while IC <= 33025 and the lanes
// separate exactly: S0 = int32(a), S1 = (a - S0) >> 32. The constructors
// return nil (no fast path) for IC > 32768.
type Prepacked struct {
	ic, oc int
	w      [][2]int64 // [ceil(oc/4) * ic]
	bias   []int32    // [ceil(oc/4) * 4]: bias + InputOffset * sum_i W'
}

// maxPackedIC keeps the SWAR lanes exact (see Prepacked).
const maxPackedIC = 32768

// PrepackConvU8 prepacks a uint8 CONV_2D for ConvU8 when it is pointwise
// (1x1, stride 1, no padding) with at most 32768 input channels, and
// returns nil otherwise (ConvU8 then runs unpacked). q's InputOffset and
// FilterOffset must be final. Call at plan time; it allocates 4 bytes per
// weight.
func PrepackConvU8(p *ConvParams, q *QuantConv, filter []uint8, bias []int32) *Prepacked {
	if !p.Pointwise() {
		return nil
	}
	return prepack(p.In.C, p.Out.C, filter, bias, q)
}

// PrepackConvI8 is PrepackConvU8 for ConvI8.
func PrepackConvI8(p *ConvParams, q *QuantConv, filter []int8, bias []int32) *Prepacked {
	if !p.Pointwise() {
		return nil
	}
	return prepack(p.In.C, p.Out.C, filter, bias, q)
}

// PrepackFullyConnectedU8 prepacks a uint8 FULLY_CONNECTED's weights
// ([Out, In]) for FullyConnectedU8, or returns nil when In > 32768. Call at
// plan time; it allocates 4 bytes per weight.
func PrepackFullyConnectedU8(fp *FCParams, q *QuantConv, weights []uint8, bias []int32) *Prepacked {
	return prepack(fp.In, fp.Out, weights, bias, q)
}

// PrepackFullyConnectedI8 is PrepackFullyConnectedU8 for FullyConnectedI8.
func PrepackFullyConnectedI8(fp *FCParams, q *QuantConv, weights []int8, bias []int32) *Prepacked {
	return prepack(fp.In, fp.Out, weights, bias, q)
}

func prepack[T uint8 | int8](ic, oc int, filter []T, bias []int32, q *QuantConv) *Prepacked {
	fo := q.FilterOffset
	if ic <= 0 || oc <= 0 || ic > maxPackedIC {
		return nil
	}
	nb := (oc + 3) / 4
	pk := &Prepacked{ic: ic, oc: oc, w: make([][2]int64, nb*ic), bias: make([]int32, nb*4)}
	wp := func(o, i int) int64 { // W'[o][i], zero past oc
		if o >= oc {
			return 0
		}
		return int64(int32(filter[o*ic+i]) + fo)
	}
	for b := range nb {
		for i := range ic {
			o := 4 * b
			pk.w[b*ic+i] = [2]int64{wp(o, i) + wp(o+1, i)<<32, wp(o+2, i) + wp(o+3, i)<<32}
		}
	}
	for o := range oc {
		var sw int32
		for i := range ic {
			sw += int32(filter[o*ic+i]) + fo
		}
		pk.bias[o] = q.FoldedBias(bias, o, sw)
	}
	return pk
}

// lanes splits an int64 SWAR accumulator into its two exact int32 sums.
func lanes(a int64) (lo, hi int32) {
	lo = int32(a)
	return lo, int32((a - int64(lo)) >> 32)
}

// gemmPacked computes rows pixels (or batches) of a prepacked pointwise
// layer: in is [rows][ic], out is [rows][oc]. Blocks of four output
// channels (the packed weights of one block, 16*ic bytes, stay in L1) by
// four pixels (each weight pair loaded once for four pixels); the tails
// take one pixel at a time.
func gemmPacked[T uint8 | int8](pk *Prepacked, r *Requant, in, out []T, rows int) {
	ic, oc := pk.ic, pk.oc
	nb := (oc + 3) / 4
	var acc [4]int32
	for b := range nb {
		o0 := 4 * b
		n := min(4, oc-o0)
		wb := pk.w[b*ic : b*ic+ic]
		bs := pk.bias[o0 : o0+4]
		p := 0
		for ; p+4 <= rows; p += 4 {
			x0 := in[p*ic : p*ic+ic]
			x1 := in[(p+1)*ic : (p+1)*ic+ic][:len(x0)]
			x2 := in[(p+2)*ic : (p+2)*ic+ic][:len(x0)]
			x3 := in[(p+3)*ic : (p+3)*ic+ic][:len(x0)]
			w := wb[:len(x0)]
			// Overflow: each int64 holds two exact lane sums bounded by
			// ic*65025 < 2^31 (see Prepacked); the int64 never overflows.
			var a0, a1, b0, b1, c0, c1, d0, d1 int64
			for i, xv := range x0 {
				wq := &w[i]
				u, v := wq[0], wq[1]
				x := int64(xv)
				a0 += x * u
				a1 += x * v
				x = int64(x1[i])
				b0 += x * u
				b1 += x * v
				x = int64(x2[i])
				c0 += x * u
				c1 += x * v
				x = int64(x3[i])
				d0 += x * u
				d1 += x * v
			}
			gemmStore(r, &acc, a0, a1, bs, o0, n, out[p*oc:])
			gemmStore(r, &acc, b0, b1, bs, o0, n, out[(p+1)*oc:])
			gemmStore(r, &acc, c0, c1, bs, o0, n, out[(p+2)*oc:])
			gemmStore(r, &acc, d0, d1, bs, o0, n, out[(p+3)*oc:])
		}
		for ; p < rows; p++ {
			x0 := in[p*ic : p*ic+ic]
			w := wb[:len(x0)]
			var a0, a1 int64
			for i, xv := range x0 {
				x := int64(xv)
				a0 += x * w[i][0]
				a1 += x * w[i][1]
			}
			gemmStore(r, &acc, a0, a1, bs, o0, n, out[p*oc:])
		}
	}
}

// gemmStore finishes one pixel's block of n <= 4 channels starting at o0:
// splits the lanes, adds the precomputed constants, requantizes into
// row[o0:o0+n].
func gemmStore[T uint8 | int8](r *Requant, acc *[4]int32, a, b int64, bs []int32, o0, n int, row []T) {
	acc[0], acc[1] = lanes(a)
	acc[2], acc[3] = lanes(b)
	acc[0] += bs[0]
	acc[1] += bs[1]
	acc[2] += bs[2]
	acc[3] += bs[3]
	requantRow(r, acc[:n], o0, row[o0:o0+n])
}

// PrepackedFilter returns the filter ([OC][IC], as the file stores it) that
// pk was built from with filter offset filterOffset: the inverse of
// PrepackConvU8 and the others, so that a layer can drop its packing and
// build another one (or this one again) later without keeping the filter.
// Exact: every lane holds filter + FilterOffset as an int32.
func PrepackedFilter[T uint8 | int8](pk *Prepacked, filterOffset int32) []T {
	ic, oc := pk.ic, pk.oc
	f := make([]T, oc*ic)
	put := func(o, i int, wp int32) {
		if o < oc {
			f[o*ic+i] = T(wp - filterOffset)
		}
	}
	for b := range (oc + 3) / 4 {
		for i := range ic {
			u := pk.w[b*ic+i]
			w0, w1 := lanes(u[0])
			w2, w3 := lanes(u[1])
			put(4*b, i, w0)
			put(4*b+1, i, w1)
			put(4*b+2, i, w2)
			put(4*b+3, i, w3)
		}
	}
	return f
}

// Bytes is the memory pk holds.
func (pk *Prepacked) Bytes() int {
	if pk == nil {
		return 0
	}
	return 16*len(pk.w) + 4*len(pk.bias)
}
