package e2e

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestI420RoundTrip checks the conversions against each other: flat colour
// blocks survive I420 and back within the rounding of the 8-bit
// coefficients (2 levels), and grey stays grey.
func TestI420RoundTrip(t *testing.T) {
	colours := []color.RGBA{
		{0, 0, 0, 255}, {255, 255, 255, 255}, {128, 128, 128, 255},
		{200, 30, 40, 255}, {20, 180, 60, 255}, {30, 60, 220, 255}, {250, 220, 10, 255},
	}
	img := image.NewRGBA(image.Rect(0, 0, 2*len(colours), 4))
	for i, c := range colours {
		for y := 0; y < 4; y++ {
			img.SetRGBA(2*i, y, c)
			img.SetRGBA(2*i+1, y, c)
		}
	}
	back := I420(img).RGBA()
	for i, c := range colours {
		got := back.RGBAAt(2*i, 1)
		for ch, pair := range [][2]uint8{{c.R, got.R}, {c.G, got.G}, {c.B, got.B}} {
			assert.InDelta(t, pair[0], pair[1], 2, "colour %v: channel %d", c, ch)
		}
		if c.R == c.G && c.G == c.B {
			assert.True(t, got.R == got.G && got.G == got.B, "grey %v came back coloured: %v", c, got)
		}
	}
}

// TestI420Levels checks the limited range: black is Y=16, white Y=235,
// and neutral chroma is 128.
func TestI420Levels(t *testing.T) {
	for _, tc := range []struct {
		c    color.RGBA
		y, u byte
	}{{color.RGBA{0, 0, 0, 255}, 16, 128}, {color.RGBA{255, 255, 255, 255}, 235, 128}} {
		img := image.NewRGBA(image.Rect(0, 0, 2, 2))
		for i := 0; i < 4; i++ {
			img.SetRGBA(i%2, i/2, tc.c)
		}
		p := I420(img)
		assert.Equal(t, [3]byte{tc.y, tc.u, tc.u}, [3]byte{p.Y[0], p.U[0], p.V[0]}, "%v: Y, U, V", tc.c)
	}
}

// TestWriteY4M checks the stream's layout: the header, then per frame
// "FRAME\n" and the three planes.
func TestWriteY4M(t *testing.T) {
	p := Planes{W: 4, H: 2, Y: bytes.Repeat([]byte{1}, 8), U: []byte{2, 2}, V: []byte{3, 3}}
	var b bytes.Buffer
	require.NoError(t, WriteY4M(&b, p, 2, 30))
	header := "YUV4MPEG2 W4 H2 F30:1 Ip A1:1 C420jpeg\n"
	frame := "FRAME\n" + string(p.Y) + string(p.U) + string(p.V)
	assert.Equal(t, header+frame+frame, b.String())
}

// TestFitFrame checks that a wide photo is cropped, not squeezed: a photo
// whose outer thirds are red and middle third blue fills a 4:3 frame with
// blue in the centre and red at the edges.
func TestFitFrame(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 300, 100))
	for x := 0; x < 300; x++ {
		c := color.RGBA{255, 0, 0, 255}
		if x >= 100 && x < 200 {
			c = color.RGBA{0, 0, 255, 255}
		}
		for y := 0; y < 100; y++ {
			src.SetRGBA(x, y, c)
		}
	}
	dst := FitFrame(src, 40, 30)
	got := dst.RGBAAt(20, 15)
	assert.True(t, got.B >= 200 && got.R <= 50, "centre %v, want blue", got)
	// The 4:3 crop of the 300x100 source spans x in [83, 216): both
	// frame edges fall in the red thirds.
	for _, x := range []int{0, 39} {
		got := dst.RGBAAt(x, 15)
		assert.GreaterOrEqual(t, got.R, uint8(200), "edge x=%d %v, want red", x, got)
	}
	assert.Equal(t, image.Pt(40, 30), dst.Bounds().Size(), "frame size")
}
