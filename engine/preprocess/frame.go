package preprocess

import (
	"errors"
	"image"

	"mobilenet-wasm/internal/textfmt"
)

// MaxFramePixels is the largest image Frame converts: 8192 x 8192 (what
// imagefile decodes), a 256 MiB frame.
const MaxFramePixels = 8192 * 8192

// Frame converts img to an RGBA frame, 4 bytes a pixel (alpha 255), rows
// 4*width bytes apart, with Image's colour conversion, so that RGBA of the
// frame gives exactly Image's bytes. It is how a decoded image reaches a
// host that takes frames (the wasm module under wazero, package host)
// with the same result as the native Classify.
func Frame(img image.Image) (pix []byte, width, height int, err error) {
	if img == nil {
		return nil, 0, 0, errors.New("preprocess: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, 0, 0, textfmt.Errorf("preprocess: empty image (%dx%d)", w, h)
	}
	if w > MaxFramePixels/h {
		return nil, 0, 0, textfmt.Errorf("preprocess: image too large (%dx%d, more than %d pixels)", w, h, MaxFramePixels)
	}
	var pal [256][3]byte
	src := newRowSource(img, b, &pal)
	if !src.valid() {
		return nil, 0, 0, textfmt.Errorf("preprocess: malformed %s: its pixel data does not cover its bounds %v", src.typeName(), b)
	}
	src.cols = make([]int, w)
	for x := range src.cols {
		src.cols[x] = x
	}
	row := make([]byte, 3*w)
	pix = make([]byte, 4*w*h)
	for y := range h {
		src.convert(row, y)
		out := pix[4*w*y:]
		for x := range w {
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 0xff
		}
	}
	return pix, w, h, nil
}
