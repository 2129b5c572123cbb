package quantize

import (
	"math"
)

// bins is the number of histogram bins on each side of zero. With 2048
// bins a side, a bin is at most 1/2048 of the largest magnitude seen (and
// at least half that), finer than the 1/255 steps of any range the
// percentile or MSE search can pick.
const bins = 2048

// stats accumulates one float tensor's calibration values: exact min and
// max, the count of exact zeros (ReLU outputs have many, and they are
// always exactly representable), and a histogram with bins of equal width
// w on both sides of zero: pos[i] counts values in [i*w, (i+1)*w), neg[i]
// those in (-(i+1)*w, -i*w). The width is a power of two that doubles
// (merging neighbouring bins) when a larger magnitude arrives, so the
// histogram needs no range known in advance and depends only on the
// values and their order.
type stats struct {
	n, zeros uint64
	min, max float64
	width    float64 // 0 until the first nonzero value
	pos, neg [bins]uint64
}

// add records the finite values of v (NaN and infinities are skipped: they
// have no place in a range).
func (s *stats) add(v []float32) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	if lo > hi {
		return // nothing finite
	}
	if s.n == 0 {
		s.min, s.max = lo, hi
	} else {
		s.min, s.max = min(s.min, lo), max(s.max, hi)
	}
	if amax := max(-lo, hi); amax > 0 {
		if s.width == 0 {
			// The smallest power of two with amax/width < bins.
			_, exp := math.Frexp(amax / bins) // amax/bins = frac * 2^exp, frac in [0.5, 1)
			s.width = math.Ldexp(1, exp)
		}
		for amax/s.width >= bins {
			s.grow()
		}
	}
	inv := 1 / s.width // a power of two: x*inv is exact
	for _, x := range v {
		f := float64(x)
		switch {
		case f == 0:
			s.zeros++
			s.pos[0]++
		case f > 0 && f <= hi:
			s.pos[int(f*inv)]++
		case f < 0 && f >= lo:
			s.neg[int(-f*inv)]++
		default:
			continue // NaN or infinite
		}
		s.n++
	}
}

// grow doubles the bin width, merging pairs of bins.
func (s *stats) grow() {
	for _, h := range []*[bins]uint64{&s.pos, &s.neg} {
		for i := range bins / 2 {
			h[i] = h[2*i] + h[2*i+1]
		}
		clear(h[bins/2:])
	}
	s.width *= 2
}

// count returns the count of bin j in [-bins, bins), which covers
// [j*w, (j+1)*w).
func (s *stats) count(j int) uint64 {
	if j >= 0 {
		return s.pos[j]
	}
	return s.neg[-j-1]
}

// percentileRange returns the range that drops (100-p)/100 of the values
// at each end: the edges of the bins where the cumulative counts from
// either side first exceed that share, within [min, max].
func (s *stats) percentileRange(p float64) (lo, hi float64) {
	if s.n == 0 || s.width == 0 {
		return s.min, s.max
	}
	cut := float64(s.n) * (100 - p) / 100
	lo, hi = s.min, s.max
	var acc float64
	for j := bins - 1; j >= -bins; j-- {
		acc += float64(s.count(j))
		if acc > cut {
			hi = min(hi, float64(j+1)*s.width)
			break
		}
	}
	acc = 0
	for j := -bins; j < bins; j++ {
		acc += float64(s.count(j))
		if acc > cut {
			lo = max(lo, float64(j)*s.width)
			break
		}
	}
	return lo, hi
}

// mseSteps is the number of candidate ranges the MSE search tries: the
// calibrated range scaled by 1, 0.995, ..., 0.05.
const mseSteps = 191

// mseRange returns the range, among [a*min, a*max] for the candidate
// factors a, whose quantization to [qmin, qmax] (nudged as the output
// will be) has the smallest expected squared error over the histogram:
// values inside the representable range cost scale²/12 (uniform rounding
// error), values outside their distance to it squared, exact zeros
// nothing. Ties keep the wider range.
func (s *stats) mseRange(qmin, qmax int) (lo, hi float64) {
	lo0, hi0 := min(s.min, 0), max(s.max, 0)
	if s.n == 0 || s.width == 0 || hi0 == lo0 {
		return s.min, s.max
	}
	best := math.Inf(1)
	lo, hi = s.min, s.max
	for k := range mseSteps {
		a := 1 - float64(k)*0.005
		scale, zp := affineParams(a*lo0, a*hi0, qmin, qmax)
		rlo, rhi := float64(qmin-zp)*scale, float64(qmax-zp)*scale
		round := scale * scale / 12
		var e float64
		for j := -bins; j < bins; j++ {
			n := float64(s.count(j))
			if j == 0 {
				n -= float64(s.zeros)
			}
			if n == 0 {
				continue
			}
			c := (float64(j) + 0.5) * s.width
			switch {
			case c < rlo:
				e += n * (rlo - c) * (rlo - c)
			case c > rhi:
				e += n * (c - rhi) * (c - rhi)
			default:
				e += n * round
			}
		}
		if e < best {
			best, lo, hi = e, max(a*lo0, s.min), min(a*hi0, s.max)
		}
	}
	return lo, hi
}
