#!/bin/sh
# Trains the same character language model with recur and with PyTorch
# (tools/charlm_torch.py), one after the other on this machine, for the same
# wall-time budget, and keeps both logs: the numbers in docs/RESULTS.md.
#   bench/charlm_compare.sh [CELL] [SECONDS] [OUTDIR]   (defaults: lstm 3000 build/results)
# Environment: HIDDEN (default 512), LR (default 2e-3), RECUR (the binary,
# default build/recur;
# point it at a copy so that rebuilding during a long run cannot change it),
# TORCH=0 to train with recur only.
# Configuration (both): tinyshakespeare, last 10% validation, 2 layers x 512,
# embedding 64, dropout 0.2, B 64, T 100, Adam 2e-3, clip 5, seed 1,
# 2 threads, validation at each epoch end. PyTorch runs with its default
# OpenMP setting (its best on a quiet machine, see tools/README.md).
set -eu
cell=${1:-lstm}
seconds=${2:-3000}
out=${3:-build/results}/$cell
data=${RECUR_DATA:-../shared/data}/tinyshakespeare/input.txt
hidden=${HIDDEN:-512}
lr=${LR:-2e-3}
recur=${RECUR:-build/recur}
mkdir -p "$out"
common="--data $data --cell $cell --hidden $hidden --layers 2 --embed 64 --seq-len 100 --batch 64 --dropout 0.2 --optimizer adam --lr $lr --clip 5 --seed 1 --threads 2 --time-limit $seconds"
{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
    echo "recur: $($recur --version)  compiler: $(cc --version | head -1)"
    echo "torch: $(python3 -c 'import torch; print(torch.__version__)')"
    echo "started: $(date -u)"
} > "$out/machine.txt"
/usr/bin/time -v $recur train --task charlm $common --epochs 0 --json \
    --save "$out/recur.safetensors" > "$out/recur.jsonl" 2> "$out/recur.log"
$recur sample --model "$out/recur.best.safetensors" --prime "ROMEO:" \
    --length 600 --temperature 0.8 --seed 1 > "$out/recur.sample.txt"
if [ "${TORCH:-1}" != 0 ]; then
    /usr/bin/time -v python3 tools/charlm_torch.py $common --json \
        > "$out/torch.jsonl" 2> "$out/torch.log"
fi
echo "finished: $(date -u)" >> "$out/machine.txt"
