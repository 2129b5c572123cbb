package quantize

import (
	"math"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/loader"
)

// Bias absorption and empirical bias correction (Nagel et al. 2019,
// sections 4.1 and 4.2).
//
// Bias absorption. Equalization scales channels up as well as down, and
// a channel whose ReLU output never goes below some c > 0 (a large
// folded batch-norm bias) widens its tensor's range for nothing. When
// the next layer reads without padding (a 1x1 convolution, or VALID
// padding), c can move into its bias: ReLU(z - c) = ReLU(z) - c for
// z >= c, and W2·(h - c) + (b2 + W2·c) = W2·h + b2, exactly. c is the
// channel's smallest output over the calibration data (of the equalized
// graph), so the shift is exact on it and off by at most how far a new
// input goes below it.
//
// Bias correction. Rounding weights shifts a layer's outputs on average:
// E[(W_q - W)·x] per output channel, not zero when a layer's few levels
// round many weights the same way (per-tensor depthwise filters). The
// shift passes through the ReLUs to every later layer. It is measured on
// the calibration data and removed from the bias: for each layer, the
// mean over the data and the output positions of the input each filter
// tap reads (zero where it reads padding), times W_q - W. Layer by layer
// (Nagel's empirical variant), the inputs are those of the graph whose
// earlier layers already have quantized weights and corrected biases;
// the passes run the whole graph, so each pass corrects every layer with
// the previous pass's corrections upstream, and two passes give the
// layer-by-layer result to within what the figures show.

// channelRanges returns, for each of the tensors, its smallest and
// largest value per channel (the last dimension) when f runs on the
// calibration samples.
func (c *Calibrator) channelRanges(f *floatGraph, tensors []int) (mins, maxs map[int][]float64, err error) {
	_, clf, err := f.build()
	if err != nil {
		return nil, nil, err
	}
	mins, maxs = map[int][]float64{}, map[int][]float64{}
	for _, t := range tensors {
		sh := f.m.Tensors[t].Shape
		lo, hi := make([]float64, sh[len(sh)-1]), make([]float64, sh[len(sh)-1])
		for i := range lo {
			lo[i], hi[i] = math.Inf(1), math.Inf(-1)
		}
		mins[t], maxs[t] = lo, hi
	}
	c.runAll(clf, func(o engine.Observation) {
		lo, hi := mins[o.Tensor.Index], maxs[o.Tensor.Index]
		if lo == nil {
			return
		}
		n := len(lo)
		for i, x := range o.Values {
			ch, v := i%n, float64(x)
			lo[ch], hi[ch] = min(lo[ch], v), max(hi[ch], v)
		}
	})
	return mins, maxs, nil
}

// readsWithoutPadding reports whether the convolution's every tap reads
// inside its input (1x1 filter, or VALID padding), so that a constant
// shift of its input is a constant shift of its output.
func readsWithoutPadding(m *loader.Model, op *loader.Operator) bool {
	w := m.Tensors[op.Inputs[1]].Shape
	if w[1] == 1 && w[2] == 1 {
		return true
	}
	switch o := op.Options.(type) {
	case *loader.Conv2DOptions:
		return o.Padding == loader.PaddingValid
	case *loader.DepthwiseConv2DOptions:
		return o.Padding == loader.PaddingValid
	}
	return false
}

// absorbable lists the pairs whose op1 has ReLU and whose op2 has a bias
// and reads without padding.
func (f *floatGraph) absorbable(ps []eqPair) []eqPair {
	var out []eqPair
	for _, p := range ps {
		op2 := &f.m.Operators[p.op2]
		if f.activation(p.op1) == loader.ActRelu && len(op2.Inputs) > 2 && isFloatConst(f.m, op2.Inputs[2]) && readsWithoutPadding(f.m, op2) {
			out = append(out, p)
		}
	}
	return out
}

// absorb moves each pair's per-channel minimum output mins[op1 output]
// (where positive) from op1's bias into op2's, and returns how many
// channels moved.
func (f *floatGraph) absorb(ps []eqPair, mins map[int][]float64) int {
	m, moved := f.m, 0
	for _, p := range ps {
		op1, op2 := &m.Operators[p.op1], &m.Operators[p.op2]
		lo := mins[op1.Outputs[0]]
		B1, W2, B2 := f.floats(op1.Inputs[2]), f.floats(op2.Inputs[1]), f.floats(op2.Inputs[2])
		shift := make([]float64, p.channels)
		for ch, v := range lo {
			if v > 0 && !math.IsInf(v, 0) {
				shift[ch] = float64(float32(v))
				B1[ch] = float32(float64(B1[ch]) - shift[ch])
				moved++
			}
		}
		sh := m.Tensors[op2.Inputs[1]].Shape
		in, out := inChannel(op2.Op, sh, p.mult), outChannel(op2.Op, sh)
		add := make([]float64, len(B2))
		for i, w := range W2 {
			add[out(i)] += float64(w) * shift[in(i)]
		}
		for o, a := range add {
			B2[o] = float32(float64(B2[o]) + a)
		}
	}
	return moved
}

// tapMeans accumulates, for one weighted op, the mean over calibration
// inputs and output positions of the input value each filter tap reads:
// per (ky, kx, input channel) for convolutions, per input for fully
// connected ops.
type tapMeans struct {
	op                 *loader.Operator
	kh, kw, cin        int
	h, w, oh, ow       int
	sh, sw, dh, dw     int
	padTop, padLeft    int
	sum                []float64
	positions, batches float64
}

func newTapMeans(m *loader.Model, op *loader.Operator) *tapMeans {
	in, out, ws := m.Tensors[op.Inputs[0]].Shape, m.Tensors[op.Outputs[0]].Shape, m.Tensors[op.Inputs[1]].Shape
	a := &tapMeans{op: op}
	if op.Op == loader.OpFullyConnected {
		a.cin = ws[1]
		a.sum = make([]float64, a.cin)
		return a
	}
	var pad loader.Padding
	switch o := op.Options.(type) {
	case *loader.Conv2DOptions:
		pad, a.sh, a.sw, a.dh, a.dw = o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW
	case *loader.DepthwiseConv2DOptions:
		pad, a.sh, a.sw, a.dh, a.dw = o.Padding, o.StrideH, o.StrideW, o.DilationH, o.DilationW
	}
	a.sh, a.sw, a.dh, a.dw = max(a.sh, 1), max(a.sw, 1), max(a.dh, 1), max(a.dw, 1)
	a.h, a.w, a.cin = in[1], in[2], in[3]
	a.oh, a.ow = out[1], out[2]
	a.kh, a.kw = ws[1], ws[2]
	if pad == loader.PaddingSame {
		a.padTop = max((a.oh-1)*a.sh+(a.kh-1)*a.dh+1-a.h, 0) / 2
		a.padLeft = max((a.ow-1)*a.sw+(a.kw-1)*a.dw+1-a.w, 0) / 2
	}
	a.sum = make([]float64, a.kh*a.kw*a.cin)
	return a
}

// add accumulates one run's input values x.
func (a *tapMeans) add(x []float32) {
	if a.op.Op == loader.OpFullyConnected {
		for i, v := range x {
			a.sum[i%a.cin] += float64(v)
		}
		a.positions += float64(len(x) / a.cin)
		return
	}
	plane := a.h * a.w * a.cin
	for b := 0; b+plane <= len(x); b += plane {
		img := x[b : b+plane]
		for ky := range a.kh {
			for kx := range a.kw {
				acc := a.sum[(ky*a.kw+kx)*a.cin:][:a.cin]
				for oy := range a.oh {
					iy := oy*a.sh + ky*a.dh - a.padTop
					if iy < 0 || iy >= a.h {
						continue
					}
					for ox := range a.ow {
						ix := ox*a.sw + kx*a.dw - a.padLeft
						if ix < 0 || ix >= a.w {
							continue
						}
						row := img[(iy*a.w+ix)*a.cin:][:a.cin]
						for ch, v := range row {
							acc[ch] += float64(v)
						}
					}
				}
			}
		}
		a.positions += float64(a.oh * a.ow)
	}
}

// shift returns the mean output shift per output channel of replacing
// filter w by wq: sum over taps of (wq - w) x the tap's mean input.
func (a *tapMeans) shift(w, wq []float32, shape []int) []float64 {
	if a.positions == 0 {
		return nil
	}
	var out []float64
	switch a.op.Op {
	case loader.OpFullyConnected: // [O, I]
		out = make([]float64, shape[0])
		for i := range w {
			out[i/a.cin] += float64(wq[i]-w[i]) * a.sum[i%a.cin]
		}
	case loader.OpDepthwiseConv2D: // [1, KH, KW, C·mult]
		n := shape[3]
		mult := n / a.cin
		out = make([]float64, n)
		for i := range w {
			ch, tap := i%n, i/n
			out[ch] += float64(wq[i]-w[i]) * a.sum[tap*a.cin+ch/mult]
		}
	default: // CONV_2D [O, KH, KW, I]
		inner := shape[1] * shape[2] * shape[3]
		out = make([]float64, shape[0])
		for i := range w {
			out[i/inner] += float64(wq[i]-w[i]) * a.sum[i%inner]
		}
	}
	for o := range out {
		out[o] /= a.positions
	}
	return out
}

// biasPasses is the number of passes of bias correction.
const biasPasses = 2

// correctBiases removes from f's biases the mean output shift that
// quantizing the weights in format causes (see the top of this file),
// and returns the number of layers corrected.
func (c *Calibrator) correctBiases(f *floatGraph, format Format) (int, error) {
	m := f.m
	var layers []filtered
	for _, w := range weightedOps(m) {
		if w.b >= 0 && m.Tensors[m.Operators[w.op].Inputs[0]].Type == loader.Float32 {
			layers = append(layers, w)
		}
	}
	if len(layers) == 0 {
		return 0, nil
	}
	fq := f.fakeQuantized(format)
	orig := map[int][]float32{} // the biases before correction
	for _, l := range layers {
		orig[l.b] = append([]float32(nil), f.floats(l.b)...)
	}
	for range biasPasses {
		_, clf, err := fq.build()
		if err != nil {
			return 0, err
		}
		acc := map[int][]*tapMeans{} // by input tensor
		means := make([]*tapMeans, len(layers))
		for i, l := range layers {
			op := &m.Operators[l.op]
			means[i] = newTapMeans(m, op)
			acc[op.Inputs[0]] = append(acc[op.Inputs[0]], means[i])
		}
		c.runAll(clf, func(o engine.Observation) {
			for _, a := range acc[o.Tensor.Index] {
				a.add(o.Values)
			}
		})
		for i, l := range layers {
			d := means[i].shift(f.floats(l.w), fq.floats(l.w), m.Tensors[l.w].Shape)
			if d == nil {
				continue
			}
			b := orig[l.b]
			nb := fq.floats(l.b)
			for o := range nb {
				nb[o] = float32(float64(b[o]) - d[o])
			}
		}
	}
	for _, l := range layers {
		copy(f.floats(l.b), fq.floats(l.b))
	}
	return len(layers), nil
}
