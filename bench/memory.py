#!/usr/bin/env python3
"""Peak resident memory of one training step (forward + backward, every gradient), recur
against PyTorch, each case in a fresh process, and recur's memory-lean mode (--recompute).

    python3 bench/memory.py [--recur build/recur] [--cases charrnn,deepbench_lstm,big]
                            [--recompute 10] [--threads 1]

recur: `recur bench --mode train --repeat 3 --warmup 1 --json`, its peak_rss_mib (getrusage of
the whole process: program, libraries, buffers, workspace). PyTorch: a fresh python3 that imports
torch, builds the same nn.LSTM/GRU/RNN and input, records ru_maxrss, runs two forward+backward
steps and records ru_maxrss again: the table gives both the whole process and the growth over
that baseline (the step's own memory). Shapes as bench/run.py's CASES.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import CASES  # noqa: E402

TORCH_STEP = r"""
import resource, sys, torch
cell, I, H, L, D, B, T, threads = sys.argv[1], *map(int, sys.argv[2:9])
torch.set_num_threads(threads)
mod = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](
    I, H, num_layers=L, bidirectional=D == 2)
x = torch.rand(T, B, I)
dy = torch.rand(T, B, D * H)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(2):
    xx = x.clone().requires_grad_()
    y, _ = mod(xx)
    (y * dy).sum().backward()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(base / 1024.0, peak / 1024.0)
"""


def recur_rss(binary, shape, threads, recompute):
    cell, I, H, L, D, B, T, varlen = shape
    args = [binary, "bench", "--mode", "train", "--cell", cell, "--input-size", str(I),
            "--hidden", str(H), "--layers", str(L), "--batch", str(B), "--seq-len", str(T),
            "--threads", str(threads), "--repeat", "3", "--warmup", "1", "--json",
            "--recompute", str(recompute)]
    if D == 2:
        args.append("--bidirectional")
    if varlen:
        args.append("--varlen")
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return out["peak_rss_mib"], out["ms_median"]


def torch_rss(shape, threads):
    cell, I, H, L, D, B, T, _ = shape
    out = subprocess.run([sys.executable, "-c", TORCH_STEP, cell] +
                         [str(v) for v in (I, H, L, D, B, T, threads)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recur", default="build/recur")
    ap.add_argument("--cases", default="charrnn,deepbench_lstm,big,bidir")
    ap.add_argument("--recompute", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cases = dict(CASES)
    print("| case | recur MiB | recur --recompute %d MiB (time ×) | PyTorch MiB (growth over "
          "import + model) |" % args.recompute)
    print("|---|---|---|---|")
    for name in args.cases.split(","):
        shape = cases[name]
        full, t_full = recur_rss(args.recur, shape, args.threads, 0)
        lean, t_lean = recur_rss(args.recur, shape, args.threads, args.recompute)
        base, peak = torch_rss(shape, args.threads)
        print("| %s | %.0f | %.0f (%.2f×) | %.0f (+%.0f) |"
              % (name, full, lean, t_lean / t_full, peak, peak - base))


if __name__ == "__main__":
    main()
