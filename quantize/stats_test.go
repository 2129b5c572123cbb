package quantize

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatsHistogramGrows(t *testing.T) {
	var s stats
	s.add([]float32{0, 0, 1, 2, -3})
	w := s.width
	assert.Equal(t, uint64(5), s.n)
	assert.Equal(t, uint64(2), s.zeros)
	assert.Less(t, 3/w, float64(bins))
	// A value 100x larger: the width doubles until it fits, counts kept.
	s.add([]float32{300, float32(math.NaN()), float32(math.Inf(1))})
	assert.Equal(t, uint64(6), s.n, "NaN and infinities are skipped")
	assert.Equal(t, -3.0, s.min)
	assert.Equal(t, 300.0, s.max)
	assert.Greater(t, s.width, w)
	assert.Less(t, 300/s.width, float64(bins))
	var total uint64
	for j := -bins; j < bins; j++ {
		total += s.count(j)
	}
	assert.Equal(t, s.n, total)
	assert.Equal(t, uint64(2), s.pos[0], "the zeros")
	assert.Equal(t, uint64(1), s.pos[int(1/s.width)], "1, in the merged bins")
}

func TestPercentileRange(t *testing.T) {
	var s stats
	v := make([]float32, 10000)
	for i := range v {
		v[i] = float32(i) / 1000 // 0 .. 9.999
	}
	s.add(v)
	lo, hi := s.percentileRange(99)
	assert.InDelta(t, 0.1, lo, 2*s.width, "the bottom 1%% dropped")
	assert.InDelta(t, 9.9, hi, 2*s.width, "the top 1%% dropped")
	lo, hi = s.percentileRange(100)
	assert.Equal(t, 0.0, lo)
	assert.Equal(t, s.max, hi)
}

func TestMSERangeClipsOutliers(t *testing.T) {
	var s stats
	// A million values in [0, 1) and one at 10: the full range costs
	// 1e6 x (10/255)²/12 = 128 in rounding, clipping at 1 costs 9² = 81.
	v := make([]float32, 1000000)
	for i := range v {
		v[i] = float32(i%1000) / 1000
	}
	v[0] = 10
	s.add(v)
	lo, hi := s.mseRange(0, 255)
	assert.Equal(t, 0.0, lo)
	assert.Less(t, hi, 5.0, "one outlier is not worth a 10x coarser scale")
	assert.GreaterOrEqual(t, hi, 1.0*0.95)

	// Without outliers, the whole range is kept.
	var u stats
	u.add(v[1:])
	_, hi = u.mseRange(0, 255)
	assert.InDelta(t, u.max, hi, 0.02)
}
