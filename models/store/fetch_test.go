package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/models"
)

// release is a fake download server for one archive: it serves the
// archive under the release's path, with Range support, and lets each
// test break the first requests.
type release struct {
	t       *testing.T
	entry   models.Entry
	model   []byte // the .tflite in the archive
	archive []byte
	srv     *httptest.Server

	mu       sync.Mutex
	requests []*http.Request
	// handle, when set, serves request n (from 1) instead, unless it
	// returns false.
	handle func(n int, w http.ResponseWriter, r *http.Request) bool
}

// newRelease serves a synthetic model of entry name (seed 1) in an archive
// laid out like the release's.
func newRelease(t *testing.T, name string) *release {
	e := entryOf(t, name)
	model, err := models.SynthEntry(e, 1)
	require.NoError(t, err)
	rel := &release{t: t, entry: e, model: model}
	rel.archive = tgz(t,
		"./"+e.Name+".ckpt.meta", bytes.Repeat([]byte{1}, 5000),
		"./"+e.TFLite, model,
		"./"+e.Name+"_info.txt", []byte("synthetic\n"))
	rel.srv = httptest.NewServer(http.HandlerFunc(rel.serve))
	t.Cleanup(rel.srv.Close)
	return rel
}

func (rel *release) serve(w http.ResponseWriter, r *http.Request) {
	rel.mu.Lock()
	rel.requests = append(rel.requests, r)
	n, handle := len(rel.requests), rel.handle
	rel.mu.Unlock()
	if handle != nil && handle(n, w, r) {
		return
	}
	want := "/" + rel.entry.URL[len(models.DownloadBase):]
	if r.URL.Path != want {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, rel.entry.Archive(), time.Unix(0, 0), bytes.NewReader(rel.archive))
}

func (rel *release) count() int {
	rel.mu.Lock()
	defer rel.mu.Unlock()
	return len(rel.requests)
}

func (rel *release) rangeOf(n int) string {
	rel.mu.Lock()
	defer rel.mu.Unlock()
	return rel.requests[n-1].Header.Get("Range")
}

// fetcher is a fast-retrying fetcher into a new folder.
func (rel *release) fetcher() (*Fetcher, *[]string) {
	var logs []string
	return &Fetcher{
		Folder:       Folder{Dir: rel.t.TempDir()},
		BaseURL:      rel.srv.URL,
		Backoff:      time.Millisecond,
		StallTimeout: 5 * time.Second,
		Logf:         func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) },
	}, &logs
}

// checkStored checks that the folder holds the release's model, recorded
// in the manifest, and no leftover download.
func (rel *release) checkStored(f *Fetcher, res FetchResult) {
	t := rel.t
	t.Helper()
	got, err := os.ReadFile(filepath.Join(f.Folder.Dir, rel.entry.File()))
	require.NoError(t, err)
	require.Equal(t, rel.model, got)
	assert.Equal(t, sha256Hex(rel.model), res.Record.SHA256)
	assert.Equal(t, sha256Hex(rel.archive), res.Record.ArchiveSHA256)
	assert.Equal(t, rel.srv.URL+"/"+rel.entry.URL[len(models.DownloadBase):], res.Record.Source)
	assert.True(t, res.Record.Synthetic)
	man, err := f.Folder.ReadManifest()
	require.NoError(t, err)
	rec, ok := man.Record(rel.entry.File())
	require.True(t, ok)
	assert.Equal(t, res.Record.SHA256, rec.SHA256)
	assert.Equal(t, rel.entry.Name, rec.Model)
	_, err = os.Stat(filepath.Join(f.Folder.Dir, ".download"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "the download folder is left behind")
}

func TestFetch(t *testing.T) {
	rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
	f, logs := rel.fetcher()
	var last Progress
	f.Progress = func(p Progress) { last = p }
	res, err := f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	assert.False(t, res.Present)
	assert.Equal(t, 1, rel.count())
	assert.Empty(t, *logs)
	assert.True(t, last.Final)
	assert.Equal(t, int64(len(rel.archive)), last.Done)
	assert.Equal(t, int64(len(rel.archive)), last.Total)

	// Present: nothing is downloaded; -force downloads again.
	res, err = f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	assert.True(t, res.Present)
	assert.Equal(t, 1, rel.count())
	f.Force = true
	_, err = f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	assert.Equal(t, 2, rel.count())
}

func TestFetchRetries(t *testing.T) {
	rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
	rel.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n <= 2 {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return true
		}
		return false
	}
	f, logs := rel.fetcher()
	res, err := f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	assert.Equal(t, 3, rel.count())
	require.Len(t, *logs, 2)
	assert.Contains(t, (*logs)[0], "try 1 of 4 failed: server answered 503")

	// Always failing: the error says how often it tried.
	rel.handle = func(int, http.ResponseWriter, *http.Request) bool { panic(http.ErrAbortHandler) }
	f, _ = rel.fetcher()
	f.Attempts = 3
	_, err = f.Fetch(context.Background(), rel.entry)
	require.ErrorContains(t, err, "after 3 tries")
}

// TestFetchResumes: a body cut short is resumed with a Range request from
// where it stopped.
func TestFetchResumes(t *testing.T) {
	rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
	half := len(rel.archive) / 2
	rel.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rel.archive)))
		w.WriteHeader(http.StatusOK)
		w.Write(rel.archive[:half])
		return true // the server closes the connection: a truncated body
	}
	f, logs := rel.fetcher()
	res, err := f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	require.Equal(t, 2, rel.count())
	assert.Equal(t, "", rel.rangeOf(1))
	assert.Equal(t, fmt.Sprintf("bytes=%d-", half), rel.rangeOf(2))
	require.Len(t, *logs, 1)
	assert.Contains(t, (*logs)[0], fmt.Sprintf("body cut short at %d of %d bytes", half, len(rel.archive)))
}

// TestFetchResumesAcrossRuns: a part file left by an interrupted run is
// resumed; a server that ignores Range sends everything again.
func TestFetchResumesAcrossRuns(t *testing.T) {
	rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
	f, _ := rel.fetcher()
	part := filepath.Join(f.Folder.Dir, ".download", rel.entry.Archive()+".part")
	require.NoError(t, os.MkdirAll(filepath.Dir(part), 0o755))
	require.NoError(t, os.WriteFile(part, rel.archive[:1000], 0o644))
	res, err := f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	assert.Equal(t, "bytes=1000-", rel.rangeOf(1))

	rel.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Length", strconv.Itoa(len(rel.archive)))
		w.Write(rel.archive) // 200 and the whole archive, whatever the Range
		return true
	}
	f, _ = rel.fetcher()
	part = filepath.Join(f.Folder.Dir, ".download", rel.entry.Archive()+".part")
	require.NoError(t, os.MkdirAll(filepath.Dir(part), 0o755))
	require.NoError(t, os.WriteFile(part, rel.archive[:1000], 0o644))
	res, err = f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	assert.Equal(t, 2, rel.count())
}

// TestFetchStall: a server that stops sending fails the try after the
// stall timeout; the next try resumes.
func TestFetchStall(t *testing.T) {
	rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
	rel.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(rel.archive)))
		w.Write(rel.archive[:2000])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	}
	f, logs := rel.fetcher()
	f.StallTimeout = 200 * time.Millisecond
	res, err := f.Fetch(context.Background(), rel.entry)
	require.NoError(t, err)
	rel.checkStored(f, res)
	require.Len(t, *logs, 1)
	assert.Contains(t, (*logs)[0], "no data for 200ms")
	assert.Equal(t, "bytes=2000-", rel.rangeOf(2))
}

// TestFetchUnreachable: a server that cannot be reached gives an
// OfflineError naming the host, after the retries.
func TestFetchUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	e := entryOf(t, "mobilenet_v1_0.5_160_quant")
	f := &Fetcher{Folder: Folder{Dir: t.TempDir()}, BaseURL: "http://" + addr, Attempts: 2, Backoff: time.Millisecond}
	start := time.Now()
	_, err = f.Fetch(context.Background(), e)
	var off *OfflineError
	require.ErrorAs(t, err, &off)
	assert.Equal(t, addr, off.Host)
	assert.Contains(t, err.Error(), "mobilenet_v1_0.5_160_quant: cannot reach "+addr+" (offline?)")
	assert.Less(t, time.Since(start), 5*time.Second)

	hint := ImportHint(e, "/tmp/my models")
	assert.Equal(t, "to add it without network access, download "+e.URL+
		" on a machine that has it (or take mobilenet_v1_0.5_160_quant.tflite from a copy of that archive),"+
		" then run: mobilenet models import -dir '/tmp/my models' mobilenet_v1_0.5_160_quant.tgz", hint)
}

// TestFetchPermanentErrors: answers that retrying cannot fix fail at once.
func TestFetchPermanentErrors(t *testing.T) {
	other, err := models.SynthEntry(entryOf(t, "mobilenet_v1_0.5_160_quant"), 1)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		body []byte
		code int
		want string
	}{
		"not found":     {nil, http.StatusNotFound, "server answered 404 Not Found"},
		"forbidden":     {nil, http.StatusForbidden, "server answered 403 Forbidden"},
		"html":          {[]byte("<html>captive portal</html>"), 200, "not a gzipped tar archive"},
		"no model":      {tgz(t, "./readme.txt", []byte("hi")), 200, "holds no .tflite"},
		"another model": {tgz(t, "./mobilenet_v1_0.5_160_quant.tflite", other), 200, "is mobilenet_v1_0.5_160_quant, not mobilenet_v1_0.25_128_quant"},
		"not tflite":    {tgz(t, "./mobilenet_v1_0.25_128_quant.tflite", []byte("garbage!")), 200, "not a TFLite flatbuffer"},
	} {
		t.Run(name, func(t *testing.T) {
			rel := newRelease(t, "mobilenet_v1_0.25_128_quant")
			rel.handle = func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.WriteHeader(tc.code)
				w.Write(tc.body)
				return true
			}
			f, logs := rel.fetcher()
			_, err := f.Fetch(context.Background(), rel.entry)
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, 1, rel.count(), "retried")
			assert.Empty(t, *logs)
			_, err = os.Stat(filepath.Join(f.Folder.Dir, rel.entry.File()))
			assert.True(t, errors.Is(err, os.ErrNotExist))
		})
	}
}

func TestParseContentRange(t *testing.T) {
	for s, want := range map[string][3]int64{
		"bytes 100-199/1000": {100, 1000, 1},
		"bytes */1000":       {-1, 1000, 1},
		"bytes 100-199/*":    {0, 0, 0},
		"items 1-2/3":        {0, 0, 0},
		"":                   {0, 0, 0},
	} {
		start, size, ok := parseContentRange(s)
		assert.Equal(t, want, [3]int64{start, size, map[bool]int64{true: 1}[ok]}, s)
	}
}
