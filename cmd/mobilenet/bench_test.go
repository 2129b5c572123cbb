package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/models"
)

// TestBench runs the three runtimes in turns on the small model and checks
// the JSON report's structure and arithmetic (not speeds, which tests do
// not judge), then the Markdown report and the usage errors.
func TestBench(t *testing.T) {
	model := filepath.Join(testdata.Dir(t), "models", "mobilenet_v1_0.25_128_quant.tflite")
	status, stdout, stderr := cli("bench", "-json", "-n", "3", "-warmup", "0", "-runtime", "native,wazero,wazero-portable", "-m", model)
	require.Equal(t, 0, status, stderr)
	var r benchReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	assert.Equal(t, 3, r.Runs)
	assert.Equal(t, []string{"native", "wazero", "wazero-portable"}, r.Runtimes)
	assert.Equal(t, "fp32", r.Requant)
	assert.Positive(t, r.CPUs)
	require.Len(t, r.Models, 1)
	m := r.Models[0]
	assert.Equal(t, "mobilenet_v1_0.25_128_quant", m.Model)
	assert.Equal(t, "file", m.Weights)
	assert.Equal(t, []string{model}, m.Files)
	assert.Equal(t, int64(13570304), m.MACs)
	require.Len(t, m.Results, 3)
	for i, res := range m.Results {
		assert.Equal(t, r.Runtimes[i], res.Runtime)
		assert.Positive(t, res.P10MS)
		assert.LessOrEqual(t, res.P10MS, res.MedianMS)
		assert.LessOrEqual(t, res.MedianMS, res.P90MS)
		assert.InDelta(t, float64(m.MACs)/res.MedianMS/1e6, res.GMACs, 1e-9)
	}
	require.Len(t, m.Ratios, 2)
	for i, q := range m.Ratios {
		assert.Equal(t, r.Runtimes[i+1], q.Runtime)
		assert.Equal(t, "native", q.Base)
		assert.Positive(t, q.P10)
		assert.LessOrEqual(t, q.P10, q.Median)
		assert.LessOrEqual(t, q.Median, q.P90)
	}
	assert.Nil(t, r.Summary, "one model: no summary")

	status, stdout, stderr = cli("bench", "-n", "2", "-warmup", "0", "-runtime", "wazero", "-m", model)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "| model | weights | M MACs | wazero ms (p10-p90) | wazero GMAC/s |\n|---|---|--:|--:|--:|\n| mobilenet_v1_0.25_128_quant | file | 13.6 | ")
	assert.Equal(t, 5, strings.Count(stdout, "\n"), stdout)

	wantError(t, []string{"bench", "-n", "0", "-m", model}, 2, "bench", "-n 0")
	wantError(t, []string{"bench", "-runtime", "v8", "-m", model}, 2, "bench", `-runtime "v8"`, "native, wazero, wazero-portable")
	wantError(t, []string{"bench", "-runtime", "wazero,wazero", "-m", model}, 2, "bench", "wazero twice")
	wantError(t, []string{"bench", "-all-models", "-m", model}, 2, "bench", "-all-models and -m")
	wantError(t, []string{"bench", "-models", "x", "-m", model}, 2, "bench", "-models is for -all-models")
	wantError(t, []string{"bench", "-m", "/nonexistent.tflite"}, 1, "bench", "nonexistent")
}

// TestBenchAllModels (MOBILENET_BENCH_ALL=1: about 30 s, synthesizing 27
// models) benches the 32 models in two runtimes with real weights from the
// shared models where they are, and checks the report covers each once.
func TestBenchAllModels(t *testing.T) {
	if os.Getenv("MOBILENET_BENCH_ALL") != "1" {
		t.Skip("set MOBILENET_BENCH_ALL=1 to bench all 32 models (about 30 s)")
	}
	dir := filepath.Join(testdata.Dir(t), "models")
	status, stdout, stderr := cli("bench", "-all-models", "-models", dir, "-json", "-n", "1", "-warmup", "0", "-runtime", "wazero,wazero-portable")
	require.Equal(t, 0, status, stderr)
	var r benchReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	require.Len(t, r.Models, len(models.Catalog))
	kinds := map[string]int{}
	for i, m := range r.Models {
		assert.Equal(t, models.Catalog[i].Name, m.Model)
		assert.Equal(t, models.Catalog[i].MACs(), m.MACs, m.Model)
		require.Len(t, m.Results, 2, m.Model)
		kinds[m.Weights]++
	}
	assert.Equal(t, map[string]int{"real": 5, "synthetic": 27}, kinds)
	require.NotNil(t, r.Summary)
	require.Len(t, r.Summary.Ratios, 1)
	t.Logf("wazero-portable / wazero over the 32 models: %.2fx", r.Summary.Ratios[0].Median)
}
