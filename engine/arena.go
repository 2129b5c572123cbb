package engine

import (
	"encoding/binary"
	"math"
	"sort"
	"unsafe"
)

// arenaAlign keeps every buffer 16-byte aligned, so float32/int32 views and
// (later) 128-bit SIMD loads are aligned.
const arenaAlign = 16

// interval is one activation buffer's need: size bytes, live from step
// first to step last (inclusive).
type interval struct {
	size        int
	first, last int
	off         int
}

// assignOffsets places buffers in one arena so that buffers whose lifetimes
// overlap never share bytes, and returns the arena size. Greedy by size,
// largest first, each at the lowest offset free during its lifetime: the
// classic approach of TFLite's ArenaPlanner, near-optimal for chains.
func assignOffsets(bufs []*interval) int {
	order := make([]*interval, len(bufs))
	copy(order, bufs)
	sort.SliceStable(order, func(i, j int) bool { return order[i].size > order[j].size })
	var placed []*interval
	total := 0
	for _, b := range order {
		size := alignUp(b.size)
		// Collect the placed buffers live at the same time, by offset.
		var live []*interval
		for _, p := range placed {
			if p.first <= b.last && b.first <= p.last {
				live = append(live, p)
			}
		}
		sort.Slice(live, func(i, j int) bool { return live[i].off < live[j].off })
		off := 0
		for _, p := range live {
			if off+size <= p.off {
				break
			}
			if end := p.off + alignUp(p.size); end > off {
				off = end
			}
		}
		b.off = off
		placed = append(placed, b)
		if off+size > total {
			total = off + size
		}
	}
	return total
}

func alignUp(n int) int { return (n + arenaAlign - 1) &^ (arenaAlign - 1) }

// newArena returns a zeroed byte slice of n bytes whose start is aligned for
// any element type (allocated as uint64s).
func newArena(n int) []byte {
	if n == 0 {
		return nil
	}
	words := make([]uint64, (n+7)/8+2)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*8)
	// make([]uint64) is 8-byte aligned; move to 16.
	if a := uintptr(unsafe.Pointer(&b[0])) % arenaAlign; a != 0 {
		b = b[arenaAlign-a:]
	}
	return b[:n:n]
}

// f32 views b (aligned, a multiple of 4 bytes) as float32s.
func f32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// i8 views b as int8s.
func i8(b []byte) []int8 { return bytesAs[int8](b) }

// bytesAs views b as a slice of the 8-bit type T (uint8: b itself).
func bytesAs[T uint8 | int8](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b))
}

// alignedClone copies b into a new arena-aligned buffer (constants read
// through float32 or int32 views).
func alignedClone(b []byte) []byte {
	c := newArena(len(b))
	copy(c, b)
	return c
}

// asBytes views an 8-bit filter as bytes.
func asBytes[T uint8 | int8](w []T) []byte {
	if len(w) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&w[0])), len(w))
}

// f32Bytes encodes float32s as little-endian bytes (a copy).
func f32Bytes(w []float32) []byte {
	b := make([]byte, 4*len(w))
	for i, v := range w {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}
