package train

import (
	"errors"
	"image"
	"image/draw"
	"math/rand/v2"
)

// AugmentOptions say how Augment varies an image. The zero value means
// DefaultAugment's values; set a field negative to turn it off.
type AugmentOptions struct {
	// Mirror is the probability of a horizontal flip (default 0.5): a
	// mirrored hand sign or object is still itself, made with the other
	// hand or seen from the other side.
	Mirror float64
	// MinCrop is the smallest side kept by a random crop, as a fraction
	// of the image's side (default 0.8); the crop's position is random
	// too. The engine resizes whatever it gets, so a smaller crop is a
	// zoom in (scale) as well as a shift.
	MinCrop float64
	// Brightness is the largest relative change of brightness (default
	// 0.2: a factor drawn in [0.8, 1.2]).
	Brightness float64
}

// DefaultAugment are the options Augment uses for zero fields.
var DefaultAugment = AugmentOptions{Mirror: 0.5, MinCrop: 0.8, Brightness: 0.2}

func (o AugmentOptions) withDefaults() AugmentOptions {
	d := DefaultAugment
	pick := func(v, def float64) float64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0
		}
		return v
	}
	o.Mirror = pick(o.Mirror, d.Mirror)
	o.MinCrop = pick(o.MinCrop, d.MinCrop)
	o.Brightness = pick(o.Brightness, d.Brightness)
	if o.MinCrop == 0 || o.MinCrop > 1 {
		o.MinCrop = 1
	}
	return o
}

// ToRGBA returns img as an *image.RGBA whose bounds start at (0, 0) (a
// copy unless it already is one).
func ToRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	r := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(r, r.Rect, img, b.Min, draw.Src)
	return r
}

// Mirror returns img flipped left to right.
func Mirror(img *image.RGBA) *image.RGBA {
	b := img.Rect
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		dst := out.Pix[out.PixOffset(0, y):]
		w := b.Dx()
		for x := range w {
			copy(dst[4*(w-1-x):4*(w-x)], src[4*x:4*x+4])
		}
	}
	return out
}

// Crop returns a copy of the rectangle r of img (clipped to its bounds),
// with bounds starting at (0, 0).
func Crop(img *image.RGBA, r image.Rectangle) *image.RGBA {
	r = r.Intersect(img.Rect)
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Rect, img, r.Min, draw.Src)
	return out
}

// Brighten returns img with every colour channel multiplied by factor
// (rounded, clamped to [0, 255]); alpha is kept.
func Brighten(img *image.RGBA, factor float64) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy()))
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(min(max(float64(v)*factor+0.5, 0), 255))
	}
	for y := range img.Rect.Dy() {
		src := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
		dst := out.Pix[out.PixOffset(0, y):]
		for x := range img.Rect.Dx() {
			i := 4 * x
			dst[i], dst[i+1], dst[i+2], dst[i+3] = lut[src[i]], lut[src[i+1]], lut[src[i+2]], src[i+3]
		}
	}
	return out
}

// Augment returns n augmented copies of img: each independently mirrored
// (with probability o.Mirror), cropped to a random square-ish window of
// o.MinCrop to 1 of each side at a random position, and brightened by a
// random factor in [1-o.Brightness, 1+o.Brightness]. The copies depend
// only on img, o, n and seed: give each image its own seed (such as
// AugmentSeed(seed, index)) so that the order images are processed in
// does not matter.
func Augment(img image.Image, o AugmentOptions, n int, seed uint64) ([]*image.RGBA, error) {
	src := ToRGBA(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if w < 2 || h < 2 {
		return nil, errors.New("train: image too small to augment")
	}
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(seed, 0x617567))
	out := make([]*image.RGBA, 0, n)
	for range n {
		// Draw every random number whatever the options, so that turning
		// one option off does not change the others' draws.
		mirror := rng.Float64() < o.Mirror
		cs := o.MinCrop + (1-o.MinCrop)*rng.Float64()
		cw, ch := max(1, int(cs*float64(w)+0.5)), max(1, int(cs*float64(h)+0.5))
		x0, y0 := rng.IntN(w-cw+1), rng.IntN(h-ch+1)
		factor := 1 + o.Brightness*(2*rng.Float64()-1)

		a := Crop(src, image.Rect(x0, y0, x0+cw, y0+ch))
		if mirror {
			a = Mirror(a)
		}
		if factor != 1 {
			a = Brighten(a, factor)
		}
		out = append(out, a)
	}
	return out, nil
}

// AugmentSeed derives an image's augmentation seed from a run's seed and
// the image's index.
func AugmentSeed(seed uint64, index int) uint64 {
	// SplitMix64's finalizer: nearby indices give unrelated seeds.
	z := seed + 0x9e3779b97f4a7c15*uint64(index+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
