package engine

import (
	"fmt"

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
}

// step is one operator, compiled into a closure over its buffers and
// params, so that running it allocates nothing.
type step struct {
	op  loader.Op
	run func()
}

// opError formats an error about operator op, naming its index and kind.
func opError(op *loader.Operator, format string, args ...any) error {
	return fmt.Errorf("engine: operator %d (%v): %s", op.Index, op.Op, fmt.Sprintf(format, args...))
}

// newPlan validates m's dataflow and shapes for the engine, lays out its
// activations in one arena and compiles every operator.
func newPlan(m *loader.Model, scheme kernels.Scheme) (*plan, error) {
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		return nil, fmt.Errorf("engine: model has %d inputs and %d outputs; want one of each", len(m.Inputs), len(m.Outputs))
	}
	p := &plan{model: m, scheme: scheme, in: m.Inputs[0], out: m.Outputs[0], embed: -1}
	if m.Tensors[p.in].Data != nil {
		return nil, fmt.Errorf("engine: input tensor %d %q is a constant", p.in, m.Tensors[p.in].Name)
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
		return nil, fmt.Errorf("engine: output tensor %d %q is never written", p.out, m.Tensors[p.out].Name)
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
			return nil, fmt.Errorf("engine: tensor %d %q has type %v, which the engine does not run", t, tt.Name, tt.Type)
		}
		iv := &interval{size: tt.ByteSize(), first: first[t], last: last[t]}
		owner[t] = iv
		ivs = append(ivs, iv)
	}
	p.arena = newArena(assignOffsets(ivs))
	p.bufs = make([][]byte, len(m.Tensors))
	for t := range m.Tensors {
		switch {
		case owner[t] != nil:
			p.bufs[t] = p.arena[owner[t].off : owner[t].off+owner[t].size : owner[t].off+owner[t].size]
		case m.Tensors[t].Data != nil:
			p.bufs[t] = m.Tensors[t].Data
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
	return p, nil
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
