package engine

import (
	"image"

	"mobilenet-wasm/loader"
)

// Observation is one float32 tensor's values during RunObserved: the input
// before the first operator runs, or an operator's output right after that
// operator ran. It is what post-training quantization calibrates on.
type Observation struct {
	// Model is the index of the chained model (0 for a single model).
	Model int
	// Op is the index of the operator that wrote the tensor, or -1 for
	// the model's input.
	Op int
	// Operator is that operator, nil for the input.
	Operator *loader.Operator
	// Tensor is the observed tensor of the model.
	Tensor *loader.Tensor
	// Values are the tensor's values. They are a view of the engine's
	// arena, valid only during the callback: the arena reuses the bytes
	// for later tensors.
	Values []float32
}

// RunObserved is Run, calling fn with every float32 tensor's values: each
// model's input before its first operator, then each operator's float32
// output right after the operator ran (a later operator may overwrite its
// bytes in the arena, so this is the only moment they can be seen).
// Outputs of other types are not reported.
//
// It is a separate loop over the plan's steps, so Run itself pays
// nothing for it.
func (c *Classifier) RunObserved(fn func(Observation)) {
	for i, p := range c.plans {
		if t := &p.model.Tensors[p.in]; t.Type == loader.Float32 {
			fn(Observation{Model: i, Op: -1, Tensor: t, Values: f32(p.bufs[p.in])})
		}
		for j := range p.steps {
			p.steps[j].run()
			op := &p.model.Operators[j]
			for _, o := range op.Outputs {
				if t := &p.model.Tensors[o]; t.Type == loader.Float32 {
					fn(Observation{Model: i, Op: j, Operator: op, Tensor: t, Values: f32(p.bufs[o])})
				}
			}
		}
		if i+1 < len(c.plans) {
			next := c.plans[i+1]
			copy(next.bufs[next.in], p.bufs[p.out])
		}
	}
}

// ObserveImage preprocesses img as Classify does (central crop, bilinear
// resize, the model's input conversion) and runs the model with
// RunObserved.
func (c *Classifier) ObserveImage(img image.Image, fn func(Observation)) error {
	if err := c.prepareImage(img); err != nil {
		return err
	}
	c.setInput()
	c.RunObserved(fn)
	return nil
}
