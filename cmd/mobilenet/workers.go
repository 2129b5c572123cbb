package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// runWorkers runs work(c, i) for every i in [0, n) on one goroutine per
// classifier (a native Classifier runs one image at a time; a wasm model
// may be given once per worker, its runtime having an instance for each),
// and calls progress from the calling goroutine with the units done so
// far: work returns how
// many units item i was (an image, plus its augmented copies), so that a
// progress bar counts what takes time. It hands out no more items after
// the first error, and returns that error. A panic in work (an engine bug)
// becomes an error naming the item: workers run outside the command's
// recover.
func runWorkers[C any](cs []C, n int, work func(c C, i int) (units int, err error), progress func(done int)) error {
	type result struct {
		units int
		err   error
	}
	results := make(chan result)
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				units, err := recovered(c, i, work)
				results <- result{units, err}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	var first error
	done := 0
	for r := range results {
		if r.err != nil {
			if first == nil {
				first = r.err
			}
			stop.Store(true)
			continue
		}
		done += r.units
		progress(done)
	}
	return first
}

// recovered is work(c, i) with a panic turned into an error.
func recovered[C any](c C, i int, work func(C, int) (int, error)) (units int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("item %d: internal error: %v", i, r)
		}
	}()
	return work(c, i)
}
