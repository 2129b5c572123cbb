package kernels

// PadParams describe a constant PAD of a rank-4 NHWC tensor: Before[d] and
// After[d] elements are added before and after dimension d (0 = N, 1 = H,
// 2 = W, 3 = C). Out is In grown by the padding.
type PadParams struct {
	// In and Out are the input and padded output shapes.
	In, Out Shape4
	// Before and After are the padding per dimension (N, H, W, C).
	Before, After [4]int
}

// NewPadParams returns the PAD of a tensor of shape in by before and after
// (per dimension N, H, W, C; non-negative).
func NewPadParams(in Shape4, before, after [4]int) *PadParams {
	return &PadParams{
		In:     in,
		Before: before,
		After:  after,
		Out: Shape4{
			N: in.N + before[0] + after[0],
			H: in.H + before[1] + after[1],
			W: in.W + before[2] + after[2],
			C: in.C + before[3] + after[3],
		},
	}
}

// Pad copies in into the middle of out and fills the padding with
// padValue, for any element type: TFLite's PAD (and PADV2 with a constant),
// whose pad value is 0 for float32 and the output zero point for quantized
// tensors (input and output share their quantization). in and out may not
// overlap.
func Pad[T any](p *PadParams, in, out []T, padValue T) {
	o, i := p.Out, p.In
	b0, h0, w0, c0 := p.Before[0], p.Before[1], p.Before[2], p.Before[3]
	rowLen := o.W * o.C      // one output row (all of W and C)
	imageLen := o.H * rowLen // one output image
	for b := range o.N {
		img := out[b*imageLen : (b+1)*imageLen]
		if b < b0 || b >= b0+i.N {
			fill(img, padValue)
			continue
		}
		for y := range o.H {
			row := img[y*rowLen : (y+1)*rowLen]
			if y < h0 || y >= h0+i.H {
				fill(row, padValue)
				continue
			}
			fill(row[:w0*o.C], padValue)
			fill(row[(w0+i.W)*o.C:], padValue)
			for x := range i.W {
				px := row[(w0+x)*o.C : (w0+x+1)*o.C]
				src := in[(((b-b0)*i.H+y-h0)*i.W+x)*i.C:][:i.C]
				fill(px[:c0], padValue)
				copy(px[c0:c0+i.C], src)
				fill(px[c0+i.C:], padValue)
			}
		}
	}
}

// fill sets every element of s to v: padding, the start of a running
// maximum, a row of zero points.
func fill[T any](s []T, v T) {
	for k := range s {
		s[k] = v
	}
}
