package wasmmod

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
)

// TestSIMDSwitch checks mn_simd and mn_set_simd on a host that links the
// SIMD kernels and on one that stubs them.
func TestSIMDSwitch(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	linked, enabled, err := mod.SIMD()
	require.NoError(t, err)
	require.True(t, linked && enabled, "linked host: SIMD linked %v, enabled %v; want both", linked, enabled)
	require.NoError(t, mod.SetSIMD(false))
	linked, enabled, err = mod.SIMD()
	require.NoError(t, err)
	require.True(t, linked && !enabled, "after mn_set_simd(0): linked %v, enabled %v", linked, enabled)
	require.NoError(t, mod.SetSIMD(true))
	requireGuestError(t, mod.status("mn_set_simd", 2), abi.StatusArgument, "mn_set_simd(2)")

	port := openPortable(t)
	linked, enabled, err = port.SIMD()
	require.NoError(t, err)
	require.False(t, linked || enabled, "stubbed host: SIMD linked %v, enabled %v; want neither", linked, enabled)
	requireGuestError(t, port.SetSIMD(true), abi.StatusArgument, "mn_set_simd(1) without SIMD")
	require.NoError(t, port.SetSIMD(false))
	requireWorks(t, port)
}

// TestSIMDMatchesPortable runs every shared model with the SIMD kernels and
// with the portable ones (mn_set_simd(0) in the same instance, and a host
// that stubs the kernels), in both requantization schemes for the
// quantized models: the outputs must be identical byte for byte, and (fp32
// scheme) match the goldens as the portable engine does.
func TestSIMDMatchesPortable(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			mod := openModule(t)
			port := openPortable(t)
			photos := goldenPhotos(t, m.Size, 3)
			schemes := []Options{{}, {Reference: true}}
			if m.Float {
				schemes = schemes[:1]
			}
			for _, opts := range schemes {
				w := loadWasm(t, mod, m, opts)
				p := loadWasm(t, port, m, opts)
				for _, photo := range photos {
					in := goldenInput(t, m, photo)
					require.NoError(t, mod.SetSIMD(true))
					got, err := w.Infer(in)
					require.NoError(t, err, photo)
					require.NoError(t, mod.SetSIMD(false))
					off, err := w.Infer(in)
					require.NoError(t, err, photo)
					stub, err := p.Infer(in)
					require.NoError(t, err, photo)
					require.True(t, bytes.Equal(got, off), "%s (reference %v): SIMD and mn_set_simd(0) outputs differ", photo, opts.Reference)
					require.True(t, bytes.Equal(got, stub), "%s (reference %v): SIMD and stubbed-host outputs differ", photo, opts.Reference)
					if opts.Reference {
						continue
					}
					requireGolden(t, m, photo, got)
				}
			}
			require.NoError(t, mod.SetSIMD(true))
		})
	}
}

// TestKernelProfile (MOBILENET_KERNEL_PROFILE=1; not part of CI) prints, for every
// shared model, where a SIMD inference spends its time: each SIMD kernel
// call (layer, op and shape, host-measured, one host call round trip
// included) and the rest (Go: softmax, reshape, copies, the call).
//
//	MOBILENET_KERNEL_PROFILE=1 go test -run KernelProfile -v ./host/internal/wasmmod
func TestKernelProfile(t *testing.T) {
	if os.Getenv("MOBILENET_KERNEL_PROFILE") == "" {
		t.Skip("set MOBILENET_KERNEL_PROFILE=1 to print the per-layer profile")
	}
	const runs = 20
	for _, m := range sharedModels {
		mod := openModule(t)
		w := loadWasm(t, mod, m, Options{})
		in := goldenInput(t, m, goldenPhotos(t, m.Size, 1)[0])
		_, err := w.Infer(in)
		require.NoError(t, err)
		// Best of runs for the whole inference, and per layer the best of
		// its runs, each from a separate profiled inference.
		var best time.Duration
		bestLayer := map[int]time.Duration{}
		var calls []KernelCall
		for range runs {
			mod.StartProfile()
			start := time.Now()
			_, err := w.Infer(in)
			d := time.Since(start)
			require.NoError(t, err)
			calls = mod.StopProfile()
			if best == 0 || d < best {
				best = d
			}
			for i, c := range calls {
				if b, ok := bestLayer[i]; !ok || c.Time < b {
					bestLayer[i] = c.Time
				}
			}
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s: %.2f ms per inference (best of %d)\n", m.Name, best.Seconds()*1e3, runs)
		fmt.Fprintf(&sb, "  %3s %-42s %-30s %9s %6s %7s\n", "#", "kernel", "shape", "us", "%", "GMAC/s")
		var sum time.Duration
		byOp := map[string]time.Duration{}
		for i, c := range calls {
			d := bestLayer[i]
			sum += d
			macs := kernelMACs(c)
			g := "-"
			if macs > 0 {
				g = fmt.Sprintf("%.2f", float64(macs)/d.Seconds()/1e9)
			}
			fmt.Fprintf(&sb, "  %3d %-42s %-30s %9.1f %6.1f %7s\n", i, c.Name, c.Shape(), d.Seconds()*1e6, 100*d.Seconds()/best.Seconds(), g)
			byOp[strings.SplitN(c.Name, "_", 3)[1]] += d
		}
		var ops []string
		for op := range byOp {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			fmt.Fprintf(&sb, "  total %-10s %9.1f us %5.1f%%\n", op, byOp[op].Seconds()*1e6, 100*byOp[op].Seconds()/best.Seconds())
		}
		rest := best - sum
		fmt.Fprintf(&sb, "  rest (Go ops, copies, call) %9.1f us %5.1f%%\n", rest.Seconds()*1e6, 100*rest.Seconds()/best.Seconds())
		t.Log(sb.String())
	}
}

// kernelMACs is the multiply-accumulates of one kernel call, from its
// argument block.
func kernelMACs(c KernelCall) int64 {
	v := simd.Lookup(c.Name)
	if v == nil {
		return 0
	}
	r := bytes.NewReader(c.Args)
	switch v.Op {
	case simd.OpGEMM:
		var a simd.GEMMArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return int64(a.Rows) * int64(a.K) * int64(a.N)
		}
	case simd.OpDWConv:
		var a simd.DWArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return int64(a.N) * int64(a.OutH) * int64(a.OutW) * int64(a.C) * 9
		}
	case simd.OpConv:
		var a simd.ConvArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return int64(a.N) * int64(a.OutH) * int64(a.OutW) * int64(a.OutC) * int64(a.KH*a.KW*a.C)
		}
	}
	return 0
}
