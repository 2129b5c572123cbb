package wasmmod

import (
	"bytes"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// soakCount reads a count from the environment, else def (the short run
// CI makes).
func soakCount(t *testing.T, env string, def int) int {
	t.Helper()
	s := os.Getenv(env)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(t, err, env)
	return n
}

// soakSlack is how much the linear memory may grow between the first
// checkpoint of a soak and its end: the Go runtime's heap inside settles
// by a few pages (TestNoLeak), while a leak of one input, frame or model
// per call would grow it by megabytes.
const soakSlack = 1 << 20

// TestSoakInferences runs MOBILENET_SOAK_INFERENCES inferences (default
// 2000; the long run is 100000) of the small model in one instance, nine
// raw inferences checked against the golden for each classification of a
// 512x384 frame, and requires the linear memory to stay flat (soakSlack)
// from the first 1% of the calls to the end.
func TestSoakInferences(t *testing.T) {
	n := soakCount(t, "MOBILENET_SOAK_INFERENCES", 2000)
	t.Parallel()
	mod := openModule(t)
	w := loadWasm(t, mod, small, Options{})
	photo := goldenPhotos(t, small.Size, 1)[0]
	in := goldenInput(t, small, photo)
	want := goldenOutput(t, small, photo)
	f := photoFrames(t, "hot_dog.jpg")[0]
	var first uint32
	for i := 1; i <= n; i++ {
		if i%10 == 0 {
			_, err := w.Classify(f.pix, f.w, f.h, f.stride, 5)
			require.NoError(t, err, "call %d", i)
		} else {
			out, err := w.Infer(in)
			require.NoError(t, err, "call %d", i)
			require.True(t, bytes.Equal(out, want), "call %d differs from the golden", i)
		}
		if i == max(n/100, 10) {
			first = mod.MemorySize()
		}
		if i%(max(n/10, 1)) == 0 {
			t.Logf("after %d calls: linear memory %d KiB", i, mod.MemorySize()>>10)
		}
	}
	end := mod.MemorySize()
	t.Logf("%d calls: linear memory %d KiB after %d, %d KiB at the end", n, first>>10, max(n/100, 10), end>>10)
	require.LessOrEqual(t, end, first+soakSlack, "linear memory grew by %d KiB: a leak", (end-first)>>10)
}

// TestSoakLoads loads and frees the small model MOBILENET_SOAK_LOADS times
// (default 50; the long run is 1000) in one instance, one inference each,
// and requires the linear memory to stay flat (soakSlack) from the 10th
// load to the end.
func TestSoakLoads(t *testing.T) {
	n := soakCount(t, "MOBILENET_SOAK_LOADS", 50)
	t.Parallel()
	mod := openModule(t)
	model := small.Read(t)
	photo := goldenPhotos(t, small.Size, 1)[0]
	in := goldenInput(t, small, photo)
	want := goldenOutput(t, small, photo)
	var first uint32
	for i := 1; i <= n; i++ {
		w, err := mod.Load(model, Options{})
		require.NoError(t, err, "load %d", i)
		out, err := w.Infer(in)
		require.NoError(t, err, "load %d", i)
		require.True(t, bytes.Equal(out, want), "load %d differs from the golden", i)
		require.NoError(t, w.Close(), "load %d", i)
		if i == 10 {
			first = mod.MemorySize()
		}
	}
	end := mod.MemorySize()
	t.Logf("%d loads and frees: linear memory %d KiB after 10, %d KiB at the end", n, first>>10, end>>10)
	require.LessOrEqual(t, end, first+soakSlack, "linear memory grew by %d KiB: a leak", (end-first)>>10)
}
