// Package e2e tests the web page, the JS loader and the widget end to end in
// real browsers (Debian's chromium, driven by playwright-core from npm, and
// Debian's firefox-esr, driven by puppeteer-core; env_test.go's browsers):
// e2e_test.go starts `mobilenet serve`, runs e2e/run.mjs, and checks what
// the browser showed against `mobilenet classify` on the same pixels.
//
// This file is the fake camera's video: Chromium's
// --use-file-for-fake-video-capture plays a YUV4MPEG2 (Y4M) file of I420
// frames as a webcam. FitFrame puts a photo into a video frame, I420 and
// RGBA convert between the frame and its YUV planes (BT.601, limited
// range, as Chromium's libyuv does), and WriteY4M writes the file. The
// package is test support, not a video library.
package e2e

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"io"

	"golang.org/x/image/draw"
)

// FitFrame scales img to cover a w x h frame and crops the overflow
// equally on both sides (no letterbox bars, no distortion), with
// Catmull-Rom resampling.
func FitFrame(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	sw, sh := b.Dx(), b.Dy()
	// The source rectangle of aspect w:h, centred.
	cw, ch := sw, sw*h/w
	if ch > sh {
		cw, ch = sh*w/h, sh
	}
	src := image.Rect(b.Min.X+(sw-cw)/2, b.Min.Y+(sh-ch)/2, b.Min.X+(sw-cw)/2+cw, b.Min.Y+(sh-ch)/2+ch)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, src, draw.Src, nil)
	return dst
}

// Planes is an I420 frame: full-size luma, chroma halved both ways.
type Planes struct {
	W, H    int
	Y, U, V []byte
}

// I420 converts an RGBA frame (even width and height) with libyuv's
// ARGBToI420 arithmetic: BT.601 limited range, each chroma sample from the
// average of a 2x2 block.
func I420(img *image.RGBA) Planes {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w%2 != 0 || h%2 != 0 {
		panic(fmt.Sprintf("e2e: I420 needs even sides, got %dx%d", w, h))
	}
	p := Planes{W: w, H: h, Y: make([]byte, w*h), U: make([]byte, w*h/4), V: make([]byte, w*h/4)}
	px := func(x, y int) (int, int, int) {
		o := img.PixOffset(x, y)
		return int(img.Pix[o]), int(img.Pix[o+1]), int(img.Pix[o+2])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := px(x, y)
			p.Y[y*w+x] = byte((66*r+129*g+25*b+128)>>8 + 16)
		}
	}
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			var r, g, b int
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				pr, pg, pb := px(x+d[0], y+d[1])
				r, g, b = r+pr, g+pg, b+pb
			}
			r, g, b = (r+2)/4, (g+2)/4, (b+2)/4
			i := (y/2)*(w/2) + x/2
			p.U[i] = byte((-38*r-74*g+112*b+128)>>8 + 128)
			p.V[i] = byte((112*r-94*g-18*b+128)>>8 + 128)
		}
	}
	return p
}

// RGBA converts the frame back as libyuv's I420ToARGB does for BT.601
// limited range: nearest chroma sample, 8-bit fixed-point coefficients.
// It is what the page sees of the fake camera, to within a level or two.
func (p Planes) RGBA() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	clamp := func(v int) uint8 { return uint8(min(max(v, 0), 255)) }
	for y := 0; y < p.H; y++ {
		for x := 0; x < p.W; x++ {
			c := int(p.Y[y*p.W+x]) - 16
			i := (y/2)*(p.W/2) + x/2
			d := int(p.U[i]) - 128
			e := int(p.V[i]) - 128
			img.SetRGBA(x, y, color.RGBA{
				R: clamp((298*c + 409*e + 128) >> 8),
				G: clamp((298*c - 100*d - 208*e + 128) >> 8),
				B: clamp((298*c + 516*d + 128) >> 8),
				A: 255,
			})
		}
	}
	return img
}

// WriteY4M writes a YUV4MPEG2 stream of n copies of the frame at fps
// frames per second (C420jpeg chroma siting, square pixels, progressive).
func WriteY4M(w io.Writer, p Planes, n, fps int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", p.W, p.H, fps)
	for i := 0; i < n; i++ {
		bw.WriteString("FRAME\n")
		bw.Write(p.Y)
		bw.Write(p.U)
		bw.Write(p.V)
	}
	return bw.Flush()
}
