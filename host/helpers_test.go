package host

import (
	"context"
	"flag"
	"fmt"
	"image"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
)

// TestMain runs the package's tests and, when the test data is there (or
// MOBILENET_REQUIRE_TESTDATA=1 demands it), its Example, which classifies
// shared photos and cannot skip itself: without the data, and without an
// explicit -run, it runs only the tests (which skip with a message).
func TestMain(m *testing.M) {
	flag.Parse()
	if _, ok := testdata.Find(); !ok && os.Getenv("MOBILENET_REQUIRE_TESTDATA") != "1" && flag.Lookup("test.run").Value.String() == "" {
		fmt.Println("host: no test data (MOBILENET_TESTDATA): the Example does not run")
		flag.Set("test.run", "^Test")
	}
	os.Exit(m.Run())
}

// sharedModels are the models of ../shared/goldens, the five that the
// benchmarks time and the browser benchmark runs too.
var sharedModels = []string{
	"mobilenet_v1_0.25_128_quant",
	"mobilenet_v1_0.5_160_quant",
	"mobilenet_v1_0.75_192_quant",
	"mobilenet_v1_0.25_224",
	"mobilenet_v1_1.0_224_quant",
}

// modelBytes reads a shared model's files (an extractor and a head for
// 1.0_224_quant), skipping without test data.
func modelBytes(tb testing.TB, name string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, f := range testdata.Golden(name).Files {
		b, err := os.ReadFile(testdata.Path(tb, "models", f))
		require.NoError(tb, err)
		out = append(out, b)
	}
	return out
}

// newRuntime opens a Runtime, closed when the test ends.
func newRuntime(tb testing.TB, cfg Config) *Runtime {
	tb.Helper()
	r, err := New(context.Background(), cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, r.Close(context.Background())) })
	return r
}

// load loads a shared model in r, closed when the test ends.
func load(tb testing.TB, r *Runtime, name string, opts engine.Options) *Model {
	tb.Helper()
	md, err := r.Load(context.Background(), modelBytes(tb, name), opts)
	require.NoError(tb, err, name)
	tb.Cleanup(func() { md.Close() })
	return md
}

// loadNative loads a shared model in the native engine.
func loadNative(tb testing.TB, name string, opts engine.Options) *engine.Classifier {
	tb.Helper()
	c, err := engine.Load(modelBytes(tb, name), opts)
	require.NoError(tb, err, name)
	return c
}

// photo decodes a shared photo.
func photo(tb testing.TB, name string) image.Image {
	tb.Helper()
	img, _, err := imagefile.DecodeFile(testdata.Path(tb, "images", name))
	require.NoError(tb, err)
	return img
}

// imagenetLabels reads the shared imagenet_labels.txt.
func imagenetLabels(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(testdata.Path(tb, "models", "imagenet_labels.txt"))
	require.NoError(tb, err)
	return strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
}

// midGrey is a model's input tensor of a mid-grey image (byte 128 for
// uint8, zero for float32 and int8), the input every benchmark times.
func midGrey(info engine.Info) []byte {
	n := 1
	for _, d := range info.Input.Shape {
		n *= d
	}
	switch info.Input.DType {
	case "uint8":
		b := make([]byte, n)
		for i := range b {
			b[i] = 128
		}
		return b
	case "float32":
		return make([]byte, 4*n)
	}
	return make([]byte, n)
}
