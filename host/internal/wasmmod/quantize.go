package wasmmod

import (
	"github.com/tetratelabs/wazero/api"
)

// The quantization exports (wasm/doc.go, "Quantization"), which Open
// requires too.
func init() {
	exports = append(exports, "mn_quant_new", "mn_quant_add_frame", "mn_quant_samples", "mn_quant_run", "mn_quant_free")
}

// Calibrator is a quantization calibrator in a Module (mn_quant_*).
type Calibrator struct {
	m      *Module
	handle int32
}

// NewCalibrator creates a calibrator for a float .tflite model
// (mn_quant_new).
func (m *Module) NewCalibrator(model []byte) (*Calibrator, error) {
	ptr, err := m.alloc(model)
	if err != nil {
		return nil, err
	}
	defer m.free(ptr)
	h, err := m.call("mn_quant_new", uint64(ptr), uint64(len(model)))
	if err != nil {
		return nil, err
	}
	if int32(h) <= 0 {
		return nil, m.guestError("mn_quant_new", 0)
	}
	return &Calibrator{m: m, handle: int32(h)}, nil
}

// Handle is the calibrator's handle in the module's ABI.
func (c *Calibrator) Handle() int32 { return c.handle }

// AddFrame feeds one RGBA frame (rows stride bytes apart) to the
// calibrator (mn_quant_add_frame).
func (c *Calibrator) AddFrame(rgba []byte, w, h, stride int) error {
	ptr, err := c.m.alloc(rgba)
	if err != nil {
		return err
	}
	defer c.m.free(ptr)
	return c.m.status("mn_quant_add_frame", api.EncodeI32(c.handle), uint64(ptr), uint64(len(rgba)),
		api.EncodeI32(int32(w)), api.EncodeI32(int32(h)), api.EncodeI32(int32(stride)))
}

// Samples is the number of frames added (mn_quant_samples).
func (c *Calibrator) Samples() (int, error) {
	r, err := c.m.call("mn_quant_samples", api.EncodeI32(c.handle))
	if err != nil {
		return 0, err
	}
	if n := int32(r); n < 0 {
		return 0, c.m.guestError("mn_quant_samples", n)
	}
	return int(int32(r)), nil
}

// Quantize runs mn_quant_run with JSON options ("" for the defaults) and
// returns the quantized .tflite.
func (c *Calibrator) Quantize(optsJSON string) ([]byte, error) {
	ptr, err := c.m.alloc([]byte(optsJSON))
	if err != nil {
		return nil, err
	}
	defer c.m.free(ptr)
	if err := c.m.status("mn_quant_run", api.EncodeI32(c.handle), uint64(ptr), uint64(len(optsJSON))); err != nil {
		return nil, err
	}
	return c.m.result()
}

// Close frees the calibrator (mn_quant_free).
func (c *Calibrator) Close() error {
	return c.m.status("mn_quant_free", api.EncodeI32(c.handle))
}
