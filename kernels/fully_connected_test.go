package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runFCF32(t *testing.T, fp *FCParams, in, w, bias []float32, lo, hi float32) []float32 {
	t.Helper()
	ref := make([]float32, fp.Batches*fp.Out)
	fcRefF32(fp, in, w, bias, ref, lo, hi)
	return requireKernel(t, "FullyConnectedF32", ref, func(out []float32) { FullyConnectedF32(fp, in, w, bias, out, lo, hi) })
}

// runFCQ runs the unpacked and the prepacked kernel and the reference nest.
func runFCQ[T uint8 | int8](t *testing.T, fp *FCParams, q *QuantConv, in, w []T, bias []int32) []T {
	t.Helper()
	ref := make([]T, fp.Batches*fp.Out)
	fcRefQ(fp, q, in, w, bias, ref)
	qp := *q
	switch w := any(w).(type) {
	case []uint8:
		qp.Packed = PrepackFullyConnectedU8(fp, &qp, w, bias)
	case []int8:
		qp.Packed = PrepackFullyConnectedI8(fp, &qp, w, bias)
	}
	for _, qq := range []*QuantConv{q, &qp} {
		requireKernel(t, fmt.Sprintf("fully connected (packed %v)", qq.Packed != nil), ref, func(out []T) {
			switch in := any(in).(type) {
			case []uint8:
				FullyConnectedU8(fp, qq, in, any(w).([]uint8), bias, any(out).([]uint8))
			case []int8:
				FullyConnectedI8(fp, qq, in, any(w).([]int8), bias, any(out).([]int8))
			}
		})
	}
	return ref
}

func TestFullyConnectedF32HandComputed(t *testing.T) {
	fp := FCParams{Batches: 2, In: 3, Out: 2}
	in := []float32{1, 2, 3, -1, 0, 1}
	w := []float32{1, 0, -1, 2, 1, 0}
	// batch 0: 1-3+0.5 = -1.5, 2+2 = 4; batch 1: -1-1+0.5 = -1.5, -2
	lo, hi := FloatActivationRange(FusedNone)
	assert.Equal(t, []float32{-1.5, 4, -1.5, -2}, runFCF32(t, &fp, in, w, []float32{0.5, 0}, lo, hi))
	lo, hi = FloatActivationRange(FusedRelu)
	assert.Equal(t, []float32{0, 4, 0, 0}, runFCF32(t, &fp, in, w, nil, lo, hi), "ReLU, no bias")
}

func TestFullyConnectedU8HandComputed(t *testing.T) {
	// Input zero point 128, weights zero point 128, scale 0.5*0.5/1 =
	// 0.25, output zero point 128. x+io = 2,-2,4; w+fo rows: 1,1,1 and
	// 3,-1,0. acc: 4 (+6 bias) = 10 -> 2.5; 6+2 (+6) = 14 -> 3.5.
	fp := FCParams{Batches: 1, In: 3, Out: 2}
	in := []uint8{130, 126, 132}
	w := []uint8{129, 129, 129, 131, 127, 128}
	for _, c := range []struct {
		s    Scheme
		want []uint8
	}{
		{SchemeFP32, []uint8{130, 132}},      // 2.5 -> 2, 3.5 -> 4 (half to even)
		{SchemeReference, []uint8{131, 132}}, // 2.5 -> 3, 3.5 -> 4 (half away)
	} {
		q := quant(c.s, 0.5, 128, []float32{0.5}, 128, 1, 128, 2, FusedNone, false)
		assert.Equal(t, c.want, runFCQ(t, &fp, q, in, w, []int32{6, 6}), "%v", c.s)
	}
}

func TestFullyConnectedI8PerChannel(t *testing.T) {
	// x+io = 4,-4 (zero point -1); rows 2,1 and -3,5; scales 0.25, 0.125;
	// bias 4,-8: 8 -> 2, -40 -> -5 (see TestConvI8PerChannel).
	fp := FCParams{Batches: 1, In: 2, Out: 2}
	for _, s := range []Scheme{SchemeFP32, SchemeReference} {
		q := quant(s, 0.5, -1, []float32{0.5, 0.25}, 0, 1, 0, 2, FusedNone, true)
		assert.Equal(t, []int8{2, -5}, runFCQ(t, &fp, q, []int8{3, -5}, []int8{2, 1, -3, 5}, []int32{4, -8}), "%v", s)
	}
}

func testFCRandom[T uint8 | int8](t *testing.T, signed bool) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := newRand(seed)
		fp := FCParams{Batches: 1 + r.IntN(6), In: 1 + r.IntN(70), Out: 1 + r.IntN(30)}
		if r.IntN(5) == 0 {
			fp.In = 1 + r.IntN(1100)
		}
		q, desc := randQuant(r, fp.Out, fp.In, signed)
		in, w := randBytes[T](r, fp.Batches*fp.In), randBytes[T](r, fp.Out*fp.In)
		bias := randBias(r, fp.Out)
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runFCQ(t, &fp, q, in, w, bias) })
		require.True(t, ok, "seed %d: %+v %s", seed, fp, desc)
	}
}

func TestFullyConnectedU8Random(t *testing.T) { testFCRandom[uint8](t, false) }
func TestFullyConnectedI8Random(t *testing.T) { testFCRandom[int8](t, true) }

func TestFullyConnectedF32RandomVsFloat64(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := newRand(seed)
		fp := FCParams{Batches: 1 + r.IntN(4), In: 1 + r.IntN(200), Out: 1 + r.IntN(30)}
		in, w := randFloats(r, fp.Batches*fp.In), randFloats(r, fp.Out*fp.In)
		var bias []float32
		if r.IntN(3) > 0 {
			bias = randFloats(r, fp.Out)
		}
		lo, hi := FloatActivationRange(r.IntN(4))
		ok := t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			got := runFCF32(t, &fp, in, w, bias, lo, hi)
			for b := range fp.Batches {
				for o := range fp.Out {
					var s, m float64
					for i := range fp.In {
						v := float64(in[b*fp.In+i]) * float64(w[o*fp.In+i])
						s, m = s+v, m+math.Abs(v)
					}
					if bias != nil {
						s, m = s+float64(bias[o]), m+math.Abs(float64(bias[o]))
					}
					require.True(t, floatClose(got[b*fp.Out+o], s, m, lo, hi), "out[%d][%d] = %v, float64 %v", b, o, got[b*fp.Out+o], s)
				}
			}
		})
		require.True(t, ok, "seed %d: %+v", seed, fp)
	}
}

func TestFullyConnectedZeroAllocs(t *testing.T) {
	fp := FCParams{Batches: 1, In: 1024, Out: 1001}
	r := newRand(1)
	q := quant(SchemeFP32, 0.02, 0, []float32{0.01}, 120, 0.05, 70, fp.Out, FusedNone, false)
	in, w, out := randBytes[uint8](r, fp.In), randBytes[uint8](r, fp.In*fp.Out), make([]uint8, fp.Out)
	qp := *q
	qp.Packed = PrepackFullyConnectedU8(&fp, &qp, w, nil)
	fin, fw, fout := randFloats(r, fp.In), randFloats(r, fp.In*fp.Out), make([]float32, fp.Out)
	for name, f := range map[string]func(){
		"FullyConnectedU8":        func() { FullyConnectedU8(&fp, q, in, w, nil, out) },
		"FullyConnectedU8 packed": func() { FullyConnectedU8(&fp, &qp, in, w, nil, out) },
		"FullyConnectedF32":       func() { FullyConnectedF32(&fp, fin, fw, nil, fout, 0, 6) },
	} {
		n := testing.AllocsPerRun(5, f)
		assert.Zero(t, n, "%s: allocations per run", name)
	}
}

// The MobileNet head: 1024 -> 1001 logits, one image.
func BenchmarkFullyConnectedU8Head(b *testing.B) {
	fp := FCParams{Batches: 1, In: 1024, Out: 1001}
	r := newRand(1)
	q, _ := randQuant(r, fp.Out, fp.In, false)
	in, w, out := randBytes[uint8](r, fp.In), randBytes[uint8](r, fp.In*fp.Out), make([]uint8, fp.Out)
	q.Packed = PrepackFullyConnectedU8(&fp, q, w, nil)
	b.ReportAllocs()
	for b.Loop() {
		FullyConnectedU8(&fp, q, in, w, nil, out)
	}
	reportGMACs(b, fp.In*fp.Out)
}
