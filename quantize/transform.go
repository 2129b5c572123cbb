package quantize

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// floatGraph is the float model as the steps before quantization rewrite
// it (equalization, bias absorption, bias correction): the calibrated
// model with some float constants and fused activations replaced. Tensor
// and operator indices stay the model's, so that the quantizer's rewrite
// runs unchanged on the result.
type floatGraph struct {
	m *loader.Model
	// data holds the constants read or replaced so far (decoded once,
	// changed in place by the steps).
	data map[int][]float32
	// act holds the replaced fused activations, by operator index.
	act map[int]loader.Activation
}

func newFloatGraph(m *loader.Model) *floatGraph {
	return &floatGraph{m: m, data: map[int][]float32{}, act: map[int]loader.Activation{}}
}

// clone returns an independent copy (constants copied).
func (f *floatGraph) clone() *floatGraph {
	c := &floatGraph{m: f.m, data: make(map[int][]float32, len(f.data)), act: maps.Clone(f.act)}
	for t, v := range f.data {
		c.data[t] = slices.Clone(v)
	}
	return c
}

// floats returns float constant t's current values, which the caller may
// change in place.
func (f *floatGraph) floats(t int) []float32 {
	if v, ok := f.data[t]; ok {
		return v
	}
	v, _ := f.m.Tensors[t].Float32s()
	f.data[t] = v
	return v
}

// activation is operator i's fused activation (RELU and RELU6 ops count
// as their own), as replaced.
func (f *floatGraph) activation(i int) loader.Activation {
	if a, ok := f.act[i]; ok {
		return a
	}
	return fusedActivation(&f.m.Operators[i])
}

// graph returns the transformed model as a graph to write.
func (f *floatGraph) graph() *tflitewrite.Graph {
	g := tflitewrite.FromModel(f.m)
	for _, t := range slices.Sorted(maps.Keys(f.data)) {
		v := f.data[t]
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		g.Tensors[t].Data = b
	}
	for i, a := range f.act {
		switch o := g.Operators[i].Options.(type) {
		case *loader.Conv2DOptions:
			o.Activation = a
		case *loader.DepthwiseConv2DOptions:
			o.Activation = a
		case *loader.FullyConnectedOptions:
			o.Activation = a
		case *loader.Pool2DOptions:
			o.Activation = a
		case *loader.AddOptions:
			o.Activation = a
		}
	}
	return g
}

// build writes and parses the transformed model, and plans it in the
// engine.
func (f *floatGraph) build() (*loader.Model, *engine.Classifier, error) {
	b, err := tflitewrite.Write(f.graph())
	if err != nil {
		return nil, nil, fmt.Errorf("quantize: the transformed float model: %w", err)
	}
	m, err := loader.Parse(b)
	if err != nil {
		return nil, nil, fmt.Errorf("quantize: the transformed float model: %w", err)
	}
	clf, err := engine.Load([][]byte{b}, engine.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("quantize: the transformed float model: %w", err)
	}
	return m, clf, nil
}

// filtered is a weighted op: its operator index, filter and bias tensors
// (bias -1 when absent).
type filtered struct {
	op, w, b int
}

// weightedOps lists the CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
// ops with a float constant filter, in operator order.
func weightedOps(m *loader.Model) []filtered {
	var out []filtered
	for i := range m.Operators {
		op := &m.Operators[i]
		switch op.Op {
		case loader.OpConv2D, loader.OpDepthwiseConv2D, loader.OpFullyConnected:
		default:
			continue
		}
		if len(op.Inputs) < 2 || !isFloatConst(m, op.Inputs[1]) {
			continue
		}
		b := -1
		if len(op.Inputs) > 2 && isFloatConst(m, op.Inputs[2]) {
			b = op.Inputs[2]
		}
		out = append(out, filtered{op: i, w: op.Inputs[1], b: b})
	}
	return out
}

func isFloatConst(m *loader.Model, t int) bool {
	return t >= 0 && m.Tensors[t].Type == loader.Float32 && m.Tensors[t].Data != nil
}

// fakeQuantized returns a copy of f whose filters are the real values of
// their quantization in format (what the quantized file multiplies by),
// biases and activations unchanged: the float graph the bias correction
// measures. A filter shared by several ops is quantized once.
func (f *floatGraph) fakeQuantized(format Format) *floatGraph {
	c := f.clone()
	done := map[int]bool{}
	for _, w := range weightedOps(f.m) {
		if done[w.w] {
			continue
		}
		done[w.w] = true
		shape := f.m.Tensors[w.w].Shape
		data, q, _ := quantizeWeights(format, f.m.Operators[w.op].Op, f.floats(w.w), shape, nil)
		c.data[w.w] = dequantize(format, data, q, shape)
	}
	return c
}

// calibrate runs the transformed model on every calibration sample and
// returns the statistics of its activations.
func (c *Calibrator) calibrate(f *floatGraph) (*loader.Model, []*stats, error) {
	m, clf, err := f.build()
	if err != nil {
		return nil, nil, err
	}
	st := newStats(m)
	c.runAll(clf, func(o engine.Observation) {
		if s := st[o.Tensor.Index]; s != nil {
			s.add(o.Values)
		}
	})
	return m, st, nil
}
