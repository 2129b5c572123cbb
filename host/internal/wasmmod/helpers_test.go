package wasmmod

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/host/internal/embedded"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/kernels"
)

// sharedModel is one model of ../shared/goldens and how much of the goldens
// the slow tests here run through it.
type sharedModel struct {
	testdata.GoldenModel
	// photos is how many of the 110 golden photos TestGoldens runs (0 =
	// all), and frames how many of TestClassifyFrames' 3 frames: under
	// wazero the portable kernels are 5-10x slower than native, and the
	// package should stay within a few minutes on two cores. The engine's
	// own tests cover every photo natively.
	photos, frames int
}

var sharedModels = []sharedModel{
	{testdata.Golden("mobilenet_v1_0.25_128_quant"), 0, 3},
	{testdata.Golden("mobilenet_v1_0.5_160_quant"), 30, 3},
	{testdata.Golden("mobilenet_v1_0.75_192_quant"), 15, 2},
	{testdata.Golden("mobilenet_v1_0.25_224"), 30, 3},
	{testdata.Golden("mobilenet_v1_1.0_224_quant"), 10, 1},
}

// small is the model for the tests that need many inferences.
var small = sharedModels[0]

var engineOnce = sync.OnceValues(embedded.Engine)

// engineWasm returns the embedded engine.wasm (build.sh's site/engine.wasm),
// failing the test when the test binary was built without it.
func engineWasm(tb testing.TB) []byte {
	tb.Helper()
	b, err := engineOnce()
	require.NoError(tb, err)
	return b
}

// openModule instantiates a fresh module, closed when the test ends.
func openModule(tb testing.TB) *Module {
	tb.Helper()
	wasm := engineWasm(tb)
	m, err := Open(context.Background(), wasm)
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	return m
}

// openPortable instantiates a fresh module with stubbed "simd" imports (a
// host without SIMD: the portable kernels run), closed when the test ends.
func openPortable(tb testing.TB) *Module {
	tb.Helper()
	m, err := OpenPortable(context.Background(), engineWasm(tb))
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	return m
}

// loadWasm loads a shared model in mod.
func loadWasm(tb testing.TB, mod *Module, m sharedModel, opts Options) *Model {
	tb.Helper()
	md, err := mod.Load(m.Read(tb), opts)
	require.NoError(tb, err, "loading %s in wasm", m.Name)
	return md
}

// loadNative loads a shared model in-process.
func loadNative(tb testing.TB, m sharedModel, opts Options) *engine.Classifier {
	tb.Helper()
	eo := engine.Options{Scheme: kernels.SchemeFP32, Labels: opts.Labels}
	if opts.Reference {
		eo.Scheme = kernels.SchemeReference
	}
	c, err := engine.Load(m.Read(tb), eo)
	require.NoError(tb, err, "loading %s natively", m.Name)
	return c
}

// goldenPhotos lists the photos (file names without .rgb) that have a golden
// input tensor of side s: n of them spread evenly over the sorted list, or
// all when n is 0.
func goldenPhotos(tb testing.TB, s, n int) []string {
	tb.Helper()
	dir := testdata.Path(tb, "goldens", "tensors", strconv.Itoa(s))
	paths, err := filepath.Glob(filepath.Join(dir, "*.rgb"))
	require.NoError(tb, err)
	require.NotEmpty(tb, paths, "no golden tensors in %s", dir)
	sort.Strings(paths)
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p[:len(p)-len(".rgb")]))
	}
	if n <= 0 || n >= len(names) {
		return names
	}
	picked := make([]string, n)
	for i := range picked {
		picked[i] = names[i*len(names)/n]
	}
	return picked
}

// goldenInput is the raw input tensor of photo for model m: the golden RGB
// bytes, or for the float model float32(x/127.5-1) little-endian.
func goldenInput(tb testing.TB, m sharedModel, photo string) []byte {
	tb.Helper()
	rgb, err := os.ReadFile(testdata.Path(tb, "goldens", "tensors", strconv.Itoa(m.Size), photo+".rgb"))
	require.NoError(tb, err)
	require.Len(tb, rgb, m.Size*m.Size*3, "golden tensor %s", photo)
	if !m.Float {
		return rgb
	}
	raw := make([]byte, 4*len(rgb))
	for i, x := range rgb {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(float64(x)/127.5-1)))
	}
	return raw
}

// goldenOutput is the official runtime's output tensor for photo.
func goldenOutput(tb testing.TB, m sharedModel, photo string) []byte {
	tb.Helper()
	b, err := os.ReadFile(testdata.Path(tb, "goldens", m.Name, photo+".out"))
	require.NoError(tb, err)
	return b
}

// requireGolden requires got, m's output for photo, to be the golden output:
// byte for byte for a quantized model, each float within floatTolerance for
// a float one. It returns the largest float difference (0 when quantized),
// for the tests that report it.
func requireGolden(tb testing.TB, m sharedModel, photo string, got []byte) float64 {
	tb.Helper()
	golden := goldenOutput(tb, m, photo)
	require.Len(tb, got, len(golden), photo)
	if !m.Float {
		require.True(tb, bytes.Equal(got, golden), "%s: output differs from the golden", photo)
		return 0
	}
	var maxDiff float64
	for i := 0; i < len(golden); i += 4 {
		a := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
		b := math.Float32frombits(binary.LittleEndian.Uint32(golden[i:]))
		d := math.Abs(float64(a) - float64(b))
		require.LessOrEqual(tb, d, floatTolerance, "%s: float output %d too far from the golden", photo, i/4)
		maxDiff = max(maxDiff, d)
	}
	return maxDiff
}

// rgbaFrame is a photo as a browser frame: non-premultiplied RGBA whose rows
// are padded beyond 4*w with junk, and whose alpha is junk too (both must
// be ignored).
type rgbaFrame struct {
	name         string
	pix          []byte
	w, h, stride int
}

// photoFrames decodes shared photos (names under images/) into frames.
func photoFrames(tb testing.TB, names ...string) []rgbaFrame {
	tb.Helper()
	var out []rgbaFrame
	for _, name := range names {
		img, _, err := imagefile.DecodeFile(testdata.Path(tb, "images", name))
		require.NoError(tb, err)
		b := img.Bounds()
		nrgba := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(nrgba, nrgba.Bounds(), img, b.Min, draw.Src)
		w, h := b.Dx(), b.Dy()
		stride := 4*w + 36
		pix := make([]byte, stride*h)
		for y := 0; y < h; y++ {
			row := pix[y*stride : (y+1)*stride]
			copy(row, nrgba.Pix[y*nrgba.Stride:y*nrgba.Stride+4*w])
			for x := 0; x < w; x++ {
				row[4*x+3] = byte(x*13 + y*7)
			}
			for i := 4 * w; i < stride; i++ {
				row[i] = 0x5A
			}
		}
		out = append(out, rgbaFrame{name, pix, w, h, stride})
	}
	return out
}
