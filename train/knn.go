package train

import (
	"errors"
	"math"
)

// KNN classifies by the nearest training examples under cosine
// similarity: no training, only the normalized examples kept. It suits
// a handful of examples per class and adding classes on the fly.
type KNN struct {
	// K is the number of neighbours that vote (1 when 0).
	K       int
	classes int
	x       [][]float64 // unit vectors
	y       []int
}

// NewKNN keeps the examples of d (copied, normalized). A zero vector
// (every feature 0) is kept and is nobody's neighbour.
func NewKNN(d *Dataset, k int) (*KNN, error) {
	if err := d.Check(nil); err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, errors.New("train: k must be positive")
	}
	m := &KNN{K: k, classes: d.Classes, y: append([]int(nil), d.Y...)}
	for _, x := range d.X {
		m.x = append(m.x, unit(x))
	}
	return m, nil
}

func unit(x []float32) []float64 {
	u := make([]float64, len(x))
	n := 0.0
	for i, v := range x {
		u[i] = float64(v)
		n += u[i] * u[i]
	}
	if n > 0 {
		n = 1 / math.Sqrt(n)
	}
	for i := range u {
		u[i] *= n
	}
	return u
}

// Scores returns, per class, the summed cosine similarity of its examples
// among the K nearest to x (0 for classes without one).
func (m *KNN) Scores(x []float32) []float64 {
	k := max(m.K, 1)
	u := unit(x)
	// The K best, kept sorted by decreasing similarity; ties keep the
	// earlier example, so the result does not depend on anything but the
	// data's order.
	type nb struct {
		sim float64
		i   int
	}
	best := make([]nb, 0, k+1)
	for i, e := range m.x {
		s := 0.0
		for j, v := range e {
			s += v * u[j]
		}
		if len(best) == k && s <= best[k-1].sim {
			continue
		}
		pos := len(best)
		best = append(best, nb{})
		for pos > 0 && s > best[pos-1].sim {
			best[pos] = best[pos-1]
			pos--
		}
		best[pos] = nb{s, i}
		if len(best) > k {
			best = best[:k]
		}
	}
	scores := make([]float64, m.classes)
	for _, b := range best {
		// Shifted so that every neighbour's vote is positive.
		scores[m.y[b.i]] += 1 + b.sim
	}
	return scores
}

// Predict returns the class with the highest vote (ties: the lower index).
func (m *KNN) Predict(x []float32) int { return ArgMax(m.Scores(x)) }

// Evaluate returns the confusion matrix of the classifier on d.
func (m *KNN) Evaluate(d *Dataset) *Confusion {
	c := NewConfusion(d.Classes)
	for i, x := range d.X {
		c.Add(d.Y[i], m.Predict(x))
	}
	return c
}
