// Package imagefolder reads a training set laid out as a folder of class
// folders (the class name is the folder's name, its images the examples)
// and turns its images into feature vectors with an engine.Classifier,
// optionally with augmented copies. It is the file-system side of package
// train, which itself touches no files so that it runs in the wasm module.
package imagefolder

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/train"
)

// Item is one image of a class.
type Item struct {
	Path  string
	Class int
}

// Folder is a training set: class names (sorted) and their images
// (classes in order, each class's files sorted by name).
type Folder struct {
	Classes []string
	Items   []Item
}

// Read lists dir's class folders (sub-folders; hidden ones skipped) and
// their images. It fails when there are fewer than two classes or a class
// has no image: a classifier needs at least two classes, each with
// examples.
func Read(dir string) (*Folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	f := &Folder{}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		class := len(f.Classes)
		f.Classes = append(f.Classes, e.Name())
		files, err := os.ReadDir(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("class %q: %w", e.Name(), err)
		}
		n := 0
		for _, fe := range files {
			if !imagefile.IsImageName(fe.Name()) {
				continue
			}
			path := filepath.Join(dir, e.Name(), fe.Name())
			// Follow symbolic links: a data folder of links to photos
			// kept elsewhere is a data folder.
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				continue
			}
			f.Items = append(f.Items, Item{Path: path, Class: class})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("class %q (%s) has no images (%s)", e.Name(), filepath.Join(dir, e.Name()), strings.Join(imagefile.Exts, " "))
		}
	}
	switch len(f.Classes) {
	case 0:
		return nil, fmt.Errorf("%s has no class folders: put each class's images in a folder named after the class", dir)
	case 1:
		return nil, fmt.Errorf("%s has one class folder (%q): a classifier needs at least two classes", dir, f.Classes[0])
	}
	return f, nil
}

// Labels returns the items' class indices.
func (f *Folder) Labels() []int {
	y := make([]int, len(f.Items))
	for i, it := range f.Items {
		y[i] = it.Class
	}
	return y
}

// ErrTooSmall is returned (wrapped) for images too small to be an example.
var ErrTooSmall = errors.New("image too small")

// MinSide is the smallest width and height of an example image: below it
// the model would see a few blurred pixels, surely a mistake.
const MinSide = 8

// EmbedFile decodes the image at path and returns its feature vector,
// followed by those of copies augmented copies (train.Augment with o and
// seed; copies 0 for none).
func EmbedFile(c *engine.Classifier, path string, copies int, o train.AugmentOptions, seed uint64) ([][]float32, error) {
	img, _, err := imagefile.DecodeFile(path)
	if err != nil {
		return nil, err
	}
	if b := img.Bounds(); b.Dx() < MinSide || b.Dy() < MinSide {
		return nil, fmt.Errorf("%s: %w: %dx%d pixels, want at least %dx%d", path, ErrTooSmall, b.Dx(), b.Dy(), MinSide, MinSide)
	}
	v, err := c.Embed(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := [][]float32{v}
	if copies > 0 {
		aug, err := train.Augment(img, o, copies, seed)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, a := range aug {
			v, err := c.Embed(a)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}
