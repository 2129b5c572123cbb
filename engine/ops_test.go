package engine

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
)

// TestFusedActivationsMatchLoader pins loader's activation enum to the
// kernels' fused activations: fused converts one to the other by value, so
// renumbering either side must fail here.
func TestFusedActivationsMatchLoader(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		act              loader.Activation
		fused            int
		floatLo, floatHi float32
	}{
		{loader.ActNone, kernels.FusedNone, -inf, inf},
		{loader.ActRelu, kernels.FusedRelu, 0, inf},
		{loader.ActReluN1To1, kernels.FusedReluN1To1, -1, 1},
		{loader.ActRelu6, kernels.FusedRelu6, 0, 6},
	}
	for _, c := range cases {
		assert.Equal(t, c.fused, fused(c.act), "%v", c.act)
		lo, hi := kernels.FloatActivationRange(fused(c.act))
		assert.Equal(t, [2]float32{c.floatLo, c.floatHi}, [2]float32{lo, hi}, "%v: float bounds", c.act)
	}
}
