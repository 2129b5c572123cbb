// Package textfmt formats messages as package fmt does, for the verbs and
// argument types the engine's messages use, without linking fmt.
//
// The packages inside the wasm engine (loader, engine, engine/preprocess,
// kernels/simd and the module itself) format their errors with it: fmt
// brings reflect, os and time into the module, which a first visit
// downloads before its first prediction.
//
// The verbs are %v, %d, %s, %q, %g, %w and %#x (of unsigned integers),
// with no other flags, widths or precisions. The arguments are the
// integer and float types (%v, %d; %g), string, error and anything with a
// String method (%v, %s, %q), and []int (%v, %d): what the engine's
// messages pass. TestCallSites checks every call in those packages against
// that list, and TestLikeFmt checks the output against fmt's.
package textfmt

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Sprintf formats like fmt.Sprintf. A verb or an argument outside the
// package's list prints as fmt prints a bad verb, %!v(unsupported), so
// that a message still says where it went wrong.
func Sprintf(format string, args ...any) string {
	b, _ := appendf(nil, format, args, false)
	return string(b)
}

// Errorf formats like fmt.Errorf: the error it returns unwraps to the
// arguments of its %w verbs.
func Errorf(format string, args ...any) error {
	b, wrapped := appendf(nil, format, args, true)
	switch len(wrapped) {
	case 0:
		return errors.New(string(b))
	case 1:
		return &wrapError{msg: string(b), err: wrapped[0]}
	}
	return &wrapErrors{msg: string(b), errs: wrapped}
}

type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }

// appendf appends the formatted message to b and returns the arguments of
// its %w verbs, which only Errorf (wrap) accepts.
func appendf(b []byte, format string, args []any, wrap bool) ([]byte, []error) {
	var wrapped []error
	next := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+1 == len(format) {
			b = append(b, "%!(NOVERB)"...)
			break
		}
		i++
		sharp := format[i] == '#'
		if sharp && i+1 < len(format) {
			i++
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size - 1
		switch {
		case sharp && verb == 'x':
			verb = 'X' // this package's name for %#x
		case sharp:
			verb = '#' // # with another verb: outside the list, marked as unsupported
		}
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if next >= len(args) {
			b = append(b, "%!"...)
			b = utf8.AppendRune(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		arg := args[next]
		next++
		if verb == 'w' {
			err, ok := arg.(error)
			if !wrap || !ok {
				b = appendBad(b, verb)
				continue
			}
			wrapped = append(wrapped, err)
			verb = 'v'
		}
		b = appendArg(b, verb, arg)
	}
	if next < len(args) {
		b = append(b, "%!(EXTRA "...)
		for i, a := range args[next:] {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendArg(b, 'v', a)
		}
		b = append(b, ')')
	}
	return b, wrapped
}

// appendArg appends one argument as verb formats it.
func appendArg(b []byte, verb rune, arg any) []byte {
	switch verb {
	case 'v', 'd', 's', 'q', 'g', 'X':
	default:
		return appendBad(b, verb)
	}
	if arg == nil {
		if verb == 'v' {
			return append(b, "<nil>"...)
		}
		return appendBad(b, verb)
	}
	// Integers and floats print as numbers for %v and %d (%g), whatever
	// methods their type has, as in fmt; everything else, strings first.
	if b, ok := appendNumber(b, verb, arg); ok {
		return b
	}
	if ints, ok := arg.([]int); ok && (verb == 'v' || verb == 'd') {
		b = append(b, '[')
		for i, e := range ints {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(e), 10)
		}
		return append(b, ']')
	}
	if verb == 'd' || verb == 'g' || verb == 'X' {
		return appendBad(b, verb)
	}
	var s string
	switch a := arg.(type) {
	case error:
		s = a.Error()
	case interface{ String() string }:
		s = a.String()
	case string:
		s = a
	default:
		return appendBad(b, verb)
	}
	switch verb {
	case 'v', 's':
		return append(b, s...)
	case 'q':
		return strconv.AppendQuote(b, s)
	}
	return appendBad(b, verb)
}

// appendNumber appends arg when it is an integer (%v, %d) or a float (%v,
// %g), and reports whether it was one of those.
func appendNumber(b []byte, verb rune, arg any) ([]byte, bool) {
	var i int64
	var u uint64
	signed := true
	switch a := arg.(type) {
	case int:
		i = int64(a)
	case int8:
		i = int64(a)
	case int16:
		i = int64(a)
	case int32:
		i = int64(a)
	case int64:
		i = a
	case uint:
		u, signed = uint64(a), false
	case uint8:
		u, signed = uint64(a), false
	case uint16:
		u, signed = uint64(a), false
	case uint32:
		u, signed = uint64(a), false
	case uint64:
		u, signed = a, false
	case uintptr:
		u, signed = uint64(a), false
	case float32:
		return appendFloat(b, verb, float64(a), 32), true
	case float64:
		return appendFloat(b, verb, a, 64), true
	default:
		return b, false
	}
	if verb == 'X' && !signed {
		return strconv.AppendUint(append(b, "0x"...), u, 16), true
	}
	if verb != 'v' && verb != 'd' {
		return appendBad(b, verb), true
	}
	if signed {
		return strconv.AppendInt(b, i, 10), true
	}
	return strconv.AppendUint(b, u, 10), true
}

func appendFloat(b []byte, verb rune, f float64, bits int) []byte {
	if verb != 'v' && verb != 'g' {
		return appendBad(b, verb)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func appendBad(b []byte, verb rune) []byte {
	b = append(b, "%!"...)
	b = utf8.AppendRune(b, verb)
	return append(b, "(unsupported)"...)
}
