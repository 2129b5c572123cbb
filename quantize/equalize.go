package quantize

import (
	"math"

	"mobilenet-wasm/loader"
)

// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through
// Weight Equalization and Bias Correction", ICCV 2019).
//
// Why: with one weight scale per tensor (the uint8 format), a layer's
// channels share one step size, set by its widest channel. MobileNet V1's
// folded batch norm leaves depthwise channels whose weights are 20x+
// smaller than the widest, so they get a handful of levels and the
// network collapses (57% -> 12% top-1 on mobilenet_v1_0.25_224).
//
// How: for two consecutive layers y = W2·g(W1·x + b1) + b2 with g
// positively homogeneous (none or ReLU: g(s·z) = s·g(z) for s > 0),
// output channel c of layer 1 (its filter and bias) can be multiplied by
// s_c and input channel c of layer 2 divided by s_c without changing the
// function. With r1_c, r2_c the channel's largest |weight| in each
// filter, s_c = sqrt(r2_c/r1_c) gives both the range sqrt(r1_c·r2_c),
// which maximises the sum over channels of the product of the two
// layers' per-tensor precisions. Every valid pair is equalized (a
// convolution or depthwise convolution, then another, possibly through
// average or max pooling, which commute with a per-channel positive
// scale), sweeping over the pairs until the scales stop changing, since
// a depthwise layer belongs to two pairs.
//
// ReLU6 is not positively homogeneous: it clips channel c at 6 where the
// equalized layer would need 6·s_c. By default (KeepReLU6) the scales are
// bounded so that ReLU6 stays exact on the calibration data: a channel
// whose outputs reached 6 keeps its scale, another, with largest output
// m_c, may take any scale up to 6/m_c (bound, from a calibration pass).
// With ReLU6ToReLU the rescaled layers use ReLU instead (Nagel et al. do
// the same for MobileNet V2) and the scales are free; the quantized
// output range, calibrated on the equalized graph, still clamps the
// values. MobileNet V1 relies on the clipping: its float top-1 drops from
// 57% to 43% with ReLU (mobilenet_v1_0.25_224), hence the default.

// eqPair is two layers whose channels equalization rescales together:
// op1's output channels are op2's input channels, through pools.
type eqPair struct {
	op1, op2 int
	// channels is op1's output channel count; mult op2's depth
	// multiplier when it is a depthwise convolution (1 otherwise).
	channels, mult int
}

// eqSweeps bounds the sweeps over the pairs; eqTolerance is the largest
// change |log s_c| of a sweep at which they stop.
const (
	eqSweeps    = 200
	eqTolerance = 1e-4
)

// pairs lists the layer pairs equalization may rescale, in operator
// order: op1 a CONV_2D or DEPTHWISE_CONV_2D with a float constant filter
// and bias, its activation none, ReLU or ReLU6, whose output (through
// AVERAGE_POOL_2D / MAX_POOL_2D ops without activation) is read only by
// op2, a CONV_2D or DEPTHWISE_CONV_2D whose filter is a float constant.
// No filter or bias may be shared with another op.
func pairs(m *loader.Model) []eqPair {
	uses := make([]int, len(m.Tensors))
	reader := make([]int, len(m.Tensors))
	for i, op := range m.Operators {
		for _, t := range op.Inputs {
			if t >= 0 {
				uses[t]++
				reader[t] = i
			}
		}
	}
	for _, t := range m.Outputs {
		uses[t] += 2 // a graph output cannot change
	}
	conv := func(op *loader.Operator) bool {
		return (op.Op == loader.OpConv2D || op.Op == loader.OpDepthwiseConv2D) &&
			len(op.Inputs) > 1 && isFloatConst(m, op.Inputs[1]) && uses[op.Inputs[1]] == 1
	}
	var out []eqPair
	for i := range m.Operators {
		op1 := &m.Operators[i]
		if !conv(op1) || len(op1.Inputs) < 3 || !isFloatConst(m, op1.Inputs[2]) || uses[op1.Inputs[2]] != 1 {
			continue
		}
		switch fusedActivation(op1) {
		case loader.ActNone, loader.ActRelu, loader.ActRelu6:
		default:
			continue
		}
		t := op1.Outputs[0]
		j := -1
		for uses[t] == 1 {
			next := &m.Operators[reader[t]]
			if next.Inputs[0] != t {
				break
			}
			if (next.Op == loader.OpAveragePool2D || next.Op == loader.OpMaxPool2D) && fusedActivation(next) == loader.ActNone {
				t = next.Outputs[0]
				continue
			}
			if conv(next) {
				j = reader[t]
			}
			break
		}
		if j < 0 {
			continue
		}
		op2 := &m.Operators[j]
		channels := m.Tensors[op1.Inputs[2]].NumElements()
		w1, w2 := m.Tensors[op1.Inputs[1]].Shape, m.Tensors[op2.Inputs[1]].Shape
		if len(w1) != 4 || len(w2) != 4 {
			continue
		}
		p := eqPair{op1: i, op2: j, channels: channels, mult: 1}
		if op1.Op == loader.OpConv2D && w1[0] != channels || op1.Op == loader.OpDepthwiseConv2D && w1[3] != channels {
			continue
		}
		switch op2.Op {
		case loader.OpConv2D:
			if w2[3] != channels {
				continue
			}
		case loader.OpDepthwiseConv2D:
			if w2[3]%channels != 0 {
				continue
			}
			p.mult = w2[3] / channels
		}
		out = append(out, p)
	}
	return out
}

// outChannel maps an element index of op's filter (shape) to its output
// channel: dimension 0 for CONV_2D, 3 for DEPTHWISE_CONV_2D.
func outChannel(op loader.Op, shape []int) func(i int) int {
	if op == loader.OpDepthwiseConv2D {
		n := shape[3]
		return func(i int) int { return i % n }
	}
	inner := shape[1] * shape[2] * shape[3]
	return func(i int) int { return i / inner }
}

// inChannel maps an element index of op's filter to the input channel it
// reads: dimension 3 for CONV_2D, dimension 3 divided by the depth
// multiplier for DEPTHWISE_CONV_2D.
func inChannel(op loader.Op, shape []int, mult int) func(i int) int {
	n := shape[3]
	if op == loader.OpDepthwiseConv2D {
		return func(i int) int { return i % n / mult }
	}
	return func(i int) int { return i % n }
}

// equalize equalizes every pair until the scales converge, switches the
// rescaled layers' ReLU6 to ReLU, and returns the pairs and, per op1
// operator index, the product of the scales its output channels took.
//
// bound, when not nil, holds per op1 the largest total scale each output
// channel may take (1: the channel must keep its scale) and keeps those
// ops' activations (ReLU6 stays exact on the calibration data when the
// bound is 6 over the channel's largest output).
func (f *floatGraph) equalize(bound map[int][]float64) ([]eqPair, map[int][]float64) {
	m := f.m
	ps := pairs(m)
	total := map[int][]float64{}
	for _, p := range ps {
		s := make([]float64, p.channels)
		for c := range s {
			s[c] = 1
		}
		total[p.op1] = s
	}
	for range eqSweeps {
		change := 0.0
		for _, p := range ps {
			op1, op2 := &m.Operators[p.op1], &m.Operators[p.op2]
			W1, B1, W2 := f.floats(op1.Inputs[1]), f.floats(op1.Inputs[2]), f.floats(op2.Inputs[1])
			ch1 := outChannel(op1.Op, m.Tensors[op1.Inputs[1]].Shape)
			ch2 := inChannel(op2.Op, m.Tensors[op2.Inputs[1]].Shape, p.mult)
			r1, r2 := make([]float64, p.channels), make([]float64, p.channels)
			for i, x := range W1 {
				c := ch1(i)
				r1[c] = max(r1[c], math.Abs(float64(x)))
			}
			for i, x := range W2 {
				c := ch2(i)
				r2[c] = max(r2[c], math.Abs(float64(x)))
			}
			s := make([]float64, p.channels)
			for c := range s {
				s[c] = 1
				if r1[c] > 0 && r2[c] > 0 {
					s[c] = math.Sqrt(r2[c] / r1[c])
				}
				if b := bound[p.op1]; b != nil {
					t := total[p.op1][c]
					switch {
					case b[c] == 1:
						s[c] = 1 / t
					case t*s[c] > b[c]:
						s[c] = b[c] / t
					}
				}
				change = max(change, math.Abs(math.Log(s[c])))
				total[p.op1][c] *= s[c]
			}
			for i, x := range W1 {
				W1[i] = float32(float64(x) * s[ch1(i)])
			}
			for c, x := range B1 {
				B1[c] = float32(float64(x) * s[c])
			}
			for i, x := range W2 {
				W2[i] = float32(float64(x) / s[ch2(i)])
			}
		}
		if change < eqTolerance {
			break
		}
	}
	for _, p := range ps {
		if bound[p.op1] != nil || fusedActivation(&m.Operators[p.op1]) != loader.ActRelu6 {
			continue
		}
		for _, s := range total[p.op1] {
			if math.Abs(s-1) > 1e-6 {
				f.act[p.op1] = loader.ActRelu
				break
			}
		}
	}
	return ps, total
}
