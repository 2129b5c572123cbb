// Package simd holds the WebAssembly SIMD kernels of the engine and
// everything around them: the registry of kernel variants, the generated
// module simd.wasm (embedded as Module), the plan-time preparation of a
// layer (Layer: weights packed into the layout its variant reads), and the
// dispatch that runs a Layer on its variant when the engine is built for
// wasm and the host linked the module.
//
// Why a separate, generated module: Go's wasm backend emits no SIMD
// instructions, so the kernels are written as a Go program (internal/kgen,
// on the encoder in package asm) that emits simd.wasm. The module imports
// the engine's linear memory as "engine" "memory" and exports one function
// per variant plus simd_abi_version; every kernel takes one i32, the address
// of its argument block (GEMMArgs, DWArgs, ConvArgs or PoolArgs) in that
// memory, and returns nothing. The engine imports the kernels as module
// "simd" (//go:wasmimport, imports_wasip1.go); the host instantiates the
// engine, then simd.wasm on the engine's memory, and forwards each import to
// the export of the same name (see package mobilenet-wasm/wasm for the ABI).
//
// Kernel variants are named like XNNPACK's: dtype, op, requantization,
// shape, tile, ISA, e.g. qu8_dwconv_fp32_3x3s2_8c__wasmsimd (uint8 per-tensor
// depthwise 3x3 stride 2, fp32 requantization, 8 channels per pass) or
// qu8_gemm_fp32_3x4c8__wasmsimd (pointwise conv as a GEMM, 3 pixels x 4
// output channels per block, 8 input channels per i32x4.dot_i16x8_s step).
// dtypes: qu8 (uint8, per-tensor), qc8 (int8 activations, per-channel
// symmetric int8 weights: the TFLite int8 spec), f32. Requantizations: fp32
// and ref (kernels.SchemeFP32 and kernels.SchemeReference); both are
// bit-identical with the portable kernels in package kernels, and the f32
// kernels sum in the portable kernels' order, so their results are equal
// to the portable ones as float32 values (up to the sign of a zero).
//
// simd-relaxed.wasm (kgen.BuildRelaxed, committed beside simd.wasm) has the
// same exports, argument blocks and packed layouts; its float kernels
// multiply-add with f32x4.relaxed_madd, so their results may differ from
// the portable ones by a rounding per sum (within the float contract,
// 1e-5); its integer kernels are simd.wasm's. wazero does not run it: the
// browser tests (e2e) compare it with simd.wasm and the portable kernels.
//
// Variants lists every variant once; it feeds the generator, the tests, the
// benchmarks and the dispatch (Default marks those the engine imports and
// chooses from, by shape: see Variant.Default). The engine prepares a
// Layer at plan time with NewConvQ, NewConvF32, NewDepthwiseQ,
// NewDepthwiseF32, NewAvgPoolQ or NewAvgPoolF32 (nil: no variant fits, run
// the portable kernel), binds the tensors' addresses (BindSlices) and calls
// Run per inference while Enabled; SetEnabled switches to the portable
// kernels at run time. With kernel threads (the host's simd_threads
// answers more than 1), BindSlices also splits each large layer into parts
// over its output rows (split.go), which Run hands to the host's
// simd_parallel to run at once on several instances of simd.wasm.
//
// What the kernels do not cover (the engine runs the portable kernels):
// dilated convolutions, depthwise filters other than 3x3 or with a depth
// multiplier, depthwise strides other than 1x1 and 2x2, MAX_POOL_2D,
// FULLY_CONNECTED, and the other ops (softmax, add, pad, mean, quantize...).
//
// This package is not the portable kernels (package kernels), and runs
// nothing natively: outside wasip1, Linked is false and the engine uses
// the portable kernels. Tests run the module under wazero, against the
// portable kernels; the generator is ordinary Go (internal/kgen), so tile
// sizes are fields of Variant and unrolling is Go loops.
package simd

import (
	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/kernels"
)

//go:generate go run ./gen

// Op is the operation a kernel variant computes.
type Op uint8

const (
	// OpGEMM is a pointwise (1x1, stride 1, unpadded) CONV_2D as a GEMM over
	// pixels: Rows x K input, K x N packed weights, Rows x N output.
	OpGEMM Op = iota
	// OpDWConv is DEPTHWISE_CONV_2D 3x3, depth multiplier 1, dilation 1,
	// any padding, stride 1 or 2.
	OpDWConv
	// OpConv is any other CONV_2D (dilation 1), one output row at a time:
	// im2col the row's patches into a scratch buffer, then the GEMM (float
	// variants copy only the patches that touch the padding and read the
	// others in place).
	OpConv
	// OpAvgPool is AVERAGE_POOL_2D.
	OpAvgPool
)

var opNames = [...]string{"gemm", "dwconv", "conv", "avgpool"}

func (o Op) String() string { return opNames[o] }

// DType is a kernel's data type.
type DType uint8

const (
	QU8 DType = iota // uint8 activations and weights, per-tensor
	QC8              // int8 activations, int8 per-channel symmetric weights
	F32              // float32
)

var dtypeNames = [...]string{"qu8", "qc8", "f32"}

func (d DType) String() string { return dtypeNames[d] }

// Quantized reports whether d is an integer type.
func (d DType) Quantized() bool { return d != F32 }

// Variant is one entry of the registry: one kernel of simd.wasm (one
// export) and the shapes dispatch gives it.
type Variant struct {
	Op     Op
	DType  DType
	Scheme kernels.Scheme // quantized GEMM, DWConv and Conv only
	// MR x NR is the register block of GEMM and Conv: pixels by output
	// channels. NR is a multiple of 4.
	MR, NR int
	// KStep is the quantized GEMM's and Conv's input channels per step,
	// the cN of the name: 8 (c8: one i32x4.dot_i16x8_s per pixel and
	// channel on 8 input channels, lanes summed at the end) or 2 (c2: a
	// pair of input channels broadcast, one dot per pixel and 4 channels,
	// no final sums: better for small K). 0 for f32.
	KStep int
	// TapPairs selects, for quantized DWConv, the tap-pair layout (the
	// name's trailing 2): two taps' inputs interleaved (i16) against
	// interleaved weights, one i32x4.dot_i16x8_s per pair of taps and 4
	// channels, instead of two i32x4.extmul per tap, because V8 lowers each
	// extmul to three x64 instructions and the dot to one pmaddwd. False:
	// one tap at a time.
	TapPairs bool
	// Stride is DWConv's stride (its filter is 3x3).
	Stride int
	// CT is DWConv's and AvgPool's channel tile: channels per pass, a
	// multiple of 8 (quantized) or 4 (f32).
	CT int
	// Default marks the variants dispatch chooses from (and the engine
	// imports): for a layer, the first Default variant of its op, dtype,
	// scheme and stride, in registry order, whose limits admit it (MaxRows,
	// MaxK, and for DWConv a CT dividing the channel count), else the first
	// one without limits.
	Default bool
	// MaxRows and MaxK, when not 0, limit the GEMMs dispatch gives the
	// variant: at most MaxRows pixels, at most MaxK input channels.
	MaxRows, MaxK int
}

// Name is the variant's export name.
func (v *Variant) Name() string {
	req := "minmax"
	if v.DType.Quantized() {
		req = "fp32"
		if v.Scheme == kernels.SchemeReference {
			req = "ref"
		}
	}
	var shape string
	switch v.Op {
	case OpGEMM, OpConv:
		shape = textfmt.Sprintf("%dx%d", v.MR, v.NR)
		if v.DType.Quantized() {
			shape += textfmt.Sprintf("c%d", v.KStep)
		}
		if v.Op == OpConv {
			shape = "im2col_" + shape
		}
	case OpDWConv:
		shape = textfmt.Sprintf("3x3s%d_%dc", v.Stride, v.CT)
		if v.TapPairs {
			shape += "2" // like XNNPACK's c2 GEMMs' channel pairs
		}
	case OpAvgPool:
		shape = textfmt.Sprintf("%dc", v.CT)
		if v.DType.Quantized() {
			req = "" // no requantization: in and out share scale and zero point
		}
	}
	if req != "" {
		req += "_"
	}
	return textfmt.Sprintf("%v_%v_%s%s__wasmsimd", v.DType, v.Op, req, shape)
}

// Variants is the registry: every kernel of simd.wasm, in export order.
// Adding a variant is one line; the generator, tests, benchmarks and
// dispatch pick it up.
var Variants = []*Variant{
	// Pointwise GEMMs, integer. c8: 8 input channels per
	// i32x4.dot_i16x8_s; c2: a broadcast pair of input channels per dot
	// (no final lane sums: faster for K <= 32). One-row layers (logits)
	// take MR = 1 rather than computing a repeated row. qu8 fp32 takes
	// 2x4c8 for K > 32 and 4x8c2 below: timed on the same arguments in
	// Chromium 156 (x64; node bench/browser/run.mjs --profile 20), 2x4c8
	// beat 1x4c8 on every pointwise layer of the 0.25_128, 0.5_160 and
	// 1.0_224 quant models by 5-15% (3x4c8 and 4x4c8 were slower: their
	// accumulators and inputs do not fit the 15 allocatable xmm
	// registers), and 4x8c2 beat 6x8c2 by 5-30%. The qc8 and ref defaults
	// were not re-measured.
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 1, NR: 8, KStep: 8, Default: true, MaxRows: 1},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 4, NR: 8, KStep: 2, Default: true, MaxK: 32},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 2, NR: 4, KStep: 8, Default: true},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 3, NR: 4, KStep: 8},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 1, NR: 4, KStep: 8},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 4, NR: 4, KStep: 8},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 2, NR: 8, KStep: 8},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 2, NR: 8, KStep: 2},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeFP32, MR: 6, NR: 8, KStep: 2},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeReference, MR: 1, NR: 8, KStep: 8, Default: true, MaxRows: 1},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeReference, MR: 6, NR: 8, KStep: 2, Default: true, MaxK: 32},
	{Op: OpGEMM, DType: QU8, Scheme: kernels.SchemeReference, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeFP32, MR: 1, NR: 8, KStep: 8, Default: true, MaxRows: 1},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeFP32, MR: 6, NR: 8, KStep: 2, Default: true, MaxK: 32},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeFP32, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeReference, MR: 1, NR: 8, KStep: 8, Default: true, MaxRows: 1},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeReference, MR: 6, NR: 8, KStep: 2, Default: true, MaxK: 32},
	{Op: OpGEMM, DType: QC8, Scheme: kernels.SchemeReference, MR: 3, NR: 4, KStep: 8, Default: true},
	// Pointwise GEMMs, float: x broadcast, NR output channels per block.
	{Op: OpGEMM, DType: F32, MR: 1, NR: 8, Default: true, MaxRows: 1},
	{Op: OpGEMM, DType: F32, MR: 2, NR: 8},
	{Op: OpGEMM, DType: F32, MR: 4, NR: 8, Default: true},
	{Op: OpGEMM, DType: F32, MR: 4, NR: 4},
	{Op: OpGEMM, DType: F32, MR: 6, NR: 8},

	// Depthwise 3x3: 16 channels per pass, or 8 when 16 does not divide
	// the channel count (the exact tail path is slow). Quantized: tap pairs
	// by default; the one-tap-at-a-time kernels stay for A/B runs.
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 1, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 1, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 2, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 2, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 1, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 1, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 2, CT: 16, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 2, CT: 8, TapPairs: true, Default: true},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 16},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 8},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 16},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 8},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 1, CT: 16},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 1, CT: 8},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 2, CT: 16},
	{Op: OpDWConv, DType: QU8, Scheme: kernels.SchemeReference, Stride: 2, CT: 8},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 16},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 1, CT: 8},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 16},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeFP32, Stride: 2, CT: 8},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 1, CT: 16},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 1, CT: 8},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 2, CT: 16},
	{Op: OpDWConv, DType: QC8, Scheme: kernels.SchemeReference, Stride: 2, CT: 8},
	{Op: OpDWConv, DType: F32, Stride: 1, CT: 16, Default: true},
	{Op: OpDWConv, DType: F32, Stride: 1, CT: 8, Default: true},
	{Op: OpDWConv, DType: F32, Stride: 2, CT: 16, Default: true},
	{Op: OpDWConv, DType: F32, Stride: 2, CT: 8, Default: true},

	// Full convolutions (the first 3x3 stride-2 layer): im2col + GEMM.
	{Op: OpConv, DType: QU8, Scheme: kernels.SchemeFP32, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpConv, DType: QU8, Scheme: kernels.SchemeFP32, MR: 6, NR: 8, KStep: 2},
	{Op: OpConv, DType: QU8, Scheme: kernels.SchemeReference, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpConv, DType: QC8, Scheme: kernels.SchemeFP32, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpConv, DType: QC8, Scheme: kernels.SchemeReference, MR: 3, NR: 4, KStep: 8, Default: true},
	{Op: OpConv, DType: F32, MR: 4, NR: 8, Default: true},

	// Average pooling.
	{Op: OpAvgPool, DType: QU8, CT: 16, Default: true},
	{Op: OpAvgPool, DType: QC8, CT: 16, Default: true},
	{Op: OpAvgPool, DType: F32, CT: 16, Default: true},
}

// Lookup returns the variant named name, or nil.
func Lookup(name string) *Variant {
	for _, v := range Variants {
		if v.Name() == name {
			return v
		}
	}
	return nil
}

// index returns v's position in Variants.
func index(v *Variant) int {
	for i, w := range Variants {
		if w == v {
			return i
		}
	}
	panic("simd: variant not in the registry")
}

// pick returns the variant dispatch runs a layer on (see Variant.Default):
// op, dtype, scheme (ignored for f32 and pooling), stride (DWConv, else 0),
// rows and k (GEMM and Conv: pixels per GEMM and input channels), c
// (DWConv's channels). nil when none is registered.
func pick(op Op, d DType, scheme kernels.Scheme, stride, rows, k, c int) *Variant {
	if !d.Quantized() || op == OpAvgPool {
		scheme = 0
	}
	var fallback *Variant
	for _, v := range Variants {
		if !v.Default || v.Op != op || v.DType != d || v.Scheme != scheme || v.Stride != stride {
			continue
		}
		if fallback == nil && v.MaxRows == 0 && v.MaxK == 0 {
			fallback = v
		}
		if (v.MaxRows > 0 && rows > v.MaxRows) || (v.MaxK > 0 && k > v.MaxK) || (op == OpDWConv && c%v.CT != 0) {
			continue
		}
		return v
	}
	return fallback
}

// The argument blocks. Each kernel reads one from the address it is passed;
// all fields are 32-bit, little-endian, in declaration order (the
// generator takes the offsets from these declarations). Addresses are in
// the engine's linear memory; sizes count elements, strides bytes.

// GEMMArgs is the argument block of the OpGEMM kernels.
type GEMMArgs struct {
	X, XStride     uint32 // input row r is at X + r*XStride
	Out, OutStride uint32 // output row r is at Out + r*OutStride
	Rows, K, N     uint32 // pixels, input channels, output channels
	W              uint32 // packed weights (packGEMMQ, packGEMMF32)
	Q              QuantArgs
	Scratch        uint32 // quantized c8: Rows int32s, each input row's sum (ShiftBytes)
}

// QuantArgs are the per-layer requantization and clamp fields.
type QuantArgs struct {
	ZP             int32   // output zero point (quantized)
	Lo, Hi         float32 // fp32: clamp bounds less ZP; f32 kernels: activation clamp
	ActMin, ActMax int32   // ref: the clamp of the output
}

// DWArgs is the argument block of the OpDWConv kernels.
type DWArgs struct {
	X, Out, W      uint32
	Zero           uint32 // C elements equal to the input zero point (0.0 for f32)
	N, InH, InW, C uint32
	OutH, OutW     uint32
	PadTop         uint32
	PadLeft        uint32
	Q              QuantArgs
}

// ConvArgs is the argument block of the OpConv kernels.
type ConvArgs struct {
	X, Out, W, Zero  uint32 // Zero: C elements of the input zero point
	Scratch          uint32 // OutW * KStride bytes, then (quantized c8) TileScratchBytes (quantized c8: then OutW int32s, the rows' sums)
	N, InH, InW, C   uint32
	OutH, OutW, OutC uint32
	KH, KW           uint32
	StrideH, StrideW uint32
	PadTop, PadLeft  uint32
	KStride          uint32 // bytes per im2col row: K*elem rounded up to 8 bytes (quantized: 8 elements)
	Q                QuantArgs
}

// PoolArgs is the argument block of the OpAvgPool kernels.
type PoolArgs struct {
	X, Out           uint32
	N, InH, InW, C   uint32
	OutH, OutW       uint32
	FH, FW           uint32
	StrideH, StrideW uint32
	PadTop, PadLeft  uint32
	Q                QuantArgs // ActMin/ActMax (quantized) or Lo/Hi (f32)
}
