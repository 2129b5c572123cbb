package wasmmod

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// floatTolerance is how far the float model's outputs may be from the
// goldens: TFLite's own SIMD and non-SIMD builds differ from each other by
// up to 5.7e-6, so a float result is only as exact as its summation order.
// Wasm and native must still agree bit for bit.
const floatTolerance = 1e-5

// TestGoldens runs every shared model in wasm and natively on the golden
// input tensors: the outputs must be byte-identical, and for the quantized
// models equal to the official runtime's (the fp32 requantization scheme).
// Big models use a subset of the photos (sharedModel.photos).
func TestGoldens(t *testing.T) {
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			mod := openModule(t)
			w := loadWasm(t, mod, m, Options{})
			n := loadNative(t, m, Options{})

			info, err := w.Info()
			require.NoError(t, err)
			want, err := json.Marshal(n.Info())
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(info), "mn_info differs from the native Info")

			photos := goldenPhotos(t, m.Size, m.photos)
			var maxDiff float64
			for _, photo := range photos {
				in := goldenInput(t, m, photo)
				got, err := w.Infer(in)
				require.NoError(t, err, photo)
				native, err := n.Infer(in)
				require.NoError(t, err, photo)
				require.True(t, bytes.Equal(got, native), "%s: wasm and native outputs differ", photo)
				maxDiff = max(maxDiff, requireGolden(t, m, photo, got))
			}
			if m.Float {
				t.Logf("%d photos: wasm == native byte for byte; max |diff| to goldens %.3g", len(photos), maxDiff)
			} else {
				t.Logf("%d photos: wasm == native == goldens byte for byte", len(photos))
			}
		})
	}
}

// TestReferenceScheme checks the reference requantization (mn_load's
// FlagReference) against the native engine in the same scheme.
func TestReferenceScheme(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	w := loadWasm(t, mod, small, Options{Reference: true})
	n := loadNative(t, small, Options{Reference: true})
	info, err := w.Info()
	require.NoError(t, err)
	var fields struct {
		Requant string `json:"requant"`
	}
	require.NoError(t, json.Unmarshal(info, &fields))
	require.Equal(t, "reference", fields.Requant)
	for _, photo := range goldenPhotos(t, small.Size, 10) {
		in := goldenInput(t, small, photo)
		got, err := w.Infer(in)
		require.NoError(t, err)
		want, err := n.Infer(in)
		require.NoError(t, err)
		require.True(t, bytes.Equal(got, want), "%s: wasm and native differ in the reference scheme", photo)
	}
}

// TestClassifyFrames classifies RGBA frames (padded rows, junk alpha) in
// wasm, through both the JSON and the binary export, and embeds them: all
// must equal the native ClassifyRGBA and EmbedRGBA on the same frames.
func TestClassifyFrames(t *testing.T) {
	frames := photoFrames(t, "grace_hopper.bmp", "cat_720p.jpg", "parrot.jpg")
	labels := testdata.ImagenetLabels(t)
	for _, m := range sharedModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			fs := frames[:m.frames]
			mod := openModule(t)
			opts := Options{Labels: labels}
			w := loadWasm(t, mod, m, opts)
			n := loadNative(t, m, opts)
			for _, f := range fs {
				want, err := n.ClassifyRGBA(f.pix, f.w, f.h, f.stride, 5)
				require.NoError(t, err, f.name)
				got, err := w.Classify(f.pix, f.w, f.h, f.stride, 5)
				require.NoError(t, err, f.name)
				require.Equal(t, want, got, "%s: mn_classify differs from native ClassifyRGBA", f.name)
				require.NotEmpty(t, got[0].Label, f.name)

				bin, err := w.ClassifyBinary(f.pix, f.w, f.h, f.stride, 5)
				require.NoError(t, err, f.name)
				for i := range want {
					want[i].Label = ""
				}
				require.Equal(t, want, bin, "%s: mn_classify_bin differs from native ClassifyRGBA", f.name)

				wantV, err := n.EmbedRGBA(f.pix, f.w, f.h, f.stride)
				require.NoError(t, err, f.name)
				gotV, err := w.Embed(f.pix, f.w, f.h, f.stride)
				require.NoError(t, err, f.name)
				require.True(t, testdata.SameBits(wantV, gotV), "%s: mn_embed differs from native EmbedRGBA (%d vs %d values)", f.name, len(gotV), len(wantV))
				t.Logf("%s: top-1 %d %q %.4f; embedding of %d values", f.name, got[0].Index, got[0].Label, got[0].Score, len(gotV))
			}
		})
	}
}

// TestClassifyK checks k at the edges: 0 gives an empty list, more than the
// classes gives all of them.
func TestClassifyK(t *testing.T) {
	t.Parallel()
	mod := openModule(t)
	w := loadWasm(t, mod, small, Options{})
	n := loadNative(t, small, Options{})
	f := photoFrames(t, "owl.jpg")[0]
	for _, k := range []int{0, 1, 1001, 5000} {
		got, err := w.Classify(f.pix, f.w, f.h, f.stride, k)
		require.NoError(t, err)
		want, err := n.ClassifyRGBA(f.pix, f.w, f.h, f.stride, k)
		require.NoError(t, err)
		require.Equal(t, want, got, "k=%d", k)
		require.Len(t, got, min(k, 1001), "k=%d", k)
	}
}
