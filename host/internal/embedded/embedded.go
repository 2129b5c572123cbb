// Package embedded holds the engine module (engine.wasm) inside the Go
// binary, so that a binary built from a checkout after ./build.sh runs the
// module headless with no site/ folder next to it.
//
// build.sh writes the module to files/engine.wasm (next to this file,
// ignored by git) before it builds the CLI. The folder also holds a
// committed README.md, so that the go:embed pattern always matches and the
// packages that import this one compile on a clean clone (go vet runs
// before build.sh in CI); a binary built without the module reports it at
// run time, through Engine's error. The SIMD kernels (simd.wasm) need no
// copy here: package kernels/simd embeds its committed simd.wasm.
package embedded

import (
	"embed"
	"errors"
)

// EngineFile is where build.sh writes the module for embedding, relative
// to the repository root.
const EngineFile = "host/internal/embedded/files/engine.wasm"

//go:embed files
var files embed.FS

// ErrNoEngine is Engine's error when the binary was built without the
// module.
var ErrNoEngine = errors.New("this binary was built without engine.wasm: in a checkout of mobilenet-wasm run ./build.sh " +
	"(it writes " + EngineFile + "), then go build or go install from the checkout " +
	"(go install from the module proxy cannot include it: it is a build output)")

// Engine returns the embedded engine.wasm, or ErrNoEngine.
func Engine() ([]byte, error) {
	b, err := files.ReadFile("files/engine.wasm")
	if err != nil || len(b) == 0 {
		return nil, ErrNoEngine
	}
	return b, nil
}
