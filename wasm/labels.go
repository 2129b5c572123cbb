package main

import "strings"

// parseLabels splits mn_load's labels text into one label per line,
// accepting "\r\n" line ends and ignoring a final newline, as the CLI's
// -labels files are read. Empty text gives nil (keep the model's labels).
func parseLabels(text []byte) []string {
	s := strings.TrimRight(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
