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
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Limits are a memory's limits, in 64 KiB pages.
type Limits struct {
	Min, Max uint32
	HasMax   bool
	Shared   bool
	Imported bool // an import (else defined by the module)
}

const (
	secImport = 2
	secMemory = 5

	flagMax    = 0x01
	flagShared = 0x02
)

var magic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

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
	if len(wasm) < len(magic) || !bytes.Equal(wasm[:len(magic)], magic) {
		return nil, 0, errors.New("sharedmem: not a WebAssembly 1.0 binary")
	}
	out := bytes.Clone(wasm[:len(magic)])
	mems := 0
	r := &reader{b: wasm, off: len(magic)}
	for r.off < len(r.b) {
		id := r.byte()
		size := r.u32()
		if r.err != nil || uint64(r.off)+uint64(size) > uint64(len(r.b)) {
			return nil, 0, fmt.Errorf("sharedmem: truncated section at byte %d", r.off)
		}
		body := r.b[r.off : r.off+int(size)]
		r.off += int(size)
		if id != secImport && id != secMemory {
			out = append(out, id)
			out = binary.AppendUvarint(out, uint64(size))
			out = append(out, body...)
			continue
		}
		nb, n, err := section(id, body, edit)
		if err != nil {
			return nil, 0, err
		}
		mems += n
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(nb)))
		out = append(out, nb...)
	}
	return out, mems, nil
}

// section rewrites the limits of every memory in an import or memory
// section's body.
func section(id byte, body []byte, edit func(*Limits) error) ([]byte, int, error) {
	r := &reader{b: body}
	count := r.u32()
	out := binary.AppendUvarint(nil, uint64(count))
	mems := 0
	for range count {
		start := r.off
		if id == secImport {
			r.name()
			r.name()
			kind := r.byte()
			switch kind {
			case 0x00: // function: type index
				r.u32()
			case 0x01: // table: reference type, limits
				r.byte()
				r.limits()
			case 0x03: // global: value type, mutability
				r.byte()
				r.byte()
			case 0x04: // tag: attribute, type index
				r.byte()
				r.u32()
			case 0x02: // memory
				out = append(out, body[start:r.off]...)
				l := r.limits()
				l.Imported = true
				if r.err != nil {
					return nil, 0, r.err
				}
				if err := edit(&l); err != nil {
					return nil, 0, err
				}
				out = appendLimits(out, l)
				mems++
				continue
			default:
				return nil, 0, fmt.Errorf("sharedmem: import of unknown kind %#x", kind)
			}
			out = append(out, body[start:r.off]...)
			continue
		}
		l := r.limits()
		if r.err != nil {
			return nil, 0, r.err
		}
		if err := edit(&l); err != nil {
			return nil, 0, err
		}
		out = appendLimits(out, l)
		mems++
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if r.off != len(body) {
		return nil, 0, fmt.Errorf("sharedmem: %d stray bytes after section %d", len(body)-r.off, id)
	}
	return out, mems, nil
}

func appendLimits(b []byte, l Limits) []byte {
	var flags byte
	if l.HasMax {
		flags |= flagMax
	}
	if l.Shared {
		flags |= flagShared
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(l.Min))
	if l.HasMax {
		b = binary.AppendUvarint(b, uint64(l.Max))
	}
	return b
}

// reader reads the module's LEB128 and byte fields, keeping the first
// error.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("sharedmem: bad %s at byte %d", what, r.off)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("byte")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || n > 5 || v > 1<<32-1 {
		r.fail("u32")
		return 0
	}
	r.off += n
	return uint32(v)
}

func (r *reader) name() {
	n := r.u32()
	if r.err == nil && uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		r.fail("name")
		return
	}
	r.off += int(n)
}

func (r *reader) limits() Limits {
	flags := r.byte()
	if flags&^(flagMax|flagShared) != 0 {
		r.fail("limits flags (64-bit memories are not supported)")
	}
	l := Limits{Min: r.u32(), HasMax: flags&flagMax != 0, Shared: flags&flagShared != 0}
	if l.HasMax {
		l.Max = r.u32()
	}
	return l
}
