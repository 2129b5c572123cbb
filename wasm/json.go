package main

import (
	"math"
	"strconv"
	"unicode/utf8"

	"mobilenet-wasm/engine"
)

// appendPredictionsJSON appends preds as the JSON array mn_classify returns,
// allocating nothing beyond dst's growth. It matches what encoding/json
// writes for []engine.Prediction, except that non-finite scores become null
// (encoding/json refuses them) and no HTML characters are escaped.
func appendPredictionsJSON(dst []byte, preds []engine.Prediction) []byte {
	dst = append(dst, '[')
	for i, p := range preds {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(p.Index), 10)
		dst = append(dst, `,"label":`...)
		dst = appendJSONString(dst, p.Label)
		dst = append(dst, `,"score":`...)
		dst = appendJSONFloat32(dst, p.Score)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendJSONFloat32 appends f as the shortest decimal that parses back to
// the same float32, or null when f is not finite.
func appendJSONFloat32(dst []byte, f float32) []byte {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// appendInfoJSON appends info as the JSON object mn_info returns: the
// document encoding/json writes for engine.Info (a test reads both back),
// written by hand so that the classify build does without encoding/json
// (71 KB brotli of its 930; the full build's Teaching and Quantization
// still use it).
func appendInfoJSON(dst []byte, info engine.Info) []byte {
	dst = append(dst, `{"input":`...)
	dst = appendTensorInfoJSON(dst, info.Input)
	dst = append(dst, `,"output":`...)
	dst = appendTensorInfoJSON(dst, info.Output)
	dst = append(dst, `,"embedding":`...)
	dst = appendTensorInfoJSON(dst, info.Embedding)
	dst = append(dst, `,"input_size":`...)
	dst = strconv.AppendInt(dst, int64(info.InputSize), 10)
	dst = append(dst, `,"classes":`...)
	dst = strconv.AppendInt(dst, int64(info.Classes), 10)
	dst = append(dst, `,"ops":`...)
	dst = appendJSONArray(dst, info.Ops, appendJSONString)
	dst = append(dst, `,"macs":`...)
	dst = strconv.AppendInt(dst, info.MACs, 10)
	dst = append(dst, `,"params":`...)
	dst = strconv.AppendInt(dst, info.Params, 10)
	if len(info.Labels) > 0 {
		dst = append(dst, `,"labels":`...)
		dst = appendJSONArray(dst, info.Labels, appendJSONString)
	}
	dst = append(dst, `,"requant":`...)
	dst = appendJSONString(dst, info.Scheme)
	return append(dst, '}')
}

// appendTensorInfoJSON appends t as encoding/json would (Scale and
// ZeroPoint omitted when empty).
func appendTensorInfoJSON(dst []byte, t engine.TensorInfo) []byte {
	dst = append(dst, `{"name":`...)
	dst = appendJSONString(dst, t.Name)
	dst = append(dst, `,"shape":`...)
	dst = appendJSONArray(dst, t.Shape, func(d []byte, v int) []byte { return strconv.AppendInt(d, int64(v), 10) })
	dst = append(dst, `,"dtype":`...)
	dst = appendJSONString(dst, t.DType)
	if len(t.Scale) > 0 {
		dst = append(dst, `,"scale":`...)
		dst = appendJSONArray(dst, t.Scale, appendJSONFloat32)
	}
	if len(t.ZeroPoint) > 0 {
		dst = append(dst, `,"zero_point":`...)
		dst = appendJSONArray(dst, t.ZeroPoint, func(d []byte, v int64) []byte { return strconv.AppendInt(d, v, 10) })
	}
	return append(dst, '}')
}

// appendJSONArray appends xs as a JSON array, each element by elem, or
// null when xs is nil (as encoding/json).
func appendJSONArray[T any](dst []byte, xs []T, elem func([]byte, T) []byte) []byte {
	if xs == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = elem(dst, x)
	}
	return append(dst, ']')
}

// goHeap is the Go runtime's view of the module's memory (runtime.MemStats,
// read by readGoHeap), reported by mn_memory.
type goHeap struct {
	// Sys is every byte the runtime obtained (memory.grow), heap and
	// runtime metadata: close to the wasm memory's size past the
	// module's static data.
	Sys uint64 `json:"sys"`
	// HeapSys is the heap's address space; HeapInuse the bytes of its
	// spans in use; HeapAlloc the bytes of live (and not yet swept)
	// objects.
	HeapSys   uint64 `json:"heap_sys"`
	HeapInuse uint64 `json:"heap_inuse"`
	HeapAlloc uint64 `json:"heap_alloc"`
	NumGC     uint32 `json:"num_gc"` // completed collections
}

// appendMemoryJSON appends the JSON object mn_memory returns, {"model":
// m, "go_heap": h}, as encoding/json would write it.
func appendMemoryJSON(dst []byte, m engine.Memory, h goHeap) []byte {
	dst = append(dst, `{"model":`...)
	dst = appendJSONCounts(dst, []string{"simd_weights", "portable_weights", "constants", "arena", "buffers"},
		[]uint64{uint64(m.SIMDWeights), uint64(m.PortableWeights), uint64(m.Constants), uint64(m.Arena), uint64(m.Buffers)})
	dst = append(dst, `,"go_heap":`...)
	dst = appendJSONCounts(dst, []string{"sys", "heap_sys", "heap_inuse", "heap_alloc", "num_gc"},
		[]uint64{h.Sys, h.HeapSys, h.HeapInuse, h.HeapAlloc, uint64(h.NumGC)})
	return append(dst, '}')
}

// appendJSONCounts appends a JSON object of keys[i]: values[i] (keys need
// no escaping).
func appendJSONCounts(dst []byte, keys []string, values []uint64) []byte {
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendUint(dst, values[i], 10)
	}
	return append(dst, '}')
}
