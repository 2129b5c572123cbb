package wasmbin_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/wasm/wasmbin"
)

// TestS32 round-trips signed LEB128s, checking the encodings the spec
// gives (64 needs two bytes: a one-byte 0x40 is -64).
func TestS32(t *testing.T) {
	for v, want := range map[int32][]byte{
		0:             {0x00},
		63:            {0x3f},
		64:            {0xc0, 0x00},
		-64:           {0x40},
		-65:           {0xbf, 0x7f},
		0x12345:       {0xc5, 0xc6, 0x04},
		math.MaxInt32: {0xff, 0xff, 0xff, 0xff, 0x07},
		math.MinInt32: {0x80, 0x80, 0x80, 0x80, 0x78},
	} {
		b := wasmbin.AppendS32(nil, v)
		assert.Equal(t, want, b, "%d", v)
		r := wasmbin.NewReader(b)
		assert.Equal(t, v, r.S32(), "%x", b)
		assert.NoError(t, r.Err())
		assert.Zero(t, r.Len())
	}
	for _, bad := range [][]byte{
		{},
		{0x80},                         // truncated
		{0x80, 0x80, 0x80, 0x80, 0x80}, // more than 5 bytes
		{0xff, 0xff, 0xff, 0xff, 0x0f}, // 2^32-1: bits past 31 are not the sign
		{0x80, 0x80, 0x80, 0x80, 0x70}, // below MinInt32
	} {
		r := wasmbin.NewReader(bad)
		assert.Zero(t, r.S32())
		assert.ErrorContains(t, r.Err(), "bad s32 at byte 0", "%x", bad)
	}
}

// TestU32AndS64 checks the unsigned and the 64-bit signed encodings
// (kernels/simd/asm writes i64.const operands with AppendS64).
func TestU32AndS64(t *testing.T) {
	for v, want := range map[uint32][]byte{0: {0}, 127: {0x7f}, 128: {0x80, 0x01}, 624485: {0xe5, 0x8e, 0x26}, math.MaxUint32: {0xff, 0xff, 0xff, 0xff, 0x0f}} {
		b := wasmbin.AppendU32(nil, v)
		assert.Equal(t, want, b, "%d", v)
		r := wasmbin.NewReader(b)
		assert.Equal(t, v, r.U32(), "%x", b)
		assert.NoError(t, r.Err())
	}
	for v, want := range map[int64][]byte{0: {0}, -1: {0x7f}, 63: {0x3f}, 64: {0xc0, 0x00}, -123456: {0xc0, 0xbb, 0x78},
		math.MinInt64: {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}} {
		assert.Equal(t, want, wasmbin.AppendS64(nil, v), "%d", v)
	}
}

// TestReaderSticky keeps the first error: later reads return zero and do
// not replace it.
func TestReaderSticky(t *testing.T) {
	r := wasmbin.NewReader([]byte{0x01, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x05})
	assert.Equal(t, uint32(1), r.U32())
	assert.Zero(t, r.U32(), "a u32 past 32 bits")
	assert.Zero(t, r.Byte())
	assert.Nil(t, r.Bytes(1))
	assert.EqualError(t, r.Err(), "bad u32 at byte 1")
	assert.Equal(t, 1, r.Pos())

	r = wasmbin.NewReader([]byte{0x03, 'a', 'b'})
	assert.Empty(t, r.Name())
	assert.EqualError(t, r.Err(), "bad byte string at byte 1")
}

// TestSections splits a module and refuses a bad header and a section
// past the end; AppendSection writes what Sections reads.
func TestSections(t *testing.T) {
	m := append([]byte(nil), wasmbin.Magic...)
	m = wasmbin.AppendSection(m, wasmbin.SecCustom, []byte{1, 'x', 9})
	m = wasmbin.AppendSection(m, wasmbin.SecMemory, wasmbin.AppendLimits([]byte{1}, wasmbin.Limits{Min: 2}))
	m = append(m, wasmbin.SecData, 0x80|1, 0, 0) // a size padded to 2 bytes, as linkers do
	ss, err := wasmbin.Sections(m)
	require.NoError(t, err)
	require.Len(t, ss, 3)
	assert.Equal(t, byte(wasmbin.SecCustom), ss[0].ID)
	assert.Equal(t, []byte{1, 'x', 9}, ss[0].Body)
	assert.Equal(t, []byte{0, 3, 1, 'x', 9}, ss[0].Raw)
	r := ss[1].Reader()
	assert.Equal(t, uint32(1), r.U32())
	assert.Equal(t, wasmbin.Limits{Min: 2}, r.Limits())
	assert.NoError(t, r.Err())
	assert.Equal(t, []byte{0}, ss[2].Body)
	assert.Equal(t, []byte{wasmbin.SecData, 0x81, 0, 0}, ss[2].Raw)

	_, err = wasmbin.Sections(m[:len(m)-1])
	assert.EqualError(t, err, "truncated section at byte "+strconv.Itoa(len(m)-4))
	_, err = wasmbin.Sections([]byte("\x00asm\x02\x00\x00\x00"))
	assert.EqualError(t, err, "not a WebAssembly 1.0 binary")

	// A section reader's errors count from the start of the module.
	r = ss[1].Reader()
	r.Bytes(100)
	assert.EqualError(t, r.Err(), "bad byte string at byte "+strconv.Itoa(len(wasmbin.Magic)+len(ss[0].Raw)+2))
}

// TestImport reads import entries of each kind.
func TestImport(t *testing.T) {
	var b []byte
	entry := func(kind byte, desc ...byte) {
		b = append(b, 1, 'm', 1, 'n', kind)
		b = append(b, desc...)
	}
	entry(wasmbin.KindFunc, 0x85, 0x01)
	entry(wasmbin.KindTable, 0x70, 0x01, 1, 2)
	entry(wasmbin.KindMemory, 0x03, 1, 0x80, 0x40)
	entry(wasmbin.KindGlobal, 0x7f, 0x01)
	entry(wasmbin.KindTag, 0, 3)
	r := wasmbin.NewReader(b)
	for want := range byte(wasmbin.KindTag + 1) {
		kind := r.Import()
		assert.Equal(t, want, kind)
		if kind == wasmbin.KindMemory {
			assert.Equal(t, wasmbin.Limits{Min: 1, Max: 8192, HasMax: true, Shared: true}, r.Limits())
			continue
		}
		r.SkipDesc(kind)
	}
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())

	r = wasmbin.NewReader([]byte{0, 0, 7})
	r.Import()
	assert.EqualError(t, r.Err(), "import of unknown kind 0x7 at byte 2")
	r = wasmbin.NewReader([]byte{0x04, 1})
	r.Limits()
	assert.ErrorContains(t, r.Err(), "64-bit memories are not supported")
}
