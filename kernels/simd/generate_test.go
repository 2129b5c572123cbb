package simd_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/kernels/simd/asm"
	"mobilenet-wasm/kernels/simd/internal/kgen"
)

// TestGeneratedFilesFresh regenerates simd.wasm and imports_wasip1.go and
// fails when the committed files differ: run go generate in kernels/simd.
func TestGeneratedFilesFresh(t *testing.T) {
	if !bytes.Equal(kgen.Build(), simd.Module) {
		t.Error("simd.wasm is stale: run go generate ./kernels/simd")
	}
	src, err := os.ReadFile("imports_wasip1.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(kgen.GoImports(), src) {
		t.Error("imports_wasip1.go is stale: run go generate ./kernels/simd")
	}
	if !bytes.HasPrefix(src, []byte(kgen.GeneratedHeader)) {
		t.Error("imports_wasip1.go lacks the generated-code header")
	}
}

// TestModuleValidates compiles simd.wasm with wazero and, when Debian's
// wabt is installed, checks it with wasm-validate.
func TestModuleValidates(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.CompileModule(ctx, simd.Module); err != nil {
		t.Fatalf("wazero: %v", err)
	}
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		t.Log("wasm-validate not installed; validated with wazero only")
		return
	}
	f := filepath.Join(t.TempDir(), "simd.wasm")
	if err := os.WriteFile(f, simd.Module, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, f).CombinedOutput(); err != nil {
		t.Fatalf("wasm-validate: %v\n%s", err, out)
	}
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
		if seen[n] {
			t.Errorf("duplicate variant %s", n)
		}
		seen[n] = true
		if simd.Lookup(n) != v {
			t.Errorf("Lookup(%s) is another variant", n)
		}
		if !v.Default {
			continue
		}
		k := key{v.Op, v.DType, v.Scheme, v.Stride}
		r := rule{k, v.CT, v.MaxRows, v.MaxK}
		if d, ok := rules[r]; ok {
			t.Errorf("%s and %s are defaults with the same limits", d, n)
		}
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
				if !fallback[k] {
					t.Errorf("no default without limits for %v %v scheme %v stride %d", k.op, k.d, k.scheme, k.stride)
				}
			}
		}
		if !fallback[key{simd.OpAvgPool, d, 0, 0}] {
			t.Errorf("no default %v avgpool", d)
		}
	}
}

// TestDispatch checks which variant runs MobileNet's layer kinds.
func TestDispatch(t *testing.T) {
	q := &kernels.QuantConv{Requant: kernels.NewRequant(kernels.SchemeFP32, 1, []float32{1}, kernels.Quant{Scale: 1}, 1024, 0, 255)}
	for _, c := range []struct {
		p    *kernels.ConvParams
		want string
	}{
		{convP(112, 112, 32, 64, 1, 1), "qu8_gemm_fp32_6x8c2__wasmsimd"},
		{convP(14, 14, 512, 512, 1, 1), "qu8_gemm_fp32_1x4c8__wasmsimd"},
		{convP(1, 1, 1024, 1001, 1, 1), "qu8_gemm_fp32_1x8c8__wasmsimd"},
		{convP(224, 224, 3, 32, 3, 2), "qu8_conv_fp32_im2col_3x4c8__wasmsimd"},
	} {
		k := simd.NewConvQ(nil, c.p, q, make([]uint8, c.p.Out.C*c.p.KH*c.p.KW*c.p.In.C), nil)
		if k == nil || k.V.Name() != c.want {
			t.Errorf("%v -> %v: got %v, want %s", c.p.In, c.p.Out, k, c.want)
		}
	}
	for _, c := range []struct {
		ch   int
		want string
	}{{32, "qu8_dwconv_fp32_3x3s1_16c2__wasmsimd"}, {24, "qu8_dwconv_fp32_3x3s1_8c2__wasmsimd"}, {8, "qu8_dwconv_fp32_3x3s1_8c2__wasmsimd"}, {7, "qu8_dwconv_fp32_3x3s1_16c2__wasmsimd"}} {
		p := convP(9, 9, c.ch, c.ch, 3, 1)
		k := simd.NewDepthwiseQ(nil, p, q, make([]uint8, 9*c.ch), nil)
		if k == nil || k.V.Name() != c.want {
			t.Errorf("depthwise %d channels: got %v, want %s", c.ch, k, c.want)
		}
	}
}

// TestReplaceImport renames the memory import, as hosts whose engine
// instance is not named "engine" need.
func TestReplaceImport(t *testing.T) {
	b, err := asm.ReplaceImportSection(simd.Module, "env", "mem")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.CompileModule(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range m.ImportedMemories() {
		mod, name, _ := imp.Import()
		if mod != "env" || name != "mem" {
			t.Errorf("import %s.%s, want env.mem", mod, name)
		}
	}
}
