package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// SynthDescription starts the description of every model Synth writes;
// Identify uses it to flag synthetic files.
const SynthDescription = "mobilenet-wasm synthetic MobileNet V1"

// SynthOptions choose the model Synth writes.
type SynthOptions struct {
	// Width and Resolution must be the release's (Widths, Resolutions).
	Width      float64
	Resolution int
	// Quantized writes a uint8 model like the 2018-08-02 release;
	// otherwise a float32 one like 2018-02-22.
	Quantized bool
	// Seed selects the pseudo-random weights; the same options give the
	// same bytes on every platform.
	Seed uint64
	// Part writes the whole model (the default), or only its feature
	// extractor or its head. With the same seed, the parts hold exactly
	// the whole model's weights, so that chaining them computes the same.
	Part Part
}

// Synth writes a TFLite model with exactly the release's MobileNet V1
// architecture for the width and resolution (see Arch) and deterministic
// pseudo-random weights. It is for benchmarking the models whose weights
// are not at hand: the layers, shapes, op versions and quantization
// parameters are those of the release's files, the weights are not
// trained, so its classes mean nothing.
//
// The file mirrors the release's conventions (TF-slim tensor names,
// version 1 of every op, fused ReLU6, SAME padding, a VALID stride-2
// average pool over the final grid, min_runtime_version metadata):
//   - float32 (like mobilenet_v1_<W>_<R>.tflite): float weights and biases,
//     the logits squeezed to [1 1001] by SQUEEZE (dims 1, 2).
//   - uint8 (like mobilenet_v1_<W>_<R>_quant.tflite): per-tensor asymmetric
//     uint8 weights with a zero point, int32 biases of scale input scale x
//     weight scale, input scale 1/128 zero point 128, every ReLU6 output
//     (and the pool) scale 0.023528477 (6/255 nudged) zero point 0, the logits at a scale
//     covering their predicted range, RESHAPE to [1 1001] (a shape tensor
//     and the new_shape option), softmax output scale 1/256 zero point 0.
//
// The weights are like batch norm folded into He-initialised
// convolutions: for each output channel, uniform random taps are scaled
// and a bias chosen so that its pre-activation has mean 0.5 and standard
// deviation 1 when the input channels have the moments predicted for the
// layer before (inputs in [-1, 1) for the first layer). So activations
// neither die nor saturate at any depth, and the 1001 logits spread with
// a standard deviation of about 3: the softmax is far from uniform, and
// its uint8 outputs are not all zero.
func Synth(o SynthOptions) ([]byte, error) {
	if !slices.Contains(Widths, o.Width) {
		return nil, fmt.Errorf("models: synth: width %g is not the release's (1.0, 0.75, 0.5, 0.25)", o.Width)
	}
	if !slices.Contains(Resolutions, o.Resolution) {
		return nil, fmt.Errorf("models: synth: resolution %d is not the release's (224, 192, 160, 128)", o.Resolution)
	}
	if o.Part != Whole && o.Part != Extractor && o.Part != Head {
		return nil, fmt.Errorf("models: synth: unknown part %d", o.Part)
	}
	e, _ := Find(o.Width, o.Resolution, o.Quantized)
	s := &synth{arch: e.Arch(), quant: o.Quantized, seed: o.Seed}
	s.g.Description = fmt.Sprintf("%s (random weights, not trained): %s, seed %d", SynthDescription, e.Name, o.Seed)
	if o.Part != Whole {
		s.g.Description += ", " + o.Part.String() + " only"
	}
	// The release's files say they need TFLite 1.5.0 or later.
	s.g.MinRuntimeVersion = "1.5.0"
	s.build(o.Part)
	return tflitewrite.Write(&s.g)
}

// SynthEntry is Synth of a catalog entry.
func SynthEntry(e Entry, seed uint64) ([]byte, error) {
	return Synth(SynthOptions{Width: e.Width, Resolution: e.Resolution, Quantized: e.Quantized, Seed: seed})
}

// Moments of the synthetic activations (see Synth). Every pre-activation
// is made N(preMean, preStd²); after ReLU6 its mean and variance are
// those of clamp(N(0.5, 1), 0, 6):
//
//	E[y]  = m Φ(m) + φ(m)             = 0.6977955...
//	E[y²] = (m² + 1) Φ(m) + m φ(m)    = 1.0403604...
//
// (m = 0.5; the cap at 6 changes them by less than 1e-7). They are
// constants rather than computed with math.Erf and math.Exp, whose
// assembly versions may differ by an ulp across platforms, so that the
// weights are the same everywhere.
const (
	preMean   = 0.5
	preStd    = 1.0
	relu6Mean = 0.6977955
	relu6Var  = 1.0403604 - relu6Mean*relu6Mean
	// inputVar is the variance of inputs uniform in [-1, 1) (mean 0).
	inputVar = 1.0 / 3
	// logitsStd is the target spread of the logits over the classes, and
	// logitsBias the half-range of their uniform random biases.
	logitsStd  = 3.0
	logitsBias = 0.5
	// logitsMargin widens the quantized logits' range beyond the
	// predicted extremes, for the image-dependent part.
	logitsMargin = 3.0
)

// Quantization parameters of the release's uint8 files.
const (
	inputScale = float32(1.0 / 128)
	inputZP    = 128
	// reluScale is the release's ReLU6 output scale: 6/255 as TF's fake
	// quantization nudged it (a range of [0, 5.99976]).
	reluScale    = float32(0.023528477)
	softmaxScale = float32(1.0 / 256)
)

// synth builds one synthetic model.
type synth struct {
	arch  Arch
	quant bool
	seed  uint64
	g     tflitewrite.Graph
}

// tensor names of the release (TF-slim scopes).
const (
	nameInput   = "input"
	namePool    = "MobilenetV1/Logits/AvgPool_1a/AvgPool"
	nameSqueeze = "MobilenetV1/Logits/SpatialSqueeze"
	nameOutput  = "MobilenetV1/Predictions/Reshape_1"
)

// build adds the tensors and operators of the part.
func (s *synth) build(part Part) {
	typ := s.actType()
	a := s.arch
	var x int // the running activation tensor
	if part != Head {
		r := a.Resolution
		x = s.activation(nameInput, []int{1, r, r, 3}, s.q(inputScale, inputZP))
		mean, variance := 0.0, inputVar
		for i, l := range a.Extractor() {
			x = s.conv(i, l, x, mean, variance)
			mean, variance = relu6Mean, relu6Var
		}
		pool := s.activation(namePool, []int{1, 1, 1, a.Features}, s.q(reluScale, 0))
		s.g.AddOperator(tflitewrite.Operator{Op: loader.OpAveragePool2D, Inputs: []int{x}, Outputs: []int{pool},
			Options: &loader.Pool2DOptions{Padding: loader.PaddingValid, StrideW: 2, StrideH: 2, FilterW: a.PoolSize, FilterH: a.PoolSize}})
		x = pool
		if part == Extractor {
			s.g.Inputs, s.g.Outputs = []int{0}, []int{pool}
			return
		}
	} else {
		x = s.activation(namePool, []int{1, 1, 1, a.Features}, s.q(reluScale, 0))
	}
	logits, lq := s.logits(x)
	squeezed := s.activation(nameSqueeze, []int{1, Classes}, lq)
	if s.quant {
		shape := s.g.AddTensor(tflitewrite.Tensor{Name: nameSqueeze + "/shape", Type: loader.Int32, Shape: []int{2}, Data: le32(1, Classes)})
		s.g.AddOperator(tflitewrite.Operator{Op: loader.OpReshape, Inputs: []int{logits, shape}, Outputs: []int{squeezed},
			Options: &loader.ReshapeOptions{NewShape: []int{1, Classes}}})
	} else {
		s.g.AddOperator(tflitewrite.Operator{Op: loader.OpSqueeze, Inputs: []int{logits}, Outputs: []int{squeezed},
			Options: &loader.SqueezeOptions{SqueezeDims: []int{1, 2}}})
	}
	out := s.g.AddTensor(tflitewrite.Tensor{Name: nameOutput, Type: typ, Shape: []int{1, Classes}, Quant: s.q(softmaxScale, 0)})
	s.g.AddOperator(tflitewrite.Operator{Op: loader.OpSoftmax, Inputs: []int{squeezed}, Outputs: []int{out},
		Options: &loader.SoftmaxOptions{Beta: 1}})
	s.g.Inputs, s.g.Outputs = []int{0}, []int{out} // the first tensor is the input
}

// activation adds an activation tensor of the model's type.
func (s *synth) activation(name string, shape []int, q *loader.Quant) int {
	return s.g.AddTensor(tflitewrite.Tensor{Name: name, Type: s.actType(), Shape: shape, Quant: q})
}

// q is a per-tensor quantization for uint8 models, nil for float ones.
func (s *synth) q(scale float32, zp int64) *loader.Quant {
	if !s.quant {
		return nil
	}
	return perTensor(scale, zp)
}

func perTensor(scale float32, zp int64) *loader.Quant {
	return &loader.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
}

// conv adds extractor layer i (a convolution with ReLU6) reading tensor x
// whose channels have the given mean and variance, and returns its output.
func (s *synth) conv(i int, l Layer, x int, mean, variance float64) int {
	r := s.taps(i, l)
	taps := len(r) / l.Out
	w := make([]float64, len(r))
	b := make([]float64, l.Out)
	// Per output channel: pre-activation mean = mean*Σr*α + bias, variance
	// = variance*Σr²*α²; choose α and bias to make them preMean, preStd².
	for c := range l.Out {
		var sum, sq float64
		for t := range taps {
			v := r[tapIndex(l, c, t)]
			sum += v
			sq += float64(v * v)
		}
		alpha := preStd / math.Sqrt(variance*sq)
		for t := range taps {
			j := tapIndex(l, c, t)
			w[j] = float64(alpha * r[j])
		}
		b[c] = preMean - float64(float64(alpha*mean)*sum) // no fused multiply-add: the same bits everywhere
	}
	out := s.activation("MobilenetV1/MobilenetV1/"+l.Name+"/Relu6", []int{1, l.OutSize, l.OutSize, l.Out}, s.q(reluScale, 0))
	s.layer(l, x, w, b, out)
	return out
}

// logits adds the logits convolution reading the pooled features x, and
// returns its output tensor and quantization.
func (s *synth) logits(x int) (int, *loader.Quant) {
	a := s.arch
	l := a.Logits()
	r := s.taps(len(a.Layers)-1, l)
	b := s.uniform(len(a.Layers)-1, 1, l.Out)
	// logit_k = Σ_c g r_kc e_c + bias_k with e_c ≈ relu6Mean: its spread
	// over k is g relu6Mean sqrt(F/3) = logitsStd.
	g := logitsStd * math.Sqrt(3/float64(l.In)) / relu6Mean
	w := make([]float64, len(r))
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range l.Out {
		var sum float64
		for c := range l.In {
			j := k*l.In + c
			w[j] = float64(g * r[j])
			sum += w[j]
		}
		b[k] *= logitsBias
		pred := float64(relu6Mean*sum) + b[k]
		lo, hi = min(lo, pred), max(hi, pred)
	}
	var lq *loader.Quant
	if s.quant {
		lq = perTensor(affine(min(lo-logitsMargin, 0), max(hi+logitsMargin, 0)))
	}
	out := s.activation("MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd", []int{1, 1, 1, Classes}, lq)
	s.layer(l, x, w, b, out)
	return out, lq
}

func (s *synth) actType() loader.DType {
	if s.quant {
		return loader.UInt8
	}
	return loader.Float32
}

// layer adds the weights and bias tensors of layer l (float values w in
// TFLite's filter layout, b) and its operator from x to out.
func (s *synth) layer(l Layer, x int, w, b []float64, out int) {
	scope := "MobilenetV1/" + l.Name
	wname, bname := scope+"/weights", "MobilenetV1/"+scope+"/Conv2D_bias"
	shape := []int{l.Out, l.Kernel, l.Kernel, l.In}
	if l.Depthwise {
		wname, bname = scope+"/depthwise_weights", "MobilenetV1/"+scope+"/depthwise_bias"
		shape = []int{1, l.Kernel, l.Kernel, l.Out}
	}
	if l.Name == "Logits/Conv2d_1c_1x1" {
		bname = scope + "/Conv2D_bias"
	}
	wt := tflitewrite.Tensor{Name: wname, Type: loader.Float32, Shape: shape, Data: f32le(w)}
	bt := tflitewrite.Tensor{Name: bname, Type: loader.Float32, Shape: []int{l.Out}, Data: f32le(b)}
	if s.quant {
		in := s.g.Tensors[x].Quant.Scale[0]
		lo, hi := 0.0, 0.0
		for _, v := range w {
			lo, hi = min(lo, v), max(hi, v)
		}
		ws, wzp := affine(lo, hi)
		q := make([]byte, len(w))
		for i, v := range w {
			q[i] = byte(clamp(math.RoundToEven(v/float64(ws))+float64(wzp), 0, 255))
		}
		bs := float32(float64(in) * float64(ws))
		qb := make([]int32, len(b))
		for i, v := range b {
			qb[i] = int32(clamp(math.RoundToEven(v/float64(bs)), math.MinInt32, math.MaxInt32))
		}
		wt.Type, wt.Data, wt.Quant = loader.UInt8, q, perTensor(ws, wzp)
		bt.Type, bt.Data, bt.Quant = loader.Int32, le32(qb...), perTensor(bs, 0)
	}
	ins := []int{x, s.g.AddTensor(wt), s.g.AddTensor(bt)}
	act := loader.ActNone
	if l.ReLU6 {
		act = loader.ActRelu6
	}
	if l.Depthwise {
		s.g.AddOperator(tflitewrite.Operator{Op: loader.OpDepthwiseConv2D, Inputs: ins, Outputs: []int{out},
			Options: &loader.DepthwiseConv2DOptions{Padding: loader.PaddingSame, StrideW: l.Stride, StrideH: l.Stride,
				DilationW: 1, DilationH: 1, DepthMultiplier: 1, Activation: act}})
		return
	}
	s.g.AddOperator(tflitewrite.Operator{Op: loader.OpConv2D, Inputs: ins, Outputs: []int{out},
		Options: &loader.Conv2DOptions{Padding: loader.PaddingSame, StrideW: l.Stride, StrideH: l.Stride,
			DilationW: 1, DilationH: 1, Activation: act}})
}

// taps draws layer i's raw filter values, uniform in [-1, 1), in TFLite's
// filter layout.
func (s *synth) taps(i int, l Layer) []float64 {
	n := l.Kernel * l.Kernel * l.Out
	if !l.Depthwise {
		n *= l.In
	}
	return s.uniform(i, 0, n)
}

// uniform draws n values uniform in [-1, 1) from stream (layer, kind) of
// the seed: every layer has its own streams, so a part holds the same
// weights as the whole model.
func (s *synth) uniform(layer, kind, n int) []float64 {
	g := rng{state: s.seed ^ uint64(layer+1)*0x9e3779b97f4a7c15 ^ uint64(kind+1)*0xd1b54a32d192ed03}
	g.next()
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(float64(g.next()>>11)*0x1p-52) - 1 // exact: 53 bits scaled by a power of two
	}
	return v
}

// tapIndex is the index in the filter of tap t of output channel c.
func tapIndex(l Layer, c, t int) int {
	if l.Depthwise {
		return t*l.Out + c // [1, K, K, C]
	}
	return c*l.Kernel*l.Kernel*l.In + t // [Out, K, K, In]
}

// rng is SplitMix64: tiny, fast, and the same on every platform.
type rng struct{ state uint64 }

func (g *rng) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	z := g.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// affine returns the uint8 scale and zero point covering [lo, hi], which
// holds 0, with 0 exactly representable (TFLite's nudging).
func affine(lo, hi float64) (float32, int64) {
	if hi-lo < 1e-12 {
		return 1, 0
	}
	scale := float32((hi - lo) / 255)
	zp := int64(clamp(math.RoundToEven(-lo/float64(scale)), 0, 255))
	return scale, zp
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

// le32 encodes int32s little-endian.
func le32(v ...int32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
	}
	return out
}

// f32le encodes values as float32 little-endian.
func f32le(v []float64) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(x)))
	}
	return out
}
