//go:build !classifyonly

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"math"

	"mobilenet-wasm/internal/textfmt"
	"mobilenet-wasm/quantize"
	"mobilenet-wasm/wasm/abi"
)

// Post-training quantization (package quantize) behind the ABI: the
// mn_quant_* exports, described in the package comment's section
// "Quantization".

var (
	// calibrators are the quantization sessions.
	calibrators = newHandles[*quantize.Calibrator]("no calibrator has handle %d")
)

// calibrator returns the calibrator of handle h.
func calibrator(h int32) (*quantize.Calibrator, error) {
	return calibrators.get(h)
}

// mnQuantNew is mn_quant_new; see the package comment.
//
//go:wasmexport mn_quant_new
func mnQuantNew(modelPtr, modelLen uint32) (handle int32) {
	call("mn_quant_new", func() error {
		m, err := guest("model", modelPtr, modelLen)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return argErr("no model (model_len is 0)")
		}
		// A copy: the calibrator keeps the model, the host may reuse its block.
		c, err := quantize.NewCalibrator(bytes.Clone(m))
		if err != nil {
			return refused(err)
		}
		if !c.ImageInput() {
			return refused(errors.New("quantize: the model's input is not a square RGB image; calibration here takes images"))
		}
		handle, err = calibrators.add(c)
		return err
	})
	return handle
}

// mnQuantAddFrame is mn_quant_add_frame; see the package comment.
//
//go:wasmexport mn_quant_add_frame
func mnQuantAddFrame(h int32, ptr, n uint32, width, height, stride int32) int32 {
	return call("mn_quant_add_frame", func() error {
		c, err := calibrator(h)
		if err != nil {
			return err
		}
		pix, err := frame(ptr, n, width, height, stride)
		if err != nil {
			return err
		}
		img, err := nrgbaView(pix, int(width), int(height), int(stride))
		if err != nil {
			return refused(err)
		}
		if err := c.AddImage(img); err != nil {
			return refused(err)
		}
		return nil
	})
}

// nrgbaView is an RGBA frame as an image: NRGBA, so that alpha is ignored
// as mn_classify ignores it (the preprocessing keeps R, G, B).
func nrgbaView(pix []byte, width, height, stride int) (*image.NRGBA, error) {
	if stride < 4*width {
		return nil, textfmt.Errorf("frame: row stride %d is less than 4 x width %d", stride, width)
	}
	if need := int64(stride)*int64(height-1) + 4*int64(width); int64(len(pix)) < need {
		return nil, textfmt.Errorf("frame: %d bytes; a %dx%d frame with row stride %d needs %d", len(pix), width, height, stride, need)
	}
	return &image.NRGBA{Pix: pix, Stride: stride, Rect: image.Rect(0, 0, width, height)}, nil
}

// quantOptions is mn_quant_run's JSON: quantize.Options by name.
type quantOptions struct {
	Format      string   `json:"format"`
	Method      string   `json:"method"`
	Percentile  float64  `json:"percentile"`
	InputType   string   `json:"input_type"`
	OutputType  string   `json:"output_type"`
	Labels      []string `json:"labels"`
	Equalize    string   `json:"equalize"`
	AbsorbBias  string   `json:"absorb_bias"`
	CorrectBias string   `json:"correct_bias"`
	ReLU6       string   `json:"relu6"`
}

// parseQuantOptions decodes mn_quant_run's options; empty text is the
// defaults. Unknown fields and values are errors.
func parseQuantOptions(text []byte) (quantize.Options, error) {
	var o quantOptions
	if len(bytes.TrimSpace(text)) > 0 {
		d := json.NewDecoder(bytes.NewReader(text))
		d.DisallowUnknownFields()
		if err := d.Decode(&o); err != nil {
			return quantize.Options{}, textfmt.Errorf("options: %w", err)
		}
		if d.More() {
			return quantize.Options{}, errors.New("options: text after the JSON object")
		}
	}
	opts := quantize.Options{Percentile: o.Percentile, Labels: o.Labels}
	if o.Format == "" {
		o.Format = "uint8"
	}
	var err error
	if opts.Format, err = quantize.ParseFormat(o.Format); err != nil {
		return opts, err
	}
	if opts.Method, err = quantize.ParseMethod(o.Method); err != nil {
		return opts, err
	}
	if o.Percentile != 0 && !(o.Percentile > 50 && o.Percentile <= 100) {
		return opts, textfmt.Errorf("percentile %g: want more than 50 and at most 100", o.Percentile)
	}
	if opts.Input, err = quantize.ParseIOType(o.InputType); err != nil {
		return opts, textfmt.Errorf("input_type: %w", err)
	}
	if opts.Output, err = quantize.ParseIOType(o.OutputType); err != nil {
		return opts, textfmt.Errorf("output_type: %w", err)
	}
	for _, t := range []struct {
		name string
		s    string
		dst  *quantize.Toggle
	}{{"equalize", o.Equalize, &opts.Equalize}, {"absorb_bias", o.AbsorbBias, &opts.AbsorbBias}, {"correct_bias", o.CorrectBias, &opts.CorrectBias}} {
		if *t.dst, err = quantize.ParseToggle(t.s); err != nil {
			return opts, textfmt.Errorf("%s: %w", t.name, err)
		}
	}
	if opts.ReLU6, err = quantize.ParseReLU6Mode(o.ReLU6); err != nil {
		return opts, textfmt.Errorf("relu6: %w", err)
	}
	return opts, nil
}

// mnQuantRun is mn_quant_run; see the package comment.
//
//go:wasmexport mn_quant_run
func mnQuantRun(h int32, optsPtr, optsLen uint32) int32 {
	return call("mn_quant_run", func() error {
		c, err := calibrator(h)
		if err != nil {
			return err
		}
		text, err := guest("options", optsPtr, optsLen)
		if err != nil {
			return err
		}
		opts, err := parseQuantOptions(text)
		if err != nil {
			return argErr("%v", err)
		}
		if c.Samples() == 0 {
			return refused(errors.New("no calibration images: add some with mn_quant_add_frame first"))
		}
		out, err := c.Quantize(opts)
		if err != nil {
			return refused(err)
		}
		result = append(result[:0], out...)
		return nil
	})
}

// mnQuantSamples is mn_quant_samples; see the package comment.
//
//go:wasmexport mn_quant_samples
func mnQuantSamples(h int32) (n int32) {
	if st := call("mn_quant_samples", func() error {
		c, err := calibrator(h)
		if err != nil {
			return err
		}
		n = int32(min(c.Samples(), math.MaxInt32))
		return nil
	}); st != abi.StatusOK {
		return st
	}
	return n
}

// mnQuantFree is mn_quant_free; see the package comment.
//
//go:wasmexport mn_quant_free
func mnQuantFree(h int32) int32 {
	return call("mn_quant_free", func() error {
		return calibrators.free(h)
	})
}
