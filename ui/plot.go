package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// plotPoint is one model on the accuracy-versus-latency plot.
type plotPoint struct {
	Name  string  // the model's name
	Label string  // shown next to the point ("0.5_160")
	Ms    float64 // measured median latency, ms (> 0)
	Top1  float64 // published top-1 accuracy, percent
	Quant bool    // quantized (square) or float (circle)
}

// Plot geometry, in SVG user units.
const (
	plotW, plotH                 = 640, 360
	plotLeft, plotRight          = 56, 16
	plotTop, plotBottom          = 28, 44
	plotInnerW                   = plotW - plotLeft - plotRight
	plotInnerH                   = plotH - plotTop - plotBottom
	plotMarker, plotMarkerSquare = 5, 9
)

// plotSVG draws published top-1 accuracy against measured latency (log
// scale) as a standalone SVG element. Points without a positive latency
// are left out; with none left it returns a note instead of axes.
func plotSVG(points []plotPoint, title string) string {
	var ps []plotPoint
	for _, p := range points {
		if p.Ms > 0 && !math.IsInf(p.Ms, 0) && !math.IsNaN(p.Ms) {
			ps = append(ps, p)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" class="plot">`, plotW, plotH, escape(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="plot-title">%s</text>`, plotLeft, escape(title))
	if len(ps) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="plot-note">No latency measured yet: load a model, or benchmark all available models.</text></svg>`, plotLeft, plotTop+plotInnerH/2)
		return b.String()
	}
	slices.SortFunc(ps, func(p, q plotPoint) int { return cmp.Compare(p.Ms, q.Ms) })

	// x: log10(ms) over whole decades' 1-2-5 ticks around the data.
	lo, hi := ps[0].Ms, ps[len(ps)-1].Ms
	xmin := math.Pow(10, math.Floor(math.Log10(lo)))
	xmax := math.Pow(10, math.Ceil(math.Log10(hi)))
	if xmax/xmin < 10 {
		xmax = xmin * 10
	}
	x := func(ms float64) float64 {
		return plotLeft + plotInnerW*(math.Log10(ms)-math.Log10(xmin))/(math.Log10(xmax)-math.Log10(xmin))
	}
	// y: top-1 in percent, 5-point steps around the data.
	ymin, ymax := 100.0, 0.0
	for _, p := range ps {
		ymin, ymax = math.Min(ymin, p.Top1), math.Max(ymax, p.Top1)
	}
	ymin = math.Floor((ymin-1)/5) * 5
	ymax = math.Ceil((ymax+1)/5) * 5
	y := func(acc float64) float64 {
		return plotTop + plotInnerH*(1-(acc-ymin)/(ymax-ymin))
	}

	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="plot-frame"/>`, plotLeft, plotTop, plotInnerW, plotInnerH)
	for d := xmin; d <= xmax*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			t := d * m
			if t > xmax*1.0001 {
				break
			}
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="plot-grid"/>`, x(t), plotTop, x(t), plotTop+plotInnerH)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="plot-tick" text-anchor="middle">%s</text>`, x(t), plotTop+plotInnerH+16, trimFloat(t))
		}
	}
	for a := ymin; a <= ymax+1e-9; a += 5 {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="plot-grid"/>`, plotLeft, y(a), plotLeft+plotInnerW, y(a))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="plot-tick" text-anchor="end">%g</text>`, plotLeft-6, y(a)+4, a)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="plot-axis" text-anchor="middle">latency in this browser (ms, log scale)</text>`, plotLeft+plotInnerW/2, plotH-8)
	fmt.Fprintf(&b, `<text x="14" y="%d" class="plot-axis" text-anchor="middle" transform="rotate(-90 14 %d)">published top-1 (%%)</text>`, plotTop+plotInnerH/2, plotTop+plotInnerH/2)
	for _, p := range ps {
		px, py := x(p.Ms), y(p.Top1)
		tip := escape(fmt.Sprintf("%s: %s, top-1 %.1f%%", p.Name, formatMs(p.Ms), p.Top1))
		if p.Quant {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%d" class="plot-point quant" data-model="%s"><title>%s</title></rect>`,
				px-plotMarkerSquare/2.0, py-plotMarkerSquare/2.0, plotMarkerSquare, plotMarkerSquare, escape(p.Name), tip)
		} else {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%d" class="plot-point float" data-model="%s"><title>%s</title></circle>`,
				px, py, plotMarker, escape(p.Name), tip)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="plot-label">%s</text>`, px+7, py-6, escape(p.Label))
	}
	lx := plotLeft + plotInnerW - 150
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="9" height="9" class="plot-point quant"/><text x="%d" y="%d" class="plot-tick">quantized (uint8)</text>`, lx, plotTop+plotInnerH-34, lx+14, plotTop+plotInnerH-26)
	fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="5" class="plot-point float"/><text x="%d" y="%d" class="plot-tick">float32</text>`, lx+4, plotTop+plotInnerH-14, lx+14, plotTop+plotInnerH-10)
	b.WriteString(`</svg>`)
	return b.String()
}

// trimFloat formats a tick value without trailing zeros (0.5, 2, 100).
func trimFloat(v float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

// escaper escapes text for SVG markup (package html would bring its
// entity tables into ui.wasm).
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escape(s string) string { return escaper.Replace(s) }
