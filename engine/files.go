//go:build !classifyonly

package engine

import (
	"os"

	"mobilenet-wasm/internal/textfmt"
)

// Reading files is left out of the classify-only engine build (build tag
// classifyonly, wasm/doc.go), as loader.ParseFile is.

// LoadFiles is Load from .tflite file paths.
func LoadFiles(paths []string, opts Options) (*Classifier, error) {
	var models [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, textfmt.Errorf("engine: %w", err)
		}
		models = append(models, b)
	}
	c, err := Load(models, opts)
	if err != nil && len(paths) == 1 {
		return nil, textfmt.Errorf("%s: %w", paths[0], err)
	}
	return c, err
}
