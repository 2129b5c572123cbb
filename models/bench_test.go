package models_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

// BenchmarkNative measures one inference of each of the 32 models with the
// native engine (portable Go kernels, one goroutine). Real weights come
// from the models folder ($MOBILENET_MODELS or the user cache folder) or
// the shared test data where present; the other models are synthesized
// (same layers, random weights: the same work). Names are
// BenchmarkNative/<model>/<real|synthetic>, which `mobilenet models table`
// reads; besides ns/op each reports ms/inference, GMAC/s and cpu-ms/op (the
// process's CPU time per inference, where the platform gives it):
//
//	go test -run '^$' -bench Native -count 5 ./models > native.txt
//	go run ./cmd/mobilenet models table -bench native.txt -unit cpu-ms/op -best -md docs/models-table.md -svg docs/latency-accuracy.svg
func BenchmarkNative(b *testing.B) {
	src := benchSources(b)
	dir := b.TempDir()
	for _, e := range models.Catalog {
		b.Run(e.Name, func(b *testing.B) {
			w, err := src.Weights(e, dir)
			require.NoError(b, err)
			b.Run(w.Kind, func(b *testing.B) {
				c, err := engine.LoadFiles(w.Files, engine.Options{})
				require.NoError(b, err)
				models.FillInput(c, e.Quantized, 1)
				c.Run() // warm up: first-touch of the arena
				cpu0, cpuOK := cpuTime()
				b.ResetTimer()
				for b.Loop() {
					c.Run()
				}
				if cpu1, ok := cpuTime(); ok && cpuOK {
					// The process's CPU time: the engine runs on this one
					// goroutine and allocates nothing, so this is its
					// compute, which other work on a shared machine
					// inflates far less than wall time.
					b.ReportMetric(float64(cpu1-cpu0)/1e6/float64(b.N), "cpu-ms/op")
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/inference")
				b.ReportMetric(float64(c.Info().MACs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}

// benchSources are the folders with real weights: the models folder,
// then the shared test data's models.
func benchSources(tb testing.TB) *store.Sources {
	var dirs []string
	if d, err := store.DefaultDir(); err == nil {
		dirs = append(dirs, d)
	}
	if d, ok := testdata.Find(); ok {
		dirs = append(dirs, filepath.Join(d, "models"))
	}
	s, err := store.NewSources(dirs...)
	require.NoError(tb, err)
	return s
}
