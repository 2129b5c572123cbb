//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// main explains that the UI runs in browsers only.
func main() {
	fmt.Fprintln(os.Stderr, "ui: this is the web page's UI: build it with GOOS=js GOARCH=wasm (./build.sh writes site/ui.wasm), then run 'mobilenet serve'")
	os.Exit(2)
}
