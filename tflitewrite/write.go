package tflitewrite

import (
	"fmt"
	"math"
	"slices"

	flatbuffers "github.com/google/flatbuffers/go"

	"mobilenet-wasm/loader"
	fb "mobilenet-wasm/loader/tflitefb"
)

// runtimeVersionSize is the length of the min_runtime_version buffer, as
// the converter writes it.
const runtimeVersionSize = 16

// Write serializes the graph as a TFLite model (schema version 3, file
// identifier "TFL3"): one buffer per constant tensor, 16-byte aligned as
// the converter writes them, after the empty buffer 0 that activations
// use; one operator code per distinct op and version, in order of first
// use; then the metadata buffers and, with labels, the zip archive that
// holds them. The same graph always gives the same bytes.
//
// It returns an error, never a panic, for a graph that is malformed
// (indices out of range, data that does not match shape and type, options
// of the wrong type) or that the loader would reject.
func Write(g *Graph) ([]byte, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	model := g.pack()
	if len(g.Labels) > 0 {
		var err error
		if model, err = appendLabels(model, g.labelsFile(), g.Labels); err != nil {
			return nil, err
		}
	}
	if _, err := loader.Parse(model); err != nil {
		return nil, fmt.Errorf("tflitewrite: the written model does not load: %w", err)
	}
	return model, nil
}

// WriteUnchecked writes g as Write does but without checking the graph's
// tensors, indices and shapes, or that the loader accepts the result: it
// is the way to build hostile models (negative or huge shapes, indices out
// of range, quantization without scales, strides of 0) for the tests of
// the code that must refuse them. Only what the flatbuffer itself cannot
// hold is refused: an op this package cannot write, options of the wrong
// type, dimensions, indices or a version outside int32.
func WriteUnchecked(g *Graph) ([]byte, error) {
	in32 := func(v int) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }
	for i, t := range g.Tensors {
		for _, d := range t.Shape {
			if !in32(d) {
				return nil, fmt.Errorf("tflitewrite: tensor %d: dimension %d outside int32", i, d)
			}
		}
		if q := t.Quant; q != nil && len(q.Scale) > 1 && !in32(q.Axis) {
			return nil, fmt.Errorf("tflitewrite: tensor %d: quantized dimension %d outside int32", i, q.Axis)
		}
	}
	for i, o := range g.Operators {
		for _, t := range append(append([]int(nil), o.Inputs...), o.Outputs...) {
			if !in32(t) {
				return nil, fmt.Errorf("tflitewrite: operator %d %v: tensor index %d outside int32", i, o.Op, t)
			}
		}
		if err := o.checkOptions(); err != nil {
			return nil, fmt.Errorf("tflitewrite: operator %d %v: %w", i, o.Op, err)
		}
	}
	for _, idx := range [][]int{g.Inputs, g.Outputs} {
		for _, t := range idx {
			if !in32(t) {
				return nil, fmt.Errorf("tflitewrite: graph input or output %d outside int32", t)
			}
		}
	}
	if len(g.MinRuntimeVersion) > runtimeVersionSize {
		return nil, fmt.Errorf("tflitewrite: min runtime version %q is longer than %d bytes", g.MinRuntimeVersion, runtimeVersionSize)
	}
	model := g.pack()
	if len(g.Labels) > 0 {
		return appendLabels(model, g.labelsFile(), g.Labels)
	}
	return model, nil
}

// opcode is one entry of the model's operator codes.
type opcode struct {
	op      loader.Op
	version int
}

// pack builds the flatbuffer of a checked graph.
func (g *Graph) pack() []byte {
	// Buffer 0 is the empty sentinel; each constant tensor gets its own.
	bufs := [][]byte{nil}
	tensorBuf := make([]uint32, len(g.Tensors))
	for i, t := range g.Tensors {
		if len(t.Data) > 0 {
			tensorBuf[i] = uint32(len(bufs))
			bufs = append(bufs, t.Data)
		}
	}
	type entry struct {
		name   string
		buffer int
	}
	var metadata []entry
	if g.MinRuntimeVersion != "" {
		v := make([]byte, runtimeVersionSize)
		copy(v, g.MinRuntimeVersion)
		metadata = append(metadata, entry{"min_runtime_version", len(bufs)})
		bufs = append(bufs, v)
	}
	if g.Metadata != nil || len(g.Labels) > 0 {
		metadata = append(metadata, entry{metadataName, len(bufs)})
		bufs = append(bufs, g.metadataBuffer())
	}

	size := 1 << 16
	for _, d := range bufs {
		size += len(d) + 32
	}
	b := flatbuffers.NewBuilder(size)

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
	buffers := b.CreateVectorOfTables(bufOffs)

	tensorOffs := make([]flatbuffers.UOffsetT, len(g.Tensors))
	for i, t := range g.Tensors {
		name := b.CreateString(t.Name)
		shape := int32s(b, t.Shape)
		var q flatbuffers.UOffsetT
		if t.Quant != nil {
			q = quantization(b, t.Quant)
		}
		fb.TensorStart(b)
		fb.TensorAddShape(b, shape)
		fb.TensorAddType(b, fb.TensorType(t.Type))
		fb.TensorAddBuffer(b, tensorBuf[i])
		fb.TensorAddName(b, name)
		if t.Quant != nil {
			fb.TensorAddQuantization(b, q)
		}
		tensorOffs[i] = fb.TensorEnd(b)
	}
	tensors := b.CreateVectorOfTables(tensorOffs)

	var codes []opcode
	opOffs := make([]flatbuffers.UOffsetT, len(g.Operators))
	for i, o := range g.Operators {
		code := opcode{o.Op, max(o.Version, 1)}
		idx := slices.Index(codes, code)
		if idx < 0 {
			idx = len(codes)
			codes = append(codes, code)
		}
		in, out := int32s(b, o.Inputs), int32s(b, o.Outputs)
		optType, opt := writeOptions(b, o.Op, o.Options)
		fb.OperatorStart(b)
		fb.OperatorAddOpcodeIndex(b, uint32(idx))
		fb.OperatorAddInputs(b, in)
		fb.OperatorAddOutputs(b, out)
		if optType != fb.BuiltinOptionsNONE {
			fb.OperatorAddBuiltinOptionsType(b, optType)
			fb.OperatorAddBuiltinOptions(b, opt)
		}
		opOffs[i] = fb.OperatorEnd(b)
	}
	ops := b.CreateVectorOfTables(opOffs)

	sgName := b.CreateString("main")
	inputs, outputs := int32s(b, g.Inputs), int32s(b, g.Outputs)
	fb.SubGraphStart(b)
	fb.SubGraphAddTensors(b, tensors)
	fb.SubGraphAddInputs(b, inputs)
	fb.SubGraphAddOutputs(b, outputs)
	fb.SubGraphAddOperators(b, ops)
	fb.SubGraphAddName(b, sgName)
	subgraphs := b.CreateVectorOfTables([]flatbuffers.UOffsetT{fb.SubGraphEnd(b)})

	codeOffs := make([]flatbuffers.UOffsetT, len(codes))
	for i, c := range codes {
		fb.OperatorCodeStart(b)
		// Codes above 127 live only in the newer int32 field; the old
		// byte field then holds 127 (PLACEHOLDER_FOR_GREATER_OP_CODES).
		fb.OperatorCodeAddDeprecatedBuiltinCode(b, int8(min(c.op, 127)))
		fb.OperatorCodeAddBuiltinCode(b, fb.BuiltinOperator(c.op))
		fb.OperatorCodeAddVersion(b, int32(c.version))
		codeOffs[i] = fb.OperatorCodeEnd(b)
	}
	opcodes := b.CreateVectorOfTables(codeOffs)

	var md flatbuffers.UOffsetT
	if len(metadata) > 0 {
		mdOffs := make([]flatbuffers.UOffsetT, len(metadata))
		for i, e := range metadata {
			name := b.CreateString(e.name)
			fb.MetadataStart(b)
			fb.MetadataAddName(b, name)
			fb.MetadataAddBuffer(b, uint32(e.buffer))
			mdOffs[i] = fb.MetadataEnd(b)
		}
		md = b.CreateVectorOfTables(mdOffs)
	}

	desc := b.CreateString(g.Description)
	fb.ModelStart(b)
	fb.ModelAddVersion(b, 3)
	fb.ModelAddOperatorCodes(b, opcodes)
	fb.ModelAddSubgraphs(b, subgraphs)
	fb.ModelAddDescription(b, desc)
	fb.ModelAddBuffers(b, buffers)
	if len(metadata) > 0 {
		fb.ModelAddMetadata(b, md)
	}
	b.FinishWithFileIdentifier(fb.ModelEnd(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// quantization writes a tensor's quantization parameters.
func quantization(b *flatbuffers.Builder, q *loader.Quant) flatbuffers.UOffsetT {
	fb.QuantizationParametersStartScaleVector(b, len(q.Scale))
	for i := len(q.Scale) - 1; i >= 0; i-- {
		b.PrependFloat32(q.Scale[i])
	}
	scale := b.EndVector(len(q.Scale))
	fb.QuantizationParametersStartZeroPointVector(b, len(q.ZeroPoint))
	for i := len(q.ZeroPoint) - 1; i >= 0; i-- {
		b.PrependInt64(q.ZeroPoint[i])
	}
	zp := b.EndVector(len(q.ZeroPoint))
	fb.QuantizationParametersStart(b)
	fb.QuantizationParametersAddScale(b, scale)
	fb.QuantizationParametersAddZeroPoint(b, zp)
	if len(q.Scale) > 1 {
		fb.QuantizationParametersAddQuantizedDimension(b, int32(q.Axis))
	}
	return fb.QuantizationParametersEnd(b)
}

// int32s writes a vector of int32.
func int32s(b *flatbuffers.Builder, v []int) flatbuffers.UOffsetT {
	b.StartVector(4, len(v), 4)
	for i := len(v) - 1; i >= 0; i-- {
		b.PrependInt32(int32(v[i]))
	}
	return b.EndVector(len(v))
}
