package models

// Layer is one convolution of the MobileNet V1 architecture.
type Layer struct {
	// Name is the TF-slim scope: "Conv2d_0", "Conv2d_3_depthwise",
	// "Conv2d_3_pointwise", "Logits/Conv2d_1c_1x1".
	Name string
	// Depthwise is true for the 3x3 depthwise convolutions.
	Depthwise bool
	// Kernel is the square filter side (3 or 1), Stride the stride (1 or 2).
	Kernel, Stride int
	// In and Out are the input and output channels (equal for depthwise).
	In, Out int
	// InSize and OutSize are the square input and output sides (SAME
	// padding: OutSize = ceil(InSize / Stride)).
	InSize, OutSize int
	// ReLU6 is true for every layer but the logits.
	ReLU6 bool
}

// MACs is the layer's multiply-accumulates: one per filter tap per output
// element (per input channel for full convolutions).
func (l Layer) MACs() int64 {
	per := int64(l.Kernel * l.Kernel)
	if !l.Depthwise {
		per *= int64(l.In)
	}
	return int64(l.OutSize*l.OutSize*l.Out) * per
}

// Params is the layer's weights plus biases.
func (l Layer) Params() int64 {
	w := int64(l.Kernel * l.Kernel * l.Out)
	if !l.Depthwise {
		w *= int64(l.In)
	}
	return w + int64(l.Out)
}

// Arch is the MobileNet V1 architecture of one width and resolution, as
// the release builds it (Howard et al., 2017): a 3x3 stride-2
// convolution to 32*W channels, 13 depthwise-separable blocks (3x3
// depthwise + ReLU6, 1x1 pointwise + ReLU6) with pointwise widths 64, 128,
// 128, 256, 256, 512 (x6), 1024, 1024 times W and stride 2 at the
// depthwise convolutions of blocks 2, 4, 6 and 12, a global average pool
// over the final R/32 x R/32 grid, a 1x1 convolution to 1001 logits
// (index 0 is background) and a softmax. Batch norm is folded in: every
// convolution has a bias.
type Arch struct {
	Width      float64
	Resolution int
	// Layers are the 28 convolutions of the feature extractor then the
	// logits convolution, in execution order.
	Layers []Layer
	// PoolSize is the average pool's filter side (the final grid, R/32).
	PoolSize int
	// Features is the length of the feature vector the logits read
	// (1024*W); Classes is 1001.
	Features, Classes int
}

// Classes is the number of outputs of every model of the release:
// ImageNet's 1000 classes and background at index 0.
const Classes = 1001

// blockWidths and blockStrides are the 13 depthwise-separable blocks'
// pointwise widths (at W = 1) and depthwise strides.
var (
	blockWidths  = [13]int{64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024}
	blockStrides = [13]int{1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1}
)

// depth scales a channel count by the width multiplier, as TF-slim does
// (int(d*W), at least 8).
func depth(d int, w float64) int { return max(int(float64(d)*w), 8) }

// NewArch returns the architecture of width w and resolution r. It does
// not check that they are the release's: any positive width and any
// resolution give a MobileNet V1 of that shape.
func NewArch(w float64, r int) Arch {
	a := Arch{Width: w, Resolution: r, Classes: Classes}
	size := r
	add := func(l Layer) {
		l.InSize = size
		l.OutSize = (size + l.Stride - 1) / l.Stride
		size = l.OutSize
		a.Layers = append(a.Layers, l)
	}
	c := depth(32, w)
	add(Layer{Name: "Conv2d_0", Kernel: 3, Stride: 2, In: 3, Out: c, ReLU6: true})
	for i, bw := range blockWidths {
		n := i + 1
		add(Layer{Name: "Conv2d_" + itoa(n) + "_depthwise", Depthwise: true, Kernel: 3, Stride: blockStrides[i], In: c, Out: c, ReLU6: true})
		out := depth(bw, w)
		add(Layer{Name: "Conv2d_" + itoa(n) + "_pointwise", Kernel: 1, Stride: 1, In: c, Out: out, ReLU6: true})
		c = out
	}
	a.PoolSize = size
	a.Features = c
	a.Layers = append(a.Layers, Layer{Name: "Logits/Conv2d_1c_1x1", Kernel: 1, Stride: 1, In: c, Out: Classes, InSize: 1, OutSize: 1})
	return a
}

// MACs is the exact multiply-accumulates of one inference: the sum over
// the convolutions (the pool and softmax are not counted, as in the
// release and engine.Info).
func (a Arch) MACs() int64 {
	var n int64
	for _, l := range a.Layers {
		n += l.MACs()
	}
	return n
}

// Params is the exact parameter count: weights and biases of every
// convolution.
func (a Arch) Params() int64 {
	var n int64
	for _, l := range a.Layers {
		n += l.Params()
	}
	return n
}

// Extractor is the feature extractor's layers (all but the logits).
func (a Arch) Extractor() []Layer { return a.Layers[:len(a.Layers)-1] }

// Logits is the final 1x1 convolution to the classes.
func (a Arch) Logits() Layer { return a.Layers[len(a.Layers)-1] }

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
