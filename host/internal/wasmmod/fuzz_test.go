package wasmmod

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/hostile"
	"mobilenet-wasm/kernels/simd"
)

// fuzzModel is the hostile corpus's valid tiny uint8 classifier: small
// enough to load on every fuzz input.
func fuzzModel(tb testing.TB) []byte {
	tb.Helper()
	cases, err := hostile.Corpus()
	require.NoError(tb, err)
	for _, c := range cases {
		if c.Name == "control: the valid tiny uint8 model" {
			return c.Models[0]
		}
	}
	tb.Fatal("the corpus has no tiny uint8 model")
	return nil
}

// FuzzABI makes random call sequences on an instance: each step picks one
// of the module's mn_* exports and gives it arguments drawn from
// interesting values (0, a live allocation and its end, the live model's
// handle, the memory's end, 2^32-1...) or raw 32-bit values. No sequence
// may trap: the module checks every pointer, length and handle it is
// given. After the sequence the instance still loads and runs a model.
//
// One instance serves the inputs in turn (a fresh one costs a second or
// more, over the fuzzing engine's patience on a loaded machine); it is
// replaced when its memory passes 256 MiB. A failure's message lists the
// calls of the failing input; what earlier inputs left may matter too.
func FuzzABI(f *testing.F) {
	model := fuzzModel(f)
	wasm := engineWasm(f)
	var mod *Module
	open := func() (err error) {
		if mod != nil {
			mod.Close()
		}
		mod, err = OpenWith(context.Background(), Config{Engine: wasm, SIMD: simd.Module, MemoryLimitPages: 512 << 20 >> 16})
		return err
	}
	require.NoError(f, open())
	f.Cleanup(func() { mod.Close() })
	f.Add([]byte{0})
	f.Add([]byte{3, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{6, 2, 9, 10, 11, 12, 13, 14, 1, 5, 5, 5, 5})
	f.Add([]byte{8, 5, 4, 0xF1, 0xFF, 0xFF, 0xFF, 0x7F, 2, 3, 12, 200, 201, 202, 203})
	f.Add([]byte("\x04\x05\x05\x05\x05\x05\x05\x05\x05\x05\x05\x02\x05\x07"))
	f.Fuzz(func(t *testing.T, prog []byte) {
		if mod.Dead() != nil || mod.MemorySize() > 256<<20 {
			require.NoError(t, open())
		}
		var names []string
		for name := range mod.mod.ExportedFunctionDefinitions() {
			if strings.HasPrefix(name, "mn_") {
				names = append(names, name)
				mod.fns[name] = mod.mod.ExportedFunction(name)
			}
		}
		slices.Sort(names)
		md, err := mod.Load([][]byte{model}, Options{})
		require.NoError(t, err)
		buf, err := mod.alloc(make([]byte, 4096))
		require.NoError(t, err)
		h := uint32(md.Handle())
		size := mod.MemorySize()
		pool := []uint32{0, 1, 3, 4, 16, 255, 1 << 16, buf, buf + 4095, buf + 4096, h, h + 1, size - 1, size, size - 4, 0x7FFFFFFF, 0xFFFFFFFF, 0xFFFFFFF0, 1001, 224}
		next := func() byte {
			if len(prog) == 0 {
				return 0
			}
			b := prog[0]
			prog = prog[1:]
			return b
		}
		var trace []string
		for step := 0; len(prog) > 0 && step < 16; step++ {
			name := names[int(next())%len(names)]
			def := mod.mod.ExportedFunctionDefinitions()[name]
			params := make([]uint64, len(def.ParamTypes()))
			for i := range params {
				if b := next(); b < 0xF0 {
					params[i] = uint64(pool[int(b)%len(pool)])
				} else {
					var raw [4]byte
					for j := range raw {
						raw[j] = next()
					}
					params[i] = uint64(binary.LittleEndian.Uint32(raw[:]))
				}
			}
			trace = append(trace, fmt.Sprintf("%s%v", name, params))
			_, err := mod.call(name, params...)
			require.NoError(t, mod.Dead(), "after %v: %v", trace, err)
		}
		// The instance still works: a fresh load and inference.
		md2, err := mod.Load([][]byte{model}, Options{})
		require.NoError(t, err, "after %v", trace)
		raw, err := md2.Info()
		require.NoError(t, err, "after %v", trace)
		var info engine.Info
		require.NoError(t, json.Unmarshal(raw, &info))
		_, err = md2.Infer(info.Input.MidGrey())
		require.NoError(t, err, "after %v", trace)
		md2.Close()
		md.Close() // an error: the sequence freed it already
		mod.free(buf)
	})
}
