package quantize_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/quantize"
	"mobilenet-wasm/tflitewrite"
)

// TestReport prints the accuracy table of the quantizer's variants
// (MOBILENET_QUANT_REPORT=1; minutes): calibrated on the even photos,
// measured on all and on the odd (held-out) ones.
func TestReport(t *testing.T) {
	if os.Getenv("MOBILENET_QUANT_REPORT") == "" {
		t.Skip("set MOBILENET_QUANT_REPORT=1")
	}
	photos := imagenet(t)
	var even, odd []labelled
	for i, p := range photos {
		if i%2 == 0 {
			even = append(even, p)
		} else {
			odd = append(odd, p)
		}
	}
	only := os.Getenv("MOBILENET_QUANT_REPORT_ONLY")
	relu6 := quantize.KeepReLU6
	if os.Getenv("REPORT_RELU") != "" {
		relu6 = quantize.ReLU6ToReLU
	}
	*quantize.RangesOnFloat = os.Getenv("REPORT_RANGES_FLOAT") != ""
	for _, name := range []string{"mobilenet_v1_0.25_224", "mobilenet_v1_0.5_160", "mobilenet_v1_1.0_224"} {
		path := testdata.Path(t, "models") + "/" + name + ".tflite"
		float, err := os.ReadFile(path)
		if err != nil {
			t.Logf("%s: absent, skipped", name)
			continue
		}
		row := func(label string, model []byte) {
			a, h := evaluate(t, model, photos), evaluate(t, model, odd)
			t.Logf("| %s | %s | %d | %d | %d/%d | %d/%d |", name, label, a.top1, a.top5, h.top1, len(odd), h.top5, len(odd))
		}
		row("float", float)
		row("float, every ReLU6 -> ReLU", reluEverywhere(t, float))
		cal, err := quantize.NewCalibrator(float)
		require.NoError(t, err)
		for _, p := range even {
			require.NoError(t, cal.AddImage(p.img))
		}
		on, off := quantize.On, quantize.Off
		type variant struct {
			label string
			opts  quantize.Options
		}
		vs := []variant{
			{"uint8 default", quantize.Options{Format: quantize.UInt8}},
			{"uint8 no steps", quantize.Options{Format: quantize.UInt8, Equalize: off, AbsorbBias: off, CorrectBias: off}},
			{"uint8 eq", quantize.Options{Format: quantize.UInt8, Equalize: on, AbsorbBias: off, CorrectBias: off}},
			{"uint8 eq+absorb", quantize.Options{Format: quantize.UInt8, Equalize: on, AbsorbBias: on, CorrectBias: off}},
			{"uint8 eq+bc", quantize.Options{Format: quantize.UInt8, Equalize: on, AbsorbBias: off, CorrectBias: on}},
			{"uint8 bc", quantize.Options{Format: quantize.UInt8, Equalize: off, AbsorbBias: off, CorrectBias: on}},
			{"uint8 eq+absorb+bc percentile", quantize.Options{Format: quantize.UInt8, Equalize: on, AbsorbBias: on, CorrectBias: on, Method: quantize.Percentile}},
			{"uint8 eq+absorb+bc mse", quantize.Options{Format: quantize.UInt8, Equalize: on, AbsorbBias: on, CorrectBias: on, Method: quantize.MSE}},
			{"int8 default", quantize.Options{Format: quantize.Int8}},
			{"int8 no steps", quantize.Options{Format: quantize.Int8, Equalize: off, AbsorbBias: off, CorrectBias: off}},
			{"int8 eq", quantize.Options{Format: quantize.Int8, Equalize: on, AbsorbBias: off, CorrectBias: off}},
			{"int8 bc", quantize.Options{Format: quantize.Int8, Equalize: off, AbsorbBias: off, CorrectBias: on}},
			{"int8 eq+absorb+bc", quantize.Options{Format: quantize.Int8, Equalize: on, AbsorbBias: on, CorrectBias: on}},
		}
		for _, v := range vs {
			if only != "" && !strings.Contains(v.label, only) {
				continue
			}
			v.opts.ReLU6 = relu6
			q, err := cal.Quantize(v.opts)
			require.NoError(t, err, v.label)
			row(fmt.Sprintf("%s (%s)", v.label, v.opts.Method), q)
		}
	}
}

// reluEverywhere returns the float model with every fused ReLU6 a ReLU.
func reluEverywhere(t *testing.T, float []byte) []byte {
	g, err := tflitewrite.FromBytes(float)
	require.NoError(t, err)
	for _, op := range g.Operators {
		switch o := op.Options.(type) {
		case *loader.Conv2DOptions:
			if o.Activation == loader.ActRelu6 {
				o.Activation = loader.ActRelu
			}
		case *loader.DepthwiseConv2DOptions:
			if o.Activation == loader.ActRelu6 {
				o.Activation = loader.ActRelu
			}
		}
	}
	b, err := tflitewrite.Write(g)
	require.NoError(t, err)
	return b
}
