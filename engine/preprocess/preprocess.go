// Package preprocess turns images into MobileNet V1 input tensors exactly as
// the release's evaluation (and the golden input tensors) does:
// central crop keeping 87.5% of each side, bilinear resize with half-pixel
// centres to S x S, RGB, one uint8 per channel, rows top to bottom. Quantized
// models take these bytes as they are; float models take ToFloat32 of them.
//
// There are two entry points that produce identical bytes for identical
// pixels: Image, from any decoded image.Image, and RGBA, from a raw RGBA
// frame as browsers give them (canvas ImageData, webcam frames; alpha is
// ignored). Both feed one core (resizeRow) that blends two source rows of
// 8-bit RGB or RGBA pixels; the image path converts only the source pixels
// the resize reads (at most 2S columns of at most 2S rows), the frame path
// reads the frame in place and allocates nothing. A Resizer keeps scratch
// buffers and tables between calls.
//
// Decoding image files is package imagefile's job, so that this package
// (and the wasm module, which gets decoded frames) carries no decoders.
//
// This package does no EXIF orientation, gamma or colour-profile handling
// (neither did the release's evaluation), and it is not a general image
// resizing library: the crop fraction and the filter are fixed.
package preprocess

import (
	"errors"
	"image"
	"image/color"
	"math"
	"strconv"

	"mobilenet-wasm/internal/textfmt"
)

// CropFraction is the fraction of each side that the central crop keeps, as
// in tf.image.central_crop(image, 0.875).
const CropFraction = 0.875

// MaxSize is the largest output side that Image and RGBA accept (a guard
// against size*size*3 overflowing; MobileNet V1 uses 128 to 224).
const MaxSize = 1 << 14

// CentralCrop returns the start and length of the central crop of an axis of
// length n: start = int32((n - n*0.875) / 2) computed in float64 and
// truncated toward zero, length = n - 2*start. It returns (0, n) for n <= 0.
func CentralCrop(n int) (start, length int) {
	if n <= 0 {
		return 0, n
	}
	l := float64(n)
	start = int(int32(float64(l-float64(l*CropFraction)) / 2))
	return start, n - 2*start
}

// CropRect returns the central crop of a width x height image, relative to
// the image's top-left corner (add Bounds().Min for images not at the
// origin).
func CropRect(width, height int) image.Rectangle {
	x0, w := CentralCrop(width)
	y0, h := CentralCrop(height)
	return image.Rect(x0, y0, x0+w, y0+h)
}

// Image writes the size x size x 3 RGB input tensor of img to dst, which must
// hold exactly size*size*3 bytes. Colours are converted as the reference
// does: *image.YCbCr (JPEG) with color.YCbCrToRGB, gray replicated to
// R = G = B, other colour models (CMYK, premultiplied RGBA, 16-bit, ...)
// through color.NRGBAModel; alpha is dropped. It allocates a few scratch
// buffers of O(size) bytes; a Resizer reuses them across calls.
func Image(img image.Image, size int, dst []byte) error {
	var r Resizer
	return r.Image(img, size, dst)
}

// RGBA writes the size x size x 3 RGB input tensor of a raw RGBA frame to
// dst, which must hold exactly size*size*3 bytes. pix holds width x height
// pixels of 4 bytes (R, G, B, A; non-premultiplied, as canvas ImageData),
// rows stride bytes apart; alpha is ignored. pix may end right after the
// last pixel (stride*(height-1) + 4*width bytes). It allocates nothing, so
// it suits per-frame use in the wasm module.
func RGBA(pix []byte, width, height, stride, size int, dst []byte) error {
	if err := checkFrame(pix, width, height, stride, size, dst); err != nil {
		return err
	}
	resizeFrame(pix, width, height, stride, size, dst)
	return nil
}

// A Resizer computes input tensors like Image and RGBA, keeping its scratch
// buffers (converted source rows, resize tables) between calls so that
// repeated calls with the same shapes allocate nothing. The zero value is
// ready to use. A Resizer is not safe for concurrent use.
type Resizer struct {
	xtab                    []tap // horizontal taps, for (xtabN, xtabSize, xtabPS)
	xtabN, xtabSize, xtabPS int
	cols                    []int     // crop columns the taps read, ascending, for image.Image
	ctab                    []tap     // taps into rows (column cols[i] at 3*i), for image.Image
	rows                    [2][]byte // converted columns cols of two crop rows, RGB
	rowY                    [2]int    // image row held by rows[i], or -1
	pal                     [256][3]byte
}

// Image is like the package-level Image, reusing r's buffers.
func (r *Resizer) Image(img image.Image, size int, dst []byte) error {
	if img == nil {
		return errors.New("preprocess: nil image")
	}
	if err := checkSize(size, dst); err != nil {
		return err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return textfmt.Errorf("preprocess: empty image (%dx%d)", w, h)
	}
	if w > math.MaxInt32 || h > math.MaxInt32 {
		return textfmt.Errorf("preprocess: image too large (%dx%d)", w, h)
	}
	crop := CropRect(w, h).Add(b.Min)
	cw, ch := crop.Dx(), crop.Dy()
	src := newRowSource(img, crop, &r.pal)
	if !src.valid() {
		return textfmt.Errorf("preprocess: malformed %s: its pixel data does not cover its bounds %v", src.typeName(), b)
	}
	// Only the columns the taps read are converted (at most 2*size of
	// them), stored next to each other, so memory does not grow with the
	// image's width.
	xtab := r.taps(cw, size, 1)
	r.cols = r.cols[:0]
	r.ctab = grow(r.ctab, size)
	for i, t := range xtab {
		r.ctab[i] = tap{3 * r.colIndex(t.o0), 3 * r.colIndex(t.o1), t.f}
	}
	for i := range r.rows {
		r.rows[i] = grow(r.rows[i], 3*len(r.cols))
		r.rowY[i] = -1
	}
	src.cols = r.cols
	scaleY := float64(ch) / float64(size)
	for oy := 0; oy < size; oy++ {
		y0, y1, fy := axisTap(oy, scaleY, ch)
		row0 := r.row(&src, y0, y1)
		row1 := r.row(&src, y1, y0)
		resizeRow(dst[3*size*oy:3*size*(oy+1)], row0, row1, r.ctab, fy)
	}
	return nil
}

// RGBA is like the package-level RGBA, with r's cached resize tables; it
// allocates only when the crop width or the size grows beyond what r has
// seen.
func (r *Resizer) RGBA(pix []byte, width, height, stride, size int, dst []byte) error {
	if err := checkFrame(pix, width, height, stride, size, dst); err != nil {
		return err
	}
	sx, cw := CentralCrop(width)
	sy, ch := CentralCrop(height)
	xtab := r.taps(cw, size, 4)
	scaleY := float64(ch) / float64(size)
	for oy := 0; oy < size; oy++ {
		r0, r1, fy := frameRows(pix, stride, sx, sy, cw, ch, oy, scaleY)
		resizeRow(dst[3*size*oy:3*size*(oy+1)], r0, r1, xtab, fy)
	}
	return nil
}

// colIndex returns the index of crop column c in r.cols, appending it when
// it is beyond the last one. Columns arrive in non-decreasing order of the
// taps' first column, and c is at most one before the last appended.
func (r *Resizer) colIndex(c int) int {
	j := len(r.cols) - 1
	if j < 0 || r.cols[j] < c {
		r.cols = append(r.cols, c)
		return j + 1
	}
	for r.cols[j] != c {
		j--
	}
	return j
}

// grow returns s resized to n elements, reallocating only when its capacity
// is too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// taps returns the cached horizontal taps for a crop n wide resized to
// size, with pixels ps bytes apart.
func (r *Resizer) taps(n, size, ps int) []tap {
	if r.xtabN != n || r.xtabSize != size || r.xtabPS != ps || len(r.xtab) != size {
		r.xtab = grow(r.xtab, size)
		fillTaps(r.xtab, 0, n, size, ps)
		r.xtabN, r.xtabSize, r.xtabPS = n, size, ps
	}
	return r.xtab
}

// row returns crop row y converted to RGB, converting it into the slot that
// does not hold row keep when it is not held already.
func (r *Resizer) row(src *rowSource, y, keep int) []byte {
	for i := range r.rowY {
		if r.rowY[i] == y {
			return r.rows[i]
		}
	}
	slot := 0
	if r.rowY[0] == keep {
		slot = 1
	}
	src.convert(r.rows[slot], y)
	r.rowY[slot] = y
	return r.rows[slot]
}

// checkSize validates the output side and buffer.
func checkSize(size int, dst []byte) error {
	if size <= 0 || size > MaxSize {
		return textfmt.Errorf("preprocess: output size %d out of range [1, %d]", size, MaxSize)
	}
	if len(dst) != size*size*3 {
		return textfmt.Errorf("preprocess: dst has %d bytes, want %d (%dx%dx3)", len(dst), size*size*3, size, size)
	}
	return nil
}

// checkFrame validates the arguments of RGBA without overflowing.
func checkFrame(pix []byte, width, height, stride, size int, dst []byte) error {
	if err := checkSize(size, dst); err != nil {
		return err
	}
	if width <= 0 || height <= 0 {
		return textfmt.Errorf("preprocess: empty frame (%dx%d)", width, height)
	}
	if width > math.MaxInt/4 || stride < 4*width {
		return textfmt.Errorf("preprocess: stride %d shorter than 4*width (width %d)", stride, width)
	}
	// The frame addresses stride*(height-1) + 4*width bytes.
	if len(pix) < 4*width || (height > 1 && (len(pix)-4*width)/stride < height-1) {
		return textfmt.Errorf("preprocess: pix has %d bytes, a %dx%d frame with stride %d needs %s",
			len(pix), width, height, stride, frameNeed(width, height, stride))
	}
	return nil
}

// frameNeed describes the byte count a frame needs, for error messages.
func frameNeed(width, height, stride int) string {
	if height-1 <= (math.MaxInt-4*width)/stride {
		return strconv.Itoa(stride*(height-1) + 4*width)
	}
	return "more than the address space"
}

// frameChunk is how many output columns RGBA computes taps for at a time,
// in an array on the stack.
const frameChunk = 64

// resizeFrame resizes the central crop of a validated RGBA frame without
// allocating: it computes the horizontal taps of frameChunk output columns
// at a time into a stack array, then fills those columns of every row.
func resizeFrame(pix []byte, width, height, stride, size int, dst []byte) {
	sx, cw := CentralCrop(width)
	sy, ch := CentralCrop(height)
	scaleY := float64(ch) / float64(size)
	var buf [frameChunk]tap
	for ox0 := 0; ox0 < size; ox0 += frameChunk {
		n := min(frameChunk, size-ox0)
		xtab := buf[:n]
		fillTaps(xtab, ox0, cw, size, 4)
		for oy := 0; oy < size; oy++ {
			r0, r1, fy := frameRows(pix, stride, sx, sy, cw, ch, oy, scaleY)
			o := 3 * (size*oy + ox0)
			resizeRow(dst[o:o+3*n], r0, r1, xtab, fy)
		}
	}
}

// frameRows returns the two crop rows of an RGBA frame that output row oy
// reads, and the vertical weight.
func frameRows(pix []byte, stride, sx, sy, cw, ch, oy int, scaleY float64) (r0, r1 []byte, fy float64) {
	y0, y1, fy := axisTap(oy, scaleY, ch)
	o0 := (sy+y0)*stride + 4*sx
	o1 := (sy+y1)*stride + 4*sx
	return pix[o0 : o0+4*cw], pix[o1 : o1+4*cw], fy
}

// tap is where an output column samples the crop: the byte offsets, within
// a source row, of the two neighbouring pixels, and the weight of the
// second.
type tap struct {
	o0, o1 int
	f      float64
}

// fillTaps sets t[i] to the taps of output column first+i of a crop n wide
// resized to size, with pixels ps bytes apart.
func fillTaps(t []tap, first, n, size, ps int) {
	scale := float64(n) / float64(size)
	for i := range t {
		i0, i1, f := axisTap(first+i, scale, n)
		t[i] = tap{ps * i0, ps * i1, f}
	}
}

// axisTap returns the taps of output coordinate o along a crop axis of
// length n resized with scale = n/size, as the golden inputs were made: in =
// clamp((o + 0.5)*scale - 0.5, 0, n-1), i0 = floor(in), i1 = min(i0+1, n-1),
// f = in - i0. The explicit float64 conversions forbid fused multiply-adds,
// so every architecture rounds like the reference.
func axisTap(o int, scale float64, n int) (i0, i1 int, f float64) {
	in := float64((float64(o)+0.5)*scale) - 0.5
	if in < 0 {
		in = 0
	}
	if hi := float64(n - 1); in > hi {
		in = hi
	}
	i0 = int(in) // in >= 0: truncation is floor
	i1 = i0 + 1
	if i1 > n-1 {
		i1 = n - 1
	}
	return i0, i1, in - float64(i0)
}

// resizeRow writes len(xtab) output pixels (RGB) to dst from the two crop
// rows r0 (y0) and r1 (y1), sampling columns as xtab says and blending rows
// with weight fy. It is the one place where output bytes are computed.
func resizeRow(dst, r0, r1 []byte, xtab []tap, fy float64) {
	dst = dst[:3*len(xtab)]
	for ox := range xtab {
		t := &xtab[ox]
		a, b := (*[3]byte)(r0[t.o0:]), (*[3]byte)(r0[t.o1:])
		c, d := (*[3]byte)(r1[t.o0:]), (*[3]byte)(r1[t.o1:])
		out := (*[3]byte)(dst[3*ox:])
		out[0] = blend(a[0], b[0], c[0], d[0], t.f, fy)
		out[1] = blend(a[1], b[1], c[1], d[1], t.f, fy)
		out[2] = blend(a[2], b[2], c[2], d[2], t.f, fy)
	}
}

// blend is the goldens' bilinear formula for one channel, p00 = (x0, y0),
// p01 = (x1, y0), p10 = (x0, y1), p11 = (x1, y1), in float64, rounded half
// away from zero and clamped to a byte:
//
//	top = p00 + (p01-p00)*fx
//	bot = p10 + (p11-p10)*fx
//	out = clamp(round(top + (bot-top)*fy), 0, 255)
//
// The explicit float64 conversions forbid fused multiply-adds, so every
// architecture rounds like the reference.
func blend(p00, p01, p10, p11 byte, fx, fy float64) byte {
	top := byteF64[p00] + float64((byteF64[p01]-byteF64[p00])*fx)
	bot := byteF64[p10] + float64((byteF64[p11]-byteF64[p10])*fx)
	return roundByte(top + float64((bot-top)*fy))
}

// byteF64[x] is float64(x): a load is cheaper than a conversion.
var byteF64 = func() (t [256]float64) {
	for i := range t {
		t[i] = float64(i)
	}
	return t
}()

// roundByte returns clamp(math.Round(v), 0, 255) (half away from zero),
// NaN giving 0, without math.Round (not an instruction on wasm, and not
// inlined). For 0.5 <= v < 254.5, v + 0.5 is either exact or rounds without
// reaching the next integer, so truncating it is exact; below 0.5 the
// answer is 0 (this also covers v = 0.49999999999999994, where v + 0.5
// rounds up to 1). Tests compare it with math.Round.
func roundByte(v float64) byte {
	if !(v >= 0.5) {
		return 0
	}
	if v >= 254.5 {
		return 255
	}
	return byte(int(v + 0.5))
}

// rowSource converts rows of an image.Image's crop to RGB bytes, with fast
// paths for the concrete types the standard decoders return. Every path
// gives the same bytes as pixelRGB on img.At.
type rowSource struct {
	img  image.Image
	crop image.Rectangle // in img's coordinates
	pal  *[256][3]byte   // converted palette of a *image.Paletted
	cols []int           // crop columns to convert, ascending
}

func newRowSource(img image.Image, crop image.Rectangle, pal *[256][3]byte) rowSource {
	if m, ok := img.(*image.Paletted); ok {
		*pal = [256][3]byte{}
		for i, c := range m.Palette {
			if i == len(pal) {
				break
			}
			pal[i][0], pal[i][1], pal[i][2] = pixelRGB(c)
		}
	}
	return rowSource{img: img, crop: crop, pal: pal}
}

// valid reports whether the pixel slices of a fast-path image cover the
// crop, so that convert cannot index out of range. Offsets are monotonic
// along each axis, so checking the crop's corners suffices.
func (s *rowSource) valid() bool {
	r := s.crop
	covers := func(n, bpp int, off func(x, y int) int) bool {
		for _, p := range []image.Point{r.Min, {r.Max.X - 1, r.Min.Y}, {r.Min.X, r.Max.Y - 1}, r.Max.Sub(image.Pt(1, 1))} {
			if o := off(p.X, p.Y); o < 0 || o > n-bpp {
				return false
			}
		}
		return true
	}
	switch m := s.img.(type) {
	case *image.YCbCr:
		return covers(len(m.Y), 1, m.YOffset) && covers(min(len(m.Cb), len(m.Cr)), 1, m.COffset)
	case *image.NYCbCrA:
		return covers(len(m.Y), 1, m.YOffset) && covers(min(len(m.Cb), len(m.Cr)), 1, m.COffset)
	case *image.RGBA:
		return covers(len(m.Pix), 4, m.PixOffset)
	case *image.NRGBA:
		return covers(len(m.Pix), 4, m.PixOffset)
	case *image.Gray:
		return covers(len(m.Pix), 1, m.PixOffset)
	case *image.Paletted:
		return covers(len(m.Pix), 1, m.PixOffset)
	}
	return true
}

// typeName names the type of an image valid can refuse, for its error
// message, as %T would (textfmt has no %T: it would take reflect).
func (s *rowSource) typeName() string {
	switch s.img.(type) {
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.NYCbCrA:
		return "*image.NYCbCrA"
	case *image.RGBA:
		return "*image.RGBA"
	case *image.NRGBA:
		return "*image.NRGBA"
	case *image.Gray:
		return "*image.Gray"
	case *image.Paletted:
		return "*image.Paletted"
	}
	return "image"
}

// convert writes the columns s.cols of crop row y (relative to the crop) as
// RGB into dst, column s.cols[i] at dst[3*i:].
func (s *rowSource) convert(dst []byte, y int) {
	py := s.crop.Min.Y + y
	x0 := s.crop.Min.X
	switch m := s.img.(type) {
	case *image.YCbCr:
		ycbcrRow(dst, m, s.cols, x0, py)
	case *image.NYCbCrA:
		ycbcrRow(dst, &m.YCbCr, s.cols, x0, py)
	case *image.RGBA:
		p := m.Pix[m.PixOffset(x0, py):]
		for i, x := range s.cols {
			s, d := (*[4]byte)(p[4*x:]), (*[3]byte)(dst[3*i:])
			if a := s[3]; a == 0xff {
				d[0], d[1], d[2] = s[0], s[1], s[2]
			} else {
				d[0], d[1], d[2] = unpremultiply(s[0], a), unpremultiply(s[1], a), unpremultiply(s[2], a)
			}
		}
	case *image.NRGBA:
		p := m.Pix[m.PixOffset(x0, py):]
		for i, x := range s.cols {
			s, d := (*[4]byte)(p[4*x:]), (*[3]byte)(dst[3*i:])
			d[0], d[1], d[2] = s[0], s[1], s[2]
		}
	case *image.Gray:
		p := m.Pix[m.PixOffset(x0, py):]
		for i, x := range s.cols {
			v, d := p[x], (*[3]byte)(dst[3*i:])
			d[0], d[1], d[2] = v, v, v
		}
	case *image.Paletted:
		p := m.Pix[m.PixOffset(x0, py):]
		for i, x := range s.cols {
			c, d := &s.pal[p[x]], (*[3]byte)(dst[3*i:])
			d[0], d[1], d[2] = c[0], c[1], c[2]
		}
	default:
		for i, x := range s.cols {
			d := (*[3]byte)(dst[3*i:])
			d[0], d[1], d[2] = pixelRGB(m.At(x0+x, py))
		}
	}
}

// ycbcrRow converts the columns cols (relative to x0) of row y of m with
// color.YCbCrToRGB, as the reference does for JPEGs, column cols[i] at
// dst[3*i:].
func ycbcrRow(dst []byte, m *image.YCbCr, cols []int, x0, y int) {
	for i, x := range cols {
		yi, ci := m.YOffset(x0+x, y), m.COffset(x0+x, y)
		d := (*[3]byte)(dst[3*i:])
		d[0], d[1], d[2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
	}
}

// pixelRGB is the goldens' colour conversion for one pixel of any
// colour model: YCbCr with color.YCbCrToRGB (alpha of NYCbCrA ignored),
// gray replicated to R = G = B, everything else (CMYK, RGBA, 16-bit, ...)
// through color.NRGBAModel, keeping R, G, B and ignoring alpha. A nil colour
// is black.
func pixelRGB(c color.Color) (r, g, b byte) {
	switch c := c.(type) {
	case nil:
		return 0, 0, 0
	case color.YCbCr:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.NYCbCrA:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	case color.Gray:
		return c.Y, c.Y, c.Y
	case color.NRGBA:
		return c.R, c.G, c.B
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return n.R, n.G, n.B
}

// unpremultiply is what color.NRGBAModel does to one channel v of a
// color.RGBA with alpha a (0 < a < 255 gives the general case), in the same
// uint32 arithmetic, including its truncation when v > a.
func unpremultiply(v, a byte) byte {
	if a == 0 {
		return 0
	}
	v16, a16 := uint32(v)*0x101, uint32(a)*0x101
	return uint8((v16 * 0xffff / a16) >> 8)
}
