package hostile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// planParams are what FuzzPlan varies in the tiny classifier.
type planParams struct {
	quant                   bool
	h, w, c, k, stride, dil uint8
	valid                   bool
	act, mult               uint8
	scale                   float32
	zp                      int16
	edit                    uint8
}

// planGraph is the tiny classifier with p's input, convolution and
// quantization: the shapes follow TFLite's formulas, so that most graphs
// pass the loader and reach the planner; edit picks a tensor whose scale
// and zero point become p's, or (above the tensor count) a shape to lie
// about.
func planGraph(p planParams) *tflitewrite.Graph {
	t := newTiny(p.quant, [4]int{1, int(p.h%64) + 1, int(p.w%64) + 1, int(p.c%8) + 1})
	k, s, d := int(p.k%5)+1, int(p.stride%4), int(p.dil%3)
	o := t.convOpts()
	o.StrideW, o.StrideH, o.DilationW, o.DilationH = s, s, d, d
	o.Activation = loader.Activation(p.act % 4)
	if p.valid {
		o.Padding = loader.PaddingValid
	}
	w := &t.g.Tensors[t.convW]
	w.Shape[1], w.Shape[2] = k, k
	w.Data = make([]byte, w.Shape[0]*k*k*w.Shape[3]*w.Type.ElemSize())
	for i := range w.Data {
		w.Data[i] = byte(i*29 + 3)
	}
	out := func(in int) int {
		if s <= 0 {
			return 1
		}
		if p.valid {
			in -= (k - 1) * max(d, 1)
		}
		return max((in+s-1)/s, 1)
	}
	in := t.g.Tensors[t.in].Shape
	oh, ow := out(in[1]), out(in[2])
	t.shape(t.conv, 1, oh, ow, 4)
	t.shape(t.dw, 1, oh, ow, 4)
	po := t.poolOpts()
	po.FilterH, po.FilterW = oh, ow
	t.dwOpts().DepthMultiplier = int(p.mult%2) + 1 - int(p.mult/128) // mostly 1, sometimes 0 or 2
	switch e := int(p.edit); {
	case e < len(t.g.Tensors):
		if q := t.g.Tensors[e].Quant; q != nil {
			q.Scale[0], q.ZeroPoint[0] = p.scale, int64(p.zp)
		}
	case e < 2*len(t.g.Tensors):
		if sh := t.g.Tensors[e-len(t.g.Tensors)].Shape; len(sh) > 0 {
			sh[len(sh)-1] += int(p.zp % 3)
		}
	}
	return t.g
}

// FuzzPlan parses, plans and runs once valid-looking models (planGraph):
// nothing may panic, planning may allocate only what the classifier then
// holds (engine.Memory) beyond engineBound, and a classifier that loads
// runs a raw input and a frame or refuses them with an error.
func FuzzPlan(f *testing.F) {
	f.Add(false, uint8(7), uint8(7), uint8(2), uint8(2), uint8(2), uint8(1), false, uint8(3), uint8(0), float32(0.05), int16(0), uint8(255))
	f.Add(true, uint8(7), uint8(7), uint8(2), uint8(2), uint8(2), uint8(1), false, uint8(3), uint8(0), float32(0.05), int16(0), uint8(255))
	f.Add(true, uint8(0), uint8(0), uint8(0), uint8(4), uint8(1), uint8(2), true, uint8(1), uint8(0), float32(1e-30), int16(3), uint8(3))
	f.Add(false, uint8(31), uint8(5), uint8(7), uint8(4), uint8(3), uint8(2), true, uint8(2), uint8(1), float32(math.Inf(1)), int16(-1), uint8(20))
	f.Add(true, uint8(63), uint8(63), uint8(7), uint8(0), uint8(0), uint8(0), false, uint8(0), uint8(200), float32(0), int16(300), uint8(5))
	f.Fuzz(func(t *testing.T, quant bool, h, w, c, k, stride, dil uint8, valid bool, act, mult uint8, scale float32, zp int16, edit uint8) {
		p := planParams{quant, h, w, c, k, stride, dil, valid, act, mult, scale, zp, edit}
		data, err := tflitewrite.WriteUnchecked(planGraph(p))
		require.NoError(t, err)
		var cl *engine.Classifier
		got := allocated(func() { cl, err = engine.Load([][]byte{data}, engine.Options{}) })
		if err != nil {
			require.LessOrEqual(t, got, engineBound(len(data)), "a refused load of %d bytes allocated %d", len(data), got)
			requireClear(t, err)
			return
		}
		mem := cl.Memory().Total()
		require.LessOrEqual(t, got, engineBound(len(data))+2*uint64(mem), "load of %d bytes allocated %d, holds %d", len(data), got, mem)
		in := make([]byte, len(cl.Input()))
		for i := range in {
			in[i] = byte(i * 11)
		}
		if _, err := cl.Infer(in); err != nil {
			requireClear(t, err)
		}
		frame := make([]byte, 4*9*13)
		if _, err := cl.ClassifyRGBA(frame, 9, 13, 4*9, 3); err != nil {
			requireClear(t, err)
		}
	})
}
