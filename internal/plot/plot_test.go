package plot

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// svgDoc is what the tests read back from a plot.
type svgDoc struct {
	Width string `xml:"width,attr"`
	Style string `xml:"style"`
	Rects []struct {
		X     float64 `xml:"x,attr"`
		Y     float64 `xml:"y,attr"`
		Class string  `xml:"class,attr"`
		Model string  `xml:"data-model,attr"`
	} `xml:"rect"`
	Circles []struct {
		Model string `xml:"data-model,attr"`
	} `xml:"circle"`
	Polylines []struct {
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
}

func parse(t *testing.T, svg string) svgDoc {
	t.Helper()
	var doc svgDoc
	require.NoError(t, xml.Unmarshal([]byte(svg), &doc), "not well-formed:\n%s", svg)
	return doc
}

var pagePoints = []Point{
	{Name: "mobilenet_v1_1.0_224_quant", Label: "1.0_224", Ms: 26.7, Top1: 70.1, Quant: true},
	{Name: "mobilenet_v1_0.25_128_quant", Label: "0.25_128", Ms: 1.2, Top1: 39.5, Quant: true},
	{Name: "mobilenet_v1_0.25_224", Label: "0.25_224 <&>", Ms: 3.0, Top1: 49.8},
	{Name: "unmeasured", Ms: 0, Top1: 50},
}

// TestSVG checks the plot is well-formed SVG with one marker per
// measured model (squares for quantized, circles for float), placed left
// to right by latency and bottom to top by accuracy.
func TestSVG(t *testing.T) {
	svg := SVG(pagePoints, Figure{Title: "Top-1 vs latency", XLabel: "latency (ms, log scale)"})
	doc := parse(t, svg)
	type xy struct{ x, y float64 }
	var quant []xy
	circles := 0
	for _, r := range doc.Rects {
		if r.Model != "" {
			quant = append(quant, xy{r.X, r.Y})
		}
	}
	for _, c := range doc.Circles {
		if c.Model != "" {
			circles++
		}
	}
	require.Len(t, quant, 2)
	assert.Equal(t, 1, circles)
	// Sorted by latency: 0.25_128 (fast, less accurate) first.
	assert.Less(t, quant[0].x, quant[1].x, "0.25_128 is not left of 1.0_224")
	assert.Greater(t, quant[0].y, quant[1].y, "0.25_128 is not below 1.0_224")
	assert.NotContains(t, svg, "unmeasured", "a model without latency is plotted")
	assert.Contains(t, svg, "0.25_224 &lt;&amp;&gt;", "labels are not escaped")
	assert.Contains(t, svg, "latency (ms, log scale)")
	assert.Empty(t, doc.Polylines, "lines without series")
	assert.Empty(t, doc.Width, "the page's plot takes its size from the page")
	assert.Empty(t, doc.Style)
}

func TestSVGEmpty(t *testing.T) {
	svg := SVG(nil, Figure{Title: "t", Empty: "No latency measured yet"})
	assert.Contains(t, svg, "No latency measured yet")
	parse(t, svg)
}

// TestSVGStandalone: a file of its own has a size, the classes' style and
// joins each series.
func TestSVGStandalone(t *testing.T) {
	pts := append([]Point{}, pagePoints...)
	pts[0].Series, pts[1].Series = "quant", "quant"
	pts = append(pts, Point{Name: "a", Ms: math.Inf(1), Top1: 1, Series: "quant"}, Point{Name: "b", Ms: math.NaN(), Top1: 1})
	doc := parse(t, SVG(pts, Figure{Title: "t", Standalone: true}))
	assert.Equal(t, "640", doc.Width)
	assert.Contains(t, doc.Style, ".plot-point.quant{fill:")
	require.Len(t, doc.Polylines, 1)
	assert.Len(t, strings.Fields(doc.Polylines[0].Points), 2, "the series' measured points")
}

func TestMillis(t *testing.T) {
	for _, tc := range []struct {
		ms   float64
		want string
	}{{0.5, "0.50 ms"}, {4.123, "4.12 ms"}, {12.34, "12.3 ms"}, {189.9, "190 ms"}, {math.NaN(), "–"}, {-1, "–"}} {
		assert.Equal(t, tc.want, Millis(tc.ms), "Millis(%g)", tc.ms)
	}
}
