package models

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalog(t *testing.T) {
	require.Len(t, Catalog, 32)
	seen := map[string]bool{}
	for _, w := range Widths {
		for _, r := range Resolutions {
			for _, quant := range []bool{false, true} {
				e, ok := Find(w, r, quant)
				require.True(t, ok, "%g %d %v", w, r, quant)
				require.False(t, seen[e.Name], "%s twice", e.Name)
				seen[e.Name] = true
				assert.Equal(t, w, e.Width)
				assert.Equal(t, r, e.Resolution)
				assert.Equal(t, quant, e.Quantized)
				assert.Greater(t, e.Top5, e.Top1)
			}
		}
	}
	e, ok := Lookup("mobilenet_v1_0.25_128_quant")
	require.True(t, ok)
	assert.Equal(t, "https://download.tensorflow.org/models/mobilenet_v1_2018_08_02/mobilenet_v1_0.25_128_quant.tgz", e.URL)
	assert.Equal(t, "mobilenet_v1_0.25_128_quant.tflite", e.TFLite)
	assert.Equal(t, "mobilenet_v1_0.25_128_quant.tgz", e.Archive())
	assert.Equal(t, "uint8", e.DType())
	assert.Equal(t, 39.5, e.Top1)
	e, ok = Lookup("mobilenet_v1_1.0_224")
	require.True(t, ok)
	assert.Equal(t, "https://download.tensorflow.org/models/mobilenet_v1_2018_02_22/mobilenet_v1_1.0_224.tgz", e.URL)
	assert.Equal(t, 70.9, e.Top1)
	assert.Equal(t, 89.9, e.Top5)
	for _, alias := range []string{"1.0_224", "mobilenet_v1_1.0_224.tflite", "mobilenet_v1_1.0_224.tgz"} {
		a, ok := Lookup(alias)
		assert.True(t, ok, alias)
		assert.Equal(t, e, a, alias)
	}
	for _, bad := range []string{"", "1_224", "mobilenet_v1_1.0_225", "mobilenet_v2_1.0_224"} {
		_, ok := Lookup(bad)
		assert.False(t, ok, bad)
	}
}

// TestExactCounts checks the exact counts against known values and the
// published, rounded ones. The engine's figures for the release's files
// are 13570304 MACs and 467593 params for 0.25_128, and
// 568741376 MACs for 1.0_224 (extractor plus head).
func TestExactCounts(t *testing.T) {
	e, _ := Lookup("mobilenet_v1_0.25_128_quant")
	assert.Equal(t, int64(13570304), e.MACs())
	assert.Equal(t, int64(467593), e.Params())
	e, _ = Lookup("mobilenet_v1_1.0_224_quant")
	assert.Equal(t, int64(568741376), e.MACs())
	assert.Equal(t, int64(3196032+1026025), e.Params())

	// The published MACs are the exact ones rounded to millions (0.5_224:
	// 149.5 is given as 150), but for
	// two known differences of the release's table: its 0.75 row is 2.7%
	// below the architecture's counts (the paper's 325M for 0.75_224
	// agrees with ours), and 0.25_192's 34 is 30.2. The published params
	// are 0.4% to 1% above ours (4.24 vs 4.22 at 1.0: the paper says 4.2).
	for _, e := range Catalog {
		macs, params := float64(e.MACs())/1e6, float64(e.Params())/1e6
		switch {
		case e.Width == 0.75:
			assert.InEpsilon(t, e.MACsMillions*1.027, macs, 0.005, e.Name)
		case e.Width == 0.25 && e.Resolution == 192:
			assert.InDelta(t, 30.2, macs, 0.05, e.Name)
		default:
			assert.InDelta(t, e.MACsMillions, macs, 0.6, "%s: %.2fM MACs, published %g", e.Name, macs, e.MACsMillions)
		}
		assert.InEpsilon(t, e.ParamsMillions, params, 0.011, "%s: %.3fM params, published %g", e.Name, params, e.ParamsMillions)
	}
}

func TestArch(t *testing.T) {
	a := NewArch(0.75, 160)
	require.Len(t, a.Layers, 28)
	assert.Equal(t, Layer{Name: "Conv2d_0", Kernel: 3, Stride: 2, In: 3, Out: 24, InSize: 160, OutSize: 80, ReLU6: true}, a.Layers[0])
	assert.Equal(t, Layer{Name: "Conv2d_2_depthwise", Depthwise: true, Kernel: 3, Stride: 2, In: 48, Out: 48, InSize: 80, OutSize: 40, ReLU6: true}, a.Layers[3])
	assert.Equal(t, Layer{Name: "Conv2d_13_pointwise", Kernel: 1, Stride: 1, In: 768, Out: 768, InSize: 5, OutSize: 5, ReLU6: true}, a.Layers[26])
	assert.Equal(t, Layer{Name: "Logits/Conv2d_1c_1x1", Kernel: 1, Stride: 1, In: 768, Out: 1001, InSize: 1, OutSize: 1}, a.Logits())
	assert.Equal(t, 5, a.PoolSize)
	assert.Equal(t, 768, a.Features)
	var strides []int
	for _, l := range a.Extractor() {
		if l.Depthwise {
			strides = append(strides, l.Stride)
		}
	}
	assert.Equal(t, []int{1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1}, strides)
	for _, r := range Resolutions {
		assert.Equal(t, r/32, NewArch(1, r).PoolSize)
	}
}

func TestCatalogJSON(t *testing.T) {
	e, _ := Lookup("mobilenet_v1_0.5_160_quant")
	b, err := json.Marshal(e.JSON())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for k, v := range map[string]any{
		"name": "mobilenet_v1_0.5_160_quant", "width": 0.5, "width_name": "0.5", "resolution": 160.0, "quantized": true,
		"macs_millions": 77.0, "params_millions": 1.34, "top1": 57.7, "top5": 80.4,
		"macs": float64(e.MACs()), "params": float64(e.Params()), "dtype": "uint8",
		"url": e.URL, "tflite": e.TFLite, "archive": e.Archive(), "file": e.File(),
	} {
		assert.Equal(t, v, m[k], k)
	}
	assert.Len(t, m, 16, fmt.Sprint(m))

	all, err := CatalogJSON()
	require.NoError(t, err)
	var entries []EntryJSON
	require.NoError(t, json.Unmarshal(all, &entries))
	require.Len(t, entries, 32)
	assert.Equal(t, Catalog[5], entries[5].Entry)
	assert.False(t, math.IsNaN(m["top1"].(float64)))
}
