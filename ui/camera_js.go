//go:build js && wasm

package main

import (
	"fmt"
	"strings"
	"syscall/js"
	"time"

	"honnef.co/go/js/dom/v2"
)

// camera is the webcam's state.
type camera struct {
	stream  js.Value // the MediaStream, or undefined
	running bool
	frozen  bool // the preview is paused and frames are not classified
	gen     int  // bumped at every start and stop, to end stale loops
	listed  bool
}

// constraints are getUserMedia's video constraints for the camera choice:
// "any", "user" (front), "environment" (back) or "device:<id>". 640x480
// is plenty for models that read at most 224x224.
func constraints(choice string) map[string]any {
	v := map[string]any{"width": map[string]any{"ideal": 640}, "height": map[string]any{"ideal": 480}}
	switch {
	case choice == "user" || choice == "environment":
		v["facingMode"] = map[string]any{"ideal": choice}
	case strings.HasPrefix(choice, "device:"):
		v["deviceId"] = map[string]any{"exact": strings.TrimPrefix(choice, "device:")}
	}
	return map[string]any{"audio": false, "video": v}
}

// openCamera asks for the camera chosen in the picker, with start
// disabled while the browser asks the user. A page without cameras gets a
// message under key suggesting instead; a refusal gets cameraError's.
func (a *app) openCamera(key, instead string, start *dom.HTMLButtonElement) (js.Value, bool) {
	md := js.Global().Get("navigator").Get("mediaDevices")
	if !md.Truthy() || !md.Get("getUserMedia").Truthy() {
		a.message(key, "error", "This page cannot use a camera here: browsers allow cameras only on https:// pages and on localhost. "+instead)
		return js.Undefined(), false
	}
	start.SetDisabled(true)
	stream, err := call(md, "getUserMedia", constraints(a.camSelect.Value()))
	start.SetDisabled(false)
	if err != nil {
		a.cameraError(err)
		return js.Undefined(), false
	}
	return stream, true
}

// startCamera asks for the chosen camera and starts classifying its frames.
func (a *app) startCamera() {
	a.stopCamera()
	stream, ok := a.openCamera("camera", "Upload a photo instead.", a.camStart)
	if !ok {
		return
	}
	a.clearMessage("camera")
	a.cam.gen++
	a.cam.stream, a.cam.running = stream, true
	gen := a.cam.gen
	a.video.Set("srcObject", stream)
	show(a.video, true)
	show(a.photo, false)
	show(a.placeholder, false)
	if _, err := call(a.video.Underlying(), "play"); err != nil && a.cam.gen == gen {
		a.message("camera", "error", "The camera started but its video does not play: "+err.Error())
	}
	track := stream.Call("getVideoTracks").Index(0)
	settings := track.Call("getSettings")
	// Mirror the preview like a mirror, unless it is a back camera.
	if str(settings, "facingMode") == "environment" {
		a.video.Class().Remove("mirrored")
	} else {
		a.video.Class().Add("mirrored")
	}
	var ended js.Func
	ended = js.FuncOf(func(js.Value, []js.Value) any {
		ended.Release()
		if a.cam.gen == gen {
			a.stopCamera()
			a.message("camera", "error", "The camera stopped (unplugged, or taken by another application).")
		}
		return nil
	})
	track.Call("addEventListener", "ended", ended)
	a.cameraButtons(true)
	a.body.SetAttribute("data-camera", "on")
	a.statSrc.SetTextContent("camera: " + str(track, "label"))
	if !a.cam.listed {
		a.listCameras()
		a.countCameras()
	}
	a.spawn(func() { a.cameraLoop(gen) })
}

// cameraError explains why getUserMedia failed.
func (a *app) cameraError(err error) {
	name := ""
	if je, ok := err.(*jsError); ok {
		name = je.Name
	}
	switch name {
	case "NotAllowedError", "SecurityError", "PermissionDeniedError":
		a.message("camera", "error", "Camera access was denied. Allow the camera for this site in the browser's settings (the icon in the address bar), or upload a photo instead.")
	case "NotFoundError", "DevicesNotFoundError", "OverconstrainedError":
		a.message("camera", "error", "No camera found (or none matching your choice). Plug one in, pick another camera, or upload a photo instead.")
	case "NotReadableError", "TrackStartError", "AbortError":
		a.message("camera", "error", "The camera could not start: another application may be using it.")
	default:
		a.message("camera", "error", "Could not start the camera: "+err.Error())
	}
	a.body.SetAttribute("data-camera", "error")
}

// stopCamera stops the stream and the classification loop.
func (a *app) stopCamera() {
	a.cam.gen++
	a.cam.running = false
	if a.cam.stream.Truthy() {
		tracks := a.cam.stream.Call("getTracks")
		for i := 0; i < tracks.Length(); i++ {
			tracks.Index(i).Call("stop")
		}
	}
	a.cam.stream = js.Undefined()
	a.video.Set("srcObject", js.Null())
	a.cameraButtons(false)
	if a.body.GetAttribute("data-camera") == "on" {
		a.body.SetAttribute("data-camera", "off")
		show(a.video, false)
		if !a.photoFile.Truthy() {
			show(a.placeholder, true)
		} else {
			show(a.photo, true)
		}
	}
}

// cameraLoop classifies frames, one at a time, at most one per animation
// frame, until the camera stops or restarts.
func (a *app) cameraLoop(gen int) {
	a.fps.reset()
	frames := 0
	for a.cam.running && a.cam.gen == gen {
		nextFrame()
		if a.pauseWhileHidden(gen) {
			continue // shown again: the next frame is a fresh one
		}
		if a.cam.frozen || !a.clf.Truthy() || a.video.Get("readyState").Int() < 2 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		clf := a.clf
		preds, err := call(clf, "classify", a.video.Underlying(), classifyOpts())
		if a.cam.gen != gen {
			return
		}
		if err != nil {
			switch codeOf(err) {
			case "disposed", "input": // a model change, or no frame yet
			case "crash":
				if !a.restartEngine(clf) {
					time.Sleep(2 * time.Second)
				}
			default:
				a.message("classify", "error", "Could not classify the camera frame: "+err.Error())
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		frames++
		a.fps.add(now())
		if a.cam.frozen {
			continue // frozen while this frame ran: the frozen result stays
		}
		a.render(preds, clf.Get("lastTiming"), "camera")
		a.results.SetAttribute("data-frames", fmt.Sprint(frames))
	}
}

// pauseWhileHidden waits, doing no work, while the tab is hidden (a
// hidden page's frames are not seen, and classifying them would spend the
// user's battery): it reports whether it waited. The results carry
// data-paused="hidden" meanwhile. nextFrame's timeout would otherwise let
// the loop classify five frames a second in a background tab.
func (a *app) pauseWhileHidden(gen int) bool {
	doc := js.Global().Get("document")
	if !doc.Get("hidden").Bool() {
		return false
	}
	a.results.SetAttribute("data-paused", "hidden")
	shown := make(chan struct{}, 1)
	f := js.FuncOf(func(js.Value, []js.Value) any {
		if !doc.Get("hidden").Bool() {
			select {
			case shown <- struct{}{}:
			default:
			}
		}
		return nil
	})
	doc.Call("addEventListener", "visibilitychange", f)
	// The loop also ends when the camera stops while hidden.
	for a.cam.running && a.cam.gen == gen && doc.Get("hidden").Bool() {
		select {
		case <-shown:
		case <-time.After(time.Second):
		}
	}
	doc.Call("removeEventListener", "visibilitychange", f)
	f.Release()
	a.results.RemoveAttribute("data-paused")
	a.fps.reset() // the hidden time is not a frame interval
	return true
}

// listCameras adds the cameras the browser lists (with labels once
// allowed) to the camera choice.
func (a *app) listCameras() {
	devs, err := call(js.Global().Get("navigator").Get("mediaDevices"), "enumerateDevices")
	if err != nil {
		return
	}
	n := 0
	for i := 0; i < devs.Length(); i++ {
		d := devs.Index(i)
		if str(d, "kind") != "videoinput" || str(d, "deviceId") == "" {
			continue
		}
		n++
		o := a.doc.CreateElement("option").(*dom.HTMLOptionElement)
		o.SetValue("device:" + str(d, "deviceId"))
		label := str(d, "label")
		if label == "" {
			label = fmt.Sprintf("Camera %d", n)
		}
		o.SetTextContent(label)
		a.camSelect.AppendChild(o)
	}
	a.cam.listed = true
}

// cameraButtons sets the buttons for a running or stopped camera: the
// button that does something next is the highlighted one.
func (a *app) cameraButtons(running bool) {
	a.camStart.SetDisabled(running)
	a.camStop.SetDisabled(!running)
	a.camFreeze.SetDisabled(!running)
	setClass(a.camStart, "primary", !running)
	setClass(a.camStop, "primary", running)
	a.setFrozen(false)
}

// setFrozen pauses or resumes the preview and the classification.
func (a *app) setFrozen(on bool) {
	a.camFreeze.SetAttribute("aria-pressed", fmt.Sprint(on))
	if on {
		a.cam.frozen = true
		a.camFreeze.SetTextContent("Resume")
		a.video.Call("pause")
		a.body.SetAttribute("data-frozen", "true")
		a.statSrc.SetTextContent("camera (frozen frame)")
		a.results.SetAttribute("data-source", "camera-frozen")
		return
	}
	wasFrozen := a.cam.frozen
	a.cam.frozen = false
	a.camFreeze.SetTextContent("Freeze")
	a.body.RemoveAttribute("data-frozen")
	if wasFrozen && a.cam.running {
		a.spawn(func() { call(a.video.Underlying(), "play") })
	}
}

// toggleFreeze freezes the camera's picture and its result, or resumes.
func (a *app) toggleFreeze() {
	if a.cam.running {
		a.setFrozen(!a.cam.frozen)
	}
}

// stopCameraByUser is the Stop button: the camera's results go with it,
// and a photo shown before comes back with its own.
func (a *app) stopCameraByUser() {
	a.stopCamera()
	a.clearResults()
	if a.photoFile.Truthy() {
		a.spawn(a.classifyPhoto)
	}
}

// countCameras shows the camera choice only when there are several.
func (a *app) countCameras() {
	md := js.Global().Get("navigator").Get("mediaDevices")
	if !md.Truthy() || !md.Get("enumerateDevices").Truthy() {
		return
	}
	devs, err := call(md, "enumerateDevices")
	if err != nil {
		return
	}
	n := 0
	for i := 0; i < devs.Length(); i++ {
		if str(devs.Index(i), "kind") == "videoinput" {
			n++
		}
	}
	a.body.SetAttribute("data-cameras", fmt.Sprint(n))
	show(a.camSelect, n > 1)
}

func setClass(e dom.Element, class string, on bool) {
	if on {
		e.Class().Add(class)
	} else {
		e.Class().Remove(class)
	}
}
