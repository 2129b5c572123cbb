// Package sharedmem rewrites a WebAssembly binary's linear memory into a
// shared one (the threads proposal's limits flag 0x03, with a maximum):
// the post-link step that gives engine.wasm a memory several kernel
// instances can run on at once, and simd.wasm a memory import that links
// to it. A wasm memory's sharedness is part of its type, so an unshared
// engine and a shared one are two binaries; build.sh writes the shared
// copies next to the others (site/engine-threads.wasm,
// site/simd-threads.wasm), and the wazero host rewrites its embedded
// module the same way when it runs threads.
//
// Only the limits change: every other byte of the module is copied as it
// is. The Go runtime inside engine.wasm runs unchanged on a shared memory
// (it grows it with memory.grow up to the maximum, and uses no atomics:
// its goroutines stay on one thread).
//
// This package is not a wasm validator: it reads the section headers, the
// import section and the memory section, and nothing else.
package sharedmem

import (
	"errors"
	"fmt"

	"mobilenet-wasm/wasm/wasmbin"
)

// Limits are a memory's limits, in 64 KiB pages.
type Limits struct {
	Min, Max uint32
	HasMax   bool
	Shared   bool
	Imported bool // an import (else defined by the module)
}

// Share returns a copy of wasm whose memories, defined or imported, are
// shared with a maximum of maxPages pages. It fails when the module has no
// memory or a memory's minimum exceeds maxPages.
func Share(wasm []byte, maxPages uint32) ([]byte, error) {
	out, n, err := walk(wasm, func(l *Limits) error {
		if l.Min > maxPages {
			return fmt.Errorf("sharedmem: the memory's minimum of %d pages exceeds the maximum %d", l.Min, maxPages)
		}
		l.Max, l.HasMax, l.Shared = maxPages, true, true
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("sharedmem: the module has no memory")
	}
	return out, nil
}

// Memories returns the limits of wasm's memories, imports first.
func Memories(wasm []byte) ([]Limits, error) {
	var ls []Limits
	_, _, err := walk(wasm, func(l *Limits) error {
		ls = append(ls, *l)
		return nil
	})
	return ls, err
}

// walk copies wasm, passing each memory's limits to edit and writing them
// back as edit leaves them; it returns the copy and the number of memories.
func walk(wasm []byte, edit func(*Limits) error) ([]byte, int, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, 0, fmt.Errorf("sharedmem: %w", err)
	}
	out := append([]byte(nil), wasmbin.Magic...)
	mems := 0
	for _, s := range secs {
		body := s.Body
		if s.ID == wasmbin.SecImport || s.ID == wasmbin.SecMemory {
			nb, n, err := section(s, edit)
			if err != nil {
				return nil, 0, err
			}
			body = nb
			mems += n
		}
		out = wasmbin.AppendSection(out, s.ID, body)
	}
	return out, mems, nil
}

// section rewrites the limits of every memory in an import or memory
// section's body.
func section(s wasmbin.Section, edit func(*Limits) error) ([]byte, int, error) {
	r := s.Reader()
	count := r.U32()
	out := wasmbin.AppendU32(nil, count)
	mems := 0
	// memory reads and edits one memory's limits, appending them to out.
	memory := func(imported bool) error {
		l := r.Limits()
		if r.Err() != nil {
			return fmt.Errorf("sharedmem: %w", r.Err())
		}
		sl := Limits{Min: l.Min, Max: l.Max, HasMax: l.HasMax, Shared: l.Shared, Imported: imported}
		if err := edit(&sl); err != nil {
			return err
		}
		out = wasmbin.AppendLimits(out, wasmbin.Limits{Min: sl.Min, Max: sl.Max, HasMax: sl.HasMax, Shared: sl.Shared})
		mems++
		return nil
	}
	for range count {
		if s.ID == wasmbin.SecMemory {
			if err := memory(false); err != nil {
				return nil, 0, err
			}
			continue
		}
		start := r.Pos()
		if kind := r.Import(); kind != wasmbin.KindMemory {
			r.SkipDesc(kind)
			out = append(out, s.Body[start:r.Pos()]...)
			continue
		}
		out = append(out, s.Body[start:r.Pos()]...)
		if err := memory(true); err != nil {
			return nil, 0, err
		}
	}
	if r.Err() != nil {
		return nil, 0, fmt.Errorf("sharedmem: %w", r.Err())
	}
	if r.Len() != 0 {
		return nil, 0, fmt.Errorf("sharedmem: %d stray bytes after section %d", r.Len(), s.ID)
	}
	return out, mems, nil
}
