package litert_test

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
	"mobilenet-wasm/train"
)

// The training exports' choices: the sign-digits classes a head learns,
// the photos per class it trains on, the held-out photos per class the
// exports then run on (in LiteRT.js and ours), and the epochs (the test
// is about the file, not about accuracy).
var (
	exportClasses             = []string{"0", "1", "2"}
	exportTrain, exportHeld   = 8, 4
	exportEpochs, exportQATEp = 12, 4
)

// digitPhotos is the sign-digits photos the exports use: per class the
// first exportTrain to train on, then exportHeld held out.
type digitPhotos struct {
	train     []image.Image
	y         []int
	held      []image.Image
	heldNames []string
}

func readDigits(t *testing.T) digitPhotos {
	t.Helper()
	var d digitPhotos
	for c, class := range exportClasses {
		photos := testdata.SignDigitsPhotos(t, class)
		require.GreaterOrEqual(t, len(photos), exportTrain+exportHeld, "sign-digits/%s holds too few photos", class)
		for n, p := range photos[:exportTrain+exportHeld] {
			img, _, err := imagefile.DecodeFile(p)
			require.NoError(t, err, p)
			if n < exportTrain {
				d.train, d.y = append(d.train, img), append(d.y, c)
			} else {
				d.held, d.heldNames = append(d.held, img), append(d.heldNames, class+"/"+filepath.Base(p))
			}
		}
	}
	return d
}

// exportCase is one head train.Export writes on a release model.
type exportCase struct {
	name   string
	base   string // the release model's file name, without .tflite
	hidden int
	quant  bool // a uint8 head, trained quantization-aware
}

var exportCases = []exportCase{
	{name: "export uint8 QAT head", base: "mobilenet_v1_0.25_128_quant", quant: true},
	{name: "export uint8 QAT head, 16 hidden", base: "mobilenet_v1_0.25_128_quant", hidden: 16, quant: true},
	{name: "export float head (DEQUANTIZE)", base: "mobilenet_v1_0.25_128_quant"},
	{name: "export float head", base: "mobilenet_v1_0.25_224"},
}

// trainedExports trains each exportCase's head on the training photos'
// feature vectors and runs its export, and the export cut before its
// SOFTMAX (the head's logits), through our engine on the held-out photos.
func trainedExports(t *testing.T, dir string) []file {
	t.Helper()
	d := readDigits(t)
	vecs := map[string][][]float32{}
	var files []file
	for _, ec := range exportCases {
		base, err := os.ReadFile(filepath.Join(dir, "models", ec.base+".tflite"))
		require.NoError(t, err, "shared test data lacks models/%s.tflite", ec.base)
		c, err := engine.Load([][]byte{base}, engine.Options{})
		require.NoError(t, err, ec.base)
		if vecs[ec.base] == nil {
			for _, img := range d.train {
				v, err := c.Embed(img)
				require.NoError(t, err, ec.base)
				vecs[ec.base] = append(vecs[ec.base], v)
			}
		}
		cfg := train.Config{Hidden: ec.hidden, Epochs: exportEpochs, QATEpochs: exportQATEp, Seed: 3}
		if ec.quant {
			emb := c.Info().Embedding
			require.Equal(t, "uint8", emb.DType, "%s: feature vector", ec.base)
			cfg.Quant = &train.QParams{Scale: emb.Scale[0], ZeroPoint: int32(emb.ZeroPoint[0])}
		}
		tr, err := train.NewTrainer(train.Dataset{X: vecs[ec.base], Y: d.y, Classes: len(exportClasses)}, train.Dataset{}, cfg)
		require.NoError(t, err, ec.name)
		head := tr.Run(nil)
		require.Equal(t, ec.quant, head.Quant != nil, "%s: a uint8 head", ec.name)
		model, err := train.Export(base, head, train.ExportOptions{Labels: exportClasses})
		require.NoError(t, err, ec.name)
		name := fmt.Sprintf("%s on %s", ec.name, ec.base)
		f := ours(t, name, model, d.held)
		f.photos = d.heldNames
		want := map[bool]string{true: "uint8", false: "float32"}[ec.quant]
		require.Equal(t, want, f.dtype, "%s: output type", name)
		lf := ours(t, name+" logits", logits(t, name, model), d.held)
		lf.photos = d.heldNames
		files = append(files, f, lf)
		if ec.hidden > 0 {
			hf := ours(t, name+" hidden layer", hiddenLayer(t, name, model, len(head.Layers)), d.held)
			hf.photos = d.heldNames
			require.Equal(t, []int{1, ec.hidden}, hf.shape, "%s: the hidden layer's output", name)
			files = append(files, hf)
		}
	}
	return files
}

// hiddenLayer cuts an export after its first FULLY_CONNECTED, the head's
// hidden layer (with its fused RELU): the output becomes the hidden
// activations. layers is the head's layer count: the export must have one
// FULLY_CONNECTED per layer (the release's bases have none: their
// classifier is a 1x1 CONV_2D).
func hiddenLayer(t *testing.T, name string, model []byte, layers int) []byte {
	t.Helper()
	g, err := tflitewrite.FromBytes(model)
	require.NoError(t, err, name)
	var fcs []int
	for i, o := range g.Operators {
		if o.Op == loader.OpFullyConnected {
			fcs = append(fcs, i)
		}
	}
	require.Len(t, fcs, layers, "%s: FULLY_CONNECTED operators", name)
	g.Outputs = []int{g.Operators[fcs[0]].Outputs[0]}
	g.Operators = g.Operators[:fcs[0]+1]
	g.Labels = nil // they name the classes, not the hidden units
	b, err := tflitewrite.Write(g)
	require.NoError(t, err, name)
	return b
}
