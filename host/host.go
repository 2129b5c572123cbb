// Package host runs MobileNet models in the engine's WebAssembly module
// (engine.wasm, the very file browsers download, embedded in the binary)
// under wazero, from Go programs and benchmarks, without cgo. It has the
// native engine's surface (Classify, Embed, Infer, Info, with package
// engine's result types) and the same outputs, byte for byte.
//
// A Runtime compiles the module once (wazero's compilation cache, shared
// by every Runtime of the process) and keeps a pool of instances: each is
// one Go runtime in its own linear memory, runs one call at a time, and is
// created on first need. Callers on any number of goroutines share a
// Runtime and its Models; a call waits for a free instance. A Model is
// loaded in each instance the first time that instance runs it.
//
// # Sandboxing
//
// An instance sees only what the Go runtime inside needs: clocks, sleep,
// random bytes and a captured stderr. It has no file system (no directory
// is mounted), no arguments or environment, no sockets, and no import
// other than WASI and the SIMD kernels; its linear memory is its whole
// address space, so a model cannot reach files, the network or the host's
// memory. Each instance's memory is capped (Config.MemoryLimit) and every
// call runs under its context: a model that needs more memory than the
// limit, or a call whose deadline passes, fails with an error, its
// instance is closed and replaced, and the other instances keep serving.
// The package's tests check each of these.
//
// # Notes
//
//   - Deadlines: a call returns as soon as its context ends. Its instance
//     is left behind and replaced: it stops at its next SIMD kernel call
//     (one a layer) and is closed. With Portable, no host call happens
//     during an inference, so the instance left behind finishes that call
//     first (still using a core). wazero's WithCloseOnContextDone would
//     stop any loop at once, but the checks it compiles in made this
//     Go-compiled module about 6x slower.
//   - Deadlines and cores: Go cannot preempt wazero's compiled code, so a
//     call holds its OS thread (a P of GOMAXPROCS) until it returns or
//     makes a host call. When every P is inside a call, the timer of a
//     deadline fires only once one of them lets go, which can be seconds
//     while an instance opens or loads a model; a garbage collection's
//     stop-the-world waits the same way. Keep Instances below GOMAXPROCS
//     when deadlines must be prompt, and expect them to be late by up to
//     a model load on a loaded machine.
//   - The binary must be built after ./build.sh, which writes engine.wasm
//     where this package embeds it; otherwise New says so. go install from
//     a checkout after ./build.sh works; from the module proxy it cannot
//     (engine.wasm is a build output, not in git).
//   - Speed: wazero runs the wasm SIMD kernels several times slower than
//     V8 does (the README's Speed section); compare SIMD with portable
//     within one runtime, not with a browser.
package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/preprocess"
	"mobilenet-wasm/host/internal/embedded"
	"mobilenet-wasm/host/internal/wasmmod"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
)

// DefaultMemoryLimit is each instance's memory cap when Config.MemoryLimit
// is 0: room for the largest model of the release and an 8192 x 8192
// photo.
const DefaultMemoryLimit = 1 << 30

// maxMemory is wasm32's address space.
const maxMemory = 1 << 32

// Config configures New. The zero value is ready to use.
type Config struct {
	// Instances is the most calls that run at once, each in its own
	// instance (default: GOMAXPROCS). More goroutines than this may share
	// the Runtime; they wait their turn. Fewer than GOMAXPROCS leaves a
	// thread free for deadlines' timers (see the package's Notes).
	Instances int
	// MemoryLimit caps each instance's linear memory, in bytes, rounded
	// down to 64 KiB pages (default DefaultMemoryLimit, at most 4 GiB). A
	// call that needs more fails and its instance is replaced.
	MemoryLimit int64
	// Portable runs the module's portable Go kernels instead of linking
	// the wasm SIMD kernels (simd.wasm), as a browser without wasm SIMD
	// does. The outputs are the same.
	Portable bool
	// Threads, when above 1 (at most 16), runs each instance's SIMD kernels
	// on that many goroutines, each large layer split across them (the
	// engine's memory is shared; see wasmmod.Config.Threads): one call
	// uses up to Threads cores. The outputs are the same as with one.
	// Ignored with Portable.
	Threads int
}

// Runtime is the engine module compiled once, with a pool of instances.
// It is safe for concurrent use.
type Runtime struct {
	mod   wasmmod.Config
	n     int           // slots
	slots chan *slot    // the idle ones
	done  chan struct{} // closed by Close
	once  sync.Once

	closing sync.Mutex
	closed  int // slots Close has freed
}

// slot is one place in the pool: an instance (nil until first needed, and
// after one died) and the models loaded in it. A slot whose call is left
// behind (its context ended) is never reused: a new one takes its place.
type slot struct {
	mod    *wasmmod.Module
	models map[*Model]*wasmmod.Model
}

// ErrClosed is the error of every call on a closed Runtime or Model.
var ErrClosed = errors.New("host: closed")

// New compiles the embedded engine module (from wazero's cache after the
// first time) and opens the first instance, so that a missing or broken
// module fails here. ctx is the context of that instance's first calls.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	wasm, err := embedded.Engine()
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	n := cfg.Instances
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	limit := cfg.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	switch {
	case n < 0:
		return nil, fmt.Errorf("host: Instances %d: want 1 or more (0: GOMAXPROCS)", cfg.Instances)
	case limit < 1<<16 || limit > maxMemory:
		return nil, fmt.Errorf("host: MemoryLimit %d: want 64 KiB to 4 GiB (0: %d)", cfg.MemoryLimit, DefaultMemoryLimit)
	}
	r := &Runtime{
		mod: wasmmod.Config{
			Engine:           wasm,
			MemoryLimitPages: uint32(min(limit>>16, maxMemory>>16)),
			Threads:          cfg.Threads,
		},
		n:     n,
		slots: make(chan *slot, n),
		done:  make(chan struct{}),
	}
	if !cfg.Portable {
		r.mod.SIMD = simd.Module
	}
	for range n {
		r.slots <- &slot{}
	}
	s, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	err = s.open(ctx, r.mod)
	r.release(s)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Close waits for the calls in progress (until ctx ends) and frees every
// instance. Later calls return ErrClosed; a second Close finishes what an
// interrupted one left.
func (r *Runtime) Close(ctx context.Context) error {
	r.once.Do(func() { close(r.done) })
	r.closing.Lock()
	defer r.closing.Unlock()
	for ; r.closed < r.n; r.closed++ {
		select {
		case s := <-r.slots:
			if s.mod != nil {
				s.mod.Close()
				s.mod = nil
			}
		case <-ctx.Done():
			return fmt.Errorf("host: closing: %w", ctx.Err())
		}
	}
	return nil
}

// acquire takes an idle slot, waiting until ctx ends.
func (r *Runtime) acquire(ctx context.Context) (*slot, error) {
	var s *slot
	select {
	case <-r.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("host: waiting for an instance: %w", ctx.Err())
	case s = <-r.slots:
	}
	select {
	case <-r.done:
		r.slots <- s // for Close to collect
		return nil, ErrClosed
	default:
	}
	return s, nil
}

// open opens the slot's instance if it has none, and sets ctx as the
// context of its calls.
func (s *slot) open(ctx context.Context, cfg wasmmod.Config) error {
	if s.mod == nil {
		mod, err := wasmmod.OpenWith(ctx, cfg)
		if err != nil {
			return err
		}
		s.mod, s.models = mod, map[*Model]*wasmmod.Model{}
	}
	s.mod.SetContext(ctx)
	return nil
}

// release returns a slot to the pool, dropping its instance if a call
// killed it (a trap, the memory limit, a context that ended).
func (r *Runtime) release(s *slot) {
	if s.mod != nil {
		if s.mod.Dead() != nil {
			s.mod.Close()
			s.mod, s.models = nil, nil
		} else {
			s.mod.SetContext(context.Background()) // keep no caller's context
		}
	}
	r.slots <- s
}

// Model is a model (or a feature extractor and a head) loaded in a
// Runtime. It is safe for concurrent use; calls run in the Runtime's
// instances, up to Config.Instances at once.
type Model struct {
	r      *Runtime
	models [][]byte
	opts   wasmmod.Options
	info   engine.Info
	closed atomic.Bool
}

// Load loads one model, or a feature extractor and a head that takes its
// output, from .tflite bytes, as engine.Load does (opts: the requantization
// scheme, labels overriding the model's). It loads the model in one
// instance now, so that a bad model fails here, and keeps a copy of the
// bytes to load it in the other instances when they first run it.
func (r *Runtime) Load(ctx context.Context, models [][]byte, opts engine.Options) (*Model, error) {
	if len(models) < 1 || len(models) > 2 {
		return nil, fmt.Errorf("host: Load takes one model or a model and a head, not %d", len(models))
	}
	md := &Model{r: r, opts: wasmmod.Options{Labels: opts.Labels}}
	switch opts.Scheme {
	case kernels.SchemeFP32:
	case kernels.SchemeReference:
		md.opts.Reference = true
	default:
		return nil, fmt.Errorf("host: unknown requantization scheme %v", opts.Scheme)
	}
	for _, m := range models {
		md.models = append(md.models, append([]byte(nil), m...))
	}
	var raw []byte
	err := md.with(ctx, func(w *wasmmod.Model) (err error) {
		raw, err = w.Info()
		return err
	})
	if err != nil {
		return nil, err // see ClassifyRGBA
	}
	if err := json.Unmarshal(raw, &md.info); err != nil {
		md.Close() // the instances free it
		return nil, fmt.Errorf("host: mn_info's result: %w", err)
	}
	return md, nil
}

// with runs fn on the model loaded in an idle instance, under ctx. When
// ctx ends first, with returns its error at once and leaves the call
// behind: the instance stops at its next SIMD kernel call (with the
// portable kernels, at the end of the call) and is then closed, and a new
// slot takes its place in the pool.
func (md *Model) with(ctx context.Context, fn func(*wasmmod.Model) error) error {
	if md.closed.Load() {
		return ErrClosed
	}
	s, err := md.r.acquire(ctx)
	if err != nil {
		return err
	}
	if ctx.Done() == nil { // no deadline, no cancellation
		err := md.run(ctx, s, fn)
		md.r.release(s)
		return err
	}
	result := make(chan error, 1)
	go func() { result <- md.run(ctx, s, fn) }()
	select {
	case err := <-result:
		md.r.release(s)
		return err
	case <-ctx.Done():
		md.r.slots <- &slot{}
		go func() {
			<-result
			if s.mod != nil {
				s.mod.Close()
			}
		}()
		return fmt.Errorf("host: %w", ctx.Err())
	}
}

// run opens the slot's instance if needed, frees the models closed since
// it last ran, loads md if it is not loaded there yet, and calls fn.
func (md *Model) run(ctx context.Context, s *slot, fn func(*wasmmod.Model) error) error {
	if err := s.open(ctx, md.r.mod); err != nil {
		return err
	}
	for m, w := range s.models {
		if m.closed.Load() {
			w.Close() // an error here kills the instance, dropped at release
			delete(s.models, m)
		}
	}
	w := s.models[md]
	if w == nil {
		var err error
		if w, err = s.mod.Load(md.models, md.opts); err != nil {
			return err
		}
		s.models[md] = w
	}
	return fn(w)
}

// Close frees the model: instances free it before their next call. Later
// calls on it return ErrClosed.
func (md *Model) Close() error {
	md.closed.Store(true)
	return nil
}

// Info describes the model as engine's Classifier.Info does.
func (md *Model) Info() engine.Info { return md.info }

// Classify preprocesses img as the release's evaluation did (central crop
// keeping 87.5%, bilinear resize, in the module) and returns the k most
// likely classes, best first, ties broken by the lower index: what the
// native engine's Classify returns, to the bit.
func (md *Model) Classify(ctx context.Context, img image.Image, k int) ([]engine.Prediction, error) {
	pix, w, h, err := preprocess.Frame(img)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	return md.ClassifyRGBA(ctx, pix, w, h, 4*w, k)
}

// ClassifyRGBA is Classify on an RGBA frame (4 bytes a pixel, rows stride
// bytes apart, alpha ignored), as browsers give them.
func (md *Model) ClassifyRGBA(ctx context.Context, pix []byte, width, height, stride, k int) ([]engine.Prediction, error) {
	var top []engine.Prediction
	err := md.with(ctx, func(w *wasmmod.Model) (err error) {
		top, err = w.Classify(pix, width, height, stride, k)
		return err
	})
	if err != nil {
		return nil, err // and top is not read: a call left behind may still set it
	}
	return top, nil
}

// Embed returns the feature vector the model's head takes (dequantized),
// for img preprocessed as Classify does.
func (md *Model) Embed(ctx context.Context, img image.Image) ([]float32, error) {
	pix, w, h, err := preprocess.Frame(img)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	return md.EmbedRGBA(ctx, pix, w, h, 4*w)
}

// EmbedRGBA is Embed on an RGBA frame (see ClassifyRGBA).
func (md *Model) EmbedRGBA(ctx context.Context, pix []byte, width, height, stride int) ([]float32, error) {
	var v []float32
	err := md.with(ctx, func(w *wasmmod.Model) (err error) {
		v, err = w.Embed(pix, width, height, stride)
		return err
	})
	if err != nil {
		return nil, err // see ClassifyRGBA
	}
	return v, nil
}

// Infer runs one raw input tensor (the model's input dtype and shape, bytes
// as stored, little-endian) and returns the raw output tensor.
func (md *Model) Infer(ctx context.Context, raw []byte) ([]byte, error) {
	var out []byte
	err := md.with(ctx, func(w *wasmmod.Model) (err error) {
		out, err = w.Infer(raw)
		return err
	})
	if err != nil {
		return nil, err // see ClassifyRGBA
	}
	return out, nil
}
