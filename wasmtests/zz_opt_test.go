package wasmtests

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestZZOpt(t *testing.T) {
	files := strings.Fields(os.Getenv("ZZ_FILES"))
	if len(files) == 0 {
		t.Skip()
	}
	ms := []sharedModel{small, sharedModels[3]}
	best := map[string]time.Duration{}
	for round := 0; round < 3; round++ {
		for _, f := range files {
			w, _ := os.ReadFile(f)
			mod, err := Open(context.Background(), w)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				md := loadWasm(t, mod, m, Options{})
				in := goldenInput(t, m, goldenPhotos(t, m.size, 1)[0])
				md.Infer(in)
				for i := 0; i < 3; i++ {
					s := time.Now()
					md.Infer(in)
					d := time.Since(s)
					k := f + " " + m.name
					if best[k] == 0 || d < best[k] {
						best[k] = d
					}
				}
			}
			mod.Close()
		}
	}
	for _, f := range files {
		for _, m := range ms {
			k := f + " " + m.name
			t.Logf("%s: best %v", k, best[k])
		}
	}
}
