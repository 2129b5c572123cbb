package train

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toyData is a small separable problem: classes are Gaussian blobs around
// distinct centres in dim dimensions.
func toyData(classes, perClass, dim int, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := Dataset{Classes: classes}
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, dim)
		for j := range centres[c] {
			centres[c][j] = 3 * rng.NormFloat64()
		}
	}
	for c := range classes {
		for range perClass {
			x := make([]float32, dim)
			for j := range x {
				x[j] = float32(centres[c][j] + rng.NormFloat64())
			}
			d.X = append(d.X, x)
			d.Y = append(d.Y, c)
		}
	}
	return d
}

// lossOf is the cross-entropy of one example, computed independently of
// backward.
func lossOf(h *Head, x []float32, y int) float64 {
	s := h.Scores(x)
	return -math.Log(s[y])
}

// The analytic gradient of softmax cross-entropy (with and without the
// hidden ReLU layer) matches central finite differences.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	for _, hidden := range []int{0, 5} {
		rng := rand.New(rand.NewPCG(3, 4))
		h := newHead(4, hidden, 3, rng)
		for i := range h.Layers {
			for j := range h.Layers[i].B {
				h.Layers[i].B[j] = 0.1 * rng.NormFloat64() // nonzero biases
			}
		}
		x := []float32{0.5, -1.2, 2.0, 0.3}
		y := 2
		gw := make([][]float64, len(h.Layers))
		gb := make([][]float64, len(h.Layers))
		for i, l := range h.Layers {
			gw[i], gb[i] = make([]float64, len(l.W)), make([]float64, len(l.B))
		}
		loss := h.backward([][]float32{x}, []int{y}, []float64{1}, newPass(h, 1), nil, gw, gb)[0]
		assert.InDelta(t, lossOf(h, x, y), loss, 1e-12)
		const eps = 1e-6
		for i := range h.Layers {
			for _, p := range []struct {
				v []float64
				g []float64
			}{{h.Layers[i].W, gw[i]}, {h.Layers[i].B, gb[i]}} {
				for j := range p.v {
					orig := p.v[j]
					p.v[j] = orig + eps
					up := lossOf(h, x, y)
					p.v[j] = orig - eps
					down := lossOf(h, x, y)
					p.v[j] = orig
					assert.InDelta(t, (up-down)/(2*eps), p.g[j], 1e-6, "hidden %d layer %d param %d", hidden, i, j)
				}
			}
		}
	}
}

// A mini-batch's backward pass gives the sum of its examples' scaled
// gradients (and their losses), whatever the grouping of the examples in
// the loops (7 examples: groups of four and a remainder; 6 classes: the
// outputs' groups of four and two).
func TestBatchGradientIsTheSumOfExamples(t *testing.T) {
	for _, hidden := range []int{0, 5} {
		rng := rand.New(rand.NewPCG(5, 6))
		h := newHead(9, hidden, 6, rng)
		for i := range h.Layers {
			for j := range h.Layers[i].B {
				h.Layers[i].B[j] = 0.1 * rng.NormFloat64()
			}
		}
		var xs [][]float32
		var ys []int
		var scales []float64
		for s := range 7 {
			x := make([]float32, 9)
			for j := range x {
				x[j] = float32(rng.NormFloat64())
			}
			xs, ys, scales = append(xs, x), append(ys, s%6), append(scales, 0.5+rng.Float64())
		}
		grads := func() (gw, gb [][]float64) {
			for _, l := range h.Layers {
				gw, gb = append(gw, make([]float64, len(l.W))), append(gb, make([]float64, len(l.B)))
			}
			return gw, gb
		}
		gw, gb := grads()
		losses := h.backward(xs, ys, scales, newPass(h, 7), nil, gw, gb)
		sw, sb := grads()
		for s := range xs {
			loss := h.backward(xs[s:s+1], ys[s:s+1], scales[s:s+1], newPass(h, 1), nil, sw, sb)[0]
			assert.InDelta(t, lossOf(h, xs[s], ys[s]), losses[s], 1e-12)
			assert.InDelta(t, loss, losses[s], 1e-12)
		}
		for i := range h.Layers {
			assert.InDeltaSlice(t, sw[i], gw[i], 1e-12, "hidden %d layer %d", hidden, i)
			assert.InDeltaSlice(t, sb[i], gb[i], 1e-12, "hidden %d layer %d", hidden, i)
		}
		// And the batch's loss's gradient matches finite differences.
		batchLoss := func() float64 {
			sum := 0.0
			for s, x := range xs {
				sum += scales[s] * lossOf(h, x, ys[s])
			}
			return sum
		}
		const eps = 1e-6
		for i := range h.Layers {
			for j := range h.Layers[i].W {
				v := &h.Layers[i].W[j]
				orig := *v
				*v = orig + eps
				up := batchLoss()
				*v = orig - eps
				down := batchLoss()
				*v = orig
				assert.InDelta(t, (up-down)/(2*eps), gw[i][j], 1e-6, "hidden %d layer %d weight %d", hidden, i, j)
			}
		}
	}
}

// The matrix loops compute the plain loops' sums in the same order, for
// every shape (groups of four and remainders).
func TestDenseMatchesPlainLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	fill := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
			if rng.IntN(5) == 0 {
				v[i] = 0 // skipped deltas
			}
		}
		return v
	}
	for _, n := range []int{1, 2, 3, 4, 5, 8, 9} {
		for _, nin := range []int{1, 3, 8, 17} {
			for _, nout := range []int{1, 2, 3, 4, 5, 6, 7, 10, 11} {
				w, b, in, d := fill(nout*nin), fill(nout), fill(n*nin), fill(n*nout)
				out := make([]float64, n*nout)
				denseForward(w, b, in, out, n, nin, nout)
				gw, gb := fill(nout*nin), fill(nout)
				wantW, wantB := slices.Clone(gw), slices.Clone(gb)
				denseGradW(gw, gb, d, in, n, nin, nout)
				gin := fill(n * nin)
				denseGradIn(gin, d, w, n, nin, nout)
				for s := range n {
					for o := range nout {
						sum := b[o]
						for j := range nin {
							sum += w[o*nin+j] * in[s*nin+j]
						}
						require.InDelta(t, sum, out[s*nout+o], 1e-12, "forward n %d in %d out %d", n, nin, nout)
					}
					for j := range nin {
						sum := 0.0
						for o := range nout {
							sum += d[s*nout+o] * w[o*nin+j]
						}
						require.InDelta(t, sum, gin[s*nin+j], 1e-12, "input gradient n %d in %d out %d", n, nin, nout)
					}
				}
				for o := range nout {
					for s := range n {
						wantB[o] += d[s*nout+o]
						for j := range nin {
							wantW[o*nin+j] += d[s*nout+o] * in[s*nin+j]
						}
					}
				}
				require.InDeltaSlice(t, wantW, gw, 1e-12, "weight gradient n %d in %d out %d", n, nin, nout)
				require.InDeltaSlice(t, wantB, gb, 1e-12, "bias gradient n %d in %d out %d", n, nin, nout)
			}
		}
	}
}

// A softmax of equal logits is uniform; the gradient on the logits is
// p - onehot, hand-computed for two classes.
func TestSoftmaxCrossEntropyHandComputed(t *testing.T) {
	p := softmax([]float64{0, 0, 0, 0}, make([]float64, 4))
	assert.InDeltaSlice(t, []float64{0.25, 0.25, 0.25, 0.25}, p, 1e-15)
	// logits (ln 1, ln 3): p = (0.25, 0.75).
	h := &Head{Layers: []Layer{{In: 1, Out: 2, W: []float64{0, 0}, B: []float64{0, math.Log(3)}}}}
	gw := [][]float64{make([]float64, 2)}
	gb := [][]float64{make([]float64, 2)}
	loss := h.backward([][]float32{{2}}, []int{0}, []float64{1}, newPass(h, 1), nil, gw, gb)[0]
	assert.InDelta(t, -math.Log(0.25), loss, 1e-12)
	assert.InDeltaSlice(t, []float64{0.25 - 1, 0.75}, gb[0], 1e-12)
	assert.InDeltaSlice(t, []float64{2 * (0.25 - 1), 2 * 0.75}, gw[0], 1e-12) // times x = 2
}

// Adam's first step moves each parameter by lr against the sign of its
// gradient (m/sqrt(v) = g/|g| after bias correction), whatever the
// gradient's size; decoupled decay then removes lr*wd of the weight.
func TestAdamFirstStep(t *testing.T) {
	a := NewAdam(0.1, 0)
	s := NewAdamSlot(3)
	p := []float64{1, 1, 1}
	a.Tick()
	a.Update(s, p, []float64{1000, -0.001, 0}, false)
	// (|g| = 0.001 moves by 0.1*0.001/(0.001+1e-8): eps shows at 1e-6.)
	assert.InDeltaSlice(t, []float64{0.9, 1.1, 1}, p, 1e-5)

	// Second step with the same gradient: m̂ = g, v̂ = g², the same move.
	a.Tick()
	a.Update(s, p, []float64{1000, -0.001, 0}, false)
	assert.InDeltaSlice(t, []float64{0.8, 1.2, 1}, p, 1e-5)

	d := NewAdam(0.1, 0.5)
	s = NewAdamSlot(1)
	w := []float64{2}
	d.Tick()
	d.Update(s, w, []float64{0}, true)
	assert.InDelta(t, 2-0.1*0.5*2, w[0], 1e-12) // no gradient: only decay
}

func TestStratifiedSplitProportions(t *testing.T) {
	var y []int
	for c, n := range []int{10, 20, 5, 1, 2} {
		for range n {
			y = append(y, c)
		}
	}
	tr, va := StratifiedSplit(y, 5, 0.2, 42)
	count := func(idx []int) []int {
		n := make([]int, 5)
		for _, i := range idx {
			n[y[i]]++
		}
		return n
	}
	// round(0.2*n), at least 1 of a class of 2+, never all of a class.
	assert.Equal(t, []int{2, 4, 1, 0, 1}, count(va))
	assert.Equal(t, []int{8, 16, 4, 1, 1}, count(tr))
	assert.Len(t, Complement(len(y), va), len(tr))
	assert.Equal(t, tr, Complement(len(y), va), "disjoint and covering")

	tr2, va2 := StratifiedSplit(y, 5, 0.2, 42)
	assert.Equal(t, va, va2, "same seed, same split")
	_, va3 := StratifiedSplit(y, 5, 0.2, 43)
	assert.NotEqual(t, va, va3, "another seed, another split")
	assert.Equal(t, tr, tr2)
}

func TestFoldsAreContiguousPerClass(t *testing.T) {
	y := []int{0, 0, 0, 0, 1, 1, 1, 1, 1, 1}
	f := Folds(y, 2, 2)
	assert.Equal(t, [][]int{{0, 1, 4, 5, 6}, {2, 3, 7, 8, 9}}, f)
}

func TestClassWeights(t *testing.T) {
	// 6 examples, 3 classes present: class c weighs 6/(3*n_c).
	w := ClassWeights([]int{1, 2, 3, 0})
	assert.InDeltaSlice(t, []float64{2, 1, 2.0 / 3, 0}, w, 1e-12)
	// Each class's total weight is the same.
	assert.InDelta(t, 1*w[0], 2*w[1], 1e-12)
	assert.InDelta(t, 2*w[1], 3*w[2], 1e-12)
}

// Class weights make a rare class count: with 40 examples of class 0 and
// 4 of class 1 on overlapping blobs, the balanced head recalls more of
// class 1 than the unbalanced one.
func TestBalancingHelpsTheRareClass(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	mk := func(n0, n1 int) Dataset {
		d := Dataset{Classes: 2}
		for c, n := range []int{n0, n1} {
			for range n {
				d.X = append(d.X, []float32{float32(c) + float32(rng.NormFloat64())})
				d.Y = append(d.Y, c)
			}
		}
		return d
	}
	tr, te := mk(200, 20), mk(200, 200)
	recall := func(noBalance bool) float64 {
		tn, err := NewTrainer(tr, Dataset{}, Config{Seed: 1, Epochs: 60, NoBalance: noBalance})
		require.NoError(t, err)
		for !tn.Done() {
			tn.Step()
		}
		return tn.Head().Evaluate(&te).PerClass()[1]
	}
	balanced, plain := recall(false), recall(true)
	t.Logf("rare class recall: balanced %.2f, unbalanced %.2f", balanced, plain)
	assert.Greater(t, balanced, plain+0.2)
}

func TestFakeQuantRounding(t *testing.T) {
	// [-1, 1.55]: scale 0.01, zero point 100.
	q := ChooseQParams(-1, 1.55)
	assert.InDelta(t, 0.01, q.Scale, 1e-9)
	assert.Equal(t, int32(100), q.ZeroPoint)
	assert.Equal(t, uint8(100), q.Quantize(0), "zero is exact")
	assert.Equal(t, uint8(101), q.Quantize(0.0149))
	assert.Equal(t, uint8(102), q.Quantize(0.0151))
	h := QParams{Scale: 0.25, ZeroPoint: 100} // exact in binary
	assert.Equal(t, uint8(102), h.Quantize(0.625), "half to even: 2.5 -> 2")
	assert.Equal(t, uint8(104), h.Quantize(0.875), "half to even: 3.5 -> 4")
	assert.Equal(t, uint8(0), q.Quantize(-5), "clamped")
	assert.Equal(t, uint8(255), q.Quantize(5), "clamped")
	v, in := q.FakeQuant(0.0151)
	assert.InDelta(t, 0.02, v, 1e-7)
	assert.True(t, in)
	v, in = q.FakeQuant(9)
	assert.InDelta(t, 1.55, v, 1e-6)
	assert.False(t, in, "no gradient through a clamped value")
	// A range without 0 is widened to hold it.
	q = ChooseQParams(2, 4)
	assert.Equal(t, int32(0), q.ZeroPoint)
	assert.InDelta(t, 4.0/255, q.Scale, 1e-9)
	// Bias: int32 at in_scale*w_scale.
	assert.Equal(t, float32(0.5)*float32(0.25), biasScale(QParams{Scale: 0.5}, QParams{Scale: 0.25}))
	assert.Equal(t, int32(-3), quantizeBias(-0.375, 0.125))
}

func trainAll(t *testing.T, tr, va Dataset, cfg Config) (*Trainer, []Progress) {
	t.Helper()
	tn, err := NewTrainer(tr, va, cfg)
	require.NoError(t, err)
	var ps []Progress
	for !tn.Done() {
		ps = append(ps, tn.Step())
	}
	return tn, ps
}

func TestDeterministicForASeed(t *testing.T) {
	d := toyData(4, 30, 8, 5)
	tri, vai := StratifiedSplit(d.Y, d.Classes, 0.25, 7)
	tr, va := d.Subset(tri), d.Subset(vai)
	cfg := Config{Seed: 11, Hidden: 6, Epochs: 20, Quant: &QParams{Scale: 0.05, ZeroPoint: 128}, QATEpochs: 3}
	a, pa := trainAll(t, tr, va, cfg)
	b, pb := trainAll(t, tr, va, cfg)
	assert.Equal(t, pa, pb)
	assert.Equal(t, a.Head(), b.Head())
	cfg.Seed = 12
	c, _ := trainAll(t, tr, va, cfg)
	assert.NotEqual(t, a.Head().Layers[0].W, c.Head().Layers[0].W)
}

// On overlapping blobs the head learns, early stopping stops before the
// epoch limit, and the QAT phase follows the float one.
func TestTrainerLearnsAndStops(t *testing.T) {
	d := toyData(5, 40, 4, 1)
	tri, vai := StratifiedSplit(d.Y, d.Classes, 0.2, 1)
	tr, va := d.Subset(tri), d.Subset(vai)
	tn, ps := trainAll(t, tr, va, Config{Seed: 1, Patience: 5, Epochs: 500, LR: 0.03, Quant: &QParams{Scale: 0.1, ZeroPoint: 128}, QATEpochs: 4})
	last := ps[len(ps)-1]
	assert.True(t, last.Done)
	// Early stopping ended the float phase before its 500 epochs.
	floatEpochs := 0
	for _, p := range ps {
		if p.Phase == PhaseFloat {
			floatEpochs = p.Epoch
		}
	}
	assert.Less(t, floatEpochs, 500)
	assert.Equal(t, PhaseQAT, last.Phase)
	assert.Equal(t, PhaseRefit, ps[len(ps)-5].Phase)
	assert.Greater(t, tn.Validation().Accuracy(), 0.8)
	assert.NotNil(t, tn.Head().Quant)
	assert.Less(t, last.Loss, ps[0].Loss)
	// A done trainer does nothing more.
	assert.Equal(t, last, tn.Step())
}

// The refit phase follows the float one: round(1.25*B) epochs (B the
// best float epoch) from the seed's initial head on the training and
// validation examples; the best float head stays the head until it is
// over, then the refit head replaces it and QAT starts from it.
// Config.NoRefit goes from the float phase to QAT directly.
func TestRefit(t *testing.T) {
	d := toyData(4, 30, 6, 3)
	tri, vai := StratifiedSplit(d.Y, d.Classes, 0.2, 1)
	tr, va := d.Subset(tri), d.Subset(vai)
	cfg := Config{Seed: 5, Patience: 5, Epochs: 200, Quant: &QParams{Scale: 0.1, ZeroPoint: 128}, QATEpochs: 3}
	tn, err := NewTrainer(tr, va, cfg)
	require.NoError(t, err)
	var float []Progress
	for tn.Phase() == PhaseFloat {
		float = append(float, tn.Step())
	}
	require.Equal(t, PhaseRefit, tn.Phase())
	bestEpoch := 0
	for _, p := range float {
		if p.Best {
			bestEpoch = p.Epoch
		}
	}
	floatHead := tn.Head()
	refits := int(math.Round(1.25 * float64(bestEpoch)))
	var refit []Progress
	for tn.Phase() == PhaseRefit {
		assert.Equal(t, floatHead, tn.Head(), "the best float head until the refit is over")
		assert.Equal(t, floatHead, tn.FloatHead())
		refit = append(refit, tn.Step())
	}
	require.Len(t, refit, refits)
	for i, p := range refit {
		assert.Equal(t, PhaseRefit, p.Phase)
		assert.True(t, p.TrainAcc >= 0 && p.TrainAcc <= 1, "train accuracy %v", p.TrainAcc)
		assert.Equal(t, -1.0, p.ValAcc, "no validation scoring in the refit")
		assert.Equal(t, i == len(refit)-1, p.Best)
		assert.False(t, p.Done)
	}
	assert.Equal(t, PhaseQAT, tn.Phase())
	assert.NotEqual(t, floatHead, tn.FloatHead())

	// The refit head is the one a trainer without validation set gets
	// on all the examples in as many epochs (and the same class weights).
	all := Dataset{Classes: d.Classes, X: append(append([][]float32{}, tr.X...), va.X...), Y: append(append([]int{}, tr.Y...), va.Y...)}
	plain, _ := trainAll(t, all, Dataset{}, Config{Seed: 5, Epochs: refits})
	assert.Equal(t, plain.Head(), tn.FloatHead())
	for !tn.Done() {
		tn.Step()
	}
	assert.NotNil(t, tn.Head().Quant)

	// Without refit: float, then QAT; no validation set: no refit.
	cfg.NoRefit = true
	_, ps := trainAll(t, tr, va, cfg)
	assert.Equal(t, PhaseFloat, ps[len(ps)-4].Phase)
	assert.Equal(t, PhaseQAT, ps[len(ps)-3].Phase)
	cfg.NoRefit, cfg.Epochs = false, 10
	_, ps = trainAll(t, tr, Dataset{}, cfg)
	require.Len(t, ps, 13)
	assert.Equal(t, PhaseFloat, ps[9].Phase)
	assert.Equal(t, PhaseQAT, ps[10].Phase)
}

// Cancelling (no more Step calls) leaves a usable head: the best so far.
func TestCancelKeepsTheBestHead(t *testing.T) {
	d := toyData(3, 20, 4, 2)
	tri, vai := StratifiedSplit(d.Y, d.Classes, 0.3, 1)
	tn, err := NewTrainer(d.Subset(tri), d.Subset(vai), Config{Seed: 2})
	require.NoError(t, err)
	h0 := tn.Head()
	for range 3 {
		tn.Step()
	}
	h := tn.Head()
	assert.False(t, tn.Done())
	assert.NotEqual(t, h0, h)
	// The copy is not changed by further training.
	saved := h.Clone()
	tn.Step()
	assert.Equal(t, saved, h)
	assert.Equal(t, 3, h.Classes())
}

func TestBadDatasets(t *testing.T) {
	one := Dataset{Classes: 1, X: [][]float32{{1}}, Y: []int{0}}
	_, err := NewTrainer(one, Dataset{}, Config{})
	require.ErrorContains(t, err, "need at least 2")

	empty := Dataset{Classes: 3, X: [][]float32{{1}, {2}}, Y: []int{0, 2}}
	err = empty.Check([]string{"a", "b", "c"})
	require.ErrorContains(t, err, `class 1 "b" has no examples`)

	ragged := Dataset{Classes: 2, X: [][]float32{{1, 2}, {2}}, Y: []int{0, 1}}
	require.ErrorContains(t, ragged.Check(nil), "example 1 has 1 features")

	nan := Dataset{Classes: 2, X: [][]float32{{float32(math.NaN())}, {2}}, Y: []int{0, 1}}
	require.ErrorContains(t, nan.Check(nil), "non-finite")

	_, err = NewKNN(&one, 1)
	require.Error(t, err)
}

func TestKNN(t *testing.T) {
	d := Dataset{Classes: 2, X: [][]float32{{1, 0}, {0.9, 0.1}, {0, 1}}, Y: []int{0, 0, 1}}
	k1, err := NewKNN(&d, 1)
	require.NoError(t, err)
	assert.Equal(t, 1, k1.Predict([]float32{0.2, 0.8}))
	assert.Equal(t, 0, k1.Predict([]float32{5, 1}), "cosine: the length does not matter")
	k3, err := NewKNN(&d, 3)
	require.NoError(t, err)
	// With all three voting, two of class 0 outvote the nearest of class 1.
	assert.Equal(t, 0, k3.Predict([]float32{0.45, 0.55}))
	assert.Equal(t, 1, k1.Predict([]float32{0.45, 0.55}))
}

func TestConfusion(t *testing.T) {
	c := NewConfusion(3)
	for _, p := range [][2]int{{0, 0}, {0, 0}, {0, 1}, {1, 1}, {2, 0}} {
		c.Add(p[0], p[1])
	}
	assert.Equal(t, 5, c.Total())
	assert.Equal(t, 3, c.Correct())
	assert.InDelta(t, 0.6, c.Accuracy(), 1e-12)
	assert.InDeltaSlice(t, []float64{2.0 / 3, 1, 0}, c.PerClass(), 1e-12)
	s := c.Format([]string{"zero", "one", "two"})
	assert.Contains(t, s, "accuracy 60.0% (3/5)")
	assert.Contains(t, s, " 0 zero")
}

// A quantized head's predictions are those of its uint8 arithmetic: the
// fake-quantized scores are multiples of 1/256.
func TestQuantizedScoresAreUint8(t *testing.T) {
	d := toyData(3, 20, 4, 3)
	tn, _ := trainAll(t, d, Dataset{}, Config{Seed: 1, Epochs: 5, Quant: &QParams{Scale: 0.05, ZeroPoint: 100}, QATEpochs: 2})
	h := tn.Head()
	require.NotNil(t, h.Quant)
	for _, s := range h.Scores(d.X[0]) {
		assert.Equal(t, math.Round(s*256), s*256)
	}
}
