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
				b.Run(m.name, func(b *testing.B) {
					mod := openModule(b)
					if mode == "portable" {
						mod = openPortable(b)
					}
					w := loadWasm(b, mod, m, Options{})
					var info struct{ MACs int64 }
					raw, err := w.Info()
					require.NoError(b, err)
					require.NoError(b, json.Unmarshal(raw, &info))
					in := goldenInput(b, m, goldenPhotos(b, m.size, 1)[0])
					_, err = w.Infer(in) // warm up
					require.NoError(b, err)
					for b.Loop() {
						// require only on failure: its Helper call would be timed.
						if _, err := w.Infer(in); err != nil {
							require.NoError(b, err)
						}
					}
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(sec*1e3, "ms/inference")
					b.ReportMetric(float64(info.MACs)/sec/1e9, "GMAC/s")
				})
			}
		})
	}
}

// BenchmarkNative times the native engine's Infer of each shared model.
func BenchmarkNative(b *testing.B) {
	for _, m := range sharedModels {
		b.Run(m.name, func(b *testing.B) {
			c := loadNative(b, m, Options{})
			in := goldenInput(b, m, goldenPhotos(b, m.size, 1)[0])
			_, err := c.Infer(in)
			require.NoError(b, err)
			for b.Loop() {
				// require only on failure: its Helper call would be timed.
				if _, err := c.Infer(in); err != nil {
					require.NoError(b, err)
				}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec*1e3, "ms/inference")
			b.ReportMetric(float64(c.Info().MACs)/sec/1e9, "GMAC/s")
		})
	}
}
