package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
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
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServeSiteTypesAndCaching(t *testing.T) {
	site := testSite(t)
	srv, err := newSiteServer(site, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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
		if r.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", tc.path, r.StatusCode)
			continue
		}
		if got := r.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", tc.path, got)
		}
		if r.Header.Get("ETag") == "" || r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", tc.path, r.Header)
		}
	}
	// Revalidation: the ETag gives 304.
	r := get(t, srv, "/mobilenet.js")
	if r2 := get(t, srv, "/mobilenet.js", "If-None-Match", r.Header.Get("ETag")); r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", r2.StatusCode)
	}
	// A changed file gets a new ETag.
	if err := os.WriteFile(filepath.Join(site, "mobilenet.js"), []byte("export const y = 2; // changed, and longer\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r3 := get(t, srv, "/mobilenet.js"); r3.Header.Get("ETag") == r.Header.Get("ETag") || !bytes.Contains(body(t, r3), []byte("changed")) {
		t.Errorf("after a change: ETag %s (was %s)", r3.Header.Get("ETag"), r.Header.Get("ETag"))
	}
}

func TestServeGzip(t *testing.T) {
	site := testSite(t)
	srv, err := newSiteServer(site, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(site, "engine.wasm"))
	r := get(t, srv, "/engine.wasm", "Accept-Encoding", "br, gzip")
	if r.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip accepted: headers %v", r.Header)
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("gunzipped body: %d bytes (%v), want the file's %d", len(got), err, len(want))
	}
	for _, ae := range []string{"", "identity", "gzip;q=0"} {
		r := get(t, srv, "/engine.wasm", "Accept-Encoding", ae)
		if r.Header.Get("Content-Encoding") != "" || !bytes.Equal(body(t, r), want) {
			t.Errorf("Accept-Encoding %q: got encoding %q", ae, r.Header.Get("Content-Encoding"))
		}
	}
}

func TestServeRefuses(t *testing.T) {
	site := testSite(t)
	modelsDir := t.TempDir()
	os.WriteFile(filepath.Join(modelsDir, "notes.md"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(modelsDir, ".hidden.tflite"), []byte("x"), 0o644)
	srv, err := newSiteServer(site, modelsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/.secret", "/missing.js", "/../go.mod", "/%2e%2e/go.mod", "/sub/../../etc/passwd",
		"/models/notes.md", "/models/.hidden.tflite", "/models/../index.html", "/models/sub/x.tflite",
		"/models/missing.tflite", `/models/..\x.tflite`,
	} {
		if r := get(t, srv, p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.StatusCode)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/index.html", nil)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", w.Code)
	}
	if r := get(t, srv, "/sub"); r.StatusCode != http.StatusMovedPermanently {
		t.Errorf("/sub: status %d, want a redirect to /sub/", r.StatusCode)
	}
}

func TestServeNeedsBuiltSite(t *testing.T) {
	site := t.TempDir()
	os.WriteFile(filepath.Join(site, "index.html"), []byte("x"), 0o644)
	if _, err := newSiteServer(site, t.TempDir()); err == nil || !strings.Contains(err.Error(), "build.sh") {
		t.Errorf("a site without engine.wasm: error %v, want one telling to run ./build.sh", err)
	}
	if _, err := newSiteServer(filepath.Join(site, "nope"), t.TempDir()); err == nil {
		t.Error("a missing site folder: no error")
	}
}

// TestServeCatalog serves a models folder holding (links to) shared
// models: the catalog lists them with versioned URLs that serve the files,
// labels only for the model without embedded ones, and the rest of the
// release as not available.
func TestServeCatalog(t *testing.T) {
	shared := testdata.Path(t, "models")
	modelsDir := t.TempDir()
	for _, f := range []string{"mobilenet_v1_0.25_128_quant.tflite", "mobilenet_v1_0.25_224.tflite", "imagenet_labels.txt"} {
		if err := os.Symlink(filepath.Join(shared, f), filepath.Join(modelsDir, f)); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := newSiteServer(testSite(t), modelsDir)
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, srv, "/models/catalog.json")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("catalog.json: status %d, headers %v", r.StatusCode, r.Header)
	}
	var doc catalogDoc
	if err := json.Unmarshal(body(t, r), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Models) != len(models.Catalog) {
		t.Fatalf("catalog has %d models, want %d", len(doc.Models), len(models.Catalog))
	}
	avail := map[string]catalogEntry{}
	for _, m := range doc.Models {
		if m.Available {
			avail[m.Name] = m
		} else if m.ModelURL != "" {
			t.Errorf("%s: not available but has URL %s", m.Name, m.ModelURL)
		}
		if m.Top1 <= 0 || m.MACs <= 0 || m.Resolution == 0 {
			t.Errorf("%s: incomplete entry %+v", m.Name, m)
		}
	}
	if len(avail) != 2 {
		t.Fatalf("available: %v, want the two linked models", avail)
	}
	q, f := avail["mobilenet_v1_0.25_128_quant"], avail["mobilenet_v1_0.25_224"]
	if !q.EmbeddedLabels || q.LabelsURL != "" {
		t.Errorf("quant model: embedded %v, labels URL %q; want embedded labels and no URL", q.EmbeddedLabels, q.LabelsURL)
	}
	if f.EmbeddedLabels || !strings.HasPrefix(f.LabelsURL, "imagenet_labels.txt?v=") {
		t.Errorf("float model: embedded %v, labels URL %q; want imagenet_labels.txt", f.EmbeddedLabels, f.LabelsURL)
	}
	for _, e := range []catalogEntry{q, f} {
		want, _ := os.ReadFile(filepath.Join(shared, e.File))
		sum := sha256.Sum256(want)
		if !strings.HasSuffix(e.ModelURL, "?v="+hex.EncodeToString(sum[:])[:versionLen]) || e.Bytes != int64(len(want)) {
			t.Errorf("%s: URL %s, %d bytes; want the checksum's prefix and %d bytes", e.Name, e.ModelURL, e.Bytes, len(want))
		}
		r := get(t, srv, "/models/"+e.ModelURL)
		if got := body(t, r); r.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("%s: status %d, %d bytes", e.ModelURL, r.StatusCode, len(got))
		}
		if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q, want a year", e.ModelURL, cc)
		}
		if r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: compressed (progress bars need the real length)", e.ModelURL)
		}
		// Unversioned or wrongly versioned URLs are revalidated.
		for _, u := range []string{e.File, e.File + "?v=00000000"} {
			if cc := get(t, srv, "/models/"+u).Header.Get("Cache-Control"); cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q, want no-cache", u, cc)
			}
		}
		// Range requests resume downloads.
		rr := get(t, srv, "/models/"+e.File, "Range", "bytes=10-19")
		if got := body(t, rr); rr.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[10:20]) {
			t.Errorf("%s: Range: status %d, %q", e.File, rr.StatusCode, got)
		}
	}
	if r := get(t, srv, "/models/"+f.LabelsURL); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("labels: status %d, type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}

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
	if n != 1 {
		t.Errorf("after removing a model, %d available, want 1", n)
	}
}

func TestServeEmptyModelsFolder(t *testing.T) {
	srv, err := newSiteServer(testSite(t), filepath.Join(t.TempDir(), "missing"))
	if err != nil {
		t.Fatal(err)
	}
	if w := srv.warnings(); !strings.Contains(strings.Join(w, "\n"), "does not exist") {
		t.Errorf("warnings %q, want one about the missing models folder", w)
	}
	var doc catalogDoc
	if err := json.Unmarshal(body(t, get(t, srv, "/models/catalog.json")), &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range doc.Models {
		if m.Available {
			t.Errorf("%s available in a missing folder", m.Name)
		}
	}
}

func TestServeHelpAndUsage(t *testing.T) {
	status, stdout, _ := cli("serve", "-h")
	if status != 0 || !strings.Contains(stdout, "Usage: mobilenet serve") || !strings.Contains(stdout, "-models") {
		t.Errorf("serve -h: status %d, %q", status, stdout)
	}
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
		if !strings.Contains(msg, want) {
			t.Errorf("stderr lacks %q:\n%s", want, msg)
		}
	}
}
