package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

func TestModelsHelp(t *testing.T) {
	for _, sub := range []string{"list", "fetch", "import", "synth", "table"} {
		for _, args := range [][]string{{"models", sub, "-h"}, {"models", "help", sub}} {
			status, stdout, stderr := cli(args...)
			assert.Equal(t, 0, status, "%q", args)
			assert.Empty(t, stderr, "%q", args)
			for _, want := range []string{"Usage: mobilenet models " + sub, "Flags:", "Example:\n  "} {
				assert.Contains(t, stdout, want, "%q", args)
			}
		}
	}
	status, stdout, _ := cli("models", "-h")
	assert.Equal(t, 0, status)
	for _, sub := range []string{"list", "fetch", "import", "synth", "table"} {
		assert.Contains(t, stdout, "  "+sub+" ")
	}
}

func TestModelsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args     []string
		contains string
	}{
		{[]string{"models"}, "no subcommand"},
		{[]string{"models", "frob"}, `unknown subcommand "frob"`},
		{[]string{"models", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"models", "list", "-bogus"}, "-bogus"},
		{[]string{"models", "fetch", "-dir", dir}, "no model named"},
		{[]string{"models", "fetch", "-dir", dir, "-all", "0.25_128"}, "not both"},
		{[]string{"models", "fetch", "-dir", dir, "mobilenet_v2_1.0_224"}, `unknown model "mobilenet_v2_1.0_224"`},
		{[]string{"models", "fetch", "-dir", dir, "-retries", "-1", "0.25_128"}, "-retries -1"},
		{[]string{"models", "import", "-dir", dir}, "no file given"},
		{[]string{"models", "synth", "-w", "0.25", "-r", "128"}, "-o are required"},
		{[]string{"models", "synth", "-w", "0.3", "-r", "128", "-o", "x"}, "-w 0.3 -r 128"},
		{[]string{"models", "synth", "-w", "wide", "-r", "128", "-o", "x"}, "-w wide"},
		{[]string{"models", "synth", "-w", "1", "-r", "200", "-o", "x"}, "-r 200"},
		{[]string{"models", "synth", "-w", "1", "-r", "224", "-o", "x", "-part", "tail"}, "-part tail"},
		{[]string{"models", "table"}, "no -bench"},
		{[]string{"models", "table", "-bench", "x", "-col", "nonsense"}, "TITLE=PREFIX"},
		{[]string{"models", "table", "-bench", os.DevNull, "-unit", "B/op"}, `unit "B/op"`},
	} {
		wantError(t, tc.args, 2, "models", tc.contains)
	}
}

// TestModelsSynthInfo: a synthetic model written by the command loads, and
// info reports the catalog's exact MACs and parameters.
func TestModelsSynthInfo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.tflite")
	status, stdout, stderr := cli("models", "synth", "-w", "0.5", "-r", "160", "-quant", "-o", out, "-seed", "3")
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "synthetic mobilenet_v1_0.5_160_quant (seed 3)")
	status, stdout, stderr = cli("info", "-json", out)
	require.Equal(t, 0, status, stderr)
	var info infoJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &info))
	e, _ := models.Lookup("mobilenet_v1_0.5_160_quant")
	assert.Equal(t, e.MACs(), info.MACs)
	assert.Equal(t, e.Params(), info.Params)

	// The extractor and head chain like the release's split model.
	ext, head := filepath.Join(t.TempDir(), "ext.tflite"), filepath.Join(t.TempDir(), "head.tflite")
	for part, path := range map[string]string{"extractor": ext, "head": head} {
		status, _, stderr = cli("models", "synth", "-w", "0.5", "-r", "160", "-quant", "-o", path, "-seed", "3", "-part", part)
		require.Equal(t, 0, status, stderr)
	}
	in := filepath.Join(t.TempDir(), "in.raw")
	require.NoError(t, os.WriteFile(in, bytes.Repeat([]byte{7, 200, 99}, 160*160), 0o644))
	outs := map[string][]byte{}
	for name, ms := range map[string][]string{"whole": {"-m", out}, "split": {"-m", ext, "-m", head}} {
		o := filepath.Join(t.TempDir(), "out.raw")
		status, _, stderr = cli(append(append([]string{"infer"}, ms...), "-in", in, "-out", o)...)
		require.Equal(t, 0, status, stderr)
		outs[name], _ = os.ReadFile(o)
	}
	assert.Equal(t, outs["whole"], outs["split"])
}

// TestModelsImportList imports the shared release files and lists them.
func TestModelsImportList(t *testing.T) {
	src := testdata.Path(t, "models")
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join(src, "*.tflite"))
	require.NoError(t, err)
	status, stdout, stderr := cli(append([]string{"models", "import", "-dir", dir}, files...)...)
	require.Equal(t, 0, status, stderr)
	assert.Empty(t, stderr)
	assert.Contains(t, stdout, "imported as "+filepath.Join(dir, "mobilenet_v1_1.0_224_quant_head_layers.tflite")+" (mobilenet_v1_1.0_224_quant (head))")

	status, stdout, stderr = cli("models", "list", "-dir", dir)
	require.Equal(t, 0, status, stderr)
	lines := strings.Split(stdout, "\n")
	require.Greater(t, len(lines), 33)
	assert.Regexp(t, `^model +width +size +type +M MACs +M params +top-1 +top-5 +in folder$`, lines[0])
	assert.Regexp(t, `^mobilenet_v1_1.0_224_quant +1.0 +224 +uint8 +568.7 +4.22 +70.1 +88.9 +split$`, lines[2])
	assert.Regexp(t, `^mobilenet_v1_0.25_224 +0.25 +224 +float +41.0 +0.47 +49.8 +74.2 +yes$`, lines[25])
	assert.Regexp(t, `^mobilenet_v1_0.25_192 .* -$`, lines[27])
	assert.Contains(t, stdout, "5 of 32 in "+dir)

	status, stdout, stderr = cli("models", "list", "-json", "-dir", dir)
	require.Equal(t, 0, status, stderr)
	var entries []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &entries))
	require.Len(t, entries, 32)
	present := 0
	for _, e := range entries {
		if e["present"] == true {
			present++
		}
	}
	assert.Equal(t, 5, present)
	assert.Equal(t, "mobilenet_v1_1.0_224", entries[0]["name"])
	assert.Equal(t, "https://download.tensorflow.org/models/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224.tgz", entries[0]["url"])
	assert.Equal(t, 568741376.0, entries[0]["macs"])
	assert.Len(t, entries[1]["files"], 2)

	// A file that is not a catalog model: imported with a warning.
	other := filepath.Join(t.TempDir(), "custom_head.tflite")
	status, _, _ = cli("models", "synth", "-w", "0.25", "-r", "128", "-part", "head", "-o", other)
	require.Equal(t, 0, status)
	status, stdout, stderr = cli("models", "import", "-synthetic", "-dir", dir, other)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stderr, "warning: "+other+" is not one of the release's 32 MobileNet V1 models")
	assert.Contains(t, stdout, "(not a catalog model)")
	_, stdout, _ = cli("models", "list", "-dir", dir)
	assert.Contains(t, stdout, "other models there: custom_head.tflite")

	// Refusals are one error line.
	synth := filepath.Join(t.TempDir(), "s.tflite")
	cli("models", "synth", "-w", "0.25", "-r", "128", "-quant", "-o", synth)
	wantError(t, []string{"models", "import", "-dir", dir, synth}, 1, "models", "import: "+synth+": a synthetic model", "-synthetic")
}

// TestModelsFetch fetches from a local mirror, and fails clearly when the
// server cannot be reached.
func TestModelsFetch(t *testing.T) {
	e, _ := models.Lookup("mobilenet_v1_0.25_128_quant")
	model, err := models.SynthEntry(e, 1)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./" + e.TFLite, Mode: 0o644, Size: int64(len(model))}))
	tw.Write(model)
	tw.Close()
	zw.Close()
	archive := buf.Bytes()
	fails := 1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fails > 0 {
			fails--
			http.Error(w, "try later", http.StatusBadGateway)
			return
		}
		if r.URL.Path != "/mobilenet_v1_2018_08_02/mobilenet_v1_0.25_128_quant.tgz" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "a.tgz", time.Time{}, bytes.NewReader(archive))
	}))
	defer srv.Close()

	dir := t.TempDir()
	start := time.Now()
	status, stdout, stderr := cli("models", "fetch", "-dir", dir, "-mirror", srv.URL, "0.25_128_quant")
	require.Equal(t, 0, status, stderr)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, stdout, "mobilenet_v1_0.25_128_quant: "+filepath.Join(dir, e.File()))
	assert.Contains(t, stderr, "try 1 of 4 failed: server answered 502 Bad Gateway; retrying in 1s")
	assert.Contains(t, stderr, "[####################] 0.5/0.5 MB") // the final bar (stderr is not a terminal)
	got, err := os.ReadFile(filepath.Join(dir, e.File()))
	require.NoError(t, err)
	assert.Equal(t, model, got)
	_, stdout, _ = cli("models", "list", "-dir", dir)
	assert.Regexp(t, `mobilenet_v1_0.25_128_quant .* synthetic\n`, stdout)

	status, stdout, _ = cli("models", "fetch", "-dir", dir, "-mirror", srv.URL, "0.25_128_quant")
	assert.Equal(t, 0, status)
	assert.Contains(t, stdout, "already in")
	wantError(t, []string{"models", "fetch", "-dir", dir, "-mirror", srv.URL, "-retries", "0", "0.5_128_quant"}, 1, "models",
		"fetch: mobilenet_v1_0.5_128_quant: "+srv.URL+"/mobilenet_v1_2018_08_02/mobilenet_v1_0.5_128_quant.tgz: server answered 404 Not Found")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	wantError(t, []string{"models", "fetch", "-dir", dir, "-mirror", "http://" + addr, "-retries", "0", "1.0_224"}, 1, "models",
		"fetch: mobilenet_v1_1.0_224: cannot reach "+addr+" (offline?)",
		"download https://download.tensorflow.org/models/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224.tgz on a machine that has it",
		"then run: mobilenet models import -dir "+dir+" mobilenet_v1_1.0_224.tgz")
}

func TestByteBarLine(t *testing.T) {
	e, _ := models.Lookup("mobilenet_v1_0.25_128_quant")
	p := store.Progress{Entry: e, Done: 1_000_000, Total: 4_000_000, Attempt: 1}
	assert.Equal(t, "[#####...............] 1.0/4.0 MB  0.5 MB/s  ETA 6s  mobilenet_v1_0.25_128_quant.tgz", byteBarLine(p, 2*time.Second))
	p.Resumed, p.Done, p.Total = 2_000_000, 3_000_000, -1
	assert.Equal(t, "[....................] 3.0/? MB  1.0 MB/s  (resumed at 2.0 MB)  mobilenet_v1_0.25_128_quant.tgz", byteBarLine(p, time.Second))
	p.Final, p.Total = true, 3_000_000
	assert.Equal(t, "[####################] 3.0/3.0 MB  1.0 MB/s  1s  (resumed at 2.0 MB)  mobilenet_v1_0.25_128_quant.tgz", byteBarLine(p, time.Second))
}

func TestModelsTable(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("cpu: Test CPU\n")
	for _, e := range models.Catalog {
		fmt.Fprintf(&b, "BenchmarkNative/%s/synthetic-2  10  %d ns/op\n", e.Name, e.MACs()/4)
	}
	b.WriteString("BenchmarkWasm/simd/mobilenet_v1_0.25_128_quant/real-2  10  1000000 ns/op\n")
	bench := filepath.Join(dir, "bench.txt")
	require.NoError(t, os.WriteFile(bench, []byte(b.String()), 0o644))
	md, svg := filepath.Join(dir, "t.md"), filepath.Join(dir, "p.svg")
	status, stdout, stderr := cli("models", "table", "-bench", bench, "-md", md, "-svg", svg)
	require.Equal(t, 0, status, stderr)
	assert.Empty(t, stdout)
	assert.Empty(t, stderr)
	table, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(table), "| mobilenet_v1_0.25_128_quant | 0.25 | 128 | uint8 | 13.6 | 0.47 | 39.5 | 64.4 | 3.39 | synthetic |")
	plot, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(plot), "<svg "))

	// With the wasm columns: missing measurements are marked and warned.
	status, stdout, stderr = cli("models", "table", "-bench", bench, "-col", "native Go=BenchmarkNative/", "-col", "wasm SIMD=BenchmarkWasm/simd/")
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, "| mobilenet_v1_0.25_128_quant | 0.25 | 128 | uint8 | 13.6 | 0.47 | 39.5 | 64.4 | 3.39 | 1.00 | synthetic, real |")
	assert.Contains(t, stdout, "| mobilenet_v1_1.0_224 | 1.0 | 224 | float | 568.7 | 4.22 | 70.9 | 89.9 | 142 | – | synthetic |")
	assert.Equal(t, "mobilenet: models: table: warning: column \"wasm SIMD\" has 1 of 32 models\n", stderr)

	wantError(t, []string{"models", "table", "-bench", bench, "-col", "x=BenchmarkNothing/"}, 1, "models", "no benchmark in "+bench+" matches the columns (BenchmarkNothing/*)")
}

// TestModelsListLikeServe lists the shared models folder as it is (the
// release's extractor and head under their archive names): list and
// serve's catalog must recognise the same models, the split one included.
func TestModelsListLikeServe(t *testing.T) {
	dir := testdata.Path(t, "models")
	status, stdout, stderr := cli("models", "list", "-json", "-dir", dir)
	require.Equal(t, 0, status, stderr)
	var entries []struct {
		Name    string   `json:"name"`
		Present bool     `json:"present"`
		Files   []string `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &entries))
	listed := map[string]bool{}
	for _, e := range entries {
		if e.Present {
			listed[e.Name] = true
		}
	}
	assert.True(t, listed["mobilenet_v1_1.0_224_quant"], "the extractor + head pair is not listed: %v", listed)

	s, err := newSiteServer(testSite(t), dir)
	require.NoError(t, err)
	c, err := s.catalogJSON()
	require.NoError(t, err)
	var doc catalogDoc
	require.NoError(t, json.Unmarshal(c.body, &doc))
	served := map[string]bool{}
	for _, e := range doc.Models {
		if e.Available {
			served[e.Name] = true
		}
	}
	assert.Equal(t, served, listed, "models list and serve's catalog disagree")

	status, stdout, stderr = cli("models", "list", "-dir", dir)
	require.Equal(t, 0, status, stderr)
	assert.Contains(t, stdout, fmt.Sprintf("%d of 32 in %s", len(served), dir))
	assert.Regexp(t, `(?m)^mobilenet_v1_1.0_224_quant .* split$`, stdout)
	assert.NotContains(t, stdout, "other models there", "the split model's files are recognised")
}
