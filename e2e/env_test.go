package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// browserEnv is what every browser test needs: the module root, Chromium,
// node with playwright-core, the built site, the shared models folder,
// an output folder for screenshots, a work folder and the CLI built
// there (it serves the page and computes the expected results).
type browserEnv struct {
	root, chromium, node string
	shared, modelDir     string
	out, work, bin       string
}

// newBrowserEnv checks the prerequisites (skipping without them, failing
// when MOBILENET_REQUIRE_BROWSER=1), checks that the shared models folder
// holds models, and builds the CLI. Screenshots go to
// $MOBILENET_TEST_OUT/outSub, else a temporary folder.
func newBrowserEnv(t *testing.T, outSub string, models ...string) *browserEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow (-short)")
	}
	root, err := testdata.ModuleRoot()
	require.NoError(t, err)
	e := &browserEnv{root: root, chromium: os.Getenv("CHROMIUM")}
	if e.chromium == "" {
		e.chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(e.chromium); err != nil {
		skipOrFail(t, fmt.Sprintf("no Chromium at %s: apt-get install -y chromium (or set CHROMIUM)", e.chromium))
	}
	if e.node, err = exec.LookPath("node"); err != nil {
		skipOrFail(t, "no node in PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "playwright-core", "package.json")); err != nil {
		skipOrFail(t, "node_modules/playwright-core is missing: run npm ci in "+root)
	}
	for _, f := range []string{"engine.wasm", "ui.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(root, "site", f)); err != nil {
			skipOrFail(t, fmt.Sprintf("site/%s is missing: run ./build.sh first", f))
		}
	}
	e.shared = testdata.Dir(t)
	e.modelDir = filepath.Join(e.shared, "models")
	for _, f := range models {
		require.FileExists(t, filepath.Join(e.modelDir, f), "shared test data lacks models/%s", f)
	}
	e.out = os.Getenv("MOBILENET_TEST_OUT")
	if e.out == "" {
		e.out = t.TempDir()
	} else {
		e.out = filepath.Join(e.out, outSub)
		require.NoError(t, os.MkdirAll(e.out, 0o755))
	}
	e.work = t.TempDir()
	e.bin = filepath.Join(e.work, "mobilenet")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/mobilenet")
	build.Dir = root
	b, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/mobilenet\n%s", b)
	return e
}
