package main

import (
	"encoding/json"
	"math"
	"testing"

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
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	want, err := json.Marshal(preds)
	if err != nil {
		t.Fatal(err)
	}
	var wantBack []engine.Prediction
	if err := json.Unmarshal(want, &wantBack); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(preds) {
		t.Fatalf("%d predictions read back, want %d", len(back), len(preds))
	}
	for i := range back {
		if back[i] != wantBack[i] {
			t.Errorf("prediction %d reads back as %+v, encoding/json's as %+v", i, back[i], wantBack[i])
		}
		if math.Float32bits(back[i].Score) != math.Float32bits(preds[i].Score) {
			t.Errorf("prediction %d: score %v reads back as %v", i, preds[i].Score, back[i].Score)
		}
	}
	if s := string(appendPredictionsJSON(nil, nil)); s != "[]" {
		t.Errorf("no predictions give %s, want []", s)
	}
	nan := appendPredictionsJSON(nil, []engine.Prediction{{Score: float32(math.NaN())}, {Score: float32(math.Inf(-1))}})
	if s := string(nan); s != `[{"index":0,"label":"","score":null},{"index":0,"label":"","score":null}]` {
		t.Errorf("non-finite scores give %s", s)
	}
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
		got := parseLabels([]byte(c.text))
		if len(got) != len(c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("parseLabels(%q) = %q, want %q", c.text, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("parseLabels(%q) = %q, want %q", c.text, got, c.want)
			}
		}
	}
}
