package preprocess

import (
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
)

// Sizes are the input sides of the MobileNet V1 release that the goldens
// cover.
var goldenSizes = []int{128, 160, 192, 224}

// photo is a shared photo and its path.
type photo struct{ name, path string }

// sharedPhotos lists the photos of ../shared/images and images/imagenet.
func sharedPhotos(t *testing.T) []photo {
	t.Helper()
	dir := testdata.Dir(t)
	var out []photo
	for _, sub := range []string{"images", filepath.Join("images", "imagenet")} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		require.NoError(t, err)
		for _, e := range ents {
			if e.IsDir() || strings.HasSuffix(e.Name(), ".csv") {
				continue
			}
			out = append(out, photo{e.Name(), filepath.Join(dir, sub, e.Name())})
		}
	}
	require.NotEmpty(t, out, "no photos in the shared test data")
	return out
}

// agreement compares got with want: the share of equal bytes, the largest
// absolute difference and the number of bytes differing by more than 1.
func agreement(got, want []byte) (equal, total, maxDiff, over1 int) {
	for i := range want {
		d := int(got[i]) - int(want[i])
		if d < 0 {
			d = -d
		}
		if d == 0 {
			equal++
		}
		if d > maxDiff {
			maxDiff = d
		}
		if d > 1 {
			over1++
		}
	}
	return equal, len(want), maxDiff, over1
}

// TestGoldenTensors reproduces every goldens tensor (all shared photos x the
// four release sizes) through Image, and through RGBA on the same pixels.
//
// The goldens allow at most 1 apart, on at most 0.1% of the bytes.
// The reference is a float64 program like this one, so we expect and report
// byte identity.
func TestGoldenTensors(t *testing.T) {
	photos := sharedPhotos(t)
	dir := testdata.Dir(t)
	var rz Resizer
	var equal, total, maxDiff, files, identical int
	for _, p := range photos {
		img, _, err := imagefile.DecodeFile(p.path)
		require.NoError(t, err, "%s", p.name)
		frame, w, h, stride := toPaddedRGBA(img, 12)
		for _, s := range goldenSizes {
			want, err := os.ReadFile(filepath.Join(dir, "goldens", "tensors", strconv.Itoa(s), p.name+".rgb"))
			require.NoError(t, err, "%s", p.name)
			require.Len(t, want, s*s*3, "%s/%d: golden bytes", p.name, s)
			got := make([]byte, s*s*3)
			require.NoError(t, rz.Image(img, s, got), "%s/%d", p.name, s)
			eq, n, md, over1 := agreement(got, want)
			equal, total, files = equal+eq, total+n, files+1
			if eq == n {
				identical++
			}
			maxDiff = max(maxDiff, md)
			assert.Zero(t, over1, "%s/%d: bytes more than 1 apart (max diff %d)", p.name, s, md)
			assert.LessOrEqual(t, (n-eq)*1000, n, "%s/%d: %d of %d bytes differ; the tolerance is 0.1%%", p.name, s, n-eq, n)
			for _, f := range []struct {
				name string
				fn   func([]byte, int, int, int, int, []byte) error
			}{{"RGBA", RGBA}, {"Resizer.RGBA", rz.RGBA}} {
				fromFrame := make([]byte, s*s*3)
				require.NoError(t, f.fn(frame, w, h, stride, s, fromFrame), "%s/%d: %s", p.name, s, f.name)
				eq, n, md, _ := agreement(fromFrame, got)
				assert.Equal(t, n, eq, "%s/%d: %s frame path: bytes equal to the image path's (max diff %d)", p.name, s, f.name, md)
			}
		}
	}
	t.Logf("goldens agreement: %d tensors (%d photos x %d sizes), %d byte-identical; %d of %d bytes equal (%.4f%%), max diff %d",
		files, len(photos), len(goldenSizes), identical, equal, total, 100*float64(equal)/float64(total), maxDiff)
}

// toPaddedRGBA converts img (through the generic per-pixel conversion, not
// the fast paths) to a non-premultiplied RGBA frame (as a browser
// gives it) whose rows are pad bytes longer than 4*width, filling the padding
// and alpha with junk that must be ignored.
func toPaddedRGBA(img image.Image, pad int) (pix []byte, w, h, stride int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	stride = 4*w + pad
	pix = make([]byte, stride*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := pix[y*stride+4*x : y*stride+4*x+4]
			p[0], p[1], p[2] = pixelRGB(img.At(b.Min.X+x, b.Min.Y+y))
			p[3] = byte(x*7 + y)
		}
		for i := 4 * w; i < stride; i++ {
			pix[y*stride+i] = 0xA5
		}
	}
	return pix, w, h, stride
}
