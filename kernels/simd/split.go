package simd

import (
	"bytes"
	"encoding/binary"
	"unsafe"
)

// Splitting a layer across kernel threads. With the engine's memory shared
// and several instances of simd.wasm on it (package mobilenet-wasm/wasm,
// "Kernel threads"), a large layer runs as parts at once, each part an
// argument block of the same variant over a range of the output:
//
//   - OpGEMM: a range of rows (pixels), starting at a multiple of MR, so
//     that every part but the last takes whole register blocks;
//   - OpDWConv and OpConv: a range of output rows (one image: N = 1). A
//     part starting at output row o reads from input row o*stride -
//     PadTop, so it gets X moved to that row, InH less the rows above it
//     and PadTop 0 (or the padding rows still above it): the kernels test
//     each tap's row against InH, so the bottom padding stays as it was;
//   - OpAvgPool: never split (one 7x7 pool is a few microseconds).
//
// Every output element is computed by exactly one part, by the same
// instructions on the same inputs in the same order as in the whole
// layer, so the parts' outputs are the whole layer's, bit for bit; the
// tests run every variant split and compare with the portable kernels.
// Scratch buffers (the im2col rows, the widened weight tile) are written
// by every part, so each part but the first gets its own copy.

// MinPartWork is the least work worth a part of its own, in
// multiply-accumulates of a GEMM (Work): a layer runs in at most
// Work/MinPartWork parts. Handing a part to another thread and waiting
// for it costs a few microseconds under wazero and in browsers whose
// kernel workers are still spinning (engine-link.js), tens when one has
// to be woken; a GEMM of 512K MACs takes about 15-30 microseconds on one
// thread in V8.
const MinPartWork = 1 << 18

// DWWorkPerMAC and ConvWorkPerMAC weigh a multiply-accumulate of a
// depthwise layer and of the first convolution against a GEMM's, measured in
// V8 on one thread (a profile of every kernel call: node
// bench/browser/run.mjs): depthwise and the first convolution do less
// arithmetic per byte they move, so a MAC of theirs costs about twice a
// GEMM's.
const (
	DWWorkPerMAC   = 2
	ConvWorkPerMAC = 2
)

// Work is the layer's cost in GEMM multiply-accumulates (MACs times its
// kind's weight): what PartsFor divides among threads.
func (l *Layer) Work() int64 {
	switch {
	case l.dw != nil:
		return l.MACs * DWWorkPerMAC
	case l.conv != nil:
		return l.MACs * ConvWorkPerMAC
	}
	return l.MACs
}

// PartsFor is how many parts the layer runs in on threads kernel
// instances: 1 for pooling, batches (N > 1) and layers too small for two
// parts, else up to threads, one part per MinPartWork of work and at most
// one per output row (GEMM: register block).
func (l *Layer) PartsFor(threads int) int {
	return max(1, min(threads, l.MaxParts(), int(l.Work()/MinPartWork)))
}

// MaxParts is the most parts the layer splits into: its output rows
// (GEMM: register blocks of rows), 1 for pooling and batches.
func (l *Layer) MaxParts() int {
	switch {
	case l.gemm != nil:
		return (int(l.gemm.Rows) + l.V.MR - 1) / l.V.MR
	case l.dw != nil && l.dw.N == 1:
		return int(l.dw.OutH)
	case l.conv != nil && l.conv.N == 1:
		return int(l.conv.OutH)
	}
	return 1
}

// Split prepares the layer to run as n parts (PartsFor gives n; n <= 1
// runs it whole; at most MaxParts), allocating each extra part's scratch.
// Call it before Bind, at plan time; Bind fills the parts' argument
// blocks.
func (l *Layer) Split(n int) {
	if n > l.MaxParts() {
		panic("simd: Split into more parts than the layer has rows")
	}
	l.gemmParts, l.dwParts, l.convParts, l.PartScratch = nil, nil, nil, nil
	if n <= 1 {
		return
	}
	switch {
	case l.gemm != nil:
		l.gemmParts = make([]GEMMArgs, n)
	case l.dw != nil:
		l.dwParts = make([]DWArgs, n)
	case l.conv != nil:
		l.convParts = make([]ConvArgs, n)
	}
	if l.Scratch != nil {
		l.PartScratch = make([][]byte, n-1)
		for i := range l.PartScratch {
			l.PartScratch[i] = alignedBytes(len(l.Scratch))
		}
	}
}

// Parts is the number of parts the layer runs in (1 unless Split).
func (l *Layer) Parts() int {
	return max(1, len(l.gemmParts), len(l.dwParts), len(l.convParts))
}

// bounds is the range [lo, hi) of n units (rows or register blocks)
// that part i of parts takes: shares differing by one at most.
func bounds(i, parts, n int) (lo, hi int) {
	return i * n / parts, (i + 1) * n / parts
}

// bindParts fills the parts' argument blocks from the bound whole-layer
// block; scratch gives the address of part i's scratch.
func (l *Layer) bindParts(scratch func(i int) uint32) {
	switch {
	case l.gemmParts != nil:
		g, mr := l.gemm, l.V.MR
		blocks := (int(g.Rows) + mr - 1) / mr
		for i := range l.gemmParts {
			lo, hi := bounds(i, len(l.gemmParts), blocks)
			r0, r1 := uint32(lo*mr), min(uint32(hi*mr), g.Rows)
			p := *g
			p.X += r0 * g.XStride
			p.Out += r0 * g.OutStride
			p.Rows = r1 - r0
			p.Scratch = scratch(i)
			l.gemmParts[i] = p
		}
	case l.dwParts != nil:
		d := l.dw
		es := elemSize(l.V.DType)
		for i := range l.dwParts {
			lo, hi := bounds(i, len(l.dwParts), int(d.OutH))
			p := *d
			p.X, p.InH, p.PadTop = rowsFrom(d.X, d.InH, d.PadTop, uint32(lo)*uint32(l.V.Stride), d.InW*d.C*es)
			p.Out += uint32(lo) * d.OutW * d.C * es
			p.OutH = uint32(hi - lo)
			l.dwParts[i] = p
		}
	case l.convParts != nil:
		c := l.conv
		es := elemSize(l.V.DType)
		for i := range l.convParts {
			lo, hi := bounds(i, len(l.convParts), int(c.OutH))
			p := *c
			p.X, p.InH, p.PadTop = rowsFrom(c.X, c.InH, c.PadTop, uint32(lo)*c.StrideH, c.InW*c.C*es)
			p.Out += uint32(lo) * c.OutW * c.OutC * es
			p.OutH = uint32(hi - lo)
			p.Scratch = scratch(i)
			l.convParts[i] = p
		}
	}
}

// rowsFrom is the input (x, inH, padTop) of a part whose first output row
// reads from padded row start (output row times stride): the input moved
// down to that row, or the padding rows still above it.
func rowsFrom(x, inH, padTop, start, rowBytes uint32) (uint32, uint32, uint32) {
	if start < padTop {
		return x, inH, padTop - start
	}
	skip := min(start-padTop, inH)
	return x + skip*rowBytes, inH - skip, 0
}

func elemSize(d DType) uint32 {
	if d == F32 {
		return 4
	}
	return 1
}

// partArgs returns a pointer to part i's argument block.
func (l *Layer) partArgs(i int) unsafe.Pointer {
	switch {
	case l.gemmParts != nil:
		return unsafe.Pointer(&l.gemmParts[i])
	case l.dwParts != nil:
		return unsafe.Pointer(&l.dwParts[i])
	}
	return unsafe.Pointer(&l.convParts[i])
}

// PartArgsBytes returns the parts' argument blocks as the variant reads
// them (little-endian), for hosts that copy them into a module's memory;
// nil unless Split.
func (l *Layer) PartArgsBytes() [][]byte {
	n := l.Parts()
	if n == 1 {
		return nil
	}
	out := make([][]byte, n)
	for i := range out {
		var v any
		switch {
		case l.gemmParts != nil:
			v = &l.gemmParts[i]
		case l.dwParts != nil:
			v = &l.dwParts[i]
		default:
			v = &l.convParts[i]
		}
		var b bytes.Buffer
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			panic(err)
		}
		out[i] = b.Bytes()
	}
	return out
}
