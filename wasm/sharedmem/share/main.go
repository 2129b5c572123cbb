// Command share writes a copy of a WebAssembly module whose memories are
// shared (package mobilenet-wasm/wasm/sharedmem), with the maximum
// abi.SharedMemoryMaxPages: build.sh's post-link step for the threaded
// engine.wasm and simd.wasm.
//
//	go run ./wasm/sharedmem/share IN.wasm OUT.wasm
package main

import (
	"fmt"
	"os"

	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/wasm/abi"
	"mobilenet-wasm/wasm/sharedmem"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: share IN.wasm OUT.wasm")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "share:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	s, err := sharedmem.Share(b, abi.SharedMemoryMaxPages)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return atomicfile.Write(out, s)
}
