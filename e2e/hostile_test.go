package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/hostile"
)

// hostileOnPage are the cases of the hostile corpus the page's
// hostile-models scenario drops: one of each kind of trouble.
var hostileOnPage = []string{
	"shape: product 2^64, 0 in int64 (4 dims of 65536)",
	"offset: a buffer's length 2^32-1",
	"graph: cyclic (conv reads the depthwise conv's output)",
	"quant: activation scale NaN",
	"options: conv stride 0, uint8",
	"size: 16385 chained RELU operators",
}

// writeHostile writes hostileOnPage's models to dir and returns them as
// the page script's {path, name} list.
func writeHostile(t *testing.T, dir string) []map[string]string {
	t.Helper()
	cases, err := hostile.Corpus()
	require.NoError(t, err)
	var out []map[string]string
	for _, want := range hostileOnPage {
		found := false
		for _, c := range cases {
			if c.Name != want {
				continue
			}
			require.Len(t, c.Models, 1, c.Name)
			name := "hostile-" + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					return r
				}
				return '-'
			}, strings.ToLower(c.Name))
			name = strings.Trim(name[:min(len(name), 40)], "-") + ".tflite"
			p := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(p, c.Models[0], 0o644))
			out = append(out, map[string]string{"path": p, "name": name})
			found = true
		}
		require.True(t, found, "no case %q in the corpus", want)
	}
	return out
}
