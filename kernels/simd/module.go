//go:build !classifyonly

package simd

import _ "embed"

// Module is simd.wasm, the generated SIMD kernel module (regenerate with
// go generate; a test fails when it is stale). Hosts instantiate it on the
// engine's memory (import abi.SIMDMemoryModule.abi.SIMDMemoryName). The
// module's version and the names linking it to the engine are in package
// mobilenet-wasm/wasm/abi.
//
// The classify-only engine build (build tag classifyonly, wasm/doc.go)
// leaves it out: the engine inside wasm does not need its own kernel
// module's bytes (its host links them), and package embed's imports (io/fs,
// time) would add their initialisation to the download.
//
//go:embed simd.wasm
var Module []byte
