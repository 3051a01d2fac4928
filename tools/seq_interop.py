#!/usr/bin/env python3
"""A recur classify / forecast / music checkpoint in PyTorch: loads it into
the twin module (tools/seq_model.py) with load_state_dict(strict=True),
scores the test part of the examples recur exported (--export-data) in
float64, and compares with the loss recur reports for the same examples.

    recur train --task music ... --save m.safetensors --export-data d.safetensors
    recur eval --model m.safetensors --data test.txt --json      # recur's figure
    python3 tools/seq_interop.py --model m.safetensors --data d.safetensors --recur-loss 8.52
"""

import argparse
import json

import torch

from seq_model import load_recur
from seq_torch import evaluate, load


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="recur's --export-data file")
    ap.add_argument("--part", default="test")
    ap.add_argument("--recur-loss", type=float, help="recur's mean loss on the same part")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, meta = load_recur(a.model)
    model = model.double()
    parts, _ = load(a.data)
    part = parts[a.part]
    for k in ("x", "y"):
        if k in part:
            part[k] = part[k].astype("float64")
    per_step = model.pool == "step"
    with torch.no_grad():
        loss, _ = evaluate(model, part, 64, per_step)
    out = {"task": meta.get("task"), "part": a.part, "torch_loss": loss}
    if a.recur_loss is not None:
        out["recur_loss"] = a.recur_loss
        out["relative_difference"] = abs(loss - a.recur_loss) / abs(loss)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
