package simd

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"mobilenet-wasm/kernels"
)

// Layer is one layer prepared at plan time to run on a SIMD variant: the
// variant, its argument block, and the buffers the block points to (packed
// weights, padding values, im2col scratch), allocated once. Bind fills in
// the addresses; Run (wasip1 only) calls the variant's function. A Layer
// is not safe for concurrent use (the scratch buffer is shared by its
// runs).
type Layer struct {
	V       *Variant
	Packed  []byte // weights in the variant's layout (nil for pooling)
	Zero    []byte // padding values (dwconv, conv), else nil
	Scratch []byte // im2col buffer (conv), then the widened tile (quantized c8: TileScratchBytes), else nil
	MACs    int64  // multiply-accumulates per run (0 for pooling)
	// PartScratch is the scratch of parts 1.. of a split layer (Split;
	// part 0 uses Scratch), nil when the layer runs whole or has none.
	PartScratch [][]byte

	id int // index of V in Variants, set by BindSlices

	gemm *GEMMArgs
	dw   *DWArgs
	conv *ConvArgs
	pool *PoolArgs

	// The parts of a split layer (split.go): one argument block each, of
	// the layer's kind; nil when it runs whole.
	gemmParts []GEMMArgs
	dwParts   []DWArgs
	convParts []ConvArgs
	jobs      []uint32 // the parts' argument block addresses (wasip1)
}

// dtypeOf is QC8 for int8, else QU8.
func dtypeOf[T uint8 | int8]() DType {
	var z T
	if _, ok := any(z).(int8); ok {
		return QC8
	}
	return QU8
}

func quantArgs(r *kernels.Requant) QuantArgs {
	return QuantArgs{
		ZP: r.OutputOffset,
		Lo: float32(r.ActMin - r.OutputOffset), Hi: float32(r.ActMax - r.OutputOffset),
		ActMin: r.ActMin, ActMax: r.ActMax,
	}
}

func dilated(p *kernels.ConvParams) bool {
	return max(p.DilationH, 1) != 1 || max(p.DilationW, 1) != 1
}

// NewConvQ prepares a quantized CONV_2D (filter OHWI, bias nil or one per
// output channel) for variant v, or for the default variant when v is nil:
// pointwise layers run the GEMM, others (dilation 1) im2col + GEMM. It
// returns nil when no variant fits (dilation, or v of another kind). q must
// be final. Call at plan time; it allocates.
func NewConvQ[T uint8 | int8](v *Variant, p *kernels.ConvParams, q *kernels.QuantConv, filter []T, bias []int32) *Layer {
	d := dtypeOf[T]()
	op := convOp(v, p)
	if v == nil {
		v = pick(op, d, q.Scheme, 0, gemmRows(op, p), (p.KH*p.KW*p.In.C+7)&^7, 0)
	}
	if v == nil || dilated(p) || v.Op != op || v.DType != d || v.Scheme != q.Scheme || (op == OpGEMM && !p.Pointwise()) {
		return nil
	}
	k := p.KH * p.KW * p.In.C
	if op == OpGEMM {
		rows := p.In.N * p.In.H * p.In.W
		l := &Layer{V: v, Packed: packGEMMQ(v, k, p.Out.C, filter, bias, q), MACs: int64(rows) * int64(k) * int64(p.Out.C),
			gemm: &GEMMArgs{XStride: uint32(p.In.C), OutStride: uint32(p.Out.C),
				Rows: uint32(rows), K: uint32(k), N: uint32(p.Out.C), Q: quantArgs(&q.Requant)}}
		if n := TileScratchBytes(v, k); n > 0 {
			l.Scratch = alignedBytes(n)
		}
		return l
	}
	kstride := (k + 7) &^ 7
	zero := q.InputZeroPoints(p.In.C)
	scratch := p.Out.W*kstride + TileScratchBytes(v, kstride)
	return &Layer{V: v, Packed: packGEMMQ(v, k, p.Out.C, filter, bias, q), Zero: zero,
		Scratch: alignedBytes(scratch), MACs: int64(p.Out.Size()) * int64(k),
		conv: convArgs(p, kstride, quantArgs(&q.Requant))}
}

// gemmRows is the number of pixels of one GEMM of the layer: all of them
// for OpGEMM, one output row for OpConv.
func gemmRows(op Op, p *kernels.ConvParams) int {
	if op == OpGEMM {
		return p.In.N * p.In.H * p.In.W
	}
	return p.Out.W
}

// convOp is v's op, or for nil the op that computes p best.
func convOp(v *Variant, p *kernels.ConvParams) Op {
	if v != nil {
		return v.Op
	}
	if p.Pointwise() {
		return OpGEMM
	}
	return OpConv
}

func convArgs(p *kernels.ConvParams, kstride int, q QuantArgs) *ConvArgs {
	return &ConvArgs{
		N: uint32(p.In.N), InH: uint32(p.In.H), InW: uint32(p.In.W), C: uint32(p.In.C),
		OutH: uint32(p.Out.H), OutW: uint32(p.Out.W), OutC: uint32(p.Out.C),
		KH: uint32(p.KH), KW: uint32(p.KW), StrideH: uint32(p.StrideH), StrideW: uint32(p.StrideW),
		PadTop: uint32(p.PadTop), PadLeft: uint32(p.PadLeft), KStride: uint32(kstride), Q: q,
	}
}

// NewConvF32 is NewConvQ for float32 layers clamped to [lo, hi].
func NewConvF32(v *Variant, p *kernels.ConvParams, filter, bias []float32, lo, hi float32) *Layer {
	op := convOp(v, p)
	if v == nil {
		v = pick(op, F32, 0, 0, gemmRows(op, p), p.KH*p.KW*p.In.C, 0)
	}
	if v == nil || dilated(p) || v.Op != op || v.DType != F32 || (op == OpGEMM && !p.Pointwise()) {
		return nil
	}
	k := p.KH * p.KW * p.In.C
	q := QuantArgs{Lo: lo, Hi: hi}
	if op == OpGEMM {
		rows := p.In.N * p.In.H * p.In.W
		return &Layer{V: v, Packed: packGEMMF32(v, k, p.Out.C, filter, bias), MACs: int64(rows) * int64(k) * int64(p.Out.C),
			gemm: &GEMMArgs{XStride: uint32(4 * p.In.C), OutStride: uint32(4 * p.Out.C),
				Rows: uint32(rows), K: uint32(k), N: uint32(p.Out.C), Q: q}}
	}
	return &Layer{V: v, Packed: packGEMMF32(v, k, p.Out.C, filter, bias), Zero: make([]byte, 4*p.In.C),
		Scratch: alignedBytes(p.Out.W * 4 * k), MACs: int64(p.Out.Size()) * int64(k),
		conv: convArgs(p, 4*k, q)}
}

// depthwiseOK reports whether a DWConv variant computes p.
func depthwiseOK(p *kernels.ConvParams) bool {
	return p.KH == 3 && p.KW == 3 && p.DepthMultiplier == 1 && !dilated(p) &&
		p.StrideH == p.StrideW && (p.StrideH == 1 || p.StrideH == 2) && p.In.C == p.Out.C
}

func dwArgs(p *kernels.ConvParams, q QuantArgs) *DWArgs {
	return &DWArgs{
		N: uint32(p.In.N), InH: uint32(p.In.H), InW: uint32(p.In.W), C: uint32(p.In.C),
		OutH: uint32(p.Out.H), OutW: uint32(p.Out.W), PadTop: uint32(p.PadTop), PadLeft: uint32(p.PadLeft), Q: q,
	}
}

// NewDepthwiseQ prepares a quantized DEPTHWISE_CONV_2D (filter 1HWO) for
// variant v (nil: the default for its stride), or returns nil when no
// variant fits (not 3x3, depth multiplier above 1, dilation, stride other
// than 1 or 2 in both directions).
func NewDepthwiseQ[T uint8 | int8](v *Variant, p *kernels.ConvParams, q *kernels.QuantConv, filter []T, bias []int32) *Layer {
	d := dtypeOf[T]()
	if !depthwiseOK(p) {
		return nil
	}
	if v == nil {
		v = pick(OpDWConv, d, q.Scheme, p.StrideH, 0, 0, p.In.C)
	}
	if v == nil || v.Op != OpDWConv || v.DType != d || v.Scheme != q.Scheme || v.Stride != p.StrideH {
		return nil
	}
	zero := q.InputZeroPoints(p.In.C)
	return &Layer{V: v, Packed: packDWQ(v, p.In.C, filter, bias, q), Zero: zero,
		MACs: int64(p.Out.Size()) * 9, dw: dwArgs(p, quantArgs(&q.Requant))}
}

// NewDepthwiseF32 is NewDepthwiseQ for float32 layers clamped to [lo, hi].
func NewDepthwiseF32(v *Variant, p *kernels.ConvParams, filter, bias []float32, lo, hi float32) *Layer {
	if !depthwiseOK(p) {
		return nil
	}
	if v == nil {
		v = pick(OpDWConv, F32, 0, p.StrideH, 0, 0, p.In.C)
	}
	if v == nil || v.Op != OpDWConv || v.DType != F32 || v.Stride != p.StrideH {
		return nil
	}
	return &Layer{V: v, Packed: packDWF32(v, p.In.C, filter, bias), Zero: make([]byte, 4*p.In.C),
		MACs: int64(p.Out.Size()) * 9, dw: dwArgs(p, QuantArgs{Lo: lo, Hi: hi})}
}

func poolArgs(p *kernels.PoolParams, q QuantArgs) *PoolArgs {
	return &PoolArgs{
		N: uint32(p.In.N), InH: uint32(p.In.H), InW: uint32(p.In.W), C: uint32(p.In.C),
		OutH: uint32(p.Out.H), OutW: uint32(p.Out.W), FH: uint32(p.FilterH), FW: uint32(p.FilterW),
		StrideH: uint32(p.StrideH), StrideW: uint32(p.StrideW), PadTop: uint32(p.PadTop), PadLeft: uint32(p.PadLeft), Q: q,
	}
}

// NewAvgPoolQ prepares a quantized AVERAGE_POOL_2D clamped to
// [actMin, actMax] for variant v (nil: the default).
func NewAvgPoolQ[T uint8 | int8](v *Variant, p *kernels.PoolParams, actMin, actMax int32) *Layer {
	d := dtypeOf[T]()
	if v == nil {
		v = pick(OpAvgPool, d, 0, 0, 0, 0, p.In.C)
	}
	if v == nil || v.Op != OpAvgPool || v.DType != d {
		return nil
	}
	return &Layer{V: v, pool: poolArgs(p, QuantArgs{ActMin: actMin, ActMax: actMax})}
}

// NewAvgPoolF32 prepares a float32 AVERAGE_POOL_2D clamped to [lo, hi].
func NewAvgPoolF32(v *Variant, p *kernels.PoolParams, lo, hi float32) *Layer {
	if v == nil {
		v = pick(OpAvgPool, F32, 0, 0, 0, 0, p.In.C)
	}
	if v == nil || v.Op != OpAvgPool || v.DType != F32 {
		return nil
	}
	return &Layer{V: v, pool: poolArgs(p, QuantArgs{Lo: lo, Hi: hi})}
}

// Bind sets the argument block's addresses: x and out are the input and
// output tensors' addresses, and addr gives the address of each of the
// layer's own buffers (in the memory the variant runs on).
func (l *Layer) Bind(x, out uint32, addr func([]byte) uint32) {
	opt := func(b []byte) uint32 {
		if b == nil {
			return 0
		}
		return addr(b)
	}
	switch {
	case l.gemm != nil:
		l.gemm.X, l.gemm.Out, l.gemm.W, l.gemm.Scratch = x, out, opt(l.Packed), opt(l.Scratch)
	case l.dw != nil:
		l.dw.X, l.dw.Out, l.dw.W, l.dw.Zero = x, out, opt(l.Packed), opt(l.Zero)
	case l.conv != nil:
		l.conv.X, l.conv.Out, l.conv.W, l.conv.Zero, l.conv.Scratch = x, out, opt(l.Packed), opt(l.Zero), opt(l.Scratch)
	case l.pool != nil:
		l.pool.X, l.pool.Out = x, out
	}
	l.bindParts(func(i int) uint32 {
		if i == 0 || l.PartScratch == nil {
			return opt(l.Scratch)
		}
		return opt(l.PartScratch[i-1])
	})
}

// args returns a pointer to the argument block.
func (l *Layer) args() unsafe.Pointer {
	switch {
	case l.gemm != nil:
		return unsafe.Pointer(l.gemm)
	case l.dw != nil:
		return unsafe.Pointer(l.dw)
	case l.conv != nil:
		return unsafe.Pointer(l.conv)
	}
	return unsafe.Pointer(l.pool)
}

// ArgsBytes returns the argument block as the variant reads it
// (little-endian), for hosts that copy it into a module's memory.
func (l *Layer) ArgsBytes() []byte {
	var b bytes.Buffer
	var v any
	switch {
	case l.gemm != nil:
		v = l.gemm
	case l.dw != nil:
		v = l.dw
	case l.conv != nil:
		v = l.conv
	default:
		v = l.pool
	}
	if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Addr is the address of b's first byte in linear memory, 0 when b is
// empty: what an argument block holds. Wasm addresses are 32-bit; natively
// it is the low 32 bits of the address, which still tell its alignment.
func Addr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}
