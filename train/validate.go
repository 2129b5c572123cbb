package train

import (
	"fmt"
	"math"
)

// Validate returns an error unless h is a well-formed head (one or two
// layers, consistent sizes, the ReLU on the hidden layer only, a
// quantization range per layer when quantized) that takes dim features to
// classes outputs with finite weights, biases and scales. It is for heads
// read back from storage (a saved project), which may be damaged.
func (h *Head) Validate(dim, classes int) error {
	if err := h.check(); err != nil {
		return err
	}
	if h.Dim() != dim || h.Classes() != classes {
		return fmt.Errorf("train: the head takes %d features to %d classes, want %d to %d", h.Dim(), h.Classes(), dim, classes)
	}
	for i, l := range h.Layers {
		for _, vs := range [][]float64{l.W, l.B} {
			for _, v := range vs {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("train: head layer %d has a non-finite parameter", i)
				}
			}
		}
	}
	if q := h.Quant; q != nil {
		for _, p := range append([]QParams{q.Input}, q.Acts...) {
			if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) || p.ZeroPoint < 0 || p.ZeroPoint > 255 {
				return fmt.Errorf("train: head quantization %+v: want a positive scale and a zero point in [0, 255]", p)
			}
		}
	}
	return nil
}
