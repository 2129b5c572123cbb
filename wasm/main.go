package main

// ABIVersion is what mn_abi_version returns. It changes whenever an export's
// signature or meaning changes.
const ABIVersion = 1

// Status codes returned by the exports (see the package comment).
const (
	// StatusOK is success.
	StatusOK int32 = 0
	// StatusArgument is a bad handle, pointer, length, flag or dimension.
	StatusArgument int32 = -1
	// StatusInput is an input the engine refused: a tensor of the wrong
	// size, a frame smaller than its dimensions, an image call on a model
	// whose input is not an image.
	StatusInput int32 = -2
	// StatusInternal is a Go panic inside the module, recovered and
	// reported instead of trapping.
	StatusInternal int32 = -3
)

// FlagReference is the mn_load flag that selects TFLite's reference
// requantization (kernels.SchemeReference) instead of the fp32 default.
const FlagReference = 1

// MaxAlloc is the largest block mn_alloc hands out: 512 MiB, twice an
// 8192 x 8192 RGBA frame (imagefile.MaxPixels).
const MaxAlloc = 512 << 20

// main does nothing: the module is a reactor (-buildmode=c-shared), whose
// host calls _initialize and then the exports. On other platforms the
// package builds to an empty program so that go vet ./... and go build ./...
// cover it.
func main() {}
