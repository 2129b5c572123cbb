package quantize

import (
	"math"

	"mobilenet-wasm/loader"
)

// equalize applies cross-layer equalization (Nagel et al., "Data-Free
// Quantization", 2019) to each depthwise convolution followed only by a
// convolution: output channel c of the depthwise layer (its filter and
// bias) is scaled by s_c and input channel c of the next filter by 1/s_c,
// with s_c = sqrt(r2_c/r1_c) (r1_c, r2_c: the largest |weight| of channel
// c in each filter), so that both filters' channels reach the same range
// and a per-tensor scale fits them all. This is what per-tensor uint8
// needs on MobileNet V1, whose folded batch norm leaves depthwise
// channels with ranges 20x apart.
//
// ReLU commutes with a positive scale; ReLU6 does not (it clips at 6, not
// 6·s_c), so with ReLU6 a channel is scaled only while its calibrated
// outputs stay below the cap: s_c <= 6/max_c, and a channel that reached
// 6 is left alone. The float model is unchanged; the scaled values are
// kept in r.floats and the depthwise outputs' ranges in r.eqScale.
func (r *rewrite) equalize() {
	m := r.m
	uses := make([]int, len(m.Tensors))
	for _, op := range m.Operators {
		for _, t := range op.Inputs {
			if t >= 0 {
				uses[t]++
			}
		}
	}
	for _, t := range m.Outputs {
		uses[t]++
	}
	next := make([]int, len(m.Tensors)) // the op reading each tensor (when used once)
	for i, op := range m.Operators {
		if op.Inputs[0] >= 0 {
			next[op.Inputs[0]] = i
		}
	}
	for i := range m.Operators {
		dw := &m.Operators[i]
		if dw.Op != loader.OpDepthwiseConv2D || len(dw.Inputs) < 3 || dw.Inputs[2] < 0 {
			continue
		}
		act := dw.Options.(*loader.DepthwiseConv2DOptions).Activation
		out := dw.Outputs[0]
		s := r.c.stats[out]
		if (act != loader.ActRelu && act != loader.ActRelu6) || uses[out] != 1 || s == nil || s.chMax == nil {
			continue
		}
		pw := &m.Operators[next[out]]
		if pw.Op != loader.OpConv2D || pw.Inputs[0] != out {
			continue
		}
		w1, b1, w2 := dw.Inputs[1], dw.Inputs[2], pw.Inputs[1]
		if uses[w1] != 1 || uses[b1] != 1 || uses[w2] != 1 {
			continue
		}
		W1, B1, W2 := r.floats(w1), r.floats(b1), r.floats(w2)
		channels := len(s.chMax)
		if len(B1) != channels || m.Tensors[w2].Shape[3] != channels {
			continue
		}
		r1, r2 := make([]float64, channels), make([]float64, channels)
		for j, x := range W1 {
			c := j % channels
			r1[c] = max(r1[c], math.Abs(float64(x)))
		}
		for j, x := range W2 {
			c := j % channels
			r2[c] = max(r2[c], math.Abs(float64(x)))
		}
		scale := make([]float64, channels)
		for c := range scale {
			scale[c] = 1
			if r1[c] == 0 || r2[c] == 0 {
				continue
			}
			sc := math.Sqrt(r2[c] / r1[c])
			if p := s.chMax[c]; act == loader.ActRelu6 && p > 0 {
				if p >= 6*(1-1e-6) {
					continue // clipped at 6: only s = 1 keeps ReLU6 exact
				}
				sc = min(sc, 6/p)
			}
			scale[c] = sc
		}
		nw1, nb1, nw2 := make([]float32, len(W1)), make([]float32, len(B1)), make([]float32, len(W2))
		for j, x := range W1 {
			nw1[j] = float32(float64(x) * scale[j%channels])
		}
		for c, x := range B1 {
			nb1[c] = float32(float64(x) * scale[c])
		}
		for j, x := range W2 {
			nw2[j] = float32(float64(x) / scale[j%channels])
		}
		r.floatOverride[w1], r.floatOverride[b1], r.floatOverride[w2] = nw1, nb1, nw2
		r.eqScale[out] = scale
	}
}

// floats returns float constant t's values: equalized ones when
// equalize changed them.
func (r *rewrite) floats(t int) []float32 {
	if v, ok := r.floatOverride[t]; ok {
		return v
	}
	v, _ := r.m.Tensors[t].Float32s()
	return v
}

// equalizedRange is the range of depthwise output t after equalization:
// [0, max over channels of s_c·max_c] (its outputs are ReLU or ReLU6).
func (r *rewrite) equalizedRange(t int) (float64, float64) {
	s, hi := r.c.stats[t], 0.0
	for c, sc := range r.eqScale[t] {
		hi = max(hi, sc*s.chMax[c])
	}
	return 0, hi
}
