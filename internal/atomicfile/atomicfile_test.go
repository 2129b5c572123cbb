package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "model.tflite")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o600))
	require.NoError(t, Write(p, []byte("new contents")))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "new contents", string(got))
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file left")
}

func TestWriteMissingFolder(t *testing.T) {
	dir := t.TempDir()
	assert.Error(t, Write(filepath.Join(dir, "absent", "m.tflite"), []byte("x")))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, ents, "nothing written")
}

func TestWriteOverFolderFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "taken")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(target, "keep"), []byte("k"), 0o644))
	assert.Error(t, Write(target, []byte("x")))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "the temporary file is removed after a failed rename")
}

// TestWriteRefusesNonRegular keeps a device or a folder in place: the
// rename would replace /dev/null with a file (as root).
func TestWriteRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	assert.ErrorContains(t, Write(dir, []byte("x")), "not a regular file")
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, st.IsDir())
	if _, err := os.Stat(os.DevNull); err == nil {
		assert.ErrorContains(t, Write(os.DevNull, []byte("x")), "not a regular file")
	}
}
