package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"mobilenet-wasm/internal/testdata"
)

func TestBench(t *testing.T) {
	model := filepath.Join(testdata.Dir(t), "models", "mobilenet_v1_0.25_128_quant.tflite")
	status, stdout, stderr := cli("bench", "-json", "-n", "3", "-warmup", "1", "-m", model)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	var r benchResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	if r.Runs != 3 || r.MACs != 13570304 || !(r.P10MS > 0 && r.P10MS <= r.MedianMS && r.MedianMS <= r.P90MS) || r.GMACs <= 0 {
		t.Errorf("implausible result %+v", r)
	}
	wantError(t, []string{"bench", "-n", "0", "-m", model}, 2, "bench", "-n 0")
	wantError(t, []string{"bench", "-m", "/nonexistent.tflite"}, 1, "bench", "nonexistent")
}
