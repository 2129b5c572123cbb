package wasmmod

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
	"mobilenet-wasm/wasm/sharedmem"
)

// Kernel threads under wazero (package mobilenet-wasm/wasm, "Kernel
// threads"): with Config.Threads above 1, the engine's memory is shared
// (its bytes rewritten by package sharedmem, wazero's threads feature on),
// Threads-1 more instances of simd.wasm run on it, each driven by a
// goroutine of its own, and simd_parallel hands parts 1.. of a layer to
// them, runs part 0 on the first instance, then runs itself every part
// that no worker has started yet (a worker the Go scheduler has not run,
// on a busy machine, costs nothing but its part), and waits for the
// others. The Go runtime inside engine.wasm stays on the calling
// goroutine.

// kernelWorker is one extra simd.wasm instance and the goroutine that
// calls it.
type kernelWorker struct {
	fns   []api.Function // by kernel number (registry order)
	stack []uint64
	jobs  chan kernelJob
	// pending is the number of the job offered to the worker and not yet
	// started, 0 when none: whoever swaps it to 0 first (the worker, or
	// the caller taking the part back) runs the part.
	pending atomic.Uint64
}

// kernelJob is one part for a worker; seq numbers the jobs of a Module.
type kernelJob struct {
	ctx    context.Context
	kernel uint32
	args   uint32
	seq    uint64
}

// threadState is a Module's kernel threads: the first instance's kernels
// by number, the workers, and the channel their results come back on.
type threadState struct {
	n       int // kernel instances, 1 without threads
	own     []api.Function
	stack   []uint64
	workers []*kernelWorker
	done    chan error // the error of each part a worker ran
	stop    sync.Once
	calls   int    // simd_parallel calls
	seq     uint64 // the last job's number
}

// sharedCopies caches the shared-memory copies of the modules a process
// opens with threads (keyed by the original's first byte, length and
// maximum), so that each is rewritten and compiled once.
var sharedCopies sync.Map

type sharedKey struct {
	first *byte
	n     int
	max   uint32
}

// shared returns wasm with its memory shared, maximum maxPages.
func shared(wasm []byte, maxPages uint32) ([]byte, error) {
	if len(wasm) == 0 {
		return wasm, nil
	}
	k := sharedKey{&wasm[0], len(wasm), maxPages}
	if b, ok := sharedCopies.Load(k); ok {
		return b.([]byte), nil
	}
	b, err := sharedmem.Share(wasm, maxPages)
	if err != nil {
		return nil, fmt.Errorf("host: sharing the module's memory for threads: %w", err)
	}
	sharedCopies.Store(k, b)
	return b, nil
}

// kernelsByNumber looks up every kernel of an instance of simd.wasm by its
// number, the registry's order (what simd_parallel passes).
func kernelsByNumber(k api.Module) ([]api.Function, error) {
	fns := make([]api.Function, len(simd.Variants))
	for i, v := range simd.Variants {
		if fns[i] = k.ExportedFunction(v.Name()); fns[i] == nil {
			return nil, fmt.Errorf("host: simd.wasm does not export %s (stale simd.wasm or engine.wasm?)", v.Name())
		}
	}
	return fns, nil
}

// startThreads sets up n kernel instances: first is the one linkSIMD
// instantiated; it instantiates n-1 more of simdWasm and starts their
// goroutines (stopped by stopThreads).
func (m *Module) startThreads(first api.Module, simdWasm []byte, n int) error {
	own, err := kernelsByNumber(first)
	if err != nil {
		return err
	}
	t := &threadState{n: n, own: own, stack: make([]uint64, 1), done: make(chan error, n)}
	m.threads = t
	for range n - 1 {
		k, err := m.rt.InstantiateWithConfig(m.ctx, simdWasm, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			return fmt.Errorf("host: instantiating a kernel thread's simd.wasm: %w", err)
		}
		fns, err := kernelsByNumber(k)
		if err != nil {
			return err
		}
		w := &kernelWorker{fns: fns, stack: make([]uint64, 1), jobs: make(chan kernelJob, 1)}
		t.workers = append(t.workers, w)
		go w.run(t.done)
	}
	return nil
}

// run calls the worker's kernels until its jobs channel closes.
func (w *kernelWorker) run(done chan<- error) {
	for j := range w.jobs {
		if !w.pending.CompareAndSwap(j.seq, 0) {
			continue // the caller took the part back
		}
		w.stack[0] = uint64(j.args)
		done <- w.fns[j.kernel].CallWithStack(j.ctx, w.stack)
	}
}

// stopThreads ends the workers' goroutines.
func (m *Module) stopThreads() {
	t := m.threads
	if t == nil {
		return
	}
	t.stop.Do(func() {
		for _, w := range t.workers {
			close(w.jobs)
		}
	})
}

// Threads is the number of kernel instances that run a layer's parts at
// once: Config.Threads, or 1 without threads (or without SIMD).
func (m *Module) Threads() int {
	if m.threads == nil {
		return 1
	}
	return m.threads.n
}

// ParallelCalls is how many layers ran split across the kernel threads
// so far (simd_parallel calls).
func (m *Module) ParallelCalls() int {
	if m.threads == nil {
		return 0
	}
	return m.threads.calls
}

// parallel is the simd_parallel import: run the kernel numbered
// stack[0] on the stack[2] argument blocks listed at stack[1], one per
// instance, and wait for all. A bad request traps, as a kernel's trap does.
func (m *Module) parallel(ctx context.Context, stack []uint64) {
	t := m.threads
	kernel, jobs, n := uint32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if t == nil || n < 2 || int(n) > t.n || int(kernel) >= len(t.own) {
		panic(fmt.Sprintf("host: simd_parallel(%d, %#x, %d): want 2 to %d parts of one of %d kernels", kernel, jobs, n, m.Threads(), len(simd.Variants)))
	}
	blocks, ok := m.mem.Read(jobs, 4*n)
	if !ok {
		panic(fmt.Sprintf("host: simd_parallel: %d job addresses at %#x, outside the memory", n, jobs))
	}
	name := simd.Variants[kernel].Name()
	if err := ctxErr(ctx); err != nil {
		panic(fmt.Sprintf("host: stopping at the SIMD kernel %s: %v", name, err))
	}
	var start time.Time
	if m.prof != nil {
		start = time.Now()
	}
	t.calls++
	args0 := binary.LittleEndian.Uint32(blocks)
	for i := range n - 1 {
		t.seq++
		w := t.workers[i]
		w.pending.Store(t.seq)
		select {
		case w.jobs <- kernelJob{ctx: ctx, kernel: kernel, args: binary.LittleEndian.Uint32(blocks[4*(i+1):]), seq: t.seq}:
		default: // the worker has not even received its previous job: the part stays pending, for the caller
		}
	}
	t.stack[0] = uint64(args0)
	err := t.own[kernel].CallWithStack(ctx, t.stack)
	waits := 0
	for i := range n - 1 {
		w := t.workers[i]
		if seq := w.pending.Load(); seq == 0 || !w.pending.CompareAndSwap(seq, 0) {
			waits++ // the worker runs it
			continue
		}
		t.stack[0] = uint64(binary.LittleEndian.Uint32(blocks[4*(i+1):]))
		if e := t.own[kernel].CallWithStack(ctx, t.stack); e != nil && err == nil {
			err = e
		}
	}
	for range waits {
		if e := <-t.done; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		panic(fmt.Sprintf("host: SIMD kernel %s: %v", name, err))
	}
	if m.prof != nil {
		m.prof.add(m, name, args0, time.Since(start))
	}
}

// threadsRuntimeConfig is rc with wazero's threads feature (shared
// memories, atomics) on.
func threadsRuntimeConfig(rc wazero.RuntimeConfig) wazero.RuntimeConfig {
	return rc.WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesThreads)
}

// sharedPages is the maximum of a threaded instance's shared memory: its
// memory limit, else abi.SharedMemoryMaxPages.
func sharedPages(limit uint32) uint32 {
	if limit > 0 {
		return limit
	}
	return abi.SharedMemoryMaxPages
}
