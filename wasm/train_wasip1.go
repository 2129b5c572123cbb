//go:build !classifyonly

package main

// The teaching exports (mn_teach_*): transfer learning in the module with
// package train. A session belongs to a loaded model (its handle) and
// keeps classes of examples as feature vectors (never frames), a trained
// head, and at most one training in progress. See "Teaching" in doc.go.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"math"
	"slices"
	"strings"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/train"
	"mobilenet-wasm/wasm/abi"
)

// source rebuilds the model's first file (see modelSource).
func (m loadedModel) source() ([]byte, error) { return modelSource(m.c, m.details) }

// session is one teaching session (see mn_teach_new).
type session struct {
	c     *engine.Classifier
	base  func() ([]byte, error) // rebuilds the base model's file (the extractor of a chain), for export
	quant *train.QParams         // the feature vector's uint8 quantization, nil for a float one
	dim   int                    // feature vector length
	model string                 // what the host called the model (mn_teach_new's "model"), saved with the state

	names    []string
	examples [][][]float32 // per class, the feature vectors
	head     *train.Head   // the committed head, nil before the first training
	labels   []string      // the class names when head was trained (renames follow)

	trainer *train.Trainer      // the training in progress, or nil
	history []abi.TrainProgress // its epochs so far
	seed    uint64              // augmentation seeds, one per added frame
}

var (
	// sessions are the teaching sessions.
	sessions = newHandles[*session]("no teaching session has id %d")
)

// teachOptions is mn_teach_new's JSON.
type teachOptions struct {
	Classes []string `json:"classes"`
	Model   string   `json:"model"`
}

// trainOptions is mn_teach_train_start's JSON.
type trainOptions struct {
	Hidden      int      `json:"hidden"`
	Epochs      int      `json:"epochs"`
	Patience    int      `json:"patience"`
	BatchSize   int      `json:"batch_size"`
	LR          float64  `json:"lr"`
	WeightDecay float64  `json:"weight_decay"`
	Val         *float64 `json:"val"`
	Seed        uint64   `json:"seed"`
	Quant       *bool    `json:"quant"`
	QATEpochs   int      `json:"qat_epochs"`
}

// teachSession returns session id's session.
func teachSession(id int32) (*session, error) {
	return sessions.get(id)
}

// class checks a class index.
func (s *session) class(c int32) error {
	if c < 0 || int(c) >= len(s.names) {
		return argErr("class %d: the session has %d classes (0 to %d)", c, len(s.names), len(s.names)-1)
	}
	return nil
}

// checkName checks a class name.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return argErr("a class name must not be empty")
	case len(name) > abi.TeachMaxName:
		return argErr("class name of %d bytes; at most %d", len(name), abi.TeachMaxName)
	case strings.ContainsAny(name, "\r\n"):
		return argErr("class name %q has a line break", name)
	}
	return nil
}

// jsonArg reads a JSON argument into v (nothing when n is 0).
func jsonArg(what string, ptr, n uint32, v any) error {
	b, err := guest(what, ptr, n)
	if err != nil || n == 0 {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return argErr("%s: %v", what, err)
	}
	return nil
}

// setJSON puts v in the result buffer as JSON.
func setJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	result = append(result[:0], b...)
	return nil
}

// info is the session's description.
func (s *session) info() abi.TeachInfo {
	in := abi.TeachInfo{Model: s.model, Dim: s.dim, Quant: s.quant != nil, Training: s.trainer != nil, History: s.history, Classes: []abi.TeachClass{}}
	if in.History == nil {
		in.History = []abi.TrainProgress{}
	}
	for i, n := range s.names {
		in.Classes = append(in.Classes, abi.TeachClass{Name: n, Count: len(s.examples[i])})
	}
	if s.head != nil {
		in.Head = &abi.TeachHead{Classes: s.head.Classes(), Hidden: s.head.Hidden(), Quant: s.head.Quant != nil, Labels: s.labels}
	}
	return in
}

// classesChanged drops what no longer fits after a class was added or
// deleted: the head (its outputs are the old classes) and a training in
// progress.
func (s *session) classesChanged() {
	s.head, s.labels = nil, nil
	s.trainer, s.history = nil, nil
}

// mnTeachNew is mn_teach_new; see the package comment.
//
//go:wasmexport mn_teach_new
func mnTeachNew(h int32, optsPtr, optsLen uint32) (id int32) {
	call("mn_teach_new", func() error {
		m, err := models.get(h)
		if err != nil {
			return err
		}
		var o teachOptions
		if err := jsonArg("options", optsPtr, optsLen, &o); err != nil {
			return err
		}
		info := m.c.Info()
		e := info.Embedding
		if e.Shape == nil || info.InputSize == 0 {
			return refused(errors.New("the model has no feature vector to teach on (not a MobileNet-style image classifier)"))
		}
		dim := 1
		for _, d := range e.Shape {
			dim *= d
		}
		if len(o.Classes) > abi.TeachMaxClasses {
			return argErr("%d classes; at most %d", len(o.Classes), abi.TeachMaxClasses)
		}
		for _, n := range o.Classes {
			if err := checkName(n); err != nil {
				return err
			}
		}
		s := &session{c: m.c, base: m.source, dim: dim, model: o.Model, names: slices.Clone(o.Classes)}
		if s.names == nil {
			s.names = []string{}
		}
		s.examples = make([][][]float32, len(s.names))
		if e.DType == "uint8" && len(e.Scale) == 1 && len(e.ZeroPoint) == 1 {
			s.quant = &train.QParams{Scale: e.Scale[0], ZeroPoint: int32(e.ZeroPoint[0])}
		}
		id, err = sessions.add(s)
		return err
	})
	return id
}

// mnTeachFree is mn_teach_free; see the package comment.
//
//go:wasmexport mn_teach_free
func mnTeachFree(id int32) int32 {
	return call("mn_teach_free", func() error {
		return sessions.free(id)
	})
}

// mnTeachInfo is mn_teach_info; see the package comment.
//
//go:wasmexport mn_teach_info
func mnTeachInfo(id int32) int32 {
	return call("mn_teach_info", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		return setJSON(s.info())
	})
}

// mnTeachClass is mn_teach_class; see the package comment.
//
//go:wasmexport mn_teach_class
func mnTeachClass(id, class int32, namePtr, nameLen uint32) int32 {
	return call("mn_teach_class", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		b, err := guest("name", namePtr, nameLen)
		if err != nil {
			return err
		}
		name := string(b)
		if err := checkName(name); err != nil {
			return err
		}
		switch {
		case int(class) == len(s.names):
			if len(s.names) >= abi.TeachMaxClasses {
				return argErr("the session already has %d classes, the most it may", len(s.names))
			}
			s.names = append(s.names, name)
			s.examples = append(s.examples, nil)
			s.classesChanged()
		case class >= 0 && int(class) < len(s.names):
			s.names[class] = name
			if s.head != nil && int(class) < len(s.labels) {
				s.labels[class] = name
			}
		default:
			return argErr("class %d: rename 0 to %d, or add %d", class, len(s.names)-1, len(s.names))
		}
		return setJSON(s.info())
	})
}

// mnTeachDeleteClass is mn_teach_delete_class; see the package comment.
//
//go:wasmexport mn_teach_delete_class
func mnTeachDeleteClass(id, class int32) int32 {
	return call("mn_teach_delete_class", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if err := s.class(class); err != nil {
			return err
		}
		s.names = slices.Delete(s.names, int(class), int(class)+1)
		s.examples = slices.Delete(s.examples, int(class), int(class)+1)
		s.classesChanged()
		return setJSON(s.info())
	})
}

// mnTeachAddFrame is mn_teach_add_frame; see the package comment.
//
//go:wasmexport mn_teach_add_frame
func mnTeachAddFrame(id, class int32, ptr, n uint32, width, height, stride, copies int32) int32 {
	return call("mn_teach_add_frame", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if err := s.class(class); err != nil {
			return err
		}
		if copies < 0 || copies > abi.TeachMaxCopies {
			return argErr("%d augmented copies; 0 to %d", copies, abi.TeachMaxCopies)
		}
		pix, err := frame(ptr, n, width, height, stride)
		if err != nil {
			return err
		}
		if width < abi.TeachMinSide || height < abi.TeachMinSide {
			return refused(textfmt.Errorf("the image is %dx%d pixels, too small to learn from: examples need at least %dx%d", width, height, abi.TeachMinSide, abi.TeachMinSide))
		}
		if room := abi.TeachMaxExamples - len(s.examples[class]); int(copies)+1 > room {
			return refused(textfmt.Errorf("class %q has %d examples, the most a class may have is %d", s.names[class], len(s.examples[class]), abi.TeachMaxExamples))
		}
		v, err := s.c.EmbedRGBA(pix, int(width), int(height), int(stride))
		if err != nil {
			return refused(err)
		}
		vecs := [][]float32{v}
		if copies > 0 {
			// Augment needs an image: the frame without its row padding.
			img := image.NewRGBA(image.Rect(0, 0, int(width), int(height)))
			for y := range int(height) {
				copy(img.Pix[y*img.Stride:y*img.Stride+4*int(width)], pix[y*int(stride):])
			}
			s.seed++
			augs, err := train.Augment(img, train.AugmentOptions{}, int(copies), train.AugmentSeed(s.seed, int(class)))
			if err != nil {
				return refused(err)
			}
			for _, a := range augs {
				w, h := a.Rect.Dx(), a.Rect.Dy()
				v, err := s.c.EmbedRGBA(a.Pix, w, h, a.Stride)
				if err != nil {
					return refused(err)
				}
				vecs = append(vecs, v)
			}
		}
		s.examples[class] = append(s.examples[class], vecs...)
		return setJSON(map[string]int{"class": int(class), "count": len(s.examples[class]), "added": len(vecs)})
	})
}

// mnTeachAddEmbedding is mn_teach_add_embedding; see the package comment.
//
//go:wasmexport mn_teach_add_embedding
func mnTeachAddEmbedding(id, class int32, ptr, n uint32) int32 {
	return call("mn_teach_add_embedding", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if err := s.class(class); err != nil {
			return err
		}
		b, err := guest("feature vector", ptr, n)
		if err != nil {
			return err
		}
		if len(b) != 4*s.dim {
			return refused(textfmt.Errorf("the feature vector is %d bytes; this model's has %d float32s (%d bytes)", len(b), s.dim, 4*s.dim))
		}
		if len(s.examples[class]) >= abi.TeachMaxExamples {
			return refused(textfmt.Errorf("class %q has %d examples, the most a class may have", s.names[class], len(s.examples[class])))
		}
		v := make([]float32, s.dim)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			if math.IsNaN(float64(v[i])) || math.IsInf(float64(v[i]), 0) {
				return refused(textfmt.Errorf("the feature vector has a non-finite value at %d", i))
			}
		}
		s.examples[class] = append(s.examples[class], v)
		return setJSON(map[string]int{"class": int(class), "count": len(s.examples[class]), "added": 1})
	})
}

// mnTeachRemove is mn_teach_remove; see the package comment.
//
//go:wasmexport mn_teach_remove
func mnTeachRemove(id, class, index int32) int32 {
	return call("mn_teach_remove", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if err := s.class(class); err != nil {
			return err
		}
		ex := s.examples[class]
		if index < 0 || int(index) >= len(ex) {
			return argErr("example %d: class %q has %d", index, s.names[class], len(ex))
		}
		s.examples[class] = slices.Delete(ex, int(index), int(index)+1)
		return setJSON(s.info())
	})
}

// mnTeachClear is mn_teach_clear; see the package comment.
//
//go:wasmexport mn_teach_clear
func mnTeachClear(id, class int32) int32 {
	return call("mn_teach_clear", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if class == -1 {
			for i := range s.examples {
				s.examples[i] = nil
			}
			return setJSON(s.info())
		}
		if err := s.class(class); err != nil {
			return err
		}
		s.examples[class] = nil
		return setJSON(s.info())
	})
}

// dataset checks that the examples can be trained on and returns them.
func (s *session) dataset() (train.Dataset, error) {
	d := train.Dataset{Classes: len(s.names)}
	switch len(s.names) {
	case 0:
		return d, refused(errors.New("there are no classes: add at least two, with examples"))
	case 1:
		return d, refused(textfmt.Errorf("there is only one class (%q): add a second one to tell it from", s.names[0]))
	}
	var empty []string
	for c, ex := range s.examples {
		if len(ex) == 0 {
			empty = append(empty, textfmt.Sprintf("%q", s.names[c]))
		}
		for _, v := range ex {
			d.X = append(d.X, v)
			d.Y = append(d.Y, c)
		}
	}
	if len(empty) > 0 {
		return d, refused(textfmt.Errorf("class %s has no examples: add some, or delete it", strings.Join(empty, ", ")))
	}
	return d, refused(d.Check(s.names))
}

// mnTeachTrainStart is mn_teach_train_start; see the package comment.
//
//go:wasmexport mn_teach_train_start
func mnTeachTrainStart(id int32, cfgPtr, cfgLen uint32) int32 {
	return call("mn_teach_train_start", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		var o trainOptions
		if err := jsonArg("training options", cfgPtr, cfgLen, &o); err != nil {
			return err
		}
		val := 0.2
		if o.Val != nil {
			val = *o.Val
		}
		if !(val >= 0 && val < 1) {
			return argErr("val %v: want a fraction in [0, 1)", val)
		}
		if o.Epochs > abi.TeachMaxEpochs || o.Hidden > abi.TeachMaxHidden {
			return argErr("at most %d epochs and %d hidden units", abi.TeachMaxEpochs, abi.TeachMaxHidden)
		}
		d, err := s.dataset()
		if err != nil {
			return err
		}
		// A validation split only when each class keeps examples to train
		// on: below 3 examples in some class, train on everything.
		trainSet, valSet := d, train.Dataset{Classes: d.Classes}
		if val > 0 && slices.Min(d.Counts()) >= 3 {
			ti, vi := train.StratifiedSplit(d.Y, d.Classes, val, o.Seed)
			trainSet, valSet = d.Subset(ti), d.Subset(vi)
		}
		cfg := train.Config{Hidden: o.Hidden, Epochs: o.Epochs, Patience: o.Patience, BatchSize: o.BatchSize,
			LR: o.LR, WeightDecay: o.WeightDecay, Seed: o.Seed, QATEpochs: o.QATEpochs}
		if valSet.Len() == 0 && cfg.Epochs == 0 {
			cfg.Epochs = 100 // no early stopping without validation
		}
		wantQuant := s.quant != nil
		if o.Quant != nil {
			if *o.Quant && s.quant == nil {
				return argErr("quant: the model's feature vector is float; a uint8 head needs a quantized model")
			}
			wantQuant = *o.Quant
		}
		if wantQuant {
			cfg.Quant = s.quant
		}
		tr, err := train.NewTrainer(trainSet, valSet, cfg)
		if err != nil {
			return refused(err)
		}
		s.trainer, s.history = tr, nil
		return setJSON(map[string]int{"train": trainSet.Len(), "val": valSet.Len()})
	})
}

// mnTeachTrainStep is mn_teach_train_step; see the package comment.
//
//go:wasmexport mn_teach_train_step
func mnTeachTrainStep(id, epochs int32) int32 {
	return call("mn_teach_train_step", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if s.trainer == nil {
			return argErr("no training in progress: call mn_teach_train_start first")
		}
		if epochs < 1 || epochs > abi.TeachMaxEpochs {
			return argErr("epochs %d: 1 to %d", epochs, abi.TeachMaxEpochs)
		}
		var steps []abi.TrainProgress
		for range epochs {
			p := s.trainer.Step()
			j := abi.TrainProgress{Epoch: p.Epoch, Phase: string(p.Phase), Loss: finite(p.Loss), TrainAcc: p.TrainAcc,
				ValAcc: p.ValAcc, ValLoss: finite(p.ValLoss), Best: p.Best, Done: p.Done}
			steps = append(steps, j)
			s.history = append(s.history, j)
			if p.Done {
				s.commit()
				break
			}
		}
		return setJSON(map[string]any{"steps": steps, "done": s.trainer == nil})
	})
}

// finite replaces a non-finite number (JSON has none) by -1.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return -1
	}
	return f
}

// commit makes the trainer's best head the session's and ends training.
func (s *session) commit() {
	s.head = s.trainer.Head()
	s.labels = slices.Clone(s.names)
	s.trainer = nil
}

// mnTeachTrainStop is mn_teach_train_stop; see the package comment.
//
//go:wasmexport mn_teach_train_stop
func mnTeachTrainStop(id, keep int32) int32 {
	return call("mn_teach_train_stop", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if keep != 0 && keep != 1 {
			return argErr("keep is 0 or 1, not %d", keep)
		}
		if s.trainer != nil {
			if keep == 1 && len(s.history) > 0 {
				s.commit()
			}
			s.trainer = nil
		}
		return setJSON(s.info())
	})
}

// mnTeachPredict is mn_teach_predict; see the package comment.
//
//go:wasmexport mn_teach_predict
func mnTeachPredict(id int32, ptr, n uint32, width, height, stride, k int32) int32 {
	return call("mn_teach_predict", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		if k < 0 {
			return argErr("k is %d", k)
		}
		if s.head == nil {
			return refused(errors.New("nothing trained yet: train the classes first"))
		}
		pix, err := frame(ptr, n, width, height, stride)
		if err != nil {
			return err
		}
		v, err := s.c.EmbedRGBA(pix, int(width), int(height), int(stride))
		if err != nil {
			return refused(err)
		}
		scores := s.head.Scores(v)
		preds := make([]engine.Prediction, 0, len(scores))
		for i, sc := range scores {
			preds = append(preds, engine.Prediction{Index: i, Label: s.labels[i], Score: float32(sc)})
		}
		slices.SortStableFunc(preds, func(a, b engine.Prediction) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return 0
		})
		result = appendPredictionsJSON(result[:0], preds[:min(int(k), len(preds))])
		return nil
	})
}

// exportOptions is mn_teach_export's JSON.
type exportOptions struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// mnTeachExport is mn_teach_export; see the package comment.
//
//go:wasmexport mn_teach_export
func mnTeachExport(id int32, optsPtr, optsLen uint32) int32 {
	return call("mn_teach_export", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		var o exportOptions
		if err := jsonArg("export options", optsPtr, optsLen, &o); err != nil {
			return err
		}
		if s.head == nil {
			return refused(errors.New("nothing trained yet: train the classes before exporting"))
		}
		base, err := s.base()
		if err != nil {
			return refused(err)
		}
		b, err := train.Export(base, s.head, train.ExportOptions{Labels: s.labels, Name: o.Name, Description: o.Description})
		if err != nil {
			return refused(err)
		}
		result = append(result[:0], b...)
		return nil
	})
}

// The saved state (mn_teach_save, mn_teach_restore): stateMagic, a
// little-endian uint32 header length, the header as JSON (stateHeader),
// then every example's float32s, little-endian, class by class.
const stateMagic = "MNTEACH1"

// stateHeader is the saved state's JSON header.
type stateHeader struct {
	Model   string           `json:"model"`
	Dim     int              `json:"dim"`
	Classes []abi.TeachClass `json:"classes"`
	Head    *train.Head      `json:"head,omitempty"`
	Labels  []string         `json:"labels,omitempty"`
	Seed    uint64           `json:"seed"`
}

// mnTeachSave is mn_teach_save; see the package comment.
//
//go:wasmexport mn_teach_save
func mnTeachSave(id int32) int32 {
	return call("mn_teach_save", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		hd := stateHeader{Model: s.model, Dim: s.dim, Head: s.head, Labels: s.labels, Seed: s.seed, Classes: []abi.TeachClass{}}
		for i, n := range s.names {
			hd.Classes = append(hd.Classes, abi.TeachClass{Name: n, Count: len(s.examples[i])})
		}
		hb, err := json.Marshal(hd)
		if err != nil {
			return err
		}
		result = append(append(result[:0], stateMagic...), 0, 0, 0, 0)
		binary.LittleEndian.PutUint32(result[len(stateMagic):], uint32(len(hb)))
		result = append(result, hb...)
		for _, ex := range s.examples {
			for _, v := range ex {
				for _, f := range v {
					result = binary.LittleEndian.AppendUint32(result, math.Float32bits(f))
				}
			}
		}
		return nil
	})
}

// mnTeachRestore is mn_teach_restore; see the package comment.
//
//go:wasmexport mn_teach_restore
func mnTeachRestore(id int32, ptr, n uint32) int32 {
	return call("mn_teach_restore", func() error {
		s, err := teachSession(id)
		if err != nil {
			return err
		}
		b, err := guest("state", ptr, n)
		if err != nil {
			return err
		}
		hd, examples, err := parseState(b, s.dim)
		if err != nil {
			return refused(textfmt.Errorf("not a saved teaching project, or a damaged one: %w", err))
		}
		s.names = make([]string, len(hd.Classes))
		for i, c := range hd.Classes {
			s.names[i] = c.Name
		}
		s.examples, s.head, s.labels, s.seed = examples, hd.Head, hd.Labels, hd.Seed
		if hd.Model != "" {
			s.model = hd.Model
		}
		s.trainer, s.history = nil, nil
		return setJSON(s.info())
	})
}

// parseState checks and decodes a saved state for a model whose feature
// vectors have dim values.
func parseState(b []byte, dim int) (*stateHeader, [][][]float32, error) {
	if len(b) < len(stateMagic)+4 || string(b[:len(stateMagic)]) != stateMagic {
		return nil, nil, errors.New("it does not start with " + stateMagic)
	}
	hl := binary.LittleEndian.Uint32(b[len(stateMagic):])
	rest := b[len(stateMagic)+4:]
	if uint64(hl) > uint64(len(rest)) {
		return nil, nil, textfmt.Errorf("its header says %d bytes, %d follow", hl, len(rest))
	}
	var hd stateHeader
	d := json.NewDecoder(bytes.NewReader(rest[:hl]))
	d.DisallowUnknownFields()
	if err := d.Decode(&hd); err != nil {
		return nil, nil, textfmt.Errorf("header: %v", err)
	}
	if hd.Dim != dim {
		return nil, nil, textfmt.Errorf("it holds feature vectors of %d values, this model's have %d (it was made with another model: %q)", hd.Dim, dim, hd.Model)
	}
	if len(hd.Classes) > abi.TeachMaxClasses {
		return nil, nil, textfmt.Errorf("%d classes", len(hd.Classes))
	}
	total := 0
	for _, c := range hd.Classes {
		if err := checkName(c.Name); err != nil {
			return nil, nil, err
		}
		if c.Count < 0 || c.Count > abi.TeachMaxExamples {
			return nil, nil, textfmt.Errorf("class %q has %d examples", c.Name, c.Count)
		}
		total += c.Count
	}
	data := rest[hl:]
	if uint64(len(data)) != uint64(total)*uint64(dim)*4 {
		return nil, nil, textfmt.Errorf("%d bytes of feature vectors, want %d for %d examples", len(data), total*dim*4, total)
	}
	if hd.Head != nil {
		if err := hd.Head.Validate(dim, len(hd.Classes)); err != nil {
			return nil, nil, err
		}
		if len(hd.Labels) != len(hd.Classes) {
			return nil, nil, textfmt.Errorf("%d labels for %d classes", len(hd.Labels), len(hd.Classes))
		}
	}
	examples := make([][][]float32, len(hd.Classes))
	off := 0
	for i, c := range hd.Classes {
		for range c.Count {
			v := make([]float32, dim)
			for j := range v {
				v[j] = math.Float32frombits(binary.LittleEndian.Uint32(data[off:]))
				off += 4
				if math.IsNaN(float64(v[j])) || math.IsInf(float64(v[j]), 0) {
					return nil, nil, textfmt.Errorf("class %q has a non-finite feature", c.Name)
				}
			}
			examples[i] = append(examples[i], v)
		}
	}
	return &hd, examples, nil
}
