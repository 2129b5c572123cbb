package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
)

// TestPredictionsJSON checks the hand-written JSON of mn_classify against
// encoding/json: the same values read back, for labels with quotes,
// backslashes, control characters, non-ASCII and invalid UTF-8, and scores
// that need all of float32's digits.
func TestPredictionsJSON(t *testing.T) {
	preds := []engine.Prediction{
		{Index: 0, Label: "", Score: 0},
		{Index: 1, Label: `say "hi" \ there`, Score: 0.99609375},
		{Index: 7, Label: "tab\tnew\nline\r\x00\x1f\x7f", Score: math.SmallestNonzeroFloat32},
		{Index: 1000, Label: "café – 猫 🐈", Score: 0.1 + 0.2},
		{Index: 42, Label: "bad \xff\xfe utf-8", Score: math.MaxFloat32},
		{Index: 3, Label: "<html>&amp;", Score: 1.0 / 3},
	}
	got := appendPredictionsJSON(nil, preds)
	var back []engine.Prediction
	require.NoError(t, json.Unmarshal(got, &back), "%s", got)
	want, err := json.Marshal(preds)
	require.NoError(t, err)
	var wantBack []engine.Prediction
	require.NoError(t, json.Unmarshal(want, &wantBack))
	require.Len(t, back, len(preds), "predictions read back from %s", got)
	for i := range back {
		assert.Equal(t, wantBack[i], back[i], "prediction %d reads back unlike encoding/json's", i)
		assert.Equal(t, math.Float32bits(preds[i].Score), math.Float32bits(back[i].Score), "prediction %d: score %v reads back as %v", i, preds[i].Score, back[i].Score)
	}
	assert.Equal(t, "[]", string(appendPredictionsJSON(nil, nil)), "no predictions")
	nan := appendPredictionsJSON(nil, []engine.Prediction{{Score: float32(math.NaN())}, {Score: float32(math.Inf(-1))}})
	assert.Equal(t, `[{"index":0,"label":"","score":null},{"index":0,"label":"","score":null}]`, string(nan), "non-finite scores")
}

// TestParseLabels checks the labels text rules of mn_load.
func TestParseLabels(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"\n\n", nil},
		{"a", []string{"a"}},
		{"a\nb\n", []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b"}},
		{"a\n\nc", []string{"a", "", "c"}},
	} {
		// Equal tells nil from an empty list, as mn_load does (nil keeps
		// the model's labels).
		assert.Equal(t, c.want, parseLabels([]byte(c.text)), "parseLabels(%q)", c.text)
	}
}

// readBack decodes JSON text into plain values (maps, slices, float64), to
// compare two documents by what they say rather than how they spell it.
func readBack(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// TestInfoJSON checks mn_info's hand-written JSON against encoding/json's
// for synthetic infos (empty and nil slices, odd strings, extreme scales)
// and for real models of each kind: float, uint8 with embedded labels, and
// the extractor + head pair.
func TestInfoJSON(t *testing.T) {
	infos := []engine.Info{
		{},
		{Ops: []string{}, Labels: []string{}},
		{
			Input:     engine.TensorInfo{Name: `in "x"\y`, Shape: []int{1, 224, 224, 3}, DType: "uint8", Scale: []float32{0.0078125}, ZeroPoint: []int64{128}},
			Output:    engine.TensorInfo{Name: "café 猫 \x01", Shape: []int{}, DType: "int8", Scale: []float32{math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-7, 1e21}, ZeroPoint: []int64{-128, 0, math.MaxInt64}},
			InputSize: 224, Classes: 1001, Ops: []string{"CONV_2D", "SOFTMAX"},
			MACs: 569_000_000, Params: 4_200_000, Labels: []string{"background", "tench, Tinca tinca", "<&>", "bad \xff utf-8"}, Scheme: "fp32",
		},
	}
	for _, files := range [][]string{
		{"mobilenet_v1_0.25_224.tflite"},
		{"mobilenet_v1_0.25_128_quant.tflite"},
		{"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", "mobilenet_quant_v1_224_head_layers.tflite"},
	} {
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = testdata.Path(t, "models", f)
		}
		c, err := engine.LoadFiles(paths, engine.Options{})
		require.NoError(t, err, "%v", files)
		infos = append(infos, c.Info())
	}
	for i, info := range infos {
		want, err := json.Marshal(info)
		require.NoError(t, err)
		got := appendInfoJSON(nil, info)
		assert.Equal(t, readBack(t, want), readBack(t, got), "info %d: %s", i, got)
	}
}

// TestMemoryJSON checks mn_memory's hand-written JSON against encoding/json's.
func TestMemoryJSON(t *testing.T) {
	m := engine.Memory{SIMDWeights: 1, PortableWeights: 1 << 40, Constants: 3, Arena: 4, Buffers: 5}
	h := goHeap{Sys: math.MaxUint64, HeapSys: 7, HeapInuse: 8, HeapAlloc: 9, NumGC: math.MaxUint32}
	want, err := json.Marshal(struct {
		Model  engine.Memory `json:"model"`
		GoHeap goHeap        `json:"go_heap"`
	}{m, h})
	require.NoError(t, err)
	got := appendMemoryJSON(nil, m, h)
	// Integers past 2^53 do not survive float64: compare the text.
	assert.Equal(t, string(want), string(got))
}
