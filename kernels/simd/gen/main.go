// Command gen writes simd.wasm, simd-relaxed.wasm (the same kernels with
// relaxed SIMD, kgen.BuildRelaxed) and imports_wasip1.go from the registry
// (simd.Variants) and the kernel definitions in internal/kgen. Run it with
// go generate in kernels/simd (or go run ./gen there); a test fails when the
// committed files differ from what it writes.
package main

import (
	"log"
	"os"

	"mobilenet-wasm/kernels/simd/internal/kgen"
	"mobilenet-wasm/wasm/abi"
)

func main() {
	if err := os.WriteFile(abi.SIMDModuleFile, kgen.Build(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(abi.SIMDRelaxedModuleFile, kgen.BuildRelaxed(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("imports_wasip1.go", kgen.GoImports(), 0o644); err != nil {
		log.Fatal(err)
	}
}
