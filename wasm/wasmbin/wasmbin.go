// Package wasmbin reads and writes the few parts of the WebAssembly binary
// format that this project's post-link steps rewrite (package sharedmem's
// memory limits, package datapack's data segments): the module's
// top-level sections, LEB128 numbers, names, limits and import entries.
// It is not a validator, and it decodes no code.
//
// Reading never panics on a malformed binary: a Reader keeps the first
// error and every read after it returns zero, so a caller checks Err once
// after a run of reads. Error messages name the field and its byte offset
// in the module but no package: the caller prefixes its own.
package wasmbin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic is a WebAssembly 1.0 binary's first 8 bytes: the magic number and
// the version.
var Magic = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

// Section ids, and the kinds of an import.
const (
	SecCustom    = 0
	SecImport    = 2
	SecMemory    = 5
	SecCode      = 10
	SecData      = 11
	SecDataCount = 12

	KindFunc   = 0x00
	KindTable  = 0x01
	KindMemory = 0x02
	KindGlobal = 0x03
	KindTag    = 0x04
)

// Section is one top-level section of a module.
type Section struct {
	ID   byte
	Body []byte
	// Raw is the whole section as the binary holds it (id, size, body),
	// for copying it unchanged: linkers may pad the size's LEB128 to 5
	// bytes, which re-encoding would not keep.
	Raw []byte
	off int // Body's offset in the module
}

// Reader returns a Reader of the section's body whose error messages
// count bytes from the start of the module.
func (s Section) Reader() *Reader { return &Reader{b: s.Body, base: s.off} }

// Sections splits a module into its sections, checking the header and
// that every section lies within the binary (and nothing else: neither
// the ids nor their order).
func Sections(wasm []byte) ([]Section, error) {
	if !bytes.HasPrefix(wasm, Magic) {
		return nil, errors.New("not a WebAssembly 1.0 binary")
	}
	var ss []Section
	r := NewReader(wasm)
	r.off = len(Magic)
	for r.Len() > 0 {
		start := r.off
		id := r.Byte()
		size := r.U32()
		if r.err != nil || uint64(size) > uint64(r.Len()) {
			return nil, fmt.Errorf("truncated section at byte %d", start)
		}
		ss = append(ss, Section{ID: id, Body: wasm[r.off : r.off+int(size)], Raw: wasm[start : r.off+int(size)], off: r.off})
		r.off += int(size)
	}
	return ss, nil
}

// AppendSection appends a section with the given id and body.
func AppendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = AppendU32(b, uint32(len(body)))
	return append(b, body...)
}

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte { return binary.AppendUvarint(b, uint64(v)) }

// AppendS32 appends v as a signed LEB128, the encoding of i32.const's
// operand: 64 takes two bytes, since a one-byte 0x40 would be -64.
func AppendS32(b []byte, v int32) []byte { return AppendS64(b, int64(v)) }

// AppendS64 appends v as a signed LEB128 (i64.const's operand).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Reader reads a binary's fields in order, keeping the first error.
type Reader struct {
	b    []byte
	off  int
	base int // b's offset in the module, for error messages
	err  error
}

// NewReader returns a Reader of b, which error messages take for the
// start of the module.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err returns the first error a read met, or nil.
func (r *Reader) Err() error { return r.err }

// Pos returns the number of bytes read so far.
func (r *Reader) Pos() int { return r.off }

// Len returns the number of bytes left.
func (r *Reader) Len() int { return len(r.b) - r.off }

// Fail records a malformed field that starts at byte start of the reader
// (a Pos), unless an error came first; what names the field.
func (r *Reader) Fail(start int, what string) {
	if r.err == nil {
		r.err = fmt.Errorf("bad %s at byte %d", what, r.base+start)
	}
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.Fail(r.off, "byte")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// Bytes reads n bytes, returning a slice of the reader's binary.
func (r *Reader) Bytes(n uint32) []byte {
	if r.err != nil || uint64(n) > uint64(r.Len()) {
		r.Fail(r.off, "byte string")
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// U32 reads an unsigned LEB128 of at most 32 bits.
func (r *Reader) U32() uint32 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || n > 5 || v > 1<<32-1 {
		r.Fail(r.off, "u32")
		return 0
	}
	r.off += n
	return uint32(v)
}

// S32 reads a signed LEB128 of at most 32 bits.
func (r *Reader) S32() int32 {
	if r.err != nil {
		return 0
	}
	var v int64
	for i := 0; i < 5 && r.off+i < len(r.b); i++ {
		c := r.b[r.off+i]
		v |= int64(c&0x7f) << (7 * i)
		if c&0x80 != 0 {
			continue
		}
		if c&0x40 != 0 {
			v |= -1 << (7 * (i + 1)) // sign-extend
		}
		if v != int64(int32(v)) {
			break // a fifth byte whose unused bits do not extend the sign
		}
		r.off += i + 1
		return int32(v)
	}
	r.Fail(r.off, "s32")
	return 0
}

// Name reads a name: a length and that many bytes (not checked for UTF-8).
func (r *Reader) Name() string { return string(r.Bytes(r.U32())) }

// Limits are a table's or memory's limits: for a memory, in 64 KiB pages.
type Limits struct {
	Min, Max uint32
	HasMax   bool
	Shared   bool
}

const (
	limitsMax    = 0x01
	limitsShared = 0x02
)

// Limits reads limits, failing on 64-bit ones (flag 0x04), which this
// package does not support.
func (r *Reader) Limits() Limits {
	start := r.off
	flags := r.Byte()
	if flags&^(limitsMax|limitsShared) != 0 {
		r.Fail(start, "limits flags (64-bit memories are not supported)")
	}
	l := Limits{Min: r.U32(), HasMax: flags&limitsMax != 0, Shared: flags&limitsShared != 0}
	if l.HasMax {
		l.Max = r.U32()
	}
	return l
}

// AppendLimits appends l.
func AppendLimits(b []byte, l Limits) []byte {
	var flags byte
	if l.HasMax {
		flags |= limitsMax
	}
	if l.Shared {
		flags |= limitsShared
	}
	b = append(b, flags)
	b = AppendU32(b, l.Min)
	if l.HasMax {
		b = AppendU32(b, l.Max)
	}
	return b
}

// Import reads the start of an import section's entry, its module and
// field names, and returns its kind (KindFunc to KindTag, else it fails);
// the entry's description follows, for the caller to read or to skip
// with SkipDesc.
func (r *Reader) Import() (kind byte) {
	r.Name()
	r.Name()
	start := r.off
	kind = r.Byte()
	if kind > KindTag && r.err == nil {
		r.err = fmt.Errorf("import of unknown kind %#x at byte %d", kind, r.base+start)
	}
	return kind
}

// SkipDesc skips the description of an import of the given kind.
func (r *Reader) SkipDesc(kind byte) {
	start := r.off
	switch kind {
	case KindFunc: // type index
		r.U32()
	case KindTable: // reference type, limits
		r.Byte()
		r.Limits()
	case KindMemory:
		r.Limits()
	case KindGlobal: // value type, mutability
		r.Byte()
		r.Byte()
	case KindTag: // attribute, type index
		r.Byte()
		r.U32()
	default:
		r.Fail(start, "import description")
	}
}
