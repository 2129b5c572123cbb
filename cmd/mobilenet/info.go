package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"mobilenet-wasm/engine"
)

var infoHelp = cmdHelp{
	usage: "info [-json] MODEL...",
	about: `Info describes each model file: its input and output tensors (shape,
dtype, quantization scale and zero point), the feature vector its logits
layer reads, the number of classes and embedded labels, the parameter
count and the multiply-accumulates per inference (in millions), the ops
(count per op) and their sequence. With -json, one object per model per
line (the engine's Info, without the label list, plus "model",
"op_counts", "labels", "macs_millions" and "params_millions").`,
	example: `mobilenet info mobilenet_v1_0.25_128_quant.tflite
mobilenet info -json models/*.tflite`,
}

// opCount is how many times an op occurs in a model.
type opCount struct {
	Op    string `json:"op"`
	Count int    `json:"count"`
}

// infoJSON is one line of info -json.
type infoJSON struct {
	Model string `json:"model"`
	engine.Info
	// Labels (the number of embedded labels) hides Info.Labels (the list).
	Labels         int       `json:"labels"`
	OpCounts       []opCount `json:"op_counts"`
	MACsMillions   float64   `json:"macs_millions"`
	ParamsMillions float64   `json:"params_millions"`
}

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info")
	asJSON := fs.Bool("json", false, "print one JSON object per model per line")
	paths, err := parseArgs(fs, infoHelp, args, stdout, "model")
	if err != nil {
		return err
	}
	for i, p := range paths {
		c, err := loadFiles([]string{p}, engine.Options{})
		if err != nil {
			return err
		}
		info := c.Info()
		if *asJSON {
			if err := printInfoJSON(stdout, p, info); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		printInfo(stdout, p, info)
	}
	return nil
}

// countOps counts each op, in the order of first occurrence.
func countOps(ops []string) []opCount {
	var counts []opCount
	at := map[string]int{}
	for _, op := range ops {
		i, ok := at[op]
		if !ok {
			i = len(counts)
			at[op] = i
			counts = append(counts, opCount{Op: op})
		}
		counts[i].Count++
	}
	return counts
}

func printInfoJSON(w io.Writer, path string, info engine.Info) error {
	v := infoJSON{
		Model:          path,
		Info:           info,
		Labels:         len(info.Labels),
		OpCounts:       countOps(info.Ops),
		MACsMillions:   float64(info.MACs) / 1e6,
		ParamsMillions: float64(info.Params) / 1e6,
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func printInfo(w io.Writer, path string, info engine.Info) {
	fmt.Fprintf(w, "%s\n", path)
	fmt.Fprintf(w, "  input      %s\n", tensorString(info.Input))
	fmt.Fprintf(w, "  output     %s\n", tensorString(info.Output))
	if len(info.Embedding.Shape) > 0 {
		fmt.Fprintf(w, "  embedding  %s\n", tensorString(info.Embedding))
	}
	labels := "none embedded"
	if n := len(info.Labels); n > 0 {
		labels = fmt.Sprintf("%d embedded", n)
	}
	fmt.Fprintf(w, "  classes    %d (labels: %s)\n", info.Classes, labels)
	fmt.Fprintf(w, "  params     %.2f M (%d)\n", float64(info.Params)/1e6, info.Params)
	fmt.Fprintf(w, "  MACs       %.1f M (%d)\n", float64(info.MACs)/1e6, info.MACs)
	var counts []string
	for _, c := range countOps(info.Ops) {
		counts = append(counts, fmt.Sprintf("%s x%d", c.Op, c.Count))
	}
	fmt.Fprintf(w, "  ops        %d: %s\n", len(info.Ops), strings.Join(counts, ", "))
	fmt.Fprintf(w, "  sequence   %s\n", wrap(info.Ops, 64, "\n             "))
}

// tensorString is a tensor's shape, dtype, quantization and name.
func tensorString(t engine.TensorInfo) string {
	s := fmt.Sprintf("%v %s", t.Shape, t.DType)
	switch {
	case len(t.Scale) == 1 && len(t.ZeroPoint) == 1:
		s += fmt.Sprintf(", scale %g, zero point %d", t.Scale[0], t.ZeroPoint[0])
	case len(t.Scale) > 1:
		s += fmt.Sprintf(", per-channel (%d scales)", len(t.Scale))
	}
	if t.Name != "" {
		s += fmt.Sprintf(" %q", t.Name)
	}
	return s
}

// wrap joins words with spaces into lines of at most width characters
// (longer words stand alone), separated by sep.
func wrap(words []string, width int, sep string) string {
	var b strings.Builder
	n := 0
	for i, w := range words {
		switch {
		case i == 0:
		case n+1+len(w) > width:
			b.WriteString(sep)
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
