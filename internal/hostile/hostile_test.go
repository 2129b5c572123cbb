package hostile

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/loader"
)

// loaderBound is what the loader may allocate for n bytes of model: the
// bound its fuzz target checks (loader.FuzzParse's allocLimit).
func loaderBound(n int) uint64 { return uint64(64*n + 1<<20) }

// engineBound is what loading and planning a case may allocate natively:
// the loader's bound, plus what planning allocates for each byte of model
// (a step and its tensors' views for each operator, the packed weights)
// and the arena, which the loader's 256 MiB limit on a tensor bounds but
// which no case here needs more than a few MiB of.
func engineBound(n int) uint64 { return uint64(256*n + 16<<20) }

// allocated runs fn and returns the bytes it allocated (TotalAlloc counts
// every goroutine: the test runs its cases one at a time).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// noPanic runs fn and turns a panic into an error that names it.
func noPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	return fn()
}

// requireClear fails unless err is a one-line message that names the
// package that refused ("loader: ..." or "engine: ...", after the model's
// number for a chain).
func requireClear(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	require.NotContains(t, msg, "PANIC", "a panic escaped")
	require.NotContains(t, msg, "\n", "a one-line message")
	require.True(t, strings.Contains(msg, "loader: ") || strings.Contains(msg, "engine: "), "the message names the package that refused: %q", msg)
}

// TestCorpus runs every case through the loader and the native engine:
// a Refused case is refused with a clear error, a Runs case loads and
// runs, nothing panics, and each stays within the stated allocation
// bounds (loaderBound, engineBound).
func TestCorpus(t *testing.T) {
	cases, err := Corpus()
	require.NoError(t, err)
	var refused, ran, either int
	names := map[string]bool{}
	for _, c := range cases {
		require.False(t, names[c.Name], "two cases named %q", c.Name)
		names[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			n := c.Bytes()
			for i, m := range c.Models {
				var err error
				got := allocated(func() { err = noPanic(func() error { _, err := loader.Parse(m); return err }) })
				assert.LessOrEqual(t, got, loaderBound(len(m)), "loader: model %d of %d bytes allocated %d", i, len(m), got)
				if err != nil {
					requireClear(t, err)
				}
			}

			var cl *engine.Classifier
			var loadErr error
			got := allocated(func() {
				loadErr = noPanic(func() (err error) {
					cl, err = engine.Load(c.Models, engine.Options{})
					return err
				})
			})
			require.LessOrEqual(t, got, engineBound(n), "engine.Load of %d bytes allocated %d", n, got)
			switch {
			case loadErr != nil:
				requireClear(t, loadErr)
				require.NotEqual(t, Runs, c.Expect, "a valid model is refused: %v", loadErr)
				t.Logf("refused (%d bytes, %d allocated): %v", n, got, loadErr)
				refused++
				return
			case c.Expect == Refused:
				t.Fatalf("loaded (%d bytes), want an error", n)
			}
			mem := cl.Memory()
			t.Logf("loaded (%d bytes, %d allocated, engine memory %+v)", n, got, mem)
			in := make([]byte, len(cl.Input()))
			for i := range in {
				in[i] = byte(i * 7)
			}
			err := noPanic(func() error { _, err := cl.Infer(in); return err })
			if c.Expect == Runs {
				require.NoError(t, err, "Infer")
				ran++
			} else {
				either++
			}
			if err != nil {
				requireClear(t, err)
			}
			frame := make([]byte, 4*33*17)
			err = noPanic(func() error { _, err := cl.ClassifyRGBA(frame, 33, 17, 4*33, 3); return err })
			if err != nil {
				requireClear(t, err)
			}
		})
	}
	t.Logf("%d cases: %d refused, %d valid ran, %d others loaded and ran or refused their input", len(cases), refused, ran, either)
	require.GreaterOrEqual(t, len(cases), 100)
}
