package wasmmod

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/wasm/abi"
)

// digitFrames decodes photos first to first+n-1 (sorted by name) of a
// sign-digits class as RGBA frames with padded rows.
func digitFrames(tb testing.TB, class string, first, n int) []rgbaFrame {
	tb.Helper()
	dir := testdata.Path(tb, "datasets", "sign-digits", class)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("MOBILENET_REQUIRE_TESTDATA") == "1" {
			tb.Fatal(err)
		}
		tb.Skip(err)
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.JPG"))
	require.NoError(tb, err)
	sort.Strings(paths)
	require.GreaterOrEqual(tb, len(paths), first+n, "sign-digits/%s", class)
	var out []rgbaFrame
	for _, p := range paths[first : first+n] {
		img, _, err := imagefile.DecodeFile(p)
		require.NoError(tb, err)
		out = append(out, toFrame(filepath.Base(p), img))
	}
	return out
}

// toFrame makes a browser-like frame of img: rows padded by 8 bytes.
func toFrame(name string, img image.Image) rgbaFrame {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	stride := 4*w + 8
	pix := make([]byte, stride*h)
	for y := range h {
		copy(pix[y*stride:], rgba.Pix[y*rgba.Stride:y*rgba.Stride+4*w])
	}
	return rgbaFrame{name, pix, w, h, stride}
}

// teachDigits starts a session on the small model with classes "zero" and
// "one": 12 sign-digits photos each, with one augmented copy.
func teachDigits(t *testing.T, mod *Module) (*Model, *Teacher) {
	t.Helper()
	md := loadWasm(t, mod, small, Options{})
	tc, err := md.Teach(TeachOptions{Classes: []string{"zero", "one"}, Model: small.Name})
	require.NoError(t, err)
	for c, class := range []string{"0", "1"} {
		for i, f := range digitFrames(t, class, 0, 12) {
			n, err := tc.AddFrame(c, f.pix, f.w, f.h, f.stride, 1)
			require.NoError(t, err, "%s/%s", class, f.name)
			assert.Equal(t, 2*(i+1), n, "examples of class %d", c)
		}
	}
	return md, tc
}

// TestTeachTrainExportReload teaches the small quantized model two hand
// signs in wasm, trains in steps, predicts held-out photos, exports the
// .tflite, loads it in the module and natively, and checks that all
// agree; then saves the session and restores it into a new one.
func TestTeachTrainExportReload(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	md, tc := teachDigits(t, mod)

	info, err := tc.Info()
	require.NoError(t, err)
	assert.Equal(t, []TeachClass{{Name: "zero", Count: 24}, {Name: "one", Count: 24}}, info.Classes)
	assert.True(t, info.Quant, "the 0.25_128 quant model's features are uint8")
	assert.Nil(t, info.Head, "no head before training")

	steps, err := tc.Train(map[string]any{"seed": 1}, 25)
	require.NoError(t, err)
	require.NotEmpty(t, steps)
	last := steps[len(steps)-1]
	assert.True(t, last.Done)
	assert.Equal(t, "qat", last.Phase, "a quantized base ends with quantization-aware epochs")
	for i, p := range steps {
		assert.Equal(t, i+1, p.Epoch)
	}
	info, err = tc.Info()
	require.NoError(t, err)
	require.NotNil(t, info.Head)
	assert.True(t, info.Head.Quant)
	assert.Equal(t, []string{"zero", "one"}, info.Head.Labels)
	t.Logf("trained %d epochs; last: loss %.4f train %.2f val %.2f", len(steps), last.Loss, last.TrainAcc, last.ValAcc)

	// Held-out photos (later students).
	test := map[int][]rgbaFrame{0: digitFrames(t, "0", 40, 8), 1: digitFrames(t, "1", 40, 8)}
	model, err := tc.Export("hand signs")
	require.NoError(t, err)
	exp, err := mod.Load([][]byte{model}, Options{})
	require.NoError(t, err, "the module loads the export")
	native, err := engine.Load([][]byte{model}, engine.Options{})
	require.NoError(t, err, "the engine loads the export")
	assert.Equal(t, []string{"zero", "one"}, native.Labels(), "labels in the export's metadata")

	correct, total, agree := 0, 0, 0
	for c, frames := range test {
		for _, f := range frames {
			p, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
			require.NoError(t, err)
			require.Len(t, p, 2)
			assert.InDelta(t, 1, p[0].Score+p[1].Score, 0.02, "scores sum to 1")
			if p[0].Index == c {
				correct++
			}
			e, err := exp.Classify(f.pix, f.w, f.h, f.stride, 2)
			require.NoError(t, err)
			n, err := native.ClassifyRGBA(f.pix, f.w, f.h, f.stride, 2)
			require.NoError(t, err)
			assert.Equal(t, n, e, "%s: the export in wasm and natively", f.name)
			if e[0].Index == p[0].Index {
				agree++
			}
			assert.Equal(t, p[0].Label, e[0].Label)
			total++
		}
	}
	t.Logf("held out: %d/%d correct; export agrees with the session's head on %d/%d", correct, total, agree, total)
	assert.GreaterOrEqual(t, correct, total*3/4, "held-out accuracy")
	assert.GreaterOrEqual(t, agree, total-1, "the export's top-1 against the session's head")

	// Save, and restore into a new session on the same model.
	state, err := tc.Save()
	require.NoError(t, err)
	tc2, err := md.Teach(TeachOptions{})
	require.NoError(t, err)
	require.NoError(t, tc2.Restore(state))
	info2, err := tc2.Info()
	require.NoError(t, err)
	assert.Equal(t, info.Classes, info2.Classes)
	assert.Equal(t, info.Head, info2.Head)
	assert.Equal(t, small.Name, info2.Model)
	f := test[1][0]
	p1, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	p2, err := tc2.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	assert.Equal(t, p1, p2, "the restored head predicts as the saved one")
	state2, err := tc2.Save()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(state, state2), "saving the restored session gives the same bytes")
	m2, err := tc2.Export("hand signs")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(model, m2), "the restored session exports the same model")

	// The session outlives its model's handle.
	require.NoError(t, md.Close())
	_, err = tc2.Predict(f.pix, f.w, f.h, f.stride, 1)
	require.NoError(t, err, "predict after mn_free_model")
	require.NoError(t, tc.Close())
	require.NoError(t, tc2.Close())
}

// TestTeachBadInput checks the teaching exports' clear errors for what a
// user can do wrong, that they lose nothing, and hostile arguments.
func TestTeachBadInput(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	md := loadWasm(t, mod, small, Options{})
	tc, err := md.Teach(TeachOptions{Classes: []string{"zero"}})
	require.NoError(t, err)
	frames := digitFrames(t, "0", 0, 4)
	ones := digitFrames(t, "1", 0, 4)
	f := frames[0]

	// Training with no class, one class, an empty class.
	empty, err := md.Teach(TeachOptions{})
	require.NoError(t, err)
	err = empty.TrainStart(nil)
	requireGuestError(t, err, abi.StatusInput, "no classes")
	assert.Contains(t, err.Error(), "no classes")
	for _, x := range frames {
		_, err := tc.AddFrame(0, x.pix, x.w, x.h, x.stride, 0)
		require.NoError(t, err)
	}
	err = tc.TrainStart(nil)
	requireGuestError(t, err, abi.StatusInput, "one class")
	assert.Contains(t, err.Error(), `only one class ("zero")`)
	require.NoError(t, tc.SetClass(1, "one"))
	err = tc.TrainStart(nil)
	requireGuestError(t, err, abi.StatusInput, "empty class")
	assert.Contains(t, err.Error(), `class "one" has no examples`)

	// A 1x1 image, and a 15x15 one.
	_, err = tc.AddFrame(1, []byte{1, 2, 3, 255}, 1, 1, 4, 0)
	requireGuestError(t, err, abi.StatusInput, "1x1 frame")
	assert.Contains(t, err.Error(), "1x1 pixels, too small")
	_, err = tc.AddFrame(1, make([]byte, 15*15*4), 15, 15, 60, 0)
	requireGuestError(t, err, abi.StatusInput, "15x15 frame")

	// Nothing was lost.
	info, err := tc.Info()
	require.NoError(t, err)
	assert.Equal(t, []TeachClass{{Name: "zero", Count: 4}, {Name: "one", Count: 0}}, info.Classes)

	// Predict and export before training.
	_, err = tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	requireGuestError(t, err, abi.StatusInput, "predict untrained")
	assert.Contains(t, err.Error(), "nothing trained yet")
	_, err = tc.Export("")
	requireGuestError(t, err, abi.StatusInput, "export untrained")

	// Train (under 3 examples a class: no validation split), then cancel
	// a second training half way: the first head stays.
	for _, x := range ones {
		_, err := tc.AddFrame(1, x.pix, x.w, x.h, x.stride, 0)
		require.NoError(t, err)
	}
	_, err = tc.Train(map[string]any{"epochs": 30, "val": 0}, 30)
	require.NoError(t, err)
	before, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	require.NoError(t, tc.TrainStart(map[string]any{"epochs": 30, "val": 0, "seed": 99, "lr": 0.1}))
	_, done, err := tc.TrainStep(3)
	require.NoError(t, err)
	require.False(t, done)
	during, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	assert.Equal(t, before, during, "during training, the previous head predicts")
	require.NoError(t, tc.TrainStop(false))
	after, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	assert.Equal(t, before, after, "after a cancel, the previous head predicts")
	_, _, err = tc.TrainStep(1)
	requireGuestError(t, err, abi.StatusArgument, "step after stop")

	// A rename keeps the head; its predictions carry the new name.
	require.NoError(t, tc.SetClass(0, "fist"))
	p, err := tc.Predict(f.pix, f.w, f.h, f.stride, 2)
	require.NoError(t, err)
	names := []string{p[0].Label, p[1].Label}
	assert.ElementsMatch(t, []string{"fist", "one"}, names)

	// Corrupt saved states: refused, and the session is unchanged.
	state, err := tc.Save()
	require.NoError(t, err)
	info, err = tc.Info()
	require.NoError(t, err)
	hl := binary.LittleEndian.Uint32(state[8:])
	flipped := bytes.Clone(state)
	flipped[12+hl+5] ^= 0xff // inside the first vector: still finite? use NaN below
	nan := bytes.Clone(state)
	binary.LittleEndian.PutUint32(nan[12+hl:], math.Float32bits(float32(math.NaN())))
	badHeader := bytes.Clone(state)
	copy(badHeader[12:], `{"model":1`)
	otherDim := bytes.Replace(bytes.Clone(state), []byte(`"dim":256`), []byte(`"dim":255`), 1)
	for name, b := range map[string][]byte{
		"empty":       {},
		"garbage":     []byte("this is not a project at all"),
		"truncated":   state[:len(state)-7],
		"extra bytes": append(bytes.Clone(state), 0),
		"bad header":  badHeader,
		"NaN feature": nan,
		"other dim":   otherDim,
		"huge header": append([]byte("MNTEACH1\xff\xff\xff\x7f"), state[12:]...),
	} {
		err := tc.Restore(b)
		if name == "empty" {
			requireGuestError(t, err, abi.StatusInput, name)
		} else {
			requireGuestError(t, err, abi.StatusInput, "restore "+name)
		}
		assert.Contains(t, err.Error(), "not a saved teaching project", name)
		got, err := tc.Info()
		require.NoError(t, err)
		assert.Equal(t, info, got, "after restoring %s, the session changed", name)
	}
	require.NoError(t, tc.Restore(flipped), "a changed but finite feature is still a state")
	require.NoError(t, tc.Restore(state))

	// Hostile arguments: reported, never a trap.
	x := func(v int32) uint64 { return uint64(uint32(v)) }
	for _, c := range []struct {
		name string
		args []uint64
	}{
		{"mn_teach_info", []uint64{x(999)}},
		{"mn_teach_free", []uint64{x(-1)}},
		{"mn_teach_class", []uint64{x(tc.id), x(5), 0, 0}},
		{"mn_teach_class", []uint64{x(tc.id), x(-1), 0, 0}},
		{"mn_teach_delete_class", []uint64{x(tc.id), x(2)}},
		{"mn_teach_add_frame", []uint64{x(tc.id), x(7), 0, 0, x(10), x(10), x(40), 0}},
		{"mn_teach_add_frame", []uint64{x(tc.id), 0, 0x7fff0000, 400, x(10), x(10), x(40), 0}},
		{"mn_teach_add_frame", []uint64{x(tc.id), 0, 0, 0, x(-3), x(10), x(40), 0}},
		{"mn_teach_add_frame", []uint64{x(tc.id), 0, 0, 0, x(10), x(10), x(40), x(-1)}},
		{"mn_teach_add_frame", []uint64{x(tc.id), 0, 0, 0, x(10), x(10), x(40), x(1000)}},
		{"mn_teach_add_embedding", []uint64{x(tc.id), 0, 12, 0xffffffff}},
		{"mn_teach_remove", []uint64{x(tc.id), 0, x(4)}},
		{"mn_teach_remove", []uint64{x(tc.id), 0, x(-1)}},
		{"mn_teach_clear", []uint64{x(tc.id), x(-2)}},
		{"mn_teach_train_start", []uint64{x(tc.id), 1, 10}},
		{"mn_teach_train_step", []uint64{x(tc.id), x(0)}},
		{"mn_teach_train_stop", []uint64{x(tc.id), x(2)}},
		{"mn_teach_predict", []uint64{x(tc.id), 0, 0, x(10), x(10), x(40), x(-1)}},
		{"mn_teach_export", []uint64{x(tc.id), 0xfffffff0, 64}},
		{"mn_teach_restore", []uint64{x(tc.id), 3, 5}},
		{"mn_teach_new", []uint64{x(12345), 0, 0}},
	} {
		err := mod.teachCall(c.name, c.args...)
		var e *Error
		if c.name == "mn_teach_new" {
			// Returns 0, not a status.
			r, cerr := mod.call(c.name, c.args...)
			require.NoError(t, cerr)
			assert.Zero(t, r, "%s%v", c.name, c.args)
			continue
		}
		require.ErrorAs(t, err, &e, "%s%v: want a reported error", c.name, c.args)
		assert.Equal(t, abi.StatusArgument, e.Status, "%s%v: %v", c.name, c.args, err)
	}
	for name, opts := range map[string]map[string]any{
		"unknown field":   {"epoch": 3},
		"negative val":    {"val": -0.5},
		"val 1":           {"val": 1},
		"negative hidden": {"hidden": -1},
	} {
		err := tc.TrainStart(opts)
		require.Error(t, err, name)
		var e *Error
		require.ErrorAs(t, err, &e, name)
	}
	for _, name := range []string{"", "  ", "two\nlines"} {
		requireGuestError(t, tc.SetClass(2, name), abi.StatusArgument, "class name "+name)
	}
	requireGuestError(t, tc.AddEmbedding(0, make([]float32, 10)), abi.StatusInput, "short embedding")
	v := make([]float32, 256)
	v[3] = float32(math.Inf(1))
	requireGuestError(t, tc.AddEmbedding(0, v), abi.StatusInput, "infinite embedding")
	v[3] = 0.5
	require.NoError(t, tc.AddEmbedding(0, v))
	require.NoError(t, tc.Remove(0, 4))
	info2, err := tc.Info()
	require.NoError(t, err)
	assert.Equal(t, info.Classes, info2.Classes, "after the hostile calls")

	// Deleting a class drops the head.
	require.NoError(t, tc.DeleteClass(0))
	info2, err = tc.Info()
	require.NoError(t, err)
	assert.Equal(t, []TeachClass{{Name: "one", Count: 4}}, info2.Classes)
	assert.Nil(t, info2.Head)
	require.NoError(t, tc.Clear(-1))

	requireWorks(t, mod)
}
