package preprocess

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestToFloat32(t *testing.T) {
	src := make([]byte, 256)
	for i := range src {
		src[i] = byte(i)
	}
	dst := make([]float32, 256)
	if err := ToFloat32(dst, src); err != nil {
		t.Fatal(err)
	}
	le := make([]byte, 4*256)
	if err := ToFloat32LE(le, src); err != nil {
		t.Fatal(err)
	}
	for i, x := range src {
		want := float32(float64(x)/127.5 - 1)
		if dst[i] != want || Float(x) != want {
			t.Fatalf("byte %d: %v, want %v", x, dst[i], want)
		}
		if got := math.Float32frombits(binary.LittleEndian.Uint32(le[4*i:])); got != want {
			t.Fatalf("LE byte %d: %v, want %v", x, got, want)
		}
	}
	if dst[0] != -1 || dst[255] != 1 {
		t.Errorf("ends: %v, %v", dst[0], dst[255])
	}
	if err := ToFloat32(dst[:3], src); err == nil {
		t.Error("ToFloat32 accepted a short dst")
	}
	if err := ToFloat32LE(le[:1023], src); err == nil {
		t.Error("ToFloat32LE accepted a wrong dst")
	}
	if n := testing.AllocsPerRun(5, func() { _ = ToFloat32(dst, src) }); n != 0 {
		t.Errorf("ToFloat32: %v allocs", n)
	}
}
