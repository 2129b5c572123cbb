package simd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/kernels/simd/asm"
	"mobilenet-wasm/kernels/simd/internal/kgen"
)

// TestGeneratedFilesFresh regenerates simd.wasm, simd-relaxed.wasm and
// imports_wasip1.go and fails when the committed files differ: run go
// generate in kernels/simd.
func TestGeneratedFilesFresh(t *testing.T) {
	// Not assert.Equal: a diff of 300 KB of wasm says nothing.
	assert.True(t, bytes.Equal(kgen.Build(), simd.Module), "simd.wasm is stale: run go generate ./kernels/simd")
	relaxed, err := os.ReadFile("simd-relaxed.wasm")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(kgen.BuildRelaxed(), relaxed), "simd-relaxed.wasm is stale: run go generate ./kernels/simd")
	src, err := os.ReadFile("imports_wasip1.go")
	require.NoError(t, err)
	assert.Equal(t, string(kgen.GoImports()), string(src), "imports_wasip1.go is stale: run go generate ./kernels/simd")
	assert.True(t, bytes.HasPrefix(src, []byte(kgen.GeneratedHeader)), "imports_wasip1.go lacks the generated-code header")
}

// TestModuleValidates compiles simd.wasm with wazero and, when Debian's
// wabt is installed, checks it with wasm-validate.
func TestModuleValidates(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	_, err := rt.CompileModule(ctx, simd.Module)
	require.NoError(t, err, "wazero")
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		t.Log("wasm-validate not installed; validated with wazero only")
		return
	}
	f := filepath.Join(t.TempDir(), "simd.wasm")
	require.NoError(t, os.WriteFile(f, simd.Module, 0o644))
	out, err := exec.Command(tool, f).CombinedOutput()
	require.NoError(t, err, "wasm-validate:\n%s", out)
}

// TestRelaxedModuleValidates checks simd-relaxed.wasm with Debian's wabt
// (wasm-validate --enable-relaxed-simd) when it is installed. wazero has
// no relaxed SIMD and refuses the module (checked here too, so that this
// test says when that changes); the browsers run its kernels in e2e
// (TestBrowser/simd: relaxed, plain and portable outputs compared).
func TestRelaxedModuleValidates(t *testing.T) {
	b, err := os.ReadFile("simd-relaxed.wasm")
	require.NoError(t, err)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	_, err = rt.CompileModule(ctx, b)
	assert.Error(t, err, "wazero compiles relaxed SIMD now: test simd-relaxed.wasm's kernels under wazero (kernels_test.go)")
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		t.Log("wasm-validate not installed; simd-relaxed.wasm is validated by the browsers only (e2e)")
		return
	}
	f := filepath.Join(t.TempDir(), "simd-relaxed.wasm")
	require.NoError(t, os.WriteFile(f, b, 0o644))
	out, err := exec.Command(tool, "--enable-relaxed-simd", f).CombinedOutput()
	require.NoError(t, err, "wasm-validate:\n%s", out)
	// simd.wasm, the fallback, needs no relaxed SIMD: TestModuleValidates
	// runs wasm-validate on it without the flag (off by default).
}

// TestRegistry checks the registry's invariants: unique names, no two
// defaults dispatch cannot tell apart, and for every key the engine uses a
// default without limits (the fallback).
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	type key struct {
		op     simd.Op
		d      simd.DType
		scheme kernels.Scheme
		stride int
	}
	type rule struct {
		key
		ct, maxRows, maxK int
	}
	rules := map[rule]string{}
	fallback := map[key]bool{}
	for _, v := range simd.Variants {
		n := v.Name()
		assert.False(t, seen[n], "duplicate variant %s", n)
		seen[n] = true
		assert.Same(t, v, simd.Lookup(n), "Lookup(%s) is another variant", n)
		if !v.Default {
			continue
		}
		k := key{v.Op, v.DType, v.Scheme, v.Stride}
		r := rule{k, v.CT, v.MaxRows, v.MaxK}
		d, dup := rules[r]
		assert.False(t, dup, "%s and %s are defaults with the same limits", d, n)
		rules[r] = n
		if v.MaxRows == 0 && v.MaxK == 0 {
			fallback[k] = true
		}
	}
	for _, d := range []simd.DType{simd.QU8, simd.QC8, simd.F32} {
		schemes := []kernels.Scheme{kernels.SchemeFP32, kernels.SchemeReference}
		if d == simd.F32 {
			schemes = schemes[:1]
		}
		for _, s := range schemes {
			for _, k := range []key{{simd.OpGEMM, d, s, 0}, {simd.OpConv, d, s, 0}, {simd.OpDWConv, d, s, 1}, {simd.OpDWConv, d, s, 2}} {
				assert.True(t, fallback[k], "no default without limits for %v %v scheme %v stride %d", k.op, k.d, k.scheme, k.stride)
			}
		}
		assert.True(t, fallback[key{simd.OpAvgPool, d, 0, 0}], "no default %v avgpool", d)
	}
}

// TestDispatch checks which variant runs MobileNet's layer kinds.
func TestDispatch(t *testing.T) {
	q := &kernels.QuantConv{Requant: kernels.NewRequant(kernels.SchemeFP32, 1, []float32{1}, kernels.Quant{Scale: 1}, 1024, 0, 255)}
	for _, c := range []struct {
		p    *kernels.ConvParams
		want string
	}{
		{convP(112, 112, 32, 64, 1, 1), "qu8_gemm_fp32_4x8c2__wasmsimd"},
		{convP(14, 14, 512, 512, 1, 1), "qu8_gemm_fp32_2x4c8__wasmsimd"},
		{convP(1, 1, 1024, 1001, 1, 1), "qu8_gemm_fp32_1x8c8__wasmsimd"},
		{convP(224, 224, 3, 32, 3, 2), "qu8_conv_fp32_im2col_3x4c8__wasmsimd"},
	} {
		l := simd.NewConvQ(nil, c.p, q, make([]uint8, c.p.Out.C*c.p.KH*c.p.KW*c.p.In.C), nil)
		if assert.NotNil(t, l, "%v -> %v", c.p.In, c.p.Out) {
			assert.Equal(t, c.want, l.V.Name(), "%v -> %v", c.p.In, c.p.Out)
		}
	}
	for _, c := range []struct {
		ch   int
		want string
	}{{32, "qu8_dwconv_fp32_3x3s1_16c2__wasmsimd"}, {24, "qu8_dwconv_fp32_3x3s1_8c2__wasmsimd"}, {8, "qu8_dwconv_fp32_3x3s1_8c2__wasmsimd"}, {7, "qu8_dwconv_fp32_3x3s1_16c2__wasmsimd"}} {
		p := convP(9, 9, c.ch, c.ch, 3, 1)
		l := simd.NewDepthwiseQ(nil, p, q, make([]uint8, 9*c.ch), nil)
		if assert.NotNil(t, l, "depthwise %d channels", c.ch) {
			assert.Equal(t, c.want, l.V.Name(), "depthwise %d channels", c.ch)
		}
	}
}

// TestReplaceImport renames the memory import, as hosts whose engine
// instance is not named "engine" need.
func TestReplaceImport(t *testing.T) {
	b, err := asm.ReplaceImportSection(simd.Module, "env", "mem")
	require.NoError(t, err)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.CompileModule(ctx, b)
	require.NoError(t, err)
	mems := m.ImportedMemories()
	require.Len(t, mems, 1)
	mod, name, _ := mems[0].Import()
	assert.Equal(t, "env.mem", mod+"."+name)
}
