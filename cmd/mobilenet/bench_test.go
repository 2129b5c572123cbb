package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

func TestBench(t *testing.T) {
	model := filepath.Join(testdata.Dir(t), "models", "mobilenet_v1_0.25_128_quant.tflite")
	status, stdout, stderr := cli("bench", "-json", "-n", "3", "-warmup", "1", "-m", model)
	require.Equal(t, 0, status, stderr)
	var r benchResult
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	assert.Equal(t, 3, r.Runs)
	assert.Equal(t, int64(13570304), r.MACs)
	assert.Positive(t, r.P10MS)
	assert.LessOrEqual(t, r.P10MS, r.MedianMS)
	assert.LessOrEqual(t, r.MedianMS, r.P90MS)
	assert.Positive(t, r.GMACs)
	wantError(t, []string{"bench", "-n", "0", "-m", model}, 2, "bench", "-n 0")
	wantError(t, []string{"bench", "-m", "/nonexistent.tflite"}, 1, "bench", "nonexistent")
}
