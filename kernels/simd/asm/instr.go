package asm

// Instructions. Each function builds an expression; the names follow the
// text format (i32.add is I32Add, i32x4.dot_i16x8_s is I32x4DotI16x8S).
// Memory instructions take the address, then the static offset (memarg
// offset, added to the address without wrapping), and use the natural
// alignment as the hint.

import "mobilenet-wasm/wasm/wasmbin"

var (
	tI32  = []ValType{I32}
	tI64  = []ValType{I64}
	tF32  = []ValType{F32}
	tV    = []ValType{V128}
	tI32s = []ValType{I32, I32}
	tI64s = []ValType{I64, I64}
	tF32s = []ValType{F32, F32}
	tVV   = []ValType{V128, V128}
	tVVV  = []ValType{V128, V128, V128}
	tVI   = []ValType{V128, I32}
)

func memarg(code []byte, align, offset uint32) []byte {
	code = wasmbin.AppendU32(code, align)
	return wasmbin.AppendU32(code, offset)
}

// I32Eq is i32.eq.
func I32Eq(a, b Val) Val { return op(I32, []byte{0x46}, tI32s, a, b) }

// I32Ne is i32.ne.
func I32Ne(a, b Val) Val { return op(I32, []byte{0x47}, tI32s, a, b) }

// I32LtS is i32.lt_s.
func I32LtS(a, b Val) Val { return op(I32, []byte{0x48}, tI32s, a, b) }

// I32LtU is i32.lt_u.
func I32LtU(a, b Val) Val { return op(I32, []byte{0x49}, tI32s, a, b) }

// I32GtS is i32.gt_s.
func I32GtS(a, b Val) Val { return op(I32, []byte{0x4a}, tI32s, a, b) }

// I32GtU is i32.gt_u.
func I32GtU(a, b Val) Val { return op(I32, []byte{0x4b}, tI32s, a, b) }

// I32LeS is i32.le_s.
func I32LeS(a, b Val) Val { return op(I32, []byte{0x4c}, tI32s, a, b) }

// I32LeU is i32.le_u.
func I32LeU(a, b Val) Val { return op(I32, []byte{0x4d}, tI32s, a, b) }

// I32GeS is i32.ge_s.
func I32GeS(a, b Val) Val { return op(I32, []byte{0x4e}, tI32s, a, b) }

// I32GeU is i32.ge_u.
func I32GeU(a, b Val) Val { return op(I32, []byte{0x4f}, tI32s, a, b) }

// I32Add is i32.add.
func I32Add(a, b Val) Val { return op(I32, []byte{0x6a}, tI32s, a, b) }

// I32Sub is i32.sub.
func I32Sub(a, b Val) Val { return op(I32, []byte{0x6b}, tI32s, a, b) }

// I32Mul is i32.mul.
func I32Mul(a, b Val) Val { return op(I32, []byte{0x6c}, tI32s, a, b) }

// I32DivS is i32.div_s.
func I32DivS(a, b Val) Val { return op(I32, []byte{0x6d}, tI32s, a, b) }

// I32DivU is i32.div_u.
func I32DivU(a, b Val) Val { return op(I32, []byte{0x6e}, tI32s, a, b) }

// I32RemS is i32.rem_s.
func I32RemS(a, b Val) Val { return op(I32, []byte{0x6f}, tI32s, a, b) }

// I32RemU is i32.rem_u.
func I32RemU(a, b Val) Val { return op(I32, []byte{0x70}, tI32s, a, b) }

// I32And is i32.and.
func I32And(a, b Val) Val { return op(I32, []byte{0x71}, tI32s, a, b) }

// I32Or is i32.or.
func I32Or(a, b Val) Val { return op(I32, []byte{0x72}, tI32s, a, b) }

// I32Xor is i32.xor.
func I32Xor(a, b Val) Val { return op(I32, []byte{0x73}, tI32s, a, b) }

// I32Shl is i32.shl.
func I32Shl(a, b Val) Val { return op(I32, []byte{0x74}, tI32s, a, b) }

// I32ShrS is i32.shr_s.
func I32ShrS(a, b Val) Val { return op(I32, []byte{0x75}, tI32s, a, b) }

// I32ShrU is i32.shr_u.
func I32ShrU(a, b Val) Val { return op(I32, []byte{0x76}, tI32s, a, b) }

// I32Eqz is i32.eqz.
func I32Eqz(a Val) Val { return op(I32, []byte{0x45}, tI32, a) }

// I64Eq is i64.eq.
func I64Eq(a, b Val) Val { return op(I32, []byte{0x51}, tI64s, a, b) }

// I64Ne is i64.ne.
func I64Ne(a, b Val) Val { return op(I32, []byte{0x52}, tI64s, a, b) }

// I64LtS is i64.lt_s.
func I64LtS(a, b Val) Val { return op(I32, []byte{0x53}, tI64s, a, b) }

// I64GtS is i64.gt_s.
func I64GtS(a, b Val) Val { return op(I32, []byte{0x55}, tI64s, a, b) }

// I64Add is i64.add.
func I64Add(a, b Val) Val { return op(I64, []byte{0x7c}, tI64s, a, b) }

// I64Sub is i64.sub.
func I64Sub(a, b Val) Val { return op(I64, []byte{0x7d}, tI64s, a, b) }

// I64Mul is i64.mul.
func I64Mul(a, b Val) Val { return op(I64, []byte{0x7e}, tI64s, a, b) }

// I64And is i64.and.
func I64And(a, b Val) Val { return op(I64, []byte{0x83}, tI64s, a, b) }

// I64Or is i64.or.
func I64Or(a, b Val) Val { return op(I64, []byte{0x84}, tI64s, a, b) }

// I64Xor is i64.xor.
func I64Xor(a, b Val) Val { return op(I64, []byte{0x85}, tI64s, a, b) }

// I64Shl is i64.shl.
func I64Shl(a, b Val) Val { return op(I64, []byte{0x86}, tI64s, a, b) }

// I64ShrS is i64.shr_s.
func I64ShrS(a, b Val) Val { return op(I64, []byte{0x87}, tI64s, a, b) }

// I64ShrU is i64.shr_u.
func I64ShrU(a, b Val) Val { return op(I64, []byte{0x88}, tI64s, a, b) }

// F32Add is f32.add.
func F32Add(a, b Val) Val { return op(F32, []byte{0x92}, tF32s, a, b) }

// F32Sub is f32.sub.
func F32Sub(a, b Val) Val { return op(F32, []byte{0x93}, tF32s, a, b) }

// F32Mul is f32.mul.
func F32Mul(a, b Val) Val { return op(F32, []byte{0x94}, tF32s, a, b) }

// F32Div is f32.div.
func F32Div(a, b Val) Val { return op(F32, []byte{0x95}, tF32s, a, b) }

// F32Min is f32.min.
func F32Min(a, b Val) Val { return op(F32, []byte{0x96}, tF32s, a, b) }

// F32Max is f32.max.
func F32Max(a, b Val) Val { return op(F32, []byte{0x97}, tF32s, a, b) }

// I32WrapI64 is i32.wrap_i64.
func I32WrapI64(a Val) Val { return op(I32, []byte{0xa7}, tI64, a) }

// I64ExtendI32S is i64.extend_i32_s.
func I64ExtendI32S(a Val) Val { return op(I64, []byte{0xac}, tI32, a) }

// I64ExtendI32U is i64.extend_i32_u.
func I64ExtendI32U(a Val) Val { return op(I64, []byte{0xad}, tI32, a) }

// F32ConvertI32S is f32.convert_i32_s.
func F32ConvertI32S(a Val) Val { return op(F32, []byte{0xb2}, tI32, a) }

// I32ReinterpretF32 is i32.reinterpret_f32.
func I32ReinterpretF32(a Val) Val { return op(I32, []byte{0xbc}, tF32, a) }

// F32ReinterpretI32 is f32.reinterpret_i32.
func F32ReinterpretI32(a Val) Val { return op(F32, []byte{0xbe}, tI32, a) }

// Select is select: a when cond (i32) is not zero, else b.
func Select(a, b, cond Val) Val {
	if a.Type() == V128 {
		// The typed form keeps validators that predate SIMD in select happy.
		return op(a.Type(), []byte{0x1c, 0x01, byte(V128)}, []ValType{a.Type(), a.Type(), I32}, a, b, cond)
	}
	return op(a.Type(), []byte{0x1b}, []ValType{a.Type(), a.Type(), I32}, a, b, cond)
}

// I32Load is i32.load addr offset.
func I32Load(addr Val, offset uint32) Val {
	return op(I32, memarg([]byte{0x28}, 2, offset), tI32, addr)
}

// I64Load is i64.load addr offset.
func I64Load(addr Val, offset uint32) Val {
	return op(I64, memarg([]byte{0x29}, 3, offset), tI32, addr)
}

// F32Load is f32.load addr offset.
func F32Load(addr Val, offset uint32) Val {
	return op(F32, memarg([]byte{0x2a}, 2, offset), tI32, addr)
}

// I32Load8S is i32.load8_s addr offset.
func I32Load8S(addr Val, offset uint32) Val {
	return op(I32, memarg([]byte{0x2c}, 0, offset), tI32, addr)
}

// I32Load8U is i32.load8_u addr offset.
func I32Load8U(addr Val, offset uint32) Val {
	return op(I32, memarg([]byte{0x2d}, 0, offset), tI32, addr)
}

// I32Load16S is i32.load16_s addr offset.
func I32Load16S(addr Val, offset uint32) Val {
	return op(I32, memarg([]byte{0x2e}, 1, offset), tI32, addr)
}

// I32Load16U is i32.load16_u addr offset.
func I32Load16U(addr Val, offset uint32) Val {
	return op(I32, memarg([]byte{0x2f}, 1, offset), tI32, addr)
}

// I32Store emits i32.store addr offset v.
func (f *Func) I32Store(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg([]byte{0x36}, 2, offset), []ValType{I32, I32}, addr, v))
}

// I64Store emits i64.store addr offset v.
func (f *Func) I64Store(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg([]byte{0x37}, 3, offset), []ValType{I32, I64}, addr, v))
}

// F32Store emits f32.store addr offset v.
func (f *Func) F32Store(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg([]byte{0x38}, 2, offset), []ValType{I32, F32}, addr, v))
}

// I32Store8 emits i32.store8 addr offset v.
func (f *Func) I32Store8(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg([]byte{0x3a}, 0, offset), []ValType{I32, I32}, addr, v))
}

// I32Store16 emits i32.store16 addr offset v.
func (f *Func) I32Store16(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg([]byte{0x3b}, 1, offset), []ValType{I32, I32}, addr, v))
}

func (f *Func) stmt(v Val) { v.emit(f) }

// V128Load is v128.load addr offset.
func V128Load(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x0), 4, offset), tI32, addr)
}

// V128Load8x8S is v128.load8x8_s addr offset.
func V128Load8x8S(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x1), 3, offset), tI32, addr)
}

// V128Load8x8U is v128.load8x8_u addr offset.
func V128Load8x8U(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x2), 3, offset), tI32, addr)
}

// V128Load16x4S is v128.load16x4_s addr offset.
func V128Load16x4S(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x3), 3, offset), tI32, addr)
}

// V128Load16x4U is v128.load16x4_u addr offset.
func V128Load16x4U(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x4), 3, offset), tI32, addr)
}

// V128Load32x2S is v128.load32x2_s addr offset.
func V128Load32x2S(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x5), 3, offset), tI32, addr)
}

// V128Load32x2U is v128.load32x2_u addr offset.
func V128Load32x2U(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x6), 3, offset), tI32, addr)
}

// V128Load8Splat is v128.load8_splat addr offset.
func V128Load8Splat(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x7), 0, offset), tI32, addr)
}

// V128Load16Splat is v128.load16_splat addr offset.
func V128Load16Splat(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x8), 1, offset), tI32, addr)
}

// V128Load32Splat is v128.load32_splat addr offset.
func V128Load32Splat(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x9), 2, offset), tI32, addr)
}

// V128Load64Splat is v128.load64_splat addr offset.
func V128Load64Splat(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0xa), 3, offset), tI32, addr)
}

// V128Load32Zero is v128.load32_zero addr offset.
func V128Load32Zero(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x5c), 2, offset), tI32, addr)
}

// V128Load64Zero is v128.load64_zero addr offset.
func V128Load64Zero(addr Val, offset uint32) Val {
	return op(V128, memarg(simdOp(0x5d), 3, offset), tI32, addr)
}

// V128Store emits v128.store addr offset v.
func (f *Func) V128Store(addr Val, offset uint32, v Val) {
	f.stmt(op(0, memarg(simdOp(0x0b), 4, offset), []ValType{I32, V128}, addr, v))
}

// V128Load8Lane is v128.load8_lane addr offset lane: v with lane replaced from memory.
func V128Load8Lane(addr Val, offset uint32, v Val, lane int) Val {
	checkLane(lane, 16)
	return op(V128, append(memarg(simdOp(0x54), 0, offset), byte(lane)), []ValType{I32, V128}, addr, v)
}

// V128Load16Lane is v128.load16_lane addr offset lane: v with lane replaced from memory.
func V128Load16Lane(addr Val, offset uint32, v Val, lane int) Val {
	checkLane(lane, 8)
	return op(V128, append(memarg(simdOp(0x55), 1, offset), byte(lane)), []ValType{I32, V128}, addr, v)
}

// V128Load32Lane is v128.load32_lane addr offset lane: v with lane replaced from memory.
func V128Load32Lane(addr Val, offset uint32, v Val, lane int) Val {
	checkLane(lane, 4)
	return op(V128, append(memarg(simdOp(0x56), 2, offset), byte(lane)), []ValType{I32, V128}, addr, v)
}

// V128Load64Lane is v128.load64_lane addr offset lane: v with lane replaced from memory.
func V128Load64Lane(addr Val, offset uint32, v Val, lane int) Val {
	checkLane(lane, 2)
	return op(V128, append(memarg(simdOp(0x57), 3, offset), byte(lane)), []ValType{I32, V128}, addr, v)
}

// V128Store8Lane emits v128.store8_lane addr offset lane: stores one lane of v.
func (f *Func) V128Store8Lane(addr Val, offset uint32, v Val, lane int) {
	checkLane(lane, 16)
	f.stmt(op(0, append(memarg(simdOp(0x58), 0, offset), byte(lane)), []ValType{I32, V128}, addr, v))
}

// V128Store16Lane emits v128.store16_lane addr offset lane: stores one lane of v.
func (f *Func) V128Store16Lane(addr Val, offset uint32, v Val, lane int) {
	checkLane(lane, 8)
	f.stmt(op(0, append(memarg(simdOp(0x59), 1, offset), byte(lane)), []ValType{I32, V128}, addr, v))
}

// V128Store32Lane emits v128.store32_lane addr offset lane: stores one lane of v.
func (f *Func) V128Store32Lane(addr Val, offset uint32, v Val, lane int) {
	checkLane(lane, 4)
	f.stmt(op(0, append(memarg(simdOp(0x5a), 2, offset), byte(lane)), []ValType{I32, V128}, addr, v))
}

// V128Store64Lane emits v128.store64_lane addr offset lane: stores one lane of v.
func (f *Func) V128Store64Lane(addr Val, offset uint32, v Val, lane int) {
	checkLane(lane, 2)
	f.stmt(op(0, append(memarg(simdOp(0x5b), 3, offset), byte(lane)), []ValType{I32, V128}, addr, v))
}

func checkLane(lane, n int) {
	if lane < 0 || lane >= n {
		panic("asm: lane index out of range")
	}
}

// I8x16Shuffle is i8x16.shuffle: byte i of the result is byte idx[i] of the
// 32-byte concatenation a:b.
func I8x16Shuffle(a, b Val, idx [16]byte) Val {
	for _, i := range idx {
		if i >= 32 {
			panic("asm: shuffle index out of range")
		}
	}
	return op(V128, append(simdOp(0x0d), idx[:]...), tVV, a, b)
}

// I8x16Splat is the splat of a to every lane.
func I8x16Splat(a Val) Val { return op(V128, simdOp(0xf), tI32, a) }

// I16x8Splat is the splat of a to every lane.
func I16x8Splat(a Val) Val { return op(V128, simdOp(0x10), tI32, a) }

// I32x4Splat is the splat of a to every lane.
func I32x4Splat(a Val) Val { return op(V128, simdOp(0x11), tI32, a) }

// I64x2Splat is the splat of a to every lane.
func I64x2Splat(a Val) Val { return op(V128, simdOp(0x12), tI64, a) }

// F32x4Splat is the splat of a to every lane.
func F32x4Splat(a Val) Val { return op(V128, simdOp(0x13), tF32, a) }

// I8x16ExtractLaneS is the lane extraction of that name.
func I8x16ExtractLaneS(v Val, lane int) Val {
	checkLane(lane, 16)
	return op(I32, append(simdOp(0x15), byte(lane)), tV, v)
}

// I8x16ExtractLaneU is the lane extraction of that name.
func I8x16ExtractLaneU(v Val, lane int) Val {
	checkLane(lane, 16)
	return op(I32, append(simdOp(0x16), byte(lane)), tV, v)
}

// I16x8ExtractLaneS is the lane extraction of that name.
func I16x8ExtractLaneS(v Val, lane int) Val {
	checkLane(lane, 8)
	return op(I32, append(simdOp(0x18), byte(lane)), tV, v)
}

// I16x8ExtractLaneU is the lane extraction of that name.
func I16x8ExtractLaneU(v Val, lane int) Val {
	checkLane(lane, 8)
	return op(I32, append(simdOp(0x19), byte(lane)), tV, v)
}

// I32x4ExtractLane is the lane extraction of that name.
func I32x4ExtractLane(v Val, lane int) Val {
	checkLane(lane, 4)
	return op(I32, append(simdOp(0x1b), byte(lane)), tV, v)
}

// I64x2ExtractLane is the lane extraction of that name.
func I64x2ExtractLane(v Val, lane int) Val {
	checkLane(lane, 2)
	return op(I64, append(simdOp(0x1d), byte(lane)), tV, v)
}

// F32x4ExtractLane is the lane extraction of that name.
func F32x4ExtractLane(v Val, lane int) Val {
	checkLane(lane, 4)
	return op(F32, append(simdOp(0x1f), byte(lane)), tV, v)
}

// I8x16ReplaceLane is the lane replacement of that name.
func I8x16ReplaceLane(v Val, lane int, x Val) Val {
	checkLane(lane, 16)
	return op(V128, append(simdOp(0x17), byte(lane)), []ValType{V128, I32}, v, x)
}

// I16x8ReplaceLane is the lane replacement of that name.
func I16x8ReplaceLane(v Val, lane int, x Val) Val {
	checkLane(lane, 8)
	return op(V128, append(simdOp(0x1a), byte(lane)), []ValType{V128, I32}, v, x)
}

// I32x4ReplaceLane is the lane replacement of that name.
func I32x4ReplaceLane(v Val, lane int, x Val) Val {
	checkLane(lane, 4)
	return op(V128, append(simdOp(0x1c), byte(lane)), []ValType{V128, I32}, v, x)
}

// I64x2ReplaceLane is the lane replacement of that name.
func I64x2ReplaceLane(v Val, lane int, x Val) Val {
	checkLane(lane, 2)
	return op(V128, append(simdOp(0x1e), byte(lane)), []ValType{V128, I64}, v, x)
}

// F32x4ReplaceLane is the lane replacement of that name.
func F32x4ReplaceLane(v Val, lane int, x Val) Val {
	checkLane(lane, 4)
	return op(V128, append(simdOp(0x20), byte(lane)), []ValType{V128, F32}, v, x)
}

// I8x16Swizzle is the SIMD instruction of that name.
func I8x16Swizzle(a, b Val) Val { return op(V128, simdOp(0xe), tVV, a, b) }

// I32x4Eq is the SIMD instruction of that name.
func I32x4Eq(a, b Val) Val { return op(V128, simdOp(0x37), tVV, a, b) }

// I32x4Ne is the SIMD instruction of that name.
func I32x4Ne(a, b Val) Val { return op(V128, simdOp(0x38), tVV, a, b) }

// I32x4LtS is the SIMD instruction of that name.
func I32x4LtS(a, b Val) Val { return op(V128, simdOp(0x39), tVV, a, b) }

// I32x4GtS is the SIMD instruction of that name.
func I32x4GtS(a, b Val) Val { return op(V128, simdOp(0x3b), tVV, a, b) }

// I32x4LeS is the SIMD instruction of that name.
func I32x4LeS(a, b Val) Val { return op(V128, simdOp(0x3d), tVV, a, b) }

// I32x4GeS is the SIMD instruction of that name.
func I32x4GeS(a, b Val) Val { return op(V128, simdOp(0x3f), tVV, a, b) }

// F32x4Eq is the SIMD instruction of that name.
func F32x4Eq(a, b Val) Val { return op(V128, simdOp(0x41), tVV, a, b) }

// F32x4Lt is the SIMD instruction of that name.
func F32x4Lt(a, b Val) Val { return op(V128, simdOp(0x43), tVV, a, b) }

// V128And is the SIMD instruction of that name.
func V128And(a, b Val) Val { return op(V128, simdOp(0x4e), tVV, a, b) }

// V128AndNot is the SIMD instruction of that name.
func V128AndNot(a, b Val) Val { return op(V128, simdOp(0x4f), tVV, a, b) }

// V128Or is the SIMD instruction of that name.
func V128Or(a, b Val) Val { return op(V128, simdOp(0x50), tVV, a, b) }

// V128Xor is the SIMD instruction of that name.
func V128Xor(a, b Val) Val { return op(V128, simdOp(0x51), tVV, a, b) }

// I8x16NarrowI16x8S is the SIMD instruction of that name.
func I8x16NarrowI16x8S(a, b Val) Val { return op(V128, simdOp(0x65), tVV, a, b) }

// I8x16NarrowI16x8U is the SIMD instruction of that name.
func I8x16NarrowI16x8U(a, b Val) Val { return op(V128, simdOp(0x66), tVV, a, b) }

// I8x16Add is the SIMD instruction of that name.
func I8x16Add(a, b Val) Val { return op(V128, simdOp(0x6e), tVV, a, b) }

// I8x16Sub is the SIMD instruction of that name.
func I8x16Sub(a, b Val) Val { return op(V128, simdOp(0x71), tVV, a, b) }

// I8x16MinU is the SIMD instruction of that name.
func I8x16MinU(a, b Val) Val { return op(V128, simdOp(0x77), tVV, a, b) }

// I8x16MaxU is the SIMD instruction of that name.
func I8x16MaxU(a, b Val) Val { return op(V128, simdOp(0x79), tVV, a, b) }

// I8x16MinS is the SIMD instruction of that name.
func I8x16MinS(a, b Val) Val { return op(V128, simdOp(0x76), tVV, a, b) }

// I8x16MaxS is the SIMD instruction of that name.
func I8x16MaxS(a, b Val) Val { return op(V128, simdOp(0x78), tVV, a, b) }

// I16x8NarrowI32x4S is the SIMD instruction of that name.
func I16x8NarrowI32x4S(a, b Val) Val { return op(V128, simdOp(0x85), tVV, a, b) }

// I16x8NarrowI32x4U is the SIMD instruction of that name.
func I16x8NarrowI32x4U(a, b Val) Val { return op(V128, simdOp(0x86), tVV, a, b) }

// I16x8Add is the SIMD instruction of that name.
func I16x8Add(a, b Val) Val { return op(V128, simdOp(0x8e), tVV, a, b) }

// I16x8AddSatS is the SIMD instruction of that name.
func I16x8AddSatS(a, b Val) Val { return op(V128, simdOp(0x8f), tVV, a, b) }

// I16x8Sub is the SIMD instruction of that name.
func I16x8Sub(a, b Val) Val { return op(V128, simdOp(0x91), tVV, a, b) }

// I16x8Mul is the SIMD instruction of that name.
func I16x8Mul(a, b Val) Val { return op(V128, simdOp(0x95), tVV, a, b) }

// I16x8MinS is the SIMD instruction of that name.
func I16x8MinS(a, b Val) Val { return op(V128, simdOp(0x96), tVV, a, b) }

// I16x8MaxS is the SIMD instruction of that name.
func I16x8MaxS(a, b Val) Val { return op(V128, simdOp(0x98), tVV, a, b) }

// I16x8ExtMulLowI8x16S is the SIMD instruction of that name.
func I16x8ExtMulLowI8x16S(a, b Val) Val { return op(V128, simdOp(0x9c), tVV, a, b) }

// I16x8ExtMulHighI8x16S is the SIMD instruction of that name.
func I16x8ExtMulHighI8x16S(a, b Val) Val { return op(V128, simdOp(0x9d), tVV, a, b) }

// I16x8ExtMulLowI8x16U is the SIMD instruction of that name.
func I16x8ExtMulLowI8x16U(a, b Val) Val { return op(V128, simdOp(0x9e), tVV, a, b) }

// I16x8ExtMulHighI8x16U is the SIMD instruction of that name.
func I16x8ExtMulHighI8x16U(a, b Val) Val { return op(V128, simdOp(0x9f), tVV, a, b) }

// I32x4Add is the SIMD instruction of that name.
func I32x4Add(a, b Val) Val { return op(V128, simdOp(0xae), tVV, a, b) }

// I32x4Sub is the SIMD instruction of that name.
func I32x4Sub(a, b Val) Val { return op(V128, simdOp(0xb1), tVV, a, b) }

// I32x4Mul is the SIMD instruction of that name.
func I32x4Mul(a, b Val) Val { return op(V128, simdOp(0xb5), tVV, a, b) }

// I32x4MinS is the SIMD instruction of that name.
func I32x4MinS(a, b Val) Val { return op(V128, simdOp(0xb6), tVV, a, b) }

// I32x4MinU is the SIMD instruction of that name.
func I32x4MinU(a, b Val) Val { return op(V128, simdOp(0xb7), tVV, a, b) }

// I32x4MaxS is the SIMD instruction of that name.
func I32x4MaxS(a, b Val) Val { return op(V128, simdOp(0xb8), tVV, a, b) }

// I32x4MaxU is the SIMD instruction of that name.
func I32x4MaxU(a, b Val) Val { return op(V128, simdOp(0xb9), tVV, a, b) }

// I32x4DotI16x8S is the SIMD instruction of that name.
func I32x4DotI16x8S(a, b Val) Val { return op(V128, simdOp(0xba), tVV, a, b) }

// I32x4ExtMulLowI16x8S is the SIMD instruction of that name.
func I32x4ExtMulLowI16x8S(a, b Val) Val { return op(V128, simdOp(0xbc), tVV, a, b) }

// I32x4ExtMulHighI16x8S is the SIMD instruction of that name.
func I32x4ExtMulHighI16x8S(a, b Val) Val { return op(V128, simdOp(0xbd), tVV, a, b) }

// I32x4ExtMulLowI16x8U is the SIMD instruction of that name.
func I32x4ExtMulLowI16x8U(a, b Val) Val { return op(V128, simdOp(0xbe), tVV, a, b) }

// I32x4ExtMulHighI16x8U is the SIMD instruction of that name.
func I32x4ExtMulHighI16x8U(a, b Val) Val { return op(V128, simdOp(0xbf), tVV, a, b) }

// I64x2Add is the SIMD instruction of that name.
func I64x2Add(a, b Val) Val { return op(V128, simdOp(0xce), tVV, a, b) }

// I64x2Sub is the SIMD instruction of that name.
func I64x2Sub(a, b Val) Val { return op(V128, simdOp(0xd1), tVV, a, b) }

// I64x2Mul is the SIMD instruction of that name.
func I64x2Mul(a, b Val) Val { return op(V128, simdOp(0xd5), tVV, a, b) }

// I64x2ExtMulLowI32x4S is the SIMD instruction of that name.
func I64x2ExtMulLowI32x4S(a, b Val) Val { return op(V128, simdOp(0xdc), tVV, a, b) }

// I64x2ExtMulHighI32x4S is the SIMD instruction of that name.
func I64x2ExtMulHighI32x4S(a, b Val) Val { return op(V128, simdOp(0xdd), tVV, a, b) }

// I64x2ExtMulLowI32x4U is the SIMD instruction of that name.
func I64x2ExtMulLowI32x4U(a, b Val) Val { return op(V128, simdOp(0xde), tVV, a, b) }

// I64x2ExtMulHighI32x4U is the SIMD instruction of that name.
func I64x2ExtMulHighI32x4U(a, b Val) Val { return op(V128, simdOp(0xdf), tVV, a, b) }

// F32x4Add is the SIMD instruction of that name.
func F32x4Add(a, b Val) Val { return op(V128, simdOp(0xe4), tVV, a, b) }

// F32x4Sub is the SIMD instruction of that name.
func F32x4Sub(a, b Val) Val { return op(V128, simdOp(0xe5), tVV, a, b) }

// F32x4Mul is the SIMD instruction of that name.
func F32x4Mul(a, b Val) Val { return op(V128, simdOp(0xe6), tVV, a, b) }

// F32x4Div is the SIMD instruction of that name.
func F32x4Div(a, b Val) Val { return op(V128, simdOp(0xe7), tVV, a, b) }

// F32x4Min is the SIMD instruction of that name.
func F32x4Min(a, b Val) Val { return op(V128, simdOp(0xe8), tVV, a, b) }

// F32x4Max is the SIMD instruction of that name.
func F32x4Max(a, b Val) Val { return op(V128, simdOp(0xe9), tVV, a, b) }

// F32x4Pmin is the SIMD instruction of that name.
func F32x4Pmin(a, b Val) Val { return op(V128, simdOp(0xea), tVV, a, b) }

// F32x4Pmax is the SIMD instruction of that name.
func F32x4Pmax(a, b Val) Val { return op(V128, simdOp(0xeb), tVV, a, b) }

// F64x2Add is the SIMD instruction of that name.
func F64x2Add(a, b Val) Val { return op(V128, simdOp(0xf0), tVV, a, b) }

// F64x2Sub is the SIMD instruction of that name.
func F64x2Sub(a, b Val) Val { return op(V128, simdOp(0xf1), tVV, a, b) }

// F64x2Mul is the SIMD instruction of that name.
func F64x2Mul(a, b Val) Val { return op(V128, simdOp(0xf2), tVV, a, b) }

// F64x2Div is the SIMD instruction of that name.
func F64x2Div(a, b Val) Val { return op(V128, simdOp(0xf3), tVV, a, b) }

// V128Not is the SIMD instruction of that name.
func V128Not(a Val) Val { return op(V128, simdOp(0x4d), tV, a) }

// I8x16Abs is the SIMD instruction of that name.
func I8x16Abs(a Val) Val { return op(V128, simdOp(0x60), tV, a) }

// F32x4Ceil is the SIMD instruction of that name.
func F32x4Ceil(a Val) Val { return op(V128, simdOp(0x67), tV, a) }

// F32x4Floor is the SIMD instruction of that name.
func F32x4Floor(a Val) Val { return op(V128, simdOp(0x68), tV, a) }

// F32x4Trunc is the SIMD instruction of that name.
func F32x4Trunc(a Val) Val { return op(V128, simdOp(0x69), tV, a) }

// F32x4Nearest is the SIMD instruction of that name.
func F32x4Nearest(a Val) Val { return op(V128, simdOp(0x6a), tV, a) }

// I16x8ExtaddPairwiseI8x16S is the SIMD instruction of that name.
func I16x8ExtaddPairwiseI8x16S(a Val) Val { return op(V128, simdOp(0x7c), tV, a) }

// I16x8ExtaddPairwiseI8x16U is the SIMD instruction of that name.
func I16x8ExtaddPairwiseI8x16U(a Val) Val { return op(V128, simdOp(0x7d), tV, a) }

// I32x4ExtaddPairwiseI16x8S is the SIMD instruction of that name.
func I32x4ExtaddPairwiseI16x8S(a Val) Val { return op(V128, simdOp(0x7e), tV, a) }

// I32x4ExtaddPairwiseI16x8U is the SIMD instruction of that name.
func I32x4ExtaddPairwiseI16x8U(a Val) Val { return op(V128, simdOp(0x7f), tV, a) }

// I16x8ExtendLowI8x16S is the SIMD instruction of that name.
func I16x8ExtendLowI8x16S(a Val) Val { return op(V128, simdOp(0x87), tV, a) }

// I16x8ExtendHighI8x16S is the SIMD instruction of that name.
func I16x8ExtendHighI8x16S(a Val) Val { return op(V128, simdOp(0x88), tV, a) }

// I16x8ExtendLowI8x16U is the SIMD instruction of that name.
func I16x8ExtendLowI8x16U(a Val) Val { return op(V128, simdOp(0x89), tV, a) }

// I16x8ExtendHighI8x16U is the SIMD instruction of that name.
func I16x8ExtendHighI8x16U(a Val) Val { return op(V128, simdOp(0x8a), tV, a) }

// I32x4ExtendLowI16x8S is the SIMD instruction of that name.
func I32x4ExtendLowI16x8S(a Val) Val { return op(V128, simdOp(0xa7), tV, a) }

// I32x4ExtendHighI16x8S is the SIMD instruction of that name.
func I32x4ExtendHighI16x8S(a Val) Val { return op(V128, simdOp(0xa8), tV, a) }

// I32x4ExtendLowI16x8U is the SIMD instruction of that name.
func I32x4ExtendLowI16x8U(a Val) Val { return op(V128, simdOp(0xa9), tV, a) }

// I32x4ExtendHighI16x8U is the SIMD instruction of that name.
func I32x4ExtendHighI16x8U(a Val) Val { return op(V128, simdOp(0xaa), tV, a) }

// I64x2ExtendLowI32x4S is the SIMD instruction of that name.
func I64x2ExtendLowI32x4S(a Val) Val { return op(V128, simdOp(0xc7), tV, a) }

// I64x2ExtendHighI32x4S is the SIMD instruction of that name.
func I64x2ExtendHighI32x4S(a Val) Val { return op(V128, simdOp(0xc8), tV, a) }

// I64x2ExtendLowI32x4U is the SIMD instruction of that name.
func I64x2ExtendLowI32x4U(a Val) Val { return op(V128, simdOp(0xc9), tV, a) }

// I64x2ExtendHighI32x4U is the SIMD instruction of that name.
func I64x2ExtendHighI32x4U(a Val) Val { return op(V128, simdOp(0xca), tV, a) }

// I32x4TruncSatF32x4S is the SIMD instruction of that name.
func I32x4TruncSatF32x4S(a Val) Val { return op(V128, simdOp(0xf8), tV, a) }

// F32x4ConvertI32x4S is the SIMD instruction of that name.
func F32x4ConvertI32x4S(a Val) Val { return op(V128, simdOp(0xfa), tV, a) }

// I32x4TruncSatF64x2SZero is the SIMD instruction of that name.
func I32x4TruncSatF64x2SZero(a Val) Val { return op(V128, simdOp(0xfc), tV, a) }

// F64x2ConvertLowI32x4S is the SIMD instruction of that name.
func F64x2ConvertLowI32x4S(a Val) Val { return op(V128, simdOp(0xfe), tV, a) }

// F64x2Nearest is the SIMD instruction of that name.
func F64x2Nearest(a Val) Val { return op(V128, simdOp(0x94), tV, a) }

// F64x2Trunc is the SIMD instruction of that name.
func F64x2Trunc(a Val) Val { return op(V128, simdOp(0x7a), tV, a) }

// V128Bitselect is v128.bitselect: bits of a where mask is 1, of b elsewhere.
func V128Bitselect(a, b, mask Val) Val { return op(V128, simdOp(0x52), tVVV, a, b, mask) }

// V128AnyTrue is v128.any_true.
func V128AnyTrue(a Val) Val { return op(I32, simdOp(0x53), tV, a) }

// I8x16Shl shifts every lane of v by n (i32, taken modulo the lane width).
func I8x16Shl(v, n Val) Val { return op(V128, simdOp(0x6b), tVI, v, n) }

// I8x16ShrS shifts every lane of v by n (i32, taken modulo the lane width).
func I8x16ShrS(v, n Val) Val { return op(V128, simdOp(0x6c), tVI, v, n) }

// I8x16ShrU shifts every lane of v by n (i32, taken modulo the lane width).
func I8x16ShrU(v, n Val) Val { return op(V128, simdOp(0x6d), tVI, v, n) }

// I16x8Shl shifts every lane of v by n (i32, taken modulo the lane width).
func I16x8Shl(v, n Val) Val { return op(V128, simdOp(0x8b), tVI, v, n) }

// I16x8ShrS shifts every lane of v by n (i32, taken modulo the lane width).
func I16x8ShrS(v, n Val) Val { return op(V128, simdOp(0x8c), tVI, v, n) }

// I16x8ShrU shifts every lane of v by n (i32, taken modulo the lane width).
func I16x8ShrU(v, n Val) Val { return op(V128, simdOp(0x8d), tVI, v, n) }

// I32x4Shl shifts every lane of v by n (i32, taken modulo the lane width).
func I32x4Shl(v, n Val) Val { return op(V128, simdOp(0xab), tVI, v, n) }

// I32x4ShrS shifts every lane of v by n (i32, taken modulo the lane width).
func I32x4ShrS(v, n Val) Val { return op(V128, simdOp(0xac), tVI, v, n) }

// I32x4ShrU shifts every lane of v by n (i32, taken modulo the lane width).
func I32x4ShrU(v, n Val) Val { return op(V128, simdOp(0xad), tVI, v, n) }

// I64x2Shl shifts every lane of v by n (i32, taken modulo the lane width).
func I64x2Shl(v, n Val) Val { return op(V128, simdOp(0xcb), tVI, v, n) }

// I64x2ShrS shifts every lane of v by n (i32, taken modulo the lane width).
func I64x2ShrS(v, n Val) Val { return op(V128, simdOp(0xcc), tVI, v, n) }

// I64x2ShrU shifts every lane of v by n (i32, taken modulo the lane width).
func I64x2ShrU(v, n Val) Val { return op(V128, simdOp(0xcd), tVI, v, n) }

// MemoryCopy is memory.copy dst src n (bulk memory).
func (f *Func) MemoryCopy(dst, src, n Val) {
	f.stmt(op(0, []byte{0xfc, 10, 0, 0}, []ValType{I32, I32, I32}, dst, src, n))
}

// MemoryFill is memory.fill dst value n (bulk memory).
func (f *Func) MemoryFill(dst, value, n Val) {
	f.stmt(op(0, []byte{0xfc, 11, 0}, []ValType{I32, I32, I32}, dst, value, n))
}

// F64ConvertI32S is f64.convert_i32_s.
func F64ConvertI32S(a Val) Val { return op(F64, []byte{0xb7}, tI32, a) }

// F64x2Splat is the splat of a to both lanes.
func F64x2Splat(a Val) Val { return op(V128, simdOp(0x14), []ValType{F64}, a) }

// Relaxed SIMD (the relaxed-simd proposal, shipped in Chromium 114 and
// Firefox 145; wazero does not run it). Their results may differ between
// machines within the bounds the proposal allows: kgen uses them only
// where every allowed result keeps the engine's numerics contract.

// F32x4RelaxedMadd is f32x4.relaxed_madd: a*b + c, fused (one rounding)
// or not (two), as the machine does it.
func F32x4RelaxedMadd(a, b, c Val) Val { return op(V128, simdOp(0x105), tVVV, a, b, c) }

// I16x8RelaxedDotI8x16I7x16S is i16x8.relaxed_dot_i8x16_i7x16_s: the sums
// of adjacent products of a (signed bytes) and b; deterministic only when
// every byte of b is in [0, 127].
func I16x8RelaxedDotI8x16I7x16S(a, b Val) Val { return op(V128, simdOp(0x112), tVV, a, b) }

// I32x4RelaxedDotI8x16I7x16AddS is i32x4.relaxed_dot_i8x16_i7x16_add_s:
// c plus the sums of four adjacent products of a (signed bytes) and b;
// deterministic only when every byte of b is in [0, 127].
func I32x4RelaxedDotI8x16I7x16AddS(a, b, c Val) Val {
	return op(V128, simdOp(0x113), tVVV, a, b, c)
}
