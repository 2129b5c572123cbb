package kgen

import (
	"fmt"

	. "mobilenet-wasm/kernels/simd/asm"

	"mobilenet-wasm/kernels"
)

// requant turns the int32 accumulators acc of channels 4g..4g+3 of a tile
// of t channels into output values (i32 lanes, output zero point added),
// reading the tile's requantization block at rq (see the layouts in
// package simd), bit-identical with kernels.Requant.Apply once stored with
// storeNarrow(..., narrowMax(q)). It returns a local holding the result
// (reused by the next call for the same g).
func (e *emitter) requant(acc Val, rq Val, t, g int, q quant) Local {
	f := e.f
	out := e.tmp(fmt.Sprintf("rq%d", g), V128)
	if e.v.Scheme != kernels.SchemeReference {
		// fp32 (XNNPACK's wasmsimd "magic" form): v = float32(acc) * scale,
		// then v + magicBias holds round(v) (nearest-even) in its low bits
		// while |v| < 2^22; as i32 lanes, max with bits(magic) + ActMin -
		// ZP clamps below (a v below -2^22 gives a smaller or negative
		// bit pattern: ActMin), minus bits(magic) - ZP gives round(v) + ZP.
		// The lanes are not clamped above (a v above 2^22 gives a larger
		// pattern): the narrowing saturates and storeNarrow's byte min
		// clamps to ActMax. Clamping after rounding equals clamping
		// before, as the bounds are integers: the portable kernel's
		// result.
		v := F32x4Mul(F32x4ConvertI32x4S(acc), V128Load(rq, uint32(16*g)))
		v = F32x4Add(v, I32x4Splat(c32(magicBias)))
		f.Set(out, I32x4Sub(I32x4MaxS(v, q.magicMin), q.magicSub))
		return out
	}
	e.requantRef(out, acc, rq, t, g, q)
	return out
}

// requantRef is TFLite's reference requantization on four lanes:
//
//	x = acc * 2^left                                  (int32, wrapping)
//	r = (int64(x) * mult + 2^30) >> 31                SaturatingRoundingDoublingHighMul
//	out = clamp(RoundingDivideByPOT(r, right) + ZP, ActMin, ActMax)
//
// The doubling high multiply: TFLite adds 2^30 (or 1-2^30 when the
// product is negative) and divides by 2^31 truncating; both cases equal
// floor((ab + 2^30) / 2^31), an arithmetic shift. (The saturating case
// a == b == MinInt32 cannot happen: mult is 0 or in [2^30, 2^31).) The
// rounding divide by 2^e (ties away from zero) is floor((r + nudge) / 2^e)
// with nudge = 2^(e-1) - (r < 0) for e > 0 and 0 for e = 0; the lanes
// have their own e, and SIMD shifts take one count, so the division is the
// high half of the int64 product (r + nudge) * 2^(32-e): no overflow, as
// |r| < 2^31 and 2^(32-e) <= 2^32 with e = 0 giving r itself.
func (e *emitter) requantRef(out Local, acc, rq Val, t, g int, q quant) {
	f := e.f
	x := e.tmp("ref_x", V128)
	lo := e.tmp("ref_lo", V128)
	hi := e.tmp("ref_hi", V128)
	f.Set(x, I32x4Mul(acc, V128Load(rq, uint32(4*t+16*g)))) // * 2^left
	mult := V128Load(rq, uint32(16*g))
	bias30 := I64x2Const(1<<30, 1<<30)
	f.Set(lo, I64x2ShrS(I64x2Add(I64x2ExtMulLowI32x4S(x, mult), bias30), c32(31)))
	mult = V128Load(rq, uint32(16*g))
	f.Set(hi, I64x2ShrS(I64x2Add(I64x2ExtMulHighI32x4S(x, mult), bias30), c32(31)))
	div := func(r Local, half int) Val {
		off := uint32(32*g + 16*half)
		base := V128Load(rq, uint32(8*t)+off)
		mask := V128Load(rq, uint32(16*t)+off)
		pow := V128Load(rq, uint32(24*t)+off)
		nudge := I64x2Add(base, V128And(I64x2ShrS(r, c32(63)), mask))
		return I64x2Mul(I64x2Add(r, nudge), pow)
	}
	f.Set(lo, div(lo, 0))
	f.Set(hi, div(hi, 1))
	// The high halves of the four int64 lanes.
	v := I8x16Shuffle(lo, hi, [16]byte{4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31})
	f.Set(out, I32x4MinS(I32x4MaxS(I32x4Add(v, q.zp), q.amin), q.amax))
}

// narrowMax is the byte clamp storeNarrow applies after requant: ActMax
// for fp32 (requant leaves the upper clamp to it), nil for ref.
func (e *emitter) narrowMax(q quant) Val {
	if e.v.Scheme != kernels.SchemeReference {
		return q.maxBytes
	}
	return nil
}
