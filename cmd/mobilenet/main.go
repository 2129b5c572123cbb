// Command mobilenet classifies images with MobileNet V1 TFLite models, in
// plain Go (package engine), natively on the command line.
//
// Usage:
//
//	mobilenet <command> [flags] [arguments]
//
// Commands:
//
//	classify  print the top-k classes of each image
//	infer     run one raw input tensor and write the raw output tensor
//	info      describe models: input, output, ops, MACs and parameters
//	eval      top-1 / top-5 accuracy over a folder of labelled images
//	train     train a head for new classes on a folder of class folders
//	bench     time inferences natively: median, p10, p90, GMAC/s
//	models    list, fetch, import and synthesize the release's 32 models
//	serve     serve the web page and the models folder over HTTP
//	help      show the help of the tool or of a command
//
// Every command takes -h (or --help) for its flags and an example. A model
// is one .tflite file, or a feature extractor followed by a head: repeat -m
// to chain them (-m extractor.tflite -m head.tflite). Quantized models run
// with fp32 requantization (what TFLite runs through XNNPACK) unless
// -requant reference asks for TFLite's reference kernels' fixed point.
//
// Labels come from -labels FILE (one per line), else from the model's
// embedded labels, else from imagenet_labels.txt next to a model file (when
// its line count fits the model's classes); otherwise they are empty.
//
// Exit status: 0 on success, 1 on an error (one line on stderr:
// "mobilenet: <command>: <what went wrong>"), 2 on a usage error.
//
// Only 'models fetch' downloads anything, and 'serve' only hands local
// files (the web page, the models folder) to browsers: every other command
// reads local files only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"mobilenet-wasm/kernels"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand of the tool.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order the help shows them.
var commands = []command{
	{"classify", "print the top-k classes of each image", runClassify},
	{"infer", "run one raw input tensor and write the raw output tensor", runInfer},
	{"info", "describe models: input, output, ops, MACs and parameters", runInfo},
	{"eval", "top-1 / top-5 accuracy over a folder of labelled images", runEval},
	{"train", "train a head for new classes on a folder of class folders", runTrain},
	{"bench", "time inferences natively: median, p10, p90, GMAC/s", runBench},
	{"models", "list, fetch, import and synthesize the release's 32 models", runModels},
	{"quantize", "convert a float model to uint8 or int8 by post-training quantization", runQuantize},
	{"serve", "serve the web page and the models folder over HTTP", runServe},
}

const toolHelp = `mobilenet classifies images with MobileNet V1 TFLite models, in plain Go.

Usage:
  mobilenet <command> [flags] [arguments]

Commands:
%s  help      show this help, or a command's: mobilenet help <command>

Run 'mobilenet <command> -h' for a command's flags and an example.
Exit status: 0 ok, 1 error (one line on stderr), 2 usage error.

Example:
  mobilenet classify -m mobilenet_v1_0.25_128_quant.tflite cat.jpg
`

func printToolHelp(w io.Writer) {
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, toolHelp, b.String())
}

// run is the whole tool: args without the program name; it returns the exit
// status. It never panics: a panic anywhere below (a bug) is reported as one
// line on stderr with status 1.
func run(args []string, stdout, stderr io.Writer) (status int) {
	name := ""
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintln(stderr, errorLine(name, fmt.Errorf("internal error: %v", r)))
			status = 1
		}
	}()
	if len(args) == 0 {
		printToolHelp(stderr)
		return 2
	}
	name = args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			// "help classify" is "classify -h".
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		printToolHelp(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ue usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintln(stderr, errorLine(name, fmt.Errorf("%v (see 'mobilenet %s -h')", err, name)))
			return 2
		default:
			fmt.Fprintln(stderr, errorLine(name, err))
			return 1
		}
	}
	fmt.Fprintln(stderr, errorLine("", fmt.Errorf("unknown command %q (see 'mobilenet -h')", name)))
	return 2
}

// errorLine formats err as the one stderr line of a failed run.
func errorLine(cmd string, err error) string {
	var parts []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	msg := strings.Join(parts, "; ")
	if cmd == "" {
		return "mobilenet: " + msg
	}
	return "mobilenet: " + cmd + ": " + msg
}

// usageError is a command line the command cannot run (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// cmdHelp is what a command's -h prints: a usage line, what the command
// does, its flags and an example.
type cmdHelp struct {
	usage   string // after "Usage: "
	about   string // paragraphs
	example string // lines, without indentation
}

// newFlagSet returns a silent flag set: parse errors become usage errors
// and -h prints h to stdout (see parseFlags).
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args with fs, allowing flags after positional
// arguments (until "--"), and returns the positional arguments. On -h it
// prints the help to stdout and returns flag.ErrHelp; a bad flag gives a
// usageError.
func parseFlags(fs *flag.FlagSet, h cmdHelp, args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printCmdHelp(fs, h, stdout)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs is parseFlags for a command that takes flags only: a
// positional argument is a usage error.
func parseNoArgs(fs *flag.FlagSet, h cmdHelp, args []string, stdout io.Writer) error {
	rest, err := parseFlags(fs, h, args, stdout)
	if err == nil && len(rest) > 0 {
		err = usagef("unexpected argument %q", rest[0])
	}
	return err
}

// parseArgs is parseFlags for a command that needs at least one
// positional argument, a what ("model", "file"): none is a usage error.
func parseArgs(fs *flag.FlagSet, h cmdHelp, args []string, stdout io.Writer, what string) ([]string, error) {
	pos, err := parseFlags(fs, h, args, stdout)
	if err == nil && len(pos) == 0 {
		err = usagef("no %s given", what)
	}
	return pos, err
}

func printCmdHelp(fs *flag.FlagSet, h cmdHelp, w io.Writer) {
	fmt.Fprintf(w, "Usage: mobilenet %s\n\n%s\n\nFlags:\n", h.usage, strings.TrimSpace(h.about))
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintf(w, "\nExample:\n")
	for _, l := range strings.Split(strings.TrimSpace(h.example), "\n") {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// listFlag is a repeatable string flag (-m A -m B).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// schemeFlag is the -requant flag.
type schemeFlag kernels.Scheme

func (s *schemeFlag) String() string { return kernels.Scheme(*s).String() }
func (s *schemeFlag) Set(v string) error {
	switch v {
	case "fp32":
		*s = schemeFlag(kernels.SchemeFP32)
	case "reference":
		*s = schemeFlag(kernels.SchemeReference)
	default:
		return fmt.Errorf("want fp32 or reference")
	}
	return nil
}

const (
	modelFlagHelp   = "model `file` (.tflite), required; repeat to chain a feature extractor and a head"
	requantFlagHelp = "requantization `scheme` of quantized models: fp32 (default, TFLite via XNNPACK) or reference (TFLite's reference kernels)"
)
