package train_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/train"
	"mobilenet-wasm/train/imagefolder"
)

// The sign-digits tests read ../shared/datasets/sign-digits (600 photos,
// 10 classes of hand signs, none an ImageNet class) and embed it once per
// model and test binary: embedding is what costs, training is fast.

// digits is the decoded dataset.
type digits struct {
	classes []string
	images  []image.Image
	y       []int
}

var (
	digitsOnce sync.Once
	digitsData *digits
	digitsErr  error
)

func signDigits(tb testing.TB) *digits {
	tb.Helper()
	dir := testdata.SignDigits(tb)
	digitsOnce.Do(func() {
		f, err := imagefolder.Read(dir)
		if err != nil {
			digitsErr = err
			return
		}
		d := &digits{classes: f.Classes, y: f.Labels()}
		for _, it := range f.Items {
			img, _, err := imagefile.DecodeFile(it.Path)
			if err != nil {
				digitsErr = err
				return
			}
			d.images = append(d.images, img)
		}
		digitsData = d
	})
	require.NoError(tb, digitsErr)
	return digitsData
}

// embedded is the dataset embedded by one base: per photo its vector then
// those of its augmented copies.
type embedded struct {
	base   []byte // the base model (the extractor of a chain)
	models [][]byte
	quant  *train.QParams
	vecs   [][][]float32
}

var (
	embedMu    sync.Mutex
	embedCache = map[string]*embedded{}
)

// modelFiles are the base models by short name; 1.0_224_quant is the
// release's extractor + head split.
var modelFiles = map[string][]string{
	"0.25_128_quant": {"mobilenet_v1_0.25_128_quant.tflite"},
	"0.25_224":       {"mobilenet_v1_0.25_224.tflite"},
	"0.5_160_quant":  {"mobilenet_v1_0.5_160_quant.tflite"},
	"1.0_224_quant":  {"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite", "mobilenet_quant_v1_224_head_layers.tflite"},
}

func embedDigits(tb testing.TB, model string, copies int) *embedded {
	tb.Helper()
	d := signDigits(tb)
	embedMu.Lock()
	defer embedMu.Unlock()
	key := fmt.Sprint(model, "/", copies)
	if e, ok := embedCache[key]; ok {
		return e
	}
	e := &embedded{}
	for _, f := range modelFiles[model] {
		b, err := os.ReadFile(testdata.Path(tb, "models", f))
		require.NoError(tb, err)
		e.models = append(e.models, b)
	}
	e.base = e.models[0]
	c, err := engine.Load(e.models, engine.Options{})
	require.NoError(tb, err)
	if emb := c.Info().Embedding; emb.DType == "uint8" {
		e.quant = &train.QParams{Scale: emb.Scale[0], ZeroPoint: int32(emb.ZeroPoint[0])}
	}
	if loadEmbedCache(tb, key, e) {
		embedCache[key] = e
		return e
	}
	start := time.Now()
	for i, img := range d.images {
		v, err := c.Embed(img)
		require.NoError(tb, err)
		vs := [][]float32{v}
		aug, err := train.Augment(img, train.AugmentOptions{}, copies, train.AugmentSeed(1, i))
		require.NoError(tb, err)
		for _, a := range aug {
			v, err := c.Embed(a)
			require.NoError(tb, err)
			vs = append(vs, v)
		}
		e.vecs = append(e.vecs, vs)
	}
	tb.Logf("embedded %d photos (+%d copies each) with %s in %s", len(d.images), copies, model, time.Since(start).Round(time.Millisecond))
	saveEmbedCache(tb, key, e)
	embedCache[key] = e
	return e
}

// embedCachePath is where MOBILENET_EMBED_CACHE (a folder, opt-in) keeps
// the vectors of a model's embedding, named by a hash of the model files
// and the photos' paths: benchmarks run by several test binaries (old
// code against new) then embed once.
func embedCachePath(tb testing.TB, key string, e *embedded) string {
	dir := os.Getenv("MOBILENET_EMBED_CACHE")
	if dir == "" {
		return ""
	}
	h := sha256.New()
	for _, m := range e.models {
		h.Write(m)
	}
	fmt.Fprint(h, key, len(signDigits(tb).images))
	return filepath.Join(dir, fmt.Sprintf("sign-digits-%x.gob", h.Sum(nil)[:12]))
}

func loadEmbedCache(tb testing.TB, key string, e *embedded) bool {
	path := embedCachePath(tb, key, e)
	if path == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var vecs [][][]float32
	if err := gob.NewDecoder(f).Decode(&vecs); err != nil || len(vecs) != len(signDigits(tb).images) {
		return false
	}
	e.vecs = vecs
	tb.Logf("read the %s embeddings from %s", key, path)
	return true
}

func saveEmbedCache(tb testing.TB, key string, e *embedded) {
	path := embedCachePath(tb, key, e)
	if path == "" {
		return
	}
	require.NoError(tb, os.MkdirAll(filepath.Dir(path), 0o755))
	var buf bytes.Buffer
	require.NoError(tb, gob.NewEncoder(&buf).Encode(e.vecs))
	require.NoError(tb, os.WriteFile(path, buf.Bytes(), 0o644))
}

// fold is one cross-validation split of the photos.
type fold struct {
	train, val, test  train.Dataset
	trainIdx, testIdx []int // photo indices
}

// makeFold holds out test (photo indices); of the rest, a stratified 20%
// validates. Augmented copies go with their photo into training; the
// validation and test sets hold the photos themselves.
func makeFold(d *digits, e *embedded, test []int, seed uint64) fold {
	classes := len(d.classes)
	rest := train.Complement(len(d.y), test)
	ry := make([]int, len(rest))
	for i, p := range rest {
		ry[i] = d.y[p]
	}
	tri, vai := train.StratifiedSplit(ry, classes, 0.2, seed)
	f := fold{testIdx: test}
	f.train.Classes, f.val.Classes, f.test.Classes = classes, classes, classes
	for _, j := range tri {
		p := rest[j]
		f.trainIdx = append(f.trainIdx, p)
		for _, v := range e.vecs[p] {
			f.train.X = append(f.train.X, v)
			f.train.Y = append(f.train.Y, d.y[p])
		}
	}
	for _, j := range vai {
		f.val.X = append(f.val.X, e.vecs[rest[j]][0])
		f.val.Y = append(f.val.Y, d.y[rest[j]])
	}
	for _, p := range test {
		f.test.X = append(f.test.X, e.vecs[p][0])
		f.test.Y = append(f.test.Y, d.y[p])
	}
	return f
}

func trainFold(tb testing.TB, f fold, cfg train.Config) *train.Trainer {
	tb.Helper()
	tr, err := train.NewTrainer(f.train, f.val, cfg)
	require.NoError(tb, err)
	tr.Run(nil)
	return tr
}

// crossVal is the pooled result of 5-fold cross-validation.
type crossVal struct {
	float, quant, knn, exported *train.Confusion
	// plain is the baseline the head must not fall below: plain
	// logistic regression (the same softmax layer, no class balancing,
	// no weight decay, no averaging, no early stopping: 200 epochs on
	// all of the fold's training photos, validation ones included,
	// without augmented copies). plainAug is the same on the training
	// examples the head had (with the augmented copies, if any).
	plain, plainAug *train.Confusion
	agree, n        int // exported model's top-1 == the in-memory head's
}

// runCrossVal trains on 4/5 of the photos and tests on the other 1/5, for
// each fifth (contiguous blocks per class: other students). With export,
// it also writes each fold's model and classifies the test photos with it
// through the engine.
func runCrossVal(tb testing.TB, model string, copies int, quant, export bool) crossVal {
	d := signDigits(tb)
	e := embedDigits(tb, model, copies)
	classes := len(d.classes)
	cv := crossVal{float: train.NewConfusion(classes), quant: train.NewConfusion(classes), knn: train.NewConfusion(classes), exported: train.NewConfusion(classes), plain: train.NewConfusion(classes), plainAug: train.NewConfusion(classes)}
	plainLR := func(k int, d train.Dataset, test *train.Dataset) *train.Confusion {
		tr, err := train.NewTrainer(d, train.Dataset{Classes: classes}, train.Config{Seed: uint64(k + 1), NoBalance: true, WeightDecay: -1, Averaging: -1, Epochs: 200})
		require.NoError(tb, err)
		tr.Run(nil)
		return tr.Head().Evaluate(test)
	}
	for k, test := range train.Folds(d.y, classes, 5) {
		f := makeFold(d, e, test, uint64(k+1))
		cfg := train.Config{Seed: uint64(k + 1)}
		if quant {
			cfg.Quant = e.quant
		}
		tr := trainFold(tb, f, cfg)
		head := tr.Head()
		cv.float.Merge(tr.FloatHead().Evaluate(&f.test))
		cv.quant.Merge(head.Evaluate(&f.test))
		knn, err := train.NewKNN(&f.train, 1)
		require.NoError(tb, err)
		cv.knn.Merge(knn.Evaluate(&f.test))
		all := train.Dataset{Classes: classes, X: slices.Concat(f.train.X, f.val.X), Y: slices.Concat(f.train.Y, f.val.Y)}
		onAll := plainLR(k, all, &f.test)
		cv.plainAug.Merge(onAll)
		if copies == 0 {
			cv.plain.Merge(onAll)
		} else {
			// The same examples in the same order as without copies.
			photos := train.Dataset{Classes: classes}
			for _, p := range f.trainIdx {
				photos.X, photos.Y = append(photos.X, e.vecs[p][0]), append(photos.Y, d.y[p])
			}
			photos.X, photos.Y = append(photos.X, f.val.X...), append(photos.Y, f.val.Y...)
			cv.plain.Merge(plainLR(k, photos, &f.test))
		}
		if !export {
			continue
		}
		out, err := train.Export(e.base, head, train.ExportOptions{Labels: d.classes})
		require.NoError(tb, err)
		c, err := engine.Load([][]byte{out}, engine.Options{})
		require.NoError(tb, err)
		for j, p := range f.testIdx {
			top, err := c.Classify(d.images[p], 1)
			require.NoError(tb, err)
			cv.exported.Add(d.y[p], top[0].Index)
			if top[0].Index == head.Predict(f.test.X[j]) {
				cv.agree++
			}
			cv.n++
		}
	}
	return cv
}

// The accuracy floor on the small model, measured as the figures are
// (5-fold, other students in the test fold): the float head must reach
// what logistic regression does on these features (measured: head
// 498/600, plain logistic regression 499/600) and stay within 1 point of
// it, the uint8 head must lose under 1 point, and training with four
// augmented copies of each photo must do better than without (measured:
// 512/600 against 498/600).
func TestSignDigitsAccuracy(t *testing.T) {
	cv := runCrossVal(t, "0.25_128_quant", 0, true, false)
	t.Logf("0.25_128_quant 5-fold: float head %.1f%%, uint8 (QAT) head %.1f%%, 1-NN %.1f%%, plain logistic regression %.1f%%",
		100*cv.float.Accuracy(), 100*cv.quant.Accuracy(), 100*cv.knn.Accuracy(), 100*cv.plain.Accuracy())
	assert.GreaterOrEqual(t, cv.float.Accuracy(), 0.77)
	// In photos, exactly: 1 point of 600 is 6.
	assert.GreaterOrEqual(t, cv.float.Correct(), cv.plain.Correct()-cv.plain.Total()/100, "the float head more than 1 point below plain logistic regression")
	assert.GreaterOrEqual(t, cv.quant.Accuracy(), cv.float.Accuracy()-0.01)
	assert.GreaterOrEqual(t, cv.knn.Accuracy(), 0.65)

	aug := runCrossVal(t, "0.25_128_quant", 4, true, false)
	t.Logf("with 4 augmented copies: float head %.1f%%, uint8 (QAT) head %.1f%%", 100*aug.float.Accuracy(), 100*aug.quant.Accuracy())
	assert.Greater(t, aug.float.Correct(), cv.float.Correct(), "augmentation did not make the float head better")
	assert.Greater(t, aug.quant.Correct(), cv.quant.Correct(), "augmentation did not make the uint8 head better")
	for c, a := range cv.quant.PerClass() {
		assert.Greater(t, a, 0.4, "class %d", c)
	}
}

// exportFold trains a head on fold 0 and exports it; the exported model
// must load in the engine with the labels and give the in-memory head's
// top-1 on the test photos.
func checkExportRoundTrip(t *testing.T, model string, cfg train.Config, minAgree float64) {
	d := signDigits(t)
	e := embedDigits(t, model, 0)
	f := makeFold(d, e, train.Folds(d.y, len(d.classes), 5)[0], 1)
	tr := trainFold(t, f, cfg)
	head := tr.Head()
	out, err := train.Export(e.base, head, train.ExportOptions{Labels: d.classes})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "digits.tflite")
	require.NoError(t, os.WriteFile(path, out, 0o644))
	c, err := engine.LoadFiles([]string{path}, engine.Options{})
	require.NoError(t, err)
	require.Equal(t, d.classes, c.Labels())
	info := c.Info()
	assert.Equal(t, len(d.classes), info.Classes)
	if head.Quant != nil {
		assert.Equal(t, "uint8", info.Output.DType)
		assert.Equal(t, []float32{1.0 / 256}, info.Output.Scale)
	} else {
		assert.Equal(t, "float32", info.Output.DType)
	}
	base, err := engine.Load(e.models, engine.Options{})
	require.NoError(t, err)
	agree, correct, memCorrect := 0, 0, 0
	for j, p := range f.testIdx {
		top, err := c.Classify(d.images[p], 1)
		require.NoError(t, err)
		want := head.Predict(f.test.X[j])
		if top[0].Index == want {
			agree++
		}
		if top[0].Index == d.y[p] {
			correct++
		}
		if want == d.y[p] {
			memCorrect++
		}
	}
	n := len(f.testIdx)
	t.Logf("%s export (%d hidden, quant %v): same top-1 on %d/%d test photos; accuracy exported %.1f%%, in memory %.1f%%",
		model, head.Hidden(), head.Quant != nil, agree, n, 100*float64(correct)/float64(n), 100*float64(memCorrect)/float64(n))
	assert.GreaterOrEqual(t, float64(agree), minAgree*float64(n))
	// The base's layers are copied untouched: the exported model's
	// feature vector is the base's (without a hidden layer, the engine
	// finds it at the logits' input).
	if head.Hidden() == 0 && head.Quant != nil || head.Hidden() == 0 && info.Embedding.DType == "float32" {
		for _, p := range f.testIdx[:5] {
			a, err := c.Embed(d.images[p])
			require.NoError(t, err)
			b, err := base.Embed(d.images[p])
			require.NoError(t, err)
			assert.Equal(t, b, a)
		}
	}
}

func TestExportRoundTripUint8(t *testing.T) {
	e := embedDigits(t, "0.25_128_quant", 0)
	checkExportRoundTrip(t, "0.25_128_quant", train.Config{Seed: 1, Quant: e.quant}, 0.98)
}

func TestExportRoundTripUint8Hidden(t *testing.T) {
	e := embedDigits(t, "0.25_128_quant", 0)
	checkExportRoundTrip(t, "0.25_128_quant", train.Config{Seed: 1, Quant: e.quant, Hidden: 32}, 0.98)
}

// A float head on a quantized base sits behind a DEQUANTIZE: the same
// float arithmetic, so the same predictions.
func TestExportRoundTripFloatHeadOnQuantBase(t *testing.T) {
	checkExportRoundTrip(t, "0.25_128_quant", train.Config{Seed: 1, Hidden: 16}, 1)
}

// The float base, on a few photos (its embedding is the slow part).
func TestExportFloatBase(t *testing.T) {
	d := signDigits(t)
	b, err := os.ReadFile(testdata.Path(t, "models", "mobilenet_v1_0.25_224.tflite"))
	require.NoError(t, err)
	c, err := engine.Load([][]byte{b}, engine.Options{})
	require.NoError(t, err)
	// 8 photos per class: 6 to train, 2 to test.
	tr := train.Dataset{Classes: len(d.classes)}
	var test []int
	seen := make([]int, len(d.classes))
	for p, y := range d.y {
		if seen[y] == 8 {
			continue
		}
		seen[y]++
		if seen[y] > 6 {
			test = append(test, p)
			continue
		}
		v, err := c.Embed(d.images[p])
		require.NoError(t, err)
		tr.X, tr.Y = append(tr.X, v), append(tr.Y, y)
	}
	trainer, err := train.NewTrainer(tr, train.Dataset{}, train.Config{Seed: 3, Epochs: 100})
	require.NoError(t, err)
	head := trainer.Run(nil)
	out, err := train.Export(b, head, train.ExportOptions{Labels: d.classes})
	require.NoError(t, err)
	ec, err := engine.Load([][]byte{out}, engine.Options{})
	require.NoError(t, err)
	for _, p := range test {
		v, err := c.Embed(d.images[p])
		require.NoError(t, err)
		want := head.Scores(v)
		top, err := ec.Classify(d.images[p], len(d.classes))
		require.NoError(t, err)
		assert.Equal(t, train.ArgMax(want), top[0].Index)
		for _, pr := range top {
			assert.InDelta(t, want[pr.Index], pr.Score, 1e-5, "float32 vs float64 arithmetic")
		}
	}
}

// The export refuses what cannot work.
func TestExportErrors(t *testing.T) {
	d := signDigits(t)
	e := embedDigits(t, "0.25_128_quant", 0)
	f := makeFold(d, e, train.Folds(d.y, len(d.classes), 5)[0], 1)
	tr, err := train.NewTrainer(f.train, f.val, train.Config{Seed: 1, Epochs: 2, Quant: &train.QParams{Scale: 0.5, ZeroPoint: 3}, QATEpochs: 1})
	require.NoError(t, err)
	head := tr.Run(nil)
	_, err = train.Export(e.base, head, train.ExportOptions{Labels: d.classes})
	require.ErrorContains(t, err, "trained for input quantization")
	_, err = train.Export(e.base, head, train.ExportOptions{Labels: d.classes[:3]})
	require.ErrorContains(t, err, "3 labels for a head of 10 classes")
	float, err := os.ReadFile(testdata.Path(t, "models", "mobilenet_v1_0.25_224.tflite"))
	require.NoError(t, err)
	_, err = train.Export(float, head, train.ExportOptions{Labels: d.classes})
	require.ErrorContains(t, err, "needs a uint8 feature vector")
	_, err = train.Export([]byte("not a model"), head, train.ExportOptions{Labels: d.classes})
	require.Error(t, err)
}

// TestSignDigitsFigures prints the figures of the report (5-fold accuracy
// per base, with and without augmentation). It takes minutes: run it with
// MOBILENET_TRAIN_FIGURES=1 (models: MOBILENET_TRAIN_MODELS, comma
// separated, default 0.25_128_quant,0.25_224).
func TestSignDigitsFigures(t *testing.T) {
	if os.Getenv("MOBILENET_TRAIN_FIGURES") != "1" {
		t.Skip("set MOBILENET_TRAIN_FIGURES=1 to measure the figures (minutes)")
	}
	models := "0.25_128_quant,0.25_224"
	if m := os.Getenv("MOBILENET_TRAIN_MODELS"); m != "" {
		models = m
	}
	var rows []string
	for _, m := range strings.Split(models, ",") {
		for _, copies := range []int{0, 4} {
			e := embedDigits(t, m, copies)
			start := time.Now()
			cv := runCrossVal(t, m, copies, e.quant != nil, true)
			kind := "float32"
			if e.quant != nil {
				kind = "uint8"
			}
			row := fmt.Sprintf("| %s | %d | %.1f | %.1f | %.1f (%s) | %d/%d | %.1f | %.1f | %.1f |", m, copies,
				100*cv.float.Accuracy(), 100*cv.quant.Accuracy(), 100*cv.exported.Accuracy(), kind, cv.agree, cv.n, 100*cv.knn.Accuracy(), 100*cv.plain.Accuracy(), 100*cv.plainAug.Accuracy())
			t.Logf("%s  (%s)", row, time.Since(start).Round(time.Second))
			rows = append(rows, row)
		}
	}
	t.Logf("\n| base | aug copies | float head %% | QAT head (in memory) %% | exported model %% | exported = in-memory top-1 | 1-NN %% | plain logistic regression (photos) %% | plain LR (with the copies) %% |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n%s", strings.Join(rows, "\n"))
}

// BenchmarkTrain1024 times training (float epochs with early stopping,
// then QAT) on the 600 photos embedded by the 1.0_224 extractor (1024
// features); the embedding, done once, is not timed.
func BenchmarkTrain1024(b *testing.B) {
	benchmarkTrain(b, "1.0_224_quant", train.Config{Seed: 1})
}

// BenchmarkTrain256 is BenchmarkTrain1024 on the 0.25_128 model (256
// features).
func BenchmarkTrain256(b *testing.B) {
	benchmarkTrain(b, "0.25_128_quant", train.Config{Seed: 1})
}

func benchmarkTrain(b *testing.B, model string, cfg train.Config) {
	d := signDigits(b)
	e := embedDigits(b, model, 0)
	cfg.Quant = e.quant
	all := train.Dataset{Classes: len(d.classes), Y: d.y}
	for _, v := range e.vecs {
		all.X = append(all.X, v[0])
	}
	tri, vai := train.StratifiedSplit(all.Y, all.Classes, 0.2, 1)
	trs, vas := all.Subset(tri), all.Subset(vai)
	epochs := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tr, err := train.NewTrainer(trs, vas, cfg)
		if err != nil {
			b.Fatal(err)
		}
		tr.Run(func(train.Progress) { epochs++ })
	}
	b.ReportMetric(float64(epochs)/float64(b.N), "epochs/op")
}

// BenchmarkEmbed measures the embedding throughput natively on the
// sign-digits photos, one photo per op (images/s): "decode" reads and
// decodes the JPEG file, "embed" preprocesses a decoded photo (crop,
// resize) and runs the base, "decode+embed" does both, as embedding a
// folder does.
func BenchmarkEmbed(b *testing.B) {
	f, err := imagefolder.Read(testdata.SignDigits(b))
	require.NoError(b, err)
	images := make([]image.Image, 0, 50)
	for _, it := range f.Items[:50] {
		img, _, err := imagefile.DecodeFile(it.Path)
		require.NoError(b, err)
		images = append(images, img)
	}
	perSecond := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
	}
	b.Run("decode", func(b *testing.B) {
		i := 0
		for b.Loop() {
			_, _, err := imagefile.DecodeFile(f.Items[i%len(f.Items)].Path)
			require.NoError(b, err)
			i++
		}
		perSecond(b)
	})
	for _, model := range []string{"1.0_224_quant", "0.25_128_quant"} {
		var models [][]byte
		for _, name := range modelFiles[model] {
			m, err := os.ReadFile(testdata.Path(b, "models", name))
			require.NoError(b, err)
			models = append(models, m)
		}
		c, err := engine.Load(models, engine.Options{})
		require.NoError(b, err)
		b.Run(model+"/embed", func(b *testing.B) {
			i := 0
			for b.Loop() {
				_, err := c.Embed(images[i%len(images)])
				require.NoError(b, err)
				i++
			}
			perSecond(b)
		})
		b.Run(model+"/decode+embed", func(b *testing.B) {
			i := 0
			for b.Loop() {
				img, _, err := imagefile.DecodeFile(f.Items[i%len(f.Items)].Path)
				require.NoError(b, err)
				_, err = c.Embed(img)
				require.NoError(b, err)
				i++
			}
			perSecond(b)
		})
	}
}
