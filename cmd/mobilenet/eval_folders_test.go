package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// The exports these tests train name the sign-digits classes 0, 1 and 2
// by words, so that matching folder names to labels has case and spaces
// to ignore.
var digitWords = []string{"Fist", "One", "Two"}

// digitsExport trains (quickly: the tests are about the file) a uint8
// head on 8 photos of each digitWords class with 'mobilenet train' and
// returns the exported model's path.
func digitsExport(t *testing.T) string {
	t.Helper()
	model := testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")
	data := testdata.SignDigitsFolder(t, digitWords, 0, 8)
	out := filepath.Join(t.TempDir(), "digits.tflite")
	status, _, stderr := cli("train", "-m", model, "-dir", data, "-o", out, "-quant", "-val", "0", "-epochs", "20", "-j", "2")
	require.Equal(t, 0, status, "train: %s", stderr)
	return out
}

// classify on an export names its classes with the labels of its
// metadata.
func TestClassifyExportLabels(t *testing.T) {
	export := digitsExport(t)
	photos := testdata.SignDigitsFolder(t, []string{"x"}, 10, 1)
	photo := filepath.Join(photos, "x", mustFirst(t, filepath.Join(photos, "x")))

	status, stdout, stderr := cli("classify", "-m", export, photo)
	require.Equal(t, 0, status, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 5, "a title, a header and the 3 classes:\n%s", stdout)
	var labels []string
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		labels = append(labels, f[len(f)-1])
	}
	assert.ElementsMatch(t, digitWords, labels, "the labels of the table:\n%s", stdout)

	status, stdout, stderr = cli("classify", "-json", "-k", "1", "-m", export, photo)
	require.Equal(t, 0, status, stderr)
	var r classifyResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	require.Len(t, r.Top, 1)
	assert.Contains(t, digitWords, r.Top[0].Label)
	assert.Equal(t, digitWords[r.Top[0].Index], r.Top[0].Label)
}

// eval on a folder of class folders: names matched to the export's
// labels whatever their case and surrounding spaces; summary and
// per-class accuracy.
func TestEvalClassFolders(t *testing.T) {
	export := digitsExport(t)
	// Held-out photos (the export trained on the first 8 of each class).
	names := []string{"fist", "ONE", " two "}
	data := testdata.SignDigitsFolder(t, names, 8, 4)
	require.NoError(t, os.WriteFile(filepath.Join(data, "README.md"), []byte("not a class\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(data, ".cache"), 0o755))

	status, stdout, stderr := cli("eval", "-json", "-j", "2", "-m", export, "-dir", data)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stderr, "] 12/12 ", "progress on stderr")
	var s evalSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
	assert.Equal(t, 12, s.N)
	assert.Equal(t, 12, s.Top5Correct, "3 classes: every label is in the top 5")
	require.Len(t, s.Classes, 3)
	top1 := 0
	for _, c := range s.Classes {
		i := slices.Index(names, c.Class)
		require.GreaterOrEqual(t, i, 0, "class %q", c.Class)
		assert.Equal(t, []int{i}, c.Labels, "class %q: label index", c.Class)
		assert.Equal(t, 4, c.N, "class %q", c.Class)
		assert.InDelta(t, float64(c.Top1Correct)/4, c.Top1Acc, 1e-12)
		top1 += c.Top1Correct
	}
	assert.Equal(t, s.Top1Correct, top1, "the classes' top-1 add up")
	t.Logf("held-out top-1 %d/12", s.Top1Correct)

	// The table: the summary, then one row per class.
	status, stdout, stderr = cli("eval", "-j", "1", "-m", export, "-dir", data)
	require.Equal(t, 0, status, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 7, "summary (2 lines), a blank line, per-class (1 + 3 lines):\n%s", stdout)
	assert.Regexp(t, `^digits\s+12\s+\d+\s+12\s`, lines[1])
	assert.Regexp(t, `^class\s+label\s+n\s+top-1 correct`, lines[3])
	// Sorted by name: " two ", "ONE", "fist".
	assert.Regexp(t, `^ two \s+2\s+4\s+[0-4]\s+4\s`, lines[4])
	assert.Regexp(t, `^ONE\s+1\s+4\s`, lines[5])
	assert.Regexp(t, `^fist\s+0\s+4\s`, lines[6])
}

// An ImageNet class folder, matched against imagenet_labels.txt next to
// the release's model (it has no labels of its own).
func TestEvalClassFoldersImageNet(t *testing.T) {
	shared := testdata.Dir(t)
	data := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(data, "Egyptian cat"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(shared, "images", "cat.bmp"), filepath.Join(data, "Egyptian cat", "cat.bmp")))
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	status, stdout, stderr := cli("eval", "-json", "-m", model, "-dir", data)
	require.Equal(t, 0, status, stderr)
	var s evalSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
	require.Len(t, s.Classes, 1)
	assert.Equal(t, []int{286}, s.Classes[0].Labels)
	assert.Equal(t, 1, s.Top1Correct, "the README's cat is an Egyptian cat")
}

func TestEvalClassFolderErrors(t *testing.T) {
	export := digitsExport(t)
	// Folders the model has no label for.
	data := testdata.SignDigitsFolder(t, []string{"fist", "seven", "cat"}, 8, 1)
	wantError(t, []string{"eval", "-m", export, "-dir", data}, 1, "eval",
		`2 of 3 class folders match none of the model's 3 labels: "cat", "seven"`, `(the labels: "Fist", "One", "Two")`)

	// No labels.csv, no class folders.
	empty := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(empty, "a.jpg"), []byte("x"), 0o644))
	wantError(t, []string{"eval", "-m", export, "-dir", empty}, 1, "eval", "neither a labels.csv nor class folders")

	// A class folder without images.
	require.NoError(t, os.Mkdir(filepath.Join(data, "two"), 0o755))
	wantError(t, []string{"eval", "-m", export, "-dir", data}, 1, "eval", "class folder", "has no images")

	// A model without labels (a synthetic twin, nothing next to it).
	synth := filepath.Join(t.TempDir(), "synth.tflite")
	status, _, stderr := cli("models", "synth", "-w", "0.25", "-r", "128", "-quant", "-o", synth)
	require.Equal(t, 0, status, stderr)
	ok := testdata.SignDigitsFolder(t, digitWords[:1], 8, 1)
	wantError(t, []string{"eval", "-m", synth, "-dir", ok}, 1, "eval", "no labels to match", "-labels FILE")

	wantError(t, []string{"eval", "-m", export, "-dir", data, "-labels", "l.txt", "-labels-csv", "l.csv"}, 2, "eval", "give one")
}
