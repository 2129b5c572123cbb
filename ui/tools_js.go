//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"

	"honnef.co/go/js/dom/v2"

	"mobilenet-wasm/internal/plot"
)

// This file holds the Classify mode's smaller tools: the model picker next
// to the picture, messages with details, saving a frame, images from the
// clipboard or an address, keyboard shortcuts and the crop overlay.

// messageDetail is message with the technical detail behind a toggle:
// the text says what is wrong in a user's words, the detail is for a bug
// report.
func (a *app) messageDetail(key, kind, text, detail string) {
	a.message(key, kind, text)
	if detail == "" || detail == text {
		return
	}
	m := a.messages.QuerySelector(fmt.Sprintf(`[data-key="%s"]`, key))
	if m == nil {
		return
	}
	d := a.doc.CreateElement("details").(dom.HTMLElement)
	d.Class().SetString("detail")
	sum := a.doc.CreateElement("summary")
	sum.SetTextContent("details")
	code := a.doc.CreateElement("code")
	code.SetTextContent(detail)
	d.AppendChild(sum)
	d.AppendChild(code)
	m.QuerySelector("span").AppendChild(d)
}

// fillPicker lists the server's models in the picker next to the picture:
// name, download size, published top-1 and the latency measured here.
func (a *app) fillPicker() {
	a.modelPick.SetInnerHTML("")
	simd := a.useSIMD()
	n := 0
	for _, e := range a.catalog {
		if !e.Available {
			continue
		}
		n++
		o := a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue(e.Name)
		lat := "latency not measured yet"
		if ms, ok := a.latency[latencyKey(e.Name, simd)]; ok {
			lat = plot.Millis(ms) + " here"
		}
		typ := "float"
		if e.Quant {
			typ = "uint8"
		}
		o.SetTextContent(fmt.Sprintf("%s %s · %s · top-1 %.1f%% · %s", e.shortName(), typ, formatBytes(e.Bytes), e.Top1, lat))
		a.modelPick.AppendChild(o)
	}
	if a.current.name != "" && a.entry(a.current.name) == nil {
		// A dropped model: listed, and chosen, until another is picked.
		o := a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue(a.current.name)
		o.SetTextContent(a.current.name + " (your file)")
		a.modelPick.AppendChild(o)
		n++
	}
	if n == 0 {
		o := a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue("")
		o.SetTextContent("no models on this server")
		a.modelPick.AppendChild(o)
	}
	a.modelPick.SetDisabled(n == 0)
	a.modelPick.Set("value", a.current.name)
	a.updatePickInfo()
}

// updatePickInfo describes the current model under the picker.
func (a *app) updatePickInfo() {
	e := a.entry(a.current.name)
	if e == nil {
		a.pickInfo.SetTextContent("")
		return
	}
	lat := "its latency here is being measured"
	if ms, ok := a.latency[latencyKey(e.Name, a.useSIMD())]; ok {
		lat = fmt.Sprintf("%s per image here (%s kernels)", plot.Millis(ms), kernelsName(a.useSIMD()))
	}
	a.pickInfo.SetTextContent(fmt.Sprintf("%s: %s, %d×%d input, ImageNet top-1 %.1f%%, top-5 %.1f%%; %s.",
		e.Name, formatBytes(e.Bytes), e.Resolution, e.Resolution, e.Top1, e.Top5, lat))
}

// saveFrame downloads the picture on show (the frozen or current camera
// frame, or the photo) as a PNG.
func (a *app) saveFrame() {
	src, w, h := a.picture()
	if !src.Truthy() || w == 0 || h == 0 {
		return
	}
	canvas := a.doc.CreateElement("canvas")
	canvas.SetAttribute("width", fmt.Sprint(w))
	canvas.SetAttribute("height", fmt.Sprint(h))
	canvas.Underlying().Call("getContext", "2d").Call("drawImage", src, 0, 0, w, h)
	blob, err := await(js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve := args[0]
		var cb js.Func
		cb = js.FuncOf(func(_ js.Value, b []js.Value) any {
			cb.Release()
			resolve.Invoke(b[0])
			return nil
		})
		canvas.Underlying().Call("toBlob", cb, "image/png")
		return nil
	})))
	if err != nil || !blob.Truthy() {
		a.message("snapshot", "error", "Could not save the frame.")
		return
	}
	u := js.Global().Get("URL").Call("createObjectURL", blob).String()
	link := a.doc.CreateElement("a").(*dom.HTMLAnchorElement)
	link.SetHref(u)
	link.SetAttribute("download", fmt.Sprintf("mobilenet-frame-%d.png", a.seq))
	a.body.AppendChild(link)
	link.Click()
	link.Remove()
	js.Global().Call("setTimeout", js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", u)
		return nil
	}), 10000)
}

// picture is the element on show (the camera's video or the photo) and
// its size in pixels.
func (a *app) picture() (js.Value, int, int) {
	if a.cam.running {
		v := a.video.Underlying()
		return v, v.Get("videoWidth").Int(), v.Get("videoHeight").Int()
	}
	if a.photoFile.Truthy() {
		p := a.photo.Underlying()
		return p, p.Get("naturalWidth").Int(), p.Get("naturalHeight").Int()
	}
	return js.Undefined(), 0, 0
}

// updateCrop draws the part of the picture the model reads: the central
// crop, before it is resized to the model's input.
func (a *app) updateCrop() {
	src, w, h := a.picture()
	bw, bh := a.stage.Underlying().Get("clientWidth").Float(), a.stage.Underlying().Get("clientHeight").Float()
	if !src.Truthy() || w == 0 || h == 0 || a.last.source == "" {
		show(a.crop, false)
		return
	}
	x, y, cw, ch := cropBox(float64(w), float64(h), bw, bh)
	st := a.crop.Style()
	st.SetProperty("left", fmt.Sprintf("%.1fpx", x), "")
	st.SetProperty("top", fmt.Sprintf("%.1fpx", y), "")
	st.SetProperty("width", fmt.Sprintf("%.1fpx", cw), "")
	st.SetProperty("height", fmt.Sprintf("%.1fpx", ch), "")
	show(a.crop, true)
}

// paste takes a pasted image, or a pasted address of one.
func (a *app) paste(e dom.Event) {
	if a.mode != "" && a.mode != "classify" {
		return
	}
	dt := e.Underlying().Get("clipboardData")
	if !dt.Truthy() {
		return
	}
	if files := dt.Get("files"); files.Truthy() && files.Length() > 0 {
		e.PreventDefault()
		f := files.Index(0)
		a.spawn(func() { a.handleFile(f) })
		return
	}
	text := strings.TrimSpace(dt.Call("getData", "text/plain").String())
	if t := e.Target(); t != nil && t.Underlying().Equal(a.imageURL.Underlying()) {
		return // typed into the address field: its form submits it
	}
	if isImageAddress(text) {
		e.PreventDefault()
		a.imageURL.SetValue(text)
		a.spawn(func() { a.classifyURL(text) })
	}
}

// isImageAddress reports whether pasted text is an http(s) or data: URL.
func isImageAddress(s string) bool {
	l := strings.ToLower(s)
	return (strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "data:image/")) &&
		!strings.ContainsAny(s, " \n")
}

// classifyURL fetches an image by its address and classifies it as a
// photo. Other sites must allow it (CORS), as browsers require.
func (a *app) classifyURL(addr string) {
	if !isImageAddress(addr) {
		a.message("file", "error", fmt.Sprintf("%q is not an image address (http://, https:// or data:).", addr))
		return
	}
	a.message("file", "info", "Fetching "+addr+"…")
	resp, err := call(js.Global(), "fetch", addr)
	if err != nil {
		a.message("file", "error", "Could not fetch the image: its site does not let other pages read it (CORS) or is unreachable. Save the image and open the file instead.")
		return
	}
	if !resp.Get("ok").Bool() {
		a.message("file", "error", fmt.Sprintf("Could not fetch the image: the server answered %d %s.", resp.Get("status").Int(), str(resp, "statusText")))
		return
	}
	blob, err := call(resp, "blob")
	if err != nil {
		a.message("file", "error", "Could not read the image: "+err.Error())
		return
	}
	name := "image"
	if !strings.HasPrefix(strings.ToLower(addr), "data:") {
		p := js.Global().Get("URL").New(addr).Get("pathname").String()
		if i := strings.LastIndex(p, "/"); i >= 0 && i < len(p)-1 {
			name = p[i+1:]
		}
	}
	f := js.Global().Get("File").New([]any{blob}, name, map[string]any{"type": str(blob, "type")})
	a.handleFile(f)
}

// key handles the Classify mode's keyboard shortcuts (the page's controls
// are buttons and fields, reachable with Tab).
func (a *app) key(e dom.Event) {
	if a.mode != "" && a.mode != "classify" {
		return
	}
	ev := e.Underlying()
	if ev.Get("ctrlKey").Bool() || ev.Get("metaKey").Bool() || ev.Get("altKey").Bool() {
		return
	}
	if t := ev.Get("target"); t.Truthy() {
		switch strings.ToLower(str(t, "tagName")) {
		case "input", "select", "textarea":
			return // typing in a field
		case "button", "summary", "a":
			if k := str(ev, "key"); k == " " || k == "Enter" {
				return // activating the focused control
			}
		}
	}
	switch str(ev, "key") {
	case "c", "C":
		if a.cam.running {
			a.stopCameraByUser()
		} else {
			a.spawn(a.startCamera)
		}
	case " ":
		if a.cam.running {
			e.PreventDefault()
			a.toggleFreeze()
		}
	case "o", "O":
		a.fileInput.Click()
	case "m", "M":
		a.modelPick.Focus()
	default:
		return
	}
	a.body.SetAttribute("data-last-key", str(ev, "key"))
}
