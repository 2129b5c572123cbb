package textfmt

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// listedPackage is what `go list -json` says of a package.
type listedPackage struct {
	ImportPath, Dir, Export string
	GoFiles, Imports        []string
}

// TestCallSites type-checks every package of the wasm module (GOOS=wasip1,
// the full build, whose files include the classify-only build's but one)
// that imports textfmt, and checks each call with a constant format and
// a ...any argument list (Sprintf, Errorf and the packages' own wrappers,
// such as the loader's fail): its verbs are the package's, its argument
// count matches, and each argument's static type is one Sprintf formats as
// fmt would. A message that would print %!d(unsupported) fails here, not
// in a user's error.
func TestCallSites(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the engine's packages (go list -export): not in -short")
	}
	cmd := exec.Command("go", "list", "-deps", "-export", "-json=ImportPath,Dir,Export,GoFiles,Imports", "mobilenet-wasm/wasm")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	exports := map[string]string{}
	var checked []listedPackage
	for dec := json.NewDecoder(strings.NewReader(string(out))); ; {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		exports[p.ImportPath] = p.Export
		if slices.Contains(p.Imports, "mobilenet-wasm/internal/textfmt") {
			checked = append(checked, p)
		}
	}
	require.GreaterOrEqual(t, len(checked), 5, "loader, engine, engine/preprocess, kernels/simd and the module use textfmt")
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) { return os.Open(exports[path]) })
	calls := 0
	for _, p := range checked {
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, 0)
			require.NoError(t, err)
			files = append(files, f)
		}
		info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp, Sizes: types.SizesFor("gc", "wasm")}
		_, err := conf.Check(p.ImportPath, fset, files, info)
		require.NoError(t, err, p.ImportPath)
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if ok && checkCall(t, fset, info, call) {
					calls++
				}
				return true
			})
		}
	}
	require.Greater(t, calls, 100, "the engine's messages")
	t.Logf("%d calls with a constant format in %d packages", calls, len(checked))
}

// checkCall checks call when its callee takes (format string, args ...any)
// and its format is a constant, and reports whether it did.
func checkCall(t *testing.T, fset *token.FileSet, info *types.Info, call *ast.CallExpr) bool {
	sig, ok := info.TypeOf(call.Fun).(*types.Signature)
	if !ok || !sig.Variadic() || sig.Params().Len() < 2 {
		return false
	}
	n := sig.Params().Len()
	last, ok := sig.Params().At(n - 1).Type().(*types.Slice)
	if !ok || !types.Identical(last.Elem(), types.NewInterfaceType(nil, nil)) {
		return false
	}
	if b, ok := sig.Params().At(n - 2).Type().(*types.Basic); !ok || b.Kind() != types.String {
		return false
	}
	if len(call.Args) < n-1 {
		return false
	}
	tv := info.Types[call.Args[n-2]]
	if tv.Value == nil || tv.Value.Kind() != constant.String {
		return false // a wrapper passing its own format on
	}
	at := fset.Position(call.Pos())
	if call.Ellipsis.IsValid() {
		t.Errorf("%s: arguments passed on with ... to a constant format", at)
		return true
	}
	format := constant.StringVal(tv.Value)
	args := call.Args[n-1:]
	var verbs []rune
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		if i+1 == len(format) {
			t.Errorf("%s: format %q ends with %%", at, format)
			break
		}
		i++
		if format[i] == '%' {
			continue
		}
		if format[i] == '#' && i+1 < len(format) && format[i+1] == 'x' {
			i++
			verbs = append(verbs, 'X') // %#x
			continue
		}
		verbs = append(verbs, rune(format[i]))
	}
	if len(verbs) != len(args) {
		t.Errorf("%s: format %q has %d verbs for %d arguments", at, format, len(verbs), len(args))
		return true
	}
	for i, v := range verbs {
		typ := info.TypeOf(args[i])
		if b, ok := typ.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
			typ = types.Default(typ)
		}
		if !formats(v, typ) {
			t.Errorf("%s: %%%c of a %s in %q: textfmt does not format it as fmt would", at, v, typ, format)
		}
	}
	return true
}

var (
	errorType    = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	stringerType = types.NewInterfaceType([]*types.Func{types.NewFunc(token.NoPos, nil, "String",
		types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewVar(token.NoPos, nil, "", types.Typ[types.String])), false))}, nil).Complete()
)

// formats reports whether Sprintf formats a value of static type typ with
// verb as fmt does (see the package comment).
func formats(verb rune, typ types.Type) bool {
	isError := types.Implements(typ, errorType)
	isStringer := types.Implements(typ, stringerType)
	kind := types.Invalid
	if b, ok := typ.(*types.Basic); ok {
		kind = b.Kind()
	}
	integer := kind >= types.Int && kind <= types.Uintptr
	float := kind == types.Float32 || kind == types.Float64
	ints := types.Identical(typ, types.NewSlice(types.Typ[types.Int]))
	switch verb {
	case 'd':
		return integer || ints
	case 'X':
		return kind >= types.Uint && kind <= types.Uintptr
	case 'g':
		return float
	case 'w':
		return isError
	case 's', 'q':
		return kind == types.String || isError || isStringer
	case 'v':
		if i, ok := typ.Underlying().(*types.Interface); ok && i.Empty() {
			return true // a recovered panic: Sprintf prints errors, Stringers and strings, and marks the rest
		}
		return integer || float || kind == types.String || isError || isStringer || ints
	}
	return false
}
