package models

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
)

// fillInput writes a deterministic test image into the classifier's input:
// smooth stripes plus noise, drawn from seed, as bytes (uint8 models) or
// x/127.5-1 (float ones).
func fillInput(c *engine.Classifier, quant bool, seed uint64) {
	in := c.Input()
	n := len(in)
	if !quant {
		n /= 4
	}
	size := int(math.Sqrt(float64(n / 3)))
	g := rng{state: seed}
	fx, fy := 5+float64(g.next()%20), 5+float64(g.next()%20)
	for i := range n {
		p := i / 3
		x, y, ch := p%size, p/size, i%3
		v := 128 + 90*math.Sin(float64(x)/fx+float64(ch))*math.Cos(float64(y)/fy) + float64(int(g.next()%41)-20)
		b := byte(clamp(v, 0, 255))
		if quant {
			in[i] = b
		} else {
			binary.LittleEndian.PutUint32(in[4*i:], math.Float32bits(float32(b)/127.5-1))
		}
	}
}

// outputs returns the classifier's output as real values.
func outputs(c *engine.Classifier) []float64 {
	info := c.Info()
	out := c.Output()
	if info.Output.DType == "float32" {
		v := make([]float64, len(out)/4)
		for i := range v {
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:])))
		}
		return v
	}
	scale, zp := 1.0, int64(0)
	if len(info.Output.Scale) == 1 {
		scale, zp = float64(info.Output.Scale[0]), info.Output.ZeroPoint[0]
	}
	v := make([]float64, len(out))
	for i, q := range out {
		v[i] = scale * float64(int64(q)-zp)
	}
	return v
}

func loadBytes(t testing.TB, models ...[]byte) *engine.Classifier {
	t.Helper()
	c, err := engine.Load(models, engine.Options{})
	require.NoError(t, err)
	return c
}

// TestSynthAll: every model of the catalog synthesizes, parses, is
// recognised as itself, loads in the engine with exactly the catalog's
// MACs and parameters, and runs to a non-degenerate, input-dependent
// probability distribution.
func TestSynthAll(t *testing.T) {
	for _, e := range Catalog {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			data, err := SynthEntry(e, 1)
			require.NoError(t, err)
			m, err := loader.Parse(data)
			require.NoError(t, err)
			assert.Empty(t, m.Warnings)
			match, ok := Identify(m)
			require.True(t, ok, "not recognised")
			assert.Equal(t, Match{Entry: e, Part: Whole, Synthetic: true}, match)

			c := loadBytes(t, data)
			info := c.Info()
			// The engine counts what Arch does: equal, so within 1% of
			// the catalog's exact figures (the published, rounded ones
			// are checked against those in TestExactCounts).
			assert.Equal(t, e.MACs(), info.MACs, "MACs")
			assert.Equal(t, e.Params(), info.Params, "params")
			assert.InEpsilon(t, float64(e.MACs()), float64(info.MACs), 0.01)
			assert.InEpsilon(t, float64(e.Params()), float64(info.Params), 0.01)
			assert.Equal(t, []int{1, e.Resolution, e.Resolution, 3}, info.Input.Shape)
			assert.Equal(t, e.DType(), info.Input.DType)
			assert.Equal(t, Classes, info.Classes)
			assert.Len(t, info.Ops, 31)

			fillInput(c, e.Quantized, 1)
			c.Run()
			a := outputs(c)
			fillInput(c, e.Quantized, 2)
			c.Run()
			b := outputs(c)
			for _, v := range [][]float64{a, b} {
				lo, hi, sum := slices.Min(v), slices.Max(v), 0.0
				for _, x := range v {
					sum += x
				}
				assert.Greater(t, hi, lo, "all outputs equal")
				assert.Greater(t, hi, 4.0/Classes, "the softmax is nearly uniform")
				assert.Less(t, hi, 0.9, "the softmax is one-hot")
				// uint8 probabilities are rounded to 1/256: most of the
				// 1001 small ones lose up to 1/512 each.
				tol := 1e-4
				if e.Quantized {
					tol = 0.25
				}
				assert.InDelta(t, 1, sum, tol, "probabilities do not sum to 1")
			}
			assert.NotEqual(t, a, b, "the output does not depend on the input")
		})
	}
}

// TestSynthDeterministic: a seed gives the same bytes, on every run and
// platform (the generator uses no platform-dependent arithmetic); another
// seed gives other weights.
func TestSynthDeterministic(t *testing.T) {
	opts := SynthOptions{Width: 0.25, Resolution: 128, Quantized: true, Seed: 7}
	a, err := Synth(opts)
	require.NoError(t, err)
	b, err := Synth(opts)
	require.NoError(t, err)
	require.Equal(t, a, b)
	opts.Seed = 8
	c, err := Synth(opts)
	require.NoError(t, err)
	require.Equal(t, len(a), len(c))
	require.NotEqual(t, a, c)

	// Pinned, so that a change of the generator (which changes every
	// synthetic benchmark's weights) is deliberate: update the sums then.
	for _, tc := range []struct {
		quant bool
		sum   string
	}{
		{true, pinnedSynthQuant},
		{false, pinnedSynthFloat},
	} {
		data, err := Synth(SynthOptions{Width: 0.25, Resolution: 128, Quantized: tc.quant, Seed: 1})
		require.NoError(t, err)
		s := sha256.Sum256(data)
		assert.Equal(t, tc.sum, hex.EncodeToString(s[:]), "quant %v", tc.quant)
	}
}

// SHA-256 of the synthetic mobilenet_v1_0.25_128(_quant), seed 1.
const (
	pinnedSynthQuant = "11e900d8d5639d8201a274b5b6b9f8ec7cf95200bb7ddc0849087bb5b968ce53"
	pinnedSynthFloat = "319f32ee1e848bb1af4cdd6964b65e890479b48305a734bd7f0da33b42931d35"
)

// TestSynthParts: the extractor and the head of a seed hold the whole
// model's weights: chained, they compute the same outputs bit for bit.
// They are recognised as parts (a head only for 1.0_224_quant).
func TestSynthParts(t *testing.T) {
	for _, quant := range []bool{true, false} {
		t.Run(fmt.Sprintf("quant=%v", quant), func(t *testing.T) {
			opts := SynthOptions{Width: 0.25, Resolution: 128, Quantized: quant, Seed: 3}
			whole, err := Synth(opts)
			require.NoError(t, err)
			opts.Part = Extractor
			ext, err := Synth(opts)
			require.NoError(t, err)
			opts.Part = Head
			head, err := Synth(opts)
			require.NoError(t, err)

			m, err := loader.Parse(ext)
			require.NoError(t, err)
			match, ok := Identify(m)
			require.True(t, ok)
			assert.Equal(t, Extractor, match.Part)
			m, err = loader.Parse(head)
			require.NoError(t, err)
			_, ok = Identify(m)
			assert.False(t, ok, "a 0.25 head is not recognised (its resolution is unknown)")

			c1, c2 := loadBytes(t, whole), loadBytes(t, ext, head)
			assert.Equal(t, c1.Info().MACs, c2.Info().MACs)
			assert.Equal(t, c1.Info().Params, c2.Info().Params)
			fillInput(c1, quant, 5)
			fillInput(c2, quant, 5)
			c1.Run()
			c2.Run()
			assert.Equal(t, c1.Output(), c2.Output())
		})
	}
	head, err := Synth(SynthOptions{Width: 1, Resolution: 224, Quantized: true, Part: Head})
	require.NoError(t, err)
	m, err := loader.Parse(head)
	require.NoError(t, err)
	match, ok := Identify(m)
	require.True(t, ok)
	assert.Equal(t, "mobilenet_v1_1.0_224_quant", match.Entry.Name)
	assert.Equal(t, Head, match.Part)
}

// TestSynthQuantTracksFloat: the uint8 model of a seed quantizes the float
// model's weights, so the two agree like a real quantized model and its
// float original: correlated features and the same top class.
func TestSynthQuantTracksFloat(t *testing.T) {
	var feats, probs [2][]float64
	for i, quant := range []bool{false, true} {
		for _, part := range []Part{Extractor, Whole} {
			data, err := Synth(SynthOptions{Width: 0.5, Resolution: 128, Quantized: quant, Seed: 11, Part: part})
			require.NoError(t, err)
			c := loadBytes(t, data)
			fillInput(c, quant, 9)
			c.Run()
			if part == Extractor {
				feats[i] = outputs(c)
			} else {
				probs[i] = outputs(c)
			}
		}
	}
	assert.Greater(t, correlation(feats[0], feats[1]), 0.95, "features")
	assert.Greater(t, correlation(probs[0], probs[1]), 0.9, "probabilities")
	assert.Equal(t, argmax(probs[0]), argmax(probs[1]), "top-1")

	// The features (averages of ReLU6 outputs) are neither dead nor
	// saturated: their mean is near the designed 0.70 and they spread.
	for _, f := range feats {
		mean, std := meanStd(f)
		assert.InDelta(t, relu6Mean, mean, 0.15)
		assert.Greater(t, std, 0.1)
		assert.Less(t, slices.Max(f), 6.0*0.9)
	}
}

func meanStd(v []float64) (float64, float64) {
	var s, sq float64
	for _, x := range v {
		s += x
		sq += x * x
	}
	n := float64(len(v))
	return s / n, math.Sqrt(max(sq/n-s*s/n/n, 0))
}

func correlation(a, b []float64) float64 {
	ma, sa := meanStd(a)
	mb, sb := meanStd(b)
	var c float64
	for i := range a {
		c += (a[i] - ma) * (b[i] - mb)
	}
	return c / float64(len(a)) / (sa * sb)
}

func argmax(v []float64) int {
	j := 0
	for i := range v {
		if v[i] > v[j] {
			j = i
		}
	}
	return j
}

// TestSynthMirrorsRelease compares the synthetic files with the release's
// (from the shared test data): the same operators with the same options
// and versions, the same tensor shapes and types, and for uint8 the same
// fixed quantization parameters (input, ReLU6 outputs, softmax).
func TestSynthMirrorsRelease(t *testing.T) {
	for _, name := range []string{"mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.25_224"} {
		t.Run(name, func(t *testing.T) {
			real, err := loader.ParseFile(testdata.Path(t, "models", name+".tflite"))
			require.NoError(t, err)
			e, _ := Lookup(name)
			data, err := SynthEntry(e, 1)
			require.NoError(t, err)
			synth, err := loader.Parse(data)
			require.NoError(t, err)
			require.Len(t, synth.Operators, len(real.Operators))
			for i := range real.Operators {
				ro, so := &real.Operators[i], &synth.Operators[i]
				require.Equal(t, ro.Op, so.Op, "operator %d", i)
				if ro.Op != loader.OpReshape { // the release's has no options; ours adds new_shape
					assert.Equal(t, ro.Options, so.Options, "operator %d (%v) options", i, ro.Op)
				}
				for j := range ro.Inputs {
					if ro.Inputs[j] < 0 {
						continue
					}
					rt, st := real.Tensors[ro.Inputs[j]], synth.Tensors[so.Inputs[j]]
					assert.Equal(t, rt.Shape, st.Shape, "operator %d (%v) input %d", i, ro.Op, j)
					assert.Equal(t, rt.Type, st.Type, "operator %d (%v) input %d", i, ro.Op, j)
				}
				rt, st := real.Tensors[ro.Outputs[0]], synth.Tensors[so.Outputs[0]]
				assert.Equal(t, rt.Shape, st.Shape, "operator %d (%v) output", i, ro.Op)
				if rt.Quant != nil && i < len(real.Operators)-3 {
					// Fixed by the release's conventions (the logits'
					// scale is the model's own).
					assert.Equal(t, rt.Quant.Scale, st.Quant.Scale, "operator %d (%v) output scale", i, ro.Op)
					assert.Equal(t, rt.Quant.ZeroPoint, st.Quant.ZeroPoint, "operator %d (%v) output zero point", i, ro.Op)
				}
			}
			rin, sin := real.Tensors[real.Inputs[0]], synth.Tensors[synth.Inputs[0]]
			assert.Equal(t, rin.Shape, sin.Shape)
			if rin.Quant != nil && len(rin.Quant.Scale) > 0 {
				assert.Equal(t, rin.Quant.Scale, sin.Quant.Scale)
				assert.Equal(t, rin.Quant.ZeroPoint, sin.Quant.ZeroPoint)
			}
			assert.Equal(t, real.Tensors[real.Outputs[0]].Name, synth.Tensors[synth.Outputs[0]].Name)
		})
	}
}

func TestSynthErrors(t *testing.T) {
	_, err := Synth(SynthOptions{Width: 0.3, Resolution: 128})
	assert.ErrorContains(t, err, "width 0.3")
	_, err = Synth(SynthOptions{Width: 0.25, Resolution: 100})
	assert.ErrorContains(t, err, "resolution 100")
}
