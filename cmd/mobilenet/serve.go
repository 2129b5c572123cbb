package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

var serveHelp = cmdHelp{
	usage: "serve [-addr 127.0.0.1:8080] [-models DIR] [-site DIR] [-fetch=true] [-isolate=true]",
	about: `Serve serves the web page (the site folder that ./build.sh fills: the
page, the JS loader, engine.wasm, ui.wasm) and the models folder under
/models/, and prints the page's URL. Everything runs in the browser; the
server only hands out files.

/models/catalog.json is the release's 32 models (width, resolution,
float/quantized, MACs, params, published accuracy) with the URLs of those
present in the models folder (found by their shapes, like 'mobilenet
models list'), and of imagenet_labels.txt from that folder for models
without embedded labels. Model URLs carry their checksum (?v=...), so
browsers may cache them for a year; the page and its scripts are served
with no-cache (revalidated by ETag). Text and wasm are gzipped for
clients that accept it, and sent as build.sh's brotli copies (name.br)
to those that accept br; models are gzipped once, in the background,
and sent so to clients that accept gzip (uint8 models lose a quarter).
Responses allow any origin (CORS, and CORP cross-origin), so other sites
can embed the <mobilenet-classifier> widget.

Pages are cross-origin isolated (headers Cross-Origin-Opener-Policy:
same-origin and Cross-Origin-Embedder-Policy: require-corp), which the
engine's kernel threads need (a shared wasm memory): the page and the JS
API then run each large layer on several cores. -isolate=false sends
neither header: the engine runs on one thread.

The models folder defaults to $MOBILENET_MODELS, else mobilenet-wasm/models
in the user's cache folder; the site folder to ./site, else site next to
the executable (or its parent folder). When the models folder holds no
model, serve first downloads mobilenet_v1_0.5_160_quant into it (-fetch=false
skips this); offline, it says how to import local files instead and serves
the page anyway. Stop with Ctrl-C.`,
	example: `mobilenet serve
mobilenet serve -addr :8080 -models ../shared/models
./build.sh && go run ./cmd/mobilenet serve   # from the project folder`,
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve")
	addr := fs.String("addr", defaultAddr, "`host:port` to listen on (port 0: any free port)")
	modelsDir := fs.String("models", "", "models `folder` served under /models/ (default: $MOBILENET_MODELS or the user cache folder)")
	siteDir := fs.String("site", "", "site `folder` (default: ./site, else site next to the executable)")
	fetch := fs.Bool("fetch", true, "when the models folder holds no model, download "+defaultModel+" first")
	isolate := fs.Bool("isolate", true, "send COOP and COEP headers (cross-origin isolation: kernel threads)")
	if err := parseNoArgs(fs, serveHelp, args, stdout); err != nil {
		return err
	}
	if *modelsDir == "" {
		d, err := store.DefaultDir()
		if err != nil {
			return err
		}
		*modelsDir = d
	}
	if *siteDir == "" {
		d, err := findSite()
		if err != nil {
			return err
		}
		*siteDir = d
	}
	srv, err := newSiteServer(*siteDir, *modelsDir)
	if err != nil {
		return err
	}
	srv.isolate = *isolate
	if *fetch {
		ensureDefaultModel(srv.models, stdout, stderr)
	}
	for _, w := range srv.warnings() {
		fmt.Fprintf(stderr, "mobilenet: serve: warning: %s\n", w)
	}
	srv.warm()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := newHTTPServer(srv)
	fmt.Fprintf(stdout, "serving %s on http://%s/ (models: %s)\n", srv.site, displayAddr(ln.Addr()), srv.models)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	}
}

// defaultAddr is where serve listens without -addr: the loopback
// interface only, so that a page meant for this machine is not offered to
// the network by default.
const defaultAddr = "127.0.0.1:8080"

// Bounds on what a client may make serve hold. The server only answers
// GET and HEAD (bodies are never read), so the header is all a request
// can send: maxHeaderBytes bounds it (the request line included; Go's
// default is 1 MiB). A client must send its header within
// readHeaderTimeout and may stay idle between requests for idleTimeout;
// writeTimeout cuts a response that takes longer than a 17 MB model at
// 40 kB/s (the largest file served on a poor link).
const (
	maxHeaderBytes    = 16 << 10
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	writeTimeout      = 10 * time.Minute
)

// newHTTPServer is serve's http.Server for h, with its bounds.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, MaxHeaderBytes: maxHeaderBytes, ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout: readTimeout, IdleTimeout: idleTimeout, WriteTimeout: writeTimeout}
}

// displayAddr is a listener's address as a URL host: the unspecified
// address becomes localhost (a secure context, where browsers allow the
// camera and Cache Storage).
func displayAddr(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ta.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", ta.Port)
	}
	return a.String()
}

// findSite finds the site folder: ./site, else site next to the
// executable or in its parent folder (bin/mobilenet next to site/).
func findSite() (string, error) {
	cands := []string{"site"}
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		cands = append(cands, filepath.Join(d, "site"), filepath.Join(filepath.Dir(d), "site"))
	}
	for _, c := range cands {
		if _, err := os.Stat(filepath.Join(c, "index.html")); err == nil {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("no site folder (looked in %s): run from the project folder, or give -site", strings.Join(cands, ", "))
}

// siteServer serves the site folder and the models folder.
type siteServer struct {
	site, models string
	siteRoot     *os.Root
	// isolate sends the headers of cross-origin isolation (COOP, COEP)
	// with every response, so that pages may share wasm memory between
	// workers (the kernel threads); CORP is sent regardless.
	isolate bool

	mu      sync.Mutex
	files   map[string]*siteFile  // site files by path, with their compressed forms
	hashes  map[string]fileDigest // models folder files by name
	zipped  map[string]*modelGzip // gzip copies of models folder files, by name
	catalog *catalogCache
}

// siteFile is a site file held in memory, keyed by size and mtime.
type siteFile struct {
	size  int64
	mod   time.Time
	data  []byte
	gz    []byte // nil when not worth compressing
	br    []byte // build.sh's brotli copy (name.br), nil without one
	etag  string
	ctype string
}

// modelGzip is a models folder file gzipped, keyed by size and mtime; gz
// is nil when gzip saves less than a tenth (float weights barely
// compress; uint8 ones by a quarter).
type modelGzip struct {
	size int64
	mod  time.Time
	gz   []byte
}

// fileDigest is a models folder file's checksum, keyed by size and mtime.
type fileDigest struct {
	size int64
	mod  time.Time
	sum  string // hex SHA-256
}

// catalogCache is the last catalog.json, valid while the folder's
// listing (names, sizes, mtimes) is unchanged.
type catalogCache struct {
	key  string
	body []byte
	gz   []byte // body gzipped (gzipSmaller), or nil
}

// newSiteServer checks the folders and returns the handler. The models
// folder need not exist (the catalog then lists no files).
func newSiteServer(site, modelsDir string) (*siteServer, error) {
	site, err := filepath.Abs(site)
	if err != nil {
		return nil, err
	}
	modelsDir, err = filepath.Abs(modelsDir)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(site)
	if err != nil {
		return nil, fmt.Errorf("site folder: %w", err)
	}
	if _, err := root.Stat("index.html"); err != nil {
		root.Close()
		return nil, fmt.Errorf("site folder %s has no index.html", site)
	}
	if _, err := root.Stat("engine.wasm"); err != nil {
		root.Close()
		return nil, fmt.Errorf("%s is missing: run ./build.sh first", filepath.Join(site, "engine.wasm"))
	}
	return &siteServer{site: site, models: modelsDir, siteRoot: root, isolate: true, files: map[string]*siteFile{}, hashes: map[string]fileDigest{}, zipped: map[string]*modelGzip{}}, nil
}

// warnings are problems worth a line at startup: the page works, less well.
func (s *siteServer) warnings() []string {
	var w []string
	for _, f := range []string{"ui.wasm", "wasm_exec.js"} {
		if _, err := s.siteRoot.Stat(f); err != nil {
			w = append(w, fmt.Sprintf("%s is missing (run ./build.sh): the page has no UI", filepath.Join(s.site, f)))
		}
	}
	if st, err := os.Stat(s.models); err != nil || !st.IsDir() {
		w = append(w, fmt.Sprintf("models folder %s does not exist: the page can only run dropped .tflite files (see 'mobilenet models')", s.models))
	}
	return w
}

// contentTypes are the types of the files a site holds, independent of
// the system's MIME tables.
var contentTypes = map[string]string{
	".html":   "text/html; charset=utf-8",
	".js":     "text/javascript; charset=utf-8",
	".mjs":    "text/javascript; charset=utf-8",
	".css":    "text/css; charset=utf-8",
	".json":   "application/json",
	".wasm":   "application/wasm",
	".svg":    "image/svg+xml",
	".png":    "image/png",
	".jpg":    "image/jpeg",
	".jpeg":   "image/jpeg",
	".bmp":    "image/bmp",
	".webp":   "image/webp",
	".ico":    "image/x-icon",
	".txt":    "text/plain; charset=utf-8",
	".ts":     "text/plain; charset=utf-8", // mobilenet.d.ts, to read
	".md":     "text/plain; charset=utf-8",
	".tflite": "application/octet-stream",
}

// compressible are the extensions served gzipped to clients that accept it.
var compressible = map[string]bool{".html": true, ".js": true, ".mjs": true, ".css": true, ".json": true, ".wasm": true, ".svg": true, ".txt": true, ".ts": true, ".md": true}

func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

func (s *siteServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("Access-Control-Expose-Headers", decodedLengthHeader)
	if s.isolate {
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/models/"); ok {
		s.serveModels(w, r, rest)
		return
	}
	if p == "/models" {
		http.Redirect(w, r, "/models/catalog.json", http.StatusFound)
		return
	}
	s.serveSite(w, r, p)
}

// cleanName turns a URL path into a file name inside a folder, refusing
// hidden files and anything that is not a plain relative path.
func cleanName(p string) (string, bool) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "", true
	}
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") {
			return "", false
		}
	}
	return p, fs.ValidPath(p)
}

func (s *siteServer) serveSite(w http.ResponseWriter, r *http.Request, p string) {
	name, ok := cleanName(p)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "" || strings.HasSuffix(p, "/") {
		name = path.Join(name, "index.html")
	}
	f, err := s.siteFile(name)
	if name == "favicon.ico" && errors.Is(err, fs.ErrNotExist) {
		// Browsers ask for /favicon.ico on pages without an icon link.
		f, err = s.siteFile("favicon.svg")
	}
	if errors.Is(err, errIsDir) {
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
		return
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	// The page, its scripts and its wasm change with every build and have
	// unversioned names: browsers keep them but revalidate each time.
	h.Set("Cache-Control", "no-cache")
	data, etag := f.data, f.etag
	if f.gz != nil || f.br != nil {
		h.Add("Vary", "Accept-Encoding")
		// brotli when the browser takes it (Chromium does, on http://
		// 127.0.0.1 too): a quarter smaller than gzip -9 for the wasm.
		if f.br != nil && accepts(r, "br") {
			data, etag = f.br, f.etag[:len(f.etag)-1]+`-br"`
			h.Set("Content-Encoding", "br")
		} else if f.gz != nil && accepts(r, "gzip") {
			data, etag = f.gz, f.etag[:len(f.etag)-1]+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, name, f.mod, bytes.NewReader(data))
}

var errIsDir = errors.New("is a folder")

// siteFile reads (or returns the cached) site file name.
func (s *siteServer) siteFile(name string) (*siteFile, error) {
	st, err := s.siteRoot.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errIsDir
	}
	s.mu.Lock()
	f := s.files[name]
	s.mu.Unlock()
	if f != nil && f.size == st.Size() && f.mod.Equal(st.ModTime()) {
		return f, nil
	}
	data, err := s.siteRoot.ReadFile(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	f = &siteFile{size: st.Size(), mod: st.ModTime(), data: data, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: contentType(name)}
	if br, ok := s.precompressed(name, ".br", st); ok {
		f.br = br
	}
	if gz, ok := s.precompressed(name, ".gz", st); ok {
		f.gz = gz
	} else if compressible[strings.ToLower(path.Ext(name))] && len(data) > 512 {
		f.gz = gzipSmaller(data)
	}
	s.mu.Lock()
	s.files[name] = f
	s.mu.Unlock()
	return f, nil
}

// warm does before the first visit what it would otherwise wait for:
// the catalog (every model parsed and hashed) now, and the compressed
// copies of the site's files in the background.
func (s *siteServer) warm() {
	s.catalogJSON() // an error shows when the page asks for it
	go func() {
		ents, err := s.siteRoot.FS().(fs.ReadDirFS).ReadDir(".")
		if err != nil {
			return
		}
		for _, e := range ents {
			if !e.IsDir() && compressible[strings.ToLower(path.Ext(e.Name()))] {
				s.siteFile(e.Name())
			}
		}
		s.zipModels()
	}()
}

// maxZipped is the largest model file zipModels compresses (the biggest
// uint8 model of the release is 4.3 MB; float ones barely compress).
const maxZipped = 8 << 20

// zipModels gzips the models folder's .tflite files (-9, once, kept in
// memory), which serveModels then sends to browsers accepting gzip: the
// default model's 1.39 MB go as 1.02 MB, a second less on a 1.6 Mbit/s
// first visit. It runs in the background: until a copy is ready, the file
// goes out as it is.
func (s *siteServer) zipModels() {
	ents, err := os.ReadDir(s.models)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if path.Ext(name) != ".tflite" || strings.HasPrefix(name, ".") {
			continue
		}
		st, err := os.Stat(filepath.Join(s.models, name))
		if err != nil || !st.Mode().IsRegular() || st.Size() > maxZipped {
			continue
		}
		s.mu.Lock()
		z := s.zipped[name]
		s.mu.Unlock()
		if z != nil && z.size == st.Size() && z.mod.Equal(st.ModTime()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.models, name))
		if err != nil || int64(len(data)) != st.Size() {
			continue // changed while read: the next start zips it
		}
		z = &modelGzip{size: st.Size(), mod: st.ModTime(), gz: gzipSmaller(data)}
		s.mu.Lock()
		s.zipped[name] = z
		s.mu.Unlock()
	}
}

// zippedModel returns the gzip copy of models folder file name when one
// matches st (size and mtime).
func (s *siteServer) zippedModel(name string, st os.FileInfo) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.zipped[name]
	if z == nil || z.gz == nil || z.size != st.Size() || !z.mod.Equal(st.ModTime()) {
		return nil
	}
	return z.gz
}

// precompressed returns name+ext (".gz" or ".br") when build.sh wrote it
// after name changed last: gzip -9 of the big wasm files takes seconds,
// which the first visitor would otherwise wait for, and brotli is only
// ever precompressed (Go's standard library has no encoder). A copy older
// than its file is stale and ignored.
func (s *siteServer) precompressed(name, ext string, orig os.FileInfo) ([]byte, bool) {
	st, err := s.siteRoot.Stat(name + ext)
	if err != nil || !st.Mode().IsRegular() || st.ModTime().Before(orig.ModTime()) {
		return nil, false
	}
	b, err := s.siteRoot.ReadFile(name + ext)
	if err != nil {
		return nil, false
	}
	return b, true
}

// accepts reports whether the request accepts the content coding (not
// with q=0).
func accepts(r *http.Request, coding string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		c, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(c), coding) && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// serveModels serves catalog.json and the .tflite and .txt files directly
// in the models folder.
func (s *siteServer) serveModels(w http.ResponseWriter, r *http.Request, rest string) {
	if rest == "catalog.json" {
		c, err := s.catalogJSON()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		body := c.body
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:12])
		// Gzipped, the catalog is a seventh of its size: on a slow link
		// the page's first model waits for it.
		if gz := c.gz; gz != nil {
			h.Add("Vary", "Accept-Encoding")
			if accepts(r, "gzip") {
				body, etag = gz, etag+"-gz"
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("ETag", etag+`"`)
		http.ServeContent(w, r, "catalog.json", time.Time{}, bytes.NewReader(body))
		return
	}
	name, ok := cleanName(rest)
	ext := path.Ext(name)
	if !ok || strings.ContainsAny(name, `/\:`) || (ext != ".tflite" && ext != ".txt") {
		http.NotFound(w, r)
		return
	}
	// name is one plain file name (no separators, not hidden): it cannot
	// leave the folder, and symbolic links inside it are followed, as
	// store.Scan does.
	f, err := os.Open(filepath.Join(s.models, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	sum, err := s.digest(filepath.Join(s.models, name), st)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType(name))
	h.Set("ETag", `"`+sum[:24]+`"`)
	if v := r.URL.Query().Get("v"); v != "" && strings.HasPrefix(sum, v) && len(v) >= 8 {
		// A URL naming the content's checksum never changes meaning.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if gz := s.zippedModel(name, st); gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if accepts(r, "gzip") {
			h.Set("ETag", `"`+sum[:24]+`-gz"`)
			h.Set("Content-Encoding", "gzip")
			// The size the download's progress counts to (mobilenet.js
			// fetchBytes): Content-Length is the gzipped one.
			h.Set(decodedLengthHeader, strconv.FormatInt(st.Size(), 10))
			http.ServeContent(w, r, name, st.ModTime(), bytes.NewReader(gz))
			return
		}
	}
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// decodedLengthHeader carries a gzipped model's size (exposed to other
// origins' scripts, the widget's).
const decodedLengthHeader = "X-Decoded-Length"

// digest returns the hex SHA-256 of a models folder file, cached by size
// and mtime.
func (s *siteServer) digest(p string, st os.FileInfo) (string, error) {
	s.mu.Lock()
	d, ok := s.hashes[p]
	s.mu.Unlock()
	if ok && d.size == st.Size() && d.mod.Equal(st.ModTime()) {
		return d.sum, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	d = fileDigest{size: st.Size(), mod: st.ModTime(), sum: hex.EncodeToString(h.Sum(nil))}
	s.mu.Lock()
	s.hashes[p] = d
	s.mu.Unlock()
	return d.sum, nil
}

// versionLen is the checksum prefix in versioned model URLs (?v=).
const versionLen = 16

// catalogEntry is one model of catalog.json: the catalog's JSON export,
// and where the model is on this server. URLs are relative to
// catalog.json.
type catalogEntry struct {
	models.EntryJSON
	Available bool `json:"available"`
	// ModelURL is the model, or the feature extractor of a split model
	// whose head is HeadURL.
	ModelURL string `json:"model_url,omitempty"`
	HeadURL  string `json:"head_url,omitempty"`
	// LabelsURL is imagenet_labels.txt, for models without embedded labels.
	LabelsURL      string `json:"labels_url,omitempty"`
	EmbeddedLabels bool   `json:"embedded_labels"`
	// Bytes is the download size (all files).
	Bytes int64 `json:"bytes,omitempty"`
}

// catalogDoc is catalog.json.
type catalogDoc struct {
	Version int            `json:"version"`
	Models  []catalogEntry `json:"models"`
}

// labelsFile is the ImageNet labels file looked for in the models folder.
const labelsFile = "imagenet_labels.txt"

// catalogJSON returns catalog.json for the folder as it is now.
func (s *siteServer) catalogJSON() (*catalogCache, error) {
	key := folderKey(s.models)
	s.mu.Lock()
	c := s.catalog
	s.mu.Unlock()
	if c != nil && c.key == key {
		return c, nil
	}
	found, err := store.Scan(s.models, false)
	if err != nil {
		return nil, err
	}
	labelsURL := ""
	if st, err := os.Stat(filepath.Join(s.models, labelsFile)); err == nil && st.Mode().IsRegular() {
		if sum, err := s.digest(filepath.Join(s.models, labelsFile), st); err == nil {
			labelsURL = labelsFile + "?v=" + sum[:versionLen]
		}
	}
	doc := catalogDoc{Version: 1}
	for _, e := range models.Catalog {
		ce := catalogEntry{EntryJSON: e.JSON()}
		if p, ok := found[e.Name]; ok {
			urls, size, err := s.versionedURLs(p.Files)
			if err == nil {
				ce.Available, ce.ModelURL, ce.Bytes = true, urls[0], size
				if len(urls) > 1 {
					ce.HeadURL = urls[1]
				}
				// The last model of a chain holds the classes and labels.
				if m, err := loader.ParseFile(p.Files[len(p.Files)-1]); err == nil && len(m.Labels) > 0 {
					ce.EmbeddedLabels = true
				} else {
					ce.LabelsURL = labelsURL
				}
			}
		}
		doc.Models = append(doc.Models, ce)
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	c = &catalogCache{key: key, body: body, gz: gzipSmaller(body)}
	s.mu.Lock()
	s.catalog = c
	s.mu.Unlock()
	return c, nil
}

// versionedURLs are the URLs (name?v=checksum) of files directly in the
// models folder, and their total size.
func (s *siteServer) versionedURLs(files []string) ([]string, int64, error) {
	var urls []string
	var total int64
	for _, f := range files {
		if filepath.Dir(f) != filepath.Clean(s.models) {
			return nil, 0, fmt.Errorf("%s is not directly in %s", f, s.models)
		}
		st, err := os.Stat(f)
		if err != nil {
			return nil, 0, err
		}
		sum, err := s.digest(f, st)
		if err != nil {
			return nil, 0, err
		}
		urls = append(urls, url.PathEscape(filepath.Base(f))+"?v="+sum[:versionLen])
		total += st.Size()
	}
	return urls, total, nil
}

// folderKey summarises a folder's listing (names, sizes, mtimes of its
// .tflite and .txt files), to know when the catalog must be rebuilt.
func folderKey(dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "missing"
	}
	var parts []string
	for _, e := range ents {
		ext := filepath.Ext(e.Name())
		if ext != ".tflite" && ext != ".txt" && e.Name() != store.ManifestFile {
			continue
		}
		if info, err := e.Info(); err == nil {
			parts = append(parts, fmt.Sprintf("%s:%d:%d", e.Name(), info.Size(), info.ModTime().UnixNano()))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, "|")
}

// defaultModel is the model serve fetches into an empty models folder: the
// page's first choice, accurate enough and fast enough for live video.
const defaultModel = "mobilenet_v1_0.5_160_quant"

// ensureDefaultModel downloads defaultModel into dir when dir holds no
// model, so that a first start gives a working page. A failure (offline)
// is a warning, not an error: the page still runs dropped .tflite files,
// and the warning says how to add local files instead.
func ensureDefaultModel(dir string, stdout, stderr io.Writer) {
	found, err := store.Scan(dir, true)
	if err != nil || len(found) > 0 {
		return
	}
	fmt.Fprintf(stderr, "mobilenet: serve: the models folder %s is empty: fetching %s\n", dir, defaultModel)
	if err := runModelsFetch([]string{"-dir", dir, "-retries", "1", defaultModel}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "mobilenet: serve: warning: %v; or serve local copies: mobilenet serve -models DIR (e.g. ../shared/models)\n", err)
	}
}

// gzipSmaller is data gzipped at the best compression, or nil when that
// saves less than a tenth (not worth a client's decoding).
func gzipSmaller(data []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	if b.Len() >= len(data)*9/10 {
		return nil
	}
	return b.Bytes()
}
