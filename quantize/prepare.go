package quantize

import (
	"fmt"
	"math"
	"strings"

	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// prepared is the float model Quantize rewrites, after the steps, with
// its activations' calibration.
type prepared struct {
	m     *loader.Model
	stats []*stats
	steps Steps
	relu6 ReLU6Mode
	// What the steps did, for the description.
	pairs, relu, absorbed, corrected int
}

// prepKey identifies a prepared model: the steps and, when the weights'
// rounding matters (bias correction, ranges), the format.
type prepKey struct {
	format Format
	steps  Steps
	relu6  ReLU6Mode
}

// rangesOnFloat, when set, calibrates the transformed graph's ranges with
// its float weights rather than the quantized ones (for measurements).
var rangesOnFloat = false

// prepare applies the steps to the calibrated float model and calibrates
// the result on the same inputs: equalization (data-free), then bias
// absorption (needs the equalized graph's per-channel minima), then bias
// correction (needs the quantized weights), then the activation ranges of
// the graph that the quantized file computes: its weights as quantized,
// its biases as corrected, its activations as rewritten. Without steps it
// is the calibrated model. Results are cached until more inputs are
// added.
func (c *Calibrator) prepare(format Format, steps Steps, relu6 ReLU6Mode) (*prepared, error) {
	if steps == (Steps{}) {
		return &prepared{m: c.model, stats: c.stats}, nil
	}
	key := prepKey{format, steps, relu6}
	if p, ok := c.prepCache[key]; ok {
		return p, nil
	}
	p := &prepared{steps: steps, relu6: relu6}
	f := newFloatGraph(c.model)
	if steps.Equalize {
		var bound map[int][]float64
		if relu6 == KeepReLU6 {
			var ts []int
			for _, q := range pairs(c.model) {
				if fusedActivation(&c.model.Operators[q.op1]) == loader.ActRelu6 {
					ts = append(ts, c.model.Operators[q.op1].Outputs[0])
				}
			}
			_, maxs, err := c.channelRanges(f, ts)
			if err != nil {
				return nil, err
			}
			bound = map[int][]float64{}
			for _, q := range pairs(c.model) {
				if hi := maxs[c.model.Operators[q.op1].Outputs[0]]; hi != nil {
					b := make([]float64, len(hi))
					for ch, v := range hi {
						switch {
						case v >= 6*(1-1e-6):
							b[ch] = 1 // clipped: only s = 1 keeps ReLU6 exact
						case v > 0:
							b[ch] = 6 / v
						default:
							b[ch] = math.Inf(1)
						}
					}
					bound[q.op1] = b
				}
			}
		}
		ps, _ := f.equalize(bound)
		p.pairs, p.relu = len(ps), len(f.act)
		if steps.AbsorbBias {
			ab := f.absorbable(ps)
			var ts []int
			for _, q := range ab {
				ts = append(ts, c.model.Operators[q.op1].Outputs[0])
			}
			if len(ab) > 0 {
				mins, _, err := c.channelRanges(f, ts)
				if err != nil {
					return nil, err
				}
				p.absorbed = f.absorb(ab, mins)
			}
		}
	}
	if steps.CorrectBias {
		n, err := c.correctBiases(f, format)
		if err != nil {
			return nil, err
		}
		p.corrected = n
	}
	calib := f
	if !rangesOnFloat {
		calib = f.fakeQuantized(format)
	}
	_, st, err := c.calibrate(calib)
	if err != nil {
		return nil, err
	}
	b, err := tflitewrite.Write(f.graph())
	if err != nil {
		return nil, fmt.Errorf("quantize: the transformed float model: %w", err)
	}
	if p.m, err = loader.Parse(b); err != nil {
		return nil, fmt.Errorf("quantize: the transformed float model: %w", err)
	}
	p.stats = st
	if c.prepCache == nil {
		c.prepCache = map[prepKey]*prepared{}
	}
	c.prepCache[key] = p
	return p, nil
}

// describe is the description's account of the steps.
func (p *prepared) describe() string {
	var parts []string
	if p.steps.Equalize {
		if p.relu6 == KeepReLU6 {
			parts = append(parts, fmt.Sprintf("cross-layer equalization of %d layer pairs (within ReLU6)", p.pairs))
		} else {
			parts = append(parts, fmt.Sprintf("cross-layer equalization of %d layer pairs (ReLU6 to ReLU on %d layers)", p.pairs, p.relu))
		}
	}
	if p.steps.AbsorbBias {
		parts = append(parts, fmt.Sprintf("bias absorption of %d channels", p.absorbed))
	}
	if p.steps.CorrectBias {
		parts = append(parts, fmt.Sprintf("bias correction of %d layers", p.corrected))
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}
