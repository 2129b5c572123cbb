package main

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/train"
	"mobilenet-wasm/train/imagefolder"
)

var trainHelp = cmdHelp{
	usage: "train -m BASE [-m HEAD] -dir DATA -o OUT.tflite [-epochs N] [-val 0.2] [-seed S] [-quant] [-hidden N] [-augment] [-knn [-k K]] [-j N]",
	about: `Train teaches the model new classes: it embeds every image of DATA with
the base model (the feature vector before its classifier; with -m
extractor -m head, the extractor's output), trains a softmax head on
those vectors and writes OUT: the base's layers up to the feature vector,
weights untouched, followed by the trained head and a SOFTMAX, with the
class names as labels. 'mobilenet classify -m OUT' then uses it.

DATA holds one folder per class, named after the class, of JPEG, PNG, GIF,
BMP or WebP images; 10-60 per class is enough to start. A stratified
share (-val) of each class's images is held out: training stops when
their accuracy no longer improves (early stopping), the best head is kept,
and their confusion matrix is printed at the end. Classes are weighted
inversely to their number of images. -augment adds 4 copies of each
training image (mirrored, cropped, brightened at random; the validation
images stay as they are). Everything is deterministic for a -seed.

A float base gives a float32 head. A quantized base gives a float32 head
behind a DEQUANTIZE, or with -quant a uint8 head (the release's format)
trained quantization-aware for its last epochs, so that its accuracy is
the validated one. -knn trains nothing: it reports nearest-neighbour
(cosine, -k neighbours) accuracy on the validation images, and writes no
model.

A progress bar goes to stderr while embedding, then one line per epoch;
the summary and the confusion matrix go to stdout. OUT is written
atomically (a temporary file renamed).`,
	example: `mobilenet train -m mobilenet_v1_0.25_128_quant.tflite -dir gestures -o gestures.tflite -quant -augment
mobilenet train -m extractor.tflite -m head.tflite -dir gestures -o gestures.tflite -hidden 64
mobilenet train -m mobilenet_v1_0.25_224.tflite -dir gestures -knn -k 3`,
}

// augmentCopies is the number of augmented copies -augment adds per
// training image.
const augmentCopies = 4

// trainFlags are train's options.
type trainFlags struct {
	models          listFlag
	dir, out        string
	epochs, hidden  int
	val             float64
	seed            uint64
	quant, augment  bool
	knn             bool
	k, workers      int
	lr, weightDecay float64
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train")
	var f trainFlags
	fs.Var(&f.models, "m", "base model `file` (.tflite), required; -m EXTRACTOR -m HEAD trains on the extractor's output")
	fs.StringVar(&f.dir, "dir", "", "`folder` of class folders of images, required")
	fs.StringVar(&f.out, "o", "", "output model `file` (.tflite), required unless -knn")
	fs.IntVar(&f.epochs, "epochs", 0, "train at most `N` float epochs (default 300; early stopping usually ends sooner)")
	fs.Float64Var(&f.val, "val", 0.2, "`fraction` of each class held out for validation (0: none, train all epochs)")
	fs.Uint64Var(&f.seed, "seed", 1, "random `seed`: split, initial weights, batch order, augmentation")
	fs.BoolVar(&f.quant, "quant", false, "quantized base: train quantization-aware and write a uint8 head")
	fs.IntVar(&f.hidden, "hidden", 0, "`N` units in a hidden ReLU layer (0: a softmax layer on the features)")
	fs.BoolVar(&f.augment, "augment", false, fmt.Sprintf("add %d augmented copies of each training image", augmentCopies))
	fs.BoolVar(&f.knn, "knn", false, "nearest-neighbour accuracy on the validation images instead of training")
	fs.IntVar(&f.k, "k", 1, "neighbours that vote with -knn")
	fs.IntVar(&f.workers, "j", runtime.NumCPU(), "number of parallel embedding workers")
	fs.Float64Var(&f.lr, "lr", 0, "Adam's learning `rate` (default 0.003)")
	fs.Float64Var(&f.weightDecay, "wd", 0, "decoupled weight `decay` (default 0.001; negative: none)")
	if err := parseNoArgs(fs, trainHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case f.dir == "":
		return usagef("no data folder: give -dir DATA")
	case f.out == "" && !f.knn:
		return usagef("no output: give -o OUT.tflite")
	case f.out != "" && f.knn:
		return usagef("-knn writes no model: drop -o")
	case len(f.models) > 2:
		return usagef("%d models: give a base, or an extractor and its head", len(f.models))
	case f.val < 0 || f.val >= 1:
		return usagef("-val %v: want a fraction in [0, 1)", f.val)
	case f.knn && f.val == 0:
		return usagef("-knn measures accuracy on the validation images: -val must be above 0")
	case f.epochs < 0:
		return usagef("-epochs %d: want at least 1", f.epochs)
	case f.hidden < 0:
		return usagef("-hidden %d: want 0 or more", f.hidden)
	case f.k < 1:
		return usagef("-k %d: want at least 1", f.k)
	case f.workers < 1:
		return usagef("-j %d: want at least 1", f.workers)
	case f.lr < 0:
		return usagef("-lr %v: want a positive rate", f.lr)
	}
	ms, err := readModels(f.models)
	if err != nil {
		return err
	}
	folder, err := imagefolder.Read(f.dir)
	if err != nil {
		return err
	}
	c, err := ms.load(engine.Options{})
	if err != nil {
		return err
	}
	info := c.Info()
	if info.Embedding.Name == "" && info.Embedding.Shape == nil {
		return fmt.Errorf("%s: the model has no feature vector to train on", ms.name())
	}
	var inQuant *train.QParams
	if e := info.Embedding; e.DType == "uint8" && len(e.Scale) == 1 {
		inQuant = &train.QParams{Scale: e.Scale[0], ZeroPoint: int32(e.ZeroPoint[0])}
	}
	if f.quant && inQuant == nil {
		return usagef("-quant needs a quantized base; %s's feature vector is %s", ms.name(), info.Embedding.DType)
	}

	y := folder.Labels()
	trainIdx, valIdx := train.StratifiedSplit(y, len(folder.Classes), f.val, f.seed)
	copies := 0
	if f.augment {
		copies = augmentCopies
	}
	vecs, err := embedFolder(ms, c, folder, trainIdx, valIdx, copies, f.seed, f.workers, stderr)
	if err != nil {
		return err
	}
	trainSet := train.Dataset{Classes: len(folder.Classes)}
	for _, i := range trainIdx {
		for _, v := range vecs[i] {
			trainSet.X = append(trainSet.X, v)
			trainSet.Y = append(trainSet.Y, y[i])
		}
	}
	valSet := train.Dataset{Classes: len(folder.Classes)}
	for _, i := range valIdx {
		valSet.X = append(valSet.X, vecs[i][0])
		valSet.Y = append(valSet.Y, y[i])
	}
	if err := trainSet.Check(folder.Classes); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d classes, %d training images (%d vectors), %d validation images\n",
		ms.name(), len(folder.Classes), len(trainIdx), trainSet.Len(), valSet.Len())

	if f.knn {
		knn, err := train.NewKNN(&trainSet, f.k)
		if err != nil {
			return err
		}
		conf := knn.Evaluate(&valSet)
		fmt.Fprintf(stdout, "nearest neighbour (cosine, k=%d): validation accuracy %.1f%%\n\n%s", f.k, 100*conf.Accuracy(), conf.Format(folder.Classes))
		return nil
	}

	cfg := train.Config{Hidden: f.hidden, Epochs: f.epochs, Seed: f.seed, LR: f.lr, WeightDecay: f.weightDecay}
	if f.quant {
		cfg.Quant = inQuant
	}
	tr, err := train.NewTrainer(trainSet, valSet, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	head := tr.Run(func(p train.Progress) { fmt.Fprintln(stderr, epochLine(p)) })
	elapsed := time.Since(start)

	conf := head.Evaluate(&valSet)
	kind := "float32"
	if head.Quant != nil {
		kind = "uint8"
	}
	fmt.Fprintf(stdout, "trained a %s head (%d hidden units) in %s\n", kind, head.Hidden(), elapsed.Round(time.Millisecond))
	if valSet.Len() > 0 {
		if head.Quant != nil {
			fmt.Fprintf(stdout, "validation accuracy: float head %.1f%%, uint8 head %.1f%%\n",
				100*tr.FloatHead().Evaluate(&valSet).Accuracy(), 100*conf.Accuracy())
		} else {
			fmt.Fprintf(stdout, "validation accuracy: %.1f%%\n", 100*conf.Accuracy())
		}
		fmt.Fprintf(stdout, "\n%s\n", conf.Format(folder.Classes))
	}

	model, err := train.Export(ms.bytes[0], head, train.ExportOptions{Labels: folder.Classes})
	if err != nil {
		return err
	}
	if valSet.Len() > 0 {
		agree, n, err := checkExport(model, head, folder, valIdx, valSet)
		if err != nil {
			return fmt.Errorf("the exported model: %w", err)
		}
		fmt.Fprintf(stdout, "exported model: same top-1 as the trained head on %d/%d validation images\n", agree, n)
	}
	if err := atomicfile.Write(f.out, model); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes)\n", f.out, len(model))
	return nil
}

// epochLine is one epoch's progress line.
func epochLine(p train.Progress) string {
	s := fmt.Sprintf("epoch %3d %-5s loss %.4f  train %5.1f%%", p.Epoch, p.Phase, p.Loss, 100*p.TrainAcc)
	if p.ValAcc >= 0 {
		s += fmt.Sprintf("  val %5.1f%%  val loss %.4f", 100*p.ValAcc, p.ValLoss)
	}
	if p.Best {
		s += "  *"
	}
	return s
}

// embedFolder embeds the training images (with copies augmented copies
// each) and the validation images with -j workers, each with its own
// classifier (c is the first), showing a progress bar. vecs[i] holds item
// i's vectors: the image's, then its copies'.
func embedFolder(ms *modelSet, c *engine.Classifier, folder *imagefolder.Folder, trainIdx, valIdx []int, copies int, seed uint64, workers int, stderr io.Writer) ([][][]float32, error) {
	type job struct{ item, copies int }
	var jobs []job
	total := 0
	for _, i := range trainIdx {
		jobs = append(jobs, job{i, copies})
		total += 1 + copies
	}
	for _, i := range valIdx {
		jobs = append(jobs, job{i, 0})
		total++
	}
	cs := []*engine.Classifier{c}
	for len(cs) < min(workers, len(jobs)) {
		c, err := ms.load(engine.Options{})
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	vecs := make([][][]float32, len(folder.Items))
	prog := newProgress(stderr, total)
	err := runWorkers(cs, len(jobs), func(c *engine.Classifier, j int) (int, error) {
		it := folder.Items[jobs[j].item]
		v, err := imagefolder.EmbedFile(c, it.Path, jobs[j].copies, train.AugmentOptions{}, train.AugmentSeed(seed, jobs[j].item))
		vecs[jobs[j].item] = v
		return 1 + jobs[j].copies, err
	}, prog.update)
	prog.finish(err == nil)
	return vecs, err
}

// checkExport loads the exported model and classifies the validation
// images with it, returning on how many its top-1 is the trained head's
// prediction from the image's feature vector.
func checkExport(model []byte, head *train.Head, folder *imagefolder.Folder, valIdx []int, valSet train.Dataset) (agree, n int, err error) {
	c, err := engine.Load([][]byte{model}, engine.Options{})
	if err != nil {
		return 0, 0, err
	}
	if got := c.Labels(); len(got) != len(folder.Classes) {
		return 0, 0, fmt.Errorf("%d labels embedded, want %d", len(got), len(folder.Classes))
	}
	for j, i := range valIdx {
		img, _, err := imagefile.DecodeFile(folder.Items[i].Path)
		if err != nil {
			return 0, 0, err
		}
		top, err := c.Classify(img, 1)
		if err != nil {
			return 0, 0, err
		}
		if top[0].Index == head.Predict(valSet.X[j]) {
			agree++
		}
		n++
	}
	return agree, n, nil
}
