package e2e

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
)

// The Teach test's choices: the small model, and two photos the fake
// webcam shows, one per class.
const (
	teachModel  = "mobilenet_v1_0.25_128_quant"
	teachPhotoA = "bird.bmp"
	teachPhotoB = "cat.bmp"
	teachClassA = "bird"
	teachClassB = "cat"
)

// TestTeach runs the page's Teach mode in headless browsers (e2e/teach.mjs)
// with a fake webcam: class A recorded from one Y4M, the project saved in
// IndexedDB; the browser relaunched on the same profile with another Y4M
// (a page reload), the project reopened, class B recorded, trained,
// classified live, the .tflite downloaded (and checked here in the native
// engine), the widget given the export by model-url; the JS API's bad
// inputs; then a third launch on camera A reopens the trained project and
// classifies live; a fourth, with the server stopped, does it offline.
// Needs what TestBrowser needs. It runs in Chromium and in Firefox; as
// Firefox's fake webcam shows only its own synthetic pattern, Firefox's
// camera is the same frames (the Y4Ms' PNGs) drawn on a canvas and
// captured as a stream (teach.mjs's canvasCamera), so the same labels are
// asserted in both.
func TestTeach(t *testing.T) {
	forEachBrowser(t, testTeach)
}

func testTeach(t *testing.T, b browserSpec) {
	e := newBrowserEnv(t, b, "teach", teachModel+".tflite")
	root, node, shared, modelDir, work, bin := e.root, e.node, e.shared, e.modelDir, e.work, e.bin

	// One fake camera per class, and the frame each shows.
	frames := map[string]string{}
	y4ms := map[string]string{}
	for class, photo := range map[string]string{teachClassA: teachPhotoA, teachClassB: teachPhotoB} {
		planes := I420(FitFrame(decodeImage(t, filepath.Join(shared, "images", photo)), frameW, frameH))
		y4ms[class] = filepath.Join(work, class+".y4m")
		writeFile(t, y4ms[class], func(f *os.File) error { return WriteY4M(f, planes, 10, 30) })
		frames[class] = filepath.Join(work, class+"-frame.png")
		writeFile(t, frames[class], func(f *os.File) error { return png.Encode(f, planes.RGBA()) })
	}
	textFile := filepath.Join(work, "notes.txt")
	require.NoError(t, os.WriteFile(textFile, []byte("not a photo\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, bin, root, modelDir)
	defer stop()

	cfg := e.config(url, map[string]any{
		"model": teachModel,
		"y4mA":  y4ms[teachClassA], "y4mB": y4ms[teachClassB], "pngA": frames[teachClassA], "pngB": frames[teachClassB], "classA": teachClassA, "classB": teachClassB,
		"textFile": textFile, "profile": filepath.Join(work, "profile"),
	})
	res := runScriptMap(t, ctx, node, root, work, "teach.mjs", "main", cfg, "results-teach.json")
	r1 := scenario(t, res, "record-a")
	assert.GreaterOrEqual(t, sub(t, r1, "a")["count"], 8.0, "class A's examples")
	assert.Equal(t, sub(t, r1, "a")["count"], sub(t, r1, "a")["thumbs"], "one thumbnail per example")
	assert.Contains(t, fmt.Sprint(r1["notImage"]), "notes.txt is not an image", "a text file added as a photo")
	assert.Contains(t, fmt.Sprint(r1["emptyClass"]), `class "cat" has no examples`, "training with an empty class")

	r2 := scenario(t, res, "train-b")
	reopened := r2["reopened"].([]any)
	require.Len(t, reopened, 2, "classes after reopening from IndexedDB")
	c0 := reopened[0].(map[string]any)
	assert.Equal(t, teachClassA, c0["name"])
	assert.Equal(t, sub(t, r1, "a")["count"], c0["count"], "class A's examples after the relaunch")
	assert.Equal(t, c0["count"], c0["thumbs"], "thumbnails after the relaunch")
	assert.Equal(t, teachClassB, reopened[1].(map[string]any)["name"])
	assert.Greater(t, r2["epochs"], 1.0, "epochs on the plot")
	top := tops(t, r2["top"])
	require.NotEmpty(t, top, "live results on camera B")
	assert.Equal(t, teachClassB, top[0].Label, "camera B live: %v", top)
	t.Logf("trained: %v; live on camera B: %v", r2["status"], top)

	// The downloaded .tflite in the native engine, on the frames.
	model, err := os.ReadFile(r2["tflite"].(string))
	require.NoError(t, err)
	c, err := engine.Load([][]byte{model}, engine.Options{})
	require.NoError(t, err, "the downloaded .tflite loads natively")
	assert.Equal(t, []string{teachClassA, teachClassB}, c.Labels())
	for class, f := range frames {
		img, _, err := imagefile.DecodeFile(f)
		require.NoError(t, err)
		p, err := c.Classify(img, 2)
		require.NoError(t, err)
		assert.Equal(t, class, p[0].Label, "the downloaded model on camera %s's frame: %v", class, p)
	}
	w := sub(t, r2, "widget")
	wp := tops(t, w["predictions"])
	if assert.Len(t, wp, 2, "the widget's predictions with model-url") {
		assert.Equal(t, teachClassB, wp[0].Label, "the widget with the exported model, on camera B")
	}

	api := sub(t, r2, "api")
	for key, want := range map[string][2]string{
		"noExamples":  {"input", "only one class"},
		"oneClass":    {"input", `only one class ("red")`},
		"emptyClass":  {"input", `class "blue" has no examples`},
		"tiny":        {"input", "too small"},
		"notImage":    {"image", "not an image"},
		"untrained":   {"input", "nothing trained yet"},
		"cancelled":   {"aborted", "previous head is kept"},
		"corrupt":     {"input", "not a saved teaching project"},
		"corruptOpen": {"input", "not a saved teaching project"},
		"badEngine":   {"argument", "engine must be 'full' or 'classify'"},
		"liteTeacher": {"unsupported", "cannot teach"},
		"liteWorker":  {"unsupported", "engine-classify.wasm classifies only"},
	} {
		e := sub(t, api, key)
		assert.Equal(t, want[0], e["code"], "JS API %s: %v", key, e)
		assert.Contains(t, fmt.Sprint(e["message"]), want[1], "JS API %s", key)
	}
	assert.Equal(t, "classify", api["liteEngine"], "load({engine: 'classify'})'s info.engine")
	assert.Equal(t, 1.0, api["liteClassifies"], "the classify-only engine classifies after refusing to teach")
	assert.Equal(t, []any{1.0, 0.0}, api["countsAfterErrors"], "the errors lost nothing and added nothing")
	assert.Equal(t, true, api["cancelKeepsHead"], "after a cancelled training the previous head predicts")
	assert.Equal(t, true, api["unchanged"], "a damaged project changed the session")
	assert.Equal(t, true, sub(t, api, "reopened")["ok"], "openProject: %v", api["reopened"])
	assert.Equal(t, teachModel, api["projectModel"])
	ex := sub(t, api, "exported")
	assert.Equal(t, []any{"red", "blue"}, ex["labels"], "the exported model's labels, loaded by mobilenet.load")
	assert.Equal(t, "blue", tops(t, ex["top"])[0].Label, "the exported model on a blue canvas")
	tr := sub(t, api, "trained")
	assert.Equal(t, tr["epochs"], tr["progress"], "one onProgress per epoch")

	r3 := scenario(t, res, "reopen-a")
	assert.Equal(t, "true", r3["trained"], "the reopened project has its head")
	top3 := tops(t, r3["top"])
	require.NotEmpty(t, top3, "live results on camera A after reopening")
	assert.Equal(t, teachClassA, top3[0].Label, "camera A live after reopening: %v", top3)
	o, _ := r3["overflow"].(float64)
	assert.LessOrEqual(t, o, 1.0, "at 390 px, how many px the page is too wide")

	// Offline: the server stopped, a fourth launch on camera A.
	stop()
	off := scenario(t, runScriptMap(t, ctx, node, root, work, "teach.mjs", "offline", cfg, "results-teach-offline.json"), "offline")
	assert.Equal(t, "true", off["trained"], "offline: the reopened project has its head")
	if top := tops(t, off["top"]); assert.NotEmpty(t, top, "offline live results") {
		assert.Equal(t, teachClassA, top[0].Label, "offline, camera A: %v", top)
	}
	t.Logf("screenshots and the export: %s; seconds %v / %v / %v / %v", e.out, r1["seconds"], r2["seconds"], r3["seconds"], off["seconds"])
}
