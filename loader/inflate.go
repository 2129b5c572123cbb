//go:build !classifyonly

package loader

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"

	"mobilenet-wasm/internal/textfmt"
)

// Deflated label files are read in every build but the classify-only
// engine's (build tag classifyonly, wasm/doc.go), where compress/flate
// would add 44 kB brotli to the download (measured on that build) for
// files TFLite's metadata writer stores uncompressed.
func init() { inflate = inflateFile }

// inflateFile decompresses a deflated file that should hold size bytes.
func inflateFile(packed []byte, size int) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(packed))
	defer r.Close()
	out := make([]byte, size)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, textfmt.Errorf("inflating: %v", err)
	}
	var one [1]byte
	if n, err := r.Read(one[:]); n != 0 || !errors.Is(err, io.EOF) {
		return nil, errors.New("longer than declared")
	}
	return out, nil
}
