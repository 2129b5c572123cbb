package host

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

// BenchmarkCatalog times one inference of each of the release's 32 models in
// wasm under wazero, SIMD and portable: real weights where the shared test
// data or the models folder has them, synthetic twins (same layers, random
// weights, the same work) otherwise. Names are
// BenchmarkCatalog/{simd,portable}/<model>/<real|synthetic>, which
// `mobilenet models table` reads:
//
//	go test -run '^$' -bench Catalog -benchtime 3x ./host > wasm.txt
//	go run ./cmd/mobilenet models table -bench native.txt,wasm.txt \
//	    -col 'native Go=BenchmarkNative/' -col 'wasm portable=BenchmarkCatalog/portable/' \
//	    -col 'wasm SIMD=BenchmarkCatalog/simd/' -md docs/models-table.md -svg docs/latency-accuracy.svg
func BenchmarkCatalog(b *testing.B) {
	var dirs []string
	if d, ok := testdata.Find(); ok {
		dirs = append(dirs, filepath.Join(d, "models"))
	}
	if d, err := store.DefaultDir(); err == nil {
		dirs = append(dirs, d)
	}
	src, err := store.NewSources(dirs...)
	require.NoError(b, err)
	synth := b.TempDir()
	for _, mode := range []string{"simd", "portable"} {
		b.Run(mode, func(b *testing.B) {
			r := newRuntime(b, Config{Instances: 1, Portable: mode == "portable"})
			ctx := context.Background()
			for _, e := range models.Catalog {
				b.Run(e.Name, func(b *testing.B) {
					w, err := src.Weights(e, synth)
					require.NoError(b, err)
					var data [][]byte
					for _, f := range w.Files {
						d, err := os.ReadFile(f)
						require.NoError(b, err)
						data = append(data, d)
					}
					b.Run(w.Kind, func(b *testing.B) {
						md, err := r.Load(ctx, data, engine.Options{})
						require.NoError(b, err)
						defer md.Close()
						benchInfer(b, func(in []byte) ([]byte, error) { return md.Infer(ctx, in) }, md.Info().Input.MidGrey(), e.MACs())
					})
				})
			}
		})
	}
}
