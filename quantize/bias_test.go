package quantize

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"mobilenet-wasm/loader"
)

// TestTapMeans: the mean input each filter tap reads, with SAME padding
// reading zeros, on a hand-computed case.
func TestTapMeans(t *testing.T) {
	m := &loader.Model{Tensors: []loader.Tensor{
		{Shape: []int{1, 2, 2, 1}}, {Shape: []int{1, 3, 3, 1}}, {Shape: []int{1, 2, 2, 1}},
	}}
	op := &loader.Operator{Op: loader.OpDepthwiseConv2D, Inputs: []int{0, 1}, Outputs: []int{2},
		Options: &loader.DepthwiseConv2DOptions{Padding: loader.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, DepthMultiplier: 1}}
	a := newTapMeans(m, op)
	a.add([]float32{1, 2, 3, 4})
	// Output (1,1) alone reads input (0,0) through the top-left tap;
	// the centre tap reads every input once.
	assert.InDelta(t, 1.0/4*4, a.sum[0], 1e-9)
	assert.InDelta(t, 10.0, a.sum[4], 1e-9)
	assert.InDelta(t, 4.0, a.sum[8], 1e-9, "bottom-right tap: output (0,0) reads input (1,1)")
	w := make([]float32, 9)
	wq := make([]float32, 9)
	wq[4] = 0.5 // the centre weight rounded up by 0.5
	assert.InDeltaSlice(t, []float64{0.5 * 2.5}, a.shift(w, wq, []int{1, 3, 3, 1}), 1e-9)
}
