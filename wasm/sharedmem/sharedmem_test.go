package sharedmem_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/kernels/simd/asm"
	"mobilenet-wasm/wasm/abi"
	"mobilenet-wasm/wasm/sharedmem"
)

// TestShareImport shares simd.wasm's memory import: the limits become
// shared with the maximum, and nothing else of the module changes size
// but those bytes.
func TestShareImport(t *testing.T) {
	before, err := sharedmem.Memories(simd.Module)
	require.NoError(t, err)
	require.Equal(t, []sharedmem.Limits{{Imported: true}}, before, "simd.wasm imports one unshared memory without a maximum")
	s, err := sharedmem.Share(simd.Module, abi.SharedMemoryMaxPages)
	require.NoError(t, err)
	after, err := sharedmem.Memories(s)
	require.NoError(t, err)
	assert.Equal(t, []sharedmem.Limits{{Max: abi.SharedMemoryMaxPages, HasMax: true, Shared: true, Imported: true}}, after)
	assert.Equal(t, len(simd.Module)+3, len(s), "flags unchanged in size, plus a 3-byte LEB128 maximum")
	again, err := sharedmem.Share(s, abi.SharedMemoryMaxPages)
	require.NoError(t, err)
	assert.Equal(t, s, again, "sharing a shared module changes nothing")
}

// TestShareDefined shares a defined memory and refuses a maximum below its
// minimum and a module without memory.
func TestShareDefined(t *testing.T) {
	m := asm.NewModule()
	m.DefineMemory(300, "memory")
	wasm := m.Encode()
	s, err := sharedmem.Share(wasm, 1000)
	require.NoError(t, err)
	ls, err := sharedmem.Memories(s)
	require.NoError(t, err)
	assert.Equal(t, []sharedmem.Limits{{Min: 300, Max: 1000, HasMax: true, Shared: true}}, ls)

	_, err = sharedmem.Share(wasm, 299)
	assert.ErrorContains(t, err, "minimum of 300 pages exceeds the maximum 299")
	_, err = sharedmem.Share([]byte("\x00asm\x01\x00\x00\x00"), 10)
	assert.ErrorContains(t, err, "no memory")
	_, err = sharedmem.Share([]byte("not wasm"), 10)
	assert.ErrorContains(t, err, "not a WebAssembly")
	_, err = sharedmem.Share(wasm[:len(wasm)-1], 1000)
	assert.Error(t, err, "a truncated module")
}

// TestBuiltSharedCopies checks the shared copies build.sh writes into
// site/: engine-threads.wasm defines a shared memory of the maximum
// abi.SharedMemoryMaxPages, simd-threads.wasm imports one, and the plain
// files stay unshared. Skipped before build.sh ran.
func TestBuiltSharedCopies(t *testing.T) {
	site := filepath.Join("..", "..", "site")
	want := map[string]sharedmem.Limits{
		"engine.wasm":         {},
		"engine-threads.wasm": {HasMax: true, Max: abi.SharedMemoryMaxPages, Shared: true},
		"simd.wasm":           {Imported: true},
		"simd-threads.wasm":   {HasMax: true, Max: abi.SharedMemoryMaxPages, Shared: true, Imported: true},
	}
	for name, w := range want {
		b, err := os.ReadFile(filepath.Join(site, name))
		if os.IsNotExist(err) {
			if os.Getenv("MOBILENET_REQUIRE_TESTDATA") == "1" {
				t.Fatalf("site/%s is missing: run ./build.sh", name)
			}
			t.Skipf("site/%s is missing: run ./build.sh", name)
		}
		require.NoError(t, err)
		ls, err := sharedmem.Memories(b)
		require.NoError(t, err, name)
		require.Len(t, ls, 1, name)
		got := ls[0]
		got.Min = 0 // the Go linker's choice
		assert.Equal(t, w, got, "site/%s", name)
	}
}
