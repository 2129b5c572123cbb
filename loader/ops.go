package loader

import (
	"math"

	flatbuffers "github.com/google/flatbuffers/go"

	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/loader/tflitefb"
)

// opSpec says what the loader accepts for one operator: how many inputs
// (the first minIn are required, the rest optional and may be -1), and which
// builtin options table (NONE: the op takes none). Every op has one output.
type opSpec struct {
	minIn, maxIn int
	opts         tflitefb.BuiltinOptions
	needOpts     bool // the options table must be present
}

// opSpecs lists the supported operators.
var opSpecs = map[Op]opSpec{
	OpAdd:             {2, 2, tflitefb.BuiltinOptionsAddOptions, false},
	OpAveragePool2D:   {1, 1, tflitefb.BuiltinOptionsPool2DOptions, true},
	OpConv2D:          {2, 3, tflitefb.BuiltinOptionsConv2DOptions, true},
	OpDepthwiseConv2D: {2, 3, tflitefb.BuiltinOptionsDepthwiseConv2DOptions, true},
	OpDequantize:      {1, 1, tflitefb.BuiltinOptionsDequantizeOptions, false},
	OpFullyConnected:  {2, 3, tflitefb.BuiltinOptionsFullyConnectedOptions, false},
	OpMaxPool2D:       {1, 1, tflitefb.BuiltinOptionsPool2DOptions, true},
	OpRelu:            {1, 1, tflitefb.BuiltinOptionsNONE, false},
	OpRelu6:           {1, 1, tflitefb.BuiltinOptionsNONE, false},
	OpReshape:         {1, 2, tflitefb.BuiltinOptionsReshapeOptions, false},
	OpSoftmax:         {1, 1, tflitefb.BuiltinOptionsSoftmaxOptions, true},
	OpPad:             {2, 2, tflitefb.BuiltinOptionsPadOptions, false},
	OpMean:            {2, 2, tflitefb.BuiltinOptionsReducerOptions, false},
	OpSqueeze:         {1, 1, tflitefb.BuiltinOptionsSqueezeOptions, false},
	OpQuantize:        {1, 1, tflitefb.BuiltinOptionsQuantizeOptions, false},
}

const opCustom = Op(tflitefb.BuiltinOperatorCUSTOM)

// emptyTable is a flatbuffer table without fields (at offset 4, after its
// 4-byte vtable): options read from it have their schema defaults.
var emptyTable = []byte{4, 0, 4, 0, 4, 0, 0, 0}

// opfail stops the parse with an error about operator o.
func (p *parser) opfail(o *Operator, format string, args ...any) {
	p.fail("operator %d %v: %w", o.Index, o.Op, textfmt.Errorf(format, args...))
}

func (p *parser) operator(i int, fo *tflitefb.Operator, o *Operator) {
	o.Index = i
	o.Op = p.opcode(i, fo.OpcodeIndex())
	spec, ok := opSpecs[o.Op]
	if !ok {
		p.fail("operator %d: %w op %v (code %d)", i, ErrUnsupported, o.Op, int32(o.Op))
	}
	nin, nout := fo.InputsLength(), fo.OutputsLength()
	if nin < spec.minIn || nin > spec.maxIn {
		p.opfail(o, "%d inputs, want %d to %d", nin, spec.minIn, spec.maxIn)
	}
	if nout != 1 {
		p.opfail(o, "%d outputs, want 1", nout)
	}
	p.spend(8 * (spec.maxIn + nout))
	o.Inputs = make([]int, spec.maxIn)
	for j := range o.Inputs {
		if j >= nin {
			o.Inputs[j] = -1 // absent optional input
			continue
		}
		v := int(fo.Inputs(j))
		if v == -1 && j < spec.minIn {
			p.opfail(o, "required input %d is absent (-1)", j)
		}
		if v < -1 || v >= len(p.m.Tensors) {
			p.opfail(o, "input %d is tensor %d, out of range [0, %d)", j, v, len(p.m.Tensors))
		}
		o.Inputs[j] = v
	}
	o.Outputs = make([]int, nout)
	for j := range o.Outputs {
		v := int(fo.Outputs(j))
		if v < 0 || v >= len(p.m.Tensors) {
			p.opfail(o, "output %d is tensor %d, out of range [0, %d)", j, v, len(p.m.Tensors))
		}
		o.Outputs[j] = v
	}

	var tab flatbuffers.Table
	typ := fo.BuiltinOptionsType()
	has := typ != tflitefb.BuiltinOptionsNONE && fo.BuiltinOptions(&tab)
	if has && typ != spec.opts {
		p.opfail(o, "builtin options are %v, want %v", typ, spec.opts)
	}
	if !has && spec.needOpts {
		p.opfail(o, "missing %v", spec.opts)
	}
	if !has {
		tab = flatbuffers.Table{Bytes: emptyTable, Pos: 4}
	}
	p.options(o, tab)
	p.checkOperands(o)
}

// opcode resolves an operator's opcode index to a builtin code.
func (p *parser) opcode(i int, idx uint32) Op {
	n := p.root.OperatorCodesLength()
	if int64(idx) >= int64(n) {
		p.fail("operator %d: opcode index %d out of range (model has %d operator codes)", i, idx, n)
	}
	var oc tflitefb.OperatorCode
	p.root.OperatorCodes(&oc, int(idx))
	// Codes below 127 live in the old byte field, the others in the new one.
	code := Op(max(int32(oc.DeprecatedBuiltinCode()), int32(oc.BuiltinCode())))
	if code == opCustom {
		p.fail("operator %d: %w custom op %s", i, ErrUnsupported, quote(p.str(oc.CustomCode())))
	}
	return code
}

// options parses the operator's builtin options table (emptyTable when the
// file has none).
func (p *parser) options(o *Operator, tab flatbuffers.Table) {
	p.spend(64)
	switch o.Op {
	case OpConv2D:
		var f tflitefb.Conv2DOptions
		f.Init(tab.Bytes, tab.Pos)
		c := &Conv2DOptions{DilationW: int(f.DilationWFactor()), DilationH: int(f.DilationHFactor())}
		c.Padding, c.StrideW, c.StrideH, c.Activation = p.window(o, &f)
		p.atLeast1(o, "dilation", c.DilationW, c.DilationH)
		o.Options = c
	case OpDepthwiseConv2D:
		var f tflitefb.DepthwiseConv2DOptions
		f.Init(tab.Bytes, tab.Pos)
		c := &DepthwiseConv2DOptions{
			DilationW:       int(f.DilationWFactor()),
			DilationH:       int(f.DilationHFactor()),
			DepthMultiplier: int(f.DepthMultiplier()),
		}
		c.Padding, c.StrideW, c.StrideH, c.Activation = p.window(o, &f)
		p.atLeast1(o, "dilation", c.DilationW, c.DilationH)
		p.atLeast1(o, "depth multiplier", c.DepthMultiplier, 1)
		o.Options = c
	case OpAveragePool2D, OpMaxPool2D:
		var f tflitefb.Pool2DOptions
		f.Init(tab.Bytes, tab.Pos)
		c := &Pool2DOptions{FilterW: int(f.FilterWidth()), FilterH: int(f.FilterHeight())}
		c.Padding, c.StrideW, c.StrideH, c.Activation = p.window(o, &f)
		p.atLeast1(o, "filter size", c.FilterW, c.FilterH)
		o.Options = c
	case OpFullyConnected:
		var f tflitefb.FullyConnectedOptions
		f.Init(tab.Bytes, tab.Pos)
		if w := f.WeightsFormat(); w != tflitefb.FullyConnectedOptionsWeightsFormatDEFAULT {
			p.opfail(o, "%w weights format %v", ErrUnsupported, w)
		}
		o.Options = &FullyConnectedOptions{
			Activation:  p.activation(o, f.FusedActivationFunction()),
			KeepNumDims: f.KeepNumDims(),
		}
	case OpSoftmax:
		var f tflitefb.SoftmaxOptions
		f.Init(tab.Bytes, tab.Pos)
		beta := f.Beta()
		if !(beta > 0) || math.IsInf(float64(beta), 0) {
			p.opfail(o, "softmax beta %g is not positive and finite", beta)
		}
		o.Options = &SoftmaxOptions{Beta: beta}
	case OpAdd:
		var f tflitefb.AddOptions
		f.Init(tab.Bytes, tab.Pos)
		o.Options = &AddOptions{Activation: p.activation(o, f.FusedActivationFunction())}
	case OpReshape:
		var f tflitefb.ReshapeOptions
		f.Init(tab.Bytes, tab.Pos)
		o.Options = &ReshapeOptions{
			NewShape: p.ints(o, "new shape", f.NewShapeLength(), f.NewShape, "has a dimension below -1",
				func(d int) bool { return d >= -1 }),
		}
	case OpSqueeze:
		var f tflitefb.SqueezeOptions
		f.Init(tab.Bytes, tab.Pos)
		o.Options = &SqueezeOptions{
			SqueezeDims: p.ints(o, "squeeze dims", f.SqueezeDimsLength(), f.SqueezeDims, "out of range",
				func(d int) bool { return d >= -MaxRank && d < MaxRank }),
		}
	case OpMean:
		var f tflitefb.ReducerOptions
		f.Init(tab.Bytes, tab.Pos)
		o.Options = &ReducerOptions{KeepDims: f.KeepDims()}
	}
}

// ints reads a small int vector of an options table (at most MaxRank long;
// nil when absent or empty) and fails with "what [v...] problem" when an
// entry is not ok.
func (p *parser) ints(o *Operator, what string, n int, at func(int) int32, problem string, ok func(int) bool) []int {
	if n == 0 {
		return nil
	}
	if n > MaxRank {
		p.opfail(o, "%s has %d entries, more than %d", what, n, MaxRank)
	}
	p.spend(8 * n)
	out := make([]int, n)
	for j := range out {
		out[j] = int(at(j))
	}
	for _, d := range out {
		if !ok(d) {
			p.opfail(o, "%s %v %s", what, out, problem)
		}
	}
	return out
}

// windowed is what the option tables of the ops that slide a window
// (CONV_2D, DEPTHWISE_CONV_2D and the pools) have in common.
type windowed interface {
	Padding() tflitefb.Padding
	StrideW() int32
	StrideH() int32
	FusedActivationFunction() tflitefb.ActivationFunctionType
}

// window reads and checks a windowed op's padding, strides and fused
// activation, checked in this order so that a table with several faults
// reports the same one first as before the ops shared this.
func (p *parser) window(o *Operator, f windowed) (pad Padding, strideW, strideH int, act Activation) {
	pad = p.padding(o, f.Padding())
	strideW, strideH = int(f.StrideW()), int(f.StrideH())
	act = p.activation(o, f.FusedActivationFunction())
	p.atLeast1(o, "stride", strideW, strideH)
	return pad, strideW, strideH, act
}

func (p *parser) padding(o *Operator, v tflitefb.Padding) Padding {
	if v != tflitefb.PaddingSAME && v != tflitefb.PaddingVALID {
		p.opfail(o, "padding %d is neither SAME nor VALID", int(v))
	}
	return Padding(v)
}

func (p *parser) activation(o *Operator, v tflitefb.ActivationFunctionType) Activation {
	a := Activation(v)
	switch a {
	case ActNone, ActRelu, ActReluN1To1, ActRelu6:
		return a
	}
	p.opfail(o, "%w fused activation %v", ErrUnsupported, a)
	return 0
}

func (p *parser) atLeast1(o *Operator, what string, w, h int) {
	if w < 1 || h < 1 {
		p.opfail(o, "%s %d,%d (w,h) must be >= 1", what, w, h)
	}
}

// checkOperands checks what the engine relies on before shape inference:
// weights and biases are constant with the ranks and lengths it indexes by,
// and the operands of PAD, MEAN and RESHAPE are integer vectors.
func (p *parser) checkOperands(o *Operator) {
	in := func(j int) *Tensor {
		if j >= len(o.Inputs) {
			return nil
		}
		return p.m.Tensor(o.Inputs[j])
	}
	switch o.Op {
	case OpConv2D, OpDepthwiseConv2D, OpFullyConnected:
		w := in(1)
		rank, outCh := 4, 0
		if o.Op == OpFullyConnected {
			rank = 2
		}
		p.operand(o, "filter", w, true, rank)
		switch o.Op {
		case OpDepthwiseConv2D:
			if w.Shape[0] != 1 {
				p.opfail(o, "filter tensor %d %s has shape %v, want [1 H W C]", w.Index, quote(w.Name), w.Shape)
			}
			outCh = w.Shape[3]
		default:
			outCh = w.Shape[0]
		}
		if b := in(2); b != nil {
			p.operand(o, "bias", b, true, 1)
			if b.Shape[0] != outCh {
				p.opfail(o, "bias tensor %d %s has %d entries for %d output channels", b.Index, quote(b.Name), b.Shape[0], outCh)
			}
		}
	case OpPad:
		pad := in(1)
		p.intOperand(o, "paddings", pad, true, 2)
		if pad.Shape[1] != 2 {
			p.opfail(o, "paddings tensor %d %s has shape %v, want [N 2]", pad.Index, quote(pad.Name), pad.Shape)
		}
	case OpMean:
		p.intOperand(o, "axis", in(1), true, -1)
	case OpReshape:
		if s := in(1); s != nil {
			p.intOperand(o, "shape", s, false, 1)
		}
	}
}

// operand checks that operand t is present, constant when asked, and of the
// given rank (-1: rank 0 or 1).
func (p *parser) operand(o *Operator, role string, t *Tensor, constant bool, rank int) {
	if t == nil {
		p.opfail(o, "missing %s", role)
	}
	if constant && !t.IsConstant() {
		p.opfail(o, "%s tensor %d %s is not constant", role, t.Index, quote(t.Name))
	}
	if r := len(t.Shape); r != rank && !(rank == -1 && r <= 1) {
		p.opfail(o, "%s tensor %d %s has shape %v, want rank %d", role, t.Index, quote(t.Name), t.Shape, max(rank, 1))
	}
}

// intOperand is operand for int32 or int64 tensors.
func (p *parser) intOperand(o *Operator, role string, t *Tensor, constant bool, rank int) {
	p.operand(o, role, t, constant, rank)
	if t.Type != Int32 && t.Type != Int64 {
		p.opfail(o, "%s tensor %d %s is %v, want int32 or int64", role, t.Index, quote(t.Name), t.Type)
	}
}
