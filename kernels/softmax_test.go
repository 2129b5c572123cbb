package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// Expected quantized outputs below come from three sources, each named at
// its test: the Android NNAPI conformance vectors for SOFTMAX (produced by
// the NN API reference CPU kernel, TFLite's fixed-point softmax), values
// worked out by hand from the formulas, and an independent re-implementation
// of the formulas in exact integer arithmetic (Python big integers, float32
// emulated by rounding after every operation), not derived from this code.

// mobileNetSoftmaxScale is the input scale of the SOFTMAX of
// mobilenet_v1_1.0_224_quant (its logits; zero point 66, beta 1).
const mobileNetSoftmaxScale = float32(0.16609922)

func softmaxU8(t *testing.T, scheme Scheme, scale, beta float32, in []uint8, rows int) []uint8 {
	t.Helper()
	p := NewSoftmaxParams(scheme, scale, beta, Quant{1.0 / 256, 0})
	out := make([]uint8, len(in))
	SoftmaxU8(p, in, out, rows, len(in)/rows)
	return out
}

func softmaxI8(t *testing.T, scheme Scheme, scale, beta float32, in []int8, rows int) []int8 {
	t.Helper()
	p := NewSoftmaxParams(scheme, scale, beta, Quant{1.0 / 256, -128})
	out := make([]int8, len(in))
	SoftmaxI8(p, in, out, rows, len(in)/rows)
	return out
}

func u8MinusOffset(in []uint8) []int8 {
	out := make([]int8, len(in))
	for i, v := range in {
		out[i] = int8(int32(v) - 128)
	}
	return out
}

var bothSchemes = []Scheme{SchemeFP32, SchemeReference}

func TestSoftmaxF32HandComputed(t *testing.T) {
	cases := []struct {
		name string
		in   []float32
		beta float32
		want []float32
	}{
		{"one two three", []float32{1, 2, 3}, 1, []float32{0.09003057, 0.24472847, 0.66524096}},
		// beta 0.5 on {0, 2}: 1/(1+e) and e/(1+e).
		{"beta half", []float32{0, 2}, 0.5, []float32{0.26894142, 0.73105858}},
		{"beta two", []float32{0, 1}, 2, []float32{0.11920292, 0.88079708}},
		{"ties", []float32{7, 7, 7, 7}, 1, []float32{0.25, 0.25, 0.25, 0.25}},
		// Subtracting the maximum keeps exp finite.
		{"large logits", []float32{1000, 1001}, 1, []float32{0.26894142, 0.73105858}},
		{"very negative", []float32{-1e30, 0}, 1, []float32{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := make([]float32, len(c.in))
			SoftmaxF32(c.in, out, 1, len(c.in), c.beta)
			for i := range out {
				// Tolerance: 1e-7 absolute, a few float32 ulps of values <= 1.
				assert.LessOrEqual(t, math.Abs(float64(out[i]-c.want[i])), 1e-7, "out[%d]", i)
			}
		})
	}
}

func TestSoftmaxF32RowsAreIndependent(t *testing.T) {
	in := []float32{1, 2, 3, 3, 2, 1}
	out := make([]float32, 6)
	SoftmaxF32(in, out, 2, 3, 1)
	for i := range 3 {
		assert.Equal(t, out[5-i], out[i], "row 0 %v is not row 1 %v reversed", out[:3], out[3:])
	}
}

// NNAPI conformance vectors (V1_0 softmax_quant8_1 and softmax_quant8_2):
// input scale 0.5, zero point 0.
func TestSoftmaxU8NNAPIVectors(t *testing.T) {
	for _, scheme := range bothSchemes {
		t.Run(scheme.String(), func(t *testing.T) {
			got := softmaxU8(t, scheme, 0.5, 1, []uint8{1, 2, 3, 4, 5, 255, 254, 253, 252, 251}, 2)
			want := []uint8{15, 24, 40, 67, 110, 110, 67, 40, 24, 15}
			assert.Equal(t, want, got, "beta 1")
			// beta close to 0: every class gets 1/4.
			got = softmaxU8(t, scheme, 0.5, 0.00001, []uint8{1, 2, 10, 20}, 1)
			assert.Equal(t, []uint8{64, 64, 64, 64}, got, "beta ~0")
		})
	}
}

func TestSoftmaxBetaTwo(t *testing.T) {
	// beta 2 doubles the effective input scale. Independent model:
	// {3, 8, 22, 60, 163} in both schemes.
	want := []uint8{3, 8, 22, 60, 163}
	for _, scheme := range bothSchemes {
		assert.Equal(t, want, softmaxU8(t, scheme, 0.5, 2, []uint8{1, 2, 3, 4, 5}, 1), "%v", scheme)
		// Same as beta 1 with twice the input scale.
		assert.Equal(t, want, softmaxU8(t, scheme, 1, 1, []uint8{1, 2, 3, 4, 5}, 1), "%v, scale 1", scheme)
	}
}

func TestSoftmaxTies(t *testing.T) {
	cases := []struct {
		name string
		in   []uint8
		want []uint8
	}{
		// Two ties: 256/2 = 128 exactly.
		{"two", []uint8{9, 9}, []uint8{128, 128}},
		// Three: 85.33 -> 85.
		{"three", []uint8{9, 9, 9}, []uint8{85, 85, 85}},
		{"four", []uint8{200, 200, 200, 200}, []uint8{64, 64, 64, 64}},
		// One class: 256 saturates to 255.
		{"single class", []uint8{42}, []uint8{255}},
	}
	for _, scheme := range bothSchemes {
		for _, c := range cases {
			t.Run(scheme.String()+"/"+c.name, func(t *testing.T) {
				assert.Equal(t, c.want, softmaxU8(t, scheme, 0.5, 1, c.in, 1), "uint8")
				want := u8MinusOffset(c.want)
				assert.Equal(t, want, softmaxI8(t, scheme, 0.5, 1, u8MinusOffset(c.in), 1), "int8")
			})
		}
	}
}

// 512 or more entries tied at the maximum push the reference kernel's
// output exponent past 31 (TFLite aborts there); every output is 0 in
// both schemes (256/600 < 1/2).
func TestSoftmaxManyTiesBeyond512(t *testing.T) {
	in := make([]uint8, 600)
	for _, scheme := range bothSchemes {
		got := softmaxU8(t, scheme, 0.5, 1, in, 1)
		assert.Equal(t, make([]uint8, len(in)), got, "%v", scheme)
	}
}

// A row of MobileNet logits near the top of the range (scale 0.166). The
// independent model gives the same bytes in both schemes.
func TestSoftmaxMobileNetScale(t *testing.T) {
	in := []uint8{250, 255, 254, 252, 245, 240, 255, 230, 66, 253}
	want := []uint8{23, 52, 44, 32, 10, 4, 52, 1, 0, 38}
	for _, scheme := range bothSchemes {
		assert.Equal(t, want, softmaxU8(t, scheme, mobileNetSoftmaxScale, 1, in, 1), "%v uint8", scheme)
		assert.Equal(t, u8MinusOffset(want), softmaxI8(t, scheme, mobileNetSoftmaxScale, 1, u8MinusOffset(in), 1), "%v int8", scheme)
	}
}

// The schemes are different arithmetic and can differ by one. Independent
// model: reference {2, 10, 72, 119, 44, 8}, fp32 {2, 10, 73, 119, 44, 8}
// (exact 72.73 of 256; the float table rounds it up, the fixed-point exp
// down).
func TestSoftmaxSchemesDiffer(t *testing.T) {
	in := []uint8{230, 240, 252, 255, 249, 239}
	assert.Equal(t, []uint8{2, 10, 72, 119, 44, 8}, softmaxU8(t, SchemeReference, mobileNetSoftmaxScale, 1, in, 1), "reference")
	assert.Equal(t, []uint8{2, 10, 73, 119, 44, 8}, softmaxU8(t, SchemeFP32, mobileNetSoftmaxScale, 1, in, 1), "fp32")
}

// Extreme input zero points do not matter: softmax sees differences only.
func TestSoftmaxShiftInvariant(t *testing.T) {
	a := []uint8{0, 1, 2, 3, 4}
	b := []uint8{251, 252, 253, 254, 255}
	for _, scheme := range bothSchemes {
		x, y := softmaxU8(t, scheme, 0.5, 1, a, 1), softmaxU8(t, scheme, 0.5, 1, b, 1)
		assert.Equal(t, y, x, "%v: %v at the bottom of the range, %v at the top", scheme, x, y)
	}
}

func TestSoftmaxReferenceParams(t *testing.T) {
	cases := []struct {
		scale     float32
		mult      int32
		leftShift int
		diffMin   int32
	}{
		// 0.5 * 2^26 = 2^25 = 0.5 * 2^26: multiplier 2^30, shift 26;
		// diff_min = -floor(31 * 2^26 / 2^26) = -31.
		{0.5, 1 << 30, 26, -31},
		// 1/16 * 2^26 = 2^22: shift 23, diff_min = -floor(31 * 8) = -248.
		{0.0625, 1 << 30, 23, -248},
		// MobileNet's logits: 0.16609922 * 2^26 = 0.6644 * 2^24;
		// round(0.6644 * 2^31) = 1426781440; diff_min = -floor(31*4).
		{mobileNetSoftmaxScale, 1426781440, 24, -124},
	}
	for _, c := range cases {
		p := NewSoftmaxParams(SchemeReference, c.scale, 1, Quant{1.0 / 256, 0})
		assert.Equal(t, c.mult, p.InputMultiplier, "scale %v: input multiplier", c.scale)
		assert.Equal(t, c.leftShift, p.InputLeftShift, "scale %v: input left shift", c.scale)
		assert.Equal(t, c.diffMin, p.DiffMin, "scale %v: diff_min", c.scale)
	}
}

func TestSoftmaxFP32Table(t *testing.T) {
	p := NewSoftmaxParams(SchemeFP32, 0.5, 1, Quant{1.0 / 256, 0})
	// table[255 - d] = expf(-0.5 * d): expf(0) = 1, expf(-0.5) rounds to
	// 0x3F1B4598 (0.60653067), expf(-1) to 0x3EBC5AB2 (0.36787945),
	// expf(-127.5) underflows to 0.
	checks := []struct {
		i    int
		bits uint32
	}{{255, 0x3F800000}, {254, 0x3F1B4598}, {253, 0x3EBC5AB2}, {0, 0}}
	for _, c := range checks {
		assert.Equal(t, c.bits, math.Float32bits(p.Table[c.i]), "Table[%d] bits (value %g)", c.i, p.Table[c.i])
	}
}

// The table must hold correctly rounded expf values (musl's expf, which the
// official runtime's wasm build uses, is correctly rounded): checked
// against exp computed to 256 bits for every quantized model's softmax
// input scale.
func TestSoftmaxTableIsCorrectlyRoundedExpf(t *testing.T) {
	for _, scale := range []float32{mobileNetSoftmaxScale, 0.15602964, 0.1464572, 0.13083284, 0.5, 0.0625} {
		p := NewSoftmaxParams(SchemeFP32, scale, 1, Quant{1.0 / 256, 0})
		for d := range 256 {
			x := -scale * float32(d)
			want, _ := bigExp(float64(x)).Float32()
			assert.Equal(t, math.Float32bits(want), math.Float32bits(p.Table[255-d]),
				"scale %v d %d: table %g, correctly rounded expf %g", scale, d, p.Table[255-d], want)
		}
	}
}

// bigExp returns exp(x) for -64 < x <= 0 to about 150 bits: the Taylor series of
// exp(x/2^10), squared ten times.
func bigExp(x float64) *big.Float {
	const prec = 160
	y := new(big.Float).SetPrec(prec).SetFloat64(x)
	y.Quo(y, new(big.Float).SetPrec(prec).SetInt64(1<<10))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for k := int64(1); k < 40; k++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(k))
		sum.Add(sum, term)
	}
	for range 10 {
		sum.Mul(sum, sum)
	}
	return sum
}

// QuantizeSoftmaxOutput: uint8 adds 0.5 in float32 and truncates, int8
// rounds exactly. They differ on 0.49999997 (0.5 - 2^-25), whose float32
// sum with 0.5 rounds to 1.
func TestSoftmaxQuantizeOutputRounding(t *testing.T) {
	p := math.Float32frombits(0x3EFFFFFF) // 0.49999997
	assert.Equal(t, int32(1), softmaxQuantizeU8(p), "uint8(0.49999997): float32 0.49999997 + 0.5 == 1")
	assert.Equal(t, int32(-128), softmaxQuantizeI8(p, -128), "int8(0.49999997)")
	for _, c := range []struct {
		p      float32
		u8, i8 int32
	}{{0, 0, -128}, {0.5, 1, -127}, {1.5, 2, -126}, {127.49, 127, -1}, {255.5, 256, 128}} {
		assert.Equal(t, c.u8, softmaxQuantizeU8(c.p), "uint8(%v)", c.p)
		assert.Equal(t, c.i8, softmaxQuantizeI8(c.p, -128), "int8(%v)", c.p)
	}
}

// In the reference scheme int8 is uint8 shifted by 128, input and output.
func TestSoftmaxReferenceInt8IsShiftedUint8(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		n := 1 + r.IntN(40)
		in := make([]uint8, n)
		base := r.IntN(256)
		for i := range in {
			in[i] = uint8(max(0, base-r.IntN(40)))
		}
		u := softmaxU8(t, SchemeReference, mobileNetSoftmaxScale, 1, in, 1)
		i8 := softmaxI8(t, SchemeReference, mobileNetSoftmaxScale, 1, u8MinusOffset(in), 1)
		require.Equal(t, u8MinusOffset(u), i8, "iteration %d, input %v: int8", iter, in)
	}
}

// Properties of both schemes on random MobileNet-like rows: the outputs
// sum to about 256, the arg max keeps the largest probability, and the
// schemes differ by at most one per byte.
func TestSoftmaxProperties(t *testing.T) {
	seed := uint64(7)
	r := rand.New(rand.NewPCG(seed, 0))
	pf := NewSoftmaxParams(SchemeFP32, mobileNetSoftmaxScale, 1, Quant{1.0 / 256, 0})
	pr := NewSoftmaxParams(SchemeReference, mobileNetSoftmaxScale, 1, Quant{1.0 / 256, 0})
	in := make([]uint8, 1001)
	of, or := make([]uint8, 1001), make([]uint8, 1001)
	for iter := range 50 {
		top := 100 + r.IntN(156)
		for i := range in {
			in[i] = uint8(max(0, top-r.IntN(120)))
		}
		SoftmaxU8(pf, in, of, 1, 1001)
		SoftmaxU8(pr, in, or, 1, 1001)
		for _, o := range [][]uint8{of, or} {
			sum := 0
			for _, v := range o {
				sum += int(v)
			}
			// Each byte is off by at most 1/2, but most are 0.
			assert.GreaterOrEqual(t, sum, 200, "seed %d iteration %d: outputs sum", seed, iter)
			assert.LessOrEqual(t, sum, 300, "seed %d iteration %d: outputs sum", seed, iter)
			am := slices.Index(in, slices.Max(in))
			assert.Equal(t, slices.Max(o), o[am], "seed %d iteration %d: the largest input's output is the largest", seed, iter)
		}
		for i := range of {
			assert.InDelta(t, int(or[i]), int(of[i]), 1, "seed %d iteration %d: fp32 and reference at %d", seed, iter, i)
		}
	}
}

// The goldens are softmax outputs of mobilenet_v1_1.0_224_quant; the
// logits behind them are not shared, but each golden row must be one that
// the fp32 scheme can produce from some logits: with the top class at
// difference 0 and t(d) = Table[255-d], every byte o > 0 needs a d with
// trunc(t(d)*inv + 0.5) = o, where inv = 256/sum, and the sum must be
// consistent with the bytes that are 0. This checks the table scale, the
// 1/256 output scale and the rounding against the official runtime.
func TestSoftmaxGoldensAreReachable(t *testing.T) {
	// The softmax input (logits) scale of each quantized model, from the
	// model files; beta is 1 in all of them.
	models := []struct {
		name  string
		scale float32
	}{
		{"mobilenet_v1_1.0_224_quant", mobileNetSoftmaxScale},
		{"mobilenet_v1_0.75_192_quant", 0.15602964},
		{"mobilenet_v1_0.5_160_quant", 0.1464572},
		{"mobilenet_v1_0.25_128_quant", 0.13083284},
	}
	dir := testdata.Dir(t)
	for _, m := range models {
		files, _ := filepath.Glob(filepath.Join(dir, "goldens", m.name, "*.out"))
		require.NotZero(t, len(files), "no goldens for %s under %s", m.name, dir)
		p := NewSoftmaxParams(SchemeFP32, m.scale, 1, Quant{1.0 / 256, 0})
		bad := 0
		for _, f := range files {
			golden, err := os.ReadFile(f)
			require.NoError(t, err)
			require.Len(t, golden, 1001, f)
			if !assert.True(t, softmaxRowReachable(p, golden), "%s/%s: no logits give this softmax output", m.name, filepath.Base(f)) {
				bad++
			}
		}
		t.Logf("%s: %d of %d golden rows reachable", m.name, len(files)-bad, len(files))
	}
}

// softmaxRowReachable reports whether some inv = 256/sum is consistent with
// every byte of row (see TestSoftmaxGoldensAreReachable). It intersects,
// over the distinct nonzero bytes o, the inv intervals in which some table
// value t gives trunc(t*inv + 0.5) = o, then samples the survivors for a
// sum that the bytes allow. Float32 rounding is covered by a 1e-6 relative
// slack.
func softmaxRowReachable(p *SoftmaxParams, row []uint8) bool {
	const slack = 1e-6
	var count [256]int
	for _, o := range row {
		count[o]++
	}
	top := slices.Max(row)
	type interval struct{ lo, hi float64 }
	ivs := []interval{{float64(top) - 0.5, float64(top) + 0.5}}
	if top == 255 { // 256 or more, clamped
		ivs[0].hi = 257
	}
	// reach returns the table values t with trunc(t*inv + 0.5) == o.
	reach := func(o int, tv, inv float64) bool {
		x := tv*inv + 0.5
		if o == 255 {
			return x >= 255*(1-slack)
		}
		return x >= float64(o)*(1-slack) && x < float64(o+1)*(1+slack)
	}
	for o := 1; o < 256; o++ {
		if count[o] == 0 {
			continue
		}
		var next []interval
		for d := range 256 {
			tv := float64(p.Table[255-d])
			if tv == 0 {
				continue
			}
			a, b := (float64(o)-0.5)/tv*(1-slack), (float64(o)+0.5)/tv*(1+slack)
			if o == 255 {
				b = math.Inf(1)
			}
			for _, iv := range ivs {
				if lo, hi := max(a, iv.lo), min(b, iv.hi); lo < hi {
					next = append(next, interval{lo, hi})
				}
			}
		}
		if ivs = next; len(ivs) == 0 {
			return false
		}
	}
	for _, iv := range ivs {
		for k := range 64 {
			inv := iv.lo + (iv.hi-iv.lo)*(float64(k)+0.5)/64
			minSum, maxSum, ok := 0.0, 0.0, true
			for o := range 256 {
				if count[o] == 0 {
					continue
				}
				tmin, tmax := math.Inf(1), -1.0
				for d := range 256 {
					if tv := float64(p.Table[255-d]); reach(o, tv, inv) {
						tmin, tmax = min(tmin, tv), max(tmax, tv)
					}
				}
				if tmax < 0 {
					if o != 0 {
						ok = false
						break
					}
					tmin, tmax = 0, 0
				}
				minSum += float64(count[o]) * tmin
				maxSum += float64(count[o]) * tmax
			}
			if sum := 256 / inv; ok && sum >= minSum*(1-slack) && sum <= maxSum*(1+slack) {
				return true
			}
		}
	}
	return false
}

func TestSoftmaxZeroAllocs(t *testing.T) {
	in := make([]uint8, 1001)
	out := make([]uint8, 1001)
	for _, scheme := range bothSchemes {
		p := NewSoftmaxParams(scheme, mobileNetSoftmaxScale, 1, Quant{1.0 / 256, 0})
		n := testing.AllocsPerRun(10, func() { SoftmaxU8(p, in, out, 1, 1001) })
		assert.Zero(t, n, "%v: allocations per run", scheme)
	}
	f := make([]float32, 1001)
	n := testing.AllocsPerRun(10, func() { SoftmaxF32(f, f, 1, 1001, 1) })
	assert.Zero(t, n, "float32: allocations per run")
}

func benchmarkSoftmaxU8(b *testing.B, scheme Scheme) {
	p := NewSoftmaxParams(scheme, mobileNetSoftmaxScale, 1, Quant{1.0 / 256, 0})
	r := rand.New(rand.NewPCG(1, 1))
	in := make([]uint8, 1001)
	for i := range in {
		in[i] = uint8(r.IntN(256))
	}
	out := make([]uint8, 1001)
	b.ReportAllocs()
	b.SetBytes(1001)
	for b.Loop() {
		SoftmaxU8(p, in, out, 1, 1001)
	}
}

// BenchmarkSoftmaxU8MobileNetFP32 is MobileNet's 1001-class softmax in the
// fp32 scheme.
func BenchmarkSoftmaxU8MobileNetFP32(b *testing.B) { benchmarkSoftmaxU8(b, SchemeFP32) }

// BenchmarkSoftmaxU8MobileNetReference is MobileNet's 1001-class softmax in
// the reference scheme.
func BenchmarkSoftmaxU8MobileNetReference(b *testing.B) { benchmarkSoftmaxU8(b, SchemeReference) }

// BenchmarkSoftmaxF32MobileNet is the float model's 1001-class softmax.
func BenchmarkSoftmaxF32MobileNet(b *testing.B) {
	in := make([]float32, 1001)
	for i := range in {
		in[i] = float32(i%37) * 0.25
	}
	out := make([]float32, 1001)
	b.ReportAllocs()
	for b.Loop() {
		SoftmaxF32(in, out, 1, 1001, 1)
	}
}
