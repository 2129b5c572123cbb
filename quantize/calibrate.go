package quantize

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/preprocess"
	"mobilenet-wasm/loader"
)

// ErrQuantized is returned (wrapped) by NewCalibrator for a model that is
// already quantized: it has uint8 or int8 tensors, or QUANTIZE or
// DEQUANTIZE ops.
var ErrQuantized = errors.New("the model is already quantized")

// ErrUnsupported is returned (wrapped) by NewCalibrator for a float model
// with an operator or tensor type the quantizer does not rewrite.
var ErrUnsupported = errors.New("not supported by the quantizer")

// supported lists the float ops the quantizer rewrites: the engine's
// float ops, which are also those TFLite runs in uint8 and int8.
var supported = map[loader.Op]bool{
	loader.OpConv2D:          true,
	loader.OpDepthwiseConv2D: true,
	loader.OpFullyConnected:  true,
	loader.OpAveragePool2D:   true,
	loader.OpMaxPool2D:       true,
	loader.OpReshape:         true,
	loader.OpSqueeze:         true,
	loader.OpSoftmax:         true,
	loader.OpMean:            true,
	loader.OpPad:             true,
	loader.OpAdd:             true,
	loader.OpRelu:            true,
	loader.OpRelu6:           true,
}

// Calibrator runs a float model on calibration inputs and records the
// values of each of its float activations, from which Quantize chooses
// the quantized ranges. It is not safe for concurrent use; the same
// inputs in the same order give the same statistics, so the same file.
type Calibrator struct {
	model  *loader.Model
	clf    *engine.Classifier
	stats  []*stats // per tensor index; nil for constants
	images int      // inputs added with AddImage
	inputs int      // inputs added with AddInput
	// samples keep every calibration input, so that the float graphs
	// Quantize derives (equalized, bias-corrected) can be calibrated on
	// the same data: the pixel bytes of an image input (a quarter of its
	// float32 tensor), the float values otherwise.
	samples []sample
	// prepCache holds the prepared models by format and steps, for
	// the samples so far.
	prepCache map[prepKey]*prepared
}

// sample is one calibration input: pix when the float input is exactly
// preprocess.Float of these bytes, values otherwise.
type sample struct {
	pix    []byte
	values []float32
}

// NewCalibrator parses and checks a float model (the engine must run it,
// every op must be one the quantizer rewrites, no tensor may already be
// quantized) and prepares to calibrate it.
func NewCalibrator(model []byte) (*Calibrator, error) {
	m, err := loader.Parse(model)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	if err := checkFloat(m); err != nil {
		return nil, err
	}
	clf, err := engine.Load([][]byte{model}, engine.Options{})
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	return &Calibrator{model: m, clf: clf, stats: newStats(m)}, nil
}

// newStats returns empty statistics for every activation of m (its
// input and every operator's output), nil for constants.
func newStats(m *loader.Model) []*stats {
	st := make([]*stats, len(m.Tensors))
	for _, t := range m.Inputs {
		st[t] = &stats{}
	}
	for _, op := range m.Operators {
		for _, t := range op.Outputs {
			st[t] = &stats{}
		}
	}
	return st
}

// checkFloat refuses models that are already quantized or that hold what
// the quantizer does not rewrite.
func checkFloat(m *loader.Model) error {
	for _, op := range m.Operators {
		switch {
		case op.Op == loader.OpQuantize || op.Op == loader.OpDequantize:
			return fmt.Errorf("quantize: %w (operator %d is %v)", ErrQuantized, op.Index, op.Op)
		case !supported[op.Op]:
			return fmt.Errorf("quantize: operator %d %v: %w", op.Index, op.Op, ErrUnsupported)
		}
	}
	for i := range m.Tensors {
		t := &m.Tensors[i]
		switch {
		case t.Type == loader.UInt8 || t.Type == loader.Int8 || t.Quant != nil:
			return fmt.Errorf("quantize: %w (tensor %d %q is %v%s)", ErrQuantized, i, t.Name, t.Type, quantNote(t))
		case t.Type == loader.Float32:
		case t.Data != nil && (t.Type == loader.Int32 || t.Type == loader.Int64):
			// shape, axis and padding operands stay as they are
		default:
			return fmt.Errorf("quantize: tensor %d %q of type %v: %w", i, t.Name, t.Type, ErrUnsupported)
		}
	}
	return nil
}

func quantNote(t *loader.Tensor) string {
	if t.Quant == nil {
		return ""
	}
	return fmt.Sprintf(", scale %g zero point %d", t.Quant.Scale[0], t.Quant.ZeroPoint[0])
}

// ImageInput reports whether the model takes square RGB images, so that
// AddImage can be used.
func (c *Calibrator) ImageInput() bool { return c.clf.Info().InputSize > 0 }

// InputSize is the square input side in pixels of an image model (0
// otherwise).
func (c *Calibrator) InputSize() int { return c.clf.Info().InputSize }

// AddImage runs the float model on img, preprocessed as the release's
// evaluation did (central crop 87.5%, bilinear resize, x/127.5-1), and
// records every float activation.
func (c *Calibrator) AddImage(img image.Image) error {
	if err := c.clf.ObserveImage(img, c.observe); err != nil {
		return fmt.Errorf("quantize: %w", err)
	}
	c.keep(c.clf.Input())
	c.prepCache = nil
	c.images++
	return nil
}

// AddInput runs the float model on one raw input tensor (its float32
// values, as many as the input has) and records every float activation:
// the way to calibrate models that do not take images, such as a head
// fed with embeddings.
func (c *Calibrator) AddInput(values []float32) error {
	in := c.clf.Input()
	if len(values)*4 != len(in) {
		t := c.model.Input(0)
		return fmt.Errorf("quantize: input has %d values; the model takes %v = %d", len(values), t.Shape, t.NumElements())
	}
	for i, v := range values {
		putF32(in[4*i:], v)
	}
	c.clf.RunObserved(c.observe)
	c.keep(in)
	c.prepCache = nil
	c.inputs++
	return nil
}

// Samples is the number of calibration inputs added so far.
func (c *Calibrator) Samples() int { return c.images + c.inputs }

func (c *Calibrator) observe(o engine.Observation) {
	if s := c.stats[o.Tensor.Index]; s != nil {
		s.add(o.Values)
	}
}

// keep stores a copy of the raw float32 input tensor in as a sample:
// as bytes when every value is preprocess.Float of a byte (an image's).
func (c *Calibrator) keep(in []byte) {
	n := len(in) / 4
	pix := make([]byte, n)
	for i := range n {
		v := math.Float32frombits(binary.LittleEndian.Uint32(in[4*i:]))
		x := math.Round((float64(v) + 1) * 127.5)
		if !(x >= 0 && x <= 255) || preprocess.Float(byte(x)) != v {
			values := make([]float32, n)
			for j := range values {
				values[j] = math.Float32frombits(binary.LittleEndian.Uint32(in[4*j:]))
			}
			c.samples = append(c.samples, sample{values: values})
			return
		}
		pix[i] = byte(x)
	}
	c.samples = append(c.samples, sample{pix: pix})
}

// runAll runs clf (a float model with the calibrated model's input) on
// every calibration sample, in order, calling fn with every float
// activation.
func (c *Calibrator) runAll(clf *engine.Classifier, fn func(engine.Observation)) {
	in := clf.Input()
	for _, s := range c.samples {
		if s.pix != nil {
			_ = preprocess.ToFloat32LE(in, s.pix) // same size: the same input tensor
		} else {
			for i, v := range s.values {
				putF32(in[4*i:], v)
			}
		}
		clf.RunObserved(fn)
	}
}

// Range is one activation tensor's calibrated range and the range
// Quantize uses for it.
type Range struct {
	Tensor int
	Name   string
	// Min and Max are the extremes seen during calibration.
	Min, Max float64
	// Lo and Hi are the chosen range, before being widened to include
	// 0 and nudged: the method's choice, clamped by a fused or
	// following activation (ReLU6: [0, 6]).
	Lo, Hi float64
	// Fixed says the range is not calibrated but set by the graph
	// rewrite (the image input, softmax output, ops keeping their
	// input's quantization); Lo and Hi are then the representable range.
	Fixed bool
}

// putF32 stores v little-endian in b.
func putF32(b []byte, v float32) {
	binary.LittleEndian.PutUint32(b, math.Float32bits(v))
}
