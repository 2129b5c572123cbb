package tflitewrite_test

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

func f32(v ...float32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
	}
	return out
}

func i32(v ...int32) []byte {
	out := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(x))
	}
	return out
}

// filled returns n float32 values (as bytes) that differ from each other.
func filled(n int) []byte {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7)/7 - 0.4
	}
	return f32(v...)
}

// everyOp is a small float graph with every operator the writer supports
// and a quantized branch (QUANTIZE, DEQUANTIZE, a per-channel constant).
func everyOp() *tflitewrite.Graph {
	g := &tflitewrite.Graph{Description: "every op", MinRuntimeVersion: "1.14.0",
		Metadata: &tflitewrite.Metadata{Name: "Everything", Description: "a test", Author: "tests", LabelsFile: "classes.txt"},
		Labels:   []string{"background", "cat", "dog", "tabby, tabby cat", "five"}}
	act := func(name string, shape ...int) int {
		return g.AddTensor(tflitewrite.Tensor{Name: name, Type: loader.Float32, Shape: shape})
	}
	konst := func(name string, typ loader.DType, data []byte, shape ...int) int {
		return g.AddTensor(tflitewrite.Tensor{Name: name, Type: typ, Shape: shape, Data: data})
	}
	in := act("input", 1, 8, 8, 3)
	conv := act("conv", 1, 4, 4, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpConv2D,
		Inputs:  []int{in, konst("conv/w", loader.Float32, filled(4*3*3*3), 4, 3, 3, 3), konst("conv/b", loader.Float32, filled(4), 4)},
		Outputs: []int{conv},
		Options: &loader.Conv2DOptions{Padding: loader.PaddingSame, StrideW: 2, StrideH: 2, DilationW: 1, DilationH: 1, Activation: loader.ActRelu6}})
	dw := act("dw", 1, 4, 4, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpDepthwiseConv2D,
		Inputs:  []int{conv, konst("dw/w", loader.Float32, filled(3*3*4), 1, 3, 3, 4)}, // no bias
		Outputs: []int{dw},
		Options: &loader.DepthwiseConv2DOptions{Padding: loader.PaddingValid, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, DepthMultiplier: 1}, Version: 2})
	add := act("add", 1, 4, 4, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpAdd, Inputs: []int{conv, dw}, Outputs: []int{add}, Options: &loader.AddOptions{Activation: loader.ActRelu}})
	pad := act("pad", 1, 6, 6, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpPad, Inputs: []int{add, konst("pad/paddings", loader.Int32, i32(0, 0, 1, 1, 1, 1, 0, 0), 4, 2)}, Outputs: []int{pad}})
	maxp := act("max", 1, 3, 3, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpMaxPool2D, Inputs: []int{pad}, Outputs: []int{maxp},
		Options: &loader.Pool2DOptions{Padding: loader.PaddingValid, StrideW: 2, StrideH: 2, FilterW: 2, FilterH: 2}})
	avg := act("avg", 1, 3, 3, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpAveragePool2D, Inputs: []int{maxp}, Outputs: []int{avg},
		Options: &loader.Pool2DOptions{Padding: loader.PaddingSame, StrideW: 1, StrideH: 1, FilterW: 3, FilterH: 3, Activation: loader.ActRelu6}})
	relu := act("relu", 1, 3, 3, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpRelu, Inputs: []int{avg}, Outputs: []int{relu}})
	relu6 := act("relu6", 1, 3, 3, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpRelu6, Inputs: []int{relu}, Outputs: []int{relu6}})
	mean := act("mean", 1, 1, 1, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpMean, Inputs: []int{relu6, konst("mean/axis", loader.Int32, i32(1, 2), 2)}, Outputs: []int{mean},
		Options: &loader.ReducerOptions{KeepDims: true}})
	flat := act("flat", 1, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpReshape, Inputs: []int{mean, konst("flat/shape", loader.Int32, i32(1, 4), 2)}, Outputs: []int{flat},
		Options: &loader.ReshapeOptions{NewShape: []int{1, 4}}})
	q := g.AddTensor(tflitewrite.Tensor{Name: "q", Type: loader.Int8, Shape: []int{1, 4},
		Quant: &loader.Quant{Scale: []float32{0.05}, ZeroPoint: []int64{-3}}})
	g.AddOperator(tflitewrite.Operator{Op: loader.OpQuantize, Inputs: []int{flat}, Outputs: []int{q}})
	dq := act("dq", 1, 4)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpDequantize, Inputs: []int{q}, Outputs: []int{dq}})
	fc := act("fc", 1, 5)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpFullyConnected,
		Inputs: []int{dq, konst("fc/w", loader.Float32, filled(5*4), 5, 4), konst("fc/b", loader.Float32, filled(5), 5)}, Outputs: []int{fc}})
	sq := act("squeezable", 1, 1, 1, 5)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpReshape, Inputs: []int{fc}, Outputs: []int{sq}, Options: &loader.ReshapeOptions{NewShape: []int{1, 1, 1, 5}}})
	squeezed := act("squeezed", 1, 5)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpSqueeze, Inputs: []int{sq}, Outputs: []int{squeezed}, Options: &loader.SqueezeOptions{SqueezeDims: []int{1, 2}}})
	out := act("probabilities", 1, 5)
	g.AddOperator(tflitewrite.Operator{Op: loader.OpSoftmax, Inputs: []int{squeezed}, Outputs: []int{out}, Options: &loader.SoftmaxOptions{Beta: 0.5}})
	// A per-channel int8 constant along dimension 0.
	g.AddTensor(tflitewrite.Tensor{Name: "per-channel", Type: loader.Int8, Shape: []int{3, 2}, Data: []byte{1, 2, 3, 4, 5, 0xff},
		Quant: &loader.Quant{Scale: []float32{0.5, 0.25, 0.125}, ZeroPoint: []int64{0, 1, -1}, Axis: 0}})
	g.Inputs, g.Outputs = []int{in}, []int{out}
	return g
}

// TestRoundTrip writes a graph and reads it back with the loader: the
// same tensors (names, types, shapes, data, quantization), operators
// (inputs with absent ones as -1, options), inputs, outputs,
// description, metadata and labels.
func TestRoundTrip(t *testing.T) {
	g := everyOp()
	data, err := tflitewrite.Write(g)
	require.NoError(t, err)
	m, err := loader.Parse(data)
	require.NoError(t, err)
	assert.Empty(t, m.Warnings)
	assert.Equal(t, g.Description, m.Description)
	assert.Equal(t, g.Inputs, m.Inputs)
	assert.Equal(t, g.Outputs, m.Outputs)
	assert.Equal(t, g.Labels, m.Labels)
	require.NotNil(t, m.Metadata)
	assert.Equal(t, "Everything", m.Metadata.Name)
	assert.Equal(t, "a test", m.Metadata.Description)
	assert.Equal(t, "tests", m.Metadata.Author)
	assert.Equal(t, []string{"classes.txt"}, m.Metadata.AssociatedFiles)

	require.Len(t, m.Tensors, len(g.Tensors))
	for i, want := range g.Tensors {
		got := m.Tensors[i]
		assert.Equal(t, want.Name, got.Name, "tensor %d", i)
		assert.Equal(t, want.Type, got.Type, "tensor %d", i)
		assert.Equal(t, want.Shape, got.Shape, "tensor %d", i)
		if want.Data == nil {
			assert.Nil(t, got.Data, "tensor %d", i)
		} else {
			assert.Equal(t, want.Data, got.Data, "tensor %d", i)
		}
		assert.Equal(t, want.Quant, got.Quant, "tensor %d", i)
	}
	require.Len(t, m.Operators, len(g.Operators))
	for i, want := range g.Operators {
		got := m.Operators[i]
		assert.Equal(t, want.Op, got.Op, "operator %d", i)
		in := got.Inputs
		for len(in) > len(want.Inputs) {
			assert.Equal(t, -1, in[len(in)-1], "operator %d: an input the graph does not have", i)
			in = in[:len(in)-1]
		}
		assert.Equal(t, want.Inputs, in, "operator %d", i)
		assert.Equal(t, want.Outputs, got.Outputs, "operator %d", i)
		if want.Options != nil {
			assert.Equal(t, want.Options, got.Options, "operator %d", i)
		}
	}
	// FULLY_CONNECTED's nil options read back as the defaults.
	assert.Equal(t, &loader.FullyConnectedOptions{}, m.Operators[12].Options)

	// Read back into a graph, the file gives the same graph: versions and
	// the runtime version included.
	back, again := rewrite(t, data)
	assert.Equal(t, 2, back.Operators[1].Version)
	assert.Equal(t, 1, back.Operators[0].Version)
	assert.Equal(t, "1.14.0", back.MinRuntimeVersion)
	m2, err := loader.Parse(again)
	require.NoError(t, err)
	assertSameModel(t, m, m2)
}

// rewrite reads a model into a graph and writes it again.
func rewrite(t *testing.T, data []byte) (*tflitewrite.Graph, []byte) {
	t.Helper()
	g, err := tflitewrite.FromBytes(data)
	require.NoError(t, err)
	out, err := tflitewrite.Write(g)
	require.NoError(t, err)
	return g, out
}

// assertSameModel checks that two parsed models hold the same graph,
// labels and metadata.
func assertSameModel(t *testing.T, want, got *loader.Model) {
	t.Helper()
	assert.Equal(t, want.Description, got.Description)
	assert.Equal(t, want.Tensors, got.Tensors)
	assert.Equal(t, want.Operators, got.Operators)
	assert.Equal(t, want.Inputs, got.Inputs)
	assert.Equal(t, want.Outputs, got.Outputs)
	assert.Equal(t, want.Labels, got.Labels)
	assert.Equal(t, want.Metadata, got.Metadata)
}

// TestDeterministic: the same graph gives the same bytes, labels included.
func TestDeterministic(t *testing.T) {
	a, err := tflitewrite.Write(everyOp())
	require.NoError(t, err)
	b, err := tflitewrite.Write(everyOp())
	require.NoError(t, err)
	assert.Equal(t, a, b)
	g := everyOp()
	g.Labels[1] = "lion"
	c, err := tflitewrite.Write(g)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
}

// TestFromModelCopies: editing a graph read from a model leaves the model
// as it was.
func TestFromModelCopies(t *testing.T) {
	data, err := tflitewrite.Write(everyOp())
	require.NoError(t, err)
	m, err := loader.Parse(data)
	require.NoError(t, err)
	g := tflitewrite.FromModel(m)
	g.Tensors[2].Data[0] ^= 0xff
	g.Tensors[2].Shape[0] = 99
	g.Tensors[len(g.Tensors)-1].Quant.Scale[0] = 7
	g.Operators[0].Options.(*loader.Conv2DOptions).StrideW = 5
	g.Labels[0] = "changed"
	fresh, err := loader.Parse(data)
	require.NoError(t, err)
	assert.Equal(t, fresh.Tensors, m.Tensors)
	assert.Equal(t, fresh.Operators, m.Operators)
	assert.Equal(t, fresh.Labels, m.Labels)
}

// TestInvalid: malformed graphs give errors that say what is wrong, never
// a panic.
func TestInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(g *tflitewrite.Graph)
		want string
	}{
		{"operator input out of range", func(g *tflitewrite.Graph) { g.Operators[0].Inputs[0] = 1000 }, "input 0 is tensor 1000"},
		{"operator input below -1", func(g *tflitewrite.Graph) { g.Operators[0].Inputs[0] = -2 }, "input 0 is tensor -2"},
		{"operator output out of range", func(g *tflitewrite.Graph) { g.Operators[2].Outputs[0] = len(g.Tensors) }, "output 0 is tensor"},
		{"graph output out of range", func(g *tflitewrite.Graph) { g.Outputs[0] = -1 }, "graph output 0 is tensor -1"},
		{"no inputs", func(g *tflitewrite.Graph) { g.Inputs = nil }, "no input"},
		{"data shorter than shape", func(g *tflitewrite.Graph) { g.Tensors[2].Data = g.Tensors[2].Data[4:] }, "bytes of data"},
		{"data of another type", func(g *tflitewrite.Graph) { g.Tensors[2].Type = loader.UInt8 }, "bytes of data"},
		{"negative dimension", func(g *tflitewrite.Graph) { g.Tensors[0].Shape[1] = -8 }, "negative dimension"},
		{"type without a size", func(g *tflitewrite.Graph) { g.Tensors[0].Type = loader.String }, "cannot be written"},
		{"scales and zero points", func(g *tflitewrite.Graph) {
			g.Tensors[len(g.Tensors)-1].Quant.ZeroPoint = []int64{0}
		}, "3 scales and 1 zero points"},
		{"per-channel axis", func(g *tflitewrite.Graph) { g.Tensors[len(g.Tensors)-1].Quant.Axis = 1 }, "per-channel scales on dimension 1"},
		{"options of another op", func(g *tflitewrite.Graph) { g.Operators[0].Options = &loader.Pool2DOptions{} }, "want *loader.Conv2DOptions"},
		{"missing options", func(g *tflitewrite.Graph) { g.Operators[0].Options = nil }, "no options"},
		{"nil options", func(g *tflitewrite.Graph) { g.Operators[0].Options = (*loader.Conv2DOptions)(nil) }, "nil *loader.Conv2DOptions"},
		{"options on RELU", func(g *tflitewrite.Graph) { g.Operators[6].Options = &loader.AddOptions{} }, "op without options"},
		{"unknown op", func(g *tflitewrite.Graph) { g.Operators[6].Op = loader.Op(32) }, "cannot be written"},
		{"read before written", func(g *tflitewrite.Graph) {
			g.Operators[0], g.Operators[1] = g.Operators[1], g.Operators[0]
		}, "does not load"},
		{"zero stride", func(g *tflitewrite.Graph) { g.Operators[0].Options.(*loader.Conv2DOptions).StrideW = 0 }, "does not load"},
		{"label of two lines", func(g *tflitewrite.Graph) { g.Labels[2] = "a\nb" }, "label 2"},
		{"long runtime version", func(g *tflitewrite.Graph) { g.MinRuntimeVersion = "1.2.3.4.5.6.7.8.9" }, "longer than 16"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := everyOp()
			tc.edit(g)
			data, err := tflitewrite.Write(g)
			assert.ErrorContains(t, err, tc.want)
			assert.Nil(t, data)
		})
	}
}

// TestRewriteRealModels reads each model of the shared test data into a
// graph and writes it again: it loads with the same tensors, operators and
// labels, and the engine computes exactly the same outputs.
func TestRewriteRealModels(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(testdata.Dir(t), "models", "*.tflite"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			orig, err := loader.Parse(data)
			require.NoError(t, err)
			_, out := rewrite(t, data)
			m, err := loader.Parse(out)
			require.NoError(t, err)
			assertSameModel(t, orig, m)

			a, err := engine.Load([][]byte{data}, engine.Options{})
			require.NoError(t, err)
			b, err := engine.Load([][]byte{out}, engine.Options{})
			require.NoError(t, err)
			for seed := range 2 {
				fill(a.Input(), a.Info().Input.DType, seed)
				fill(b.Input(), b.Info().Input.DType, seed)
				a.Run()
				b.Run()
				require.Equal(t, a.Output(), b.Output(), "seed %d", seed)
			}
		})
	}
}

// fill writes deterministic input: bytes, or float32 values in [-1, 1).
func fill(in []byte, dtype string, seed int) {
	x := uint32(2463534242 + seed)
	next := func() uint32 { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x }
	if dtype != "float32" {
		for i := range in {
			in[i] = byte(next())
		}
		return
	}
	for i := 0; i+4 <= len(in); i += 4 {
		binary.LittleEndian.PutUint32(in[i:], math.Float32bits(float32(next()%256)/128-1))
	}
}

// TestWriteUnchecked writes what Write refuses (a negative dimension, an
// input out of range) as it is, for the loader to refuse, and still
// refuses what the flatbuffer cannot hold or pack cannot write.
func TestWriteUnchecked(t *testing.T) {
	g := everyOp()
	g.Tensors[0].Shape = []int{1, -8, 8, 3}
	g.Operators[0].Inputs[0] = 1000
	_, err := tflitewrite.Write(g)
	require.Error(t, err)
	data, err := tflitewrite.WriteUnchecked(g)
	require.NoError(t, err)
	_, err = loader.Parse(data)
	require.Error(t, err, "the loader must refuse what WriteUnchecked wrote")

	for name, edit := range map[string]func(g *tflitewrite.Graph){
		"options of the wrong type": func(g *tflitewrite.Graph) { g.Operators[0].Options = &loader.SoftmaxOptions{} },
		"dimension outside int32":   func(g *tflitewrite.Graph) { g.Tensors[0].Shape = []int{1 << 40} },
		"index outside int32":       func(g *tflitewrite.Graph) { g.Operators[0].Outputs[0] = -1 << 40 },
		"an op it cannot write":     func(g *tflitewrite.Graph) { g.Operators[0].Op = loader.Op(1000) },
	} {
		g := everyOp()
		edit(g)
		_, err := tflitewrite.WriteUnchecked(g)
		assert.Error(t, err, name)
	}
}
