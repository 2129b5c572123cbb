#!/usr/bin/env bash
# Builds everything a browser needs into site/ (and the native CLI into bin/).
#
#   site/engine.wasm   the engine as a WASI reactor (ABI: wasm/doc.go),
#                      stripped and its data segments packed (below);
#                      what browsers download, and (copied to
#                      host/internal/embedded/files/, ignored by git) what
#                      package host embeds and runs under wazero;
#   site/engine-classify.wasm  the same without teaching and quantization
#                      (build tag classifyonly), for the page's classifier;
#   site/ui.wasm       the page's UI (Go, GOOS=js, ./ui), and
#   site/wasm_exec.js  Go's JS glue for it, from $(go env GOROOT);
#   site/simd.wasm     a copy of kernels/simd/simd.wasm, when it exists,
#   site/simd-relaxed.wasm  of kernels/simd/simd-relaxed.wasm (relaxed SIMD);
#   site/engine-threads.wasm, site/engine-classify-threads.wasm,
#   site/simd-threads.wasm, site/simd-relaxed-threads.wasm
#                      the same with a shared memory (kernel threads).
#
# Environment: WASM_OPT=1 also runs Binaryen's wasm-opt -O2 over the module
# when wasm-opt is installed (off by default: see the note below; the tests
# run whatever site/engine.wasm this script leaves).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p site
GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags=-s -o site/engine.wasm ./wasm
GOOS=wasip1 GOARCH=wasm go build -tags classifyonly -buildmode=c-shared -trimpath -ldflags=-s -o site/engine-classify.wasm ./wasm
# Go's linker starts a new data segment at every run of 8 or more zero
# bytes (engine.wasm: 62070 segments). That saves raw bytes but costs
# compressed ones: the segments' headers compress badly, while the zeros
# they skip would compress to almost nothing. wasm/datapack merges
# segments up to 1 KiB apart (1 is left): engine.wasm grows from 5.90 to
# 6.51 MB raw but shrinks on the wire, brotli -q 11 1.157 -> 1.087 MB,
# gzip -9 1.581 -> 1.474 MB (engine-classify.wasm brotli 0.661 -> 0.618
# MB, ui.wasm 0.909 -> 0.825 MB). Gaps up to 32 bytes gain nearly as
# much; larger gaps than 1 KiB gain nothing more.
go run ./wasm/datapack/pack site/engine.wasm site/engine.wasm
go run ./wasm/datapack/pack site/engine-classify.wasm site/engine-classify.wasm
echo "built site/engine.wasm, site/engine-classify.wasm"

GOOS=js GOARCH=wasm go build -trimpath -ldflags=-s -o site/ui.wasm ./ui
go run ./wasm/datapack/pack site/ui.wasm site/ui.wasm
goroot=$(go env GOROOT)
cp "$goroot/lib/wasm/wasm_exec.js" site/wasm_exec.js 2>/dev/null || cp "$goroot/misc/wasm/wasm_exec.js" site/wasm_exec.js
if [[ -f kernels/simd/simd.wasm ]]; then cp kernels/simd/simd.wasm site/simd.wasm; fi
if [[ -f kernels/simd/simd-relaxed.wasm ]]; then cp kernels/simd/simd-relaxed.wasm site/simd-relaxed.wasm; fi
echo "built site/ui.wasm, site/wasm_exec.js$([[ -f site/simd.wasm ]] && echo ', site/simd.wasm')$([[ -f site/simd-relaxed.wasm ]] && echo ', site/simd-relaxed.wasm')"

# wasm-opt (Binaryen) is opt-in. Go's wasm uses bulk memory, sign extension
# and saturating float-to-int conversions, which wasm-opt must be told
# about. Measured with Debian's wasm-opt 108 on this module: -O2 saves 0.5%
# raw and 0.6% gzipped, takes 20-80 s, and gives no speed-up (0.25_128
# quant: 21.3 ms plain, 21.6 ms -O2, 24.4 ms -O3 under wazero; no better in
# node 20 either), since Go's wasm code generation leaves little for it.
if [[ "${WASM_OPT:-0}" == 1 ]]; then
  if command -v wasm-opt >/dev/null; then
    tmp=$(mktemp site/engine.opt.XXXXXX)
    if wasm-opt -O2 --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
        --enable-mutable-globals site/engine.wasm -o "$tmp" >"$tmp.log" 2>&1; then
      mv "$tmp" site/engine.wasm
      # wasm-opt's memory-packing splits the data segments at zero runs again.
      go run ./wasm/datapack/pack site/engine.wasm site/engine.wasm
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

# Kernel threads (wasm/doc.go): copies of both modules whose memory is
# shared (wasm/sharedmem), for cross-origin isolated pages that run the
# SIMD kernels in several workers; other pages load the files above. The
# wazero host shares its embedded engine.wasm the same way at run time.
go run ./wasm/sharedmem/share site/engine.wasm site/engine-threads.wasm
go run ./wasm/sharedmem/share site/engine-classify.wasm site/engine-classify-threads.wasm
if [[ -f site/simd.wasm ]]; then go run ./wasm/sharedmem/share site/simd.wasm site/simd-threads.wasm; fi
if [[ -f site/simd-relaxed.wasm ]]; then go run ./wasm/sharedmem/share site/simd-relaxed.wasm site/simd-relaxed-threads.wasm; fi
echo "wrote site/engine-threads.wasm, site/engine-classify-threads.wasm$([[ -f site/simd.wasm ]] && echo ', site/simd-threads.wasm')$([[ -f site/simd-relaxed.wasm ]] && echo ', site/simd-relaxed-threads.wasm') (shared memory)"

# The module the host package embeds (host/internal/embedded), so the CLI
# is built after it and runs headless (bench/classify/eval -runtime wazero)
# with no site/ folder.
cp site/engine.wasm host/internal/embedded/files/engine.wasm
mkdir -p bin
go build -o bin/mobilenet ./cmd/mobilenet
echo "built bin/mobilenet (embedding site/engine.wasm)"

# Precompressed copies for 'mobilenet serve', which sends name.br to
# browsers accepting br and name.gz to those accepting gzip, when newer
# than name (serving gzips the others itself, once; it cannot make
# brotli): gzip -9 of the wasm files takes seconds that a first visit
# would otherwise wait for. Brotli -q 11 (Debian's brotli) makes the wasm
# a quarter smaller than gzip -9 (engine.wasm 1.09 MB instead of 1.47),
# which a first visit on a slow network waits for; it takes about 10 s of
# CPU a file, so the files are compressed in parallel. The page's own
# HTML, JS and CSS get brotli copies too (a tenth to a sixth smaller than
# gzip: 8 kB less of what a first visit waits for). Without brotli
# installed the page is served gzipped.
for f in site/*.wasm site/wasm_exec.js; do gzip -9 -k -f -n "$f"; done
echo "wrote site/*.wasm.gz, site/wasm_exec.js.gz"
rm -f site/*.br
if command -v brotli >/dev/null; then
  pids=()
  for f in site/*.wasm site/*.js site/*.css site/*.html; do brotli -q 11 -k -f "$f" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
  # brotli copies the file's mtime to whole seconds, older than the file:
  # serve would take the copy for stale.
  touch site/*.br
  echo "wrote site/*.wasm.br and the HTML, JS and CSS's .br"
else
  echo "brotli is not installed (apt-get install brotli): no .br copies, the page is served gzipped" >&2
fi

# Sizes: raw, and gzipped as a server would send them.
for f in bin/mobilenet site/*.wasm; do
  printf '%-24s %9d bytes raw %9d bytes gzip -9' "$f" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
  if [[ -f "$f.br" ]]; then printf ' %9d bytes brotli' "$(wc -c <"$f.br")"; fi
  echo
done
