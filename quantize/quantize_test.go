package quantize_test

import (
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
	"mobilenet-wasm/quantize"
	"mobilenet-wasm/tflitewrite"
)

// photos decodes a few of the shared photos for calibration.
func photos(t *testing.T, n int) []image.Image {
	t.Helper()
	var out []image.Image
	for _, name := range []string{"cat.bmp", "bird.bmp", "dragonfly.bmp", "grace_hopper.bmp"}[:n] {
		img, _, err := imagefile.DecodeFile(testdata.Path(t, "images", name))
		require.NoError(t, err)
		out = append(out, img)
	}
	return out
}

// twin returns the synthetic float twin of the release's model.
func twin(t *testing.T, w float64, r int) []byte {
	t.Helper()
	b, err := models.Synth(models.SynthOptions{Width: w, Resolution: r, Seed: 7})
	require.NoError(t, err)
	return b
}

func calibrated(t *testing.T, model []byte, imgs []image.Image) *quantize.Calibrator {
	t.Helper()
	c, err := quantize.NewCalibrator(model)
	require.NoError(t, err)
	for _, img := range imgs {
		require.NoError(t, c.AddImage(img))
	}
	return c
}

func parse(t *testing.T, b []byte) *loader.Model {
	t.Helper()
	m, err := loader.Parse(b)
	require.NoError(t, err)
	return m
}

// TestReleaseFormat checks the uint8 file against what the release's
// _quant files hold.
func TestReleaseFormat(t *testing.T) {
	float := twin(t, 0.25, 128)
	c := calibrated(t, float, photos(t, 2))
	q, err := c.Quantize(quantize.Options{Format: quantize.UInt8})
	require.NoError(t, err)
	m := parse(t, q)
	fm := parse(t, float)
	require.Len(t, m.Operators, len(fm.Operators), "no ops added")

	in := m.Input(0)
	assert.Equal(t, loader.UInt8, in.Type)
	assert.Equal(t, []float32{1.0 / 128}, in.Quant.Scale)
	assert.Equal(t, []int64{128}, in.Quant.ZeroPoint)
	out := m.Output(0)
	assert.Equal(t, []float32{1.0 / 256}, out.Quant.Scale)
	assert.Equal(t, []int64{0}, out.Quant.ZeroPoint)
	assert.Contains(t, m.Description, "uint8")
	assert.Contains(t, m.Description, "percentile 99.999 calibration on 2 images")
	assert.Contains(t, m.Description, models.SynthDescription, "the float model's description kept")

	for _, op := range m.Operators {
		o := m.Tensor(op.Outputs[0])
		require.NotNil(t, o.Quant, "op %d output", op.Index)
		assert.Equal(t, loader.UInt8, o.Type)
		assert.Len(t, o.Quant.Scale, 1)
		hi := float64(o.Quant.Scale[0]) * float64(255-o.Quant.ZeroPoint[0])
		switch op.Op {
		case loader.OpConv2D, loader.OpDepthwiseConv2D:
			w, b := m.Tensor(op.Inputs[1]), m.Tensor(op.Inputs[2])
			x := m.Tensor(op.Inputs[0])
			assert.Equal(t, loader.UInt8, w.Type)
			assert.Len(t, w.Quant.Scale, 1, "per tensor")
			assert.Equal(t, loader.Int32, b.Type)
			assert.Equal(t, int64(0), b.Quant.ZeroPoint[0])
			assert.InDelta(t, float64(x.Quant.Scale[0])*float64(w.Quant.Scale[0]), float64(b.Quant.Scale[0]), 1e-6*float64(b.Quant.Scale[0]), "bias scale = input scale x weight scale")
			if a := fusedAct(op); a == loader.ActRelu6 {
				assert.Equal(t, int64(0), o.Quant.ZeroPoint[0], "ReLU6 output starts at 0")
				assert.LessOrEqual(t, hi, 6*(1+1e-6), "ReLU6 output within [0, 6]")
			}
		case loader.OpAveragePool2D, loader.OpSqueeze, loader.OpReshape:
			x := m.Tensor(op.Inputs[0])
			assert.Equal(t, x.Quant.Scale, o.Quant.Scale, "%v keeps its input's quantization", op.Op)
			assert.Equal(t, x.Quant.ZeroPoint, o.Quant.ZeroPoint)
		}
	}
}

func fusedAct(op loader.Operator) loader.Activation {
	switch o := op.Options.(type) {
	case *loader.Conv2DOptions:
		return o.Activation
	case *loader.DepthwiseConv2DOptions:
		return o.Activation
	}
	return loader.ActNone
}

// TestInt8Spec checks the int8 file against TFLite's quantization spec,
// with each input and output type.
func TestInt8Spec(t *testing.T) {
	float := twin(t, 0.25, 128)
	c := calibrated(t, float, photos(t, 2))
	imgs := photos(t, 2)
	fc, err := engine.Load([][]byte{float}, engine.Options{})
	require.NoError(t, err)
	finfo := fc.Info()
	for _, io := range []quantize.IOType{quantize.IODefault, quantize.IOUInt8, quantize.IOFloat32} {
		q, err := c.Quantize(quantize.Options{Format: quantize.Int8, Input: io, Output: io})
		require.NoError(t, err)
		m := parse(t, q)
		edges := map[quantize.IOType]int{quantize.IODefault: 0, quantize.IOUInt8: 2, quantize.IOFloat32: 2}[io]
		require.Len(t, m.Operators, 31+edges)
		want := map[quantize.IOType]loader.DType{quantize.IODefault: loader.Int8, quantize.IOUInt8: loader.UInt8, quantize.IOFloat32: loader.Float32}[io]
		assert.Equal(t, want, m.Input(0).Type)
		assert.Equal(t, want, m.Output(0).Type)
		assert.Equal(t, "input", m.Input(0).Name, "the edge tensors keep the float model's names")
		if edges > 0 {
			assert.Equal(t, loader.OpQuantize, m.Operators[0].Op)
			last := m.Operators[len(m.Operators)-1].Op
			if io == quantize.IOFloat32 {
				assert.Equal(t, loader.OpDequantize, last)
			} else {
				assert.Equal(t, loader.OpQuantize, last)
			}
		}
		for _, op := range m.Operators {
			o := m.Tensor(op.Outputs[0])
			switch op.Op {
			case loader.OpConv2D, loader.OpDepthwiseConv2D:
				x, w, b := m.Tensor(op.Inputs[0]), m.Tensor(op.Inputs[1]), m.Tensor(op.Inputs[2])
				assert.Equal(t, loader.Int8, o.Type)
				assert.Equal(t, loader.Int8, w.Type)
				axis, channels := 0, w.Shape[0]
				if op.Op == loader.OpDepthwiseConv2D {
					axis, channels = 3, w.Shape[3]
				}
				assert.Equal(t, axis, w.Quant.Axis, "quantized_dimension")
				require.Len(t, w.Quant.Scale, channels, "per channel")
				ws, _ := w.Int8s()
				for _, v := range ws {
					assert.GreaterOrEqual(t, v, int8(-127), "symmetric: -128 unused")
				}
				require.Len(t, b.Quant.Scale, channels)
				for ch := range channels {
					assert.Equal(t, int64(0), w.Quant.ZeroPoint[ch])
					assert.Equal(t, int64(0), b.Quant.ZeroPoint[ch])
					assert.InDelta(t, float64(x.Quant.Scale[0])*float64(w.Quant.Scale[ch]), float64(b.Quant.Scale[ch]), 1e-6*float64(b.Quant.Scale[ch]))
				}
				if fusedAct(op) == loader.ActRelu6 {
					hi := float64(o.Quant.Scale[0]) * float64(127-o.Quant.ZeroPoint[0])
					assert.LessOrEqual(t, hi, 6*(1+1e-6))
				}
			case loader.OpSoftmax:
				assert.Equal(t, []float32{1.0 / 256}, o.Quant.Scale)
				assert.Equal(t, []int64{-128}, o.Quant.ZeroPoint)
			}
		}
		// It runs in the engine with the float model's MACs and params
		// and, on these photos, mostly agrees with it.
		qc, err := engine.Load([][]byte{q}, engine.Options{})
		require.NoError(t, err)
		info := qc.Info()
		assert.Equal(t, finfo.MACs, info.MACs)
		assert.Equal(t, finfo.Params, info.Params)
		for _, img := range imgs {
			ft, err := fc.Classify(img, 1)
			require.NoError(t, err)
			qt, err := qc.Classify(img, 5)
			require.NoError(t, err)
			idx := []int{}
			for _, p := range qt {
				idx = append(idx, p.Index)
			}
			assert.Contains(t, idx, ft[0].Index, "float top-1 within the quantized top-5 (%v)", io)
		}
	}
}

// TestDeterministic: the same inputs give the same bytes.
func TestDeterministic(t *testing.T) {
	float := twin(t, 0.25, 128)
	imgs := photos(t, 2)
	for _, method := range []quantize.Method{quantize.MinMax, quantize.Percentile, quantize.MSE} {
		opts := quantize.Options{Format: quantize.Int8, Method: method}
		a, err := calibrated(t, float, imgs).Quantize(opts)
		require.NoError(t, err)
		b, err := calibrated(t, float, imgs).Quantize(opts)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%v: two runs differ", method)
		assert.Contains(t, parse(t, a).Description, method.String())
	}
}

// TestMethodsNarrowRanges: percentile and MSE ranges lie within the
// min/max ones, and every range respects ReLU6.
func TestMethodsNarrowRanges(t *testing.T) {
	c := calibrated(t, twin(t, 0.25, 128), photos(t, 2))
	mm, err := c.Ranges(quantize.Options{Method: quantize.MinMax})
	require.NoError(t, err)
	for _, method := range []quantize.Method{quantize.Percentile, quantize.MSE} {
		rs, err := c.Ranges(quantize.Options{Method: method})
		require.NoError(t, err)
		require.Len(t, rs, len(mm))
		for i, r := range rs {
			assert.GreaterOrEqual(t, r.Lo, mm[i].Lo-1e-9, "%v %s", method, r.Name)
			assert.LessOrEqual(t, r.Hi, mm[i].Hi+1e-9, "%v %s", method, r.Name)
		}
	}
	for _, r := range mm {
		if strings.Contains(r.Name, "Relu6") {
			assert.LessOrEqual(t, r.Hi, 6.0)
			assert.GreaterOrEqual(t, r.Lo, 0.0)
		}
	}
}

// TestMetadataCarriedOver: labels, metadata and the description survive;
// Options.Labels replace the labels.
func TestMetadataCarriedOver(t *testing.T) {
	g, err := tflitewrite.FromBytes(twin(t, 0.25, 128))
	require.NoError(t, err)
	labels := make([]string, 1001)
	for i := range labels {
		labels[i] = "class" + string(rune('a'+i%26))
	}
	g.Labels = labels
	g.Metadata = &tflitewrite.Metadata{Name: "ImageClassifier", Description: "a twin", LabelsFile: "labels.txt"}
	float, err := tflitewrite.Write(g)
	require.NoError(t, err)
	c := calibrated(t, float, photos(t, 1))
	q, err := c.Quantize(quantize.Options{Format: quantize.Int8})
	require.NoError(t, err)
	m := parse(t, q)
	assert.Equal(t, labels, m.Labels)
	require.NotNil(t, m.Metadata)
	assert.Equal(t, "ImageClassifier", m.Metadata.Name)
	assert.Equal(t, "a twin", m.Metadata.Description)

	other := slices1001("x")
	q, err = c.Quantize(quantize.Options{Format: quantize.UInt8, Labels: other})
	require.NoError(t, err)
	assert.Equal(t, other, parse(t, q).Labels)
}

func slices1001(p string) []string {
	out := make([]string, 1001)
	for i := range out {
		out[i] = p + strings.Repeat("y", i%5)
	}
	return out
}

// TestAllFloatTwins: every float model of the catalog, as a synthetic
// twin, quantizes to both formats, loads and runs, with the float
// model's MACs and parameters.
func TestAllFloatTwins(t *testing.T) {
	if testing.Short() {
		t.Skip("16 models")
	}
	img := photos(t, 1)
	for i, e := range models.Catalog {
		if e.Quantized {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			float, err := models.SynthEntry(e, 1)
			require.NoError(t, err)
			c := calibrated(t, float, img)
			// The graph rewrites (equalization, bias correction) cost
			// several passes per model and do not change the graph's
			// shape; TestSteps covers them. Here the smallest twin runs
			// the defaults and the others the plain conversion.
			steps := quantize.Off
			if i == 0 {
				steps = quantize.Auto
			}
			for _, f := range []quantize.Format{quantize.UInt8, quantize.Int8} {
				q, err := c.Quantize(quantize.Options{Format: f, Equalize: steps, AbsorbBias: steps, CorrectBias: steps})
				require.NoError(t, err)
				qc, err := engine.Load([][]byte{q}, engine.Options{})
				require.NoError(t, err)
				info := qc.Info()
				assert.Equal(t, e.MACs(), info.MACs, "%v MACs", f)
				assert.Equal(t, e.Params(), info.Params, "%v params", f)
				assert.Equal(t, f.String(), info.Input.DType)
				_, err = qc.Classify(img[0], 5)
				require.NoError(t, err)
				assert.Less(t, len(q), len(float)/3, "%v size", f)
			}
		})
	}
}

// TestNonImageInput: a head fed with embeddings calibrates on raw input
// tensors, and its input range is calibrated rather than the image one.
func TestNonImageInput(t *testing.T) {
	head, err := models.Synth(models.SynthOptions{Width: 0.25, Resolution: 128, Seed: 3, Part: models.Head})
	require.NoError(t, err)
	c, err := quantize.NewCalibrator(head)
	require.NoError(t, err)
	assert.False(t, c.ImageInput())
	assert.Error(t, c.AddImage(image.NewRGBA(image.Rect(0, 0, 8, 8))), "not an image model")
	in := parse(t, head).Input(0)
	assert.Error(t, c.AddInput(make([]float32, 3)), "wrong size")
	v := make([]float32, in.NumElements())
	for s := range 3 {
		for i := range v {
			v[i] = float32((i*7+s*13)%60) / 10 // in [0, 5.9]
		}
		require.NoError(t, c.AddInput(v))
	}
	q, err := c.Quantize(quantize.Options{Format: quantize.UInt8})
	require.NoError(t, err)
	qi := parse(t, q).Input(0)
	assert.InDelta(t, 5.9/255, float64(qi.Quant.Scale[0]), 1e-6)
	assert.Equal(t, int64(0), qi.Quant.ZeroPoint[0])
	assert.Contains(t, parse(t, q).Description, "3 input tensors")
}

func TestErrors(t *testing.T) {
	quant, err := models.Synth(models.SynthOptions{Width: 0.25, Resolution: 128, Quantized: true})
	require.NoError(t, err)
	_, err = quantize.NewCalibrator(quant)
	assert.True(t, errors.Is(err, quantize.ErrQuantized), "%v", err)
	assert.ErrorContains(t, err, "already quantized")

	_, err = quantize.NewCalibrator([]byte("not a model"))
	assert.Error(t, err)

	c, err := quantize.NewCalibrator(twin(t, 0.25, 128))
	require.NoError(t, err)
	_, err = c.Quantize(quantize.Options{})
	assert.ErrorContains(t, err, "no calibration inputs")
	require.NoError(t, c.AddImage(photos(t, 1)[0]))
	_, err = c.Quantize(quantize.Options{Method: quantize.Percentile, Percentile: 30})
	assert.ErrorContains(t, err, "percentile 30")
	_, err = c.Quantize(quantize.Options{Format: 7})
	assert.ErrorContains(t, err, "format")

	for _, s := range []string{"uint8", "int8"} {
		f, err := quantize.ParseFormat(s)
		require.NoError(t, err)
		assert.Equal(t, s, f.String())
	}
	_, err = quantize.ParseFormat("int4")
	assert.Error(t, err)
	for _, s := range []string{"auto", "minmax", "percentile", "mse"} {
		m, err := quantize.ParseMethod(s)
		require.NoError(t, err)
		assert.Equal(t, s, m.String())
	}
	_, err = quantize.ParseMethod("kl")
	assert.Error(t, err)
	_, err = quantize.ParseIOType("int16")
	assert.Error(t, err)
}

// TestSteps: the rewrites before quantization are on by default, each
// can be turned off, they are deterministic, leave the calibrator's float
// model unchanged for later calls, keep ReLU6 outputs within [0, 6] (or,
// replacing ReLU6, write RELU ops that run).
func TestSteps(t *testing.T) {
	float := twin(t, 0.25, 128)
	c := calibrated(t, float, photos(t, 2))
	off := quantize.Options{Format: quantize.UInt8, Equalize: quantize.Off, AbsorbBias: quantize.Off, CorrectBias: quantize.Off}
	plain, err := c.Quantize(off)
	require.NoError(t, err)
	a, err := c.Quantize(quantize.Options{Format: quantize.UInt8})
	require.NoError(t, err)
	b, err := calibrated(t, float, photos(t, 2)).Quantize(quantize.Options{Format: quantize.UInt8})
	require.NoError(t, err)
	assert.Equal(t, a, b, "two calibrators, the same bytes")
	assert.NotEqual(t, plain, a)
	again, err := c.Quantize(off)
	require.NoError(t, err)
	assert.Equal(t, plain, again, "the steps changed the float model")
	m := parse(t, a)
	assert.Contains(t, m.Description, "cross-layer equalization of 27 layer pairs (within ReLU6), bias absorption of 0 channels, bias correction of 28 layers")
	assert.NotContains(t, parse(t, plain).Description, "equalization")
	for _, op := range m.Operators {
		assert.NotEqual(t, loader.ActRelu, fusedAct(op), "ReLU6 kept")
	}
	rs, err := c.Ranges(quantize.Options{})
	require.NoError(t, err)
	for _, r := range rs {
		if strings.Contains(r.Name, "Relu6") {
			assert.LessOrEqual(t, r.Hi, 6.0, r.Name)
		}
	}

	// Each step alone changes the file.
	for _, o := range []quantize.Options{
		{Format: quantize.UInt8, Equalize: quantize.On, AbsorbBias: quantize.Off, CorrectBias: quantize.Off},
		{Format: quantize.UInt8, Equalize: quantize.Off, AbsorbBias: quantize.Off, CorrectBias: quantize.On},
	} {
		q, err := c.Quantize(o)
		require.NoError(t, err)
		assert.NotEqual(t, plain, q)
		assert.NotEqual(t, a, q)
	}

	// Nagel et al.'s ReLU: the rescaled layers' ReLU6 become RELU, whose
	// calibrated output range may go past 6; absorption then applies.
	r, err := c.Quantize(quantize.Options{Format: quantize.UInt8, ReLU6: quantize.ReLU6ToReLU})
	require.NoError(t, err)
	rm := parse(t, r)
	relu := 0
	for _, op := range rm.Operators {
		if fusedAct(op) == loader.ActRelu {
			relu++
		}
	}
	assert.Equal(t, 27, relu)
	assert.Contains(t, rm.Description, "(ReLU6 to ReLU on 27 layers)")
	assert.NotContains(t, rm.Description, "bias absorption of 0 channels")
	qc, err := engine.Load([][]byte{r}, engine.Options{})
	require.NoError(t, err)
	_, err = qc.Classify(photos(t, 1)[0], 5)
	require.NoError(t, err)

	for _, s := range []string{"auto", "on", "off"} {
		v, err := quantize.ParseToggle(s)
		require.NoError(t, err)
		assert.Equal(t, s, v.String())
	}
	_, err = quantize.ParseToggle("maybe")
	assert.Error(t, err)
	_, err = c.Quantize(quantize.Options{Equalize: 9})
	assert.ErrorContains(t, err, "toggle")
	_, err = c.Quantize(quantize.Options{ReLU6: 9})
	assert.ErrorContains(t, err, "ReLU6 mode")
}
