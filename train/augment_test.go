package train

import (
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(10 * x), uint8(10 * y), 100, 255})
		}
	}
	return img
}

func TestMirrorCropBrighten(t *testing.T) {
	img := testImage(3, 2)
	m := Mirror(img)
	assert.Equal(t, img.RGBAAt(0, 1), m.RGBAAt(2, 1))
	assert.Equal(t, img.RGBAAt(2, 0), m.RGBAAt(0, 0))
	assert.Equal(t, img, Mirror(m))

	c := Crop(img, image.Rect(1, 0, 3, 1))
	assert.Equal(t, image.Rect(0, 0, 2, 1), c.Rect)
	assert.Equal(t, img.RGBAAt(1, 0), c.RGBAAt(0, 0))

	b := Brighten(img, 1.5)
	assert.Equal(t, color.RGBA{15, 15, 150, 255}, b.RGBAAt(1, 1))
	assert.Equal(t, uint8(255), Brighten(img, 10).RGBAAt(0, 0).B, "clamped")

	// A sub-image (bounds not at the origin) is handled.
	sub := img.SubImage(image.Rect(1, 1, 3, 2)).(*image.RGBA)
	assert.Equal(t, img.RGBAAt(2, 1), Mirror(sub).RGBAAt(0, 0))
}

func TestAugmentIsDeterministic(t *testing.T) {
	img := testImage(40, 30)
	a, err := Augment(img, AugmentOptions{}, 5, 7)
	require.NoError(t, err)
	b, err := Augment(img, AugmentOptions{}, 5, 7)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	c, err := Augment(img, AugmentOptions{}, 5, 8)
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
	for _, x := range a {
		// Crops keep 80-100% of each side.
		assert.GreaterOrEqual(t, x.Rect.Dx(), 32)
		assert.GreaterOrEqual(t, x.Rect.Dy(), 24)
	}
	// Everything off: identical copies.
	same, err := Augment(img, AugmentOptions{Mirror: -1, MinCrop: 1, Brightness: -1}, 2, 1)
	require.NoError(t, err)
	assert.Equal(t, img.Pix, same[0].Pix)
	assert.NotEqual(t, AugmentSeed(1, 0), AugmentSeed(1, 1))

	_, err = Augment(testImage(1, 1), AugmentOptions{}, 1, 1)
	require.ErrorContains(t, err, "too small")
}
