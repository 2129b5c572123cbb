package engine

import (
	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
)

// plan is one model made runnable: its steps in execution order and the
// arena holding every activation.
type plan struct {
	model  *loader.Model
	scheme kernels.Scheme
	arena  []byte
	bufs   [][]byte // per tensor: its bytes (arena view, or constant data)
	steps  []step
	in     int // input tensor index
	out    int // output tensor index
	embed  int // tensor index of the feature vector the last logits layer reads, or -1
	macs   int64
	params int64
	// weighted are the layers with weights, which hold their filters in
	// the form their kernels read (simd.go); constBytes counts the other
	// constants the steps keep (biases, shape vectors, constant operands).
	// None of them is the model file's bytes: newPlan drops the model's
	// constant data once compiled, so the file can go.
	weighted   []weighted
	constBytes int
	constant   []bool // per tensor: a constant other than a filter, copied into bufs
}

// step is one operator, compiled into a closure over its buffers and
// params, so that running it allocates nothing.
type step struct {
	op  loader.Op
	run func()
}

// opError formats an error about operator op, naming its index and kind.
func opError(op *loader.Operator, format string, args ...any) error {
	return textfmt.Errorf("engine: operator %d (%v): %s", op.Index, op.Op, textfmt.Sprintf(format, args...))
}

// newPlan validates m's dataflow and shapes for the engine, lays out its
// activations in one arena and compiles every operator.
func newPlan(m *loader.Model, scheme kernels.Scheme) (*plan, error) {
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, textfmt.Errorf("engine: model has %d inputs and %d outputs; want one of each", len(m.Inputs), len(m.Outputs))
	}
	p := &plan{model: m, scheme: scheme, in: m.Inputs[0], out: m.Outputs[0], embed: -1}
	if m.Tensors[p.in].Data != nil {
		return nil, textfmt.Errorf("engine: input tensor %d %q is a constant", p.in, m.Tensors[p.in].Name)
	}
	// The feature vector is the input of the last CONV_2D or
	// FULLY_CONNECTED when it is the last layer with weights (the logits).
	for i := len(m.Operators) - 1; i >= 0; i-- {
		op := &m.Operators[i]
		if op.Op == loader.OpConv2D || op.Op == loader.OpFullyConnected {
			p.embed = op.Inputs[0]
			break
		}
		if op.Op == loader.OpDepthwiseConv2D {
			break
		}
	}

	// Lifetimes: operators are stored in execution order; check it.
	n := len(m.Operators)
	const unset = -2
	first := make([]int, len(m.Tensors))
	last := make([]int, len(m.Tensors))
	for i := range first {
		first[i], last[i] = unset, unset
	}
	first[p.in], last[p.in] = -1, -1
	for i := range m.Operators {
		op := &m.Operators[i]
		for _, t := range op.Inputs {
			if t < 0 || m.Tensors[t].Data != nil {
				continue
			}
			if first[t] == unset {
				return nil, opError(op, "reads tensor %d %q before any operator writes it", t, m.Tensors[t].Name)
			}
			last[t] = i
		}
		for _, t := range op.Outputs {
			if m.Tensors[t].Data != nil {
				return nil, opError(op, "writes constant tensor %d %q", t, m.Tensors[t].Name)
			}
			if first[t] != unset {
				return nil, opError(op, "writes tensor %d %q, already written", t, m.Tensors[t].Name)
			}
			first[t], last[t] = i, i
		}
	}
	if first[p.out] == unset {
		return nil, textfmt.Errorf("engine: output tensor %d %q is never written", p.out, m.Tensors[p.out].Name)
	}
	// The input and output must stay readable and writable between runs,
	// and the feature vector must survive to the end.
	last[p.in], last[p.out] = n, n
	if p.embed >= 0 {
		last[p.embed] = n
	}

	var ivs []*interval
	owner := make([]*interval, len(m.Tensors))
	for t := range m.Tensors {
		if first[t] == unset {
			continue
		}
		tt := &m.Tensors[t]
		if tt.Type.ElemSize() == 0 || (tt.Type != loader.Float32 && tt.Type != loader.UInt8 && tt.Type != loader.Int8 && tt.Type != loader.Int32) {
			return nil, textfmt.Errorf("engine: tensor %d %q has type %v, which the engine does not run", t, tt.Name, tt.Type)
		}
		iv := &interval{size: tt.ByteSize(), first: first[t], last: last[t]}
		owner[t] = iv
		ivs = append(ivs, iv)
	}
	p.arena = newArena(assignOffsets(ivs))
	p.bufs = make([][]byte, len(m.Tensors))
	weights := weightTensors(m)
	for t := range m.Tensors {
		switch {
		case owner[t] != nil:
			p.bufs[t] = p.arena[owner[t].off : owner[t].off+owner[t].size : owner[t].off+owner[t].size]
		case m.Tensors[t].Data != nil && !weights[t]:
			// A copy: the plan keeps nothing of the model file.
			p.bufs[t] = alignedClone(m.Tensors[t].Data)
			p.constBytes += len(p.bufs[t])
		}
	}

	for i := range m.Operators {
		op := &m.Operators[i]
		run, err := p.compile(op)
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, step{op: op.Op, run: run})
	}
	// The steps hold their own copies of every constant (the forms of
	// simd.go, decoded biases, p.bufs): drop the model's views of the file,
	// so that it is garbage once the caller lets go of it. What is left of
	// the model (shapes, types, quantization, names) is what Info and the
	// other readers use; Models gives the constants back.
	for t := range m.Tensors {
		m.Tensors[t].Data = nil
	}
	p.constant = make([]bool, len(m.Tensors))
	for t := range m.Tensors {
		p.constant[t] = owner[t] == nil && p.bufs[t] != nil
	}
	return p, nil
}

// weightTensors marks the filters of the layers with weights, which their
// compiled steps pack themselves (see withWeights).
func weightTensors(m *loader.Model) []bool {
	w := make([]bool, len(m.Tensors))
	for _, op := range m.Operators {
		switch op.Op {
		case loader.OpConv2D, loader.OpDepthwiseConv2D, loader.OpFullyConnected:
			if t := op.Inputs[1]; t >= 0 && m.Tensors[t].Data != nil {
				w[t] = true
			}
		}
	}
	return w
}

// run executes every step once.
func (p *plan) run() {
	for i := range p.steps {
		p.steps[i].run()
	}
}

// constF32 decodes a constant float32 tensor, nil for an absent one (the
// callers have checked its type).
func constF32(t *loader.Tensor) []float32 {
	if t == nil {
		return nil
	}
	v, _ := t.Float32s()
	return v
}

// constI32 decodes a constant int32 tensor, nil for an absent one.
func constI32(t *loader.Tensor) []int32 {
	if t == nil {
		return nil
	}
	v, _ := t.Int32s()
	return v
}
