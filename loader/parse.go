package loader

import (
	"errors"
	"math"
	"strings"

	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/loader/tflitefb"
)

// Limits on what a model may declare. They keep a hostile file from making
// the loader or the engine allocate without bound.
const (
	// MaxRank is the largest number of dimensions a tensor may have.
	MaxRank = 8
	// MaxTensorBytes is the largest size of one tensor (elements times
	// element size), constant or activation.
	MaxTensorBytes = 256 << 20
	// MaxOperators and MaxTensors bound a subgraph: far above any
	// MobileNet (31 operators, 90 tensors) or any model this engine's
	// operators make, and low enough that planning, whose buffer
	// placement compares buffers pairwise, stays within a second.
	MaxOperators = 1 << 14
	MaxTensors   = 1 << 16
	// maxModelSize is FlatBuffers' own limit (32-bit offsets).
	maxModelSize = math.MaxInt32
)

// ErrNotTFLite is wrapped by the errors for input that is not a TFLite
// flatbuffer at all (too short, or a file identifier other than "TFL3").
var ErrNotTFLite = errors.New("not a TFLite flatbuffer")

// ErrUnsupported is wrapped by the errors for well-formed models that use
// something this project does not implement: an operator, a custom op, a
// tensor type, a fused activation, sparse or variable tensors.
var ErrUnsupported = errors.New("unsupported")

// Parse parses and validates a TFLite model. The returned Model's constant
// tensor data aliases data, which must not be modified while the Model is in
// use.
//
// Parse never panics, and allocates at most a bounded multiple of len(data)
// (plus a small constant) whatever the bytes. Problems in the optional parts,
// the metadata and the zipped label file, do not fail the parse: they are
// listed in Model.Warnings.
func Parse(data []byte) (m *Model, err error) {
	if len(data) < 8 {
		return nil, textfmt.Errorf("loader: %w: %d bytes is too short", ErrNotTFLite, len(data))
	}
	if id := string(data[4:8]); id != "TFL3" {
		return nil, textfmt.Errorf("loader: %w: file identifier %q, want \"TFL3\"", ErrNotTFLite, id)
	}
	if len(data) > maxModelSize {
		return nil, textfmt.Errorf("loader: %d bytes is larger than a flatbuffer can be", len(data))
	}
	// Cap the capacity: flatbuffers slices up to cap, not len.
	data = data[:len(data):len(data)]
	p := &parser{data: data, budget: 16*len(data) + 1<<20}
	defer p.recover(&err)
	return p.model(), nil
}

// parser holds the state of one Parse. Its methods report errors by
// panicking with a parseError, which Parse recovers; any other panic (an
// offset of the flatbuffer pointing outside data) becomes a "malformed
// flatbuffer" error naming the part being read.
type parser struct {
	data   []byte
	root   *tflitefb.Model
	nbuf   int // number of buffers
	budget int // bytes the parse may still allocate
	m      *Model

	// What is being read, for errors about malformed flatbuffers.
	whatKind string
	whatIdx  int
}

type parseError struct{ err error }

func (p *parser) recover(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if pe, ok := r.(parseError); ok {
		*err = pe.err
		return
	}
	*err = textfmt.Errorf("loader: %s: malformed flatbuffer (%v)", p.where(), r)
}

func (p *parser) where() string {
	if p.whatKind == "" {
		return "model"
	}
	if p.whatIdx < 0 {
		return p.whatKind
	}
	if p.whatKind == "tensor" && p.whatIdx < len(p.m.Tensors) && p.m.Tensors[p.whatIdx].Name != "" {
		return textfmt.Sprintf("tensor %d %s", p.whatIdx, quote(p.m.Tensors[p.whatIdx].Name))
	}
	return textfmt.Sprintf("%s %d", p.whatKind, p.whatIdx)
}

func (p *parser) at(kind string, i int) { p.whatKind, p.whatIdx = kind, i }

// fail stops the parse with an error; format may use %w.
func (p *parser) fail(format string, args ...any) {
	panic(parseError{textfmt.Errorf("loader: "+format, args...)})
}

// tfail stops the parse with an error about tensor t.
func (p *parser) tfail(t *Tensor, format string, args ...any) {
	p.fail("tensor %d %s: %w", t.Index, quote(t.Name), textfmt.Errorf(format, args...))
}

// spend charges n bytes (or steps) against the parse's budget, so that no
// input makes the loader allocate more than a multiple of its size.
func (p *parser) spend(n int) {
	if n < 0 || n > p.budget {
		p.fail("model declares more than its %d bytes can hold (corrupt or hostile file)", len(p.data))
	}
	p.budget -= n
}

// count checks that a vector of n elements of elem bytes fits in the input,
// before anything is allocated for it.
func (p *parser) count(what string, n, elem int) int {
	if n < 0 || n > len(p.data)/elem {
		p.fail("%s %s: %d entries do not fit in %d bytes", p.where(), what, n, len(p.data))
	}
	return n
}

// parseTables parses the subgraph's vector of n tables (what: "tensor",
// "operator") into *dst, element i by parse(i, table, &(*dst)[i]) with p.at
// set to it for error messages. The count is checked and cost charged per
// element before anything is allocated, and *dst is allocated in full
// before the first element is parsed, so that errors can name what was
// parsed so far.
func parseTables[F, T any](p *parser, what string, n, cost int, dst *[]T, get func(*F, int) bool, parse func(int, *F, *T)) {
	n = p.count(what+"s", n, 4)
	p.spend(n * cost)
	*dst = make([]T, n)
	var f F
	for i := range *dst {
		p.at(what, i)
		get(&f, i)
		parse(i, &f, &(*dst)[i])
	}
}

// str copies a string out of the flatbuffer, charging it to the budget.
func (p *parser) str(b []byte) string {
	p.spend(len(b))
	return string(b)
}

// Costs charged per parsed object, above its variable-size parts.
const (
	tensorCost   = 128
	operatorCost = 160
)

func (p *parser) model() *Model {
	p.root = tflitefb.GetRootAsModel(p.data, 0)
	if v := p.root.Version(); v != 3 {
		p.fail("schema version %d, want 3", v)
	}
	if n := p.root.SubgraphsLength(); n != 1 {
		p.fail("model has %d subgraphs, want exactly 1", n)
	}
	p.nbuf = p.count("buffers", p.root.BuffersLength(), 4)
	var sg tflitefb.SubGraph
	p.root.Subgraphs(&sg, 0)
	m := &Model{Version: int(p.root.Version()), Description: p.str(p.root.Description())}
	p.m = m

	if n := sg.TensorsLength(); n > MaxTensors {
		p.fail("subgraph has %d tensors, more than %d", n, MaxTensors)
	}
	parseTables(p, "tensor", sg.TensorsLength(), tensorCost, &m.Tensors, sg.Tensors, p.tensor)

	p.at("subgraph", 0)
	m.Inputs = p.indices("input", sg.InputsLength(), sg.Inputs)
	m.Outputs = p.indices("output", sg.OutputsLength(), sg.Outputs)
	if len(m.Inputs) == 0 || len(m.Outputs) == 0 {
		p.fail("subgraph has %d inputs and %d outputs, want at least one of each", len(m.Inputs), len(m.Outputs))
	}

	if n := sg.OperatorsLength(); n > MaxOperators {
		p.fail("subgraph has %d operators, more than %d", n, MaxOperators)
	}
	parseTables(p, "operator", sg.OperatorsLength(), operatorCost, &m.Operators, sg.Operators, p.operator)
	p.checkGraph()

	p.whatKind = ""
	p.extras()
	return m
}

// indices reads the subgraph's input or output tensor indices.
func (p *parser) indices(what string, n int, at func(int) int32) []int {
	p.count(what+"s", n, 4)
	p.spend(8 * n)
	out := make([]int, n)
	for j := range out {
		v := int(at(j))
		if v < 0 || v >= len(p.m.Tensors) {
			p.fail("subgraph %s %d is tensor %d, out of range [0, %d)", what, j, v, len(p.m.Tensors))
		}
		out[j] = v
	}
	return out
}

func (p *parser) tensor(i int, ft *tflitefb.Tensor, t *Tensor) {
	t.Index = i
	t.Name = p.str(ft.Name())
	t.Type = DType(ft.Type())
	size := t.Type.ElemSize()
	if size == 0 {
		p.tfail(t, "%w type %v", ErrUnsupported, t.Type)
	}
	rank := ft.ShapeLength()
	if rank > MaxRank {
		p.tfail(t, "rank %d exceeds %d", rank, MaxRank)
	}
	p.spend(8 * rank)
	t.Shape = make([]int, rank)
	for j := range t.Shape {
		t.Shape[j] = int(ft.Shape(j))
	}
	bytes := size
	for _, d := range t.Shape {
		if d < 0 {
			p.tfail(t, "negative dimension in shape %v", t.Shape)
		}
		if d > 0 && bytes > MaxTensorBytes/d {
			p.tfail(t, "shape %v %v is larger than %d bytes", t.Shape, t.Type, MaxTensorBytes)
		}
		bytes *= d
	}
	if ft.IsVariable() {
		p.tfail(t, "%w variable tensor", ErrUnsupported)
	}
	var sp tflitefb.SparsityParameters
	if ft.Sparsity(&sp) != nil {
		p.tfail(t, "%w sparse tensor", ErrUnsupported)
	}

	if data := p.buffer(ft.Buffer(), t); len(data) > 0 {
		if len(data) != bytes {
			p.tfail(t, "buffer %d holds %d bytes, shape %v %v needs %d",
				ft.Buffer(), len(data), t.Shape, t.Type, bytes)
		}
		t.Data = data
	}
	p.quant(ft, t)
}

// buffer returns the contents of buffer idx (aliasing the input, capacity
// capped), or an empty slice.
func (p *parser) buffer(idx uint32, t *Tensor) []byte {
	if int64(idx) >= int64(p.nbuf) {
		msg := textfmt.Sprintf("buffer index %d out of range (model has %d buffers)", idx, p.nbuf)
		if t != nil {
			p.tfail(t, "%s", msg)
		}
		p.fail("%s", msg)
	}
	var b tflitefb.Buffer
	p.root.Buffers(&b, int(idx))
	if off := b.Offset(); off > 1 {
		// Large models keep buffers after the flatbuffer.
		size, n := b.Size(), uint64(len(p.data))
		if off > n || size > n-off {
			p.fail("buffer %d: %d bytes at offset %d lie outside the %d-byte file", idx, size, off, n)
		}
		return p.data[off : off+size : off+size]
	}
	d := b.DataBytes()
	return d[:len(d):len(d)]
}

// zeroPointRange is the range of a zero point of each quantized type.
func zeroPointRange(d DType) (lo, hi int64) {
	switch d {
	case UInt8:
		return 0, math.MaxUint8
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func (p *parser) quant(ft *tflitefb.Tensor, t *Tensor) {
	var fq tflitefb.QuantizationParameters
	q := ft.Quantization(&fq)
	if q == nil || q.ScaleLength() == 0 {
		// Float tensors often carry only min/max: not quantized.
		if t.Type == UInt8 || t.Type == Int8 {
			p.tfail(t, "%v tensor has no quantization parameters", t.Type)
		}
		return
	}
	if q.DetailsType() != tflitefb.QuantizationDetailsNONE {
		p.tfail(t, "%w custom quantization", ErrUnsupported)
	}
	n := p.count("scales", q.ScaleLength(), 4)
	if zn := q.ZeroPointLength(); zn != n {
		p.tfail(t, "quantization has %d scales but %d zero points", n, zn)
	}
	axis := 0
	if n > 1 {
		axis = int(q.QuantizedDimension())
		if axis < 0 || axis >= len(t.Shape) {
			p.tfail(t, "quantized dimension %d out of range for shape %v", axis, t.Shape)
		}
		if t.Shape[axis] != n {
			p.tfail(t, "%d per-channel scales, but dimension %d of shape %v is %d", n, axis, t.Shape, t.Shape[axis])
		}
	}
	p.spend(12*n + 64)
	qt := &Quant{Scale: make([]float32, n), ZeroPoint: make([]int64, n), Axis: axis}
	lo, hi := zeroPointRange(t.Type)
	for j := range n {
		s, z := q.Scale(j), q.ZeroPoint(j)
		if !(s > 0) || math.IsInf(float64(s), 0) {
			p.tfail(t, "scale %g is not positive and finite", s)
		}
		if z < lo || z > hi {
			p.tfail(t, "zero point %d is outside the %v range [%d, %d]", z, t.Type, lo, hi)
		}
		qt.Scale[j], qt.ZeroPoint[j] = s, z
	}
	t.Quant = qt
}

// checkGraph checks that operators run in an order that works: every input
// is a subgraph input, a constant or the output of an earlier operator; no
// operator writes a constant, a subgraph input or a tensor already written;
// every subgraph output is computed.
func (p *parser) checkGraph() {
	m := p.m
	p.spend(len(m.Tensors))
	ready := make([]bool, len(m.Tensors))
	for i := range m.Tensors {
		ready[i] = m.Tensors[i].IsConstant()
	}
	for _, i := range m.Inputs {
		if ready[i] {
			t := &m.Tensors[i]
			p.tfail(t, "subgraph input is constant or listed twice")
		}
		ready[i] = true
	}
	for k := range m.Operators {
		o := &m.Operators[k]
		for _, i := range o.Inputs {
			if i >= 0 && !ready[i] {
				t := &m.Tensors[i]
				p.fail("operator %d %v: input tensor %d %s is read before any operator writes it", k, o.Op, i, quote(t.Name))
			}
		}
		for _, i := range o.Outputs {
			if ready[i] {
				t := &m.Tensors[i]
				p.fail("operator %d %v: output tensor %d %s is a constant, a subgraph input or written before", k, o.Op, i, quote(t.Name))
			}
			ready[i] = true
		}
	}
	for _, i := range m.Outputs {
		if !ready[i] {
			t := &m.Tensors[i]
			p.fail("subgraph output tensor %d %s is never written", i, quote(t.Name))
		}
	}
}

// quote shortens s for an error message.
func quote(s string) string {
	if len(s) > 128 {
		s = s[:128] + "..."
	}
	return textfmt.Sprintf("%q", strings.ToValidUTF8(s, "?"))
}
