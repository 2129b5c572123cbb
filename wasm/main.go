package main

// main does nothing: the module is a reactor (-buildmode=c-shared), whose
// host calls _initialize and then the exports. On other platforms the
// package builds to an empty program so that go vet ./... and go build ./...
// cover it.
func main() {}
