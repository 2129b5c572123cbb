package wasmtests

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The benchmarks time one inference (a raw golden input tensor in, the
// output tensor out) of every shared model, in wasm under wazero with the
// SIMD kernels linked (BenchmarkWasm/simd/<model>), with the "simd" imports
// stubbed as a browser without SIMD does, so the portable Go kernels run
// (BenchmarkWasm/portable/<model>), and natively (BenchmarkNative/<model>),
// each reporting ms/inference and GMAC/s (the model's multiply-accumulates
// per second), so that one run
//
//	go test -run '^$' -bench . ./wasmtests
//
// gives the SIMD/portable and wasm/native ratios.

// BenchmarkWasm times mn_infer of each shared model, SIMD and portable.
func BenchmarkWasm(b *testing.B) {
	for _, mode := range []string{"simd", "portable"} {
		b.Run(mode, func(b *testing.B) {
			for _, m := range sharedModels {
				b.Run(m.Name, func(b *testing.B) {
					mod := openModule(b)
					if mode == "portable" {
						mod = openPortable(b)
					}
					w := loadWasm(b, mod, m, Options{})
					var info struct{ MACs int64 }
					raw, err := w.Info()
					require.NoError(b, err)
					require.NoError(b, json.Unmarshal(raw, &info))
					benchInfer(b, w.Infer, goldenInput(b, m, goldenPhotos(b, m.Size, 1)[0]), info.MACs)
				})
			}
		})
	}
}

// BenchmarkNative times the native engine's Infer of each shared model.
func BenchmarkNative(b *testing.B) {
	for _, m := range sharedModels {
		b.Run(m.Name, func(b *testing.B) {
			c := loadNative(b, m, Options{})
			benchInfer(b, c.Infer, goldenInput(b, m, goldenPhotos(b, m.Size, 1)[0]), c.Info().MACs)
		})
	}
}

// benchInfer times infer(in) after one untimed warm-up call and reports
// ms/inference and GMAC/s for a model of macs multiply-accumulates: the
// measurement every benchmark here makes, whatever runs the model.
func benchInfer(b *testing.B, infer func([]byte) ([]byte, error), in []byte, macs int64) {
	_, err := infer(in) // warm up
	require.NoError(b, err)
	for b.Loop() {
		// require only on failure: its Helper call would be timed.
		if _, err := infer(in); err != nil {
			require.NoError(b, err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec*1e3, "ms/inference")
	b.ReportMetric(float64(macs)/sec/1e9, "GMAC/s")
}
