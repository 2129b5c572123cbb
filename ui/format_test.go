package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
