package kernels

// DEPTHWISE_CONV_2D in float32, uint8 and int8, any depth multiplier:
// output channel oc = ic*DepthMultiplier + m reads input channel ic, with
// the filter laid out 1HWO ([1, KH, KW, OC]).
//
// dwRef* are the reference loop nests (TFLite's reference_ops::DepthwiseConv
// and reference_integer_ops::DepthwiseConvPerChannel; the float one sums in
// XNNPACK's order, see DepthwiseConvF32); dwFast* compute the same sums in
// the same order per output, with the in-bounds taps listed once per output
// pixel (no per-tap bounds test) and a block of channels accumulated three
// taps per pass, so that each tap's input and filter are contiguous.

// dwBlock is the number of output channels accumulated at once (on the
// stack).
const dwBlock = 64

// dwTap is one in-bounds filter tap of an output pixel: the offset of its
// input pixel (channel 0) and of its filter taps (output channel 0).
type dwTap struct{ inOff, wOff int }

// pixelTaps lists output pixel px's in-bounds taps into taps
// (len >= KH*KW) and returns how many. The order is XNNPACK's depthwise
// order, column by column (filter x outer, y inner), which the float
// kernels' sums follow.
func pixelTaps(p *ConvParams, px outPixel, taps []dwTap) int {
	b := px.b
	oy0, ox0, ky0, ky1, kx0, kx1 := p.window(px)
	nt := 0
	for kx := kx0; kx < kx1; kx++ {
		ix := ox0 + kx*p.DilationW
		for ky := ky0; ky < ky1; ky++ {
			iy := oy0 + ky*p.DilationH
			taps[nt] = dwTap{((b*p.In.H+iy)*p.In.W + ix) * p.In.C, (ky*p.KW + kx) * p.Out.C}
			nt++
		}
	}
	return nt
}

// DepthwiseConvF32 is DEPTHWISE_CONV_2D in float32: bias has OC entries or
// is nil, the result is clamped to [actMin, actMax]. Per output the sum
// starts from the bias and adds the in-bounds taps column by column
// (filter x outer, y inner), XNNPACK's order (TFLite's reference kernel
// goes row by row and adds the bias last; see ConvF32); the result equals
// dwRefF32 bit for bit.
func DepthwiseConvF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	dwFastF32(p, in, filter, bias, out, actMin, actMax)
}

// DepthwiseConvU8 is DEPTHWISE_CONV_2D on uint8 tensors (per-tensor
// quantization). Per output channel oc (input channel oc/DepthMultiplier):
//
//	acc = sum over in-bounds taps of (filter + FilterOffset) * (input + InputOffset) + bias[oc]
//	out = q.Apply(acc, oc)
//
// q.Packed is not used (depthwise layers have no prepacked form: widening
// the filter and folding InputOffset into the bias measured no faster than
// the three-taps-per-pass loop).
func DepthwiseConvU8(p *ConvParams, q *QuantConv, in, filter []uint8, bias []int32, out []uint8) {
	dwFastQ(p, q, in, filter, bias, out)
}

// DepthwiseConvI8 is DepthwiseConvU8 for int8 tensors with per-channel
// filter quantization (FilterOffset 0 in the TFLite int8 spec).
func DepthwiseConvI8(p *ConvParams, q *QuantConv, in, filter []int8, bias []int32, out []int8) {
	dwFastQ(p, q, in, filter, bias, out)
}

// dwRefF32 is the reference loop nest of DepthwiseConvF32.
func dwRefF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	ic, oc, mult := p.In.C, p.Out.C, p.DepthMultiplier
	for px := range p.outPixels {
		for c := range ic {
			for m := range mult {
				o := c*mult + m
				// XNNPACK's order: the bias, then the taps column
				// by column (filter x outer, y inner).
				var total float32
				if bias != nil {
					total = bias[o]
				}
				for kx := range p.KW {
					ix := px.ox*p.StrideW - p.PadLeft + kx*p.DilationW
					for ky := range p.KH {
						iy := px.oy*p.StrideH - p.PadTop + ky*p.DilationH
						if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
							continue
						}
						x := in[((px.b*p.In.H+iy)*p.In.W+ix)*ic+c]
						w := filter[(ky*p.KW+kx)*oc+o]
						total += float32(x * w) // no fused multiply-add
					}
				}
				out[px.at+o] = clampActF32(total, actMin, actMax)
			}
		}
	}
}

// dwRefQ is the reference loop nest of DepthwiseConvU8 and DepthwiseConvI8
// (integer sums: the tap order does not matter).
func dwRefQ[T uint8 | int8](p *ConvParams, q *QuantConv, in, filter []T, bias []int32, out []T) {
	ic, oc, mult := p.In.C, p.Out.C, p.DepthMultiplier
	for px := range p.outPixels {
		for c := range ic {
			for m := range mult {
				o := c*mult + m
				// Overflow: each term is at most 255*255 in
				// magnitude, KH*KW terms (9 for 3x3): far from
				// int32's limit.
				var acc int32
				for ky := range p.KH {
					iy := px.oy*p.StrideH - p.PadTop + ky*p.DilationH
					for kx := range p.KW {
						ix := px.ox*p.StrideW - p.PadLeft + kx*p.DilationW
						if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
							continue
						}
						x := int32(in[((px.b*p.In.H+iy)*p.In.W+ix)*ic+c])
						w := int32(filter[(ky*p.KW+kx)*oc+o])
						acc += (w + q.FilterOffset) * (x + q.InputOffset)
					}
				}
				if bias != nil {
					acc += bias[o]
				}
				out[px.at+o] = T(q.Apply(acc, o))
			}
		}
	}
}

// dwGroup is the number of taps accumulated per pass over a block of
// channels: each pass loads and stores the block's accumulators once.
const dwGroup = 3

// dwFastQ computes dwRefQ's sums a block of channels at a time, three
// in-bounds taps per pass.
func dwFastQ[T uint8 | int8](p *ConvParams, q *QuantConv, in, filter []T, bias []int32, out []T) {
	mult := p.DepthMultiplier
	if p.KH*p.KW > maxStackRuns || mult > dwBlock {
		dwRefQ(p, q, in, filter, bias, out)
		return
	}
	ic, oc := p.In.C, p.Out.C
	io, fo := q.InputOffset, q.FilterOffset
	var taps [maxStackRuns]dwTap
	var acc [dwBlock]int32
	icPer := dwBlock / mult // input channels per block
	for px := range p.outPixels {
		ts := taps[:pixelTaps(p, px, taps[:])]
		dst := out[px.at:][:oc]
		for c0 := 0; c0 < ic; c0 += icPer {
			nic := min(icPer, ic-c0)
			o0, n := c0*mult, nic*mult
			a := acc[:n]
			// Overflow: as in dwRefQ. The bias goes in first: int32
			// addition wraps the same in any order.
			startAcc(a, bias, o0)
			if mult == 1 {
				t := 0
				for ; t+dwGroup <= len(ts); t += dwGroup {
					t0, t1, t2 := ts[t], ts[t+1], ts[t+2]
					dwTap3Q(a, in[t0.inOff+c0:], in[t1.inOff+c0:], in[t2.inOff+c0:],
						filter[t0.wOff+o0:], filter[t1.wOff+o0:], filter[t2.wOff+o0:], io, fo)
				}
				for ; t < len(ts); t++ {
					dwTapQ(a, in[ts[t].inOff+c0:], filter[ts[t].wOff+o0:], io, fo)
				}
			} else {
				for _, t := range ts {
					xs := in[t.inOff+c0 : t.inOff+c0+nic]
					ws := filter[t.wOff+o0 : t.wOff+o0+n]
					for i, xv := range xs {
						x := int32(xv) + io
						am := a[i*mult : i*mult+mult]
						wm := ws[i*mult : i*mult+mult][:len(am)]
						for m := range am {
							am[m] += x * (int32(wm[m]) + fo)
						}
					}
				}
			}
			requantRow(&q.Requant, a, o0, dst[o0:o0+n])
		}
	}
}

// startAcc sets a block's accumulators a to the bias of output channels
// [o0, o0+len(a)), or to zero without a bias.
func startAcc[A int32 | float32](a, bias []A, o0 int) {
	if bias != nil {
		copy(a, bias[o0:o0+len(a)])
	} else {
		clear(a)
	}
}

// dwTapQ adds one tap, (x+io)*(w+fo), to each channel's accumulator; x and
// w are at least len(a) long.
func dwTapQ[T uint8 | int8](a []int32, x, w []T, io, fo int32) {
	x, w = x[:len(a)], w[:len(a)]
	for c := range a {
		a[c] += (int32(x[c]) + io) * (int32(w[c]) + fo)
	}
}

// dwTap3Q adds three taps to each channel's accumulator.
func dwTap3Q[T uint8 | int8](a []int32, x0, x1, x2, w0, w1, w2 []T, io, fo int32) {
	n := len(a)
	x0, x1, x2, w0, w1, w2 = x0[:n], x1[:n], x2[:n], w0[:n], w1[:n], w2[:n]
	for c := range a {
		a[c] += (int32(x0[c])+io)*(int32(w0[c])+fo) +
			(int32(x1[c])+io)*(int32(w1[c])+fo) +
			(int32(x2[c])+io)*(int32(w2[c])+fo)
	}
}

// dwFastF32 computes dwRefF32's sums, in the same order per output (bias,
// then taps column by column), a block of channels at a time, three taps
// per pass.
func dwFastF32(p *ConvParams, in, filter, bias, out []float32, actMin, actMax float32) {
	mult := p.DepthMultiplier
	if p.KH*p.KW > maxStackRuns || mult > dwBlock {
		dwRefF32(p, in, filter, bias, out, actMin, actMax)
		return
	}
	ic, oc := p.In.C, p.Out.C
	var taps [maxStackRuns]dwTap
	var acc [dwBlock]float32
	icPer := dwBlock / mult
	for px := range p.outPixels {
		ts := taps[:pixelTaps(p, px, taps[:])]
		dst := out[px.at:][:oc]
		for c0 := 0; c0 < ic; c0 += icPer {
			nic := min(icPer, ic-c0)
			o0, n := c0*mult, nic*mult
			a := acc[:n]
			startAcc(a, bias, o0)
			if mult == 1 {
				t := 0
				for ; t+dwGroup <= len(ts); t += dwGroup {
					t0, t1, t2 := ts[t], ts[t+1], ts[t+2]
					dwTap3F32(a, in[t0.inOff+c0:], in[t1.inOff+c0:], in[t2.inOff+c0:],
						filter[t0.wOff+o0:], filter[t1.wOff+o0:], filter[t2.wOff+o0:])
				}
				for ; t < len(ts); t++ {
					dwTapF32(a, in[ts[t].inOff+c0:], filter[ts[t].wOff+o0:])
				}
			} else {
				for _, t := range ts {
					xs := in[t.inOff+c0 : t.inOff+c0+nic]
					ws := filter[t.wOff+o0 : t.wOff+o0+n]
					for i, xv := range xs {
						am := a[i*mult : i*mult+mult]
						wm := ws[i*mult : i*mult+mult][:len(am)]
						for m := range am {
							am[m] += float32(xv * wm[m])
						}
					}
				}
			}
			d := dst[o0 : o0+n][:len(a)]
			for i, v := range a {
				d[i] = clampActF32(v, actMin, actMax)
			}
		}
	}
}

// dwTapF32 adds one tap, x*w, to each channel's accumulator.
func dwTapF32(a, x, w []float32) {
	x, w = x[:len(a)], w[:len(a)]
	for i := range a {
		a[i] += float32(x[i] * w[i])
	}
}

// dwTap3F32 adds three taps to each channel's accumulator, one after the
// other (the reference order).
func dwTap3F32(a, x0, x1, x2, w0, w1, w2 []float32) {
	n := len(a)
	x0, x1, x2, w0, w1, w2 = x0[:n], x1[:n], x2[:n], w0[:n], w1[:n], w2[:n]
	for i := range a {
		v := a[i] + float32(x0[i]*w0[i])
		v += float32(x1[i] * w1[i])
		a[i] = v + float32(x2[i]*w2[i])
	}
}
