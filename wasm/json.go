package main

import (
	"math"
	"strconv"
	"unicode/utf8"

	"mobilenet-wasm/engine"
)

// appendPredictionsJSON appends preds as the JSON array mn_classify returns,
// allocating nothing beyond dst's growth. It matches what encoding/json
// writes for []engine.Prediction, except that non-finite scores become null
// (encoding/json refuses them) and no HTML characters are escaped.
func appendPredictionsJSON(dst []byte, preds []engine.Prediction) []byte {
	dst = append(dst, '[')
	for i, p := range preds {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(p.Index), 10)
		dst = append(dst, `,"label":`...)
		dst = appendJSONString(dst, p.Label)
		dst = append(dst, `,"score":`...)
		dst = appendJSONFloat32(dst, p.Score)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendJSONFloat32 appends f as the shortest decimal that parses back to
// the same float32, or null when f is not finite.
func appendJSONFloat32(dst []byte, f float32) []byte {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}
