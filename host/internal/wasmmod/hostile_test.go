package wasmmod

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/wasm/abi"
)

// requireGuestError fails unless err is an error the module reported
// through the ABI (not a trap) with the given status.
func requireGuestError(t *testing.T, err error, status int32, what string) {
	t.Helper()
	var e *Error
	require.Error(t, err, what)
	require.True(t, errors.As(err, &e), "%s: want a reported error, got %v", what, err)
	require.Equal(t, status, e.Status, "%s: %v", what, err)
	require.NotEmpty(t, e.Msg, what)
}

// requireWorks loads the small model in mod and checks a golden inference
// and a frame classification: the module survived whatever came before.
func requireWorks(t *testing.T, mod *Module) {
	t.Helper()
	w := loadWasm(t, mod, small, Options{})
	defer func() { require.NoError(t, w.Close()) }()
	photo := goldenPhotos(t, small.Size, 1)[0]
	got, err := w.Infer(goldenInput(t, small, photo))
	require.NoError(t, err)
	require.True(t, bytes.Equal(got, goldenOutput(t, small, photo)), "after the hostile inputs, %s differs from the golden", photo)
	f := photoFrames(t, "owl.jpg")[0]
	_, err = w.Classify(f.pix, f.w, f.h, f.stride, 5)
	require.NoError(t, err)
}

// TestHostileModels feeds mn_load garbage, truncated and corrupted models:
// each must be refused with an error (or, for corruptions that leave a
// valid model, load and run), never trap, and the module must keep working.
func TestHostileModels(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	real := small.Read(t)[0]
	rng := rand.New(rand.NewPCG(3, 2026))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	refused := []struct {
		name   string
		models [][]byte
	}{
		{"empty", [][]byte{{}}},
		{"random 16 bytes", [][]byte{random(16)}},
		{"random 1000 bytes", [][]byte{random(1000)}},
		{"random 200 KB", [][]byte{random(200 << 10)}},
		{"first 1000 bytes", [][]byte{real[:1000]}},
		{"first half", [][]byte{real[:len(real)/2]}},
		{"root offset past the end", [][]byte{func() []byte {
			b := bytes.Clone(real)
			binary.LittleEndian.PutUint32(b, uint32(len(b))+8)
			return b
		}()}},
		{"root offset 0xFFFFFFF0", [][]byte{func() []byte {
			b := bytes.Clone(real)
			binary.LittleEndian.PutUint32(b, 0xFFFFFFF0)
			return b
		}()}},
		{"garbage head", [][]byte{real, random(5000)}},
		{"truncated head", [][]byte{real, real[:1000]}},
		{"model as head", [][]byte{real, real}}, // the head does not take the model's output
	}
	for _, c := range refused {
		_, err := mod.Load(c.models, Options{})
		requireGuestError(t, err, 0, c.name)
		t.Logf("%s: %v", c.name, err)
	}
	// Truncations past the last table may still hold a whole model.
	for _, cut := range []int{1, 100, 4096} {
		md, err := mod.Load([][]byte{real[:len(real)-cut]}, Options{})
		if err != nil {
			requireGuestError(t, err, 0, fmt.Sprintf("all but the last %d bytes", cut))
			t.Logf("all but the last %d bytes: %v", cut, err)
			continue
		}
		t.Logf("all but the last %d bytes: loads", cut)
		require.NoError(t, md.Close())
	}

	// Bit flips: most land in weights and give a valid model; flips in the
	// structure must be refused. Neither may trap.
	var loaded, failed int
	f := photoFrames(t, "owl.jpg")[0]
	in := goldenInput(t, small, goldenPhotos(t, small.Size, 1)[0])
	for i := range 60 {
		b := bytes.Clone(real)
		flips := 1 + i%8
		var where []int
		for range flips {
			// Half of the flips in the first 4 KiB, where the flatbuffer
			// tables and vectors of tensors and operators are.
			n := len(b)
			if i%2 == 0 {
				n = min(n, 4096)
			}
			pos := rng.IntN(n)
			b[pos] ^= 1 << rng.IntN(8)
			where = append(where, pos)
		}
		what := fmt.Sprintf("flip %d (bytes %v)", i, where)
		md, err := mod.Load([][]byte{b}, Options{})
		if err != nil {
			requireGuestError(t, err, 0, what)
			failed++
			continue
		}
		loaded++
		// A model that loads must run (or refuse the input) without trapping.
		if _, err := md.Infer(in); err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%s: infer trapped: %v", what, err)
		}
		if _, err := md.Classify(f.pix, f.w, f.h, f.stride, 3); err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%s: classify trapped: %v", what, err)
		}
		require.NoError(t, md.Close(), what)
	}
	t.Logf("bit-flipped models: %d refused, %d loaded and ran without trapping", failed, loaded)
	requireWorks(t, mod)
}

// TestABIMisuse calls the exports with bad handles, pointers, lengths, flags
// and dimensions: each must return the documented status and message, and
// the module must keep working.
func TestABIMisuse(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	w := loadWasm(t, mod, small, Options{})
	f := photoFrames(t, "owl.jpg")[0]
	h := uint64(w.handle)

	statusOf := func(name string, params ...uint64) error {
		return mod.status(name, params...)
	}
	// A bad handle, for every export that takes one.
	for _, name := range []string{"mn_free_model", "mn_info", "mn_classify", "mn_classify_bin", "mn_infer", "mn_embed"} {
		params := []uint64{12345, 0, 0, 1, 1, 4, 1}
		switch name {
		case "mn_free_model", "mn_info":
			params = params[:1]
		case "mn_infer":
			params = params[:3]
		case "mn_embed":
			params = params[:6]
		}
		requireGuestError(t, statusOf(name, params...), abi.StatusArgument, name+" with a bad handle")
	}

	// Blocks: mn_free of a non-block, double free, oversized mn_alloc.
	requireGuestError(t, statusOf("mn_free", 8), abi.StatusArgument, "mn_free(8)")
	ptr, err := mod.alloc(make([]byte, 100))
	require.NoError(t, err)
	requireGuestError(t, statusOf("mn_free", uint64(ptr+1)), abi.StatusArgument, "mn_free of an interior pointer")
	require.NoError(t, mod.free(ptr))
	requireGuestError(t, statusOf("mn_free", uint64(ptr)), abi.StatusArgument, "double mn_free")
	r, err := mod.call("mn_alloc", 1<<30)
	require.NoError(t, err)
	require.Zero(t, uint32(r), "mn_alloc(1 GiB) must fail")
	requireGuestError(t, mod.guestError("mn_alloc", 0), 0, "mn_alloc(1 GiB)")

	// Pointers and lengths outside blocks.
	fp, err := mod.alloc(f.pix)
	require.NoError(t, err)
	defer mod.free(fp)
	frameArgs := func(ptr uint32, n int, w, hgt, stride, k int32) []uint64 {
		return []uint64{h, uint64(ptr), uint64(n), uint64(uint32(w)), uint64(uint32(hgt)), uint64(uint32(stride)), uint64(uint32(k))}
	}
	W, H, S := int32(f.w), int32(f.h), int32(f.stride)
	requireGuestError(t, statusOf("mn_classify", frameArgs(8, len(f.pix), W, H, S, 5)...), abi.StatusArgument, "frame at a non-block address")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix)+1, W, H, S, 5)...), abi.StatusArgument, "frame overrunning its block")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp+4, len(f.pix), W, H, S, 5)...), abi.StatusArgument, "interior frame overrunning its block")
	requireGuestError(t, statusOf("mn_classify", frameArgs(0xFFFFFFF0, 100, W, H, S, 5)...), abi.StatusArgument, "frame at the end of the address space")
	requireGuestError(t, statusOf("mn_infer", h, 0xFFFF0000, 49152), abi.StatusArgument, "input outside memory")

	// Dimensions and k.
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix), W, H, S, -1)...), abi.StatusArgument, "k = -1")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix), 0, H, S, 5)...), abi.StatusArgument, "width 0")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix), W, -3, S, 5)...), abi.StatusArgument, "height -3")
	requireGuestError(t, statusOf("mn_embed", frameArgs(fp, len(f.pix), W, H, 0, 5)[:6]...), abi.StatusArgument, "stride 0")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix), W, H, 4*W-4, 5)...), abi.StatusInput, "stride < 4*width")
	need := f.stride*(f.h-1) + 4*f.w // the last row's padding is not needed
	require.NoError(t, statusOf("mn_classify", frameArgs(fp, need, W, H, S, 5)...), "frame without the last row's padding")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, need-1, W, H, S, 5)...), abi.StatusInput, "frame shorter than its dimensions")
	requireGuestError(t, statusOf("mn_classify", frameArgs(fp, len(f.pix), W*4, H*4, S*4, 5)...), abi.StatusInput, "dimensions larger than the frame")
	requireGuestError(t, statusOf("mn_infer", h, uint64(fp), 100), abi.StatusInput, "input tensor of the wrong size")
	_, err = w.Infer(nil)
	requireGuestError(t, err, abi.StatusInput, "empty input tensor")

	// A failure empties the result; a success clears the error.
	n, err := mod.call("mn_result_len")
	require.NoError(t, err)
	require.Zero(t, n, "the result must be empty after a failure")
	got, err := w.Classify(f.pix, f.w, f.h, f.stride, 5)
	require.NoError(t, err)
	n, err = mod.call("mn_error_len")
	require.NoError(t, err)
	require.Zero(t, n, "the error must be empty after a success")

	// An interior pointer into a bigger block is fine.
	big := append(make([]byte, 64), f.pix...)
	bp, err := mod.alloc(append(big, make([]byte, 64)...))
	require.NoError(t, err)
	require.NoError(t, statusOf("mn_classify", frameArgs(bp+64, len(f.pix), W, H, S, 5)...))
	res, err := mod.result()
	require.NoError(t, err)
	var interior []Prediction
	require.NoError(t, json.Unmarshal(res, &interior))
	require.Equal(t, got, interior, "classifying from an interior pointer")
	require.NoError(t, mod.free(bp))

	// Loading: unknown flags, labels that do not fit, labels of nothing.
	model := small.Read(t)[0]
	mp, err := mod.alloc(model)
	require.NoError(t, err)
	defer mod.free(mp)
	load := func(labels []byte, flags uint64) error {
		lp, err := mod.alloc(labels)
		require.NoError(t, err)
		defer mod.free(lp)
		r, err := mod.call("mn_load", uint64(mp), uint64(len(model)), 0, 0, uint64(lp), uint64(len(labels)), flags)
		require.NoError(t, err)
		if int32(r) <= 0 {
			return mod.guestError("mn_load", 0)
		}
		require.NoError(t, mod.status("mn_free_model", r))
		return nil
	}
	requireGuestError(t, load(nil, 2), 0, "unknown flag")
	requireGuestError(t, load([]byte("a\nb\nc\n"), 0), 0, "3 labels for 1001 classes")
	requireGuestError(t, load([]byte("\n\n"), 0), 0, "labels text of empty lines")
	require.NoError(t, load(nil, 1), "FlagReference")
	labels := make([]string, 1000)
	for i := range labels {
		labels[i] = fmt.Sprintf("class %d \"quoted\" \\ \t é", i)
	}
	md, err := mod.Load([][]byte{model}, Options{Labels: labels})
	require.NoError(t, err, "1000 labels get background prepended")
	top, err := md.Classify(f.pix, f.w, f.h, f.stride, 1)
	require.NoError(t, err)
	require.Equal(t, labels[top[0].Index-1], top[0].Label, "a label with JSON escapes")
	require.NoError(t, md.Close())

	// Freed models are gone; handles are not reused.
	require.NoError(t, w.Close())
	requireGuestError(t, w.Close(), abi.StatusArgument, "mn_free_model twice")
	_, err = w.Classify(f.pix, f.w, f.h, f.stride, 5)
	requireGuestError(t, err, abi.StatusArgument, "classify with a freed model")
	w2 := loadWasm(t, mod, small, Options{})
	require.NotEqual(t, w.handle, w2.handle, "a handle was reused")

	requireWorks(t, mod)
}
