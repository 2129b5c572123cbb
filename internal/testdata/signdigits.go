package testdata

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// SignDigits returns the sign-digits training set's folder: one folder of
// photos per class, named "0" to "9". Like Dir, it skips the test when the
// folder is absent (an older shared folder), or fails it when the test data
// is required.
func SignDigits(tb testing.TB) string {
	tb.Helper()
	dir := Path(tb, "datasets", "sign-digits")
	if !isDir(dir) {
		msg := "sign-digits not found: " + dir + " (the shared test data's training set)"
		if os.Getenv("MOBILENET_REQUIRE_TESTDATA") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return dir
}

// SignDigitsPhotos returns the paths of a sign-digits class's photos, in
// name order (the order the students were photographed in, so that a
// range of them keeps people apart from the rest).
func SignDigitsPhotos(tb testing.TB, class string) []string {
	tb.Helper()
	dir := filepath.Join(SignDigits(tb), class)
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var paths []string
	for _, e := range ents {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png", ".bmp":
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	slices.Sort(paths)
	return paths
}

// SignDigitsFolder makes a temporary data folder of class folders named
// names[c], each linking (not copying) photos from..from+n-1 of sign-digits
// class c: a small training set in the layout `mobilenet train -dir` reads.
func SignDigitsFolder(tb testing.TB, names []string, from, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	for c, name := range names {
		photos := SignDigitsPhotos(tb, string(rune('0'+c)))
		if len(photos) < from+n {
			tb.Fatalf("sign-digits/%d holds %d photos, want %d", c, len(photos), from+n)
		}
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			tb.Fatal(err)
		}
		for _, p := range photos[from : from+n] {
			if err := os.Symlink(p, filepath.Join(dir, name, filepath.Base(p))); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return dir
}
