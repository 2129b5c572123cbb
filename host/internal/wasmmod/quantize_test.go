package wasmmod

import (
	"bytes"
	"encoding/json"
	"image"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/quantize"
	"mobilenet-wasm/wasm/abi"
)

// quantPhotos are the calibration photos of the quantization tests: five
// of images/imagenet (JPEGs, decoded in Go and passed as RGBA frames).
var quantPhotos = []string{
	"imagenet/n01440764_tench.JPEG",
	"imagenet/n01530575_brambling.JPEG",
	"imagenet/n01641577_bullfrog.JPEG",
	"imagenet/n01698640_American_alligator.JPEG",
	"imagenet/n01795545_black_grouse.JPEG",
}

// floatModel reads the shared float model, mobilenet_v1_0.25_224.
func floatModel(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(testdata.Path(tb, "models", "mobilenet_v1_0.25_224.tflite"))
	require.NoError(tb, err)
	return b
}

// TestQuantizeMatchesNative quantizes mobilenet_v1_0.25_224 inside the
// module (mn_quant_*) and natively (package quantize) from the same
// frames and options: the .tflite bytes must be identical, for the
// defaults (uint8) and for int8 with labels and float32 IO.
func TestQuantizeMatchesNative(t *testing.T) {
	t.Parallel()
	model := floatModel(t)
	frames := photoFrames(t, quantPhotos...)
	labels := testdata.ImagenetLabels(t)

	// Native: the frames as images (NRGBA views: alpha and row padding
	// are junk, ignored as in the module), and the decoded files as they
	// are (JPEG YCbCr), which must give the same pixels.
	native, err := quantize.NewCalibrator(model)
	require.NoError(t, err)
	decoded, err := quantize.NewCalibrator(model)
	require.NoError(t, err)
	for i, f := range frames {
		require.NoError(t, native.AddImage(&image.NRGBA{Pix: f.pix, Stride: f.stride, Rect: image.Rect(0, 0, f.w, f.h)}))
		img, _, err := imagefile.DecodeFile(testdata.Path(t, "images", quantPhotos[i]))
		require.NoError(t, err)
		require.NoError(t, decoded.AddImage(img))
	}

	mod := openModule(t)
	cal, err := mod.NewCalibrator(model)
	require.NoError(t, err)
	for _, f := range frames {
		require.NoError(t, cal.AddFrame(f.pix, f.w, f.h, f.stride), f.name)
	}
	n, err := cal.Samples()
	require.NoError(t, err)
	require.Equal(t, len(frames), n, "mn_quant_samples")

	labelsJSON, err := json.Marshal(labels)
	require.NoError(t, err)
	cases := []struct {
		name string
		json string
		opts quantize.Options
	}{
		{"defaults", "", quantize.Options{}},
		{"int8", `{"format":"int8","method":"minmax","input_type":"float32","output_type":"float32","labels":` + string(labelsJSON) + `}`,
			quantize.Options{Format: quantize.Int8, Method: quantize.MinMax, Input: quantize.IOFloat32, Output: quantize.IOFloat32, Labels: labels}},
	}
	for _, c := range cases {
		start := time.Now()
		got, err := cal.Quantize(c.json)
		require.NoError(t, err, c.name)
		wasmTime := time.Since(start)
		start = time.Now()
		want, err := native.Quantize(c.opts)
		require.NoError(t, err, c.name)
		nativeTime := time.Since(start)
		require.True(t, bytes.Equal(want, got), "%s: the module's .tflite (%d bytes) differs from the native package's (%d bytes)", c.name, len(got), len(want))
		fromFiles, err := decoded.Quantize(c.opts)
		require.NoError(t, err, c.name)
		assert.True(t, bytes.Equal(want, fromFiles), "%s: quantized from the decoded JPEGs differs from the RGBA frames", c.name)
		t.Logf("%s: %d bytes, identical; wasm %.1f s, native %.1f s", c.name, len(got), wasmTime.Seconds(), nativeTime.Seconds())
	}

	// The quantized file runs in the module.
	q, err := cal.Quantize("")
	require.NoError(t, err)
	md, err := mod.Load([][]byte{q}, Options{})
	require.NoError(t, err)
	preds, err := md.Classify(frames[0].pix, frames[0].w, frames[0].h, frames[0].stride, 1)
	require.NoError(t, err)
	require.Len(t, preds, 1)
	require.NoError(t, md.Close())
	require.NoError(t, cal.Close())
}

// TestQuantizeErrors feeds the mn_quant_* exports bad models, handles,
// frames and options: each must be refused with the right status and a
// message, never trap, and the module must keep working.
func TestQuantizeErrors(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	model := floatModel(t)
	quantModel := small.Read(t)[0]

	// Models: already quantized, garbage, truncated, empty.
	_, err := mod.NewCalibrator(quantModel)
	requireGuestError(t, err, 0, "a quantized model")
	assert.Contains(t, err.Error(), "already quantized")
	_, err = mod.NewCalibrator([]byte("not a tflite model at all"))
	requireGuestError(t, err, 0, "garbage")
	_, err = mod.NewCalibrator(model[:len(model)/3])
	requireGuestError(t, err, 0, "a truncated model")
	h, err := mod.call("mn_quant_new", 0, 0)
	require.NoError(t, err)
	assert.Zero(t, int32(h), "mn_quant_new with no model")
	h, err = mod.call("mn_quant_new", 0x7fff0000, 100)
	require.NoError(t, err)
	assert.Zero(t, int32(h), "mn_quant_new outside the blocks")

	cal, err := mod.NewCalibrator(model)
	require.NoError(t, err)
	f := photoFrames(t, "owl.jpg")[0]

	// Options and an empty calibrator.
	_, err = cal.Quantize("")
	requireGuestError(t, err, abi.StatusInput, "no frames")
	assert.Contains(t, err.Error(), "no calibration images")
	require.NoError(t, cal.AddFrame(f.pix, f.w, f.h, f.stride))
	for _, bad := range []string{`{`, `[]`, `{"format":"uint4"}`, `{"method":"best"}`, `{"percentile":20}`, `{"frmat":"int8"}`,
		`{"input_type":"float16"}`, `{"equalize":"maybe"}`, `{"relu6":"clip"}`, `{} {}`} {
		_, err := cal.Quantize(bad)
		requireGuestError(t, err, abi.StatusArgument, "options "+bad)
	}

	// Frames: bad dimensions, too few bytes, a stride shorter than a row.
	requireGuestError(t, cal.AddFrame(f.pix, 0, f.h, f.stride), abi.StatusArgument, "width 0")
	requireGuestError(t, cal.AddFrame(f.pix, f.w, -3, f.stride), abi.StatusArgument, "height -3")
	requireGuestError(t, cal.AddFrame(f.pix[:len(f.pix)/2], f.w, f.h, f.stride), abi.StatusInput, "half a frame")
	requireGuestError(t, cal.AddFrame(f.pix, f.w, f.h, 4*f.w-4), abi.StatusInput, "stride < 4 x width")
	requireGuestError(t, cal.AddFrame(f.pix, 1<<30, 1<<30, 1<<30), abi.StatusInput, "a huge frame")
	r, err := mod.call("mn_quant_add_frame", uint64(cal.Handle()), 0x7fff0000, 4096, 32, 32, 128)
	require.NoError(t, err)
	assert.Equal(t, abi.StatusArgument, int32(r), "a frame outside the blocks")
	n, err := cal.Samples()
	require.NoError(t, err)
	assert.Equal(t, 1, n, "frames counted after the refused ones")

	// Handles: unknown, freed, negative.
	require.NoError(t, cal.Close())
	requireGuestError(t, cal.Close(), abi.StatusArgument, "double mn_quant_free")
	requireGuestError(t, cal.AddFrame(f.pix, f.w, f.h, f.stride), abi.StatusArgument, "a freed handle")
	_, err = cal.Quantize("")
	requireGuestError(t, err, abi.StatusArgument, "run on a freed handle")
	_, err = cal.Samples()
	requireGuestError(t, err, abi.StatusArgument, "samples of a freed handle")
	for _, bad := range []int32{0, -1, 1 << 30} {
		c := &Calibrator{m: mod, handle: bad}
		_, err := c.Quantize("")
		requireGuestError(t, err, abi.StatusArgument, "handle")
	}
	// Model handles and calibrator handles are separate.
	md := loadWasm(t, mod, small, Options{})
	c := &Calibrator{m: mod, handle: md.Handle() + 1000}
	requireGuestError(t, c.Close(), abi.StatusArgument, "a model handle as a calibrator")
	require.NoError(t, md.Close())

	// The error is cleared by a success.
	cal2, err := mod.NewCalibrator(model)
	require.NoError(t, err)
	msg, err := mod.read("mn_error_ptr", "mn_error_len")
	require.NoError(t, err)
	assert.Empty(t, msg, "the error after a success")
	assert.Greater(t, cal2.Handle(), int32(1), "handles are not reused")
	require.NoError(t, cal2.Close())
	assert.False(t, strings.Contains(mod.stderr.String(), "panic"), "guest stderr: %s", mod.stderr.String())
	requireWorks(t, mod)
}
