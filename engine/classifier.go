package engine

import (
	"errors"
	"image"

	"mobilenet-wasm/engine/preprocess"
	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
)

// Classifier is a loaded chain of models (one classifier, or a feature
// extractor followed by a head) that classifies images. It is not safe for
// concurrent use: load one per goroutine.
type Classifier struct {
	plans   []*plan
	scheme  kernels.Scheme
	labels  []string
	classes int
	size    int    // square input side; 0 when the input is not an image
	rgb     []byte // preprocessed pixels, for float and int8 inputs
	scores  []float32
	order   []int
}

// Load plans the models, given as .tflite bytes, in the order they run:
// one classifier, or an extractor followed by a head whose input takes the
// extractor's output unchanged.
func Load(models [][]byte, opts Options) (c *Classifier, err error) {
	defer func() {
		// The loader and planner validate everything; this is the last
		// line of defence so that no input can crash a caller.
		if r := recover(); r != nil {
			c, err = nil, textfmt.Errorf("engine: internal error while loading: %v", r)
		}
	}()
	if len(models) == 0 {
		return nil, errors.New("engine: no model given")
	}
	c = &Classifier{scheme: opts.Scheme}
	var embedded []string
	for i, data := range models {
		m, err := loader.Parse(data)
		if err != nil {
			if len(models) > 1 {
				return nil, textfmt.Errorf("model %d of %d: %w", i+1, len(models), err)
			}
			return nil, err
		}
		p, err := newPlan(m, opts.Scheme)
		if err != nil {
			if len(models) > 1 {
				return nil, textfmt.Errorf("model %d of %d: %w", i+1, len(models), err)
			}
			return nil, err
		}
		if i > 0 {
			prev := c.plans[i-1]
			a, b := &prev.model.Tensors[prev.out], &m.Tensors[p.in]
			if a.Type != b.Type || len(prev.bufs[prev.out]) != len(p.bufs[p.in]) {
				return nil, textfmt.Errorf("engine: model %d outputs %v %v but model %d takes %v %v", i, a.Shape, a.Type, i+1, b.Shape, b.Type)
			}
		}
		if m.Labels != nil {
			embedded = m.Labels
		}
		c.plans = append(c.plans, p)
	}
	last := c.lastPlan()
	out := &last.model.Tensors[last.out]
	if len(out.Shape) == 0 {
		return nil, errors.New("engine: the output tensor is a scalar, not class scores")
	}
	c.classes = out.Shape[len(out.Shape)-1]
	labels := opts.Labels
	if labels == nil {
		labels = embedded
	}
	if labels != nil {
		if c.labels, err = fitLabels(labels, c.classes); err != nil {
			return nil, err
		}
	}
	in := &c.plans[0].model.Tensors[c.plans[0].in]
	if len(in.Shape) == 4 && in.Shape[0] == 1 && in.Shape[1] == in.Shape[2] && in.Shape[3] == 3 {
		c.size = in.Shape[1]
		c.rgb = make([]byte, c.size*c.size*3)
	}
	c.scores = make([]float32, c.classes)
	c.order = make([]int, c.classes)
	return c, nil
}

// fitLabels matches a label list to a model's class count, handling the
// 1001-class convention (index 0 = background) both ways.
func fitLabels(labels []string, classes int) ([]string, error) {
	switch {
	case len(labels) == classes:
		return labels, nil
	case len(labels) == classes-1:
		return append([]string{"background"}, labels...), nil
	case len(labels) == classes+1 && labels[0] == "background":
		return labels[1:], nil
	}
	return nil, textfmt.Errorf("engine: %d labels for a model with %d classes", len(labels), classes)
}

func (c *Classifier) lastPlan() *plan { return c.plans[len(c.plans)-1] }

// Input is the raw input tensor buffer (the model's dtype, bytes as stored,
// little-endian) that Run reads.
func (c *Classifier) Input() []byte { return c.plans[0].bufs[c.plans[0].in] }

// Output is the raw output tensor buffer that Run writes.
func (c *Classifier) Output() []byte { return c.lastPlan().bufs[c.lastPlan().out] }

// Run performs one inference from Input to Output. It allocates nothing.
func (c *Classifier) Run() {
	for i, p := range c.plans {
		p.run()
		if i+1 < len(c.plans) {
			next := c.plans[i+1]
			copy(next.bufs[next.in], p.bufs[p.out])
		}
	}
}

// Infer runs one raw input tensor (the model's input dtype and shape, bytes
// as stored, little-endian) and returns a copy of the raw output tensor.
func (c *Classifier) Infer(raw []byte) ([]byte, error) {
	in := c.Input()
	if len(raw) != len(in) {
		t := &c.plans[0].model.Tensors[c.plans[0].in]
		return nil, textfmt.Errorf("engine: input is %d bytes; the model takes %v %v = %d bytes", len(raw), t.Shape, t.Type, len(in))
	}
	copy(in, raw)
	c.Run()
	return append([]byte(nil), c.Output()...), nil
}

// Classify preprocesses img as the release's evaluation did (central crop
// keeping 87.5%, bilinear resize) and returns the k most likely classes,
// ties broken by the lower index.
func (c *Classifier) Classify(img image.Image, k int) ([]Prediction, error) {
	if err := c.prepareImage(img); err != nil {
		return nil, err
	}
	c.setInput()
	c.Run()
	return c.TopK(k), nil
}

// prepareImage crops and resizes img into the preprocessed RGB bytes
// (setInput then converts them to the model's input).
func (c *Classifier) prepareImage(img image.Image) error {
	if err := c.needImage(); err != nil {
		return err
	}
	return preprocess.Image(img, c.size, c.rgb)
}

// ClassifyRGBA is Classify on an RGBA frame (4 bytes per pixel, rows stride
// bytes apart), as browsers give them.
func (c *Classifier) ClassifyRGBA(pix []byte, width, height, stride, k int) ([]Prediction, error) {
	if err := c.RunRGBA(pix, width, height, stride); err != nil {
		return nil, err
	}
	return c.TopK(k), nil
}

// RunRGBA preprocesses an RGBA frame (see ClassifyRGBA) and runs the
// model, allocating nothing; AppendTopK then reads the classes. This is
// the per-frame path of a webcam loop.
func (c *Classifier) RunRGBA(pix []byte, width, height, stride int) error {
	if err := c.needImage(); err != nil {
		return err
	}
	if err := preprocess.RGBA(pix, width, height, stride, c.size, c.rgb); err != nil {
		return err
	}
	c.setInput()
	c.Run()
	return nil
}

func (c *Classifier) needImage() error {
	if c.size == 0 {
		t := &c.plans[0].model.Tensors[c.plans[0].in]
		return textfmt.Errorf("engine: the model's input %v is not a square RGB image; use Infer", t.Shape)
	}
	return nil
}

// setInput converts the preprocessed RGB bytes to the model's input type:
// uint8 as they are, float32 as x/127.5-1, int8 shifted by -128.
func (c *Classifier) setInput() {
	in := c.Input()
	switch c.plans[0].model.Tensors[c.plans[0].in].Type {
	case loader.UInt8:
		copy(in, c.rgb)
	case loader.Float32:
		_ = preprocess.ToFloat32(f32(in), c.rgb) // sizes match by construction
	case loader.Int8:
		for i, v := range c.rgb {
			in[i] = v ^ 0x80
		}
	}
}

// Embed returns the feature vector, dequantized, that the classifier's
// head takes (the extractor's output of a chain, or the input of a single
// model's final logits layer), for img preprocessed as Classify does.
func (c *Classifier) Embed(img image.Image) ([]float32, error) {
	if err := c.prepareImage(img); err != nil {
		return nil, err
	}
	return c.embed()
}

// EmbedRGBA is Embed on an RGBA frame (see ClassifyRGBA).
func (c *Classifier) EmbedRGBA(pix []byte, width, height, stride int) ([]float32, error) {
	if err := c.needImage(); err != nil {
		return nil, err
	}
	if err := preprocess.RGBA(pix, width, height, stride, c.size, c.rgb); err != nil {
		return nil, err
	}
	return c.embed()
}

// embed runs the preprocessed pixels and returns the feature vector.
func (c *Classifier) embed() ([]float32, error) {
	t, buf, err := c.embedding()
	if err != nil {
		return nil, err
	}
	c.setInput()
	c.Run()
	v := make([]float32, t.NumElements())
	dequantize(t, buf, v)
	return v, nil
}

// embedding finds the feature tensor and its buffer.
func (c *Classifier) embedding() (*loader.Tensor, []byte, error) {
	if len(c.plans) > 1 {
		p := c.plans[0]
		return &p.model.Tensors[p.out], p.bufs[p.out], nil
	}
	p := c.plans[0]
	if p.embed < 0 {
		return nil, nil, errors.New("engine: the model has no final conv or fully connected layer whose input is a feature vector")
	}
	return &p.model.Tensors[p.embed], p.bufs[p.embed], nil
}

// dequantize converts tensor t's bytes buf to real values in dst.
func dequantize(t *loader.Tensor, buf []byte, dst []float32) {
	switch t.Type {
	case loader.Float32:
		copy(dst, f32(buf))
		return
	}
	scale, zp := float32(1), int32(0)
	if t.Quant != nil && len(t.Quant.Scale) > 0 {
		scale, zp = t.Quant.Scale[0], int32(t.Quant.ZeroPoint[0])
	}
	for i := range dst {
		q := int32(buf[i])
		if t.Type == loader.Int8 {
			q = int32(int8(buf[i]))
		}
		dst[i] = float32(q-zp) * scale
	}
}

// TopK returns the k most likely classes of the last Run, ties broken by
// the lower index. k is clamped to the number of classes.
func (c *Classifier) TopK(k int) []Prediction {
	return c.AppendTopK(make([]Prediction, 0, max(0, min(k, c.classes))), k)
}

// AppendTopK is TopK appending to dst, so that a caller reusing dst
// allocates nothing.
func (c *Classifier) AppendTopK(dst []Prediction, k int) []Prediction {
	p := c.lastPlan()
	t := &p.model.Tensors[p.out]
	out := p.bufs[p.out]
	scores := c.scores
	dequantize(t, out[len(out)-c.classes*t.Type.ElemSize():], scores)
	k = max(0, min(k, c.classes))
	// Insertion into a sorted top-k list, visiting classes in index order
	// and inserting after equal scores: ties keep the lower index, and
	// nothing is allocated.
	order := c.order[:0]
	for j, s := range scores {
		if len(order) == k && (k == 0 || !(s > scores[order[k-1]])) {
			continue
		}
		pos := len(order)
		for pos > 0 && s > scores[order[pos-1]] {
			pos--
		}
		if len(order) < k {
			order = append(order, 0)
		}
		copy(order[pos+1:], order[pos:len(order)-1])
		order[pos] = j
	}
	for _, j := range order {
		p := Prediction{Index: j, Score: scores[j]}
		if c.labels != nil {
			p.Label = c.labels[j]
		}
		dst = append(dst, p)
	}
	return dst
}

// Labels are the classifier's labels (nil when it has none).
func (c *Classifier) Labels() []string { return c.labels }

// Info describes the classifier.
func (c *Classifier) Info() Info {
	first, last := c.plans[0], c.lastPlan()
	info := Info{
		Input:     tensorInfo(&first.model.Tensors[first.in]),
		Output:    tensorInfo(&last.model.Tensors[last.out]),
		InputSize: c.size,
		Classes:   c.classes,
		Labels:    c.labels,
		Scheme:    c.scheme.String(),
	}
	if t, _, err := c.embedding(); err == nil {
		info.Embedding = tensorInfo(t)
	}
	for _, p := range c.plans {
		for _, s := range p.steps {
			info.Ops = append(info.Ops, s.op.String())
		}
		info.MACs += p.macs
		info.Params += p.params
	}
	return info
}

func tensorInfo(t *loader.Tensor) TensorInfo {
	ti := TensorInfo{Name: t.Name, Shape: t.Shape, DType: t.Type.String()}
	if t.Quant != nil {
		ti.Scale, ti.ZeroPoint = t.Quant.Scale, t.Quant.ZeroPoint
	}
	return ti
}
