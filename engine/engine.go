// Package engine turns validated TFLite models (package loader) into
// runnable plans: ops in order, weights prepacked for the kernels, one arena
// whose buffers are reused when their lifetimes do not overlap, and zero
// allocations per inference. It chains models (a feature extractor and a
// head), preprocesses images as the MobileNet release's evaluation did, and
// offers the Classifier API used by the CLI and the wasm module.
package engine

import (
	"bytes"

	"mobilenet-wasm/kernels"
)

// Options configure Load.
type Options struct {
	// Scheme selects the quantized requantization: kernels.SchemeFP32
	// (default, what TFLite runs through XNNPACK) or
	// kernels.SchemeReference (TFLite's reference kernels).
	Scheme kernels.Scheme
	// Labels override the labels embedded in the model. A list with one
	// entry fewer than the model's classes gets "background" prepended
	// (the 1001-class convention); one entry more whose first is
	// "background" loses it.
	Labels []string
}

// TensorInfo describes a model input or output.
type TensorInfo struct {
	Name      string    `json:"name"`
	Shape     []int     `json:"shape"`
	DType     string    `json:"dtype"` // "float32", "uint8", "int8"
	Scale     []float32 `json:"scale,omitempty"`
	ZeroPoint []int64   `json:"zero_point,omitempty"`
}

// Info describes a loaded classifier (all chained models together).
type Info struct {
	Input     TensorInfo `json:"input"`
	Output    TensorInfo `json:"output"`
	Embedding TensorInfo `json:"embedding"`  // the feature vector Embed returns (before dequantizing)
	InputSize int        `json:"input_size"` // square input side in pixels
	Classes   int        `json:"classes"`
	Ops       []string   `json:"ops"` // op names in execution order, all models
	MACs      int64      `json:"macs"`
	Params    int64      `json:"params"`
	Labels    []string   `json:"labels,omitempty"`
	Scheme    string     `json:"requant"`
}

// Prediction is one class of a top-k result.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float32 `json:"score"` // probability (uint8 outputs: byte/256)
}

// MidGrey returns the tensor's bytes for a mid-grey image: 128 for uint8,
// zero for float32 and int8 (their zero). Benchmarks time this input, so
// that the natively run engine and the wasm module see the same bytes.
func (t TensorInfo) MidGrey() []byte {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	switch t.DType {
	case "uint8":
		return bytes.Repeat([]byte{128}, n)
	case "float32":
		return make([]byte, 4*n)
	}
	return make([]byte, n)
}
