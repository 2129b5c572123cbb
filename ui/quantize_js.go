//go:build js && wasm

package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"mobilenet-wasm/internal/plot"
)

// The Quantize mode: post-training quantization of a float model on
// calibration photos (mobilenet.quantize in site/mobilenet.js), then the
// float and quantized models side by side: top-1 on the photos, their
// agreement, file sizes and latency measured here, and a download.
//
// The panel's state is on #quantize[data-state]: idle, running, done or
// error; #q-compare[data-agree] is "agreeing/compared" once done.

// quantPanel is the Quantize mode's elements and state.
type quantPanel struct {
	a *app

	section, modelName, photoCount, progress, progressText dom.HTMLElement
	result, compareBody, photosBody                        dom.HTMLElement
	modelSelect, format, method                            *dom.HTMLSelectElement
	modelFile, photosInput, folderInput, testPhoto         *dom.HTMLInputElement
	run, cancel, clearPhotos                               *dom.HTMLButtonElement
	bar                                                    *dom.HTMLProgressElement
	download                                               *dom.HTMLAnchorElement

	catalog   []quantEntry // float models the server has
	labelsURL string       // imagenet_labels.txt on the server

	model       js.Value // the dropped or picked float .tflite (a File), or undefined
	catalogName string   // or the catalog model picked
	photos      []js.Value
	abort       js.Value // the running quantization's AbortController, or undefined
	running     bool

	floatClf, quantClf js.Value // the last comparison's classifiers, or undefined
	downloadURL        string
	seq                int // comparisons shown
}

// quantEntry is a float model of the server's catalog.
type quantEntry struct {
	name, modelURL, labelsURL string
}

// calibrationLimit is how many calibration photos the comparison classifies.
const calibrationLimit = 50

// calibrationMax is how many photos calibrate at most, spread evenly
// over the sorted list when there are more: the CLI's -calib-n default,
// and the same choice, so that the page and `mobilenet quantize` agree.
const calibrationMax = 200

// spread picks n of list, evenly spread, as `mobilenet quantize` does.
func spread(list []js.Value, n int) []js.Value {
	if len(list) <= n {
		return list
	}
	out := make([]js.Value, n)
	for i := range out {
		out[i] = list[i*len(list)/n]
	}
	return out
}

// latencyRuns is how many timed runs give each model's median latency.
const latencyRuns = 15

// startQuantize wires the Quantize mode; ?mode=quantize opens it.
func (a *app) startQuantize() {
	h := func(id string) dom.HTMLElement {
		e := a.doc.GetElementByID(id)
		if e == nil {
			panic("index.html has no #" + id)
		}
		return e.(dom.HTMLElement)
	}
	q := &quantPanel{a: a, model: js.Undefined(), abort: js.Undefined(), floatClf: js.Undefined(), quantClf: js.Undefined()}
	q.section, q.modelName, q.photoCount = h("quantize"), h("q-model-name"), h("q-photo-count")
	q.progress, q.progressText, q.result = h("q-progress"), h("q-progress-text"), h("q-result")
	q.compareBody, q.photosBody = h("q-compare-body"), h("q-photos-body")
	q.modelSelect, q.format, q.method = h("q-model").(*dom.HTMLSelectElement), h("q-format").(*dom.HTMLSelectElement), h("q-method").(*dom.HTMLSelectElement)
	q.modelFile, q.photosInput = h("q-model-file").(*dom.HTMLInputElement), h("q-photos").(*dom.HTMLInputElement)
	q.folderInput, q.testPhoto = h("q-folder").(*dom.HTMLInputElement), h("q-test-photo").(*dom.HTMLInputElement)
	q.run, q.cancel, q.clearPhotos = h("q-run").(*dom.HTMLButtonElement), h("q-cancel").(*dom.HTMLButtonElement), h("q-clear-photos").(*dom.HTMLButtonElement)
	q.bar = h("q-bar").(*dom.HTMLProgressElement)
	q.download = h("q-download").(*dom.HTMLAnchorElement)
	q.wire()
	// Entering Quantize stops the classifier's camera: the panel has no use for it.
	a.addMode("quantize", pageMode{enter: a.stopCamera})
	a.spawn(q.loadCatalog)
}

func (q *quantPanel) wire() {
	a := q.a
	q.modelSelect.AddEventListener("change", false, func(dom.Event) {
		if name := q.modelSelect.Value(); name != "" {
			q.model, q.catalogName = js.Undefined(), name
			q.modelName.SetTextContent(name + " (from the server)")
			a.clearMessage("quantize")
		}
	})
	q.modelFile.AddEventListener("change", false, func(dom.Event) {
		if files := q.modelFile.Get("files"); files.Length() > 0 {
			q.setModelFile(files.Index(0))
		}
		q.modelFile.Set("value", "")
	})
	addPhotos := func(in *dom.HTMLInputElement) func(dom.Event) {
		return func(dom.Event) {
			q.addPhotos(in.Get("files"))
			in.Set("value", "")
		}
	}
	q.photosInput.AddEventListener("change", false, addPhotos(q.photosInput))
	q.folderInput.AddEventListener("change", false, addPhotos(q.folderInput))
	q.clearPhotos.AddEventListener("click", false, func(dom.Event) {
		q.photos = nil
		q.showPhotoCount()
	})
	q.run.AddEventListener("click", false, func(dom.Event) { a.spawn(q.quantize) })
	q.cancel.AddEventListener("click", false, func(dom.Event) {
		if q.abort.Truthy() {
			q.abort.Call("abort")
		}
	})
	q.testPhoto.AddEventListener("change", false, func(dom.Event) {
		if files := q.testPhoto.Get("files"); files.Length() > 0 {
			f := files.Index(0)
			a.spawn(func() { q.compareOn(f) })
		}
		q.testPhoto.Set("value", "")
	})
	// Drops in Quantize mode come here, before the classifier's handler
	// (capture phase on the document): .tflite files are the model, the
	// rest calibration photos.
	a.doc.AddEventListener("drop", true, func(e dom.Event) {
		if a.body.GetAttribute("data-mode") != "quantize" {
			return
		}
		e.PreventDefault()
		e.StopPropagation()
		a.body.Class().Remove("dragging")
		dt := e.Underlying().Get("dataTransfer")
		if dt.IsNull() || dt.IsUndefined() || dt.Get("files").Length() == 0 {
			a.message("quantize", "error", "Nothing to use in what was dropped: drop a float .tflite model or photos.")
			return
		}
		files := dt.Get("files")
		var photos []js.Value
		for i := 0; i < files.Length(); i++ {
			f := files.Index(i)
			if strings.HasSuffix(strings.ToLower(str(f, "name")), ".tflite") {
				q.setModelFile(f)
			} else {
				photos = append(photos, f)
			}
		}
		if len(photos) > 0 {
			q.addPhotoList(photos)
		}
	})
}

// loadCatalog lists the server's float models in the select.
func (q *quantPanel) loadCatalog() {
	list, err := call(q.a.mn, "catalog")
	if err != nil {
		return // the classifier's panel reports it
	}
	for i := 0; i < list.Length(); i++ {
		m := list.Index(i)
		if u := str(m, "labels_url"); u != "" && q.labelsURL == "" {
			q.labelsURL = u
		}
		if !boolean(m, "available") || boolean(m, "quantized") || str(m, "head_url") != "" {
			continue
		}
		e := quantEntry{name: str(m, "name"), modelURL: str(m, "model_url"), labelsURL: str(m, "labels_url")}
		q.catalog = append(q.catalog, e)
		o := q.a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue(e.name)
		o.SetTextContent(e.name)
		q.modelSelect.AppendChild(o)
	}
	if len(q.catalog) == 0 {
		q.modelSelect.SetDisabled(true)
		q.modelSelect.Options()[0].SetTextContent("no float model on the server")
	}
}

// setModelFile takes a dropped or picked .tflite as the float model.
func (q *quantPanel) setModelFile(f js.Value) {
	name := str(f, "name")
	if !strings.HasSuffix(strings.ToLower(name), ".tflite") {
		q.a.message("quantize", "error", fmt.Sprintf("%s is not a .tflite model: pick a float MobileNet .tflite file.", name))
		return
	}
	q.model, q.catalogName = f, ""
	q.modelSelect.SetValue("")
	q.modelName.SetTextContent(fmt.Sprintf("%s (%s)", name, formatBytes(num(f, "size"))))
	q.a.clearMessage("quantize")
}

// addPhotos adds the image files of a FileList.
func (q *quantPanel) addPhotos(files js.Value) {
	var list []js.Value
	for i := 0; i < files.Length(); i++ {
		list = append(list, files.Index(i))
	}
	q.addPhotoList(list)
}

// addPhotoList adds image files, skipping (and naming) the others; the
// photos are kept in name order, so that the same set gives the same
// model whatever order it was picked in.
func (q *quantPanel) addPhotoList(files []js.Value) {
	var skipped []string
	for _, f := range files {
		name, typ := str(f, "name"), str(f, "type")
		if !strings.HasPrefix(typ, "image/") {
			if !(typ == "" && hasImageExt(name)) {
				skipped = append(skipped, name)
				continue
			}
		}
		q.photos = append(q.photos, f)
	}
	sort.SliceStable(q.photos, func(i, j int) bool { return photoName(q.photos[i]) < photoName(q.photos[j]) })
	q.showPhotoCount()
	switch {
	case len(skipped) > 0:
		q.a.message("quantize-photos", "warn", fmt.Sprintf("Skipped %d file(s) that are not images: %s.", len(skipped), shortList(skipped, 5)))
	default:
		q.a.clearMessage("quantize-photos")
	}
}

// photoName is a photo's path in a picked folder, else its name.
func photoName(f js.Value) string {
	if p := str(f, "webkitRelativePath"); p != "" {
		return p
	}
	return str(f, "name")
}

// hasImageExt reports whether a file name has a common image extension
// (files from some folders come without a type).
func hasImageExt(name string) bool {
	name = strings.ToLower(name)
	return slices.ContainsFunc([]string{".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".avif"}, func(ext string) bool { return strings.HasSuffix(name, ext) })
}

// shortList joins the first n names, with how many more.
func shortList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

func (q *quantPanel) showPhotoCount() {
	if len(q.photos) == 0 {
		q.photoCount.SetTextContent("no photos: add a few (10–100 typical photos of what the model will see)")
	} else {
		q.photoCount.SetTextContent(fmt.Sprintf("%d photo(s)", len(q.photos)))
	}
	q.photoCount.SetAttribute("data-count", fmt.Sprint(len(q.photos)))
}

// setState records the panel's state and enables the buttons for it.
func (q *quantPanel) setState(state string) {
	q.section.SetAttribute("data-state", state)
	q.running = state == "running"
	q.run.SetDisabled(q.running)
	q.cancel.SetDisabled(!q.running)
}

// fail shows an error and ends the run.
func (q *quantPanel) fail(text string) {
	q.a.message("quantize", "error", text)
	q.setState("error")
	show(q.progress, false)
}

// cancelled reports whether the run was cancelled, and then ends it.
func (q *quantPanel) cancelled(ctrl js.Value) bool {
	if !ctrl.Get("signal").Get("aborted").Bool() {
		return false
	}
	q.abort = js.Undefined()
	q.a.message("quantize", "info", "Quantization cancelled.")
	q.setState("idle")
	show(q.progress, false)
	return true
}

// modelBytes reads the chosen float model: its bytes, name and the
// labels URL to use when it has no labels of its own.
func (q *quantPanel) modelBytes() (bytes js.Value, name, labelsURL string, err error) {
	if q.model.Truthy() {
		b, err := call(q.model, "arrayBuffer")
		return b, str(q.model, "name"), q.labelsURL, err
	}
	for _, e := range q.catalog {
		if e.name == q.catalogName {
			b, err := call(q.a.mn, "fetchBytes", e.modelURL)
			return b, e.name + ".tflite", e.labelsURL, err
		}
	}
	return js.Undefined(), "", "", fmt.Errorf("no model chosen")
}

// quantize runs the whole job: checks, the float model, calibration and
// quantization with a progress bar, then the comparison.
func (q *quantPanel) quantize() {
	a := q.a
	if q.running {
		return
	}
	a.clearMessage("quantize")
	if !q.model.Truthy() && q.catalogName == "" {
		q.fail("Pick a float model first: one of the server's, or a float .tflite file.")
		return
	}
	if len(q.photos) == 0 {
		q.fail("Add a few photos first (this site has no built-in calibration photos): 10 to 100 typical photos of what the model will see, or a folder of them.")
		return
	}
	calib := spread(q.photos, calibrationMax)
	if len(calib) < len(q.photos) {
		a.message("quantize-photos", "info", fmt.Sprintf("Calibrating on %d of the %d photos, evenly spread (as mobilenet quantize -calib-n %d).", len(calib), len(q.photos), calibrationMax))
	}
	ctrl := js.Global().Get("AbortController").New()
	q.abort = ctrl
	q.setState("running")
	show(q.result, false)
	show(q.progress, true)
	total := len(calib)
	q.bar.SetMax(float64(total + 1))
	q.bar.SetValue(0)
	q.progressText.SetTextContent("Reading the model…")

	model, name, labelsURL, err := q.modelBytes()
	if q.cancelled(ctrl) {
		return
	}
	if err != nil {
		q.fail("Could not read the model: " + err.Error())
		return
	}
	size := model.Get("byteLength").Float()

	// The float model as a classifier: it checks the file, and its labels
	// (the server's ImageNet labels when it has none) go into the
	// quantized file.
	floatOpts := map[string]any{"model": model.Call("slice", 0), "name": name, "simd": a.useSIMD(), "relaxedSimd": a.useRelaxed()}
	floatClf, err := call(a.mn, "load", floatOpts)
	if err == nil && q.cancelled(ctrl) {
		floatClf.Call("dispose")
		return
	}
	if err != nil {
		q.fail(fmt.Sprintf("%s is not a model this page can run: %v", name, err))
		return
	}
	info := floatClf.Get("info")
	if dt := str(info.Get("input"), "dtype"); dt != "float32" {
		floatClf.Call("dispose")
		q.fail(fmt.Sprintf("%s is already quantized (its input is %s): quantization needs a float model, such as mobilenet_v1_0.25_224.tflite.", name, dt))
		return
	}
	if info.Get("input_size").Int() == 0 {
		floatClf.Call("dispose")
		q.fail(fmt.Sprintf("%s does not take images: calibration here needs an image classifier.", name))
		return
	}
	var labels js.Value = js.Undefined()
	if info.Get("labels").Type() != js.TypeObject && labelsURL != "" {
		if n := info.Get("classes").Int(); n == 1000 || n == 1001 {
			floatOpts["model"] = model.Call("slice", 0)
			floatOpts["labelsUrl"] = labelsURL
			if c2, err := call(a.mn, "load", floatOpts); err == nil {
				floatClf.Call("dispose")
				floatClf, info = c2, c2.Get("info")
				labels = info.Get("labels")
			}
		}
	}

	if q.cancelled(ctrl) {
		floatClf.Call("dispose")
		return
	}
	format := q.format.Value()
	progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
		p := args[0]
		done := int(num(p, "done"))
		switch str(p, "phase") {
		case "calibrate":
			q.bar.SetValue(float64(done))
			q.progressText.SetTextContent(fmt.Sprintf("Calibrating: %d of %d photos", done, total))
		case "quantize":
			q.bar.SetValue(float64(total))
			q.progressText.SetTextContent(fmt.Sprintf("Calibrated on %d photos; quantizing to %s…", total, format))
		case "done":
			q.bar.SetValue(float64(total + 1))
		}
		return nil
	})
	defer progress.Release()
	opts := map[string]any{"format": format, "method": q.method.Value(), "onProgress": progress, "signal": ctrl.Get("signal"), "simd": a.useSIMD()}
	if labels.Truthy() {
		opts["labels"] = labels
	}
	photos := make([]any, len(calib))
	for i, p := range calib {
		photos[i] = p
	}
	start := now()
	out, err := call(a.mn, "quantize", model, js.ValueOf(photos), opts)
	q.abort = js.Undefined()
	if err != nil {
		floatClf.Call("dispose")
		switch codeOf(err) {
		case "aborted":
			q.cancelled(ctrl)
		case "load":
			q.fail(fmt.Sprintf("%s cannot be quantized: %v", name, err))
		case "image":
			q.fail("A calibration file is not an image this browser can read: " + err.Error() + ". Remove it (Clear) and add photos again.")
		default:
			q.fail("Quantization failed: " + err.Error())
		}
		return
	}
	seconds := (now() - start) / 1000
	q.bar.SetValue(float64(total + 1))
	q.progressText.SetTextContent(fmt.Sprintf("Quantized on %d photos in %.1f s; comparing…", total, seconds))

	quantName := strings.TrimSuffix(name, ".tflite") + "_" + format + ".tflite"
	quantClf, err := call(a.mn, "load", map[string]any{"model": out.Call("slice", 0), "name": quantName, "simd": a.useSIMD(), "relaxedSimd": a.useRelaxed()})
	if err != nil {
		floatClf.Call("dispose")
		q.fail("The quantized model does not load (a bug; please report it): " + err.Error())
		return
	}
	q.setDownload(out, quantName)
	for _, c := range []js.Value{q.floatClf, q.quantClf} {
		if c.Truthy() {
			c.Call("dispose")
		}
	}
	q.floatClf, q.quantClf = floatClf, quantClf
	q.compare(calib, name, quantName, size, out.Get("byteLength").Float())
	q.progressText.SetTextContent(fmt.Sprintf("Quantized on %d photos in %.1f s.", total, seconds))
	q.setState("done")
}

// setDownload offers the quantized bytes as a file.
func (q *quantPanel) setDownload(out js.Value, name string) {
	if q.downloadURL != "" {
		js.Global().Get("URL").Call("revokeObjectURL", q.downloadURL)
	}
	blob := js.Global().Get("Blob").New([]any{out}, map[string]any{"type": "application/octet-stream"})
	q.downloadURL = js.Global().Get("URL").Call("createObjectURL", blob).String()
	q.download.SetHref(q.downloadURL)
	q.download.SetAttribute("download", name)
	q.download.SetTextContent(fmt.Sprintf("Download %s (%s)", name, formatBytes(out.Get("byteLength").Float())))
}

// compare fills the side-by-side: sizes, latency, and top-1 of both
// models on the calibration photos.
func (q *quantPanel) compare(photos []js.Value, floatName, quantName string, floatSize, quantSize float64) {
	a := q.a
	q.photosBody.SetInnerHTML("")
	agree, compared := 0, 0
	for _, p := range spread(photos, calibrationLimit) {
		same, ok := q.comparePhoto(p, photoName(p), false)
		if ok {
			compared++
			if same {
				agree++
			}
		}
	}
	fl, ql := q.latency(q.floatClf), q.latency(q.quantClf)
	fi, qi := q.floatClf.Get("info"), q.quantClf.Get("info")

	q.compareBody.SetInnerHTML("")
	row := func(key, label, f, qv string) {
		tr := a.doc.CreateElement("tr").(dom.HTMLElement)
		tr.SetAttribute("data-row", key)
		for _, s := range []string{label, f, qv} {
			td := a.doc.CreateElement("td")
			td.SetTextContent(s)
			tr.AppendChild(td)
		}
		q.compareBody.AppendChild(tr)
	}
	row("model", "Model", floatName, quantName)
	row("type", "Weights / input", "float32 / "+str(fi.Get("input"), "dtype"), q.format.Value()+" / "+str(qi.Get("input"), "dtype"))
	row("size", "File size", formatBytes(floatSize), fmt.Sprintf("%s (%.2fx)", formatBytes(quantSize), quantSize/floatSize))
	row("latency", fmt.Sprintf("Latency here (median of %d)", latencyRuns), latencyText(fl), latencyText(ql)+speedup(fl, ql))
	agreeText := "–"
	if compared > 0 {
		agreeText = fmt.Sprintf("%d of %d photos (%.0f%%)", agree, compared, 100*float64(agree)/float64(compared))
	}
	row("agree", "Same top-1", "", agreeText)

	t := a.doc.GetElementByID("q-compare").(dom.HTMLElement)
	t.SetAttribute("data-agree", fmt.Sprintf("%d/%d", agree, compared))
	t.SetAttribute("data-float-ms", fmt.Sprint(fl))
	t.SetAttribute("data-quant-ms", fmt.Sprint(ql))
	t.SetAttribute("data-quant-bytes", fmt.Sprint(quantSize))
	q.seq++
	t.SetAttribute("data-seq", fmt.Sprint(q.seq))
	show(q.result, true)
}

// latency is a classifier's median inference time in its worker, ms (NaN
// on failure).
func (q *quantPanel) latency(clf js.Value) float64 {
	r, err := call(clf, "time", map[string]any{"runs": latencyRuns, "warmup": 2})
	if err != nil {
		return js.Global().Get("NaN").Float()
	}
	return num(r, "median")
}

func latencyText(ms float64) string {
	if ms != ms {
		return "–"
	}
	return plot.Millis(ms)
}

func speedup(f, q float64) string {
	if f != f || q != q || q <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1fx faster)", f/q)
}

// comparePhoto classifies one photo with both models and adds its row.
// It reports whether the top-1 classes agree, and whether both ran.
func (q *quantPanel) comparePhoto(photo js.Value, name string, yours bool) (same, ok bool) {
	a := q.a
	top := func(clf js.Value) (js.Value, error) {
		preds, err := call(clf, "classify", photo, map[string]any{"topK": 1})
		if err != nil {
			return js.Undefined(), err
		}
		if preds.Length() == 0 {
			return js.Undefined(), fmt.Errorf("no classes")
		}
		return preds.Index(0), nil
	}
	fp, err1 := top(q.floatClf)
	qp, err2 := top(q.quantClf)
	tr := a.doc.CreateElement("tr").(dom.HTMLElement)
	cell := func(s string) dom.HTMLElement {
		td := a.doc.CreateElement("td").(dom.HTMLElement)
		td.SetTextContent(s)
		tr.AppendChild(td)
		return td
	}
	if yours {
		name += " (yours)"
	}
	cell(name)
	if err := firstErr(err1, err2); err != nil {
		cell("could not classify: " + err.Error())
		q.photosBody.AppendChild(tr)
		return false, false
	}
	label := func(p js.Value) string {
		return fmt.Sprintf("%s %s", shortLabel(str(p, "label"), p.Get("index").Int()), formatPercent(num(p, "score")))
	}
	cell(label(fp))
	cell(label(qp))
	same = fp.Get("index").Int() == qp.Get("index").Int()
	c := cell(map[bool]string{true: "yes", false: "no"}[same])
	if !same {
		c.Class().Add("differ")
	}
	tr.SetAttribute("data-same", fmt.Sprint(same))
	if first := q.photosBody.FirstChild(); yours && first != nil {
		q.photosBody.InsertBefore(tr, first)
	} else {
		q.photosBody.AppendChild(tr)
	}
	return same, true
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// compareOn compares both models on a photo the user picked.
func (q *quantPanel) compareOn(f js.Value) {
	if !q.floatClf.Truthy() || !q.quantClf.Truthy() {
		q.a.message("quantize", "info", "Quantize a model first, then compare it on your photos.")
		return
	}
	name := str(f, "name")
	if typ := str(f, "type"); typ != "" && !strings.HasPrefix(typ, "image/") {
		q.a.message("quantize", "error", fmt.Sprintf("%s is not an image (%s).", name, typ))
		return
	}
	q.comparePhoto(f, name, true)
}
