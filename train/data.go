package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Dataset is a set of labelled feature vectors.
type Dataset struct {
	// X are the feature vectors, all of the same length.
	X [][]float32
	// Y are the class indices, in [0, Classes).
	Y []int
	// Classes is the number of classes.
	Classes int
}

// Len is the number of examples.
func (d *Dataset) Len() int { return len(d.Y) }

// Dim is the length of the feature vectors (0 when there are none).
func (d *Dataset) Dim() int {
	if len(d.X) == 0 {
		return 0
	}
	return len(d.X[0])
}

// Counts returns the number of examples of each class.
func (d *Dataset) Counts() []int {
	n := make([]int, d.Classes)
	for _, y := range d.Y {
		if y >= 0 && y < d.Classes {
			n[y]++
		}
	}
	return n
}

// Subset returns the examples at the given indices (sharing the vectors).
func (d *Dataset) Subset(idx []int) Dataset {
	s := Dataset{Classes: d.Classes, X: make([][]float32, len(idx)), Y: make([]int, len(idx))}
	for i, j := range idx {
		s.X[i], s.Y[i] = d.X[j], d.Y[j]
	}
	return s
}

// Check returns an error when the dataset cannot be trained on: fewer than
// two classes, a class without examples, vectors of different lengths,
// non-finite values or labels out of range. names (may be nil) name the
// classes in the messages.
func (d *Dataset) Check(names []string) error {
	name := func(c int) string {
		if c < len(names) {
			return fmt.Sprintf("class %d %q", c, names[c])
		}
		return fmt.Sprintf("class %d", c)
	}
	if d.Classes < 2 {
		return fmt.Errorf("train: %d class, need at least 2 to tell apart", d.Classes)
	}
	if len(d.X) != len(d.Y) {
		return fmt.Errorf("train: %d vectors but %d labels", len(d.X), len(d.Y))
	}
	if len(d.X) == 0 {
		return errors.New("train: no examples")
	}
	dim := len(d.X[0])
	if dim == 0 {
		return errors.New("train: empty feature vectors")
	}
	for i, x := range d.X {
		if len(x) != dim {
			return fmt.Errorf("train: example %d has %d features, example 0 has %d", i, len(x), dim)
		}
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("train: example %d has a non-finite feature", i)
			}
		}
		if d.Y[i] < 0 || d.Y[i] >= d.Classes {
			return fmt.Errorf("train: example %d has label %d, out of range [0, %d)", i, d.Y[i], d.Classes)
		}
	}
	for c, n := range d.Counts() {
		if n == 0 {
			return fmt.Errorf("train: %s has no examples", name(c))
		}
	}
	return nil
}

// ClassWeights returns one weight per class, inverse to its frequency and
// scaled so that the examples' weights average 1: n / (classes * n_c).
// Each class then weighs as much in the loss as any other, however many
// examples it has. A class without examples gets weight 0.
func ClassWeights(counts []int) []float64 {
	total := 0
	present := 0
	for _, n := range counts {
		total += n
		if n > 0 {
			present++
		}
	}
	w := make([]float64, len(counts))
	for c, n := range counts {
		if n > 0 {
			w[c] = float64(total) / (float64(present) * float64(n))
		}
	}
	return w
}

// StratifiedSplit splits example indices into training and validation
// sets keeping each class's proportion: round(frac * n_c) examples of
// class c, chosen at random with seed, go to validation, but at least one
// when frac > 0 and the class has two or more, and never all of them.
// Both lists are in increasing order.
func StratifiedSplit(y []int, classes int, frac float64, seed uint64) (trainIdx, valIdx []int) {
	rng := rand.New(rand.NewPCG(seed, 0x5157))
	byClass := make([][]int, classes)
	for i, c := range y {
		if c >= 0 && c < classes {
			byClass[c] = append(byClass[c], i)
		}
	}
	for _, idx := range byClass {
		n := len(idx)
		k := int(math.Round(frac * float64(n)))
		if frac > 0 && n >= 2 {
			k = max(k, 1)
		}
		k = min(k, n-1)
		k = max(k, 0)
		rng.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		valIdx = append(valIdx, idx[:k]...)
		trainIdx = append(trainIdx, idx[k:]...)
	}
	slices.Sort(trainIdx)
	slices.Sort(valIdx)
	return trainIdx, valIdx
}

// Folds returns k test folds for cross-validation, without shuffling:
// fold f holds, of each class, the f-th of k contiguous blocks of that
// class's examples in their given order. When the examples are in the
// order they were recorded (photos sorted by time), a block is a group of
// people or sessions, so a test fold holds people the training never saw.
// Each list is in increasing order.
func Folds(y []int, classes, k int) [][]int {
	byClass := make([][]int, classes)
	for i, c := range y {
		if c >= 0 && c < classes {
			byClass[c] = append(byClass[c], i)
		}
	}
	folds := make([][]int, k)
	for _, idx := range byClass {
		n := len(idx)
		for f := range k {
			folds[f] = append(folds[f], idx[f*n/k:(f+1)*n/k]...)
		}
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds
}

// Complement returns the indices in [0, n) that are not in idx (sorted).
func Complement(n int, idx []int) []int {
	in := make([]bool, n)
	for _, i := range idx {
		in[i] = true
	}
	var out []int
	for i := range n {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}
