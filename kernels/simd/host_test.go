package simd_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/kernels/simd/asm"
	"mobilenet-wasm/wasm/abi"
)

// host runs simd.wasm under wazero on a memory it provides: a one-line
// module named "engine" that exports "memory", the import simd.wasm
// expects, standing in for the engine. Buffers are bump-allocated with
// guard bytes on both sides; check verifies after a run that the variant
// wrote nothing but its outputs.
type host struct {
	tb    testing.TB
	ctx   context.Context
	rt    wazero.Runtime
	mem   api.Memory
	fns   map[string]api.Function
	top   uint32
	bufs  []hostBuf
	guard []byte
	// parts, when above 1, makes run split each layer into that many
	// parts (at most its MaxParts) and run them one after the other, as
	// kernel threads run them at once.
	parts int
}

// hostBuf is one allocation: its address, and its expected bytes unless it
// is an output.
type hostBuf struct {
	addr, n uint32
	want    []byte // nil for outputs
}

const guardLen = 32

var cache = sync.OnceValue(wazero.NewCompilationCache)

func newHost(tb testing.TB) *host {
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache()))
	tb.Cleanup(func() { rt.Close(ctx) })
	m := asm.NewModule()
	m.DefineMemory(4, abi.SIMDMemoryName)
	eng, err := rt.InstantiateWithConfig(ctx, m.Encode(), wazero.NewModuleConfig().WithName(abi.SIMDMemoryModule))
	require.NoError(tb, err)
	mod, err := rt.InstantiateWithConfig(ctx, simd.Module, wazero.NewModuleConfig().WithName("simd-kernels"))
	require.NoError(tb, err, "instantiating simd.wasm")
	h := &host{tb: tb, ctx: ctx, rt: rt, mem: eng.Memory(), fns: map[string]api.Function{}, guard: bytes.Repeat([]byte{0xa5}, guardLen)}
	for _, v := range simd.Variants {
		fn := mod.ExportedFunction(v.Name())
		require.NotNil(tb, fn, "simd.wasm does not export %s", v.Name())
		h.fns[v.Name()] = fn
	}
	h.reset()
	return h
}

// reset frees every buffer.
func (h *host) reset() {
	h.top = 64
	h.bufs = h.bufs[:0]
}

// alloc reserves n bytes (16-aligned) between guards and returns their
// address.
func (h *host) alloc(n int) uint32 {
	start := (h.top + 15) &^ 15
	addr := start + guardLen
	end := addr + uint32(n) + guardLen
	for h.mem.Size() < end+64 {
		_, ok := h.mem.Grow((end + 64 - h.mem.Size() + 65535) / 65536)
		require.True(h.tb, ok, "cannot grow the memory to %d bytes", end)
	}
	h.mem.Write(start, h.guard)
	h.mem.Write(addr+uint32(n), h.guard)
	h.top = end
	return addr
}

// put copies b into a new buffer that check expects unchanged.
func (h *host) put(b []byte) uint32 {
	a := h.alloc(len(b))
	h.mem.Write(a, b)
	h.bufs = append(h.bufs, hostBuf{a, uint32(len(b)), bytes.Clone(b)})
	return a
}

// output reserves an n-byte output buffer filled with 0xa5.
func (h *host) output(n int) uint32 {
	a := h.alloc(n)
	h.mem.Write(a, bytes.Repeat([]byte{0xa5}, n))
	h.bufs = append(h.bufs, hostBuf{a, uint32(n), nil})
	return a
}

// read returns n bytes at addr.
func (h *host) read(addr uint32, n int) []byte {
	b, ok := h.mem.Read(addr, uint32(n))
	require.True(h.tb, ok, "read %d bytes at %d: out of range", n, addr)
	return bytes.Clone(b)
}

// run binds l to x and out, copies its buffers and argument block in and
// calls its variant. Scratch buffers are outputs (the variant may write
// them).
func (h *host) run(l *simd.Layer, x, out uint32) error {
	l.Split(min(h.parts, l.MaxParts()))
	l.Bind(x, out, func(b []byte) uint32 {
		if len(l.Scratch) > 0 && &b[0] == &l.Scratch[0] {
			return h.output(len(b))
		}
		for _, s := range l.PartScratch {
			if &b[0] == &s[0] {
				return h.output(len(b))
			}
		}
		return h.put(b)
	})
	blocks := l.PartArgsBytes()
	if blocks == nil {
		blocks = [][]byte{l.ArgsBytes()}
	}
	for _, b := range blocks {
		if _, err := h.fns[l.V.Name()].Call(h.ctx, uint64(h.put(b))); err != nil {
			return err
		}
	}
	return nil
}

// check fails unless every guard and every input buffer is intact.
func (h *host) check() error {
	for _, b := range h.bufs {
		if g := h.read(b.addr-guardLen, guardLen); !bytes.Equal(g, h.guard) {
			return fmt.Errorf("guard bytes before the buffer at %d overwritten: % x", b.addr, g)
		}
		if g := h.read(b.addr+b.n, guardLen); !bytes.Equal(g, h.guard) {
			return fmt.Errorf("guard bytes after the %d-byte buffer at %d overwritten: % x", b.n, b.addr, g)
		}
		if b.want != nil && !bytes.Equal(h.read(b.addr, int(b.n)), b.want) {
			return fmt.Errorf("input buffer at %d (%d bytes) modified", b.addr, b.n)
		}
	}
	return nil
}
