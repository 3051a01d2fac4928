#!/bin/sh
# Zaremba et al. 2014's "small" Penn Treebank model trained by recur and by
# PyTorch (tools/charlm_torch.py --task wordlm), one after the other on
# this machine, and both scored on the test set: the numbers in
# docs/RESULTS.md.
#   bench/wordlm_compare.sh [EPOCHS] [OUTDIR]   (defaults: 13 build/results)
# Configuration (both): ptb.train.txt / ptb.valid.txt / ptb.test.txt, 2-layer
# LSTM 200, embedding 200, no dropout, B 20, T 20, SGD halved every epoch
# after the 4th, weights U(±0.1), seed 1, 2 threads. Zaremba et al. step
# with lr 1 and clip 5 on the loss SUMMED over the 20 steps (averaged over
# the batch, as their TensorFlow code); recur and PyTorch's
# word_language_model average over every token, whose gradient is 1/20 of
# that: lr 20 and clip 0.25 are the same steps exactly.
# Environment: RECUR (the binary, default build/recur), TORCH=0 to skip
# PyTorch, RECUR_RUN=0 to skip recur (so that the two can run side by side,
# each with THREADS=1), THREADS (default 2).
set -eu
epochs=${1:-13}
out=${2:-build/results}/wordlm
data=${RECUR_DATA:-../shared/data}/ptb
recur=${RECUR:-build/recur}
threads=${THREADS:-2}
mkdir -p "$out"
tag=$( [ "${RECUR_RUN:-1}" = 0 ] && echo torch || echo recur )
common="--task wordlm --data $data/ptb.train.txt --val-data $data/ptb.valid.txt --cell lstm --hidden 200 --layers 2 --embed 200 --seq-len 20 --batch 20 --dropout 0 --optimizer sgd --lr 20 --schedule step --decay-after 4 --decay-factor 0.5 --clip 0.25 --epochs $epochs --init uniform --init-range 0.1 --seed 1 --threads $threads"
{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"
    echo "recur: $($recur --version)  compiler: $(cc --version | head -1)"
    echo "torch: $(python3 -c 'import torch; print(torch.__version__)')"
    echo "started: $(date -u)"
} >> "$out/machine.$tag.txt"
if [ "${RECUR_RUN:-1}" != 0 ]; then
    /usr/bin/time -v $recur train $common --json --save "$out/recur.safetensors" \
        > "$out/recur.jsonl" 2> "$out/recur.log"
    # The test figure: the whole test text as one sequence (the exact
    # score), and read as training reads it (B = 20 streams of T = 20), as
    # the twin does.
    $recur eval --model "$out/recur.best.safetensors" \
        --data "$data/ptb.test.txt" --json > "$out/recur.test.json"
    $recur eval --model "$out/recur.best.safetensors" \
        --data "$data/ptb.test.txt" --batch 20 --seq-len 20 --json \
        > "$out/recur.test_b20.json"
    $recur sample --model "$out/recur.best.safetensors" \
        --prime "the company said" --length 60 --temperature 0.8 --seed 1 \
        > "$out/recur.sample.txt"
fi
if [ "${TORCH:-1}" != 0 ]; then
    /usr/bin/time -v python3 tools/charlm_torch.py $common \
        --test-data "$data/ptb.test.txt" --json \
        > "$out/torch.jsonl" 2> "$out/torch.log"
fi
echo "finished: $(date -u)" >> "$out/machine.$tag.txt"
