package models

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	flatbuffers "github.com/google/flatbuffers/go"

	"mobilenet-wasm/loader"
	fb "mobilenet-wasm/loader/tflitefb"
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
	s.m.desc = fmt.Sprintf("%s (random weights, not trained): %s, seed %d", SynthDescription, e.Name, o.Seed)
	if o.Part != Whole {
		s.m.desc += ", " + o.Part.String() + " only"
	}
	s.build(o.Part)
	return s.m.pack(), nil
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
	m     fbModel
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
	typ := fb.TensorTypeFLOAT32
	if s.quant {
		typ = fb.TensorTypeUINT8
	}
	a := s.arch
	var x int32 // the running activation tensor
	if part != Head {
		r := int32(a.Resolution)
		x = s.m.tensor(nameInput, typ, []int32{1, r, r, 3}, 0, s.q(inputScale, inputZP))
		mean, variance := 0.0, inputVar
		for i, l := range a.Extractor() {
			x = s.conv(i, l, x, mean, variance)
			mean, variance = relu6Mean, relu6Var
		}
		pool := s.m.tensor(namePool, typ, []int32{1, 1, 1, int32(a.Features)}, 0, s.q(reluScale, 0))
		p := int32(a.PoolSize)
		s.m.op(loader.OpAveragePool2D, []int32{x}, []int32{pool}, fb.BuiltinOptionsPool2DOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			fb.Pool2DOptionsStart(b)
			fb.Pool2DOptionsAddPadding(b, fb.PaddingVALID)
			fb.Pool2DOptionsAddStrideW(b, 2)
			fb.Pool2DOptionsAddStrideH(b, 2)
			fb.Pool2DOptionsAddFilterWidth(b, p)
			fb.Pool2DOptionsAddFilterHeight(b, p)
			return fb.Pool2DOptionsEnd(b)
		})
		x = pool
		if part == Extractor {
			s.m.inputs, s.m.outputs = []int32{0}, []int32{pool}
			return
		}
	} else {
		x = s.m.tensor(namePool, typ, []int32{1, 1, 1, int32(a.Features)}, 0, s.q(reluScale, 0))
	}
	logits, lq := s.logits(x)
	squeezed := s.m.tensor(nameSqueeze, typ, []int32{1, Classes}, 0, lq)
	if s.quant {
		shape := s.m.tensor(nameSqueeze+"/shape", fb.TensorTypeINT32, []int32{2}, s.m.buffer(le32(1, Classes)), nil)
		s.m.op(loader.OpReshape, []int32{logits, shape}, []int32{squeezed}, fb.BuiltinOptionsReshapeOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			dims := int32s(b, []int32{1, Classes})
			fb.ReshapeOptionsStart(b)
			fb.ReshapeOptionsAddNewShape(b, dims)
			return fb.ReshapeOptionsEnd(b)
		})
	} else {
		s.m.op(loader.OpSqueeze, []int32{logits}, []int32{squeezed}, fb.BuiltinOptionsSqueezeOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			dims := int32s(b, []int32{1, 2})
			fb.SqueezeOptionsStart(b)
			fb.SqueezeOptionsAddSqueezeDims(b, dims)
			return fb.SqueezeOptionsEnd(b)
		})
	}
	out := s.m.tensor(nameOutput, typ, []int32{1, Classes}, 0, s.q(softmaxScale, 0))
	s.m.op(loader.OpSoftmax, []int32{squeezed}, []int32{out}, fb.BuiltinOptionsSoftmaxOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		fb.SoftmaxOptionsStart(b)
		fb.SoftmaxOptionsAddBeta(b, 1)
		return fb.SoftmaxOptionsEnd(b)
	})
	s.m.inputs, s.m.outputs = []int32{0}, []int32{out} // the first tensor is the input
}

// q is a per-tensor quantization for uint8 models, nil for float ones.
func (s *synth) q(scale float32, zp int64) *fbQuant {
	if !s.quant {
		return nil
	}
	return &fbQuant{scale, zp}
}

// conv adds extractor layer i (a convolution with ReLU6) reading tensor x
// whose channels have the given mean and variance, and returns its output.
func (s *synth) conv(i int, l Layer, x int32, mean, variance float64) int32 {
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
	out := s.m.tensor("MobilenetV1/MobilenetV1/"+l.Name+"/Relu6", s.actType(), []int32{1, int32(l.OutSize), int32(l.OutSize), int32(l.Out)}, 0, s.q(reluScale, 0))
	s.layer(l, x, w, b, out)
	return out
}

// logits adds the logits convolution reading the pooled features x, and
// returns its output tensor and quantization.
func (s *synth) logits(x int32) (int32, *fbQuant) {
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
	var lq *fbQuant
	if s.quant {
		scale, zp := affine(min(lo-logitsMargin, 0), max(hi+logitsMargin, 0))
		lq = &fbQuant{scale, zp}
	}
	out := s.m.tensor("MobilenetV1/Logits/Conv2d_1c_1x1/BiasAdd", s.actType(), []int32{1, 1, 1, Classes}, 0, lq)
	s.layer(l, x, w, b, out)
	return out, lq
}

func (s *synth) actType() fb.TensorType {
	if s.quant {
		return fb.TensorTypeUINT8
	}
	return fb.TensorTypeFLOAT32
}

// layer adds the weights and bias tensors of layer l (float values w in
// TFLite's filter layout, b) and its operator from x to out.
func (s *synth) layer(l Layer, x int32, w, b []float64, out int32) {
	scope := "MobilenetV1/" + l.Name
	wname, bname := scope+"/weights", "MobilenetV1/"+scope+"/Conv2D_bias"
	shape := []int32{int32(l.Out), int32(l.Kernel), int32(l.Kernel), int32(l.In)}
	if l.Depthwise {
		wname, bname = scope+"/depthwise_weights", "MobilenetV1/"+scope+"/depthwise_bias"
		shape = []int32{1, int32(l.Kernel), int32(l.Kernel), int32(l.Out)}
	}
	if l.Name == "Logits/Conv2d_1c_1x1" {
		bname = scope + "/Conv2D_bias"
	}
	var wt, bt int32
	if s.quant {
		in := s.m.tensors[x].quant.scale
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
		wt = s.m.tensor(wname, fb.TensorTypeUINT8, shape, s.m.buffer(q), &fbQuant{ws, wzp})
		bt = s.m.tensor(bname, fb.TensorTypeINT32, []int32{int32(l.Out)}, s.m.buffer(le32(qb...)), &fbQuant{bs, 0})
	} else {
		wt = s.m.tensor(wname, fb.TensorTypeFLOAT32, shape, s.m.buffer(f32le(w)), nil)
		bt = s.m.tensor(bname, fb.TensorTypeFLOAT32, []int32{int32(l.Out)}, s.m.buffer(f32le(b)), nil)
	}
	act := fb.ActivationFunctionTypeNONE
	if l.ReLU6 {
		act = fb.ActivationFunctionTypeRELU6
	}
	stride := int32(l.Stride)
	ins, outs := []int32{x, wt, bt}, []int32{out}
	if l.Depthwise {
		s.m.op(loader.OpDepthwiseConv2D, ins, outs, fb.BuiltinOptionsDepthwiseConv2DOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
			fb.DepthwiseConv2DOptionsStart(b)
			fb.DepthwiseConv2DOptionsAddPadding(b, fb.PaddingSAME)
			fb.DepthwiseConv2DOptionsAddStrideW(b, stride)
			fb.DepthwiseConv2DOptionsAddStrideH(b, stride)
			fb.DepthwiseConv2DOptionsAddDepthMultiplier(b, 1)
			fb.DepthwiseConv2DOptionsAddFusedActivationFunction(b, act)
			fb.DepthwiseConv2DOptionsAddDilationWFactor(b, 1)
			fb.DepthwiseConv2DOptionsAddDilationHFactor(b, 1)
			return fb.DepthwiseConv2DOptionsEnd(b)
		})
		return
	}
	s.m.op(loader.OpConv2D, ins, outs, fb.BuiltinOptionsConv2DOptions, func(b *flatbuffers.Builder) flatbuffers.UOffsetT {
		fb.Conv2DOptionsStart(b)
		fb.Conv2DOptionsAddPadding(b, fb.PaddingSAME)
		fb.Conv2DOptionsAddStrideW(b, stride)
		fb.Conv2DOptionsAddStrideH(b, stride)
		fb.Conv2DOptionsAddFusedActivationFunction(b, act)
		fb.Conv2DOptionsAddDilationWFactor(b, 1)
		fb.Conv2DOptionsAddDilationHFactor(b, 1)
		return fb.Conv2DOptionsEnd(b)
	})
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

// fbModel is a one-subgraph TFLite model being assembled, serialized by
// pack with the flatbuffers builder and the generated tflitefb functions.
type fbModel struct {
	desc            string
	buffers         [][]byte // buffer 0 is the empty sentinel
	tensors         []fbTensor
	ops             []fbOp
	codes           []loader.Op
	inputs, outputs []int32
}

type fbTensor struct {
	name   string
	typ    fb.TensorType
	shape  []int32
	buffer uint32
	quant  *fbQuant
}

type fbQuant struct {
	scale float32
	zp    int64
}

type fbOp struct {
	code     uint32
	in, out  []int32
	optType  fb.BuiltinOptions
	writeOpt func(*flatbuffers.Builder) flatbuffers.UOffsetT
}

// buffer adds a constant buffer and returns its index.
func (m *fbModel) buffer(data []byte) uint32 {
	if len(m.buffers) == 0 {
		m.buffers = append(m.buffers, nil)
	}
	m.buffers = append(m.buffers, data)
	return uint32(len(m.buffers) - 1)
}

// tensor adds a tensor and returns its index.
func (m *fbModel) tensor(name string, typ fb.TensorType, shape []int32, buffer uint32, q *fbQuant) int32 {
	m.tensors = append(m.tensors, fbTensor{name, typ, shape, buffer, q})
	return int32(len(m.tensors) - 1)
}

// op adds an operator, and its operator code when new.
func (m *fbModel) op(code loader.Op, in, out []int32, optType fb.BuiltinOptions, opt func(*flatbuffers.Builder) flatbuffers.UOffsetT) {
	i := slices.Index(m.codes, code)
	if i < 0 {
		i = len(m.codes)
		m.codes = append(m.codes, code)
	}
	m.ops = append(m.ops, fbOp{uint32(i), in, out, optType, opt})
}

// pack serializes the model with the "TFL3" identifier. Constant buffers
// are 16-byte aligned, as the converter writes them.
func (m *fbModel) pack() []byte {
	if len(m.buffers) == 0 {
		m.buffers = append(m.buffers, nil)
	}
	size := 1 << 16
	for _, d := range m.buffers {
		size += len(d) + 32
	}
	b := flatbuffers.NewBuilder(size)

	// min_runtime_version, as the release's files carry it: "1.5.0"
	// padded with zeros to 16 bytes.
	runtime := make([]byte, 16)
	copy(runtime, "1.5.0")
	bufs := append(slices.Clone(m.buffers), runtime)
	bufOffs := make([]flatbuffers.UOffsetT, len(bufs))
	for i := len(bufs) - 1; i >= 0; i-- {
		var data flatbuffers.UOffsetT
		if len(bufs[i]) > 0 {
			b.Prep(16, len(bufs[i]))
			data = b.CreateByteVector(bufs[i])
		}
		fb.BufferStart(b)
		if len(bufs[i]) > 0 {
			fb.BufferAddData(b, data)
		}
		bufOffs[i] = fb.BufferEnd(b)
	}
	buffers := tables(b, bufOffs)

	tensorOffs := make([]flatbuffers.UOffsetT, len(m.tensors))
	for i, t := range m.tensors {
		name := b.CreateString(t.name)
		shape := int32s(b, t.shape)
		var q flatbuffers.UOffsetT
		if t.quant != nil {
			fb.QuantizationParametersStartScaleVector(b, 1)
			b.PrependFloat32(t.quant.scale)
			scale := b.EndVector(1)
			fb.QuantizationParametersStartZeroPointVector(b, 1)
			b.PrependInt64(t.quant.zp)
			zp := b.EndVector(1)
			fb.QuantizationParametersStart(b)
			fb.QuantizationParametersAddScale(b, scale)
			fb.QuantizationParametersAddZeroPoint(b, zp)
			q = fb.QuantizationParametersEnd(b)
		}
		fb.TensorStart(b)
		fb.TensorAddShape(b, shape)
		fb.TensorAddType(b, t.typ)
		fb.TensorAddBuffer(b, t.buffer)
		fb.TensorAddName(b, name)
		if t.quant != nil {
			fb.TensorAddQuantization(b, q)
		}
		tensorOffs[i] = fb.TensorEnd(b)
	}
	tensors := tables(b, tensorOffs)

	opOffs := make([]flatbuffers.UOffsetT, len(m.ops))
	for i, o := range m.ops {
		in, out := int32s(b, o.in), int32s(b, o.out)
		var opt flatbuffers.UOffsetT
		if o.writeOpt != nil {
			opt = o.writeOpt(b)
		}
		fb.OperatorStart(b)
		fb.OperatorAddOpcodeIndex(b, o.code)
		fb.OperatorAddInputs(b, in)
		fb.OperatorAddOutputs(b, out)
		if o.writeOpt != nil {
			fb.OperatorAddBuiltinOptionsType(b, o.optType)
			fb.OperatorAddBuiltinOptions(b, opt)
		}
		opOffs[i] = fb.OperatorEnd(b)
	}
	ops := tables(b, opOffs)

	sgName := b.CreateString("main")
	inputs, outputs := int32s(b, m.inputs), int32s(b, m.outputs)
	fb.SubGraphStart(b)
	fb.SubGraphAddTensors(b, tensors)
	fb.SubGraphAddInputs(b, inputs)
	fb.SubGraphAddOutputs(b, outputs)
	fb.SubGraphAddOperators(b, ops)
	fb.SubGraphAddName(b, sgName)
	subgraphs := tables(b, []flatbuffers.UOffsetT{fb.SubGraphEnd(b)})

	codeOffs := make([]flatbuffers.UOffsetT, len(m.codes))
	for i, c := range m.codes {
		fb.OperatorCodeStart(b)
		fb.OperatorCodeAddDeprecatedBuiltinCode(b, int8(min(c, 127)))
		fb.OperatorCodeAddBuiltinCode(b, fb.BuiltinOperator(c))
		fb.OperatorCodeAddVersion(b, 1)
		codeOffs[i] = fb.OperatorCodeEnd(b)
	}
	codes := tables(b, codeOffs)

	mdName := b.CreateString("min_runtime_version")
	fb.MetadataStart(b)
	fb.MetadataAddName(b, mdName)
	fb.MetadataAddBuffer(b, uint32(len(bufs)-1))
	metadata := tables(b, []flatbuffers.UOffsetT{fb.MetadataEnd(b)})

	desc := b.CreateString(m.desc)
	fb.ModelStart(b)
	fb.ModelAddVersion(b, 3)
	fb.ModelAddOperatorCodes(b, codes)
	fb.ModelAddSubgraphs(b, subgraphs)
	fb.ModelAddDescription(b, desc)
	fb.ModelAddBuffers(b, buffers)
	fb.ModelAddMetadata(b, metadata)
	b.FinishWithFileIdentifier(fb.ModelEnd(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// tables writes a vector of table offsets.
func tables(b *flatbuffers.Builder, offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	return b.CreateVectorOfTables(offs)
}

// int32s writes a vector of int32.
func int32s(b *flatbuffers.Builder, v []int32) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(v[i])
	}
	return b.EndVector(len(v))
}
