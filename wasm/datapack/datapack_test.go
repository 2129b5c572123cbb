package datapack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"mobilenet-wasm/wasm/wasmbin"
)

// testSeg is a data segment of a test module: active with flags 0x00 or
// 0x02 (memory index 0) and an i32.const offset, or, when expr is set,
// flags, expr and the init bytes as they are.
type testSeg struct {
	flags byte
	addr  int32
	init  string
	expr  []byte
}

// custom is a custom section every test module holds, which Pack must
// copy as it is.
var custom = []byte{wasmbin.SecCustom, 0x85, 0x80, 0x80, 0x80, 0x00, 4, 'n', 'o', 't', 'e'}

// module encodes a module with one page of memory, exported as "memory",
// and the given data segments; dataCount adds a DataCount section.
func module(segs []testSeg, dataCount bool) []byte {
	m := append([]byte(nil), wasmbin.Magic...)
	m = append(m, custom...)
	m = wasmbin.AppendSection(m, wasmbin.SecMemory, []byte{1, 0x00, 1})
	m = wasmbin.AppendSection(m, 7, []byte{1, 6, 'm', 'e', 'm', 'o', 'r', 'y', wasmbin.KindMemory, 0})
	if dataCount {
		m = wasmbin.AppendSection(m, wasmbin.SecDataCount, wasmbin.AppendU32(nil, uint32(len(segs))))
	}
	body := wasmbin.AppendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		body = append(body, s.flags)
		switch {
		case s.expr != nil:
			body = append(body, s.expr...)
		case s.flags == 0x02:
			body = append(body, 0) // memory index
			fallthrough
		default:
			body = append(body, 0x41)
			body = wasmbin.AppendS32(body, s.addr)
			body = append(body, 0x0b)
		}
		body = wasmbin.AppendU32(body, uint32(len(s.init)))
		body = append(body, s.init...)
	}
	return wasmbin.AppendSection(m, wasmbin.SecData, body)
}

// instantiate returns the memory wazero gives a module at instantiation:
// the oracle of what its data segments mean.
func instantiate(t *testing.T, wasm []byte) []byte {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	m, err := r.Instantiate(ctx, wasm)
	require.NoError(t, err)
	mem := m.ExportedMemory("memory")
	b, ok := mem.Read(0, mem.Size())
	require.True(t, ok)
	return bytes.Clone(b)
}

// sectionsExcept returns a module's sections but those of the given ids,
// each as the binary holds it.
func sectionsExcept(t *testing.T, wasm []byte, ids ...byte) [][]byte {
	t.Helper()
	secs, err := wasmbin.Sections(wasm)
	require.NoError(t, err)
	var raw [][]byte
	for _, s := range secs {
		if !bytes.Contains(ids, []byte{s.ID}) {
			raw = append(raw, s.Raw)
		}
	}
	return raw
}

// segments returns the data segments of wasm's data section.
func segments(t *testing.T, wasm []byte) []segment {
	t.Helper()
	secs, err := wasmbin.Sections(wasm)
	require.NoError(t, err)
	for _, s := range secs {
		if s.ID == wasmbin.SecData {
			segs, err := readData(s)
			require.NoError(t, err)
			return segs
		}
	}
	return nil
}

// TestPack packs an unsorted module with gaps below, at and above the
// threshold and checks, with wazero, that its memory is the same.
func TestPack(t *testing.T) {
	segs := []testSeg{
		{addr: 0x1000, init: "far"},
		{addr: 0x44, init: "cd"},
		{addr: 0x40, init: "ab"}, // 64: a two-byte signed LEB128
		{addr: 0x50},             // empty, in a gap
		{flags: 0x02, addr: 0x60, init: "ef"},
		{addr: 0x62 + 1024, init: "gh"},           // a gap of exactly 1024
		{addr: 0x62 + 1024 + 2 + 1025, init: "i"}, // a gap of 1025
		{addr: 0xfffe, init: "zz"},                // the page's last bytes
		{addr: 0x1005, init: "\x00x\x00"},
	}
	for _, tc := range []struct {
		maxGap, after int
	}{
		{maxGap: 1024, after: 4},
		{maxGap: 0, after: len(segs)},
		{maxGap: 1 << 16, after: 1},
	} {
		for _, dc := range []bool{false, true} {
			in := module(segs, dc)
			out, st, err := Pack(in, tc.maxGap)
			require.NoError(t, err, "maxGap %d", tc.maxGap)
			assert.Equal(t, Stats{Before: len(segs), After: tc.after}, st, "maxGap %d", tc.maxGap)
			got := segments(t, out)
			assert.Len(t, got, tc.after)
			assert.True(t, slicesSortedByAddr(got), "segments sorted by address")
			assert.Equal(t, instantiate(t, in), instantiate(t, out), "maxGap %d: memory after instantiation", tc.maxGap)
			assert.Equal(t, sectionsExcept(t, in, wasmbin.SecData, wasmbin.SecDataCount), sectionsExcept(t, out, wasmbin.SecData, wasmbin.SecDataCount), "other sections copied")
			if dc {
				want := module(make([]testSeg, tc.after), true)
				assert.Equal(t, sectionsExcept(t, want, wasmbin.SecData), sectionsExcept(t, out, wasmbin.SecData), "the DataCount section counts %d", tc.after)
			}
			again, st2, err := Pack(out, tc.maxGap)
			require.NoError(t, err)
			assert.Equal(t, out, again, "packing a packed module changes nothing")
			assert.Equal(t, Stats{Before: tc.after, After: tc.after}, st2)
		}
	}
}

func slicesSortedByAddr(segs []segment) bool {
	for i := 1; i < len(segs); i++ {
		if segs[i-1].addr > segs[i].addr {
			return false
		}
	}
	return true
}

// TestPackRefuses leaves a module without data as it is, and refuses
// what it cannot pack with a clear error.
func TestPackRefuses(t *testing.T) {
	noData := module(nil, false)
	noData = noData[:len(noData)-3] // drop the empty data section
	out, st, err := Pack(noData, 1024)
	require.NoError(t, err)
	assert.Equal(t, noData, out)
	assert.Equal(t, Stats{}, st)

	importsMemory := append([]byte(nil), wasmbin.Magic...)
	importsMemory = wasmbin.AppendSection(importsMemory, wasmbin.SecImport, []byte{1, 1, 'e', 1, 'm', wasmbin.KindMemory, 0x00, 1})
	importsMemory = wasmbin.AppendSection(importsMemory, wasmbin.SecData, []byte{1, 0, 0x41, 0, 0x0b, 1, 'x'})

	dataCountWrong := module([]testSeg{{addr: 1, init: "a"}}, false)
	dataCountWrong = append(dataCountWrong[:len(dataCountWrong)-9], append([]byte{wasmbin.SecDataCount, 1, 2}, dataCountWrong[len(dataCountWrong)-9:]...)...)

	for name, tc := range map[string]struct {
		wasm   []byte
		maxGap int
		err    string
	}{
		"passive":       {module([]testSeg{{flags: 0x01, expr: []byte{}, init: "a"}}, false), 1024, "data segment 0 is passive"},
		"memory 1":      {module([]testSeg{{addr: 1, init: "a"}, {flags: 0x02, expr: []byte{1, 0x41, 0, 0x0b}, init: "b"}}, false), 1024, "data segment 1 is for memory 1"},
		"global.get":    {module([]testSeg{{flags: 0x00, expr: []byte{0x23, 0, 0x0b}, init: "a"}}, false), 1024, "data segment 0's offset is not an i32.const"},
		"extended":      {module([]testSeg{{flags: 0x00, expr: []byte{0x41, 1, 0x41, 1, 0x6a, 0x0b}, init: "a"}}, false), 1024, "data segment 0's offset is not an i32.const"},
		"flags":         {module([]testSeg{{flags: 0x07, expr: []byte{}, init: "a"}}, false), 1024, "data segment 0 has unknown flags 0x7"},
		"overlap":       {module([]testSeg{{addr: 10, init: "abc"}, {addr: 12, init: "x"}}, false), 1024, "two data segments overlap at address 0xc"},
		"imports":       {importsMemory, 1024, "the module imports its memory"},
		"count":         {dataCountWrong, 1024, "the DataCount section counts 2 data segments, the data section has 1"},
		"gap":           {noData, -1, "negative gap -1"},
		"not wasm":      {[]byte("\x00asm\x0d\x00\x01\x00"), 1024, "datapack: not a WebAssembly 1.0 binary"},
		"stray":         {append(module(nil, false)[:len(noData)], wasmbin.SecData, 2, 0, 0), 1024, "1 stray bytes"},
		"truncated seg": {append(module(nil, false)[:len(noData)], wasmbin.SecData, 4, 1, 0, 0x41, 0x80), 1024, "datapack: data section: bad s32 at byte"},
	} {
		_, _, err := Pack(tc.wasm, tc.maxGap)
		assert.ErrorContains(t, err, tc.err, name)
		assert.ErrorContains(t, err, "datapack: ", name)
	}
}

// TestBuiltEngine packs the Go-built site/engine.wasm (it needs imports,
// so it is not instantiated) and compares the memory images its segments
// describe before and after. Since build.sh packs it, this mostly checks
// that packing again changes nothing; TestGoProgram runs a packed Go
// module. Skipped before build.sh ran.
func TestBuiltEngine(t *testing.T) {
	path := filepath.Join("..", "..", "site", "engine.wasm")
	in, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if os.Getenv("MOBILENET_REQUIRE_TESTDATA") == "1" {
			t.Fatal("site/engine.wasm is missing: run ./build.sh")
		}
		t.Skip("site/engine.wasm is missing: run ./build.sh")
	}
	require.NoError(t, err)
	out, st, err := Pack(in, 1024)
	require.NoError(t, err)
	t.Logf("%s: %d data segments -> %d, %d -> %d bytes", path, st.Before, st.After, len(in), len(out))
	assert.Less(t, st.After, 100, "segments")
	assert.Equal(t, image(segments(t, in)), image(segments(t, out)), "memory image")
	assert.Equal(t, sectionsExcept(t, in, wasmbin.SecData), sectionsExcept(t, out, wasmbin.SecData), "other sections copied")
	again, _, err := Pack(out, 1024)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(out, again), "packing a packed module changes nothing")
}

// image writes segs into a zeroed memory as instantiation would (TestPack
// checks that against wazero), up to the last byte they write.
func image(segs []segment) []byte {
	var n uint64
	for _, s := range segs {
		n = max(n, s.end())
	}
	mem := make([]byte, n)
	for _, s := range segs {
		copy(mem[s.addr:], s.init)
	}
	return mem
}

// TestImage checks the image helper against wazero.
func TestImage(t *testing.T) {
	segs := []testSeg{{addr: 0x30, init: "abc"}, {addr: 0x10, init: "z"}, {addr: 0x800, init: "end"}}
	mem := instantiate(t, module(segs, false))
	img := image(segments(t, module(segs, false)))
	assert.Equal(t, mem[:len(img)], img)
	assert.Equal(t, make([]byte, len(mem)-len(img)), mem[len(img):])
}

// FuzzPack checks that Pack never panics and that its output, packed
// again, is unchanged.
func FuzzPack(f *testing.F) {
	valid := module([]testSeg{{addr: 0x40, init: "ab"}, {addr: 0x100, init: "cd"}, {addr: 0x10, init: "x"}, {addr: 0x4000, init: "far"}}, true)
	f.Add(valid, uint16(1024))
	f.Add(valid, uint16(0))
	f.Add(module([]testSeg{{flags: 0x02, addr: -1, init: "a"}, {addr: -0x10, init: "b"}}, false), uint16(100))
	for _, n := range []int{len(valid) - 1, len(valid) - 4, 20, 9} {
		f.Add(valid[:n], uint16(1024))
	}
	f.Fuzz(func(t *testing.T, wasm []byte, maxGap uint16) {
		out, st, err := Pack(wasm, int(maxGap))
		if err != nil {
			return
		}
		again, st2, err := Pack(out, int(maxGap))
		require.NoError(t, err)
		assert.Equal(t, out, again)
		assert.Equal(t, Stats{Before: st.After, After: st.After}, st2)
	})
}
