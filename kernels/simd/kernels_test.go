package simd_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
)

// The generic tester: every variant of the registry against its portable
// twin in package kernels, over random shapes drawn per case from a seed
// (printed on failure; -simd.seed picks another base, -simd.cases the
// count). Integer outputs must be bit-identical; float outputs equal as
// float32 values (the f32 kernels sum in the portable order; only the sign
// of a zero may differ, which == ignores), stricter than the 1e-5 relative
// tolerance float outputs are held to elsewhere. Every run also checks the
// guard bytes around all buffers and that inputs are unchanged.

var (
	seedFlag  = flag.Uint64("simd.seed", 0, "base seed of the random kernel cases (0: a fixed base; 1: from the clock)")
	casesFlag = flag.Int("simd.cases", 0, "random cases per variant (0: the default)")
)

func baseSeed() uint64 {
	switch *seedFlag {
	case 0:
		return 0x5eed
	case 1:
		return uint64(time.Now().UnixNano())
	}
	return *seedFlag
}

func numCases(def int) int {
	if *casesFlag > 0 {
		return *casesFlag
	}
	if testing.Short() {
		return max(def/4, 4)
	}
	return def
}

// TestKernels runs every variant on random cases, each case whole or split
// into 2 to 4 parts (as kernel threads run it: see simd.Layer.Split).
func TestKernels(t *testing.T) {
	h := newHost(t)
	base := baseSeed()
	for vi, v := range simd.Variants {
		t.Run(v.Name(), func(t *testing.T) {
			n := numCases(48)
			for i := range n {
				seed := base + uint64(vi)<<20 + uint64(i)
				rng := rand.New(rand.NewPCG(seed, 7))
				h.reset()
				h.parts = 1 + i%4
				desc, err := runCase(h, v, i, rng)
				desc += fmt.Sprintf(", in %d parts at most", h.parts)
				if err == nil {
					err = h.check()
				}
				require.NoError(t, err, "case %d (seed %#x, rerun with -simd.seed=%#x): %s", i, seed, base, desc)
			}
		})
	}
}

func runCase(h *host, v *simd.Variant, i int, rng *rand.Rand) (string, error) {
	switch v.Op {
	case simd.OpGEMM, simd.OpConv, simd.OpDWConv:
		return byDType(v, convQCase[uint8], convQCase[int8], convF32Case)(h, v, convShape(v, i, rng), rng)
	case simd.OpAvgPool:
		return byDType(v, poolQCase[uint8], poolQCase[int8], poolF32Case)(h, v, poolShape(v, i, rng), rng)
	}
	return "", fmt.Errorf("no tester for %v", v.Op)
}

// caseFunc runs one case of a variant with parameters P.
type caseFunc[P any] func(h *host, v *simd.Variant, p P, rng *rand.Rand) (string, error)

// byDType picks the tester for v's data type: u8 for QU8, i8 for QC8, f32
// otherwise.
func byDType[P any](v *simd.Variant, u8, i8, f32 caseFunc[P]) caseFunc[P] {
	switch v.DType {
	case simd.QU8:
		return u8
	case simd.QC8:
		return i8
	}
	return f32
}

// channels draws a channel count; the first cases hit the tile edges.
func channels(tile, i int, rng *rand.Rand) int {
	switch i {
	case 0:
		return tile
	case 1:
		return max(tile-1, 1)
	case 2:
		return tile + 1
	case 3:
		return 1
	case 4:
		return 3*tile + tile/2 + 1
	}
	return 1 + rng.IntN(3*tile+5)
}

// convShape draws the shape of a conv case for v.
func convShape(v *simd.Variant, i int, rng *rand.Rand) *kernels.ConvParams {
	p := &kernels.ConvParams{DilationH: 1, DilationW: 1, StrideH: 1, StrideW: 1, KH: 1, KW: 1, DepthMultiplier: 1}
	n := 1 + rng.IntN(2)
	h, w := 1+rng.IntN(9), 1+rng.IntN(9)
	same := rng.IntN(2) == 0
	switch v.Op {
	case simd.OpGEMM:
		ic := channels(8, i, rng)
		if i == 5 {
			ic = 8 * (1 + rng.IntN(6)) // whole dot steps, no tail
		}
		oc := channels(v.NR, i+1, rng)
		if i%7 == 6 {
			h, w = 1, 1 // one row: logits
		}
		p.In = kernels.Shape4{N: n, H: h, W: w, C: ic}
		p.Out = kernels.Shape4{N: n, H: h, W: w, C: oc}
		return p
	case simd.OpDWConv:
		c := channels(v.CT, i, rng)
		p.KH, p.KW = 3, 3
		p.StrideH, p.StrideW = v.Stride, v.Stride
		if !same {
			h, w = max(h, 3), max(w, 3)
		}
		p.In = kernels.Shape4{N: n, H: h, W: w, C: c}
		oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: same, InH: h, InW: w, KH: 3, KW: 3, StrideH: v.Stride, StrideW: v.Stride})
		p.Out = kernels.Shape4{N: n, H: oh, W: ow, C: c}
		p.PadTop, p.PadLeft = pt, pl
		return p
	}
	// OpConv: any filter, stride and padding; case 0 is MobileNet's first
	// layer in miniature (3x3 stride 2 SAME, 3 input channels).
	ic, oc := 1+rng.IntN(7), channels(v.NR, i, rng)
	kh, kw := 1+rng.IntN(4), 1+rng.IntN(4)
	sh, sw := 1+rng.IntN(3), 1+rng.IntN(3)
	if i == 0 {
		ic, kh, kw, sh, sw, same, h, w = 3, 3, 3, 2, 2, true, 8+rng.IntN(3), 8+rng.IntN(3)
	}
	if !same {
		h, w = max(h, kh), max(w, kw)
	}
	p.KH, p.KW, p.StrideH, p.StrideW = kh, kw, sh, sw
	p.In = kernels.Shape4{N: n, H: h, W: w, C: ic}
	oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: same, InH: h, InW: w, KH: kh, KW: kw, StrideH: sh, StrideW: sw})
	p.Out = kernels.Shape4{N: n, H: oh, W: ow, C: oc}
	p.PadTop, p.PadLeft = pt, pl
	return p
}

func filterLen(v *simd.Variant, p *kernels.ConvParams) int {
	if v.Op == simd.OpDWConv {
		return p.KH * p.KW * p.Out.C
	}
	return p.Out.C * p.KH * p.KW * p.In.C
}

// zeroPoint draws a zero point in [lo, hi], the extremes a third of the
// time each.
func zeroPoint(rng *rand.Rand, lo, hi int32) int32 {
	switch rng.IntN(4) {
	case 0:
		return lo
	case 1:
		return hi
	}
	return lo + rng.Int32N(hi-lo+1)
}

// logUniform draws from [lo, hi] uniformly in log scale.
func logUniform(rng *rand.Rand, lo, hi float64) float32 {
	return float32(math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo))))
}

// randQuant draws the quantization of a conv with oc output channels: zero
// points at the extremes or anywhere, multipliers from about 2^-36 to 2^4
// (right shifts past 31, left shifts), any fused activation.
func randQuant[T uint8 | int8](rng *rand.Rand, scheme kernels.Scheme, oc int) *kernels.QuantConv {
	qmin, qmax := int32(0), int32(255)
	var z T
	signed := any(z) == any(int8(0))
	if signed {
		qmin, qmax = -128, 127
	}
	zx := zeroPoint(rng, qmin, qmax)
	var fzp int32
	nfs := 1
	if signed {
		nfs = oc
	} else {
		fzp = zeroPoint(rng, qmin, qmax)
	}
	inScale := logUniform(rng, 1e-3, 1)
	fs := make([]float32, nfs)
	for i := range fs {
		fs[i] = logUniform(rng, 1e-4, 1)
	}
	var outScale float32
	switch rng.IntN(5) {
	case 0:
		outScale = inScale * fs[0] * logUniform(rng, 1e-2, 1) // multiplier > 1
	case 1:
		outScale = logUniform(rng, 1e3, 1e6) // tiny multipliers
	default:
		outScale = logUniform(rng, 1e-3, 1)
	}
	outZP := zeroPoint(rng, qmin, qmax)
	act := rng.IntN(4)
	lo, hi := kernels.QuantizedActivationRange(scheme, act, kernels.Quant{Scale: outScale, ZeroPoint: outZP}, qmin, qmax)
	return &kernels.QuantConv{
		InputOffset: -zx, FilterOffset: -fzp,
		Requant: kernels.NewRequant(scheme, inScale, fs, kernels.Quant{Scale: outScale, ZeroPoint: outZP}, oc, lo, hi),
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func randBias(rng *rand.Rand, n int) []int32 {
	if rng.IntN(6) == 0 {
		return nil
	}
	b := make([]int32, n)
	big := rng.IntN(8) == 0 // near int32's limits: wrapping sums
	for i := range b {
		if big {
			b[i] = int32(rng.Uint32())
		} else {
			b[i] = rng.Int32N(200001) - 100000
		}
	}
	return b
}

func asT[T uint8 | int8](b []byte) []T {
	out := make([]T, len(b))
	for i, v := range b {
		out[i] = T(v)
	}
	return out
}

func describe(v *simd.Variant, p *kernels.ConvParams) string {
	return fmt.Sprintf("in %v out %v filter %dx%d stride %dx%d pad %d,%d", p.In, p.Out, p.KH, p.KW, p.StrideH, p.StrideW, p.PadTop, p.PadLeft)
}

func convQCase[T uint8 | int8](h *host, v *simd.Variant, p *kernels.ConvParams, rng *rand.Rand) (string, error) {
	q := randQuant[T](rng, v.Scheme, p.Out.C)
	in := randBytes(rng, p.In.Size())
	filter := asT[T](randBytes(rng, filterLen(v, p)))
	bias := randBias(rng, p.Out.C)
	desc := fmt.Sprintf("%s, zero points in %d filter %d out %d, act [%d,%d], bias nil %v",
		describe(v, p), -q.InputOffset, -q.FilterOffset, q.OutputOffset, q.ActMin, q.ActMax, bias == nil)

	want := make([]T, p.Out.Size())
	var l *simd.Layer
	if v.Op == simd.OpDWConv {
		portableDW(p, q, asT[T](in), filter, bias, want)
		l = simd.NewDepthwiseQ(v, p, q, filter, bias)
	} else {
		portableConv(p, q, asT[T](in), filter, bias, want)
		l = simd.NewConvQ(v, p, q, filter, bias)
	}
	if l == nil {
		return desc, fmt.Errorf("the variant refused the case")
	}
	// The engine drops a layer's filter once packed and unpacks it to
	// switch kernels: the packing must give it back exactly.
	if got := simd.UnpackQ[T](l, q.FilterOffset); !slices.Equal(got, filter) {
		return desc, fmt.Errorf("UnpackQ does not give back the packed filter")
	}
	out := h.output(len(want))
	if err := h.run(l, h.put(in), out); err != nil {
		return desc, err
	}
	got := h.read(out, len(want))
	for i := range want {
		if got[i] != byte(want[i]) {
			pix, c := i/p.Out.C, i%p.Out.C
			return desc, fmt.Errorf("output %d (pixel %d, channel %d): got %d, want %d", i, pix, c, T(got[i]), want[i])
		}
	}
	return desc, nil
}

func portableConv[T uint8 | int8](p *kernels.ConvParams, q *kernels.QuantConv, in, filter []T, bias []int32, out []T) {
	switch in := any(in).(type) {
	case []uint8:
		kernels.ConvU8(p, q, in, any(filter).([]uint8), bias, any(out).([]uint8))
	case []int8:
		kernels.ConvI8(p, q, in, any(filter).([]int8), bias, any(out).([]int8))
	}
}

func portableDW[T uint8 | int8](p *kernels.ConvParams, q *kernels.QuantConv, in, filter []T, bias []int32, out []T) {
	switch in := any(in).(type) {
	case []uint8:
		kernels.DepthwiseConvU8(p, q, in, any(filter).([]uint8), bias, any(out).([]uint8))
	case []int8:
		kernels.DepthwiseConvI8(p, q, in, any(filter).([]int8), bias, any(out).([]int8))
	}
}

func randF32(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func bytesF32(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// sameF32 compares float outputs as values (NaN equals NaN).
func sameF32(got, want []float32, c int) error {
	for i := range want {
		g, w := got[i], want[i]
		if g != w && !(g != g && w != w) {
			return fmt.Errorf("output %d (pixel %d, channel %d): got %g (%#x), want %g (%#x)", i, i/c, i%c, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
	return nil
}

func convF32Case(h *host, v *simd.Variant, p *kernels.ConvParams, rng *rand.Rand) (string, error) {
	in := randF32(rng, p.In.Size())
	filter := randF32(rng, filterLen(v, p))
	var bias []float32
	if rng.IntN(5) != 0 {
		bias = randF32(rng, p.Out.C)
	}
	lo, hi := kernels.FloatActivationRange(rng.IntN(4))
	desc := fmt.Sprintf("%s, clamp [%g,%g], bias nil %v", describe(v, p), lo, hi, bias == nil)
	want := make([]float32, p.Out.Size())
	var l *simd.Layer
	if v.Op == simd.OpDWConv {
		kernels.DepthwiseConvF32(p, in, filter, bias, want, lo, hi)
		l = simd.NewDepthwiseF32(v, p, filter, bias, lo, hi)
	} else {
		kernels.ConvF32(p, in, filter, bias, want, lo, hi)
		l = simd.NewConvF32(v, p, filter, bias, lo, hi)
	}
	if l == nil {
		return desc, fmt.Errorf("the variant refused the case")
	}
	if got := simd.UnpackF32(l); !slices.Equal(got, filter) {
		return desc, fmt.Errorf("UnpackF32 does not give back the packed filter")
	}
	out := h.output(4 * len(want))
	if err := h.run(l, h.put(f32Bytes(in)), out); err != nil {
		return desc, err
	}
	return desc, sameF32(bytesF32(h.read(out, 4*len(want))), want, p.Out.C)
}

// poolShape draws an AVERAGE_POOL_2D case; case 0 is MobileNet's global
// pool in miniature.
func poolShape(v *simd.Variant, i int, rng *rand.Rand) *kernels.PoolParams {
	n := 1 + rng.IntN(2)
	h, w := 1+rng.IntN(9), 1+rng.IntN(9)
	c := channels(v.CT, i, rng)
	fh, fw := 1+rng.IntN(4), 1+rng.IntN(4)
	sh, sw := 1+rng.IntN(3), 1+rng.IntN(3)
	same := rng.IntN(2) == 0
	if i == 0 {
		h, w, fh, fw, same = 7, 7, 7, 7, false
		c = 2*v.CT + 5
	}
	if !same {
		h, w = max(h, fh), max(w, fw)
	}
	oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: same, InH: h, InW: w, KH: fh, KW: fw, StrideH: sh, StrideW: sw})
	return &kernels.PoolParams{
		In: kernels.Shape4{N: n, H: h, W: w, C: c}, Out: kernels.Shape4{N: n, H: oh, W: ow, C: c},
		FilterH: fh, FilterW: fw, StrideH: sh, StrideW: sw, PadTop: pt, PadLeft: pl,
	}
}

func describePool(p *kernels.PoolParams) string {
	return fmt.Sprintf("in %v out %v filter %dx%d stride %dx%d pad %d,%d", p.In, p.Out, p.FilterH, p.FilterW, p.StrideH, p.StrideW, p.PadTop, p.PadLeft)
}

func poolQCase[T uint8 | int8](h *host, v *simd.Variant, p *kernels.PoolParams, rng *rand.Rand) (string, error) {
	qmin, qmax := int32(0), int32(255)
	if v.DType == simd.QC8 {
		qmin, qmax = -128, 127
	}
	lo, hi := kernels.QuantizedActivationRange(kernels.SchemeFP32, rng.IntN(4), kernels.Quant{Scale: logUniform(rng, 1e-3, 1), ZeroPoint: zeroPoint(rng, qmin, qmax)}, qmin, qmax)
	in := randBytes(rng, p.In.Size())
	if rng.IntN(4) == 0 { // extreme inputs: sums at the bounds
		fill := byte(qmax)
		if rng.IntN(2) == 0 {
			fill = byte(qmin)
		}
		in = bytes.Repeat([]byte{fill}, len(in))
	}
	desc := fmt.Sprintf("%s, clamp [%d,%d]", describePool(p), lo, hi)
	want := make([]T, p.Out.Size())
	switch w := any(want).(type) {
	case []uint8:
		kernels.AveragePoolU8(p, in, w, lo, hi)
	case []int8:
		kernels.AveragePoolI8(p, asT[int8](in), w, lo, hi)
	}
	l := simd.NewAvgPoolQ[T](v, p, lo, hi)
	out := h.output(len(want))
	if err := h.run(l, h.put(in), out); err != nil {
		return desc, err
	}
	got := h.read(out, len(want))
	for i := range want {
		if got[i] != byte(want[i]) {
			return desc, fmt.Errorf("output %d (pixel %d, channel %d): got %d, want %d", i, i/p.Out.C, i%p.Out.C, T(got[i]), want[i])
		}
	}
	return desc, nil
}

func poolF32Case(h *host, v *simd.Variant, p *kernels.PoolParams, rng *rand.Rand) (string, error) {
	lo, hi := kernels.FloatActivationRange(rng.IntN(4))
	in := randF32(rng, p.In.Size())
	desc := fmt.Sprintf("%s, clamp [%g,%g]", describePool(p), lo, hi)
	want := make([]float32, p.Out.Size())
	kernels.AveragePoolF32(p, in, want, lo, hi)
	l := simd.NewAvgPoolF32(v, p, lo, hi)
	out := h.output(4 * len(want))
	if err := h.run(l, h.put(f32Bytes(in)), out); err != nil {
		return desc, err
	}
	return desc, sameF32(bytesF32(h.read(out, 4*len(want))), want, p.Out.C)
}

// TestRequantEdges drives the requantization of every quantized GEMM
// variant through its rounding ties, which random data almost never hits:
// a 1x1 conv with one input channel, weight 1 and zero offsets makes
// acc = x + bias for x = 0..255 (one pixel each), and the biases put
// those runs of 256 accumulators around the exact halves of every
// right shift 0..31 (multiplier 2^30: the doubling high multiply halves),
// around int32's limits, and at exact float halves (scale 2^-e).
func TestRequantEdges(t *testing.T) {
	h := newHost(t)
	for _, v := range simd.Variants {
		if v.Op != simd.OpGEMM || !v.DType.Quantized() {
			continue
		}
		t.Run(v.Name(), func(t *testing.T) {
			for e := 0; e <= 31; e++ {
				for _, m := range []int32{1 << 30, 1<<30 + 1, math.MaxInt32} {
					for c := int64(-3); c <= 3; c++ {
						bias := c<<(e+1) + 1<<e - 128
						if e == 31 {
							bias = c<<31 - 128
						}
						bias = min(max(bias, math.MinInt32), math.MaxInt32-255)
						require.NoError(t, requantEdge(h, v, e, m, int32(bias)))
					}
				}
			}
			// Left shifts and wrapping near int32's limits.
			for s := 1; s <= 4; s++ {
				for _, bias := range []int32{-128, math.MinInt32, math.MaxInt32 - 255, 1<<30 - 128} {
					require.NoError(t, requantEdge(h, v, -s, math.MaxInt32, bias))
				}
			}
		})
	}
}

// requantEdge runs acc = x + bias (x = 0..255) through v with multiplier
// mult and right shift e (negative: left shift), or scale 2^-e for fp32.
func requantEdge(h *host, v *simd.Variant, e int, mult, bias int32) error {
	zp, lo, hi := int32(128), int32(0), int32(255)
	in := make([]byte, 256)
	for i := range in {
		in[i] = byte(i)
	}
	if v.DType == simd.QC8 {
		zp, lo, hi = 0, -128, 127
		for i := range in {
			in[i] = byte(i - 128) // x = -128..127
		}
	}
	p := &kernels.ConvParams{In: kernels.Shape4{N: 1, H: 16, W: 16, C: 1}, Out: kernels.Shape4{N: 1, H: 16, W: 16, C: 1},
		KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	q := &kernels.QuantConv{Requant: kernels.Requant{
		Scheme:     v.Scheme,
		Scale:      []float32{float32(math.Ldexp(1, -e))},
		Multiplier: []int32{mult}, Shift: []int32{int32(-e)},
		OutputOffset: zp, ActMin: lo, ActMax: hi,
	}}
	h.reset()
	out := h.output(256)
	var want []byte
	var l *simd.Layer
	if v.DType == simd.QC8 {
		w := make([]int8, 256)
		kernels.ConvI8(p, q, asT[int8](in), []int8{1}, []int32{bias}, w)
		want = asT[byte](asBytes(w))
		l = simd.NewConvQ(v, p, q, []int8{1}, []int32{bias})
	} else {
		want = make([]byte, 256)
		kernels.ConvU8(p, q, in, []uint8{1}, []int32{bias}, want)
		l = simd.NewConvQ(v, p, q, []uint8{1}, []int32{bias})
	}
	if err := h.run(l, h.put(in), out); err != nil {
		return err
	}
	got := h.read(out, 256)
	for i := range want {
		if got[i] != want[i] {
			return fmt.Errorf("shift %d multiplier %d bias %d: x index %d: got %d, want %d", -e, mult, bias, i, got[i], want[i])
		}
	}
	return h.check()
}

func asBytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}
