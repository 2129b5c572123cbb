package asm

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// TestRun assembles a small module (memory, loops, ifs, v128 arithmetic,
// lanes, a call) and runs it under wazero.
func TestRun(t *testing.T) {
	m := NewModule()
	m.DefineMemory(1, "memory")

	// sum4(ptr, n): the sum of n int32 at ptr, four lanes at a time, then
	// the tail one by one.
	sum := m.Func("sum4", "sum4", []ValType{I32, I32}, []ValType{I32})
	ptr, n := sum.Param(0), sum.Param(1)
	acc := sum.Local(V128, "acc")
	i := sum.Local(I32, "i")
	total := sum.Local(I32, "total")
	sum.For(i, I32Const(0), I32Sub(n, I32Const(3)), 4, func() {
		sum.Set(acc, I32x4Add(acc, V128Load(I32Add(ptr, I32Shl(i, I32Const(2))), 0)))
	})
	for l := range 4 {
		sum.Set(total, I32Add(total, I32x4ExtractLane(acc, l)))
	}
	sum.While(func() Val { return I32LtS(i, n) }, func() {
		sum.Set(total, I32Add(total, I32Load(I32Add(ptr, I32Shl(i, I32Const(2))), 0)))
		sum.Inc(i, 1)
	})
	sum.Return(total)
	sum.End()

	// clamp(x): a call, select, if/else and a block with br_if.
	clamp := m.Func("clamp", "clamp", []ValType{I32}, []ValType{I32})
	x := clamp.Param(0)
	r := clamp.Local(I32, "r")
	clamp.Block(func(end Label) {
		clamp.Set(r, I32Const(-1))
		clamp.BrIf(end, I32LtS(x, I32Const(0)))
		clamp.If(I32GtS(x, I32Const(100)), func() { clamp.Set(r, I32Const(100)) }, func() { clamp.Set(r, x) })
	})
	clamp.Return(Select(r, I32Const(7), I32Ne(x, I32Const(42))))
	clamp.End()

	caller := m.Func("twice", "twice", []ValType{I32}, []ValType{I32})
	caller.Return(I32Add(CallVal(clamp, caller.Param(0)), CallVal(clamp, caller.Param(0))))
	caller.End()

	// narrow(ptr): stores the i32x4 at ptr narrowed to bytes (saturating).
	nar := m.Func("narrow", "narrow", []ValType{I32}, nil)
	v := nar.Local(V128, "v")
	nar.Set(v, V128Load(nar.Param(0), 0))
	h := I16x8NarrowI32x4S(v, v)
	nar.V128Store32Lane(nar.Param(0), 16, I8x16NarrowI16x8U(h, h), 0)
	nar.End()

	wasm := m.Encode()
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, wasm)
	require.NoError(t, err)
	mem := mod.Memory()
	vals := []int32{1, 2, 3, 4, 5, 6, 7, -100, 1000, 11, 12}
	buf := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(buf[4*i:], uint32(v))
	}
	mem.Write(64, buf)
	for n := range len(vals) + 1 {
		var want int32
		for _, v := range vals[:n] {
			want += v
		}
		res, err := mod.ExportedFunction("sum4").Call(ctx, 64, uint64(n))
		require.NoError(t, err)
		assert.Equal(t, want, int32(res[0]), "sum4 of %d", n)
	}
	for _, c := range [][2]int32{{-5, -1}, {0, 0}, {42, 7}, {50, 50}, {1000, 100}} {
		res, err := mod.ExportedFunction("clamp").Call(ctx, uint64(uint32(c[0])))
		require.NoError(t, err)
		assert.Equal(t, c[1], int32(res[0]), "clamp(%d)", c[0])
		res, err = mod.ExportedFunction("twice").Call(ctx, uint64(uint32(c[0])))
		require.NoError(t, err)
		assert.Equal(t, 2*c[1], int32(res[0]), "twice(%d)", c[0])
	}
	mem.Write(256, []byte{0x05, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x2c, 0x01, 0, 0, 0x80, 0, 0, 0})
	_, err = mod.ExportedFunction("narrow").Call(ctx, 256)
	require.NoError(t, err)
	got, ok := mem.Read(272, 4)
	require.True(t, ok)
	assert.Equal(t, []byte{5, 0, 255, 128}, got, "narrow")
}

// TestMisuse: type errors and unbalanced blocks panic in the generator.
func TestMisuse(t *testing.T) {
	m := NewModule()
	f := m.Func("f", "", []ValType{I32}, nil)
	assert.Panics(t, func() { I32Add(f.Param(0), V128Zero()) }, "i32.add of a v128")
	assert.Panics(t, func() { f.Set(f.Param(0), F32Const(1)) }, "set an i32 local from f32")
	assert.Panics(t, func() { I32x4ExtractLane(V128Zero(), 4) }, "lane 4 of an i32x4")
	assert.Panics(t, func() { I8x16Shuffle(V128Zero(), V128Zero(), [16]byte{32}) }, "shuffle index 32")
	assert.Panics(t, func() {
		var l Label
		f.Block(func(end Label) { l = end })
		f.Br(l)
	}, "branch to a closed label")
	g := m.Func("g", "", nil, nil)
	g.Block(func(Label) {
		assert.Panics(t, g.End, "End inside a block")
	})
	assert.Panics(t, func() { m.Encode() }, "Encode with an unfinished function")
}
