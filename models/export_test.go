package models

// FillInput is fillInput, for the benchmarks of the external test package
// (which imports models/store, itself importing this package).
var FillInput = fillInput
