package simd

import (
	"encoding/binary"
	"math"

	"mobilenet-wasm/kernels"
)

// Packed layouts (all little-endian, every block a multiple of 16 bytes).
//
// Quantized weights are stored as w' = w + FilterOffset (as int16, or in
// the c8 GEMM layout as one byte less a per-layer shift, see below), so
// the kernels never subtract the filter zero point, and the input zero
// point is folded into the bias: with x the raw input,
//
//	acc = sum (x + InputOffset) * w' + bias = sum x * w' + (bias + InputOffset * sum w')
//
// exactly in int32 (a ring: wrapping included), so the kernels read x as
// it is. Padding taps read a buffer filled with the input zero point, for
// which x * w' is cancelled by the folded term: they contribute nothing,
// as in the portable kernels.
//
// Per-channel requantization block for T channels (rqBytes):
//
//	fp32: scale [T]float32
//	ref:  mult [T]int32, lmul [T]int32 (2^left), rbase [T]int64
//	      (2^(right-1), or 0), rmask [T]int64 (-1 when right > 0, else 0),
//	      rpow [T]int64 (2^(32-right))
//
// where left = max(Shift, 0) and right = max(-Shift, 0): the kernels compute
// TFLite's MultiplyByQuantizedMultiplier as x*lmul (wrapping), the
// rounding doubling high multiply (x*mult + 2^30) >> 31 in int64, then the
// rounding divide by 2^right as the high 32 bits of (r + rbase + (r < 0 ?
// rmask : 0)) * rpow, which equals TFLite's remainder/threshold form (see
// the generator's requantRef).
//
// GEMM (OpGEMM, OpConv), quantized, c8 (KStep 8): one byte a weight. The
// packing starts with the layer's weight shift d as [8]int16 (16 bytes),
// then per tile of NR output channels:
//
//	bias' [NR]int32 | rq [NR] | for each block of 8 input channels (K
//	rounded up to 8): for each of the NR channels: s [8]int8
//
// where s = w' - d fits a byte: d = FilterOffset + 128 for uint8 weights
// (s = w - 128), d = FilterOffset for int8 ones (s = w); past K and past
// the layer's channels s = -d (w' = 0). The kernel widens each tile's
// weights back to int16 w' = s + d into its scratch (Scratch, 16 bytes
// per 8 weights of a tile, in L1) before running the tile over all rows:
// half the memory of int16 packing, for one pass over the weights per
// call.
//
// GEMM, quantized, c2 (KStep 2), per tile of NR output channels:
//
//	bias' [NR]int32 | rq [NR] | for each pair of input channels (K rounded
//	up to 2): for each of the NR channels: w' [2]int16
//
// GEMM, f32, per tile of NR output channels:
//
//	bias [NR]float32 | for each input channel k: w [NR]float32
//
// DWConv, quantized, per tile of CT channels:
//
//	bias' [CT]int32 | rq [CT] | for each of the 9 taps (row-major): w' [CT]int16
//
// or with TapPairs (taps paired (0,1) (2,3) (4,5) (6,7) (8,-), the missing
// tap's weights zero): for each pair: for each channel: w' [2]int16 (the
// pair's taps)
//
// DWConv, f32, per tile of CT channels:
//
//	bias [CT]float32 | for each of the 9 taps: w [CT]float32
//
// Channels past the layer's (in the last tile) are zero, scale included.

// RQBytes is the size of the per-channel requantization block of t
// channels in scheme s.
func RQBytes(s kernels.Scheme, t int) int {
	if s == kernels.SchemeReference {
		return 32 * t
	}
	return 4 * t
}

// gemmTileBytes is the size of one packed tile of a GEMM variant with k
// input channels.
func gemmTileBytes(v *Variant, k int) int {
	if !v.DType.Quantized() {
		return 4*v.NR + 4*k*v.NR
	}
	if v.KStep == 2 {
		return 4*v.NR + RQBytes(v.Scheme, v.NR) + (k+1)/2*v.NR*4
	}
	return 4*v.NR + RQBytes(v.Scheme, v.NR) + (k+7)/8*v.NR*8
}

// ShiftBytes is the size of the weight shift that starts the packing of a
// quantized c8 GEMM (see above), 0 for other variants: the variants that
// also need the tile scratch (TileScratchBytes).
func ShiftBytes(v *Variant) int {
	if v.DType.Quantized() && v.KStep == 8 && (v.Op == OpGEMM || v.Op == OpConv) {
		return 16
	}
	return 0
}

// TileScratchBytes is the scratch a quantized c8 GEMM widens one tile's
// weights into (see above): int16 w' for K rounded up to 8 by NR.
func TileScratchBytes(v *Variant, k int) int {
	if ShiftBytes(v) == 0 {
		return 0
	}
	return ((k + 7) &^ 7) * v.NR * 2
}

// weightShift is d of the c8 layout (see above).
func weightShift(d DType, filterOffset int32) int32 {
	if d == QU8 {
		return filterOffset + 128
	}
	return filterOffset
}

// DWTileBytes is the size of one packed tile of a DWConv variant.
func DWTileBytes(v *Variant) int {
	if !v.DType.Quantized() {
		return 4*v.CT + 9*4*v.CT
	}
	if v.TapPairs {
		return 4*v.CT + RQBytes(v.Scheme, v.CT) + 5*4*v.CT
	}
	return 4*v.CT + RQBytes(v.Scheme, v.CT) + 9*2*v.CT
}

// alignedBytes returns n zeroed bytes starting at a 16-byte boundary.
func alignedBytes(n int) []byte {
	b := make([]byte, n+16)
	off := 0
	for Addr(b[off:])%16 != 0 {
		off++
	}
	return b[off : off+n : off+n]
}

var le = binary.LittleEndian

// putRQ writes the requantization block of channels ch0..ch0+t-1 (those
// below nch) at b.
func putRQ(b []byte, r *kernels.Requant, ch0, t, nch int) {
	for i := range t {
		c := ch0 + i
		if c >= nch {
			break
		}
		if r.Scheme != kernels.SchemeReference {
			le.PutUint32(b[4*i:], math.Float32bits(r.Scale[c]))
			continue
		}
		shift := int(r.Shift[c])
		left, right := max(shift, 0), max(-shift, 0)
		le.PutUint32(b[4*i:], uint32(r.Multiplier[c]))
		le.PutUint32(b[4*t+4*i:], uint32(int32(1)<<left))
		var base, mask int64
		if right > 0 {
			base, mask = 1<<(right-1), -1
		}
		le.PutUint64(b[8*t+8*i:], uint64(base))
		le.PutUint64(b[16*t+8*i:], uint64(mask))
		le.PutUint64(b[24*t+8*i:], uint64(int64(1)<<(32-right)))
	}
}

// packGEMMQ packs the weights of a quantized GEMM or im2col convolution
// for variant v: filter is [n][k] (OHWI flattened: k = KH*KW*IC), bias has
// n entries or is nil. q's offsets and requantization must be final.
func packGEMMQ[T uint8 | int8](v *Variant, k, n int, filter []T, bias []int32, q *kernels.QuantConv) []byte {
	nr := v.NR
	tiles := (n + nr - 1) / nr
	tb := gemmTileBytes(v, k)
	pre := ShiftBytes(v)
	out := alignedBytes(pre + tiles*tb)
	d := weightShift(v.DType, q.FilterOffset)
	for i := 0; i < pre; i += 2 {
		le.PutUint16(out[i:], uint16(int16(d)))
	}
	for t := range tiles {
		b := out[pre+t*tb : pre+(t+1)*tb]
		wb := b[4*nr+RQBytes(v.Scheme, nr):]
		if pre > 0 {
			for i := range wb {
				wb[i] = byte(int8(-d)) // w' = 0 where no weight is
			}
		}
		for j := range nr {
			o := t*nr + j
			if o >= n {
				break
			}
			row := filter[o*k : o*k+k]
			var sum int32
			for i, w := range row {
				wp := int32(w) + q.FilterOffset
				sum += wp
				if v.KStep == 2 {
					le.PutUint16(wb[(i/2)*4*nr+4*j+2*(i%2):], uint16(int16(wp))) // c2: [k/2][channel][2]
				} else {
					wb[((i/8)*nr+j)*8+i%8] = byte(int8(wp - d)) // c8: [k/8][channel][8]
				}
			}
			le.PutUint32(b[4*j:], uint32(q.FoldedBias(bias, o, sum)))
		}
		putRQ(b[4*nr:], &q.Requant, t*nr, nr, n)
	}
	return out
}

// packGEMMF32 packs the weights of a float32 GEMM or im2col convolution
// for variant v: filter is [n][k], bias has n entries or is nil.
func packGEMMF32(v *Variant, k, n int, filter, bias []float32) []byte {
	nr := v.NR
	tiles := (n + nr - 1) / nr
	tb := gemmTileBytes(v, k)
	out := alignedBytes(tiles * tb)
	for t := range tiles {
		b := out[t*tb : (t+1)*tb]
		for j := range nr {
			o := t*nr + j
			if o >= n {
				break
			}
			if bias != nil {
				le.PutUint32(b[4*j:], math.Float32bits(bias[o]))
			}
			for i := range k {
				le.PutUint32(b[4*nr+4*(i*nr+j):], math.Float32bits(filter[o*k+i]))
			}
		}
	}
	return out
}

// packDWQ packs a quantized 3x3 depthwise filter ([9][c], 1HWO) for
// variant v.
func packDWQ[T uint8 | int8](v *Variant, c int, filter []T, bias []int32, q *kernels.QuantConv) []byte {
	ct := v.CT
	tiles := (c + ct - 1) / ct
	tb := DWTileBytes(v)
	out := alignedBytes(tiles * tb)
	for t := range tiles {
		b := out[t*tb : (t+1)*tb]
		wb := b[4*ct+RQBytes(v.Scheme, ct):]
		for j := range ct {
			ch := t*ct + j
			if ch >= c {
				break
			}
			var sum int32
			for tap := range 9 {
				wp := int32(filter[tap*c+ch]) + q.FilterOffset
				sum += wp
				off := 2 * (tap*ct + j)
				if v.TapPairs { // [pair][channel/4][channel%4][tap%2]
					off = (tap/2)*4*ct + (j/4)*16 + (j%4)*4 + 2*(tap%2)
				}
				le.PutUint16(wb[off:], uint16(int16(wp)))
			}
			le.PutUint32(b[4*j:], uint32(q.FoldedBias(bias, ch, sum)))
		}
		putRQ(b[4*ct:], &q.Requant, t*ct, ct, c)
	}
	return out
}

// packDWF32 packs a float32 3x3 depthwise filter ([9][c]) for variant v.
func packDWF32(v *Variant, c int, filter, bias []float32) []byte {
	ct := v.CT
	tiles := (c + ct - 1) / ct
	tb := DWTileBytes(v)
	out := alignedBytes(tiles * tb)
	for t := range tiles {
		b := out[t*tb : (t+1)*tb]
		for j := range ct {
			ch := t*ct + j
			if ch >= c {
				break
			}
			if bias != nil {
				le.PutUint32(b[4*j:], math.Float32bits(bias[ch]))
			}
			for tap := range 9 {
				le.PutUint32(b[4*ct+4*(tap*ct+j):], math.Float32bits(filter[tap*c+ch]))
			}
		}
	}
	return out
}

// Unpacking: the inverse of the packings above, exact, so that a layer can
// give up its packed weights (to run the portable kernels) and be packed
// again later without keeping the model file's copy of its filter.

// layerShape is the filter shape l was packed for: n output channels of k
// weights each for a GEMM or an im2col convolution; c channels of 9 taps
// for a depthwise layer (dw true).
func (l *Layer) layerShape() (k, n int, dw bool) {
	switch {
	case l.gemm != nil:
		return int(l.gemm.K), int(l.gemm.N), false
	case l.conv != nil:
		c := l.conv
		return int(c.KH * c.KW * c.C), int(c.OutC), false
	case l.dw != nil:
		return 9, int(l.dw.C), true
	}
	return 0, 0, false
}

// UnpackQ returns the filter a quantized layer (NewConvQ, NewDepthwiseQ)
// was packed from, in the file's layout ([n][k], OHWI flattened, or [9][c]
// for a depthwise layer, 1HWO), given the FilterOffset it was packed with.
// It returns nil for a layer without weights (pooling).
func UnpackQ[T uint8 | int8](l *Layer, filterOffset int32) []T {
	k, n, dw := l.layerShape()
	if l.Packed == nil || n == 0 || !l.V.DType.Quantized() {
		return nil
	}
	f := make([]T, k*n)
	w := func(b []byte, off int) T { return T(int32(int16(le.Uint16(b[off:]))) - filterOffset) }
	v := l.V
	if dw {
		ct, tb := v.CT, DWTileBytes(v)
		for t := range (n + ct - 1) / ct {
			wb := l.Packed[t*tb+4*ct+RQBytes(v.Scheme, ct) : (t+1)*tb]
			for j := range min(ct, n-t*ct) {
				for tap := range 9 {
					off := 2 * (tap*ct + j)
					if v.TapPairs {
						off = (tap/2)*4*ct + (j/4)*16 + (j%4)*4 + 2*(tap%2)
					}
					f[tap*n+t*ct+j] = w(wb, off)
				}
			}
		}
		return f
	}
	nr, tb, pre := v.NR, gemmTileBytes(v, k), ShiftBytes(v)
	d := weightShift(v.DType, filterOffset)
	for t := range (n + nr - 1) / nr {
		wb := l.Packed[pre+t*tb+4*nr+RQBytes(v.Scheme, nr) : pre+(t+1)*tb]
		for j := range min(nr, n-t*nr) {
			o := t*nr + j
			for i := range k {
				if v.KStep == 2 {
					f[o*k+i] = w(wb, (i/2)*4*nr+4*j+2*(i%2))
				} else {
					f[o*k+i] = T(int32(int8(wb[((i/8)*nr+j)*8+i%8])) + d - filterOffset)
				}
			}
		}
	}
	return f
}

// UnpackF32 is UnpackQ for float32 layers (NewConvF32, NewDepthwiseF32).
func UnpackF32(l *Layer) []float32 {
	k, n, dw := l.layerShape()
	if l.Packed == nil || n == 0 || l.V.DType != F32 {
		return nil
	}
	f := make([]float32, k*n)
	w := func(b []byte, off int) float32 { return math.Float32frombits(le.Uint32(b[off:])) }
	v := l.V
	if dw {
		ct, tb := v.CT, DWTileBytes(v)
		for t := range (n + ct - 1) / ct {
			b := l.Packed[t*tb : (t+1)*tb]
			for j := range min(ct, n-t*ct) {
				for tap := range 9 {
					f[tap*n+t*ct+j] = w(b, 4*ct+4*(tap*ct+j))
				}
			}
		}
		return f
	}
	nr, tb := v.NR, gemmTileBytes(v, k)
	for t := range (n + nr - 1) / nr {
		b := l.Packed[t*tb : (t+1)*tb]
		for j := range min(nr, n-t*nr) {
			for i := range k {
				f[(t*nr+j)*k+i] = w(b, 4*nr+4*(i*nr+j))
			}
		}
	}
	return f
}

// Bytes is the memory l holds: packed weights, padding values and scratch.
func (l *Layer) Bytes() int {
	if l == nil {
		return 0
	}
	n := len(l.Packed) + len(l.Zero) + len(l.Scratch)
	for _, b := range l.PartScratch {
		n += len(b)
	}
	return n
}
