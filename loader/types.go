package loader

import (
	"encoding/binary"
	"math"

	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/loader/tflitefb"
)

// dtypeInfo names every TFLite TensorType and gives its element size in
// bytes (0: the loader cannot hold tensors of that type).
var dtypeInfo = [...]struct {
	name string
	size int
}{
	Float32: {"float32", 4},
	Float16: {"float16", 2},
	Int32:   {"int32", 4},
	UInt8:   {"uint8", 1},
	Int64:   {"int64", 8},
	String:  {"string", 0},
	Bool:    {"bool", 1},
	Int16:   {"int16", 2},
	8:       {"complex64", 0},
	Int8:    {"int8", 1},
	10:      {"float64", 8},
	11:      {"complex128", 0},
	12:      {"uint64", 8},
	13:      {"resource", 0},
	14:      {"variant", 0},
	15:      {"uint32", 4},
	16:      {"uint16", 2},
	17:      {"int4", 0},
	18:      {"bfloat16", 2},
}

// String returns the type's lower-case name ("float32", "uint8", ...).
func (d DType) String() string {
	if d >= 0 && int(d) < len(dtypeInfo) {
		return dtypeInfo[d].name
	}
	return textfmt.Sprintf("DType(%d)", int8(d))
}

// ElemSize returns the size of one element in bytes, or 0 for types the
// loader does not hold (string, resource, variant, complex, int4, unknown).
func (d DType) ElemSize() int {
	if d >= 0 && int(d) < len(dtypeInfo) {
		return dtypeInfo[d].size
	}
	return 0
}

// String returns TFLite's name of the operator ("CONV_2D", ...), or
// "Op(N)" for codes TFLite does not define.
func (o Op) String() string {
	if s, ok := tflitefb.EnumNamesBuiltinOperator[tflitefb.BuiltinOperator(o)]; ok {
		return s
	}
	return textfmt.Sprintf("Op(%d)", int32(o))
}

// String returns TFLite's name of the padding scheme ("SAME", "VALID").
func (p Padding) String() string {
	if s, ok := tflitefb.EnumNamesPadding[tflitefb.Padding(p)]; ok {
		return s
	}
	return textfmt.Sprintf("Padding(%d)", int8(p))
}

// String returns TFLite's name of the activation ("NONE", "RELU6", ...).
func (a Activation) String() string {
	if s, ok := tflitefb.EnumNamesActivationFunctionType[tflitefb.ActivationFunctionType(a)]; ok {
		return s
	}
	return textfmt.Sprintf("Activation(%d)", int8(a))
}

// NumElements returns the product of the tensor's dimensions (1 for a
// scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ByteSize returns NumElements times the element size.
func (t *Tensor) ByteSize() int { return t.NumElements() * t.Type.ElemSize() }

// IsConstant reports whether the tensor holds constant data (weights,
// biases, shape vectors) rather than being an activation.
func (t *Tensor) IsConstant() bool { return t.Data != nil }

// Float32s decodes the constant data of a float32 tensor.
func (t *Tensor) Float32s() ([]float32, error) {
	if err := t.wantConst(Float32); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Int32s decodes the constant data of an int32 tensor (biases, shapes).
func (t *Tensor) Int32s() ([]int32, error) {
	if err := t.wantConst(Int32); err != nil {
		return nil, err
	}
	out := make([]int32, len(t.Data)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Int8s returns the constant data of an int8 tensor (a copy; uint8 tensors
// use Data directly).
func (t *Tensor) Int8s() ([]int8, error) {
	if err := t.wantConst(Int8); err != nil {
		return nil, err
	}
	out := make([]int8, len(t.Data))
	for i, b := range t.Data {
		out[i] = int8(b)
	}
	return out, nil
}

// Ints decodes the constant data of an int32 or int64 tensor as ints: the
// shape, axis and padding operands of RESHAPE, MEAN and PAD.
func (t *Tensor) Ints() ([]int, error) {
	switch t.Type {
	case Int32:
		v, err := t.Int32s()
		if err != nil {
			return nil, err
		}
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x)
		}
		return out, nil
	case Int64:
		if err := t.wantConst(Int64); err != nil {
			return nil, err
		}
		out := make([]int, len(t.Data)/8)
		for i := range out {
			x := int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
			if int64(int(x)) != x {
				return nil, textfmt.Errorf("loader: tensor %d %s: value %d overflows int", t.Index, quote(t.Name), x)
			}
			out[i] = int(x)
		}
		return out, nil
	}
	return nil, textfmt.Errorf("loader: tensor %d %s is %v, want int32 or int64", t.Index, quote(t.Name), t.Type)
}

func (t *Tensor) wantConst(d DType) error {
	if t.Type != d {
		return textfmt.Errorf("loader: tensor %d %s is %v, want %v", t.Index, quote(t.Name), t.Type, d)
	}
	if t.Data == nil {
		return textfmt.Errorf("loader: tensor %d %s is not constant", t.Index, quote(t.Name))
	}
	return nil
}

// Tensor returns tensor i, or nil when i is out of range (such as -1, an
// absent optional input).
func (m *Model) Tensor(i int) *Tensor {
	if i < 0 || i >= len(m.Tensors) {
		return nil
	}
	return &m.Tensors[i]
}

// Input returns the subgraph's i-th input tensor, or nil when there is none.
func (m *Model) Input(i int) *Tensor {
	if i < 0 || i >= len(m.Inputs) {
		return nil
	}
	return m.Tensor(m.Inputs[i])
}

// Output returns the subgraph's i-th output tensor, or nil when there is
// none.
func (m *Model) Output(i int) *Tensor {
	if i < 0 || i >= len(m.Outputs) {
		return nil
	}
	return m.Tensor(m.Outputs[i])
}
