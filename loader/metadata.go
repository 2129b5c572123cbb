package loader

import (
	"path"
	"strings"

	"mobilenet-wasm/loader/tflitefb"
)

// metadataName names the Model.metadata entry whose buffer holds the
// ModelMetadata flatbuffer.
const metadataName = "TFLITE_METADATA"

// extras reads the optional parts of a validated model, the metadata and the
// label file; their problems become warnings.
func (p *parser) extras() {
	labelFile, err := p.guard(p.metadata)
	if err != nil {
		p.m.Warnings = append(p.m.Warnings, err.Error())
	}
	if _, err := p.guard(func() string { p.labels(labelFile); return "" }); err != nil {
		p.m.Warnings = append(p.m.Warnings, err.Error())
	}
}

// guard runs f, turning its failure (a parse error or a malformed-buffer
// panic) into an error.
func (p *parser) guard(f func() string) (s string, err error) {
	defer p.recover(&err)
	return f(), nil
}

// metadata parses the TFLITE_METADATA buffer into p.m.Metadata and returns
// the name of the first associated file of type TENSOR_AXIS_LABELS.
func (p *parser) metadata() (labelFile string) {
	p.at("metadata entry", 0)
	n := p.count("entries", p.root.MetadataLength(), 4)
	var e tflitefb.Metadata
	var buf []byte
	for i := range n {
		p.whatIdx = i
		p.root.Metadata(&e, i)
		if string(e.Name()) == metadataName {
			buf = p.buffer(e.Buffer(), nil)
			break
		}
	}
	if buf == nil {
		return ""
	}
	if len(buf) < 8 || string(buf[4:8]) != "M001" {
		p.fail("%s: not a metadata flatbuffer (identifier is not M001)", metadataName)
	}
	p.at(metadataName, -1)
	mm := tflitefb.GetRootAsModelMetadata(buf, 0)
	md := &Metadata{
		Name:        p.str(mm.Name()),
		Description: p.str(mm.Description()),
		Version:     p.str(mm.Version()),
		Author:      p.str(mm.Author()),
		License:     p.str(mm.License()),
	}
	var f tflitefb.AssociatedFile
	add := func(n int, at func(*tflitefb.AssociatedFile, int) bool) {
		for i := range p.count("associated files", n, 4) {
			p.spend(16)
			at(&f, i)
			name := p.str(f.Name())
			if labelFile == "" && f.Type() == tflitefb.AssociatedFileTypeTENSOR_AXIS_LABELS {
				labelFile = name
			}
			md.AssociatedFiles = append(md.AssociatedFiles, name)
		}
	}
	add(mm.AssociatedFilesLength(), mm.AssociatedFiles)
	var sg tflitefb.SubGraphMetadata
	if mm.SubgraphMetadataLength() > 0 && mm.SubgraphMetadata(&sg, 0) {
		add(sg.AssociatedFilesLength(), sg.AssociatedFiles)
		var tm tflitefb.TensorMetadata
		for i := range p.count("input tensors", sg.InputTensorMetadataLength(), 4) {
			p.spend(16)
			sg.InputTensorMetadata(&tm, i)
			add(tm.AssociatedFilesLength(), tm.AssociatedFiles)
		}
		for i := range p.count("output tensors", sg.OutputTensorMetadataLength(), 4) {
			p.spend(16)
			sg.OutputTensorMetadata(&tm, i)
			add(tm.AssociatedFilesLength(), tm.AssociatedFiles)
		}
	}
	p.m.Metadata = md
	return labelFile
}

// labels reads the label file from the zip archive at the end of the model:
// the file named by the metadata, else the first labels*.txt, else the first
// *.txt that the metadata does not list as something else. A model without
// an archive simply has no labels.
func (p *parser) labels(name string) {
	p.at("zip archive", -1)
	files, err := zipFiles(p.data)
	if err != nil {
		if name != "" {
			p.fail("label file %s named by the metadata: no zip archive at the end of the model (%v)", quote(name), err)
		}
		return
	}
	listed := map[string]bool{} // files the metadata gives another type
	if md := p.m.Metadata; md != nil {
		for _, n := range md.AssociatedFiles {
			listed[n] = true
		}
	}
	p.spend(16 * len(files))
	var file *zipEntry
	for i := range files {
		f := &files[i]
		base := strings.ToLower(path.Base(f.name))
		switch {
		case name == "" && listed[f.name]:
		case name != "":
			if f.name == name {
				file = f
			}
		case strings.HasPrefix(base, "labels") && strings.HasSuffix(base, ".txt"):
			if file == nil || !strings.HasPrefix(strings.ToLower(path.Base(file.name)), "labels") {
				file = f
			}
		case strings.HasSuffix(base, ".txt"):
			if file == nil {
				file = f
			}
		}
		if file != nil && name != "" {
			break
		}
	}
	if file == nil {
		if name != "" {
			p.fail("label file %s named by the metadata is not in the zip archive", quote(name))
		}
		return
	}
	text := p.readZipped(file)
	p.spend(16 * (strings.Count(text, "\n") + 1))
	labels := make([]string, 0, strings.Count(text, "\n")+1)
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			labels = append(labels, line)
		}
	}
	if len(labels) > 0 {
		p.m.Labels = labels
	}
}

// readZipped returns the contents of a zipped file no larger than the model.
func (p *parser) readZipped(f *zipEntry) string {
	if int64(f.size) > int64(len(p.data)) {
		p.fail("zipped file %s: %d bytes is more than the whole model", quote(f.name), f.size)
	}
	p.spend(2 * int(f.size)) // the contents and their string copy
	b, err := zipRead(p.data, *f)
	if err != nil {
		p.fail("zipped file %s: %v", quote(f.name), err)
	}
	return string(b)
}
