package main

import (
	"fmt"
	"io"
	"os"
)

var inferHelp = cmdHelp{
	usage: "infer -m MODEL [-m HEAD] [-requant fp32|reference] -in RAW -out RAW",
	about: `Infer runs the model on one raw input tensor and writes the raw output
tensor: no preprocessing, no top-k. RAW files hold the tensor's bytes as
stored (the model's dtype and shape, row-major, little-endian): for a
quantized 224x224 model, 224*224*3 uint8 bytes in, 1001 bytes out; for a
float model, float32 values. "-" means stdin (-in) or stdout (-out).
'mobilenet info MODEL' shows the input and output shapes and dtypes.`,
	example: `mobilenet infer -m mobilenet_v1_0.25_128_quant.tflite -in cat.rgb -out cat.out`,
}

func runInfer(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("infer")
	mf := addModelFlags(fs)
	in := fs.String("in", "", "raw input tensor `file` (- for stdin)")
	out := fs.String("out", "", "raw output tensor `file` to write (- for stdout)")
	if err := parseNoArgs(fs, inferHelp, args, stdout); err != nil {
		return err
	}
	switch {
	case *in == "":
		return usagef("no input: give -in RAW")
	case *out == "":
		return usagef("no output: give -out RAW")
	}
	// The models are read before the input and loaded after it, so that a
	// missing model file is reported first.
	ms, err := mf.read()
	if err != nil {
		return err
	}
	raw, err := readInput(*in)
	if err != nil {
		return err
	}
	c, err := ms.load(mf.options())
	if err != nil {
		return err
	}
	res, err := c.Infer(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if *out == "-" {
		_, err = stdout.Write(res)
		return err
	}
	return os.WriteFile(*out, res, 0o644)
}

func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(path)
}
