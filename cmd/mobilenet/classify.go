package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
)

var classifyHelp = cmdHelp{
	usage: "classify -m MODEL [-m HEAD] [-labels FILE] [-k 5] [-json] [-requant fp32|reference] [-runtime native|wazero|wazero-portable] IMAGE...",
	about: `Classify prints the k most likely classes of each image (JPEG, PNG, GIF,
BMP or WebP), after the release's preprocessing: central crop keeping
87.5% of each side, bilinear resize to the model's input size. Ties are
broken by the lower class index.

The table has rank, class index, score (probability) and label; with
-json, one object per image per line:
  {"image":"cat.jpg","top":[{"index":286,"label":"Egyptian cat","score":0.43},...]}

Labels come from -labels (one per line; 1000 lines get "background"
prepended for 1001 classes), else from the model's embedded labels, else
from imagenet_labels.txt next to a model file when it fits the model's
classes; otherwise they are empty.

-runtime wazero runs the model in the WebAssembly module browsers
download (embedded in this binary) under wazero, sandboxed, with its SIMD
kernels; wazero-portable without them. The results are the same.

An image that cannot be read is reported on stderr and the others are
still classified; the exit status is then 1.`,
	example: `mobilenet classify -m mobilenet_v1_0.25_128_quant.tflite -k 3 cat.jpg dog.bmp
mobilenet classify -runtime wazero -m mobilenet_v1_0.25_128_quant.tflite cat.jpg
mobilenet classify -json -m mobilenet_v1_1.0_224_quant_embedding_extractor.tflite \
    -m mobilenet_quant_v1_224_head_layers.tflite -labels imagenet_labels.txt photos/*.jpg`,
}

// classifyResult is one line of classify -json.
type classifyResult struct {
	Image string              `json:"image"`
	Top   []engine.Prediction `json:"top"`
}

func runClassify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("classify")
	mf := addModelFlags(fs)
	labelsFile := fs.String("labels", "", "labels `file`, one label per line (default: the model's, or imagenet_labels.txt next to it)")
	k := fs.Int("k", 5, "number of classes to print per image (at least 1)")
	asJSON := fs.Bool("json", false, "print one JSON object per image per line")
	rtName := fs.String("runtime", runtimeNative, runtimeFlagHelp)
	images, err := parseFlags(fs, classifyHelp, args, stdout)
	if err != nil {
		return err
	}
	if *k < 1 {
		return usagef("-k %d: want at least 1", *k)
	}
	if len(images) == 0 {
		return usagef("no image given")
	}
	if err := checkRuntime(*rtName); err != nil {
		return err
	}
	ms, err := mf.read()
	if err != nil {
		return err
	}
	r, err := newRunner(*rtName, 1)
	if err != nil {
		return err
	}
	defer r.close()
	c, err := labelled(ms, func(o engine.Options) (classifier, error) { return r.load(ms, o) }, mf.options(), *labelsFile)
	if err != nil {
		return err
	}
	return classifyImages(c, images, *k, *asJSON, stdout, stderr)
}

// classifyImages classifies each image and prints its top k. An image
// that cannot be read or classified is reported on stderr and the others
// still run; the error returned then counts the failures (or, for a
// single image, is that image's error, the command's one stderr line).
func classifyImages(c classifier, images []string, k int, asJSON bool, stdout, stderr io.Writer) error {
	k = min(k, c.Info().Classes)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	var failed []error
	printed := 0
	for _, path := range images {
		top, err := classifyFile(c, path, k)
		if err != nil {
			failed = append(failed, err)
			if len(images) > 1 {
				fmt.Fprintln(stderr, errorLine("classify", err))
			}
			continue
		}
		if asJSON {
			if err := enc.Encode(classifyResult{Image: path, Top: top}); err != nil {
				return err
			}
			continue
		}
		if printed > 0 {
			fmt.Fprintln(stdout)
		}
		printed++
		if err := printTop(stdout, path, top); err != nil {
			return err
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(images) == 1:
		return failed[0]
	}
	return fmt.Errorf("%d of %d images could not be classified", len(failed), len(images))
}

// classifyFile decodes and classifies one image file.
func classifyFile(c classifier, path string, k int) ([]engine.Prediction, error) {
	img, _, err := imagefile.DecodeFile(path)
	if err != nil {
		return nil, err
	}
	top, err := c.Classify(img, k)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return top, nil
}

// printTop prints one image's predictions as a table.
func printTop(w io.Writer, image string, top []engine.Prediction) error {
	fmt.Fprintf(w, "%s\n", image)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "rank\tindex\tscore\t  label\n")
	for i, p := range top {
		fmt.Fprintf(tw, "%d\t%d\t%.4f\t  %s\n", i+1, p.Index, p.Score, p.Label)
	}
	return tw.Flush()
}
