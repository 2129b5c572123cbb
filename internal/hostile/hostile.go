// Package hostile generates the hostile .tflite corpus: models built to
// break a model loader (huge, negative and overflowing shapes, offsets and
// buffers out of range, cyclic and disconnected graphs, broken
// quantization, strides of 0, a million operators, a head that does not fit
// its extractor...) and the few valid edge cases next to them (1x1 and
// 1-channel inputs). Every case is written by package tflitewrite (its
// WriteUnchecked for what Write refuses) or by mutating the bytes it
// wrote, so the corpus is code, not committed blobs, and the same on every
// run.
//
// The tests that feed it to the loader and the native engine live here;
// host/internal/wasmmod feeds it to engine.wasm under wazero and e2e drops
// a few of its files on the page.
package hostile

import (
	"encoding/binary"
	"fmt"
	"math"

	flatbuffers "github.com/google/flatbuffers/go"

	"mobilenet-wasm/loader"
	fb "mobilenet-wasm/loader/tflitefb"
	"mobilenet-wasm/tflitewrite"
)

// Expect is what a case must give.
type Expect int

const (
	// Refused: every loader refuses it with an error.
	Refused Expect = iota
	// Runs: a valid model, which loads and runs.
	Runs
	// Either: it may load (and must then run or refuse its input with an
	// error) or be refused; what matters is that nothing panics or traps.
	Either
)

func (e Expect) String() string {
	return [...]string{"refused", "runs", "either"}[e]
}

// Case is one hostile input: one model, or a feature extractor and a head.
type Case struct {
	Name   string
	Models [][]byte
	Expect Expect
}

// Bytes is the size of the case's files.
func (c Case) Bytes() int {
	n := 0
	for _, m := range c.Models {
		n += len(m)
	}
	return n
}

// ManyOps is the operator count of the "10^6 operators" cases.
const ManyOps = 1_000_000

// Corpus builds every case. It fails only on a bug of the generator.
func Corpus() ([]Case, error) {
	var cases []Case
	var firstErr error
	add := func(name string, expect Expect, models ...[]byte) {
		cases = append(cases, Case{Name: name, Models: models, Expect: expect})
	}
	// graph writes one edit of a fresh tiny model.
	graph := func(name string, expect Expect, quant bool, edit func(t *tiny)) {
		t := newTiny(quant, [4]int{1, 8, 8, 3})
		edit(t)
		data, err := tflitewrite.WriteUnchecked(t.g)
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("hostile: %s: %w", name, err))
			return
		}
		add(name, expect, data)
	}
	// bytesOf writes one edit of the bytes of a fresh tiny model.
	bytesOf := func(name string, expect Expect, quant bool, edit func(data []byte) []byte) {
		defer func() {
			if r := recover(); r != nil { // a mutation that does not fit the model: a bug here
				firstErr = cmpErr(firstErr, fmt.Errorf("hostile: %s: %v", name, r))
			}
		}()
		data, err := tflitewrite.Write(newTiny(quant, [4]int{1, 8, 8, 3}).g)
		if err != nil {
			firstErr = cmpErr(firstErr, fmt.Errorf("hostile: %s: %w", name, err))
			return
		}
		add(name, expect, edit(data))
	}
	for _, quant := range []bool{false, true} {
		kind := map[bool]string{false: "float", true: "uint8"}[quant]
		graph("control: the valid tiny "+kind+" model", Runs, quant, func(*tiny) {})
		graph("valid: 1x1 input, "+kind, Runs, quant, func(t *tiny) { *t = *newTiny(quant, [4]int{1, 1, 1, 3}) })
		graph("valid: 1-channel input, "+kind, Runs, quant, func(t *tiny) { *t = *newTiny(quant, [4]int{1, 8, 8, 1}) })
		graph("valid: 1x1 1-channel input, "+kind, Runs, quant, func(t *tiny) { *t = *newTiny(quant, [4]int{1, 1, 1, 1}) })
	}

	// Shapes.
	graph("shape: huge input 1x65536x65536x3", Refused, false, func(t *tiny) { t.shape(t.in, 1, 65536, 65536, 3) })
	graph("shape: negative input dimension", Refused, false, func(t *tiny) { t.shape(t.in, 1, -8, 8, 3) })
	graph("shape: every input dimension -1", Refused, false, func(t *tiny) { t.shape(t.in, -1, -1, -1, -1) })
	graph("shape: negative weights dimension", Refused, false, func(t *tiny) { t.g.Tensors[t.convW].Shape[0] = -4 })
	graph("shape: product 2^32, 0 in int32 (65536x65536 uint8)", Refused, true, func(t *tiny) { t.shape(t.in, 1, 65536, 65536, 1) })
	graph("shape: product 2^64, 0 in int64 (4 dims of 65536)", Refused, true, func(t *tiny) { t.shape(t.in, 65536, 65536, 65536, 65536) })
	graph("shape: 8 dims of 2^31-1", Refused, false, func(t *tiny) {
		t.shape(t.in, math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32)
	})
	graph("shape: rank 9", Refused, false, func(t *tiny) { t.shape(t.in, 1, 1, 1, 1, 1, 1, 8, 8, 3) })
	graph("shape: rank 0 input", Refused, false, func(t *tiny) { t.shape(t.in) })
	graph("shape: a zero dimension", Refused, false, func(t *tiny) { t.shape(t.in, 1, 0, 8, 3) })
	graph("shape: conv output declared larger than computed", Refused, false, func(t *tiny) { t.shape(t.conv, 1, 5, 5, 4) })
	graph("shape: weights data shorter than the shape", Refused, false, func(t *tiny) {
		w := &t.g.Tensors[t.convW]
		w.Data = w.Data[:len(w.Data)/2]
	})
	graph("shape: a 320 MiB input (over the loader's 256 MiB)", Refused, false, func(t *tiny) { t.shape(t.in, 1, 4096, 4096, 5) })

	// Offsets and buffers, edited in the written bytes.
	bytesOf("offset: a tensor's buffer index 10^6", Refused, false, func(d []byte) []byte { return mutateTensorBuffer(d, 1, 1_000_000) })
	bytesOf("offset: a tensor's buffer index 2^32-1", Refused, false, func(d []byte) []byte { return mutateTensorBuffer(d, 1, math.MaxUint32) })
	bytesOf("offset: a buffer's data offset past the end", Refused, false, func(d []byte) []byte {
		return mutateBufferData(d, 1, func(int, int) (int, int) { return len(d) + 64, -1 })
	})
	bytesOf("offset: a buffer's data offset 2^31", Refused, false, func(d []byte) []byte { return mutateBufferData(d, 1, func(int, int) (int, int) { return 1 << 31, -1 }) })
	bytesOf("offset: a buffer's length past the end", Refused, false, func(d []byte) []byte {
		return mutateBufferData(d, 1, func(_, n int) (int, int) { return -1, n + len(d) })
	})
	bytesOf("offset: a buffer's length 2^32-1", Refused, false, func(d []byte) []byte {
		return mutateBufferData(d, 1, func(int, int) (int, int) { return -1, math.MaxUint32 })
	})
	bytesOf("offset: a zero-length weights buffer", Refused, false, func(d []byte) []byte { return mutateBufferData(d, 1, func(int, int) (int, int) { return -1, 0 }) })
	bytesOf("offset: a misaligned weights buffer (1 byte further)", Either, false, func(d []byte) []byte { return mutateBufferData(d, 1, func(int, int) (int, int) { return 1, -1 }) })
	bytesOf("offset: the root table past the end", Refused, false, func(d []byte) []byte {
		binary.LittleEndian.PutUint32(d, uint32(len(d))+8)
		return d
	})
	bytesOf("offset: the root table at 2^32-16", Refused, false, func(d []byte) []byte {
		binary.LittleEndian.PutUint32(d, 0xFFFFFFF0)
		return d
	})
	bytesOf("truncated: the first half", Refused, false, func(d []byte) []byte { return d[:len(d)/2] })
	bytesOf("truncated: the identifier only", Refused, false, func(d []byte) []byte { return d[:8] })
	add("empty file", Refused, []byte{})

	// Graph structure.
	graph("graph: an operator input out of range", Refused, false, func(t *tiny) { t.g.Operators[0].Inputs[0] = 1000 })
	graph("graph: an operator input -5", Refused, false, func(t *tiny) { t.g.Operators[0].Inputs[0] = -5 })
	graph("graph: an operator output -1", Refused, false, func(t *tiny) { t.g.Operators[0].Outputs[0] = -1 })
	graph("graph: the model input out of range", Refused, false, func(t *tiny) { t.g.Inputs[0] = len(t.g.Tensors) })
	graph("graph: the model output out of range", Refused, false, func(t *tiny) { t.g.Outputs[0] = 1 << 30 })
	graph("graph: no operators", Refused, false, func(t *tiny) { t.g.Operators = nil })
	graph("graph: no inputs", Refused, false, func(t *tiny) { t.g.Inputs = nil })
	graph("graph: no outputs", Refused, false, func(t *tiny) { t.g.Outputs = nil })
	graph("graph: cyclic (conv reads the depthwise conv's output)", Refused, false, func(t *tiny) { t.g.Operators[0].Inputs[0] = t.dw })
	graph("graph: an operator reads its own output", Refused, false, func(t *tiny) { t.g.Operators[1].Inputs[0] = t.dw })
	graph("graph: operators in reverse order (used before written)", Refused, false, func(t *tiny) {
		ops := t.g.Operators
		for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
			ops[i], ops[j] = ops[j], ops[i]
		}
	})
	graph("graph: reads an activation nothing writes", Refused, false, func(t *tiny) {
		t.g.Operators[1].Inputs[0] = t.g.AddTensor(tflitewrite.Tensor{Name: "orphan", Type: loader.Float32, Shape: []int{1, 4, 4, 4}})
	})
	graph("graph: disconnected (the output is written by nothing)", Refused, false, func(t *tiny) {
		t.g.Outputs[0] = t.g.AddTensor(tflitewrite.Tensor{Name: "island", Type: loader.Float32, Shape: []int{1, 5}})
	})
	graph("graph: a tensor written twice", Refused, false, func(t *tiny) { t.g.Operators[1].Outputs[0] = t.conv })
	graph("graph: an operator writes the model input", Refused, false, func(t *tiny) { t.g.Operators[1].Outputs[0] = t.in })
	graph("graph: an operator writes a constant", Refused, false, func(t *tiny) { t.g.Operators[0].Outputs[0] = t.convW })
	graph("graph: the model input is a constant", Refused, false, func(t *tiny) { t.g.Inputs[0] = t.convW })
	graph("graph: the output is the input (no work)", Either, false, func(t *tiny) { t.g.Outputs[0] = t.in })
	graph("graph: the output is a constant", Refused, false, func(t *tiny) { t.g.Outputs[0] = t.convW })
	graph("graph: an operator without outputs", Refused, false, func(t *tiny) { t.g.Operators[1].Outputs = nil })
	graph("graph: a conv without its weights", Refused, false, func(t *tiny) { t.g.Operators[0].Inputs = t.g.Operators[0].Inputs[:1] })
	graph("graph: weights given as the data input", Refused, false, func(t *tiny) { t.g.Operators[0].Inputs[0] = t.convW })

	// Quantization.
	graph("quant: a uint8 activation without quantization", Refused, true, func(t *tiny) { t.g.Tensors[t.conv].Quant = nil })
	graph("quant: uint8 weights without quantization", Refused, true, func(t *tiny) { t.g.Tensors[t.convW].Quant = nil })
	graph("quant: a float model with uint8 weights", Refused, false, func(t *tiny) {
		w := &t.g.Tensors[t.convW]
		w.Type, w.Data = loader.UInt8, w.Data[:len(w.Data)/4]
		w.Quant = &loader.Quant{Scale: []float32{0.01}, ZeroPoint: []int64{128}}
	})
	graph("quant: a quantized model with a float32 activation in the middle", Refused, true, func(t *tiny) {
		c := &t.g.Tensors[t.conv]
		c.Type, c.Quant = loader.Float32, nil
	})
	graph("quant: the bias's scale is not input x weights", Either, true, func(t *tiny) { t.g.Tensors[t.convB].Quant.Scale[0] *= 3 })
	for _, s := range []struct {
		name  string
		scale float32
		want  Expect
	}{
		{"0", 0, Refused}, {"NaN", float32(math.NaN()), Refused}, {"+Inf", float32(math.Inf(1)), Refused},
		{"-Inf", float32(math.Inf(-1)), Refused}, {"negative", -0.5, Refused},
		{"denormal 1e-45", math.SmallestNonzeroFloat32, Either}, {"1e38", 1e38, Either},
	} {
		graph("quant: activation scale "+s.name, s.want, true, func(t *tiny) { t.g.Tensors[t.conv].Quant.Scale[0] = s.scale })
		graph("quant: weights scale "+s.name, s.want, true, func(t *tiny) { t.g.Tensors[t.convW].Quant.Scale[0] = s.scale })
		graph("quant: input scale "+s.name, s.want, true, func(t *tiny) { t.g.Tensors[t.in].Quant.Scale[0] = s.scale })
	}
	for _, zp := range []int64{256, -1, 1 << 40, math.MinInt64} {
		graph(fmt.Sprintf("quant: uint8 zero point %d", zp), Refused, true, func(t *tiny) { t.g.Tensors[t.conv].Quant.ZeroPoint[0] = zp })
	}
	graph("quant: bias zero point 7 (int32 biases have 0)", Either, true, func(t *tiny) { t.g.Tensors[t.convB].Quant.ZeroPoint[0] = 7 })
	graph("quant: 2 scales, 1 zero point", Refused, true, func(t *tiny) {
		q := t.g.Tensors[t.conv].Quant
		q.Scale = append(q.Scale, q.Scale[0])
	})
	graph("quant: no scales, no zero points", Refused, true, func(t *tiny) { t.g.Tensors[t.conv].Quant = &loader.Quant{} })
	graph("quant: per-channel weights with 3 scales for 4 channels", Refused, true, func(t *tiny) {
		t.g.Tensors[t.convW].Quant = &loader.Quant{Scale: []float32{0.01, 0.01, 0.01}, ZeroPoint: []int64{128, 128, 128}, Axis: 0}
	})
	graph("quant: per-channel on dimension 7 of a rank-4 tensor", Refused, true, func(t *tiny) {
		t.g.Tensors[t.convW].Quant = &loader.Quant{Scale: []float32{0.01, 0.01, 0.01, 0.01}, ZeroPoint: []int64{128, 128, 128, 128}, Axis: 7}
	})
	graph("quant: per-channel on dimension -1", Refused, true, func(t *tiny) {
		t.g.Tensors[t.convW].Quant = &loader.Quant{Scale: []float32{0.01, 0.01, 0.01, 0.01}, ZeroPoint: []int64{128, 128, 128, 128}, Axis: -1}
	})

	// Options.
	for _, q := range []bool{false, true} {
		kind := map[bool]string{false: "float", true: "uint8"}[q]
		graph("options: conv stride 0, "+kind, Refused, q, func(t *tiny) { t.convOpts().StrideW = 0 })
		graph("options: conv stride -1, "+kind, Refused, q, func(t *tiny) { t.convOpts().StrideH = -1 })
		graph("options: conv dilation 0, "+kind, Refused, q, func(t *tiny) { t.convOpts().DilationH = 0 })
		graph("options: conv stride 2^30, "+kind, Refused, q, func(t *tiny) { t.convOpts().StrideW = 1 << 30 })
		graph("options: depthwise stride 0, "+kind, Refused, q, func(t *tiny) { t.dwOpts().StrideH = 0 })
		graph("options: depthwise dilation 0, "+kind, Refused, q, func(t *tiny) { t.dwOpts().DilationW = 0 })
		graph("options: depth multiplier 0, "+kind, Refused, q, func(t *tiny) { t.dwOpts().DepthMultiplier = 0 })
		graph("options: pool filter 0, "+kind, Refused, q, func(t *tiny) { t.poolOpts().FilterW = 0 })
		graph("options: pool stride 0, "+kind, Refused, q, func(t *tiny) { t.poolOpts().StrideH = 0 })
		graph("options: pool filter larger than the input (VALID), "+kind, Refused, q, func(t *tiny) { t.poolOpts().FilterW = 9 })
		graph("options: conv filter 9x9 on a 8x8 input (VALID), "+kind, Refused, q, func(t *tiny) {
			t.convOpts().Padding = loader.PaddingValid
			w := &t.g.Tensors[t.convW]
			w.Shape = []int{4, 9, 9, 3}
			w.Data = make([]byte, 4*9*9*3*w.Type.ElemSize())
		})
		graph("options: activation 99, "+kind, Refused, q, func(t *tiny) { t.convOpts().Activation = 99 })
		graph("options: padding 7, "+kind, Refused, q, func(t *tiny) { t.convOpts().Padding = 7 })
	}
	graph("options: softmax beta NaN", Either, false, func(t *tiny) {
		t.g.Operators[len(t.g.Operators)-1].Options = &loader.SoftmaxOptions{Beta: float32(math.NaN())}
	})
	graph("options: reshape to 1x5 (4 elements)", Refused, false, func(t *tiny) { t.reshapeTo(1, 5) })
	graph("options: reshape to -1x-1", Refused, false, func(t *tiny) { t.reshapeTo(-1, -1) })
	graph("options: reshape to 2^31-1 x 0", Refused, false, func(t *tiny) { t.reshapeTo(math.MaxInt32, 0) })
	for _, p := range [][8]int{{0, 0, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 0, 0}, {0, 0, -3, -3, 0, 0, 0, 0}, {0, 0, 4, 4, 4, 4, 0, 0}} {
		graph(fmt.Sprintf("options: PAD by %v", p), Refused, false, func(t *tiny) { t.insertPad(p) })
	}

	// Many operators.
	for _, c := range []struct {
		n    int
		want Expect
	}{{ManyOps, Refused}, {loader.MaxOperators, Runs}, {loader.MaxOperators + 1, Refused}} {
		data, err := chain(c.n)
		if err != nil {
			firstErr = cmpErr(firstErr, err)
		} else {
			add(fmt.Sprintf("size: %d chained RELU operators", c.n), c.want, data)
		}
	}

	// A feature extractor and a head.
	ext, head, err := split(newTiny(false, [4]int{1, 8, 8, 3}), 4)
	firstErr = cmpErr(firstErr, err)
	qext, qhead, err := split(newTiny(true, [4]int{1, 8, 8, 3}), 4)
	firstErr = cmpErr(firstErr, err)
	_, head6, err := split(newTiny(false, [4]int{1, 8, 8, 3}), 6)
	firstErr = cmpErr(firstErr, err)
	if firstErr == nil {
		add("head: the valid float extractor and head", Runs, ext, head)
		add("head: the valid uint8 extractor and head", Runs, qext, qhead)
		add("head: takes 6 features, the extractor gives 4", Refused, ext, head6)
		add("head: a float head on a uint8 extractor", Refused, qext, head)
		add("head: a uint8 head on a float extractor", Refused, ext, qhead)
		add("head: a whole model as the head", Refused, ext, ext)
		add("head: an empty head", Refused, ext, nil)
		add("head: the head's first half", Refused, ext, head[:len(head)/2])
	}
	return cases, firstErr
}

// cmpErr keeps the first error.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// tiny is a small classifier: CONV_2D 3x3/2 -> DEPTHWISE_CONV_2D 3x3 ->
// AVERAGE_POOL_2D (global) -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX, 5
// classes, float32 or uint8 (the release's quantization), with its
// tensors' indices kept for the edits.
type tiny struct {
	g                              *tflitewrite.Graph
	quant                          bool
	in, convW, convB, conv, dw     int
	pool, flat, fcW, fcB, fc, prob int
}

func newTiny(quant bool, inShape [4]int) *tiny {
	g := &tflitewrite.Graph{Description: "hostile corpus: tiny classifier"}
	t := &tiny{g: g, quant: quant}
	h, w, c := inShape[1], inShape[2], inShape[3]
	oh, ow := (h+1)/2, (w+1)/2
	const ch, classes = 4, 5
	typ := loader.Float32
	if quant {
		typ = loader.UInt8
	}
	q := func(scale float32, zp int64) *loader.Quant {
		if !quant {
			return nil
		}
		return &loader.Quant{Scale: []float32{scale}, ZeroPoint: []int64{zp}}
	}
	act := func(name string, qq *loader.Quant, shape ...int) int {
		return g.AddTensor(tflitewrite.Tensor{Name: name, Type: typ, Shape: shape, Quant: qq})
	}
	// weights returns n values: float32, or uint8 around the zero point 128.
	weights := func(name string, n int, qq *loader.Quant, shape ...int) int {
		var data []byte
		if quant {
			data = make([]byte, n)
			for i := range data {
				data[i] = byte(128 + (i*37)%61 - 30)
			}
		} else {
			data = make([]byte, 4*n)
			for i := range n {
				binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32((i*37)%61-30)/100))
			}
		}
		return g.AddTensor(tflitewrite.Tensor{Name: name, Type: typ, Shape: shape, Data: data, Quant: qq})
	}
	bias := func(name string, n int, scale float32) int {
		bt, data := loader.Float32, make([]byte, 4*n)
		var bq *loader.Quant
		if quant {
			bt, bq = loader.Int32, &loader.Quant{Scale: []float32{scale}, ZeroPoint: []int64{0}}
		}
		for i := range n {
			v := uint32(i * 3)
			if !quant {
				v = math.Float32bits(float32(i) / 10)
			}
			binary.LittleEndian.PutUint32(data[4*i:], v)
		}
		return g.AddTensor(tflitewrite.Tensor{Name: name, Type: bt, Shape: []int{n}, Data: data, Quant: bq})
	}
	const inS, wS, actS = 1.0 / 128, 0.02, 0.05
	t.in = act("input", q(inS, 128), inShape[:]...)
	t.convW = weights("conv/w", ch*3*3*c, q(wS, 128), ch, 3, 3, c)
	t.convB = bias("conv/b", ch, inS*wS)
	t.conv = act("conv", q(actS, 0), 1, oh, ow, ch)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpConv2D, Inputs: []int{t.in, t.convW, t.convB}, Outputs: []int{t.conv},
		Options: &loader.Conv2DOptions{Padding: loader.PaddingSame, StrideW: 2, StrideH: 2, DilationW: 1, DilationH: 1, Activation: loader.ActRelu6}})
	dwW := weights("dw/w", 3*3*ch, q(wS, 128), 1, 3, 3, ch)
	dwB := bias("dw/b", ch, actS*wS)
	t.dw = act("dw", q(actS, 0), 1, oh, ow, ch)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpDepthwiseConv2D, Inputs: []int{t.conv, dwW, dwB}, Outputs: []int{t.dw},
		Options: &loader.DepthwiseConv2DOptions{Padding: loader.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, DepthMultiplier: 1, Activation: loader.ActRelu6}})
	t.pool = act("pool", q(actS, 0), 1, 1, 1, ch)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpAveragePool2D, Inputs: []int{t.dw}, Outputs: []int{t.pool},
		Options: &loader.Pool2DOptions{Padding: loader.PaddingValid, StrideW: 1, StrideH: 1, FilterW: ow, FilterH: oh}})
	t.flat = act("flat", q(actS, 0), 1, ch)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpReshape, Inputs: []int{t.pool}, Outputs: []int{t.flat},
		Options: &loader.ReshapeOptions{NewShape: []int{1, ch}}})
	t.fcW = weights("fc/w", classes*ch, q(wS, 128), classes, ch)
	t.fcB = bias("fc/b", classes, actS*wS)
	t.fc = act("logits", q(0.1, 128), 1, classes)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpFullyConnected, Inputs: []int{t.flat, t.fcW, t.fcB}, Outputs: []int{t.fc}})
	t.prob = act("probabilities", q(1.0/256, 0), 1, classes)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpSoftmax, Inputs: []int{t.fc}, Outputs: []int{t.prob},
		Options: &loader.SoftmaxOptions{Beta: 1}})
	g.Inputs, g.Outputs = []int{t.in}, []int{t.prob}
	return t
}

func (t *tiny) shape(i int, dims ...int) { t.g.Tensors[i].Shape = dims }
func (t *tiny) convOpts() *loader.Conv2DOptions {
	return t.g.Operators[0].Options.(*loader.Conv2DOptions)
}
func (t *tiny) dwOpts() *loader.DepthwiseConv2DOptions {
	return t.g.Operators[1].Options.(*loader.DepthwiseConv2DOptions)
}
func (t *tiny) poolOpts() *loader.Pool2DOptions {
	return t.g.Operators[2].Options.(*loader.Pool2DOptions)
}

// reshapeTo makes the RESHAPE's target (option and output shape) dims.
func (t *tiny) reshapeTo(dims ...int) {
	t.g.Operators[3].Options = &loader.ReshapeOptions{NewShape: dims}
	t.shape(t.flat, dims...)
}

// insertPad puts a PAD with paddings p (the output's declared shape what
// they would give) between the conv and the depthwise conv.
func (t *tiny) insertPad(p [8]int) {
	data := make([]byte, 4*8)
	for i, v := range p {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(int32(v)))
	}
	pads := t.g.AddTensor(tflitewrite.Tensor{Name: "pad/paddings", Type: loader.Int32, Shape: []int{4, 2}, Data: data})
	s := t.g.Tensors[t.conv].Shape
	padded := t.g.AddTensor(tflitewrite.Tensor{Name: "padded", Type: t.g.Tensors[t.conv].Type, Quant: t.g.Tensors[t.conv].Quant,
		Shape: []int{s[0] + p[0] + p[1], s[1] + p[2] + p[3], s[2] + p[4] + p[5], s[3] + p[6] + p[7]}})
	ops := t.g.Operators
	ops[1].Inputs[0] = padded
	t.g.Operators = append([]tflitewrite.Operator{ops[0], {Op: loader.OpPad, Inputs: []int{t.conv, pads}, Outputs: []int{padded}}}, ops[1:]...)
}

// chain writes a float model of n RELU operators in a row on a 1x1 tensor.
func chain(n int) ([]byte, error) {
	g := &tflitewrite.Graph{Description: "hostile corpus: a long chain"}
	prev := g.AddTensor(tflitewrite.Tensor{Name: "x", Type: loader.Float32, Shape: []int{1, 1}})
	g.Inputs = []int{prev}
	g.Tensors = make([]tflitewrite.Tensor, 1, n+1)
	g.Tensors[0] = tflitewrite.Tensor{Name: "x", Type: loader.Float32, Shape: []int{1, 1}}
	g.Operators = make([]tflitewrite.Operator, 0, n)
	for range n {
		next := g.AddTensor(tflitewrite.Tensor{Type: loader.Float32, Shape: []int{1, 1}})
		g.AddOperator(tflitewrite.Operator{Op: loader.OpRelu, Inputs: []int{prev}, Outputs: []int{next}})
		prev = next
	}
	g.Outputs = []int{prev}
	return tflitewrite.WriteUnchecked(g)
}

// split writes t as a feature extractor (up to its pooled features) and a
// head (RESHAPE, FULLY_CONNECTED, SOFTMAX) that takes headIn features.
func split(t *tiny, headIn int) (ext, head []byte, err error) {
	e := *t.g
	e.Operators = t.g.Operators[:3]
	e.Outputs = []int{t.pool}
	if ext, err = tflitewrite.Write(&e); err != nil {
		return nil, nil, fmt.Errorf("hostile: the extractor: %w", err)
	}
	h := newTiny(t.quant, [4]int{1, 8, 8, 3})
	g := h.g
	g.Tensors[h.pool].Shape = []int{1, 1, 1, headIn}
	g.Tensors[h.flat].Shape = []int{1, headIn}
	g.Operators = g.Operators[3:]
	g.Operators[0].Options = &loader.ReshapeOptions{NewShape: []int{1, headIn}}
	w := &g.Tensors[h.fcW]
	w.Shape = []int{5, headIn}
	w.Data = make([]byte, 5*headIn*w.Type.ElemSize())
	g.Inputs = []int{h.pool}
	if head, err = tflitewrite.Write(g); err != nil {
		return nil, nil, fmt.Errorf("hostile: the head: %w", err)
	}
	return ext, head, nil
}

// mutateTensorBuffer sets the buffer index of tensor i (which must be a
// constant: its index field is written) in the model's bytes.
func mutateTensorBuffer(data []byte, i int, buffer uint32) []byte {
	m := fb.GetRootAsModel(data, 0)
	var sg fb.SubGraph
	var tensor fb.Tensor
	if !m.Subgraphs(&sg, 0) || !sg.Tensors(&tensor, i) || !tensor.MutateBuffer(buffer) {
		panic(fmt.Sprintf("hostile: tensor %d has no buffer index to edit", i))
	}
	return data
}

// mutateBufferData edits buffer i's data vector: edit gets the position of
// its offset field and its length, and returns what to add to the offset
// and the new length (-1: unchanged for either).
func mutateBufferData(data []byte, i int, edit func(pos, n int) (delta, length int)) []byte {
	m := fb.GetRootAsModel(data, 0)
	var buf fb.Buffer
	if !m.Buffers(&buf, i) {
		panic(fmt.Sprintf("hostile: no buffer %d", i))
	}
	tab := buf.Table()
	o := flatbuffers.UOffsetT(tab.Offset(4)) // the data field
	if o == 0 {
		panic(fmt.Sprintf("hostile: buffer %d has no data", i))
	}
	pos := int(tab.Pos + o)
	vec := pos + int(binary.LittleEndian.Uint32(data[pos:]))
	delta, length := edit(pos, int(binary.LittleEndian.Uint32(data[vec:])))
	if length >= 0 {
		binary.LittleEndian.PutUint32(data[vec:], uint32(length))
	}
	if delta >= 0 {
		binary.LittleEndian.PutUint32(data[pos:], binary.LittleEndian.Uint32(data[pos:])+uint32(delta))
	}
	return data
}
