//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"mobilenet-wasm/internal/plot"
)

// entry is one model of the server's catalog (models/catalog.json).
type entry struct {
	Name, WidthName  string
	Resolution       int
	Quant, Available bool
	MMACs, MParams   float64
	Top1, Top5       float64
	Bytes            float64
	ModelURL         string

	row, msCell, useCell dom.HTMLElement
	use                  *dom.HTMLButtonElement
}

// shortName is the plot's label: "0.5_160" (quantized models are squares).
func (e *entry) shortName() string {
	return fmt.Sprintf("%s_%d", e.WidthName, e.Resolution)
}

func (a *app) entry(name string) *entry {
	for _, e := range a.catalog {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// loadCatalog fetches the catalog and fills the table.
func (a *app) loadCatalog() {
	list, err := await(js.Global().Get("mobilenetBoot").Get("catalog")) // boot.js fetched it
	if err != nil {
		a.message("catalog", "warn", "No model catalog from the server ("+err.Error()+"): drop a .tflite file on the page to run it.")
		a.renderPlot()
		return
	}
	for i := 0; i < list.Length(); i++ {
		m := list.Index(i)
		e := &entry{
			Name: str(m, "name"), WidthName: str(m, "width_name"), Resolution: m.Get("resolution").Int(),
			Quant: boolean(m, "quantized"), Available: boolean(m, "available"),
			MMACs: num(m, "macs_millions"), MParams: num(m, "params_millions"),
			Top1: num(m, "top1"), Top5: num(m, "top5"), Bytes: num(m, "bytes"), ModelURL: str(m, "model_url"),
		}
		if u := str(m, "labels_url"); u != "" && a.labelsURL == "" {
			a.labelsURL = u
		}
		a.catalog = append(a.catalog, e)
	}
	a.renderCatalog()
	a.refreshCached()
	a.renderPlot()
}

// renderCatalog builds the table's rows.
func (a *app) renderCatalog() {
	a.catalogBody.SetInnerHTML("")
	avail := 0
	for _, e := range a.catalog {
		e := e
		tr := a.doc.CreateElement("tr").(dom.HTMLElement)
		tr.SetAttribute("data-model", e.Name)
		if e.Available {
			avail++
			tr.Class().Add("available")
		}
		typ := "float32"
		if e.Quant {
			typ = "uint8"
		}
		cells := []string{e.Name, e.WidthName, fmt.Sprint(e.Resolution), typ,
			fmt.Sprintf("%.0f M", e.MMACs), fmt.Sprintf("%.2f M", e.MParams),
			fmt.Sprintf("%.1f%%", e.Top1), fmt.Sprintf("%.1f%%", e.Top5)}
		for i, c := range cells {
			td := a.doc.CreateElement("td").(dom.HTMLElement)
			if i == 0 {
				// "mobilenet_v1_" goes on narrow screens.
				td.Class().SetString("name")
				rest, ok := strings.CutPrefix(c, "mobilenet_v1_")
				if ok {
					pre := a.doc.CreateElement("span")
					pre.Class().SetString("prefix")
					pre.SetTextContent("mobilenet_v1_")
					td.AppendChild(pre)
				}
				td.AppendChild(a.doc.CreateTextNode(rest))
			} else {
				td.SetTextContent(c)
				td.Class().SetString("num")
			}
			tr.AppendChild(td)
		}
		e.msCell = a.doc.CreateElement("td").(dom.HTMLElement)
		e.msCell.Class().SetString("num ms")
		tr.AppendChild(e.msCell)
		e.useCell = a.doc.CreateElement("td").(dom.HTMLElement)
		if e.Available {
			e.use = a.doc.CreateElement("button").(*dom.HTMLButtonElement)
			e.use.SetTextContent("Use")
			e.use.SetTitle(fmt.Sprintf("Load %s (%s)", e.Name, formatBytes(e.Bytes)))
			e.use.AddEventListener("click", false, func(dom.Event) {
				a.spawn(func() { a.loadModel(loadSpec{name: e.Name, file: js.Undefined()}) })
			})
			e.useCell.AppendChild(e.use)
		} else {
			e.useCell.Class().SetString("missing")
			e.useCell.SetTextContent("not on server")
			e.useCell.SetTitle("mobilenet models fetch " + e.Name)
		}
		tr.AppendChild(e.useCell)
		e.row = tr
		a.catalogBody.AppendChild(tr)
	}
	a.benchAll.SetDisabled(avail == 0)
	a.benchState.SetTextContent(fmt.Sprintf("%d of %d models on this server.", avail, len(a.catalog)))
	a.updateLatencyCells()
	a.markCurrent()
}

// markCurrent highlights the loaded model's row and picks it in the
// picker.
func (a *app) markCurrent() {
	a.fillPicker()
	for _, e := range a.catalog {
		if e.row != nil {
			if e.Name == a.current.name {
				e.row.Class().Add("current")
			} else {
				e.row.Class().Remove("current")
			}
		}
	}
}

// refreshCached marks the models whose files are in Cache Storage.
func (a *app) refreshCached() {
	urls, err := call(a.mn, "cachedUrls")
	if err != nil {
		return
	}
	cached := map[string]bool{}
	for i := 0; i < urls.Length(); i++ {
		cached[urls.Index(i).String()] = true
	}
	for _, e := range a.catalog {
		if e.use == nil {
			continue
		}
		if cached[e.ModelURL] {
			e.use.SetTextContent("Use")
			e.use.SetAttribute("data-note", "cached")
			e.row.Class().Add("cached")
		} else {
			e.use.SetTextContent("Use")
			e.use.SetAttribute("data-note", formatBytes(e.Bytes))
			e.row.Class().Remove("cached")
		}
	}
}

// updateLatencyCells shows each model's measured latency with the kernels
// the SIMD switch selects (and the other kind in the tooltip).
func (a *app) updateLatencyCells() {
	simd := a.useSIMD()
	for _, e := range a.catalog {
		if e.msCell == nil {
			continue
		}
		ms, ok := a.latency[latencyKey(e.Name, simd)]
		other, ook := a.latency[latencyKey(e.Name, !simd)]
		switch {
		case ok:
			e.msCell.SetTextContent(plot.Millis(ms))
			e.msCell.SetAttribute("data-ms", fmt.Sprint(ms))
		default:
			e.msCell.SetTextContent("–")
			e.msCell.RemoveAttribute("data-ms")
		}
		var tip []string
		if ok {
			tip = append(tip, fmt.Sprintf("%s with %s kernels", plot.Millis(ms), kernelsName(simd)))
		}
		if ook {
			tip = append(tip, fmt.Sprintf("%s with %s kernels", plot.Millis(other), kernelsName(!simd)))
		}
		e.msCell.SetTitle(strings.Join(tip, "; "))
	}
	a.fillPicker()
	a.renderPlot()
}

func kernelsName(simd bool) string {
	if simd {
		return "SIMD"
	}
	return "portable"
}

// renderPlot draws accuracy against the latencies measured here.
func (a *app) renderPlot() {
	simd := a.useSIMD()
	var ps []plot.Point
	for _, e := range a.catalog {
		if ms, ok := a.latency[latencyKey(e.Name, simd)]; ok {
			ps = append(ps, plot.Point{Name: e.Name, Label: e.shortName(), Ms: ms, Top1: e.Top1, Quant: e.Quant})
		}
	}
	a.plot.SetInnerHTML(plot.SVG(ps, plot.Figure{
		Title:  fmt.Sprintf("Published top-1 vs latency in this browser (%s kernels)", kernelsName(simd)),
		XLabel: "latency in this browser (ms, log scale)",
		Empty:  "No latency measured yet: load a model, or benchmark all available models.",
	}))
	a.plot.SetAttribute("data-points", fmt.Sprint(len(ps)))
}

// benchmarkAll loads every model the server has, one at a time, in its
// own worker, and times it; the current model keeps running meanwhile.
func (a *app) benchmarkAll() {
	if a.benchmarking {
		return
	}
	a.benchmarking = true
	a.benchAll.SetDisabled(true)
	defer func() {
		a.benchmarking = false
		a.benchAll.SetDisabled(false)
	}()
	a.body.SetAttribute("data-bench", "running")
	var todo []*entry
	for _, e := range a.catalog {
		if e.Available {
			todo = append(todo, e)
		}
	}
	done, failed := 0, 0
	for i, e := range todo {
		a.benchState.SetTextContent(fmt.Sprintf("Benchmarking %s (%d of %d)…", e.Name, i+1, len(todo)))
		e.msCell.SetTextContent("measuring…")
		progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) > 0 {
				a.progress(e.Name, args[0])
			}
			return nil
		})
		clf, err := call(a.mn, "load", map[string]any{"model": e.Name, "simd": a.useSIMD(), "relaxedSimd": a.useRelaxed(), "onProgress": progress})
		progress.Release()
		show(a.download, false)
		if err != nil {
			failed++
			e.msCell.SetTextContent("failed")
			e.msCell.SetTitle(err.Error())
			continue
		}
		a.measure(clf, e.Name)
		clf.Call("dispose")
		done++
	}
	a.refreshCached()
	a.updateLatencyCells()
	msg := fmt.Sprintf("Benchmarked %d models with %s kernels.", done, kernelsName(a.useSIMD()))
	if failed > 0 {
		msg += fmt.Sprintf(" %d failed to load.", failed)
	}
	a.benchState.SetTextContent(msg)
	a.body.SetAttribute("data-bench", "done")
}

// loadLatency reads the latencies measured on earlier visits.
func (a *app) loadLatency() {
	s := a.stored(storeLatency)
	if s == "" {
		return
	}
	defer func() { recover() }() // not JSON
	v := js.Global().Get("JSON").Call("parse", s)
	keys := js.Global().Get("Object").Call("keys", v)
	for i := 0; i < keys.Length(); i++ {
		k := keys.Index(i).String()
		if x := v.Get(k); x.Type() == js.TypeNumber && x.Float() > 0 {
			a.latency[k] = x.Float()
		}
	}
}

func (a *app) saveLatency() {
	m := map[string]any{}
	for k, v := range a.latency {
		m[k] = v
	}
	a.store(storeLatency, js.Global().Get("JSON").Call("stringify", m).String())
}
