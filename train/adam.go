package train

import "math"

// Adam is the Adam optimizer (Kingma & Ba) with decoupled weight decay
// (AdamW, Loshchilov & Hutter): decay shrinks the weights directly,
// rather than through the gradient, so that it does not depend on the
// gradient's scale that Adam normalizes away.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// WeightDecay is the decay per step, relative to LR: each decayed
	// parameter loses LR*WeightDecay of itself.
	WeightDecay float64
	t           int
}

// NewAdam returns Adam with the usual constants (0.9, 0.999, 1e-8).
func NewAdam(lr, weightDecay float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay}
}

// AdamSlot holds the moment estimates of one parameter slice.
type AdamSlot struct{ m, v []float64 }

// NewAdamSlot returns zero moments for n parameters.
func NewAdamSlot(n int) *AdamSlot { return &AdamSlot{m: make([]float64, n), v: make([]float64, n)} }

// Tick starts a step: Update calls until the next Tick share its bias
// correction.
func (a *Adam) Tick() { a.t++ }

// Update applies one step to params from grads (same length as the slot);
// decay says whether weight decay applies (weights, not biases).
func (a *Adam) Update(s *AdamSlot, params, grads []float64, decay bool) {
	c1 := 1 - math.Pow(a.Beta1, float64(a.t))
	c2 := 1 - math.Pow(a.Beta2, float64(a.t))
	b1, b2 := a.Beta1, a.Beta2
	lr, ic2 := a.LR/c1, 1/c2
	wd := 0.0
	if decay {
		wd = a.LR * a.WeightDecay
	}
	m, v, params := s.m[:len(grads)], s.v[:len(grads)], params[:len(grads)]
	for i, g := range grads {
		mi := b1*m[i] + (1-b1)*g
		vi := b2*v[i] + (1-b2)*g*g
		m[i], v[i] = mi, vi
		params[i] -= lr*mi/(math.Sqrt(vi*ic2)+a.Eps) + wd*params[i]
	}
}
