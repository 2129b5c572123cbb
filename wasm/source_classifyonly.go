//go:build classifyonly

package main

// The classify-only build does not teach, so it keeps nothing of a
// model's file for a teaching session's export, and it does not link
// package tflitewrite (which brings archive/zip, reflect and fmt into the
// module).

// fileDetails is empty: nothing is kept.
type fileDetails struct{}

// readFileDetails keeps nothing.
func readFileDetails([]byte) (fileDetails, error) { return fileDetails{}, nil }
