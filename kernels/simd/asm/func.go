package asm

import (
	"fmt"
	"math"

	"mobilenet-wasm/wasm/wasmbin"
)

// Func is one function being assembled. Statements append to its body in
// the order they are called.
type Func struct {
	m               *Module
	idx             uint32
	name, export    string
	params, results []ValType
	locals          []ValType // declared locals, after the params
	localNames      []string
	code            []byte
	depth           int // open blocks, loops and ifs
	ended           bool
}

// Name is the function's name.
func (f *Func) Name() string { return f.name }

// Val is an expression: emitted, it leaves one value of Type on the stack.
type Val interface {
	Type() ValType
	emit(f *Func)
}

// Local is a parameter or local variable; as a Val it is local.get.
type Local struct {
	idx uint32
	t   ValType
	f   *Func
}

// Type is the local's type.
func (l Local) Type() ValType { return l.t }

func (l Local) emit(f *Func) {
	if l.f != f {
		panic(fmt.Sprintf("asm: local %d of %s used in %s", l.idx, l.f.name, f.name))
	}
	f.code = append(f.code, 0x20)
	f.code = wasmbin.AppendU32(f.code, l.idx)
}

// Param returns parameter i.
func (f *Func) Param(i int) Local { return Local{uint32(i), f.params[i], f} }

// Local declares a new local of type t (zero-initialised on entry); name
// goes to the names section.
func (f *Func) Local(t ValType, name string) Local {
	f.locals = append(f.locals, t)
	f.localNames = append(f.localNames, name)
	return Local{uint32(len(f.params) + len(f.locals) - 1), t, f}
}

// Locals declares n locals of type t named name0, name1, ...
func (f *Func) Locals(t ValType, name string, n int) []Local {
	ls := make([]Local, n)
	for i := range ls {
		ls[i] = f.Local(t, fmt.Sprintf("%s%d", name, i))
	}
	return ls
}

// expr is an instruction applied to operand expressions.
type expr struct {
	t    ValType
	args []Val
	code []byte
}

func (e *expr) Type() ValType { return e.t }

func (e *expr) emit(f *Func) {
	for _, a := range e.args {
		a.emit(f)
	}
	f.code = append(f.code, e.code...)
}

// op builds an expression of type t from opcode bytes code and operands
// args, whose types must be want (one entry per operand).
func op(t ValType, code []byte, want []ValType, args ...Val) Val {
	if len(want) != len(args) {
		panic(fmt.Sprintf("asm: opcode % x takes %d operands, got %d", code, len(want), len(args)))
	}
	for i, a := range args {
		if a == nil {
			panic(fmt.Sprintf("asm: opcode % x: operand %d is nil", code, i))
		}
		if a.Type() != want[i] {
			panic(fmt.Sprintf("asm: opcode % x: operand %d is %v, want %v", code, i, a.Type(), want[i]))
		}
	}
	return &expr{t: t, args: args, code: code}
}

// Drop evaluates v as a statement and drops its value.
func (f *Func) Drop(v Val) {
	v.emit(f)
	f.code = append(f.code, 0x1a)
}

// Set is local.set l v.
func (f *Func) Set(l Local, v Val) {
	if v.Type() != l.t {
		panic(fmt.Sprintf("asm: set %v local from %v", l.t, v.Type()))
	}
	v.emit(f)
	f.code = append(f.code, 0x21)
	f.code = wasmbin.AppendU32(f.code, l.idx)
}

// Inc adds the constant d to an i32 local.
func (f *Func) Inc(l Local, d int32) {
	if d != 0 {
		f.Set(l, I32Add(l, I32Const(d)))
	}
}

// Tee is local.tee: sets l to v and yields v.
func Tee(l Local, v Val) Val {
	return op(l.t, wasmbin.AppendU32([]byte{0x22}, l.idx), []ValType{l.t}, v)
}

// Label is a branch target: the end of a Block, the start of a Loop.
type Label struct{ depth int }

func (f *Func) open(code ...byte) Label {
	f.code = append(f.code, code...)
	f.code = append(f.code, 0x40) // empty block type
	f.depth++
	return Label{f.depth}
}

func (f *Func) close() {
	f.code = append(f.code, 0x0b)
	f.depth--
}

func (f *Func) rel(l Label) uint32 {
	if l.depth > f.depth || l.depth <= 0 {
		panic("asm: branch to a label that is not open")
	}
	return uint32(f.depth - l.depth)
}

// Block emits block ... end; body may branch to the label to leave it.
func (f *Func) Block(body func(end Label)) {
	l := f.open(0x02)
	body(l)
	f.close()
}

// Loop emits loop ... end; body may branch to the label to repeat.
func (f *Func) Loop(body func(top Label)) {
	l := f.open(0x03)
	body(l)
	f.close()
}

// If emits if cond then ... else ... end; els may be nil.
func (f *Func) If(cond Val, then func(), els func()) {
	if cond.Type() != I32 {
		panic("asm: if condition must be i32")
	}
	cond.emit(f)
	f.open(0x04)
	then()
	if els != nil {
		f.code = append(f.code, 0x05)
		els()
	}
	f.close()
}

// Br branches to l.
func (f *Func) Br(l Label) {
	f.code = append(f.code, 0x0c)
	f.code = wasmbin.AppendU32(f.code, f.rel(l))
}

// BrIf branches to l when cond (i32) is not zero.
func (f *Func) BrIf(l Label, cond Val) {
	if cond.Type() != I32 {
		panic("asm: br_if condition must be i32")
	}
	cond.emit(f)
	f.code = append(f.code, 0x0d)
	f.code = wasmbin.AppendU32(f.code, f.rel(l))
}

// Return returns from the function (values, if any, must be given).
func (f *Func) Return(vals ...Val) {
	for _, v := range vals {
		v.emit(f)
	}
	f.code = append(f.code, 0x0f)
}

// Unreachable traps.
func (f *Func) Unreachable() { f.code = append(f.code, 0x00) }

// Call calls g with args, as a statement (g must return nothing).
func (f *Func) Call(g *Func, args ...Val) {
	if len(g.results) != 0 {
		panic("asm: Call of a function with results; use CallVal")
	}
	callExpr(g, args).emit(f)
}

// CallVal calls g, which returns one value.
func CallVal(g *Func, args ...Val) Val {
	if len(g.results) != 1 {
		panic("asm: CallVal needs exactly one result")
	}
	return callExpr(g, args)
}

func callExpr(g *Func, args []Val) *expr {
	if len(args) != len(g.params) {
		panic(fmt.Sprintf("asm: call %s with %d arguments, want %d", g.name, len(args), len(g.params)))
	}
	for i, a := range args {
		if a.Type() != g.params[i] {
			panic(fmt.Sprintf("asm: call %s: argument %d is %v, want %v", g.name, i, a.Type(), g.params[i]))
		}
	}
	var t ValType
	if len(g.results) == 1 {
		t = g.results[0]
	}
	return &expr{t: t, args: args, code: wasmbin.AppendU32([]byte{0x10}, g.idx)}
}

// For runs body with i = from, from+step, ... while i < to (signed), testing
// before the first pass. from and to are evaluated once and before the
// loop, to again after every pass.
func (f *Func) For(i Local, from, to Val, step int32, body func()) {
	f.Set(i, from)
	f.If(I32LtS(i, to), func() {
		f.Loop(func(top Label) {
			body()
			f.Inc(i, step)
			f.BrIf(top, I32LtS(i, to))
		})
	}, nil)
}

// While repeats body while cond holds, testing before every pass.
func (f *Func) While(cond func() Val, body func()) {
	f.If(cond(), func() {
		f.Loop(func(top Label) {
			body()
			f.BrIf(top, cond())
		})
	}, nil)
}

// End finishes the body. Every block must be closed.
func (f *Func) End() {
	if f.depth != 0 {
		panic(fmt.Sprintf("asm: %s: %d blocks left open", f.name, f.depth))
	}
	f.code = append(f.code, 0x0b)
	f.ended = true
}

func (f *Func) encodeBody() []byte {
	// Locals: runs of equal types.
	var runs [][2]uint32
	for _, t := range f.locals {
		if n := len(runs); n > 0 && runs[n-1][1] == uint32(t) {
			runs[n-1][0]++
			continue
		}
		runs = append(runs, [2]uint32{1, uint32(t)})
	}
	b := wasmbin.AppendU32(nil, uint32(len(runs)))
	for _, r := range runs {
		b = wasmbin.AppendU32(b, r[0])
		b = append(b, byte(r[1]))
	}
	return append(b, f.code...)
}

// Constants.

// I32Const is i32.const v.
func I32Const(v int32) Val {
	return &expr{t: I32, code: wasmbin.AppendS64([]byte{0x41}, int64(v))}
}

// I64Const is i64.const v.
func I64Const(v int64) Val {
	return &expr{t: I64, code: wasmbin.AppendS64([]byte{0x42}, v)}
}

// F32Const is f32.const v.
func F32Const(v float32) Val {
	b := math.Float32bits(v)
	return &expr{t: F32, code: []byte{0x43, byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)}}
}

// V128Const is v128.const with the 16 bytes b (little-endian lanes).
func V128Const(b [16]byte) Val {
	code := append(simdOp(0x0c), b[:]...)
	return &expr{t: V128, code: code}
}

// I32x4Const is a v128.const of four i32 lanes.
func I32x4Const(a, b, c, d int32) Val {
	var v [16]byte
	for i, x := range []int32{a, b, c, d} {
		u := uint32(x)
		v[4*i], v[4*i+1], v[4*i+2], v[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return V128Const(v)
}

// I64x2Const is a v128.const of two i64 lanes.
func I64x2Const(a, b int64) Val {
	var v [16]byte
	for i, x := range []int64{a, b} {
		u := uint64(x)
		for k := range 8 {
			v[8*i+k] = byte(u >> (8 * k))
		}
	}
	return V128Const(v)
}

// V128Zero is an all-zero v128.
func V128Zero() Val { return V128Const([16]byte{}) }

func simdOp(code uint32) []byte { return wasmbin.AppendU32([]byte{0xfd}, code) }
