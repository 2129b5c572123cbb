// Command hello prints what its initialized data holds, for TestGoProgram
// to compare before and after packing: a table of strings, a map, and a
// sparse array whose zero runs make the Go linker split it into data
// segments with gaps both below and above 1 KiB.
package main

import (
	"fmt"
	"slices"
)

var words = []string{"alpha", "beta", "gamma", "delta", "epsilon"}

var ages = map[string]int{"ada": 36, "grace": 85, "alan": 41}

var sparse = [8192]uint16{1: 1, 20: 2, 300: 3, 2000: 4, 2001: 5, 6000: 6, 8191: 7}

func main() {
	for i, w := range words {
		fmt.Println(i, w)
	}
	names := make([]string, 0, len(ages))
	for n := range ages {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Println(n, ages[n])
	}
	for i, v := range sparse {
		if v != 0 {
			fmt.Println("sparse", i, v)
		}
	}
}
