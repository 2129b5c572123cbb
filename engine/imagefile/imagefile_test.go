package imagefile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"golang.org/x/image/bmp"
	"mobilenet-wasm/engine/preprocess"
)

// gopherWebP is golang.org/x/image/testdata/gopher-doc.1bpp.lossless.webp
// (BSD licence, The Go Authors), a 442-byte lossless WebP: there is no WebP
// encoder in the standard library or x/image.
const gopherWebP = `UklGRrIBAABXRUJQVlA4TKUBAAAvSsAYAA8w//M///MfeJAkbXvaSG7m8Q3GfYSBJekwQztm/IcZ
lgwnmWImn2BK7aFmBtnVir6q//8VOkFE/xm4baTIu8c48ArEo6+B3zFKYln3pqClSCKX0begFTAX
FOLXHSyF8cCNcZEG4OywuA4KVVfJCiArU7GAgJI8+lJP/OKMT/fBAjevg1cYB7YVkFuWga2lyPi5
I0HFy5YTpWIHg0RZpkniRVW9odHAKOwosWuOGdxIyn2OvaCDvhg/we6TwadPBPbqBV58MsLmMJ8y
ZnOWk8SRz4N+QoyPL+MnamzMvcE1rHNEr91F9GKZPVUcS9w7PhhH36suB9qPeYb/oLk6cuTiJ0wO
K3m5h1cKjW6EVZCYMK7dxcKCBdgP9HkKr9gkAO2P8GKZGWVdIAatQa+1IDpt6qyorVwdy01xdW8J
kfk6xjEXmVQQ+HQdFr6OKhIN34dXWq0+0qr6EJSCeeVLH9+gvGTLyqM65PQ44ihzlTXxQKjKbAvs
hXgir7Lil9w4L2bvMycmjQcqXaMCO6BlY28i+FOLzbfI1vEqxAhotocAAA==`

func testPattern() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 37, 23))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			m.SetNRGBA(x, y, color.NRGBA{byte(7 * x), byte(11 * y), byte(x * y), 255})
		}
	}
	return m
}

// TestDecodeFormats round-trips a picture through every encoder we have and
// decodes WebP from a fixture, checking the format name and the size.
func TestDecodeFormats(t *testing.T) {
	src := testPattern()
	enc := map[string]func(*bytes.Buffer) error{
		"png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"jpeg": func(b *bytes.Buffer) error { return jpeg.Encode(b, src, nil) },
		"gif":  func(b *bytes.Buffer) error { return gif.Encode(b, src, nil) },
		"bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, src) },
	}
	for name, e := range enc {
		var buf bytes.Buffer
		require.NoError(t, e(&buf))
		img, format, err := Decode(&buf)
		require.NoError(t, err, "%s", name)
		assert.Equal(t, name, format, "format")
		assert.Equal(t, src.Bounds(), img.Bounds(), "%s: bounds", name)
		if name == "png" || name == "bmp" { // lossless: same tensor as the source
			a, b := make([]byte, 16*16*3), make([]byte, 16*16*3)
			require.NoError(t, preprocess.Image(src, 16, a))
			require.NoError(t, preprocess.Image(img, 16, b))
			assert.True(t, bytes.Equal(a, b), "%s: decoded tensor differs from the source's", name)
		}
	}
	webp, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(gopherWebP, "\n", ""))
	require.NoError(t, err)
	img, format, err := Decode(bytes.NewReader(webp))
	require.NoError(t, err, "webp")
	require.Equal(t, "webp", format)
	require.False(t, img.Bounds().Empty(), "webp: empty image")
	require.NoError(t, preprocess.Image(img, 8, make([]byte, 8*8*3)))
}

// TestDecodeFile decodes a shared photo from disk and reports a missing file
// with its path.
func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.png")
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, testPattern()))
	require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
	_, f, err := DecodeFile(p)
	require.NoError(t, err, "DecodeFile")
	require.Equal(t, "png", f, "DecodeFile format")
	_, _, err = DecodeFile(filepath.Join(dir, "missing.jpg"))
	assert.ErrorContains(t, err, "missing.jpg", "missing file")
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello, not an image"), 0o644)
	_, _, err = DecodeFile(txt)
	if assert.ErrorIs(t, err, ErrUnsupported, "text file") {
		assert.Contains(t, err.Error(), "notes.txt", "text file")
	}
}

func TestDecodeErrors(t *testing.T) {
	var jpg bytes.Buffer
	require.NoError(t, jpeg.Encode(&jpg, testPattern(), nil))
	for _, c := range []struct {
		name   string
		data   []byte
		is     error
		prefix string
	}{
		{"empty", nil, ErrUnsupported, "imagefile: not a supported image"},
		{"truncated header", jpg.Bytes()[:40], nil, "imagefile: reading jpeg image header: "},
		{"text", []byte("this is not an image at all"), ErrUnsupported, "imagefile: not a supported image (JPEG, PNG, GIF, BMP, WebP): "},
		{"tflite", []byte("\x1c\x00\x00\x00TFL3\x00\x00\x00\x00\x00\x00\x00\x00"), ErrUnsupported, "imagefile: not a supported image"},
		{"truncated jpeg", jpg.Bytes()[:len(jpg.Bytes())-40], nil, "imagefile: decoding jpeg image: "},
		{"huge png", hugePNG(100000, 100000), ErrTooLarge, "imagefile: image too large: png image is 100000x100000"},
		{"png just over", hugePNG(8192, 8193), ErrTooLarge, "imagefile: image too large"},
		{"huge bmp", hugeBMP(60000, 60000), ErrTooLarge, "imagefile: image too large: bmp image is 60000x60000"},
	} {
		_, _, err := Decode(bytes.NewReader(c.data))
		if !assert.Error(t, err, c.name) {
			continue
		}
		assert.True(t, strings.HasPrefix(err.Error(), c.prefix), "%s: err = %v, want prefix %q", c.name, err, c.prefix)
		if c.is != nil {
			assert.ErrorIs(t, err, c.is, c.name)
		}
	}
	// A hostile header is refused before any pixel memory is allocated.
	data := hugePNG(1<<20, 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Decode(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge, "huge PNG")
	n := after.TotalAlloc - before.TotalAlloc
	assert.LessOrEqual(t, n, uint64(1<<20), "bytes allocated refusing a huge PNG header")
}

// hugePNG returns a PNG signature and IHDR chunk claiming w x h RGB pixels,
// and no data: enough for image.DecodeConfig.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// hugeBMP returns a 24-bit BMP header claiming w x h pixels, and no data.
func hugeBMP(w, h int32) []byte {
	b := make([]byte, 54)
	copy(b, "BM")
	binary.LittleEndian.PutUint32(b[2:], uint32(54))
	binary.LittleEndian.PutUint32(b[10:], 54)
	binary.LittleEndian.PutUint32(b[14:], 40)
	binary.LittleEndian.PutUint32(b[18:], uint32(w))
	binary.LittleEndian.PutUint32(b[22:], uint32(h))
	binary.LittleEndian.PutUint16(b[26:], 1)
	binary.LittleEndian.PutUint16(b[28:], 24)
	return b
}
