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
func (h *Head) quantize(q *HeadQuant) *quantized { return h.quantizeInto(q, nil) }

// quantizeInto is quantize reusing fq's buffers (fq may be nil).
func (h *Head) quantizeInto(q *HeadQuant, fq *quantized) *quantized {
	if fq == nil || len(fq.w) != len(h.Layers) {
		fq = &quantized{w: make([][]float64, len(h.Layers)), b: make([][]float64, len(h.Layers)), wq: make([]QParams, len(h.Layers))}
	}
	in := q.Input
	for i, l := range h.Layers {
		wq := weightQParams(l.W)
		w := fq.w[i]
		if len(w) != len(l.W) {
			w = make([]float64, len(l.W))
		}
		for j, v := range l.W {
			w[j] = wq.Dequantize(wq.Quantize(v))
		}
		bs := biasScale(in, wq)
		b := fq.b[i]
		if len(b) != len(l.B) {
			b = make([]float64, len(l.B))
		}
		for j, v := range l.B {
			b[j] = float64(quantizeBias(v, bs)) * float64(bs)
		}
		fq.w[i], fq.b[i], fq.wq[i] = w, b, wq
		in = q.Acts[i]
	}
	return fq
}

// pass holds the activations of a forward pass over up to n examples at
// once, for the backward pass: example s's values of a layer with m
// outputs are at [s*m, (s+1)*m).
type pass struct {
	n      int
	acts   [][]float64 // acts[0] is the inputs, acts[i+1] layer i's outputs (after ReLU and fake-quant)
	ste    [][]bool    // ste[i][s*m+o]: the gradient flows through layer i's output o (ReLU active, inside the quantized range)
	deltas [][]float64 // deltas[i]: the loss's gradient on layer i's outputs
	probs  []float64   // the softmax of the logits
	loss   []float64   // each example's cross-entropy
}

// passBatch is the number of examples a pass holds when evaluating a
// data set.
const passBatch = 32

func newPass(h *Head, n int) *pass {
	p := &pass{n: n, acts: [][]float64{make([]float64, n*h.Dim())}, probs: make([]float64, n*h.Classes()), loss: make([]float64, n)}
	for _, l := range h.Layers {
		p.acts = append(p.acts, make([]float64, n*l.Out))
		p.ste = append(p.ste, make([]bool, n*l.Out))
		p.deltas = append(p.deltas, make([]float64, n*l.Out))
	}
	return p
}

// forward computes the logits of xs (at most p.n) into p.acts[last] and
// returns them, len(xs) rows of Classes. With fq (and q), it uses the
// quantized weights and rounds every activation as the uint8 model would.
func (h *Head) forward(xs [][]float32, p *pass, fq *quantized, q *HeadQuant) []float64 {
	n, dim := len(xs), h.Dim()
	in := p.acts[0][:n*dim]
	for s, x := range xs {
		row := in[s*dim : (s+1)*dim]
		for j, v := range x[:len(row)] {
			row[j] = float64(v)
		}
	}
	for i, l := range h.Layers {
		w, b := l.W, l.B
		if fq != nil {
			w, b = fq.w[i], fq.b[i]
		}
		out, ste := p.acts[i+1][:n*l.Out], p.ste[i][:n*l.Out]
		denseForward(w, b, in, out, n, l.In, l.Out)
		switch {
		case fq != nil:
			aq := q.Acts[i]
			lo, hi := aq.Dequantize(0), aq.Dequantize(255)
			for k, v := range out {
				active := true
				if l.ReLU && v <= 0 {
					v, active = 0, false
				}
				ste[k] = active && v >= lo && v <= hi
				out[k] = aq.Dequantize(aq.Quantize(v))
			}
		case l.ReLU:
			for k, v := range out {
				ste[k] = v > 0
				if v <= 0 {
					out[k] = 0
				}
			}
		default:
			for k := range ste {
				ste[k] = true
			}
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
	return slices.Clone(h.predictor(1)([][]float32{x}))
}

// Predict returns the most likely class of x (ties: the lower index, as
// the engine's top-k breaks them).
func (h *Head) Predict(x []float32) int { return ArgMax(h.Scores(x)) }

// predictor returns a function computing the scores of up to n vectors at
// once (len(xs) rows of Classes, valid until the next call) with one set
// of buffers and one quantization of the weights.
func (h *Head) predictor(n int) func(xs [][]float32) []float64 {
	p := newPass(h, n)
	var fq *quantized
	if h.Quant != nil {
		fq = h.quantize(h.Quant)
	}
	return func(xs [][]float32) []float64 {
		h.probabilities(xs, p, fq)
		probs := p.probs[:len(xs)*h.Classes()]
		if fq != nil {
			roundScores(probs)
		}
		return probs
	}
}

// probabilities runs xs forward and writes their softmax into p.probs
// (unrounded, for a quantized head too).
func (h *Head) probabilities(xs [][]float32, p *pass, fq *quantized) {
	logits := h.forward(xs, p, fq, h.Quant)
	c := h.Classes()
	for s := range xs {
		softmax(logits[s*c:(s+1)*c], p.probs[s*c:(s+1)*c])
	}
}

// roundScores rounds probabilities to the uint8 softmax output's values.
func roundScores(probs []float64) {
	for i, v := range probs {
		probs[i] = SoftmaxOutput.Dequantize(SoftmaxOutput.Quantize(v))
	}
}

// Evaluate returns the confusion matrix of the head on d.
func (h *Head) Evaluate(d *Dataset) *Confusion {
	c := NewConfusion(d.Classes)
	n := min(passBatch, d.Len())
	if n == 0 {
		return c
	}
	pred := h.predictor(n)
	k := h.Classes()
	for start := 0; start < d.Len(); start += n {
		xs := d.X[start:min(start+n, d.Len())]
		probs := pred(xs)
		for s := range xs {
			c.Add(d.Y[start+s], ArgMax(probs[s*k:(s+1)*k]))
		}
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
