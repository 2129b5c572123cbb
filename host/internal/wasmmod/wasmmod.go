// Package wasmmod is one instance of the engine module (engine.wasm, the
// file build.sh makes and browsers download) under wazero, with its ABI
// wrapped in Go: the internals of package mobilenet-wasm/host, which pools
// instances of it. Its tests check that the module computes exactly what
// the native engine computes, survives hostile input and does not leak.
//
// The ABI is described once, in the package comment of mobilenet-wasm/wasm,
// with its numbers and names in package mobilenet-wasm/wasm/abi; this
// wrapper follows it. An instance gets the Go runtime's WASI needs (clocks,
// random, stderr captured) and nothing else: no files, no environment, no
// network (see moduleConfig). A Module is not safe for concurrent use.
//
// Typical use:
//
//	wasm, err := embedded.Engine() // "run ./build.sh" when the binary has none
//	mod, err := wasmmod.Open(ctx, wasm)
//	defer mod.Close()
//	m, err := mod.Load([][]byte{tflite}, wasmmod.Options{})
//	top5, err := m.Classify(rgba, width, height, 4*width, 5)
package wasmmod

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
)

// cache shares compiled code between the runtimes of all Opens in this
// process, so that a module is compiled once.
var cache = sync.OnceValue(wazero.NewCompilationCache)

// Module is one instance of the engine module: one Go runtime in one linear
// memory, holding any number of loaded models. It is not safe for
// concurrent use.
type Module struct {
	ctx    context.Context
	rt     wazero.Runtime
	mod    api.Module
	mem    api.Memory
	fns    map[string]api.Function
	stderr *limitedBuffer
	dead   error // set when a call trapped: the instance is unusable

	// input is the guest block the per-call inputs (tensors, frames) are
	// copied into, reused while it is large enough: a new block a call
	// made the guest's heap grow and collect every few calls (a 25x
	// slower call every fifth inference of a float model).
	input struct{ ptr, cap uint32 }

	// SIMD (simd.go): simd.wasm's exports by name once linked, and the
	// kernel profile while profiling.
	kernels map[string]api.Function
	prof    *kernelProfile
	threads *threadState // kernel threads (threads.go), nil without
}

// exports are the functions Open looks up; a module without one of them
// is refused.
var exports = []string{
	"mn_abi_version", "mn_alloc", "mn_free", "mn_load", "mn_free_model",
	"mn_info", "mn_classify", "mn_classify_bin", "mn_infer", "mn_embed",
	"mn_result_ptr", "mn_result_len", "mn_error_ptr", "mn_error_len",
	"mn_simd", "mn_set_simd",
}

// Config configures OpenWith.
type Config struct {
	// Engine is engine.wasm's bytes.
	Engine []byte
	// SIMD is the SIMD kernel module (simd.Module) to link, or nil for
	// stubs, as a browser without wasm SIMD gives (see linkSIMD).
	SIMD []byte
	// MemoryLimitPages caps the linear memory, in 64 KiB pages (0: wasm32's
	// 65536, 4 GiB; with Threads, abi.SharedMemoryMaxPages). The Go
	// runtime inside treats a refused memory.grow as fatal: the call traps
	// and the instance is dead.
	MemoryLimitPages uint32
	// Threads, when above 1 (at most abi.MaxThreads) and SIMD is linked,
	// runs the SIMD kernels on that many instances of simd.wasm at once,
	// each large layer split across them (threads.go): the engine's memory
	// is made shared, with MemoryLimitPages as its maximum, which wazero
	// reserves up front. The outputs are the same as with one.
	Threads int
}

// Open compiles (once per process, then from a shared cache) and
// instantiates the module wasm with the WASI preview 1 host functions, runs
// its _initialize, and checks its ABI version. It uses wazero's compiler
// where the platform has one, else its interpreter. ctx is kept for every
// later call on the Module and its Models (see SetContext).
//
// SIMD: when the module imports the SIMD kernels (module "simd"), Open
// links them to simd.Module (kernels/simd/simd.wasm) instantiated on the
// module's memory, as a browser with wasm SIMD does; OpenPortable gives
// stubs instead, as a browser without SIMD does (see linkSIMD).
func Open(ctx context.Context, wasm []byte) (*Module, error) {
	return OpenWith(ctx, Config{Engine: wasm, SIMD: simd.Module})
}

// OpenPortable is Open for a host without SIMD: the "simd" imports are
// stubs (simd_abi_version returns 0), so the module runs its portable Go
// kernels.
func OpenPortable(ctx context.Context, wasm []byte) (*Module, error) {
	return OpenWith(ctx, Config{Engine: wasm})
}

// OpenWith is Open with a Config. Each Module has its own wazero runtime
// (the SIMD link names the engine's instance, so one runtime holds one),
// and all runtimes share one compilation cache, so that the module is
// compiled once per process.
func OpenWith(ctx context.Context, cfg Config) (*Module, error) {
	if cfg.Threads < 0 || cfg.Threads > abi.MaxThreads {
		return nil, fmt.Errorf("host: Threads %d: want 0 to %d", cfg.Threads, abi.MaxThreads)
	}
	// Not WithCloseOnContextDone: the checks it compiles into every loop
	// make this Go-compiled module about 6x slower (measured: 0.25_128_quant,
	// SIMD and portable alike); a call's context is checked at each SIMD
	// kernel call instead (linkSIMD), and package host stops waiting for a
	// call whose context ends.
	rc := wazero.NewRuntimeConfig().WithCompilationCache(cache())
	threads := 1
	if cfg.Threads > 1 && cfg.SIMD != nil {
		threads = cfg.Threads
		pages := sharedPages(cfg.MemoryLimitPages)
		var err error
		if cfg.Engine, err = shared(cfg.Engine, pages); err != nil {
			return nil, err
		}
		if cfg.SIMD, err = shared(cfg.SIMD, pages); err != nil {
			return nil, err
		}
		rc = threadsRuntimeConfig(rc)
	}
	if cfg.MemoryLimitPages > 0 {
		rc = rc.WithMemoryLimitPages(cfg.MemoryLimitPages)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	m := &Module{ctx: ctx, rt: rt, fns: map[string]api.Function{}, stderr: &limitedBuffer{max: 64 << 10}}
	fail := func(err error) (*Module, error) {
		m.Close()
		return nil, err
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return fail(fmt.Errorf("host: WASI: %w", err))
	}
	compiled, err := rt.CompileModule(ctx, cfg.Engine)
	if err != nil {
		return fail(fmt.Errorf("host: compiling the module: %w", err))
	}
	link, err := m.linkSIMD(compiled, cfg.SIMD, threads)
	if err != nil {
		return fail(err)
	}
	mod, err := rt.InstantiateModule(ctx, compiled, moduleConfig(m.stderr))
	if err != nil {
		return fail(fmt.Errorf("host: instantiating the module: %w%s", err, m.stderrNote()))
	}
	m.mod, m.mem = mod, mod.Memory()
	if m.mem == nil {
		return fail(errors.New("host: the module exports no memory"))
	}
	if err := link(); err != nil {
		return fail(err)
	}
	for _, name := range exports {
		f := mod.ExportedFunction(name)
		if f == nil {
			return fail(fmt.Errorf("host: the module does not export %s (is engine.wasm stale? run ./build.sh)", name))
		}
		m.fns[name] = f
	}
	v, err := m.call("mn_abi_version")
	if err != nil {
		return fail(err)
	}
	if int32(v) != abi.EngineVersion {
		return fail(fmt.Errorf("host: the module speaks ABI version %d, this host %d", int32(v), abi.EngineVersion))
	}
	return m, nil
}

// moduleConfig is the engine instance's whole view of the host: the clocks
// and sleep the Go runtime needs, wazero's default random source, stdout
// and stderr into out (kept for error messages), and nothing else. No file
// system is mounted (no preopened directories: every path call fails), no
// arguments or environment are passed, and wazero's WASI has no sockets
// unless a listener is configured, which is never done here. Linear memory
// is the guest's whole address space: the host's memory is out of reach.
// TestSandbox runs a probe module under this same configuration.
func moduleConfig(out *limitedBuffer) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName(abi.SIMDMemoryModule). // simd.wasm imports its memory by this module name
		WithStartFunctions("_initialize").
		WithStderr(out).
		WithStdout(out).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep()
}

// SetContext sets the context of every later call on the Module and its
// Models (the host's pool sets each caller's before handing the instance
// over). A call whose context ends stops at its next SIMD kernel call (a
// trap: the instance is dead); the portable kernels run to the call's end.
func (m *Module) SetContext(ctx context.Context) { m.ctx = ctx }

// Dead is the error that killed the instance (a trap, a refused memory
// growth, a context that ended during a call), or nil while it works. A
// dead instance fails every call; the host closes it and opens another.
func (m *Module) Dead() error { return m.dead }

// Close frees the instance and everything loaded in it, and ends its
// kernel threads' goroutines.
func (m *Module) Close() error {
	m.stopThreads()
	// Not m.ctx: a caller's context may have ended.
	return m.rt.Close(context.Background())
}

// MemorySize is the size in bytes of the module's linear memory, which
// grows as the Go heap grows and never shrinks.
func (m *Module) MemorySize() uint32 {
	return m.mem.Size()
}

// Error is a failure the module reported through the ABI: a status code
// and the module's error message. A trap is not an Error.
type Error struct {
	Func   string // the export, e.g. "mn_classify"
	Status int32  // a negative status, or 0 for mn_alloc / mn_load failures
	Msg    string // mn_error's text
}

// Error returns the module's message and the status.
func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (status %d)", e.Msg, e.Status)
	}
	return e.Msg
}

// call invokes an export. A trap kills the Module: this and every later call
// return an error that is not an *Error, with what the guest printed.
func (m *Module) call(name string, params ...uint64) (uint64, error) {
	if m.dead != nil {
		return 0, m.dead
	}
	f, ok := m.fns[name]
	if !ok {
		return 0, fmt.Errorf("host: no export %s", name)
	}
	res, err := f.Call(m.ctx, params...)
	if err != nil {
		if cerr := ctxErr(m.ctx); cerr != nil {
			m.dead = fmt.Errorf("host: %s stopped at its context's end, the instance is dead: %w", name, cerr)
		} else {
			m.dead = fmt.Errorf("host: %s trapped, the instance is dead: %w%s", name, err, m.stderrNote())
		}
		return 0, m.dead
	}
	if len(res) == 0 {
		return 0, nil
	}
	return res[0], nil
}

// ctxErr is ctx's error, or context.DeadlineExceeded as soon as its
// deadline has passed, before its timer has fired: a goroutine running
// wasm code cannot be preempted, so the Go scheduler may run the timer
// late when every P runs wasm (one may hold the timer).
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// stderrNote is what the guest wrote to stderr, for error messages.
func (m *Module) stderrNote() string {
	if s := strings.TrimSpace(m.stderr.String()); s != "" {
		return "\nguest stderr:\n" + s
	}
	return ""
}

// status invokes an export that returns a status and turns a failure into
// an *Error.
func (m *Module) status(name string, params ...uint64) error {
	r, err := m.call(name, params...)
	if err != nil {
		return err
	}
	if s := int32(r); s != abi.StatusOK {
		return m.guestError(name, s)
	}
	return nil
}

// guestError reads the module's last error.
func (m *Module) guestError(name string, status int32) error {
	msg, err := m.read("mn_error_ptr", "mn_error_len")
	if err != nil {
		return err
	}
	if len(msg) == 0 {
		msg = []byte(name + ": failed without a message")
	}
	return &Error{Func: name, Status: status, Msg: string(msg)}
}

// read copies the bytes that a pair of ptr/len exports locate.
func (m *Module) read(ptrFn, lenFn string) ([]byte, error) {
	p, err := m.call(ptrFn)
	if err != nil {
		return nil, err
	}
	n, err := m.call(lenFn)
	if err != nil {
		return nil, err
	}
	if uint32(n) == 0 {
		return []byte{}, nil
	}
	b, ok := m.mem.Read(uint32(p), uint32(n))
	if !ok {
		return nil, fmt.Errorf("host: %s/%s locate %d bytes at %#x, outside the %d-byte memory", ptrFn, lenFn, uint32(n), uint32(p), m.mem.Size())
	}
	return bytes.Clone(b), nil
}

// result copies the result buffer.
func (m *Module) result() ([]byte, error) {
	return m.read("mn_result_ptr", "mn_result_len")
}

// alloc copies data into a new guest block and returns its address. An
// empty data gives address 0 and nothing to free.
func (m *Module) alloc(data []byte) (uint32, error) {
	if len(data) == 0 {
		return 0, nil
	}
	r, err := m.call("mn_alloc", uint64(len(data)))
	if err != nil {
		return 0, err
	}
	ptr := uint32(r)
	if ptr == 0 {
		return 0, m.guestError("mn_alloc", 0)
	}
	if !m.mem.Write(ptr, data) {
		return 0, fmt.Errorf("host: mn_alloc gave %#x for %d bytes, outside the %d-byte memory", ptr, len(data), m.mem.Size())
	}
	return ptr, nil
}

// putInput copies data into the reused input block, replacing it by a
// larger one when data does not fit, and returns its address (0 for no
// data).
func (m *Module) putInput(data []byte) (uint32, error) {
	if len(data) == 0 {
		return 0, nil
	}
	if uint64(len(data)) > uint64(m.input.cap) {
		if err := m.free(m.input.ptr); err != nil {
			return 0, err
		}
		m.input.ptr, m.input.cap = 0, 0
		ptr, err := m.alloc(data)
		if err != nil {
			return 0, err
		}
		m.input.ptr, m.input.cap = ptr, uint32(len(data))
		return ptr, nil
	}
	if !m.mem.Write(m.input.ptr, data) {
		return 0, fmt.Errorf("host: the input block %#x holds %d bytes, outside the %d-byte memory", m.input.ptr, len(data), m.mem.Size())
	}
	return m.input.ptr, nil
}

// free frees a block from alloc (nothing for address 0).
func (m *Module) free(ptr uint32) error {
	if ptr == 0 {
		return nil
	}
	return m.status("mn_free", uint64(ptr))
}

// Options configure Module.Load.
type Options struct {
	// Reference selects TFLite's reference requantization instead of the
	// default fp32 one (see kernels.Scheme).
	Reference bool
	// Labels, when not nil, override the model's embedded labels (sent as
	// text, one per line).
	Labels []string
}

// Model is a model (or an extractor + head chain) loaded in a Module.
type Model struct {
	m      *Module
	handle int32
}

// Load loads one model, or an extractor followed by a head (two models),
// from .tflite bytes.
func (m *Module) Load(models [][]byte, opts Options) (*Model, error) {
	if len(models) < 1 || len(models) > 2 {
		return nil, fmt.Errorf("host: Load takes one model or a model and a head, not %d", len(models))
	}
	var ptrs [3]uint32 // model, head, labels
	defer func() {
		for _, p := range ptrs {
			m.free(p) // best effort; a failure here would only leak in a test
		}
	}()
	var lens [3]int
	parts := [][]byte{models[0], nil, nil}
	if len(models) == 2 {
		// The ABI reads a head of 0 bytes as no head: refuse it here
		// rather than silently load the extractor alone.
		if len(models[1]) == 0 {
			return nil, fmt.Errorf("host: the head model is empty (0 bytes)")
		}
		parts[1] = models[1]
	}
	if opts.Labels != nil {
		parts[2] = []byte(strings.Join(opts.Labels, "\n"))
	}
	for i, p := range parts {
		var err error
		if ptrs[i], err = m.alloc(p); err != nil {
			return nil, err
		}
		lens[i] = len(p)
	}
	var flags uint64
	if opts.Reference {
		flags |= abi.FlagReference
	}
	h, err := m.call("mn_load", uint64(ptrs[0]), uint64(lens[0]), uint64(ptrs[1]), uint64(lens[1]), uint64(ptrs[2]), uint64(lens[2]), flags)
	if err != nil {
		return nil, err
	}
	if int32(h) <= 0 {
		return nil, m.guestError("mn_load", 0)
	}
	return &Model{m: m, handle: int32(h)}, nil
}

// Handle is the model's handle in the module's ABI.
func (md *Model) Handle() int32 { return md.handle }

// Close frees the model in the module.
func (md *Model) Close() error {
	return md.m.status("mn_free_model", api.EncodeI32(md.handle))
}

// Info returns mn_info's JSON (engine.Info's fields).
func (md *Model) Info() (json.RawMessage, error) {
	if err := md.m.status("mn_info", api.EncodeI32(md.handle)); err != nil {
		return nil, err
	}
	return md.m.result()
}

// Prediction is one class of a top-k result, as mn_classify writes it:
// the native engine's type, whose JSON it is.
type Prediction = engine.Prediction

// call copies data into the module's input block, calls the export name
// with (handle, ptr, len, extra...) and returns the export's result. Every
// per-model export with an input buffer takes it this way.
func (md *Model) call(name string, data []byte, extra ...uint64) ([]byte, error) {
	ptr, err := md.m.putInput(data)
	if err != nil {
		return nil, err
	}
	args := append([]uint64{api.EncodeI32(md.handle), uint64(ptr), uint64(len(data))}, extra...)
	if err := md.m.status(name, args...); err != nil {
		return nil, err
	}
	return md.m.result()
}

// frame returns an RGBA frame's (w, h, stride) as the frame exports take
// them after the frame itself, followed by extra.
func frame(w, h, stride int, extra ...uint64) []uint64 {
	return append([]uint64{api.EncodeI32(int32(w)), api.EncodeI32(int32(h)), api.EncodeI32(int32(stride))}, extra...)
}

// records returns how many size-byte records the export name's result b
// holds, or an error when it is not a whole number of them.
func records(name string, b []byte, size int) (int, error) {
	if len(b)%size != 0 {
		return 0, fmt.Errorf("host: %s's result is %d bytes, not a multiple of %d", name, len(b), size)
	}
	return len(b) / size, nil
}

// Classify classifies an RGBA frame (rows stride bytes apart) through
// mn_classify and returns its top k.
func (md *Model) Classify(rgba []byte, w, h, stride, k int) ([]Prediction, error) {
	b, err := md.call("mn_classify", rgba, frame(w, h, stride, api.EncodeI32(int32(k)))...)
	if err != nil {
		return nil, err
	}
	var preds []Prediction
	if err := json.Unmarshal(b, &preds); err != nil {
		return nil, fmt.Errorf("host: mn_classify's result %q: %w", b, err)
	}
	return preds, nil
}

// ClassifyBinary is Classify through mn_classify_bin: the same top k,
// without labels, as (int32 index, float32 score) records.
func (md *Model) ClassifyBinary(rgba []byte, w, h, stride, k int) ([]Prediction, error) {
	b, err := md.call("mn_classify_bin", rgba, frame(w, h, stride, api.EncodeI32(int32(k)))...)
	if err != nil {
		return nil, err
	}
	n, err := records("mn_classify_bin", b, 8)
	if err != nil {
		return nil, err
	}
	preds := make([]Prediction, n)
	for i := range preds {
		preds[i].Index = int(int32(binary.LittleEndian.Uint32(b[8*i:])))
		preds[i].Score = math.Float32frombits(binary.LittleEndian.Uint32(b[8*i+4:]))
	}
	return preds, nil
}

// Infer runs a raw input tensor through mn_infer and returns the raw output
// tensor.
func (md *Model) Infer(raw []byte) ([]byte, error) {
	return md.call("mn_infer", raw)
}

// Embed returns mn_embed's feature vector for an RGBA frame.
func (md *Model) Embed(rgba []byte, w, h, stride int) ([]float32, error) {
	b, err := md.call("mn_embed", rgba, frame(w, h, stride)...)
	if err != nil {
		return nil, err
	}
	n, err := records("mn_embed", b, 4)
	if err != nil {
		return nil, err
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// limitedBuffer keeps the first max bytes written to it (the guest's
// stderr, for error messages).
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

// Write keeps what fits and reports everything written.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// String returns what was kept.
func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
