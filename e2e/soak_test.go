package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Margins of TestWebcamSoak: how much the memory may grow between the
// first round of models and the last sample of the same model.
const (
	soakPageHeapMargin = 1 << 20  // the page's JS heap after a collection
	soakRSSMargin      = 64 << 20 // Chromium's renderer processes, resident: last third's peak over the middle third's
)

// TestWebcamSoak classifies Chromium's fake webcam through the page for
// MOBILENET_WEBCAM_SOAK_SECONDS (default 45; the hardening issue's run is
// 600), switching models with the page's model picker every 3 seconds
// (e2e/soak.mjs). The camera must keep classifying after every switch, no
// error may show, and the memory must stay flat: each sample is compared
// with the first sample of the same model once every model has loaded
// once (the first round), the page's JS heap within soakPageHeapMargin;
// live workers never exceed the first round's. The resident memory of
// Chromium's renderer processes (the page and its workers, wasm memories
// included) climbs for minutes as the allocators settle (measured: 990 to
// 1200 MiB over the first 5 minutes, then flat), so runs of 5 minutes or
// more judge its trend instead: the last third's peak may exceed the
// middle third's by soakRSSMargin (a worker left behind at every few
// dozen switches, the bug this test found, added about 60 MiB each). Chromium only: memory is read through the
// DevTools protocol (and /proc) and the camera plays a Y4M file.
func TestWebcamSoak(t *testing.T) {
	seconds := 45
	if s := os.Getenv("MOBILENET_WEBCAM_SOAK_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "MOBILENET_WEBCAM_SOAK_SECONDS")
		seconds = n
	}
	models := []string{model, "mobilenet_v1_0.25_128_quant", floatModel}
	files := make([]string, len(models))
	for i, m := range models {
		files[i] = m + ".tflite"
	}
	e := newBrowserEnv(t, browsers[0], "soak", files...)
	planes := I420(FitFrame(decodeImage(t, filepath.Join(e.shared, "images", cameraPhoto)), frameW, frameH))
	y4m := filepath.Join(e.work, "camera.y4m")
	writeFile(t, y4m, func(f *os.File) error { return WriteY4M(f, planes, 10, 30) })

	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second+5*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, e.bin, e.root, e.modelDir)
	defer stop()

	cfg := map[string]any{
		"url": url, "out": e.out, "chromium": e.executable, "y4m": y4m,
		"models": models, "seconds": seconds, "switchSeconds": soakSwitchSeconds(),
	}
	type sample struct {
		T        float64 `json:"t"`
		Model    string  `json:"model"`
		Frames   int     `json:"frames"`
		PageHeap float64 `json:"pageHeap"`
		Workers  int     `json:"workers"`
		RSS      float64 `json:"rss"`
	}
	var r struct {
		OK         bool     `json:"ok"`
		Error      string   `json:"error"`
		Samples    []sample `json:"samples"`
		Switches   int      `json:"switches"`
		Frames     int      `json:"frames"`
		Camera     string   `json:"camera"`
		Errors     []string `json:"errors"`
		PageErrors []string `json:"pageErrors"`
	}
	b := runScript(t, ctx, e.node, e.root, e.work, "soak.mjs", "soak", cfg, "results-soak.json")
	require.NoError(t, json.Unmarshal(b, &r))
	require.True(t, r.OK, "soak.mjs failed: %s", r.Error)
	assert.Empty(t, r.PageErrors, "page errors")
	assert.Empty(t, r.Errors, "error messages on the page")
	assert.Equal(t, "on", r.Camera, "the camera at the end")
	// Every model loads once in the first round, then each again.
	require.Greater(t, r.Switches, 2*len(models), "switches in %d s", seconds)
	first := map[string]sample{}
	maxWorkers := 0
	for i, s := range r.Samples {
		if i > 0 {
			assert.Greater(t, s.Frames, r.Samples[i-1].Frames, "frames classified before sample %d (%s)", i, s.Model)
		}
		if i < len(models) {
			maxWorkers = max(maxWorkers, s.Workers)
			continue
		}
		f, ok := first[s.Model]
		if !ok {
			first[s.Model] = s
			continue
		}
		assert.LessOrEqual(t, s.PageHeap-f.PageHeap, float64(soakPageHeapMargin), "page JS heap at %.0f s (%s) against %.0f s", s.T, s.Model, f.T)
		assert.LessOrEqual(t, s.Workers, maxWorkers, "live workers at %.0f s", s.T)
	}
	var midPeak, lastPeak float64
	for _, s := range r.Samples {
		switch {
		case s.T >= float64(seconds)*2/3:
			lastPeak = max(lastPeak, s.RSS)
		case s.T >= float64(seconds)/3:
			midPeak = max(midPeak, s.RSS)
		}
	}
	if seconds >= 300 {
		assert.LessOrEqual(t, lastPeak-midPeak, float64(soakRSSMargin), "renderers' resident memory: peak of the last third over the middle third's")
	}
	t.Logf("renderers resident: peak %.1f MiB in the middle third, %.1f MiB in the last", midPeak/(1<<20), lastPeak/(1<<20))
	last := r.Samples[len(r.Samples)-1]
	f := first[last.Model]
	t.Logf("%d s, %d switches, %d frames; %s: page JS heap %.2f MiB at %.0f s, %.2f MiB at %.0f s; renderers resident %.1f MiB, then %.1f MiB; %d live workers",
		seconds, r.Switches, r.Frames, last.Model, f.PageHeap/(1<<20), f.T, last.PageHeap/(1<<20), last.T, f.RSS/(1<<20), last.RSS/(1<<20), last.Workers)
}

// soakSwitchSeconds is the time on each model: 3 s, or
// MOBILENET_WEBCAM_SOAK_SWITCH (seconds, fractions allowed).
func soakSwitchSeconds() float64 {
	if s, err := strconv.ParseFloat(os.Getenv("MOBILENET_WEBCAM_SOAK_SWITCH"), 64); err == nil && s >= 0 {
		return s
	}
	return 3
}
