package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mobilenet-wasm/models"
	"mobilenet-wasm/models/benchtable"
	"mobilenet-wasm/models/store"
)

// modelsHelp is 'mobilenet models -h'.
var modelsHelp = cmdHelp{
	usage: "models <list|fetch|import|synth|table> [flags] [arguments]",
	about: `Models manages the release's 32 MobileNet V1 models (widths 1.0, 0.75,
0.5, 0.25 x input sizes 224, 192, 160, 128 x float32 or uint8) in a models
folder: $MOBILENET_MODELS, or mobilenet-wasm/models in the user cache
folder (~/.cache on Linux). Subcommands:

  list     the catalog: MACs, parameters, published accuracy, which are in
           the folder (-json: the catalog as JSON, for the web page)
  fetch    download official archives, keep the .tflite, record its SHA-256
  import   add local .tflite files or release archives (.tgz) to the folder,
           recognising each catalog model by its shapes
  synth    write a model with the release's exact architecture and random
           weights (for benchmarks of models whose weights are not at hand)
  table    render benchmark results as the README's table and plot

Run 'mobilenet models <subcommand> -h' for its flags and an example.`,
	example: `mobilenet models list
mobilenet models fetch mobilenet_v1_0.25_128_quant
mobilenet models import ../shared/models/*.tflite
mobilenet models synth -w 0.5 -r 160 -quant -o mobilenet_v1_0.5_160_quant.tflite`,
}

// modelsCommands are the subcommands of 'mobilenet models'.
var modelsCommands = map[string]func(args []string, stdout, stderr io.Writer) error{
	"list":   runModelsList,
	"fetch":  runModelsFetch,
	"import": runModelsImport,
	"synth":  runModelsSynth,
	"table":  runModelsTable,
}

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("no subcommand: want list, fetch, import, synth or table")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if args[0] == "help" && len(args) > 1 {
			return runModels([]string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprintf(stdout, "Usage: mobilenet %s\n\n%s\n\nFlags:\n  see each subcommand's: mobilenet models <subcommand> -h\n\nExample:\n", modelsHelp.usage, strings.TrimSpace(modelsHelp.about))
		for _, l := range strings.Split(strings.TrimSpace(modelsHelp.example), "\n") {
			fmt.Fprintf(stdout, "  %s\n", l)
		}
		return flag.ErrHelp
	}
	run, ok := modelsCommands[args[0]]
	if !ok {
		return usagef("unknown subcommand %q: want list, fetch, import, synth or table", args[0])
	}
	if err := run(args[1:], stdout, stderr); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return usagef("%s: %s", args[0], ue.msg)
		}
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

const dirFlagHelp = "models `folder` (default $MOBILENET_MODELS, or mobilenet-wasm/models in the user cache folder)"

// modelsDir is the -dir flag's folder, or the default one.
func modelsDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return store.DefaultDir()
}

var modelsListHelp = cmdHelp{
	usage: "models list [-json] [-dir DIR]",
	about: `List prints the catalog of the release's 32 models: width, input size,
type, exact million MACs and parameters (what 'mobilenet info' reports),
the published ImageNet top-1 / top-5 accuracy of the TFLite files, and
whether the model is in the models folder ("yes", "split" for an extractor
and head, "synthetic" for random weights, "-" when missing).

With -json, one JSON array of the 32 entries: name, width, width_name,
resolution, quantized, dtype, macs, params, macs_millions and
params_millions (the published, rounded figures), top1, top5, url (the
official archive), archive, tflite (the file inside it), file (its name in
a models folder), and present, files, synthetic for the folder.`,
	example: `mobilenet models list
mobilenet models list -json > site/models.json`,
}

// listJSON is one entry of 'models list -json'.
type listJSON struct {
	models.EntryJSON
	Present   bool     `json:"present"`
	Files     []string `json:"files,omitempty"`
	Synthetic bool     `json:"synthetic,omitempty"`
}

func runModelsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models list")
	asJSON := fs.Bool("json", false, "print the catalog as one JSON array")
	dirFlag := fs.String("dir", "", dirFlagHelp)
	if err := parseNoArgs(fs, modelsListHelp, args, stdout); err != nil {
		return err
	}
	dir, err := modelsDir(*dirFlag)
	if err != nil {
		return err
	}
	// The folder's models are recognised by their shapes, as serve does
	// (store.Scan), whatever their files are called: the release's
	// extractor and head files keep their archive names.
	found, err := store.Scan(dir, true)
	if err != nil {
		return err
	}
	if *asJSON {
		var out []listJSON
		for _, e := range models.Catalog {
			p, ok := found[e.Name]
			out = append(out, listJSON{EntryJSON: e.JSON(), Present: ok, Files: p.Files, Synthetic: p.Synthetic})
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	present := 0
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\twidth\tsize\ttype\tM MACs\tM params\ttop-1\ttop-5\tin folder")
	for _, e := range models.Catalog {
		status := "-"
		if p, ok := found[e.Name]; ok {
			present++
			switch {
			case p.Synthetic:
				status = "synthetic"
			case p.Split:
				status = "split"
			default:
				status = "yes"
			}
		}
		typ := "float"
		if e.Quantized {
			typ = "uint8"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%.2f\t%.1f\t%.1f\t%s\n", e.Name, models.WidthString(e.Width), e.Resolution, typ,
			float64(e.MACs())/1e6, float64(e.Params())/1e6, e.Top1, e.Top5, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d of %d in %s\n", present, len(models.Catalog), dir)
	others, err := unrecognised(dir, found)
	if err != nil {
		return err
	}
	if len(others) > 0 {
		fmt.Fprintf(stdout, "other models there: %s\n", strings.Join(others, ", "))
	}
	return nil
}

// unrecognised are the names of the .tflite files in dir that are no
// catalog model found there (another model, or half of a split one).
func unrecognised(dir string, found map[string]store.Presence) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tflite"))
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, p := range found {
		for _, f := range p.Files {
			used[f] = true
		}
	}
	var others []string
	for _, p := range paths {
		if !used[p] {
			others = append(others, filepath.Base(p))
		}
	}
	return others, nil
}

var modelsFetchHelp = cmdHelp{
	usage: "models fetch [-dir DIR] [-force] [-mirror URL] [-retries 3] NAME...|-all",
	about: `Fetch downloads the official archives of the named models (or of all 32
with -all) from download.tensorflow.org, with a progress bar on stderr,
and keeps only the .tflite: it must parse and be the model named (by its
shapes); its SHA-256 goes into DIR/manifest.json. NAME is the release's
name (mobilenet_v1_0.25_128_quant) or its short form (0.25_128_quant).
Models already in the folder are skipped unless -force.

Failed tries (network errors, server errors, a cut or stalled download)
are retried (-retries, 3 by default) with backoff; an interrupted
download resumes where it stopped (HTTP Range), also in a later run.
Without network access it says how to import the files instead: download
the archive elsewhere, then 'mobilenet models import FILE.tgz'. It stops
at the first model that fails; those fetched before it stay.`,
	example: `mobilenet models fetch mobilenet_v1_0.25_128_quant 1.0_224_quant
mobilenet models fetch -all -dir ~/mobilenet-models`,
}

func runModelsFetch(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models fetch")
	all := fs.Bool("all", false, "fetch all 32 models")
	force := fs.Bool("force", false, "download again models already in the folder")
	dirFlag := fs.String("dir", "", dirFlagHelp)
	mirror := fs.String("mirror", "", "download from this `URL` instead of "+models.DownloadBase+" (same paths below it)")
	retries := fs.Int("retries", 3, "tries after a failed one, with backoff from 1s doubling (0: no retry)")
	names, err := parseFlags(fs, modelsFetchHelp, args, stdout)
	if err != nil {
		return err
	}
	var entries []models.Entry
	switch {
	case *all && len(names) > 0:
		return usagef("give model names or -all, not both")
	case *all:
		entries = models.Catalog
	case len(names) == 0:
		return usagef("no model named: give names ('mobilenet models list' shows them) or -all")
	}
	for _, n := range names {
		e, ok := models.Lookup(n)
		if !ok {
			return usagef("unknown model %q: 'mobilenet models list' shows the 32 names", n)
		}
		entries = append(entries, e)
	}
	if *retries < 0 {
		return usagef("-retries %d: want 0 or more", *retries)
	}
	dir, err := modelsDir(*dirFlag)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newByteBar(stderr)
	f := &store.Fetcher{
		Folder:   store.Folder{Dir: dir},
		BaseURL:  *mirror,
		Attempts: 1 + *retries,
		Force:    *force,
		Progress: bar.update,
		Logf: func(format string, args ...any) {
			bar.interrupt()
			fmt.Fprintf(stderr, "mobilenet: models: fetch: "+format+"\n", args...)
		},
	}
	for _, e := range entries {
		res, err := f.Fetch(ctx, e)
		bar.interrupt()
		if err != nil {
			var off *store.OfflineError
			if errors.As(err, &off) {
				hintDir := ""
				if *dirFlag != "" {
					hintDir = dir
				}
				return fmt.Errorf("%w; %s", err, store.ImportHint(e, hintDir))
			}
			return err
		}
		path := filepath.Join(dir, res.Record.File)
		if res.Present {
			fmt.Fprintf(stdout, "%s: already in %s (use -force to download it again)\n", e.Name, dir)
			continue
		}
		fmt.Fprintf(stdout, "%s: %s, %d bytes, sha256 %s\n", e.Name, path, res.Record.Size, res.Record.SHA256)
	}
	return nil
}

// byteBar draws a download's progress on stderr:
//
//	[#########...........] 1.2/2.6 MB  3.4 MB/s  ETA 1s  mobilenet_v1_0.25_128_quant.tgz
//
// redrawn in place on a terminal; elsewhere only each try's final line.
type byteBar struct {
	w       io.Writer
	tty     bool
	start   time.Time
	attempt int
	name    string
	lastLen int
}

func newByteBar(w io.Writer) *byteBar { return &byteBar{w: w, tty: isTerminal(w)} }

// update draws p.
func (b *byteBar) update(p store.Progress) {
	if p.Entry.Name != b.name || p.Attempt != b.attempt {
		b.name, b.attempt, b.start = p.Entry.Name, p.Attempt, time.Now()
	}
	if !b.tty && !p.Final {
		return
	}
	line := byteBarLine(p, time.Since(b.start))
	if !b.tty {
		fmt.Fprintln(b.w, line)
		return
	}
	pad := ""
	if n := b.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	b.lastLen = len(line)
	fmt.Fprint(b.w, "\r"+line+pad)
}

// interrupt ends a drawn bar's line, so that other output stands alone.
func (b *byteBar) interrupt() {
	if b.tty && b.lastLen > 0 {
		fmt.Fprintln(b.w)
		b.lastLen = 0
	}
}

// byteBarLine formats one state of the bar after elapsed time.
func byteBarLine(p store.Progress, elapsed time.Duration) string {
	const width = 20
	filled := 0
	if p.Total > 0 {
		filled = int(int64(width) * min(p.Done, p.Total) / p.Total)
	}
	mb := func(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) }
	total := "?"
	if p.Total >= 0 {
		total = mb(p.Total)
	}
	s := fmt.Sprintf("[%s%s] %s/%s MB", strings.Repeat("#", filled), strings.Repeat(".", width-filled), mb(p.Done), total)
	rate := 0.0
	if sec := elapsed.Seconds(); sec > 0 {
		rate = float64(p.Done-p.Resumed) / sec
	}
	if rate > 0 {
		s += fmt.Sprintf("  %.1f MB/s", rate/1e6)
	}
	switch {
	case p.Final:
		s += "  " + elapsed.Round(10*time.Millisecond).String()
	case rate > 0 && p.Total > 0:
		eta := time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second))
		s += "  ETA " + eta.Round(time.Second).String()
	}
	if p.Resumed > 0 {
		s += fmt.Sprintf("  (resumed at %s MB)", mb(p.Resumed))
	}
	return s + "  " + p.Entry.Archive()
}

var modelsImportHelp = cmdHelp{
	usage: "models import [-dir DIR] [-force] [-synthetic] FILE...",
	about: `Import adds local models to the models folder: .tflite files, or the
release's archives (.tgz, whose .tflite is taken). Each must parse; the
catalog model it is gets recognised by its shapes (not its name) and it is
stored as <name>.tflite, the halves of a split model as
<name>_embedding_extractor.tflite and <name>_head_layers.tflite; the
SHA-256 goes into DIR/manifest.json.

A model that is not one of the release's 32 is stored under its own file
name, with a warning: 'list' does not show it, but it can be used by path
(it is refused when named like a catalog model it is not). Files written
by 'mobilenet models synth' are refused unless -synthetic, so that random
weights never pass for the release's. A file of the same name with other
contents is replaced only with -force.`,
	example: `mobilenet models import ../shared/models/*.tflite
mobilenet models import -dir ~/mobilenet-models ~/Downloads/mobilenet_v1_1.0_224_quant.tgz`,
}

func runModelsImport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models import")
	dirFlag := fs.String("dir", "", dirFlagHelp)
	force := fs.Bool("force", false, "replace a file of the same name with other contents")
	synthetic := fs.Bool("synthetic", false, "accept synthetic models (random weights)")
	files, err := parseArgs(fs, modelsImportHelp, args, stdout, "file")
	if err != nil {
		return err
	}
	dir, err := modelsDir(*dirFlag)
	if err != nil {
		return err
	}
	folder := store.Folder{Dir: dir}
	for _, file := range files {
		imported, err := folder.ImportFile(file, store.ImportOptions{Force: *force, AllowSynthetic: *synthetic})
		for _, im := range imported {
			what := im.Record.Model
			if im.Record.Part != "" {
				what += " (" + im.Record.Part + ")"
			}
			if im.Record.Synthetic {
				what += ", synthetic"
			}
			if !im.Known {
				fmt.Fprintf(stderr, "mobilenet: models: import: warning: %s is not one of the release's 32 MobileNet V1 models; stored under its own name\n", file)
				what = "not a catalog model"
			}
			state := "imported"
			if im.Unchanged {
				state = "already there"
			}
			fmt.Fprintf(stdout, "%s: %s as %s (%s), sha256 %s\n", file, state, filepath.Join(dir, im.Record.File), what, im.Record.SHA256)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

var modelsSynthHelp = cmdHelp{
	usage: "models synth -w WIDTH -r SIZE [-quant] -o FILE [-seed N] [-part whole|extractor|head]",
	about: `Synth writes a TFLite model with exactly the release's MobileNet V1
architecture for the width (1.0, 0.75, 0.5, 0.25) and input size (224,
192, 160, 128): the layers, shapes, strides, fused ReLU6, op versions and,
with -quant, the uint8 quantization conventions of the release's files,
with deterministic pseudo-random weights (the same for a seed on every
machine). It is for benchmarking models whose weights are not at hand:
'mobilenet info' gives the catalog's MACs and parameters, and it runs in
any TFLite runtime, but its classes mean nothing. The description says it
is synthetic; 'models import' refuses it unless -synthetic.

-part extractor writes only the feature extractor (up to the average
pool), -part head only the logits layer, squeeze and softmax: chained with
-m, the two compute exactly what the whole model of the same seed does.`,
	example: `mobilenet models synth -w 0.25 -r 128 -quant -o mobilenet_v1_0.25_128_quant.tflite
mobilenet info mobilenet_v1_0.25_128_quant.tflite`,
}

func runModelsSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models synth")
	width := fs.String("w", "", "width multiplier: 1.0, 0.75, 0.5 or 0.25 (required)")
	size := fs.Int("r", 0, "input size: 224, 192, 160 or 128 (required)")
	quant := fs.Bool("quant", false, "write the uint8 quantized model (default float32)")
	out := fs.String("o", "", "output `file` (required)")
	seed := fs.Uint64("seed", 1, "seed of the pseudo-random weights")
	part := fs.String("part", "whole", "`part` to write: whole, extractor or head")
	if err := parseNoArgs(fs, modelsSynthHelp, args, stdout); err != nil {
		return err
	}
	if *width == "" || *size == 0 || *out == "" {
		return usagef("-w, -r and -o are required")
	}
	w, err := strconv.ParseFloat(*width, 64)
	if err != nil {
		return usagef("-w %s: want 1.0, 0.75, 0.5 or 0.25", *width)
	}
	opts := models.SynthOptions{Width: w, Resolution: *size, Quantized: *quant, Seed: *seed}
	switch *part {
	case "whole":
	case "extractor":
		opts.Part = models.Extractor
	case "head":
		opts.Part = models.Head
	default:
		return usagef("-part %s: want whole, extractor or head", *part)
	}
	e, ok := models.Find(w, *size, *quant)
	if !ok {
		return usagef("-w %s -r %d: the release has widths 1.0, 0.75, 0.5, 0.25 and sizes 224, 192, 160, 128", *width, *size)
	}
	data, err := models.Synth(opts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	what := e.Name
	if opts.Part != models.Whole {
		what += " " + opts.Part.String()
	}
	fmt.Fprintf(stdout, "%s: synthetic %s (seed %d), %d bytes, %.1f M MACs, %.2f M params\n", *out, what, *seed, len(data),
		float64(e.MACs())/1e6, float64(e.Params())/1e6)
	return nil
}

var modelsTableHelp = cmdHelp{
	usage: "models table -bench FILE... [-col TITLE=PREFIX]... [-unit ns/op] [-best] [-plot TITLE] [-md FILE] [-svg FILE]",
	about: `Table renders 'go test -bench' results as the README's 32-row Markdown
table (the catalog's columns and one latency column per -col, median
milliseconds per inference over the runs of go test -count N, or the
fastest run with -best) and, with -svg, a latency-vs-accuracy plot of
one column (-plot, default the first column with results).

A column takes the benchmarks named PREFIX<model>[/<weights>] (after the
-GOMAXPROCS suffix is removed); repeat -bench for several outputs (- is
stdin) and -col for several columns. The default column is
'native Go=BenchmarkNative/' (go test -bench Native ./models); the wasm
module's benchmarks add theirs, e.g.
  -col 'wasm portable=BenchmarkWasm/portable/' -col 'wasm SIMD=BenchmarkWasm/simd/'

The latency is the ns/op of each line, or another time-per-op metric
(-unit): BenchmarkNative also reports cpu-ms/op, the process's CPU time,
which is what to tabulate on a machine shared with other work.`,
	example: `go test -run '^$' -bench Native -count 5 ./models > native.txt
mobilenet models table -bench native.txt -unit cpu-ms/op -best -md docs/models-table.md -svg docs/latency-accuracy.svg`,
}

func runModelsTable(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("models table")
	var benchFiles, colFlags listFlag
	fs.Var(&benchFiles, "bench", "`file` of 'go test -bench' output (- for stdin); repeatable")
	fs.Var(&colFlags, "col", "latency column `TITLE=PREFIX`; repeatable (default 'native Go=BenchmarkNative/')")
	plotCol := fs.String("plot", "", "column `title` to plot (default: the first with results)")
	mdOut := fs.String("md", "", "write the Markdown table to `file` (default stdout)")
	svgOut := fs.String("svg", "", "write the SVG plot to `file`")
	best := fs.Bool("best", false, "show each model's fastest run instead of the median (for a shared, noisy machine)")
	unit := fs.String("unit", "ns/op", "metric to read: ns/op, ms/inference, or cpu-ms/op (CPU time, robust to other work on the machine)")
	if err := parseNoArgs(fs, modelsTableHelp, args, stdout); err != nil {
		return err
	}
	if len(benchFiles) == 0 {
		return usagef("no -bench file given")
	}
	cols := []benchtable.Column{benchtable.NativeColumn}
	if len(colFlags) > 0 {
		cols = nil
		for _, s := range colFlags {
			c, err := benchtable.ParseColumn(s)
			if err != nil {
				return usagef("-col: %v", err)
			}
			cols = append(cols, c)
		}
	}
	var readers []io.Reader
	for _, p := range benchFiles {
		if p == "-" {
			readers = append(readers, os.Stdin)
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		readers = append(readers, f, strings.NewReader("\n"))
	}
	b, err := benchtable.ParseBenchUnit(io.MultiReader(readers...), cols, *unit)
	if err != nil {
		return usagef("-unit: %v", err)
	}
	b.Best = *best
	plot := *plotCol
	total := 0
	for _, c := range cols {
		total += b.Count(c.Title)
		if plot == "" && b.Count(c.Title) > 0 {
			plot = c.Title
		}
	}
	if total == 0 {
		return fmt.Errorf("no benchmark in %s matches the columns (%s)", strings.Join(benchFiles, ", "), columnList(cols))
	}
	if err := writeOutput(*mdOut, stdout, b.Markdown); err != nil {
		return err
	}
	if *svgOut != "" {
		if err := writeOutput(*svgOut, stdout, func(w io.Writer) error { return b.SVG(w, plot) }); err != nil {
			return err
		}
	}
	for _, c := range cols {
		if n := b.Count(c.Title); n < len(models.Catalog) {
			fmt.Fprintf(stderr, "mobilenet: models: table: warning: column %q has %d of %d models\n", c.Title, n, len(models.Catalog))
		}
	}
	return nil
}

func columnList(cols []benchtable.Column) string {
	var s []string
	for _, c := range cols {
		s = append(s, c.Prefix+"*")
	}
	return strings.Join(s, ", ")
}

// writeOutput runs write into the file path, or into stdout when path is
// empty.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
