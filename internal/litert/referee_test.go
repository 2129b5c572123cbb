package litert_test

import (
	"context"
	"fmt"
	"image"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/litert"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
	"mobilenet-wasm/quantize"
	"mobilenet-wasm/tflitewrite"
)

// The test's choices: the photos every model runs on, how many ImageNet
// photos calibrate the quantized files, and the synthetic float twins
// (random weights, the catalog's exact layers) quantized besides the
// release's float model.
var (
	photos      = []string{"cat.bmp", "bird.bmp", "grace_hopper.bmp", "dragonfly.bmp"}
	calibration = 12
	twins       = []twin{{0.5, 160}, {0.75, 128}, {1.0, 192}}
)

// twin is a synthetic float twin quantized with the default rewrites.
type twin struct {
	width float64
	res   int
}

// floatTolerance is the float contract: outputs within 1e-5 of TFLite's.
const floatTolerance = 1e-5

// file is one model and what our engine computed on the photos.
type file struct {
	name    string
	model   []byte
	dtype   string // our output dtype
	shape   []int  // our output shape
	inDType string // our input dtype
	inShape []int
	inputs  [][]byte
	outputs [][]byte
	// photos name the inputs' photos when they are not the photos list.
	photos []string
}

// photoNames names f's inputs.
func (f file) photoNames() []string {
	if f.photos != nil {
		return f.photos
	}
	return photos
}

// ours runs the engine (native Go, default fp32 requantization scheme)
// on the photos, keeping the exact input tensor it ran on (the model's
// dtype) and its raw output.
func ours(t *testing.T, name string, model []byte, imgs []image.Image) file {
	t.Helper()
	return oursWith(t, name, model, imgs, engine.Options{})
}

func oursWith(t *testing.T, name string, model []byte, imgs []image.Image, opts engine.Options) file {
	t.Helper()
	c, err := engine.Load([][]byte{model}, opts)
	require.NoError(t, err, "%s: our engine refuses it", name)
	info := c.Info()
	f := file{name: name, model: model, dtype: info.Output.DType, shape: info.Output.Shape, inDType: info.Input.DType, inShape: info.Input.Shape}
	for _, img := range imgs {
		_, err := c.Classify(img, 1)
		require.NoError(t, err, name)
		f.inputs = append(f.inputs, slices.Clone(c.Input()))
		f.outputs = append(f.outputs, slices.Clone(c.Output()))
	}
	return f
}

// distinct counts the different values in our outputs (all runs): how
// much there was to disagree on.
func distinct(dtype string, outputs [][]byte) int {
	size := 1
	if dtype == "float32" {
		size = 4
	}
	seen := map[string]bool{}
	for _, o := range outputs {
		for i := 0; i+size <= len(o); i += size {
			seen[string(o[i:i+size])] = true
		}
	}
	return len(seen)
}

// logits cuts a model before its SOFTMAX: the output becomes the softmax's
// input (1001 quantized logits, many more distinct values to disagree on
// than the softmax's mostly-zero bytes). Op versions and the
// min_runtime_version metadata are kept.
func logits(t *testing.T, name string, model []byte) []byte {
	t.Helper()
	g, err := tflitewrite.FromBytes(model)
	require.NoError(t, err, name)
	i := slices.IndexFunc(g.Operators, func(o tflitewrite.Operator) bool { return o.Op == loader.OpSoftmax })
	require.GreaterOrEqual(t, i, 0, "%s has no SOFTMAX", name)
	g.Outputs = []int{g.Operators[i].Inputs[0]}
	g.Operators = g.Operators[:i]
	b, err := tflitewrite.Write(g)
	require.NoError(t, err, name)
	return b
}

func decode(t *testing.T, paths []string) []image.Image {
	t.Helper()
	var imgs []image.Image
	for _, p := range paths {
		img, _, err := imagefile.DecodeFile(p)
		require.NoError(t, err, p)
		imgs = append(imgs, img)
	}
	return imgs
}

// imagenet lists the first n photos of images/imagenet.
func imagenet(t *testing.T, n int) []string {
	t.Helper()
	dir := testdata.Path(t, "images", "imagenet")
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var ps []string
	for _, e := range ents {
		if ext := strings.ToLower(filepath.Ext(e.Name())); ext == ".jpeg" || ext == ".jpg" || ext == ".bmp" || ext == ".png" {
			ps = append(ps, filepath.Join(dir, e.Name()))
		}
	}
	require.GreaterOrEqual(t, len(ps), n, "images/imagenet holds too few photos")
	return ps[:n]
}

// quantized quantizes a float model to each format and IO variant.
func quantized(t *testing.T, name string, float []byte, calib []image.Image, variants []quantize.Options) map[string][]byte {
	t.Helper()
	c, err := quantize.NewCalibrator(float)
	require.NoError(t, err, name)
	for _, img := range calib {
		require.NoError(t, c.AddImage(img), name)
	}
	out := map[string][]byte{}
	for _, o := range variants {
		q, err := c.Quantize(o)
		require.NoError(t, err, "%s: quantize %v", name, o)
		out[variantName(name, o)] = q
	}
	return out
}

func variantName(name string, o quantize.Options) string {
	s := fmt.Sprintf("%s→%v", name, o.Format)
	io := func(x quantize.IOType) string {
		return [...]string{"default", "uint8", "int8", "float32"}[x]
	}
	if o.Input != quantize.IODefault || o.Output != quantize.IODefault {
		s += fmt.Sprintf(" (in %s, out %s)", io(o.Input), io(o.Output))
	}
	return s
}

// agreement is how LiteRT.js's outputs compare with ours on one file.
type agreement struct {
	identical, runs int
	bytesEqual      int
	bytes           int
	maxDiff         float64
}

// TestReferee runs, in one Chromium session, the release's models, files
// our quantizer wrote and heads train.Export wrote (trained on a few
// sign-digits photos; see trainedExports) through LiteRT.js (Google's web
// runtime for .tflite, wasm CPU backend, XNNPACK) and compares every
// output tensor with our engine's on the same input bytes: quantized
// outputs byte for byte, float outputs within 1e-5. A file LiteRT.js refuses fails with its
// message. The summary table lists, per file, the runs that agree and the
// largest difference.
//
// MOBILENET_LITERT_SCRIPT=litert_wasm_compat_internal.js runs LiteRT.js's
// build without relaxed SIMD instead of the one it picks (Runner.Script).
func TestReferee(t *testing.T) {
	runner := litert.ForTest(t)
	runner.Script = os.Getenv("MOBILENET_LITERT_SCRIPT")
	dir := testdata.Dir(t)
	start := time.Now()
	var paths []string
	for _, p := range photos {
		paths = append(paths, filepath.Join(dir, "images", p))
	}
	imgs := decode(t, paths)

	// a. The release's own models.
	var files []file
	for _, name := range []string{"mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.25_224"} {
		b, err := os.ReadFile(filepath.Join(dir, "models", name+".tflite"))
		require.NoError(t, err, "shared test data lacks models/%s.tflite", name)
		files = append(files, ours(t, name, b, imgs))
	}

	// b. Our quantizer's files: the release's float model and synthetic
	// float twins, to uint8 and int8 (and the int8 file's IO variants on
	// the release's model).
	calib := decode(t, imagenet(t, calibration))
	formats := []quantize.Options{{Format: quantize.UInt8}, {Format: quantize.Int8}}
	release := "mobilenet_v1_0.25_224"
	fb, err := os.ReadFile(filepath.Join(dir, "models", release+".tflite"))
	require.NoError(t, err)
	qs := quantized(t, release, fb, calib, append(slices.Clone(formats),
		quantize.Options{Format: quantize.Int8, Input: quantize.IOUInt8, Output: quantize.IOUInt8},
		quantize.Options{Format: quantize.Int8, Input: quantize.IOFloat32, Output: quantize.IOFloat32},
		quantize.Options{Format: quantize.UInt8, Input: quantize.IOFloat32, Output: quantize.IOFloat32},
	))
	for _, tw := range twins {
		name := fmt.Sprintf("synth_%s_%d", models.WidthString(tw.width), tw.res)
		b, err := models.Synth(models.SynthOptions{Width: tw.width, Resolution: tw.res, Seed: 7})
		require.NoError(t, err, name)
		for k, v := range quantized(t, name, b, calib, formats) {
			qs[k] = v
		}
	}
	// Every other float twin of the catalog, converted without the graph
	// rewrites (they cost several passes a model and leave the graph's
	// layers as they are): each layer shape of the release then runs in
	// LiteRT.js in both formats.
	plain := quantize.Off
	for _, e := range models.Catalog {
		if e.Quantized || slices.ContainsFunc(twins, func(tw twin) bool {
			return tw.width == e.Width && tw.res == e.Resolution
		}) {
			continue
		}
		name := fmt.Sprintf("synth_%s_%d", models.WidthString(e.Width), e.Resolution)
		b, err := models.SynthEntry(e, 7)
		require.NoError(t, err, name)
		var opts []quantize.Options
		for _, f := range formats {
			f.Equalize, f.AbsorbBias, f.CorrectBias = plain, plain, plain
			opts = append(opts, f)
		}
		for k, v := range quantized(t, name, b, calib, opts) {
			qs[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(qs)) {
		files = append(files, ours(t, k, qs[k], imgs))
	}
	// The quantized files' logits, where there is more to disagree on.
	for _, f := range slices.Clone(files) {
		if f.dtype != "float32" && !strings.Contains(f.name, "(") {
			files = append(files, ours(t, f.name+" logits", logits(t, f.name, f.model), imgs))
		}
	}
	// c. Heads trained on sign-digits photos and exported by train.Export,
	// with their logits, on held-out photos of those classes.
	files = append(files, trainedExports(t, dir)...)
	t.Logf("our side: %d files, %d photos each (exports: %d sign-digits photos), in %.1f s", len(files), len(imgs), len(exportClasses)*exportHeld, time.Since(start).Seconds())

	// LiteRT.js, one session for every file.
	var cases []litert.Case
	for _, f := range files {
		c := litert.Case{Name: f.name, Model: f.model}
		for _, in := range f.inputs {
			c.Runs = append(c.Runs, [][]byte{in})
		}
		cases = append(cases, c)
	}
	// A file cut short: LiteRT.js must refuse it, and the harness must
	// say so rather than fail or hang.
	cut := litert.Case{Name: "truncated", Model: files[0].model[:len(files[0].model)/2], Runs: [][][]byte{{files[0].inputs[0]}}}
	cases = append(cases, cut)
	t0 := time.Now()
	rep, err := runner.Run(context.Background(), cases)
	require.NoError(t, err)
	require.Len(t, rep.Results, len(cases))
	t.Logf("LiteRT.js %s in Chromium %s, wasm %v, %d thread(s): %d files in %.1f s",
		rep.Version, rep.Browser, rep.WasmFiles, rep.Threads, len(files), time.Since(t0).Seconds())
	assert.Equal(t, 1, rep.Threads, "LiteRT.js's thread count: want the single-threaded build")

	t.Run("refusal-reported", func(t *testing.T) {
		r := rep.Results[len(files)]
		assert.NotEmpty(t, r.Err, "LiteRT.js ran a model cut in half")
		assert.Empty(t, r.Outputs, "outputs of a refused model")
		t.Logf("a model cut in half: %q", r.Err)
	})
	// The control: our reference scheme (TFLite's reference kernels'
	// fixed-point arithmetic) is known to differ from XNNPACK by a few
	// steps; a referee that saw no difference would be blind.
	t.Run("control-reference-scheme", func(t *testing.T) {
		f, r := files[0], rep.Results[0]
		require.True(t, f.dtype == "uint8" && r.Err == "" && len(r.Outputs) == len(f.outputs), "the first file is the release's quantized model, run by LiteRT.js")
		ref := oursWith(t, f.name, f.model, imgs, engine.Options{Scheme: kernels.SchemeReference})
		var equal, total int
		var maxDiff float64
		for k, want := range ref.outputs {
			eq, d := litert.Diff("uint8", want, r.Outputs[k][0].Data)
			equal, total, maxDiff = equal+eq, total+len(want), max(maxDiff, d)
		}
		assert.Less(t, equal, total, "our reference scheme equals LiteRT.js byte for byte: is the referee comparing anything?")
		t.Logf("control: %s with -requant reference: %d/%d bytes equal to LiteRT.js's, max diff %g", f.name, equal, total, maxDiff)
	})

	var table []string
	for i, f := range files {
		res := rep.Results[i]
		a := agreement{runs: len(f.outputs)}
		t.Run(f.name, func(t *testing.T) {
			require.Empty(t, res.Err, "LiteRT.js refuses %s: %s\nconsole:\n%s", f.name, res.Err, strings.Join(res.Logs, "\n"))
			require.Len(t, res.Inputs, 1, "LiteRT.js's input tensors")
			assert.Equal(t, f.inDType, res.Inputs[0].DType, "input dtype")
			assert.Equal(t, f.inShape, res.Inputs[0].Shape, "input shape")
			require.Len(t, res.Outputs, len(f.outputs), "LiteRT.js runs")
			for k, want := range f.outputs {
				require.Len(t, res.Outputs[k], 1, "LiteRT.js output tensors, run %d", k)
				got := res.Outputs[k][0]
				require.Equal(t, f.dtype, got.DType, "output dtype")
				require.Equal(t, f.shape, got.Shape, "output shape")
				require.Len(t, got.Data, len(want), "output bytes")
				eq, d := litert.Diff(f.dtype, want, got.Data)
				a.bytesEqual += eq
				a.bytes += len(want)
				a.maxDiff = max(a.maxDiff, d)
				if eq == len(want) {
					a.identical++
				}
				if f.dtype == "float32" {
					assert.LessOrEqual(t, d, floatTolerance, "%s, %s: max abs diff with LiteRT.js", f.name, f.photoNames()[k])
				} else {
					assert.Equal(t, len(want), eq, "%s, %s: bytes equal to LiteRT.js's (max diff %g)", f.name, f.photoNames()[k], d)
				}
			}
		})
		row := fmt.Sprintf("| %s | %s | ", f.name, f.dtype)
		switch {
		case res.Err != "":
			row += "refused: " + res.Err + " | |"
		case f.dtype == "float32":
			row += fmt.Sprintf("%d/%d bit-identical | max abs diff %.3g |", a.identical, a.runs, a.maxDiff)
		default:
			row += fmt.Sprintf("%d/%d byte-identical (%d/%d bytes) | max diff %g |", a.identical, a.runs, a.bytesEqual, a.bytes, a.maxDiff)
		}
		table = append(table, row+fmt.Sprintf(" %d | %.0f ms |", distinct(f.dtype, f.outputs), res.Duration.Seconds()*1000))
	}
	t.Logf("ours (native, fp32 scheme) vs LiteRT.js, on %s (exports: %d held-out sign-digits photos):\n| file | output | runs | max diff | distinct output values | LiteRT.js load+runs |\n| --- | --- | --- | --- | --- | --- |\n%s",
		strings.Join(photos, ", "), len(exportClasses)*exportHeld, strings.Join(table, "\n"))
	t.Logf("total %.1f s", time.Since(start).Seconds())
}
