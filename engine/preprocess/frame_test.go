package preprocess

import (
	"image"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFrameMatchesImage checks that RGBA of Frame(img) gives Image(img)'s
// bytes for every image type with a fast path and a few without (the
// generic At path too), offset origins, down- and upscaling.
func TestFrameMatchesImage(t *testing.T) {
	seed := int64(15)
	rng := rand.New(rand.NewSource(seed))
	for _, sh := range []struct{ w, h, size int }{{1, 1, 3}, {7, 5, 3}, {33, 17, 8}, {100, 37, 64}, {31, 29, 128}} {
		ox, oy := rng.Intn(5)-2, rng.Intn(5)-2
		for name, img := range randomImages(rng, sh.w, sh.h, ox, oy) {
			for _, im := range []image.Image{img, opaque{img}} {
				want := make([]byte, sh.size*sh.size*3)
				require.NoError(t, Image(im, sh.size, want))
				pix, w, h, err := Frame(im)
				require.NoError(t, err)
				require.Equal(t, [2]int{sh.w, sh.h}, [2]int{w, h})
				got := make([]byte, len(want))
				require.NoError(t, RGBA(pix, w, h, 4*w, sh.size, got))
				require.Empty(t, firstDiff(got, want), "seed %d %s (%T) %dx%d->%d", seed, name, im, sh.w, sh.h, sh.size)
			}
		}
	}
	_, _, _, err := Frame(nil)
	require.ErrorContains(t, err, "nil image")
	_, _, _, err = Frame(image.NewGray(image.Rect(0, 0, 0, 5)))
	require.ErrorContains(t, err, "empty image")
	_, _, _, err = Frame(image.NewGray(image.Rect(0, 0, 1<<20, 1)))
	require.NoError(t, err, "a 1-pixel-high image of 2^20 columns is 2^20 pixels")
	_, _, _, err = Frame(&image.Gray{Rect: image.Rect(0, 0, 1<<16, 1<<16)})
	require.ErrorContains(t, err, "too large")
}
