package tflitewrite

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"

	flatbuffers "github.com/google/flatbuffers/go"

	fb "mobilenet-wasm/loader/tflitefb"
)

// metadataName names the Model.metadata entry whose buffer holds the
// ModelMetadata flatbuffer, as TFLite's metadata tools write it.
const metadataName = "TFLITE_METADATA"

// minParserVersion is the metadata schema version the written fields need
// (the release's files say the same).
const minParserVersion = "1.0.0"

// labelsFile is the name of the attached labels file.
func (g *Graph) labelsFile() string {
	if g.Metadata != nil && g.Metadata.LabelsFile != "" {
		return g.Metadata.LabelsFile
	}
	return DefaultLabelsFile
}

// metadataBuffer builds the ModelMetadata flatbuffer (identifier "M001"):
// the model's fields, and one subgraph with a tensor entry per input and
// output (named as the tensors), the first output listing the labels file
// as its TENSOR_AXIS_LABELS, as the release's classifiers do.
func (g *Graph) metadataBuffer() []byte {
	md := g.Metadata
	if md == nil {
		md = &Metadata{}
	}
	b := flatbuffers.NewBuilder(1024)
	tensorList := func(idx []int, labels bool) flatbuffers.UOffsetT {
		offs := make([]flatbuffers.UOffsetT, len(idx))
		for i, t := range idx {
			var files flatbuffers.UOffsetT
			if labels && i == 0 {
				name := b.CreateString(g.labelsFile())
				desc := b.CreateString("Labels for categories that the model can recognize.")
				fb.AssociatedFileStart(b)
				fb.AssociatedFileAddName(b, name)
				fb.AssociatedFileAddDescription(b, desc)
				fb.AssociatedFileAddType(b, fb.AssociatedFileTypeTENSOR_AXIS_LABELS)
				files = b.CreateVectorOfTables([]flatbuffers.UOffsetT{fb.AssociatedFileEnd(b)})
			}
			name := b.CreateString(g.Tensors[t].Name)
			fb.TensorMetadataStart(b)
			fb.TensorMetadataAddName(b, name)
			if files != 0 {
				fb.TensorMetadataAddAssociatedFiles(b, files)
			}
			offs[i] = fb.TensorMetadataEnd(b)
		}
		return b.CreateVectorOfTables(offs)
	}
	inputs := tensorList(g.Inputs, false)
	outputs := tensorList(g.Outputs, len(g.Labels) > 0)
	fb.SubGraphMetadataStart(b)
	fb.SubGraphMetadataAddInputTensorMetadata(b, inputs)
	fb.SubGraphMetadataAddOutputTensorMetadata(b, outputs)
	subgraphs := b.CreateVectorOfTables([]flatbuffers.UOffsetT{fb.SubGraphMetadataEnd(b)})

	str := func(s string) flatbuffers.UOffsetT {
		if s == "" {
			return 0
		}
		return b.CreateString(s)
	}
	name, desc, version, author, license := str(md.Name), str(md.Description), str(md.Version), str(md.Author), str(md.License)
	parser := b.CreateString(minParserVersion)
	fb.ModelMetadataStart(b)
	for _, f := range []struct {
		off flatbuffers.UOffsetT
		add func(*flatbuffers.Builder, flatbuffers.UOffsetT)
	}{
		{name, fb.ModelMetadataAddName},
		{desc, fb.ModelMetadataAddDescription},
		{version, fb.ModelMetadataAddVersion},
		{author, fb.ModelMetadataAddAuthor},
		{license, fb.ModelMetadataAddLicense},
	} {
		if f.off != 0 {
			f.add(b, f.off)
		}
	}
	fb.ModelMetadataAddSubgraphMetadata(b, subgraphs)
	fb.ModelMetadataAddMinParserVersion(b, parser)
	b.FinishWithFileIdentifier(fb.ModelMetadataEnd(b), []byte("M001"))
	return b.FinishedBytes()
}

// appendLabels appends to the model a zip archive holding the labels file
// (stored, not compressed, as the release's files hold it), with offsets
// counted from the start of the model so that any zip reader finds it.
func appendLabels(model []byte, file string, labels []string) ([]byte, error) {
	for i, l := range labels {
		if l == "" || strings.ContainsAny(l, "\r\n") || strings.TrimSpace(l) != l {
			return nil, fmt.Errorf("tflitewrite: label %d %q: labels must be one non-empty line without surrounding space", i, l)
		}
	}
	var buf bytes.Buffer
	buf.Write(model)
	zw := zip.NewWriter(&buf)
	zw.SetOffset(int64(len(model)))
	// No modification time: the same labels give the same bytes.
	w, err := zw.CreateHeader(&zip.FileHeader{Name: file, Method: zip.Store})
	if err != nil {
		return nil, fmt.Errorf("tflitewrite: labels file %q: %w", file, err)
	}
	if _, err := w.Write([]byte(strings.Join(labels, "\n") + "\n")); err != nil {
		return nil, fmt.Errorf("tflitewrite: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tflitewrite: %w", err)
	}
	return buf.Bytes(), nil
}
