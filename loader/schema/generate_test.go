package schema

import (
	"bytes"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("flatc: %v\n%s", err, msg)
	}
	for _, name := range []string{"tflite_generated.go", "metadata_generated.go"} {
		raw, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := format.Source(raw)
		if err != nil {
			t.Fatalf("gofmt %s: %v", name, err)
		}
		got, err := os.ReadFile(filepath.Join("..", "tflitefb", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("loader/tflitefb/%s is stale: run `go generate ./loader/schema` (with flatc 2.0.8)", name)
		}
	}
}
