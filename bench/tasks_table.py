#!/usr/bin/env python3
"""Markdown tables of bench/tasks_compare.sh's results (recur beside PyTorch):

    python3 bench/tasks_table.py music|classify|forecast [OUTDIR]   (default build/results)
"""

import glob
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    task = sys.argv[1]
    root = os.path.join(sys.argv[2] if len(sys.argv) > 2 else "build/results", task)
    names = sorted(os.path.basename(p)[:-len(".recur.json")]
                   for p in glob.glob(os.path.join(root, "*.recur.json")))
    rows = []
    for n in names:
        r = load(os.path.join(root, n + ".recur.json"))
        t = load(os.path.join(root, n + ".torch.json")) or {}
        rs = r["train_seconds"]
        ts = t.get("seconds")
        speed = f"{ts / rs:.1f}×" if ts and rs else "–"
        ts_text = f"{ts:.1f}" if ts is not None else "–"
        if task == "music":
            rows.append(f"| {n} | {r['params']:,} | {r['epochs']} ({r['best_epoch']}) | "
                        f"{r['val_nll']:.3f} | **{r['test_nll']:.3f}** | "
                        f"{t.get('test_loss', float('nan')):.3f} | {rs:.1f} | "
                        f"{ts_text} | {speed} |")
        elif task == "classify":
            rows.append(f"| {n} | {r['train']}/{r['val']}/{r['test']} | {r['vocab']:,} | "
                        f"{r['epochs']} ({r['best_epoch']}) | **{r['accuracy']:.4f}** | "
                        f"{r['macro_f1']:.4f} | {r['bow_accuracy']:.4f} | {r['bow_macro_f1']:.4f} | "
                        f"{t.get('accuracy', float('nan')):.4f} | {t.get('macro_f1', float('nan')):.4f} | "
                        f"{rs:.1f} | {ts_text} |")
        else:
            seasonal = r.get("seasonal_rmse")
            rows.append(f"| {n} | {r['test_values']} | **{r['rmse']:.3f}** | {r['mae']:.3f} | "
                        f"{r['mape']:.2f} | {r['naive_rmse']:.3f} | "
                        f"{seasonal if seasonal is not None else float('nan'):.3f} | "
                        f"{t.get('rmse', float('nan')):.3f} | {rs:.2f} | "
                        f"{ts_text} |")
    head = {
        "music": "| model | parameters | epochs (kept) | valid NLL | test NLL | PyTorch test NLL | recur s | PyTorch s | speed-up |\n|---|---|---|---|---|---|---|---|---|",
        "classify": "| data | train/val/test | vocabulary | epochs (kept) | accuracy | macro-F1 | BoW accuracy | BoW macro-F1 | PyTorch accuracy | PyTorch macro-F1 | recur s | PyTorch s |\n|---|---|---|---|---|---|---|---|---|---|---|---|",
        "forecast": "| series | test values | RMSE | MAE | MAPE % | naive RMSE | seasonal-naive RMSE | PyTorch RMSE | recur s | PyTorch s |\n|---|---|---|---|---|---|---|---|---|---|",
    }[task]
    print(head)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
