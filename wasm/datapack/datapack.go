// Package datapack merges a WebAssembly module's active data segments
// into fewer, larger ones: a post-link step that makes Go's wasm smaller
// on the wire.
//
// Go's linker (cmd/link/internal/wasm, writeDataSec) starts a new data
// segment after every run of 8 or more zero bytes, which saves raw bytes
// but costs compressed ones: tens of thousands of segment headers (flags,
// i32.const offset, end, length) compress poorly, while runs of zeros
// compress to almost nothing. Pack merges segments whose gap is at most
// maxGap bytes, writing the gap's zeros out; build.sh's figures show what
// that gains.
//
// Writing the zeros changes nothing the module does: its memory is
// created zeroed at instantiation, and the active segments are written
// into it before any code runs. That holds only for a memory the module
// defines, so Pack refuses a module that imports its memory, whose gaps
// may hold the importer's bytes.
//
// Every section but the data section and the DataCount section (which
// gets the new count) is copied byte for byte; Pack decodes no code.
package datapack

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"mobilenet-wasm/wasm/wasmbin"
)

// Stats counts a module's data segments before and after Pack.
type Stats struct {
	Before, After int
}

// segment is an active data segment of memory 0 at a constant address.
type segment struct {
	addr uint32 // i32.const's operand, taken as the unsigned address it is
	init []byte
}

func (s segment) end() uint64 { return uint64(s.addr) + uint64(len(s.init)) }

// Pack returns a copy of wasm whose active data segments are sorted by
// address and merged wherever the gap between one and the next is at
// most maxGap bytes.
//
// It takes only the segments Go's linker writes (active, memory 0, an
// i32.const offset; flags 0x00, or 0x02 with memory index 0) and
// refuses a module with any other. Leaving the others in place would not
// be safe: a passive segment is named by its index in code (memory.init,
// data.drop), which merging renumbers, and a segment whose address is
// only known at instantiation (global.get) may lie in a gap that the
// merged segment overwrites with zeros. Overlapping segments are refused
// too, since merging reorders them and the last write would change.
//
// Code that names an active segment by index (legal, but pointless: they
// are all dropped at instantiation) would not validate when the index is
// past the new count; Pack does not decode the code to rule that out.
func Pack(wasm []byte, maxGap int) ([]byte, Stats, error) {
	if maxGap < 0 {
		return nil, Stats{}, fmt.Errorf("datapack: negative gap %d", maxGap)
	}
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("datapack: %w", err)
	}
	data, count := -1, -1
	importsMemory := false
	for i, s := range secs {
		switch s.ID {
		case wasmbin.SecImport:
			m, err := hasMemoryImport(s)
			if err != nil {
				return nil, Stats{}, err
			}
			importsMemory = importsMemory || m
		case wasmbin.SecData, wasmbin.SecDataCount:
			p := &data
			if s.ID == wasmbin.SecDataCount {
				p = &count
			}
			if *p >= 0 {
				return nil, Stats{}, fmt.Errorf("datapack: two sections of id %d", s.ID)
			}
			*p = i
		}
	}
	var segs []segment
	if data >= 0 {
		if segs, err = readData(secs[data]); err != nil {
			return nil, Stats{}, err
		}
	}
	if count >= 0 {
		r := secs[count].Reader()
		n := r.U32()
		if r.Err() != nil || r.Len() != 0 {
			return nil, Stats{}, errors.New("datapack: bad DataCount section")
		}
		if uint64(n) != uint64(len(segs)) {
			return nil, Stats{}, fmt.Errorf("datapack: the DataCount section counts %d data segments, the data section has %d", n, len(segs))
		}
	}
	if importsMemory && len(segs) > 0 {
		return nil, Stats{}, errors.New("datapack: the module imports its memory: merged segments would overwrite the importer's bytes between them with zeros")
	}
	merged, err := merge(segs, maxGap)
	if err != nil {
		return nil, Stats{}, err
	}

	out := append(make([]byte, 0, len(wasm)), wasmbin.Magic...)
	for i, s := range secs {
		switch i {
		case data:
			out = wasmbin.AppendSection(out, s.ID, appendData(nil, merged))
		case count:
			out = wasmbin.AppendSection(out, s.ID, wasmbin.AppendU32(nil, uint32(len(merged))))
		default:
			out = append(out, s.Raw...)
		}
	}
	return out, Stats{Before: len(segs), After: len(merged)}, nil
}

// hasMemoryImport reports whether an import section imports a memory.
func hasMemoryImport(s wasmbin.Section) (bool, error) {
	r := s.Reader()
	found := false
	for n := r.U32(); n > 0 && r.Err() == nil; n-- {
		kind := r.Import()
		found = found || kind == wasmbin.KindMemory
		r.SkipDesc(kind)
	}
	if r.Err() != nil {
		return false, fmt.Errorf("datapack: import section: %w", r.Err())
	}
	return found, nil
}

// readData reads a data section's segments, refusing those Pack does not
// take.
func readData(s wasmbin.Section) ([]segment, error) {
	r := s.Reader()
	n := r.U32()
	// The count is the module's word: a hostile one must not size the slice.
	segs := make([]segment, 0, min(int64(n), int64(r.Len())/5))
	for i := uint32(0); i < n && r.Err() == nil; i++ {
		switch flags := r.U32(); {
		case r.Err() != nil:
		case flags == 0x01:
			return nil, fmt.Errorf("datapack: data segment %d is passive (code names it by index, which merging would change)", i)
		case flags == 0x02:
			if mem := r.U32(); mem != 0 && r.Err() == nil {
				return nil, fmt.Errorf("datapack: data segment %d is for memory %d (only memory 0 is packed)", i, mem)
			}
		case flags != 0x00:
			return nil, fmt.Errorf("datapack: data segment %d has unknown flags %#x", i, flags)
		}
		op := r.Byte()
		addr := r.S32()
		end := r.Byte()
		if r.Err() == nil && (op != 0x41 || end != 0x0b) {
			return nil, fmt.Errorf("datapack: data segment %d's offset is not an i32.const (only constant addresses are packed)", i)
		}
		segs = append(segs, segment{addr: uint32(addr), init: r.Bytes(r.U32())})
	}
	if r.Err() != nil {
		return nil, fmt.Errorf("datapack: data section: %w", r.Err())
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("datapack: %d stray bytes after the data section's segments", r.Len())
	}
	return segs, nil
}

// merge sorts segs by address and merges those at most maxGap bytes
// apart. An empty segment is kept, merged or not: instantiation checks
// its address against the memory's size, and a merged segment reaching
// as far checks the same.
func merge(segs []segment, maxGap int) ([]segment, error) {
	sorted := slices.Clone(segs)
	slices.SortStableFunc(sorted, func(a, b segment) int { return cmp.Compare(a.addr, b.addr) })
	var out []segment
	var group []segment // the segments the next merged one is made of
	var start, end uint64
	flush := func() {
		if len(group) == 1 {
			out = append(out, group[0])
			return
		}
		init := make([]byte, end-start)
		for _, g := range group {
			copy(init[uint64(g.addr)-start:], g.init)
		}
		out = append(out, segment{addr: uint32(start), init: init})
	}
	for _, s := range sorted {
		if len(group) > 0 {
			if uint64(s.addr) < end && len(s.init) > 0 {
				return nil, fmt.Errorf("datapack: two data segments overlap at address %#x", s.addr)
			}
			if uint64(s.addr) <= end+uint64(maxGap) {
				group = append(group, s)
				end = max(end, s.end())
				continue
			}
			flush()
		}
		group = append(group[:0], s)
		start, end = uint64(s.addr), s.end()
	}
	if len(group) > 0 {
		flush()
	}
	return out, nil
}

// appendData appends a data section's body holding segs, each with flags
// 0x00 (active, memory 0) and an i32.const offset.
func appendData(b []byte, segs []segment) []byte {
	b = wasmbin.AppendU32(b, uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0x00, 0x41)
		b = wasmbin.AppendS32(b, int32(s.addr))
		b = append(b, 0x0b)
		b = wasmbin.AppendU32(b, uint32(len(s.init)))
		b = append(b, s.init...)
	}
	return b
}
