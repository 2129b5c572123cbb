package main

import (
	"fmt"
	"math"
	"strings"
)

// cropFraction is the engine's central crop (preprocess.CropFraction,
// checked by a test; not imported, to keep the image packages out of
// ui.wasm), drawn over the picture.
const cropFraction = 0.875

// formatBytes formats a download size.
func formatBytes(n float64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%.0f B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f kB", n/(1<<10))
	default:
		return fmt.Sprintf("%.1f MB", n/(1<<20))
	}
}

// formatPercent formats a probability in [0, 1] as a percentage.
func formatPercent(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	if p < 0.001 {
		return "<0.1%"
	}
	return fmt.Sprintf("%.1f%%", 100*p)
}

// shortLabel is the first name of an ImageNet label ("tabby, tabby cat"
// gives "tabby"), or "class N" when the model has no labels.
func shortLabel(label string, index int) string {
	label = strings.TrimSpace(label)
	if label == "" {
		return fmt.Sprintf("class %d", index)
	}
	if first, _, ok := strings.Cut(label, ","); ok {
		return first
	}
	return label
}

// fpsMeter counts frames over a sliding window.
type fpsMeter struct {
	window float64   // milliseconds
	times  []float64 // frame completion times, ms, oldest first
}

// add records a frame finished at t (ms, monotonic).
func (m *fpsMeter) add(t float64) {
	m.times = append(m.times, t)
	cut := 0
	for cut < len(m.times)-2 && t-m.times[cut] > m.window {
		cut++
	}
	m.times = m.times[cut:]
}

// fps is the frame rate over the window: frames between the first and
// the last recorded, per second; 0 until two frames are in.
func (m *fpsMeter) fps() float64 {
	if len(m.times) < 2 {
		return 0
	}
	span := m.times[len(m.times)-1] - m.times[0]
	if span <= 0 {
		return 0
	}
	return float64(len(m.times)-1) * 1000 / span
}

// reset forgets every frame.
func (m *fpsMeter) reset() { m.times = m.times[:0] }

// modelErrorText says in a user's words why a model did not load, from
// the engine's message (kept for a "details" toggle): a damaged file, a
// file that is no TFLite model, a model the engine cannot run, or a
// download that failed.
func modelErrorText(name, detail string) string {
	d := strings.ToLower(detail)
	switch {
	case strings.Contains(d, "malformed flatbuffer"), strings.Contains(d, "too short"),
		strings.Contains(d, "larger than a flatbuffer"), strings.Contains(d, "longer than declared"):
		return name + " is damaged: the file is cut short or corrupted. Download it again."
	case strings.Contains(d, "not a tflite"), strings.Contains(d, "file identifier"):
		return name + " is not a TensorFlow Lite model (.tflite)."
	case strings.Contains(d, "cannot fetch"), strings.Contains(d, "network"):
		return "Could not download " + name + ": check the connection (or the server), then try again."
	case strings.Contains(d, "unsupported"), strings.Contains(d, "does not run"), strings.Contains(d, "operator"):
		return name + " uses operations or types this engine does not run (it runs MobileNet-style image classifiers)."
	case strings.Contains(d, "square rgb"), strings.Contains(d, "not class scores"), strings.Contains(d, "inputs and"):
		return name + " is not an image classifier this page can run (it needs one square RGB image in and class scores out)."
	}
	return "Could not load " + name + "."
}

// isBackground reports whether a label is the release's extra class 0,
// "background", which no photo is meant to show.
func isBackground(label string) bool {
	return strings.EqualFold(strings.TrimSpace(label), "background")
}

// cropBox is where the engine's central crop (preprocess.CropFraction of
// each side) of a w x h picture lies when the picture is shown with CSS
// object-fit: contain in a box bw x bh: left, top, width, height in the
// box's pixels.
func cropBox(w, h, bw, bh float64) (x, y, cw, ch float64) {
	if w <= 0 || h <= 0 || bw <= 0 || bh <= 0 {
		return 0, 0, 0, 0
	}
	s := min(bw/w, bh/h)
	dw, dh := w*s, h*s
	cw, ch = dw*cropFraction, dh*cropFraction
	return (bw-dw)/2 + (dw-cw)/2, (bh-dh)/2 + (dh-ch)/2, cw, ch
}
