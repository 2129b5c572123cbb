package wasmtests

import (
	"testing"
)

// The benchmarks time one inference (a raw golden input tensor in, the
// output tensor out) of every shared model, in wasm under wazero
// (BenchmarkWasm/<model>, the portable Go kernels compiled to wasm, plus
// copying the tensors in and out of guest memory) and natively
// (BenchmarkNative/<model>), each reporting ms/inference, so that one run
//
//	go test -run '^$' -bench . ./wasmtests
//
// gives the wasm/native ratio.

// BenchmarkWasm times mn_infer of each shared model.
func BenchmarkWasm(b *testing.B) {
	for _, m := range sharedModels {
		b.Run(m.name, func(b *testing.B) {
			mod := openModule(b)
			w := loadWasm(b, mod, m, Options{})
			in := goldenInput(b, m, goldenPhotos(b, m.size, 1)[0])
			if _, err := w.Infer(in); err != nil { // warm up
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := w.Infer(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/inference")
		})
	}
}

// BenchmarkNative times the native engine's Infer of each shared model.
func BenchmarkNative(b *testing.B) {
	for _, m := range sharedModels {
		b.Run(m.name, func(b *testing.B) {
			c := loadNative(b, m, Options{})
			in := goldenInput(b, m, goldenPhotos(b, m.size, 1)[0])
			if _, err := c.Infer(in); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := c.Infer(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/inference")
		})
	}
}
