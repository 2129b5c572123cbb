// Package litert is a referee for the engine's outputs: it runs TFLite
// models in Google's own web runtime, LiteRT.js (npm @litertjs/core, a dev
// dependency pinned in package.json), on its wasm CPU backend in headless
// Chromium, and returns its raw output tensors, so that tests can compare
// them with the engine's byte for byte.
//
// A Runner serves, from an httptest server on 127.0.0.1, a page (page.html,
// page.js, embedded here), LiteRT.js's files straight from node_modules
// (never copied, never part of site/ or `mobilenet serve`), and the cases'
// models and input tensors; node runs run.mjs, which opens the page in
// Chromium with playwright-core (one launch for all the cases). The page
// loads LiteRT.js's single-threaded wasm build (loadLiteRt with no threads
// and no JSPI: litert_wasm_internal.wasm, or litert_wasm_compat_internal.wasm
// on browsers without relaxed SIMD), compiles every model for the 'wasm'
// accelerator with one thread, runs it on the given input bytes and posts
// each output back. A model LiteRT.js refuses gives a Result with Err set,
// not a Go error.
//
// Requirements: Chromium (/usr/bin/chromium or $CHROMIUM), node in PATH, and
// `npm ci` at the module root (playwright-core and @litertjs/core).
package litert

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mobilenet-wasm/internal/testdata"
)

var (
	//go:embed page.html
	pageHTML []byte
	//go:embed page.js
	pageJS []byte
)

// Case is one model and the inputs to run it on.
type Case struct {
	// Name identifies the case in results and messages.
	Name string
	// Model is the .tflite file.
	Model []byte
	// Runs are the inferences: Runs[k][i] is input tensor i of run k, raw
	// bytes as the engine stores them (the model's dtype, little-endian).
	Runs [][][]byte
}

// Tensor is a tensor as LiteRT.js reports it.
type Tensor struct {
	// DType is "float32", "uint8", "int8", "int32", ...
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	// Data is the raw bytes (nil for the input descriptions).
	Data []byte `json:"-"`
}

// Result is what LiteRT.js did with one Case.
type Result struct {
	Name string
	// Err is LiteRT.js's message when it refused the model or failed to
	// run it, prefixed with the stage ("load", "compile", "run K").
	Err string
	// Inputs describe the model's input tensors as LiteRT.js reads them.
	Inputs []Tensor
	// Outputs[k] are the output tensors of run k.
	Outputs [][]Tensor
	// Logs are the console messages printed while the case ran.
	Logs []string
	// Duration is the time the page spent on the case (load, compile,
	// runs, fetching its inputs).
	Duration time.Duration
}

// Report is the result of one browser session.
type Report struct {
	Results []Result
	// Browser is Chromium's version, Version @litertjs/core's.
	Browser, Version string
	// WasmFiles are the LiteRT.js wasm files the page fetched.
	WasmFiles []string
	// Threads is LiteRT.js's thread count (1: the single-threaded build).
	Threads int
	// Log is run.mjs's output (browser version, console, errors).
	Log string
}

// Runner runs cases in LiteRT.js; see the package documentation.
type Runner struct {
	// Root is the module root (holding go.mod and node_modules).
	Root string
	// Chromium is the browser executable, Node the node executable.
	Chromium, Node string
	// Timeout bounds a whole session (default 5 minutes).
	Timeout time.Duration
	// Script, when set, is the LiteRT.js build to load, a loader file of
	// node_modules/@litertjs/core/wasm: "litert_wasm_compat_internal.js"
	// forces the build without relaxed SIMD. Empty lets LiteRT.js choose
	// its single-threaded build for the browser.
	Script string
}

// New finds Chromium, node and the npm packages for the module at root,
// and reports what is missing (with how to install it) when it cannot.
func New(root string) (*Runner, error) {
	r := &Runner{Root: root, Chromium: os.Getenv("CHROMIUM"), Timeout: 5 * time.Minute}
	if r.Chromium == "" {
		r.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(r.Chromium); err != nil {
		return nil, fmt.Errorf("no Chromium at %s: apt-get install -y chromium (or set CHROMIUM)", r.Chromium)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("no node in PATH")
	}
	r.Node = node
	for _, p := range []string{"playwright-core", "@litertjs/core", "@litertjs/wasm-utils"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p, "package.json")); err != nil {
			return nil, fmt.Errorf("node_modules/%s is missing: run npm ci in %s", p, root)
		}
	}
	return r, nil
}

// ForTest returns a Runner for the module holding the working directory,
// or skips tb with the reason, failing it instead under
// MOBILENET_REQUIRE_BROWSER=1 (as the e2e tests do). It also skips under
// -short.
func ForTest(tb testing.TB) *Runner {
	tb.Helper()
	if testing.Short() {
		tb.Skip("LiteRT.js runs in a browser: slow (-short)")
	}
	root, err := testdata.ModuleRoot()
	if err == nil {
		var r *Runner
		if r, err = New(root); err == nil {
			return r
		}
	}
	if os.Getenv("MOBILENET_REQUIRE_BROWSER") == "1" {
		tb.Fatalf("%v (MOBILENET_REQUIRE_BROWSER=1)", err)
	}
	tb.Skip(err.Error())
	return nil
}

// pageResult is a case's result as the page posts it.
type pageResult struct {
	Inputs  []Tensor `json:"inputs"`
	Outputs [][]struct {
		Tensor
		Data string `json:"data"`
	} `json:"outputs"`
	Error string   `json:"error"`
	Logs  []string `json:"logs"`
	MS    float64  `json:"ms"`
}

// session is the server side of one Run.
type session struct {
	script  string
	cases   []Case
	mu      sync.Mutex
	results []*pageResult
	wasm    []string
	done    chan struct{}
	final   struct {
		Error   string   `json:"error"`
		Logs    []string `json:"logs"`
		Threads int      `json:"threads"`
	}
}

func (s *session) handler(core, utils string) http.Handler {
	mux := http.NewServeMux()
	static := func(body []byte, typ string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", typ)
			w.Write(body)
		}
	}
	mux.HandleFunc("GET /{$}", static(pageHTML, "text/html; charset=utf-8"))
	mux.HandleFunc("GET /page.js", static(pageJS, "text/javascript; charset=utf-8"))
	coreFiles := http.StripPrefix("/litert/", http.FileServer(http.Dir(core)))
	mux.HandleFunc("GET /litert/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			s.mu.Lock()
			s.wasm = append(s.wasm, path.Base(r.URL.Path))
			s.mu.Unlock()
		}
		coreFiles.ServeHTTP(w, r)
	})
	mux.Handle("GET /wasm-utils/", http.StripPrefix("/wasm-utils/", http.FileServer(http.Dir(utils))))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /cases", func(w http.ResponseWriter, r *http.Request) {
		type c struct {
			Name string `json:"name"`
			Runs []int  `json:"runs"`
		}
		var cs []c
		for _, k := range s.cases {
			x := c{Name: k.Name, Runs: []int{}}
			for _, run := range k.Runs {
				x.Runs = append(x.Runs, len(run))
			}
			cs = append(cs, x)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"cases": cs, "script": s.script})
	})
	caseOf := func(w http.ResponseWriter, r *http.Request) (int, bool) {
		i, err := strconv.Atoi(r.PathValue("i"))
		if err != nil || i < 0 || i >= len(s.cases) {
			http.NotFound(w, r)
			return 0, false
		}
		return i, true
	}
	raw := func(w http.ResponseWriter, b []byte) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
	}
	mux.HandleFunc("GET /case/{i}/model", func(w http.ResponseWriter, r *http.Request) {
		if i, ok := caseOf(w, r); ok {
			raw(w, s.cases[i].Model)
		}
	})
	mux.HandleFunc("GET /case/{i}/run/{k}/input/{j}", func(w http.ResponseWriter, r *http.Request) {
		i, ok := caseOf(w, r)
		if !ok {
			return
		}
		k, err1 := strconv.Atoi(r.PathValue("k"))
		j, err2 := strconv.Atoi(r.PathValue("j"))
		runs := s.cases[i].Runs
		if err1 != nil || err2 != nil || k < 0 || k >= len(runs) || j < 0 || j >= len(runs[k]) {
			http.NotFound(w, r)
			return
		}
		raw(w, runs[k][j])
	})
	mux.HandleFunc("POST /result/{i}", func(w http.ResponseWriter, r *http.Request) {
		i, ok := caseOf(w, r)
		if !ok {
			return
		}
		var pr pageResult
		if err := json.NewDecoder(r.Body).Decode(&pr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.results[i] = &pr
		s.mu.Unlock()
	})
	mux.HandleFunc("POST /done", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		json.NewDecoder(r.Body).Decode(&s.final)
		select {
		case <-s.done:
		default:
			close(s.done)
		}
	})
	return mux
}

// Run runs every case in one Chromium session. The error is for a session
// that could not run (browser, page, LiteRT.js's wasm); what LiteRT.js says
// of a model is in its Result.
func (r *Runner) Run(ctx context.Context, cases []Case) (*Report, error) {
	nm := filepath.Join(r.Root, "node_modules")
	if strings.ContainsAny(r.Script, "/\\") || (r.Script != "" && !strings.HasSuffix(r.Script, ".js")) {
		return nil, fmt.Errorf("litert: Script %q: want a .js file name of @litertjs/core/wasm", r.Script)
	}
	s := &session{script: r.Script, cases: cases, results: make([]*pageResult, len(cases)), done: make(chan struct{})}
	srv := httptest.NewServer(s.handler(filepath.Join(nm, "@litertjs", "core"), filepath.Join(nm, "@litertjs", "wasm-utils")))
	defer srv.Close()

	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout+30*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, r.Node, filepath.Join(r.Root, "internal", "litert", "run.mjs"),
		srv.URL+"/", r.Chromium, strconv.FormatInt(timeout.Milliseconds(), 10))
	cmd.Dir = r.Root
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()

	rep := &Report{Log: out.String(), Version: packageVersion(filepath.Join(nm, "@litertjs", "core", "package.json"))}
	if line, _, _ := strings.Cut(rep.Log, "\n"); strings.HasPrefix(line, "chromium ") {
		rep.Browser = strings.TrimPrefix(line, "chromium ")
	}
	if err != nil {
		return rep, fmt.Errorf("node internal/litert/run.mjs: %v\n%s", err, tail(rep.Log, 4000))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
	default:
		return rep, fmt.Errorf("the LiteRT.js page never finished\n%s", tail(rep.Log, 4000))
	}
	rep.WasmFiles = s.wasm
	rep.Threads = s.final.Threads
	if s.final.Error != "" {
		return rep, fmt.Errorf("the LiteRT.js page failed: %s\n%s", s.final.Error, strings.Join(s.final.Logs, "\n"))
	}
	for i, pr := range s.results {
		res := Result{Name: cases[i].Name}
		if pr == nil {
			res.Err = "the page posted no result"
			rep.Results = append(rep.Results, res)
			continue
		}
		res.Err, res.Inputs, res.Logs = pr.Error, pr.Inputs, pr.Logs
		res.Duration = time.Duration(pr.MS * float64(time.Millisecond))
		for _, run := range pr.Outputs {
			var ts []Tensor
			for _, o := range run {
				b, err := base64.StdEncoding.DecodeString(o.Data)
				if err != nil {
					return rep, fmt.Errorf("%s: output data: %v", cases[i].Name, err)
				}
				t := o.Tensor
				t.Data = b
				ts = append(ts, t)
			}
			res.Outputs = append(res.Outputs, ts)
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// Diff compares two raw tensors of dtype ("float32", "uint8", "int8"): the
// bytes that are equal (for float32, in the 4-byte values that are equal)
// and the largest absolute difference of their values (quantized ones in
// quantization steps; NaN against a number counts as +Inf). Bytes past the
// shorter tensor are not compared.
func Diff(dtype string, a, b []byte) (equal int, maxDiff float64) {
	n := min(len(a), len(b))
	switch dtype {
	case "float32":
		for i := 0; i+4 <= n; i += 4 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(a[i:]))
			y := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
			if math.Float32bits(x) == math.Float32bits(y) {
				equal += 4
			}
			d := math.Abs(float64(x) - float64(y))
			if math.IsNaN(d) {
				if math.IsNaN(float64(x)) && math.IsNaN(float64(y)) {
					d = 0
				} else {
					d = math.Inf(1)
				}
			}
			maxDiff = max(maxDiff, d)
		}
	default:
		for i := range n {
			x, y := float64(a[i]), float64(b[i])
			if dtype == "int8" {
				x, y = float64(int8(a[i])), float64(int8(b[i]))
			}
			if x == y {
				equal++
			}
			maxDiff = max(maxDiff, math.Abs(x-y))
		}
	}
	return equal, maxDiff
}

func packageVersion(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	var pkg struct {
		Version string `json:"version"`
	}
	json.Unmarshal(b, &pkg)
	return pkg.Version
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
