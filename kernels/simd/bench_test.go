package simd_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
)

// Microbenchmarks of every variant under wazero on MobileNet V1 layer
// shapes (1.0_224 for the integer kernels, 0.25_224 for float), reporting
// GMAC/s; BenchmarkPortable runs the portable twins natively for scale (the
// whole-model SIMD vs portable comparison in wasm is in package host):
//
//	go test -run '^$' -bench . ./kernels/simd

type benchShape struct {
	name string
	p    *kernels.ConvParams
}

func convP(h, w, ic, oc, k, s int) *kernels.ConvParams {
	oh, ow, pt, pl := kernels.ComputePadding(kernels.Window{Same: true, InH: h, InW: w, KH: k, KW: k, StrideH: s, StrideW: s})
	return &kernels.ConvParams{In: kernels.Shape4{N: 1, H: h, W: w, C: ic}, Out: kernels.Shape4{N: 1, H: oh, W: ow, C: oc},
		KH: k, KW: k, StrideH: s, StrideW: s, DilationH: 1, DilationW: 1, PadTop: pt, PadLeft: pl, DepthMultiplier: 1}
}

// benchShapes are the layers of the model a variant serves.
func benchShapes(v *simd.Variant) []benchShape {
	den := 1 // width multiplier 1.0 (integer models) or 1/4 (float: 0.25)
	if v.DType == simd.F32 {
		den = 4
	}
	ch := func(c int) int { return c / den }
	switch v.Op {
	case simd.OpGEMM:
		return []benchShape{
			{"112x112x32to64", convP(112, 112, ch(32), ch(64), 1, 1)},
			{"56x56x64to128", convP(56, 56, ch(64), ch(128), 1, 1)},
			{"56x56x128to128", convP(56, 56, ch(128), ch(128), 1, 1)},
			{"14x14x512to512", convP(14, 14, ch(512), ch(512), 1, 1)},
			{"7x7x1024to1024", convP(7, 7, ch(1024), ch(1024), 1, 1)},
		}
	case simd.OpDWConv:
		if v.Stride == 1 {
			return []benchShape{
				{"112x112x24", convP(112, 112, 24, 24, 3, 1)},
				{"112x112x32", convP(112, 112, ch(32), ch(32), 3, 1)},
				{"56x56x128", convP(56, 56, ch(128), ch(128), 3, 1)},
				{"14x14x512", convP(14, 14, ch(512), ch(512), 3, 1)},
			}
		}
		return []benchShape{
			{"112x112x64", convP(112, 112, ch(64), ch(64), 3, 2)},
			{"28x28x256", convP(28, 28, ch(256), ch(256), 3, 2)},
		}
	case simd.OpConv:
		return []benchShape{{"224x224x3to32", convP(224, 224, 3, ch(32), 3, 2)}}
	}
	return nil
}

// shapeName names a benchmark shape by its actual sizes.
func shapeName(v *simd.Variant, p *kernels.ConvParams) string {
	if v.Op == simd.OpDWConv {
		return fmt.Sprintf("%dx%dx%d", p.In.H, p.In.W, p.In.C)
	}
	return fmt.Sprintf("%dx%dx%dto%d", p.In.H, p.In.W, p.In.C, p.Out.C)
}

func BenchmarkKernels(b *testing.B) {
	h := newHost(b)
	for _, v := range simd.Variants {
		for _, s := range benchShapes(v) {
			b.Run(v.Name()+"/"+shapeName(v, s.p), func(b *testing.B) {
				h.reset()
				l, in, outLen := benchLayer(v, s.p)
				out := h.output(outLen)
				require.NoError(b, h.run(l, h.put(in), out))
				args := h.put(l.ArgsBytes())
				fn := h.fns[v.Name()]
				var err error
				for b.Loop() {
					if _, err = fn.Call(h.ctx, uint64(args)); err != nil {
						break // checked after the loop, so that require's bookkeeping is not timed
					}
				}
				require.NoError(b, err)
				b.ReportMetric(float64(l.MACs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// benchLayer prepares v on random data of shape p.
func benchLayer(v *simd.Variant, p *kernels.ConvParams) (*simd.Layer, []byte, int) {
	rng := rand.New(rand.NewPCG(1, 2))
	if v.DType == simd.F32 {
		in := randF32(rng, p.In.Size())
		filter := randF32(rng, filterLen(v, p))
		bias := randF32(rng, p.Out.C)
		if v.Op == simd.OpDWConv {
			return simd.NewDepthwiseF32(v, p, filter, bias, 0, 6), f32Bytes(in), 4 * p.Out.Size()
		}
		return simd.NewConvF32(v, p, filter, bias, 0, 6), f32Bytes(in), 4 * p.Out.Size()
	}
	in := randBytes(rng, p.In.Size())
	bias := randBias(rng, p.Out.C)
	if v.DType == simd.QC8 {
		q := randQuant[int8](rng, v.Scheme, p.Out.C)
		f := asT[int8](randBytes(rng, filterLen(v, p)))
		if v.Op == simd.OpDWConv {
			return simd.NewDepthwiseQ(v, p, q, f, bias), in, p.Out.Size()
		}
		return simd.NewConvQ(v, p, q, f, bias), in, p.Out.Size()
	}
	q := randQuant[uint8](rng, v.Scheme, p.Out.C)
	f := randBytes(rng, filterLen(v, p))
	if v.Op == simd.OpDWConv {
		return simd.NewDepthwiseQ(v, p, q, f, bias), in, p.Out.Size()
	}
	return simd.NewConvQ(v, p, q, f, bias), in, p.Out.Size()
}

// BenchmarkPortable runs the portable kernels natively on the default
// variants' shapes, for scale.
func BenchmarkPortable(b *testing.B) {
	for _, v := range simd.Variants {
		if !v.Default || v.Op == simd.OpAvgPool || (v.DType.Quantized() && v.Scheme != kernels.SchemeFP32) {
			continue
		}
		for _, s := range benchShapes(v) {
			p := s.p
			b.Run(fmt.Sprintf("%v_%v_s%d/%s", v.DType, v.Op, v.Stride, shapeName(v, p)), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 2))
				macs := int64(p.Out.Size()) * int64(p.KH*p.KW)
				if v.Op != simd.OpDWConv {
					macs *= int64(p.In.C)
				}
				var run func()
				switch v.DType {
				case simd.F32:
					in, f, bias, out := randF32(rng, p.In.Size()), randF32(rng, filterLen(v, p)), randF32(rng, p.Out.C), make([]float32, p.Out.Size())
					run = func() { kernels.ConvF32(p, in, f, bias, out, 0, 6) }
					if v.Op == simd.OpDWConv {
						run = func() { kernels.DepthwiseConvF32(p, in, f, bias, out, 0, 6) }
					}
				default:
					q := randQuant[uint8](rng, kernels.SchemeFP32, p.Out.C)
					in, f, bias, out := randBytes(rng, p.In.Size()), randBytes(rng, filterLen(v, p)), randBias(rng, p.Out.C), make([]byte, p.Out.Size())
					if v.Op == simd.OpGEMM {
						q.Packed = kernels.PrepackConvU8(p, q, f, bias)
					}
					run = func() { kernels.ConvU8(p, q, in, f, bias, out) }
					if v.Op == simd.OpDWConv {
						run = func() { kernels.DepthwiseConvU8(p, q, in, f, bias, out) }
					}
				}
				for b.Loop() {
					run()
				}
				b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
