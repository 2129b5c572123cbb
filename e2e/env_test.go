package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

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

// runScript runs the node script e2e/script for one phase with cfg (and
// the phase) as its config file, and returns the results file it writes
// in cfg["out"].
func runScript(t *testing.T, ctx context.Context, node, root, work, script, phase string, cfg map[string]any, results string) []byte {
	t.Helper()
	cfg["phase"] = phase
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	cfgPath := filepath.Join(work, "config-"+script+"-"+phase+".json")
	require.NoError(t, os.WriteFile(cfgPath, b, 0o644))
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", script), cfgPath)
	cmd.Dir = root
	start := time.Now()
	outb, err := cmd.CombinedOutput()
	t.Logf("node e2e/%s %s (%.0f s):\n%s", script, phase, time.Since(start).Seconds(), outb)
	require.NoError(t, err, "node e2e/%s %s", script, phase)
	rb, err := os.ReadFile(filepath.Join(cfg["out"].(string), results))
	require.NoError(t, err)
	return rb
}

// runScriptMap is runScript with the results decoded as a JSON object.
func runScriptMap(t *testing.T, ctx context.Context, node, root, work, script, phase string, cfg map[string]any, results string) map[string]any {
	t.Helper()
	var res map[string]any
	require.NoError(t, json.Unmarshal(runScript(t, ctx, node, root, work, script, phase, cfg, results), &res))
	return res
}
