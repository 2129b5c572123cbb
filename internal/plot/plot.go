// Package plot draws the accuracy-versus-latency plot of the MobileNet
// models as SVG: published top-1 accuracy against measured milliseconds
// per inference on a log scale, quantized models as squares and float
// ones as circles, each labelled and with a tooltip. The web page (ui)
// and 'mobilenet models table' both draw it with SVG, so that the figure
// looks the same in the browser and in the README.
//
// It is plain Go with no dependency beyond the standard library's
// formatting (it is compiled into the page's wasm), and it measures
// nothing: the caller gives the latencies.
package plot

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Point is one model on the plot.
type Point struct {
	Name  string  // the model's name (tooltip and data-model attribute)
	Label string  // shown next to the point ("0.5_160")
	Ms    float64 // measured latency, ms; points without a positive one are left out
	Top1  float64 // published top-1 accuracy, percent
	Quant bool    // quantized (square) or float (circle)
	// Series, when set, joins the points that share it by a line, in
	// order of latency (such as one width's resolutions).
	Series string
}

// Figure says how to draw the plot.
type Figure struct {
	Title string
	// XLabel is the x axis' title ("... (ms, log scale)").
	XLabel string
	// Empty is the note drawn instead of axes when no point has a
	// latency.
	Empty string
	// Standalone makes a file of its own: an explicit size, a white
	// background and the colours and fonts that the page's style sheet
	// gives its classes otherwise.
	Standalone bool
}

// Geometry, in SVG user units.
const (
	width, height              = 640, 360
	left, right                = 56, 16
	top, bottom                = 28, 44
	innerW                     = width - left - right
	innerH                     = height - top - bottom
	markerRadius, markerSquare = 5, 9
)

// The standalone file's font, and the page's style sheet's rules for the
// plot's classes.
const (
	fontFamily      = "Helvetica, Arial, sans-serif"
	standaloneStyle = `<style>.plot-frame{fill:none;stroke:#9aa4b2}.plot-grid{stroke:#eef1f5}.plot-tick{font-size:11px;fill:#5d6778}.plot-axis{font-size:12px;fill:#1c2330}.plot-title{font-size:13px;font-weight:600;fill:#1c2330}.plot-note{font-size:13px;fill:#5d6778}.plot-label{font-size:10px;fill:#1c2330}.plot-point.quant{fill:#1f6feb}.plot-point.float{fill:#e8590c}.plot-line{fill:none;stroke:#9aa4b2;stroke-width:1}</style>`
)

// SVG draws the points as one standalone <svg> element.
func SVG(points []Point, f Figure) string {
	var ps []Point
	for _, p := range points {
		if p.Ms > 0 && !math.IsInf(p.Ms, 0) && !math.IsNaN(p.Ms) {
			ps = append(ps, p)
		}
	}
	var b strings.Builder
	if f.Standalone {
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s" role="img" aria-label="%s" class="plot">`,
			width, height, width, height, fontFamily, escape(f.Title))
		b.WriteString(standaloneStyle + `<rect width="100%" height="100%" fill="#ffffff"/>`)
	} else {
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" class="plot">`, width, height, escape(f.Title))
	}
	fmt.Fprintf(&b, `<text x="%d" y="18" class="plot-title">%s</text>`, left, escape(f.Title))
	if len(ps) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="plot-note">%s</text></svg>`, left, top+innerH/2, escape(f.Empty))
		return b.String()
	}
	slices.SortFunc(ps, func(p, q Point) int { return cmp.Compare(p.Ms, q.Ms) })

	// x: log10(ms) over whole decades' 1-2-5 ticks around the data.
	lo, hi := ps[0].Ms, ps[len(ps)-1].Ms
	xmin := math.Pow(10, math.Floor(math.Log10(lo)))
	xmax := math.Pow(10, math.Ceil(math.Log10(hi)))
	if xmax/xmin < 10 {
		xmax = xmin * 10
	}
	x := func(ms float64) float64 {
		return left + innerW*(math.Log10(ms)-math.Log10(xmin))/(math.Log10(xmax)-math.Log10(xmin))
	}
	// y: top-1 in percent, 5-point steps around the data.
	ymin, ymax := 100.0, 0.0
	for _, p := range ps {
		ymin, ymax = math.Min(ymin, p.Top1), math.Max(ymax, p.Top1)
	}
	ymin = math.Floor((ymin-1)/5) * 5
	ymax = math.Ceil((ymax+1)/5) * 5
	y := func(acc float64) float64 {
		return top + innerH*(1-(acc-ymin)/(ymax-ymin))
	}

	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="plot-frame"/>`, left, top, innerW, innerH)
	for d := xmin; d <= xmax*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			t := d * m
			if t > xmax*1.0001 {
				break
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="plot-grid"/>`, x(t), top, x(t), top+innerH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="plot-tick" text-anchor="middle">%s</text>`, x(t), top+innerH+16, trimFloat(t))
		}
	}
	for a := ymin; a <= ymax+1e-9; a += 5 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="plot-grid"/>`, left, y(a), left+innerW, y(a))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="plot-tick" text-anchor="end">%g</text>`, left-6, y(a)+4, a)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="plot-axis" text-anchor="middle">%s</text>`, left+innerW/2, height-8, escape(f.XLabel))
	fmt.Fprintf(&b, `<text x="14" y="%d" class="plot-axis" text-anchor="middle" transform="rotate(-90 14 %d)">published top-1 (%%)</text>`, top+innerH/2, top+innerH/2)
	var series []string
	for _, p := range ps {
		if p.Series != "" && !slices.Contains(series, p.Series) {
			series = append(series, p.Series)
		}
	}
	for _, s := range series {
		var coords []string
		for _, p := range ps {
			if p.Series == s {
				coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(p.Ms), y(p.Top1)))
			}
		}
		fmt.Fprintf(&b, `<polyline points="%s" class="plot-line"/>`, strings.Join(coords, " "))
	}
	for _, p := range ps {
		px, py := x(p.Ms), y(p.Top1)
		tip := escape(fmt.Sprintf("%s: %s, top-1 %.1f%%", p.Name, Millis(p.Ms), p.Top1))
		if p.Quant {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" class="plot-point quant" data-model="%s"><title>%s</title></rect>`,
				px-markerSquare/2.0, py-markerSquare/2.0, markerSquare, markerSquare, escape(p.Name), tip)
		} else {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%d" class="plot-point float" data-model="%s"><title>%s</title></circle>`,
				px, py, markerRadius, escape(p.Name), tip)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="plot-label">%s</text>`, px+7, py-6, escape(p.Label))
	}
	lx := left + innerW - 150
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="9" height="9" class="plot-point quant"/><text x="%d" y="%d" class="plot-tick">quantized (uint8)</text>`, lx, top+innerH-34, lx+14, top+innerH-26)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="plot-point float"/><text x="%d" y="%d" class="plot-tick">float32</text>`, lx+4, top+innerH-14, lx+14, top+innerH-10)
	b.WriteString(`</svg>`)
	return b.String()
}

// Millis formats a latency in milliseconds for people: two decimals
// below 10 ms, one below 100 ms, none above ("–" when unknown).
func Millis(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms < 0:
		return "–"
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	default:
		return fmt.Sprintf("%.0f ms", ms)
	}
}

// trimFloat formats a tick value without trailing zeros (0.5, 2, 100).
func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// escaper escapes text for SVG markup (package html would bring its
// entity tables into the page's wasm).
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escape(s string) string { return escaper.Replace(s) }
