package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
)

// quantizeFixture writes a float synthetic twin and a calibration folder
// of two photos (symlinks to the shared ones) into a temporary folder.
func quantizeFixture(t *testing.T) (dir, model, calib string) {
	t.Helper()
	dir = t.TempDir()
	b, err := models.Synth(models.SynthOptions{Width: 0.25, Resolution: 128, Seed: 5})
	require.NoError(t, err)
	model = filepath.Join(dir, "float.tflite")
	require.NoError(t, os.WriteFile(model, b, 0o644))
	calib = filepath.Join(dir, "calib")
	require.NoError(t, os.Mkdir(calib, 0o755))
	for _, name := range []string{"cat.bmp", "bird.bmp"} {
		require.NoError(t, os.Symlink(testdata.Path(t, "images", name), filepath.Join(calib, name)))
	}
	require.NoError(t, os.WriteFile(filepath.Join(calib, "notes.csv"), []byte("not an image, skipped by extension\n"), 0o644))
	return dir, model, calib
}

func TestQuantizeCommand(t *testing.T) {
	dir, model, calib := quantizeFixture(t)
	out := filepath.Join(dir, "q.tflite")
	args := []string{"quantize", "-m", model, "-calib", calib, "-o", out, "-format", "int8", "-input-type", "uint8", "-output-type", "float32", "-method", "mse"}
	status, stdout, stderr := cli(args...)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "int8, mse calibration on 2 of 2 images")
	assert.Contains(t, stderr, "2/2", "the progress bar")
	first, err := os.ReadFile(out)
	require.NoError(t, err)
	m, err := loader.Parse(first)
	require.NoError(t, err)
	assert.Equal(t, loader.UInt8, m.Input(0).Type)
	assert.Equal(t, loader.Float32, m.Output(0).Type)

	// The same inputs give the same bytes; nothing else is left behind.
	status, _, stderr = cli(args...)
	require.Equal(t, 0, status, stderr)
	again, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, first, again)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"float.tflite", "calib", "q.tflite"}, names)

	// The written model runs in the other commands.
	status, stdout, stderr = cli("info", out)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "MACs       13.6 M")
	status, _, stderr = cli("classify", "-m", out, filepath.Join(calib, "cat.bmp"))
	require.Equal(t, 0, status, stderr)

	// -calib-n picks evenly spread images.
	status, stdout, stderr = cli("quantize", "-m", model, "-calib", calib, "-o", out, "-calib-n", "1")
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "uint8, percentile calibration on 1 of 2 images")
}

func TestQuantizeUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		contains string
	}{
		{[]string{"quantize", "-calib", "c", "-o", "o"}, "-m FLOAT.tflite"},
		{[]string{"quantize", "-m", "m", "-o", "o"}, "-calib DIR"},
		{[]string{"quantize", "-m", "m", "-calib", "c"}, "-o OUT.tflite"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "-format", "int4"}, "uint8 or int8"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "-method", "kl"}, "minmax, percentile or mse"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "-calib-n", "0"}, "-calib-n 0"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "-percentile", "20"}, "-percentile 20"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "-input-type", "int16"}, "-input-type"},
		{[]string{"quantize", "-m", "m", "-calib", "c", "-o", "o", "extra"}, `unexpected argument "extra"`},
	} {
		wantError(t, tc.args, 2, "quantize", tc.contains)
	}
}

func TestQuantizeErrors(t *testing.T) {
	dir, model, calib := quantizeFixture(t)
	out := filepath.Join(dir, "out", "q.tflite")
	noOutput := func(t *testing.T) {
		t.Helper()
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.False(t, strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "q"), "left behind: %s", e.Name())
		}
	}

	wantError(t, []string{"quantize", "-m", model, "-calib", calib, "-o", out}, 1, "quantize", "output folder", filepath.Join(dir, "out"), "does not exist")
	out = filepath.Join(dir, "q.tflite")

	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(empty, 0o755))
	wantError(t, []string{"quantize", "-m", model, "-calib", empty, "-o", out}, 1, "quantize", "has no images")
	wantError(t, []string{"quantize", "-m", model, "-calib", filepath.Join(dir, "nothere"), "-o", out}, 1, "quantize", "calibration folder")

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.Mkdir(bad, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "photo.jpg"), []byte("JFIF? no."), 0o644))
	wantError(t, []string{"quantize", "-m", model, "-calib", bad, "-o", out}, 1, "quantize", "photo.jpg", "not a supported image")
	noOutput(t)

	quant, err := models.Synth(models.SynthOptions{Width: 0.25, Resolution: 128, Quantized: true})
	require.NoError(t, err)
	qpath := filepath.Join(dir, "already_quant.tflite")
	require.NoError(t, os.WriteFile(qpath, quant, 0o644))
	wantError(t, []string{"quantize", "-m", qpath, "-calib", calib, "-o", out}, 1, "quantize", "already quantized")

	float, err := os.ReadFile(model)
	require.NoError(t, err)
	logistic := filepath.Join(dir, "logistic.tflite")
	require.NoError(t, os.WriteFile(logistic, withFirstOpCode(t, float, 14), 0o644)) // CONV_2D -> LOGISTIC
	wantError(t, []string{"quantize", "-m", logistic, "-calib", calib, "-o", out}, 1, "quantize", "LOGISTIC")

	wantError(t, []string{"quantize", "-m", filepath.Join(dir, "missing.tflite"), "-calib", calib, "-o", out}, 1, "quantize", "missing.tflite")
	noOutput(t)
}
