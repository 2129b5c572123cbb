package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeSymlinks: a symbolic link in the site folder that leads out of
// it is not followed (the site is served through an os.Root); in the
// models folder, links are followed as the folder's scan follows them (the
// folder is the user's set of models, often links to downloads), but only
// to regular .tflite and .txt files.
func TestServeSymlinks(t *testing.T) {
	site := testSite(t)
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("outside"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.js"), []byte("outside"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.js"), filepath.Join(site, "out.js")))
	require.NoError(t, os.Symlink(outside, filepath.Join(site, "outdir")))
	modelsDir := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(modelsDir, "dir.tflite")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.js"), filepath.Join(modelsDir, "code.js")))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(modelsDir, "passwd")))
	srv, err := newSiteServer(site, modelsDir)
	require.NoError(t, err)
	for _, p := range []string{"/out.js", "/outdir/secret.txt", "/outdir/secret.js", "/models/dir.tflite", "/models/code.js", "/models/passwd", "/models/dir.tflite/secret.txt"} {
		r := get(t, srv, p)
		assert.Equal(t, http.StatusNotFound, r.StatusCode, p)
		assert.NotContains(t, string(body(t, r)), "outside", p)
	}
}

// TestServeBounds checks the http.Server serve runs: it listens on the
// loopback interface by default, refuses a header over maxHeaderBytes
// with 431, and closes a connection that does not send its header within
// readHeaderTimeout.
func TestServeBounds(t *testing.T) {
	host, _, err := net.SplitHostPort(defaultAddr)
	require.NoError(t, err)
	require.True(t, net.ParseIP(host).IsLoopback(), "default address %s", defaultAddr)

	srv, err := newSiteServer(testSite(t), t.TempDir())
	require.NoError(t, err)
	hs := newHTTPServer(srv)
	assert.Equal(t, maxHeaderBytes, hs.MaxHeaderBytes)
	for what, d := range map[string]time.Duration{"read header": hs.ReadHeaderTimeout, "read": hs.ReadTimeout, "idle": hs.IdleTimeout, "write": hs.WriteTimeout} {
		assert.Positive(t, d, "%s timeout", what)
	}
	hs.ReadHeaderTimeout = 300 * time.Millisecond // the same server, a test's patience
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()

	r, err := http.Get(url + "/index.html")
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode)

	req, err := http.NewRequest(http.MethodGet, url+"/index.html", nil)
	require.NoError(t, err)
	req.Header.Set("X-Big", strings.Repeat("a", 2*maxHeaderBytes))
	r, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.StatusCode, "a 32 KiB header")

	r, err = http.Get(url + "/" + strings.Repeat("a", 2*maxHeaderBytes))
	require.NoError(t, err)
	r.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.StatusCode, "a 32 KiB URL")

	// A client that sends half a request line and waits is cut off.
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /index.html HT")
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	got, err := io.ReadAll(conn) // until the server closes the connection
	require.NoError(t, err, "the client's deadline came first")
	assert.Less(t, time.Since(start), 5*time.Second, "the server closed the connection after its header timeout")
	assert.NotContains(t, string(got), "200 OK", "a half request was served")
}
