package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPage runs the Classify page as a new user meets it (e2e/page.mjs),
// at 1280x800 and 390x844: the cold start (unthrottled and at 1.6 Mbit/s,
// reported, not asserted), loading feedback where the user looks, the
// model picker next to the picture, the catalog on a phone, the camera's
// buttons, freeze, save and stop, a damaged model, the results' options,
// images from an address or the clipboard, the crop overlay, the keyboard,
// the camera choice, the widget's example page on a phone and the favicon.
// Screenshots go to $MOBILENET_TEST_OUT/page-flow, else a temporary
// folder. With MOBILENET_README_PICTURE=PATH (relative to the module
// root: docs/page.png) it also writes the README's picture, the desktop
// first view with a prediction, to PATH.
func TestPage(t *testing.T) {
	other := "mobilenet_v1_0.25_128_quant"
	// Chromium only: the cold start is throttled with Chromium's network
	// emulation (DevTools protocol), and the camera scenarios play a Y4M
	// file, which only Chromium's fake camera can.
	e := newBrowserEnv(t, browsers[0], "page-flow", model+".tflite", other+".tflite", "imagenet_labels.txt")

	planes := I420(FitFrame(decodeImage(t, filepath.Join(e.shared, "images", cameraPhoto)), frameW, frameH))
	y4m := filepath.Join(e.work, "camera.y4m")
	writeFile(t, y4m, func(f *os.File) error { return WriteY4M(f, planes, 10, 30) })
	real, err := os.ReadFile(filepath.Join(e.modelDir, model+".tflite"))
	require.NoError(t, err)
	corrupt := filepath.Join(e.work, "broken.tflite")
	require.NoError(t, os.WriteFile(corrupt, real[:len(real)*3/5], 0o644))

	hostileModels := writeHostile(t, e.work)

	upload := filepath.Join(e.shared, "images", uploadPhoto)
	wantUpload := classify(t, e.bin, e.modelDir, 5, upload)
	wantURL := classify(t, e.bin, e.modelDir, 5, filepath.Join(e.shared, "images", widgetPhoto))
	// cat.bmp's ten best with "background" (a zero score that ranks 4th).
	wantTen := classifyWith(t, e.bin, []string{filepath.Join(e.modelDir, model+".tflite")}, 11, upload)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, e.bin, e.root, e.modelDir)
	defer stop()
	photos := httptest.NewServer(otherSite(url, filepath.Join(e.shared, "images")))
	defer photos.Close()

	picture := os.Getenv("MOBILENET_README_PICTURE")
	if picture != "" && !filepath.IsAbs(picture) {
		picture = filepath.Join(e.root, picture) // relative to the module root
	}
	cfg := map[string]any{
		"url": url, "out": e.out, "chromium": e.executable, "y4m": y4m,
		"model": model, "otherModel": other, "uploadPhoto": upload, "optionsPhoto": upload,
		"photoUrl": photos.URL + "/" + widgetPhoto, "corruptModel": corrupt, "picture": picture,
		"hostileModels": hostileModels,
	}
	if s := os.Getenv("MOBILENET_E2E_SCENARIOS"); s != "" {
		cfg["scenarios"] = strings.Split(s, ",")
	}
	res := runScriptMap(t, ctx, e.node, e.root, e.work, "page.mjs", "main", cfg, "results-page.json")
	noneMissing := func(t *testing.T, r map[string]any) {
		t.Helper()
		assert.Empty(t, r["notFound"], "requests answered 404 (favicon.ico?)")
	}

	for _, name := range []string{"cold-start", "cold-start-throttled", "cold-start-slow-default"} {
		t.Run(name, func(t *testing.T) {
			r := scenario(t, res, name)
			noneMissing(t, r)
			// Timings are reported (the README's breakdown), not asserted.
			t.Logf("%s: model ready %.0f ms, first prediction %.0f ms after navigation start", name, num(r["modelReadyMs"]), num(r["firstPredictionMs"]))
			logBreakdown(t, r)
			assert.NotContains(t, fmt.Sprint(r["earlyBadges"]), "no model", "the badge in the first second")
			assert.Equal(t, true, r["progressShown"], "no loading progress on screen while the model loaded")
			assert.Equal(t, true, r["firstBeforeUi"], "the first prediction is boot.js's, before ui.wasm is fetched")
			assert.Equal(t, "[engine-classify-threads.wasm]", fmt.Sprint(r["engines"]), "the engine builds the first visit fetched")
			assert.Equal(t, true, r["engineBeforeBoot"], "index.html starts the engine's download before boot.js runs")
			assert.Equal(t, false, r["earlyCancelled"], "the early download is the engine boot.js chose")
			assert.Equal(t, 1.0, r["firstMarks"], "one first prediction (boot.js's; the UI's is not another)")
			assert.Empty(t, sameTop(tops(t, r["uiTop"]), tops(t, r["earlyTop"])), "the UI shows the classes boot.js showed")
			assert.Contains(t, r["uiSource"], "photo", "the UI took the photo over")
			if name != "cold-start-slow-default" {
				assert.Empty(t, sameTop(tops(t, r["earlyTop"]), wantUpload), "boot.js's top 5 (background hidden)")
				assert.Equal(t, model, r["model"], "?model= names the first model")
				assert.Empty(t, r["firstModelMessage"], "a model named by ?model= needs no explanation")
				return
			}
			// 1.6 Mbit/s, as the browser estimates it (DevTools' throttling
			// sets navigator.connection): the smallest model, said so.
			t.Logf("navigator.connection under throttling: %v", r["connection"])
			assert.Equal(t, other, r["model"], "the first model on a slow link (the smallest in the folder)")
			assert.Contains(t, r["firstModelMessage"], "smallest model", "the page says why it chose a small model")
			assert.Contains(t, r["firstModelMessage"], "slow", "the page says why it chose a small model")
		})
	}

	t.Run("early-fetch-mismatch", func(t *testing.T) {
		r := scenario(t, res, "early-fetch-mismatch")
		assert.Equal(t, 1.0, r["cancelled"], "the early download of an engine boot.js does not use is cancelled")
		assert.Contains(t, fmt.Sprint(r["engines"]), "engine-classify.wasm", "boot.js's own choice without SIMD")
		assert.Greater(t, num(r["top"]), 0.0, "the page still classifies")
	})

	t.Run("before-ui", func(t *testing.T) {
		r := scenario(t, res, "before-ui")
		noneMissing(t, r)
		ph := sub(t, r, "photo")
		assert.Equal(t, false, ph["uiRunning"], "ui.wasm was held back")
		assert.Equal(t, true, ph["shown"], "the dropped photo on show before the UI runs")
		assert.Equal(t, model, ph["badge"], "the badge names the model once ready")
		assert.Empty(t, sameTop(tops(t, ph["top"]), wantUpload), "boot.js's top 5 of a dropped photo")
		assert.Empty(t, sameTop(tops(t, ph["uiTop"]), wantUpload), "the UI's, once it took the photo over")
		assert.Equal(t, "photo: "+uploadPhoto, ph["uiSource"])
		pa := sub(t, r, "pasted")
		assert.Equal(t, false, pa["uiRunning"], "ui.wasm was held back")
		assert.Equal(t, "photo: pasted.bmp", pa["source"])
		assert.Empty(t, sameTop(tops(t, pa["top"]), wantUpload), "boot.js's top 5 of a pasted photo")
		assert.Empty(t, sameTop(tops(t, pa["uiTop"]), wantUpload), "the UI's, once it took the pasted photo over")
		cam := sub(t, r, "camera")
		assert.Equal(t, false, cam["uiRunning"], "ui.wasm was held back")
		assert.Contains(t, cam["message"], "camera starts as soon as", "a camera click before the UI is acknowledged")
		assert.Equal(t, 0.0, cam["messageAfter"], "the UI removes boot.js's camera message")
	})

	for _, size := range []string{"desktop", "phone"} {
		t.Run("first-view-"+size, func(t *testing.T) {
			r := scenario(t, res, "first-view-"+size)
			noneMissing(t, r)
			early := sub(t, r, "early")
			assert.NotEqual(t, "no model", early["badge"], "the badge before the model is ready")
			vp := sub(t, r, "viewport")
			vw, vh := num(vp["width"]), num(vp["height"])
			if pb := sub(t, early, "progress"); pb["visible"] == true {
				// The progress sits over the picture, in the first screen.
				assert.LessOrEqual(t, num(pb["bottom"]), vh, "the loading progress is below the fold: %v", pb)
			}
			assert.Empty(t, sameTop(tops(t, r["top"]), wantUpload), "the uploaded photo's top 5 (background hidden)")
			// The picker is next to the picture: in the first screen on a
			// desktop, right under the picture's controls on a phone.
			picker, stage := sub(t, r, "picker"), sub(t, r, "stage")
			assert.Equal(t, true, picker["visible"], "model picker")
			assert.Less(t, num(picker["y"])-num(stage["bottom"]), 200.0, "the picker is far from the picture: %v / %v", picker, stage)
			if size == "desktop" {
				assert.LessOrEqual(t, num(picker["bottom"]), vh, "the picker is below the fold")
			}
			assert.Equal(t, model, r["pickerValue"], "picker's choice")
			opts := fmt.Sprint(r["pickerOptions"])
			for _, want := range []string{"0.5_160 uint8", "top-1 57.7%", "MB", "0.25_128 uint8"} {
				assert.Contains(t, opts, want, "picker options")
			}
			assert.Contains(t, r["pickInfo"], "ImageNet top-1 57.7%", "the current model's line")
			assert.Contains(t, r["badge"], "·", "the badge names the model's size and type")
			// Nothing wider than the screen; the catalog fits its card.
			assert.LessOrEqual(t, num(r["overflow"]), 0.0, "the page scrolls sideways")
			tb := sub(t, r, "table")
			assert.LessOrEqual(t, num(tb["scroll"]), num(tb["box"]), "the catalog is wider than its box: %v", tb)
			for _, right := range r["useButtons"].([]any) {
				assert.LessOrEqual(t, num(right), vw, "a Use button is off-screen")
			}
			for _, n := range r["names"].([]any) {
				assert.GreaterOrEqual(t, num(n.(map[string]any)["left"]), 0.0, "a model name is off-screen")
			}
			assert.Equal(t, 200.0, num(r["favicon"]), "/favicon.ico")
			t.Logf("%s: screenshots %v, %v", size, r["screenshot"], r["fullScreenshot"])
			if r["picture"] != nil {
				t.Logf("README picture written to %v", r["picture"])
			}
		})
	}

	t.Run("camera-flow", func(t *testing.T) {
		r := scenario(t, res, "camera-flow")
		assert.Equal(t, "1", r["cameras"], "the fake browser has one camera")
		assert.Equal(t, true, r["selectHidden"], "the camera choice shows with one camera")
		run := sub(t, r, "running")
		assert.Equal(t, true, sub(t, run, "cam-start")["disabled"], "Start camera while the camera runs")
		assert.Equal(t, false, sub(t, run, "cam-start")["primary"], "Start camera highlighted while the camera runs")
		assert.Equal(t, true, sub(t, run, "cam-stop")["primary"], "Stop is the highlighted button while the camera runs")
		assert.Equal(t, false, sub(t, run, "cam-freeze")["disabled"], "Freeze while the camera runs")
		crop, stage := sub(t, r, "crop"), sub(t, r, "stage")
		assert.Equal(t, true, crop["visible"], "the crop overlay on the camera")
		// A 640x480 frame fills the 4:3 stage: the crop is 87.5% of it.
		assert.InDelta(t, 0.875, num(crop["w"])/num(stage["w"]), 0.02, "crop width / stage width")
		assert.InDelta(t, 0.875, num(crop["h"])/num(stage["h"]), 0.02, "crop height / stage height")
		fr := sub(t, r, "frozen")
		assert.Equal(t, fr["framesBefore"], fr["framesAfter"], "frames classified while frozen")
		assert.Equal(t, true, fr["paused"], "the frozen video")
		assert.Contains(t, fr["source"], "frozen")
		assert.NotEmpty(t, fr["top"], "the frozen frame's result")
		snap := sub(t, r, "snapshot")
		assert.Regexp(t, `\.png$`, snap["name"])
		assert.Equal(t, "[137 80 78 71 13 10 26 10]", fmt.Sprint(snap["magic"]), "the saved frame is a PNG")
		st := sub(t, r, "stopped")
		assert.Empty(t, st["top"], "after Stop, the camera's results stay")
		assert.Equal(t, "–", st["source"], "after Stop, the source")
		assert.Equal(t, false, sub(t, sub(t, st, "buttons"), "cam-start")["disabled"], "Start camera after Stop")
		assert.Equal(t, true, sub(t, sub(t, st, "buttons"), "cam-start")["primary"], "Start camera highlighted after Stop")
		assert.Equal(t, true, st["crop"], "the crop overlay after Stop")
		ap := sub(t, r, "afterPhoto")
		assert.Equal(t, "photo: "+uploadPhoto, ap["source"], "a photo shown before the camera comes back after Stop")
		assert.Empty(t, sameTop(tops(t, ap["top"]), wantUpload), "the photo's result after Stop")
		assert.Equal(t, "model-pick", r["focusAfterM"], "the M key")
		assert.Equal(t, true, r["chooserOpened"], "the O key")
		if r["oPresses"] != 1.0 {
			t.Logf("the O key opened the file chooser on press %v (first press lost: %v)", r["oPresses"], r["lostPress"])
		}
		t.Logf("camera: screenshots %v, %v", r["runningShot"], r["stoppedShot"])
	})

	t.Run("camera-choice", func(t *testing.T) {
		r := scenario(t, res, "camera-choice")
		assert.Equal(t, "2", r["cameras"])
		assert.Equal(t, false, r["selectHidden"], "the camera choice with two cameras")
	})

	t.Run("bad-model", func(t *testing.T) {
		r := scenario(t, res, "bad-model")
		assert.Equal(t, r["badgeBefore"], r["badgeAfter"], "the badge after a failed drop")
		assert.Equal(t, model, r["model"], "the model in use")
		assert.Equal(t, model, r["picker"], "the picker after a failed drop")
		msgs, _ := r["messages"].([]any)
		require.Len(t, msgs, 1)
		m := msgs[0].(map[string]any)
		assert.Contains(t, m["text"], "broken.tflite is damaged")
		assert.Contains(t, m["text"], "keeps using "+model)
		for _, jargon := range []string{"flatbuffer", "mn_load", "runtime error", "slice bounds"} {
			assert.NotContains(t, m["text"], jargon, "the message a user reads")
		}
		assert.Contains(t, m["detail"], "flatbuffer", "the details")
		assert.Equal(t, false, r["detailsOpenBefore"], "details shown before asked for")
		assert.Equal(t, true, r["detailsOpenAfter"], "details toggle")
		t.Logf("bad model: %q; screenshot %v", m["text"], r["screenshot"])
	})

	t.Run("hostile-models", func(t *testing.T) {
		r := scenario(t, res, "hostile-models")
		assert.Equal(t, r["badgeBefore"], r["badgeAfter"], "the badge after the hostile drops")
		assert.Equal(t, model, r["model"], "the model in use")
		dropped, _ := r["dropped"].([]any)
		require.Len(t, dropped, len(hostileModels))
		for _, d := range dropped {
			d := d.(map[string]any)
			msgs, _ := d["messages"].([]any)
			require.Len(t, msgs, 1, "%s", d["name"])
			m := msgs[0].(map[string]any)
			assert.Equal(t, "error", m["kind"], "%s", d["name"])
			assert.Contains(t, m["text"], d["name"], "the message names the file")
			assert.Contains(t, m["text"], "keeps using "+model, "%s", d["name"])
			for _, jargon := range []string{"mn_load", "runtime error", "unreachable", "trapped", "panic"} {
				assert.NotContains(t, m["text"], jargon, "%s: the message a user reads", d["name"])
			}
			assert.Contains(t, m["detail"], "loader: ", "%s: the engine's reason behind details", d["name"])
			t.Logf("%s: %q (details: %q)", d["name"], m["text"], m["detail"])
		}
		assert.Empty(t, sameTop(tops(t, r["topAfter"]), wantUpload), "the photo after the hostile models")
	})

	t.Run("camera-faults", func(t *testing.T) {
		r := scenario(t, res, "camera-faults")
		ended := r["ended"].(map[string]any)
		assert.Equal(t, "off", ended["camera"], "the camera after its track ended")
		msgs, _ := ended["messages"].([]any)
		require.Len(t, msgs, 1)
		assert.Contains(t, msgs[0].(map[string]any)["text"], "The camera stopped")
		t.Logf("camera faults: %v", r)
	})

	t.Run("worker-crash", func(t *testing.T) {
		r := scenario(t, res, "worker-crash")
		require.Positive(t, r["crashed"], "no worker was made to crash")
		assert.Empty(t, sameTop(tops(t, r["before"]), wantUpload), "the photo before the crash")
		assert.Empty(t, sameTop(tops(t, r["after"]), wantUpload), "the photo after the crash")
		text := requireRestarted(t, r)
		t.Logf("worker crash (%v workers): %q", r["workersBefore"], text)
	})

	t.Run("worker-hang", func(t *testing.T) {
		r := scenario(t, res, "worker-hang")
		require.Positive(t, r["hung"], "no engine worker was made to hang")
		assert.Empty(t, sameTop(tops(t, r["before"]), wantUpload), "the photo before the hang")
		assert.Empty(t, sameTop(tops(t, r["after"]), wantUpload), "the photo after the hang")
		requireRestarted(t, r)
		// The watchdog's 3 s, then a restart: not the 30 s default.
		assert.Less(t, r["afterMs"], 25000.0, "the hung call was not abandoned by the 3 s watchdog")
		t.Logf("worker hang: photo classified again %v ms after the hang", r["afterMs"])
	})

	t.Run("options", func(t *testing.T) {
		r := scenario(t, res, "options")
		var bgRank int // 1-based rank of background in the CLI's top 11
		for i, p := range wantTen {
			if p.Label == "background" {
				bgRank = i + 1
			}
		}
		require.NotZero(t, bgRank, "the test photo's top 11 has no background: pick another")
		require.LessOrEqual(t, bgRank, 10)
		assert.Equal(t, "Top 5", r["title"])
		ten, tenBg := tops(t, r["ten"]), tops(t, r["tenWithBackground"])
		assert.Len(t, ten, 10)
		for _, p := range ten {
			assert.NotEqual(t, "background", p.Label, "background listed by default")
		}
		assert.Empty(t, sameTop(tenBg, wantTen[:10]), "top 10 with background shown, against the CLI")
		assert.Len(t, tops(t, r["three"]), 3)
		assert.Equal(t, "Top 3", r["titleThree"])
		th := tops(t, r["threshold"])
		assert.NotEmpty(t, th)
		for _, p := range th {
			assert.GreaterOrEqual(t, p.Score, 0.25, "a class under the 25%% threshold")
		}
		// One format of small scores, the page's.
		for _, raw := range r["ten"].([]any) {
			if p := raw.(map[string]any); num(p["score"]) < 0.001 {
				assert.Equal(t, "<0.1%", p["text"])
			}
		}
		assert.Equal(t, "[<0.1% 50.0%]", fmt.Sprint(r["widgetFormat"]), "the widget's format")
	})

	t.Run("paste-url", func(t *testing.T) {
		r := scenario(t, res, "paste-url")
		u := sub(t, r, "url")
		assert.Equal(t, "photo: "+widgetPhoto, u["source"])
		assert.Empty(t, sameTop(tops(t, u["top"]), wantURL), "the image from its address")
		p := sub(t, r, "pasted")
		assert.Equal(t, "photo: pasted.bmp", p["source"])
		assert.Empty(t, sameTop(tops(t, p["top"]), wantUpload), "the pasted image")
		assert.Equal(t, "photo: "+widgetPhoto, sub(t, r, "pastedUrl")["source"], "a pasted address")
		assert.Contains(t, fmt.Sprint(r["badUrl"]), "404")
		// The crop overlay on the photo: 87.5% of the shown picture.
		crop, ph := sub(t, r, "crop"), sub(t, r, "photo")
		assert.Equal(t, true, crop["visible"])
		w, h, bw, bh := num(ph["w"]), num(ph["h"]), num(ph["bw"]), num(ph["bh"])
		s := min(bw/w, bh/h)
		assert.InDelta(t, 0.875*w*s, num(crop["w"]), 1.5, "crop overlay width")
		assert.InDelta(t, 0.875*h*s, num(crop["h"]), 1.5, "crop overlay height")
	})

	t.Run("picker", func(t *testing.T) {
		r := scenario(t, res, "picker")
		assert.Equal(t, other, r["model"])
		assert.Equal(t, other, r["resultsModel"], "the photo reclassified with the picked model")
		assert.Equal(t, other, r["rowCurrent"], "the catalog's current row")
		assert.Contains(t, r["badge"], other)
	})

	t.Run("widget-phone", func(t *testing.T) {
		r := scenario(t, res, "widget-phone")
		assert.LessOrEqual(t, num(r["overflow"]), 0.0, "the widget's example page scrolls sideways on a phone")
		assert.NotContains(t, r["idle"], "set src", "developer wording")
		t.Logf("widget idle: %q; screenshot %v", r["idle"], r["screenshot"])
	})
}

// num reads a JSON number (NaN when absent).
func num(v any) float64 {
	f, ok := v.(float64)
	if !ok {
		return nan
	}
	return f
}

var nan = math.NaN()

// logBreakdown logs a cold start's resource timings and marks.
func logBreakdown(t *testing.T, r map[string]any) {
	t.Helper()
	var lines []string
	res, _ := r["res"].([]any)
	for _, x := range res {
		e := x.(map[string]any)
		lines = append(lines, fmt.Sprintf("  %7.0f - %7.0f ms  %-40s %8.0f bytes on the wire", num(e["start"]), num(e["end"]), e["name"], num(e["bytes"])))
	}
	marks, _ := r["marks"].([]any)
	for _, x := range marks {
		m := x.(map[string]any)
		lines = append(lines, fmt.Sprintf("  %7.0f ms            mark %s", num(m["t"]), m["name"]))
	}
	sort.Strings(lines)
	t.Logf("breakdown (ms after navigation start):\n%s", strings.Join(lines, "\n"))
}

// requireRestarted checks a scenario whose engine worker died: one
// message saying it was restarted with the model, the page ready with that
// model again. It returns the message.
func requireRestarted(t *testing.T, r map[string]any) string {
	t.Helper()
	msgs, _ := r["messages"].([]any)
	require.Len(t, msgs, 1)
	text, _ := msgs[0].(map[string]any)["text"].(string)
	assert.Contains(t, text, "restarted with "+model)
	assert.Equal(t, "ready", r["state"])
	assert.Equal(t, model, r["model"])
	return text
}
