package tflitewrite

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"mobilenet-wasm/loader"
	fb "mobilenet-wasm/loader/tflitefb"
)

// FromModel returns a Graph holding a copy of a parsed model: its
// tensors (names, types, shapes, constant data, quantization), operators
// and options, inputs, outputs, description, labels and the metadata's
// names. Editing the graph never changes the model. The loader does not
// keep operator versions (they become 1) or the min_runtime_version
// metadata: FromBytes reads them too.
func FromModel(m *loader.Model) *Graph {
	g := &Graph{
		Description: m.Description,
		Tensors:     make([]Tensor, len(m.Tensors)),
		Operators:   make([]Operator, len(m.Operators)),
		Inputs:      slices.Clone(m.Inputs),
		Outputs:     slices.Clone(m.Outputs),
		Labels:      slices.Clone(m.Labels),
	}
	for i, t := range m.Tensors {
		g.Tensors[i] = Tensor{Name: t.Name, Type: t.Type, Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
		if q := t.Quant; q != nil {
			g.Tensors[i].Quant = &loader.Quant{Scale: slices.Clone(q.Scale), ZeroPoint: slices.Clone(q.ZeroPoint), Axis: q.Axis}
		}
	}
	for i, o := range m.Operators {
		// The loader lists every optional input, absent ones as -1: a
		// file leaves trailing absent inputs out.
		in := slices.Clone(o.Inputs)
		for len(in) > 0 && in[len(in)-1] == -1 {
			in = in[:len(in)-1]
		}
		g.Operators[i] = Operator{Op: o.Op, Inputs: in, Outputs: slices.Clone(o.Outputs), Options: cloneOptions(o.Options)}
	}
	if md := m.Metadata; md != nil {
		g.Metadata = &Metadata{Name: md.Name, Description: md.Description, Version: md.Version, Author: md.Author, License: md.License}
		for _, f := range md.AssociatedFiles {
			if strings.HasSuffix(f, ".txt") {
				g.Metadata.LabelsFile = f
				break
			}
		}
	}
	return g
}

// cloneOptions copies a loader options struct (a pointer), with the
// slices of RESHAPE's and SQUEEZE's.
func cloneOptions(opts any) any {
	if opts == nil {
		return nil
	}
	v := reflect.ValueOf(opts)
	c := reflect.New(v.Type().Elem())
	c.Elem().Set(v.Elem())
	switch o := c.Interface().(type) {
	case *loader.ReshapeOptions:
		o.NewShape = slices.Clone(o.NewShape)
	case *loader.SqueezeOptions:
		o.SqueezeDims = slices.Clone(o.SqueezeDims)
	}
	return c.Interface()
}

// FromBytes parses a TFLite model (package loader validates it) and
// returns it as a Graph (see FromModel), with the operator versions and
// the min_runtime_version metadata of the file.
func FromBytes(data []byte) (*Graph, error) {
	m, err := loader.Parse(data)
	if err != nil {
		return nil, err
	}
	g := FromModel(m)
	if err := g.readFileDetails(data); err != nil {
		return nil, err
	}
	return g, nil
}

// readFileDetails reads what the loader leaves out, from a model it has
// validated: operator code versions and min_runtime_version.
func (g *Graph) readFileDetails(data []byte) error {
	d, err := ReadFileDetails(data)
	if err != nil {
		return err
	}
	return g.SetFileDetails(d)
}

// FileDetails are what a parsed model (package loader) leaves out of its
// file and FromBytes reads: each operator's code version, in operator
// order, and the min_runtime_version metadata. Small: a caller that drops
// a file keeps them to rebuild it later (FromModel, then SetFileDetails).
type FileDetails struct {
	OpVersions        []int
	MinRuntimeVersion string
}

// ReadFileDetails reads the FileDetails of a model the loader validated.
func ReadFileDetails(data []byte) (d FileDetails, err error) {
	// The loader checked the opcode indices and the tables read here; a
	// malformed part it did not read (the version's buffer) must still
	// give an error, not a panic.
	defer func() {
		if r := recover(); r != nil {
			d, err = FileDetails{}, fmt.Errorf("tflitewrite: malformed flatbuffer (%v)", r)
		}
	}()
	root := fb.GetRootAsModel(data, 0)
	var sg fb.SubGraph
	root.Subgraphs(&sg, 0)
	var op fb.Operator
	var code fb.OperatorCode
	d.OpVersions = make([]int, sg.OperatorsLength())
	for i := range d.OpVersions {
		sg.Operators(&op, i)
		root.OperatorCodes(&code, int(op.OpcodeIndex()))
		d.OpVersions[i] = int(code.Version())
	}
	var md fb.Metadata
	var buf fb.Buffer
	for i := range root.MetadataLength() {
		root.Metadata(&md, i)
		if string(md.Name()) != "min_runtime_version" || int(md.Buffer()) >= root.BuffersLength() {
			continue
		}
		root.Buffers(&buf, int(md.Buffer()))
		v := buf.DataBytes()
		if i := bytes.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		if len(v) <= runtimeVersionSize {
			d.MinRuntimeVersion = string(v)
		}
	}
	return d, nil
}

// SetFileDetails gives g's operators the versions of d and its
// min_runtime_version; d must come from the file g was parsed from.
func (g *Graph) SetFileDetails(d FileDetails) error {
	if len(d.OpVersions) != len(g.Operators) {
		return fmt.Errorf("tflitewrite: %d operator versions for %d operators", len(d.OpVersions), len(g.Operators))
	}
	for i, v := range d.OpVersions {
		g.Operators[i].Version = v
	}
	g.MinRuntimeVersion = d.MinRuntimeVersion
	return nil
}
