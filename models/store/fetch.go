package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
)

// Fetcher downloads the release's archives into a models folder.
//
// Each archive is downloaded to DIR/.download/<name>.tgz.part, resuming
// with an HTTP Range request where a previous try (or run) stopped when
// the server allows it, and starting over when it does not. Failed tries
// (network errors, HTTP 5xx and 429, a body cut short, a stall) are
// retried with exponential backoff. The finished archive's .tflite is
// extracted from the gzipped tar stream, parsed, checked to be the entry
// asked for (models.Identify), stored as DIR/<name>.tflite and recorded
// with its SHA-256 in the manifest; the archive is then deleted.
type Fetcher struct {
	// Folder receives the models.
	Folder Folder
	// Client makes the requests; nil means a client with connect, TLS and
	// response-header timeouts that honours the proxy environment
	// variables.
	Client *http.Client
	// BaseURL replaces models.DownloadBase in the entries' URLs (a mirror, or a
	// test server); empty means the official location.
	BaseURL string
	// Attempts is the number of tries per archive (default 4); Backoff
	// the wait after the first failed try, doubling after each (default
	// 1s); StallTimeout how long a download may receive nothing before
	// the try fails (default 30s).
	Attempts     int
	Backoff      time.Duration
	StallTimeout time.Duration
	// Force replaces a model already in the folder; otherwise it is kept
	// and not downloaded again.
	Force bool
	// Progress, when set, is called as bytes arrive (at most every 100 ms,
	// and once at the end of each try).
	Progress func(Progress)
	// Logf, when set, receives one line per retry.
	Logf func(format string, args ...any)
}

// Progress is the state of one download.
type Progress struct {
	Entry models.Entry
	// Done bytes of Total (-1 when the server does not say); Resumed of
	// them were already there when the try started.
	Done, Total, Resumed int64
	// Attempt counts the tries, from 1.
	Attempt int
	// Final is set on the last call of a try.
	Final bool
}

// OfflineError is the error of a fetch that could not reach the server:
// no network, no DNS, connection refused or timed out.
type OfflineError struct {
	Host string
	Err  error
}

// Error names the host and the network error.
func (e *OfflineError) Error() string {
	return fmt.Sprintf("cannot reach %s (offline?): %v", e.Host, e.Err)
}

// Unwrap returns the network error.
func (e *OfflineError) Unwrap() error { return e.Err }

// ImportHint tells how to add entry e to the models folder dir without
// network access: what to download elsewhere and the import command.
func ImportHint(e models.Entry, dir string) string {
	d := ""
	if dir != "" {
		d = " -dir " + shellQuote(dir)
	}
	return fmt.Sprintf("to add it without network access, download %s on a machine that has it (or take %s from a copy of that archive), then run: mobilenet models import%s %s",
		e.URL, e.TFLite, d, e.Archive())
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r == '~' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// FetchResult is what Fetch did.
type FetchResult struct {
	Record Record
	// Present is true when the model was already in the folder and
	// nothing was downloaded.
	Present bool
}

// URL is where the fetcher downloads entry e from.
func (f *Fetcher) URL(e models.Entry) string {
	if f.BaseURL == "" {
		return e.URL
	}
	return strings.TrimSuffix(f.BaseURL, "/") + "/" + strings.TrimPrefix(e.URL, models.DownloadBase)
}

// Fetch downloads entry e into the folder (see Fetcher).
func (f *Fetcher) Fetch(ctx context.Context, e models.Entry) (FetchResult, error) {
	man, err := f.Folder.ReadManifest()
	if err != nil {
		return FetchResult{}, err
	}
	if !f.Force {
		if _, ok := f.Folder.Find(e, man); ok {
			rec, _ := man.Record(e.File())
			return FetchResult{Record: rec, Present: true}, nil
		}
	}
	u := f.URL(e)
	part := filepath.Join(f.Folder.Dir, ".download", e.Archive()+".part")
	if err := os.MkdirAll(filepath.Dir(part), 0o755); err != nil {
		return FetchResult{}, fmt.Errorf("store: %w", err)
	}
	attempts := f.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	backoff := f.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var model []byte
	var archiveSum string
	for attempt := 1; ; attempt++ {
		err = f.download(ctx, e, u, part, attempt)
		if err == nil {
			model, archiveSum, err = f.extract(e, part)
			if err == nil {
				break
			}
		}
		var perm *permanentError
		if errors.As(err, &perm) || ctx.Err() != nil || attempt >= attempts {
			if errors.As(err, &perm) {
				err = perm.err
			}
			os.Remove(filepath.Dir(part)) // only when empty: a partial download stays for the next run
			return FetchResult{}, f.wrap(e, u, attempt, err)
		}
		if f.Logf != nil {
			f.Logf("%s: try %d of %d failed: %v; retrying in %v", e.Archive(), attempt, attempts, err, backoff)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			os.Remove(filepath.Dir(part))
			return FetchResult{}, f.wrap(e, u, attempt, ctx.Err())
		}
		backoff *= 2
	}
	rec := Record{File: e.File(), Model: e.Name, SHA256: sha256Hex(model), Size: int64(len(model)), Source: u, ArchiveSHA256: archiveSum}
	m, err := loader.Parse(model)
	if err == nil {
		match, _ := models.Identify(m)
		rec.Synthetic = match.Synthetic
	}
	if _, err := f.Folder.store(model, rec, true); err != nil {
		return FetchResult{}, err
	}
	os.Remove(part)
	os.Remove(filepath.Dir(part)) // only when empty
	return FetchResult{Record: rec}, nil
}

// wrap turns the last error of a fetch into the one Fetch returns.
func (f *Fetcher) wrap(e models.Entry, u string, attempts int, err error) error {
	host := u
	if p, perr := url.Parse(u); perr == nil && p.Host != "" {
		host = p.Host
	}
	if unreachable(err) {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return fmt.Errorf("%s: %w", e.Name, &OfflineError{Host: host, Err: err})
	}
	tries := ""
	if attempts > 1 {
		tries = fmt.Sprintf(" (after %d tries)", attempts)
	}
	return fmt.Errorf("%s: %s%s: %w", e.Name, u, tries, err)
}

// unreachable reports whether err means the server could not be reached
// at all (rather than answering badly).
func unreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return true
	case errors.As(err, &op):
		return op.Op == "dial" || op.Op == "proxyconnect"
	}
	return false
}

// permanentError marks errors that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(format string, args ...any) error {
	return &permanentError{fmt.Errorf(format, args...)}
}

// client is the HTTP client of the fetcher.
func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return defaultClient
}

// defaultClient fails fast when the network is down, and never limits the
// whole download's time (the stall timeout does that).
var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   15 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	ForceAttemptHTTP2:     true,
}}

// download makes one try at completing the part file.
func (f *Fetcher) download(ctx context.Context, e models.Entry, u, part string, attempt int) error {
	have := int64(0)
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	stall := f.StallTimeout
	if stall <= 0 {
		stall = 30 * time.Second
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(stall, func() { cancel(fmt.Errorf("no data for %v", stall)) })
	defer watchdog.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return permanent("%w", err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := f.client().Do(req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && ctx.Err() != nil {
			return c
		}
		if dns := (*net.DNSError)(nil); errors.As(err, &dns) && dns.IsNotFound {
			return permanent("%w", err) // no such host: offline, or no DNS
		}
		return err
	}
	defer resp.Body.Close()

	total := int64(-1)
	flags := os.O_WRONLY | os.O_CREATE
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			os.Remove(part)
			return fmt.Errorf("server resumed at %q, not at byte %d; starting over", resp.Header.Get("Content-Range"), have)
		}
		total = size
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		// A full body: the server ignored the Range (or there was none).
		have = 0
		total = resp.ContentLength
		flags |= os.O_TRUNC
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The part may be complete already; extraction will tell.
		if _, size, ok := parseContentRange(resp.Header.Get("Content-Range")); ok && size == have {
			return nil
		}
		os.Remove(part)
		return fmt.Errorf("server refused to resume at byte %d; starting over", have)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("server answered %s", resp.Status)
	default:
		return permanent("server answered %s", resp.Status)
	}

	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return permanent("%w", err)
	}
	pr := &progressReader{r: resp.Body, f: f, p: Progress{Entry: e, Done: have, Total: total, Resumed: have, Attempt: attempt}, watchdog: watchdog, stall: stall}
	_, err = io.Copy(out, pr)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	pr.report(true)
	if err != nil {
		if c := context.Cause(ctx); c != nil && ctx.Err() != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		if errors.Is(err, io.ErrUnexpectedEOF) && total >= 0 {
			return fmt.Errorf("body cut short at %d of %d bytes", pr.p.Done, total)
		}
		return err
	}
	if total >= 0 && pr.p.Done != total {
		return fmt.Errorf("body cut short at %d of %d bytes", pr.p.Done, total)
	}
	return nil
}

// extract checks the downloaded archive and returns its model and the
// archive's SHA-256. A truncated or corrupt archive is deleted, so that
// the next try downloads it again; one that does not hold the entry is a
// permanent error.
func (f *Fetcher) extract(e models.Entry, part string) ([]byte, string, error) {
	model, sum, err := checkArchive(e, part)
	if err != nil {
		os.Remove(part)
	}
	return model, sum, err
}

// checkArchive reads the archive at path: its SHA-256, and the entry's
// model, parsed and identified.
func checkArchive(e models.Entry, path string) ([]byte, string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer file.Close()
	h := sha256.New()
	files, err := extractTFLite(io.TeeReader(file, h), e.TFLite)
	if err == nil {
		_, err = io.Copy(h, file) // anything after the gzip stream
	}
	if err != nil {
		if errors.Is(err, errTruncated) {
			return nil, "", err
		}
		return nil, "", permanent("%w", err)
	}
	model := files[0].data
	m, err := loader.Parse(model)
	if err != nil {
		return nil, "", permanent("%s in the archive: %w", files[0].path, err)
	}
	match, ok := models.Identify(m)
	if !ok || match.Entry.Name != e.Name || match.Part != models.Whole {
		got := "not one of the release's models"
		if ok {
			got = match.Entry.Name
			if match.Part != models.Whole {
				got += " (" + match.Part.String() + ")"
			}
		}
		return nil, "", permanent("%s in the archive is %s, not %s", files[0].path, got, e.Name)
	}
	return model, hex.EncodeToString(h.Sum(nil)), nil
}

// parseContentRange parses "bytes START-END/SIZE" (or "bytes */SIZE");
// start is -1 in the second form.
func parseContentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	size, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if rng == "*" {
		return -1, size, true
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err = strconv.ParseInt(first, 10, 64)
	return start, size, err == nil
}

// progressReader counts bytes, feeds the watchdog and reports progress.
type progressReader struct {
	r        io.Reader
	f        *Fetcher
	p        Progress
	watchdog *time.Timer
	stall    time.Duration
	last     time.Time
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	if n > 0 {
		pr.watchdog.Reset(pr.stall)
		pr.p.Done += int64(n)
		if time.Since(pr.last) >= 100*time.Millisecond {
			pr.report(false)
		}
	}
	return n, err
}

func (pr *progressReader) report(final bool) {
	pr.last = time.Now()
	if pr.f.Progress != nil {
		p := pr.p
		p.Final = final
		pr.f.Progress(p)
	}
}
