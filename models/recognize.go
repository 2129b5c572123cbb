package models

import (
	"slices"
	"strings"

	"mobilenet-wasm/loader"
)

// Part says which part of a catalog model a file holds.
type Part int

// The parts of a model. Extractor and Head are the two halves of a split
// model, chained by the engine: the extractor runs everything up to the
// average pool, the head the logits convolution, squeeze and softmax.
const (
	Whole Part = iota
	Extractor
	Head
)

// String is the part's name: "whole", "extractor" or "head".
func (p Part) String() string {
	switch p {
	case Extractor:
		return "extractor"
	case Head:
		return "head"
	}
	return "whole"
}

// Match is what Identify found in a model.
type Match struct {
	Entry Entry
	Part  Part
	// Synthetic is true for files written by Synth (random weights).
	Synthetic bool
}

// File is the name the matched file takes in a models folder:
// "<name>.tflite" for a whole model, "<name>_embedding_extractor.tflite"
// and "<name>_head_layers.tflite" for the halves of a split one.
func (m Match) File() string {
	switch m.Part {
	case Extractor:
		return m.Entry.Name + "_embedding_extractor.tflite"
	case Head:
		return m.Entry.Name + "_head_layers.tflite"
	}
	return m.Entry.File()
}

// Recognize identifies the catalog entry a model is, or is a part of, by
// its shapes (see Identify).
func Recognize(m *loader.Model) (Entry, bool) {
	match, ok := Identify(m)
	return match.Entry, ok
}

// Identify recognises a model as a catalog entry, or as a part of one, by
// its structure alone (never by names or weights): the input [1 R R 3]
// gives the resolution, its type float32 or uint8 float or quantized, the
// first convolution's 32*W channels the width; then every layer must have
// exactly the shapes, strides and fused ReLU6 of that entry's architecture
// (Arch), each op reading the previous one's output, ending in the
// average pool (an extractor) or in the 1x1 logits convolution to 1001
// classes, a RESHAPE or SQUEEZE to [1 1001] and SOFTMAX (a whole model).
//
// A head alone ([1 1 1 1024] uint8 in, the logits convolution, squeeze and
// softmax) does not say which resolution it was trained at; it is taken to
// be mobilenet_v1_1.0_224_quant's, the only split model the release's
// ecosystem publishes (mobilenet_quant_v1_224_head_layers.tflite). Other
// heads are not recognised.
func Identify(m *loader.Model) (Match, bool) {
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 || len(m.Operators) == 0 {
		return Match{}, false
	}
	in := m.Tensors[m.Inputs[0]]
	if in.Type != loader.Float32 && in.Type != loader.UInt8 {
		return Match{}, false
	}
	quant := in.Type == loader.UInt8
	synthetic := strings.HasPrefix(m.Description, SynthDescription)
	g := graph{m: m, typ: in.Type, prev: m.Inputs[0]}
	s := in.Shape
	switch {
	case len(s) == 4 && s[0] == 1 && s[1] == s[2] && s[3] == 3:
		w, ok := g.firstWidth()
		if !ok || !slices.Contains(Resolutions, s[1]) {
			return Match{}, false
		}
		e, ok := Find(w, s[1], quant)
		if !ok {
			return Match{}, false
		}
		a := e.Arch()
		for _, l := range a.Extractor() {
			if !g.conv(l) {
				return Match{}, false
			}
		}
		if !g.pool(a) {
			return Match{}, false
		}
		if g.done() {
			return Match{Entry: e, Part: Extractor, Synthetic: synthetic}, true
		}
		if !g.head(a) || !g.done() {
			return Match{}, false
		}
		return Match{Entry: e, Part: Whole, Synthetic: synthetic}, true
	case slices.Equal(s, []int{1, 1, 1, 1024}) && quant:
		e, _ := Find(1.0, 224, true)
		if !g.head(e.Arch()) || !g.done() {
			return Match{}, false
		}
		return Match{Entry: e, Part: Head, Synthetic: synthetic}, true
	}
	return Match{}, false
}

// graph walks a model's operators in order, checking each against the
// architecture.
type graph struct {
	m    *loader.Model
	typ  loader.DType
	next int // index of the next operator
	prev int // tensor the next operator must read
}

// op returns the next operator when it is of kind k and reads the
// previous output, and advances.
func (g *graph) op(k loader.Op) (*loader.Operator, bool) {
	if g.next >= len(g.m.Operators) {
		return nil, false
	}
	o := &g.m.Operators[g.next]
	if o.Op != k || len(o.Inputs) == 0 || o.Inputs[0] != g.prev || len(o.Outputs) != 1 {
		return nil, false
	}
	if out := g.m.Tensors[o.Outputs[0]]; out.Type != g.typ {
		return nil, false
	}
	g.next++
	g.prev = o.Outputs[0]
	return o, true
}

// outShape is the shape of the last checked operator's output.
func (g *graph) outShape() []int { return g.m.Tensors[g.prev].Shape }

// done reports whether every operator was checked and the last output is
// the model's.
func (g *graph) done() bool { return g.next == len(g.m.Operators) && g.prev == g.m.Outputs[0] }

// firstWidth finds the width multiplier from the first convolution's
// output channels (32*W), without advancing.
func (g *graph) firstWidth() (float64, bool) {
	o := &g.m.Operators[0]
	if o.Op != loader.OpConv2D || len(o.Inputs) < 2 || o.Inputs[1] < 0 {
		return 0, false
	}
	f := g.m.Tensors[o.Inputs[1]].Shape
	if len(f) != 4 {
		return 0, false
	}
	for _, w := range Widths {
		if depth(32, w) == f[0] {
			return w, true
		}
	}
	return 0, false
}

// conv checks the next operator against layer l: kind, filter shape,
// bias, stride, SAME padding, activation and output shape.
func (g *graph) conv(l Layer) bool {
	kind := loader.OpConv2D
	if l.Depthwise {
		kind = loader.OpDepthwiseConv2D
	}
	o, ok := g.op(kind)
	if !ok || len(o.Inputs) < 3 || o.Inputs[1] < 0 || o.Inputs[2] < 0 {
		return false
	}
	filter, bias := g.m.Tensors[o.Inputs[1]], g.m.Tensors[o.Inputs[2]]
	want := []int{l.Out, l.Kernel, l.Kernel, l.In}
	var stride, strideH int
	var pad loader.Padding
	var act loader.Activation
	if l.Depthwise {
		want = []int{1, l.Kernel, l.Kernel, l.Out}
		opt := o.Options.(*loader.DepthwiseConv2DOptions)
		stride, strideH, pad, act = opt.StrideW, opt.StrideH, opt.Padding, opt.Activation
	} else {
		opt := o.Options.(*loader.Conv2DOptions)
		stride, strideH, pad, act = opt.StrideW, opt.StrideH, opt.Padding, opt.Activation
	}
	wantAct := loader.ActNone
	if l.ReLU6 {
		wantAct = loader.ActRelu6
	}
	return slices.Equal(filter.Shape, want) && filter.Type == g.typ &&
		slices.Equal(bias.Shape, []int{l.Out}) &&
		stride == l.Stride && strideH == l.Stride && act == wantAct &&
		(pad == loader.PaddingSame || l.Kernel == 1) &&
		slices.Equal(g.outShape(), []int{1, l.OutSize, l.OutSize, l.Out})
}

// pool checks the global average pool.
func (g *graph) pool(a Arch) bool {
	o, ok := g.op(loader.OpAveragePool2D)
	if !ok {
		return false
	}
	opt := o.Options.(*loader.Pool2DOptions)
	return opt.FilterW == a.PoolSize && opt.FilterH == a.PoolSize &&
		slices.Equal(g.outShape(), []int{1, 1, 1, a.Features})
}

// head checks the logits convolution, the squeeze to [1 1001] (RESHAPE or
// SQUEEZE) and the softmax.
func (g *graph) head(a Arch) bool {
	if !g.conv(a.Logits()) {
		return false
	}
	if _, ok := g.op(loader.OpReshape); !ok {
		if _, ok := g.op(loader.OpSqueeze); !ok {
			return false
		}
	}
	if !slices.Equal(g.outShape(), []int{1, Classes}) {
		return false
	}
	_, ok := g.op(loader.OpSoftmax)
	return ok && slices.Equal(g.outShape(), []int{1, Classes})
}
