package host

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
)

// The benchmarks time one inference (a mid-grey input tensor in, the output
// tensor out, what `mobilenet bench` times too) of every shared model, in
// wasm under wazero through this package's API with the SIMD kernels
// linked (BenchmarkWasm/simd/<model>), with the portable Go kernels, as a
// browser without SIMD runs them (BenchmarkWasm/portable/<model>), and
// natively (BenchmarkNative/<model>), each reporting ms/inference and
// GMAC/s (the model's multiply-accumulates per second), so that one run
//
//	go test -run '^$' -bench . ./host
//
// gives the SIMD/portable and wasm/native ratios.

// BenchmarkWasm times Model.Infer of each shared model, SIMD and portable,
// in a Runtime of one instance.
func BenchmarkWasm(b *testing.B) {
	for _, mode := range []string{"simd", "portable"} {
		b.Run(mode, func(b *testing.B) {
			for _, name := range sharedModels {
				b.Run(name, func(b *testing.B) {
					r := newRuntime(b, Config{Instances: 1, Portable: mode == "portable"})
					md := load(b, r, name, engine.Options{})
					ctx := context.Background()
					benchInfer(b, func(in []byte) ([]byte, error) { return md.Infer(ctx, in) }, md.Info().Input.MidGrey(), md.Info().MACs)
				})
			}
		})
	}
}

// BenchmarkNative times the native engine's Infer of each shared model.
func BenchmarkNative(b *testing.B) {
	for _, name := range sharedModels {
		b.Run(name, func(b *testing.B) {
			c := loadNative(b, name, engine.Options{})
			benchInfer(b, c.Infer, c.Info().Input.MidGrey(), c.Info().MACs)
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
