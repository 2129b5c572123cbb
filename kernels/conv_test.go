package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15)) }

// guard is the number of sentinel elements after every output buffer: the
// kernels get out[:n] (capacity n+guard), so a write past n through a
// reslice shows up as a changed sentinel.
const guard = 17

// sentinel fills the guard; a variable so that int8(sentinel) wraps.
var sentinel uint8 = 0xA5

// newOut returns an output of n values and guard sentinels after them.
func newOut[T uint8 | int8 | float32](n int) []T {
	s := make([]T, n+guard)
	for i := range s {
		s[i] = T(sentinel)
	}
	return s
}

// requireKernel runs kernel into a fresh guarded output of len(ref) values
// and requires it to stay within them and to equal ref, the reference
// nest's result (float32 bit for bit); what names the kernel in failures.
// It returns kernel's output.
func requireKernel[T uint8 | int8 | float32](t *testing.T, what string, ref []T, kernel func(out []T)) []T {
	t.Helper()
	n := len(ref)
	got := newOut[T](n)
	kernel(got[:n])
	checkGuard(t, what, got, n)
	if rf, ok := any(ref).([]float32); ok {
		gf := any(got).([]float32)
		for i := range n {
			require.Equal(t, math.Float32bits(rf[i]), math.Float32bits(gf[i]), "%s[%d] = %v, reference nest %v", what, i, gf[i], rf[i])
		}
	} else {
		require.Equal(t, ref, got[:n], "%s: %v != reference nest %v", what, got[:n], ref)
	}
	return got[:n]
}

func checkGuard[T uint8 | int8 | float32](t *testing.T, what string, s []T, n int) {
	t.Helper()
	for i := n; i < len(s); i++ {
		require.Equal(t, T(sentinel), s[i], "%s: wrote past the output's end at %d (len %d)", what, i, n)
	}
}

// convParams resolves padding like the engine does.
func convParams(in Shape4, oc, kh, kw, sh, sw, dh, dw int, same bool) ConvParams {
	oh, ow, pt, pl := ComputePadding(Window{Same: same, InH: in.H, InW: in.W, KH: kh, KW: kw, StrideH: sh, StrideW: sw, DilationH: dh, DilationW: dw})
	return ConvParams{In: in, Out: Shape4{in.N, oh, ow, oc}, KH: kh, KW: kw, StrideH: sh, StrideW: sw,
		DilationH: dh, DilationW: dw, PadTop: pt, PadLeft: pl}
}

// quant builds a QuantConv the way the engine does.
func quant(scheme Scheme, inScale float32, inZP int32, filterScales []float32, filterZP int32, outScale float32, outZP int32, oc, act int, signed bool) *QuantConv {
	qmin, qmax := int32(0), int32(255)
	if signed {
		qmin, qmax = -128, 127
	}
	lo, hi := QuantizedActivationRange(scheme, act, Quant{outScale, outZP}, qmin, qmax)
	return &QuantConv{InputOffset: -inZP, FilterOffset: -filterZP,
		Requant: NewRequant(scheme, inScale, filterScales, Quant{outScale, outZP}, oc, lo, hi)}
}

func seq(from, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(from + i)
	}
	return s
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestComputePadding(t *testing.T) {
	cases := []struct {
		same               bool
		in, k, stride, dil int
		wantOut, wantPad   int
		why                string
	}{
		{true, 224, 3, 2, 1, 112, 0, "SAME 224/2: (111*2 + 3 - 224)/2 = 0"},
		{true, 112, 3, 1, 1, 112, 1, "SAME stride 1: (111 + 3 - 112)/2 = 1"},
		{true, 7, 3, 2, 1, 4, 1, "SAME odd: out 4, (3*2 + 3 - 7)/2 = 1"},
		{true, 3, 3, 2, 1, 2, 1, "SAME 3/2: out 2, (2 + 3 - 3)/2 = 1"},
		{true, 5, 3, 1, 2, 5, 2, "SAME dilation 2: effective 5, (4 + 5 - 5)/2 = 2"},
		{true, 4, 1, 2, 1, 2, 0, "SAME 1x1 stride 2: (2 + 1 - 4)/2 < 0 -> 0"},
		{false, 224, 3, 2, 1, 111, 0, "VALID: (224 - 3 + 2)/2 = 111"},
		{false, 7, 7, 1, 1, 1, 0, "VALID full-size filter: 1"},
		{false, 5, 3, 1, 2, 1, 0, "VALID dilation 2: (5 - 5 + 1)/1 = 1"},
		{false, 3, 1, 1, 1, 3, 0, "VALID 1x1"},
	}
	for _, c := range cases {
		oh, ow, pt, pl := ComputePadding(Window{Same: c.same, InH: c.in, InW: c.in, KH: c.k, KW: c.k, StrideH: c.stride, StrideW: c.stride, DilationH: c.dil, DilationW: c.dil})
		assert.Equal(t, [4]int{c.wantOut, c.wantOut, c.wantPad, c.wantPad}, [4]int{oh, ow, pt, pl}, "%s: out H, W, pad top, left", c.why)
	}
	// Height and width are independent; dilation 0 counts as 1.
	oh, ow, pt, pl := ComputePadding(Window{Same: true, InH: 5, InW: 8, KH: 3, KW: 1, StrideH: 2, StrideW: 1})
	assert.Equal(t, [4]int{3, 8, 1, 0}, [4]int{oh, ow, pt, pl}, "SAME 5x8, 3x1 filter, stride 2x1: out H, W, pad top, left")
}

// runConvF32 runs ConvF32 and the reference nest and checks they agree bit
// for bit.
func runConvF32(t *testing.T, p *ConvParams, in, filter, bias []float32, lo, hi float32) []float32 {
	t.Helper()
	ref := make([]float32, p.Out.Size())
	convRefF32(p, in, filter, bias, ref, lo, hi)
	return requireKernel(t, "ConvF32", ref, func(out []float32) { ConvF32(p, in, filter, bias, out, lo, hi) })
}

func TestConvF32HandComputed(t *testing.T) {
	lo, hi := FloatActivationRange(FusedNone)
	in3 := Shape4{1, 3, 3, 1}
	cases := []struct {
		name        string
		p           ConvParams
		in, f, bias []float32
		act         int
		want        []float32
	}{
		{"valid 2x2 filter", convParams(in3, 1, 2, 2, 1, 1, 1, 1, false), seq(1, 9), []float32{1, 2, 3, 4}, nil, FusedNone,
			// 1*1+2*2+4*3+5*4, 2+6+15+24, 4+10+21+32, 5+12+24+36
			[]float32{37, 47, 67, 77}},
		{"SAME padding edges", convParams(in3, 1, 3, 3, 1, 1, 1, 1, true), seq(1, 9), ones(9), nil, FusedNone,
			// each output is the sum of its in-bounds 3x3 neighbourhood
			[]float32{12, 21, 16, 27, 45, 33, 24, 39, 28}},
		{"stride 2 SAME", convParams(in3, 1, 3, 3, 2, 2, 1, 1, true), seq(1, 9), ones(9), nil, FusedNone,
			// out 2x2, pad 1: neighbourhoods of the four corners
			[]float32{12, 16, 24, 28}},
		{"dilation 2", convParams(in3, 1, 2, 2, 1, 1, 2, 2, false), seq(1, 9), []float32{1, 2, 3, 4}, nil, FusedNone,
			// taps at the corners: 1*1 + 3*2 + 7*3 + 9*4
			[]float32{64}},
		{"bias and ReLU6 clamp, two channels", convParams(Shape4{1, 1, 2, 2}, 2, 1, 1, 1, 1, 1, 1, false),
			[]float32{1, 2, 3, -4}, []float32{1, 1, 2, -1}, []float32{0.5, -1}, FusedRelu6,
			// pixel 0: 1+2+0.5 = 3.5; 2-2-1 = -1 -> 0. pixel 1: 3-4+0.5 = -0.5 -> 0; 6+4-1 = 9 -> 6
			[]float32{3.5, 0, 0, 6}},
		{"batch 2", convParams(Shape4{2, 1, 1, 2}, 1, 1, 1, 1, 1, 1, 1, false),
			[]float32{1, 2, 3, 4}, []float32{10, 1}, nil, FusedNone, []float32{12, 34}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, hi = FloatActivationRange(c.act)
			got := runConvF32(t, &c.p, c.in, c.f, c.bias, lo, hi)
			assert.Equal(t, c.want, got)
		})
	}
}

// runConvQ runs the quantized conv through every path (fast, prepacked
// when pointwise) and the reference nest, checks they agree and returns the
// result.
func runConvQ[T uint8 | int8](t *testing.T, p *ConvParams, q *QuantConv, in, filter []T, bias []int32) []T {
	t.Helper()
	ref := make([]T, p.Out.Size())
	convRefQ(p, q, in, filter, bias, ref)
	requireKernel(t, "conv", ref, func(out []T) { convQ(p, q, in, filter, bias, out) })
	if p.Pointwise() {
		qp := *q
		qp.Packed = prepackConv(p, &qp, filter, bias)
		require.NotNil(t, qp.Packed, "no prepacked weights for a pointwise conv")
		requireKernel(t, "prepacked conv", ref, func(out []T) { convQ(p, &qp, in, filter, bias, out) })
	}
	return ref
}

// convQ and prepackConv dispatch on T to the exported entry points.
func convQ[T uint8 | int8](p *ConvParams, q *QuantConv, in, filter []T, bias []int32, out []T) {
	switch in := any(in).(type) {
	case []uint8:
		ConvU8(p, q, in, any(filter).([]uint8), bias, any(out).([]uint8))
	case []int8:
		ConvI8(p, q, in, any(filter).([]int8), bias, any(out).([]int8))
	}
}

func prepackConv[T uint8 | int8](p *ConvParams, q *QuantConv, filter []T, bias []int32) *Prepacked {
	if f, ok := any(filter).([]uint8); ok {
		return PrepackConvU8(p, q, f, bias)
	}
	return PrepackConvI8(p, q, any(filter).([]int8), bias)
}

func TestConvU8HandComputed(t *testing.T) {
	pw := convParams(Shape4{1, 1, 3, 2}, 1, 1, 1, 1, 1, 1, 1, false)
	// Zero points: input 128, filter 255, output 0 or 128. Scale =
	// 0.5*0.5/1 = 0.25. Filter 254,250 -> w+fo = -1,-5; bias 2. Per
	// pixel, inputs -> x+io -> acc:
	//
	//	pixel 0: 130,126 -> 2,-2 -> 2*-1 + -2*-5 + 2 = 10
	//	pixel 1: 134,128 -> 6,0  -> 6*-1 +  0*-5 + 2 = -4
	//	pixel 2: 126,120 -> -2,-8 -> -2*-1 + -8*-5 + 2 = 44
	in := []uint8{130, 126, 134, 128, 126, 120}
	filter := []uint8{254, 250}
	bias := []int32{2}
	cases := []struct {
		name   string
		scheme Scheme
		outZP  int32
		act    int
		want   []uint8
	}{
		// fp32: 2.5 -> 2, -1 -> clamped to 0 (ActMin - zp = 0), 11.
		{"fp32 zero point 0, round half to even", SchemeFP32, 0, FusedNone, []uint8{2, 0, 11}},
		// reference: multiplier 2^30, shift -1: SRDHM(10) = 5, 5/2 = 2.5 -> 3;
		// SRDHM(-4) = -2, -1; SRDHM(44) = 22, 11.
		{"reference zero point 0, round half away", SchemeReference, 0, FusedNone, []uint8{3, 0, 11}},
		{"fp32 zero point 128", SchemeFP32, 128, FusedNone, []uint8{130, 127, 139}},
		{"reference zero point 128", SchemeReference, 128, FusedNone, []uint8{131, 127, 139}},
		// Output zero point 255: everything above 0.0 clamps to 255.
		{"fp32 zero point 255", SchemeFP32, 255, FusedNone, []uint8{255, 254, 255}},
		// ReLU6 with output scale 1 and zero point 128: [128, 134].
		{"fp32 ReLU6 clamp", SchemeFP32, 128, FusedRelu6, []uint8{130, 128, 134}},
		{"reference ReLU6 clamp", SchemeReference, 128, FusedRelu6, []uint8{131, 128, 134}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := quant(c.scheme, 0.5, 128, []float32{0.5}, 255, 1, c.outZP, 1, c.act, false)
			assert.Equal(t, c.want, runConvQ(t, &pw, q, in, filter, bias))
		})
	}
}

func TestConvU8SamePaddingZeroPoint(t *testing.T) {
	// 3x3 all-ones filter (value 129, zero point 128) on 3x3 inputs
	// 128+1..128+9 (zero point 128): the padding taps must contribute
	// nothing, so the outputs are the in-bounds neighbourhood sums, scale
	// 0.5*2/1 = 1, plus the output zero point 100.
	p := convParams(Shape4{1, 3, 3, 1}, 1, 3, 3, 1, 1, 1, 1, true)
	in := make([]uint8, 9)
	for i := range in {
		in[i] = uint8(129 + i)
	}
	filter := slices.Repeat([]uint8{129}, 9)
	want := []uint8{112, 121, 116, 127, 145, 133, 124, 139, 128}
	for _, s := range []Scheme{SchemeFP32, SchemeReference} {
		q := quant(s, 0.5, 128, []float32{2}, 128, 1, 100, 1, FusedNone, false)
		assert.Equal(t, want, runConvQ(t, &p, q, in, filter, nil), "%v", s)
	}
	// Stride 2 SAME: the four corners.
	p2 := convParams(Shape4{1, 3, 3, 1}, 1, 3, 3, 2, 2, 1, 1, true)
	q := quant(SchemeFP32, 0.5, 128, []float32{2}, 128, 1, 100, 1, FusedNone, false)
	assert.Equal(t, []uint8{112, 116, 124, 128}, runConvQ(t, &p2, q, in, filter, nil), "stride 2")
}

func TestConvI8PerChannel(t *testing.T) {
	// Input scale 0.5, zero point -1 (InputOffset 1); filter scales 0.5
	// and 0.25 (zero point 0); output scale 1, zero point 0: per-channel
	// scales 0.25 and 0.125. Inputs 3,-5 -> x+io = 4,-4.
	// oc0: w 2,1: 8 - 4 = 4, bias 4 -> 8 -> 8*0.25 = 2.
	// oc1: w -3,5: -12 - 20 = -32, bias -8 -> -40 -> -40*0.125 = -5.
	// oc2: w 127,-128: 508 + 512 = 1020, bias 0 -> 1020*0.25 = 255 -> 127.
	// Reference: 0.25 = (2^30, -1): SRDHM(8) = 4, 4/2 = 2; 0.125 = (2^30,
	// -2): SRDHM(-40) = -20, -20/4 = -5.
	p := convParams(Shape4{1, 1, 1, 2}, 3, 1, 1, 1, 1, 1, 1, false)
	in := []int8{3, -5}
	filter := []int8{2, 1, -3, 5, 127, -128}
	bias := []int32{4, -8, 0}
	for _, s := range []Scheme{SchemeFP32, SchemeReference} {
		q := quant(s, 0.5, -1, []float32{0.5, 0.25, 0.5}, 0, 1, 0, 3, FusedNone, true)
		assert.Equal(t, []int8{2, -5, 127}, runConvQ(t, &p, q, in, filter, bias), "%v", s)
	}
	// Per-channel scales that round differently: 0.375 = 0.5*0.75 on oc0,
	// acc 12 -> 4.5: fp32 4 (half to even), reference 5 (half away).
	q := quant(SchemeFP32, 0.5, 0, []float32{0.75}, 0, 1, 0, 1, FusedNone, true)
	p1 := convParams(Shape4{1, 1, 1, 1}, 1, 1, 1, 1, 1, 1, 1, false)
	assert.Equal(t, []int8{4}, runConvQ(t, &p1, q, []int8{3}, []int8{4}, nil), "fp32 4.5")
	q = quant(SchemeReference, 0.5, 0, []float32{0.75}, 0, 1, 0, 1, FusedNone, true)
	assert.Equal(t, []int8{5}, runConvQ(t, &p1, q, []int8{3}, []int8{4}, nil), "reference 4.5")
}

// randConvShape draws a conv (pointwise when pw) with odd sizes, strides,
// dilations and both paddings.
func randConvShape(r *rand.Rand, pw bool) ConvParams {
	for {
		in := Shape4{1 + r.IntN(2), 1 + r.IntN(9), 1 + r.IntN(9), 1 + r.IntN(13)}
		oc := 1 + r.IntN(13)
		if pw {
			if r.IntN(4) == 0 {
				in.C = 1 + r.IntN(300)
			}
			return convParams(in, oc, 1, 1, 1, 1, 1, 1, r.IntN(2) == 0)
		}
		kh, kw := 1+r.IntN(4), 1+r.IntN(4)
		sh, sw := 1+r.IntN(3), 1+r.IntN(3)
		dh, dw := 1, 1
		if r.IntN(3) == 0 {
			dh, dw = 1+r.IntN(2), 1+r.IntN(3)
		}
		p := convParams(in, oc, kh, kw, sh, sw, dh, dw, r.IntN(2) == 0)
		if p.Out.H > 0 && p.Out.W > 0 {
			return p
		}
	}
}

// randQuant draws quantization parameters: random scheme, zero points
// (including the extremes), scales giving outputs across the range,
// per-channel when signed, a random fused activation.
func randQuant(r *rand.Rand, oc, k int, signed bool) (*QuantConv, string) {
	scheme := Scheme(r.IntN(2))
	pick := func(lo, hi int32) int32 {
		switch r.IntN(5) {
		case 0:
			return lo
		case 1:
			return hi
		}
		return lo + int32(r.IntN(int(hi-lo+1)))
	}
	var inZP, fZP, outZP int32
	nScales := 1
	if signed {
		inZP, outZP = pick(-128, 127), pick(-128, 127)
		if r.IntN(2) == 0 {
			nScales = oc
		}
	} else {
		inZP, fZP, outZP = pick(0, 255), pick(0, 255), pick(0, 255)
	}
	inScale := float32(0.002 + r.Float64()*0.1)
	fs := make([]float32, nScales)
	for i := range fs {
		fs[i] = float32(0.001 + r.Float64()*0.05)
	}
	// Typical |acc| is about 128*128*sqrt(k); aim for a few hundred
	// output steps, sometimes far more (clamping).
	target := float64(inScale*fs[0]) * 128 * 128 * math.Sqrt(float64(k)) / (20 + r.Float64()*400)
	outScale := float32(target)
	act := r.IntN(4)
	q := quant(scheme, inScale, inZP, fs, fZP, outScale, outZP, oc, act, signed)
	desc := fmt.Sprintf("%v zp in/filter/out %d/%d/%d act %d scales %d", scheme, inZP, fZP, outZP, act, nScales)
	return q, desc
}

func randBytes[T uint8 | int8](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Uint32())
	}
	return s
}

// fromByte converts a byte's bits to T (0x80 is int8 -128).
func fromByte[T uint8 | int8](b byte) T { return T(b) }

func randBias(r *rand.Rand, n int) []int32 {
	if r.IntN(4) == 0 {
		return nil
	}
	b := make([]int32, n)
	for i := range b {
		b[i] = int32(r.IntN(40001)) - 20000
	}
	return b
}

func testConvRandom[T uint8 | int8](t *testing.T, signed, pointwise bool) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := newRand(seed)
		p := randConvShape(r, pointwise)
		k := p.KH * p.KW * p.In.C
		q, desc := randQuant(r, p.Out.C, k, signed)
		in := randBytes[T](r, p.In.Size())
		filter := randBytes[T](r, p.Out.C*k)
		if signed && r.IntN(8) == 0 {
			filter[0] = fromByte[T](0x80) // int8 -128: the one value outside the symmetric range
		}
		bias := randBias(r, p.Out.C)
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			runConvQ(t, &p, q, in, filter, bias)
		})
		require.True(t, ok, "seed %d: %+v %s", seed, p, desc)
	}
}

func TestConvU8RandomFastVsReference(t *testing.T) { testConvRandom[uint8](t, false, false) }
func TestConvI8RandomFastVsReference(t *testing.T) { testConvRandom[int8](t, true, false) }
func TestConvU8RandomPointwise(t *testing.T)       { testConvRandom[uint8](t, false, true) }
func TestConvI8RandomPointwise(t *testing.T)       { testConvRandom[int8](t, true, true) }

// TestPrepackedLaneExtremes drives the SWAR lanes to their largest sums:
// IC = maxPackedIC with every input 255 and every W' = +255 or -255, so
// each lane sum is ±32768*65025 = ±2130739200, just inside int32. The final
// accumulator wraps in int32 as the reference nest's does.
func TestPrepackedLaneExtremes(t *testing.T) {
	ic := maxPackedIC
	p := convParams(Shape4{1, 1, 2, ic}, 5, 1, 1, 1, 1, 1, 1, false)
	in := slices.Repeat([]uint8{255}, 2*ic)
	in[ic] = 0 // second pixel: one zero
	for _, fzp := range []int32{0, 255} {
		// fzp 0: W' = w; fzp 255: W' = w - 255.
		filter := make([]uint8, 5*ic)
		for o := range 5 {
			for i := range ic {
				if (o+i)%3 == 0 || fzp == 0 {
					filter[o*ic+i] = 255
				}
			}
		}
		q := quant(SchemeReference, 1, 0, []float32{1}, fzp, 1e6, 0, 5, FusedNone, false)
		runConvQ(t, &p, q, in, filter, []int32{1, -1, math.MaxInt32, math.MinInt32, 0})
	}
	assert.Nil(t, PrepackConvU8(&ConvParams{In: Shape4{1, 1, 1, maxPackedIC + 1}, Out: Shape4{1, 1, 1, 1}, KH: 1, KW: 1, StrideH: 1, StrideW: 1},
		&QuantConv{}, make([]uint8, maxPackedIC+1), nil), "prepacked weights for IC > maxPackedIC")
}

// float64 reference for the float kernels: the exact sum (up to float64
// rounding) of the same terms.
func convNaive64(p *ConvParams, in, filter, bias []float32) (sum, mag []float64) {
	n := p.Out.Size()
	sum, mag = make([]float64, n), make([]float64, n)
	ic, oc := p.In.C, p.Out.C
	for b := range p.In.N {
		for oy := range p.Out.H {
			for ox := range p.Out.W {
				for o := range oc {
					var s, m float64
					for ky := range p.KH {
						for kx := range p.KW {
							iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
							ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
							if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
								continue
							}
							for c := range ic {
								v := float64(in[((b*p.In.H+iy)*p.In.W+ix)*ic+c]) * float64(filter[((o*p.KH+ky)*p.KW+kx)*ic+c])
								s += v
								m += math.Abs(v)
							}
						}
					}
					if bias != nil {
						s += float64(bias[o])
						m += math.Abs(float64(bias[o]))
					}
					i := ((b*p.Out.H+oy)*p.Out.W+ox)*oc + o
					sum[i], mag[i] = s, m
				}
			}
		}
	}
	return sum, mag
}

// floatTol is the float kernels' tolerance against float64: 1e-5 relative
// to the larger of |result| and the sum of the terms' magnitudes (a float32
// sum of n terms errs by up to about n * 2^-24 times that sum; n <= 4*4*13
// here).
func floatClose(got float32, want, mag float64, lo, hi float32) bool {
	want = min(max(want, float64(lo)), float64(hi))
	return math.Abs(float64(got)-want) <= 1e-5*max(math.Abs(want), mag, 1e-30)
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestConvF32RandomVsFloat64(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := newRand(seed)
		p := randConvShape(r, seed%3 == 0)
		k := p.KH * p.KW * p.In.C
		in, filter := randFloats(r, p.In.Size()), randFloats(r, p.Out.C*k)
		var bias []float32
		if r.IntN(3) > 0 {
			bias = randFloats(r, p.Out.C)
		}
		lo, hi := FloatActivationRange(r.IntN(4))
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			got := runConvF32(t, &p, in, filter, bias, lo, hi)
			want, mag := convNaive64(&p, in, filter, bias)
			for i := range got {
				require.True(t, floatClose(got[i], want[i], mag[i], lo, hi), "out[%d] = %v, float64 %v", i, got[i], want[i])
			}
		})
		require.True(t, ok, "seed %d: %+v", seed, p)
	}
}

func TestConvZeroAllocs(t *testing.T) {
	p := convParams(Shape4{1, 8, 8, 16}, 16, 1, 1, 1, 1, 1, 1, false)
	p3 := convParams(Shape4{1, 8, 8, 3}, 8, 3, 3, 2, 2, 1, 1, true)
	q := quant(SchemeFP32, 0.02, 128, []float32{0.01}, 120, 0.05, 0, 16, FusedRelu6, false)
	qp := *q
	r := newRand(1)
	in, filter := randBytes[uint8](r, 8*8*16), randBytes[uint8](r, 16*16)
	qp.Packed = PrepackConvU8(&p, &qp, filter, nil)
	out := make([]uint8, 8*8*16)
	fin, ff, fout := randFloats(r, 8*8*16), randFloats(r, 16*16), make([]float32, 8*8*16)
	for name, f := range map[string]func(){
		"ConvU8 fast":   func() { ConvU8(&p, q, in, filter, nil, out) },
		"ConvU8 packed": func() { ConvU8(&p, &qp, in, filter, nil, out) },
		"ConvU8 3x3 s2": func() { ConvU8(&p3, q, in[:8*8*3], filter[:8*27], nil, out[:p3.Out.Size()]) },
		"ConvF32":       func() { ConvF32(&p, fin, ff, nil, fout, 0, 6) },
		"ConvU8 ref scheme": func() {
			q.Scheme = SchemeReference
			ConvU8(&p, q, in, filter, nil, out)
			q.Scheme = SchemeFP32
		},
	} {
		n := testing.AllocsPerRun(5, f)
		assert.Zero(t, n, "%s: allocations per run", name)
	}
}

func reportGMACs(b *testing.B, macs int) {
	b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

// benchConvQ benchmarks a quantized conv of the given shape.
func benchConvQ[T uint8 | int8](b *testing.B, p ConvParams, packed bool, scheme Scheme) {
	r := newRand(1)
	k := p.KH * p.KW * p.In.C
	signed := false
	var zero T
	if _, ok := any(zero).(int8); ok {
		signed = true
	}
	q, _ := randQuant(r, p.Out.C, k, signed)
	q.Scheme = scheme
	in, filter := randBytes[T](r, p.In.Size()), randBytes[T](r, p.Out.C*k)
	bias := make([]int32, p.Out.C)
	if packed {
		q.Packed = prepackConv(&p, q, filter, bias)
	}
	out := make([]T, p.Out.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		convQ(&p, q, in, filter, bias, out)
	}
	reportGMACs(b, p.Out.Size()*k)
}

// MobileNet V1 1.0 layer shapes.
var (
	pw14 = convParams(Shape4{1, 14, 14, 512}, 512, 1, 1, 1, 1, 1, 1, false)
	pw56 = convParams(Shape4{1, 56, 56, 128}, 128, 1, 1, 1, 1, 1, 1, false)
	pw7  = convParams(Shape4{1, 7, 7, 1024}, 1024, 1, 1, 1, 1, 1, 1, false)
	c1   = convParams(Shape4{1, 224, 224, 3}, 32, 3, 3, 2, 2, 1, 1, true)
)

func BenchmarkConvU8Pointwise14x14x512(b *testing.B) { benchConvQ[uint8](b, pw14, true, SchemeFP32) }
func BenchmarkConvU8Pointwise14x14x512Ref(b *testing.B) {
	benchConvQ[uint8](b, pw14, true, SchemeReference)
}
func BenchmarkConvU8Pointwise14x14x512Unpacked(b *testing.B) {
	benchConvQ[uint8](b, pw14, false, SchemeFP32)
}
func BenchmarkConvU8Pointwise56x56x128(b *testing.B) { benchConvQ[uint8](b, pw56, true, SchemeFP32) }
func BenchmarkConvU8Pointwise7x7x1024(b *testing.B)  { benchConvQ[uint8](b, pw7, true, SchemeFP32) }
func BenchmarkConvI8Pointwise14x14x512(b *testing.B) { benchConvQ[int8](b, pw14, true, SchemeFP32) }
func BenchmarkConvU8First224(b *testing.B)           { benchConvQ[uint8](b, c1, false, SchemeFP32) }

func BenchmarkConvF32Pointwise14x14x512(b *testing.B) {
	r := newRand(1)
	p := pw14
	in, filter, out := randFloats(r, p.In.Size()), randFloats(r, p.Out.C*p.In.C), make([]float32, p.Out.Size())
	b.ReportAllocs()
	for b.Loop() {
		ConvF32(&p, in, filter, nil, out, 0, 6)
	}
	reportGMACs(b, p.Out.Size()*p.In.C)
}

// TestPrepackedFilter unpacks prepacked weights of every channel-count
// tail (OC mod 4) and the extreme filter offsets back to the filter.
func TestPrepackedFilter(t *testing.T) {
	rng := newRand(17)
	for _, oc := range []int{1, 2, 3, 4, 5, 11} {
		for _, fo := range []int32{0, -128, -255} {
			ic := 1 + rng.IntN(40)
			f := make([]uint8, oc*ic)
			for i := range f {
				f[i] = uint8(rng.IntN(256))
			}
			q := &QuantConv{InputOffset: -3, FilterOffset: fo}
			pk := PrepackFullyConnectedU8(&FCParams{Batches: 1, In: ic, Out: oc}, q, f, nil)
			require.Equal(t, f, PrepackedFilter[uint8](pk, fo), "oc %d ic %d filter offset %d", oc, ic, fo)
			require.Equal(t, 16*((oc+3)/4)*ic+4*4*((oc+3)/4), pk.Bytes())
		}
	}
	f8 := []int8{-128, 127, 0, -1, 5, -7}
	pk := PrepackFullyConnectedI8(&FCParams{Batches: 1, In: 3, Out: 2}, &QuantConv{}, f8, nil)
	require.Equal(t, f8, PrepackedFilter[int8](pk, 0))
}
