package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/models"
)

// testSite is a small site folder: the files serve needs and a few others.
func testSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"index.html":         "<!doctype html><title>t</title>" + strings.Repeat("<p>page</p>", 200),
		"engine.wasm":        "\x00asm\x01\x00\x00\x00" + strings.Repeat("\x00", 4000),
		"mobilenet.js":       strings.Repeat("export const x = 1;\n", 100),
		"mobilenet.d.ts":     "export declare const x: number;\n",
		"style.css":          "body{}",
		".secret":            "hidden",
		"sub/index.html":     "<p>sub</p>",
		"embed-example.html": "<p>embed</p>",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func get(t *testing.T, h http.Handler, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Result()
}

func body(t *testing.T, r *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return b
}

func TestServeSiteTypesAndCaching(t *testing.T) {
	site := testSite(t)
	srv, err := newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	for _, tc := range []struct{ path, ctype string }{
		{"/", "text/html; charset=utf-8"},
		{"/index.html", "text/html; charset=utf-8"},
		{"/engine.wasm", "application/wasm"},
		{"/mobilenet.js", "text/javascript; charset=utf-8"},
		{"/mobilenet.d.ts", "text/plain; charset=utf-8"},
		{"/style.css", "text/css; charset=utf-8"},
		{"/sub/", "text/html; charset=utf-8"},
	} {
		r := get(t, srv, tc.path)
		if !assert.Equal(t, http.StatusOK, r.StatusCode, tc.path) {
			continue
		}
		assert.Equal(t, tc.ctype, r.Header.Get("Content-Type"), tc.path)
		assert.Equal(t, "no-cache", r.Header.Get("Cache-Control"), tc.path)
		assert.NotEmpty(t, r.Header.Get("ETag"), tc.path)
		assert.Equal(t, "*", r.Header.Get("Access-Control-Allow-Origin"), tc.path)
		assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), tc.path)
	}
	// Revalidation: the ETag gives 304.
	r := get(t, srv, "/mobilenet.js")
	assert.Equal(t, http.StatusNotModified, get(t, srv, "/mobilenet.js", "If-None-Match", r.Header.Get("ETag")).StatusCode, "If-None-Match")
	// A changed file gets a new ETag.
	require.NoError(t, os.WriteFile(filepath.Join(site, "mobilenet.js"), []byte("export const y = 2; // changed, and longer\n"), 0o644))
	r3 := get(t, srv, "/mobilenet.js")
	assert.NotEqual(t, r.Header.Get("ETag"), r3.Header.Get("ETag"), "after a change")
	assert.Contains(t, string(body(t, r3)), "changed", "after a change")
}

func TestServeGzip(t *testing.T) {
	site := testSite(t)
	srv, err := newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	want, _ := os.ReadFile(filepath.Join(site, "engine.wasm"))
	r := get(t, srv, "/engine.wasm", "Accept-Encoding", "br, gzip")
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"), "gzip accepted")
	require.Contains(t, r.Header.Get("Vary"), "Accept-Encoding", "gzip accepted")
	zr, err := gzip.NewReader(r.Body)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	assert.NoError(t, err, "gunzipped body")
	assert.Equal(t, want, got, "gunzipped body")
	for _, ae := range []string{"", "identity", "gzip;q=0"} {
		r := get(t, srv, "/engine.wasm", "Accept-Encoding", ae)
		assert.Empty(t, r.Header.Get("Content-Encoding"), "Accept-Encoding %q", ae)
		assert.Equal(t, want, body(t, r), "Accept-Encoding %q", ae)
	}
}

// TestServeCatalogGzip: catalog.json is gzipped for clients that accept
// it, the same document either way, with an ETag per encoding.
func TestServeCatalogGzip(t *testing.T) {
	srv, err := newSiteServer(testSite(t), t.TempDir())
	require.NoError(t, err)
	plain := get(t, srv, "/models/catalog.json")
	require.Empty(t, plain.Header.Get("Content-Encoding"))
	want := body(t, plain)
	r := get(t, srv, "/models/catalog.json", "Accept-Encoding", "gzip, deflate, br, zstd")
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
	assert.Contains(t, r.Header.Get("Vary"), "Accept-Encoding")
	assert.NotEqual(t, plain.Header.Get("ETag"), r.Header.Get("ETag"), "one ETag per encoding")
	zr, err := gzip.NewReader(r.Body)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, want, got, "gunzipped catalog")
	assert.Less(t, r.ContentLength, int64(len(want))/3, "gzipped size")
}

func TestServeRefuses(t *testing.T) {
	site := testSite(t)
	modelsDir := t.TempDir()
	os.WriteFile(filepath.Join(modelsDir, "notes.md"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(modelsDir, ".hidden.tflite"), []byte("x"), 0o644)
	srv, err := newSiteServer(site, modelsDir)
	require.NoError(t, err)
	for _, p := range []string{
		"/.secret", "/missing.js", "/../go.mod", "/%2e%2e/go.mod", "/sub/../../etc/passwd",
		"/models/notes.md", "/models/.hidden.tflite", "/models/../index.html", "/models/sub/x.tflite",
		"/models/missing.tflite", `/models/..\x.tflite`,
	} {
		assert.Equal(t, http.StatusNotFound, get(t, srv, p).StatusCode, p)
	}
	req := httptest.NewRequest(http.MethodPost, "/index.html", nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code, "POST")
	assert.Equal(t, http.StatusMovedPermanently, get(t, srv, "/sub").StatusCode, "/sub: a redirect to /sub/")
}

func TestServeNeedsBuiltSite(t *testing.T) {
	site := t.TempDir()
	os.WriteFile(filepath.Join(site, "index.html"), []byte("x"), 0o644)
	_, err := newSiteServer(site, t.TempDir())
	assert.ErrorContains(t, err, "build.sh", "a site without engine.wasm")
	_, err = newSiteServer(filepath.Join(site, "nope"), t.TempDir())
	assert.Error(t, err, "a missing site folder")
}

// TestServeCatalog serves a models folder holding (links to) shared
// models: the catalog lists them with versioned URLs that serve the files,
// labels only for the model without embedded ones, and the rest of the
// release as not available.
func TestServeCatalog(t *testing.T) {
	shared := testdata.Path(t, "models")
	modelsDir := t.TempDir()
	for _, f := range []string{"mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.25_224.tflite", "imagenet_labels.txt"} {
		require.NoError(t, os.Symlink(filepath.Join(shared, f), filepath.Join(modelsDir, f)))
	}
	srv, err := newSiteServer(testSite(t), modelsDir)
	require.NoError(t, err)
	r := get(t, srv, "/models/catalog.json")
	require.Equal(t, http.StatusOK, r.StatusCode, "catalog.json")
	require.Equal(t, "application/json", r.Header.Get("Content-Type"), "catalog.json")
	require.Equal(t, "no-cache", r.Header.Get("Cache-Control"), "catalog.json")
	var doc catalogDoc
	require.NoError(t, json.Unmarshal(body(t, r), &doc))
	require.Len(t, doc.Models, len(models.Catalog))
	avail := map[string]catalogEntry{}
	for _, m := range doc.Models {
		if m.Available {
			avail[m.Name] = m
		} else {
			assert.Empty(t, m.ModelURL, "%s: not available but has a URL", m.Name)
		}
		assert.Positive(t, m.Top1, "%s: incomplete entry %+v", m.Name, m)
		assert.Positive(t, m.MACs, "%s: incomplete entry %+v", m.Name, m)
		assert.NotZero(t, m.Resolution, "%s: incomplete entry %+v", m.Name, m)
	}
	require.Len(t, avail, 2, "available: want the two linked models")
	q, f := avail["mobilenet_v1_0.25_128_quant"], avail["mobilenet_v1_0.25_224"]
	assert.True(t, q.EmbeddedLabels, "quant model: want embedded labels")
	assert.Empty(t, q.LabelsURL, "quant model: want no labels URL")
	assert.False(t, f.EmbeddedLabels, "float model: no embedded labels")
	assert.True(t, strings.HasPrefix(f.LabelsURL, "imagenet_labels.txt?v="), "float model: labels URL %q, want imagenet_labels.txt", f.LabelsURL)
	for _, e := range []catalogEntry{q, f} {
		want, _ := os.ReadFile(filepath.Join(shared, e.File))
		sum := sha256.Sum256(want)
		assert.True(t, strings.HasSuffix(e.ModelURL, "?v="+hex.EncodeToString(sum[:])[:versionLen]), "%s: URL %s, want the checksum's prefix", e.Name, e.ModelURL)
		assert.Equal(t, int64(len(want)), e.Bytes, e.Name)
		r := get(t, srv, "/models/"+e.ModelURL)
		got := body(t, r)
		assert.Equal(t, http.StatusOK, r.StatusCode, e.ModelURL)
		assert.True(t, bytes.Equal(got, want), "%s: %d bytes, want the file's %d", e.ModelURL, len(got), len(want))
		assert.Equal(t, "public, max-age=31536000, immutable", r.Header.Get("Cache-Control"), "%s: want a year", e.ModelURL)
		assert.Empty(t, r.Header.Get("Content-Encoding"), "%s: compressed (progress bars need the real length)", e.ModelURL)
		// Unversioned or wrongly versioned URLs are revalidated.
		for _, u := range []string{e.File, e.File + "?v=00000000"} {
			assert.Equal(t, "no-cache", get(t, srv, "/models/"+u).Header.Get("Cache-Control"), u)
		}
		// Range requests resume downloads.
		rr := get(t, srv, "/models/"+e.File, "Range", "bytes=10-19")
		got = body(t, rr)
		assert.Equal(t, http.StatusPartialContent, rr.StatusCode, "%s: Range", e.File)
		assert.Equal(t, want[10:20], got, "%s: Range", e.File)
	}
	r = get(t, srv, "/models/"+f.LabelsURL)
	assert.Equal(t, http.StatusOK, r.StatusCode, "labels")
	assert.True(t, strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain"), "labels: type %q", r.Header.Get("Content-Type"))

	// The catalog follows the folder.
	os.Remove(filepath.Join(modelsDir, "mobilenet_v1_0.25_224.tflite"))
	var doc2 catalogDoc
	json.Unmarshal(body(t, get(t, srv, "/models/catalog.json")), &doc2)
	n := 0
	for _, m := range doc2.Models {
		if m.Available {
			n++
		}
	}
	assert.Equal(t, 1, n, "available after removing a model")
}

func TestServeEmptyModelsFolder(t *testing.T) {
	srv, err := newSiteServer(testSite(t), filepath.Join(t.TempDir(), "missing"))
	require.NoError(t, err)
	assert.Contains(t, strings.Join(srv.warnings(), "\n"), "does not exist", "a warning about the missing models folder")
	var doc catalogDoc
	require.NoError(t, json.Unmarshal(body(t, get(t, srv, "/models/catalog.json")), &doc))
	for _, m := range doc.Models {
		assert.False(t, m.Available, "%s available in a missing folder", m.Name)
	}
}

func TestServeHelpAndUsage(t *testing.T) {
	status, stdout, _ := cli("serve", "-h")
	assert.Equal(t, 0, status, "serve -h")
	assert.Contains(t, stdout, "Usage: mobilenet serve")
	assert.Contains(t, stdout, "-models")
	wantError(t, []string{"serve", "extra"}, 2, "serve", "unexpected argument")
	wantError(t, []string{"serve", "-site", t.TempDir()}, 1, "serve", "index.html")
}

// TestServeFirstStartOffline: an empty models folder makes serve try the
// default model, and without network it says how to add local files.
func TestServeFirstStartOffline(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1") // no network, quickly
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	ensureDefaultModel(dir, &stdout, &stderr)
	msg := stderr.String()
	for _, want := range []string{"is empty: fetching " + defaultModel, "warning:", "mobilenet models import", "serve -models"} {
		assert.Contains(t, msg, want, "stderr")
	}
}

// TestServePrecompressed serves build.sh's name.gz when it is newer than
// name, and compresses name itself when the .gz is stale.
func TestServePrecompressed(t *testing.T) {
	site := testSite(t)
	want, err := os.ReadFile(filepath.Join(site, "engine.wasm"))
	require.NoError(t, err)
	var pre bytes.Buffer
	zw := gzip.NewWriter(&pre)
	zw.Name = "precompressed" // tells build.sh's file from the server's own
	zw.Write(want)
	require.NoError(t, zw.Close())
	gzPath := filepath.Join(site, "engine.wasm.gz")
	require.NoError(t, os.WriteFile(gzPath, pre.Bytes(), 0o644))
	fresh := time.Now()
	old := fresh.Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(site, "engine.wasm"), old, old))

	srv, err := newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	r := get(t, srv, "/engine.wasm", "Accept-Encoding", "gzip")
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
	assert.Equal(t, pre.Bytes(), body(t, r), "the precompressed file")

	// A .gz older than its file is stale: the server compresses the file.
	require.NoError(t, os.Chtimes(gzPath, old.Add(-time.Hour), old.Add(-time.Hour)))
	srv, err = newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	r = get(t, srv, "/engine.wasm", "Accept-Encoding", "gzip")
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
	zr, err := gzip.NewReader(r.Body)
	require.NoError(t, err)
	assert.Empty(t, zr.Name, "the stale .gz was served")
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestServeBrotli serves build.sh's name.br to browsers that accept br,
// gzip to the others, and ignores a .br older than its file (the server
// cannot make brotli itself). The .br's bytes are passed on as they are,
// so any bytes stand for brotli here.
func TestServeBrotli(t *testing.T) {
	site := testSite(t)
	br := []byte("stands for engine.wasm in brotli")
	brPath := filepath.Join(site, "engine.wasm.br")
	require.NoError(t, os.WriteFile(brPath, br, 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(site, "engine.wasm"), old, old))

	srv, err := newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	r := get(t, srv, "/engine.wasm", "Accept-Encoding", "gzip, deflate, br, zstd") // Chromium's
	require.Equal(t, "br", r.Header.Get("Content-Encoding"))
	assert.Equal(t, "Accept-Encoding", r.Header.Get("Vary"))
	brTag := r.Header.Get("ETag")
	assert.Equal(t, br, body(t, r))
	for _, ae := range []string{"gzip", "gzip, br;q=0"} {
		r = get(t, srv, "/engine.wasm", "Accept-Encoding", ae)
		assert.Equal(t, "gzip", r.Header.Get("Content-Encoding"), ae)
		assert.NotEqual(t, brTag, r.Header.Get("ETag"), "gzip and brotli share an ETag")
	}
	r = get(t, srv, "/engine.wasm", "Accept-Encoding", "br;q=0")
	assert.Empty(t, r.Header.Get("Content-Encoding"), "identity")

	// A .br older than its file is stale: gzip instead.
	require.NoError(t, os.Chtimes(brPath, old.Add(-time.Hour), old.Add(-time.Hour)))
	srv, err = newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	r = get(t, srv, "/engine.wasm", "Accept-Encoding", "gzip, deflate, br, zstd")
	assert.Equal(t, "gzip", r.Header.Get("Content-Encoding"), "the stale .br was served")
}

// TestServeModelGzip gzips the models folder's files once they are zipped
// (zipModels, in the background at start): with their own size in
// X-Decoded-Length for the download's progress; as they are before that,
// without gzip, and when gzip saves little (random bytes stand for float
// weights).
func TestServeModelGzip(t *testing.T) {
	modelsDir := t.TempDir()
	packed := bytes.Repeat([]byte("uint8 weights compress "), 4000)
	noise := make([]byte, 50000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	require.NoError(t, os.WriteFile(filepath.Join(modelsDir, "a.tflite"), packed, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(modelsDir, "b.tflite"), noise, 0o644))
	srv, err := newSiteServer(testSite(t), modelsDir)
	require.NoError(t, err)
	r := get(t, srv, "/models/a.tflite", "Accept-Encoding", "gzip")
	assert.Empty(t, r.Header.Get("Content-Encoding"), "before zipModels")
	assert.Equal(t, packed, body(t, r))

	srv.zipModels()
	r = get(t, srv, "/models/a.tflite", "Accept-Encoding", "gzip, br")
	require.Equal(t, "gzip", r.Header.Get("Content-Encoding"))
	assert.Equal(t, strconv.Itoa(len(packed)), r.Header.Get("X-Decoded-Length"))
	assert.Contains(t, r.Header.Get("Access-Control-Expose-Headers"), "X-Decoded-Length")
	gzTag := r.Header.Get("ETag")
	zr, err := gzip.NewReader(r.Body)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.Equal(t, packed, got)
	r = get(t, srv, "/models/a.tflite")
	assert.Empty(t, r.Header.Get("Content-Encoding"), "no Accept-Encoding")
	assert.NotEqual(t, gzTag, r.Header.Get("ETag"), "gzip and identity share an ETag")
	assert.Equal(t, packed, body(t, r))
	r = get(t, srv, "/models/b.tflite", "Accept-Encoding", "gzip")
	assert.Empty(t, r.Header.Get("Content-Encoding"), "incompressible")
	assert.Equal(t, noise, body(t, r))

	// A changed file is not served from its old copy.
	changed := append(packed, "more"...)
	require.NoError(t, os.WriteFile(filepath.Join(modelsDir, "a.tflite"), changed, 0o644))
	r = get(t, srv, "/models/a.tflite", "Accept-Encoding", "gzip")
	assert.Empty(t, r.Header.Get("Content-Encoding"), "stale copy")
	assert.Equal(t, changed, body(t, r))
}

// TestServeFavicon answers /favicon.ico with the site's SVG icon, for
// pages without an icon link.
func TestServeFavicon(t *testing.T) {
	site := testSite(t)
	srv, err := newSiteServer(site, t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, get(t, srv, "/favicon.ico").StatusCode, "no icon at all")
	icon := `<svg xmlns="http://www.w3.org/2000/svg"/>`
	require.NoError(t, os.WriteFile(filepath.Join(site, "favicon.svg"), []byte(icon), 0o644))
	r := get(t, srv, "/favicon.ico")
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "image/svg+xml", r.Header.Get("Content-Type"))
	assert.Equal(t, icon, string(body(t, r)))
}

// TestServeIsolation checks the headers of cross-origin isolation (the
// kernel threads' shared memory): sent by default on pages, scripts, wasm
// and models, absent with -isolate=false; CORP always.
func TestServeIsolation(t *testing.T) {
	srv, err := newSiteServer(testSite(t), t.TempDir())
	require.NoError(t, err)
	for _, isolate := range []bool{true, false} {
		srv.isolate = isolate
		for _, p := range []string{"/", "/engine.wasm", "/mobilenet.js", "/models/catalog.json"} {
			r := get(t, srv, p)
			require.Equal(t, http.StatusOK, r.StatusCode, p)
			coop, coep := "", ""
			if isolate {
				coop, coep = "same-origin", "require-corp"
			}
			assert.Equal(t, coop, r.Header.Get("Cross-Origin-Opener-Policy"), "%s isolate=%v", p, isolate)
			assert.Equal(t, coep, r.Header.Get("Cross-Origin-Embedder-Policy"), "%s isolate=%v", p, isolate)
			assert.Equal(t, "cross-origin", r.Header.Get("Cross-Origin-Resource-Policy"), p)
		}
	}
}
