package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/internal/testdata"
)

// cli runs the tool in-process.
func cli(args ...string) (status int, stdout, stderr string) {
	var o, e bytes.Buffer
	status = run(args, &o, &e)
	return status, o.String(), e.String()
}

// wantError checks a failed run: the status, and exactly one stderr line
// starting "mobilenet: <cmd>: " and containing each of contains.
func wantError(t *testing.T, args []string, wantStatus int, cmd string, contains ...string) {
	t.Helper()
	status, _, stderr := cli(args...)
	assert.Equal(t, wantStatus, status, "%q: stderr %q", args, stderr)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "%q: stderr must be exactly one line: %q", args, stderr)
	assert.True(t, strings.HasSuffix(stderr, "\n"), "%q: stderr must be exactly one line: %q", args, stderr)
	prefix := "mobilenet: "
	if cmd != "" {
		prefix += cmd + ": "
	}
	assert.True(t, strings.HasPrefix(stderr, prefix), "%q: stderr %q does not start with %q", args, stderr, prefix)
	for _, c := range contains {
		assert.Contains(t, stderr, c, "%q", args)
	}
}

func TestToolHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		status, stdout, stderr := cli(args...)
		assert.Equal(t, 0, status, "%q", args)
		assert.Empty(t, stderr, "%q", args)
		for _, want := range []string{"Usage:", "Example:", "classify", "infer", "info", "eval"} {
			assert.Contains(t, stdout, want, "%q: help", args)
		}
	}
	// No command: the help on stderr, a usage error.
	status, stdout, stderr := cli()
	assert.Equal(t, 2, status, "no arguments")
	assert.Empty(t, stdout, "no arguments")
	assert.Contains(t, stderr, "Usage:", "no arguments: the help on stderr")
}

func TestCommandHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
			status, stdout, stderr := cli(args...)
			assert.Equal(t, 0, status, "%q", args)
			assert.Empty(t, stderr, "%q", args)
			for _, want := range []string{"Usage: mobilenet " + c.name, "Flags:", "Example:\n  mobilenet " + c.name} {
				assert.Contains(t, stdout, want, "%q: help", args)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		contains string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"classify", "-m", "m.tflite", "-k", "0", "a.jpg"}, "-k 0"},
		{[]string{"classify", "-m", "m.tflite", "-k", "-3", "a.jpg"}, "-k -3"},
		{[]string{"classify", "a.jpg", "-k", "0", "-m", "m.tflite"}, "-k 0"}, // flags after images
		{[]string{"classify", "-m", "m.tflite", "-k", "five", "a.jpg"}, "-k"},
		{[]string{"classify", "-m", "m.tflite"}, "no image"},
		{[]string{"classify", "a.jpg"}, "-m MODEL"},
		{[]string{"classify", "-m", "m.tflite", "-requant", "fp16", "a.jpg"}, "fp32 or reference"},
		{[]string{"classify", "-bogus", "a.jpg"}, "-bogus"},
		{[]string{"infer", "-m", "m.tflite", "-out", "o"}, "-in"},
		{[]string{"infer", "-m", "m.tflite", "-in", "i"}, "-out"},
		{[]string{"infer", "-m", "m.tflite", "-in", "i", "-out", "o", "extra"}, "extra"},
		{[]string{"info"}, "no model"},
		{[]string{"info", "-k", "3", "m.tflite"}, "-k"},
		{[]string{"eval", "-m", "m.tflite"}, "-dir"},
		{[]string{"eval", "-m", "m.tflite", "-dir", ".", "-j", "0"}, "-j 0"},
		{[]string{"eval", "-dir", "."}, "-m MODEL"},
	} {
		cmd := tc.args[0]
		if _, ok := findCommand(cmd); !ok {
			cmd = ""
		}
		wantError(t, tc.args, 2, cmd, tc.contains)
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// TestPanicIsOneLine checks the top-level recover, which also turns the
// engine stubs' panics into one line.
func TestPanicIsOneLine(t *testing.T) {
	saved := commands
	defer func() { commands = saved }()
	commands = append(commands[:len(commands):len(commands)], command{"boom", "", func([]string, io.Writer, io.Writer) error {
		panic("kaboom\nsecond line")
	}})
	wantError(t, []string{"boom"}, 1, "boom", "internal error: kaboom")
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		k    int
		pos  []string
	}{
		{[]string{"a", "b"}, 5, []string{"a", "b"}},
		{[]string{"-k", "3", "a"}, 3, []string{"a"}},
		{[]string{"a", "-k", "3", "b"}, 3, []string{"a", "b"}},
		{[]string{"a", "--", "-k", "3"}, 5, []string{"a", "-k", "3"}},
		{[]string{"-k", "2", "--", "b"}, 2, []string{"b"}},
		{nil, 5, nil},
	} {
		fs := newFlagSet("t")
		k := fs.Int("k", 5, "")
		pos, err := parseFlags(fs, cmdHelp{}, tc.args, io.Discard)
		if assert.NoError(t, err, "parseFlags(%q)", tc.args) {
			assert.Equal(t, tc.k, *k, "parseFlags(%q): k", tc.args)
			assert.Equal(t, tc.pos, pos, "parseFlags(%q)", tc.args)
		}
	}
}

func TestErrorLine(t *testing.T) {
	assert.Equal(t, "mobilenet: eval: bad; thing:; detail", errorLine("eval", fmt.Errorf("bad\nthing:\n  detail")))
}

// writeFile writes data to dir/name and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestReadLabels(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "l.txt", []byte("background\r\ntench, Tinca tinca\r\n\r\n"))
	got, err := readLabels(p)
	require.NoError(t, err)
	assert.Equal(t, []string{"background", "tench, Tinca tinca"}, got)
}

func TestReadLabelsCSV(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "labels.csv", []byte("file,label_index,synset\na.JPEG,1,n01\nb.JPEG,11,n02\n"))
	got, err := readLabelsCSV(p)
	require.NoError(t, err)
	assert.Equal(t, []evalItem{{"a.JPEG", 1}, {"b.JPEG", 11}}, got)
	writeFile(t, dir, "labels.csv", []byte("a.JPEG,1\nb.JPEG,x\n"))
	_, err = readLabelsCSV(p)
	assert.ErrorContains(t, err, "line 2", "a bad index")
}

func TestCountOpsAndWrap(t *testing.T) {
	got := countOps([]string{"CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "SOFTMAX"})
	assert.Equal(t, []opCount{{"CONV_2D", 2}, {"DEPTHWISE_CONV_2D", 1}, {"SOFTMAX", 1}}, got)
	assert.Equal(t, "aaa bb|cccc d", wrap([]string{"aaa", "bb", "cccc", "d"}, 7, "|"))
}

func TestProgressLine(t *testing.T) {
	p := &progress{total: 100, done: 37}
	assert.Equal(t, "[#######.............] 37/100  12.3 img/s  ETA 5s", p.line(false, 3*time.Second))
	p.done = 100
	assert.Equal(t, "[####################] 100/100  12.5 img/s  8s", p.line(true, 8*time.Second), "final line")
	p.tty, p.lastLen = true, 60
	got := p.line(true, 8*time.Second)
	assert.True(t, strings.HasPrefix(got, "\r["), "terminal line %q: want \\r", got)
	assert.Len(t, got, 61, "terminal line %q: want padding over the previous line", got)
}

// Errors that need no model, or only a model file that is not one.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	text := writeFile(t, dir, "notes.tflite", []byte("these are not the weights you are looking for\n"))
	missing := filepath.Join(dir, "missing.tflite")
	wantError(t, []string{"classify", "-m", missing, "a.jpg"}, 1, "classify", missing)
	wantError(t, []string{"infer", "-m", missing, "-in", "a", "-out", "b"}, 1, "infer", missing)
	wantError(t, []string{"info", missing}, 1, "info", missing)
	wantError(t, []string{"eval", "-m", missing, "-dir", dir}, 1, "eval", missing)
	wantError(t, []string{"classify", "-m", text, "a.jpg"}, 1, "classify", text)
	wantError(t, []string{"info", text}, 1, "info", text)
	wantError(t, []string{"infer", "-m", text, "-in", text, "-out", filepath.Join(dir, "o")}, 1, "infer", text)
	wantError(t, []string{"classify", "-m", text, "-labels", filepath.Join(dir, "nolabels.txt"), "a.jpg"}, 1, "classify", "nolabels.txt")
	wantError(t, []string{"eval", "-m", text, "-dir", dir}, 1, "eval", "labels.csv")
}

// Errors about real model files; with the engine stubs they come from the
// top-level recover, still one line.
func TestModelErrors(t *testing.T) {
	shared := testdata.Dir(t)
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	dir := t.TempDir()

	b, err := os.ReadFile(model)
	require.NoError(t, err)
	truncated := writeFile(t, dir, "truncated.tflite", b[:1000])
	wantError(t, []string{"classify", "-m", truncated, filepath.Join(shared, "images", "cat.bmp")}, 1, "classify", truncated)
	wantError(t, []string{"info", truncated}, 1, "info", truncated)

	unsupported := writeFile(t, dir, "logistic.tflite", withFirstOpCode(t, b, 14)) // CONV_2D -> LOGISTIC
	wantError(t, []string{"info", unsupported}, 1, "info", "LOGISTIC")

	notImage := writeFile(t, dir, "photo.jpg", []byte("JFIF? no."))
	wantError(t, []string{"classify", "-m", model, notImage}, 1, "classify", notImage)

	tenLabels := writeFile(t, dir, "ten.txt", []byte(strings.Repeat("label\n", 10)))
	wantError(t, []string{"classify", "-m", model, "-labels", tenLabels, filepath.Join(shared, "images", "cat.bmp")}, 1, "classify", tenLabels, "10")

	short := writeFile(t, dir, "short.rgb", make([]byte, 1000))
	wantError(t, []string{"infer", "-m", model, "-in", short, "-out", filepath.Join(dir, "o")}, 1, "infer", "1000", "49152")

	writeFile(t, dir, "labels.csv", []byte("file,label_index,synset\nnothere.JPEG,1,n01440764\n"))
	wantError(t, []string{"eval", "-m", model, "-dir", dir, "-j", "1"}, 1, "eval", "nothere.JPEG")
	writeFile(t, dir, "labels.csv", []byte("photo.jpg,1001,n01440764\n"))
	wantError(t, []string{"eval", "-m", model, "-dir", dir}, 1, "eval", "1001")
}

// withFirstOpCode returns a copy of the TFLite model b whose first operator
// code is op (its deprecated_builtin_code, and builtin_code when stored).
func withFirstOpCode(t *testing.T, b []byte, op int8) []byte {
	b = bytes.Clone(b)
	model := flatbuffers.Table{Bytes: b, Pos: flatbuffers.GetUOffsetT(b)}
	codes := flatbuffers.UOffsetT(model.Offset(6)) // Model.operator_codes
	require.NotZero(t, codes, "model has no operator codes")
	first := model.Indirect(model.Vector(codes))
	oc := flatbuffers.Table{Bytes: b, Pos: first}
	dep := flatbuffers.UOffsetT(oc.Offset(4)) // OperatorCode.deprecated_builtin_code
	require.NotZero(t, dep, "first operator code has no deprecated_builtin_code to patch")
	b[first+dep] = byte(op)
	if bc := flatbuffers.UOffsetT(oc.Offset(10)); bc != 0 { // OperatorCode.builtin_code
		binary.LittleEndian.PutUint32(b[first+bc:], uint32(op))
	}
	return b
}

// modelArgs are the -m flags of m.
func modelArgs(m testdata.GoldenModel, shared string) []string {
	var args []string
	for _, f := range m.Files {
		args = append(args, "-m", filepath.Join(shared, "models", f))
	}
	return args
}

// readCSV reads a CSV file with a header into maps keyed by column name.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, path)
	require.GreaterOrEqual(t, len(recs), 2, path)
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func TestClassifyGoldens(t *testing.T) {
	shared := testdata.Dir(t)
	labels, err := readLabels(filepath.Join(shared, "models", defaultLabelsFile))
	require.NoError(t, err)
	for _, m := range testdata.GoldenModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			golden := map[string]map[string]string{}
			var images []string
			for _, row := range readCSV(t, filepath.Join(shared, "goldens", m.Name+".csv")) {
				p := filepath.Join(shared, "images", row["image"])
				if _, err := os.Stat(p); err != nil {
					p = filepath.Join(shared, "images", "imagenet", row["image"])
				}
				golden[p] = row
				images = append(images, p)
			}
			args := append(append([]string{"classify", "-json", "-k", "1"}, modelArgs(m, shared)...), images...)
			status, stdout, stderr := cli(args...)
			require.Equal(t, 0, status, stderr)
			sc := bufio.NewScanner(strings.NewReader(stdout))
			n := 0
			for ; sc.Scan(); n++ {
				var r classifyResult
				require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %d %q", n+1, sc.Text())
				require.Len(t, r.Top, 1, "line %d %q", n+1, sc.Text())
				g, ok := golden[r.Image]
				require.True(t, ok, "result for an unexpected image %q", r.Image)
				top := r.Top[0]
				if !assert.Equal(t, g["top1"], strconv.Itoa(top.Index), "%s: top-1", filepath.Base(r.Image)) {
					continue
				}
				score, _ := strconv.ParseFloat(g["top1_score"], 64)
				if !m.Float {
					score /= 256
				}
				assert.InDelta(t, score, float64(top.Score), 1e-5, "%s: top-1 score", filepath.Base(r.Image))
				assert.Equal(t, labels[top.Index], top.Label, "%s: label (%s next to the model)", filepath.Base(r.Image), defaultLabelsFile)
			}
			assert.Equal(t, len(images), n, "result lines for the images")
		})
	}
}

func TestClassifyTable(t *testing.T) {
	shared := testdata.Dir(t)
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	bird := filepath.Join(shared, "images", "bird.bmp")
	status, stdout, stderr := cli("classify", "-m", model, "-k", "3", bird)
	require.Equal(t, 0, status, stderr)
	// bird.bmp: top-1 class 20 (goldens), "chickadee".
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 5, "classify table:\n%s", stdout)
	assert.Equal(t, bird, lines[0])
	assert.Contains(t, lines[1], "label")
	assert.Regexp(t, `^\s*1\s+20\s+0\.\d{4}\s+chickadee$`, lines[2])
}

// TestClassifyGoesOn gives classify an unreadable image between two
// photos: both photos are classified, the bad one is one stderr line, and
// the exit status is 1.
func TestClassifyGoesOn(t *testing.T) {
	shared := testdata.Dir(t)
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	bird, cat := filepath.Join(shared, "images", "bird.bmp"), filepath.Join(shared, "images", "cat.bmp")
	bad := writeFile(t, t.TempDir(), "bad.jpg", []byte("not a photo"))
	status, stdout, stderr := cli("classify", "-json", "-k", "1", "-m", model, bird, bad, cat)
	assert.Equal(t, 1, status, stderr)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r classifyResult
		require.NoError(t, json.Unmarshal([]byte(l), &r), "line %q", l)
		got = append(got, r.Image)
	}
	assert.Equal(t, []string{bird, cat}, got, "the images classified")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2, "stderr: %q", stderr)
	assert.True(t, strings.HasPrefix(lines[0], "mobilenet: classify: "+bad+": "), "stderr %q", lines[0])
	assert.Equal(t, "mobilenet: classify: 1 of 3 images could not be classified", lines[1])
}

func TestInferGoldens(t *testing.T) {
	shared := testdata.Dir(t)
	photos := []string{"bird.bmp", "cat_720p.jpg", "n01440764_tench.JPEG"}
	for _, m := range testdata.GoldenModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, photo := range photos {
				in, err := os.ReadFile(filepath.Join(shared, "goldens", "tensors", strconv.Itoa(m.Size), photo+".rgb"))
				require.NoError(t, err)
				if m.Float {
					in = floatInput(in)
				}
				inFile, outFile := writeFile(t, dir, photo+".in", in), filepath.Join(dir, photo+".out")
				args := append(append([]string{"infer"}, modelArgs(m, shared)...), "-in", inFile, "-out", outFile)
				status, _, stderr := cli(args...)
				require.Equal(t, 0, status, "%s: %s", photo, stderr)
				got, err := os.ReadFile(outFile)
				require.NoError(t, err)
				want, err := os.ReadFile(filepath.Join(shared, "goldens", m.Name, photo+".out"))
				require.NoError(t, err)
				require.Len(t, got, len(want), "%s: output bytes", photo)
				if !m.Float {
					assert.Equal(t, want, got, "%s: uint8 outputs must be identical", photo)
					continue
				}
				// float32: within 1e-5 absolute (TFLite's own builds differ by up to 5.7e-6).
				for i := 0; i < len(got); i += 4 {
					g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
					w := math.Float32frombits(binary.LittleEndian.Uint32(want[i:]))
					if !assert.InDelta(t, w, g, 1e-5, "%s: output[%d]", photo, i/4) {
						break
					}
				}
			}
		})
	}
}

// floatInput is the float model's input for preprocessed bytes:
// float32(x/127.5 - 1) computed in float64, little-endian.
func floatInput(rgb []byte) []byte {
	out := make([]byte, 4*len(rgb))
	for i, x := range rgb {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(float64(x)/127.5-1)))
	}
	return out
}

func TestEvalAccuracy(t *testing.T) {
	shared := testdata.Dir(t)
	want := map[string]map[string]string{}
	for _, row := range readCSV(t, filepath.Join(shared, "goldens", "accuracy.csv")) {
		want[row["model"]] = row
	}
	for _, m := range testdata.GoldenModels {
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			w, ok := want[m.Name]
			require.True(t, ok, "accuracy.csv has no row for %s", m.Name)
			dir := filepath.Join(shared, "images", "imagenet")
			args := append(append([]string{"eval", "-json", "-j", "2"}, modelArgs(m, shared)...),
				"-dir", dir, "-labels-csv", filepath.Join(dir, "labels.csv"))
			status, stdout, stderr := cli(args...)
			require.Equal(t, 0, status, stderr)
			// stderr is not a terminal: one final progress line.
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "progress on stderr = %q, want one final line", stderr)
			assert.Contains(t, stderr, "] 100/100 ", "progress on stderr")
			var s evalSummary
			require.NoError(t, json.Unmarshal([]byte(stdout), &s), stdout)
			got := fmt.Sprintf("n %d, top-1 %d, top-5 %d", s.N, s.Top1Correct, s.Top5Correct)
			assert.Equal(t, fmt.Sprintf("n %s, top-1 %s, top-5 %s", w["n"], w["top1_correct"], w["top5_correct"]), got, "eval against accuracy.csv")
			t.Logf("%s: %s in %.1fs (%.1f img/s)", m.Name, got, s.Seconds, s.ImagesPerSecond)
		})
	}
}

func TestEvalTable(t *testing.T) {
	shared := testdata.Dir(t)
	dir := t.TempDir()
	src := filepath.Join(shared, "images", "imagenet")
	writeFile(t, dir, "labels.csv", []byte("file,label_index,synset\nn01440764_tench.JPEG,1,n01440764\n"))
	model := filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite")
	status, stdout, stderr := cli("eval", "-m", model, "-dir", src, "-labels-csv", filepath.Join(dir, "labels.csv"))
	require.Equal(t, 0, status, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2, "eval table:\n%s", stdout)
	assert.True(t, strings.HasPrefix(lines[0], "model "), "eval table:\n%s", stdout)
	assert.Regexp(t, `^mobilenet_v1_0\.25_128_quant\s+1\s+[01]\s+[01]\s+(0|100)\.0\s+(0|100)\.0\s+\S+s$`, lines[1])
}

// TestInfoRelease checks the MACs and parameter counts against the
// release's published table, within 5%.
func TestInfoRelease(t *testing.T) {
	shared := testdata.Dir(t)
	release := map[string][2]float64{ // million MACs, million params
		"mobilenet_v1_0.25_128_quant": {14, 0.47},
		"mobilenet_v1_0.5_160_quant":  {77, 1.34},
		"mobilenet_v1_0.75_192_quant": {233, 2.59},
		"mobilenet_v1_0.25_224":       {41, 0.47},
		"mobilenet_v1_1.0_224_quant":  {569, 4.24},
	}
	for _, m := range testdata.GoldenModels {
		args := []string{"info", "-json"}
		for _, f := range m.Files {
			args = append(args, filepath.Join(shared, "models", f))
		}
		status, stdout, stderr := cli(args...)
		require.Equal(t, 0, status, "%s: %s", m.Name, stderr)
		// A chain is the sum of its models.
		var macs, params float64
		sc := bufio.NewScanner(strings.NewReader(stdout))
		sc.Buffer(nil, 1<<20)
		n := 0
		for ; sc.Scan(); n++ {
			var v infoJSON
			require.NoError(t, json.Unmarshal(sc.Bytes(), &v), "%s: %q", m.Name, sc.Text())
			total := 0
			for _, c := range v.OpCounts {
				total += c.Count
			}
			assert.NotEmpty(t, v.Ops, v.Model)
			assert.Equal(t, len(v.Ops), total, "%s: op counts %v do not add up to the ops", v.Model, v.OpCounts)
			macs += v.MACsMillions
			params += v.ParamsMillions
		}
		require.Equal(t, len(m.Files), n, "%s: info lines for the models", m.Name)
		r := release[m.Name]
		assert.InEpsilon(t, r[0], macs, 0.05, "%s: M MACs against the release's", m.Name)
		assert.InEpsilon(t, r[1], params, 0.05, "%s: M params against the release's", m.Name)
	}
	// The human form.
	status, stdout, stderr := cli("info", filepath.Join(shared, "models", "mobilenet_v1_0.25_128_quant.tflite"))
	require.Equal(t, 0, status, stderr)
	for _, want := range []string{"input      [1 128 128 3] uint8", "MACs ", "params ", "CONV_2D x", "DEPTHWISE_CONV_2D x13", "sequence   CONV_2D DEPTHWISE_CONV_2D"} {
		assert.Contains(t, stdout, want, "info")
	}
}
