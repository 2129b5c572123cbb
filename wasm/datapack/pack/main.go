// Command pack merges a Go-built WebAssembly module's data segments
// (package mobilenet-wasm/wasm/datapack) and prints a one-line summary:
// build.sh's post-link step for every wasm file it builds with Go.
//
//	go run ./wasm/datapack/pack [-gap BYTES] IN.wasm OUT.wasm
//
// OUT may be IN: the file is replaced atomically.
package main

import (
	"flag"
	"fmt"
	"os"

	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/wasm/datapack"
)

func main() {
	// 1 KiB: on the engine, merging across gaps of up to 1 KiB leaves a
	// handful of segments, and larger gaps gain nothing compressed (see
	// build.sh).
	gap := flag.Int("gap", 1024, "merge data segments at most this many `bytes` apart")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pack [-gap BYTES] IN.wasm OUT.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), *gap); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(in, out string, gap int) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	p, st, err := datapack.Pack(b, gap)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := atomicfile.Write(out, p); err != nil {
		return err
	}
	fmt.Printf("%s: %d data segments -> %d, %d -> %d bytes\n", out, st.Before, st.After, len(b), len(p))
	return nil
}
