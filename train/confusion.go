package train

import (
	"fmt"
	"strings"
)

// Confusion is a confusion matrix: Counts[true][predicted].
type Confusion struct {
	Classes int
	Counts  [][]int
}

// NewConfusion returns an empty matrix for classes classes.
func NewConfusion(classes int) *Confusion {
	c := &Confusion{Classes: classes, Counts: make([][]int, classes)}
	for i := range c.Counts {
		c.Counts[i] = make([]int, classes)
	}
	return c
}

// Add counts one example of class truth predicted as pred.
func (c *Confusion) Add(truth, pred int) { c.Counts[truth][pred]++ }

// Merge adds the counts of o (of the same size).
func (c *Confusion) Merge(o *Confusion) {
	for i, row := range o.Counts {
		for j, n := range row {
			c.Counts[i][j] += n
		}
	}
}

// Total is the number of examples counted.
func (c *Confusion) Total() int {
	n := 0
	for _, row := range c.Counts {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Correct is the number of examples predicted right (the diagonal).
func (c *Confusion) Correct() int {
	n := 0
	for i := range c.Counts {
		n += c.Counts[i][i]
	}
	return n
}

// Accuracy is Correct / Total (0 when empty).
func (c *Confusion) Accuracy() float64 {
	if t := c.Total(); t > 0 {
		return float64(c.Correct()) / float64(t)
	}
	return 0
}

// PerClass returns each class's accuracy (its recall: the share of its
// examples predicted right); -1 for a class without examples.
func (c *Confusion) PerClass() []float64 {
	acc := make([]float64, c.Classes)
	for i, row := range c.Counts {
		n := 0
		for _, v := range row {
			n += v
		}
		acc[i] = -1
		if n > 0 {
			acc[i] = float64(row[i]) / float64(n)
		}
	}
	return acc
}

// Format renders the matrix as text: one row per true class (named by
// labels when given), one column per predicted class (numbered), and the
// class's accuracy at the end of its row.
func (c *Confusion) Format(labels []string) string {
	var b strings.Builder
	name := func(i int) string {
		if i < len(labels) {
			return labels[i]
		}
		return fmt.Sprint(i)
	}
	const corner = "true\\pred"
	w := len(corner) // the row prefix: "%2d name"
	for i := range c.Classes {
		w = max(w, 3+len(name(i)))
	}
	cell := 4
	for _, row := range c.Counts {
		for _, v := range row {
			cell = max(cell, len(fmt.Sprint(v))+1)
		}
	}
	fmt.Fprintf(&b, "%-*s", w, corner)
	for j := range c.Classes {
		fmt.Fprintf(&b, "%*d", cell, j)
	}
	b.WriteString("   acc %\n")
	per := c.PerClass()
	for i, row := range c.Counts {
		fmt.Fprintf(&b, "%2d %-*s", i, w-3, name(i))
		for _, v := range row {
			if v == 0 {
				fmt.Fprintf(&b, "%*s", cell, ".")
			} else {
				fmt.Fprintf(&b, "%*d", cell, v)
			}
		}
		if per[i] < 0 {
			b.WriteString("       -\n")
		} else {
			fmt.Fprintf(&b, "  %6.1f\n", 100*per[i])
		}
	}
	fmt.Fprintf(&b, "accuracy %.1f%% (%d/%d)\n", 100*c.Accuracy(), c.Correct(), c.Total())
	return b.String()
}
