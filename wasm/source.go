//go:build !classifyonly

package main

import (
	"mobilenet-wasm/engine"
	"mobilenet-wasm/tflitewrite"
)

// modelSource rebuilds the .tflite of a loaded classifier's first model
// (the extractor of a chain) for a teaching session's export, from the
// classifier's own copies of its constants (engine.Classifier.Models) and
// the file details kept at load: the module keeps no model file (issue:
// memory), and the rebuilt file parses to the same model, with the same
// operator versions, so the export is the same as from the original.
func modelSource(c *engine.Classifier, d fileDetails) ([]byte, error) {
	g := tflitewrite.FromModel(c.Models()[0])
	if err := g.SetFileDetails(d); err != nil {
		return nil, err
	}
	return tflitewrite.Write(g)
}

// fileDetails is what a teaching session's export needs of a model's file
// besides the classifier (see modelSource).
type fileDetails = tflitewrite.FileDetails

// readFileDetails reads the file details mn_load keeps of a model's file.
func readFileDetails(model []byte) (fileDetails, error) { return tflitewrite.ReadFileDetails(model) }
