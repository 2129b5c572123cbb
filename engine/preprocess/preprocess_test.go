package preprocess

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refColor is the goldens' colour rule, written out independently of
// pixelRGB: YCbCr via color.YCbCrToRGB, gray replicated, anything else via
// color.NRGBAModel, alpha dropped.
func refColor(c color.Color) [3]float64 {
	var r, g, b uint8
	switch c := c.(type) {
	case color.YCbCr:
		r, g, b = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NYCbCrA:
		r, g, b = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.Gray:
		r, g, b = c.Y, c.Y, c.Y
	default:
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		r, g, b = n.R, n.G, n.B
	}
	return [3]float64{float64(r), float64(g), float64(b)}
}

// reference is the goldens' crop and resize written as literally as
// possible (math.Floor, math.Round, math.Min/Max, per pixel and channel, on
// img.At), the oracle for the fast code.
func reference(img image.Image, size int) []byte {
	b := img.Bounds()
	W, H := b.Dx(), b.Dy()
	startX := int(int32((float64(W) - float64(W)*0.875) / 2))
	startY := int(int32((float64(H) - float64(H)*0.875) / 2))
	cw, ch := W-2*startX, H-2*startY
	p := func(x, y int) [3]float64 { return refColor(img.At(b.Min.X+startX+x, b.Min.Y+startY+y)) }
	scaleX := float64(cw) / float64(size)
	scaleY := float64(ch) / float64(size)
	out := make([]byte, 0, size*size*3)
	for oy := 0; oy < size; oy++ {
		for ox := 0; ox < size; ox++ {
			inX := math.Min(math.Max(float64((float64(ox)+0.5)*scaleX)-0.5, 0), float64(cw-1))
			inY := math.Min(math.Max(float64((float64(oy)+0.5)*scaleY)-0.5, 0), float64(ch-1))
			x0, y0 := int(math.Floor(inX)), int(math.Floor(inY))
			x1, y1 := min(x0+1, cw-1), min(y0+1, ch-1)
			fx, fy := inX-float64(x0), inY-float64(y0)
			p00, p01, p10, p11 := p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1)
			for k := 0; k < 3; k++ {
				top := p00[k] + float64((p01[k]-p00[k])*fx)
				bot := p10[k] + float64((p11[k]-p10[k])*fx)
				v := top + float64((bot-top)*fy)
				out = append(out, byte(math.Min(math.Max(math.Round(v), 0), 255)))
			}
		}
	}
	return out
}

// opaque hides an image's concrete type, forcing the generic At path.
type opaque struct{ image.Image }

// randomImages returns one image of every concrete type with a fast path
// (and a few without), w x h at origin (ox, oy), with random pixels.
func randomImages(rng *rand.Rand, w, h, ox, oy int) map[string]image.Image {
	r := image.Rect(ox, oy, ox+w, oy+h)
	fill := func(p []byte) {
		for i := range p {
			p[i] = byte(rng.Intn(256))
		}
	}
	imgs := map[string]image.Image{}
	for _, ss := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		// Subsampled YCbCr images need a non-negative origin: the standard
		// library's chroma offsets truncate toward zero.
		m := image.NewYCbCr(r.Add(image.Pt(2, 2)), ss)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		imgs["YCbCr"+ss.String()] = m
	}
	ny := image.NewNYCbCrA(r.Add(image.Pt(2, 2)), image.YCbCrSubsampleRatio420)
	fill(ny.Y)
	fill(ny.Cb)
	fill(ny.Cr)
	fill(ny.A)
	imgs["NYCbCrA"] = ny

	rgba := image.NewRGBA(r) // premultiplied, with some transparency
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := byte(255)
		if rng.Intn(3) == 0 {
			a = byte(rng.Intn(256))
		}
		rgba.Pix[i+3] = a
		for k := 0; k < 3; k++ {
			rgba.Pix[i+k] = byte(rng.Intn(int(a) + 1))
		}
	}
	imgs["RGBA"] = rgba
	nrgba := image.NewNRGBA(r)
	fill(nrgba.Pix)
	imgs["NRGBA"] = nrgba
	gray := image.NewGray(r)
	fill(gray.Pix)
	imgs["Gray"] = gray
	pal := make(color.Palette, 200) // indices >= 200 are outside the palette
	for i := range pal {
		pal[i] = color.RGBA{byte(rng.Intn(256)), byte(rng.Intn(256)), byte(rng.Intn(256)), 255}
	}
	pm := image.NewPaletted(r, pal)
	for i := range pm.Pix {
		pm.Pix[i] = byte(rng.Intn(len(pal)))
	}
	imgs["Paletted"] = pm
	cmyk := image.NewCMYK(r)
	fill(cmyk.Pix)
	imgs["CMYK"] = cmyk
	g16 := image.NewGray16(r)
	fill(g16.Pix)
	imgs["Gray16"] = g16
	rgba64 := image.NewNRGBA64(r)
	fill(rgba64.Pix)
	imgs["NRGBA64"] = rgba64
	return imgs
}

// TestImageMatchesReference checks every fast path, and the generic path on
// the same image, against the literal reference over random images with odd
// sizes, offset origins, downscaling and upscaling. Exact: the arithmetic is
// the same float64 sequence.
func TestImageMatchesReference(t *testing.T) {
	seed := int64(20240601)
	rng := rand.New(rand.NewSource(seed))
	shapes := []struct{ w, h, size int }{
		{1, 1, 1}, {1, 1, 3}, {2, 3, 5}, {7, 5, 3}, {9, 16, 4}, {33, 17, 8},
		{64, 48, 24}, {100, 37, 64}, {500, 375, 32}, {31, 29, 128},
	}
	var rz Resizer
	for _, sh := range shapes {
		ox, oy := rng.Intn(5)-2, rng.Intn(5)-2
		for name, img := range randomImages(rng, sh.w, sh.h, ox, oy) {
			want := reference(img, sh.size)
			got := make([]byte, sh.size*sh.size*3)
			require.NoError(t, Image(img, sh.size, got))
			assert.Empty(t, firstDiff(got, want), "seed %d %s %dx%d->%d: fast path", seed, name, sh.w, sh.h, sh.size)
			require.NoError(t, rz.Image(opaque{img}, sh.size, got))
			assert.Empty(t, firstDiff(got, want), "seed %d %s %dx%d->%d: generic path", seed, name, sh.w, sh.h, sh.size)
		}
	}
}

// TestRGBAMatchesImage checks the frame path against the image path on the
// same pixels, with padded strides, junk alpha, the package function and a
// Resizer reused across changing shapes.
func TestRGBAMatchesImage(t *testing.T) {
	seed := int64(7)
	rng := rand.New(rand.NewSource(seed))
	var rz Resizer
	for i := 0; i < 60; i++ {
		w, h, size := 1+rng.Intn(90), 1+rng.Intn(90), 1+rng.Intn(70)
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for j := range m.Pix {
			m.Pix[j] = byte(rng.Intn(256))
		}
		pix, _, _, stride := toPaddedRGBA(m, rng.Intn(9))
		want := reference(m, size)
		got := make([]byte, size*size*3)
		require.NoError(t, RGBA(pix, w, h, stride, size, got))
		require.Empty(t, firstDiff(got, want), "seed %d case %d %dx%d->%d: RGBA", seed, i, w, h, size)
		clear(got)
		require.NoError(t, rz.RGBA(pix, w, h, stride, size, got))
		require.Empty(t, firstDiff(got, want), "seed %d case %d %dx%d->%d: Resizer.RGBA", seed, i, w, h, size)
		// The minimal buffer (no padding after the last row) is accepted.
		require.NoError(t, RGBA(pix[:stride*(h-1)+4*w], w, h, stride, size, got), "minimal pix refused")
	}
}

// TestHandComputed is a 4x4 frame (the crop keeps all of it: start =
// int32(0.25) = 0) halved to 2x2: every output samples in = 0.5 or 2.5, the
// average of a 2x2 block.
func TestHandComputed(t *testing.T) {
	// Red channel of row y, column x is 10*y + x; green 200 everywhere; blue
	// has a 0/255 checkerboard.
	pix := make([]byte, 4*4*4)
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			p := pix[16*y+4*x:]
			p[0], p[1], p[2], p[3] = byte(10*y+x), 200, byte(255*((x+y)%2)), 0
		}
	}
	got := make([]byte, 2*2*3)
	require.NoError(t, RGBA(pix, 4, 4, 16, 2, got))
	// Red at (0,0): mean of 0,1,10,11 = 5.5 -> 6 (half away from zero);
	// (1,0): 2,3,12,13 -> 7.5 -> 8; (0,1): 20,21,30,31 -> 25.5 -> 26;
	// (1,1): 27.5 -> 28. Blue: mean of two 0s and two 255s = 127.5 -> 128.
	want := []byte{6, 200, 128, 8, 200, 128, 26, 200, 128, 28, 200, 128}
	require.Equal(t, want, got)
}

func TestCentralCrop(t *testing.T) {
	for _, c := range []struct{ n, start, length int }{
		{500, 31, 438}, {375, 23, 329}, {1, 0, 1}, {4, 0, 4}, {8, 0, 8}, {16, 1, 14},
		{224, 14, 196}, {1280, 80, 1120}, {720, 45, 630}, {0, 0, 0},
	} {
		s, l := CentralCrop(c.n)
		assert.Equal(t, [2]int{c.start, c.length}, [2]int{s, l}, "CentralCrop(%d): start, length", c.n)
	}
	assert.Equal(t, image.Rect(31, 23, 469, 352), CropRect(500, 375), "CropRect(500, 375)")
}

// TestRoundByte checks the wasm-friendly rounding against math.Round on
// halves, their neighbours and random values.
func TestRoundByte(t *testing.T) {
	want := func(v float64) byte { return byte(math.Min(math.Max(math.Round(v), 0), 255)) }
	var vals []float64
	for i := -2; i <= 257; i++ {
		for _, v := range []float64{float64(i), float64(i) + 0.5} {
			vals = append(vals, v, math.Nextafter(v, -1), math.Nextafter(v, 1000))
		}
	}
	vals = append(vals, 0.49999999999999994, math.Inf(1), math.Inf(-1), -0.0)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		vals = append(vals, rng.Float64()*260-2)
	}
	for _, v := range vals {
		g, w := roundByte(v), want(v)
		require.Equal(t, w, g, "roundByte(%v) =", v)
	}
	require.Zero(t, roundByte(math.NaN()), "roundByte(NaN) != 0")
}

// TestUnpremultiply checks the RGBA fast path's alpha handling against
// color.NRGBAModel on every (value, alpha) pair, including invalid v > a.
func TestUnpremultiply(t *testing.T) {
	for a := 0; a < 256; a++ {
		for v := 0; v < 256; v++ {
			n := color.NRGBAModel.Convert(color.RGBA{byte(v), 0, 0, byte(a)}).(color.NRGBA)
			if a != 255 {
				require.Equal(t, n.R, unpremultiply(byte(v), byte(a)), "unpremultiply(%d, %d) vs NRGBAModel", v, a)
			}
		}
	}
}

// TestHugeBounds resizes an image.Uniform (bounds of +-1e9): the image path's
// memory depends on the output size only, not on the image's width.
func TestHugeBounds(t *testing.T) {
	img := image.NewUniform(color.NRGBA{10, 20, 30, 128})
	dst := make([]byte, 8*8*3)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, Image(img, 8, dst))
	runtime.ReadMemStats(&after)
	for i := 0; i < len(dst); i += 3 {
		require.Equal(t, []byte{10, 20, 30}, dst[i:i+3], "pixel %d", i/3)
	}
	n := after.TotalAlloc - before.TotalAlloc
	assert.LessOrEqual(t, n, uint64(1<<16), "bytes allocated for an 8x8 output")
}

func TestErrors(t *testing.T) {
	dst := make([]byte, 4*4*3)
	pix := make([]byte, 8*8*4)
	cases := []struct {
		name                       string
		pix                        []byte
		width, height, stride, siz int
		dst                        []byte
		want                       string
	}{
		{"zero size", pix, 8, 8, 32, 0, dst, "output size 0"},
		{"negative size", pix, 8, 8, 32, -4, dst, "output size -4"},
		{"huge size", pix, 8, 8, 32, MaxSize + 1, dst, "out of range"},
		{"dst short", pix, 8, 8, 32, 4, dst[:47], "dst has 47 bytes, want 48"},
		{"dst long", pix, 8, 8, 32, 4, make([]byte, 49), "dst has 49 bytes"},
		{"nil dst", pix, 8, 8, 32, 4, nil, "dst has 0 bytes"},
		{"zero width", pix, 0, 8, 32, 4, dst, "empty frame (0x8)"},
		{"zero height", pix, 8, 0, 32, 4, dst, "empty frame (8x0)"},
		{"negative width", pix, -1, 8, 32, 4, dst, "empty frame"},
		{"stride short", pix, 8, 8, 31, 4, dst, "stride 31 shorter than 4*width"},
		{"negative stride", pix, 8, 8, -32, 4, dst, "stride -32"},
		{"huge width", pix, math.MaxInt / 2, 1, math.MaxInt, 4, dst, "stride"},
		{"pix short", pix[:8*8*4-33], 8, 8, 32, 4, dst, "pix has 223 bytes"},
		{"pix short padded stride", pix, 8, 8, 40, 4, dst, "needs 312"},
		{"nil pix", nil, 8, 8, 32, 4, dst, "pix has 0 bytes"},
		{"huge height", pix, 8, math.MaxInt, 32, 4, dst, "more than the address space"},
	}
	var rz Resizer
	for _, c := range cases {
		for _, f := range []func([]byte, int, int, int, int, []byte) error{RGBA, rz.RGBA} {
			err := f(c.pix, c.width, c.height, c.stride, c.siz, c.dst)
			if assert.Error(t, err, c.name) {
				assert.Contains(t, err.Error(), c.want, c.name)
				assert.True(t, strings.HasPrefix(err.Error(), "preprocess: "), "%s: %v", c.name, err)
			}
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for _, c := range []struct {
		name string
		img  image.Image
		size int
		dst  []byte
		want string
	}{
		{"nil image", nil, 4, dst, "nil image"},
		{"empty image", image.NewRGBA(image.Rect(3, 3, 3, 9)), 4, dst, "empty image (0x6)"},
		{"zero size", img, 0, dst, "output size 0"},
		{"dst wrong", img, 4, dst[:3], "dst has 3 bytes"},
		{"short Pix", &image.RGBA{Pix: make([]byte, 10), Stride: 32, Rect: image.Rect(0, 0, 8, 8)}, 4, dst, "malformed *image.RGBA"},
		{"broken YCbCr", &image.YCbCr{Y: make([]byte, 64), YStride: 8, CStride: 4, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, 8, 8)}, 4, dst, "malformed *image.YCbCr"},
	} {
		assert.ErrorContains(t, Image(c.img, c.size, c.dst), c.want, "Image %s", c.name)
	}
}

// TestNoAllocs checks that the frame path allocates nothing, in both forms.
func TestNoAllocs(t *testing.T) {
	pix := make([]byte, 640*480*4)
	dst := make([]byte, 224*224*3)
	n := testing.AllocsPerRun(5, func() { _ = RGBA(pix, 640, 480, 640*4, 224, dst) })
	assert.Zero(t, n, "RGBA: allocations per run")
	var rz Resizer
	n = testing.AllocsPerRun(5, func() { _ = rz.RGBA(pix, 640, 480, 640*4, 224, dst) })
	assert.Zero(t, n, "Resizer.RGBA: allocations per run")
	img := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	_ = rz.Image(img, 224, dst)
	n = testing.AllocsPerRun(5, func() { _ = rz.Image(img, 224, dst) })
	assert.Zero(t, n, "Resizer.Image (warm): allocations per run")
}

// firstDiff describes where a first differs from the reference b, or is
// empty when they are equal.
func firstDiff(a, b []byte) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d bytes, reference %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Sprintf("byte %d = %d, reference %d", i, a[i], b[i])
		}
	}
	return ""
}

func BenchmarkRGBA640x480To224(b *testing.B) {
	pix := make([]byte, 640*480*4)
	rand.New(rand.NewSource(1)).Read(pix)
	dst := make([]byte, 224*224*3)
	b.ReportAllocs()
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		if err := RGBA(pix, 640, 480, 640*4, 224, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResizerRGBA640x480To224(b *testing.B) {
	pix := make([]byte, 640*480*4)
	rand.New(rand.NewSource(1)).Read(pix)
	dst := make([]byte, 224*224*3)
	var rz Resizer
	b.ReportAllocs()
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		if err := rz.RGBA(pix, 640, 480, 640*4, 224, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResizerImageYCbCr640x480To224(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewSource(1))
	rng.Read(img.Y)
	rng.Read(img.Cb)
	rng.Read(img.Cr)
	dst := make([]byte, 224*224*3)
	var rz Resizer
	b.ReportAllocs()
	for b.Loop() {
		if err := rz.Image(img, 224, dst); err != nil {
			b.Fatal(err)
		}
	}
}
