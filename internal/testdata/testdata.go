// Package testdata finds the shared test data folder (models, photos and the
// official runtime's goldens) that tests read but the project never commits,
// and holds the few helpers tests share to read and compare what it gives.
//
// The folder is $MOBILENET_TESTDATA, or ../shared next to the module root.
// When it is absent, tests skip with a clear message, unless
// MOBILENET_REQUIRE_TESTDATA=1 (CI), where they fail instead.
package testdata

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dir returns the shared test data folder, or skips (fails when required)
// the test when it cannot be found.
func Dir(tb testing.TB) string {
	tb.Helper()
	dir, ok := Find()
	if !ok {
		msg := "shared test data not found: set MOBILENET_TESTDATA to the folder holding models/, images/ and goldens/ (default ../shared next to the module root)"
		if os.Getenv("MOBILENET_REQUIRE_TESTDATA") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return dir
}

// Path joins elem under the shared test data folder (see Dir).
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{Dir(tb)}, elem...)...)
}

// ImagenetLabels reads the shared models/imagenet_labels.txt: the 1001
// labels of the release's classifiers, "background" first.
func ImagenetLabels(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, "models", "imagenet_labels.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
}

// SameBits reports whether a and b hold bitwise equal values: how outputs
// that must be identical across runtimes are compared (== would call -0 and
// +0 equal, and NaN unequal to itself).
func SameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// Find locates the shared test data folder without a testing.TB.
func Find() (string, bool) {
	if d := os.Getenv("MOBILENET_TESTDATA"); d != "" {
		return d, isDir(filepath.Join(d, "models"))
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", false
	}
	s := filepath.Join(filepath.Dir(root), "shared")
	return s, isDir(filepath.Join(s, "models"))
}

// ModuleRoot returns the folder holding go.mod, found by walking up from the
// working directory: go test runs in the package's folder, and what the
// tests read (../shared, build.sh's site/, the scripts next to them) is
// placed relative to the module root.
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// GoldenModel is a model (or an extractor + head chain) that the shared
// goldens cover: goldens/<Name>/ holds the official runtime's outputs and
// goldens/<Name>.csv its top-1 per photo.
type GoldenModel struct {
	Name  string   // goldens folder name
	Files []string // under models/, in chain order
	Size  int      // input side
	Float bool
}

// Read returns the bytes of m's files, in chain order (skipping the test
// without the shared data, failing it when a file is unreadable).
func (m GoldenModel) Read(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, f := range m.Files {
		b, err := os.ReadFile(Path(tb, "models", f))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// GoldenModels are the models the goldens cover, one list for every
// package's tests that compare with them.
var GoldenModels = []GoldenModel{
	{"mobilenet_v1_0.25_128_quant", []string{"mobilenet_v1_0.25_128_quant.tflite"}, 128, false},
	{"mobilenet_v1_0.5_160_quant", []string{"mobilenet_v1_0.5_160_quant.tflite"}, 160, false},
	{"mobilenet_v1_0.75_192_quant", []string{"mobilenet_v1_0.75_192_quant.tflite"}, 192, false},
	{"mobilenet_v1_0.25_224", []string{"mobilenet_v1_0.25_224.tflite"}, 224, true},
	{"mobilenet_v1_1.0_224_quant", []string{"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", "mobilenet_quant_v1_224_head_layers.tflite"}, 224, false},
}

// Golden returns the GoldenModel called name; it panics when there is none,
// as only a test's own table can name one.
func Golden(name string) GoldenModel {
	for _, m := range GoldenModels {
		if m.Name == name {
			return m
		}
	}
	panic("testdata: no golden model " + name)
}
