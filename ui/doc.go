// Command ui is the web page's user interface, in Go compiled to
// WebAssembly for browsers (GOOS=js GOARCH=wasm; build.sh writes it to
// site/ui.wasm, started by site/boot.js with Go's wasm_exec.js). It drives
// the page in site/index.html through honnef.co/go/js/dom/v2: webcam
// (start/stop, camera choice, mirrored preview), photo upload and drag and
// drop, drag and drop of any .tflite classifier, live top-5 with score
// bars, milliseconds per inference and frames per second, the model
// catalog with the latency measured in this browser, "benchmark all
// available models" and an accuracy-versus-latency plot, model downloads
// with a progress bar, and messages for what can go wrong. Its Teach mode
// (teach_js.go, markup in site/teach.html) teaches the model new classes
// from webcam frames and photos, trains in the engine's worker with a live
// plot, classifies the camera into them, downloads the .tflite and saves
// projects in IndexedDB (site/teach-store.js).
//
// It does not run models itself: it calls the JS loader (site/mobilenet.js,
// exposed to Go as globalThis.mobilenet by boot.js), whose Web Workers run
// the engine (site/engine.wasm). The accuracy-versus-latency plot is drawn
// by mobilenet-wasm/internal/plot, as 'mobilenet models table' draws it.
// The pure parts (formatting, the frame-rate meter) build and are tested
// natively; the rest needs js/wasm.
package main
