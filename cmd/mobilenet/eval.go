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
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
)

var evalHelp = cmdHelp{
	usage: "eval -m MODEL [-m HEAD] -dir DIR [-labels-csv FILE] [-requant fp32|reference] [-j N] [-json]",
	about: `Eval measures top-1 and top-5 accuracy over labelled images, as the
release's evaluation did: one central crop per image (what classify does),
ties in the top 5 broken by the lower class index.

The labels CSV has the lines "file,label_index[,synset]" (a header line is
skipped), file relative to -dir, label_index a class index of the model
(0 = background for the 1001-class models); it defaults to DIR/labels.csv.
Images are classified by -j workers, each with its own classifier. A
progress bar goes to stderr (redrawn on a terminal, otherwise one final
line); the summary table (or with -json one object) goes to stdout.`,
	example: `mobilenet eval -m mobilenet_v1_0.25_128_quant.tflite -dir images/imagenet
mobilenet eval -json -j 2 -m extractor.tflite -m head.tflite -dir val -labels-csv val/labels.csv`,
}

// evalItem is one labelled image of the labels CSV.
type evalItem struct {
	file  string
	label int
}

// evalSummary is eval's result (its -json output).
type evalSummary struct {
	Model           string   `json:"model"`
	Models          []string `json:"models"`
	Requant         string   `json:"requant"`
	N               int      `json:"n"`
	Top1Correct     int      `json:"top1_correct"`
	Top5Correct     int      `json:"top5_correct"`
	Top1Acc         float64  `json:"top1_acc"`
	Top5Acc         float64  `json:"top5_acc"`
	Seconds         float64  `json:"seconds"`
	ImagesPerSecond float64  `json:"images_per_second"`
	Workers         int      `json:"workers"`
}

func runEval(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval")
	mf := addModelFlags(fs)
	dir := fs.String("dir", "", "`folder` of the images")
	labelsCSV := fs.String("labels-csv", "", "`file` of lines file,label_index[,synset] (default DIR/labels.csv)")
	workers := fs.Int("j", runtime.NumCPU(), "number of parallel workers")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	if err := parseNoArgs(fs, evalHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case *dir == "":
		return usagef("no image folder: give -dir DIR")
	case *workers < 1:
		return usagef("-j %d: want at least 1", *workers)
	}
	if *labelsCSV == "" {
		*labelsCSV = filepath.Join(*dir, "labels.csv")
	}
	ms, err := mf.read()
	if err != nil {
		return err
	}
	items, err := readLabelsCSV(*labelsCSV)
	if err != nil {
		return err
	}
	opts := mf.options()
	cs := make([]*engine.Classifier, min(*workers, len(items)))
	for i := range cs {
		if cs[i], err = ms.load(opts); err != nil {
			return err
		}
	}
	classes := cs[0].Info().Classes
	for i, it := range items {
		if it.label < 0 || it.label >= classes {
			return fmt.Errorf("%s: row %d: label index %d out of range for %d classes", *labelsCSV, i+1, it.label, classes)
		}
	}

	prog := newProgress(stderr, len(items))
	start := time.Now()
	top1, top5, err := evaluate(cs, *dir, items, prog.update)
	elapsed := time.Since(start)
	prog.finish(err == nil)
	if err != nil {
		return err
	}
	s := evalSummary{
		Model:           ms.name(),
		Models:          ms.paths,
		Requant:         opts.Scheme.String(),
		N:               len(items),
		Top1Correct:     top1,
		Top5Correct:     top5,
		Top1Acc:         float64(top1) / float64(len(items)),
		Top5Acc:         float64(top5) / float64(len(items)),
		Seconds:         elapsed.Seconds(),
		ImagesPerSecond: float64(len(items)) / elapsed.Seconds(),
		Workers:         len(cs),
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	}
	return printSummary(stdout, s)
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

// evaluate classifies the items with one worker per classifier and counts
// the images whose label is the top-1 and within the top-5. It calls
// progress (from this goroutine) with the number of images done. It stops
// at the first error.
func evaluate(cs []*engine.Classifier, dir string, items []evalItem, progress func(done int)) (top1, top5 int, err error) {
	type result struct {
		rank int // 1-based rank of the label in the top 5, 0 when absent
		err  error
	}
	jobs := make(chan int)
	results := make(chan result)
	var stop atomic.Bool
	var wg sync.WaitGroup
	k := min(5, cs[0].Info().Classes)
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				rank, err := rankOf(c, filepath.Join(dir, items[i].file), items[i].label, k)
				results <- result{rank, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range items {
			if stop.Load() {
				return
			}
			jobs <- i
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	done := 0
	for r := range results {
		switch {
		case r.err != nil:
			if err == nil {
				err = r.err
			}
			stop.Store(true)
			continue
		case r.rank == 1:
			top1++
			top5++
		case r.rank > 1:
			top5++
		}
		done++
		progress(done)
	}
	return top1, top5, err
}

// rankOf classifies one image and returns the 1-based rank of label in its
// top k (0 when absent). A panic in the engine becomes an error: workers
// run outside run's recover.
func rankOf(c *engine.Classifier, path string, label, k int) (rank int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: internal error: %v", path, r)
		}
	}()
	img, _, err := imagefile.DecodeFile(path)
	if err != nil {
		return 0, err
	}
	top, err := c.Classify(img, k)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	for i, p := range top {
		if p.Index == label {
			return i + 1, nil
		}
	}
	return 0, nil
}

func printSummary(w io.Writer, s evalSummary) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model\tn\ttop-1 correct\ttop-5 correct\ttop-1 %%\ttop-5 %%\ttime\n")
	fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%s\n", s.Model, s.N, s.Top1Correct, s.Top5Correct,
		100*s.Top1Acc, 100*s.Top5Acc, time.Duration(s.Seconds*float64(time.Second)).Round(10*time.Millisecond))
	return tw.Flush()
}
