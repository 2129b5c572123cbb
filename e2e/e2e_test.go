package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/image/bmp"

	"mobilenet-wasm/internal/testdata"
)

// The test's choices. The photos are the shared ones with a clear winner
// for the model (so that the camera's colour conversion cannot flip it);
// BMPs decode to the same pixels in Go and in Chromium, so the page's
// scores must equal the CLI's exactly.
const (
	model       = "mobilenet_v1_0.5_160_quant"
	floatModel  = "mobilenet_v1_0.25_224"
	cameraPhoto = "bird.bmp"      // the fake webcam shows it
	uploadPhoto = "cat.bmp"       // uploaded and dropped
	widgetPhoto = "dragonfly.bmp" // the widget's src, from another origin
	frameW      = 640
	frameH      = 480
)

// requireBrowser reports whether a missing browser setup fails the test
// (CI) rather than skipping it.
func requireBrowser() bool { return os.Getenv("MOBILENET_REQUIRE_BROWSER") == "1" }

// skipOrFail skips the test with msg, or fails it under
// MOBILENET_REQUIRE_BROWSER=1.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if requireBrowser() {
		t.Fatal(msg + " (MOBILENET_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
}

// moduleRoot is the folder holding go.mod.
func moduleRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("no go.mod above " + wd)
		}
	}
}

// prediction is one class as the CLI and the page report it.
type prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// classify runs `mobilenet classify -json` with the test's model on one
// image.
func classify(t *testing.T, bin, modelDir string, k int, image string) []prediction {
	t.Helper()
	return classifyWith(t, bin, []string{filepath.Join(modelDir, model+".tflite")}, k, image)
}

// classifyWith runs `mobilenet classify -json` with model files (labels:
// embedded, else imagenet_labels.txt next to the model, as the CLI does).
func classifyWith(t *testing.T, bin string, modelFiles []string, k int, image string) []prediction {
	t.Helper()
	args := []string{"classify", "-json", "-k", fmt.Sprint(k)}
	for _, f := range modelFiles {
		args = append(args, "-m", f)
	}
	out, err := exec.Command(bin, append(args, image)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mobilenet classify %s: %v\n%s", image, err, out)
	}
	var r struct{ Top []prediction }
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("mobilenet classify output %q: %v", out, err)
	}
	return r.Top
}

// sameTop compares a page's top-k with the CLI's: same classes, labels
// and scores, compared as the float32 both came from.
func sameTop(got, want []prediction) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d classes, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.Label != w.Label || float32(g.Score) != float32(w.Score) {
			return fmt.Sprintf("rank %d: %d %q %g, want %d %q %g", i+1, g.Index, g.Label, g.Score, w.Index, w.Label, w.Score)
		}
	}
	return ""
}

// TestBrowser runs the page, the widget and the JS loader in headless
// Chromium against `mobilenet serve`, with a fake webcam showing a photo.
// It needs /usr/bin/chromium (or $CHROMIUM), node with playwright-core in
// node_modules (npm ci), the built site (./build.sh) and the shared test
// data; it skips without them unless MOBILENET_REQUIRE_BROWSER=1.
// Screenshots go to $MOBILENET_TEST_OUT, else a temporary folder.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are slow (-short)")
	}
	root := moduleRoot(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		skipOrFail(t, fmt.Sprintf("no Chromium at %s: apt-get install -y chromium (or set CHROMIUM)", chromium))
	}
	node, err := exec.LookPath("node")
	if err != nil {
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
	shared := testdata.Dir(t)
	modelDir := filepath.Join(shared, "models")
	for _, f := range []string{model + ".tflite", floatModel + ".tflite", "imagenet_labels.txt"} {
		if _, err := os.Stat(filepath.Join(modelDir, f)); err != nil {
			t.Fatalf("shared test data lacks models/%s", f)
		}
	}
	out := os.Getenv("MOBILENET_TEST_OUT")
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()

	// The CLI, for the expected results and the server.
	bin := filepath.Join(work, "mobilenet")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mobilenet")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mobilenet: %v\n%s", err, b)
	}

	// The fake webcam's video, and the frame the page should see.
	planes := I420(FitFrame(decodeImage(t, filepath.Join(shared, "images", cameraPhoto)), frameW, frameH))
	y4m := filepath.Join(work, "camera.y4m")
	writeFile(t, y4m, func(f *os.File) error { return WriteY4M(f, planes, 10, 30) })
	framePNG := filepath.Join(work, "camera-frame.png")
	writeFile(t, framePNG, func(f *os.File) error { return png.Encode(f, planes.RGBA()) })

	// Files that must be refused: a model cut short, text, text named .jpg.
	real, err := os.ReadFile(filepath.Join(modelDir, model+".tflite"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(work, "broken.tflite")
	textFile := filepath.Join(work, "notes.txt")
	fakeJpeg := filepath.Join(work, "holiday.jpg")
	for p, b := range map[string][]byte{corrupt: real[:len(real)*3/5], textFile: []byte("not a photo\n"), fakeJpeg: []byte("not a photo either\n")} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The expected results: the CLI on the same pixels.
	wantUpload := classify(t, bin, modelDir, 5, filepath.Join(shared, "images", uploadPhoto))
	wantCamera := classify(t, bin, modelDir, 5, framePNG)
	wantWidget := classify(t, bin, modelDir, 3, filepath.Join(shared, "images", widgetPhoto))
	wantDropped := classifyWith(t, bin, []string{filepath.Join(modelDir, floatModel+".tflite")}, 5, filepath.Join(shared, "images", uploadPhoto))

	// The server, as users start it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, bin, root, modelDir)
	defer stop()

	// Another site, embedding the widget with one script tag.
	other := httptest.NewServer(otherSite(url, filepath.Join(shared, "images")))
	defer other.Close()

	cfg := map[string]any{
		"url": url, "other": other.URL, "out": out, "chromium": chromium, "y4m": y4m,
		"model": model, "floatModel": floatModel,
		"uploadPhoto":    filepath.Join(shared, "images", uploadPhoto),
		"widgetPhotoUrl": other.URL + "/" + widgetPhoto,
		"corruptModel":   corrupt, "textFile": textFile, "fakeJpeg": fakeJpeg,
		"droppedModel": filepath.Join(modelDir, floatModel+".tflite"),
		"profile":      filepath.Join(work, "profile"),
	}
	if s := os.Getenv("MOBILENET_E2E_SCENARIOS"); s != "" {
		cfg["scenarios"] = strings.Split(s, ",")
	}
	res := runNode(t, ctx, node, root, work, "main", cfg)

	t.Run("upload", func(t *testing.T) {
		r := scenario(t, res, "upload")
		if d := sameTop(tops(t, r["top"]), wantUpload); d != "" {
			t.Errorf("uploaded %s with %s: the page shows %s (CLI: %v)", uploadPhoto, model, d, wantUpload)
		}
		if r["model"] != model {
			t.Errorf("page model %v, want %s", r["model"], model)
		}
		t.Logf("upload: %s %.4f, %v; screenshot %v", wantUpload[0].Label, wantUpload[0].Score, r["stats"], r["screenshot"])
	})
	t.Run("corrupt-tflite", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "corrupt")
		msgs := fmt.Sprint(r["messages"])
		if !strings.Contains(msgs, "broken.tflite") || !strings.Contains(msgs, "error") {
			t.Errorf("after dropping a corrupt model the page says %s, want an error naming broken.tflite", msgs)
		}
		if r["modelAfter"] != model {
			t.Errorf("after the corrupt model the page runs %v, want %s still", r["modelAfter"], model)
		}
		if d := sameTop(tops(t, r["topAfter"]), wantUpload); d != "" {
			t.Errorf("after the corrupt model, the photo gives %s", d)
		}
		t.Logf("corrupt model: %s; screenshot %v", msgs, r["screenshot"])
	})
	t.Run("not-image", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "notImage")
		for _, k := range []string{"text", "fakeJpeg"} {
			if m := fmt.Sprint(r[k]); !strings.Contains(m, "not an image") {
				t.Errorf("%s: the page says %s, want 'not an image'", k, m)
			}
		}
		if d := sameTop(tops(t, r["topAfter"]), wantUpload); d != "" {
			t.Errorf("after the non-images, the photo gives %s", d)
		}
		t.Logf("not images: %v / %v; screenshot %v", r["text"], r["fakeJpeg"], r["screenshot"])
	})
	t.Run("dropped-tflite", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "dropped")
		got := tops(t, r["top"])
		// The float model runs the same Go code natively and in wasm; allow
		// the float contract's 1e-5 for the SIMD kernels' summation order.
		if len(got) == 0 || got[0].Index != wantDropped[0].Index || got[0].Label != wantDropped[0].Label || math.Abs(got[0].Score-wantDropped[0].Score) > 1e-5 {
			t.Errorf("dropped %s.tflite: page top-1 %v, CLI %v", floatModel, got, wantDropped[0])
		}
		t.Logf("dropped model: %v: %q %g", r["badge"], got[0].Label, got[0].Score)
	})
	t.Run("camera", func(t *testing.T) {
		r := scenario(t, res, "camera")
		got := tops(t, r["top"])
		if len(got) == 0 || got[0].Index != wantCamera[0].Index {
			t.Errorf("camera showing %s: page top-1 %v, want %d %q (CLI on the decoded frame)", cameraPhoto, got, wantCamera[0].Index, wantCamera[0].Label)
		} else if d := math.Abs(got[0].Score - wantCamera[0].Score); d > 0.05 {
			// The page's frame went through Chromium's own YUV to RGB; a
			// level or two per pixel moves scores a little, not 5 points.
			t.Errorf("camera top-1 score %g, CLI on the decoded frame %g", got[0].Score, wantCamera[0].Score)
		}
		if sz := fmt.Sprint(r["videoSize"]); sz != fmt.Sprintf("[%d %d]", frameW, frameH) {
			t.Errorf("video size %s, want %dx%d", sz, frameW, frameH)
		}
		if r["mirrored"] != true {
			t.Error("the camera preview is not mirrored")
		}
		if fps := fmt.Sprint(r["fps"]); !regexp.MustCompile(`^[0-9.]+$`).MatchString(fps) || fps == "0.0" {
			t.Errorf("frames/s shows %q", fps)
		}
		t.Logf("camera: %q %g (CLI on the frame: %g) after %v frames, %v fps, %v; screenshot %v",
			wantCamera[0].Label, got[0].Score, wantCamera[0].Score, r["frames"], r["fps"], r["ms"], r["screenshot"])
	})
	t.Run("camera-errors", func(t *testing.T) {
		r := scenario(t, res, "camera-errors")
		if m := fmt.Sprint(r["denied"]); !strings.Contains(m, "denied") {
			t.Errorf("denied camera: the page says %s", m)
		}
		if m := fmt.Sprint(r["missing"]); !strings.Contains(m, "No camera") {
			t.Errorf("missing camera: the page says %s", m)
		}
		t.Logf("camera errors: %v / %v; screenshots %v", r["denied"], r["missing"], r["screenshots"])
	})
	t.Run("widget", func(t *testing.T) {
		r := scenario(t, res, "widget")
		check := func(where string, events, errs any) {
			evs, _ := events.([]any)
			if len(evs) == 0 {
				t.Errorf("%s: no prediction event (widget errors: %v)", where, errs)
				return
			}
			ev := evs[0].(map[string]any)
			if ev["source"] != "image" {
				t.Errorf("%s: first event from %v, want the photo", where, ev["source"])
			}
			if d := sameTop(tops(t, ev["predictions"]), wantWidget); d != "" {
				t.Errorf("%s: prediction event %s", where, d)
			}
			if ev["source"] != "image" || ev["model"] != model {
				t.Errorf("%s: event source %v model %v", where, ev["source"], ev["model"])
			}
		}
		check("embed-example.html", r["events"], r["errors"])
		if wc := sub(t, r, "webcam"); len(tops(t, wc["predictions"])) != 3 || tops(t, wc["predictions"])[0].Index != wantCamera[0].Index {
			t.Errorf("the webcam widget predicts %v, want top-1 %d %q", wc["predictions"], wantCamera[0].Index, wantCamera[0].Label)
		}
		co := sub(t, r, "crossOrigin")
		check("a page on "+fmt.Sprint(co["origin"]), co["events"], co["errors"])
		t.Logf("widget: %q; webcam widget %q; screenshots %v, %v, %v", wantWidget[0].Label, wantCamera[0].Label, r["screenshot"], r["webcamScreenshot"], co["screenshot"])
	})
	t.Run("simd", func(t *testing.T) {
		r := scenario(t, res, "simd")
		simdWasm := fileExists(filepath.Join(root, "site", "simd.wasm"))
		ms, _ := r["models"].([]any)
		if len(ms) == 0 {
			t.Fatal("no models compared")
		}
		for _, m := range ms {
			m := m.(map[string]any)
			name := m["name"].(string)
			si, pi := sub(t, m, "simdInfo"), sub(t, m, "portableInfo")
			if pi["simd"] != false {
				t.Errorf("%s: simd:false still runs SIMD", name)
			}
			if simdWasm && r["supported"] == true && si["simd"] != true {
				t.Errorf("%s: site/simd.wasm exists and Chromium has SIMD, but the SIMD kernels are not linked: %v", name, si["reason"])
			}
			quant := m["outputDtype"] != "float32"
			ps, pp := tops(t, m["predsSimd"]), tops(t, m["predsPortable"])
			if quant {
				if d := sameTop(ps, pp); d != "" {
					t.Errorf("%s: SIMD vs portable classify: %s", name, d)
				}
			} else if ps[0].Index != pp[0].Index || math.Abs(ps[0].Score-pp[0].Score) > 1e-5 {
				t.Errorf("%s: SIMD top-1 %v, portable %v", name, ps[0], pp[0])
			}
			diff := outputDiff(t, m["outSimd"], m["outPortable"], quant)
			// Integer kernels are exact; float sums may associate
			// differently, within the float contract (1e-5).
			if (quant && diff != 0) || diff > 1e-5 {
				t.Errorf("%s: SIMD and portable raw outputs differ by %g", name, diff)
			}
			// embed: the feature vector the logits read, as many floats as
			// the embedding tensor has, the same on both paths.
			es, ep := floats(m["embedSimd"]), floats(m["embedPortable"])
			n := 1
			for _, d := range m["embeddingShape"].([]any) {
				n *= int(d.(float64))
			}
			if len(es) != n || len(ep) != n {
				t.Errorf("%s: embed gave %d and %d floats, want %d", name, len(es), len(ep), n)
			} else {
				var maxDiff, norm float64
				for i := range es {
					maxDiff = math.Max(maxDiff, math.Abs(es[i]-ep[i]))
					norm += es[i] * es[i]
				}
				if (quant && maxDiff != 0) || maxDiff > 1e-5 || !(norm > 0) || math.IsInf(norm, 0) {
					t.Errorf("%s: embed SIMD vs portable differ by %g (norm² %g)", name, maxDiff, norm)
				}
			}
			if sw, ok := m["outSwitched"]; ok {
				if d := outputDiff(t, sw, m["outPortable"], quant); d != 0 {
					t.Errorf("%s: setSimd(false) output differs from a portable instance's by %g", name, d)
				}
			}
			if name == model {
				if d := sameTop(pp, classify(t, bin, modelDir, 5, filepath.Join(shared, "images", widgetPhoto))); d != "" {
					t.Errorf("%s: portable classify vs CLI: %s", name, d)
				}
			}
			t.Logf("%s: SIMD %v (%v), portable: same results (max raw diff %g); %.2f ms SIMD, %.2f ms portable",
				name, si["simd"], si["reason"], diff, m["msSimd"], m["msPortable"])
		}
		if !simdWasm {
			t.Log("site/simd.wasm does not exist: compared simd:true (falls back to portable) against simd:false")
		}
	})
	t.Run("no-simd", func(t *testing.T) {
		r := scenario(t, res, "no-simd")
		if m := fmt.Sprint(r["messages"]); !strings.Contains(m, "no WebAssembly SIMD") {
			t.Errorf("without SIMD the page says %s", m)
		}
		if r["simd"] != "false" || r["toggleDisabled"] != true {
			t.Errorf("without SIMD: badge simd=%v, toggle disabled=%v", r["simd"], r["toggleDisabled"])
		}
		if d := sameTop(tops(t, r["top"]), wantUpload); d != "" {
			t.Errorf("without SIMD the photo gives %s", d)
		}
		t.Logf("no SIMD: %v; screenshot %v", r["badge"], r["screenshot"])
	})
	t.Run("benchmark", func(t *testing.T) {
		r := scenario(t, res, "benchmark")
		rows, _ := r["rows"].([]any)
		avail := availableModels(t, url)
		if len(rows) != len(avail) {
			t.Errorf("%d available rows, the catalog has %d available models", len(rows), len(avail))
		}
		var lines []string
		for _, row := range rows {
			row := row.(map[string]any)
			if ms, _ := row["ms"].(float64); !(ms > 0) {
				t.Errorf("%v: no latency after the benchmark", row["name"])
			}
			lines = append(lines, fmt.Sprintf("%v %.2f ms", row["name"], row["ms"]))
		}
		if pts, _ := r["points"].([]any); len(pts) != len(rows) {
			t.Errorf("the plot has %d points for %d benchmarked models", len(pts), len(rows))
		}
		t.Logf("benchmark (%v): %s; screenshot %v", r["state"], strings.Join(lines, ", "), r["screenshot"])
	})
	t.Run("phone", func(t *testing.T) {
		r := scenario(t, res, "phone")
		if o, _ := r["overflow"].(float64); o > 1 {
			t.Errorf("on a 390 px wide phone the page is %g px too wide", o)
		}
		if d := sameTop(tops(t, r["top"]), wantUpload); d != "" {
			t.Errorf("phone: %s", d)
		}
		t.Logf("phone: screenshot %v", r["screenshot"])
	})

	// Offline: a second visit with the server stopped.
	if cfg["scenarios"] == nil || strings.Contains(os.Getenv("MOBILENET_E2E_SCENARIOS"), "offline") {
		t.Run("offline", func(t *testing.T) {
			prime := scenario(t, res, "offline-prime")
			if prime["controlled"] != true {
				t.Errorf("the service worker does not control the page after a reload")
			}
			stop()
			off := runNode(t, ctx, node, root, work, "offline", cfg)
			r := scenario(t, off, "offline")
			if d := sameTop(tops(t, r["top"]), wantUpload); d != "" {
				t.Errorf("offline: %s", d)
			}
			t.Logf("offline: cached %v; screenshot %v", prime["cachedModels"], r["screenshot"])
		})
	}
	t.Logf("screenshots: %s", out)
}

// startServe starts `mobilenet serve` on a free port and returns its URL
// and a stop function (safe to call twice).
func startServe(t *testing.T, ctx context.Context, bin, root, modelDir string) (string, func()) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0", "-models", modelDir, "-site", filepath.Join(root, "site"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(os.Interrupt)
			cmd.Wait()
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`http://\S+/`).FindString(line)
	if err != nil || m == "" {
		stop()
		t.Fatalf("mobilenet serve printed %q (%v); stderr: %s", line, err, stderr.String())
	}
	return strings.TrimSuffix(m, "/"), stop
}

// otherSite is another origin: a page embedding the widget from url with
// one script tag, and the shared photos (with CORS, as image hosts do).
func otherSite(url, images string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/embed.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Someone else's page</title>
<script type="module" src="%s/widget.js"></script>
<h1>Someone else's page</h1>
<mobilenet-classifier id="w" model="%s" src="/%s" top-k="3"></mobilenet-classifier>`, url, model, widgetPhoto)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := filepath.Base(r.URL.Path)
		if !strings.HasSuffix(name, ".bmp") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		http.ServeFile(w, r, filepath.Join(images, name))
	})
	return mux
}

// runNode runs e2e/run.mjs for one phase and returns its results.
func runNode(t *testing.T, ctx context.Context, node, root, work, phase string, cfg map[string]any) map[string]any {
	t.Helper()
	cfg["phase"] = phase
	b, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(work, "config-"+phase+".json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "run.mjs"), cfgPath)
	cmd.Dir = root
	start := time.Now()
	outb, err := cmd.CombinedOutput()
	t.Logf("node e2e/run.mjs (%s, %.0f s):\n%s", phase, time.Since(start).Seconds(), outb)
	if err != nil {
		t.Fatalf("node e2e/run.mjs %s: %v", phase, err)
	}
	rb, err := os.ReadFile(filepath.Join(cfg["out"].(string), "results-"+phase+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(rb, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// scenario returns a scenario's observations, failing the test when it
// did not run.
func scenario(t *testing.T, res map[string]any, name string) map[string]any {
	t.Helper()
	r, ok := res[name].(map[string]any)
	if !ok {
		if os.Getenv("MOBILENET_E2E_SCENARIOS") != "" {
			t.Skipf("scenario %s not selected by MOBILENET_E2E_SCENARIOS", name)
		}
		t.Fatalf("scenario %s did not run", name)
	}
	if r["ok"] != true {
		t.Fatalf("scenario %s failed in the browser: %v (screenshot %v)", name, r["error"], r["screenshot"])
	}
	if errs, _ := r["pageErrors"].([]any); len(errs) > 0 {
		t.Errorf("scenario %s: errors in the page: %v", name, errs)
	}
	return r
}

func sub(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	r, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("no %s in %v", key, m)
	}
	return r
}

// tops converts a JSON array of predictions.
func tops(t *testing.T, v any) []prediction {
	t.Helper()
	b, _ := json.Marshal(v)
	var p []prediction
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("predictions %s: %v", b, err)
	}
	return p
}

// outputDiff is the largest difference between two raw output tensors
// (bytes for quantized models, little-endian float32 otherwise).
func outputDiff(t *testing.T, a, b any, quant bool) float64 {
	t.Helper()
	ab, bb := bytesOf(t, a), bytesOf(t, b)
	if len(ab) != len(bb) || len(ab) == 0 {
		t.Fatalf("raw outputs of %d and %d bytes", len(ab), len(bb))
	}
	var d float64
	if quant {
		for i := range ab {
			d = math.Max(d, math.Abs(float64(ab[i])-float64(bb[i])))
		}
		return d
	}
	for i := 0; i+4 <= len(ab); i += 4 {
		x := math.Float32frombits(binary.LittleEndian.Uint32(ab[i:]))
		y := math.Float32frombits(binary.LittleEndian.Uint32(bb[i:]))
		d = math.Max(d, math.Abs(float64(x)-float64(y)))
	}
	return d
}

// floats converts a JSON array of numbers.
func floats(v any) []float64 {
	xs, _ := v.([]any)
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i], _ = x.(float64)
	}
	return f
}

func bytesOf(t *testing.T, v any) []byte {
	t.Helper()
	xs, _ := v.([]any)
	b := make([]byte, len(xs))
	for i, x := range xs {
		b[i] = byte(x.(float64))
	}
	return b
}

// availableModels lists the catalog's models the server has.
func availableModels(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/models/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Models []struct {
			Name      string `json:"name"`
			Available bool   `json:"available"`
		} `json:"models"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range doc.Models {
		if m.Available {
			names = append(names, m.Name)
		}
	}
	return names
}

func decodeImage(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func writeFile(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
