package engine

import (
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"math"
	"mobilenet-wasm/engine/imagefile"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine/preprocess"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/kernels"
)

// sharedModel is one model of ../shared/goldens and the files that make it.
type sharedModel = testdata.GoldenModel

var sharedModels = testdata.GoldenModels

func loadShared(tb testing.TB, m sharedModel, scheme kernels.Scheme) *Classifier {
	tb.Helper()
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, testdata.Path(tb, "models", f))
	}
	c, err := LoadFiles(paths, Options{Scheme: scheme})
	require.NoError(tb, err)
	return c
}

// goldenInputs lists the photos that have a golden input tensor of size s.
func goldenInputs(tb testing.TB, s int) []string {
	dir := testdata.Path(tb, "goldens", "tensors", strconv.Itoa(s))
	names, err := filepath.Glob(filepath.Join(dir, "*.rgb"))
	require.NoError(tb, err)
	require.NotEmpty(tb, names, "no golden tensors in %s", dir)
	sort.Strings(names)
	return names
}

// rawInput turns golden RGB bytes into the model's raw input tensor.
func rawInput(tb testing.TB, rgb []byte, float bool) []byte {
	if !float {
		return rgb
	}
	f := make([]float32, len(rgb))
	require.NoError(tb, preprocess.ToFloat32(f, rgb))
	b := make([]byte, 4*len(f))
	for i, v := range f {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// agreement summarises how far outputs are from the goldens.
type agreement struct {
	photos, identicalPhotos int
	bytes, equalBytes       int
	maxDiff                 float64
}

func (a agreement) String() string {
	return fmt.Sprintf("%d/%d photos identical, %.4f%% of values equal, max difference %g",
		a.identicalPhotos, a.photos, 100*float64(a.equalBytes)/float64(max(a.bytes, 1)), a.maxDiff)
}

func compareGoldens(t *testing.T, m sharedModel, scheme kernels.Scheme) agreement {
	c := loadShared(t, m, scheme)
	var a agreement
	for _, in := range goldenInputs(t, m.Size) {
		rgb, err := os.ReadFile(in)
		require.NoError(t, err)
		got, err := c.Infer(rawInput(t, rgb, m.Float))
		require.NoError(t, err)
		want, err := os.ReadFile(testdata.Path(t, "goldens", m.Name, strings.TrimSuffix(filepath.Base(in), ".rgb")+".out"))
		require.NoError(t, err)
		require.Len(t, got, len(want))
		a.photos++
		same := true
		if m.Float {
			for i := 0; i < len(got); i += 4 {
				g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
				w := math.Float32frombits(binary.LittleEndian.Uint32(want[i:]))
				d := math.Abs(float64(g) - float64(w))
				a.bytes++
				if d == 0 {
					a.equalBytes++
				} else {
					same = false
				}
				a.maxDiff = math.Max(a.maxDiff, d)
			}
		} else {
			for i := range got {
				d := math.Abs(float64(got[i]) - float64(want[i]))
				a.bytes++
				if d == 0 {
					a.equalBytes++
				} else {
					same = false
				}
				a.maxDiff = math.Max(a.maxDiff, d)
			}
		}
		if same {
			a.identicalPhotos++
		}
	}
	return a
}

// TestGoldensFP32 runs every golden input through every shared model in the
// default fp32 scheme: quantized outputs must equal the official runtime's
// byte for byte, float outputs within 1e-5.
func TestGoldensFP32(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			a := compareGoldens(t, m, kernels.SchemeFP32)
			t.Logf("fp32 vs goldens: %v", a)
			if m.Float {
				require.LessOrEqual(t, a.maxDiff, 1e-5)
			} else {
				require.Equal(t, a.photos, a.identicalPhotos, "every photo byte-identical")
			}
		})
	}
}

// TestGoldensReference measures how far TFLite's reference (fixed-point)
// arithmetic lands from the goldens, which XNNPACK's fp32 requantization
// made: close, but not identical.
func TestGoldensReference(t *testing.T) {
	for _, m := range sharedModels {
		if m.Float {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			a := compareGoldens(t, m, kernels.SchemeReference)
			t.Logf("reference vs goldens: %v", a)
			require.GreaterOrEqual(t, float64(a.equalBytes)/float64(a.bytes), 0.9)
		})
	}
}

// readGoldenCSV reads goldens/<model>.csv: image -> top-1 index.
func readGoldenCSV(tb testing.TB, model string) map[string]int {
	f, err := os.Open(testdata.Path(tb, "goldens", model+".csv"))
	require.NoError(tb, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(tb, err)
	top1 := map[string]int{}
	for _, r := range rows[1:] {
		v, err := strconv.Atoi(r[1])
		require.NoError(tb, err)
		top1[r[0]] = v
	}
	return top1
}

// TestClassifyTop1 decodes the shared photos outside images/imagenet and
// checks Classify's top-1 against the goldens (cmd/mobilenet's tests run
// every photo through classify, and eval all of images/imagenet).
func TestClassifyTop1(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			c := loadShared(t, m, kernels.SchemeFP32)
			want := readGoldenCSV(t, m.Name)
			checked := 0
			for img, top1 := range want {
				path := testdata.Path(t, "images", img)
				if _, err := os.Stat(path); err != nil {
					continue // an ImageNet photo
				}
				im, _, err := imagefile.DecodeFile(path)
				require.NoError(t, err)
				preds, err := c.Classify(im, 5)
				require.NoError(t, err)
				require.Len(t, preds, 5)
				require.Equal(t, top1, preds[0].Index, "%s: top-1", img)
				checked++
			}
			t.Logf("%d photos: top-1 equals the goldens on all", checked)
		})
	}
}

// TestRunAllocatesNothing: an inference allocates nothing, nor does the
// per-frame path of a webcam loop (RunRGBA, then AppendTopK into a reused
// slice).
func TestRunAllocatesNothing(t *testing.T) {
	c := loadShared(t, sharedModels[0], kernels.SchemeFP32)
	require.Zero(t, testing.AllocsPerRun(5, c.Run))
	frame := grey(320, 240)
	preds := make([]Prediction, 0, 5)
	require.Zero(t, testing.AllocsPerRun(5, func() {
		require.NoError(t, c.RunRGBA(frame, 320, 240, 320*4))
		preds = c.AppendTopK(preds[:0], 5)
	}))
	want, err := c.ClassifyRGBA(frame, 320, 240, 320*4, 5)
	require.NoError(t, err)
	require.Equal(t, want, preds)
}

func TestInfoMatchesRelease(t *testing.T) {
	// Million MACs and params, as the MobileNet release lists them.
	want := map[string][2]float64{
		"mobilenet_v1_0.25_128_quant": {14, 0.47},
		"mobilenet_v1_0.5_160_quant":  {77, 1.34},
		"mobilenet_v1_0.75_192_quant": {233, 2.59},
		"mobilenet_v1_0.25_224":       {41, 0.47},
		"mobilenet_v1_1.0_224_quant":  {569, 4.24},
	}
	for _, m := range sharedModels {
		c := loadShared(t, m, kernels.SchemeFP32)
		info := c.Info()
		w := want[m.Name]
		macs, params := float64(info.MACs)/1e6, float64(info.Params)/1e6
		t.Logf("%s: %.1fM MACs, %.3fM params, %d ops", m.Name, macs, params, len(info.Ops))
		require.InEpsilon(t, w[0], macs, 0.05, "%s MACs", m.Name)
		require.InEpsilon(t, w[1], params, 0.03, "%s params", m.Name)
		require.Equal(t, 1001, info.Classes)
		require.Equal(t, m.Size, info.InputSize)
	}
}

func TestLabels(t *testing.T) {
	l := make([]string, 1000)
	got, err := fitLabels(l, 1001)
	require.NoError(t, err)
	require.Equal(t, "background", got[0])
	got, err = fitLabels(append([]string{"background"}, make([]string, 1000)...), 1000)
	require.NoError(t, err)
	require.Len(t, got, 1000)
	_, err = fitLabels(make([]string, 10), 1001)
	require.EqualError(t, err, "engine: 10 labels for a model with 1001 classes")
}

func BenchmarkInfer(b *testing.B) {
	for _, m := range sharedModels {
		b.Run(m.Name, func(b *testing.B) {
			c := loadShared(b, m, kernels.SchemeFP32)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				c.Run()
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/inference")
			b.ReportMetric(float64(c.Info().MACs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
