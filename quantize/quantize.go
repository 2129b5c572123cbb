// Package quantize converts float32 TFLite models (the MobileNet V1
// release's float files, their synthetic twins, transfer-learned exports:
// any float model package engine runs) into fully quantized ones, by
// post-training quantization: a Calibrator runs the float model on
// calibration photos, records every activation's values, and Quantize
// rewrites the graph as TFLite's converter does.
//
// Two formats:
//   - UInt8, the release's own (its _quant files): per-tensor asymmetric
//     uint8 weights and activations, int32 biases of scale input scale x
//     weight scale and zero point 0; the image input at scale 1/128 and
//     zero point 128, so that its bytes are the pixels as they are.
//   - Int8, TFLite's current spec: symmetric int8 weights (zero point 0,
//     in [-127, 127]) with one scale max|w|/127 per output channel
//     (quantized_dimension 0 for CONV_2D, 3 for DEPTHWISE_CONV_2D; per
//     tensor for FULLY_CONNECTED, which every TFLite runtime takes),
//     asymmetric int8 activations, int32 biases; the input and output
//     int8, or uint8 or float32 through QUANTIZE / DEQUANTIZE ops at the
//     edges as current converters write them.
//
// Activation ranges come from calibration (min/max, a percentile, or the
// range minimising the quantization's mean squared error), clamped by
// fused activations (ReLU6: within [0, 6]) and widened to include 0 with
// TFLite's nudging. The converter's rewrites are the same: softmax output
// at scale 1/256 (zero point 0 for uint8, -128 for int8), pooling, pad,
// reshape and squeeze outputs keeping their input's quantization.
//
// Before quantizing, the float graph is rewritten (Options.Equalize,
// AbsorbBias, CorrectBias; all on by default, each can be turned off):
//
//   - Why: per-tensor uint8 weights lose most of MobileNet V1's accuracy
//     after training (mobilenet_v1_0.25_224: 57% -> 12% top-1 on the 100
//     photos): folded batch norm leaves depthwise channels whose weights
//     are 20x+ smaller than the widest of their layer, and they get a
//     handful of levels. Per-channel int8 does not have the problem.
//   - Cross-layer equalization (equalize.go; Nagel et al. 2019) rescales
//     each output channel of a convolution against the matching input
//     channel of the next one, over every consecutive pair (convolution
//     to depthwise, depthwise to pointwise, the last pointwise through
//     the average pool to the logits), iterated to convergence, so that
//     the channels of each filter have similar ranges. ReLU6 clips at 6
//     whatever a channel's scale: by default (KeepReLU6) a channel whose
//     calibrated outputs reached 6 keeps its scale and the others may
//     grow until their largest output reaches 6, exact on the
//     calibration data; ReLU6ToReLU replaces ReLU6 by ReLU on the
//     rescaled layers as Nagel et al. do, which frees the scales but
//     costs this model 14 points of float top-1 (57% -> 43%): unlike
//     MobileNet V2, V1 relies on the clipping.
//   - Bias absorption (bias.go) moves the always-positive part of a ReLU
//     channel into the next layer's bias, where that layer reads
//     without padding, narrowing ranges that equalization widened. It
//     needs ReLU, so it acts only with ReLU6ToReLU.
//   - Empirical bias correction (bias.go) removes from each layer's bias
//     the mean output shift that rounding its weights causes, measured on
//     the calibration inputs through the graph whose earlier layers
//     already have quantized weights and corrected biases (two passes).
//     Coarse per-tensor depthwise weights shift whole channels, and the
//     shift compounds through 28 layers.
//   - The activation ranges are calibrated on the rewritten graph with
//     its weights as quantized (engine.RunObserved on a model written
//     with tflitewrite), so they are those the quantized file computes.
//     The Calibrator keeps its inputs (an image's pixel bytes) to run
//     these graphs.
//
// On mobilenet_v1_0.25_224, calibrated on the 50 even photos of
// images/imagenet (top-1 on all 100 / on the 50 others): float 57 / 28,
// uint8 with the steps 55 / 27 (percentile, the uint8 default; min/max 53),
// uint8 without them 12 / 6, equalization alone 40, bias correction alone
// 41; int8 with the steps 58 / 27, without them 56 / 26 (the steps are
// on for int8 too). go test ./quantize -run Report with
// MOBILENET_QUANT_REPORT=1 prints the table.
//
// The package has no file system access (it builds for wasip1, for the
// page): callers decode images and pass them in. The same model,
// calibration inputs and options give a byte-identical file.
package quantize

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// Format is the quantized model's number format.
type Format int

// Formats.
const (
	// UInt8 is the release's format: per-tensor asymmetric uint8.
	UInt8 Format = iota
	// Int8 is TFLite's current spec: per-channel symmetric int8 weights,
	// asymmetric int8 activations.
	Int8
)

// String returns "uint8" or "int8".
func (f Format) String() string {
	switch f {
	case UInt8:
		return "uint8"
	case Int8:
		return "int8"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses "uint8" or "int8".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "uint8":
		return UInt8, nil
	case "int8":
		return Int8, nil
	}
	return 0, fmt.Errorf("format %q: want uint8 or int8", s)
}

// dtype is the format's activation and weight type.
func (f Format) dtype() loader.DType {
	if f == Int8 {
		return loader.Int8
	}
	return loader.UInt8
}

// qrange is the format's activation integer range.
func (f Format) qrange() (int, int) {
	if f == Int8 {
		return -128, 127
	}
	return 0, 255
}

// Method is how activation ranges are chosen from the calibration values.
type Method int

// Methods.
const (
	// MethodAuto (the zero value) is the format's default: Percentile
	// for UInt8, MinMax for Int8 (see DefaultMethod).
	MethodAuto Method = iota
	// MinMax takes the smallest and largest values seen (TFLite's
	// converter's default).
	MinMax
	// Percentile drops the extreme (100-Options.Percentile)% of the
	// values at each end, so that rare outliers do not coarsen the scale.
	Percentile
	// MSE takes the range, among the min/max range scaled by 1 down to
	// 0.05, whose quantization has the smallest mean squared error over
	// the calibration values (rounding inside, clipping outside).
	MSE
)

// String returns "auto", "minmax", "percentile" or "mse".
func (m Method) String() string {
	switch m {
	case MethodAuto:
		return "auto"
	case MinMax:
		return "minmax"
	case Percentile:
		return "percentile"
	case MSE:
		return "mse"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod parses "auto", "minmax", "percentile" or "mse".
func ParseMethod(s string) (Method, error) {
	switch s {
	case "auto", "":
		return MethodAuto, nil
	case "minmax":
		return MinMax, nil
	case "percentile":
		return Percentile, nil
	case "mse":
		return MSE, nil
	}
	return 0, fmt.Errorf("method %q: want auto, minmax, percentile or mse", s)
}

// DefaultMethod is the activation range method MethodAuto means for a
// format, chosen by measurement on mobilenet_v1_0.25_224: percentile
// for UInt8 (55% top-1 against 53% for min/max, after the default
// steps), min/max for Int8.
func DefaultMethod(f Format) Method {
	if f == UInt8 {
		return Percentile
	}
	return MinMax
}

// IOType is the type of the quantized model's input or output tensor.
type IOType int

// IO types.
const (
	// IODefault is the format's own type: uint8 or int8.
	IODefault IOType = iota
	// IOUInt8 is uint8 (with an int8 format, through a QUANTIZE op).
	IOUInt8
	// IOInt8 is int8 (with a uint8 format, through a QUANTIZE op).
	IOInt8
	// IOFloat32 is float32, through QUANTIZE (input) and DEQUANTIZE
	// (output) ops.
	IOFloat32
)

// ParseIOType parses "uint8", "int8" or "float32" (also "float"); ""
// and "default" are IODefault.
func ParseIOType(s string) (IOType, error) {
	switch s {
	case "", "default":
		return IODefault, nil
	case "uint8":
		return IOUInt8, nil
	case "int8":
		return IOInt8, nil
	case "float32", "float":
		return IOFloat32, nil
	}
	return 0, fmt.Errorf("type %q: want uint8, int8 or float32", s)
}

func (t IOType) dtype(f Format) loader.DType {
	switch t {
	case IOUInt8:
		return loader.UInt8
	case IOInt8:
		return loader.Int8
	case IOFloat32:
		return loader.Float32
	}
	return f.dtype()
}

// DefaultPercentile is Options.Percentile's default: TFLite's calibrator's
// histogram percentile (99.999).
const DefaultPercentile = 99.999

// Options configure Quantize.
type Options struct {
	Format Format
	Method Method
	// Percentile is the share of values (in %, in (50, 100]) the
	// Percentile method keeps at each end; 0 means DefaultPercentile.
	Percentile float64
	// Input and Output are the types of the model's input and output.
	Input, Output IOType
	// Labels, when not nil, replace the labels embedded in the model.
	Labels []string
	// Equalize, AbsorbBias and CorrectBias are the float graph's
	// rewrites before quantization (see the package documentation);
	// Auto (the zero value) is the format's default, DefaultSteps.
	//
	// Equalize is cross-layer equalization of every pair of consecutive
	// convolutions (ReLU6 becomes ReLU on the rescaled layers).
	Equalize Toggle
	// AbsorbBias moves, after equalization, the part of each ReLU
	// channel that is always positive into the next layer's bias.
	AbsorbBias Toggle
	// CorrectBias removes from each layer's bias the mean output shift
	// that quantizing its weights causes, measured on the calibration
	// inputs.
	CorrectBias Toggle
	// ReLU6 is how equalization treats layers with ReLU6.
	ReLU6 ReLU6Mode
}

// ReLU6Mode is how cross-layer equalization treats a layer with ReLU6,
// which clips at 6 whatever a channel's scale.
type ReLU6Mode int

// ReLU6 modes.
const (
	// KeepReLU6 keeps ReLU6 and bounds each output channel's scale so
	// that it stays exact on the calibration data: a channel whose
	// outputs reached 6 keeps its scale, another with largest output m
	// may grow up to 6/m (or shrink).
	KeepReLU6 ReLU6Mode = iota
	// ReLU6ToReLU replaces ReLU6 by ReLU on the rescaled layers and
	// scales freely, as Nagel et al. do; the float model then no longer
	// clips at 6, which costs mobilenet_v1_0.25_224 14 points of top-1.
	ReLU6ToReLU
)

// String returns "keep" or "relu".
func (r ReLU6Mode) String() string {
	switch r {
	case KeepReLU6:
		return "keep"
	case ReLU6ToReLU:
		return "relu"
	}
	return fmt.Sprintf("ReLU6Mode(%d)", int(r))
}

// ParseReLU6Mode parses "keep" or "relu".
func ParseReLU6Mode(s string) (ReLU6Mode, error) {
	switch s {
	case "keep", "":
		return KeepReLU6, nil
	case "relu":
		return ReLU6ToReLU, nil
	}
	return 0, fmt.Errorf("%q: want keep or relu", s)
}

// Toggle turns one of the rewrites before quantization on or off.
type Toggle int

// Toggles.
const (
	// Auto is the format's default (see DefaultSteps).
	Auto Toggle = iota
	On
	Off
)

// String returns "auto", "on" or "off".
func (t Toggle) String() string {
	switch t {
	case Auto:
		return "auto"
	case On:
		return "on"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Toggle(%d)", int(t))
}

// ParseToggle parses "auto", "on" or "off" (also "true" and "false").
func ParseToggle(s string) (Toggle, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "on", "true":
		return On, nil
	case "off", "false":
		return Off, nil
	}
	return 0, fmt.Errorf("%q: want auto, on or off", s)
}

func (t Toggle) or(def bool) bool {
	switch t {
	case On:
		return true
	case Off:
		return false
	}
	return def
}

// Steps are the rewrites of the float graph applied before quantizing.
type Steps struct {
	Equalize, AbsorbBias, CorrectBias bool
}

// DefaultSteps returns the rewrites Auto means for a format, chosen by
// measurement on mobilenet_v1_0.25_224 (see the package documentation).
func DefaultSteps(f Format) Steps {
	return Steps{Equalize: true, AbsorbBias: true, CorrectBias: true}
}

// Steps returns the rewrites the options select.
func (o Options) Steps() Steps {
	d := DefaultSteps(o.Format)
	return Steps{
		Equalize:    o.Equalize.or(d.Equalize),
		AbsorbBias:  o.AbsorbBias.or(d.AbsorbBias),
		CorrectBias: o.CorrectBias.or(d.CorrectBias),
	}
}

// Quantize writes the calibrated float model as a quantized TFLite model
// (see the package documentation), with the float model's metadata and
// labels and a description that records the format and the calibration.
// The result is checked to load and plan in the engine.
func (c *Calibrator) Quantize(opts Options) ([]byte, error) {
	if opts.Format != UInt8 && opts.Format != Int8 {
		return nil, fmt.Errorf("quantize: unknown format %d", opts.Format)
	}
	if opts.Method < MethodAuto || opts.Method > MSE {
		return nil, fmt.Errorf("quantize: unknown method %d", opts.Method)
	}
	if opts.Method == MethodAuto {
		opts.Method = DefaultMethod(opts.Format)
	}
	if opts.Percentile == 0 {
		opts.Percentile = DefaultPercentile
	}
	if !(opts.Percentile > 50 && opts.Percentile <= 100) {
		return nil, fmt.Errorf("quantize: percentile %g is not in (50, 100]", opts.Percentile)
	}
	if opts.Input < IODefault || opts.Input > IOFloat32 || opts.Output < IODefault || opts.Output > IOFloat32 {
		return nil, fmt.Errorf("quantize: unknown input or output type")
	}
	if opts.ReLU6 != KeepReLU6 && opts.ReLU6 != ReLU6ToReLU {
		return nil, fmt.Errorf("quantize: unknown ReLU6 mode %d", opts.ReLU6)
	}
	for _, t := range []Toggle{opts.Equalize, opts.AbsorbBias, opts.CorrectBias} {
		if t < Auto || t > Off {
			return nil, fmt.Errorf("quantize: unknown toggle %d", t)
		}
	}
	if c.Samples() == 0 {
		return nil, fmt.Errorf("quantize: no calibration inputs: add images or input tensors first")
	}
	r, err := c.newRewrite(opts)
	if err != nil {
		return nil, err
	}
	r.g = tflitewrite.FromModel(r.m)
	if err := r.run(); err != nil {
		return nil, err
	}
	out, err := tflitewrite.Write(r.g)
	if err != nil {
		return nil, fmt.Errorf("quantize: %w", err)
	}
	if _, err := engine.Load([][]byte{out}, engine.Options{}); err != nil {
		return nil, fmt.Errorf("quantize: the quantized model does not run: %w", err)
	}
	return out, nil
}

// Ranges returns the range Quantize would use for each activation
// tensor, in tensor order.
func (c *Calibrator) Ranges(opts Options) ([]Range, error) {
	if opts.Percentile == 0 {
		opts.Percentile = DefaultPercentile
	}
	if opts.Method == MethodAuto {
		opts.Method = DefaultMethod(opts.Format)
	}
	if c.Samples() == 0 {
		return nil, fmt.Errorf("quantize: no calibration inputs: add images or input tensors first")
	}
	r, err := c.newRewrite(opts)
	if err != nil {
		return nil, err
	}
	if err := r.activations(); err != nil {
		return nil, err
	}
	var out []Range
	for _, q := range r.act {
		if q != nil {
			out = append(out, q.rng)
		}
	}
	return out, nil
}

func (c *Calibrator) newRewrite(opts Options) (*rewrite, error) {
	p, err := c.prepare(opts.Format, opts.Steps(), opts.ReLU6)
	if err != nil {
		return nil, err
	}
	return &rewrite{c: c, m: p.m, stats: p.stats, prep: p, opts: opts}, nil
}

// actQuant is one activation tensor's chosen quantization.
type actQuant struct {
	scale float64
	zp    int
	rng   Range
}

// rewrite is one Quantize: the float model, the graph being rewritten,
// and the activations' quantization by tensor index.
type rewrite struct {
	c *Calibrator
	// m is the float model to quantize, as prepared (equalized, bias
	// corrected), and stats its activations' calibration.
	m     *loader.Model
	stats []*stats
	prep  *prepared
	opts  Options
	g     *tflitewrite.Graph
	act   []*actQuant
}

// floats returns float constant t's values.
func (r *rewrite) floats(t int) []float32 {
	v, _ := r.m.Tensors[t].Float32s()
	return v
}

// keepsQuant are the ops whose output TFLite requires (or the converter
// makes) quantized like their input.
var keepsQuant = map[loader.Op]bool{
	loader.OpAveragePool2D: true,
	loader.OpMaxPool2D:     true,
	loader.OpReshape:       true,
	loader.OpSqueeze:       true,
	loader.OpPad:           true,
}

// activationBounds is the range a fused activation (or a RELU / RELU6
// op) allows.
func activationBounds(a loader.Activation) (float64, float64) {
	switch a {
	case loader.ActRelu:
		return 0, math.Inf(1)
	case loader.ActRelu6:
		return 0, 6
	case loader.ActReluN1To1:
		return -1, 1
	}
	return math.Inf(-1), math.Inf(1)
}

// fusedActivation returns the op's fused activation, counting RELU and
// RELU6 ops as their own.
func fusedActivation(op *loader.Operator) loader.Activation {
	switch o := op.Options.(type) {
	case *loader.Conv2DOptions:
		return o.Activation
	case *loader.DepthwiseConv2DOptions:
		return o.Activation
	case *loader.Pool2DOptions:
		return o.Activation
	case *loader.FullyConnectedOptions:
		return o.Activation
	case *loader.AddOptions:
		return o.Activation
	}
	switch op.Op {
	case loader.OpRelu:
		return loader.ActRelu
	case loader.OpRelu6:
		return loader.ActRelu6
	}
	return loader.ActNone
}

// calibrated returns tensor t's range by the method, clamped by the
// activation bounds [blo, bhi].
func (r *rewrite) calibrated(t int, blo, bhi float64) (Range, error) {
	s := r.stats[t]
	name := r.m.Tensors[t].Name
	if s == nil || s.n == 0 {
		return Range{}, fmt.Errorf("quantize: tensor %d %q: no finite calibration values", t, name)
	}
	rg := Range{Tensor: t, Name: name, Min: s.min, Max: s.max}
	switch {
	case r.opts.Method == MinMax:
		rg.Lo, rg.Hi = s.min, s.max
	case r.opts.Method == Percentile:
		rg.Lo, rg.Hi = s.percentileRange(r.opts.Percentile)
	case r.opts.Method == MSE:
		qmin, qmax := r.opts.Format.qrange()
		rg.Lo, rg.Hi = s.mseRange(qmin, qmax)
	}
	rg.Lo, rg.Hi = max(rg.Lo, blo), min(rg.Hi, bhi)
	if rg.Lo > rg.Hi { // all values outside the bounds: keep the bound
		rg.Lo, rg.Hi = max(blo, min(rg.Lo, bhi)), max(blo, min(rg.Lo, bhi))
	}
	return rg, nil
}

// activations chooses every activation tensor's quantization, in
// operator order so that ops keeping their input's quantization find it.
func (r *rewrite) activations() error {
	qmin, qmax := r.opts.Format.qrange()
	r.act = make([]*actQuant, len(r.m.Tensors))
	set := func(rg Range) {
		scale, zp := affineParams(rg.Lo, rg.Hi, qmin, qmax)
		r.act[rg.Tensor] = &actQuant{scale: scale, zp: zp, rng: rg}
	}
	fixed := func(t int, scale float64, zp int) {
		r.act[t] = &actQuant{scale: scale, zp: zp, rng: Range{
			Tensor: t, Name: r.m.Tensors[t].Name, Fixed: true,
			Lo: float64(qmin-zp) * scale, Hi: float64(qmax-zp) * scale,
		}}
		if s := r.stats[t]; s != nil {
			r.act[t].rng.Min, r.act[t].rng.Max = s.min, s.max
		}
	}
	in := r.m.Inputs[0]
	if r.c.images > 0 && r.c.inputs == 0 {
		// The release's input quantization: the float model takes
		// x/127.5-1, the quantized one the pixel bytes x at scale 1/128
		// (zero point 128; int8: x-128 at zero point 0).
		fixed(in, 1.0/128, qmin+128)
	} else {
		rg, err := r.calibrated(in, math.Inf(-1), math.Inf(1))
		if err != nil {
			return err
		}
		set(rg)
	}
	for i := range r.m.Operators {
		op := &r.m.Operators[i]
		out := op.Outputs[0]
		switch {
		case op.Op == loader.OpSoftmax:
			// TFLite's quantized softmax output: 1/256, the lowest code 0.
			fixed(out, 1.0/256, qmin)
		case keepsQuant[op.Op] && r.act[op.Inputs[0]] != nil:
			q := *r.act[op.Inputs[0]]
			q.rng.Tensor, q.rng.Name, q.rng.Fixed = out, r.m.Tensors[out].Name, true
			if s := r.stats[out]; s != nil {
				q.rng.Min, q.rng.Max = s.min, s.max
			}
			r.act[out] = &q
		default:
			blo, bhi := activationBounds(fusedActivation(op))
			rg, err := r.calibrated(out, blo, bhi)
			if err != nil {
				return err
			}
			set(rg)
		}
	}
	return nil
}

// opVersion is the operator version TFLite's converter writes for the op
// with the format's tensors (its op_version rules for these ops).
func opVersion(op loader.Op, dt loader.DType, dilated bool) int {
	if dt == loader.UInt8 {
		if dilated {
			return 2
		}
		return 1
	}
	switch op {
	case loader.OpConv2D, loader.OpDepthwiseConv2D:
		return 3
	case loader.OpFullyConnected:
		return 4
	case loader.OpReshape, loader.OpSqueeze:
		return 1
	}
	return 2
}

// run rewrites the graph.
func (r *rewrite) run() error {
	if err := r.activations(); err != nil {
		return err
	}
	dt := r.opts.Format.dtype()
	g := r.g
	for t, q := range r.act {
		if q == nil {
			continue
		}
		g.Tensors[t].Type = dt
		g.Tensors[t].Quant = &loader.Quant{Scale: []float32{float32(q.scale)}, ZeroPoint: []int64{int64(q.zp)}}
	}
	weights := map[int]bool{} // weight tensors already rewritten
	biases := map[int]bool{}
	for i := range r.m.Operators {
		op := &r.m.Operators[i]
		gop := &g.Operators[i]
		dilated := false
		switch o := op.Options.(type) {
		case *loader.Conv2DOptions:
			dilated = o.DilationW > 1 || o.DilationH > 1
		case *loader.DepthwiseConv2DOptions:
			dilated = o.DilationW > 1 || o.DilationH > 1
		}
		gop.Version = opVersion(op.Op, dt, dilated)
		switch op.Op {
		case loader.OpConv2D, loader.OpDepthwiseConv2D, loader.OpFullyConnected:
			if err := r.weightsAndBias(op, gop, weights, biases); err != nil {
				return err
			}
		default:
			// Float constants fed to other ops (an ADD's operand) are
			// quantized over their own range.
			for j, t := range op.Inputs {
				if t < 0 || r.m.Tensors[t].Data == nil || r.m.Tensors[t].Type != loader.Float32 || weights[t] {
					continue
				}
				if j == 0 && op.Op != loader.OpAdd {
					return fmt.Errorf("quantize: operator %d %v: constant input tensor %d %q: %w", i, op.Op, t, r.m.Tensors[t].Name, ErrUnsupported)
				}
				r.constant(t)
				weights[t] = true
			}
		}
	}
	for t := range g.Tensors {
		if g.Tensors[t].Type == loader.Float32 && len(g.Tensors[t].Data) > 0 {
			return fmt.Errorf("quantize: float constant tensor %d %q: %w (it is not a weight, bias or ADD operand)", t, g.Tensors[t].Name, ErrUnsupported)
		}
	}
	r.edges()
	r.describe()
	return nil
}

// constant quantizes float constant t per tensor over its own range, to
// the activation type.
func (r *rewrite) constant(t int) {
	qmin, qmax := r.opts.Format.qrange()
	v, _ := r.m.Tensors[t].Float32s()
	lo, hi := 0.0, 0.0
	for _, x := range v {
		lo, hi = min(lo, float64(x)), max(hi, float64(x))
	}
	scale, zp := affineParams(lo, hi, qmin, qmax)
	data := make([]byte, len(v))
	for i, x := range v {
		data[i] = byte(quantizeValue(float64(x), scale, zp, qmin, qmax))
	}
	gt := &r.g.Tensors[t]
	gt.Type, gt.Data = r.opts.Format.dtype(), data
	gt.Quant = &loader.Quant{Scale: []float32{float32(scale)}, ZeroPoint: []int64{int64(zp)}}
}

// weightsAndBias quantizes a conv, depthwise conv or fully connected
// op's filter and bias. A filter shared by several ops is quantized once
// (its scales do not depend on the input); a bias shared by several ops
// is copied for each further op, since its scale depends on the input's.
func (r *rewrite) weightsAndBias(op *loader.Operator, gop *tflitewrite.Operator, weights, biases map[int]bool) error {
	in, w, b := op.Inputs[0], op.Inputs[1], -1
	if len(op.Inputs) > 2 {
		b = op.Inputs[2]
	}
	wt := &r.m.Tensors[w]
	if wt.Type != loader.Float32 || wt.Data == nil {
		return fmt.Errorf("quantize: operator %d %v: filter tensor %d %q is not a float constant", op.Index, op.Op, w, wt.Name)
	}
	inQ := r.act[in]
	if inQ == nil {
		return fmt.Errorf("quantize: operator %d %v: input tensor %d %q is not a quantized activation", op.Index, op.Op, in, r.m.Tensors[in].Name)
	}
	inScale := float64(float32(inQ.scale))
	var bias []float32
	if b >= 0 {
		bt := &r.m.Tensors[b]
		if bt.Type != loader.Float32 || bt.Data == nil {
			return fmt.Errorf("quantize: operator %d %v: bias tensor %d %q is not a float constant", op.Index, op.Op, b, bt.Name)
		}
		bias = r.floats(b)
	}
	var minScale []float64
	if bias != nil {
		minScale = biasMinScale(bias, inScale)
	}
	gw := &r.g.Tensors[w]
	var wScales []float64
	if weights[w] {
		// Already quantized by an earlier op: reuse its scales.
		for _, s := range gw.Quant.Scale {
			wScales = append(wScales, float64(s))
		}
	} else {
		data, q, scales := quantizeWeights(r.opts.Format, op.Op, r.floats(w), wt.Shape, minScale)
		gw.Type, gw.Data, gw.Quant = r.opts.Format.dtype(), data, q
		wScales = scales
		weights[w] = true
	}
	if b < 0 {
		return nil
	}
	data, scales := int32Bias(bias, inScale, wScales)
	q := &loader.Quant{Scale: scales, ZeroPoint: make([]int64, len(scales))}
	if len(scales) > 1 {
		q.Axis = 0
	}
	bt := tflitewrite.Tensor{Name: r.m.Tensors[b].Name, Type: loader.Int32, Shape: slices.Clone(r.m.Tensors[b].Shape), Data: data, Quant: q}
	if biases[b] {
		gop.Inputs[2] = r.g.AddTensor(bt)
	} else {
		r.g.Tensors[b] = bt
		biases[b] = true
	}
	weights[b] = true
	return nil
}

// quantizeWeights quantizes the filter w (of shape) of a CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED op in the format: uint8 per tensor
// over [min(w,0), max(w,0)]; int8 symmetric per output channel
// (FULLY_CONNECTED: per tensor, which every TFLite runtime takes). Scales
// are at least minScale (per output channel; see biasMinScale; nil: no
// constraint). It returns the data, its quantization and the scales. The
// bias correction simulates exactly these weights (see dequantize).
func quantizeWeights(f Format, op loader.Op, w []float32, shape []int, minScale []float64) ([]byte, *loader.Quant, []float64) {
	if f == UInt8 {
		ms := 0.0
		for _, s := range minScale {
			ms = max(ms, s)
		}
		data, scale, zp := asymmetricWeights(w, ms)
		return data, &loader.Quant{Scale: []float32{float32(scale)}, ZeroPoint: []int64{int64(zp)}}, []float64{scale}
	}
	axis := 0
	switch op {
	case loader.OpDepthwiseConv2D:
		axis = 3
	case loader.OpFullyConnected:
		// Per tensor: TFLite's FULLY_CONNECTED takes per-channel int8
		// weights only in recent runtimes.
		axis = -1
		if minScale != nil {
			ms := 0.0
			for _, s := range minScale {
				ms = max(ms, s)
			}
			minScale = []float64{ms}
		}
	}
	data, scales := symmetricWeights(w, shape, axis, minScale)
	q := &loader.Quant{Axis: max(axis, 0)}
	for _, s := range scales {
		q.Scale = append(q.Scale, float32(s))
		q.ZeroPoint = append(q.ZeroPoint, 0)
	}
	return data, q, scales
}

// dequantize returns the real values of quantized weights data (uint8 or
// int8 as f says) with quantization q on dimension q.Axis of shape.
func dequantize(f Format, data []byte, q *loader.Quant, shape []int) []float32 {
	inner := 1
	if len(q.Scale) > 1 {
		for _, d := range shape[q.Axis+1:] {
			inner *= d
		}
	}
	out := make([]float32, len(data))
	for i, b := range data {
		c := 0
		if len(q.Scale) > 1 {
			c = (i / inner) % len(q.Scale)
		}
		v := int(b)
		if f == Int8 {
			v = int(int8(b))
		}
		out[i] = float32(float64(q.Scale[c]) * float64(v-int(q.ZeroPoint[c])))
	}
	return out
}

// edges adds the QUANTIZE / DEQUANTIZE ops that give the model the input
// and output types asked for: the new input and output tensors take the
// original names, the quantized ones inside get a "_<type>" suffix.
func (r *rewrite) edges() {
	g, dt := r.g, r.opts.Format.dtype()
	if want := r.opts.Input.dtype(r.opts.Format); want != dt {
		in := g.Inputs[0]
		t := ioTensor(g.Tensors[in], want, dt)
		g.Tensors[in].Name += "_" + dt.String()
		nt := g.AddTensor(t)
		g.Operators = append([]tflitewrite.Operator{{Op: loader.OpQuantize, Inputs: []int{nt}, Outputs: []int{in}, Version: quantizeVersion(want)}}, g.Operators...)
		g.Inputs[0] = nt
	}
	if want := r.opts.Output.dtype(r.opts.Format); want != dt {
		out := g.Outputs[0]
		t := ioTensor(g.Tensors[out], want, dt)
		g.Tensors[out].Name += "_" + dt.String()
		nt := g.AddTensor(t)
		op := tflitewrite.Operator{Op: loader.OpQuantize, Inputs: []int{out}, Outputs: []int{nt}, Version: 2}
		if want == loader.Float32 {
			op.Op, op.Version = loader.OpDequantize, 2
			if dt == loader.UInt8 {
				op.Version = 1
			}
		}
		g.Operators = append(g.Operators, op)
		g.Outputs[0] = nt
	}
}

// ioTensor is the edge tensor of type want for quantized tensor t: float
// without quantization, or the other 8-bit type with the same scale and
// the zero point shifted by 128 (the same real values, as converters
// write them).
func ioTensor(t tflitewrite.Tensor, want, have loader.DType) tflitewrite.Tensor {
	nt := tflitewrite.Tensor{Name: t.Name, Type: want, Shape: slices.Clone(t.Shape)}
	if want == loader.Float32 {
		return nt
	}
	zp := t.Quant.ZeroPoint[0] + 128
	if want == loader.Int8 {
		zp = t.Quant.ZeroPoint[0] - 128
	}
	nt.Quant = &loader.Quant{Scale: slices.Clone(t.Quant.Scale), ZeroPoint: []int64{zp}}
	return nt
}

// quantizeVersion is QUANTIZE's version: 1 from float, 2 between 8-bit
// types.
func quantizeVersion(from loader.DType) int {
	if from == loader.Float32 {
		return 1
	}
	return 2
}

// describe records the quantization in the model's description and sets
// the runtime version the ops need.
func (r *rewrite) describe() {
	g, c := r.g, r.c
	method := r.opts.Method.String()
	if r.opts.Method == Percentile {
		method = fmt.Sprintf("percentile %g", r.opts.Percentile)
	}
	var from string
	switch {
	case c.images > 0 && c.inputs > 0:
		from = fmt.Sprintf("%d images and %d input tensors", c.images, c.inputs)
	case c.images > 0:
		from = fmt.Sprintf("%d images", c.images)
	default:
		from = fmt.Sprintf("%d input tensors", c.inputs)
	}
	desc := fmt.Sprintf("mobilenet-wasm post-training quantization: %s (%s), %s calibration on %s",
		r.opts.Format, formatDetail(r.opts.Format), method, from)
	desc += r.prep.describe()
	if d := strings.TrimSpace(r.m.Description); d != "" {
		desc += "; float model: " + d
	}
	g.Description = desc
	if r.opts.Labels != nil {
		g.Labels = slices.Clone(r.opts.Labels)
	}
	// The release's uint8 files say 1.5.0; int8 per-channel ops came with
	// TFLite 1.14.
	g.MinRuntimeVersion = "1.5.0"
	if r.opts.Format == Int8 {
		g.MinRuntimeVersion = "1.14.0"
	}
}

func formatDetail(f Format) string {
	if f == Int8 {
		return "per-channel symmetric int8 weights, asymmetric int8 activations, int32 biases"
	}
	return "per-tensor asymmetric uint8 weights and activations, int32 biases"
}
