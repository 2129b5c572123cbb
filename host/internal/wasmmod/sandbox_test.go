package wasmmod

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"mobilenet-wasm/wasm/abi"
)

// probeModule is a tiny wasm module that does what a model exploiting a
// bug in the engine could at worst make the engine do: call the WASI
// functions the engine imports (and the socket one) and read memory at
// any address. Its exports:
//
//	prestat(fd) errno            fd_prestat_get: is fd a mounted directory?
//	open(fd, ptr, len) errno     path_open of the path at ptr under fd
//	accept(fd) errno             sock_accept on fd
//	envcount() count             environ_sizes_get's count
//	argcount() count             args_sizes_get's count
//	peek(addr) i32               i32.load at addr
func probeModule() []byte {
	const (
		i32 = 0x7f
		i64 = 0x7e
	)
	vec := func(items ...[]byte) []byte {
		out := binary.AppendUvarint(nil, uint64(len(items)))
		for _, it := range items {
			out = append(out, it...)
		}
		return out
	}
	name := func(s string) []byte { return append(binary.AppendUvarint(nil, uint64(len(s))), s...) }
	section := func(id byte, body []byte) []byte {
		return append(append([]byte{id}, binary.AppendUvarint(nil, uint64(len(body)))...), body...)
	}
	fn := func(params []byte, result byte) []byte {
		return append(append([]byte{0x60}, vec(bytesOf(params)...)...), 1, result)
	}
	types := vec(
		fn([]byte{i32, i32}, i32),                                    // 0: fd_prestat_get, environ_sizes_get, args_sizes_get
		fn([]byte{i32, i32, i32, i32, i32, i64, i64, i32, i32}, i32), // 1: path_open
		fn([]byte{i32, i32, i32}, i32),                               // 2: sock_accept, open
		fn([]byte{i32}, i32),                                         // 3: prestat, accept, peek
		fn(nil, i32),                                                 // 4: envcount, argcount
	)
	wasi := wasi_snapshot_preview1.ModuleName
	imp := func(n string, typ byte) []byte {
		return append(append(name(wasi), name(n)...), 0x00, typ)
	}
	imports := vec(imp("fd_prestat_get", 0), imp("path_open", 1), imp("sock_accept", 2),
		imp("environ_sizes_get", 0), imp("args_sizes_get", 0)) // functions 0-4
	funcs := vec([]byte{3}, []byte{2}, []byte{3}, []byte{4}, []byte{4}, []byte{3}) // functions 5-10
	memory := vec([]byte{0x00, 1})                                                 // one page, no maximum
	exp := func(n string, kind, idx byte) []byte { return append(name(n), kind, idx) }
	exports := vec(exp("memory", 0x02, 0), exp("prestat", 0, 5), exp("open", 0, 6), exp("accept", 0, 7),
		exp("envcount", 0, 8), exp("argcount", 0, 9), exp("peek", 0, 10))
	const (
		localGet = 0x20
		i32Const = 0x41
		i64Const = 0x42
		call     = 0x10
		drop     = 0x1a
		i32Load  = 0x28
		end      = 0x0b
	)
	k1024, k1028 := []byte{i32Const, 0x80, 0x08}, []byte{i32Const, 0x84, 0x08} // signed LEB128
	body := func(code ...[]byte) []byte {
		b := []byte{0} // no locals
		for _, c := range code {
			b = append(b, c...)
		}
		b = append(b, end)
		return append(binary.AppendUvarint(nil, uint64(len(b))), b...)
	}
	count := func(f byte) []byte {
		return body(k1024, k1028, []byte{call, f, drop}, k1024, []byte{i32Load, 2, 0})
	}
	code := vec(
		body([]byte{localGet, 0, i32Const, 0, call, 0}),
		body([]byte{localGet, 0, i32Const, 0, localGet, 1, localGet, 2, i32Const, 0, i64Const, 0x7f, i64Const, 0x7f, i32Const, 0}, k1024, []byte{call, 1}),
		body([]byte{localGet, 0, i32Const, 0}, k1024, []byte{call, 2}),
		count(3),
		count(4),
		body([]byte{localGet, 0, i32Load, 2, 0}),
	)
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range []struct {
		id   byte
		body []byte
	}{{1, types}, {2, imports}, {3, funcs}, {5, memory}, {7, exports}, {10, code}} {
		out = append(out, section(s.id, s.body)...)
	}
	return out
}

// bytesOf splits b into one-byte items, for vec.
func bytesOf(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

// TestSandbox runs probeModule under the engine's own module configuration
// (moduleConfig): no directory is mounted (fd_prestat_get and path_open
// fail with EBADF on every descriptor a preopen could have), no socket is
// open, there are no arguments or environment variables, and memory
// outside the guest's linear memory is out of reach (a load there traps,
// it never reads the host's memory). A control run with a directory
// mounted shows that the probe does see one when there is one.
func TestSandbox(t *testing.T) {
	const ebadf = 8 // WASI errno
	ctx := context.Background()
	probe := probeModule()
	instantiate := func(cfg wazero.ModuleConfig) api.Module {
		rt := wazero.NewRuntime(ctx)
		t.Cleanup(func() { rt.Close(ctx) })
		_, err := wasi_snapshot_preview1.Instantiate(ctx, rt)
		require.NoError(t, err)
		mod, err := rt.InstantiateWithConfig(ctx, probe, cfg)
		require.NoError(t, err)
		return mod
	}
	call := func(mod api.Module, name string, args ...uint64) (uint32, error) {
		res, err := mod.ExportedFunction(name).Call(ctx, args...)
		if err != nil {
			return 0, err
		}
		return uint32(res[0]), nil
	}
	must := func(mod api.Module, name string, args ...uint64) uint32 {
		v, err := call(mod, name, args...)
		require.NoError(t, err, name)
		return v
	}

	mod := instantiate(moduleConfig(&limitedBuffer{max: 1 << 10}))
	path := []byte("etc/passwd")
	require.True(t, mod.Memory().Write(16, path))
	for fd := uint64(3); fd < 8; fd++ {
		require.EqualValues(t, ebadf, must(mod, "prestat", fd), "fd %d: a mounted directory", fd)
		require.EqualValues(t, ebadf, must(mod, "open", fd, 16, uint64(len(path))), "fd %d: path_open", fd)
		require.EqualValues(t, ebadf, must(mod, "accept", fd), "fd %d: sock_accept", fd)
	}
	for fd := uint64(0); fd < 3; fd++ { // stdin, stdout, stderr are not directories
		require.NotZero(t, must(mod, "open", fd, 16, uint64(len(path))), "fd %d: path_open", fd)
	}
	require.Zero(t, must(mod, "envcount"), "environment variables")
	require.Zero(t, must(mod, "argcount"), "arguments")
	for _, addr := range []uint64{65536 - 3, 65536, 1 << 31, 0xFFFFFFFC} {
		_, err := call(mod, "peek", addr)
		require.ErrorContains(t, err, "out of bounds memory access", "load at %#x", addr)
	}

	// The control: the same probe with the host's temporary directory
	// mounted sees it.
	ctl := instantiate(wazero.NewModuleConfig().WithFSConfig(wazero.NewFSConfig().WithDirMount(t.TempDir(), "/")).WithName(abi.SIMDMemoryModule))
	require.Zero(t, must(ctl, "prestat", 3), "control: fd 3 is the mounted directory")
}
