package kernels

// FULLY_CONNECTED in float32, uint8 and int8 (per-tensor or per-channel
// weights).

// FCParams describe a FULLY_CONNECTED: the input is Batches rows of In
// values, the weights are [Out, In], the output is Batches rows of Out.
type FCParams struct {
	Batches, In, Out int
}

// FullyConnectedF32 is FULLY_CONNECTED in float32: out[b][o] =
// clamp(bias[o] + sum_i in[b][i]*weights[o][i], actMin, actMax), bias nil
// meaning zero, summed from the bias then in index order as XNNPACK's f32
// GEMM does (TFLite's reference kernel adds the bias last); bit for bit
// fcRefF32.
func FullyConnectedF32(fp *FCParams, in, weights, bias, out []float32, actMin, actMax float32) {
	k := fp.In
	for b := range fp.Batches {
		x := in[b*k : b*k+k]
		dst := out[b*fp.Out:][:fp.Out]
		o := 0
		for ; o+4 <= fp.Out; o += 4 {
			var a0, a1, a2, a3 float32
			if bias != nil {
				bs := bias[o : o+4]
				a0, a1, a2, a3 = bs[0], bs[1], bs[2], bs[3]
			}
			a0, a1, a2, a3 = dot4F32(x, weights[o*k:][:k], weights[(o+1)*k:][:k], weights[(o+2)*k:][:k], weights[(o+3)*k:][:k], a0, a1, a2, a3)
			d := dst[o : o+4]
			d[0] = clampActF32(a0, actMin, actMax)
			d[1] = clampActF32(a1, actMin, actMax)
			d[2] = clampActF32(a2, actMin, actMax)
			d[3] = clampActF32(a3, actMin, actMax)
		}
		for ; o < fp.Out; o++ {
			var a float32
			if bias != nil {
				a = bias[o]
			}
			dst[o] = clampActF32(dot1F32(x, weights[o*k:][:k], a), actMin, actMax)
		}
	}
}

// FullyConnectedU8 is FULLY_CONNECTED on uint8 tensors: per output o,
//
//	acc = sum_i (weights[o][i] + FilterOffset) * (in[b][i] + InputOffset) + bias[o]
//	out[b][o] = q.Apply(acc, o)
//
// With q.Packed from PrepackFullyConnectedU8 the prepacked GEMM runs
// instead, with identical results.
func FullyConnectedU8(fp *FCParams, q *QuantConv, in, weights []uint8, bias []int32, out []uint8) {
	if q.Packed != nil {
		gemmPacked(q.Packed, &q.Requant, in, out, fp.Batches)
		return
	}
	fcFastQ(fp, q, in, weights, bias, out)
}

// FullyConnectedI8 is FullyConnectedU8 for int8 tensors; the weights may be
// quantized per tensor or per output channel (q.Requant has one entry per
// output). q.Packed comes from PrepackFullyConnectedI8.
func FullyConnectedI8(fp *FCParams, q *QuantConv, in, weights []int8, bias []int32, out []int8) {
	if q.Packed != nil {
		gemmPacked(q.Packed, &q.Requant, in, out, fp.Batches)
		return
	}
	fcFastQ(fp, q, in, weights, bias, out)
}

// fcFastQ is the unpacked kernel: four outputs per pass over the input row.
func fcFastQ[T uint8 | int8](fp *FCParams, q *QuantConv, in, weights []T, bias []int32, out []T) {
	k := fp.In
	io, fo := q.InputOffset, q.FilterOffset
	var acc [4]int32
	for b := range fp.Batches {
		x := in[b*k : b*k+k]
		dst := out[b*fp.Out:][:fp.Out]
		o := 0
		for ; o+4 <= fp.Out; o += 4 {
			// Overflow: In terms of magnitude <= 255*255; fits int32 for
			// In <= 33025 (MobileNet heads: 1024), wrapping like fcRefQ
			// beyond.
			a0, a1, a2, a3 := dot4Q(x, weights[o*k:][:k], weights[(o+1)*k:][:k], weights[(o+2)*k:][:k], weights[(o+3)*k:][:k], io, fo, 0, 0, 0, 0)
			if bias != nil {
				bs := bias[o : o+4]
				a0, a1, a2, a3 = a0+bs[0], a1+bs[1], a2+bs[2], a3+bs[3]
			}
			acc = [4]int32{a0, a1, a2, a3}
			requantRow(&q.Requant, acc[:], o, dst[o:o+4])
		}
		for ; o < fp.Out; o++ {
			a := dot1Q(x, weights[o*k:][:k], io, fo, 0)
			if bias != nil {
				a += bias[o]
			}
			dst[o] = T(q.Apply(a, o))
		}
	}
}

// fcRefF32 is the reference loop nest of FullyConnectedF32 (TFLite's
// reference_ops::FullyConnected, with the bias added first).
func fcRefF32(fp *FCParams, in, weights, bias, out []float32, actMin, actMax float32) {
	for b := range fp.Batches {
		for o := range fp.Out {
			var total float32
			if bias != nil {
				total = bias[o] // bias first, as XNNPACK's f32 GEMM
			}
			for i := range fp.In {
				total += float32(in[b*fp.In+i] * weights[o*fp.In+i]) // no fused multiply-add
			}
			out[b*fp.Out+o] = clampActF32(total, actMin, actMax)
		}
	}
}

// fcRefQ is the reference loop nest of FullyConnectedU8 and
// FullyConnectedI8 (TFLite's reference_ops::FullyConnected for uint8,
// reference_integer_ops::FullyConnected for int8).
func fcRefQ[T uint8 | int8](fp *FCParams, q *QuantConv, in, weights []T, bias []int32, out []T) {
	for b := range fp.Batches {
		for o := range fp.Out {
			// Overflow: In terms, each at most 255*255 in magnitude.
			var acc int32
			for i := range fp.In {
				w := int32(weights[o*fp.In+i])
				x := int32(in[b*fp.In+i])
				acc += (w + q.FilterOffset) * (x + q.InputOffset)
			}
			if bias != nil {
				acc += bias[o]
			}
			out[b*fp.Out+o] = T(q.Apply(acc, o))
		}
	}
}
