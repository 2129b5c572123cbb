package datapack

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// TestGoProgram builds a small Go program for wasip1 (testdata/hello),
// packs it and runs both under wazero: what it prints from its data must
// not change. Skipped with -short, since it runs the go command.
func TestGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	exe := filepath.Join(t.TempDir(), "hello.wasm")
	build := exec.Command(gocmd, "build", "-trimpath", "-o", exe, "./testdata/hello")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	in, err := os.ReadFile(exe)
	require.NoError(t, err)

	want := runWASI(t, in)
	require.Contains(t, want, "0 alpha\n")
	require.Contains(t, want, "grace 85\n")
	require.Contains(t, want, "sparse 8191 7\n")
	for _, maxGap := range []int{1024, 1 << 20} {
		out, st, err := Pack(in, maxGap)
		require.NoError(t, err)
		t.Logf("maxGap %d: %d data segments -> %d", maxGap, st.Before, st.After)
		assert.Less(t, st.After, st.Before)
		assert.Equal(t, want, runWASI(t, out), "maxGap %d", maxGap)
	}
}

// runWASI runs a wasip1 command under wazero and returns its stdout.
func runWASI(t *testing.T, wasm []byte) string {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	var stdout, stderr bytes.Buffer
	_, err := r.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStdout(&stdout).WithStderr(&stderr))
	var exit *sys.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 0 {
		err = nil
	}
	require.NoError(t, err, "stderr: %s", stderr.String())
	return stdout.String()
}
