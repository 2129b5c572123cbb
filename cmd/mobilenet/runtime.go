package main

import (
	"context"
	"fmt"
	"image"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/host"
)

// The runtimes that classify, eval and bench run models in (-runtime).
const (
	// runtimeNative is the engine compiled into this binary (portable Go
	// kernels).
	runtimeNative = "native"
	// runtimeWazero is the wasm module browsers download (embedded in this
	// binary) under wazero, with the wasm SIMD kernels (package host).
	runtimeWazero = "wazero"
	// runtimeWazeroPortable is the same module with its portable Go
	// kernels, as a browser without wasm SIMD runs it.
	runtimeWazeroPortable = "wazero-portable"
)

var runtimeNames = []string{runtimeNative, runtimeWazero, runtimeWazeroPortable}

const runtimeFlagHelp = "`runtime` that runs the model: native (this binary's engine), wazero (the wasm module browsers download, embedded, with its SIMD kernels) or wazero-portable (the same without SIMD)"

// checkRuntime checks a -runtime value.
func checkRuntime(name string) error {
	for _, n := range runtimeNames {
		if name == n {
			return nil
		}
	}
	return usagef("-runtime %q: want %s", name, strings.Join(runtimeNames, ", "))
}

// classifier is a loaded model as classify and eval use it: the native
// engine's Classifier, or a model in the wasm module under wazero.
type classifier interface {
	Classify(img image.Image, k int) ([]engine.Prediction, error)
	Info() engine.Info
}

// wasmClassifier is a host.Model as a classifier (calls without a
// deadline).
type wasmClassifier struct{ *host.Model }

func (w wasmClassifier) Classify(img image.Image, k int) ([]engine.Prediction, error) {
	return w.Model.Classify(context.Background(), img, k)
}

// runner loads models in one runtime.
type runner struct {
	name string
	rt   *host.Runtime // nil for native
}

// newRunner opens runtime name; for the wazero ones, with instances
// instances (calls at once).
func newRunner(name string, instances int) (*runner, error) {
	if err := checkRuntime(name); err != nil {
		return nil, err
	}
	r := &runner{name: name}
	if name == runtimeNative {
		return r, nil
	}
	rt, err := host.New(context.Background(), host.Config{Instances: instances, Portable: name == runtimeWazeroPortable})
	if err != nil {
		return nil, fmt.Errorf("-runtime %s: %w", name, err)
	}
	r.rt = rt
	return r, nil
}

// close frees the runtime's instances.
func (r *runner) close() {
	if r.rt != nil {
		r.rt.Close(context.Background())
	}
}

// load loads the models as a classifier in the runtime. Errors name the
// model files, as modelSet.load's do.
func (r *runner) load(ms *modelSet, opts engine.Options) (classifier, error) {
	if r.rt == nil {
		return ms.load(opts)
	}
	md, err := r.rt.Load(context.Background(), ms.bytes, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(ms.paths, " + "), err)
	}
	return wasmClassifier{md}, nil
}
