package kernels

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPadFloatZerosSpatial(t *testing.T) {
	// 1x2x2x1 padded by one on every side of H and W: 1x4x4x1.
	p := NewPadParams(Shape4{1, 2, 2, 1}, [4]int{0, 1, 1, 0}, [4]int{0, 1, 1, 0})
	require.Equal(t, (Shape4{1, 4, 4, 1}), p.Out, "out shape %v", p.Out)
	out := make([]float32, p.Out.Size())
	Pad(p, []float32{1, 2, 3, 4}, out, 0)
	want := []float32{
		0, 0, 0, 0,
		0, 1, 2, 0,
		0, 3, 4, 0,
		0, 0, 0, 0,
	}
	assert.Equal(t, want, out)
}

// Quantized PAD fills with the zero point; every dimension can be padded,
// before and after independently (asymmetric, as TF's SAME padding of an
// even input gives).
func TestPadU8ZeroPointAllDims(t *testing.T) {
	p := NewPadParams(Shape4{1, 1, 2, 2}, [4]int{1, 0, 0, 1}, [4]int{0, 1, 1, 0})
	require.Equal(t, (Shape4{2, 2, 3, 3}), p.Out, "out shape %v", p.Out)
	out := make([]uint8, p.Out.Size())
	Pad(p, []uint8{1, 2, 3, 4}, out, 128)
	z := uint8(128)
	want := []uint8{
		// batch 0: all padding
		z, z, z, z, z, z, z, z, z,
		z, z, z, z, z, z, z, z, z,
		// batch 1, row 0: two pixels with one channel of padding before,
		// then one padding pixel
		z, 1, 2, z, 3, 4, z, z, z,
		// row 1: padding
		z, z, z, z, z, z, z, z, z,
	}
	assert.Equal(t, want, out)
}

func TestPadI8TopLeftOnly(t *testing.T) {
	p := NewPadParams(Shape4{1, 2, 1, 1}, [4]int{0, 1, 2, 0}, [4]int{})
	out := make([]int8, p.Out.Size())
	Pad(p, []int8{-1, 5}, out, -128)
	want := []int8{
		-128, -128, -128,
		-128, -128, -1,
		-128, -128, 5,
	}
	assert.Equal(t, want, out)
}

func TestPadNoPaddingCopies(t *testing.T) {
	p := NewPadParams(Shape4{2, 2, 2, 3}, [4]int{}, [4]int{})
	in := make([]int32, p.In.Size())
	for i := range in {
		in[i] = int32(i)
	}
	out := make([]int32, p.Out.Size())
	Pad(p, in, out, -1)
	assert.Equal(t, out, in)
}

func TestPadZeroAllocs(t *testing.T) {
	p := NewPadParams(Shape4{1, 112, 112, 32}, [4]int{0, 0, 0, 0}, [4]int{0, 1, 1, 0})
	in := make([]uint8, p.In.Size())
	out := make([]uint8, p.Out.Size())
	n := testing.AllocsPerRun(5, func() { Pad(p, in, out, 128) })
	assert.Zero(t, n, "allocations per run")
}
