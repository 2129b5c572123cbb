package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// browsers are the browsers every browser test runs in, each as its own
// subtest: Debian's Chromium (driven by playwright-core) and Debian's
// firefox-esr (driven by puppeteer-core over WebDriver BiDi), both through
// internal/headless/browser.mjs. MOBILENET_E2E_BROWSERS=chromium (or
// firefox) runs one of them, for debugging.
var browsers = []browserSpec{
	{name: "chromium", envVar: "CHROMIUM", path: "/usr/bin/chromium", npm: "playwright-core", apt: "chromium"},
	{name: "firefox", envVar: "FIREFOX", path: "/usr/bin/firefox-esr", npm: "puppeteer-core", apt: "firefox-esr"},
}

// browserSpec is one browser: where it is installed (or $envVar), the npm
// package that drives it and the Debian package that installs it.
type browserSpec struct {
	name, envVar, path, npm, apt string
}

// forEachBrowser runs fn as one parallel subtest per browser, so that the
// two browsers' scenarios overlap (most of a scenario is waiting on the
// engine's worker or a browser launch, and the machine has memory for two).
func forEachBrowser(t *testing.T, fn func(t *testing.T, b browserSpec)) {
	only := os.Getenv("MOBILENET_E2E_BROWSERS")
	for _, b := range browsers {
		if only != "" && !strings.Contains(only, b.name) {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

// browserEnv is what every browser test needs: the module root, the
// browser, node with the npm package that drives it, the built site, the
// shared models folder, an output folder for screenshots, a work folder
// and the CLI built there (it serves the page and computes the expected
// results).
type browserEnv struct {
	root, node          string
	browser, executable string
	shared, modelDir    string
	out, work, bin      string
}

// newBrowserEnv checks the prerequisites for browser b (skipping without
// them, failing when MOBILENET_REQUIRE_BROWSER=1), checks that the shared
// models folder holds models, and builds the CLI. Screenshots go to
// $MOBILENET_TEST_OUT/outSub/BROWSER, else a temporary folder.
func newBrowserEnv(t *testing.T, b browserSpec, outSub string, models ...string) *browserEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are slow (-short)")
	}
	root, err := testdata.ModuleRoot()
	require.NoError(t, err)
	e := &browserEnv{root: root, browser: b.name, executable: os.Getenv(b.envVar)}
	if e.executable == "" {
		e.executable = b.path
	}
	if _, err := os.Stat(e.executable); err != nil {
		skipOrFail(t, fmt.Sprintf("no %s at %s: apt-get install -y %s (or set %s)", b.name, e.executable, b.apt, b.envVar))
	}
	if e.node, err = exec.LookPath("node"); err != nil {
		skipOrFail(t, "no node in PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", b.npm, "package.json")); err != nil {
		skipOrFail(t, fmt.Sprintf("node_modules/%s is missing: run npm ci in %s", b.npm, root))
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
		e.out = filepath.Join(e.out, outSub, b.name)
		require.NoError(t, os.MkdirAll(e.out, 0o755))
	}
	e.work = t.TempDir()
	e.bin = filepath.Join(e.work, "mobilenet")
	build := exec.Command("go", "build", "-o", e.bin, "./cmd/mobilenet")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/mobilenet\n%s", out)
	return e
}

// firefox reports whether the browser is Firefox, whose fake webcam shows
// a synthetic pattern rather than the test's photo.
func (e *browserEnv) firefox() bool { return e.browser == "firefox" }

// config is the scripts' common config: the server's URL, the output
// folder and the browser, plus the test's own keys.
func (e *browserEnv) config(url string, kv map[string]any) map[string]any {
	cfg := map[string]any{"url": url, "out": e.out, "browser": e.browser, "executable": e.executable}
	for k, v := range kv {
		cfg[k] = v
	}
	return cfg
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
