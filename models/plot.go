package models

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// SVG writes the latency-vs-accuracy plot of one latency column, like the
// release's own figure (accuracy against multiply-accumulates) but with
// the latency measured here: x is milliseconds per inference on a log
// scale, y the published top-1 accuracy; one colour per width, float
// models as filled circles joined by solid lines, quantized ones as
// squares joined by dashed lines, each point labelled with its
// resolution and carrying a tooltip. It is plain SVG 1.1, written by hand.
func (b *Bench) SVG(w io.Writer, column string) error {
	samples := b.Samples[column]
	if len(samples) == 0 {
		return fmt.Errorf("models: no measurements in column %q", column)
	}
	const (
		width, height                     = 760, 500
		left, right, top, bottom          = 64, 190, 48, 56
		plotW, plotH                      = width - left - right, height - top - bottom
		fontFamily                        = "Helvetica, Arial, sans-serif"
		floatDash, quantDash              = "", "5,3"
		pointRadius                       = 4.0
		minorTickLen, labelSize, axisSize = 4, 10, 12
	)
	colors := map[float64]string{1.0: "#1f77b4", 0.75: "#ff7f0e", 0.5: "#2ca02c", 0.25: "#d62728"}

	type point struct {
		e  Entry
		ms float64
	}
	var pts []point
	lo, hi := math.Inf(1), math.Inf(-1)
	accLo, accHi := math.Inf(1), math.Inf(-1)
	for _, e := range Catalog {
		s, ok := samples[e.Name]
		ms := b.latency(s)
		if !ok || ms <= 0 {
			continue
		}
		pts = append(pts, point{e, ms})
		lo, hi = min(lo, ms), max(hi, ms)
		accLo, accHi = min(accLo, e.Top1), max(accHi, e.Top1)
	}
	// Axes: x log scale with a margin around the data and 1-2-5 ticks
	// inside, y in steps of 5.
	x0, x1 := math.Log10(lo/1.2), math.Log10(hi*1.2)
	var ticks []float64
	for _, t := range logTicks(lo/1.2, hi*1.2) {
		if l := math.Log10(t); l >= x0 && l <= x1 {
			ticks = append(ticks, t)
		}
	}
	y0, y1 := math.Floor(accLo/5)*5, math.Ceil(accHi/5)*5
	if y1 == y0 {
		y1 = y0 + 5
	}
	px := func(ms float64) float64 { return left + (math.Log10(ms)-x0)/(x1-x0)*plotW }
	py := func(acc float64) float64 { return top + (y1-acc)/(y1-y0)*plotH }

	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n", width, height, width, height, fontFamily)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	fmt.Fprintf(&sb, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc("MobileNet V1: ImageNet top-1 accuracy vs latency ("+column+")"))

	// Grid and ticks.
	for _, t := range ticks {
		x := px(t)
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>`+"\n", x, top, x, top+plotH)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" font-size="%d" text-anchor="middle">%s</text>`+"\n", x, top+plotH+16, labelSize, esc(fmtTick(t)))
	}
	for acc := y0; acc <= y1+1e-9; acc += 5 {
		y := py(acc)
		fmt.Fprintf(&sb, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, y, left+plotW, y)
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" font-size="%d" text-anchor="end">%g</text>`+"\n", left-6, y+4, labelSize, acc)
	}
	fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333333"/>`+"\n", left, top, plotW, plotH)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d" text-anchor="middle">%s</text>`+"\n", left+plotW/2, height-14, axisSize, esc("milliseconds per inference (log scale)"))
	fmt.Fprintf(&sb, `<text x="16" y="%d" font-size="%d" text-anchor="middle" transform="rotate(-90 16 %d)">%s</text>`+"\n", top+plotH/2, axisSize, top+plotH/2, esc("top-1 accuracy (%)"))

	// One polyline per width and type, in resolution order.
	for _, wd := range Widths {
		for _, quant := range []bool{false, true} {
			var line []point
			for _, p := range pts {
				if p.e.Width == wd && p.e.Quantized == quant {
					line = append(line, p)
				}
			}
			if len(line) == 0 {
				continue
			}
			slices.SortFunc(line, func(a, b point) int { return a.e.Resolution - b.e.Resolution })
			var coords []string
			for _, p := range line {
				coords = append(coords, fmt.Sprintf("%.1f,%.1f", px(p.ms), py(p.e.Top1)))
			}
			dash := floatDash
			if quant {
				dash = quantDash
			}
			dashAttr := ""
			if dash != "" {
				dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
			}
			fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>`+"\n", strings.Join(coords, " "), colors[wd], dashAttr)
		}
	}
	// Points, labels and tooltips.
	for _, p := range pts {
		x, y := px(p.ms), py(p.e.Top1)
		c := colors[p.e.Width]
		tip := esc(fmt.Sprintf("%s: %s ms, top-1 %.1f%%, %.0fM MACs", p.e.Name, fmtMillis(p.ms), p.e.Top1, float64(p.e.MACs())/1e6))
		if p.e.Quantized {
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#ffffff" stroke="%s" stroke-width="1.5"><title>%s</title></rect>`+"\n",
				x-pointRadius, y-pointRadius, 2*pointRadius, 2*pointRadius, c, tip)
		} else {
			fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s</title></circle>`+"\n", x, y, pointRadius, c, tip)
		}
		// Float models lie above their quantized twins: label them above,
		// the quantized ones below.
		ly := y - 6
		if p.e.Quantized {
			ly = y + 13
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="9" fill="#555555">%d</text>`+"\n", x+4, ly, p.e.Resolution)
	}
	// Legend.
	lx, ly := left+plotW+18, top+8
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d" font-weight="bold">width</text>`+"\n", lx, ly, axisSize)
	for i, wd := range Widths {
		y := ly + 20 + 20*i
		fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", lx, y-4, lx+22, y-4, colors[wd])
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d">%s</text>`+"\n", lx+30, y, axisSize, WidthString(wd))
	}
	ly += 20 + 20*len(Widths) + 12
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d" font-weight="bold">type</text>`+"\n", lx, ly, axisSize)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333" stroke-width="1.5"/>`+"\n", lx, ly+16, lx+22, ly+16)
	fmt.Fprintf(&sb, `<circle cx="%d" cy="%d" r="%.1f" fill="#333333"/>`+"\n", lx+11, ly+16, pointRadius)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d">float32</text>`+"\n", lx+30, ly+20, axisSize)
	fmt.Fprintf(&sb, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333333" stroke-width="1.5" stroke-dasharray="%s"/>`+"\n", lx, ly+36, lx+22, ly+36, quantDash)
	fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#ffffff" stroke="#333333" stroke-width="1.5"/>`+"\n", float64(lx+11)-pointRadius, float64(ly+36)-pointRadius, 2*pointRadius, 2*pointRadius)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="%d">uint8</text>`+"\n", lx+30, ly+40, axisSize)
	fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="9" fill="#555555">labels: input size</text>`+"\n", lx, ly+62)
	if cpu := b.Env["cpu"]; cpu != "" {
		fmt.Fprintf(&sb, `<text x="%d" y="%d" font-size="9" fill="#555555">%s</text>`+"\n", lx, ly+76, esc(truncate(cpu, 34)))
	}
	sb.WriteString("</svg>\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

// logTicks returns the 1-2-5 ticks from the last one at or below lo to
// the first one at or above hi.
func logTicks(lo, hi float64) []float64 {
	var all []float64
	for d := math.Pow(10, math.Floor(math.Log10(lo))); d < hi*10; d *= 10 {
		all = append(all, d, 2*d, 5*d)
	}
	first, last := 0, len(all)-1
	for first+1 < len(all) && all[first+1] <= lo {
		first++
	}
	for last > first+1 && all[last-1] >= hi {
		last--
	}
	return all[first : last+1]
}

func fmtTick(t float64) string {
	if t >= 1 {
		return fmt.Sprintf("%g", t)
	}
	return strings.TrimRight(fmt.Sprintf("%.3f", t), "0")
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// esc escapes text for XML.
func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
