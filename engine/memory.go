package engine

import (
	"slices"

	"mobilenet-wasm/loader"
)

// Memory is where a loaded classifier's bytes go, all chained models
// together. The model files are not among them: planning copies what the
// steps read (the weights into the form their kernels take) and keeps
// nothing of the files.
type Memory struct {
	// SIMDWeights are the weights packed for the SIMD kernels, with their
	// padding values and im2col scratch (layers holding this form).
	SIMDWeights int64 `json:"simd_weights"`
	// PortableWeights are the weights in the portable kernels' form
	// (prepacked pointwise layers: 4 bytes a weight; others as in the
	// file), for the layers holding that form.
	PortableWeights int64 `json:"portable_weights"`
	// Constants are the other constants the steps read: biases (as in
	// the file and decoded), shape vectors, constant operands.
	Constants int64 `json:"constants"`
	// Arena holds every activation (buffers reused across layers).
	Arena int64 `json:"arena"`
	// Buffers are the classifier's own: preprocessed pixels, scores.
	Buffers int64 `json:"buffers"`
}

// Total is the sum of the parts.
func (m Memory) Total() int64 {
	return m.SIMDWeights + m.PortableWeights + m.Constants + m.Arena + m.Buffers
}

// Memory reports the bytes the classifier holds now (a layer's weights
// change form when SIMD is switched on or off; see SetSIMD).
func (c *Classifier) Memory() Memory {
	var m Memory
	for _, p := range c.plans {
		for _, w := range p.weighted {
			s, pt := w.heldBytes()
			m.SIMDWeights += int64(s)
			m.PortableWeights += int64(pt)
		}
		m.Constants += int64(p.constBytes)
		m.Arena += int64(len(p.arena))
	}
	m.Buffers = int64(len(c.rgb) + 4*len(c.scores) + 8*len(c.order))
	return m
}

// Models returns a copy of each chained model as parsed, its constant
// tensors' data rebuilt from the classifier's own copies (the filters
// from the form their layer holds): what a caller that needs the model
// itself (an export of its layers) reads, without the classifier keeping
// the files. Each call allocates the models' constants anew.
func (c *Classifier) Models() []*loader.Model {
	out := make([]*loader.Model, len(c.plans))
	for i, p := range c.plans {
		m := *p.model
		m.Tensors = slices.Clone(m.Tensors)
		for t := range m.Tensors {
			if p.constant[t] {
				m.Tensors[t].Data = slices.Clone(p.bufs[t])
			}
		}
		for _, w := range p.weighted {
			m.Tensors[w.tensor].Data = slices.Clone(w.filter())
		}
		out[i] = &m
	}
	return out
}
