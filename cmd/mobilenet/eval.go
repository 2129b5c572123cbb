package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
)

var evalHelp = cmdHelp{
	usage: "eval -m MODEL [-m HEAD] -dir DIR [-labels-csv FILE | -labels FILE] [-requant fp32|reference] [-runtime native|wazero|wazero-portable] [-j N] [-json]",
	about: `Eval measures top-1 and top-5 accuracy over labelled images, as the
release's evaluation did: one central crop per image (what classify does),
ties in the top 5 broken by the lower class index.

DIR is labelled in one of two ways. With a labels CSV (-labels-csv, or
DIR/labels.csv when it exists and -labels is not given): lines
"file,label_index[,synset]" (a header line is skipped), file relative to
DIR, label_index a class index of the model (0 = background for the
1001-class models). Otherwise DIR holds one folder per class, as
'mobilenet train' reads it: each folder's name, trimmed and
case-insensitive, must be one of the model's labels (those of -labels
FILE, else the model's embedded ones, as 'mobilenet train' writes them,
else imagenet_labels.txt next to the model), and its JPEG, PNG, GIF, BMP
or WebP images are that class's; folders that match no label are an
error that lists them. A name several labels share (ImageNet has two
"crane") counts each of them as correct. Class folders add per-class
accuracy to the report.

Images are classified by -j workers, each with its own classifier (with
-runtime wazero or wazero-portable: its own instance of the WebAssembly
module browsers download, embedded in this binary, under wazero). A
progress bar goes to stderr (redrawn on a terminal, otherwise one final
line); the summary table (or with -json one object) goes to stdout.`,
	example: `mobilenet eval -m mobilenet_v1_0.25_128_quant.tflite -dir images/imagenet
mobilenet eval -json -j 2 -m extractor.tflite -m head.tflite -dir val -labels-csv val/labels.csv
mobilenet eval -m gestures.tflite -dir gestures-test      # gestures-test/<class>/*.jpg
mobilenet eval -runtime wazero -m mobilenet_v1_0.25_128_quant.tflite -dir images/imagenet`,
}

// evalItem is one labelled image of the labels CSV.
type evalItem struct {
	file  string
	label int
}

// evalJob is one image to classify and the class indices that count as
// correct (one, but for a class folder whose name several labels have).
type evalJob struct {
	path   string
	labels []int
}

// evalClass is the accuracy on one class folder.
type evalClass struct {
	Class       string  `json:"class"`
	Labels      []int   `json:"label_indices"`
	N           int     `json:"n"`
	Top1Correct int     `json:"top1_correct"`
	Top5Correct int     `json:"top5_correct"`
	Top1Acc     float64 `json:"top1_acc"`
	Top5Acc     float64 `json:"top5_acc"`
}

// evalSummary is eval's result (its -json output).
type evalSummary struct {
	Model           string   `json:"model"`
	Models          []string `json:"models"`
	Requant         string   `json:"requant"`
	Runtime         string   `json:"runtime"`
	N               int      `json:"n"`
	Top1Correct     int      `json:"top1_correct"`
	Top5Correct     int      `json:"top5_correct"`
	Top1Acc         float64  `json:"top1_acc"`
	Top5Acc         float64  `json:"top5_acc"`
	Seconds         float64  `json:"seconds"`
	ImagesPerSecond float64  `json:"images_per_second"`
	Workers         int      `json:"workers"`
	// Classes is the per-class accuracy, for a folder of class folders.
	Classes []evalClass `json:"classes,omitempty"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval")
	mf := addModelFlags(fs)
	dir := fs.String("dir", "", "`folder` of the images")
	labelsCSV := fs.String("labels-csv", "", "`file` of lines file,label_index[,synset] (default DIR/labels.csv when it exists, else DIR's class folders)")
	labelsFile := fs.String("labels", "", "labels `file` the class folders' names are matched against (default: the model's, or imagenet_labels.txt next to it)")
	workers := fs.Int("j", runtime.NumCPU(), "number of parallel workers")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	rtName := fs.String("runtime", runtimeNative, runtimeFlagHelp)
	if err := parseNoArgs(fs, evalHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usagef("no image folder: give -dir DIR")
	case *workers < 1:
		return usagef("-j %d: want at least 1", *workers)
	case *labelsCSV != "" && *labelsFile != "":
		return usagef("-labels names class folders, -labels-csv labels files by index: give one")
	}
	if err := checkRuntime(*rtName); err != nil {
		return err
	}
	if *labelsCSV == "" && *labelsFile == "" {
		if p := filepath.Join(*dir, "labels.csv"); fileExists(p) {
			*labelsCSV = p
		}
	}
	ms, err := mf.read()
	if err != nil {
		return err
	}
	opts := mf.options()
	r, err := newRunner(*rtName, *workers)
	if err != nil {
		return err
	}
	defer r.close()
	load := func(o engine.Options) (classifier, error) { return r.load(ms, o) }

	// The first classifier, and the jobs: from the CSV, or from the class
	// folders matched against the first classifier's labels.
	var (
		first   classifier
		jobs    []evalJob
		folders []classFolder
	)
	if *labelsCSV != "" {
		items, err := readLabelsCSV(*labelsCSV)
		if err != nil {
			return err
		}
		if first, err = load(opts); err != nil {
			return err
		}
		classes := first.Info().Classes
		for i, it := range items {
			if it.label < 0 || it.label >= classes {
				return fmt.Errorf("%s: row %d: label index %d out of range for %d classes", *labelsCSV, i+1, it.label, classes)
			}
			jobs = append(jobs, evalJob{path: filepath.Join(*dir, it.file), labels: []int{it.label}})
		}
	} else {
		if folders, err = readClassFolders(*dir); err != nil {
			return err
		}
		if first, err = labelled(ms, load, opts, *labelsFile); err != nil {
			return err
		}
		if err := matchClassFolders(*dir, folders, first.Info().Labels); err != nil {
			return err
		}
		for _, cf := range folders {
			for _, p := range cf.images {
				jobs = append(jobs, evalJob{path: p, labels: cf.labels})
			}
		}
	}
	cs := []classifier{first}
	for len(cs) < min(*workers, len(jobs)) {
		if r.rt != nil {
			// One model serves every worker: the runtime has -j instances.
			cs = append(cs, first)
			continue
		}
		c, err := load(opts)
		if err != nil {
			return err
		}
		cs = append(cs, c)
	}

	prog := newProgress(stderr, len(jobs))
	start := time.Now()
	ranks, err := evaluate(cs, jobs, prog.update)
	elapsed := time.Since(start)
	prog.finish(err == nil)
	if err != nil {
		return err
	}
	top1, top5 := countRanks(ranks)
	s := evalSummary{
		Model:           ms.name(),
		Models:          ms.paths,
		Requant:         opts.Scheme.String(),
		Runtime:         *rtName,
		N:               len(jobs),
		Top1Correct:     top1,
		Top5Correct:     top5,
		Top1Acc:         float64(top1) / float64(len(jobs)),
		Top5Acc:         float64(top5) / float64(len(jobs)),
		Seconds:         elapsed.Seconds(),
		ImagesPerSecond: float64(len(jobs)) / elapsed.Seconds(),
		Workers:         len(cs),
	}
	for _, cf := range folders {
		c1, c5 := countRanks(ranks[:len(cf.images)])
		ranks = ranks[len(cf.images):]
		n := len(cf.images)
		s.Classes = append(s.Classes, evalClass{Class: cf.name, Labels: cf.labels, N: n, Top1Correct: c1, Top5Correct: c5,
			Top1Acc: float64(c1) / float64(n), Top5Acc: float64(c5) / float64(n)})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	}
	return printSummary(stdout, s)
}

// fileExists reports whether path is an existing file (not a folder).
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// countRanks counts the ranks that are 1 (top-1 correct) and those in
// 1..5 (top-5 correct).
func countRanks(ranks []int) (top1, top5 int) {
	for _, r := range ranks {
		if r == 1 {
			top1++
		}
		if r >= 1 {
			top5++
		}
	}
	return top1, top5
}

// classFolder is one class folder of eval's DIR: its name, its images
// (sorted by name) and, once matched, the model's label indices that
// name it.
type classFolder struct {
	name   string
	images []string
	labels []int
}

// readClassFolders lists dir's class folders (hidden ones skipped) and
// their images (files with an image extension; links followed); files
// directly in dir are ignored. A class folder without images is an
// error, and so is a dir without class folders.
func readClassFolders(dir string) ([]classFolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	var folders []classFolder
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		if st, err := os.Stat(sub); err != nil || !st.IsDir() {
			continue
		}
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("class folder: %w", err)
		}
		cf := classFolder{name: e.Name()}
		for _, f := range files {
			p := filepath.Join(sub, f.Name())
			if !imagefile.IsImageName(f.Name()) {
				continue
			}
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				continue
			}
			cf.images = append(cf.images, p)
		}
		if len(cf.images) == 0 {
			return nil, fmt.Errorf("class folder %s has no images (JPEG, PNG, GIF, BMP or WebP)", sub)
		}
		folders = append(folders, cf)
	}
	if len(folders) == 0 {
		return nil, fmt.Errorf("%s has neither a labels.csv nor class folders: give -labels-csv FILE, or put each class's images in a folder named after one of the model's labels", dir)
	}
	return folders, nil
}

// matchClassFolders sets each folder's label indices: those of the labels
// equal to its name, trimmed and case-insensitive. It fails, listing them,
// when folders match no label.
func matchClassFolders(dir string, folders []classFolder, labels []string) error {
	if len(labels) == 0 {
		return fmt.Errorf("the model has no labels to match %s's class folders against: give -labels FILE (one label per line)", dir)
	}
	byName := map[string][]int{}
	for i, l := range labels {
		k := strings.ToLower(strings.TrimSpace(l))
		byName[k] = append(byName[k], i)
	}
	var unmatched []string
	for i := range folders {
		folders[i].labels = byName[strings.ToLower(strings.TrimSpace(folders[i].name))]
		if len(folders[i].labels) == 0 {
			unmatched = append(unmatched, strconv.Quote(folders[i].name))
		}
	}
	if len(unmatched) == 0 {
		return nil
	}
	var some []string
	for _, l := range labels[:min(len(labels), 12)] {
		some = append(some, strconv.Quote(l))
	}
	if len(labels) > len(some) {
		some = append(some, "...")
	}
	return fmt.Errorf("%s: %d of %d class folders match none of the model's %d labels: %s (the labels: %s)",
		dir, len(unmatched), len(folders), len(labels), strings.Join(unmatched, ", "), strings.Join(some, ", "))
}

// readLabelsCSV reads "file,label_index[,...]" lines; a first line whose
// label_index is not a number is a header.
func readLabelsCSV(path string) ([]evalItem, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("labels csv: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var items []evalItem
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s: line %d: want file,label_index", path, row)
		}
		label, err := strconv.Atoi(rec[1])
		if err != nil {
			if row == 1 {
				continue // header
			}
			return nil, fmt.Errorf("%s: line %d: label index %q is not an integer", path, row, rec[1])
		}
		items = append(items, evalItem{file: rec[0], label: label})
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: no labelled images", path)
	}
	return items, nil
}

// evaluate classifies the jobs' images with one worker per classifier and
// returns, per job, the 1-based rank of its first label in the image's top
// 5 (0 when absent). It calls progress (from this goroutine) with the
// number of images done. It stops at the first error.
func evaluate(cs []classifier, jobs []evalJob, progress func(done int)) ([]int, error) {
	ranks := make([]int, len(jobs))
	k := min(5, cs[0].Info().Classes)
	err := runWorkers(cs, len(jobs), func(c classifier, i int) (int, error) {
		rank, err := rankOf(c, jobs[i].path, jobs[i].labels, k)
		ranks[i] = rank
		return 1, err
	}, progress)
	if err != nil {
		return nil, err
	}
	return ranks, nil
}

// rankOf classifies one image and returns the 1-based rank in its top k
// of the first of labels found there (0 when none is).
func rankOf(c classifier, path string, labels []int, k int) (rank int, err error) {
	img, _, err := imagefile.DecodeFile(path)
	if err != nil {
		return 0, err
	}
	top, err := c.Classify(img, k)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	for i, p := range top {
		if slices.Contains(labels, p.Index) {
			return i + 1, nil
		}
	}
	return 0, nil
}

// printSummary prints the summary table, then, for class folders, a table
// of per-class accuracy (with the label indices each folder matched).
func printSummary(w io.Writer, s evalSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\tn\ttop-1 correct\ttop-5 correct\ttop-1 %%\ttop-5 %%\ttime\n")
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%s\n", s.Model, s.N, s.Top1Correct, s.Top5Correct,
		100*s.Top1Acc, 100*s.Top5Acc, time.Duration(s.Seconds*float64(time.Second)).Round(10*time.Millisecond))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Classes) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "class\tlabel\tn\ttop-1 correct\ttop-5 correct\ttop-1 %%\ttop-5 %%\n")
	for _, c := range s.Classes {
		var idx []string
		for _, i := range c.Labels {
			idx = append(idx, strconv.Itoa(i))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.1f\n", c.Class, strings.Join(idx, ","), c.N, c.Top1Correct, c.Top5Correct,
			100*c.Top1Acc, 100*c.Top5Acc)
	}
	return tw.Flush()
}
