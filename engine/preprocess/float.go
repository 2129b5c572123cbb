package preprocess

import (
	"encoding/binary"
	"math"

	"mobilenet-wasm/internal/textfmt"
)

// floatOf[x] is float32(float64(x)/127.5 - 1), the float models' input for
// byte x (computed in float64, rounded once to float32, as the goldens were).
var floatOf = func() (t [256]float32) {
	for x := range t {
		t[x] = Float(byte(x))
	}
	return t
}()

// Float returns the float model input value of byte x:
// float32(float64(x)/127.5 - 1), in [-1, 1].
func Float(x byte) float32 {
	return float32(float64(x)/127.5 - 1)
}

// ToFloat32 writes the float model input of each byte of src (an RGB tensor
// from Image or RGBA) to dst, which must have the same length.
func ToFloat32(dst []float32, src []byte) error {
	if len(dst) != len(src) {
		return textfmt.Errorf("preprocess: ToFloat32: dst has %d values, src %d bytes", len(dst), len(src))
	}
	for i, x := range src {
		dst[i] = floatOf[x]
	}
	return nil
}

// ToFloat32LE is ToFloat32 writing little-endian float32 bytes (a raw float
// input tensor) to dst, which must hold exactly 4*len(src) bytes.
func ToFloat32LE(dst []byte, src []byte) error {
	if len(dst)/4 != len(src) || len(dst)%4 != 0 {
		return textfmt.Errorf("preprocess: ToFloat32LE: dst has %d bytes, want %d (4 per byte of src)", len(dst), 4*len(src))
	}
	for i, x := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(floatOf[x]))
	}
	return nil
}
