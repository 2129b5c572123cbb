// Package kernels holds the math of the engine: portable Go reference
// kernels for every op the engine runs, in float32, uint8 (asymmetric,
// per-tensor) and int8 (per-channel symmetric weights), with TFLite-exact
// integer arithmetic in two requantization schemes (see Scheme).
//
// Kernels are pure functions over slices and a params struct computed once at
// plan time (Prepare/Eval split, as in tflite-micro): they never allocate,
// never return errors and trust their params; the engine validates shapes
// before calling them. The wasm SIMD variants (kernels/simd) are tested
// against these.
package kernels

// Shape4 is an NHWC activation shape.
type Shape4 struct{ N, H, W, C int }

// Size is the number of elements of s.
func (s Shape4) Size() int { return s.N * s.H * s.W * s.C }

// Quant is a tensor's per-tensor affine quantization, real = Scale * (q -
// ZeroPoint): what the quantized constructors take for each input and
// output. (Per-channel filter scales stay a []float32: only the filter of
// a conv or fully connected layer has them.)
type Quant struct {
	Scale     float32
	ZeroPoint int32
}

// Scheme selects how quantized kernels turn int32 accumulators into 8-bit
// outputs.
type Scheme uint8

const (
	// SchemeFP32 is what TFLite runs through XNNPACK (also in browsers):
	// float32(acc) * scale, clamped, rounded to nearest-even, plus the
	// output zero point. scale = inputScale * filterScale / outputScale in
	// float32. With TFLite's built-in AVERAGE_POOL_2D and uint8 SOFTMAX
	// (float exp table) this reproduces the official runtime's outputs.
	SchemeFP32 Scheme = iota
	// SchemeReference is TFLite's reference kernels: a quantized
	// multiplier and shift (from the double-precision scale), rounding
	// doubling high multiply, rounding divide by power of two, and the
	// fixed-point softmax.
	SchemeReference
)

// String names the scheme as the CLI's -requant flag spells it.
func (s Scheme) String() string {
	if s == SchemeReference {
		return "reference"
	}
	return "fp32"
}

// Requant turns an int32 accumulator of output channel c into an output
// value. Its slices have one entry per output channel (per-tensor
// quantization repeats the same value), so kernels always index by channel.
type Requant struct {
	Scheme Scheme
	// Scale is the fp32 scheme's float32 multiplier per channel.
	Scale []float32
	// Multiplier and Shift are the reference scheme's quantized multiplier
	// (Q31) and shift (positive = left) per channel.
	Multiplier []int32
	Shift      []int32
	// OutputOffset is the output zero point, added after scaling.
	OutputOffset int32
	// ActMin and ActMax clamp the result (the fused activation and the
	// output type's range), in the output's quantized domain.
	ActMin, ActMax int32
}

// ConvParams describe a CONV_2D or DEPTHWISE_CONV_2D: shapes, strides,
// dilations and the padding already resolved to top/left offsets.
// Filters are OHWI for CONV_2D ([OC, KH, KW, IC]) and 1HWO for
// DEPTHWISE_CONV_2D ([1, KH, KW, IC*DepthMultiplier]).
type ConvParams struct {
	In, Out              Shape4
	KH, KW               int
	StrideH, StrideW     int
	DilationH, DilationW int
	PadTop, PadLeft      int
	DepthMultiplier      int // DEPTHWISE_CONV_2D only
}

// PoolParams describe AVERAGE_POOL_2D and MAX_POOL_2D.
type PoolParams struct {
	In, Out          Shape4
	FilterH, FilterW int
	StrideH, StrideW int
	PadTop, PadLeft  int
}

// QuantConv are the integer parameters of a quantized CONV_2D,
// DEPTHWISE_CONV_2D or FULLY_CONNECTED, named as in TFLite.
type QuantConv struct {
	InputOffset  int32 // -input zero point
	FilterOffset int32 // -filter zero point (0 for int8 per-channel)
	Requant
	// Packed, when not nil, holds the layer's weights prepacked at plan
	// time for the pointwise GEMM (see Prepacked, PrepackConvU8 and
	// friends); nil runs the unpacked kernels, with the same results.
	Packed *Prepacked
}

// FoldedBias is the constant part of output channel o's accumulator once
// the input offset is folded into the bias, for kernels that read the
// input without adding InputOffset: with w' = filter + FilterOffset and
// filterSum the sum of the channel's w',
//
//	sum (x + InputOffset) * w' + bias[o] = sum x * w' + FoldedBias(bias, o, filterSum)
//
// exactly in int32 (a ring: wrapping included). bias may be nil (zero).
func (q *QuantConv) FoldedBias(bias []int32, o int, filterSum int32) int32 {
	var b int32
	if bias != nil {
		b = bias[o]
	}
	return b + q.InputOffset*filterSum
}

// InputZeroPoints returns n bytes holding the input zero point (a uint8,
// or an int8 in two's complement): what a padding tap reads in kernels
// that fold the input offset into the bias, so that it contributes
// nothing, as an out-of-bounds tap does in the portable kernels.
func (q *QuantConv) InputZeroPoints(n int) []byte {
	b := make([]byte, n)
	fill(b, byte(-q.InputOffset))
	return b
}
