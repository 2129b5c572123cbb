package wasmmod

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tetratelabs/wazero/api"

	"mobilenet-wasm/wasm/abi"
)

// The teaching exports (mn_teach_*, "Teaching" in the ABI's description):
// a Teacher is one session in the module.

// fn looks an export up by name once (the teaching exports are not in
// Open's list: a module without them still opens).
func (m *Module) fn(name string) error {
	if _, ok := m.fns[name]; ok {
		return nil
	}
	f := m.mod.ExportedFunction(name)
	if f == nil {
		return fmt.Errorf("host: the module does not export %s (is engine.wasm stale? run ./build.sh)", name)
	}
	m.fns[name] = f
	return nil
}

// teachCall invokes a teaching export that returns a status.
func (m *Module) teachCall(name string, params ...uint64) error {
	if err := m.fn(name); err != nil {
		return err
	}
	return m.status(name, params...)
}

// withBytes copies data into a guest block for fn(ptr, len) and frees it.
func (m *Module) withBytes(data []byte, fn func(ptr, n uint64) error) error {
	ptr, err := m.alloc(data)
	if err != nil {
		return err
	}
	defer m.free(ptr)
	return fn(uint64(ptr), uint64(len(data)))
}

// TeachOptions configure Model.Teach.
type TeachOptions struct {
	Classes []string `json:"classes,omitempty"`
	Model   string   `json:"model,omitempty"`
}

// Teacher is a teaching session (mn_teach_new) in a Module.
type Teacher struct {
	m  *Module
	id int32
}

// Teach starts a teaching session on the model.
func (md *Model) Teach(opts TeachOptions) (*Teacher, error) {
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, err
	}
	if err := md.m.fn("mn_teach_new"); err != nil {
		return nil, err
	}
	var id int32
	err = md.m.withBytes(b, func(p, n uint64) error {
		r, err := md.m.call("mn_teach_new", api.EncodeI32(md.handle), p, n)
		if err != nil {
			return err
		}
		if id = int32(r); id <= 0 {
			return md.m.guestError("mn_teach_new", 0)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Teacher{m: md.m, id: id}, nil
}

// ID is the session's id in the module's ABI.
func (t *Teacher) ID() int32 { return t.id }

// Close ends the session.
func (t *Teacher) Close() error { return t.m.teachCall("mn_teach_free", api.EncodeI32(t.id)) }

// TeachClass, TrainProgress and TeachInfo are the teaching exports'
// results, as the module writes them.
type (
	TeachClass    = abi.TeachClass
	TrainProgress = abi.TrainProgress
	TeachInfo     = abi.TeachInfo
)

// resultJSON decodes the result buffer into v.
func (t *Teacher) resultJSON(name string, v any) error {
	b, err := t.m.result()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("host: %s's result %q: %w", name, b, err)
	}
	return nil
}

// Info returns mn_teach_info.
func (t *Teacher) Info() (TeachInfo, error) {
	var in TeachInfo
	if err := t.m.teachCall("mn_teach_info", api.EncodeI32(t.id)); err != nil {
		return in, err
	}
	return in, t.resultJSON("mn_teach_info", &in)
}

// SetClass adds a class (class = the number of classes) or renames one.
func (t *Teacher) SetClass(class int, name string) error {
	return t.m.withBytes([]byte(name), func(p, n uint64) error {
		return t.m.teachCall("mn_teach_class", api.EncodeI32(t.id), api.EncodeI32(int32(class)), p, n)
	})
}

// DeleteClass deletes a class and its examples.
func (t *Teacher) DeleteClass(class int) error {
	return t.m.teachCall("mn_teach_delete_class", api.EncodeI32(t.id), api.EncodeI32(int32(class)))
}

// AddFrame embeds an RGBA frame (and copies augmented copies) into class
// and returns the class's example count.
func (t *Teacher) AddFrame(class int, rgba []byte, w, h, stride, copies int) (int, error) {
	err := t.m.withBytes(rgba, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_add_frame", api.EncodeI32(t.id), api.EncodeI32(int32(class)), p, n,
			api.EncodeI32(int32(w)), api.EncodeI32(int32(h)), api.EncodeI32(int32(stride)), api.EncodeI32(int32(copies)))
	})
	if err != nil {
		return 0, err
	}
	var r struct{ Count int }
	return r.Count, t.resultJSON("mn_teach_add_frame", &r)
}

// AddEmbedding adds a feature vector to class.
func (t *Teacher) AddEmbedding(class int, v []float32) error {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return t.m.withBytes(b, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_add_embedding", api.EncodeI32(t.id), api.EncodeI32(int32(class)), p, n)
	})
}

// Remove removes example index of class.
func (t *Teacher) Remove(class, index int) error {
	return t.m.teachCall("mn_teach_remove", api.EncodeI32(t.id), api.EncodeI32(int32(class)), api.EncodeI32(int32(index)))
}

// Clear removes the examples of class (-1: of every class).
func (t *Teacher) Clear(class int) error {
	return t.m.teachCall("mn_teach_clear", api.EncodeI32(t.id), api.EncodeI32(int32(class)))
}

// TrainStart starts training with cfg (marshalled to JSON; nil: defaults).
func (t *Teacher) TrainStart(cfg map[string]any) error {
	var b []byte
	if cfg != nil {
		var err error
		if b, err = json.Marshal(cfg); err != nil {
			return err
		}
	}
	return t.m.withBytes(b, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_train_start", api.EncodeI32(t.id), p, n)
	})
}

// TrainStep runs up to epochs epochs.
func (t *Teacher) TrainStep(epochs int) ([]TrainProgress, bool, error) {
	if err := t.m.teachCall("mn_teach_train_step", api.EncodeI32(t.id), api.EncodeI32(int32(epochs))); err != nil {
		return nil, false, err
	}
	var r struct {
		Steps []TrainProgress
		Done  bool
	}
	err := t.resultJSON("mn_teach_train_step", &r)
	return r.Steps, r.Done, err
}

// Train runs training to the end, steps epochs per call, and returns every
// epoch's progress.
func (t *Teacher) Train(cfg map[string]any, steps int) ([]TrainProgress, error) {
	if err := t.TrainStart(cfg); err != nil {
		return nil, err
	}
	var all []TrainProgress
	for {
		ps, done, err := t.TrainStep(steps)
		if err != nil {
			return all, err
		}
		all = append(all, ps...)
		if done {
			return all, nil
		}
	}
}

// TrainStop cancels training, keeping the best head so far when keep.
func (t *Teacher) TrainStop(keep bool) error {
	k := int32(0)
	if keep {
		k = 1
	}
	return t.m.teachCall("mn_teach_train_stop", api.EncodeI32(t.id), api.EncodeI32(k))
}

// Predict classifies an RGBA frame with the session's head.
func (t *Teacher) Predict(rgba []byte, w, h, stride, k int) ([]Prediction, error) {
	err := t.m.withBytes(rgba, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_predict", api.EncodeI32(t.id), p, n,
			api.EncodeI32(int32(w)), api.EncodeI32(int32(h)), api.EncodeI32(int32(stride)), api.EncodeI32(int32(k)))
	})
	if err != nil {
		return nil, err
	}
	var preds []Prediction
	return preds, t.resultJSON("mn_teach_predict", &preds)
}

// Export returns the .tflite of the base model with the session's head.
func (t *Teacher) Export(name string) ([]byte, error) {
	var b []byte
	if name != "" {
		b, _ = json.Marshal(map[string]string{"name": name})
	}
	err := t.m.withBytes(b, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_export", api.EncodeI32(t.id), p, n)
	})
	if err != nil {
		return nil, err
	}
	return t.m.result()
}

// Save returns the session's state (classes, examples, head).
func (t *Teacher) Save() ([]byte, error) {
	if err := t.m.teachCall("mn_teach_save", api.EncodeI32(t.id)); err != nil {
		return nil, err
	}
	return t.m.result()
}

// Restore replaces the session's state with a saved one.
func (t *Teacher) Restore(state []byte) error {
	return t.m.withBytes(state, func(p, n uint64) error {
		return t.m.teachCall("mn_teach_restore", api.EncodeI32(t.id), p, n)
	})
}
