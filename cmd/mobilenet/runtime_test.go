package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// TestClassifyRuntimes: classify prints exactly the same in the three
// runtimes, for a quantized model, a float one and the extractor + head
// chain, labels found next to the model.
func TestClassifyRuntimes(t *testing.T) {
	shared := testdata.Dir(t)
	images := []string{filepath.Join(shared, "images", "cat.bmp"), filepath.Join(shared, "images", "parrot.jpg")}
	for _, name := range []string{"mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.25_224", "mobilenet_v1_1.0_224_quant"} {
		m := testdata.Golden(name)
		var want string
		for _, rt := range runtimeNames {
			args := append(append([]string{"classify", "-json", "-k", "3", "-runtime", rt}, modelArgs(m, shared)...), images...)
			status, stdout, stderr := cli(args...)
			require.Equal(t, 0, status, "%s %s: %s", name, rt, stderr)
			if rt == runtimeNative {
				want = stdout
				require.Contains(t, want, `"label":"Egyptian cat"`, name)
				continue
			}
			assert.Equal(t, want, stdout, "%s: %s differs from native", name, rt)
		}
	}
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	wantError(t, []string{"classify", "-runtime", "node", "-m", model, images[0]}, 2, "classify", `-runtime "node"`)
}

// TestEvalRuntime: eval in the wasm module (two instances for -j 2) gives
// the goldens' accuracy on the 100 ImageNet photos, as natively.
func TestEvalRuntime(t *testing.T) {
	shared := testdata.Dir(t)
	m := testdata.Golden("mobilenet_v1_0.25_128_quant")
	want := map[string]string{}
	for _, row := range readCSV(t, filepath.Join(shared, "goldens", "accuracy.csv")) {
		if row["model"] == m.Name {
			want = row
		}
	}
	require.NotEmpty(t, want, "accuracy.csv has no row for %s", m.Name)
	dir := filepath.Join(shared, "images", "imagenet")
	args := append(append([]string{"eval", "-json", "-j", "2", "-runtime", "wazero"}, modelArgs(m, shared)...), "-dir", dir)
	status, stdout, stderr := cli(args...)
	require.Equal(t, 0, status, stderr)
	var s evalSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
	assert.Equal(t, "wazero", s.Runtime)
	assert.Equal(t, 2, s.Workers)
	got := fmt.Sprintf("n %d, top-1 %d, top-5 %d", s.N, s.Top1Correct, s.Top5Correct)
	assert.Equal(t, fmt.Sprintf("n %s, top-1 %s, top-5 %s", want["n"], want["top1_correct"], want["top5_correct"]), got)
	t.Logf("wazero: %s in %.1fs (%.1f img/s)", got, s.Seconds, s.ImagesPerSecond)
}
