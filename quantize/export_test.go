package quantize

// RangesOnFloat exposes rangesOnFloat to the measurements.
var RangesOnFloat = &rangesOnFloat
