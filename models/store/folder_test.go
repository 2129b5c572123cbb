package store

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/models"

	"mobilenet-wasm/internal/testdata"
)

// synthFile writes a synthetic model to dir/name and returns its path and
// bytes.
func synthFile(t *testing.T, dir, name string, o models.SynthOptions) (string, []byte) {
	t.Helper()
	data, err := models.Synth(o)
	require.NoError(t, err)
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p, data
}

// tgz builds a gzipped tar archive of files (path, contents pairs).
func tgz(t testing.TB, files ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}))
	for i := 0; i < len(files); i += 2 {
		data := files[i+1].([]byte)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: files[i].(string), Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))}))
		_, err := tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(EnvDir, "/some/where")
	d, err := DefaultDir()
	require.NoError(t, err)
	assert.Equal(t, "/some/where", d)
	t.Setenv(EnvDir, "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	d, err = DefaultDir()
	require.NoError(t, err)
	if c, err := os.UserCacheDir(); err == nil {
		assert.Equal(t, filepath.Join(c, "mobilenet-wasm", "models"), d)
	}
}

// TestImportShared imports the release's files of the shared test data:
// each is recognised by its shapes and stored under its catalog name with
// its checksum in the manifest; the split model is found as two parts.
func TestImportShared(t *testing.T) {
	src := testdata.Path(t, "models")
	f := Folder{Dir: t.TempDir()}
	for file, want := range map[string]string{
		"mobilenet_v1_0.25_128_quant.tflite":                    "mobilenet_v1_0.25_128_quant.tflite",
		"mobilenet_v1_0.25_224.tflite":                          "mobilenet_v1_0.25_224.tflite",
		"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite": "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
		"mobilenet_quant_v1_224_head_layers.tflite":             "mobilenet_v1_1.0_224_quant_head_layers.tflite",
	} {
		got, err := f.ImportFile(filepath.Join(src, file), ImportOptions{})
		require.NoError(t, err, file)
		require.Len(t, got, 1)
		assert.True(t, got[0].Known)
		assert.Equal(t, want, got[0].Record.File)
		data, err := os.ReadFile(filepath.Join(src, file))
		require.NoError(t, err)
		stored, err := os.ReadFile(filepath.Join(f.Dir, want))
		require.NoError(t, err)
		assert.Equal(t, data, stored)
		assert.Equal(t, sha256Hex(data), got[0].Record.SHA256)
	}
	man, err := f.ReadManifest()
	require.NoError(t, err)
	require.Len(t, man.Files, 4)
	head, ok := man.Record("mobilenet_v1_1.0_224_quant_head_layers.tflite")
	require.True(t, ok)
	assert.Equal(t, "mobilenet_v1_1.0_224_quant", head.Model)
	assert.Equal(t, "head", head.Part)
	assert.Contains(t, head.Source, "import:")

	p, ok := f.Find(entryOf(t, "mobilenet_v1_1.0_224_quant"), man)
	require.True(t, ok)
	assert.True(t, p.Split)
	assert.Len(t, p.Files, 2)
	p, ok = f.Find(entryOf(t, "mobilenet_v1_0.25_224"), man)
	require.True(t, ok)
	assert.False(t, p.Split)
	_, ok = f.Find(entryOf(t, "mobilenet_v1_0.5_224"), man)
	assert.False(t, ok)

	found, err := Scan(src, false)
	require.NoError(t, err)
	assert.Len(t, found, 5)
	assert.True(t, found["mobilenet_v1_1.0_224_quant"].Split)
}

func TestImport(t *testing.T) {
	src := t.TempDir()
	f := Folder{Dir: filepath.Join(t.TempDir(), "models")} // created on first import
	path, data := synthFile(t, src, "whatever.tflite", models.SynthOptions{Width: 0.25, Resolution: 128, Quantized: true, Seed: 1})

	// Synthetic files are refused unless asked for.
	_, err := f.ImportFile(path, ImportOptions{})
	require.ErrorContains(t, err, "synthetic")
	got, err := f.ImportFile(path, ImportOptions{AllowSynthetic: true})
	require.NoError(t, err)
	assert.Equal(t, "mobilenet_v1_0.25_128_quant.tflite", got[0].Record.File)
	assert.True(t, got[0].Record.Synthetic)
	assert.False(t, got[0].Unchanged)
	man, err := f.ReadManifest()
	require.NoError(t, err)
	p, ok := f.Find(entryOf(t, "mobilenet_v1_0.25_128_quant"), man)
	require.True(t, ok)
	assert.True(t, p.Synthetic)

	// The same bytes again: unchanged. Other bytes: refused without force.
	got, err = f.ImportFile(path, ImportOptions{AllowSynthetic: true})
	require.NoError(t, err)
	assert.True(t, got[0].Unchanged)
	other, _ := synthFile(t, src, "other.tflite", models.SynthOptions{Width: 0.25, Resolution: 128, Quantized: true, Seed: 2})
	_, err = f.ImportFile(other, ImportOptions{AllowSynthetic: true})
	require.ErrorIs(t, err, ErrExists)
	_, err = f.ImportFile(other, ImportOptions{AllowSynthetic: true, Force: true})
	require.NoError(t, err)
	stored, err := os.ReadFile(filepath.Join(f.Dir, "mobilenet_v1_0.25_128_quant.tflite"))
	require.NoError(t, err)
	assert.NotEqual(t, data, stored)

	// A model that is not the release's keeps its own name.
	headPath, _ := synthFile(t, src, "my_head.tflite", models.SynthOptions{Width: 0.5, Resolution: 160, Part: models.Head})
	got, err = f.ImportFile(headPath, ImportOptions{AllowSynthetic: true})
	require.NoError(t, err)
	assert.False(t, got[0].Known)
	assert.Equal(t, "my_head.tflite", got[0].Record.File)
	assert.Empty(t, got[0].Record.Model)

	// ... unless that name is a catalog model's.
	impostor, _ := synthFile(t, src, "mobilenet_v1_0.5_160.tflite", models.SynthOptions{Width: 0.5, Resolution: 160, Part: models.Head})
	_, err = f.ImportFile(impostor, ImportOptions{AllowSynthetic: true})
	require.ErrorContains(t, err, "named like the catalog's mobilenet_v1_0.5_160.tflite")

	// Not a model.
	junk := filepath.Join(src, "junk.tflite")
	require.NoError(t, os.WriteFile(junk, []byte("hello, world"), 0o644))
	_, err = f.ImportFile(junk, ImportOptions{})
	require.ErrorContains(t, err, "not a TFLite")
	_, err = f.ImportFile(filepath.Join(src, "missing.tflite"), ImportOptions{})
	require.Error(t, err)

	man, err = f.ReadManifest()
	require.NoError(t, err)
	assert.Len(t, man.Files, 2)
}

// TestImportArchive imports a release archive as downloaded: the .tflite
// inside it is found and stored; the checkpoint files are skipped.
func TestImportArchive(t *testing.T) {
	data, err := models.Synth(models.SynthOptions{Width: 0.25, Resolution: 160, Seed: 4})
	require.NoError(t, err)
	archive := tgz(t,
		"./mobilenet_v1_0.25_160.ckpt.index", []byte("not a model"),
		"./mobilenet_v1_0.25_160.tflite", data,
		"./mobilenet_v1_0.25_160_info.txt", []byte("Model: mobilenet_v1_0.25_160\n"))
	path := filepath.Join(t.TempDir(), "mobilenet_v1_0.25_160.tgz")
	require.NoError(t, os.WriteFile(path, archive, 0o644))
	f := Folder{Dir: t.TempDir()}
	got, err := f.ImportFile(path, ImportOptions{AllowSynthetic: true})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "mobilenet_v1_0.25_160.tflite", got[0].Record.File)
	assert.Contains(t, got[0].Record.Source, "mobilenet_v1_0.25_160.tgz!./mobilenet_v1_0.25_160.tflite")

	require.NoError(t, os.WriteFile(path, archive[:len(archive)/2], 0o644))
	_, err = f.ImportFile(path, ImportOptions{AllowSynthetic: true})
	require.ErrorContains(t, err, "truncated")
}

func TestManifestErrors(t *testing.T) {
	f := Folder{Dir: t.TempDir()}
	require.NoError(t, os.WriteFile(filepath.Join(f.Dir, ManifestFile), []byte("{"), 0o644))
	_, err := f.ReadManifest()
	require.Error(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(f.Dir, ManifestFile), []byte(`{"version": 9}`), 0o644))
	_, err = f.ReadManifest()
	require.ErrorContains(t, err, "version 9")
}

func entryOf(t *testing.T, name string) models.Entry {
	e, ok := models.Lookup(name)
	require.True(t, ok, name)
	return e
}
