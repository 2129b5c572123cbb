package abi_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"mobilenet-wasm/kernels/simd"
	"mobilenet-wasm/wasm/abi"
)

// siteDir is the JS loader's folder, from this package's.
var siteDir = filepath.Join("..", "..", "site")

// jsFile is the JS copy of this package's constants.
const jsFile = "engine-link.js"

// jsConstants maps each constant site/engine-link.js exports to the Go
// constant it copies.
var jsConstants = map[string]any{
	"ENGINE_ABI_VERSION":   abi.EngineVersion,
	"SIMD_ABI_VERSION":     abi.SIMDVersion,
	"SIMD_IMPORT_MODULE":   abi.SIMDImportModule,
	"SIMD_VERSION_EXPORT":  abi.SIMDVersionExport,
	"SIMD_MEMORY_MODULE":   abi.SIMDMemoryModule,
	"SIMD_MEMORY_NAME":     abi.SIMDMemoryName,
	"SIMD_THREADS_IMPORT":  abi.SIMDThreadsImport,
	"SIMD_PARALLEL_IMPORT": abi.SIMDParallelImport,
	"MAX_THREADS":          abi.MaxThreads,
	"SPAWN_KERNEL_WORKER":  abi.SpawnKernelWorkerMessage,
	"MIN_PART_WORK":        simd.MinPartWork,
	"DW_WORK_PER_MAC":      simd.DWWorkPerMAC,
	"CONV_WORK_PER_MAC":    simd.ConvWorkPerMAC,
	"STATUS_OK":            abi.StatusOK,
	"STATUS_ARGUMENT":      abi.StatusArgument,
	"STATUS_INPUT":         abi.StatusInput,
	"STATUS_INTERNAL":      abi.StatusInternal,
	"FLAG_REFERENCE":       abi.FlagReference,
	"SIMD_UNLINKED":        abi.SIMDUnlinked,
	"SIMD_OFF":             abi.SIMDOff,
	"SIMD_ON":              abi.SIMDOn,
	"SIMD_FILE":            abi.SIMDModuleFile,
	"RELAXED_SIMD_FILE":    abi.SIMDRelaxedModuleFile,
}

// jsExport matches a top-level `export const NAME = VALUE;` line.
var jsExport = regexp.MustCompile(`(?m)^export const (\w+) = (.*);$`)

// jsLiteral is how engine-link.js writes a Go constant's value.
func jsLiteral(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + v + "'"
	case int:
		return strconv.Itoa(v)
	case int32:
		return strconv.Itoa(int(v))
	}
	panic("jsLiteral: unexpected type")
}

// TestJSConstants checks that site/engine-link.js exports every constant of
// jsConstants with the Go value, and no other constant.
func TestJSConstants(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(siteDir, jsFile))
	require.NoError(t, err)
	exported := map[string]string{}
	for _, m := range jsExport.FindAllStringSubmatch(string(src), -1) {
		exported[m[1]] = m[2]
	}
	for name, v := range jsConstants {
		lit, ok := exported[name]
		if assert.True(t, ok, "site/%s does not export %s", jsFile, name) {
			assert.Equal(t, jsLiteral(v), lit, "site/%s: %s", jsFile, name)
		}
	}
	for name, lit := range exported {
		_, backed := jsConstants[name]
		assert.True(t, backed, "site/%s exports %s = %s, which no Go constant backs (add it to package abi and to jsConstants)", jsFile, name, lit)
	}
}

// TestNoABINumbersElsewhere checks that the other site/*.js files take the
// ABI's numbers from engine-link.js instead of writing their own.
func TestNoABINumbersElsewhere(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(siteDir, "*.js"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no JS files in %s", siteDir)
	for _, f := range files {
		// wasm_exec.js is Go's own glue for ui.wasm, copied by build.sh.
		if base := filepath.Base(f); base == jsFile || base == "wasm_exec.js" {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Empty(t, hardCodedABI(string(src)), "site/%s writes ABI numbers itself; import them from %s", filepath.Base(f), jsFile)
	}
}

// TestHardCodedABI checks the detector on the lines it must and must not
// report (the first three were in worker.js, mobilenet.js and bench.js).
func TestHardCodedABI(t *testing.T) {
	for _, c := range []struct {
		line   string
		report bool
	}{
		{"const ABI_VERSION = 1;", true},
		{"const ENGINE_ABI = 1;", true},
		{"    if (x.mn_abi_version() !== 1) throw new Error('old');", true},
		{"if (1 === x.mn_abi_version()) ok();", true},
		{"return {abi: 1, simd: true};", true},
		{"export const SIMD_ABI_VERSION = 1;", true},
		{"const STATUS_INPUT = -2;", true},
		{"let SIMD_ON = 2;", true},
		{"if (v !== ENGINE_ABI_VERSION) throw new Error(`ABI ${v}`);", false},
		{"      abi: ENGINE_ABI_VERSION,", false},
		{"const reason = 'the engine did not accept simd.wasm (ABI version?)';", false},
		{"// stubs (simd_abi_version() = 0, so the engine never calls a kernel)", false},
		{"x.free(); // mn_abi_version() === 1 here", false},
		{" * simd_abi_version() = 0 in a doc comment", false},
		{"const probability = 0.5;", false},
	} {
		got := hardCodedABI(c.line)
		if c.report {
			assert.NotEmpty(t, got, "%q is not reported", c.line)
		} else {
			assert.Empty(t, got, "%q is reported", c.line)
		}
	}
}

// abiNumber matches an ABI version compared with, assigned or given a
// number, either way round.
var abiNumber = regexp.MustCompile(`(?i)(\b|_)abi\w*(\(\))?\s*([!=]==?|=|:)\s*-?\d|\d\s*[!=]==?\s*[\w.]*(\b|_)abi`)

// redeclared matches a declaration of one of engine-link.js's names.
var redeclared = regexp.MustCompile(`\b(const|let|var)\s+(` + strings.Join(jsNames(), "|") + `)\s*=`)

// comment matches a comment line or a trailing " // comment".
var comment = regexp.MustCompile(`^\s*(//|/\*|\*).*|\s//\s.*$`)

// hardCodedABI returns the lines of JS source, comments aside, that write
// an ABI number themselves.
func hardCodedABI(src string) []string {
	var bad []string
	for _, line := range strings.Split(src, "\n") {
		code := comment.ReplaceAllString(line, "")
		if abiNumber.MatchString(code) || redeclared.MatchString(code) {
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	return bad
}

// jsNames lists the keys of jsConstants.
func jsNames() []string {
	var names []string
	for name := range jsConstants {
		names = append(names, name)
	}
	return names
}
