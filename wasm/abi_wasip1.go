package main

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
)

// Module state. The module is single-threaded and its exports are not
// re-entrant, so plain globals suffice.
var (
	// allocs maps the address of each live mn_alloc block to the block.
	// The map keeps blocks reachable; Go's GC does not move objects, so
	// their addresses stay valid until mn_free drops them.
	allocs = map[uint32][]byte{}
	// allocLive is the bytes the blocks of allocs hold.
	allocLive uint64
	// models are the loaded models.
	models = newHandles[loadedModel]("no model has handle %d")
	// result is the result buffer, reused from call to call.
	result []byte
	// lastErr is the last error message, empty after a success.
	lastErr []byte
)

// argError is a bad argument from the host (abi.StatusArgument).
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

// argErr formats an argError.
func argErr(format string, args ...any) error {
	return &argError{textfmt.Sprintf(format, args...)}
}

// inputError is an input the engine refused (abi.StatusInput).
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }

// refused marks an engine error as abi.StatusInput.
func refused(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

// fail records err as the last error, empties the result and returns the
// status code for err.
func fail(name string, err error) int32 {
	lastErr = append(append(append(lastErr[:0], name...), ": "...), err.Error()...)
	result = result[:0]
	var ae *argError
	var ie *inputError
	switch {
	case errors.As(err, &ae):
		return abi.StatusArgument
	case errors.As(err, &ie):
		return abi.StatusInput
	}
	return abi.StatusInternal
}

// call runs an export's body: it clears the last error, recovers a panic
// into abi.StatusInternal, and turns the body's error into a status.
func call(name string, body func() error) (status int32) {
	lastErr = lastErr[:0]
	defer func() {
		if r := recover(); r != nil {
			status = fail(name, textfmt.Errorf("internal error: %v", r))
		}
	}()
	if err := body(); err != nil {
		return fail(name, err)
	}
	return abi.StatusOK
}

// guest returns the n bytes at ptr, which must lie inside one live block.
func guest(what string, ptr, n uint32) ([]byte, error) {
	if n == 0 {
		return []byte{}, nil
	}
	end := uint64(ptr) + uint64(n)
	if b, ok := allocs[ptr]; ok {
		if uint64(len(b)) < uint64(n) {
			return nil, argErr("%s: %d bytes at %#x overrun its %d-byte block", what, n, ptr, len(b))
		}
		return b[:n:n], nil
	}
	for base, b := range allocs {
		if ptr > base && end <= uint64(base)+uint64(len(b)) {
			off := ptr - base
			return b[off : off+n : off+n], nil
		}
	}
	return nil, argErr("%s: %d bytes at %#x are not inside a block from mn_alloc", what, n, ptr)
}

// model returns the classifier of handle h.
func model(h int32) (*engine.Classifier, error) {
	m, err := models.get(h)
	return m.c, err
}

// loadedModel is a model of mn_load: the classifier, and what a teaching
// session needs, besides it, to rebuild the base's file for an export
// (source in train_wasip1.go; the module keeps no model file).
type loadedModel struct {
	c       *engine.Classifier
	details fileDetails // of the first file
}

// frame checks an RGBA frame's arguments and returns its bytes.
func frame(ptr, n uint32, width, height, stride int32) ([]byte, error) {
	if width <= 0 || height <= 0 || stride <= 0 {
		return nil, argErr("frame is %dx%d with row stride %d; all must be positive", width, height, stride)
	}
	return guest("frame", ptr, n)
}

// mnABIVersion is mn_abi_version; see the package comment.
//
//go:wasmexport mn_abi_version
func mnABIVersion() int32 { return abi.EngineVersion }

// mnAlloc is mn_alloc; see the package comment.
//
//go:wasmexport mn_alloc
func mnAlloc(size uint32) (ptr uint32) {
	call("mn_alloc", func() error {
		if size > abi.MaxAlloc {
			return argErr("%d bytes is more than the %d a block may hold", size, abi.MaxAlloc)
		}
		if allocLive+uint64(size) > abi.MaxAllocLive {
			return argErr("%d more bytes would take the live blocks past %d bytes (%d held: free some)", size, abi.MaxAllocLive, allocLive)
		}
		// At least one byte, so that every block has its own address.
		b := make([]byte, max(size, 1))[:size]
		ptr = uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
		allocs[ptr] = b
		allocLive += uint64(size)
		return nil
	})
	return ptr
}

// mnFree is mn_free; see the package comment.
//
//go:wasmexport mn_free
func mnFree(ptr uint32) int32 {
	return call("mn_free", func() error {
		b, ok := allocs[ptr]
		if !ok {
			return argErr("%#x is not the start of a live block from mn_alloc", ptr)
		}
		allocLive -= uint64(len(b))
		delete(allocs, ptr)
		return nil
	})
}

// mnLoad is mn_load; see the package comment.
//
//go:wasmexport mn_load
func mnLoad(modelPtr, modelLen, headPtr, headLen, labelsPtr, labelsLen, flags uint32) (handle int32) {
	call("mn_load", func() error {
		if flags&^abi.FlagReference != 0 {
			return argErr("unknown flags %#x", flags&^abi.FlagReference)
		}
		opts := engine.Options{Scheme: kernels.SchemeFP32}
		if flags&abi.FlagReference != 0 {
			opts.Scheme = kernels.SchemeReference
		}
		m, err := guest("model", modelPtr, modelLen)
		if err != nil {
			return err
		}
		// No copies: the engine keeps nothing of the files (it packs what
		// it reads), so the host's blocks may be freed after the call.
		list := [][]byte{m}
		if headLen > 0 {
			h, err := guest("head model", headPtr, headLen)
			if err != nil {
				return err
			}
			list = append(list, h)
		}
		if labelsLen > 0 {
			text, err := guest("labels", labelsPtr, labelsLen)
			if err != nil {
				return err
			}
			if opts.Labels = parseLabels(text); opts.Labels == nil {
				return argErr("labels text has no labels")
			}
		}
		var c *engine.Classifier
		err = tight(func() (err error) {
			c, err = engine.Load(list, opts)
			return err
		})
		if err != nil {
			return refused(err)
		}
		// Valid: the engine parsed it.
		details, err := readFileDetails(list[0])
		if err != nil {
			return refused(err)
		}
		handle, err = models.add(loadedModel{c: c, details: details})
		settle()
		return err
	})
	return handle
}

// mnFreeModel is mn_free_model; see the package comment.
//
//go:wasmexport mn_free_model
func mnFreeModel(h int32) int32 {
	return call("mn_free_model", func() error {
		if err := models.free(h); err != nil {
			return err
		}
		settle()
		return nil
	})
}

// mnInfo is mn_info; see the package comment.
//
//go:wasmexport mn_info
func mnInfo(h int32) int32 {
	return call("mn_info", func() error {
		c, err := model(h)
		if err != nil {
			return err
		}
		result = appendInfoJSON(result[:0], c.Info())
		return nil
	})
}

// mnMemory is mn_memory; see the package comment.
//
//go:wasmexport mn_memory
func mnMemory(h int32) int32 {
	return call("mn_memory", func() error {
		c, err := model(h)
		if err != nil {
			return err
		}
		result = appendMemoryJSON(result[:0], c.Memory(), readGoHeap())
		return nil
	})
}

// mnClassify is mn_classify; see the package comment.
//
//go:wasmexport mn_classify
func mnClassify(h int32, ptr, n uint32, width, height, stride, k int32) int32 {
	return classifyExport("mn_classify", appendPredictionsJSON, h, ptr, n, width, height, stride, k)
}

// mnClassifyBin is mn_classify_bin; see the package comment.
//
//go:wasmexport mn_classify_bin
func mnClassifyBin(h int32, ptr, n uint32, width, height, stride, k int32) int32 {
	return classifyExport("mn_classify_bin", appendPredictionsBin, h, ptr, n, width, height, stride, k)
}

// classifyExport is the body of mn_classify and mn_classify_bin, which
// differ only in how appendTo encodes the classes into the result.
func classifyExport(name string, appendTo func([]byte, []engine.Prediction) []byte, h int32, ptr, n uint32, width, height, stride, k int32) int32 {
	return call(name, func() error {
		preds, err := classify(h, ptr, n, width, height, stride, k)
		if err != nil {
			return err
		}
		result = appendTo(result[:0], preds)
		return nil
	})
}

// appendPredictionsBin appends preds as mn_classify_bin returns them: per
// class, its index as an int32 and its score as a float32, little-endian.
func appendPredictionsBin(dst []byte, preds []engine.Prediction) []byte {
	for _, p := range preds {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(p.Index))
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(p.Score))
	}
	return dst
}

// classify is the common part of mn_classify and mn_classify_bin.
func classify(h int32, ptr, n uint32, width, height, stride, k int32) ([]engine.Prediction, error) {
	c, err := model(h)
	if err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, argErr("k is %d", k)
	}
	pix, err := frame(ptr, n, width, height, stride)
	if err != nil {
		return nil, err
	}
	if err := c.RunRGBA(pix, int(width), int(height), int(stride)); err != nil {
		return nil, refused(err)
	}
	// Reusing one slice keeps the per-frame path free of allocations.
	topK = c.AppendTopK(topK[:0], int(k))
	return topK, nil
}

// topK holds the last classification's classes (see classify).
var topK []engine.Prediction

// mnInfer is mn_infer; see the package comment.
//
//go:wasmexport mn_infer
func mnInfer(h int32, ptr, n uint32) int32 {
	return call("mn_infer", func() error {
		c, err := model(h)
		if err != nil {
			return err
		}
		raw, err := guest("input tensor", ptr, n)
		if err != nil {
			return err
		}
		// Input, Run and Output instead of Infer: no allocation per call.
		in := c.Input()
		if len(raw) != len(in) {
			info := c.Info().Input
			return refused(textfmt.Errorf("input tensor is %d bytes; the model takes %s %v = %d bytes", len(raw), info.DType, info.Shape, len(in)))
		}
		copy(in, raw)
		c.Run()
		result = append(result[:0], c.Output()...)
		return nil
	})
}

// mnEmbed is mn_embed; see the package comment.
//
//go:wasmexport mn_embed
func mnEmbed(h int32, ptr, n uint32, width, height, stride int32) int32 {
	return call("mn_embed", func() error {
		c, err := model(h)
		if err != nil {
			return err
		}
		pix, err := frame(ptr, n, width, height, stride)
		if err != nil {
			return err
		}
		v, err := c.EmbedRGBA(pix, int(width), int(height), int(stride))
		if err != nil {
			return refused(err)
		}
		result = result[:0]
		for _, f := range v {
			result = binary.LittleEndian.AppendUint32(result, math.Float32bits(f))
		}
		return nil
	})
}

// mnResultPtr is mn_result_ptr; see the package comment.
//
//go:wasmexport mn_result_ptr
func mnResultPtr() uint32 { return simd.Addr(result) }

// mnResultLen is mn_result_len; see the package comment.
//
//go:wasmexport mn_result_len
func mnResultLen() uint32 { return uint32(len(result)) }

// mnErrorPtr is mn_error_ptr; see the package comment.
//
//go:wasmexport mn_error_ptr
func mnErrorPtr() uint32 { return simd.Addr(lastErr) }

// mnErrorLen is mn_error_len; see the package comment.
//
//go:wasmexport mn_error_len
func mnErrorLen() uint32 { return uint32(len(lastErr)) }

// mnSIMD is mn_simd; see the package comment.
//
//go:wasmexport mn_simd
func mnSIMD() int32 {
	switch {
	case engine.SIMDEnabled():
		return abi.SIMDOn
	case engine.SIMDLinked():
		return abi.SIMDOff
	}
	return abi.SIMDUnlinked
}

// mnSetSIMD is mn_set_simd; see the package comment.
//
//go:wasmexport mn_set_simd
func mnSetSIMD(on int32) int32 {
	return call("mn_set_simd", func() error {
		if on != 0 && on != 1 {
			return argErr("mn_set_simd takes 0 or 1, not %d", on)
		}
		if !engine.SetSIMD(on == 1) {
			return argErr("the host did not link the SIMD kernels (simd_abi_version is not %d)", abi.SIMDVersion)
		}
		return nil
	})
}
