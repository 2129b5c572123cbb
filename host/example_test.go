package host_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mobilenet-wasm/engine"
	"mobilenet-wasm/engine/imagefile"
	"mobilenet-wasm/host"
	"mobilenet-wasm/internal/testdata"
)

// Three goroutines classify three photos at once with one model in a pool
// of two sandboxed instances of engine.wasm, each call with a deadline.
func Example() {
	shared, _ := testdata.Find() // ../shared: the models and photos
	models := filepath.Join(shared, "models")

	ctx := context.Background()
	rt, err := host.New(ctx, host.Config{Instances: 2, MemoryLimit: 256 << 20})
	if err != nil {
		log.Fatal(err) // e.g. the binary was built without ./build.sh
	}
	defer rt.Close(ctx)

	tflite, err := os.ReadFile(filepath.Join(models, "mobilenet_v1_0.5_160_quant.tflite"))
	if err != nil {
		log.Fatal(err)
	}
	labels, err := os.ReadFile(filepath.Join(models, "imagenet_labels.txt"))
	if err != nil {
		log.Fatal(err)
	}
	model, err := rt.Load(ctx, [][]byte{tflite}, engine.Options{Labels: strings.Split(strings.TrimSpace(string(labels)), "\n")})
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()

	photos := []string{"cat.bmp", "parrot.jpg", "grace_hopper.bmp"}
	results := make([]string, len(photos))
	var wg sync.WaitGroup
	for i, name := range photos {
		wg.Go(func() {
			img, _, err := imagefile.DecodeFile(filepath.Join(shared, "images", name))
			if err != nil {
				results[i] = err.Error()
				return
			}
			callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			top, err := model.Classify(callCtx, img, 1)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = fmt.Sprintf("%s: %s (%.2f)", name, top[0].Label, top[0].Score)
		})
	}
	wg.Wait()
	fmt.Println(strings.Join(results, "\n"))
	// Output:
	// cat.bmp: Egyptian cat (0.61)
	// parrot.jpg: macaw (0.99)
	// grace_hopper.bmp: academic gown, academic robe, judge's robe (0.34)
}
