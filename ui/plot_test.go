package main

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestPlotSVG checks the plot is well-formed SVG with one marker per
// measured model (squares for quantized, circles for float), placed left
// to right by latency and bottom to top by accuracy.
func TestPlotSVG(t *testing.T) {
	pts := []plotPoint{
		{Name: "mobilenet_v1_1.0_224_quant", Label: "1.0_224", Ms: 26.7, Top1: 70.1, Quant: true},
		{Name: "mobilenet_v1_0.25_128_quant", Label: "0.25_128", Ms: 1.2, Top1: 39.5, Quant: true},
		{Name: "mobilenet_v1_0.25_224", Label: "0.25_224 <&>", Ms: 3.0, Top1: 49.8},
		{Name: "unmeasured", Ms: 0, Top1: 50},
	}
	svg := plotSVG(pts, "Top-1 vs latency")
	var doc struct {
		Rects []struct {
			X     float64 `xml:"x,attr"`
			Y     float64 `xml:"y,attr"`
			Class string  `xml:"class,attr"`
			Model string  `xml:"data-model,attr"`
		} `xml:"rect"`
		Circles []struct {
			Model string `xml:"data-model,attr"`
		} `xml:"circle"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	var quant []struct{ x, y float64 }
	circles := 0
	for _, r := range doc.Rects {
		if r.Model != "" {
			quant = append(quant, struct{ x, y float64 }{r.X, r.Y})
		}
	}
	for _, c := range doc.Circles {
		if c.Model != "" {
			circles++
		}
	}
	if len(quant) != 2 || circles != 1 {
		t.Fatalf("%d squares and %d circles, want 2 and 1", len(quant), circles)
	}
	// Sorted by latency: 0.25_128 (fast, less accurate) first.
	if !(quant[0].x < quant[1].x && quant[0].y > quant[1].y) {
		t.Errorf("0.25_128 at %v, 1.0_224 at %v: want left of and below", quant[0], quant[1])
	}
	if strings.Contains(svg, "unmeasured") {
		t.Error("a model without latency is plotted")
	}
	if !strings.Contains(svg, "0.25_224 &lt;&amp;&gt;") {
		t.Error("labels are not escaped")
	}
}

func TestPlotSVGEmpty(t *testing.T) {
	svg := plotSVG(nil, "t")
	if !strings.Contains(svg, "No latency measured yet") {
		t.Errorf("empty plot: %s", svg)
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("empty plot not well-formed: %v", err)
	}
}
