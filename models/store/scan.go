package store

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/models"
)

// Scan identifies every .tflite file directly in dir by its shapes (not
// its name) and returns where each catalog entry is: a whole model, or the
// extractor and head of a split one. Files written by models.Synth are left out
// unless synthetic is true. A missing folder holds nothing.
func Scan(dir string, synthetic bool) (map[string]Presence, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tflite"))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	slices.Sort(paths)
	type parts struct{ whole, ext, head string }
	found := map[string]*parts{}
	synth := map[string]bool{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		m, err := loader.Parse(data)
		if err != nil {
			continue
		}
		match, ok := models.Identify(m)
		if !ok || (match.Synthetic && !synthetic) {
			continue
		}
		name := match.Entry.Name
		if found[name] == nil {
			found[name] = &parts{}
		}
		synth[name] = synth[name] || match.Synthetic
		f := found[name]
		switch match.Part {
		case models.Whole:
			f.whole = cmpOr(f.whole, p)
		case models.Extractor:
			f.ext = cmpOr(f.ext, p)
		case models.Head:
			f.head = cmpOr(f.head, p)
		}
	}
	out := map[string]Presence{}
	for name, f := range found {
		switch {
		case f.whole != "":
			out[name] = Presence{Files: []string{f.whole}, Synthetic: synth[name]}
		case f.ext != "" && f.head != "":
			out[name] = Presence{Files: []string{f.ext, f.head}, Split: true, Synthetic: synth[name]}
		}
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Weights are the files to run for a catalog entry, and what they hold.
type Weights struct {
	// Files are the model's paths in the order the engine chains them.
	Files []string
	// Kind is "real" (the release's weights) or "synthetic" (models.Synth).
	Kind string
}

// Weight kinds, as benchmark names end (see Column).
const (
	RealWeights      = "real"
	SyntheticWeights = "synthetic"
)

// Sources are folders scanned once for real weights (see Scan).
type Sources struct {
	found []map[string]Presence
}

// NewSources scans the folders, in order of preference. Missing folders
// are skipped.
func NewSources(dirs ...string) (*Sources, error) {
	s := &Sources{}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		found, err := Scan(d, false)
		if err != nil {
			return nil, err
		}
		s.found = append(s.found, found)
	}
	return s, nil
}

// Weights returns entry e's real weights from the first folder that has
// them, and otherwise synthesizes the entry (seed 1) into synthDir.
// Benchmarks of the native engine and of the wasm module use it, so that
// their models and names (.../<name>/<kind>, see Column) agree.
func (s *Sources) Weights(e models.Entry, synthDir string) (Weights, error) {
	for _, found := range s.found {
		if p, ok := found[e.Name]; ok {
			return Weights{Files: p.Files, Kind: RealWeights}, nil
		}
	}
	data, err := models.SynthEntry(e, 1)
	if err != nil {
		return Weights{}, err
	}
	path := filepath.Join(synthDir, e.File())
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return Weights{}, fmt.Errorf("store: %w", err)
	}
	return Weights{Files: []string{path}, Kind: SyntheticWeights}, nil
}
