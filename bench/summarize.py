#!/usr/bin/env python3
"""Summarises several runs of bench/run.py (their --out JSON files) into one table per thread
count: for each case and mode, the median over the runs of recur's, oneDNN's and PyTorch's times
and of the two per-run ratios (their time / recur's time; above 1, recur is faster), with the
range of the ratios across runs. A single run of a shared, noisy 2-core machine is one sample;
the median of the per-run ratios is the figure to quote.

After the tables: training against oneDNN timed with its weight reorders inside each repeat
(where the runs have it: bench/run.py since it passes --reorders); then, per case and mode
(medians over the runs), recur's and PyTorch's share of the
FMA peak each run measured (a ratio of 2 against PyTorch needs recur at twice PyTorch's share,
which past 100% no code can reach), and recur's speed-up from 1 to 2 threads.

    python3 bench/summarize.py build/bench_a.json build/bench_b.json ... > summary.md
"""

import json
import statistics
import sys


def fmt_ratio(values):
    if not values:
        return "n/a", ""
    lo, hi = min(values), max(values)
    return f"{statistics.median(values):.2f}", f"{lo:.2f}–{hi:.2f}"


def fmt_ms(values):
    return f"{statistics.median(values):.3f}" if values else "n/a"


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    runs = []
    for p in paths:
        try:
            with open(p) as f:
                runs.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"summarize: {p}: {e}", file=sys.stderr)
            return 1
    groups = {}
    order = []
    for run in runs:
        for r in run.get("rows", []):
            key = (r["threads"], r["case"], r["mode"])
            if key not in groups:
                groups[key] = []
                order.append(key)
            groups[key].append(r)
    reorders = []  # (key, per-run ratios) where oneDNN was also timed with its reorders
    print(f"Medians over {len(runs)} runs of bench/run.py ({', '.join(paths)}); "
          "ratio = their time / recur's time, per run, then the median (range).")
    for threads in sorted({k[0] for k in order}):
        print(f"\n### {threads} thread{'s' if threads > 1 else ''}\n")
        print("| case | mode | runs | recur ms | oneDNN ms | PyTorch ms | recur/oneDNN | (range) "
              "| recur/PyTorch | (range) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for key in order:
            if key[0] != threads:
                continue
            rows = [r for r in groups[key] if r.get("recur_ms")]
            if not rows:
                continue
            rec = [r["recur_ms"] for r in rows]
            dn = [r["dnnl_ms"] for r in rows if r.get("dnnl_ms")]
            th = [r["torch_ms"] for r in rows if r.get("torch_ms")]
            rd = [r["dnnl_ms"] / r["recur_ms"] for r in rows if r.get("dnnl_ms")]
            rt = [r["torch_ms"] / r["recur_ms"] for r in rows if r.get("torch_ms")]
            rr = [r["dnnl_reorders_ms"] / r["recur_ms"] for r in rows
                  if r.get("dnnl_reorders_ms")]
            if rr:
                reorders.append((key, rr))
            md, rgd = fmt_ratio(rd)
            mt, rgt = fmt_ratio(rt)
            print(f"| {key[1]} | {key[2]} | {len(rows)} | {fmt_ms(rec)} | {fmt_ms(dn)} | "
                  f"{fmt_ms(th)} | {md} | {rgd} | {mt} | {rgt} |")
    if reorders:
        print("\n### recur/oneDNN in training with oneDNN's weight reorders timed\n")
        print("| case | threads | recur/oneDNN, reorders timed | (range) |")
        print("|---|---|---|---|")
        for key, rr in reorders:
            m, rg = fmt_ratio(rr)
            print(f"| {key[1]} | {key[0]} | {m} | {rg} |")
    shares(runs, groups, order)
    return 0


def shares(runs, groups, order):
    """recur's and PyTorch's share of each run's FMA peak; the 1 -> 2 thread speed-up."""
    peaks = {}
    for i, run in enumerate(runs):
        for t, g in run.get("peak_gflops", {}).items():
            peaks[(i, int(t))] = g
    share = {}  # key -> ([recur %], [PyTorch %])
    for i, run in enumerate(runs):
        for r in run.get("rows", []):
            key = (r["threads"], r["case"], r["mode"])
            peak, flops = peaks.get((i, r["threads"])), r.get("flops")
            if not peak or not flops or not r.get("recur_ms"):
                continue
            mine, theirs = share.setdefault(key, ([], []))
            mine.append(100.0 * flops / (r["recur_ms"] * 1e6) / peak)
            if r.get("torch_ms"):
                theirs.append(100.0 * flops / (r["torch_ms"] * 1e6) / peak)
    print("\n### Share of the FMA peak; speed-up from 1 to 2 threads\n")
    print("| case | mode | threads | recur % of peak | PyTorch % of peak | 2x PyTorch needs "
          "| recur 1 -> 2 threads |")
    print("|---|---|---|---|---|---|---|")
    for key in order:
        if key not in share:
            continue
        mine, theirs = share[key]
        t = statistics.median(theirs) if theirs else None
        up = ""
        if key[0] == 2 and (1, key[1], key[2]) in groups:
            one = [r["recur_ms"] for r in groups[(1, key[1], key[2])] if r.get("recur_ms")]
            two = [r["recur_ms"] for r in groups[key] if r.get("recur_ms")]
            if one and two:
                up = f"{statistics.median(one) / statistics.median(two):.2f}"
        print(f"| {key[1]} | {key[2]} | {key[0]} | {statistics.median(mine):.0f}% | "
              f"{f'{t:.0f}%' if t else 'n/a'} | {f'{2 * t:.0f}%' if t else 'n/a'} | {up} |")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
