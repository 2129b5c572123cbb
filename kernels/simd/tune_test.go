package simd_test

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels/simd"
)

// TestTune times the variants whose names contain one of the
// comma-separated substrings of $SIMD_TUNE on the benchmark shapes, best of
// up to 200 interleaved runs: steadier than go test -bench on a shared,
// noisy machine, for choosing tiles. Skipped unless SIMD_TUNE is set:
//
//	SIMD_TUNE=qu8_gemm_fp32,dwconv go test -run Tune -v ./kernels/simd
func TestTune(t *testing.T) {
	sel := os.Getenv("SIMD_TUNE")
	if sel == "" {
		t.Skip("set SIMD_TUNE")
	}
	type item struct {
		name string
		run  func() time.Duration
		macs int64
		best time.Duration
	}
	var items []*item
	for _, v := range simd.Variants {
		ok := false
		for _, s := range strings.Split(sel, ",") {
			if strings.Contains(v.Name(), s) {
				ok = true
			}
		}
		if !ok {
			continue
		}
		for _, s := range benchShapes(v) {
			hh := newHost(t)
			l, in, outLen := benchLayer(v, s.p)
			out := hh.output(outLen)
			require.NoError(t, hh.run(l, hh.put(in), out))
			args := hh.put(l.ArgsBytes())
			fn := hh.fns[v.Name()]
			items = append(items, &item{name: v.Name() + "/" + shapeName(v, s.p), macs: l.MACs, run: func() time.Duration {
				st := time.Now()
				fn.Call(hh.ctx, uint64(args))
				return time.Since(st)
			}})
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for r := 0; r < 200 && time.Now().Before(deadline); r++ {
		for _, it := range items {
			d := it.run()
			if it.best == 0 || d < it.best {
				it.best = d
			}
		}
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].name < items[j].name })
	for _, it := range items {
		t.Logf("%-60s %8.1f us %6.2f GMAC/s", it.name, float64(it.best.Microseconds()), float64(it.macs)/it.best.Seconds()/1e9)
	}
}
