package imagefolder

import (
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/train"
)

// writePNG writes a w x h image of one colour.
func writePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "b", "2.png"), 16, 16)
	writePNG(t, filepath.Join(dir, "b", "1.PNG"), 16, 16)
	writePNG(t, filepath.Join(dir, "a", "x.png"), 16, 16)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "README.md"), []byte("not an image"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".cache"), 0o755))
	f, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, f.Classes)
	assert.Equal(t, []Item{
		{filepath.Join(dir, "a", "x.png"), 0},
		{filepath.Join(dir, "b", "1.PNG"), 1},
		{filepath.Join(dir, "b", "2.png"), 1},
	}, f.Items)
	assert.Equal(t, []int{0, 1, 1}, f.Labels())
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Read(filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "data folder")

	_, err = Read(dir)
	require.ErrorContains(t, err, "no class folders")

	writePNG(t, filepath.Join(dir, "thumbs", "1.png"), 16, 16)
	_, err = Read(dir)
	require.ErrorContains(t, err, `one class folder ("thumbs")`)

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty", "notes.txt"), nil, 0o644))
	_, err = Read(dir)
	require.ErrorContains(t, err, `class "empty"`)
	require.ErrorContains(t, err, "has no images")
}

func TestEmbedFileErrors(t *testing.T) {
	c, err := engine.LoadFiles([]string{testdata.Path(t, "models", "mobilenet_v1_0.25_128_quant.tflite")}, engine.Options{})
	require.NoError(t, err)
	dir := t.TempDir()
	tiny := filepath.Join(dir, "tiny.png")
	writePNG(t, tiny, 1, 1)
	_, err = EmbedFile(c, tiny, 0, train.AugmentOptions{}, 1)
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrTooSmall))
	assert.Contains(t, err.Error(), "tiny.png: image too small: 1x1 pixels")

	bad := filepath.Join(dir, "bad.jpg")
	require.NoError(t, os.WriteFile(bad, []byte("not a jpeg"), 0o644))
	_, err = EmbedFile(c, bad, 0, train.AugmentOptions{}, 1)
	require.ErrorContains(t, err, "bad.jpg")

	ok := filepath.Join(dir, "ok.png")
	writePNG(t, ok, 40, 30)
	v, err := EmbedFile(c, ok, 3, train.AugmentOptions{}, 1)
	require.NoError(t, err)
	require.Len(t, v, 4)
	assert.Len(t, v[0], 256)
	assert.NotEqual(t, v[0], v[1], "an augmented copy differs")
	again, err := EmbedFile(c, ok, 3, train.AugmentOptions{}, 1)
	require.NoError(t, err)
	assert.Equal(t, v, again, "deterministic for a seed")
}
