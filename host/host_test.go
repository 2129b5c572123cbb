package host

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"image"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/internal/testdata"
	"mobilenet-wasm/kernels"
	"mobilenet-wasm/loader"
	"mobilenet-wasm/tflitewrite"
)

// TestMatchesNative runs a quantized model, a float one and the extractor
// + head chain through the pool with SIMD (the quantized one portable
// too), in both requantization schemes for the quantized one, on photos of several image types (JPEG's
// YCbCr, BMP's RGBA, a grey image, an image with an offset origin): Info,
// Classify, Embed and Infer must give exactly the native engine's results.
func TestMatchesNative(t *testing.T) {
	t.Parallel()
	photos := map[string]image.Image{"parrot.jpg": photo(t, "parrot.jpg"), "cat.bmp": photo(t, "cat.bmp")}
	gray := image.NewGray(image.Rect(0, 0, 97, 61))
	for i := range gray.Pix {
		gray.Pix[i] = byte(i * 7)
	}
	photos["gray"] = gray
	photos["offset"] = photos["parrot.jpg"].(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(40, 30, 300, 250))
	labels := testdata.ImagenetLabels(t)
	cases := []struct {
		model string
		opts  engine.Options
	}{
		{"mobilenet_v1_0.25_128_quant", engine.Options{Labels: labels}},
		{"mobilenet_v1_0.25_128_quant", engine.Options{Scheme: kernels.SchemeReference}},
		{"mobilenet_v1_0.25_224", engine.Options{Labels: labels}},
		{"mobilenet_v1_1.0_224_quant", engine.Options{}},
	}
	// Portable, SIMD, and SIMD on 2 kernel threads (Config.Threads).
	for _, cfg := range []Config{{Instances: 2}, {Instances: 2, Portable: true}, {Instances: 1, Threads: 2}} {
		portable := cfg.Portable
		r := newRuntime(t, cfg)
		for _, c := range cases {
			if portable && c.model != "mobilenet_v1_0.25_128_quant" {
				continue // the portable kernels are 10x slower; wasmmod's tests check them on every model
			}
			what := c.model + " " + c.opts.Scheme.String() + " portable=" + strconv.FormatBool(portable) + " threads=" + strconv.Itoa(cfg.Threads)
			native := loadNative(t, c.model, c.opts)
			md := load(t, r, c.model, c.opts)
			require.Equal(t, native.Info(), md.Info(), what)
			ctx := context.Background()
			for name, img := range photos {
				want, err := native.Classify(img, 5)
				require.NoError(t, err)
				got, err := md.Classify(ctx, img, 5)
				require.NoError(t, err, "%s %s", what, name)
				require.Equal(t, want, got, "%s %s: Classify", what, name)
				if c.opts.Labels != nil {
					require.NotEmpty(t, got[0].Label)
				}
				wantV, err := native.Embed(img)
				require.NoError(t, err)
				gotV, err := md.Embed(ctx, img)
				require.NoError(t, err)
				require.True(t, testdata.SameBits(wantV, gotV), "%s %s: Embed", what, name)
				in := append([]byte(nil), native.Input()...) // the photo's input tensor, from Embed
				wantOut, err := native.Infer(in)
				require.NoError(t, err)
				gotOut, err := md.Infer(ctx, in)
				require.NoError(t, err)
				require.True(t, bytes.Equal(wantOut, gotOut), "%s %s: Infer", what, name)
			}
		}
	}
}

// TestErrors: bad configurations, bad models and bad inputs give errors,
// and the Runtime keeps serving; closed Models and Runtimes give
// ErrClosed.
func TestErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, cfg := range []Config{{Instances: -1}, {MemoryLimit: 100}, {MemoryLimit: 5 << 30}, {MemoryLimit: 1 << 20}} {
		_, err := New(ctx, cfg)
		require.Error(t, err, "%+v", cfg)
		t.Logf("%+v: %v", cfg, err)
	}
	r := newRuntime(t, Config{Instances: 1})
	_, err := r.Load(ctx, [][]byte{[]byte("not a model")}, engine.Options{})
	require.ErrorContains(t, err, "TFLite")
	_, err = r.Load(ctx, nil, engine.Options{})
	require.Error(t, err)
	_, err = r.Load(ctx, testdata.Golden("mobilenet_v1_0.25_128_quant").Read(t), engine.Options{Scheme: kernels.Scheme(9)})
	require.ErrorContains(t, err, "scheme")

	md := load(t, r, "mobilenet_v1_0.25_128_quant", engine.Options{})
	_, err = md.Infer(ctx, make([]byte, 10))
	require.ErrorContains(t, err, "input")
	_, err = md.ClassifyRGBA(ctx, make([]byte, 64), 4, 4, 16, -1)
	require.Error(t, err, "k = -1")
	_, err = md.Classify(ctx, image.NewGray(image.Rect(0, 0, 0, 0)), 5)
	require.ErrorContains(t, err, "empty image")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = md.Infer(cancelled, md.Info().Input.MidGrey())
	require.ErrorIs(t, err, context.Canceled)
	top, err := md.Classify(ctx, photo(t, "cat.bmp"), 1)
	require.NoError(t, err, "after the errors")
	require.Equal(t, 286, top[0].Index)

	require.NoError(t, md.Close())
	_, err = md.Infer(ctx, md.Info().Input.MidGrey())
	require.ErrorIs(t, err, ErrClosed)
	md2 := load(t, r, "mobilenet_v1_0.25_128_quant", engine.Options{})
	require.NoError(t, r.Close(ctx))
	_, err = md2.Infer(ctx, md2.Info().Input.MidGrey())
	require.ErrorIs(t, err, ErrClosed)
	_, err = r.Load(ctx, testdata.Golden("mobilenet_v1_0.25_128_quant").Read(t), engine.Options{})
	require.ErrorIs(t, err, ErrClosed)
}

// hostileModel is a valid 300-byte model whose activations need 176 MiB:
// a float32 2048x2048x3 input and a 1x1 convolution to 8 channels.
func hostileModel(tb testing.TB) []byte {
	tb.Helper()
	g := &tflitewrite.Graph{Description: "hostile: huge activations"}
	in := g.AddTensor(tflitewrite.Tensor{Name: "input", Type: loader.Float32, Shape: []int{1, 2048, 2048, 3}})
	out := g.AddTensor(tflitewrite.Tensor{Name: "out", Type: loader.Float32, Shape: []int{1, 2048, 2048, 8}})
	w := g.AddTensor(tflitewrite.Tensor{Name: "w", Type: loader.Float32, Shape: []int{8, 1, 1, 3}, Data: make([]byte, 4*8*3)})
	b := g.AddTensor(tflitewrite.Tensor{Name: "b", Type: loader.Float32, Shape: []int{8}, Data: make([]byte, 4*8)})
	g.AddOperator(tflitewrite.Operator{Op: loader.OpConv2D, Inputs: []int{in, w, b}, Outputs: []int{out},
		Options: &loader.Conv2DOptions{Padding: loader.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1}})
	g.Inputs, g.Outputs = []int{in}, []int{out}
	data, err := tflitewrite.Write(g)
	require.NoError(tb, err)
	return data
}

// memorySizes waits for every instance of r to be idle and returns each
// one's linear memory size and identity (0 and nil for a slot without one).
func memorySizes(tb testing.TB, r *Runtime) ([]uint32, []any) {
	tb.Helper()
	var held []*slot
	for range r.n {
		held = append(held, <-r.slots)
	}
	// The pool hands slots out in turn: sort them by identity to compare
	// two snapshots.
	slices.SortFunc(held, func(a, b *slot) int { return cmp.Compare(uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(b))) })
	var sizes []uint32
	var ids []any
	for _, s := range held {
		if s.mod == nil {
			sizes, ids = append(sizes, 0), append(ids, nil)
		} else {
			sizes, ids = append(sizes, s.mod.MemorySize()), append(ids, s.mod)
		}
		r.slots <- s
	}
	return sizes, ids
}

// TestUnderLoad is the pool under load: 8 goroutines share a Runtime of 2
// instances capped at 64 MiB each and classify photos (JPEG, BMP, 720p
// JPEG) with the 0.25_128 quantized model, n times each (50 by default,
// MOBILENET_HOST_LOAD=1000 for the full run, about 8000 classifications).
// While they run, another goroutine loads a hostile model that needs 176
// MiB: it alone fails, with the memory limit in its error. Every
// classification must equal the native engine's, there must be no other
// error, and once warm (after the hostile load and the first tenth of the
// calls, at least 25 a goroutine) each instance's memory must not grow.
func TestUnderLoad(t *testing.T) {
	const (
		goroutines = 8
		// One heap arena of Go's wasm runtime (4 MiB, the step its heap
		// grows by): GC pacing may still take one after warm-up, while a
		// leak of anything a call allocates (frames of 0.7-3.7 MB) grows
		// memory by that much every call.
		growthSlack = 4 << 20
	)
	n := 50
	if s := os.Getenv("MOBILENET_HOST_LOAD"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err, "MOBILENET_HOST_LOAD")
	}
	ctx := context.Background()
	const model = "mobilenet_v1_0.25_128_quant"
	r := newRuntime(t, Config{Instances: 2, MemoryLimit: 64 << 20})
	opts := engine.Options{Labels: testdata.ImagenetLabels(t)}
	md := load(t, r, model, opts)
	native := loadNative(t, model, opts)
	names := []string{"parrot.jpg", "cat.bmp", "cat_720p.jpg", "owl.jpg"}
	imgs := make([]image.Image, len(names))
	want := make([][]engine.Prediction, len(names))
	for i, name := range names {
		imgs[i] = photo(t, name)
		var err error
		want[i], err = native.Classify(imgs[i], 5)
		require.NoError(t, err)
	}

	warm := max(25, n/10)
	var calls, failures atomic.Int64
	run := func(g, from, to int) error {
		for i := from; i < to; i++ {
			p := (g + i) % len(imgs)
			got, err := md.Classify(ctx, imgs[p], 5)
			calls.Add(1)
			if err != nil {
				failures.Add(1)
				return err
			}
			if !equalPredictions(got, want[p]) {
				failures.Add(1)
				return errors.New(names[p] + ": differs from the native engine's")
			}
		}
		return nil
	}
	phase := func(from, to int) {
		var wg sync.WaitGroup
		errs := make([]error, goroutines)
		for g := range goroutines {
			wg.Go(func() { errs[g] = run(g, from, to) })
		}
		wg.Wait()
		for g, err := range errs {
			require.NoError(t, err, "goroutine %d", g)
		}
	}

	// Warm-up, with the hostile load in the middle of it.
	var hostileErr error
	var hw sync.WaitGroup
	hostile := hostileModel(t)
	hw.Go(func() {
		_, hostileErr = r.Load(ctx, [][]byte{hostile}, engine.Options{})
	})
	phase(0, warm)
	hw.Wait()
	require.Error(t, hostileErr, "the hostile model loaded within 64 MiB")
	require.ErrorContains(t, hostileErr, "out of memory")
	_, guest, _ := strings.Cut(hostileErr.Error(), "guest stderr:")
	t.Logf("hostile model (%d bytes): %.80s ... guest stderr: %.200s", len(hostile), hostileErr, strings.TrimSpace(guest))

	sizes0, ids0 := memorySizes(t, r)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc
	start := time.Now()
	phase(warm, n)
	elapsed := time.Since(start)
	sizes1, ids1 := memorySizes(t, r)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("%d goroutines x %d classifications, 2 instances: %d calls, %d failures; after warm-up %.1f s (%.0f classifications/s); "+
		"instance memory %v KiB after warm-up, %v KiB at the end; host Go heap %d KiB -> %d KiB",
		goroutines, n, calls.Load(), failures.Load(), elapsed.Seconds(), float64(goroutines*(n-warm))/elapsed.Seconds(),
		kib(sizes0), kib(sizes1), heap0>>10, ms.HeapAlloc>>10)
	require.Zero(t, failures.Load())
	for i := range sizes0 {
		require.Same(t, ids0[i], ids1[i], "instance %d was replaced after warm-up", i)
		require.LessOrEqual(t, sizes1[i], sizes0[i]+growthSlack, "instance %d's memory grew by %d KiB", i, (sizes1[i]-sizes0[i])>>10)
	}
}

func kib(sizes []uint32) []uint32 {
	out := make([]uint32, len(sizes))
	for i, s := range sizes {
		out[i] = s >> 10
	}
	return out
}

// equalPredictions reports whether a and b are the same classes, labels
// and scores (bitwise).
func equalPredictions(a, b []engine.Prediction) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Index != b[i].Index || a[i].Label != b[i].Label || math.Float32bits(a[i].Score) != math.Float32bits(b[i].Score) {
			return false
		}
	}
	return true
}

// slowModel is a valid float model that runs 30 1x1 convolutions of
// 128 channels on a 128x128 grid: 8 GMAC, seconds under wazero, one SIMD
// kernel call a layer.
func slowModel(tb testing.TB) []byte {
	tb.Helper()
	const side, ch, layers = 128, 128, 30
	g := &tflitewrite.Graph{Description: "slow: 30 large 1x1 convolutions"}
	x := g.AddTensor(tflitewrite.Tensor{Name: "input", Type: loader.Float32, Shape: []int{1, side, side, ch}})
	g.Inputs = []int{x}
	for i := range layers {
		w := g.AddTensor(tflitewrite.Tensor{Name: "w" + strconv.Itoa(i), Type: loader.Float32, Shape: []int{ch, 1, 1, ch}, Data: make([]byte, 4*ch*ch)})
		b := g.AddTensor(tflitewrite.Tensor{Name: "b" + strconv.Itoa(i), Type: loader.Float32, Shape: []int{ch}, Data: make([]byte, 4*ch)})
		y := g.AddTensor(tflitewrite.Tensor{Name: "y" + strconv.Itoa(i), Type: loader.Float32, Shape: []int{1, side, side, ch}})
		g.AddOperator(tflitewrite.Operator{Op: loader.OpConv2D, Inputs: []int{x, w, b}, Outputs: []int{y},
			Options: &loader.Conv2DOptions{Padding: loader.PaddingSame, StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, Activation: loader.ActRelu6}})
		x = y
	}
	g.Outputs = []int{x}
	data, err := tflitewrite.Write(g)
	require.NoError(tb, err)
	return data
}

// TestInferKeepsMemoryFlat: repeated calls reuse the guest's input block,
// so the instance's memory stops growing after the first calls. With a
// new block a call, a float model's 588 KiB input made the guest heap grow
// by 4 MiB over the first eight calls and collect every few calls (one
// call in five took 25x longer).
func TestInferKeepsMemoryFlat(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, Config{Instances: 1})
	md := load(t, r, "mobilenet_v1_0.25_224", engine.Options{})
	in := md.Info().Input.MidGrey()
	ctx := context.Background()
	for range 2 {
		_, err := md.Infer(ctx, in)
		require.NoError(t, err)
	}
	before, _ := memorySizes(t, r)
	for range 30 {
		_, err := md.Infer(ctx, in)
		require.NoError(t, err)
	}
	after, _ := memorySizes(t, r)
	require.Equal(t, before, after, "the instance's memory grew over 30 calls")
}

// TestDeadline: calls on a slow model (seconds a call) with a 50 ms
// deadline return context.DeadlineExceeded soon after it, and their
// instance stops at its next layer, while a small model keeps classifying
// in the other instance; then the slow model runs again, in a new
// instance, with the same output. With the SIMD kernels only: the
// portable ones make no host call during an inference, so a call that
// overruns its deadline runs to its end in the instance left behind.
//
// The test keeps a P free beyond its two instances' (see the package's
// Notes): on a 2-core machine both would otherwise be inside wasm calls,
// and the deadline's timer would wait for one of them to return.
func TestDeadline(t *testing.T) {
	if n := runtime.GOMAXPROCS(0); n < 3 {
		runtime.GOMAXPROCS(3)
		t.Cleanup(func() { runtime.GOMAXPROCS(n) })
	}
	ctx := context.Background()
	r := newRuntime(t, Config{Instances: 2})
	slow, err := r.Load(ctx, [][]byte{slowModel(t)}, engine.Options{})
	require.NoError(t, err)
	small := load(t, r, "mobilenet_v1_0.25_128_quant", engine.Options{})
	in := slow.Info().Input.MidGrey()
	t0 := time.Now()
	want, err := slow.Infer(ctx, in)
	full := time.Since(t0)
	require.NoError(t, err)
	cat := photo(t, "cat.bmp")

	stop := make(chan struct{})
	var served atomic.Int64
	var wg sync.WaitGroup
	var smallErr error
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			top, err := small.Classify(ctx, cat, 1)
			if err == nil && top[0].Index != 286 {
				err = errors.New("cat.bmp is not class 286")
			}
			if err != nil {
				smallErr = err
				return
			}
			served.Add(1)
		}
	})
	for range 3 {
		dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		t0 := time.Now()
		_, err := slow.Infer(dctx, in)
		took := time.Since(t0)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
		t.Logf("stopped after %v (a whole call: %v): %v", took.Round(time.Millisecond), full.Round(time.Millisecond), err)
		// Not a tight bound: this machine may be busy with other tests,
		// and the call may wait for a garbage collection that waits for
		// an instance loading the model (see the package's Notes). A
		// call that ran to its end would take longer than full.
		require.Less(t, took, full, "the call ran on past its deadline")
	}
	close(stop)
	wg.Wait()
	require.NoError(t, smallErr, "the small model, meanwhile")
	require.Positive(t, served.Load(), "the small model was not served meanwhile")
	got, err := slow.Infer(ctx, in)
	require.NoError(t, err, "after the deadlines")
	require.True(t, bytes.Equal(want, got), "the output changed after the deadlines")
	t.Logf("the small model classified %d photos meanwhile", served.Load())
}
