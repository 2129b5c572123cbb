//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"
)

// The Teach mode: new classes from webcam frames and photos, trained in
// the engine's worker (mobilenet.js's Teacher, the mn_teach_* exports),
// with a live loss/accuracy plot, live classification of the camera into
// the new classes, a .tflite download, and projects saved in IndexedDB
// (site/teach-store.js). Its markup is site/teach.html, fetched and
// inserted at start; body[data-mode] says which mode shows.
//
// State for tests and screen readers: body[data-teach] is "loading",
// "ready", "training" or "error"; #teach-main[data-trained] says whether
// a head exists; #teach-live's data-seq counts live results.

// teach is the Teach mode's state.
type teach struct {
	a     *app
	store js.Value // globalThis.teachStore

	video                           *dom.HTMLVideoElement
	placeholder, classes, status    dom.HTMLElement
	top, liveNote, plot, modelBadge dom.HTMLElement
	download                        *dom.HTMLAnchorElement
	progress                        *dom.HTMLProgressElement
	camStart, camStop, addClass     *dom.HTMLButtonElement
	trainBtn, cancelBtn, saveBtn    *dom.HTMLButtonElement
	openBtn, deleteBtn              *dom.HTMLButtonElement
	augment, projectName            *dom.HTMLInputElement
	projects                        *dom.HTMLSelectElement
	mainElem                        dom.HTMLElement

	clf, t  js.Value // the teaching classifier and its Teacher, or undefined
	base    string   // the model they run
	loading bool
	thumbs  [][]string // per class, data: URLs of the examples' thumbnails

	stream js.Value // the camera's MediaStream, or undefined
	camOn  bool
	camGen int

	recGen   int // bumped when a recording starts or stops
	abort    js.Value
	training bool
	history  []trainPoint
	lastPlot float64
	dlURL    string
	liveSeq  int
}

// trainPoint is one epoch of the plot.
type trainPoint struct{ loss, trainAcc, valAcc float64 }

// thumbSize is the thumbnails' size in pixels.
const thumbW, thumbH = 64, 48

// recordEvery is the pause between recorded frames.
const recordEvery = 120 * time.Millisecond

// storeProject is the localStorage key of the last saved or opened project.
const storeProject = "mobilenet.teach.project"

// startTeach fetches the Teach mode's markup, wires it, and enters the
// mode when the address asks for it (?mode=teach or #teach).
func (a *app) startTeach() {
	resp, err := await(js.Global().Call("fetch", "teach.html"))
	if err == nil && !resp.Get("ok").Bool() {
		err = fmt.Errorf("HTTP %d", resp.Get("status").Int())
	}
	var html js.Value
	if err == nil {
		html, err = await(resp.Call("text"))
	}
	if err != nil {
		a.message("teach", "warn", "The Teach mode did not load (teach.html: "+err.Error()+").")
		return
	}
	tpl := a.doc.CreateElement("template")
	tpl.SetInnerHTML(html.String())
	content := tpl.Underlying().Get("content")
	main := a.doc.QuerySelector("main").Underlying()
	for _, sel := range []string{"link", "main"} {
		if n := content.Call("querySelector", sel); n.Truthy() {
			main.Get("parentNode").Call("insertBefore", n, main.Get("nextSibling"))
		}
	}
	tm := &teach{a: a, store: js.Global().Get("teachStore"), clf: js.Undefined(), t: js.Undefined(), stream: js.Undefined(), abort: js.Undefined()}
	tm.find()
	tm.wire()
	a.addMode("teach", pageMode{enter: tm.enter, leave: tm.leave})
	a.body.SetAttribute("data-teach-ui", "ready")
}

// find looks up the mode's elements.
func (tm *teach) find() {
	h := func(id string) dom.HTMLElement {
		e := tm.a.doc.GetElementByID(id)
		if e == nil {
			panic("teach.html has no #" + id)
		}
		return e.(dom.HTMLElement)
	}
	tm.video = h("teach-video").(*dom.HTMLVideoElement)
	tm.placeholder, tm.classes, tm.status = h("teach-placeholder"), h("teach-classes"), h("teach-status")
	tm.top, tm.liveNote, tm.plot, tm.modelBadge = h("teach-top"), h("teach-live-note"), h("teach-plot"), h("teach-model")
	tm.download = h("teach-download").(*dom.HTMLAnchorElement)
	tm.progress = h("teach-progress").(*dom.HTMLProgressElement)
	b := func(id string) *dom.HTMLButtonElement { return h(id).(*dom.HTMLButtonElement) }
	tm.camStart, tm.camStop, tm.addClass = b("teach-cam-start"), b("teach-cam-stop"), b("teach-add-class")
	tm.trainBtn, tm.cancelBtn, tm.saveBtn = b("teach-train"), b("teach-cancel"), b("teach-save")
	tm.openBtn, tm.deleteBtn = b("teach-open"), b("teach-delete-project")
	tm.augment, tm.projectName = h("teach-augment").(*dom.HTMLInputElement), h("teach-project-name").(*dom.HTMLInputElement)
	tm.projects = h("teach-projects").(*dom.HTMLSelectElement)
	tm.mainElem = h("teach-main")
}

// wire attaches the handlers.
func (tm *teach) wire() {
	a := tm.a
	click := func(e dom.HTMLElement, fn func()) {
		e.AddEventListener("click", false, func(dom.Event) { a.spawn(fn) })
	}
	click(tm.camStart, tm.startCamera)
	click(tm.camStop, tm.stopCamera)
	click(tm.addClass, func() {
		if !tm.ready() {
			return
		}
		n := len(tm.classList()) + 1
		if _, err := call(tm.t, "addClass", fmt.Sprintf("Class %d", n)); err != nil {
			tm.fail("Could not add a class", err)
			return
		}
		tm.thumbs = append(tm.thumbs, nil)
		tm.render()
	})
	click(tm.trainBtn, tm.train)
	tm.cancelBtn.AddEventListener("click", false, func(dom.Event) {
		if tm.abort.Truthy() {
			tm.abort.Call("abort")
		}
	})
	click(tm.saveBtn, tm.save)
	click(tm.openBtn, func() { tm.open(tm.projects.Value()) })
	click(tm.deleteBtn, tm.deleteProject)
	tm.projectName.AddEventListener("change", false, func(dom.Event) { a.spawn(tm.refreshDownload) })
	if v := a.stored(storeProject); v != "" {
		tm.projectName.SetValue(v)
	}
}

// enter loads the Teach mode's model the first time it shows.
func (tm *teach) enter() {
	a := tm.a
	if a.cam.running {
		a.stopCamera()
	}
	tm.listProjects()
	if tm.t.Truthy() || tm.loading {
		return
	}
	name := tm.baseModel()
	if name == "" {
		a.body.SetAttribute("data-teach", "error")
		a.message("teach", "error", "The server has no models to teach: fetch one with 'mobilenet models fetch'.")
		return
	}
	if err := tm.useModel(name, js.Null()); err != nil {
		a.body.SetAttribute("data-teach", "error")
		tm.fail("Could not start teaching on "+name, err)
	}
}

// leave stops the mode's camera when another mode shows.
func (tm *teach) leave() {
	tm.stopCamera()
}

// baseModel picks the model to teach: the page's (?model=, the last one
// used), else a preferred one the server has.
func (tm *teach) baseModel() string {
	a := tm.a
	for range 100 { // the catalog may still be loading
		if len(a.catalog) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cands := []string{a.param("model"), a.current.name, a.stored(storeModel)}
	cands = append(cands, preferredModels()...)
	for _, n := range cands {
		if e := a.entry(n); n != "" && e != nil && e.Available {
			return e.Name
		}
	}
	for _, e := range a.catalog {
		if e.Available {
			return e.Name
		}
	}
	return ""
}

// useModel loads model in a new classifier and starts a teacher on it
// (from a saved state when state is not null); the old ones stay until
// the new ones work.
func (tm *teach) useModel(model string, state js.Value) error {
	a := tm.a
	tm.loading = true
	defer func() { tm.loading = false }()
	a.body.SetAttribute("data-teach", "loading")
	tm.modelBadge.SetTextContent("loading " + model + "…")
	clf, err := call(a.mn, "load", map[string]any{"model": model, "simd": a.useSIMD(), "relaxedSimd": a.useRelaxed()})
	if err != nil {
		tm.modelBadge.SetTextContent(tm.base)
		a.body.SetAttribute("data-teach", tm.readyState())
		return err
	}
	opts := map[string]any{"classes": []any{"Class 1", "Class 2"}}
	if !state.IsNull() {
		opts = map[string]any{"state": state}
	}
	t, err := call(clf, "teacher", opts)
	if err != nil {
		clf.Call("dispose")
		tm.modelBadge.SetTextContent(tm.base)
		a.body.SetAttribute("data-teach", tm.readyState())
		return err
	}
	tm.stopLive()
	if tm.clf.Truthy() {
		tm.clf.Call("dispose")
	}
	tm.clf, tm.t, tm.base = clf, t, model
	tm.thumbs = make([][]string, len(tm.classList()))
	tm.history = nil
	tm.modelBadge.SetTextContent(model)
	tm.render()
	tm.afterTraining()
	a.body.SetAttribute("data-teach", "ready")
	return nil
}

// readyState is body[data-teach] when nothing is going on.
func (tm *teach) readyState() string {
	if tm.t.Truthy() {
		return "ready"
	}
	return "error"
}

// ready reports whether a teacher exists, saying so when not.
func (tm *teach) ready() bool {
	if !tm.t.Truthy() {
		tm.a.message("teach", "info", "The model is still loading.")
		return false
	}
	return true
}

// fail shows an error of the Teach mode.
func (tm *teach) fail(what string, err error) {
	tm.a.message("teach", "error", what+": "+err.Error())
}

// classInfo is a class as the teacher describes it.
type classInfo struct {
	name  string
	count int
}

// classList reads the teacher's classes.
func (tm *teach) classList() []classInfo {
	if !tm.t.Truthy() {
		return nil
	}
	cs := tm.t.Get("info").Get("classes")
	out := make([]classInfo, cs.Length())
	for i := range out {
		c := cs.Index(i)
		out[i] = classInfo{str(c, "name"), c.Get("count").Int()}
	}
	return out
}

// trained reports whether the teacher has a head.
func (tm *teach) trained() bool { return tm.t.Truthy() && tm.t.Get("trained").Bool() }

// render rebuilds the class cards.
func (tm *teach) render() {
	tm.classes.SetInnerHTML("")
	for i, c := range tm.classList() {
		tm.classes.AppendChild(tm.classCard(i, c))
	}
	tm.mainElem.SetAttribute("data-trained", fmt.Sprint(tm.trained()))
	tm.mainElem.SetAttribute("data-classes", fmt.Sprint(len(tm.classList())))
}

// el creates an element with a class and text.
func (tm *teach) el(tag, class, text string) dom.HTMLElement {
	e := tm.a.doc.CreateElement(tag).(dom.HTMLElement)
	if class != "" {
		e.Class().SetString(class)
	}
	if text != "" {
		e.SetTextContent(text)
	}
	return e
}

// countText is a class's example count.
func countText(n int) string {
	if n == 1 {
		return "1 example"
	}
	return fmt.Sprintf("%d examples", n)
}

// classCard builds class i's card: name, count, record, photos, clear,
// delete, thumbnails; photos may be dropped on it.
func (tm *teach) classCard(i int, c classInfo) dom.HTMLElement {
	a := tm.a
	card := tm.el("div", "tclass", "")
	card.SetAttribute("data-class", fmt.Sprint(i))
	card.SetAttribute("data-count", fmt.Sprint(c.count))
	head := tm.el("div", "thead", "")
	name := tm.a.doc.CreateElement("input").(*dom.HTMLInputElement)
	name.Class().SetString("tname")
	name.SetAttribute("aria-label", "Class name")
	name.SetAttribute("maxlength", "80")
	name.SetValue(c.name)
	name.AddEventListener("change", false, func(dom.Event) {
		a.spawn(func() {
			v := strings.TrimSpace(name.Value())
			if v == "" {
				name.SetValue(c.name)
				a.message("teach", "error", "A class needs a name.")
				return
			}
			if _, err := call(tm.t, "renameClass", i, v); err != nil {
				name.SetValue(c.name)
				tm.fail("Could not rename the class", err)
				return
			}
			c.name = v
			tm.refreshDownload()
		})
	})
	count := tm.el("span", "tcount", countText(c.count))
	head.AppendChild(name)
	head.AppendChild(count)
	card.AppendChild(head)

	controls := tm.el("div", "controls", "")
	rec := tm.el("button", "trecord primary", "Hold to record")
	rec.SetAttribute("title", "Hold to record camera frames into this class")
	start := func(e dom.Event) {
		e.PreventDefault()
		if rec.Class().Contains("active") {
			return
		}
		rec.Class().Add("active")
		card.Class().Add("recording")
		tm.recGen++
		gen := tm.recGen
		a.spawn(func() { tm.record(i, gen, card, count) })
	}
	stop := func(dom.Event) {
		if !rec.Class().Contains("active") {
			return
		}
		rec.Class().Remove("active")
		card.Class().Remove("recording")
		tm.recGen++
	}
	rec.AddEventListener("pointerdown", false, start)
	for _, ev := range []string{"pointerup", "pointerleave", "pointercancel", "blur"} {
		rec.AddEventListener(ev, false, stop)
	}
	rec.AddEventListener("keydown", false, func(e dom.Event) {
		k := e.Underlying().Get("key").String()
		if (k == " " || k == "Enter") && !e.Underlying().Get("repeat").Bool() {
			start(e)
		}
	})
	rec.AddEventListener("keyup", false, stop)
	rec.AddEventListener("contextmenu", false, func(e dom.Event) { e.PreventDefault() })
	controls.AppendChild(rec)

	files := tm.el("label", "file button", "Photos…")
	input := tm.a.doc.CreateElement("input").(*dom.HTMLInputElement)
	input.SetAttribute("type", "file")
	input.SetAttribute("accept", "image/*")
	input.SetAttribute("multiple", "")
	input.Class().SetString("tfiles")
	input.AddEventListener("change", false, func(dom.Event) {
		fs := input.Get("files")
		list := make([]js.Value, fs.Length())
		for j := range list {
			list[j] = fs.Index(j)
		}
		input.Set("value", "")
		a.spawn(func() { tm.addFiles(i, list, card, count) })
	})
	files.AppendChild(input)
	controls.AppendChild(files)
	clear := tm.el("button", "tclear", "Clear")
	clear.AddEventListener("click", false, func(dom.Event) {
		a.spawn(func() {
			if _, err := call(tm.t, "clearClass", i); err != nil {
				tm.fail("Could not clear the class", err)
				return
			}
			tm.thumbs[i] = nil
			tm.render()
		})
	})
	controls.AppendChild(clear)
	del := tm.el("button", "tdelete", "Delete")
	del.AddEventListener("click", false, func(dom.Event) {
		a.spawn(func() {
			if _, err := call(tm.t, "deleteClass", i); err != nil {
				tm.fail("Could not delete the class", err)
				return
			}
			tm.thumbs = append(tm.thumbs[:i], tm.thumbs[i+1:]...)
			tm.render()
			tm.afterTraining()
		})
	})
	controls.AppendChild(del)
	card.AppendChild(controls)

	thumbs := tm.el("div", "thumbs", "")
	if i < len(tm.thumbs) {
		for _, u := range tm.thumbs[i] {
			thumbs.AppendChild(tm.thumbImg(u))
		}
	}
	card.AppendChild(thumbs)

	card.AddEventListener("dragover", false, func(e dom.Event) {
		e.PreventDefault()
		e.StopPropagation()
		card.Class().Add("dragging")
	})
	card.AddEventListener("dragleave", false, func(dom.Event) { card.Class().Remove("dragging") })
	card.AddEventListener("drop", false, func(e dom.Event) {
		e.PreventDefault()
		e.StopPropagation()
		card.Class().Remove("dragging")
		dt := e.Underlying().Get("dataTransfer")
		if !dt.Truthy() || dt.Get("files").Length() == 0 {
			a.message("teach", "error", "Nothing to add in what was dropped: drop photos on a class.")
			return
		}
		fs := dt.Get("files")
		list := make([]js.Value, fs.Length())
		for j := range list {
			list[j] = fs.Index(j)
		}
		a.spawn(func() { tm.addFiles(i, list, card, count) })
	})
	return card
}

// thumbImg is a thumbnail element.
func (tm *teach) thumbImg(url string) dom.HTMLElement {
	img := tm.a.doc.CreateElement("img").(dom.HTMLElement)
	img.SetAttribute("src", url)
	img.SetAttribute("alt", "")
	return img
}

// thumbnail draws src (a video, an image bitmap) into a small JPEG.
func (tm *teach) thumbnail(src js.Value) string {
	c := tm.a.doc.CreateElement("canvas").Underlying()
	c.Set("width", thumbW)
	c.Set("height", thumbH)
	ctx := c.Call("getContext", "2d")
	w, h := src.Get("videoWidth"), src.Get("videoHeight")
	if !w.Truthy() {
		w, h = src.Get("width"), src.Get("height")
	}
	// Cover: crop the source to the thumbnail's aspect.
	sw, sh := w.Float(), h.Float()
	cw, ch := sw, sw*thumbH/thumbW
	if ch > sh {
		cw, ch = sh*thumbW/thumbH, sh
	}
	ctx.Call("drawImage", src, (sw-cw)/2, (sh-ch)/2, cw, ch, 0, 0, thumbW, thumbH)
	return c.Call("toDataURL", "image/jpeg", 0.7).String()
}

// added records a new example of class i: its thumbnail and count.
func (tm *teach) added(i int, thumb string, n js.Value, card, count dom.HTMLElement) {
	for len(tm.thumbs) <= i {
		tm.thumbs = append(tm.thumbs, nil)
	}
	tm.thumbs[i] = append(tm.thumbs[i], thumb)
	count.SetTextContent(countText(n.Int()))
	card.SetAttribute("data-count", fmt.Sprint(n.Int()))
	if th := card.QuerySelector(".thumbs"); th != nil {
		th.AppendChild(tm.thumbImg(thumb))
	}
}

// augmentCopies is what the Augment switch adds per example.
func (tm *teach) augmentCopies() int {
	if tm.augment.Get("checked").Bool() {
		return 2
	}
	return 0
}

// record adds camera frames to class i while its button is held.
func (tm *teach) record(i, gen int, card, count dom.HTMLElement) {
	a := tm.a
	if !tm.ready() {
		return
	}
	if !tm.camOn {
		a.message("teach", "info", "Start the camera first, then hold Record.")
		return
	}
	for tm.recGen == gen && tm.camOn {
		if tm.video.Get("readyState").Int() < 2 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		v := tm.video.Underlying()
		thumb := tm.thumbnail(v)
		n, err := call(tm.t, "addExample", i, v, map[string]any{"augment": tm.augmentCopies()})
		if err != nil {
			if codeOf(err) != "input" || !strings.Contains(err.Error(), "no frame") {
				tm.fail("Could not record the frame", err)
				return
			}
			continue
		}
		a.clearMessage("teach")
		tm.added(i, thumb, n, card, count)
		time.Sleep(recordEvery)
	}
}

// addFiles adds photos to class i, one by one; files that are not images
// get a message and the others are still added.
func (tm *teach) addFiles(i int, files []js.Value, card, count dom.HTMLElement) {
	a := tm.a
	if !tm.ready() {
		return
	}
	var bad []string
	for _, f := range files {
		name := str(f, "name")
		if typ := str(f, "type"); typ != "" && !strings.HasPrefix(typ, "image/") {
			bad = append(bad, fmt.Sprintf("%s is not an image (%s)", name, typ))
			continue
		}
		n, err := call(tm.t, "addExample", i, f, map[string]any{"augment": tm.augmentCopies()})
		if err != nil {
			if codeOf(err) == "image" {
				bad = append(bad, name+" is not an image this browser can read")
			} else {
				bad = append(bad, name+": "+err.Error())
			}
			continue
		}
		thumb := ""
		if bmp, err := await(js.Global().Call("createImageBitmap", f)); err == nil {
			thumb = tm.thumbnail(bmp)
			bmp.Call("close")
		}
		tm.added(i, thumb, n, card, count)
	}
	if len(bad) > 0 {
		a.message("teach", "error", strings.Join(bad, "; ")+". Use photos (JPEG, PNG, WebP, GIF, BMP).")
	} else {
		a.clearMessage("teach")
	}
}

// train trains the head with a live plot; Cancel aborts it and keeps the
// previous head.
func (tm *teach) train() {
	a := tm.a
	if !tm.ready() || tm.training {
		return
	}
	tm.training = true
	tm.abort = js.Global().Get("AbortController").New()
	tm.trainBtn.SetDisabled(true)
	tm.cancelBtn.SetDisabled(false)
	a.body.SetAttribute("data-teach", "training")
	tm.history = nil
	tm.progress.SetValue(0)
	tm.status.SetTextContent("Training…")
	maxEpochs := 300.0
	progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
		p := args[0]
		tm.history = append(tm.history, trainPoint{num(p, "loss"), num(p, "trainAcc"), num(p, "valAcc")})
		ep := num(p, "epoch")
		tm.progress.SetValue(min(ep/maxEpochs, 0.99))
		if t := now(); t-tm.lastPlot > 100 || boolean(p, "done") {
			tm.lastPlot = t
			tm.drawPlot()
			tm.status.SetTextContent(fmt.Sprintf("Epoch %d (%s): loss %.3f, accuracy %s", int(ep), str(p, "phase"), num(p, "loss"), accText(num(p, "trainAcc"), num(p, "valAcc"))))
		}
		return nil
	})
	defer progress.Release()
	r, err := call(tm.t, "train", map[string]any{"onProgress": progress, "signal": tm.abort.Get("signal"), "seed": 1})
	tm.training = false
	tm.abort = js.Undefined()
	tm.trainBtn.SetDisabled(false)
	tm.cancelBtn.SetDisabled(true)
	a.body.SetAttribute("data-teach", "ready")
	tm.drawPlot()
	if err != nil {
		tm.progress.SetValue(0)
		if codeOf(err) == "aborted" {
			msg := "Training cancelled."
			if tm.trained() {
				msg += " The previous training is still in use."
			}
			tm.status.SetTextContent(msg)
			a.message("teach", "info", msg)
		} else {
			tm.status.SetTextContent("Not trained.")
			tm.fail("Could not train", err)
		}
		tm.mainElem.SetAttribute("data-cancelled", fmt.Sprint(codeOf(err) == "aborted"))
		return
	}
	a.clearMessage("teach")
	tm.progress.SetValue(1)
	eps := r.Get("epochs")
	last := eps.Index(eps.Length() - 1)
	// The held-out accuracy is early stopping's: the refit and
	// quantization-aware epochs that follow train on those examples too.
	held := -1.0
	for i := range eps.Length() {
		if e := eps.Index(i); str(e, "phase") == "float" && e.Get("best").Truthy() {
			held = num(e, "valAcc")
		}
	}
	tm.status.SetTextContent(fmt.Sprintf("Trained in %d epochs: loss %.3f, accuracy %s.", eps.Length(), num(last, "loss"), accText(num(last, "trainAcc"), held)))
	tm.afterTraining()
}

// accText formats training and validation accuracies.
func accText(train, val float64) string {
	s := fmt.Sprintf("%.0f%% on the examples", 100*train)
	if val >= 0 {
		s += fmt.Sprintf(", %.0f%% held out", 100*val)
	}
	return s
}

// afterTraining updates what depends on the head: the download, the live
// view.
func (tm *teach) afterTraining() {
	tm.mainElem.SetAttribute("data-trained", fmt.Sprint(tm.trained()))
	tm.refreshDownload()
	if tm.trained() {
		tm.liveNote.SetTextContent("Start the camera to classify it into your classes.")
		if tm.camOn {
			tm.liveNote.SetTextContent("")
		}
	} else {
		tm.top.SetInnerHTML("")
		tm.liveNote.SetTextContent("Train to see the camera classified into your classes.")
	}
}

// drawPlot draws the loss and accuracies of the epochs so far.
func (tm *teach) drawPlot() {
	const w, h, pad = 360.0, 150.0, 6.0
	if len(tm.history) == 0 {
		tm.plot.SetInnerHTML("")
		return
	}
	maxLoss := 0.0
	for _, p := range tm.history {
		maxLoss = max(maxLoss, p.loss)
	}
	maxLoss = max(maxLoss, 1e-6)
	n := float64(max(len(tm.history)-1, 1))
	line := func(v func(trainPoint) float64) string {
		var b strings.Builder
		for i, p := range tm.history {
			y := v(p)
			if y < 0 {
				continue
			}
			fmt.Fprintf(&b, "%.1f,%.1f ", pad+(w-2*pad)*float64(i)/n, h-pad-(h-2*pad-14)*y)
		}
		return b.String()
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg viewBox="0 0 %g %g" role="img" aria-label="Training loss and accuracy per epoch">`, w, h)
	fmt.Fprintf(&s, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#dde1e7"/>`, pad, pad+14, w-2*pad, h-2*pad-14)
	fmt.Fprintf(&s, `<polyline class="loss" points="%s"/>`, line(func(p trainPoint) float64 { return p.loss / maxLoss }))
	fmt.Fprintf(&s, `<polyline class="train" points="%s"/>`, line(func(p trainPoint) float64 { return p.trainAcc }))
	fmt.Fprintf(&s, `<polyline class="val" points="%s"/>`, line(func(p trainPoint) float64 { return p.valAcc }))
	fmt.Fprintf(&s, `<text class="legend" x="%g" y="12"><tspan fill="#e8590c">— loss (max %.2f)</tspan> <tspan fill="#1f6feb">— accuracy</tspan> <tspan fill="#2f9e44">- - held out</tspan> · %d epochs</text>`, pad, maxLoss, len(tm.history))
	s.WriteString(`</svg>`)
	tm.plot.SetInnerHTML(s.String())
	tm.plot.SetAttribute("data-epochs", fmt.Sprint(len(tm.history)))
}

// refreshDownload exports the model into the download link (hidden
// before training).
func (tm *teach) refreshDownload() {
	if tm.dlURL != "" {
		js.Global().Get("URL").Call("revokeObjectURL", tm.dlURL)
		tm.dlURL = ""
	}
	if !tm.trained() {
		show(tm.download, false)
		return
	}
	name := strings.TrimSpace(tm.projectName.Value())
	if name == "" {
		name = "classes"
	}
	b, err := call(tm.t, "exportModel", map[string]any{"name": name})
	if err != nil {
		show(tm.download, false)
		tm.fail("Could not export the model", err)
		return
	}
	blob := js.Global().Get("Blob").New([]any{b}, map[string]any{"type": "application/octet-stream"})
	tm.dlURL = js.Global().Get("URL").Call("createObjectURL", blob).String()
	tm.download.SetHref(tm.dlURL)
	tm.download.SetAttribute("download", fileName(name)+".tflite")
	tm.download.SetAttribute("data-bytes", fmt.Sprint(b.Get("byteLength").Int()))
	show(tm.download, true)
}

// fileName turns a project name into a file name.
func fileName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('-')
		}
	}
	if b.Len() == 0 {
		return "classes"
	}
	return b.String()
}

// startCamera starts the Teach mode's camera and its live loop.
func (tm *teach) startCamera() {
	a := tm.a
	tm.stopCamera()
	stream, ok := a.openCamera("teach", "Add photos instead.", tm.camStart)
	if !ok {
		return
	}
	tm.camGen++
	gen := tm.camGen
	tm.stream, tm.camOn = stream, true
	tm.video.Set("srcObject", stream)
	show(tm.video, true)
	show(tm.placeholder, false)
	call(tm.video.Underlying(), "play")
	tm.camStop.SetDisabled(false)
	tm.a.body.SetAttribute("data-teach-camera", "on")
	if tm.trained() {
		tm.liveNote.SetTextContent("")
	}
	a.spawn(func() { tm.live(gen) })
}

// stopCamera stops the camera, a recording and the live loop.
func (tm *teach) stopCamera() {
	tm.camGen++
	tm.recGen++
	tm.camOn = false
	if tm.stream.Truthy() {
		tracks := tm.stream.Call("getTracks")
		for i := 0; i < tracks.Length(); i++ {
			tracks.Index(i).Call("stop")
		}
	}
	tm.stream = js.Undefined()
	tm.video.Set("srcObject", js.Null())
	show(tm.video, false)
	show(tm.placeholder, true)
	tm.camStop.SetDisabled(true)
	tm.a.body.SetAttribute("data-teach-camera", "off")
}

// stopLive ends the live loop (the camera stays).
func (tm *teach) stopLive() { tm.top.SetInnerHTML("") }

// live classifies camera frames with the trained head while the camera
// runs.
func (tm *teach) live(gen int) {
	for tm.camOn && tm.camGen == gen {
		nextFrame()
		if !tm.trained() || tm.video.Get("readyState").Int() < 2 {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		t := tm.t
		preds, err := call(t, "classify", tm.video.Underlying(), map[string]any{"topK": 5})
		if tm.camGen != gen || !t.Equal(tm.t) {
			continue
		}
		if err != nil {
			if codeOf(err) != "input" && codeOf(err) != "disposed" {
				tm.fail("Could not classify the camera frame", err)
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		tm.renderLive(preds)
		time.Sleep(30 * time.Millisecond) // leave the worker to recording and training
	}
}

// renderLive shows the head's classes for the last frame.
func (tm *teach) renderLive(preds js.Value) {
	tm.top.SetInnerHTML("")
	for i := 0; i < preds.Length(); i++ {
		p := preds.Index(i)
		score := num(p, "score")
		li := tm.el("li", "", "")
		li.SetAttribute("data-index", fmt.Sprint(p.Get("index").Int()))
		li.SetAttribute("data-label", str(p, "label"))
		li.SetAttribute("data-score", fmt.Sprint(score))
		li.AppendChild(tm.el("span", "label", str(p, "label")))
		bar := tm.el("span", "bar", "")
		fill := tm.el("span", "fill", "")
		fill.Style().SetProperty("width", fmt.Sprintf("%.1f%%", 100*min(max(score, 0), 1)), "")
		bar.AppendChild(fill)
		li.AppendChild(bar)
		li.AppendChild(tm.el("span", "score", formatPercent(score)))
		tm.top.AppendChild(li)
	}
	tm.liveSeq++
	live := tm.a.doc.GetElementByID("teach-live")
	live.SetAttribute("data-seq", fmt.Sprint(tm.liveSeq))
	if preds.Length() > 0 {
		live.SetAttribute("data-top", str(preds.Index(0), "label"))
	}
}

// save stores the project in IndexedDB.
func (tm *teach) save() {
	a := tm.a
	if !tm.ready() {
		return
	}
	name := strings.TrimSpace(tm.projectName.Value())
	if name == "" {
		a.message("teach", "error", "Give the project a name to save it.")
		return
	}
	state, err := call(tm.t, "save")
	if err != nil {
		tm.fail("Could not save the project", err)
		return
	}
	thumbs := make([]any, len(tm.thumbs))
	for i, ts := range tm.thumbs {
		l := make([]any, len(ts))
		for j, u := range ts {
			l[j] = u
		}
		thumbs[i] = l
	}
	rec := map[string]any{"name": name, "model": tm.base, "state": state, "thumbs": thumbs}
	if _, err := call(tm.store, "saveProject", rec); err != nil {
		tm.fail("Could not save the project in this browser", err)
		return
	}
	a.store(storeProject, name)
	a.message("teach", "info", fmt.Sprintf("Saved %q in this browser.", name))
	tm.listProjects()
	a.body.SetAttribute("data-teach-saved", name)
}

// listProjects fills the saved projects' list.
func (tm *teach) listProjects() {
	ps, err := call(tm.store, "listProjects")
	if err != nil {
		return
	}
	sel := tm.projects
	keep := sel.Value()
	if keep == "" {
		keep = tm.a.stored(storeProject)
	}
	sel.SetInnerHTML(`<option value="">Saved projects…</option>`)
	for i := 0; i < ps.Length(); i++ {
		p := ps.Index(i)
		o := tm.a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue(str(p, "name"))
		o.SetTextContent(fmt.Sprintf("%s (%s)", str(p, "name"), str(p, "model")))
		sel.AppendChild(o)
	}
	sel.SetValue(keep)
	if sel.Value() != keep {
		sel.SetValue("")
	}
}

// open reopens a saved project: its model, classes, examples, head and
// thumbnails. A damaged project changes nothing.
func (tm *teach) open(name string) {
	a := tm.a
	if name == "" {
		a.message("teach", "info", "Choose a saved project to open.")
		return
	}
	for tm.loading {
		time.Sleep(50 * time.Millisecond)
	}
	rec, err := call(tm.store, "loadProject", name)
	if err == nil && !rec.Truthy() {
		err = fmt.Errorf("there is no project named %q in this browser", name)
	}
	if err != nil {
		tm.fail("Could not open the project", err)
		return
	}
	state := rec.Get("state")
	if !state.Truthy() || state.Get("byteLength").Type() != js.TypeNumber {
		a.message("teach", "error", fmt.Sprintf("Could not open the project %q: it is damaged (no saved state). Nothing was changed.", name))
		return
	}
	model := str(rec, "model")
	if model == "" {
		model = a.mn.Call("projectModel", state).String()
	}
	if model == "" {
		model = tm.base
	}
	if model == tm.base && tm.t.Truthy() {
		if _, err := call(tm.t, "restore", state); err != nil {
			tm.fail(fmt.Sprintf("Could not open the project %q (nothing was changed)", name), err)
			return
		}
	} else if err := tm.useModel(model, state); err != nil {
		tm.fail(fmt.Sprintf("Could not open the project %q (nothing was changed)", name), err)
		return
	}
	n := len(tm.classList())
	tm.thumbs = make([][]string, n)
	if th := rec.Get("thumbs"); th.Type() == js.TypeObject {
		for i := 0; i < min(n, th.Length()); i++ {
			l := th.Index(i)
			if l.Type() != js.TypeObject {
				continue
			}
			for j := 0; j < l.Length(); j++ {
				if u := l.Index(j); u.Type() == js.TypeString && strings.HasPrefix(u.String(), "data:image/") {
					tm.thumbs[i] = append(tm.thumbs[i], u.String())
				}
			}
		}
	}
	tm.history = nil
	tm.drawPlot()
	tm.projectName.SetValue(name)
	a.store(storeProject, name)
	tm.render()
	tm.afterTraining()
	status := "Opened; not trained yet."
	if tm.trained() {
		status = "Opened with its trained head."
	}
	tm.status.SetTextContent(status)
	a.message("teach", "info", fmt.Sprintf("Opened %q.", name))
	a.body.SetAttribute("data-teach-opened", name)
}

// deleteProject deletes the chosen saved project.
func (tm *teach) deleteProject() {
	name := tm.projects.Value()
	if name == "" {
		tm.a.message("teach", "info", "Choose a saved project to delete.")
		return
	}
	if _, err := call(tm.store, "deleteProject", name); err != nil {
		tm.fail("Could not delete the project", err)
		return
	}
	tm.projects.SetValue("")
	tm.listProjects()
	tm.a.message("teach", "info", fmt.Sprintf("Deleted %q from this browser.", name))
}
