package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

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
				if math.Abs(float64(out[i]-c.want[i])) > 1e-7 {
					t.Errorf("out[%d] = %.9g, want %.9g", i, out[i], c.want[i])
				}
			}
		})
	}
}

func TestSoftmaxF32RowsAreIndependent(t *testing.T) {
	in := []float32{1, 2, 3, 3, 2, 1}
	out := make([]float32, 6)
	SoftmaxF32(in, out, 2, 3, 1)
	for i := range 3 {
		if out[i] != out[5-i] {
			t.Errorf("row 0 %v is not row 1 %v reversed", out[:3], out[3:])
		}
	}
}

// NNAPI conformance vectors (V1_0 softmax_quant8_1 and softmax_quant8_2):
// input scale 0.5, zero point 0.
func TestSoftmaxU8NNAPIVectors(t *testing.T) {
	for _, scheme := range bothSchemes {
		t.Run(scheme.String(), func(t *testing.T) {
			got := softmaxU8(t, scheme, 0.5, 1, []uint8{1, 2, 3, 4, 5, 255, 254, 253, 252, 251}, 2)
			want := []uint8{15, 24, 40, 67, 110, 110, 67, 40, 24, 15}
			if !slices.Equal(got, want) {
				t.Errorf("beta 1: got %v, want %v", got, want)
			}
			// beta close to 0: every class gets 1/4.
			got = softmaxU8(t, scheme, 0.5, 0.00001, []uint8{1, 2, 10, 20}, 1)
			if want := []uint8{64, 64, 64, 64}; !slices.Equal(got, want) {
				t.Errorf("beta ~0: got %v, want %v", got, want)
			}
		})
	}
}

func TestSoftmaxBetaTwo(t *testing.T) {
	// beta 2 doubles the effective input scale. Independent model:
	// {3, 8, 22, 60, 163} in both schemes.
	want := []uint8{3, 8, 22, 60, 163}
	for _, scheme := range bothSchemes {
		if got := softmaxU8(t, scheme, 0.5, 2, []uint8{1, 2, 3, 4, 5}, 1); !slices.Equal(got, want) {
			t.Errorf("%v: got %v, want %v", scheme, got, want)
		}
		// Same as beta 1 with twice the input scale.
		if got := softmaxU8(t, scheme, 1, 1, []uint8{1, 2, 3, 4, 5}, 1); !slices.Equal(got, want) {
			t.Errorf("%v, scale 1: got %v, want %v", scheme, got, want)
		}
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
				if got := softmaxU8(t, scheme, 0.5, 1, c.in, 1); !slices.Equal(got, c.want) {
					t.Errorf("uint8: got %v, want %v", got, c.want)
				}
				want := u8MinusOffset(c.want)
				if got := softmaxI8(t, scheme, 0.5, 1, u8MinusOffset(c.in), 1); !slices.Equal(got, want) {
					t.Errorf("int8: got %v, want %v", got, want)
				}
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
		if slices.ContainsFunc(got, func(v uint8) bool { return v != 0 }) {
			t.Errorf("%v: got nonzero outputs %v", scheme, got[:8])
		}
	}
}

// A row of MobileNet logits near the top of the range (scale 0.166). The
// independent model gives the same bytes in both schemes.
func TestSoftmaxMobileNetScale(t *testing.T) {
	in := []uint8{250, 255, 254, 252, 245, 240, 255, 230, 66, 253}
	want := []uint8{23, 52, 44, 32, 10, 4, 52, 1, 0, 38}
	for _, scheme := range bothSchemes {
		if got := softmaxU8(t, scheme, mobileNetSoftmaxScale, 1, in, 1); !slices.Equal(got, want) {
			t.Errorf("%v uint8: got %v, want %v", scheme, got, want)
		}
		if got, want := softmaxI8(t, scheme, mobileNetSoftmaxScale, 1, u8MinusOffset(in), 1), u8MinusOffset(want); !slices.Equal(got, want) {
			t.Errorf("%v int8: got %v, want %v", scheme, got, want)
		}
	}
}

// The schemes are different arithmetic and can differ by one. Independent
// model: reference {2, 10, 72, 119, 44, 8}, fp32 {2, 10, 73, 119, 44, 8}
// (exact 72.73 of 256; the float table rounds it up, the fixed-point exp
// down).
func TestSoftmaxSchemesDiffer(t *testing.T) {
	in := []uint8{230, 240, 252, 255, 249, 239}
	if got, want := softmaxU8(t, SchemeReference, mobileNetSoftmaxScale, 1, in, 1), []uint8{2, 10, 72, 119, 44, 8}; !slices.Equal(got, want) {
		t.Errorf("reference: got %v, want %v", got, want)
	}
	if got, want := softmaxU8(t, SchemeFP32, mobileNetSoftmaxScale, 1, in, 1), []uint8{2, 10, 73, 119, 44, 8}; !slices.Equal(got, want) {
		t.Errorf("fp32: got %v, want %v", got, want)
	}
}

// Extreme input zero points do not matter: softmax sees differences only.
func TestSoftmaxShiftInvariant(t *testing.T) {
	a := []uint8{0, 1, 2, 3, 4}
	b := []uint8{251, 252, 253, 254, 255}
	for _, scheme := range bothSchemes {
		if x, y := softmaxU8(t, scheme, 0.5, 1, a, 1), softmaxU8(t, scheme, 0.5, 1, b, 1); !slices.Equal(x, y) {
			t.Errorf("%v: %v at the bottom of the range, %v at the top", scheme, x, y)
		}
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
		if p.InputMultiplier != c.mult || p.InputLeftShift != c.leftShift || p.DiffMin != c.diffMin {
			t.Errorf("scale %v: multiplier %d shift %d diff_min %d, want %d %d %d", c.scale,
				p.InputMultiplier, p.InputLeftShift, p.DiffMin, c.mult, c.leftShift, c.diffMin)
		}
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
		if got := math.Float32bits(p.Table[c.i]); got != c.bits {
			t.Errorf("Table[%d] = %#x (%g), want %#x", c.i, got, p.Table[c.i], c.bits)
		}
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
			if got := p.Table[255-d]; got != want {
				t.Errorf("scale %v d %d: table %g (%#x), correctly rounded expf %g (%#x)",
					scale, d, got, math.Float32bits(got), want, math.Float32bits(want))
			}
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
	if got := softmaxQuantizeU8(p); got != 1 {
		t.Errorf("uint8(0.49999997) = %d, want 1 (float32 0.49999997 + 0.5 == 1)", got)
	}
	if got := softmaxQuantizeI8(p, -128); got != -128 {
		t.Errorf("int8(0.49999997) = %d, want -128", got)
	}
	for _, c := range []struct {
		p      float32
		u8, i8 int32
	}{{0, 0, -128}, {0.5, 1, -127}, {1.5, 2, -126}, {127.49, 127, -1}, {255.5, 256, 128}} {
		if got := softmaxQuantizeU8(c.p); got != c.u8 {
			t.Errorf("uint8(%v) = %d, want %d", c.p, got, c.u8)
		}
		if got := softmaxQuantizeI8(c.p, -128); got != c.i8 {
			t.Errorf("int8(%v) = %d, want %d", c.p, got, c.i8)
		}
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
		if want := u8MinusOffset(u); !slices.Equal(i8, want) {
			t.Fatalf("iteration %d, input %v: int8 %v, want %v", iter, in, i8, want)
		}
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
			if sum < 200 || sum > 300 {
				t.Errorf("seed %d iteration %d: outputs sum to %d", seed, iter, sum)
			}
			if am := slices.Index(in, slices.Max(in)); o[am] != slices.Max(o) {
				t.Errorf("seed %d iteration %d: largest input's output %d is not the largest %d", seed, iter, o[am], slices.Max(o))
			}
		}
		for i := range of {
			if d := int(of[i]) - int(or[i]); d < -1 || d > 1 {
				t.Errorf("seed %d iteration %d: fp32 %d and reference %d differ by more than one at %d", seed, iter, of[i], or[i], i)
			}
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
		if len(files) == 0 {
			t.Fatalf("no goldens for %s under %s", m.name, dir)
		}
		p := NewSoftmaxParams(SchemeFP32, m.scale, 1, Quant{1.0 / 256, 0})
		bad := 0
		for _, f := range files {
			golden, err := os.ReadFile(f)
			if err != nil || len(golden) != 1001 {
				t.Fatalf("%s: %d bytes, %v", f, len(golden), err)
			}
			if !softmaxRowReachable(p, golden) {
				bad++
				t.Errorf("%s/%s: no logits give this softmax output", m.name, filepath.Base(f))
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
		if n := testing.AllocsPerRun(10, func() { SoftmaxU8(p, in, out, 1, 1001) }); n != 0 {
			t.Errorf("%v: %v allocations per run", scheme, n)
		}
	}
	f := make([]float32, 1001)
	if n := testing.AllocsPerRun(10, func() { SoftmaxF32(f, f, 1, 1001, 1) }); n != 0 {
		t.Errorf("float32: %v allocations per run", n)
	}
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
