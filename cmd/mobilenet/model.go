package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/kernels"
)

// defaultLabelsFile is looked for next to the model files when neither
// -labels nor the model gives labels.
const defaultLabelsFile = "imagenet_labels.txt"

// modelFlags are the flags of the commands that run a model: -m, repeated
// to chain a head, and -requant.
type modelFlags struct {
	paths  listFlag
	scheme schemeFlag
}

// addModelFlags defines -m and -requant on fs.
func addModelFlags(fs *flag.FlagSet) *modelFlags {
	f := &modelFlags{}
	fs.Var(&f.paths, "m", modelFlagHelp)
	fs.Var(&f.scheme, "requant", requantFlagHelp)
	return f
}

// options are the engine options the flags ask for.
func (f *modelFlags) options() engine.Options {
	return engine.Options{Scheme: kernels.Scheme(f.scheme)}
}

// read reads the -m files.
func (f *modelFlags) read() (*modelSet, error) { return readModels(f.paths) }

// load reads the -m files and plans a classifier from them.
func (f *modelFlags) load() (*engine.Classifier, error) { return loadFiles(f.paths, f.options()) }

// loadLabelled is load with labels, found as modelSet.loadLabelled does.
func (f *modelFlags) loadLabelled(labelsFile string) (*engine.Classifier, error) {
	ms, err := f.read()
	if err != nil {
		return nil, err
	}
	return ms.loadLabelled(f.options(), labelsFile)
}

// modelSet is the -m files of a command, read once, so that several
// classifiers (one per eval worker) load from the same bytes.
type modelSet struct {
	paths []string
	bytes [][]byte
}

// readModels reads the -m files.
func readModels(paths []string) (*modelSet, error) {
	if len(paths) == 0 {
		return nil, usagef("no model: give -m MODEL")
	}
	ms := &modelSet{paths: paths}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		ms.bytes = append(ms.bytes, b)
	}
	return ms, nil
}

// loadFiles reads the model files and plans a classifier from them.
func loadFiles(paths []string, opts engine.Options) (*engine.Classifier, error) {
	ms, err := readModels(paths)
	if err != nil {
		return nil, err
	}
	return ms.load(opts)
}

// name is a short name for the chain: the files' base names without
// .tflite, joined by "+".
func (ms *modelSet) name() string {
	var names []string
	for _, p := range ms.paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".tflite"))
	}
	return strings.Join(names, "+")
}

// load plans a classifier from the models. Errors, and panics (bugs) of
// the engine, name the model files.
func (ms *modelSet) load(opts engine.Options) (c *engine.Classifier, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", strings.Join(ms.paths, " + "), r)
		}
	}()
	c, err = engine.Load(ms.bytes, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(ms.paths, " + "), err)
	}
	return c, nil
}

// loadLabelled loads a native classifier with labels (see labelled).
func (ms *modelSet) loadLabelled(opts engine.Options, labelsFile string) (*engine.Classifier, error) {
	return labelled(ms, ms.load, opts, labelsFile)
}

// labelled loads a classifier with load (in one runtime or another), with
// labels: those of labelsFile when it is given (the engine checks that
// they fit the model's classes), else the model's embedded ones, else
// imagenet_labels.txt next to a model file when the engine accepts it for
// the model.
func labelled[C classifier](ms *modelSet, load func(engine.Options) (C, error), opts engine.Options, labelsFile string) (C, error) {
	var none C
	if labelsFile != "" {
		labels, err := readLabels(labelsFile)
		if err != nil {
			return none, err
		}
		c, err := load(engine.Options{Scheme: opts.Scheme, Labels: labels})
		if err != nil {
			if _, plain := load(opts); plain == nil {
				// The models load without the labels: they are the problem.
				return none, fmt.Errorf("labels file %s (%d lines): %w", labelsFile, len(labels), err)
			}
		}
		return c, err
	}
	c, err := load(opts)
	if err != nil || len(c.Info().Labels) > 0 {
		return c, err
	}
	// Look next to the head first: it is the model that has the classes.
	for i := len(ms.paths) - 1; i >= 0; i-- {
		labels, err := readLabels(filepath.Join(filepath.Dir(ms.paths[i]), defaultLabelsFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			opts.Labels = labels
			if labelled, err := load(opts); err == nil {
				return labelled, nil
			}
		}
		break // a convenience only: no labels rather than an error
	}
	return c, nil
}

// readLabels reads a labels file: one label per line; a final newline and
// carriage returns are ignored.
func readLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	s := strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	if s == "" {
		return nil, fmt.Errorf("labels file %s is empty", path)
	}
	return strings.Split(s, "\n"), nil
}
