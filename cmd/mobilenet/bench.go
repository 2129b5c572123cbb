package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

var benchHelp = cmdHelp{
	usage: "bench (-m MODEL [-m HEAD] | -all-models [-models DIR]) [-runtime native,wazero,wazero-portable] [-n 50] [-warmup 1s] [-requant fp32|reference] [-json]",
	about: `Bench times inferences (one mid-grey input tensor in, the output tensor
out, no preprocessing, one thread) of a model, or with -all-models of the
release's 32 models, in each runtime of -runtime (a comma-separated list):

  native           this binary's engine (portable Go kernels)
  wazero           the WebAssembly module browsers download (embedded in
                   this binary) under wazero, with its wasm SIMD kernels
  wazero-portable  the same module with its portable Go kernels, as a
                   browser without wasm SIMD runs it

The runtimes take turns: after a warm-up of -warmup (all of them in
turns), each of -n rounds runs every runtime once, in an order that
rotates. Reported per runtime: the median latency with p10 and p90, and
multiply-accumulates per second; per later runtime, the ratio of its time
to the first runtime's, the median of the per-round ratios with p10 and
p90. These are the figures of 'go test -bench . ./host' (BenchmarkWasm,
BenchmarkNative). In a browser: the page's benchmark or bench/browser.

-all-models takes the release's files from -models DIR (default
$MOBILENET_MODELS or the user cache folder, as 'mobilenet models' does)
where it has them, and synthetic twins (same layers, random weights, the
same work; 'mobilenet models synth') otherwise.

The report is a Markdown table (machine, date and settings above it), or
with -json one JSON object (documented in the README, "Headless").`,
	example: `mobilenet bench -m mobilenet_v1_0.25_128_quant.tflite
mobilenet bench -runtime wazero,wazero-portable -m mobilenet_v1_0.5_160_quant.tflite
mobilenet bench -all-models -runtime native,wazero,wazero-portable -n 20 -json > bench.json`,
}

// benchReport is bench's -json output.
type benchReport struct {
	Date     string        `json:"date"` // RFC 3339, UTC
	Go       string        `json:"go"`   // runtime.Version()
	GOOS     string        `json:"goos"` // of this binary
	GOARCH   string        `json:"goarch"`
	CPU      string        `json:"cpu"` // the CPU's model name, "" when unknown
	CPUs     int           `json:"cpus"`
	Runtimes []string      `json:"runtimes"`
	Runs     int           `json:"runs"`     // timed rounds a model
	WarmupS  float64       `json:"warmup_s"` // warm-up a model, seconds
	Requant  string        `json:"requant"`
	Models   []benchModel  `json:"models"`
	Summary  *benchSummary `json:"summary,omitempty"` // with more than one model and runtime
}

// benchModel is one model's figures.
type benchModel struct {
	Model   string        `json:"model"`   // catalog name, or the files' names joined by "+"
	Files   []string      `json:"files"`   // the .tflite files run
	Weights string        `json:"weights"` // "real" or "synthetic" (-all-models), "file" (-m)
	MACs    int64         `json:"macs"`
	Results []benchResult `json:"results"` // one per runtime, in -runtime's order
	Ratios  []benchRatio  `json:"ratios"`  // one per runtime after the first
}

// benchResult is one runtime's latency for one model.
type benchResult struct {
	Runtime  string  `json:"runtime"`
	MedianMS float64 `json:"median_ms"`
	P10MS    float64 `json:"p10_ms"`
	P90MS    float64 `json:"p90_ms"`
	GMACs    float64 `json:"gmac_per_s"` // MACs / median
}

// benchRatio is a runtime's time over the first runtime's, per round.
type benchRatio struct {
	Runtime string  `json:"runtime"` // the numerator
	Base    string  `json:"base"`    // the denominator: the first runtime
	Median  float64 `json:"median"`
	P10     float64 `json:"p10"`
	P90     float64 `json:"p90"`
}

// benchSummary is the median over the models of each ratio's median.
type benchSummary struct {
	Ratios []benchRatio `json:"ratios"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	mf := addModelFlags(fs)
	n := fs.Int("n", 50, "timed rounds (each runs every runtime once)")
	warmup := fs.Duration("warmup", time.Second, "untimed warm-up `duration` a model, the runtimes in turns")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the Markdown report")
	rtList := fs.String("runtime", runtimeNative, "comma-separated `runtimes`: native, wazero, wazero-portable")
	all := fs.Bool("all-models", false, "bench the release's 32 models (real weights from -models, synthetic twins otherwise)")
	modelsDir := fs.String("models", "", "models `folder` for -all-models (default: $MOBILENET_MODELS or the user cache folder)")
	if err := parseNoArgs(fs, benchHelp, args, stdout); err != nil {
		return err
	}
	var names []string
	for _, s := range strings.Split(*rtList, ",") {
		s = strings.TrimSpace(s)
		if err := checkRuntime(s); err != nil {
			return err
		}
		if slices.Contains(names, s) {
			return usagef("-runtime: %s twice", s)
		}
		names = append(names, s)
	}
	switch {
	case *n < 1:
		return usagef("-n %d: want at least 1", *n)
	case *warmup < 0:
		return usagef("-warmup %v: want 0 or more", *warmup)
	case *all && len(mf.paths) > 0:
		return usagef("-all-models and -m: give one")
	case !*all && *modelsDir != "":
		return usagef("-models is for -all-models")
	}
	sets, err := benchModels(mf, *all, *modelsDir)
	if err != nil {
		return err
	}
	defer sets.cleanup()

	var runners []*runner
	defer func() {
		for _, r := range runners {
			r.close()
		}
	}()
	for _, name := range names {
		r, err := newRunner(name, 1)
		if err != nil {
			return err
		}
		runners = append(runners, r)
	}
	rep := benchReport{
		Date: time.Now().UTC().Format(time.RFC3339), Go: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPU: cpuName(), CPUs: runtime.NumCPU(), Runtimes: names, Runs: *n, WarmupS: warmup.Seconds(),
		Requant: mf.options().Scheme.String(),
	}
	var prog *progress
	if *all {
		prog = newProgress(stderr, len(sets.sets))
	}
	for i, set := range sets.sets {
		m, err := benchOne(runners, set, mf.options(), *n, *warmup)
		if err != nil {
			if prog != nil {
				prog.finish(false)
			}
			return err
		}
		rep.Models = append(rep.Models, m)
		if prog != nil {
			prog.update(i + 1)
		}
	}
	if prog != nil {
		prog.finish(true)
	}
	if len(rep.Models) > 1 && len(names) > 1 {
		rep.Summary = summarize(rep.Models)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeBenchMarkdown(stdout, rep)
}

// benchSet is one model to bench: its files' bytes and how it is named.
type benchSet struct {
	name    string
	weights string
	ms      *modelSet
}

// benchSets are bench's models, and the folder of synthetic twins to
// remove after.
type benchSets struct {
	sets    []benchSet
	cleanup func()
}

// benchModels reads the -m files, or the catalog's models.
func benchModels(mf *modelFlags, all bool, dir string) (*benchSets, error) {
	if !all {
		ms, err := mf.read()
		if err != nil {
			return nil, err
		}
		return &benchSets{sets: []benchSet{{ms.name(), "file", ms}}, cleanup: func() {}}, nil
	}
	if dir == "" {
		d, err := store.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	src, err := store.NewSources(dir)
	if err != nil {
		return nil, err
	}
	synth, err := os.MkdirTemp("", "mobilenet-bench-")
	if err != nil {
		return nil, err
	}
	out := &benchSets{cleanup: func() { os.RemoveAll(synth) }}
	for _, e := range models.Catalog {
		w, err := src.Weights(e, synth)
		if err != nil {
			out.cleanup()
			return nil, err
		}
		ms, err := readModels(w.Files)
		if err != nil {
			out.cleanup()
			return nil, err
		}
		out.sets = append(out.sets, benchSet{e.Name, w.Kind, ms})
	}
	return out, nil
}

// benchOne loads one model in every runtime and times it in turns.
func benchOne(runners []*runner, set benchSet, opts engine.Options, n int, warmup time.Duration) (benchModel, error) {
	infers := make([]func([]byte) ([]byte, error), len(runners))
	var info engine.Info
	for i, r := range runners {
		c, err := r.load(set.ms, opts)
		if err != nil {
			return benchModel{}, err
		}
		switch c := c.(type) {
		case *engine.Classifier:
			infers[i] = c.Infer
		case wasmClassifier:
			ctx := context.Background()
			infers[i] = func(in []byte) ([]byte, error) { return c.Infer(ctx, in) }
			defer c.Close()
		}
		if i == 0 {
			info = c.Info()
		}
	}
	in := info.Input.MidGrey()
	run := func(i int) (time.Duration, error) {
		t0 := time.Now()
		_, err := infers[i](in)
		return time.Since(t0), err
	}
	for start := time.Now(); ; {
		for i := range runners {
			if _, err := run(i); err != nil {
				return benchModel{}, fmt.Errorf("%s in %s: %w", set.name, runners[i].name, err)
			}
		}
		if time.Since(start) >= warmup {
			break
		}
	}
	times := make([][]float64, len(runners)) // ms, per runtime, per round
	ratios := make([][]float64, len(runners))
	for round := range n {
		d := make([]float64, len(runners))
		for j := range runners {
			i := (round + j) % len(runners) // rotate the order
			t, err := run(i)
			if err != nil {
				return benchModel{}, fmt.Errorf("%s in %s: %w", set.name, runners[i].name, err)
			}
			d[i] = float64(t) / 1e6
		}
		for i := range runners {
			times[i] = append(times[i], d[i])
			ratios[i] = append(ratios[i], d[i]/d[0])
		}
	}
	m := benchModel{Model: set.name, Files: set.ms.paths, Weights: set.weights, MACs: info.MACs}
	for i, r := range runners {
		med, p10, p90 := quantiles(times[i])
		m.Results = append(m.Results, benchResult{Runtime: r.name, MedianMS: med, P10MS: p10, P90MS: p90, GMACs: float64(info.MACs) / (med / 1e3) / 1e9})
		if i > 0 {
			med, p10, p90 := quantiles(ratios[i])
			m.Ratios = append(m.Ratios, benchRatio{Runtime: r.name, Base: runners[0].name, Median: med, P10: p10, P90: p90})
		}
	}
	return m, nil
}

// quantiles returns the median, p10 and p90 of v (nearest rank).
func quantiles(v []float64) (med, p10, p90 float64) {
	s := slices.Sorted(slices.Values(v))
	at := func(q float64) float64 { return s[int(q*float64(len(s)-1)+0.5)] }
	return at(0.5), at(0.1), at(0.9)
}

// summarize gives, per ratio, the median, p10 and p90 over the models of
// the per-model medians.
func summarize(ms []benchModel) *benchSummary {
	s := &benchSummary{}
	for j, r := range ms[0].Ratios {
		var meds []float64
		for _, m := range ms {
			meds = append(meds, m.Ratios[j].Median)
		}
		med, p10, p90 := quantiles(meds)
		s.Ratios = append(s.Ratios, benchRatio{Runtime: r.Runtime, Base: r.Base, Median: med, P10: p10, P90: p90})
	}
	return s
}

// writeBenchMarkdown writes the report as Markdown: the settings, then
// one row a model.
func writeBenchMarkdown(w io.Writer, r benchReport) error {
	bw := bufio.NewWriter(w)
	cpu := r.CPU
	if cpu == "" {
		cpu = "unknown CPU"
	}
	fmt.Fprintf(bw, "%s, %s (%s/%s, %d CPUs), %s; one thread, mid-grey input; %d rounds after %v of warm-up, the runtimes in turns; requant %s.\n\n",
		r.Date, cpu, r.GOOS, r.GOARCH, r.CPUs, r.Go, r.Runs, time.Duration(r.WarmupS*float64(time.Second)), r.Requant)
	head := []string{"model", "weights", "M MACs"}
	for _, rt := range r.Runtimes {
		head = append(head, rt+" ms (p10-p90)", rt+" GMAC/s")
	}
	for _, rt := range r.Runtimes[1:] {
		head = append(head, rt+" / "+r.Runtimes[0]+" (p10-p90)")
	}
	fmt.Fprintf(bw, "| %s |\n|", strings.Join(head, " | "))
	for i := range head {
		if i < 2 {
			fmt.Fprint(bw, "---|")
		} else {
			fmt.Fprint(bw, "--:|")
		}
	}
	fmt.Fprintln(bw)
	for _, m := range r.Models {
		row := []string{m.Model, m.Weights, fmt.Sprintf("%.1f", float64(m.MACs)/1e6)}
		for _, res := range m.Results {
			row = append(row, fmt.Sprintf("%s (%s-%s)", ms3(res.MedianMS), ms3(res.P10MS), ms3(res.P90MS)), fmt.Sprintf("%.2f", res.GMACs))
		}
		for _, q := range m.Ratios {
			row = append(row, fmt.Sprintf("%.2fx (%.2f-%.2f)", q.Median, q.P10, q.P90))
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(row, " | "))
	}
	if r.Summary != nil {
		fmt.Fprintln(bw)
		for _, q := range r.Summary.Ratios {
			fmt.Fprintf(bw, "%s / %s over the %d models: median %.2fx (p10 %.2f, p90 %.2f) of the per-model medians.\n",
				q.Runtime, q.Base, len(r.Models), q.Median, q.P10, q.P90)
		}
	}
	return bw.Flush()
}

// ms3 formats milliseconds with three significant digits.
func ms3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// cpuName is the CPU's model name from /proc/cpuinfo (Linux), or "".
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
