package benchtable

import (
	"fmt"
	"io"

	"mobilenet-wasm/internal/plot"
	"mobilenet-wasm/models"
)

// SVG writes the latency-vs-accuracy plot of one latency column as a
// standalone SVG file: the page's plot (package plot), with the latency
// measured here; each point is labelled with its width and resolution, and
// the resolutions of one width and type are joined by a line.
func (b *Bench) SVG(w io.Writer, column string) error {
	samples := b.Samples[column]
	if len(samples) == 0 {
		return fmt.Errorf("benchtable: no measurements in column %q", column)
	}
	var pts []plot.Point
	for _, e := range models.Catalog {
		s, ok := samples[e.Name]
		if !ok {
			continue
		}
		label := fmt.Sprintf("%s_%d", models.WidthString(e.Width), e.Resolution)
		pts = append(pts, plot.Point{Name: e.Name, Label: label, Ms: b.latency(s), Top1: e.Top1, Quant: e.Quantized,
			Series: models.WidthString(e.Width) + " " + e.DType()})
	}
	title := "MobileNet V1: published top-1 vs latency (" + column + ")"
	if cpu := b.Env["cpu"]; cpu != "" {
		title += ", " + cpu
	}
	_, err := io.WriteString(w, plot.SVG(pts, plot.Figure{
		Title:      title,
		XLabel:     "milliseconds per inference (log scale)",
		Standalone: true,
	})+"\n")
	return err
}
