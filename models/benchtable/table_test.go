package benchtable

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/models"
	"mobilenet-wasm/models/store"
)

// benchOutput is `go test -bench` output: the native benchmark for every
// model (two runs each, -count 2), and wasm columns for two models, among
// unrelated lines.
func benchOutput() string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: mobilenet-wasm/models\ncpu: Test CPU @ 1GHz\n")
	for i, e := range models.Catalog {
		for run := range 2 {
			ns := float64(e.MACs()) / 4 * (1 + 0.1*float64(run)) // 4 GMAC/s, then 10% slower
			fmt.Fprintf(&b, "BenchmarkNative/%s/synthetic-2   \t      %d\t  %.0f ns/op\t  %.2f ms/inference\t 4.0 GMAC/s\n", e.Name, 10+i, ns, ns/1e6)
		}
	}
	b.WriteString("BenchmarkNative/not_a_model/real-2  10  1000 ns/op\n")
	b.WriteString("BenchmarkOther/mobilenet_v1_0.25_128_quant-2  10  1000 ns/op\n")
	b.WriteString("pkg: mobilenet-wasm/wasmtests\n")
	b.WriteString("BenchmarkWasm/simd/mobilenet_v1_0.25_128_quant/real-2  100  2500000 ns/op\n")
	b.WriteString("BenchmarkWasm/simd/mobilenet_v1_1.0_224_quant/real  5  60000000 ns/op  1 B/op\n")
	b.WriteString("PASS\nok  \tmobilenet-wasm/wasmtests\t12.3s\n")
	return b.String()
}

func TestParseBench(t *testing.T) {
	simd := Column{Title: "wasm SIMD", Prefix: "BenchmarkWasm/simd/"}
	portable := Column{Title: "wasm portable", Prefix: "BenchmarkWasm/portable/"}
	b, err := ParseBench(strings.NewReader(benchOutput()), []Column{NativeColumn, simd, portable})
	require.NoError(t, err)
	assert.Equal(t, 32, b.Count(NativeColumn.Title))
	assert.Equal(t, 2, b.Count(simd.Title))
	assert.Equal(t, 0, b.Count(portable.Title))
	e, ok := models.Lookup("mobilenet_v1_0.25_128_quant")
	require.True(t, ok)
	s := b.Samples[NativeColumn.Title][e.Name]
	assert.Equal(t, 2, s.Runs)
	assert.InEpsilon(t, float64(e.MACs())/4*1.05/1e6, s.Millis, 1e-6, "the median of two runs is their mean")
	assert.Equal(t, store.SyntheticWeights, s.Weights)
	assert.InEpsilon(t, float64(e.MACs())/4/1e6, s.Best, 1e-6, "the fastest run")
	assert.Equal(t, Sample{Millis: 60, Best: 60, Runs: 1, Weights: store.RealWeights}, b.Samples[simd.Title]["mobilenet_v1_1.0_224_quant"])
	assert.Equal(t, "Test CPU @ 1GHz", b.Env["cpu"])
	assert.Equal(t, "mobilenet-wasm/wasmtests", b.Env["pkg"])

	var md bytes.Buffer
	require.NoError(t, b.Markdown(&md))
	lines := strings.Split(strings.TrimSpace(md.String()), "\n")
	require.GreaterOrEqual(t, len(lines), 34)
	assert.Equal(t, "| model | width | size | type | M MACs | M params | top-1 % | top-5 % | native Go ms | wasm SIMD ms | wasm portable ms | weights |", lines[0])
	assert.Equal(t, "| mobilenet_v1_0.25_128_quant | 0.25 | 128 | uint8 | 13.6 | 0.47 | 39.5 | 64.4 | 3.56 | 2.50 | – | synthetic, real |", lines[33])
	assert.Equal(t, "| mobilenet_v1_1.0_224 | 1.0 | 224 | float | 568.7 | 4.22 | 70.9 | 89.9 | 149 | – | – | synthetic |", lines[2])
	assert.Contains(t, md.String(), "Latency: milliseconds per inference, the median of the runs; one image at the model's input size, one thread, on Test CPU @ 1GHz (linux/amd64).")

	b.Best = true
	md.Reset()
	require.NoError(t, b.Markdown(&md))
	assert.Contains(t, md.String(), "| mobilenet_v1_0.25_128_quant | 0.25 | 128 | uint8 | 13.6 | 0.47 | 39.5 | 64.4 | 3.39 | 2.50 | – | synthetic, real |")
	assert.Contains(t, md.String(), "Latency: milliseconds per inference, the fastest of the runs;")

	_, err = ParseColumn("nonsense")
	assert.Error(t, err)
	c, err := ParseColumn("wasm SIMD=BenchmarkWasm/simd/")
	require.NoError(t, err)
	assert.Equal(t, simd, c)
}

func TestParseBenchUnit(t *testing.T) {
	out := "BenchmarkNative/mobilenet_v1_0.25_128_quant/real-2  20  14710672 ns/op  0.92 GMAC/s  8.5 cpu-ms/op  14.71 ms/inference\n" +
		"BenchmarkNative/mobilenet_v1_0.25_128/synthetic-2  20  9000000 ns/op\n"
	b, err := ParseBenchUnit(strings.NewReader(out), []Column{NativeColumn}, "cpu-ms/op")
	require.NoError(t, err)
	assert.Equal(t, map[string]Sample{"mobilenet_v1_0.25_128_quant": {Millis: 8.5, Best: 8.5, Runs: 1, Weights: store.RealWeights}}, b.Samples[NativeColumn.Title])
	var md bytes.Buffer
	require.NoError(t, b.Markdown(&md))
	assert.Contains(t, md.String(), "Latency: CPU milliseconds per inference (the process's CPU time, which other work on the machine inflates far less than wall time), the median of the runs;")
	b, err = ParseBenchUnit(strings.NewReader(out), []Column{NativeColumn}, "ms/inference")
	require.NoError(t, err)
	assert.Equal(t, 14.71, b.Samples[NativeColumn.Title]["mobilenet_v1_0.25_128_quant"].Millis)
	for unit, want := range map[string]float64{"ns/op": 1e-6, "us/op": 1e-3, "s/op": 1e3, "cpu-ms/op": 1} {
		got, ok := unitScale(unit)
		assert.True(t, ok, unit)
		assert.Equal(t, want, got, unit)
	}
	_, err = ParseBenchUnit(strings.NewReader(out), nil, "B/op")
	assert.Error(t, err)
}

func TestSVG(t *testing.T) {
	b, err := ParseBench(strings.NewReader(benchOutput()), []Column{NativeColumn})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, b.SVG(&buf, NativeColumn.Title))
	svg := buf.String()
	// Well-formed XML with one marker per model: 16 circles (float) and
	// 16 squares (uint8), one line per width and type.
	d := xml.NewDecoder(strings.NewReader(svg))
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
	assert.Equal(t, 1, counts["svg"])
	assert.Equal(t, 16+1, counts["circle"]) // and the legend's
	assert.Equal(t, 8, counts["polyline"])
	assert.Equal(t, 32, counts["title"])
	assert.Equal(t, 1, counts["style"], "a standalone file carries its style")
	assert.Contains(t, svg, "mobilenet_v1_1.0_224_quant: 149 ms, top-1 70.1%")
	assert.Contains(t, svg, ">0.25_128<", "points are labelled with width and resolution")
	assert.Contains(t, svg, "native Go")
	assert.Contains(t, svg, "Test CPU @ 1GHz")

	require.ErrorContains(t, b.SVG(&buf, "wasm SIMD"), "no measurements")
}
