package main

import (
	"fmt"
	"math"
	"strings"
)

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
