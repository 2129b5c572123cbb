// Package schema holds the FlatBuffers schemas the loader reads: a subset of
// TensorFlow Lite's model schema (tflite.fbs) and of its metadata schema
// (metadata.fbs). The Go code generated from them lives in
// mobilenet-wasm/loader/tflitefb and is committed; TestGenerated fails when it
// is stale.
//
// It holds no Go code of its own.
package schema

// Regenerate with `go generate ./loader/schema` (needs flatc on PATH; the
// committed files were made with flatc 2.0.8, then gofmt).
//
//go:generate flatc --go --gen-object-api --gen-onefile --go-namespace tflitefb -o ../tflitefb tflite.fbs metadata.fbs
//go:generate gofmt -w ../tflitefb
