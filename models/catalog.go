// Package models is the catalog of the 32 MobileNet V1 models of the
// TF-slim 2018 release (width x resolution x float/quantized): their
// names, archives and published figures, their exact architecture (Arch),
// recognising a TFLite file as one of them (or as a part of one) by its
// shapes (Identify), and synthetic twins with the exact architecture and
// random weights for benchmarks (Synth, written with package tflitewrite).
//
// It is not an inference engine (see package engine), it does not store
// or download models (see package models/store) and it does not render
// benchmark results (see package models/benchtable).
package models

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Entry is one model of the release.
type Entry struct {
	// Name is the release's name: "mobilenet_v1_<W>_<R>" for float
	// models, with "_quant" appended for quantized ones.
	Name string `json:"name"`
	// Width is the depth multiplier W (0.25, 0.5, 0.75 or 1.0).
	Width float64 `json:"width"`
	// Resolution is the square input side R in pixels (128, 160, 192, 224).
	Resolution int `json:"resolution"`
	// Quantized is true for the fully uint8 models of 2018-08-02.
	Quantized bool `json:"quantized"`
	// MACsMillions and ParamsMillions are the release's published,
	// rounded figures; MACs and Params give the exact counts.
	MACsMillions   float64 `json:"macs_millions"`
	ParamsMillions float64 `json:"params_millions"`
	// Top1 and Top5 are the published ImageNet validation accuracies of
	// the TFLite files, in percent.
	Top1 float64 `json:"top1"`
	Top5 float64 `json:"top5"`
	// URL is the official archive (.tgz) holding the model.
	URL string `json:"url"`
	// TFLite is the name of the .tflite file inside the archive.
	TFLite string `json:"tflite"`
}

// Archive locations of the release.
const (
	// DownloadBase is the prefix of every archive URL; a mirror replaces it
	// (see store.Fetcher.BaseURL).
	DownloadBase = "https://download.tensorflow.org/models/"
	floatDir     = "mobilenet_v1_2018_02_22/"
	quantDir     = "mobilenet_v1_2018_08_02/"
)

// Widths and Resolutions are the release's depth multipliers and input
// sizes, in the catalog's order.
var (
	Widths      = []float64{1.0, 0.75, 0.5, 0.25}
	Resolutions = []int{224, 192, 160, 128}
)

// Catalog is the 32 models of the release, with its published figures:
// for each width (largest first) and resolution (largest first), the float
// model then the quantized one. MACs and params are the same for both.
var Catalog = []Entry{
	entry(1.0, 224, false, 569, 4.24, 70.9, 89.9),
	entry(1.0, 224, true, 569, 4.24, 70.1, 88.9),
	entry(1.0, 192, false, 418, 4.24, 70.0, 89.2),
	entry(1.0, 192, true, 418, 4.24, 69.2, 88.3),
	entry(1.0, 160, false, 291, 4.24, 68.0, 87.7),
	entry(1.0, 160, true, 291, 4.24, 67.2, 86.7),
	entry(1.0, 128, false, 186, 4.24, 65.2, 85.8),
	entry(1.0, 128, true, 186, 4.24, 63.4, 84.2),
	entry(0.75, 224, false, 317, 2.59, 68.4, 88.2),
	entry(0.75, 224, true, 317, 2.59, 66.8, 87.0),
	entry(0.75, 192, false, 233, 2.59, 67.2, 87.3),
	entry(0.75, 192, true, 233, 2.59, 66.1, 86.4),
	entry(0.75, 160, false, 162, 2.59, 65.3, 86.0),
	entry(0.75, 160, true, 162, 2.59, 62.3, 83.8),
	entry(0.75, 128, false, 104, 2.59, 62.1, 83.9),
	entry(0.75, 128, true, 104, 2.59, 55.8, 78.8),
	entry(0.5, 224, false, 150, 1.34, 63.3, 84.9),
	entry(0.5, 224, true, 150, 1.34, 60.7, 83.2),
	entry(0.5, 192, false, 110, 1.34, 61.7, 83.6),
	entry(0.5, 192, true, 110, 1.34, 60.0, 82.2),
	entry(0.5, 160, false, 77, 1.34, 59.1, 81.9),
	entry(0.5, 160, true, 77, 1.34, 57.7, 80.4),
	entry(0.5, 128, false, 49, 1.34, 56.3, 79.4),
	entry(0.5, 128, true, 49, 1.34, 54.5, 77.7),
	entry(0.25, 224, false, 41, 0.47, 49.8, 74.2),
	entry(0.25, 224, true, 41, 0.47, 48.0, 72.8),
	entry(0.25, 192, false, 34, 0.47, 47.7, 72.3),
	entry(0.25, 192, true, 34, 0.47, 46.0, 71.2),
	entry(0.25, 160, false, 21, 0.47, 45.5, 70.3),
	entry(0.25, 160, true, 21, 0.47, 43.4, 68.5),
	entry(0.25, 128, false, 14, 0.47, 41.5, 66.3),
	entry(0.25, 128, true, 14, 0.47, 39.5, 64.4),
}

// entry builds a catalog row; names and URLs follow from W, R and quant.
func entry(w float64, r int, quant bool, mmacs, mparams, top1, top5 float64) Entry {
	name := ModelName(w, r, quant)
	dir := floatDir
	if quant {
		dir = quantDir
	}
	return Entry{
		Name: name, Width: w, Resolution: r, Quantized: quant,
		MACsMillions: mmacs, ParamsMillions: mparams, Top1: top1, Top5: top5,
		URL:    DownloadBase + dir + name + ".tgz",
		TFLite: name + ".tflite",
	}
}

// WidthString formats a width as the release names it: "1.0", "0.75",
// "0.5", "0.25".
func WidthString(w float64) string {
	s := strconv.FormatFloat(w, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// ModelName is the release's name of the model of width w, resolution r,
// float or quantized: "mobilenet_v1_0.25_128_quant".
func ModelName(w float64, r int, quant bool) string {
	s := fmt.Sprintf("mobilenet_v1_%s_%d", WidthString(w), r)
	if quant {
		s += "_quant"
	}
	return s
}

// Archive is the file name of the entry's archive ("<name>.tgz").
func (e Entry) Archive() string { return e.Name + ".tgz" }

// File is the entry's file name in a models folder ("<name>.tflite").
func (e Entry) File() string { return e.Name + ".tflite" }

// DType is the input and activation type: "uint8" or "float32".
func (e Entry) DType() string {
	if e.Quantized {
		return "uint8"
	}
	return "float32"
}

// Arch is the entry's architecture.
func (e Entry) Arch() Arch { return NewArch(e.Width, e.Resolution) }

// MACs is the exact number of multiply-accumulates of one inference (the
// convolutions; what engine.Info reports), computed from the architecture.
func (e Entry) MACs() int64 { return e.Arch().MACs() }

// Params is the exact number of parameters (convolution weights and
// biases), computed from the architecture.
func (e Entry) Params() int64 { return e.Arch().Params() }

// Lookup finds a catalog entry by name. It accepts the release's name
// ("mobilenet_v1_0.25_128_quant"), the same with a ".tflite" or ".tgz"
// suffix, and the short form without "mobilenet_v1_" ("0.25_128_quant").
func Lookup(name string) (Entry, bool) {
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".tflite"), ".tgz")
	if !strings.HasPrefix(name, "mobilenet_v1_") {
		name = "mobilenet_v1_" + name
	}
	for _, e := range Catalog {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Find returns the catalog entry of width w, resolution r, float or
// quantized.
func Find(w float64, r int, quant bool) (Entry, bool) {
	return Lookup(ModelName(w, r, quant))
}

// EntryJSON is an entry as the catalog's JSON export gives it: the entry's
// fields plus the width as the release writes it, the exact counts, the
// archive's and the folder's file names and the input type.
type EntryJSON struct {
	Entry
	WidthName string `json:"width_name"`
	MACs      int64  `json:"macs"`
	Params    int64  `json:"params"`
	Archive   string `json:"archive"`
	File      string `json:"file"`
	DType     string `json:"dtype"`
}

// JSON returns the entry's JSON export form.
func (e Entry) JSON() EntryJSON {
	return EntryJSON{Entry: e, WidthName: WidthString(e.Width), MACs: e.MACs(), Params: e.Params(), Archive: e.Archive(), File: e.File(), DType: e.DType()}
}

// CatalogJSON is the whole catalog as an indented JSON array of EntryJSON,
// for pages and tools that do not run Go.
func CatalogJSON() ([]byte, error) {
	out := make([]EntryJSON, len(Catalog))
	for i, e := range Catalog {
		out[i] = e.JSON()
	}
	return json.MarshalIndent(out, "", "  ")
}
