package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// poolSame3x3 is a 3x3 filter, stride 1, SAME padding (1 on every side)
// over a 1x3x3xC input: corner windows hold 4 taps, edge windows 6, the
// centre 9.
func poolSame3x3(c int) *PoolParams {
	s := Shape4{N: 1, H: 3, W: 3, C: c}
	return &PoolParams{In: s, Out: s, FilterH: 3, FilterW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadLeft: 1}
}

func TestAveragePoolU8RoundsHalfUp(t *testing.T) {
	// One 2x2 VALID window per channel: sums 7, 5, 6, 2 over 4 taps.
	p := &PoolParams{In: Shape4{1, 2, 2, 4}, Out: Shape4{1, 1, 1, 4}, FilterH: 2, FilterW: 2, StrideH: 2, StrideW: 2}
	in := []uint8{
		1, 1, 1, 0, // (0,0) for channels 0..3
		2, 1, 1, 0,
		2, 1, 2, 1,
		2, 2, 2, 1,
	}
	out := make([]uint8, 4)
	AveragePoolU8(p, in, out, 0, 255)
	// 7/4 = 1.75 -> 2; 5/4 = 1.25 -> 1; 6/4 = 1.5 -> 2 (half up);
	// 2/4 = 0.5 -> 1 (half up).
	assert.Equal(t, []uint8{2, 1, 2, 1}, out)
}

func TestAveragePoolI8RoundsHalfAwayFromZero(t *testing.T) {
	p := &PoolParams{In: Shape4{1, 2, 2, 4}, Out: Shape4{1, 1, 1, 4}, FilterH: 2, FilterW: 2, StrideH: 2, StrideW: 2}
	in := []int8{
		-1, 1, -1, -1,
		-1, 1, -1, -1,
		-2, 2, -1, -1,
		-2, 2, -2, -3,
	}
	out := make([]int8, 4)
	AveragePoolI8(p, in, out, -128, 127)
	// -6/4 = -1.5 -> -2 (away from zero); 6/4 = 1.5 -> 2;
	// -5/4 = -1.25 -> -1 (C division truncates -7/4); -6/4 -> -2.
	assert.Equal(t, []int8{-2, 2, -1, -2}, out)
}

// Padding taps are skipped, not averaged in as zeros: each window divides
// by its own count of in-bounds taps.
func TestAveragePoolSamePaddingPartialWindows(t *testing.T) {
	p := poolSame3x3(1)
	// Windows: corners 1,2,4,5 = 12/4; top edge 1..6 = 21/6 = 3.5;
	// 2,3,5,6 = 16/4; left edge 27/6 = 4.5; centre 45/9; right edge 33/6
	// = 5.5; 24/4; bottom edge 39/6 = 6.5; 28/4.
	wantF := []float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}
	inF := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	outF := make([]float32, 9)
	AveragePoolF32(p, inF, outF, float32(math.Inf(-1)), float32(math.Inf(1)))
	assert.Equal(t, wantF, outF, "float32")
	inU := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	outU := make([]uint8, 9)
	AveragePoolU8(p, inU, outU, 0, 255)
	assert.Equal(t, []uint8{3, 4, 4, 5, 5, 6, 6, 7, 7}, outU, "uint8")
	inI := []int8{-1, -2, -3, -4, -5, -6, -7, -8, -9}
	outI := make([]int8, 9)
	AveragePoolI8(p, inI, outI, -128, 127)
	assert.Equal(t, []int8{-3, -4, -4, -5, -5, -6, -6, -7, -7}, outI, "int8")
}

func TestAveragePoolActivationClamp(t *testing.T) {
	p := poolSame3x3(1)
	in := []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	out := make([]uint8, 9)
	AveragePoolU8(p, in, out, 4, 6) // e.g. RELU6's range in some quantization
	assert.Equal(t, []uint8{4, 4, 4, 5, 5, 6, 6, 6, 6}, out, "uint8")
	inF := []float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}
	outF := make([]float32, 9)
	AveragePoolF32(p, inF, outF, -5, 0)
	assert.Equal(t, []float32{-3, -3.5, -4, -4.5, -5, -5, -5, -5, -5}, outF, "float32")
}

// MobileNet's head: a 7x7 VALID average pool (stride 2) to 1x1.
func TestAveragePoolMobileNetGlobal7x7(t *testing.T) {
	p := &PoolParams{In: Shape4{1, 7, 7, 4}, Out: Shape4{1, 1, 1, 4}, FilterH: 7, FilterW: 7, StrideH: 2, StrideW: 2}
	in := make([]uint8, 7*7*4)
	for i := 0; i < 49; i++ {
		in[i*4] = 255 // channel 0: all 255
	}
	in[1] = 24                // channel 1: one 24: 24/49 < 1/2 -> 0
	in[2] = 25                // channel 2: one 25: 25/49 > 1/2 -> 1
	for i := 0; i < 49; i++ { // channel 3: 0..48, sum 1176 = 24*49 -> 24
		in[i*4+3] = uint8(i)
	}
	out := make([]uint8, 4)
	AveragePoolU8(p, in, out, 0, 255)
	assert.Equal(t, []uint8{255, 0, 1, 24}, out)
}

func TestAveragePoolStride2TwoBatches(t *testing.T) {
	// 2x4x4x1 input, 2x2 windows, stride 2: four windows per batch.
	p := &PoolParams{In: Shape4{2, 4, 4, 1}, Out: Shape4{2, 2, 2, 1}, FilterH: 2, FilterW: 2, StrideH: 2, StrideW: 2}
	in := make([]uint8, 32)
	for i := range in {
		in[i] = uint8(i)
	}
	out := make([]uint8, 8)
	AveragePoolU8(p, in, out, 0, 255)
	// Batch 0 window (0,0): 0,1,4,5 = 10/4 = 2.5 -> 3; (0,1): 2,3,6,7 =
	// 18/4 = 4.5 -> 5; (1,0): 8,9,12,13 = 42/4 -> 11; (1,1): 50/4 -> 13.
	// Batch 1 adds 16 to every tap.
	assert.Equal(t, []uint8{3, 5, 11, 13, 19, 21, 27, 29}, out)
}

// Padding taps never win a max: an all-negative input stays negative.
func TestMaxPoolSamePaddingIgnoresPadding(t *testing.T) {
	p := poolSame3x3(1)
	inF := []float32{-9, -8, -7, -6, -5, -4, -3, -2, -1}
	outF := make([]float32, 9)
	MaxPoolF32(p, inF, outF, float32(math.Inf(-1)), float32(math.Inf(1)))
	assert.Equal(t, []float32{-5, -4, -4, -2, -1, -1, -2, -1, -1}, outF, "float32")
	inI := []int8{-100, -99, -98, -97, -96, -95, -94, -93, -92}
	outI := make([]int8, 9)
	MaxPoolI8(p, inI, outI, -128, 127)
	assert.Equal(t, []int8{-96, -95, -95, -93, -92, -92, -93, -92, -92}, outI, "int8")
	inU := []uint8{9, 8, 7, 6, 5, 4, 3, 2, 1}
	outU := make([]uint8, 9)
	MaxPoolU8(p, inU, outU, 0, 255)
	assert.Equal(t, []uint8{9, 9, 8, 9, 9, 8, 6, 6, 5}, outU, "uint8")
}

func TestMaxPoolClampAndChannels(t *testing.T) {
	// 2x2 window, stride 2, two channels; clamp to [3, 200] (uint8) and
	// [0, 6] (float32, RELU6).
	p := &PoolParams{In: Shape4{1, 2, 2, 2}, Out: Shape4{1, 1, 1, 2}, FilterH: 2, FilterW: 2, StrideH: 2, StrideW: 2}
	inU := []uint8{1, 250, 2, 100, 0, 7, 1, 201}
	outU := make([]uint8, 2)
	MaxPoolU8(p, inU, outU, 3, 200)
	assert.Equal(t, []uint8{3, 200}, outU, "uint8")
	inF := []float32{-1, 7.5, -2, 1, -0.5, 3, -3, 2}
	outF := make([]float32, 2)
	MaxPoolF32(p, inF, outF, 0, 6)
	assert.Equal(t, []float32{0, 6}, outF, "float32")
	inI := []int8{-128, 5, -127, 127, -128, 0, -128, -3}
	outI := make([]int8, 2)
	MaxPoolI8(p, inI, outI, -128, 127)
	assert.Equal(t, []int8{-127, 127}, outI, "int8")
}

// Random shapes (filters from 1x1 to 7x7, strides 1 to 3) against a
// direct per-output evaluation of the definition (window clamped to the
// input, rounded average), int8 and uint8.
func TestAveragePoolRandomAgainstDefinition(t *testing.T) {
	seed := uint64(3)
	r := rand.New(rand.NewPCG(seed, 0))
	for iter := range 200 {
		p := &PoolParams{
			In:      Shape4{1 + r.IntN(2), 1 + r.IntN(9), 1 + r.IntN(9), 1 + r.IntN(5)},
			FilterH: 1 + r.IntN(7), FilterW: 1 + r.IntN(7),
			StrideH: 1 + r.IntN(3), StrideW: 1 + r.IntN(3),
		}
		p.PadTop, p.PadLeft = r.IntN(p.FilterH), r.IntN(p.FilterW)
		p.Out = Shape4{p.In.N, (p.In.H+p.PadTop-1)/p.StrideH + 1, (p.In.W+p.PadLeft-1)/p.StrideW + 1, p.In.C}
		in := make([]int8, p.In.Size())
		for i := range in {
			in[i] = int8(r.IntN(256) - 128)
		}
		out := make([]int8, p.Out.Size())
		AveragePoolI8(p, in, out, -128, 127)
		// The same bytes as uint8 (x + 128): the sums shift by 128 per tap,
		// and uint8 ties round up where int8's negative ties round down.
		inU := make([]uint8, len(in))
		for i, v := range in {
			inU[i] = uint8(int32(v) + 128)
		}
		outU := make([]uint8, p.Out.Size())
		AveragePoolU8(p, inU, outU, 0, 255)
		for b := range p.Out.N {
			for oy := range p.Out.H {
				for ox := range p.Out.W {
					for c := range p.Out.C {
						sum, n := 0, 0
						for y := oy*p.StrideH - p.PadTop; y < oy*p.StrideH-p.PadTop+p.FilterH; y++ {
							for x := ox*p.StrideW - p.PadLeft; x < ox*p.StrideW-p.PadLeft+p.FilterW; x++ {
								if y >= 0 && y < p.In.H && x >= 0 && x < p.In.W {
									sum += int(in[((b*p.In.H+y)*p.In.W+x)*p.In.C+c])
									n++
								}
							}
						}
						i := ((b*p.Out.H+oy)*p.Out.W+ox)*p.Out.C + c
						want := int8(math.Round(float64(sum) / float64(n))) // half away from zero
						require.Equal(t, want, out[i], "seed %d iteration %d %+v: int8 out[%d,%d,%d,%d]", seed, iter, *p, b, oy, ox, c)
						wantU := uint8(math.Floor(float64(sum+128*n)/float64(n) + 0.5)) // half up
						require.Equal(t, wantU, outU[i], "seed %d iteration %d %+v: uint8 out[%d,%d,%d,%d]", seed, iter, *p, b, oy, ox, c)
					}
				}
			}
		}
	}
}

func TestPoolZeroAllocs(t *testing.T) {
	p := mobileNetPool()
	in := make([]uint8, p.In.Size())
	out := make([]uint8, p.Out.Size())
	n := testing.AllocsPerRun(10, func() { AveragePoolU8(p, in, out, 0, 255) })
	assert.Zero(t, n, "AveragePoolU8: allocations per run")
	n = testing.AllocsPerRun(10, func() { MaxPoolU8(p, in, out, 0, 255) })
	assert.Zero(t, n, "MaxPoolU8: allocations per run")
}

// mobileNetPool is mobilenet_v1_1.0_224_quant's AVERAGE_POOL_2D.
func mobileNetPool() *PoolParams {
	return &PoolParams{In: Shape4{1, 7, 7, 1024}, Out: Shape4{1, 1, 1, 1024}, FilterH: 7, FilterW: 7, StrideH: 2, StrideW: 2}
}

// BenchmarkAveragePoolU8MobileNet7x7x1024 is MobileNet's 7x7 global average
// pool over 1024 channels.
func BenchmarkAveragePoolU8MobileNet7x7x1024(b *testing.B) {
	p := mobileNetPool()
	in := make([]uint8, p.In.Size())
	for i := range in {
		in[i] = uint8(i * 7)
	}
	out := make([]uint8, p.Out.Size())
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		AveragePoolU8(p, in, out, 0, 255)
	}
}

// BenchmarkAveragePoolF32MobileNet7x7x256 is the float 0.25 model's global
// average pool (7x7x256).
func BenchmarkAveragePoolF32MobileNet7x7x256(b *testing.B) {
	p := &PoolParams{In: Shape4{1, 7, 7, 256}, Out: Shape4{1, 1, 1, 256}, FilterH: 7, FilterW: 7, StrideH: 2, StrideW: 2}
	in := make([]float32, p.In.Size())
	out := make([]float32, p.Out.Size())
	b.ReportAllocs()
	for b.Loop() {
		AveragePoolF32(p, in, out, float32(math.Inf(-1)), float32(math.Inf(1)))
	}
}
