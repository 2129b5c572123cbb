package imagefile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mobilenet-wasm/engine/preprocess"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
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
		if err := e(&buf); err != nil {
			t.Fatal(err)
		}
		img, format, err := Decode(&buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if format != name || img.Bounds() != src.Bounds() {
			t.Errorf("%s: got format %q bounds %v", name, format, img.Bounds())
		}
		if name == "png" || name == "bmp" { // lossless: same tensor as the source
			a, b := make([]byte, 16*16*3), make([]byte, 16*16*3)
			if err := preprocess.Image(src, 16, a); err != nil {
				t.Fatal(err)
			}
			if err := preprocess.Image(img, 16, b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: decoded tensor differs from the source's", name)
			}
		}
	}
	webp, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(gopherWebP, "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := Decode(bytes.NewReader(webp))
	if err != nil || format != "webp" || img.Bounds().Empty() {
		t.Fatalf("webp: %v, %q, %v", err, format, img)
	}
	if err := preprocess.Image(img, 8, make([]byte, 8*8*3)); err != nil {
		t.Fatal(err)
	}
}

// TestDecodeFile decodes a shared photo from disk and reports a missing file
// with its path.
func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, testPattern()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, f, err := DecodeFile(p); err != nil || f != "png" {
		t.Fatalf("DecodeFile: %q, %v", f, err)
	}
	if _, _, err := DecodeFile(filepath.Join(dir, "missing.jpg")); err == nil || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("missing file: %v", err)
	}
	txt := filepath.Join(dir, "notes.txt")
	os.WriteFile(txt, []byte("hello, not an image"), 0o644)
	if _, _, err := DecodeFile(txt); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("text file: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, testPattern(), nil); err != nil {
		t.Fatal(err)
	}
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
		if err == nil || !strings.HasPrefix(err.Error(), c.prefix) || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%s: err = %v, want prefix %q (is %v)", c.name, err, c.prefix, c.is)
		}
	}
	// A hostile header is refused before any pixel memory is allocated.
	data := hugePNG(1<<20, 1<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Decode(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("huge PNG: %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a huge PNG header allocated %d bytes", n)
	}
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
