package schema

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGenerated regenerates the Go code from the schemas into a temporary
// folder, exactly as the go:generate lines in generate.go do, and fails when
// the committed files in ../tflitefb differ.
func TestGenerated(t *testing.T) {
	if _, err := exec.LookPath("flatc"); err != nil {
		t.Skip("flatc not on PATH: cannot check that loader/tflitefb is up to date (install flatc 2.0.8, e.g. apt-get install flatbuffers-compiler)")
	}
	out := t.TempDir()
	cmd := exec.Command("flatc", "--go", "--gen-object-api", "--gen-onefile",
		"--go-namespace", "tflitefb", "-o", out, "tflite.fbs", "metadata.fbs")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "flatc: %s", msg)
	for _, name := range []string{"tflite_generated.go", "metadata_generated.go"} {
		raw, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		want, err := format.Source(raw)
		require.NoError(t, err, "gofmt %s", name)
		got, err := os.ReadFile(filepath.Join("..", "tflitefb", name))
		require.NoError(t, err)
		// Not assert.Equal: a diff of 12k generated lines helps nobody.
		assert.True(t, bytes.Equal(got, want), "loader/tflitefb/%s is stale: run `go generate ./loader/schema` (with flatc 2.0.8)", name)
	}
}
