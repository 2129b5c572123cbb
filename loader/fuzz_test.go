package loader

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	flatbuffers "github.com/google/flatbuffers/go"
	"mobilenet-wasm/internal/testdata"
	fb "mobilenet-wasm/loader/tflitefb"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the committed fuzz seed corpus testdata/fuzz/FuzzParse")

// allocLimit is what one Parse of n bytes may allocate.
func allocLimit(n int) uint64 { return uint64(64*n + 1<<20) }

// FuzzParse checks that no input makes Parse panic or allocate more than
// allocLimit, and that every Model it returns keeps Parse's promises.
//
// Seeds: the synthetic models (committed in testdata/fuzz/FuzzParse), their
// truncated and bit-flipped copies, and the shared models when present
// (never committed).
func FuzzParse(f *testing.F) {
	for _, data := range synthSeeds(f) {
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(data[:len(data)-9])
		for _, bit := range []int{37, 300, 1001, 4000, 8 * (len(data) - 5)} {
			flipped := append([]byte{}, data...)
			flipped[bit/8%len(data)] ^= 1 << (bit % 8)
			f.Add(flipped)
		}
	}
	if dir, ok := testdata.Find(); ok {
		files, _ := filepath.Glob(filepath.Join(dir, "models", "*.tflite"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
			f.Add(data[:len(data)/3])
			flipped := append([]byte{}, data...)
			flipped[len(data)/7] ^= 0x40
			f.Add(flipped)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, alloc, err := measureParse(data)
		require.LessOrEqual(t, alloc, allocLimit(len(data)), "Parse of %d bytes allocated %d bytes (limit %d)", len(data), alloc, allocLimit(len(data)))
		if err == nil {
			checkModel(t, m)
		}
	})
}

// measureParse parses data and returns how many bytes that allocated.
// TotalAlloc counts every goroutine (the fuzzing engine's too), so a
// measurement over the limit is repeated: Parse is deterministic, noise is
// not, and the least of a few runs is what Parse itself allocates.
func measureParse(data []byte) (m *Model, alloc uint64, err error) {
	alloc = math.MaxUint64
	for range 4 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err = Parse(data)
		runtime.ReadMemStats(&after)
		alloc = min(alloc, after.TotalAlloc-before.TotalAlloc)
		if alloc <= allocLimit(len(data)) {
			break
		}
	}
	return m, alloc, err
}

// TestFuzzSeedCorpus checks that the committed seed corpus is the synthetic
// models as synthSeeds builds them today (rewrite it with -update-seeds).
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	for name, data := range synthSeeds(t) {
		want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		path := filepath.Join(dir, name)
		if *updateSeeds {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		if assert.NoError(t, err, "%s is missing: run go test ./loader -run TestFuzzSeedCorpus -update-seeds", path) {
			assert.Equal(t, want, string(got), "%s is stale: run go test ./loader -run TestFuzzSeedCorpus -update-seeds", path)
		}
	}
}

// sharedTables is a hostile model whose n tensors are all the same table
// (a 200-byte name, rank 8, quantized): few input bytes per parsed tensor.
func sharedTables(n int) []byte {
	b := flatbuffers.NewBuilder(0)
	name := b.CreateString(strings.Repeat("x", 200))
	fb.TensorStartShapeVector(b, 8)
	for range 8 {
		b.PrependInt32(1)
	}
	shape := b.EndVector(8)
	fb.QuantizationParametersStartScaleVector(b, 1)
	b.PrependFloat32(0.5)
	scale := b.EndVector(1)
	fb.QuantizationParametersStartZeroPointVector(b, 1)
	b.PrependInt64(0)
	zp := b.EndVector(1)
	fb.QuantizationParametersStart(b)
	fb.QuantizationParametersAddScale(b, scale)
	fb.QuantizationParametersAddZeroPoint(b, zp)
	q := fb.QuantizationParametersEnd(b)
	fb.TensorStart(b)
	fb.TensorAddShape(b, shape)
	fb.TensorAddName(b, name)
	fb.TensorAddType(b, fb.TensorTypeUINT8)
	fb.TensorAddQuantization(b, q)
	tensor := fb.TensorEnd(b)
	fb.SubGraphStartTensorsVector(b, n)
	for range n {
		b.PrependUOffsetT(tensor)
	}
	tensors := b.EndVector(n)
	fb.SubGraphStart(b)
	fb.SubGraphAddTensors(b, tensors)
	sg := fb.SubGraphEnd(b)
	fb.BufferStart(b)
	buf := fb.BufferEnd(b)
	fb.ModelStartBuffersVector(b, 1)
	b.PrependUOffsetT(buf)
	bufs := b.EndVector(1)
	fb.ModelStartSubgraphsVector(b, 1)
	b.PrependUOffsetT(sg)
	sgs := b.EndVector(1)
	fb.ModelStart(b)
	fb.ModelAddVersion(b, 3)
	fb.ModelAddSubgraphs(b, sgs)
	fb.ModelAddBuffers(b, bufs)
	b.FinishWithFileIdentifier(fb.ModelEnd(b), []byte("TFL3"))
	return b.FinishedBytes()
}

// TestAllocBound runs the fuzz target's allocation check on the synthetic
// models and on inputs built to make the loader allocate the most per byte.
func TestAllocBound(t *testing.T) {
	seeds := synthSeeds(t)
	for _, n := range []int{100, 10_000, 100_000, 1_000_000} {
		seeds[fmt.Sprint("shared tables ", n)] = sharedTables(n)
	}
	for name, data := range seeds {
		_, got, err := measureParse(data)
		t.Logf("%s: %d bytes allocate %d (%v)", name, len(data), got, err)
		assert.LessOrEqual(t, got, allocLimit(len(data)), "%s: %d bytes allocated, limit %d", name, got, allocLimit(len(data)))
		if strings.HasPrefix(name, "shared tables") {
			assert.Error(t, err, "%s parsed", name)
		}
	}
}
