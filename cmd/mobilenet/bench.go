package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"mobilenet-wasm/engine"
)

var benchHelp = cmdHelp{
	usage: "bench -m MODEL [-m HEAD] [-n 50] [-warmup 5] [-requant fp32|reference] [-json]",
	about: `Bench times inferences of the model natively (portable Go kernels, one
goroutine, no preprocessing: the input tensor is a mid-grey image) and
prints the median, p10 and p90 latency and the multiply-accumulates per
second. For the same figures in wasm (SIMD and portable) run
'go test -run ^$ -bench . ./wasmtests'; in a browser, the page's
"Benchmark all available models" button or bench/browser/run.mjs.`,
	example: `mobilenet bench -m mobilenet_v1_0.25_128_quant.tflite
mobilenet bench -n 20 -m mobilenet_v1_1.0_224_quant_embedding_extractor.tflite -m mobilenet_quant_v1_224_head_layers.tflite`,
}

// benchResult is bench's -json output.
type benchResult struct {
	Models   []string `json:"models"`
	Runs     int      `json:"runs"`
	MedianMS float64  `json:"median_ms"`
	P10MS    float64  `json:"p10_ms"`
	P90MS    float64  `json:"p90_ms"`
	GMACs    float64  `json:"gmac_per_s"`
	MACs     int64    `json:"macs"`
	Requant  string   `json:"requant"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench")
	mf := addModelFlags(fs)
	n := fs.Int("n", 50, "timed inferences")
	warmup := fs.Int("warmup", 5, "untimed inferences first")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseNoArgs(fs, benchHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case *n < 1:
		return usagef("-n %d: want at least 1", *n)
	case *warmup < 0:
		return usagef("-warmup %d: want 0 or more", *warmup)
	}
	c, err := mf.load()
	if err != nil {
		return err
	}
	midGrey(c)
	for range *warmup {
		c.Run()
	}
	times := make([]time.Duration, *n)
	for i := range times {
		t0 := time.Now()
		c.Run()
		times[i] = time.Since(t0)
	}
	slices.Sort(times)
	at := func(q float64) float64 {
		return float64(times[int(q*float64(len(times)-1)+0.5)]) / 1e6
	}
	info := c.Info()
	r := benchResult{Models: mf.paths, Runs: *n, MedianMS: at(0.5), P10MS: at(0.1), P90MS: at(0.9), MACs: info.MACs, Requant: info.Scheme}
	r.GMACs = float64(info.MACs) / (r.MedianMS / 1e3) / 1e9
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	fmt.Fprintf(stdout, "%d runs: median %.2f ms (p10 %.2f, p90 %.2f), %.2f GMAC/s (%.1f M MACs, native portable Go, one goroutine)\n",
		r.Runs, r.MedianMS, r.P10MS, r.P90MS, r.GMACs, float64(r.MACs)/1e6)
	return nil
}

// midGrey fills the classifier's input with a mid-grey image: byte 128
// for uint8, 0 for int8 and float32 (their zero).
func midGrey(c *engine.Classifier) {
	in := c.Input()
	if c.Info().Input.DType == "uint8" {
		for i := range in {
			in[i] = 128
		}
		return
	}
	clear(in)
}
