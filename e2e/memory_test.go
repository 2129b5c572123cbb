package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memorySwitches is the count of model switches.
const memorySwitches = 100

// TestMemorySwitches switches models 100 times in headless Chromium
// (e2e/memory.mjs): in one engine instance (mn_free_model, mn_load of the
// other model, an inference), whose wasm memory must stop growing after
// the first switches (a load reuses what the previous model freed; wasm
// memory cannot shrink) while every output stays the same; and through the
// JS API (load the other model, dispose the previous classifier: each
// classifier has its own worker, and with kernel threads its kernel
// workers), where only the last classifier's workers must be left each
// time and the page's JS heap must stay flat. Needs what TestBrowser needs.
func TestMemorySwitches(t *testing.T) {
	big, small := "mobilenet_v1_1.0_224_quant", "mobilenet_v1_0.25_128_quant"
	// Chromium only: the worker's wasm memory and the page's JS heap are
	// read through the DevTools protocol (a CDP session).
	e := newBrowserEnv(t, browsers[0], "memory", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
		"mobilenet_quant_v1_224_head_layers.tflite", small+".tflite", "mobilenet_v1_0.5_160_quant.tflite")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, e.bin, e.root, e.modelDir)
	defer stop()

	cfg := map[string]any{
		"url": url, "out": e.out, "chromium": e.executable, "switches": memorySwitches,
		"engineModels": []string{big, small}, "pageModels": []string{"mobilenet_v1_0.5_160_quant", small},
	}
	var r struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Engine struct {
			SIMD    bool     `json:"simd"`
			Start   int      `json:"start"`
			Memory  []int    `json:"memory"`
			Outputs []string `json:"outputs"`
			Names   []string `json:"names"`
		} `json:"engine"`
		Page struct {
			Workers []int     `json:"workers"`
			Threads []int     `json:"threads"`
			JSHeap  []float64 `json:"jsHeap"`
			Names   []string  `json:"names"`
		} `json:"page"`
		PageErrors []string `json:"pageErrors"`
	}
	b := runScript(t, ctx, e.node, e.root, e.work, "memory.mjs", "switches", cfg, "results-memory.json")
	require.NoError(t, json.Unmarshal(b, &r))
	require.True(t, r.OK, "memory.mjs failed: %s", r.Error)
	assert.Empty(t, r.PageErrors)

	eng := r.Engine
	assert.True(t, eng.SIMD, "simd.wasm linked")
	require.Len(t, eng.Memory, memorySwitches)
	// The first switches load each model once, then each again after the
	// other: the second load of the large model may grow the memory once
	// (its large buffers do not fit between what the small model left),
	// by at most 2 MiB; from the fourth switch on nothing may grow.
	settled := eng.Memory[3]
	assert.LessOrEqual(t, settled-eng.Memory[1], 2<<20, "growth of the first re-loads")
	for i, m := range eng.Memory[3:] {
		assert.Equal(t, settled, m, "wasm memory after switch %d (%s) (start %d)", i+4, eng.Names[i+3], eng.Start)
	}
	for i, o := range eng.Outputs {
		assert.Equal(t, eng.Outputs[i%2], o, "output of %s after switch %d", eng.Names[i], i+1)
	}
	t.Logf("engine: %.2f MiB at start; after switches 1-4: %.2f, %.2f, %.2f, %.2f MiB; %.2f MiB after %d", mib(eng.Start),
		mib(eng.Memory[0]), mib(eng.Memory[1]), mib(eng.Memory[2]), mib(eng.Memory[3]), mib(eng.Memory[len(eng.Memory)-1]), memorySwitches)

	pg := r.Page
	require.Len(t, pg.Workers, memorySwitches)
	require.Len(t, pg.Threads, memorySwitches)
	for i, n := range pg.Workers {
		assert.Equal(t, pg.Threads[i], n, "live workers after switch %d: the classifier's worker and its %d kernel workers", i+1, pg.Threads[i]-1)
	}
	// The page keeps nothing of a disposed classifier: its JS heap after a
	// collection grows by less than one model file over 90 switches.
	growth := pg.JSHeap[len(pg.JSHeap)-1] - pg.JSHeap[9]
	assert.Less(t, growth, float64(1<<20), "page JS heap growth from switch 10 to %d", memorySwitches)
	t.Logf("page: JS heap %.2f MiB after switch 10, %.2f MiB after %d", pg.JSHeap[9]/(1<<20), pg.JSHeap[len(pg.JSHeap)-1]/(1<<20), memorySwitches)
}

func mib(n int) float64 { return float64(n) / (1 << 20) }
