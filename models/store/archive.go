package store

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// maxTFLiteSize bounds a .tflite file read from an archive (the largest of
// the release is 17 MB).
const maxTFLiteSize = 1 << 30

// tfliteFile is a .tflite file found in an archive.
type tfliteFile struct {
	path string // inside the archive
	name string // base name
	data []byte
}

// errTruncated is wrapped by the errors for archives that end early.
var errTruncated = errors.New("archive truncated")

// extractTFLite reads a gzipped tar stream and returns its .tflite files.
// With want set, it returns only the file of that base name; when there is
// none, the archive's only .tflite file, if it has exactly one.
func extractTFLite(r io.Reader, want string) ([]tfliteFile, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %v", errTruncated, err)
		}
		return nil, fmt.Errorf("not a gzipped tar archive: %w", err)
	}
	tr := tar.NewReader(zr)
	var found []tfliteFile
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, archiveError(err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".tflite") {
			continue
		}
		if h.Size > maxTFLiteSize {
			return nil, fmt.Errorf("%s: %d bytes is too large for a model", h.Name, h.Size)
		}
		data := make([]byte, h.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return nil, archiveError(err)
		}
		found = append(found, tfliteFile{path: h.Name, name: path.Base(h.Name), data: data})
	}
	// Read to the end of the gzip stream, so that its checksum is checked.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, archiveError(err)
	}
	if len(found) == 0 {
		return nil, errors.New("the archive holds no .tflite file")
	}
	if want == "" {
		return found, nil
	}
	for _, f := range found {
		if f.name == want {
			return []tfliteFile{f}, nil
		}
	}
	if len(found) == 1 {
		return found, nil
	}
	var names []string
	for _, f := range found {
		names = append(names, f.path)
	}
	return nil, fmt.Errorf("the archive holds no %s (it has %s)", want, strings.Join(names, ", "))
}

// archiveError marks errors of a stream that ended early as truncation.
func archiveError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %v", errTruncated, err)
	}
	return fmt.Errorf("corrupt archive: %w", err)
}
