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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "golang.org/x/image/bmp"
)

// The test's choices. The photos are the shared ones with a clear winner
// for the model (so that the camera's colour conversion cannot flip it);
// BMPs decode to the same pixels in Go, Chromium and Firefox, so the page's
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
		require.FailNow(t, msg+" (MOBILENET_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
}

// prediction is one class as the CLI and the page report it.
type prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// classify runs `mobilenet classify -json` with the test's model on one
// image, and returns its top k as the page and the widget list them: the
// release's class 0, "background", left out.
func classify(t *testing.T, bin, modelDir string, k int, image string) []prediction {
	t.Helper()
	var shown []prediction
	for _, p := range classifyWith(t, bin, []string{filepath.Join(modelDir, model+".tflite")}, k+1, image) {
		if p.Label != "background" && len(shown) < k {
			shown = append(shown, p)
		}
	}
	return shown
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
	require.NoError(t, err, "mobilenet classify %s\n%s", image, out)
	var r struct{ Top []prediction }
	require.NoError(t, json.Unmarshal(out, &r), "mobilenet classify output %q", out)
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
// Chromium and headless Firefox (one subtest each, see browsers) against
// `mobilenet serve`, with a fake webcam. It needs /usr/bin/chromium (or
// $CHROMIUM) and /usr/bin/firefox-esr (or $FIREFOX), node with
// playwright-core and puppeteer-core in node_modules (npm ci), the built
// site (./build.sh) and the shared test data; it skips without them unless
// MOBILENET_REQUIRE_BROWSER=1. Screenshots go to $MOBILENET_TEST_OUT,
// else a temporary folder.
//
// Every scenario runs in both browsers with the same expectations (the
// page's scores equal the CLI's on the same pixels), except the camera:
// Chromium's fake webcam plays a Y4M made of a photo, so the camera's
// top-1 must be the CLI's on that frame; Firefox's fake webcam can only
// show its own synthetic, moving pattern, so there the test asserts that
// frames flow, each is classified and the results are shown, not a label.
func TestBrowser(t *testing.T) {
	forEachBrowser(t, testBrowser)
}

func testBrowser(t *testing.T, b browserSpec) {
	e := newBrowserEnv(t, b, "page", model+".tflite", floatModel+".tflite", "imagenet_labels.txt")
	root, node, shared, modelDir, out, work, bin := e.root, e.node, e.shared, e.modelDir, e.out, e.work, e.bin

	// The fake webcam's video, and the frame the page should see.
	planes := I420(FitFrame(decodeImage(t, filepath.Join(shared, "images", cameraPhoto)), frameW, frameH))
	y4m := filepath.Join(work, "camera.y4m")
	writeFile(t, y4m, func(f *os.File) error { return WriteY4M(f, planes, 10, 30) })
	framePNG := filepath.Join(work, "camera-frame.png")
	writeFile(t, framePNG, func(f *os.File) error { return png.Encode(f, planes.RGBA()) })

	// Files that must be refused: a model cut short, text, text named .jpg.
	real, err := os.ReadFile(filepath.Join(modelDir, model+".tflite"))
	require.NoError(t, err)
	corrupt := filepath.Join(work, "broken.tflite")
	textFile := filepath.Join(work, "notes.txt")
	fakeJpeg := filepath.Join(work, "holiday.jpg")
	for p, b := range map[string][]byte{corrupt: real[:len(real)*3/5], textFile: []byte("not a photo\n"), fakeJpeg: []byte("not a photo either\n")} {
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}

	// The expected results: the CLI on the same pixels.
	wantUpload := classify(t, bin, modelDir, 5, filepath.Join(shared, "images", uploadPhoto))
	wantCamera := classify(t, bin, modelDir, 5, framePNG)
	wantWidget := classify(t, bin, modelDir, 3, filepath.Join(shared, "images", widgetPhoto))
	labels := readLines(t, filepath.Join(modelDir, "imagenet_labels.txt"))
	wantDropped := classifyWith(t, bin, []string{filepath.Join(modelDir, floatModel+".tflite")}, 5, filepath.Join(shared, "images", uploadPhoto))

	// The server, as users start it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, bin, root, modelDir)
	defer stop()

	// Another site, embedding the widget with one script tag.
	other := httptest.NewServer(otherSite(url, filepath.Join(shared, "images")))
	defer other.Close()

	cfg := e.config(url, map[string]any{
		"other": other.URL, "y4m": y4m,
		"model": model, "floatModel": floatModel,
		"uploadPhoto":    filepath.Join(shared, "images", uploadPhoto),
		"widgetPhotoUrl": other.URL + "/" + widgetPhoto,
		"corruptModel":   corrupt, "textFile": textFile, "fakeJpeg": fakeJpeg,
		"droppedModel": filepath.Join(modelDir, floatModel+".tflite"),
		"profile":      filepath.Join(work, "profile"),
	})
	if s := os.Getenv("MOBILENET_E2E_SCENARIOS"); s != "" {
		cfg["scenarios"] = strings.Split(s, ",")
	}
	res := runScriptMap(t, ctx, node, root, work, "run.mjs", "main", cfg, "results-main.json")

	t.Run("upload", func(t *testing.T) {
		r := scenario(t, res, "upload")
		assert.Empty(t, sameTop(tops(t, r["top"]), wantUpload), "uploaded %s with %s: the page differs from the CLI (%v)", uploadPhoto, model, wantUpload)
		assert.Equal(t, model, r["model"], "page model")
		t.Logf("upload: %s %.4f, %v; screenshot %v", wantUpload[0].Label, wantUpload[0].Score, r["stats"], r["screenshot"])
	})
	t.Run("corrupt-tflite", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "corrupt")
		msgs := fmt.Sprint(r["messages"])
		assert.Contains(t, msgs, "broken.tflite", "after dropping a corrupt model, the page's messages")
		assert.Contains(t, msgs, "error", "after dropping a corrupt model, the page's messages")
		assert.Equal(t, model, r["modelAfter"], "the model after the corrupt one")
		assert.Empty(t, sameTop(tops(t, r["topAfter"]), wantUpload), "after the corrupt model, the photo")
		t.Logf("corrupt model: %s; screenshot %v", msgs, r["screenshot"])
	})
	t.Run("not-image", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "notImage")
		for _, k := range []string{"text", "fakeJpeg"} {
			assert.Contains(t, fmt.Sprint(r[k]), "not an image", "%s: the page's message", k)
		}
		assert.Empty(t, sameTop(tops(t, r["topAfter"]), wantUpload), "after the non-images, the photo")
		t.Logf("not images: %v / %v; screenshot %v", r["text"], r["fakeJpeg"], r["screenshot"])
	})
	t.Run("dropped-tflite", func(t *testing.T) {
		r := sub(t, scenario(t, res, "upload"), "dropped")
		got := tops(t, r["top"])
		// The float model runs the same Go code natively and in wasm; allow
		// the float contract's 1e-5 for the SIMD kernels' summation order.
		require.NotEmpty(t, got, "dropped %s.tflite: no top-1", floatModel)
		assert.Equal(t, wantDropped[0].Index, got[0].Index, "dropped %s.tflite: page top-1 %v, CLI %v", floatModel, got, wantDropped[0])
		assert.Equal(t, wantDropped[0].Label, got[0].Label, "dropped %s.tflite: page top-1 %v, CLI %v", floatModel, got, wantDropped[0])
		assert.InDelta(t, wantDropped[0].Score, got[0].Score, 1e-5, "dropped %s.tflite: page top-1 %v, CLI %v", floatModel, got, wantDropped[0])
		t.Logf("dropped model: %v: %q %g", r["badge"], got[0].Label, got[0].Score)
	})
	t.Run("camera", func(t *testing.T) {
		r := scenario(t, res, "camera")
		got := tops(t, r["top"])
		// A mirror, unless the camera says it faces away (Firefox's fake
		// one does: facingMode "environment").
		assert.Equal(t, r["facingMode"] != "environment", r["mirrored"], "the camera preview's mirroring, with facingMode %q", r["facingMode"])
		fps := fmt.Sprint(r["fps"])
		assert.Regexp(t, `^[0-9.]+$`, fps, "frames/s")
		assert.NotEqual(t, "0.0", fps, "frames/s")
		if e.firefox() {
			// Firefox's fake webcam: a synthetic pattern, no known label;
			// frames flowed (the script waited for 5 classified frames),
			// and the page shows a well-formed top-5 of ImageNet labels.
			assert.Empty(t, wellFormedTop(got, 5, labels), "camera top-5 in Firefox")
			size, _ := r["videoSize"].([]any)
			assert.True(t, len(size) == 2 && size[0].(float64) > 0 && size[1].(float64) > 0, "video size %v", r["videoSize"])
			t.Logf("camera (Firefox's synthetic pattern %v): %v after %v frames, %v fps, %v; screenshot %v", r["videoSize"], got[:min(len(got), 1)], r["frames"], r["fps"], r["ms"], r["screenshot"])
			return
		}
		require.NotEmpty(t, got, "camera showing %s: no top-1", cameraPhoto)
		if assert.Equal(t, wantCamera[0].Index, got[0].Index, "camera showing %s: page top-1 %v, want %q (CLI on the decoded frame)", cameraPhoto, got, wantCamera[0].Label) {
			// The page's frame went through Chromium's own YUV to RGB; a
			// level or two per pixel moves scores a little, not 5 points.
			assert.InDelta(t, wantCamera[0].Score, got[0].Score, 0.05, "camera top-1 score against the CLI on the decoded frame")
		}
		assert.Equal(t, fmt.Sprintf("[%d %d]", frameW, frameH), fmt.Sprint(r["videoSize"]), "video size")
		t.Logf("camera: %q %g (CLI on the frame: %g) after %v frames, %v fps, %v; screenshot %v",
			wantCamera[0].Label, got[0].Score, wantCamera[0].Score, r["frames"], r["fps"], r["ms"], r["screenshot"])
	})
	t.Run("hidden-tab", func(t *testing.T) {
		r := scenario(t, res, "hidden-tab")
		// Hidden for real in Firefox (another tab in front); headless
		// Chromium keeps tabs visible, so its document says so.
		assert.Equal(t, e.firefox(), r["real"], "a real hidden tab")
		assert.Equal(t, "hidden", r["visibility"], "document.visibilityState while hidden")
		assert.Equal(t, 0.0, r["hiddenFrames"], "frames classified in 2 s while hidden")
		assert.GreaterOrEqual(t, r["shownFrames"], 3.0, "frames classified once shown again")
		assert.Nil(t, r["pausedAfter"], "data-paused once shown again")
		assert.Equal(t, "visible", r["visibilityAfter"])
		t.Logf("hidden tab (real: %v): %v frames while hidden, %v after", r["real"], r["hiddenFrames"], r["shownFrames"])
	})
	t.Run("camera-errors", func(t *testing.T) {
		r := scenario(t, res, "camera-errors")
		assert.Contains(t, fmt.Sprint(r["denied"]), "denied", "denied camera: the page's message")
		assert.Contains(t, fmt.Sprint(r["missing"]), "No camera", "missing camera: the page's message")
		t.Logf("camera errors: %v / %v; screenshots %v", r["denied"], r["missing"], r["screenshots"])
	})
	t.Run("widget", func(t *testing.T) {
		r := scenario(t, res, "widget")
		check := func(where string, events, errs any) {
			evs, _ := events.([]any)
			if !assert.NotEmpty(t, evs, "%s: no prediction event (widget errors: %v)", where, errs) {
				return
			}
			ev := evs[0].(map[string]any)
			assert.Equal(t, "image", ev["source"], "%s: the first event's source, want the photo", where)
			assert.Empty(t, sameTop(tops(t, ev["predictions"]), wantWidget), "%s: prediction event", where)
			assert.Equal(t, model, ev["model"], "%s: the event's model", where)
		}
		check("embed-example.html", r["events"], r["errors"])
		if wc := tops(t, sub(t, r, "webcam")["predictions"]); e.firefox() {
			// Firefox's synthetic camera: predictions, no known label.
			assert.Empty(t, wellFormedTop(wc, 3, labels), "the webcam widget's predictions in Firefox")
		} else if assert.Len(t, wc, 3, "the webcam widget's predictions") {
			assert.Equal(t, wantCamera[0].Index, wc[0].Index, "the webcam widget predicts %v, want top-1 %q", wc, wantCamera[0].Label)
		}
		co := sub(t, r, "crossOrigin")
		check("a page on "+fmt.Sprint(co["origin"]), co["events"], co["errors"])
		t.Logf("widget: %q; webcam widget %q; screenshots %v, %v, %v", wantWidget[0].Label, wantCamera[0].Label, r["screenshot"], r["webcamScreenshot"], co["screenshot"])
	})
	t.Run("simd", func(t *testing.T) {
		r := scenario(t, res, "simd")
		simdWasm := fileExists(filepath.Join(root, "site", "simd.wasm"))
		ms, _ := r["models"].([]any)
		require.NotEmpty(t, ms, "no models compared")
		for _, m := range ms {
			m := m.(map[string]any)
			name := m["name"].(string)
			si, pi := sub(t, m, "simdInfo"), sub(t, m, "portableInfo")
			assert.Equal(t, false, pi["simd"], "%s: simd:false still runs SIMD", name)
			if simdWasm && r["supported"] == true {
				assert.Equal(t, true, si["simd"], "%s: site/simd.wasm exists and the browser has SIMD, but the SIMD kernels are not linked: %v", name, si["reason"])
			}
			quant := m["outputDtype"] != "float32"
			ps, pp := tops(t, m["predsSimd"]), tops(t, m["predsPortable"])
			if quant {
				assert.Empty(t, sameTop(ps, pp), "%s: SIMD vs portable classify", name)
			} else {
				require.NotEmpty(t, ps, "%s: SIMD classify", name)
				require.NotEmpty(t, pp, "%s: portable classify", name)
				assert.Equal(t, pp[0].Index, ps[0].Index, "%s: SIMD top-1 %v, portable %v", name, ps[0], pp[0])
				assert.InDelta(t, pp[0].Score, ps[0].Score, 1e-5, "%s: SIMD top-1 %v, portable %v", name, ps[0], pp[0])
			}
			diff := outputDiff(t, m["outSimd"], m["outPortable"], quant)
			// Integer kernels are exact; float sums may associate
			// differently, within the float contract (1e-5).
			if quant {
				assert.Zero(t, diff, "%s: SIMD and portable raw outputs differ", name)
			}
			assert.LessOrEqual(t, diff, 1e-5, "%s: SIMD and portable raw outputs differ", name)
			// embed: the feature vector the logits read, as many floats as
			// the embedding tensor has, the same on both paths.
			es, ep := floats(m["embedSimd"]), floats(m["embedPortable"])
			n := 1
			for _, d := range m["embeddingShape"].([]any) {
				n *= int(d.(float64))
			}
			if assert.Len(t, es, n, "%s: SIMD embed floats", name) && assert.Len(t, ep, n, "%s: portable embed floats", name) {
				var maxDiff, norm float64
				for i := range es {
					maxDiff = math.Max(maxDiff, math.Abs(es[i]-ep[i]))
					norm += es[i] * es[i]
				}
				if quant {
					assert.Zero(t, maxDiff, "%s: embed SIMD vs portable", name)
				}
				assert.LessOrEqual(t, maxDiff, 1e-5, "%s: embed SIMD vs portable", name)
				assert.True(t, norm > 0 && !math.IsInf(norm, 0), "%s: embedding norm² %g", name, norm)
			}
			if sw, ok := m["outSwitched"]; ok {
				assert.Zero(t, outputDiff(t, sw, m["outPortable"], quant), "%s: setSimd(false) output differs from a portable instance's", name)
				assert.Equal(t, "portable", m["switchedKernels"], "%s: info.kernels after setSimd(false)", name)
				assert.Equal(t, si["kernels"], m["switchedBackKernels"], "%s: info.kernels after setSimd(true)", name)
			}
			// Relaxed SIMD: where the browser has it, load({relaxedSimd:
			// true}) links simd-relaxed.wasm, relaxedSimd: false
			// simd.wasm, and the default is the relaxed one but in
			// Firefox (slower there); integer outputs are identical on
			// all three paths, float ones (the relaxed module's fused
			// multiply-adds round once) within the float contract.
			pl := sub(t, m, "plainInfo")
			relaxedWasm := fileExists(filepath.Join(root, "site", "simd-relaxed.wasm"))
			assert.Equal(t, "portable", pi["kernels"], "%s: simd:false's info.kernels", name)
			if simdWasm && r["supported"] == true {
				assert.Equal(t, "simd.wasm", pl["kernels"], "%s: relaxedSimd:false's info.kernels", name)
				assert.Equal(t, false, pl["relaxed"], "%s: relaxedSimd:false's info.relaxedSimd", name)
				want := "simd.wasm"
				if relaxedWasm && m["relaxedSupported"] == true {
					want = "simd-relaxed.wasm"
				}
				wantDefault := want
				if e.firefox() {
					wantDefault = "simd.wasm"
				}
				assert.Equal(t, wantDefault, sub(t, m, "defaultInfo")["kernels"], "%s: the default info.kernels in %s", name, e.browser)
				assert.Equal(t, want, si["kernels"], "%s: relaxedSimd:true's info.kernels (relaxed SIMD supported: %v)", name, m["relaxedSupported"])
				assert.Equal(t, want == "simd-relaxed.wasm", si["relaxed"], "%s: info.relaxedSimd", name)
			}
			plainDiff := outputDiff(t, m["outPlain"], m["outPortable"], quant)
			if quant {
				assert.Zero(t, plainDiff, "%s: simd.wasm and portable raw outputs differ", name)
			}
			assert.LessOrEqual(t, plainDiff, 1e-5, "%s: simd.wasm and portable raw outputs differ", name)
			relaxedDiff := outputDiff(t, m["outSimd"], m["outPlain"], quant)
			if quant {
				assert.Zero(t, relaxedDiff, "%s: %v and simd.wasm raw outputs differ", name, si["kernels"])
			}
			assert.LessOrEqual(t, relaxedDiff, 1e-5, "%s: %v and simd.wasm raw outputs differ", name, si["kernels"])
			t.Logf("%s: %v vs simd.wasm: max raw diff %g; %.2f ms, simd.wasm %.2f ms", name, si["kernels"], relaxedDiff, m["msSimd"], m["msPlain"])
			if name == model {
				// The JS API lists every class, "background" too.
				cli := classifyWith(t, bin, []string{filepath.Join(modelDir, model+".tflite")}, 5, filepath.Join(shared, "images", widgetPhoto))
				assert.Empty(t, sameTop(pp, cli), "%s: portable classify vs CLI", name)
			}
			t.Logf("%s: SIMD %v (%v), portable: same results (max raw diff %g); %.2f ms SIMD, %.2f ms portable",
				name, si["simd"], si["reason"], diff, m["msSimd"], m["msPortable"])
		}
		if !simdWasm {
			t.Log("site/simd.wasm does not exist: compared simd:true (falls back to portable) against simd:false")
		}
	})
	t.Run("features", func(t *testing.T) {
		// What the loader reports about the browser (info.features), as
		// measured with Debian 12's Chromium 156 and Firefox ESR 153.
		r := scenario(t, res, "simd")
		ms, _ := r["models"].([]any)
		require.NotEmpty(t, ms, "no models loaded")
		f := sub(t, ms[0].(map[string]any), "features")
		// The same in both (the probes are right: node 20's V8 refuses
		// the relaxed SIMD one); threads exactly in isolated pages
		// (`mobilenet serve` unless -isolate=false).
		iso := isolated()
		want := map[string]any{
			"simd": true, "relaxedSimd": true, "threads": iso, "crossOriginIsolated": iso,
			"offscreenCanvas": true, "workerCanvas": true, "videoFrame": true, "cacheStorage": true, "serviceWorker": true,
		}
		for k, v := range want {
			assert.Equal(t, v, f[k], "info.features.%s in %s", k, e.browser)
		}
		// The clock: 0.1 ms in Chromium, 1 ms in Firefox; 5 and 20 us
		// in cross-origin isolated pages.
		res, _ := f["timerResolutionMs"].(float64)
		wantRes := map[bool]float64{false: 0.1, true: 1}[e.firefox()]
		if iso {
			wantRes = map[bool]float64{false: 0.005, true: 0.02}[e.firefox()]
		}
		assert.InDelta(t, wantRes, res, wantRes/10, "info.features.timerResolutionMs")
		t.Logf("%s: %v", e.browser, f)
	})
	t.Run("threads", func(t *testing.T) {
		r := scenario(t, res, "threads")
		iso := isolated()
		assert.Equal(t, iso, r["isolated"], "crossOriginIsolated")
		assert.Equal(t, iso, r["supported"], "threadsSupported()")
		cores, _ := r["cores"].(float64)
		// suggestedThreads() is the cores, at most 4, in isolated
		// pages, and the default, in both browsers.
		threads := iso
		wantSuggested := 1.0
		if threads {
			wantSuggested = min(4, cores)
		}
		assert.Equal(t, wantSuggested, r["defaultThreads"], "defaultThreads()")
		assert.Equal(t, wantSuggested, r["suggestedThreads"], "suggestedThreads() with %v cores", cores)
		ms, _ := r["models"].([]any)
		require.Len(t, ms, 2)
		for _, mv := range ms {
			m := mv.(map[string]any)
			runs, _ := m["runs"].([]any)
			require.Len(t, runs, 4, "%s: runs", m["name"])
			ref := runs[0].(map[string]any)["out"]
			require.NotEmpty(t, ref, "%s: 1 thread's output", m["name"])
			for _, rv := range runs {
				run := rv.(map[string]any)
				asked := run["asked"]
				want := 1.0
				if n, ok := asked.(float64); ok && threads {
					want = n
				} else if asked == "default" && threads {
					want = wantSuggested
				}
				assert.Equal(t, want, run["threads"], "%s: threads %v: info.threads (reason %q)", m["name"], asked, run["reason"])
				if run["threads"] == 1.0 {
					assert.NotEmpty(t, run["reason"], "%s: threads %v: info.threadsReason on one thread", m["name"], asked)
				} else {
					assert.Empty(t, run["reason"], "%s: threads %v: info.threadsReason", m["name"], asked)
				}
				assert.Equal(t, ref, run["out"], "%s: threads %v: output differs from one thread's", m["name"], asked)
			}
			t.Logf("%s: threads 1, 2, 4, default: byte-identical outputs; isolated %v", m["name"], iso)
		}
	})
	t.Run("no-worker-canvas", func(t *testing.T) {
		r := scenario(t, res, "no-worker-canvas")
		assert.Equal(t, false, sub(t, r, "features")["workerCanvas"], "a worker without OffscreenCanvas: info.features.workerCanvas")
		// The JS API's classify is raw (background included), as the CLI's.
		raw := classifyWith(t, bin, []string{filepath.Join(modelDir, model+".tflite")}, 3, filepath.Join(shared, "images", widgetPhoto))
		assert.Empty(t, sameTop(tops(t, r["top"]), raw), "a worker without OffscreenCanvas: classify a photo")
		assert.Empty(t, sameTop(tops(t, r["topBitmap"]), raw), "a worker without OffscreenCanvas: classify an ImageBitmap")
		assert.Equal(t, true, r["bitmapKept"], "the caller's ImageBitmap was closed")
	})
	t.Run("no-relaxed", func(t *testing.T) {
		// The page's features come from the page (the probe refused
		// there); the worker is not patched, but the page picks the
		// module.
		r := scenario(t, res, "no-relaxed")
		assert.Equal(t, false, r["relaxedSupported"], "a browser without relaxed SIMD: relaxedSimdSupported()")
		assert.Equal(t, false, sub(t, r, "features")["relaxedSimd"], "a browser without relaxed SIMD: info.features.relaxedSimd")
		assert.Equal(t, true, r["simd"], "a browser without relaxed SIMD still runs the SIMD kernels")
		assert.Equal(t, "simd.wasm", r["kernels"], "a browser without relaxed SIMD: info.kernels")
		assert.Equal(t, false, r["relaxed"], "a browser without relaxed SIMD: info.relaxedSimd")
		raw := classifyWith(t, bin, []string{filepath.Join(modelDir, model+".tflite")}, 3, filepath.Join(shared, "images", widgetPhoto))
		assert.Empty(t, sameTop(tops(t, r["top"]), raw), "a browser without relaxed SIMD: classify a photo")
	})
	t.Run("no-simd", func(t *testing.T) {
		r := scenario(t, res, "no-simd")
		assert.Contains(t, fmt.Sprint(r["messages"]), "no WebAssembly SIMD", "without SIMD, the page's messages")
		assert.Equal(t, "false", r["simd"], "without SIMD: the badge's simd")
		assert.Equal(t, true, r["toggleDisabled"], "without SIMD: the SIMD toggle is disabled")
		assert.Empty(t, sameTop(tops(t, r["top"]), wantUpload), "without SIMD, the photo")
		t.Logf("no SIMD: %v; screenshot %v", r["badge"], r["screenshot"])
	})
	t.Run("benchmark", func(t *testing.T) {
		r := scenario(t, res, "benchmark")
		rows, _ := r["rows"].([]any)
		avail := availableModels(t, url)
		assert.Len(t, rows, len(avail), "benchmark rows, one per available model of the catalog")
		var lines []string
		for _, row := range rows {
			row := row.(map[string]any)
			ms, _ := row["ms"].(float64)
			assert.Greater(t, ms, 0.0, "%v: no latency after the benchmark", row["name"])
			lines = append(lines, fmt.Sprintf("%v %.2f ms", row["name"], row["ms"]))
		}
		// Each run is timed as a batch's mean: even Firefox's 1 ms clock
		// gives latencies in fractions of a millisecond, not whole ticks.
		fractional := false
		for _, row := range rows {
			ms, _ := row.(map[string]any)["ms"].(float64)
			fractional = fractional || ms != math.Round(ms)
		}
		assert.True(t, fractional, "every latency is a whole number of ms: %s", strings.Join(lines, ", "))
		pts, _ := r["points"].([]any)
		assert.Len(t, pts, len(rows), "the plot's points, one per benchmarked model")
		t.Logf("benchmark (%v): %s; screenshot %v", r["state"], strings.Join(lines, ", "), r["screenshot"])
	})
	t.Run("phone", func(t *testing.T) {
		r := scenario(t, res, "phone")
		o, _ := r["overflow"].(float64)
		assert.LessOrEqual(t, o, 1.0, "on a 390 px wide phone, how many px the page is too wide")
		assert.Empty(t, sameTop(tops(t, r["top"]), wantUpload), "phone")
		t.Logf("phone: screenshot %v", r["screenshot"])
	})

	// Offline: a second visit with the server stopped.
	if cfg["scenarios"] == nil || strings.Contains(os.Getenv("MOBILENET_E2E_SCENARIOS"), "offline") {
		t.Run("offline", func(t *testing.T) {
			prime := scenario(t, res, "offline-prime")
			assert.Equal(t, true, prime["controlled"], "the service worker does not control the page after a reload")
			stop()
			off := runScriptMap(t, ctx, node, root, work, "run.mjs", "offline", cfg, "results-offline.json")
			r := scenario(t, off, "offline")
			assert.Empty(t, sameTop(tops(t, r["top"]), wantUpload), "offline")
			t.Logf("offline: cached %v; screenshot %v", prime["cachedModels"], r["screenshot"])
		})
	}
	t.Logf("screenshots: %s", out)
}

// isolated reports whether the browser tests' pages are cross-origin
// isolated: yes unless MOBILENET_E2E_ISOLATE=0.
func isolated() bool { return os.Getenv("MOBILENET_E2E_ISOLATE") != "0" }

// startServe starts `mobilenet serve` on a free port and returns its URL
// and a stop function (safe to call twice). Its pages are cross-origin
// isolated (the engine runs kernel threads) unless
// MOBILENET_E2E_ISOLATE=0, which runs every browser test on pages that
// are not (one thread).
func startServe(t *testing.T, ctx context.Context, bin, root, modelDir string) (string, func()) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0", "-models", modelDir, "-site", filepath.Join(root, "site"),
		"-isolate="+strconv.FormatBool(isolated()))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
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
		require.FailNowf(t, "mobilenet serve printed no URL", "it printed %q (%v); stderr: %s", line, err, stderr.String())
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

// scenario returns a scenario's observations, failing the test when it
// did not run.
func scenario(t *testing.T, res map[string]any, name string) map[string]any {
	t.Helper()
	r, ok := res[name].(map[string]any)
	if !ok && os.Getenv("MOBILENET_E2E_SCENARIOS") != "" {
		t.Skipf("scenario %s not selected by MOBILENET_E2E_SCENARIOS", name)
	}
	require.True(t, ok, "scenario %s did not run", name)
	require.Equal(t, true, r["ok"], "scenario %s failed in the browser: %v (screenshot %v)", name, r["error"], r["screenshot"])
	errs, _ := r["pageErrors"].([]any)
	assert.Empty(t, errs, "scenario %s: errors in the page", name)
	return r
}

func sub(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	r, ok := m[key].(map[string]any)
	require.True(t, ok, "no %s in %v", key, m)
	return r
}

// tops converts a JSON array of predictions.
func tops(t *testing.T, v any) []prediction {
	t.Helper()
	b, _ := json.Marshal(v)
	var p []prediction
	require.NoError(t, json.Unmarshal(b, &p), "predictions %s", b)
	return p
}

// outputDiff is the largest difference between two raw output tensors
// (bytes for quantized models, little-endian float32 otherwise).
func outputDiff(t *testing.T, a, b any, quant bool) float64 {
	t.Helper()
	ab, bb := bytesOf(t, a), bytesOf(t, b)
	require.NotEmpty(t, ab, "raw outputs")
	require.Len(t, bb, len(ab), "raw outputs")
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

// wellFormedTop checks predictions of a camera with no known label: k
// of them, scores in [0, 1] in decreasing order, summing to at most 1,
// and each label the ImageNet label of its index. It returns what is
// wrong, or "".
func wellFormedTop(got []prediction, k int, labels []string) string {
	if len(got) != k {
		return fmt.Sprintf("%d predictions, want %d: %v", len(got), k, got)
	}
	sum := 0.0
	for i, p := range got {
		if p.Index < 0 || p.Index >= len(labels) || p.Label != labels[p.Index] {
			return fmt.Sprintf("rank %d: index %d label %q is not an ImageNet class", i+1, p.Index, p.Label)
		}
		if p.Score < 0 || p.Score > 1 || (i > 0 && p.Score > got[i-1].Score) {
			return fmt.Sprintf("rank %d: score %g out of range or order: %v", i+1, p.Score, got)
		}
		sum += p.Score
	}
	if sum > 1+1e-6 {
		return fmt.Sprintf("scores sum to %g", sum)
	}
	return ""
}

// readLines reads a text file's lines.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

// availableModels lists the catalog's models the server has.
func availableModels(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/models/catalog.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc struct {
		Models []struct {
			Name      string `json:"name"`
			Available bool   `json:"available"`
		} `json:"models"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
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
	require.NoError(t, err)
	defer f.Close()
	img, _, err := image.Decode(f)
	require.NoError(t, err, path)
	return img
}

func writeFile(t *testing.T, path string, write func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, write(f))
	require.NoError(t, f.Close())
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
