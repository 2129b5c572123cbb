//go:build js && wasm

package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"

	"mobilenet-wasm/internal/plot"
)

// app is the page: its elements and state. Everything runs on the
// browser's one thread; goroutines interleave only where they wait (a
// promise, a frame, a timer), so plain fields suffice.
type app struct {
	win dom.Window
	// modes are the page's modes and mode the one showing (modes_js.go).
	modes map[string]pageMode
	mode  string
	doc   dom.Document
	mn    js.Value // globalThis.mobilenet (site/mobilenet.js)

	body, placeholder, top5, results, messages            dom.HTMLElement
	statMs, statFps, statSrc, modelBadge, simdBadge       dom.HTMLElement
	catalogBody, plot, download, downloadText, benchState dom.HTMLElement
	video                                                 *dom.HTMLVideoElement
	photo                                                 *dom.HTMLImageElement
	downloadBar                                           *dom.HTMLProgressElement
	camStart, camStop, benchAll, clearCache               *dom.HTMLButtonElement
	camFreeze, snapshot                                   *dom.HTMLButtonElement
	camSelect, modelPick, topKSelect, threshold           *dom.HTMLSelectElement
	fileInput, simdToggle, showBg, imageURL               *dom.HTMLInputElement
	crop, pickInfo, resultsTitle, stage                   dom.HTMLElement

	simdSupported bool
	catalog       []*entry
	labelsURL     string // imagenet_labels.txt on the server, for dropped models

	clf     js.Value // the current Classifier, or undefined
	current loadSpec // what clf was loaded from, to reload it
	loadSeq int      // the newest load wins

	photoFile js.Value // the photo on show (a File), reclassified after a model change
	photoURL  string

	cam          camera
	last         shown // the result on show, re-rendered when the options change
	fps          fpsMeter
	seq          int                // results rendered, for tests and screen readers
	latency      map[string]float64 // "name|simd" or "name|portable" -> median ms
	benchmarking bool
}

// shown is a classification on show: all the classes the engine returned
// (the options pick which to list), its timing and its source.
type shown struct {
	preds, timing js.Value
	source        string
}

// maxShown is the most results the options offer; classify asks for one
// more, in case "background" is hidden.
const maxShown = 10

// loadSpec is what a classifier is loaded from: a catalog model by name,
// or a dropped file.
type loadSpec struct {
	name string   // catalog name, or the file's name
	file js.Value // the dropped .tflite, or undefined
	// auto says why the page picked this model on its own (a slow
	// connection), '' for the user's choice; an automatic choice is not
	// remembered for the next visit.
	auto string
}

// Storage keys (localStorage).
const (
	storeModel   = "mobilenet.model"
	storeLatency = "mobilenet.latency.v1"
)

func newApp() *app {
	win := dom.GetWindow()
	a := &app{win: win, doc: win.Document(), mn: js.Global().Get("mobilenet"), clf: js.Undefined(), photoFile: js.Undefined(), latency: map[string]float64{}}
	a.fps.window = 2000
	h := func(id string) dom.HTMLElement {
		e := a.doc.GetElementByID(id)
		if e == nil {
			panic("index.html has no #" + id)
		}
		return e.(dom.HTMLElement)
	}
	a.body = a.doc.(dom.HTMLDocument).Body()
	a.placeholder, a.top5, a.results, a.messages = h("placeholder"), h("top5"), h("results"), h("messages")
	a.statMs, a.statFps, a.statSrc, a.modelBadge, a.simdBadge = h("stat-ms"), h("stat-fps"), h("stat-src"), h("model-badge"), h("simd-badge")
	a.catalogBody, a.plot, a.download, a.downloadText, a.benchState = h("catalog-body"), h("plot"), h("download"), h("download-text"), h("bench-state")
	a.video = h("video").(*dom.HTMLVideoElement)
	a.photo = h("photo").(*dom.HTMLImageElement)
	a.downloadBar = h("download-bar").(*dom.HTMLProgressElement)
	a.camStart, a.camStop = h("cam-start").(*dom.HTMLButtonElement), h("cam-stop").(*dom.HTMLButtonElement)
	a.benchAll, a.clearCache = h("bench-all").(*dom.HTMLButtonElement), h("clear-cache").(*dom.HTMLButtonElement)
	a.camSelect = h("cam-select").(*dom.HTMLSelectElement)
	a.fileInput, a.simdToggle = h("file").(*dom.HTMLInputElement), h("simd-toggle").(*dom.HTMLInputElement)
	a.camFreeze, a.snapshot = h("cam-freeze").(*dom.HTMLButtonElement), h("snapshot").(*dom.HTMLButtonElement)
	a.modelPick, a.topKSelect, a.threshold = h("model-pick").(*dom.HTMLSelectElement), h("top-k").(*dom.HTMLSelectElement), h("threshold").(*dom.HTMLSelectElement)
	a.showBg, a.imageURL = h("show-bg").(*dom.HTMLInputElement), h("image-url").(*dom.HTMLInputElement)
	a.crop, a.pickInfo, a.resultsTitle, a.stage = h("crop"), h("model-pick-info"), h("results-title"), h("stage")
	a.last = shown{preds: js.Undefined(), timing: js.Undefined()}
	return a
}

// param is a query parameter of the page's URL.
func (a *app) param(key string) string {
	q := js.Global().Get("URLSearchParams").New(a.win.Location().Search())
	v := q.Call("get", key)
	if v.IsNull() {
		return ""
	}
	return v.String()
}

func (a *app) storage() js.Value { return js.Global().Get("localStorage") }

func (a *app) stored(key string) string {
	defer func() { recover() }() // storage disabled
	v := a.storage().Call("getItem", key)
	if v.IsNull() {
		return ""
	}
	return v.String()
}

func (a *app) store(key, value string) {
	defer func() { recover() }()
	a.storage().Call("setItem", key, value)
}

// start wires the page and loads the catalog and the first model.
func (a *app) start() {
	a.simdSupported = a.mn.Call("simdSupported").Bool()
	useSIMD := a.simdSupported && a.param("simd") != "0"
	a.simdToggle.Set("checked", useSIMD)
	a.simdToggle.SetDisabled(!a.simdSupported)
	if !a.simdSupported {
		a.message("simd", "warn", "This browser has no WebAssembly SIMD: the engine runs its portable kernels, several times slower. A current Chrome, Edge, Firefox or Safari has SIMD.")
		a.simdBadge.SetTextContent("no wasm SIMD")
		a.simdBadge.Class().Add("bad")
	}
	a.loadLatency()
	a.wireModes()
	a.wire()
	pending := js.Global().Get("mobilenetBoot").Call("takeOver")
	a.spawn(a.startTeach) // the Teach mode (teach_js.go)
	a.body.SetAttribute("data-state", "loading")
	a.spawn(func() {
		a.loadCatalog()
		a.loadFirstModel()
		a.resume(pending)
	})
	a.spawn(a.countCameras)
}

// wire attaches the event handlers. Handlers that wait start a goroutine.
func (a *app) wire() {
	a.camStart.AddEventListener("click", false, func(dom.Event) { a.spawn(a.startCamera) })
	a.camStop.AddEventListener("click", false, func(dom.Event) { a.stopCameraByUser() })
	a.camFreeze.AddEventListener("click", false, func(dom.Event) { a.toggleFreeze() })
	a.snapshot.AddEventListener("click", false, func(dom.Event) { a.spawn(a.saveFrame) })
	a.modelPick.AddEventListener("change", false, func(dom.Event) {
		if e := a.entry(a.modelPick.Value()); e != nil && e.Available && e.Name != a.current.name {
			a.spawn(func() { a.loadModel(loadSpec{name: e.Name, file: js.Undefined()}) })
		}
	})
	for _, el := range []dom.Element{a.topKSelect, a.threshold, a.showBg} {
		el.AddEventListener("change", false, func(dom.Event) { a.renderTop() })
	}
	a.doc.GetElementByID("url-form").AddEventListener("submit", false, func(e dom.Event) {
		e.PreventDefault()
		u := strings.TrimSpace(a.imageURL.Value())
		if u != "" {
			a.spawn(func() { a.classifyURL(u) })
		}
	})
	a.doc.AddEventListener("paste", false, func(e dom.Event) { a.paste(e) })
	a.doc.AddEventListener("keydown", false, func(e dom.Event) { a.key(e) })
	a.win.AddEventListener("resize", false, func(dom.Event) { a.updateCrop() })
	a.photo.AddEventListener("load", false, func(dom.Event) { a.updateCrop() })
	a.video.AddEventListener("loadedmetadata", false, func(dom.Event) { a.updateCrop() })
	a.camSelect.AddEventListener("change", false, func(dom.Event) {
		if a.cam.running {
			a.spawn(a.startCamera)
		}
	})
	takeFile := func() {
		files := a.fileInput.Get("files")
		if files.Length() > 0 {
			f := files.Index(0)
			a.spawn(func() { a.handleFile(f) })
		}
		a.fileInput.Set("value", "")
	}
	a.fileInput.AddEventListener("change", false, func(dom.Event) { takeFile() })
	a.simdToggle.AddEventListener("change", false, func(dom.Event) {
		a.spawn(a.reload)
	})
	a.benchAll.AddEventListener("click", false, func(dom.Event) { a.spawn(a.benchmarkAll) })
	a.clearCache.AddEventListener("click", false, func(dom.Event) {
		a.spawn(func() {
			if _, err := call(a.mn, "clearCache"); err != nil {
				a.message("cache", "error", "Could not clear the model cache: "+err.Error())
				return
			}
			a.message("cache", "info", "Downloaded models deleted from this browser's cache.")
			a.refreshCached()
		})
	})

	// Drag and drop anywhere on the page: a photo or a .tflite model.
	d := a.doc
	d.AddEventListener("dragover", false, func(e dom.Event) {
		e.PreventDefault()
		a.body.Class().Add("dragging")
	})
	d.AddEventListener("dragleave", false, func(e dom.Event) {
		if e.Underlying().Get("relatedTarget").IsNull() {
			a.body.Class().Remove("dragging")
		}
	})
	d.AddEventListener("drop", false, func(e dom.Event) {
		e.PreventDefault()
		a.body.Class().Remove("dragging")
		dt := e.Underlying().Get("dataTransfer")
		if dt.IsNull() || dt.IsUndefined() || dt.Get("files").Length() == 0 {
			a.message("file", "error", "Nothing to use in what was dropped: drop a photo or a .tflite file.")
			return
		}
		f := dt.Get("files").Index(0)
		a.spawn(func() { a.handleFile(f) })
	})
}

// spawn runs fn on its own goroutine (event handlers must not wait), and
// turns a panic (a bug) into a message instead of stopping the whole UI.
func (a *app) spawn(fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				js.Global().Get("console").Call("error", fmt.Sprintf("ui: internal error: %v", r))
				a.message("internal", "error", fmt.Sprintf("Internal error (a bug; please report it): %v", r))
			}
		}()
		fn()
	}()
}

// message shows a message; one per key (a new one replaces the old). kind
// is "error", "warn" or "info".
func (a *app) message(key, kind, text string) {
	a.clearMessage(key)
	m := a.doc.CreateElement("div").(dom.HTMLElement)
	m.Class().SetString("msg " + kind)
	m.SetAttribute("data-key", key)
	m.SetAttribute("data-kind", kind)
	m.SetAttribute("role", map[bool]string{true: "alert", false: "status"}[kind == "error"])
	t := a.doc.CreateElement("span")
	t.SetTextContent(text)
	m.AppendChild(t)
	x := a.doc.CreateElement("button").(*dom.HTMLButtonElement)
	x.Class().SetString("close")
	x.SetAttribute("aria-label", "Dismiss")
	x.SetTextContent("×")
	x.AddEventListener("click", false, func(dom.Event) { m.Remove() })
	m.AppendChild(x)
	a.messages.AppendChild(m)
}

func (a *app) clearMessage(key string) {
	for _, m := range a.messages.QuerySelectorAll(fmt.Sprintf(`[data-key="%s"]`, key)) {
		m.Remove()
	}
}

func show(e dom.Element, on bool) {
	if on {
		e.RemoveAttribute("hidden")
	} else {
		e.SetAttribute("hidden", "")
	}
}

// useSIMD is the SIMD switch's state.
func (a *app) useSIMD() bool { return a.simdToggle.Get("checked").Bool() }

// useRelaxed is the load option relaxedSimd: true when the page's address
// says ?relaxed=1 (simd-relaxed.wasm where the browser has relaxed SIMD),
// false for ?relaxed=0, else undefined (the loader's default).
func (a *app) useRelaxed() any {
	switch a.param("relaxed") {
	case "1":
		return true
	case "0":
		return false
	}
	return js.Undefined()
}

// loadFirstModel adopts the model boot.js started loading before the UI
// ran (site/boot.js firstModel picks it: ?model=, else the last visit's,
// else a preferred one the server has).
func (a *app) loadFirstModel() {
	if n := a.param("model"); n != "" {
		if e := a.entry(n); e == nil || !e.Available {
			a.message("param", "warn", fmt.Sprintf("The model %s (from the page's address) is not on this server: 'mobilenet models fetch %s' adds it.", n, n))
		}
	}
	boot := js.Global().Get("mobilenetBoot")
	first, err := await(boot.Get("first"))
	if err == nil && first.Truthy() {
		name := str(first, "name")
		spec := loadSpec{name: name, file: js.Undefined(), auto: str(first, "reason")}
		progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
			if len(args) > 1 {
				a.progress(args[0].String(), args[1])
			}
			return nil
		})
		boot.Set("onProgress", progress)
		if last := boot.Get("lastProgress"); last.Truthy() {
			a.progress(str(last, "name"), last.Get("p"))
		}
		a.loadSeq++
		seq := a.loadSeq
		a.modelBadge.SetTextContent("loading " + name + "…")
		clf, err := await(first.Get("classifier"))
		boot.Set("onProgress", js.Null())
		progress.Release()
		show(a.download, false)
		switch {
		case seq != a.loadSeq: // the user chose another model meanwhile
			if err == nil {
				clf.Call("dispose")
			}
		case err != nil:
			a.modelBadge.SetTextContent("no model")
			a.body.SetAttribute("data-state", "no-model")
			a.messageDetail("model", "error", modelErrorText(name, err.Error()), err.Error())
		default:
			a.adopt(spec, clf, map[string]any{"simd": a.useSIMD(), "name": name, "model": name}) // boot.js said why when spec.auto
		}
		return
	}
	a.body.SetAttribute("data-state", "no-model")
	a.modelBadge.SetTextContent("no model")
	show(a.download, false)
	if err != nil {
		a.message("model", "error", "No model catalog from the server: "+err.Error())
		return
	}
	a.message("model", "info", "The server has no models yet: fetch some with 'mobilenet models fetch', or drop any .tflite classifier on this page.")
}

// resume does what the user asked for before the UI ran, which boot.js
// kept (site/boot.js takeOver: {file, url} or {camera: true}), unless
// they have asked for something else since: a photo boot.js showed (and
// classified) is taken up as if chosen here, and classified again.
func (a *app) resume(pending js.Value) {
	a.clearMessage("boot-camera")
	if !pending.Truthy() || a.photoFile.Truthy() || a.cam.running {
		return
	}
	if f := pending.Get("file"); f.Truthy() {
		if u := pending.Get("url"); u.Truthy() {
			a.photoURL = u.String() // boot.js's, on show: revoked when replaced
		}
		a.handleFile(f)
	} else if pending.Get("camera").Truthy() {
		a.startCamera()
	}
}

// reload loads the current model again (after the SIMD switch changed).
func (a *app) reload() {
	if a.current.name != "" {
		a.loadModel(a.current)
	}
}

// restartEngine replaces a classifier whose worker died (code "crash": an
// error the worker did not catch, or the browser ended it) by a new one of
// the same model, and says so: the page goes on instead of showing a
// frozen frame. It reports whether the page has a working classifier.
func (a *app) restartEngine(dead js.Value) bool {
	if !a.clf.Equal(dead) {
		return a.clf.Truthy() // another call restarted it already
	}
	a.message("engine", "error", "The engine stopped unexpectedly (out of memory, or ended by the browser) and was restarted with "+a.current.name+".")
	return a.loadModel(a.current)
}

// loadModel loads a catalog model or a dropped file into a new classifier,
// which replaces the current one on success. On failure the current one
// stays.
func (a *app) loadModel(spec loadSpec) bool {
	opts := map[string]any{"simd": a.useSIMD(), "name": spec.name}
	dropped := !spec.file.IsUndefined()
	if dropped {
		opts["model"] = spec.file
	} else {
		opts["model"] = spec.name
	}
	clf, err := a.loadClassifier(spec.name, opts)
	if err != nil {
		text := modelErrorText(spec.name, err.Error())
		if a.clf.Truthy() {
			text += " The page keeps using " + a.current.name + "."
		}
		a.messageDetail("model", "error", text, err.Error())
		if !a.clf.Truthy() {
			a.body.SetAttribute("data-state", "no-model")
		}
		return false
	}
	if clf.IsUndefined() {
		return false // superseded by a newer load
	}
	a.adopt(spec, clf, opts)
	return true
}

// adopt makes a loaded classifier the current one.
func (a *app) adopt(spec loadSpec, clf js.Value, opts map[string]any) {
	dropped := !spec.file.IsUndefined()
	// A dropped model without labels gets the ImageNet labels when its
	// classes are ImageNet's.
	info := clf.Get("info")
	if dropped && info.Get("labels").Type() != js.TypeObject && a.labelsURL != "" {
		if n := info.Get("classes").Int(); n == 1000 || n == 1001 {
			opts["labelsUrl"] = a.labelsURL
			if c2, err := a.loadClassifier(spec.name, opts); err == nil && !c2.IsUndefined() {
				clf.Call("dispose")
				clf, info = c2, c2.Get("info")
			}
		}
	}
	if a.clf.Truthy() {
		a.clf.Call("dispose")
	}
	a.clf, a.current = clf, spec
	a.clearMessage("model")
	if !dropped && spec.auto == "" {
		a.store(storeModel, spec.name)
	}
	if spec.auto == "" {
		a.clearMessage("first-model")
	}
	a.showModel(info)
	a.body.SetAttribute("data-model", spec.name)
	a.body.SetAttribute("data-state", "ready")
	a.markCurrent()
	a.refreshCached()
	a.spawn(func() {
		// The first prediction goes first: timing runs hold the worker
		// for up to 1.5 s.
		for start := now(); a.seq == 0 && now()-start < 3000; {
			time.Sleep(100 * time.Millisecond)
		}
		a.measure(clf, spec.name)
	})
	if !a.cam.running && a.photoFile.Truthy() {
		a.spawn(a.classifyPhoto)
	}
}

// loadClassifier runs mobilenet.load with a progress bar. It returns
// undefined (and no error) when a newer load started meanwhile.
func (a *app) loadClassifier(name string, opts map[string]any) (js.Value, error) {
	a.loadSeq++
	seq := a.loadSeq
	progress := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 {
			a.progress(name, args[0])
		}
		return nil
	})
	defer progress.Release()
	opts["onProgress"] = progress
	opts["relaxedSimd"] = a.useRelaxed()
	opts["engine"] = js.Global().Get("mobilenetBoot").Get("engine") // as the first model's (site/boot.js)
	if ms, err := strconv.Atoi(a.param("watchdog")); err == nil && ms >= 0 {
		opts["watchdogMs"] = ms // ?watchdog=MS: the JS API's watchdogMs
	}
	a.modelBadge.SetTextContent("loading " + name + "…")
	a.downloadText.SetTextContent("Loading " + name + "…")
	a.downloadBar.RemoveAttribute("value")
	show(a.download, true)
	clf, err := call(a.mn, "load", opts)
	show(a.download, false)
	if seq != a.loadSeq {
		if err == nil {
			clf.Call("dispose")
		}
		return js.Undefined(), nil
	}
	if err != nil {
		// The previous model, if any, is still loaded: show it again.
		if a.clf.Truthy() {
			a.showModel(a.clf.Get("info"))
		} else {
			a.modelBadge.SetTextContent("no model")
		}
		a.markCurrent()
		return js.Undefined(), err
	}
	return clf, nil
}

// progress shows a download's progress.
func (a *app) progress(name string, p js.Value) {
	loaded, total := num(p, "loaded"), num(p, "total")
	show(a.download, true)
	switch {
	case boolean(p, "cached"):
		a.downloadBar.SetMax(1)
		a.downloadBar.SetValue(1)
		a.downloadText.SetTextContent(fmt.Sprintf("%s: %s from this browser's cache; starting…", name, formatBytes(loaded)))
	case boolean(p, "done"):
		a.downloadBar.RemoveAttribute("value")
		a.downloadText.SetTextContent(fmt.Sprintf("%s: %s downloaded; starting…", name, formatBytes(loaded)))
	case total > 0:
		a.downloadBar.SetMax(total)
		a.downloadBar.SetValue(loaded)
		a.downloadText.SetTextContent(fmt.Sprintf("Downloading %s: %s of %s", name, formatBytes(loaded), formatBytes(total)))
	default:
		a.downloadBar.RemoveAttribute("value") // indeterminate
		a.downloadText.SetTextContent(fmt.Sprintf("Downloading %s: %s", name, formatBytes(loaded)))
	}
}

// showModel fills the badges from the classifier's info.
func (a *app) showModel(info js.Value) {
	name := str(info, "name")
	in := info.Get("input")
	a.modelBadge.SetTextContent(fmt.Sprintf("%s · %dpx · %s", name, info.Get("input_size").Int(), str(in, "dtype")))
	switch {
	case boolean(info, "simd"):
		a.simdBadge.SetTextContent("wasm SIMD")
		if boolean(info, "relaxedSimd") {
			a.simdBadge.SetTextContent("wasm SIMD (relaxed)")
		}
		a.simdBadge.Class().Remove("bad")
		a.simdBadge.SetTitle(fmt.Sprintf("The engine runs the SIMD kernels (%s).", str(info, "kernels")))
	case a.simdSupported:
		a.simdBadge.SetTextContent("portable kernels")
		a.simdBadge.SetTitle(str(info, "simdReason"))
	}
	a.simdBadge.SetAttribute("data-simd", fmt.Sprint(boolean(info, "simd")))
}

// latencyKey names a latency record: the model and the kernels it ran.
func latencyKey(name string, simd bool) string {
	if simd {
		return name + "|simd"
	}
	return name + "|portable"
}

// measure times the classifier inside its worker and records the median.
func (a *app) measure(clf js.Value, name string) {
	probe, err := call(clf, "time", map[string]any{"runs": 1, "warmup": 1})
	if err != nil {
		return // disposed meanwhile
	}
	runs := int(1500 / max(num(probe, "median"), 1))
	runs = min(max(runs, 5), 30)
	r, err := call(clf, "time", map[string]any{"runs": runs, "warmup": 1})
	if err != nil {
		return
	}
	a.latency[latencyKey(name, boolean(clf.Get("info"), "simd"))] = num(r, "median")
	a.saveLatency()
	a.updateLatencyCells()
}

// render shows a classification (all the classes classify returned) and
// the stats; the options pick the classes listed (renderTop).
func (a *app) render(preds, timing js.Value, source string) {
	a.last = shown{preds: preds, timing: timing, source: source}
	a.renderTop()
	if a.seq == 0 && js.Global().Get("performance").Call("getEntriesByName", "mn:first-prediction").Length() == 0 {
		mark("first-prediction") // unless boot.js showed it (site/boot.js earlyClassify)
	}
	if timing.Truthy() {
		a.statMs.SetTextContent(plot.Millis(num(timing, "engineMs")))
		a.statMs.SetTitle(fmt.Sprintf("engine %s, with image decoding and messaging %s, frame %dx%d",
			plot.Millis(num(timing, "engineMs")), plot.Millis(num(timing, "totalMs")), int(num(timing, "width")), int(num(timing, "height"))))
	}
	if source == "camera" {
		a.statFps.SetTextContent(fmt.Sprintf("%.1f", a.fps.fps()))
	} else {
		a.statFps.SetTextContent("–")
	}
	a.statSrc.SetTextContent(source)
	a.seq++
	a.results.SetAttribute("data-seq", fmt.Sprint(a.seq))
	a.results.SetAttribute("data-source", source)
	a.results.SetAttribute("data-model", a.current.name)
	a.snapshot.SetDisabled(false)
	a.updateCrop()
}

// clearResults empties the results: nothing is being classified.
func (a *app) clearResults() {
	a.last = shown{preds: js.Undefined(), timing: js.Undefined()}
	a.renderTop()
	a.statMs.SetTextContent("–")
	a.statFps.SetTextContent("–")
	a.statSrc.SetTextContent("–")
	a.seq++
	a.results.SetAttribute("data-seq", fmt.Sprint(a.seq))
	a.results.SetAttribute("data-source", "")
	a.snapshot.SetDisabled(true)
	show(a.crop, false)
}

// renderTop lists the result on show as the options say: how many
// classes, above which score, with or without "background".
func (a *app) renderTop() {
	k, err := strconv.Atoi(a.topKSelect.Value())
	if err != nil {
		k = 5
	}
	threshold, _ := strconv.ParseFloat(a.threshold.Value(), 64)
	withBg := a.showBg.Get("checked").Bool()
	a.resultsTitle.SetTextContent(fmt.Sprintf("Top %d", k))
	a.top5.SetInnerHTML("")
	preds := a.last.preds
	if !preds.Truthy() {
		a.top5.SetAttribute("data-hidden", "0")
		return
	}
	listed, hidden := 0, 0
	for i := 0; i < preds.Length() && listed < k; i++ {
		p := preds.Index(i)
		idx := p.Get("index").Int()
		score := num(p, "score")
		label := str(p, "label")
		if (!withBg && isBackground(label)) || score < threshold {
			hidden++
			continue
		}
		listed++
		li := a.doc.CreateElement("li").(dom.HTMLElement)
		li.SetAttribute("data-index", fmt.Sprint(idx))
		li.SetAttribute("data-score", fmt.Sprint(score))
		li.SetAttribute("data-label", label)
		name := a.doc.CreateElement("span").(dom.HTMLElement)
		name.Class().SetString("label")
		name.SetTextContent(shortLabel(label, idx))
		name.SetTitle(fmt.Sprintf("%s (class %d)", label, idx))
		bar := a.doc.CreateElement("span").(dom.HTMLElement)
		bar.Class().SetString("bar")
		fill := a.doc.CreateElement("span").(dom.HTMLElement)
		fill.Class().SetString("fill")
		fill.Style().SetProperty("width", fmt.Sprintf("%.1f%%", 100*min(max(score, 0), 1)), "")
		bar.AppendChild(fill)
		pct := a.doc.CreateElement("span").(dom.HTMLElement)
		pct.Class().SetString("score")
		pct.SetTextContent(formatPercent(score))
		li.AppendChild(name)
		li.AppendChild(bar)
		li.AppendChild(pct)
		a.top5.AppendChild(li)
	}
	a.top5.SetAttribute("data-hidden", fmt.Sprint(hidden))
	if listed == 0 {
		a.top5.SetAttribute("data-empty", fmt.Sprintf("No class above %s.", formatPercent(threshold)))
	} else {
		a.top5.RemoveAttribute("data-empty")
	}
}

// classifyOpts are the options of every classify call: enough classes
// for the most the options list, plus "background".
func classifyOpts() map[string]any { return map[string]any{"topK": maxShown + 1} }

// handleFile takes an uploaded or dropped file: a .tflite model, or a
// photo to classify.
func (a *app) handleFile(f js.Value) {
	name := str(f, "name")
	if strings.HasSuffix(strings.ToLower(name), ".tflite") {
		a.clearMessage("file")
		a.loadModel(loadSpec{name: name, file: f})
		return
	}
	typ := str(f, "type")
	if typ != "" && !strings.HasPrefix(typ, "image/") {
		a.message("file", "error", fmt.Sprintf("%s is not an image (%s). Use a photo (JPEG, PNG, WebP, GIF, BMP) or a .tflite model.", name, typ))
		return
	}
	url := js.Global().Get("URL").Call("createObjectURL", f).String()
	img := js.Global().Get("Image").New()
	img.Set("src", url)
	if _, err := call(img, "decode"); err != nil {
		js.Global().Get("URL").Call("revokeObjectURL", url)
		a.message("file", "error", fmt.Sprintf("%s is not an image this browser can read. Use a photo (JPEG, PNG, WebP, GIF, BMP) or a .tflite model.", name))
		return
	}
	a.clearMessage("file")
	a.stopCamera() // the photo's result replaces the camera's
	if a.photoURL != "" {
		js.Global().Get("URL").Call("revokeObjectURL", a.photoURL)
	}
	a.photoURL, a.photoFile = url, f
	a.photo.SetSrc(url)
	a.photo.SetAttribute("alt", name)
	show(a.photo, true)
	show(a.video, false)
	show(a.placeholder, false)
	a.classifyPhoto()
}

// classifyPhoto classifies the photo on show with the current model.
func (a *app) classifyPhoto() {
	if !a.clf.Truthy() {
		a.message("classify", "info", "Load a model to classify the photo.")
		return
	}
	clf := a.clf
	preds, err := call(clf, "classify", a.photoFile, classifyOpts())
	if err != nil {
		switch codeOf(err) {
		case "disposed":
			return
		case "crash":
			a.restartEngine(clf) // the new classifier classifies the photo
			return
		}
		a.message("classify", "error", "Could not classify the photo: "+err.Error())
		return
	}
	a.clearMessage("classify")
	a.render(preds, clf.Get("lastTiming"), "photo: "+str(a.photoFile, "name"))
}

// preferredModels are the default models, best first (site/boot.js
// holds the list and the first visit's choice).
func preferredModels() []string {
	var out []string
	l := js.Global().Get("mobilenetBoot").Get("preferred")
	for i := 0; l.Truthy() && i < l.Length(); i++ {
		out = append(out, l.Index(i).String())
	}
	return out
}

// mark sets the performance mark "mn:"+name (the cold start's breakdown,
// with site/boot.js's marks).
func mark(name string) { js.Global().Get("performance").Call("mark", "mn:"+name) }

func main() {
	mark("ui-start")
	a := newApp()
	a.start()
	a.startQuantize()
	select {} // handlers run as long as the page lives
}
