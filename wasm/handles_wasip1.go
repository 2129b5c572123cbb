package main

import (
	"errors"
	"math"
)

// handles numbers the objects the host refers to (models, teaching
// sessions, calibrators). Numbers start at 1 and are never reused, so a
// stale number fails with an argument error instead of reaching a newer
// object.
type handles[T any] struct {
	missing string // the error for an unknown number, with one %d
	byID    map[int32]T
	last    int32
}

func newHandles[T any](missing string) *handles[T] {
	return &handles[T]{missing: missing, byID: map[int32]T{}}
}

// add gives v the next number.
func (t *handles[T]) add(v T) (int32, error) {
	if t.last == math.MaxInt32 {
		return 0, errors.New("out of handles")
	}
	t.last++
	t.byID[t.last] = v
	return t.last, nil
}

// get returns the object numbered h.
func (t *handles[T]) get(h int32) (T, error) {
	v, ok := t.byID[h]
	if !ok {
		return v, argErr(t.missing, h)
	}
	return v, nil
}

// free forgets h.
func (t *handles[T]) free(h int32) error {
	if _, ok := t.byID[h]; !ok {
		return argErr(t.missing, h)
	}
	delete(t.byID, h)
	return nil
}
