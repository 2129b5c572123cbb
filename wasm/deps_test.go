package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestClassifyOnlyDeps keeps out of the classify-only build (the engine a
// first visit downloads before its first prediction) the packages it was
// freed of: fmt (the engine's packages format with internal/textfmt), os
// and runtime/debug (which import fmt, os and time), archive/zip and
// compress/flate (the loader reads the label archive itself),
// encoding/json (wasm/json.go), tflitewrite and train (teaching), and
// embed (kernels/simd's embedded module) with the io/fs, time and syscall
// it imports. Together they were a quarter of its download.
func TestClassifyOnlyDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list: not in -short")
	}
	cmd := exec.Command("go", "list", "-deps", "-tags", "classifyonly", ".")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	for _, p := range []string{"fmt", "os", "runtime/debug", "archive/zip", "compress/flate", "encoding/json",
		"embed", "io/fs", "time", "syscall", "mobilenet-wasm/tflitewrite", "mobilenet-wasm/train"} {
		if slices.Contains(deps, p) {
			t.Errorf("the classify-only build imports %s (go list -deps -tags classifyonly, GOOS=wasip1)", p)
		}
	}
}
