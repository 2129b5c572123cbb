#!/usr/bin/env bash
# Builds everything a browser needs into site/ (and the native CLI into bin/).
#
#   site/engine.wasm   the engine as a WASI reactor (ABI: wasm/doc.go),
#                      stripped; what browsers download and wasmtests runs.
#
# Environment: WASM_OPT=1 also runs Binaryen's wasm-opt -O2 over the module
# when wasm-opt is installed (off by default: see the note below).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
go build -o bin/mobilenet ./cmd/mobilenet
echo "built bin/mobilenet"

mkdir -p site
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-s -o site/engine.wasm ./wasm
echo "built site/engine.wasm"

# wasm-opt: Go's wasm uses bulk memory, sign extension and saturating
# float-to-int conversions, which wasm-opt must be told about. Measured with
# Debian's wasm-opt 108 (see the wasmtests README in the issue report): it
# saves well under 1% (raw and gzipped) and does not speed up inference, so
# it is opt-in.
if [[ "${WASM_OPT:-0}" == 1 ]]; then
  if command -v wasm-opt >/dev/null; then
    tmp=$(mktemp site/engine.opt.XXXXXX)
    if wasm-opt -O2 --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
        --enable-mutable-globals site/engine.wasm -o "$tmp" >"$tmp.log" 2>&1; then
      mv "$tmp" site/engine.wasm
      echo "optimised site/engine.wasm with $(wasm-opt --version)"
    else
      echo "wasm-opt failed; keeping the unoptimised site/engine.wasm:" >&2
      head -n 20 "$tmp.log" >&2
      rm -f "$tmp"
    fi
    rm -f "$tmp.log"
  else
    echo "WASM_OPT=1 but wasm-opt is not installed; site/engine.wasm is unoptimised" >&2
  fi
fi

# Sizes: raw, and gzipped as a server would send them.
for f in site/*.wasm; do
  printf '%-24s %9d bytes raw %9d bytes gzip -9\n' "$f" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
done
