package host

import (
	"context"
	"slices"
	"testing"
	"time"

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
// gives the SIMD/portable and wasm/native ratios. BenchmarkWasm/simd-threads2
// runs the SIMD kernels on two goroutines (Config.Threads), and
// BenchmarkThreads measures the 2-thread/1-thread time ratio in
// interleaved rounds (the machine may be busy: see its comment).

// BenchmarkWasm times Model.Infer of each shared model, SIMD and portable,
// in a Runtime of one instance.
func BenchmarkWasm(b *testing.B) {
	for _, mode := range []string{"simd", "simd-threads2", "portable"} {
		b.Run(mode, func(b *testing.B) {
			for _, name := range sharedModels {
				b.Run(name, func(b *testing.B) {
					threads := 1
					if mode == "simd-threads2" {
						threads = 2
					}
					r := newRuntime(b, Config{Instances: 1, Portable: mode == "portable", Threads: threads})
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

// BenchmarkThreads reports, per shared model, the time of an inference on
// 2 kernel threads over its time on 1 (Config.Threads), as the median of
// per-round ratios with the 10th and 90th percentiles: each round times
// the two runtimes back to back, in alternating order, for about 50 ms
// each, after a warm-up of 300 ms each, so that load from other processes
// hits both sides of a ratio alike. b.N counts rounds.
func BenchmarkThreads(b *testing.B) {
	for _, name := range sharedModels {
		b.Run(name, func(b *testing.B) {
			var infer [2]func() time.Duration
			for i := range infer {
				r := newRuntime(b, Config{Instances: 1, Threads: i + 1})
				md := load(b, r, name, engine.Options{})
				in := md.Info().Input.MidGrey()
				ctx := context.Background()
				infer[i] = func() time.Duration {
					start := time.Now()
					if _, err := md.Infer(ctx, in); err != nil {
						require.NoError(b, err)
					}
					return time.Since(start)
				}
			}
			// timeFor runs f for about d and returns its mean time.
			timeFor := func(f func() time.Duration, d time.Duration) time.Duration {
				var sum time.Duration
				n := 0
				for sum < d {
					sum += f()
					n++
				}
				return sum / time.Duration(n)
			}
			for _, f := range infer {
				timeFor(f, 300*time.Millisecond)
			}
			var ratios []float64
			var t1 []float64
			round := 0
			for b.Loop() {
				var t [2]time.Duration
				for j := range 2 {
					i := (j + round) % 2
					t[i] = timeFor(infer[i], 50*time.Millisecond)
				}
				round++
				ratios = append(ratios, float64(t[1])/float64(t[0]))
				t1 = append(t1, float64(t[0])/1e6)
			}
			slices.Sort(ratios)
			slices.Sort(t1)
			q := func(v []float64, p float64) float64 { return v[int(p*float64(len(v)-1)+0.5)] }
			b.ReportMetric(q(ratios, 0.5), "ratio-2/1")
			b.ReportMetric(q(ratios, 0.1), "ratio-p10")
			b.ReportMetric(q(ratios, 0.9), "ratio-p90")
			b.ReportMetric(q(t1, 0.5), "ms-1thread")
			b.ReportMetric(0, "ns/op")
		})
	}
}
