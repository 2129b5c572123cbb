// Package benchtable turns 'go test -bench' output into the README's
// table of the 32 models (the catalog's figures and one latency column per
// benchmark family) and its accuracy-versus-latency plot. It reads
// results; it runs no benchmark (BenchmarkNative is in package models'
// tests, the wasm ones in package host).
package benchtable

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"mobilenet-wasm/models"
)

// Column is one latency column of the benchmark table: the benchmarks
// whose name (without the -GOMAXPROCS suffix) starts with Prefix, followed
// by the model's name and optionally the weights used:
//
//	<Prefix><model>[/<weights>]    e.g. BenchmarkNative/mobilenet_v1_0.25_128_quant/real
//
// so that a column can be added by a later `go test -bench` (the wasm
// module's portable and SIMD runs) without changing this package.
type Column struct {
	Title  string
	Prefix string
}

// NativeColumn is the column of package models' BenchmarkNative.
var NativeColumn = Column{Title: "native Go", Prefix: "BenchmarkNative/"}

// ParseColumn parses a -col flag value "TITLE=PREFIX".
func ParseColumn(s string) (Column, error) {
	title, prefix, ok := strings.Cut(s, "=")
	if !ok || title == "" || prefix == "" {
		return Column{}, fmt.Errorf("column %q: want TITLE=PREFIX (e.g. 'wasm SIMD=BenchmarkWasm/simd/')", s)
	}
	return Column{Title: title, Prefix: prefix}, nil
}

// Sample is one model's latency in one column.
type Sample struct {
	// Millis is the median of the runs' ns/op, and Best the fastest, in
	// milliseconds.
	Millis, Best float64
	// Runs is the number of benchmark lines (go test -count).
	Runs int
	// Weights is the benchmark's last name element: "real" or
	// "synthetic" by the benchmarks' convention (store.Sources), empty
	// when absent.
	Weights string
}

// Bench is benchmark results gathered into columns.
type Bench struct {
	Columns []Column
	// Samples maps a column's title, then a catalog name, to its sample.
	Samples map[string]map[string]Sample
	// Env holds the goos, goarch, pkg and cpu header lines last seen.
	Env map[string]string
	// Unit is the metric read (see ParseBenchUnit).
	Unit string
	// Best makes the table and plot show each model's fastest run rather
	// than the median: on a shared machine, other work only ever slows a
	// run down.
	Best bool
}

// latency is the sample's latency as the table shows it.
func (b *Bench) latency(s Sample) float64 {
	if b.Best {
		return s.Best
	}
	return s.Millis
}

// benchLine matches a result line: name, iterations, then value-unit
// pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// ParseBench reads `go test -bench` output (any number of runs and
// packages, -count N) and gathers the ns/op of the benchmarks that match
// the columns. Lines that match no column are ignored.
func ParseBench(r io.Reader, cols []Column) (*Bench, error) {
	return ParseBenchUnit(r, cols, "ns/op")
}

// ParseBenchUnit is ParseBench reading the metric of another unit, a time
// per op: "ns/op", "ms/inference", or this package's "cpu-ms/op" (the
// process's CPU time, which other work on a shared machine inflates much
// less than wall time). Benchmark lines without that metric are ignored.
func ParseBenchUnit(r io.Reader, cols []Column, unit string) (*Bench, error) {
	scale, ok := unitScale(unit)
	if !ok {
		return nil, fmt.Errorf("benchtable: unit %q is not a time per op (ns/, us/, ms/ or s/ something)", unit)
	}
	b := &Bench{Columns: cols, Samples: map[string]map[string]Sample{}, Env: map[string]string{}, Unit: unit}
	runs := map[string]map[string][]float64{}
	weights := map[string]map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, k := range []string{"goos", "goarch", "pkg", "cpu"} {
			if v, ok := strings.CutPrefix(line, k+": "); ok {
				b.Env[k] = strings.TrimSpace(v)
			}
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, ok := metric(m[2], unit)
		if !ok {
			continue
		}
		ms := v * scale
		for _, c := range cols {
			rest, ok := strings.CutPrefix(m[1], c.Prefix)
			if !ok {
				continue
			}
			model, w, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
			e, ok := models.Lookup(model)
			if !ok {
				continue
			}
			if runs[c.Title] == nil {
				runs[c.Title], weights[c.Title] = map[string][]float64{}, map[string]string{}
			}
			runs[c.Title][e.Name] = append(runs[c.Title][e.Name], ms)
			weights[c.Title][e.Name] = w
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("benchtable: reading benchmark output: %w", err)
	}
	for title, byModel := range runs {
		b.Samples[title] = map[string]Sample{}
		for name, v := range byModel {
			b.Samples[title][name] = Sample{Millis: median(v), Best: slices.Min(v), Runs: len(v), Weights: weights[title][name]}
		}
	}
	return b, nil
}

// unitScale is the factor from a time-per-op unit to milliseconds.
func unitScale(unit string) (float64, bool) {
	num, _, ok := strings.Cut(unit, "/")
	if !ok {
		return 0, false
	}
	for _, u := range []struct {
		suffix string
		scale  float64
	}{{"ns", 1e-6}, {"us", 1e-3}, {"µs", 1e-3}, {"ms", 1}, {"s", 1e3}} {
		if num == u.suffix || strings.HasSuffix(num, "-"+u.suffix) {
			return u.scale, true
		}
	}
	return 0, false
}

// metric finds the value of unit among a result line's measurements.
func metric(s, unit string) (float64, bool) {
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i += 2 {
		if f[i+1] == unit {
			v, err := strconv.ParseFloat(f[i], 64)
			return v, err == nil
		}
	}
	return 0, false
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Count is the number of catalog models with a sample in column title.
func (b *Bench) Count(title string) int { return len(b.Samples[title]) }

// Markdown writes the 32-row table: the catalog's columns (exact MACs and
// parameters, published accuracy) and one latency column per Column
// (milliseconds per inference, "–" when not measured), then which weights
// were measured and the machine.
func (b *Bench) Markdown(w io.Writer) error {
	var sb strings.Builder
	sb.WriteString("| model | width | size | type | M MACs | M params | top-1 % | top-5 % |")
	for _, c := range b.Columns {
		fmt.Fprintf(&sb, " %s ms |", c.Title)
	}
	sb.WriteString(" weights |\n|---|--:|--:|---|--:|--:|--:|--:|")
	for range b.Columns {
		sb.WriteString("--:|")
	}
	sb.WriteString("---|\n")
	for _, e := range models.Catalog {
		typ := "float"
		if e.Quantized {
			typ = "uint8"
		}
		fmt.Fprintf(&sb, "| %s | %s | %d | %s | %.1f | %.2f | %.1f | %.1f |", e.Name, models.WidthString(e.Width), e.Resolution, typ,
			float64(e.MACs())/1e6, float64(e.Params())/1e6, e.Top1, e.Top5)
		var kinds []string
		for _, c := range b.Columns {
			s, ok := b.Samples[c.Title][e.Name]
			if !ok {
				sb.WriteString(" – |")
				continue
			}
			fmt.Fprintf(&sb, " %s |", fmtMillis(b.latency(s)))
			if s.Weights != "" && !slices.Contains(kinds, s.Weights) {
				kinds = append(kinds, s.Weights)
			}
		}
		fmt.Fprintf(&sb, " %s |\n", strings.Join(kinds, ", "))
	}
	sb.WriteString("\n")
	what := "milliseconds per inference"
	if strings.HasPrefix(b.Unit, "cpu-") {
		what = "CPU milliseconds per inference (the process's CPU time, which other work on the machine inflates far less than wall time)"
	}
	stat := "the median of the runs"
	if b.Best {
		stat = "the fastest of the runs"
	}
	fmt.Fprintf(&sb, "Latency: %s, %s; one image at the model's input size, one thread", what, stat)
	if cpu := b.Env["cpu"]; cpu != "" {
		fmt.Fprintf(&sb, ", on %s", cpu)
	}
	if os, arch := b.Env["goos"], b.Env["goarch"]; os != "" {
		fmt.Fprintf(&sb, " (%s/%s)", os, arch)
	}
	sb.WriteString(". MACs and parameters are exact counts of the architecture (what `mobilenet info` reports); " +
		"accuracy is the release's, measured on its TFLite files. \"real\" weights are the release's files, " +
		"\"synthetic\" ones have the same layers with random weights (`mobilenet models synth`): " +
		"the same work, so the same latency up to noise.\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

// fmtMillis formats a latency with three significant digits.
func fmtMillis(ms float64) string {
	switch {
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64)
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64)
	default:
		return strconv.FormatFloat(ms, 'f', 2, 64)
	}
}
