package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Layer is one fully connected layer: out = act(W x + B).
type Layer struct {
	In, Out int
	// W holds Out rows of In weights: row o is output o's, the layout of
	// TFLite's FULLY_CONNECTED weights [Out, In].
	W []float64
	B []float64
	// ReLU applies max(0, .) to the outputs (the hidden layer).
	ReLU bool
}

// Head is a trained classifier on feature vectors: one or two fully
// connected layers (the first with ReLU when there are two) whose last
// outputs are the logits of a softmax.
type Head struct {
	Layers []Layer
	// Quant, when set, makes the head a uint8 one: its weights, biases and
	// activations are quantized as Export writes them (and as
	// quantization-aware training saw them). Nil for a float head.
	Quant *HeadQuant
}

// HeadQuant are the uint8 parameters of a quantized head. Weights get
// their own min/max range (weightQParams) and biases the int32 scale
// input scale x weight scale, so only the activations are stored.
type HeadQuant struct {
	// Input is the feature vector's quantization (the base's tensor).
	Input QParams
	// Acts are the outputs' of each layer: the hidden activation (after
	// ReLU), then the logits.
	Acts []QParams
}

// SoftmaxOutput is the uint8 softmax output's quantization, the release's
// (and TFLite's required) 1/256 with zero point 0.
var SoftmaxOutput = QParams{Scale: 1.0 / 256, ZeroPoint: 0}

// newHead returns a head with Glorot-uniform weights drawn from rng and
// zero biases: dim features, hidden units (0: none), classes outputs.
func newHead(dim, hidden, classes int, rng *rand.Rand) *Head {
	h := &Head{}
	in := dim
	if hidden > 0 {
		h.Layers = append(h.Layers, newLayer(in, hidden, true, rng))
		in = hidden
	}
	h.Layers = append(h.Layers, newLayer(in, classes, false, rng))
	return h
}

func newLayer(in, out int, relu bool, rng *rand.Rand) Layer {
	l := Layer{In: in, Out: out, W: make([]float64, in*out), B: make([]float64, out), ReLU: relu}
	limit := math.Sqrt(6 / float64(in+out))
	for i := range l.W {
		l.W[i] = (2*rng.Float64() - 1) * limit
	}
	return l
}

// Dim is the length of the feature vectors the head takes.
func (h *Head) Dim() int { return h.Layers[0].In }

// Classes is the number of classes.
func (h *Head) Classes() int { return h.Layers[len(h.Layers)-1].Out }

// Hidden is the number of hidden units (0 without a hidden layer).
func (h *Head) Hidden() int {
	if len(h.Layers) > 1 {
		return h.Layers[0].Out
	}
	return 0
}

// Clone returns a deep copy.
func (h *Head) Clone() *Head {
	c := &Head{Layers: make([]Layer, len(h.Layers))}
	for i, l := range h.Layers {
		l.W, l.B = slices.Clone(l.W), slices.Clone(l.B)
		c.Layers[i] = l
	}
	if h.Quant != nil {
		c.Quant = &HeadQuant{Input: h.Quant.Input, Acts: slices.Clone(h.Quant.Acts)}
	}
	return c
}

// check returns an error when the head is malformed.
func (h *Head) check() error {
	if h == nil || len(h.Layers) == 0 || len(h.Layers) > 2 {
		return errors.New("train: a head has one or two layers")
	}
	for i, l := range h.Layers {
		if l.In <= 0 || l.Out <= 0 || len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return fmt.Errorf("train: head layer %d: %d weights and %d biases for %d x %d", i, len(l.W), len(l.B), l.Out, l.In)
		}
		if i > 0 && l.In != h.Layers[i-1].Out {
			return fmt.Errorf("train: head layer %d takes %d inputs, layer %d gives %d", i, l.In, i-1, h.Layers[i-1].Out)
		}
		if l.ReLU != (i < len(h.Layers)-1) {
			return fmt.Errorf("train: head layer %d: only the hidden layer has a ReLU", i)
		}
	}
	if q := h.Quant; q != nil && len(q.Acts) != len(h.Layers) {
		return fmt.Errorf("train: quantized head has %d activation ranges for %d layers", len(q.Acts), len(h.Layers))
	}
	return nil
}

// quantized is a head's layers as the uint8 model computes them: weights
// and biases rounded to their codes, for the forward passes of
// quantization-aware training and of a quantized head's predictions.
type quantized struct {
	w, b [][]float64
	wq   []QParams
}

// quantize returns the head's fake-quantized weights and biases, with
// input scales from q (the input, then each layer's output).
func (h *Head) quantize(q *HeadQuant) *quantized {
	fq := &quantized{}
	in := q.Input
	for i, l := range h.Layers {
		wq := weightQParams(l.W)
		w := make([]float64, len(l.W))
		for j, v := range l.W {
			w[j] = wq.Dequantize(wq.Quantize(v))
		}
		bs := biasScale(in, wq)
		b := make([]float64, len(l.B))
		for j, v := range l.B {
			b[j] = float64(quantizeBias(v, bs)) * float64(bs)
		}
		fq.w, fq.b, fq.wq = append(fq.w, w), append(fq.b, b), append(fq.wq, wq)
		in = q.Acts[i]
	}
	return fq
}

// pass holds one forward pass's activations, for the backward pass.
type pass struct {
	acts [][]float64 // acts[0] is the input, acts[i+1] layer i's output (after ReLU and fake-quant)
	ste  [][]bool    // ste[i][o]: the gradient flows through layer i's output o (ReLU active, inside the quantized range)
}

func newPass(h *Head) *pass {
	p := &pass{acts: [][]float64{make([]float64, h.Dim())}}
	for _, l := range h.Layers {
		p.acts = append(p.acts, make([]float64, l.Out))
		p.ste = append(p.ste, make([]bool, l.Out))
	}
	return p
}

// forward computes the logits of x into p.acts[last]. With fq (and q), it
// uses the quantized weights and rounds every activation as the uint8
// model would.
func (h *Head) forward(x []float32, p *pass, fq *quantized, q *HeadQuant) []float64 {
	in := p.acts[0]
	for i, v := range x {
		in[i] = float64(v)
	}
	for i, l := range h.Layers {
		w, b := l.W, l.B
		if fq != nil {
			w, b = fq.w[i], fq.b[i]
		}
		out, ste := p.acts[i+1], p.ste[i]
		for o := range l.Out {
			row := w[o*l.In : (o+1)*l.In]
			s := b[o]
			for j, v := range row {
				s += v * in[j]
			}
			ste[o] = true
			if l.ReLU && s <= 0 {
				s, ste[o] = 0, false
			}
			if fq != nil {
				var inside bool
				s, inside = q.Acts[i].FakeQuant(s)
				ste[o] = ste[o] && inside
			}
			out[o] = s
		}
		in = out
	}
	return in
}

// softmax writes the probabilities of logits into p and returns them.
func softmax(logits, p []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = max(m, v)
	}
	sum := 0.0
	for i, v := range logits {
		p[i] = math.Exp(v - m)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// Scores returns the class probabilities of feature vector x. A quantized
// head computes them as its uint8 model does, down to the softmax output
// rounded to multiples of 1/256.
func (h *Head) Scores(x []float32) []float64 {
	p := newPass(h)
	var fq *quantized
	if h.Quant != nil {
		fq = h.quantize(h.Quant)
	}
	return h.scores(x, p, fq)
}

func (h *Head) scores(x []float32, p *pass, fq *quantized) []float64 {
	logits := h.forward(x, p, fq, h.Quant)
	probs := softmax(logits, make([]float64, len(logits)))
	if fq != nil {
		for i, v := range probs {
			probs[i] = SoftmaxOutput.Dequantize(SoftmaxOutput.Quantize(v))
		}
	}
	return probs
}

// Predict returns the most likely class of x (ties: the lower index, as
// the engine's top-k breaks them).
func (h *Head) Predict(x []float32) int { return ArgMax(h.Scores(x)) }

// predictor returns a function predicting many vectors with one set of
// buffers and one quantization of the weights.
func (h *Head) predictor() func(x []float32) []float64 {
	p := newPass(h)
	var fq *quantized
	if h.Quant != nil {
		fq = h.quantize(h.Quant)
	}
	return func(x []float32) []float64 { return h.scores(x, p, fq) }
}

// Evaluate returns the confusion matrix of the head on d.
func (h *Head) Evaluate(d *Dataset) *Confusion {
	c := NewConfusion(d.Classes)
	pred := h.predictor()
	for i, x := range d.X {
		c.Add(d.Y[i], ArgMax(pred(x)))
	}
	return c
}

// ArgMax returns the index of the largest score, the lower index on ties
// (as the engine's top-k breaks them).
func ArgMax(v []float64) int {
	best := 0
	for i, s := range v {
		if s > v[best] {
			best = i
		}
	}
	return best
}
