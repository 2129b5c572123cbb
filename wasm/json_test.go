package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
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
