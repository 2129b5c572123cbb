package main

import (
	"fmt"

	"honnef.co/go/js/dom/v2"
)

// The page shows one mode at a time: Classify (the camera and photo
// classifier), Teach (teach_js.go) and Quantize (quantize_js.go). The nav
// in index.html has a button per mode (id "mode-"+name); body[data-mode]
// says which mode shows, and the style sheets hide the others. A mode
// registers what to do when it is entered and left, so that switching is
// written once.

// pageMode is one mode's hooks; either may be nil.
type pageMode struct {
	enter, leave func()
}

// modeNames are the modes, in the nav's order.
var modeNames = []string{"classify", "teach", "quantize"}

// wireModes makes the nav's buttons switch modes and registers Classify.
// The other modes register themselves when they are ready (Teach fetches
// its markup first).
func (a *app) wireModes() {
	a.modes = map[string]pageMode{}
	a.mode = "classify"
	a.body.SetAttribute("data-mode", a.mode)
	for _, name := range modeNames {
		b := a.doc.GetElementByID("mode-" + name)
		if b == nil {
			continue
		}
		b.AddEventListener("click", false, func(dom.Event) { a.setMode(name) })
	}
	a.addMode("classify", pageMode{})
}

// addMode registers a mode, and enters it when the address asks for it
// (?mode=NAME, or #NAME).
func (a *app) addMode(name string, m pageMode) {
	a.modes[name] = m
	if name != a.mode && (a.param("mode") == name || a.win.Location().Hash() == "#"+name) {
		a.setMode(name)
	}
}

// setMode leaves the current mode and enters name. A mode that has not
// registered (Teach while its markup loads) is ignored.
func (a *app) setMode(name string) {
	m, ok := a.modes[name]
	if !ok || name == a.mode {
		return
	}
	if old := a.modes[a.mode]; old.leave != nil {
		old.leave()
	}
	a.mode = name
	a.body.SetAttribute("data-mode", name)
	for _, n := range modeNames {
		if b := a.doc.GetElementByID("mode-" + n); b != nil {
			b.SetAttribute("aria-pressed", fmt.Sprint(n == name))
		}
	}
	if m.enter != nil {
		m.enter()
	}
}
