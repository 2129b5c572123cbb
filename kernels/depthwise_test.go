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

// dwParams resolves padding like the engine does.
func dwParams(in Shape4, mult, kh, kw, sh, sw, dh, dw int, same bool) ConvParams {
	p := convParams(in, in.C*mult, kh, kw, sh, sw, dh, dw, same)
	p.DepthMultiplier = mult
	return p
}

func runDwF32(t *testing.T, p *ConvParams, in, filter, bias []float32, lo, hi float32) []float32 {
	t.Helper()
	ref := make([]float32, p.Out.Size())
	dwRefF32(p, in, filter, bias, ref, lo, hi)
	return requireKernel(t, "DepthwiseConvF32", ref, func(out []float32) { DepthwiseConvF32(p, in, filter, bias, out, lo, hi) })
}

// runDwQ runs the quantized depthwise conv, checks it against the
// reference nest and returns the result.
func runDwQ[T uint8 | int8](t *testing.T, p *ConvParams, q *QuantConv, in, filter []T, bias []int32) []T {
	t.Helper()
	ref := make([]T, p.Out.Size())
	dwRefQ(p, q, in, filter, bias, ref)
	requireKernel(t, "depthwise", ref, func(out []T) {
		switch in := any(in).(type) {
		case []uint8:
			DepthwiseConvU8(p, q, in, any(filter).([]uint8), bias, any(out).([]uint8))
		case []int8:
			DepthwiseConvI8(p, q, in, any(filter).([]int8), bias, any(out).([]int8))
		}
	})
	return ref
}

func TestDepthwiseF32HandComputed(t *testing.T) {
	// 3x3x2: channel 0 holds 1..9, channel 1 holds 10..90.
	in2 := make([]float32, 18)
	for i := range 9 {
		in2[2*i], in2[2*i+1] = float32(i+1), float32(10*(i+1))
	}
	f2 := make([]float32, 18) // 3x3 taps x 2 channels: 1 and 2
	for i := range 9 {
		f2[2*i], f2[2*i+1] = 1, 2
	}
	cases := []struct {
		name        string
		p           ConvParams
		in, f, bias []float32
		act         int
		want        []float32
	}{
		{"depth multiplier 2", dwParams(Shape4{1, 2, 2, 2}, 2, 2, 2, 1, 1, 1, 1, false),
			[]float32{1, 10, 2, 20, 3, 30, 4, 40},
			// taps (0,0) (0,1) (1,0) (1,1), each over output channels 0..3
			[]float32{1, 2, 3, 4, 1, 1, 1, 1, 0, 0, 1, 0, -1, 0, 0, 1}, nil, FusedNone,
			// oc0 = ic0*[1,1,0,-1] = 1+2-4; oc1 = ic0*[2,1,0,0] = 2+2;
			// oc2 = ic1*[3,1,1,0] = 30+20+30; oc3 = ic1*[4,1,0,1] = 40+20+40
			[]float32{-1, 4, 80, 100}},
		{"stride 2 SAME, two channels", dwParams(Shape4{1, 3, 3, 2}, 1, 3, 3, 2, 2, 1, 1, true), in2, f2, nil, FusedNone,
			// corner neighbourhood sums 12,16,24,28; channel 1: 2*10*those
			[]float32{12, 240, 16, 320, 24, 480, 28, 560}},
		{"SAME padding edges", dwParams(Shape4{1, 3, 3, 1}, 1, 3, 3, 1, 1, 1, 1, true), seq(1, 9), ones(9), nil, FusedNone,
			[]float32{12, 21, 16, 27, 45, 33, 24, 39, 28}},
		{"dilation 2", dwParams(Shape4{1, 3, 3, 1}, 1, 2, 2, 1, 1, 2, 2, false), seq(1, 9), []float32{1, 2, 3, 4}, nil, FusedNone,
			[]float32{64}},
		{"bias and ReLU6 clamp", dwParams(Shape4{1, 1, 2, 2}, 1, 1, 1, 1, 1, 1, 1, false),
			[]float32{1, 2, 3, -4}, []float32{2, 3}, []float32{0.5, 1}, FusedRelu6,
			// pixel 0: 2.5, 7 -> 6; pixel 1: 6.5 -> 6, -11 -> 0
			[]float32{2.5, 6, 6, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lo, hi := FloatActivationRange(c.act)
			assert.Equal(t, c.want, runDwF32(t, &c.p, c.in, c.f, c.bias, lo, hi))
		})
	}
}

func TestDepthwiseU8SamePaddingZeroPoint(t *testing.T) {
	// As TestConvU8SamePaddingZeroPoint: 3x3 ones (129, zero point 128) on
	// 128+1..128+9 (zero point 128), scale 1, output zero point 100.
	p := dwParams(Shape4{1, 3, 3, 1}, 1, 3, 3, 1, 1, 1, 1, true)
	in := make([]uint8, 9)
	for i := range in {
		in[i] = uint8(129 + i)
	}
	filter := slices.Repeat([]uint8{129}, 9)
	want := []uint8{112, 121, 116, 127, 145, 133, 124, 139, 128}
	for _, s := range []Scheme{SchemeFP32, SchemeReference} {
		q := quant(s, 0.5, 128, []float32{2}, 128, 1, 100, 1, FusedNone, false)
		assert.Equal(t, want, runDwQ(t, &p, q, in, filter, nil), "%v", s)
		// ReLU6 with scale 1, zero point 100: [100, 106].
		q = quant(s, 0.5, 128, []float32{2}, 128, 1, 100, 1, FusedRelu6, false)
		assert.Equal(t, slices.Repeat([]uint8{106}, 9), runDwQ(t, &p, q, in, filter, nil), "%v ReLU6", s)
	}
}

func TestDepthwiseI8PerChannel(t *testing.T) {
	// Inputs 3,-5 with zero point -1 -> 4,-4; filter 2,-3; scales 0.5*0.5
	// = 0.25 and 0.5*0.25 = 0.125; bias 4,-8.
	// ch0: 8 + 4 = 12 -> 3. ch1: 12 - 8 = 4 -> 0.5: fp32 0 (half to
	// even), reference SRDHM(4, 2^30) = 2, RDBPOT(2, 2) = 0.5 -> 1.
	p := dwParams(Shape4{1, 1, 1, 2}, 1, 1, 1, 1, 1, 1, 1, false)
	for _, c := range []struct {
		s    Scheme
		want []int8
	}{{SchemeFP32, []int8{3, 0}}, {SchemeReference, []int8{3, 1}}} {
		q := quant(c.s, 0.5, -1, []float32{0.5, 0.25}, 0, 1, 0, 2, FusedNone, true)
		assert.Equal(t, c.want, runDwQ(t, &p, q, []int8{3, -5}, []int8{2, -3}, []int32{4, -8}), "%v", c.s)
	}
}

func randDwShape(r *rand.Rand) ConvParams {
	for {
		in := Shape4{1 + r.IntN(2), 1 + r.IntN(10), 1 + r.IntN(10), 1 + r.IntN(20)}
		if r.IntN(4) == 0 {
			in.C = 1 + r.IntN(150) // several channel blocks, with a tail
		}
		mult := 1
		if r.IntN(3) == 0 {
			mult = 2 + r.IntN(3)
		}
		kh, kw := 3, 3
		if r.IntN(3) == 0 {
			kh, kw = 1+r.IntN(5), 1+r.IntN(5)
		}
		sh, sw := 1+r.IntN(2), 1+r.IntN(2)
		if r.IntN(5) == 0 {
			sh, sw = 3, 1+r.IntN(3)
		}
		dh, dw := 1, 1
		if r.IntN(4) == 0 {
			dh, dw = 1+r.IntN(3), 1+r.IntN(2)
		}
		p := dwParams(in, mult, kh, kw, sh, sw, dh, dw, r.IntN(2) == 0)
		if p.Out.H > 0 && p.Out.W > 0 {
			return p
		}
	}
}

func testDwRandom[T uint8 | int8](t *testing.T, signed bool) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := newRand(seed)
		p := randDwShape(r)
		q, desc := randQuant(r, p.Out.C, p.KH*p.KW, signed)
		in := randBytes[T](r, p.In.Size())
		filter := randBytes[T](r, p.KH*p.KW*p.Out.C)
		bias := randBias(r, p.Out.C)
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			runDwQ(t, &p, q, in, filter, bias)
		})
		require.True(t, ok, "seed %d: %+v %s", seed, p, desc)
	}
}

func TestDepthwiseU8RandomFastVsReference(t *testing.T) { testDwRandom[uint8](t, false) }
func TestDepthwiseI8RandomFastVsReference(t *testing.T) { testDwRandom[int8](t, true) }

func TestDepthwiseF32RandomVsFloat64(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		r := newRand(seed)
		p := randDwShape(r)
		in, filter := randFloats(r, p.In.Size()), randFloats(r, p.KH*p.KW*p.Out.C)
		var bias []float32
		if r.IntN(3) > 0 {
			bias = randFloats(r, p.Out.C)
		}
		lo, hi := FloatActivationRange(r.IntN(4))
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			got := runDwF32(t, &p, in, filter, bias, lo, hi)
			mult := p.DepthMultiplier
			for b := range p.Out.N {
				for oy := range p.Out.H {
					for ox := range p.Out.W {
						for o := range p.Out.C {
							var s, m float64
							for ky := range p.KH {
								for kx := range p.KW {
									iy := oy*p.StrideH - p.PadTop + ky*p.DilationH
									ix := ox*p.StrideW - p.PadLeft + kx*p.DilationW
									if iy < 0 || iy >= p.In.H || ix < 0 || ix >= p.In.W {
										continue
									}
									v := float64(in[((b*p.In.H+iy)*p.In.W+ix)*p.In.C+o/mult]) * float64(filter[(ky*p.KW+kx)*p.Out.C+o])
									s, m = s+v, m+math.Abs(v)
								}
							}
							if bias != nil {
								s, m = s+float64(bias[o]), m+math.Abs(float64(bias[o]))
							}
							i := ((b*p.Out.H+oy)*p.Out.W+ox)*p.Out.C + o
							require.True(t, floatClose(got[i], s, m, lo, hi), "out[%d] = %v, float64 %v", i, got[i], s)
						}
					}
				}
			}
		})
		require.True(t, ok, "seed %d: %+v", seed, p)
	}
}

func TestDepthwiseZeroAllocs(t *testing.T) {
	p := dwParams(Shape4{1, 8, 8, 16}, 1, 3, 3, 1, 1, 1, 1, true)
	p2 := dwParams(Shape4{1, 8, 8, 4}, 2, 3, 3, 2, 2, 1, 1, true)
	q := quant(SchemeReference, 0.02, 128, []float32{0.01}, 120, 0.05, 0, 16, FusedRelu6, false)
	r := newRand(1)
	in, filter, out := randBytes[uint8](r, 8*8*16), randBytes[uint8](r, 9*16), make([]uint8, 8*8*16)
	fin, ff, fout := randFloats(r, 8*8*16), randFloats(r, 9*16), make([]float32, 8*8*16)
	for name, f := range map[string]func(){
		"DepthwiseConvU8":        func() { DepthwiseConvU8(&p, q, in, filter, nil, out) },
		"DepthwiseConvU8 mult 2": func() { DepthwiseConvU8(&p2, q, in[:8*8*4], filter[:9*8], nil, out[:p2.Out.Size()]) },
		"DepthwiseConvF32":       func() { DepthwiseConvF32(&p, fin, ff, nil, fout, 0, 6) },
	} {
		n := testing.AllocsPerRun(5, f)
		assert.Zero(t, n, "%s: allocations per run", name)
	}
}

func benchDwU8(b *testing.B, p ConvParams, scheme Scheme) {
	r := newRand(1)
	q, _ := randQuant(r, p.Out.C, p.KH*p.KW, false)
	q.Scheme = scheme
	in, filter := randBytes[uint8](r, p.In.Size()), randBytes[uint8](r, p.KH*p.KW*p.Out.C)
	bias := make([]int32, p.Out.C)
	out := make([]uint8, p.Out.Size())
	b.ReportAllocs()
	for b.Loop() {
		DepthwiseConvU8(&p, q, in, filter, bias, out)
	}
	reportGMACs(b, p.Out.Size()*p.KH*p.KW)
}

var (
	dw14  = dwParams(Shape4{1, 14, 14, 512}, 1, 3, 3, 1, 1, 1, 1, true)
	dw112 = dwParams(Shape4{1, 112, 112, 64}, 1, 3, 3, 2, 2, 1, 1, true)
)

func BenchmarkDepthwiseU8_3x3_14x14x512(b *testing.B)    { benchDwU8(b, dw14, SchemeFP32) }
func BenchmarkDepthwiseU8_3x3_14x14x512Ref(b *testing.B) { benchDwU8(b, dw14, SchemeReference) }
func BenchmarkDepthwiseU8_3x3s2_112x112x64(b *testing.B) { benchDwU8(b, dw112, SchemeFP32) }

func BenchmarkDepthwiseF32_3x3_14x14x512(b *testing.B) {
	r := newRand(1)
	p := dw14
	in, filter, out := randFloats(r, p.In.Size()), randFloats(r, 9*p.Out.C), make([]float32, p.Out.Size())
	b.ReportAllocs()
	for b.Loop() {
		DepthwiseConvF32(&p, in, filter, nil, out, 0, 6)
	}
	reportGMACs(b, p.Out.Size()*9)
}
