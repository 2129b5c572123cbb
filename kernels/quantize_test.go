package kernels

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuantizeU8RoundingBySchemes(t *testing.T) {
	in := []float32{0, 0.25, -0.25, 0.75, 1.25, -1.25, 0.3, 1000, -1000, float32(math.Inf(1)), float32(math.NaN())}
	// scale 0.5, zp 128: x/scale = 0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.6, ...
	want := map[Scheme][]uint8{
		// round half away from zero
		SchemeReference: {128, 129, 127, 130, 131, 125, 129, 255, 0, 255, 128},
		// x * (1/scale), round half to even
		SchemeFP32: {128, 128, 128, 130, 130, 126, 129, 255, 0, 255, 128},
	}
	for _, scheme := range bothSchemes {
		out := make([]uint8, len(in))
		QuantizeU8(NewQuantizeParams(scheme, Quant{0.5, 128}), in, out)
		assert.Equal(t, want[scheme], out, "%v", scheme)
	}
}

func TestQuantizeI8(t *testing.T) {
	in := []float32{-1, -0.0078125, 0, 0.99, 2, -2}
	// scale 1/128, zp -1 (extreme-ish): -128 - 1 clamps to -128; -1 - 1;
	// -1; 126.72 -> 127 - 1 = 126; 256 - 1 clamps to 127; -256 - 1 to -128.
	want := []int8{-128, -2, -1, 126, 127, -128}
	for _, scheme := range bothSchemes {
		out := make([]int8, len(in))
		QuantizeI8(NewQuantizeParams(scheme, Quant{1.0 / 128, -1}), in, out)
		assert.Equal(t, want, out, "%v", scheme)
	}
}

// The model input of the quantized release: x/127.5 - 1 quantized with
// scale 1/128 and zero point 128 gives back the byte (up to rounding).
func TestQuantizeMobileNetInput(t *testing.T) {
	for _, scheme := range bothSchemes {
		p := NewQuantizeParams(scheme, Quant{1.0 / 128, 128})
		for b := 0; b < 256; b++ {
			x := float32(float64(b)/127.5 - 1)
			out := []uint8{0}
			QuantizeU8(p, []float32{x}, out)
			want := min(math.Round(float64(x)*128)+128, 255)
			require.Equal(t, want, float64(out[0]), "%v: byte %d", scheme, b)
		}
	}
}

func TestDequantize(t *testing.T) {
	out := make([]float32, 3)
	DequantizeU8([]uint8{130, 128, 0}, out, 0.5, 128)
	assert.Equal(t, []float32{1, 0, -64}, out, "uint8")
	DequantizeI8([]int8{-128, 127, 0}, out, 0.1, -128)
	// float32(0.1) * 0 = 0; 255 * 0.1f rounds to 25.5; 128 * 0.1f = 12.8.
	assert.Equal(t, []float32{0, float32(255) * float32(0.1), float32(128) * float32(0.1)}, out, "int8")
	// One rounding: the float64 product rounded to float32 is the float32
	// product.
	for q := -255; q <= 255; q++ {
		for _, s := range []float32{0.1, 0.0235285, 1.0 / 3, 7.77e-5} {
			a, b := float32(float64(s)*float64(q)), float32(q)*s
			require.Equal(t, b, a, "q %d scale %v: float64 %v, float32 %v", q, s, a, b)
		}
	}
}

// uint8 <-> int8 with the same scale and zero points 128 apart flips the
// top bit (TFLite's fast path).
func TestRequantizeU8I8FlipsTopBit(t *testing.T) {
	u := make([]uint8, 256)
	for i := range u {
		u[i] = uint8(i)
	}
	i8 := make([]int8, 256)
	RequantizeU8ToI8(NewRequantizeParams(Quant{0.02, 128}, Quant{0.02, 0}), u, i8)
	for i := range u {
		require.Equal(t, u[i]^0x80, uint8(i8[i]), "uint8 %d -> int8", u[i])
	}
	back := make([]uint8, 256)
	RequantizeI8ToU8(NewRequantizeParams(Quant{0.02, 0}, Quant{0.02, 128}), i8, back)
	assert.Equal(t, u, back, "round trip")
}

func TestRequantizeScaleChange(t *testing.T) {
	// Scale 1 -> 2 (multiplier 2^30, shift 0): q/2 rounded half away.
	p := NewRequantizeParams(Quant{1, 0}, Quant{2, 0})
	require.Equal(t, &RequantizeParams{Multiplier: 1 << 30, Shift: 0}, p)
	outI := make([]int8, 5)
	RequantizeI8(p, []int8{3, -3, 1, -1, 127}, outI)
	// With shift 0 the only rounding is SaturatingRoundingDoublingHighMul's,
	// which breaks ties toward +infinity: 1.5 -> 2, -1.5 -> -1, 0.5 -> 1,
	// -0.5 -> 0, 63.5 -> 64.
	assert.Equal(t, []int8{2, -1, 1, 0, 64}, outI, "int8")
	// Scale 2 -> 1 with zero points 10 -> 200: (q - 10) * 2 + 200, clamped.
	outU := make([]uint8, 3)
	RequantizeU8(NewRequantizeParams(Quant{2, 10}, Quant{1, 200}), []uint8{10, 30, 0}, outU)
	assert.Equal(t, []uint8{200, 240, 180}, outU, "uint8")
	RequantizeU8(NewRequantizeParams(Quant{2, 10}, Quant{1, 200}), []uint8{40, 255}, outU[:2])
	assert.Equal(t, []uint8{255, 255}, outU[:2], "uint8 saturation")
}

func TestQuantizeZeroAllocs(t *testing.T) {
	f := make([]float32, 1000)
	u := make([]uint8, 1000)
	p := NewQuantizeParams(SchemeFP32, Quant{1.0 / 128, 128})
	n := testing.AllocsPerRun(5, func() { QuantizeU8(p, f, u); DequantizeU8(u, f, 0.5, 3) })
	assert.Zero(t, n, "allocations per run")
}
