// Command embeddings writes the feature vectors of the sign-digits photos
// for bench/browser/train.mjs: what the engine's Embed gives (dequantized
// float32), computed natively so that the browser benchmark times training
// only.
//
//	go run ./bench/browser/embeddings -out FILE [-data DIR] [-models DIR]
//
// The file (little-endian): the magic "MNEMB001", then int32 n, dim and
// classes, then n int32 labels, then n*dim float32, photo by photo in the
// order of train/imagefolder.Read (classes in order, files by name), the
// order BenchmarkTrain1024 in train/signdigits_test.go uses.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/internal/atomicfile"
	"mobilenet-wasm/train/imagefolder"
)

// Magic starts the file.
const Magic = "MNEMB001"

func main() {
	testdata := os.Getenv("MOBILENET_TESTDATA")
	if testdata == "" {
		testdata = filepath.Join("..", "shared")
	}
	out := flag.String("out", "", "the file to write (required)")
	data := flag.String("data", filepath.Join(testdata, "datasets", "sign-digits"), "the photos, one folder per class")
	models := flag.String("models", filepath.Join(testdata, "models"), "the folder of the models")
	model := flag.String("model", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite,mobilenet_quant_v1_224_head_layers.tflite",
		"the model's files in -models, comma separated (an extractor then its head)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *data, *models, *model); err != nil {
		fmt.Fprintln(os.Stderr, "embeddings:", err)
		os.Exit(1)
	}
}

func run(out, data, models, model string) error {
	var files [][]byte
	for _, f := range strings.Split(model, ",") {
		b, err := os.ReadFile(filepath.Join(models, f))
		if err != nil {
			return err
		}
		files = append(files, b)
	}
	c, err := engine.Load(files, engine.Options{})
	if err != nil {
		return err
	}
	folder, err := imagefolder.Read(data)
	if err != nil {
		return err
	}
	labels := folder.Labels()
	start := time.Now()
	var vecs [][]float32
	for _, it := range folder.Items {
		img, _, err := imagefile.DecodeFile(it.Path)
		if err != nil {
			return err
		}
		v, err := c.Embed(img)
		if err != nil {
			return fmt.Errorf("%s: %w", it.Path, err)
		}
		if len(vecs) > 0 && len(v) != len(vecs[0]) {
			return fmt.Errorf("%s: %d features, want %d", it.Path, len(v), len(vecs[0]))
		}
		vecs = append(vecs, v)
	}
	if len(vecs) == 0 {
		return fmt.Errorf("no photos in %s", data)
	}
	buf := []byte(Magic)
	for _, x := range []int{len(vecs), len(vecs[0]), len(folder.Classes)} {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(x))
	}
	for _, y := range labels {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(y))
	}
	for _, v := range vecs {
		for _, f := range v {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(f))
		}
	}
	if err := atomicfile.Write(out, buf); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "embeddings: %d photos x %d features, %d classes, in %s -> %s\n",
		len(vecs), len(vecs[0]), len(folder.Classes), time.Since(start).Round(time.Millisecond), out)
	return nil
}
