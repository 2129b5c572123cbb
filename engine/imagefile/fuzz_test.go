package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/image/bmp"
)

// allocBound is what Decode may allocate for n bytes of file: the file,
// the largest image it accepts for that size at 8 bytes a pixel (16-bit
// RGBA PNG), and the decoders' own buffers.
func allocBound(n int) uint64 {
	px := max(SmallPixels, min(MaxPixels, MaxPixelsPerByte*n))
	return uint64(2*n + 8*px + 4<<20)
}

// measureDecode decodes data and returns what that allocated: the least of
// a few runs, since TotalAlloc counts the fuzzing engine's goroutines too.
func measureDecode(data []byte) (img image.Image, alloc uint64, err error) {
	alloc = math.MaxUint64
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		img, _, err = Decode(bytes.NewReader(data))
		runtime.ReadMemStats(&after)
		alloc = min(alloc, after.TotalAlloc-before.TotalAlloc)
		if alloc <= allocBound(len(data)) {
			break
		}
	}
	return img, alloc, err
}

// pngHeader is a PNG signature and IHDR chunk declaring w x h 8-bit RGBA
// pixels, and nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // bit depth, colour type RGBA
	out := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d")
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

// seedImages are small images in every format with an encoder here.
func seedImages(tb testing.TB) [][]byte {
	img := image.NewNRGBA(image.Rect(0, 0, 19, 11))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 13)
	}
	var out [][]byte
	for _, enc := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return png.Encode(b, img) },
		func(b *bytes.Buffer) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 50}) },
		func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return bmp.Encode(b, img) },
		func(b *bytes.Buffer) error {
			g := image.NewGray16(image.Rect(0, 0, 7, 5))
			g.SetGray16(3, 2, color.Gray16{Y: 999})
			return png.Encode(b, g)
		},
	} {
		var b bytes.Buffer
		require.NoError(tb, enc(&b))
		out = append(out, b.Bytes())
	}
	return out
}

// FuzzDecode checks that no input makes Decode panic or allocate more than
// allocBound, and that an image it returns respects its limits.
func FuzzDecode(f *testing.F) {
	for _, data := range seedImages(f) {
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add(pngHeader(8192, 8192))
	f.Add(pngHeader(1<<31-1, 1))
	f.Add([]byte("BM"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, alloc, err := measureDecode(data)
		require.LessOrEqual(t, alloc, allocBound(len(data)), "Decode of %d bytes allocated %d (%v)", len(data), alloc, err)
		if err != nil {
			return
		}
		b := img.Bounds()
		px := b.Dx() * b.Dy()
		require.Positive(t, px)
		require.LessOrEqual(t, px, MaxPixels)
		require.True(t, px <= SmallPixels || px/MaxPixelsPerByte <= len(data), "%dx%d from %d bytes", b.Dx(), b.Dy(), len(data))
	})
}

// TestHugeDeclaredSize: a 33-byte PNG header declaring 8192 x 8192 (within
// MaxPixels) is refused from its size, before the decoder allocates its
// 256 MiB of pixels.
func TestHugeDeclaredSize(t *testing.T) {
	data := pngHeader(8192, 8192)
	_, alloc, err := measureDecode(data)
	require.True(t, errors.Is(err, ErrTooLarge), "%v", err)
	require.Less(t, alloc, uint64(1<<20), "allocated %d bytes", alloc)
	t.Logf("%d bytes: %v (%d bytes allocated)", len(data), err, alloc)
}
