package wasmmod

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels/simd"
)

// openThreads instantiates a fresh module running threads kernel
// instances, closed when the test ends.
func openThreads(tb testing.TB, threads int) *Module {
	tb.Helper()
	m, err := OpenWith(context.Background(), Config{Engine: engineWasm(tb), SIMD: simd.Module, Threads: threads})
	require.NoError(tb, err)
	tb.Cleanup(func() { m.Close() })
	require.Equal(tb, threads, m.Threads())
	return m
}

// TestThreads runs every shared model with 1, 2 and 4 kernel threads: the
// outputs must be byte-identical to one thread's (float models included:
// each output is summed in the same order by whichever thread computes
// it), and the quantized ones to the goldens; with 2 and 4, layers must
// actually have run split. 0.5_160 also runs in the
// reference requantization scheme.
func TestThreads(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			photos := goldenPhotos(t, m.Size, 3)
			schemes := []Options{{}, {Reference: true}}
			if m.Name != sharedModels[1].Name {
				schemes = schemes[:1]
			}
			one := openModule(t)
			for _, opts := range schemes {
				want := map[string][]byte{}
				w1 := loadWasm(t, one, m, opts)
				for _, photo := range photos {
					out, err := w1.Infer(goldenInput(t, m, photo))
					require.NoError(t, err, photo)
					want[photo] = out
					if !opts.Reference {
						requireGolden(t, m, photo, out)
					}
				}
				for _, n := range []int{2, 4} {
					mod := openThreads(t, n)
					w := loadWasm(t, mod, m, opts)
					for _, photo := range photos {
						got, err := w.Infer(goldenInput(t, m, photo))
						require.NoError(t, err, photo)
						require.True(t, bytes.Equal(want[photo], got), "%s (reference %v): %d threads differ from one", photo, opts.Reference, n)
					}
					require.Positive(t, mod.ParallelCalls(), "%d threads: no layer ran split", n)
					t.Logf("%d threads (reference %v): %d photos byte-identical to one thread; %d split layer runs", n, opts.Reference, len(photos), mod.ParallelCalls())
				}
			}
		})
	}
}

// TestThreadsConfig refuses thread counts beyond abi.MaxThreads, and runs
// a portable host (no simd.wasm) on one thread whatever Threads says.
func TestThreadsConfig(t *testing.T) {
	_, err := OpenWith(context.Background(), Config{Engine: engineWasm(t), SIMD: simd.Module, Threads: 17})
	require.ErrorContains(t, err, "Threads 17")
	m, err := OpenWith(context.Background(), Config{Engine: engineWasm(t), Threads: 4})
	require.NoError(t, err)
	defer m.Close()
	require.Equal(t, 1, m.Threads())
	requireWorks(t, m)
}
