package wasmmod

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// TestNoLeak runs 1000 consecutive inferences of the small model in one
// module, cycling through mn_infer, mn_classify, mn_classify_bin and
// mn_embed, each with its own mn_alloc'd input freed afterwards (as the Go
// wrappers do). The linear memory, which grows with the Go heap and never
// shrinks, must stay flat between call 100 and call 1000.
//
// Tolerance: growthSlack. The Go runtime may still grow its heap by a page
// or so while its spans settle (seen: one 64 KiB page at call 142, then flat
// to call 2000), while keeping any one thing a call allocates (the 800 KB
// frame, the 1001-byte output, the JSON) would grow it by 900 of them.
func TestNoLeak(t *testing.T) {
	const growthSlack = 256 << 10 // 4 wasm pages
	t.Parallel()
	mod := openModule(t)
	w := loadWasm(t, mod, small, Options{Labels: testdata.ImagenetLabels(t)})
	photo := goldenPhotos(t, small.Size, 1)[0]
	in := goldenInput(t, small, photo)
	want := goldenOutput(t, small, photo)
	f := photoFrames(t, "hot_dog.jpg")[0] // 512x384, about a webcam frame

	var after100 uint32
	for i := 1; i <= 1000; i++ {
		switch i % 4 {
		case 0:
			out, err := w.Infer(in)
			require.NoError(t, err)
			require.True(t, bytes.Equal(out, want), "inference %d differs from the golden", i)
		case 1:
			_, err := w.Classify(f.pix, f.w, f.h, f.stride, 5)
			require.NoError(t, err)
		case 2:
			_, err := w.ClassifyBinary(f.pix, f.w, f.h, f.stride, 5)
			require.NoError(t, err)
		case 3:
			_, err := w.Embed(f.pix, f.w, f.h, f.stride)
			require.NoError(t, err)
		}
		if i == 100 {
			after100 = mod.MemorySize()
		}
	}
	after1000 := mod.MemorySize()
	t.Logf("linear memory: %d KiB after 100 inferences, %d KiB after 1000 (frame %dx%d, %d bytes a call)",
		after100>>10, after1000>>10, f.w, f.h, len(f.pix))
	require.LessOrEqual(t, after1000, after100+growthSlack, "linear memory grew by %d KiB between inference 100 and 1000: a leak", (after1000-after100)>>10)
}

// TestSideBySide loads two different models and a second copy of the first
// in one module and interleaves their inferences: each must give what it
// gives alone in a fresh module. Freeing one must not disturb the others.
func TestSideBySide(t *testing.T) {
	t.Parallel()
	a, b := small, sharedModels[1]
	photosA := goldenPhotos(t, a.Size, 6)
	photosB := goldenPhotos(t, b.Size, 6)
	frame := photoFrames(t, "parrot.jpg")[0]

	type outputs struct {
		raw   [][]byte
		top5  []Prediction
		embed []float32
	}
	run := func(md *Model, m sharedModel, photos []string, i int, o *outputs) {
		out, err := md.Infer(goldenInput(t, m, photos[i]))
		require.NoError(t, err)
		o.raw = append(o.raw, out)
	}
	alone := func(m sharedModel, photos []string) outputs {
		mod := openModule(t)
		md := loadWasm(t, mod, m, Options{})
		var o outputs
		for i := range photos {
			run(md, m, photos, i, &o)
		}
		var err error
		o.top5, err = md.Classify(frame.pix, frame.w, frame.h, frame.stride, 5)
		require.NoError(t, err)
		o.embed, err = md.Embed(frame.pix, frame.w, frame.h, frame.stride)
		require.NoError(t, err)
		return o
	}
	wantA, wantB := alone(a, photosA), alone(b, photosB)

	mod := openModule(t)
	mdA := loadWasm(t, mod, a, Options{})
	mdB := loadWasm(t, mod, b, Options{})
	mdA2 := loadWasm(t, mod, a, Options{})
	var gotA, gotB, gotA2 outputs
	for i := range photosA {
		run(mdA, a, photosA, i, &gotA)
		run(mdB, b, photosB, i, &gotB)
		// The copy runs the photos in reverse, so that the two copies of
		// the same model always hold different activations.
		run(mdA2, a, photosA, len(photosA)-1-i, &gotA2)
	}
	for i := range photosA {
		require.True(t, bytes.Equal(wantA.raw[i], gotA.raw[i]), "model A, %s: differs when interleaved", photosA[i])
		require.True(t, bytes.Equal(wantB.raw[i], gotB.raw[i]), "model B, %s: differs when interleaved", photosB[i])
		require.True(t, bytes.Equal(wantA.raw[len(photosA)-1-i], gotA2.raw[i]), "model A's copy, %s: differs when interleaved", photosA[len(photosA)-1-i])
	}

	// Frames, interleaved the same way, with A freed halfway.
	top5B, err := mdB.Classify(frame.pix, frame.w, frame.h, frame.stride, 5)
	require.NoError(t, err)
	top5A, err := mdA.Classify(frame.pix, frame.w, frame.h, frame.stride, 5)
	require.NoError(t, err)
	require.NoError(t, mdA.Close())
	embedB, err := mdB.Embed(frame.pix, frame.w, frame.h, frame.stride)
	require.NoError(t, err)
	embedA2, err := mdA2.Embed(frame.pix, frame.w, frame.h, frame.stride)
	require.NoError(t, err)
	require.Equal(t, wantA.top5, top5A)
	require.Equal(t, wantB.top5, top5B)
	require.True(t, testdata.SameBits(wantB.embed, embedB), "model B's embedding differs")
	require.True(t, testdata.SameBits(wantA.embed, embedA2), "model A's copy's embedding differs")
}
