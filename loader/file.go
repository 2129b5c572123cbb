//go:build !classifyonly

package loader

import (
	"io"
	"os"

	"mobilenet-wasm/internal/textfmt"
)

// Reading files is left out of the classify-only engine build (build tag
// classifyonly, wasm/doc.go): the wasm module reads no files, and package
// os would bring time and syscall into its download.

// ParseFile reads and parses the TFLite model at path (see Parse).
func ParseFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, textfmt.Errorf("loader: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, textfmt.Errorf("loader: %w", err)
	}
	if st.Size() > maxModelSize {
		return nil, textfmt.Errorf("loader: %s: %d bytes is larger than a flatbuffer can be", path, st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, textfmt.Errorf("loader: %s: %w", path, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, textfmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}
