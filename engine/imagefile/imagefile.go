// Package imagefile decodes image files (JPEG, PNG, GIF, BMP, WebP) for the
// engine, refusing non-images and images larger than MaxPixels from their
// header, before any pixel memory is allocated. It is separate from package
// preprocess so that builds which never decode files (the wasm module, fed
// RGBA frames) do not carry the decoders.
package imagefile

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // register GIF
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "golang.org/x/image/bmp"  // register BMP
	_ "golang.org/x/image/webp" // register WebP
)

// MaxPixels is the largest image (width*height) that Decode accepts: 8192 x
// 8192, 64 Mi pixels. Larger images are refused from their header, before any
// pixel memory is allocated.
const MaxPixels = 8192 * 8192

// MaxFileBytes is the largest image file Decode reads.
const MaxFileBytes = 256 << 20

// Beyond SmallPixels pixels, an image must come with at least one byte of
// file for every MaxPixelsPerByte pixels it declares: a header of a few
// bytes that declares 8192 x 8192 would otherwise make the decoder
// allocate up to 512 MiB before it finds the data missing. Photos carry
// 1-20 pixels a byte; a flat colour compressed by PNG's deflate about
// 350 (1032:1 on 3 bytes a pixel); 4096 leaves room for flatter ones.
const (
	SmallPixels      = 1 << 20
	MaxPixelsPerByte = 4096
)

// ErrUnsupported is returned (wrapped, with the decoder's message) by Decode
// for input that is not an image in one of the supported formats.
var ErrUnsupported = errors.New("imagefile: not a supported image (JPEG, PNG, GIF, BMP, WebP)")

// ErrTooLarge is returned (wrapped, with the dimensions) by Decode for
// images with more than MaxPixels pixels.
var ErrTooLarge = errors.New("imagefile: image too large")

// Exts are the file name extensions of the formats Decode reads
// (lower case): what a folder of photos is filtered on.
var Exts = []string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp"}

// IsImageName reports whether a file name has one of Exts (in any case)
// and is not hidden.
func IsImageName(name string) bool {
	return slices.Contains(Exts, strings.ToLower(filepath.Ext(name))) && !strings.HasPrefix(name, ".")
}

// Decode decodes a JPEG, PNG, GIF (first frame), BMP or WebP image from r and
// returns it with its format name ("jpeg", "png", "gif", "bmp", "webp"). It
// reads the header first and refuses, without decoding pixels, images whose
// dimensions are not positive or exceed MaxPixels, or that declare more
// pixels than their size can hold (SmallPixels, MaxPixelsPerByte). Errors
// wrap ErrUnsupported for non-images and ErrTooLarge for huge images.
func Decode(r io.Reader) (image.Image, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("imagefile: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, "", fmt.Errorf("%w: the file is larger than %d bytes", ErrTooLarge, MaxFileBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, "", fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return nil, format, fmt.Errorf("imagefile: reading %s image header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, fmt.Errorf("imagefile: %s image has no pixels (%dx%d)", format, cfg.Width, cfg.Height)
	}
	if cfg.Width > MaxPixels/cfg.Height {
		return nil, format, fmt.Errorf("%w: %s image is %dx%d, more than %d pixels", ErrTooLarge, format, cfg.Width, cfg.Height, MaxPixels)
	}
	if px := cfg.Width * cfg.Height; px > SmallPixels && px/MaxPixelsPerByte > len(data) {
		return nil, format, fmt.Errorf("%w: %s image declares %dx%d pixels in %d bytes, more than %d pixels a byte", ErrTooLarge, format, cfg.Width, cfg.Height, len(data), MaxPixelsPerByte)
	}
	img, format2, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, format, fmt.Errorf("imagefile: decoding %s image: %w", format, err)
	}
	if format2 != format {
		return nil, format, fmt.Errorf("imagefile: image format changed while decoding (%s, then %s)", format, format2)
	}
	return img, format, nil
}

// DecodeFile is Decode on the contents of the file at path.
func DecodeFile(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("imagefile: %w", err)
	}
	defer f.Close()
	img, format, err := Decode(f)
	if err != nil {
		return nil, format, fmt.Errorf("%s: %w", path, err)
	}
	return img, format, nil
}
