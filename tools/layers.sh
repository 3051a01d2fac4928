#!/bin/sh
# `make layers`: every include between the library's folders goes down the
# layers, never up or sideways, and names its folder ("cells/cell.h").
# The layers, each with the folders it may include from (docs/DESIGN.md):
#   base     errors, files, big buffers, random numbers
#   kernels  GEMM, packed kernels, vectorised exp/σ/tanh     base
#   io       file formats: safetensors, CSV                   base
#   cells    RNN, LSTM, GRU cells, one step forward/backward  base kernels
#   stack    layers × directions × time, checkpoints of one   base kernels io cells
#   data     text, words, tokens, labelled text, series, music  base io
#   model    language and sequence models, losses, sampling   base kernels io cells stack data
#   train    optimizers, schedules, trainers                  ... model
#   eval     metrics, baselines                               ... train
# include/recur.h, the public API, may be included from anywhere. The CLI
# (cli/) and the tests may include any layer; the library never includes them.
set -eu
cd "$(dirname "$0")/.."
allowed() {
    case $1 in
    base) echo "" ;;
    kernels) echo "base" ;;
    io) echo "base" ;;
    cells) echo "base kernels" ;;
    stack) echo "base kernels io cells" ;;
    data) echo "base io" ;;
    model) echo "base kernels io cells stack data" ;;
    train) echo "base kernels io cells stack data model" ;;
    eval) echo "base kernels io cells stack data model train" ;;
    *) return 1 ;;
    esac
}
bad=0
incs=$(mktemp)
trap 'rm -f "$incs"' EXIT
for f in src/*; do
    [ -d "$f" ] || { echo "layers: $f: every file of src/ belongs in a layer's folder" >&2; bad=1; }
done
for f in src/*/*.c src/*/*.h; do
    layer=$(basename "$(dirname "$f")")
    ok=$(allowed "$layer") || { echo "layers: $f: src/$layer is no layer (tools/layers.sh)" >&2; bad=1; continue; }
    # each quoted include: its line number and name
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' >"$incs" || true
    while read -r line inc; do
        case $inc in
        recur.h) continue ;;
        */*) to=${inc%%/*} ;;
        *) [ -f "$(dirname "$f")/$inc" ] && [ "${f##*/}" != "$inc" ] &&
               { echo "$f:$line: #include \"$inc\" must name its folder (\"$layer/$inc\")" >&2; bad=1; continue; }
           echo "$f:$line: #include \"$inc\": no such header in src/$layer; name its folder" >&2; bad=1; continue ;;
        esac
        [ "$to" = "$layer" ] && continue
        case " $ok " in
        *" $to "*) ;;
        *) echo "$f:$line: #include \"$inc\": $layer may not include from $to (layers: $layer uses ${ok:-nothing})" >&2
           bad=1 ;;
        esac
    done <"$incs"
done
[ "$bad" = 0 ] && echo "layers: every include of src/ goes down the layers"
exit $bad
