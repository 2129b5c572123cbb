package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// ExportOptions describe the exported model.
type ExportOptions struct {
	// Labels name the classes, one per head output; they are embedded in
	// the model's metadata. Required.
	Labels []string
	// Name and Description go to the model's metadata (defaults say
	// what the model is).
	Name, Description string
}

// Embedding finds the feature vector of a base model, as package engine
// does: the input of the last CONV_2D or FULLY_CONNECTED (the logits),
// when no depthwise convolution follows it and it reads a vector (every
// dimension but the last 1); otherwise, for a feature extractor, the
// model's output when it is such a vector. It returns the tensor index.
func Embedding(m *loader.Model) (int, error) {
	isVector := func(t *loader.Tensor) bool {
		return len(t.Shape) > 0 && t.NumElements() == t.Shape[len(t.Shape)-1]
	}
	for i := len(m.Operators) - 1; i >= 0; i-- {
		op := &m.Operators[i]
		if op.Op == loader.OpDepthwiseConv2D {
			break
		}
		if op.Op == loader.OpConv2D || op.Op == loader.OpFullyConnected {
			if t := m.Tensor(op.Inputs[0]); t != nil && isVector(t) {
				return t.Index, nil
			}
			break
		}
	}
	if len(m.Outputs) == 1 {
		if t := m.Output(0); isVector(t) {
			return t.Index, nil
		}
	}
	return -1, errors.New("train: the base model has no feature vector: neither a logits layer reading a vector nor a vector output")
}

// Export writes one .tflite model: the base model's operators that
// compute its feature vector (see Embedding), with their tensors and
// weights copied untouched, then the head's FULLY_CONNECTED layers (the
// hidden one with a fused RELU) and a SOFTMAX, whose output is the
// model's. The base's own classifier is dropped.
//
// The head's type follows the head and the base: a quantized head
// (h.Quant set) on a uint8 feature vector is written in uint8, weights
// per-tensor asymmetric, int32 biases at input scale x weight scale,
// softmax output 1/256 with zero point 0, the release's conventions; a
// float head on a float feature vector in float32; and a float head on a
// uint8 feature vector behind a DEQUANTIZE. base is the model's .tflite
// bytes (the feature extractor of an extractor + head chain).
func Export(base []byte, h *Head, o ExportOptions) ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if len(o.Labels) != h.Classes() {
		return nil, fmt.Errorf("train: %d labels for a head of %d classes", len(o.Labels), h.Classes())
	}
	src, err := tflitewrite.FromBytes(base)
	if err != nil {
		return nil, fmt.Errorf("train: base model: %w", err)
	}
	m, err := loader.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("train: base model: %w", err)
	}
	emb, err := Embedding(m)
	if err != nil {
		return nil, err
	}
	et := &m.Tensors[emb]
	if n := et.NumElements(); n != h.Dim() {
		return nil, fmt.Errorf("train: the base's feature vector has %d values, the head takes %d", n, h.Dim())
	}
	g := cut(src, emb)
	embIdx := g.remap[emb]
	out := g.Graph

	switch {
	case h.Quant != nil:
		if et.Type != loader.UInt8 || et.Quant == nil || len(et.Quant.Scale) != 1 {
			return nil, fmt.Errorf("train: a quantized head needs a uint8 feature vector quantized per tensor; the base's is %v", et.Type)
		}
		if in := (QParams{Scale: et.Quant.Scale[0], ZeroPoint: int32(et.Quant.ZeroPoint[0])}); in != h.Quant.Input {
			return nil, fmt.Errorf("train: the head was trained for input quantization %+v, the base's feature vector has %+v", h.Quant.Input, in)
		}
		appendQuantHead(out, h, embIdx)
	case et.Type == loader.Float32:
		appendFloatHead(out, h, embIdx)
	case et.Type == loader.UInt8 || et.Type == loader.Int8:
		if et.Quant == nil || len(et.Quant.Scale) != 1 {
			return nil, errors.New("train: the base's quantized feature vector has no per-tensor quantization")
		}
		deq := out.AddTensor(tflitewrite.Tensor{Name: "head/dequantize", Type: loader.Float32, Shape: slices.Clone(et.Shape)})
		out.AddOperator(tflitewrite.Operator{Op: loader.OpDequantize, Inputs: []int{embIdx}, Outputs: []int{deq}})
		appendFloatHead(out, h, deq)
	default:
		return nil, fmt.Errorf("train: feature vector type %v is not supported", et.Type)
	}

	out.Labels = slices.Clone(o.Labels)
	name := o.Name
	if name == "" {
		name = "MobileNet V1 with a trained head"
	}
	desc := o.Description
	if desc == "" {
		desc = fmt.Sprintf("MobileNet V1 features (%d values) with a head trained by mobilenet-wasm/train: %d classes, %d hidden units, %s.",
			h.Dim(), h.Classes(), h.Hidden(), map[bool]string{true: "uint8", false: "float32"}[h.Quant != nil])
	}
	out.Description = desc
	out.Metadata = &tflitewrite.Metadata{Name: name, Description: desc}
	data, err := tflitewrite.Write(out)
	if err != nil {
		return nil, fmt.Errorf("train: export: %w", err)
	}
	return data, nil
}

// cutGraph is a base graph cut at its feature vector.
type cutGraph struct {
	*tflitewrite.Graph
	remap []int // old tensor index -> new (-1: dropped)
}

// cut keeps the operators that the feature vector emb depends on (in
// their order) and the tensors they use, renumbered; the subgraph's input
// stays, its outputs are left to the caller.
func cut(g *tflitewrite.Graph, emb int) cutGraph {
	// Walk back from emb: an operator is needed when it writes a needed
	// tensor. Operators are in execution order, so one backward sweep
	// finds them all.
	needed := make([]bool, len(g.Tensors))
	needed[emb] = true
	keep := make([]bool, len(g.Operators))
	for i := len(g.Operators) - 1; i >= 0; i-- {
		op := &g.Operators[i]
		for _, t := range op.Outputs {
			if needed[t] {
				keep[i] = true
			}
		}
		if keep[i] {
			for _, t := range op.Inputs {
				if t >= 0 {
					needed[t] = true
				}
			}
		}
	}
	for _, t := range g.Inputs {
		needed[t] = true
	}
	out := &tflitewrite.Graph{
		Description:       g.Description,
		MinRuntimeVersion: g.MinRuntimeVersion,
	}
	remap := make([]int, len(g.Tensors))
	for i, t := range g.Tensors {
		remap[i] = -1
		if needed[i] {
			remap[i] = out.AddTensor(t)
		}
	}
	re := func(idx []int) []int {
		r := make([]int, len(idx))
		for j, t := range idx {
			r[j] = -1
			if t >= 0 {
				r[j] = remap[t]
			}
		}
		return r
	}
	for i, op := range g.Operators {
		if keep[i] {
			op.Inputs, op.Outputs = re(op.Inputs), re(op.Outputs)
			out.AddOperator(op)
		}
	}
	out.Inputs = re(g.Inputs)
	return cutGraph{out, remap}
}

// layerNames are the head's tensor names, per layer.
func layerName(h *Head, i int) string {
	if i < len(h.Layers)-1 {
		return "head/hidden"
	}
	return "head/logits"
}

func appendFloatHead(g *tflitewrite.Graph, h *Head, in int) {
	for i, l := range h.Layers {
		name := layerName(h, i)
		w := g.AddTensor(tflitewrite.Tensor{Name: name + "/weights", Type: loader.Float32, Shape: []int{l.Out, l.In}, Data: f32Bytes(l.W)})
		b := g.AddTensor(tflitewrite.Tensor{Name: name + "/bias", Type: loader.Float32, Shape: []int{l.Out}, Data: f32Bytes(l.B)})
		y := g.AddTensor(tflitewrite.Tensor{Name: name, Type: loader.Float32, Shape: []int{1, l.Out}})
		g.AddOperator(tflitewrite.Operator{Op: loader.OpFullyConnected, Inputs: []int{in, w, b}, Outputs: []int{y},
			Options: &loader.FullyConnectedOptions{Activation: activation(l)}})
		in = y
	}
	probs := g.AddTensor(tflitewrite.Tensor{Name: "head/probabilities", Type: loader.Float32, Shape: []int{1, h.Classes()}})
	g.AddOperator(tflitewrite.Operator{Op: loader.OpSoftmax, Inputs: []int{in}, Outputs: []int{probs}, Options: &loader.SoftmaxOptions{Beta: 1}})
	g.Outputs = []int{probs}
}

func appendQuantHead(g *tflitewrite.Graph, h *Head, in int) {
	q := h.Quant
	inQ := q.Input
	for i, l := range h.Layers {
		name := layerName(h, i)
		wq := weightQParams(l.W)
		wd := make([]byte, len(l.W))
		for j, v := range l.W {
			wd[j] = wq.Quantize(v)
		}
		bs := biasScale(inQ, wq)
		bd := make([]byte, 4*len(l.B))
		for j, v := range l.B {
			binary.LittleEndian.PutUint32(bd[4*j:], uint32(quantizeBias(v, bs)))
		}
		w := g.AddTensor(tflitewrite.Tensor{Name: name + "/weights", Type: loader.UInt8, Shape: []int{l.Out, l.In}, Data: wd, Quant: quant(wq)})
		b := g.AddTensor(tflitewrite.Tensor{Name: name + "/bias", Type: loader.Int32, Shape: []int{l.Out}, Data: bd, Quant: quant(QParams{Scale: bs})})
		y := g.AddTensor(tflitewrite.Tensor{Name: name, Type: loader.UInt8, Shape: []int{1, l.Out}, Quant: quant(q.Acts[i])})
		g.AddOperator(tflitewrite.Operator{Op: loader.OpFullyConnected, Inputs: []int{in, w, b}, Outputs: []int{y},
			Options: &loader.FullyConnectedOptions{Activation: activation(l)}})
		in, inQ = y, q.Acts[i]
	}
	probs := g.AddTensor(tflitewrite.Tensor{Name: "head/probabilities", Type: loader.UInt8, Shape: []int{1, h.Classes()}, Quant: quant(SoftmaxOutput)})
	g.AddOperator(tflitewrite.Operator{Op: loader.OpSoftmax, Inputs: []int{in}, Outputs: []int{probs}, Options: &loader.SoftmaxOptions{Beta: 1}})
	g.Outputs = []int{probs}
}

func activation(l Layer) loader.Activation {
	if l.ReLU {
		return loader.ActRelu
	}
	return loader.ActNone
}

func quant(q QParams) *loader.Quant {
	return &loader.Quant{Scale: []float32{q.Scale}, ZeroPoint: []int64{int64(q.ZeroPoint)}}
}

func f32Bytes(v []float64) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(x)))
	}
	return b
}
