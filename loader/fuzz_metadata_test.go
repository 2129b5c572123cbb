package loader

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	flatbuffers "github.com/google/flatbuffers/go"
	fb "mobilenet-wasm/loader/tflitefb"
)

// metadataModel is the synthetic uint8 model with meta as its
// TFLITE_METADATA buffer and archive appended, as the release's models
// carry their labels.
func metadataModel(meta, archive []byte) []byte {
	m := synthUint8()
	m.Buffers = append(m.Buffers, &fb.BufferT{Data: meta})
	m.Metadata = append(m.Metadata, &fb.MetadataT{Name: metadataName, Buffer: uint32(len(m.Buffers) - 1)})
	return append(pack(m), archive...)
}

// FuzzMetadata fuzzes the optional parts Parse reads after the graph: the
// ModelMetadata flatbuffer and the zip archive of label files. They may
// only ever add warnings: the model still parses, Parse does not panic or
// allocate more than allocLimit, and labels are non-empty trimmed lines.
func FuzzMetadata(f *testing.F) {
	b := flatbuffers.NewBuilder(256)
	b.FinishWithFileIdentifier(labelMetadata("labels.txt").Pack(b), []byte("M001"))
	meta := b.FinishedBytes()
	zipOf := func(files ...string) []byte { return appendZip(f, nil, files...) }
	labels := zipOf("labels.txt", "background\ncat\ndog\n")
	f.Add(meta, labels)
	f.Add(meta, zipOf("readme.txt", "not labels\n", "labels.txt", "background\r\ncat\n\n dog \n"))
	f.Add(meta, zipOf("other.txt", "a\nb\n"))
	f.Add([]byte{}, labels)
	f.Add(meta[:len(meta)/2], labels[:len(labels)-10])
	f.Add([]byte("1234M001"), []byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, meta, archive []byte) {
		data := metadataModel(meta, archive)
		m, alloc, err := measureParse(data)
		require.LessOrEqual(t, alloc, allocLimit(len(data)), "Parse of %d bytes allocated %d", len(data), alloc)
		require.NoError(t, err, "broken metadata or labels must only warn")
		checkModel(t, m)
		for _, l := range m.Labels {
			require.NotEmpty(t, l)
			require.Equal(t, strings.TrimSpace(l), l)
			require.NotContains(t, l, "\n")
		}
	})
}
