package loader

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zipArchive appends a zip archive of files (name, contents pairs) to
// prefix with archive/zip: offsets counted from the file's start
// (absolute) or from the archive's (as Python's zipfile appends), deflated
// or stored, with a comment or not.
func zipArchive(t *testing.T, prefix []byte, absolute bool, method uint16, comment string, files ...string) []byte {
	var out bytes.Buffer
	out.Write(prefix)
	zw := zip.NewWriter(&out)
	if absolute {
		zw.SetOffset(int64(len(prefix)))
	}
	for i := 0; i < len(files); i += 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: files[i], Method: method})
		require.NoError(t, err)
		_, err = w.Write([]byte(files[i+1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.SetComment(comment))
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// TestZipLikeArchiveZip reads archives archive/zip wrote, and compares
// names and contents with what archive/zip reads of them.
func TestZipLikeArchiveZip(t *testing.T) {
	prefix := bytes.Repeat([]byte("TFL3 flatbuffer PK\x05\x06 "), 50) // a decoy signature inside the model
	files := []string{"readme.txt", "about\n", "labels.txt", "background\ncat\ndog\n", "empty.txt", "", "big.txt", string(bytes.Repeat([]byte("label\n"), 5000))}
	for _, c := range []struct {
		name     string
		absolute bool
		method   uint16
		comment  string
	}{
		{"stored, offsets from the archive", false, zip.Store, ""},
		{"stored, offsets from the file", true, zip.Store, ""},
		{"stored, with a comment", false, zip.Store, "a comment PK\x05\x06"},
		{"deflated (with data descriptors)", false, zip.Deflate, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := zipArchive(t, prefix, c.absolute, c.method, c.comment, files...)
			got, err := zipFiles(data)
			require.NoError(t, err)
			want, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			require.NoError(t, err)
			require.Len(t, got, len(want.File))
			for i, f := range want.File {
				assert.Equal(t, f.Name, got[i].name)
				rc, err := f.Open()
				require.NoError(t, err)
				wantBytes, err := io.ReadAll(rc)
				require.NoError(t, err)
				gotBytes, err := zipRead(data, got[i])
				require.NoError(t, err, f.Name)
				assert.Equal(t, wantBytes, gotBytes, f.Name)
			}
		})
	}
}

// TestZipRefusals checks what the reader refuses, and that it says what.
func TestZipRefusals(t *testing.T) {
	prefix := []byte("TFL3 model bytes")
	stored := zipArchive(t, prefix, false, zip.Store, "", "labels.txt", "a\nb\n")

	_, err := zipFiles(prefix)
	assert.ErrorIs(t, err, errNoZip)
	_, err = zipFiles(stored[:len(stored)-1])
	assert.ErrorIs(t, err, errNoZip, "a truncated end record")

	bad := bytes.Clone(stored)
	bad[bytes.Index(bad, []byte("a\nb\n"))] = 'x'
	files, err := zipFiles(bad)
	require.NoError(t, err)
	_, err = zipRead(bad, files[0])
	assert.EqualError(t, err, "bad checksum")

	// The central directory claims more bytes than lie before the end record.
	bad = bytes.Clone(stored)
	end := len(bad) - zipEndSize
	bad[end+12] = 0xff
	bad[end+13] = 0xff
	_, err = zipFiles(bad)
	assert.ErrorContains(t, err, "does not end where the end record starts")

	// A zip64 marker.
	bad = bytes.Clone(stored)
	bad[end+16], bad[end+17], bad[end+18], bad[end+19] = 0xff, 0xff, 0xff, 0xff
	_, err = zipFiles(bad)
	assert.ErrorContains(t, err, "zip64")

	// A local header offset past the data.
	files, err = zipFiles(stored)
	require.NoError(t, err)
	f := files[0]
	f.local = len(stored)
	_, err = zipRead(stored, f)
	assert.ErrorContains(t, err, "malformed local header")
	f = files[0]
	f.packed, f.size = 1<<30, 1<<30
	_, err = zipRead(stored, f)
	assert.ErrorContains(t, err, "run past the end of the model")
	f = files[0]
	f.method = 12 // bzip2
	_, err = zipRead(stored, f)
	assert.EqualError(t, err, "compression method 12 is not supported")
	f = files[0]
	f.flags |= 1
	_, err = zipRead(stored, f)
	assert.EqualError(t, err, "encrypted")
}

// TestZipWithoutInflate is the classify-only engine's reader (inflate
// nil): stored files read, deflated ones refused in words.
func TestZipWithoutInflate(t *testing.T) {
	saved := inflate
	t.Cleanup(func() { inflate = saved })
	inflate = nil
	prefix := []byte("TFL3 model bytes")
	data := zipArchive(t, prefix, false, zip.Store, "", "labels.txt", "a\nb\n")
	files, err := zipFiles(data)
	require.NoError(t, err)
	b, err := zipRead(data, files[0])
	require.NoError(t, err)
	assert.Equal(t, "a\nb\n", string(b))

	data = zipArchive(t, prefix, false, zip.Deflate, "", "labels.txt", "a\nb\n")
	files, err = zipFiles(data)
	require.NoError(t, err)
	_, err = zipRead(data, files[0])
	assert.ErrorContains(t, err, "deflate-compressed, which this engine build does not read")
}
