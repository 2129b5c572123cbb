package wasmmod

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/hostile"
	"mobilenet-wasm/kernels/simd"
)

// corpusMemoryLimit is the linear memory the module may use for the whole
// hostile corpus, one case after the other: the largest case is a 68 MB
// file of 10^6 operators, which the module copies in before refusing it
// (measured: 77 MiB after the corpus).
const corpusMemoryLimit = 160 << 20

// TestHostileCorpus loads every case of the hostile corpus
// (internal/hostile) in one instance capped at corpusMemoryLimit: a Refused
// case is refused with an error the module reports (no trap, the instance
// stays alive), a Runs case loads and infers, the others load and run or
// are refused; every call that loads runs Info, Infer and Classify without
// trapping, and the instance then still computes the goldens.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	cases, err := hostile.Corpus()
	require.NoError(t, err)
	mod, err := OpenWith(context.Background(), Config{Engine: engineWasm(t), SIMD: simd.Module, MemoryLimitPages: corpusMemoryLimit >> 16})
	require.NoError(t, err)
	defer mod.Close()
	notTrapped := func(what string, err error) {
		t.Helper()
		require.NoError(t, mod.Dead(), "%s: the instance died: %v", what, err)
		var e *Error
		if err != nil && !errors.As(err, &e) {
			require.True(t, strings.HasPrefix(err.Error(), "host: "), "%s: neither the module's error nor the wrapper's: %v", what, err)
		}
	}
	var refused, loaded int
	frame := make([]byte, 4*33*17)
	for _, c := range cases {
		md, err := mod.Load(c.Models, Options{})
		notTrapped(c.Name, err)
		if err != nil {
			require.NotEqual(t, hostile.Runs, c.Expect, "%s: a valid model is refused: %v", c.Name, err)
			refused++
			continue
		}
		require.NotEqual(t, hostile.Refused, c.Expect, "%s: loaded, want an error", c.Name)
		loaded++
		raw, err := md.Info()
		notTrapped(c.Name+": Info", err)
		var info engine.Info
		require.NoError(t, json.Unmarshal(raw, &info), c.Name)
		_, err = md.Infer(info.Input.MidGrey())
		notTrapped(c.Name+": Infer", err)
		if c.Expect == hostile.Runs {
			require.NoError(t, err, "%s: Infer", c.Name)
		}
		_, err = md.Classify(frame, 33, 17, 4*33, 3)
		notTrapped(c.Name+": Classify", err)
		require.NoError(t, md.Close(), c.Name)
	}
	t.Logf("%d cases: %d refused, %d loaded and ran; linear memory after them: %d MiB (limit %d MiB)",
		len(cases), refused, loaded, mod.MemorySize()>>20, corpusMemoryLimit>>20)
	requireWorks(t, mod)
}
