package textfmt

import (
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

type named int

type stringer int

func (s stringer) String() string { return fmt.Sprintf("S%d", int(s)) }

// TestLikeFmt compares Sprintf with fmt.Sprintf over the verbs and the
// argument types of the package's list.
func TestLikeFmt(t *testing.T) {
	var nilErr error
	cases := []struct {
		format string
		args   []any
	}{
		{"plain", nil},
		{"100%% sure", nil},
		{"%d %d %d %d %d", []any{0, -7, int8(-128), int16(300), int32(-1 << 31)}},
		{"%d %d %d %d %d %d", []any{int64(math.MinInt64), uint(7), uint8(255), uint16(65535), uint32(1 << 31), uint64(math.MaxUint64)}},
		{"%v %v %d", []any{uintptr(12), 42, []int{1, 2, 3}}},
		{"%v %v", []any{[]int{}, []int(nil)}},
		{"%s %v %q", []any{"text", "text", "quo\"te\n\x00é"}},
		{"%v %s %q", []any{errors.New("boom"), errors.New("boom"), errors.New("boom")}},
		{"%v %s %q %d", []any{stringer(3), stringer(4), stringer(5), stringer(6)}},
		{"%v %v", []any{image.Rect(0, 0, 3, 4), image.Pt(1, 2)}},
		{"%v %g %v %g", []any{1.5, 0.1, float32(0.1), float32(1e-7)}},
		{"%v %v %v %v %v", []any{1e6, 123456789.0, 1e21, 1e-5, 100.0}},
		{"%g %g %v %v", []any{math.Inf(1), math.Inf(-1), math.NaN(), -0.0}},
		{"%g %g", []any{1e6, 12345678.0}},
		{"%#x %#x %#x", []any{uint32(0), uint32(0xdeadbeef), uint64(1 << 40)}},
		{"%v %v", []any{nil, nilErr}},
		{"missing %d %s", []any{1}},
		{"extra %d", []any{1, "two", 3}},
		{"trailing %", nil},
		{"%x bad verb", []any{1}},
		{"%d of a named int", []any{named(5)}},
		{"%s of an int", []any{5}},
		{"%d of a string", []any{"s"}},
	}
	for _, c := range cases {
		want := fmt.Sprintf(c.format, c.args...)
		got := Sprintf(c.format, c.args...)
		if want != got && !unsupported(got) {
			t.Errorf("Sprintf(%q, %#v) = %q, fmt gives %q", c.format, c.args, got, want)
		}
	}
}

// unsupported reports whether s holds the mark of a verb or an argument
// outside the package's list, where fmt prints something else
// (%!x(int=1), or a named type's number): TestCallSites keeps those out of
// the engine's messages.
func unsupported(s string) bool {
	return contains(s, "(unsupported)") || contains(s, "%!(NOVERB)") || contains(s, "%!(EXTRA ")
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestUnsupportedMarks checks that what the package does not format says
// so instead of printing something plausible.
func TestUnsupportedMarks(t *testing.T) {
	assert.Equal(t, "n=%!d(unsupported)", Sprintf("n=%d", named(5)))
	assert.Equal(t, "%!x(unsupported)", Sprintf("%x", 1))
	assert.Equal(t, "%!X(unsupported)", Sprintf("%#x", -1), "%#x of signed integers")
	assert.Equal(t, "%!#(unsupported)", Sprintf("%#v", 1), "# with another verb")
	assert.Equal(t, "%!v(unsupported)", Sprintf("%v", struct{}{}))
	assert.Equal(t, "%!d(unsupported)", Sprintf("%d", stringer(1)))
	assert.Equal(t, "%!v(unsupported)", Sprintf("%v", []string{"a"}))
}

// TestErrorfWraps checks that %w wraps like fmt.Errorf's, one error or
// several.
func TestErrorfWraps(t *testing.T) {
	base := errors.New("base")
	err := Errorf("loader: %w: more", base)
	assert.Equal(t, "loader: base: more", err.Error())
	assert.ErrorIs(t, err, base)
	assert.Equal(t, base, errors.Unwrap(err))

	err = Errorf("%w, %w", io.EOF, base)
	assert.Equal(t, "EOF, base", err.Error())
	assert.ErrorIs(t, err, io.EOF)
	assert.ErrorIs(t, err, base)

	err = Errorf("no wrap %v", base)
	assert.NotErrorIs(t, err, base)
	assert.Nil(t, errors.Unwrap(err))
	assert.Equal(t, "%!w(unsupported) x", Errorf("%w x", nil).Error(), "fmt: %!w(<nil>) x")
	assert.Equal(t, "%!w(unsupported)", Sprintf("%w", base), "only Errorf wraps")
}
