package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFaults runs e2e/faults.mjs in Chromium: a model download that the
// server cuts half way (Content-Length of the whole file, half of it, then
// the connection closed) must fail with the code "network" and a message
// that says it was cut, and leave nothing in Cache Storage, after which
// the whole file loads and is cached; without Cache Storage, and with
// every cache write failing over quota, models still load and classify.
func TestFaults(t *testing.T) {
	small := "mobilenet_v1_0.25_128_quant.tflite"
	e := newBrowserEnv(t, browsers[0], "faults", small)
	model, err := os.ReadFile(filepath.Join(e.modelDir, small))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	url, stop := startServe(t, ctx, e.bin, e.root, e.modelDir)
	defer stop()

	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(model)))
		if r.URL.Path != "/cut.tflite" {
			w.Write(model)
			return
		}
		w.Write(model[:len(model)/2])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer files.Close()

	cfg := map[string]any{"url": url, "out": e.out, "chromium": e.executable,
		"cutUrl": files.URL + "/cut.tflite", "wholeUrl": files.URL + "/whole.tflite"}
	type outcome struct {
		Top   int `json:"top"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Cached any `json:"cached"`
	}
	var r struct {
		OK  bool   `json:"ok"`
		Err string `json:"error"`
		Cut struct {
			First outcome `json:"first"`
			Then  outcome `json:"then"`
		} `json:"cut"`
		NoCaches   outcome  `json:"noCaches"`
		Quota      outcome  `json:"quota"`
		PageErrors []string `json:"pageErrors"`
	}
	b := runScript(t, ctx, e.node, e.root, e.work, "faults.mjs", "faults", cfg, "results-faults.json")
	require.NoError(t, json.Unmarshal(b, &r))
	require.True(t, r.OK, "faults.mjs failed: %s", r.Err)
	t.Logf("%s", b)

	first := r.Cut.First
	require.NotNil(t, first.Error, "a model cut half way loaded")
	assert.Equal(t, "network", first.Error.Code)
	assert.Contains(t, first.Error.Message, "cut after")
	assert.Empty(t, first.Cached, "Cache Storage after a cut download")
	assert.Nil(t, r.Cut.Then.Error, "the whole model after the cut one")
	assert.Equal(t, 1, r.Cut.Then.Top)
	assert.Equal(t, []any{files.URL + "/whole.tflite"}, r.Cut.Then.Cached)

	assert.Nil(t, r.NoCaches.Error, "without Cache Storage")
	assert.Equal(t, 1, r.NoCaches.Top, "without Cache Storage")
	assert.Nil(t, r.Quota.Error, "over quota")
	assert.Equal(t, 1, r.Quota.Top, "over quota")
	assert.Empty(t, r.Quota.Cached, "over quota, nothing is cached")
	assert.Empty(t, r.PageErrors)
}
