package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Config configures a Trainer. The zero value of a field means its
// default (see DefaultConfig), so Config{Seed: 7} is a usable config.
type Config struct {
	// Hidden is the number of units of a hidden ReLU layer; 0 trains a
	// softmax layer on the features directly (logistic regression).
	Hidden int
	// Epochs is the most float epochs (default 300); early stopping
	// usually ends sooner.
	Epochs int
	// Patience ends training after that many epochs without a better
	// validation result (default 30).
	Patience int
	// BatchSize is the mini-batch size (default 32).
	BatchSize int
	// LR is Adam's learning rate (default 0.003).
	LR float64
	// WeightDecay is AdamW's decoupled decay (default 1e-3); negative
	// means none.
	WeightDecay float64
	// NoBalance turns off class weights (by default each example weighs
	// inversely to its class's frequency).
	NoBalance bool
	// Seed makes the initial weights and the batches' order: the same
	// seed and data give the same head.
	Seed uint64
	// Quant, when set, adds quantization-aware epochs for a uint8 head
	// whose input is quantized so (the base's feature tensor).
	Quant *QParams
	// QATEpochs is the number of quantization-aware epochs that follow
	// the float ones when Quant is set (default 15).
	QATEpochs int
	// NoRefit turns off the refit phase. By default, when there is a
	// validation set, the float epochs (which pick the best epoch B on
	// it) are followed by a refit: the head starts again from the seed's
	// initial weights and trains on the training and validation examples
	// together for round(1.25*B) epochs, so that no example is wasted
	// on early stopping only.
	NoRefit bool
	// Averaging is the per-epoch decay of an exponential moving average
	// of the weights (default 0.9, a horizon of about ten epochs;
	// negative means none). Early stopping scores, and training keeps,
	// the averaged head rather than the last epoch's weights: on a few
	// hundred examples the mini-batches' noise makes the last weights
	// wander, and their average generalizes better (measured on
	// sign-digits, 5-fold: +0.2 to +0.8 points on each base). The
	// quantization-aware epochs do not average: their weights must stay
	// those that were fake-quantized.
	Averaging float64
}

// DefaultConfig returns the defaults Config's zero fields stand for.
func DefaultConfig() Config {
	return Config{Epochs: 300, Patience: 30, BatchSize: 32, LR: 0.003, WeightDecay: 1e-3, QATEpochs: 15, Averaging: 0.9}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Epochs == 0 {
		c.Epochs = d.Epochs
	}
	if c.Patience == 0 {
		c.Patience = d.Patience
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.LR == 0 {
		c.LR = d.LR
	}
	switch {
	case c.WeightDecay == 0:
		c.WeightDecay = d.WeightDecay
	case c.WeightDecay < 0:
		c.WeightDecay = 0
	}
	if c.QATEpochs == 0 {
		c.QATEpochs = d.QATEpochs
	}
	switch {
	case c.Averaging == 0:
		c.Averaging = d.Averaging
	case c.Averaging < 0:
		c.Averaging = 0
	}
	return c
}

func (c Config) check() error {
	switch {
	case c.Hidden < 0:
		return fmt.Errorf("train: hidden units %d < 0", c.Hidden)
	case c.Epochs < 0 || c.Patience < 0 || c.BatchSize < 0 || c.QATEpochs < 0:
		return errors.New("train: epochs, patience, batch size and QAT epochs must be positive")
	case c.LR < 0 || math.IsNaN(c.LR) || math.IsInf(c.LR, 0):
		return fmt.Errorf("train: learning rate %v", c.LR)
	case !(c.Averaging < 1) || math.IsNaN(c.Averaging):
		return fmt.Errorf("train: averaging decay %v: want less than 1", c.Averaging)
	case c.Quant != nil && !(c.Quant.Scale > 0) || c.Quant != nil && (c.Quant.ZeroPoint < 0 || c.Quant.ZeroPoint > 255):
		return fmt.Errorf("train: input quantization %+v: want a positive scale and a zero point in [0, 255]", *c.Quant)
	}
	return nil
}

// minLossGain is the smallest relative drop of the validation loss, at
// equal accuracy, that counts as an improvement for early stopping: on
// separable data the loss of the averaged weights creeps down for ever,
// by less than that.
const minLossGain = 1e-3

// Phase names a Trainer's stage.
type Phase string

// The phases of training: float epochs with early stopping on the
// validation set, then (with a validation set, unless Config.NoRefit) the
// refit on the training and validation examples together, then (for a
// quantized base) quantization-aware ones.
const (
	PhaseFloat Phase = "float"
	PhaseRefit Phase = "refit"
	PhaseQAT   Phase = "qat"
)

// Progress is what one Step did.
type Progress struct {
	Epoch int   // 1-based, counting all phases
	Phase Phase // the phase the epoch ran in: "float", "refit" or "qat"
	// Loss is the epoch's mean (class-weighted) cross-entropy on the
	// training examples, as the mini-batches saw them.
	Loss float64
	// TrainAcc is the epoch's accuracy on the training examples, as the
	// mini-batches saw them (each before its update, as Loss): scoring
	// the whole training set again after the epoch would cost a third
	// of the epoch's time. ValAcc is the accuracy on the validation set
	// of the head training keeps (the averaged weights;
	// fake-quantized in the QAT phase), -1 without a validation set and
	// in the refit phase. From the refit phase on, the validation
	// examples are training ones too, so in the QAT phase ValAcc and
	// ValLoss no longer measure generalization.
	TrainAcc, ValAcc float64
	// ValLoss is the mean cross-entropy on the validation set (-1
	// without one, and in the refit phase).
	ValLoss float64
	// Best says whether this epoch's head became the best one (in the
	// refit phase, only its last epoch's does: its head replaces the
	// float one).
	Best bool
	// Done says that training is over: Head is final.
	Done bool
}

// Trainer trains a head one epoch per Step. Stop calling Step at any
// time (a cancel): Head is the best head so far, and stays usable.
type Trainer struct {
	cfg        Config
	train, val Dataset
	weight     []float64 // per class
	rng        *rand.Rand
	head       *Head // the one being trained
	opt        *Adam
	slotsW     []*AdamSlot
	slotsB     []*AdamSlot
	order      []int
	ws         *workspace

	phase     Phase
	epoch     int
	phaseEnds int // last epoch of the refit or QAT phase
	best      *Head
	floatBest *Head // the best float head, kept when the QAT phase starts
	bestAcc   float64
	bestLoss  float64
	bestEpoch int // of the best float head
	sinceBest int
	done      bool
	last      Progress
	// averaged is the moving average of head's weights (nil before the
	// first epoch of a phase, and without averaging).
	averaged *Head
}

// NewTrainer prepares training on train, with early stopping and model
// selection on val (which may be empty: then training runs cfg.Epochs
// epochs and the last head is kept). Both must have the same classes
// and feature length; every class needs training examples.
func NewTrainer(train, val Dataset, cfg Config) (*Trainer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := train.Check(nil); err != nil {
		return nil, err
	}
	if val.Len() > 0 {
		if val.Classes != train.Classes {
			return nil, fmt.Errorf("train: validation has %d classes, training %d", val.Classes, train.Classes)
		}
		for i, x := range val.X {
			if len(x) != train.Dim() {
				return nil, fmt.Errorf("train: validation example %d has %d features, training ones %d", i, len(x), train.Dim())
			}
			if val.Y[i] < 0 || val.Y[i] >= val.Classes {
				return nil, fmt.Errorf("train: validation example %d has label %d, out of range", i, val.Y[i])
			}
		}
	}
	t := &Trainer{
		cfg:   cfg,
		val:   val,
		phase: PhaseFloat,
	}
	t.init(train)
	t.best = t.head.Clone()
	t.bestAcc, t.bestLoss = -1, math.Inf(1)
	return t, nil
}

// init starts training on train from the seed's initial head: the class
// weights, random numbers, head, optimizer and batch order.
func (t *Trainer) init(train Dataset) {
	t.train = train
	t.weight = ClassWeights(train.Counts())
	if t.cfg.NoBalance {
		for i := range t.weight {
			t.weight[i] = 1
		}
	}
	t.rng = rand.New(rand.NewPCG(t.cfg.Seed, 0x7261696e))
	t.averaged = nil
	t.head = newHead(train.Dim(), t.cfg.Hidden, train.Classes, t.rng)
	t.resetOptimizer(t.cfg.LR)
	t.order = make([]int, train.Len())
	for i := range t.order {
		t.order[i] = i
	}
}

func (t *Trainer) resetOptimizer(lr float64) {
	t.opt = NewAdam(lr, t.cfg.WeightDecay)
	t.slotsW, t.slotsB = nil, nil
	for _, l := range t.head.Layers {
		t.slotsW = append(t.slotsW, NewAdamSlot(len(l.W)))
		t.slotsB = append(t.slotsB, NewAdamSlot(len(l.B)))
	}
}

// Head returns (a copy of) the best head so far: the one with the best
// validation accuracy (then loss), or the last one without a validation
// set. During the refit phase it is still the best float head; once the
// refit is over, the refit head. In the QAT phase it is the best
// quantization-aware head. Before the first Step it is the untrained
// initial head.
func (t *Trainer) Head() *Head { return t.best.Clone() }

// FloatHead returns (a copy of) the best float head: Head until the QAT
// phase starts (the refit head once the refit is over), then the float
// head it started from, to measure what quantization costs.
func (t *Trainer) FloatHead() *Head {
	if t.floatBest != nil {
		return t.floatBest.Clone()
	}
	return t.Head()
}

// Phase is the phase the next Step runs in.
func (t *Trainer) Phase() Phase { return t.phase }

// Done says whether training is over.
func (t *Trainer) Done() bool { return t.done }

// Validation returns the confusion matrix of the best head on the
// validation set (empty without one). After the refit phase the head has
// trained on the validation examples: the matrix flatters it.
func (t *Trainer) Validation() *Confusion { return t.best.Evaluate(&t.val) }

// Run steps t until done, calling progress (when not nil) after each
// epoch; it returns the final head.
func (t *Trainer) Run(progress func(Progress)) *Head {
	for !t.done {
		p := t.Step()
		if progress != nil {
			progress(p)
		}
	}
	return t.Head()
}

// Step runs one epoch and returns what it did. After training is done it
// runs nothing and returns the last progress again.
func (t *Trainer) Step() Progress {
	if t.done {
		return t.last
	}
	t.epoch++
	if t.phase == PhaseRefit {
		return t.refitStep()
	}
	loss, acc := t.epochPass()
	t.updateAverage()
	p := Progress{Epoch: t.epoch, Phase: t.phase, Loss: loss, TrainAcc: acc, ValAcc: -1, ValLoss: -1}
	improved := true
	if t.val.Len() > 0 {
		p.ValAcc, p.ValLoss = t.validate()
		// A lower loss at equal accuracy counts only when it is not
		// noise: on separable data the loss creeps down for ever.
		improved = p.ValAcc > t.bestAcc || p.ValAcc == t.bestAcc && p.ValLoss < t.bestLoss*(1-minLossGain)
	}
	if improved {
		t.best, t.bestAcc, t.bestLoss, t.sinceBest = t.scored().Clone(), p.ValAcc, p.ValLoss, 0
		p.Best = true
		if t.phase == PhaseFloat {
			t.bestEpoch = t.epoch
		}
	} else {
		t.sinceBest++
	}
	switch t.phase {
	case PhaseFloat:
		if t.epoch >= t.cfg.Epochs || t.val.Len() > 0 && t.sinceBest >= t.cfg.Patience {
			if t.val.Len() > 0 && !t.cfg.NoRefit {
				t.startRefit()
			} else {
				t.endFloat()
			}
		}
	case PhaseQAT:
		t.done = t.epoch >= t.phaseEnds
	}
	p.Done = t.done
	t.last = p
	return p
}

// endFloat ends the float epochs (or the refit): training is done, or
// the QAT phase starts.
func (t *Trainer) endFloat() {
	if t.cfg.Quant == nil || t.cfg.QATEpochs == 0 {
		t.done = true
	} else {
		t.startQAT()
	}
}

// startRefit starts again from the seed's initial head, on the training
// and validation examples together, for 1.25 times the best float epoch
// (a quarter more for a fifth more examples). The best head stays the
// float one until the refit is over.
func (t *Trainer) startRefit() {
	all := Dataset{Classes: t.train.Classes, X: slices.Concat(t.train.X, t.val.X), Y: slices.Concat(t.train.Y, t.val.Y)}
	t.phase = PhaseRefit
	t.phaseEnds = t.epoch + max(1, int(math.Round(1.25*float64(t.bestEpoch))))
	t.init(all)
}

// refitStep runs one epoch of the refit phase. It does not score the
// validation set (ValAcc and ValLoss are -1): its examples are training
// ones now, and scoring them would only cost time.
func (t *Trainer) refitStep() Progress {
	loss, acc := t.epochPass()
	t.updateAverage()
	p := Progress{Epoch: t.epoch, Phase: PhaseRefit, Loss: loss, TrainAcc: acc, ValAcc: -1, ValLoss: -1}
	if t.epoch >= t.phaseEnds {
		t.best, t.bestAcc, t.bestLoss, t.sinceBest = t.scored().Clone(), -1, math.Inf(1), 0
		p.Best = true
		t.endFloat()
	}
	p.Done = t.done
	t.last = p
	return p
}

// startQAT continues from the best float head (the refit head after a
// refit) with fake-quantized weights and activations, at a tenth of the learning rate: a fine-tuning that
// lets the weights settle where rounding costs least.
func (t *Trainer) startQAT() {
	t.phase = PhaseQAT
	t.phaseEnds = t.epoch + t.cfg.QATEpochs
	t.floatBest = t.best.Clone()
	t.head = t.best.Clone()
	t.averaged = nil
	t.head.Quant = &HeadQuant{Input: *t.cfg.Quant}
	t.calibrate()
	t.resetOptimizer(t.cfg.LR / 10)
	// The best head must now be a quantized one.
	t.best = t.head.Clone()
	t.bestAcc, t.bestLoss = -1, math.Inf(1)
	if t.val.Len() > 0 {
		t.bestAcc, t.bestLoss = t.validate()
	}
	t.sinceBest = 0
}

// calibrate sets the activation ranges of the quantized head from its
// outputs on the training set (with the validation examples after a
// refit): each layer's min and max (the hidden layer
// computed from the quantized previous ones), as TensorFlow's
// quantization-aware training records them.
func (t *Trainer) calibrate() {
	h := t.head
	q := h.Quant
	q.Acts = make([]QParams, len(h.Layers))
	for i := range q.Acts {
		q.Acts[i] = QParams{Scale: 1, ZeroPoint: 0} // placeholder until layer i is measured
	}
	for i := range h.Layers {
		// Layers before i are quantized with their final ranges; layer
		// i's raw outputs give its range.
		fq := h.quantize(q)
		lo, hi := math.Inf(1), math.Inf(-1)
		p := newPass(h, 1)
		for _, x := range t.train.X {
			in := p.acts[0]
			for j, v := range x {
				in[j] = float64(v)
			}
			for k := 0; k <= i; k++ {
				l := h.Layers[k]
				out := p.acts[k+1]
				for o := range l.Out {
					s := fq.b[k][o]
					row := fq.w[k][o*l.In : (o+1)*l.In]
					for j, v := range row {
						s += v * in[j]
					}
					if l.ReLU {
						s = max(s, 0)
					}
					if k < i {
						s, _ = q.Acts[k].FakeQuant(s)
					}
					out[o] = s
				}
				in = out
			}
			for _, v := range in {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		q.Acts[i] = ChooseQParams(lo, hi)
	}
}

// epochPass runs the mini-batches of one epoch in a fresh random order and
// returns the mean weighted loss and the (unweighted) accuracy of the
// batches' forward passes.
func (t *Trainer) epochPass() (loss, acc float64) {
	h := t.head
	t.rng.Shuffle(len(t.order), func(i, j int) { t.order[i], t.order[j] = t.order[j], t.order[i] })
	w := t.work(h)
	totalLoss, totalWeight, correct := 0.0, 0.0, 0
	for start := 0; start < len(t.order); start += t.cfg.BatchSize {
		batch := t.order[start:min(start+t.cfg.BatchSize, len(t.order))]
		var fq *quantized
		if h.Quant != nil {
			fq = h.quantizeInto(h.Quant, w.fq)
			w.fq = fq
		}
		for i := range w.gw {
			clear(w.gw[i])
			clear(w.gb[i])
		}
		xs, ys, scales := w.xs[:0], w.ys[:0], w.scales[:0]
		bw := 0.0
		for _, e := range batch {
			bw += t.weight[t.train.Y[e]]
			xs, ys = append(xs, t.train.X[e]), append(ys, t.train.Y[e])
		}
		for _, y := range ys {
			scales = append(scales, t.weight[y]/bw)
		}
		w.xs, w.ys, w.scales = xs, ys, scales
		losses := h.backward(xs, ys, scales, w.pass, fq, w.gw, w.gb)
		c := h.Classes()
		for s, y := range ys {
			totalLoss += t.weight[y] * losses[s]
			totalWeight += t.weight[y]
			if ArgMax(w.pass.probs[s*c:(s+1)*c]) == y {
				correct++
			}
		}
		t.opt.Tick()
		for i := range h.Layers {
			t.opt.Update(t.slotsW[i], h.Layers[i].W, w.gw[i], true)
			t.opt.Update(t.slotsB[i], h.Layers[i].B, w.gb[i], false)
		}
	}
	return totalLoss / totalWeight, float64(correct) / float64(len(t.order))
}

// workspace is the buffers of an epoch, kept from one to the next.
type workspace struct {
	pass   *pass
	gw, gb [][]float64
	fq     *quantized
	xs     [][]float32
	ys     []int
	scales []float64
}

// work returns the workspace for h, made on first use.
func (t *Trainer) work(h *Head) *workspace {
	if t.ws != nil {
		return t.ws
	}
	w := &workspace{pass: newPass(h, t.cfg.BatchSize)}
	for _, l := range h.Layers {
		w.gw, w.gb = append(w.gw, make([]float64, len(l.W))), append(w.gb, make([]float64, len(l.B)))
	}
	t.ws = w
	return w
}

// backward runs xs forward and adds the gradient of the cross-entropies
// of labels ys, example s's scaled by scales[s], to gw, gb; it returns
// each example's (unscaled) loss (p's buffer). With fq, the forward pass
// is fake-quantized and the gradient passes straight through the rounding
// (zero where an activation was clamped).
func (h *Head) backward(xs [][]float32, ys []int, scales []float64, p *pass, fq *quantized, gw, gb [][]float64) []float64 {
	h.probabilities(xs, p, fq)
	n, c := len(xs), h.Classes()
	last := len(h.Layers) - 1
	losses := p.loss[:n]
	for s, y := range ys {
		probs := p.probs[s*c : (s+1)*c]
		losses[s] = -math.Log(max(probs[y], 1e-300))
		d := p.deltas[last][s*c : (s+1)*c]
		ste := p.ste[last][s*c : (s+1)*c]
		for o, pr := range probs {
			v := pr
			if o == y {
				v--
			}
			if !ste[o] {
				v = 0
			}
			d[o] = v * scales[s]
		}
	}
	for i := last; i >= 0; i-- {
		l := h.Layers[i]
		d := p.deltas[i][:n*l.Out]
		denseGradW(gw[i], gb[i], d, p.acts[i], n, l.In, l.Out)
		if i == 0 {
			break
		}
		w := l.W
		if fq != nil {
			w = fq.w[i]
		}
		prev := p.deltas[i-1][:n*l.In]
		denseGradIn(prev, d, w, n, l.In, l.Out)
		for j, on := range p.ste[i-1][:n*l.In] {
			if !on {
				prev[j] = 0
			}
		}
	}
	return losses
}

// score returns the current head's accuracy on d (as Evaluate's) and its
// mean cross-entropy (unweighted: the validation split keeps the classes'
// proportions).
func (t *Trainer) score(d *Dataset) (acc, loss float64) {
	h := t.scored()
	w := t.work(h)
	var fq *quantized
	if h.Quant != nil {
		fq = h.quantizeInto(h.Quant, w.fq)
		w.fq = fq
	}
	p, c := w.pass, h.Classes()
	correct := 0
	for start := 0; start < d.Len(); start += p.n {
		xs := d.X[start:min(start+p.n, d.Len())]
		h.probabilities(xs, p, fq)
		for s := range xs {
			y := d.Y[start+s]
			probs := p.probs[s*c : (s+1)*c]
			// The loss from unrounded probabilities: the rounded uint8
			// ones can be exactly 0.
			loss -= math.Log(max(probs[y], 1e-300))
			if fq != nil {
				roundScores(probs)
			}
			if ArgMax(probs) == y {
				correct++
			}
		}
	}
	n := float64(d.Len())
	return float64(correct) / n, loss / n
}

// validate is score on the validation set.
func (t *Trainer) validate() (acc, loss float64) { return t.score(&t.val) }

// scored is the head that validation scores and that becomes the best
// one: the averaged weights when there are some, else the trained ones.
func (t *Trainer) scored() *Head {
	if t.averaged != nil {
		return t.averaged
	}
	return t.head
}

// updateAverage folds the head's weights after an epoch into the moving
// average (float and refit phases only).
func (t *Trainer) updateAverage() {
	if t.cfg.Averaging == 0 || t.phase == PhaseQAT {
		return
	}
	if t.averaged == nil {
		t.averaged = t.head.Clone()
		return
	}
	b := t.cfg.Averaging
	for i, l := range t.head.Layers {
		a := t.averaged.Layers[i]
		for j, v := range l.W {
			a.W[j] = b*a.W[j] + (1-b)*v
		}
		for j, v := range l.B {
			a.B[j] = b*a.B[j] + (1-b)*v
		}
	}
}
