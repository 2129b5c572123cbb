package engine

import "image"

// Classifier is a loaded chain of models that classifies images. It is not
// safe for concurrent use; load one per goroutine.
type Classifier struct{}

// Load plans the models (a classifier, or an extractor followed by a head)
// given as .tflite bytes.
func Load(models [][]byte, opts Options) (*Classifier, error) { panic("todo") }

// LoadFiles is Load from file paths.
func LoadFiles(paths []string, opts Options) (*Classifier, error) { panic("todo") }

// Info describes the classifier.
func (c *Classifier) Info() Info { panic("todo") }

// Classify preprocesses img (central crop 87.5%, bilinear resize) and
// returns the top k classes, ties broken by the lower index.
func (c *Classifier) Classify(img image.Image, k int) ([]Prediction, error) { panic("todo") }

// ClassifyRGBA is Classify on an RGBA frame (4 bytes per pixel, rows
// stride bytes apart), as browsers give them.
func (c *Classifier) ClassifyRGBA(pix []byte, width, height, stride, k int) ([]Prediction, error) {
	panic("todo")
}

// Embed returns the feature vector (dequantized) that the classifier's head
// takes: the extractor's output of a chain, or the input of the final
// logits layer of a single model.
func (c *Classifier) Embed(img image.Image) ([]float32, error) { panic("todo") }

// Infer runs one raw input tensor (the model's input dtype and shape, bytes
// as stored, little-endian) and returns the raw output tensor bytes.
func (c *Classifier) Infer(raw []byte) ([]byte, error) { panic("todo") }

// Input is the raw input tensor buffer Run reads; Output the raw output
// buffer Run writes. Run performs one inference with zero allocations.
func (c *Classifier) Input() []byte  { panic("todo") }
func (c *Classifier) Output() []byte { panic("todo") }
func (c *Classifier) Run()           { panic("todo") }
