package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
)

// digitClasses names class folders as sign-digits does.
var digitClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

func TestTrainCLI(t *testing.T) {
	model := testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")
	data := testdata.SignDigitsFolder(t, digitClasses[:3], 0, 10)
	out := filepath.Join(t.TempDir(), "digits.tflite")
	status, stdout, stderr := cli("train", "-m", model, "-dir", data, "-o", out, "-quant", "-augment", "-epochs", "40", "-j", "2")
	require.Equal(t, 0, status, "stderr: %s", stderr)
	assert.Contains(t, stderr, "] 126/126") // 24 training photos x (1 + 4 copies) + 6 validation photos
	assert.Contains(t, stderr, "epoch   1 float loss")
	assert.Contains(t, stderr, " qat ")
	assert.Contains(t, stdout, "3 classes, 24 training images (120 vectors), 6 validation images")
	assert.Contains(t, stdout, "trained a uint8 head")
	assert.Contains(t, stdout, "true\\pred")
	assert.Contains(t, stdout, "exported model: same top-1 as the trained head on 6/6 validation images")
	c, err := engine.LoadFiles([]string{out}, engine.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "1", "2"}, c.Labels())
	assert.Equal(t, "uint8", c.Info().Output.DType)

	// The model classifies with the classify command.
	status, stdout, stderr = cli("classify", "-m", out, filepath.Join(data, "1", mustFirst(t, filepath.Join(data, "1"))))
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "label")

	// Nearest neighbours: no model written.
	status, stdout, stderr = cli("train", "-m", model, "-dir", data, "-knn", "-k", "3")
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "nearest neighbour (cosine, k=3): validation accuracy")
}

func mustFirst(t *testing.T, dir string) string {
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	return files[0].Name()
}

// Same seed, same model bytes; the output is replaced atomically (no
// temporary file left).
func TestTrainCLIDeterministic(t *testing.T) {
	model := testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")
	data := testdata.SignDigitsFolder(t, digitClasses[:2], 0, 6)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.tflite"), filepath.Join(dir, "b.tflite")
	for _, out := range []string{a, b} {
		status, _, stderr := cli("train", "-m", model, "-dir", data, "-o", out, "-hidden", "8", "-epochs", "20", "-seed", "5")
		require.Equal(t, 0, status, stderr)
	}
	ab, err := os.ReadFile(a)
	require.NoError(t, err)
	bb, err := os.ReadFile(b)
	require.NoError(t, err)
	assert.Equal(t, ab, bb)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

func TestTrainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		contains string
	}{
		{[]string{"train", "-m", "m.tflite", "-o", "o.tflite"}, "-dir DATA"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d"}, "-o OUT.tflite"},
		{[]string{"train", "-dir", "d", "-o", "o.tflite"}, "-m MODEL"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-knn", "-o", "o.tflite"}, "drop -o"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-o", "o", "-val", "1"}, "-val 1"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-knn", "-val", "0"}, "-val must be above 0"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-knn", "-k", "0"}, "-k 0"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-o", "o", "-hidden", "-1"}, "-hidden -1"},
		{[]string{"train", "-m", "m.tflite", "-dir", "d", "-o", "o", "extra"}, `unexpected argument "extra"`},
		{[]string{"train", "-m", "a", "-m", "b", "-m", "c", "-dir", "d", "-o", "o"}, "3 models"},
	} {
		wantError(t, tc.args, 2, "train", tc.contains)
	}
	float := testdata.Path(t, "models", "mobilenet_v1_0.25_224.tflite")
	data := testdata.SignDigitsFolder(t, digitClasses[:2], 0, 2)
	wantError(t, []string{"train", "-m", float, "-dir", data, "-o", filepath.Join(t.TempDir(), "o.tflite"), "-quant"}, 2, "train", "-quant needs a quantized base")
}

func TestTrainDataErrors(t *testing.T) {
	model := testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")
	out := filepath.Join(t.TempDir(), "o.tflite")
	args := func(dir string) []string {
		return []string{"train", "-m", model, "-dir", dir, "-o", out, "-epochs", "2"}
	}

	one := testdata.SignDigitsFolder(t, digitClasses[:1], 0, 3)
	wantError(t, args(one), 1, "train", `one class folder ("0")`, "at least two classes")

	empty := testdata.SignDigitsFolder(t, digitClasses[:2], 0, 3)
	require.NoError(t, os.Mkdir(filepath.Join(empty, "7"), 0o755))
	wantError(t, args(empty), 1, "train", `class "7"`, "has no images")

	tiny := testdata.SignDigitsFolder(t, digitClasses[:2], 0, 3)
	writeTinyPNG(t, filepath.Join(tiny, "1", "tiny.png"))
	wantError(t, args(tiny), 1, "train", "tiny.png: image too small: 1x1 pixels")

	broken := testdata.SignDigitsFolder(t, digitClasses[:2], 0, 3)
	require.NoError(t, os.WriteFile(filepath.Join(broken, "0", "broken.jpg"), []byte("not a jpeg"), 0o644))
	wantError(t, args(broken), 1, "train", "broken.jpg")

	wantError(t, args(filepath.Join(t.TempDir(), "missing")), 1, "train", "data folder")
	_, err := os.Stat(out)
	assert.True(t, os.IsNotExist(err), "no output after an error")
}

func writeTinyPNG(t *testing.T, path string) {
	// A valid 1x1 RGBA PNG.
	const tinyPNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
	require.NoError(t, os.WriteFile(path, []byte(tinyPNG), 0o644))
}
