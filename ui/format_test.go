package main

import (
	"math"
	"testing"
)

func TestFormatMs(t *testing.T) {
	for _, tc := range []struct {
		ms   float64
		want string
	}{{0.5, "0.50 ms"}, {4.123, "4.12 ms"}, {12.34, "12.3 ms"}, {189.9, "190 ms"}, {math.NaN(), "–"}, {-1, "–"}} {
		if got := formatMs(tc.ms); got != tc.want {
			t.Errorf("formatMs(%g) = %q, want %q", tc.ms, got, tc.want)
		}
	}
}

func TestFormatBytesAndPercent(t *testing.T) {
	if got := formatBytes(513 << 10); got != "513 kB" {
		t.Errorf("formatBytes = %q", got)
	}
	if got := formatBytes(4.3 * (1 << 20)); got != "4.3 MB" {
		t.Errorf("formatBytes = %q", got)
	}
	if got := formatPercent(0.609375); got != "60.9%" {
		t.Errorf("formatPercent = %q", got)
	}
	if got := formatPercent(0); got != "<0.1%" {
		t.Errorf("formatPercent(0) = %q", got)
	}
}

func TestShortLabel(t *testing.T) {
	if got := shortLabel("tabby, tabby cat", 281); got != "tabby" {
		t.Errorf("got %q", got)
	}
	if got := shortLabel("", 7); got != "class 7" {
		t.Errorf("got %q", got)
	}
}

// TestFPSMeter feeds frames 100 ms apart: 10 frames per second, whatever
// the window keeps.
func TestFPSMeter(t *testing.T) {
	m := fpsMeter{window: 1000}
	if m.fps() != 0 {
		t.Errorf("empty meter: %g fps", m.fps())
	}
	for i := 0; i < 50; i++ {
		m.add(float64(i) * 100)
	}
	if got := m.fps(); math.Abs(got-10) > 1e-9 {
		t.Errorf("frames 100 ms apart: %g fps, want 10", got)
	}
	if len(m.times) > 12 {
		t.Errorf("the meter keeps %d frames for a 1 s window", len(m.times))
	}
	m.reset()
	m.add(5)
	if m.fps() != 0 {
		t.Errorf("one frame after reset: %g fps", m.fps())
	}
}
