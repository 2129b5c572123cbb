package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"mobilenet-wasm/engine/preprocess"
)

func TestFormatBytesAndPercent(t *testing.T) {
	assert.Equal(t, "513 kB", formatBytes(513<<10))
	assert.Equal(t, "4.3 MB", formatBytes(4.3*(1<<20)))
	assert.Equal(t, "60.9%", formatPercent(0.609375))
	assert.Equal(t, "<0.1%", formatPercent(0))
}

func TestShortLabel(t *testing.T) {
	assert.Equal(t, "tabby", shortLabel("tabby, tabby cat", 281))
	assert.Equal(t, "class 7", shortLabel("", 7))
}

// TestFPSMeter feeds frames 100 ms apart: 10 frames per second, whatever
// the window keeps.
func TestFPSMeter(t *testing.T) {
	m := fpsMeter{window: 1000}
	assert.Zero(t, m.fps(), "empty meter")
	for i := 0; i < 50; i++ {
		m.add(float64(i) * 100)
	}
	assert.InDelta(t, 10, m.fps(), 1e-9, "frames 100 ms apart")
	assert.LessOrEqual(t, len(m.times), 12, "the meter keeps too many frames for a 1 s window")
	m.reset()
	m.add(5)
	assert.Zero(t, m.fps(), "one frame after reset")
}

func TestModelErrorText(t *testing.T) {
	for detail, want := range map[string]string{
		"mn_load: loader: model: malformed flatbuffer (runtime error: slice bounds out of range [480912:200000])": "broken.tflite is damaged",
		"mn_load: loader: not a TFLite flatbuffer: file identifier \"abcd\", want \"TFL3\"":                       "is not a TensorFlow Lite model",
		"cannot fetch http://x/m.tflite: HTTP 404 Not Found":                                                      "Could not download broken.tflite",
		"engine: operator 3 (LOGISTIC): unsupported":                                                              "does not run",
		"something new": "Could not load broken.tflite.",
	} {
		got := modelErrorText("broken.tflite", detail)
		assert.Contains(t, got, want, detail)
		assert.NotContains(t, got, "flatbuffer", "the words a user reads")
	}
}

func TestCropBox(t *testing.T) {
	assert.Equal(t, preprocess.CropFraction, cropFraction, "the engine's crop")
	// A 640x480 frame in a 400x300 box fills it; the crop keeps 87.5%.
	x, y, w, h := cropBox(640, 480, 400, 300)
	assert.InDelta(t, 25, x, 1e-9)
	assert.InDelta(t, 18.75, y, 1e-9)
	assert.InDelta(t, 350, w, 1e-9)
	assert.InDelta(t, 262.5, h, 1e-9)
	// A square photo in a 400x300 box: letterboxed left and right.
	x, y, w, h = cropBox(100, 100, 400, 300)
	assert.InDelta(t, 50+18.75, x, 1e-9)
	assert.InDelta(t, 18.75, y, 1e-9)
	assert.InDelta(t, 262.5, w, 1e-9)
	assert.InDelta(t, 262.5, h, 1e-9)
	x, y, w, h = cropBox(0, 10, 400, 300)
	assert.Zero(t, x+y+w+h)
}

func TestIsBackground(t *testing.T) {
	assert.True(t, isBackground(" background"))
	assert.False(t, isBackground("tench, Tinca tinca"))
}
