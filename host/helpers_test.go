package host

import (
	"context"
	"flag"
	"fmt"
	"image"
	"os"
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
	md, err := r.Load(context.Background(), testdata.Golden(name).Read(tb), opts)
	require.NoError(tb, err, name)
	tb.Cleanup(func() { md.Close() })
	return md
}

// loadNative loads a shared model in the native engine.
func loadNative(tb testing.TB, name string, opts engine.Options) *engine.Classifier {
	tb.Helper()
	c, err := engine.Load(testdata.Golden(name).Read(tb), opts)
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
