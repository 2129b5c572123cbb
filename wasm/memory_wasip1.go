package main

import (
	"runtime"
	_ "unsafe" // for go:linkname
)

// Memory. A wasm module's memory grows and never shrinks, so what the
// page pays for is the Go heap's high-water mark, which loading a model
// sets: the host's block holding the file, the packed weights and the
// arena are live together, and by default Go lets the heap grow to twice
// what was live at the last collection before collecting again. While
// loading, the module collects eagerly instead (loadGCPercent), which
// costs a little loading time and nothing per inference (an inference
// allocates nothing), and it settles the heap after each load and dispose,
// so that the next load reuses the freed bytes instead of growing the
// memory.

// loadGCPercent is GOGC while a model loads: a collection once the heap
// grew by a twentieth of what was live.
const loadGCPercent = 5

// tight runs f with GOGC at loadGCPercent.
func tight(f func() error) error {
	defer setGCPercent(setGCPercent(loadGCPercent))
	return f()
}

// setGCPercent is runtime/debug.SetGCPercent without package runtime/debug,
// which imports fmt, os and time: the runtime provides the function under
// that name (runtime/mgcpacer.go), and importing runtime/debug for it would
// add a thirtieth to the classify-only module's download. A Go release
// that moves it fails this build's link, not a run.
//
//go:linkname setGCPercent runtime/debug.setGCPercent
func setGCPercent(int32) int32

// settle collects the garbage of a load or a dispose now, so that the next
// allocations reuse the freed bytes. (Returning pages to the system, as
// debug.FreeOSMemory does, means nothing in wasm: the memory cannot
// shrink.)
func settle() { runtime.GC() }

// readGoHeap reads the runtime's memory statistics after a collection.
func readGoHeap() goHeap {
	settle() // live bytes, not the garbage of the last load
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	return goHeap{Sys: s.Sys, HeapSys: s.HeapSys, HeapInuse: s.HeapInuse, HeapAlloc: s.HeapAlloc, NumGC: s.NumGC}
}
