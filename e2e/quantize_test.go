package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quantPhotos are the calibration photos the Quantize test uploads: BMPs,
// which Chromium, Firefox and Go decode to the same pixels.
var quantPhotos = []string{"bird.bmp", "cat.bmp", "dragonfly.bmp", "grace_hopper.bmp", "missvickie_potato_chips.bmp"}

// TestQuantizePage drives the page's Quantize mode in headless Chromium
// and Firefox (each its own subtest):
// the error cases (no model, no photos, a file that is not a photo, a
// quantized model dropped), then mobilenet_v1_0.25_224 from the server
// quantized to uint8 on five photos: the progress bar must reach its end,
// the comparison must show, and the downloaded file must equal, byte for
// byte, what `mobilenet quantize` writes from the same photos. Needs what
// TestBrowser needs.
func TestQuantizePage(t *testing.T) {
	forEachBrowser(t, testQuantizePage)
}

func testQuantizePage(t *testing.T, br browserSpec) {
	e := newBrowserEnv(t, br, "quantize", floatModel+".tflite", "mobilenet_v1_0.25_128_quant.tflite", "imagenet_labels.txt")
	root, node, shared, modelDir, work, bin := e.root, e.node, e.shared, e.modelDir, e.work, e.bin

	// The expected file: the CLI on a folder of the same photos (name
	// order, as the page sorts them), with the ImageNet labels next to
	// the model, as the page takes the server's.
	calib := filepath.Join(work, "calib")
	require.NoError(t, os.Mkdir(calib, 0o755))
	var photos []string
	for _, p := range quantPhotos {
		src := filepath.Join(shared, "images", p)
		require.NoError(t, os.Symlink(src, filepath.Join(calib, p)))
		photos = append(photos, src)
	}
	want := filepath.Join(work, "want.tflite")
	cli := exec.Command(bin, "quantize", "-m", filepath.Join(modelDir, floatModel+".tflite"), "-calib", calib, "-o", want, "-format", "uint8")
	b, err := cli.CombinedOutput()
	require.NoError(t, err, "mobilenet quantize\n%s", b)
	wantBytes, err := os.ReadFile(want)
	require.NoError(t, err)

	textFile := filepath.Join(work, "notes.txt")
	require.NoError(t, os.WriteFile(textFile, []byte("not a photo\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, bin, root, modelDir)
	defer stop()

	cfg := e.config(url, map[string]any{
		"floatModel": floatModel,
		"quantModel": filepath.Join(modelDir, "mobilenet_v1_0.25_128_quant.tflite"),
		"photos":     photos, "textFile": textFile,
	})
	rb := runScript(t, ctx, node, root, work, "quantize.mjs", "main", cfg, "results-quantize.json")
	var r struct {
		OK                          bool
		Error, FailShot             string
		PageErrors                  []string
		ClassifierHidden            bool
		NoModel, NoPhotos, Skipped  string
		PhotoCount                  int
		Quantized                   string
		CancelEnabled               bool
		State                       string
		Seconds                     float64
		Bar                         struct{ Value, Max float64 }
		Progress                    [][2]float64
		Compare                     map[string][]string
		Agree                       string
		FloatMs, QuantMs            float64
		PhotoRows                   [][]string
		DownloadName, Downloaded    string
		Yours                       []string
		Cancelled, StateAfterCancel string
		API                         struct{ Quantized, NoImages string }
		Shot, QuantizedShot, Failed string
	}
	require.NoError(t, json.Unmarshal(rb, &r))
	require.True(t, r.OK, "the Quantize page failed: %s (screenshot %s)", r.Error, r.FailShot)
	assert.Empty(t, r.PageErrors, "errors in the page")

	assert.True(t, r.ClassifierHidden, "?mode=quantize still shows the classifier")
	assert.Contains(t, r.NoModel, "Pick a float model", "no model")
	assert.Contains(t, r.NoPhotos, "Add a few photos", "no photos")
	assert.Contains(t, r.Skipped, "notes.txt", "the non-image among the photos")
	assert.Equal(t, len(quantPhotos), r.PhotoCount, "photos kept")
	assert.Contains(t, r.Quantized, "already quantized", "a dropped quantized model")
	assert.True(t, r.CancelEnabled, "Cancel while running")

	// Progress: the bar reached its end, through the calibration steps.
	assert.Equal(t, float64(len(quantPhotos)+1), r.Bar.Max, "progress bar max")
	assert.Equal(t, r.Bar.Max, r.Bar.Value, "progress bar at the end")
	seen := map[float64]bool{}
	for _, p := range r.Progress {
		seen[p[0]] = true
	}
	assert.GreaterOrEqual(t, len(seen), 3, "distinct progress values seen: %v", seen)

	// The comparison.
	for _, row := range []string{"model", "size", "latency", "agree"} {
		assert.Len(t, r.Compare[row], 3, "comparison row %s", row)
	}
	assert.Greater(t, r.FloatMs, 0.0, "float latency")
	assert.Greater(t, r.QuantMs, 0.0, "quantized latency")
	assert.Regexp(t, `^\d+/5$`, r.Agree, "agreement")
	assert.Len(t, r.PhotoRows, len(quantPhotos), "per-photo rows")
	assert.Contains(t, fmt.Sprint(r.Yours), "(yours)", "the photo compared on request")

	assert.Contains(t, r.Cancelled, "cancelled", "cancelling a run")
	assert.Regexp(t, `^load: .*already quantized`, r.API.Quantized, "mobilenet.quantize on a quantized model")
	assert.Regexp(t, `^argument: no calibration images`, r.API.NoImages, "mobilenet.quantize without images")
	assert.Equal(t, "idle", r.StateAfterCancel, "the panel after cancelling")

	// The download equals the CLI's file.
	assert.Equal(t, floatModel+"_uint8.tflite", r.DownloadName, "download name")
	got, err := os.ReadFile(r.Downloaded)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(wantBytes, got), "the page's quantized model (%d bytes) differs from `mobilenet quantize` (%d bytes)", len(got), len(wantBytes))
	t.Logf("quantized in %.1f s in the page: %d bytes, identical to the CLI's; %v; agreement %s; latency float %.2f ms, uint8 %.2f ms; screenshots %s, %s",
		r.Seconds, len(got), r.Compare["size"], r.Agree, r.FloatMs, r.QuantMs, r.Shot, r.QuantizedShot)
}
