package main

import (
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/quantize"
)

var quantizeHelp = cmdHelp{
	usage: "quantize -m FLOAT.tflite -calib DIR -o OUT.tflite [-format uint8|int8] [-calib-n N] [-method auto|minmax|percentile|mse] [-percentile P] [-input-type T] [-output-type T] [-labels FILE] [-equalize auto|on|off] [-absorb-bias auto|on|off] [-correct-bias auto|on|off] [-relu6 keep|relu]",
	about: `Quantize converts a float model into a fully quantized one by
post-training quantization: it runs the float model on the photos of the
calibration folder (preprocessed as the release's evaluation did), records
the range of every activation, and writes the quantized model.

-format uint8 writes the release's own format (its _quant files):
per-tensor asymmetric uint8 weights and activations, int32 biases, the
input bytes being the pixels as they are (scale 1/128, zero point 128).
-format int8 writes TFLite's current spec: per-channel symmetric int8
weights, asymmetric int8 activations, int32 biases; -input-type and
-output-type (uint8, int8, float32; default the format's own type) add the
QUANTIZE / DEQUANTIZE ops current converters put at the edges.

-method picks the activation ranges: minmax (the extremes seen, TFLite's
default), percentile (dropping the extreme (100-P)% at each end) or mse
(the range with the smallest quantization error); the default, auto, is
percentile for uint8 and minmax for int8 (the best measured); fused ReLU6
keeps every range within [0, 6]. The calibration folder's images (JPEG, PNG, GIF, BMP,
WebP, not its subfolders) are taken in name order, at most -calib-n of
them, evenly spread when there are more. The output is written atomically
(a temporary file in its folder, then renamed); the same inputs give the
same bytes. Labels come from -labels FILE, else the model's, else
imagenet_labels.txt next to the model when it fits; they are embedded.
A progress bar goes to stderr, a summary line to stdout.

Per-tensor uint8 weights lose most of MobileNet V1's accuracy after
training (12% top-1 instead of 57% for mobilenet_v1_0.25_224): folded batch
norm leaves some depthwise channels with weights 20x smaller than others in
the same layer. So, by default, -format uint8 first rewrites the float
model: cross-layer equalization rescales channels between consecutive
layers (within what ReLU6 allows, or with -relu6 relu replacing it by
ReLU), bias absorption moves always-positive parts of ReLU channels into
the next layer's bias, and bias correction removes the mean shift that
rounding each layer's weights causes, measured on the calibration photos;
the activation ranges are then calibrated on that rewritten model. Each
step can be turned off (-equalize off, -absorb-bias off, -correct-bias
off) to compare. They are on for -format int8 too, where equalization
and bias correction gain a little (58% against 56% top-1).`,
	example: `mobilenet quantize -m mobilenet_v1_0.25_224.tflite -calib images/imagenet -o mobilenet_v1_0.25_224_int8.tflite -format int8
mobilenet quantize -m float.tflite -calib photos -o quant.tflite -format uint8 -method percentile -calib-n 100`,
}

func runQuantize(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("quantize")
	model := fs.String("m", "", "float model `file` (.tflite), required")
	calib := fs.String("calib", "", "calibration `folder` of images, required")
	out := fs.String("o", "", "quantized model `file` to write, required")
	format := fs.String("format", "uint8", "`format`: uint8 (the release's) or int8 (TFLite's current spec)")
	n := fs.Int("calib-n", 200, "use at most `N` calibration images")
	method := fs.String("method", "auto", "activation range `method`: auto (uint8: percentile, int8: minmax), minmax, percentile or mse")
	pct := fs.Float64("percentile", quantize.DefaultPercentile, "share `P` of values (%) kept at each end by -method percentile")
	inType := fs.String("input-type", "", "input `type`: uint8, int8 or float32 (default: the format's)")
	outType := fs.String("output-type", "", "output `type`: uint8, int8 or float32 (default: the format's)")
	labelsFile := fs.String("labels", "", "labels `file` to embed (one per line)")
	var equalize, absorb, correct toggleFlag
	fs.Var(&equalize, "equalize", "cross-layer equalization first: `auto` (the format's default: uint8 on, int8 off), on or off")
	fs.Var(&absorb, "absorb-bias", "bias absorption after equalization: `auto`, on or off")
	fs.Var(&correct, "correct-bias", "empirical bias correction: `auto`, on or off")
	relu6 := fs.String("relu6", "keep", "equalization of ReLU6 layers: `keep` (bounded scales) or relu (replace by ReLU)")
	if err := parseNoArgs(fs, quantizeHelp, args, stdout); err != nil {
		return err
	}
	opts := quantize.Options{Percentile: *pct, Equalize: equalize.t, AbsorbBias: absorb.t, CorrectBias: correct.t}
	var err error
	switch {
	case *model == "":
		return usagef("no model: give -m FLOAT.tflite")
	case *calib == "":
		return usagef("no calibration folder: give -calib DIR")
	case *out == "":
		return usagef("no output: give -o OUT.tflite")
	case *n < 1:
		return usagef("-calib-n %d: want at least 1", *n)
	case !(*pct > 50 && *pct <= 100):
		return usagef("-percentile %g: want more than 50 and at most 100", *pct)
	}
	if opts.Format, err = quantize.ParseFormat(*format); err != nil {
		return usagef("-format: %v", err)
	}
	if opts.Method, err = quantize.ParseMethod(*method); err != nil {
		return usagef("-method: %v", err)
	}
	if opts.Method == quantize.MethodAuto {
		opts.Method = quantize.DefaultMethod(opts.Format)
	}
	if opts.ReLU6, err = quantize.ParseReLU6Mode(*relu6); err != nil {
		return usagef("-relu6: %v", err)
	}
	if opts.Input, err = quantize.ParseIOType(*inType); err != nil {
		return usagef("-input-type: %v", err)
	}
	if opts.Output, err = quantize.ParseIOType(*outType); err != nil {
		return usagef("-output-type: %v", err)
	}

	// Check everything that can fail before the long calibration.
	outDir := filepath.Dir(*out)
	if st, err := os.Stat(outDir); err != nil || !st.IsDir() {
		return fmt.Errorf("output folder %s does not exist", outDir)
	}
	data, err := os.ReadFile(*model)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	cal, err := quantize.NewCalibrator(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	if !cal.ImageInput() {
		return fmt.Errorf("%s: the model's input is not a square RGB image; calibration needs images", *model)
	}
	if opts.Labels, err = quantizeLabels(data, *model, *labelsFile); err != nil {
		return err
	}
	files, total, err := calibrationImages(*calib, *n)
	if err != nil {
		return err
	}

	prog := newProgress(stderr, len(files))
	err = calibrate(cal, files, prog.update)
	prog.finish(err == nil)
	if err != nil {
		return err
	}
	q, err := cal.Quantize(opts)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	if err := atomicfile.Write(*out, q); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %s, %s calibration on %d of %d images: %d bytes (float %d, %.2fx)\n",
		*out, opts.Format, opts.Method, len(files), total, len(q), len(data), float64(len(q))/float64(len(data)))
	return nil
}

// toggleFlag is a quantize.Toggle flag: auto, on or off (or true,
// false).
type toggleFlag struct{ t quantize.Toggle }

func (f *toggleFlag) String() string {
	if f == nil {
		return "auto"
	}
	return f.t.String()
}

func (f *toggleFlag) Set(s string) (err error) {
	f.t, err = quantize.ParseToggle(s)
	return err
}

// calibrationImages lists the image files of dir in name order: all of
// them, or n spread evenly over them.
func calibrationImages(dir string, n int) (files []string, total int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("calibration folder: %w", err)
	}
	var all []string
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			if imagefile.IsImageName(e.Name()) {
				all = append(all, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(all) == 0 {
		return nil, 0, fmt.Errorf("calibration folder %s has no images (%s)", dir, strings.Join(imagefile.Exts, ", "))
	}
	slices.Sort(all)
	if len(all) <= n {
		return all, len(all), nil
	}
	for i := range n {
		files = append(files, all[i*len(all)/n])
	}
	return files, len(all), nil
}

// calibrate decodes the images (one ahead, in another goroutine) and
// feeds them to the calibrator in order. A file that is not an image is
// an error: a calibration folder holds photos.
func calibrate(cal *quantize.Calibrator, files []string, progress func(done int)) error {
	type decoded struct {
		img image.Image
		err error
	}
	ch := make(chan decoded, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(ch)
		for _, f := range files {
			img, _, err := imagefile.DecodeFile(f)
			select {
			case ch <- decoded{img, err}:
			case <-stop:
				return
			}
		}
	}()
	i := 0
	for d := range ch {
		if d.err != nil {
			return fmt.Errorf("calibration: %w", d.err)
		}
		if err := cal.AddImage(d.img); err != nil {
			return fmt.Errorf("calibration: %s: %w", files[i], err)
		}
		i++
		progress(i)
	}
	return nil
}

// quantizeLabels returns the labels to embed: those of labelsFile, else
// none (the model's own are kept), else imagenet_labels.txt next to the
// model when its line count fits the classes.
func quantizeLabels(model []byte, path, labelsFile string) ([]string, error) {
	ms := &modelSet{paths: []string{path}, bytes: [][]byte{model}}
	if labelsFile != "" {
		c, err := ms.loadLabelled(engine.Options{}, labelsFile)
		if err != nil {
			return nil, err
		}
		return c.Labels(), nil
	}
	c, err := ms.load(engine.Options{})
	if err != nil {
		return nil, err
	}
	if len(c.Labels()) > 0 {
		return nil, nil // embedded already: Quantize carries them over
	}
	c, err = ms.loadLabelled(engine.Options{}, "")
	if err != nil {
		return nil, err
	}
	return c.Labels(), nil
}
