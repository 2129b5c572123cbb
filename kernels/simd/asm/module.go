// Package asm is a small WebAssembly binary encoder written as an assembler
// DSL, for the generator of the SIMD kernel module (see package
// mobilenet-wasm/kernels/simd). It knows the few sections the kernels need
// (types, one imported memory, functions, exports, code, names) and the
// core and 0xFD-prefixed SIMD instructions they use.
//
// Code is written as expressions and statements. An expression (a Val) is a
// tree that leaves one value on the operand stack when a statement emits it;
// a statement (a method of Func) emits its operands then its own opcode:
//
//	acc := f.Local(asm.V128, "acc")
//	f.Set(acc, asm.I32x4Add(acc, asm.I32x4DotI16x8S(x, w)))
//	f.V128Store(out, 0, acc)
//
// Loops and tile sizes are ordinary Go: unrolling is a Go for loop, and
// invalid combinations panic, as in avo. Operand types are checked when an
// expression is built, so most mistakes panic in the generator rather than
// failing validation later.
//
// It is not a general-purpose toolkit: no tables, globals, data segments
// or multi-value blocks, and only the instructions listed in this package.
// Spec: https://webassembly.github.io/spec/core/binary/index.html and the
// fixed-width SIMD proposal's binary opcodes.
package asm

import (
	"fmt"
	"slices"

	"mobilenet-wasm/wasm/wasmbin"
)

// ValType is a WebAssembly value type.
type ValType byte

// The value types.
const (
	I32  ValType = 0x7f
	I64  ValType = 0x7e
	F32  ValType = 0x7d
	F64  ValType = 0x7c
	V128 ValType = 0x7b
)

// String names t as the text format does.
func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	}
	return fmt.Sprintf("valtype(%#x)", byte(t))
}

// Module collects functions and encodes them as one binary module.
type Module struct {
	memModule, memName string
	memMin             uint32
	hasMem             bool
	defMem             bool   // defines (rather than imports) its memory
	memExport          string // export name of a defined memory
	funcs              []*Func
	types              []funcType
}

type funcType struct{ params, results []ValType }

// NewModule returns an empty module.
func NewModule() *Module { return &Module{} }

// ImportMemory declares the module's linear memory as the import
// module.name with at least minPages 64 KiB pages and no maximum.
func (m *Module) ImportMemory(module, name string, minPages uint32) {
	m.memModule, m.memName, m.memMin, m.hasMem = module, name, minPages, true
}

// DefineMemory gives the module its own memory of minPages pages, exported
// as export (hosts use such a module to provide a memory to import).
func (m *Module) DefineMemory(minPages uint32, export string) {
	m.memMin, m.memExport, m.defMem = minPages, export, true
}

// Func starts a function. A non-empty export name exports it under that
// name; name is used for the names section (wasm2wat, profilers).
func (m *Module) Func(name, export string, params, results []ValType) *Func {
	f := &Func{m: m, idx: uint32(len(m.funcs)), name: name, export: export,
		params: slices.Clone(params), results: slices.Clone(results)}
	for i, t := range params {
		f.localNames = append(f.localNames, fmt.Sprintf("p%d", i))
		_ = t
	}
	m.funcs = append(m.funcs, f)
	return f
}

func (m *Module) typeIndex(params, results []ValType) uint32 {
	for i, t := range m.types {
		if slices.Equal(t.params, params) && slices.Equal(t.results, results) {
			return uint32(i)
		}
	}
	m.types = append(m.types, funcType{params, results})
	return uint32(len(m.types) - 1)
}

// Encode returns the binary module. Every function must be finished
// (Func.End) and every export name unique.
func (m *Module) Encode() []byte {
	var typeIdx []uint32
	for _, f := range m.funcs {
		if !f.ended {
			panic(fmt.Sprintf("asm: function %s not ended", f.name))
		}
		typeIdx = append(typeIdx, m.typeIndex(f.params, f.results))
	}
	out := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

	var s []byte
	s = wasmbin.AppendU32(s, uint32(len(m.types)))
	for _, t := range m.types {
		s = append(s, 0x60)
		s = wasmbin.AppendU32(s, uint32(len(t.params)))
		for _, p := range t.params {
			s = append(s, byte(p))
		}
		s = wasmbin.AppendU32(s, uint32(len(t.results)))
		for _, r := range t.results {
			s = append(s, byte(r))
		}
	}
	out = wasmbin.AppendSection(out, 1, s)

	if m.hasMem {
		s = wasmbin.AppendU32(nil, 1)
		s = appendName(s, m.memModule)
		s = appendName(s, m.memName)
		s = append(s, 0x02, 0x00) // memory, limits without maximum
		s = wasmbin.AppendU32(s, m.memMin)
		out = wasmbin.AppendSection(out, 2, s)
	}

	s = wasmbin.AppendU32(nil, uint32(len(m.funcs)))
	for _, ti := range typeIdx {
		s = wasmbin.AppendU32(s, ti)
	}
	out = wasmbin.AppendSection(out, 3, s)

	if m.defMem {
		s = wasmbin.AppendU32(nil, 1)
		s = append(s, 0x00)
		s = wasmbin.AppendU32(s, m.memMin)
		out = wasmbin.AppendSection(out, 5, s)
	}

	seen := map[string]bool{}
	var exports []*Func
	for _, f := range m.funcs {
		if f.export == "" {
			continue
		}
		if seen[f.export] {
			panic("asm: duplicate export " + f.export)
		}
		seen[f.export] = true
		exports = append(exports, f)
	}
	nexp := len(exports)
	if m.defMem {
		nexp++
	}
	s = wasmbin.AppendU32(nil, uint32(nexp))
	if m.defMem {
		s = appendName(s, m.memExport)
		s = append(s, 0x02, 0x00)
	}
	for _, f := range exports {
		s = appendName(s, f.export)
		s = append(s, 0x00)
		s = wasmbin.AppendU32(s, f.idx)
	}
	out = wasmbin.AppendSection(out, 7, s)

	s = wasmbin.AppendU32(nil, uint32(len(m.funcs)))
	for _, f := range m.funcs {
		s = appendBytes(s, f.encodeBody())
	}
	out = wasmbin.AppendSection(out, 10, s)

	// Custom "name" section: function names (1) and local names (2).
	var fn []byte
	fn = wasmbin.AppendU32(fn, uint32(len(m.funcs)))
	for _, f := range m.funcs {
		fn = wasmbin.AppendU32(fn, f.idx)
		fn = appendName(fn, f.name)
	}
	var ln []byte
	ln = wasmbin.AppendU32(ln, uint32(len(m.funcs)))
	for _, f := range m.funcs {
		ln = wasmbin.AppendU32(ln, f.idx)
		ln = wasmbin.AppendU32(ln, uint32(len(f.localNames)))
		for i, n := range f.localNames {
			ln = wasmbin.AppendU32(ln, uint32(i))
			ln = appendName(ln, n)
		}
	}
	s = appendName(nil, "name")
	s = append(s, 1)
	s = appendBytes(s, fn)
	s = append(s, 2)
	s = appendBytes(s, ln)
	out = wasmbin.AppendSection(out, 0, s)
	return out
}

func appendBytes(out, b []byte) []byte {
	out = wasmbin.AppendU32(out, uint32(len(b)))
	return append(out, b...)
}

func appendName(out []byte, s string) []byte { return appendBytes(out, []byte(s)) }

// ReplaceImportSection returns a copy of the binary module wasm whose memory
// import is renamed to module.name. It walks the sections, so it works on any
// module Encode made (and any module whose import section holds one memory).
func ReplaceImportSection(wasm []byte, module, name string) ([]byte, error) {
	sections, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, fmt.Errorf("asm: %w", err)
	}
	out := slices.Clone(wasm[:len(wasmbin.Magic)])
	for _, sec := range sections {
		if sec.ID != 2 {
			out = append(out, sec.Raw...)
			continue
		}
		// Expect exactly one memory import.
		r := sec.Reader()
		if cnt := r.U32(); cnt != 1 {
			return nil, fmt.Errorf("asm: %d imports, want 1 memory", cnt)
		}
		r.Name() // module
		r.Name() // name
		if r.Err() != nil || r.Len() == 0 || sec.Body[r.Pos()] != 0x02 {
			return nil, fmt.Errorf("asm: the import is not a memory")
		}
		s := wasmbin.AppendU32(nil, 1)
		s = appendName(s, module)
		s = appendName(s, name)
		s = append(s, sec.Body[r.Pos():]...)
		out = wasmbin.AppendSection(out, 2, s)
	}
	return out, nil
}
