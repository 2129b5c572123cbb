package wasmmod

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
)

// linkSIMD provides the module's "simd" imports (package kernels/simd; the
// linking steps are in package mobilenet-wasm/wasm's comment) as a host
// module of forwarders, before the engine is instantiated, and returns the
// second step, to run once it is: instantiate simdWasm on the engine's
// memory (which Open names abi.SIMDMemoryModule, as simd.wasm imports it)
// and point the forwarders at its exports. With simdWasm nil the imports
// are stubs instead, as a host without SIMD gives: simd_abi_version
// answers 0 ("not linked") and a kernel called anyway traps with a
// message. Import modules other than WASI and "simd" are refused.
//
// The kernel-thread imports (abi.SIMDThreadsImport, abi.SIMDParallelImport)
// are the host's own: simd_threads answers threads (1 without simd.wasm),
// and with threads above 1 the second step also starts the kernel
// threads (threads.go) that simd_parallel runs parts on.
func (m *Module) linkSIMD(compiled wazero.CompiledModule, simdWasm []byte, threads int) (func() error, error) {
	var fns []api.FunctionDefinition
	for _, f := range compiled.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch mod {
		case wasi_snapshot_preview1.ModuleName:
		case abi.SIMDImportModule:
			fns = append(fns, f)
		default:
			return nil, fmt.Errorf("host: the module imports %s.%s, which this host does not provide", mod, name)
		}
	}
	none := func() error { return nil }
	if len(fns) == 0 {
		return none, nil
	}
	b := m.rt.NewHostModuleBuilder(abi.SIMDImportModule)
	var kernelNames []string
	for _, f := range fns {
		_, name, _ := f.Import()
		results := f.ResultTypes()
		switch name {
		case abi.SIMDThreadsImport:
			b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
				stack[0] = api.EncodeI32(int32(m.Threads()))
			}), f.ParamTypes(), results).Export(name)
			continue
		case abi.SIMDParallelImport:
			b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
				m.parallel(ctx, stack)
			}), f.ParamTypes(), results).Export(name)
			continue
		}
		kernelNames = append(kernelNames, name)
		fn := api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			k := m.kernels[name]
			if k == nil {
				if name != abi.SIMDVersionExport {
					panic(fmt.Sprintf("host: the engine called the SIMD kernel %s, but this host did not link simd.wasm (simd_abi_version is 0)", name))
				}
				for i := range results {
					stack[i] = 0
				}
				return
			}
			// The call's context, checked once a layer: a trap stops a call
			// whose deadline passed (Module.call reports the context's error).
			if err := ctxErr(ctx); err != nil {
				panic(fmt.Sprintf("host: stopping at the SIMD kernel %s: %v", name, err))
			}
			var start time.Time
			var arg uint64
			if m.prof != nil {
				start, arg = time.Now(), stack[0]
			}
			if err := k.CallWithStack(ctx, stack); err != nil {
				panic(fmt.Sprintf("host: SIMD kernel %s: %v", name, err))
			}
			if m.prof != nil && name != abi.SIMDVersionExport {
				m.prof.add(m, name, uint32(arg), time.Since(start))
			}
		})
		b.NewFunctionBuilder().WithGoModuleFunction(fn, f.ParamTypes(), results).Export(name)
	}
	if _, err := b.Instantiate(m.ctx); err != nil {
		return nil, fmt.Errorf("host: providing the %s imports: %w", abi.SIMDImportModule, err)
	}
	if simdWasm == nil {
		return none, nil
	}
	return func() error {
		// Anonymous: nothing imports from it by name.
		k, err := m.rt.InstantiateWithConfig(m.ctx, simdWasm, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			return fmt.Errorf("host: instantiating simd.wasm on the engine's memory: %w", err)
		}
		kernels := map[string]api.Function{}
		for _, name := range kernelNames {
			e := k.ExportedFunction(name)
			if e == nil {
				return fmt.Errorf("host: simd.wasm does not export %s, which the engine imports (stale simd.wasm or engine.wasm?)", name)
			}
			kernels[name] = e
		}
		m.kernels = kernels
		if threads > 1 {
			return m.startThreads(k, simdWasm, threads)
		}
		return nil
	}, nil
}

// SIMD reports whether the module's SIMD kernels are linked and whether it
// runs them (mn_simd).
func (m *Module) SIMD() (linked, enabled bool, err error) {
	r, err := m.call("mn_simd")
	return int32(r) >= abi.SIMDOff, int32(r) == abi.SIMDOn, err
}

// SetSIMD switches the module between its SIMD and portable kernels
// (mn_set_simd), for A/B runs in one instance.
func (m *Module) SetSIMD(on bool) error {
	v := uint64(0)
	if on {
		v = 1
	}
	return m.status("mn_set_simd", v)
}

// KernelCall is one SIMD kernel call site of a profile: a kernel and its
// argument block (one layer of one loaded model), with the time spent in it.
type KernelCall struct {
	Name  string        // the variant, e.g. qu8_gemm_fp32_2x8c8__wasmsimd
	Args  []byte        // the argument block at the first call
	Calls int           // calls
	Time  time.Duration // total time in the kernel, host-measured
}

// Shape describes the layer from the argument block: the tensor shapes and
// filter of the call.
func (c KernelCall) Shape() string {
	v := simd.Lookup(c.Name)
	if v == nil {
		return "?"
	}
	r := bytes.NewReader(c.Args)
	switch v.Op {
	case simd.OpGEMM:
		var a simd.GEMMArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return fmt.Sprintf("1x1 %d px, %d->%d ch", a.Rows, a.K, a.N)
		}
	case simd.OpDWConv:
		var a simd.DWArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return fmt.Sprintf("3x3/%d %dx%dx%d->%dx%d", v.Stride, a.InH, a.InW, a.C, a.OutH, a.OutW)
		}
	case simd.OpConv:
		var a simd.ConvArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return fmt.Sprintf("%dx%d/%d %dx%dx%d->%dx%dx%d", a.KH, a.KW, a.StrideH, a.InH, a.InW, a.C, a.OutH, a.OutW, a.OutC)
		}
	case simd.OpAvgPool:
		var a simd.PoolArgs
		if binary.Read(r, binary.LittleEndian, &a) == nil {
			return fmt.Sprintf("%dx%d %dx%dx%d->%dx%d", a.FH, a.FW, a.InH, a.InW, a.C, a.OutH, a.OutW)
		}
	}
	return "?"
}

type kernelProfile struct {
	order []string
	calls map[string]*KernelCall
}

func (p *kernelProfile) add(m *Module, name string, args uint32, d time.Duration) {
	key := fmt.Sprintf("%s@%d", name, args)
	c := p.calls[key]
	if c == nil {
		c = &KernelCall{Name: name}
		if b, ok := m.mem.Read(args, 128); ok {
			c.Args = bytes.Clone(b)
		}
		p.calls[key] = c
		p.order = append(p.order, key)
	}
	c.Calls++
	c.Time += d
}

// StartProfile starts timing every SIMD kernel call (from the host side:
// the time includes one host-call round trip), discarding earlier data.
func (m *Module) StartProfile() {
	m.prof = &kernelProfile{calls: map[string]*KernelCall{}}
}

// StopProfile stops timing and returns the call sites in first-call
// order (for one model, its layers in execution order).
func (m *Module) StopProfile() []KernelCall {
	p := m.prof
	m.prof = nil
	if p == nil {
		return nil
	}
	out := make([]KernelCall, len(p.order))
	for i, k := range p.order {
		out[i] = *p.calls[k]
	}
	return out
}
