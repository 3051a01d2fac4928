#!/usr/bin/env python3
"""Checks that recur's character-LM checkpoints and PyTorch's module are the same model.

    python3 tools/torch_interop.py --recur build/recur --text FILE [--checkpoint CKPT]

1. recur -> PyTorch: the checkpoint (default: a small one trained here by `recur train`) is
   loaded with load_state_dict(strict=True) into tools/charlm_torch.py's CharLM (attribute names
   embedding / rnn / fc, as recur's tensor names); its loss on the text, read as one sequence,
   must equal `recur eval --batch 1` on the same text.
2. PyTorch -> recur: a freshly initialised CharLM is saved with safetensors' save_file plus the
   metadata recur reads (format, sizes, vocabulary); `recur eval` of that file must give
   PyTorch's loss.
Agreement is required to 1e-5 relative (float32 in both; sums in double). Exit 1 otherwise.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charlm_torch import CharLM  # noqa: E402

CELLS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn"}


def torch_loss(model, ids):
    """Mean cross-entropy of predicting ids[1:] from ids[:-1], one sequence, state carried."""
    model.eval()
    with torch.no_grad():
        x = torch.tensor(ids[:-1]).view(-1, 1)
        logits, _ = model(x, None)
        loss = torch.nn.functional.cross_entropy(
            logits.view(-1, logits.shape[-1]).double(), torch.tensor(ids[1:]), reduction="sum")
    return loss.item() / (len(ids) - 1)


def recur_loss(recur, ckpt, text):
    out = subprocess.run([recur, "eval", "--model", ckpt, "--data", text, "--batch", "1",
                          "--seq-len", "100", "--json"], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"recur eval failed: {out.stderr}")
    return json.loads(out.stdout)["loss"]


def model_from_metadata(meta):
    return CharLM(int(meta["vocab_size"]), CELLS[meta["mode"]], int(meta["embed_size"]),
                  int(meta["hidden_size"]), int(meta["num_layers"]), float(meta["dropout"]),
                  meta["tie_weights"] == "1")


def check(name, a, b):
    ok = abs(a - b) <= 1e-5 * abs(b)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: recur {a:.7f}  PyTorch {b:.7f}  "
          f"(relative difference {abs(a - b) / abs(b):.1e})")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recur", default="build/recur")
    ap.add_argument("--text", required=True, help="UTF-8 text: training data and evaluation text")
    ap.add_argument("--checkpoint", help="a recur checkpoint (default: train a small one)")
    ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    args = ap.parse_args()
    torch.manual_seed(0)
    tmp = tempfile.mkdtemp(prefix="recur-interop-")
    ckpt = args.checkpoint
    if not ckpt:
        ckpt = os.path.join(tmp, "m.safetensors")
        subprocess.run([args.recur, "train", "--task", "charlm", "--data", args.text, "--cell",
                        args.cell, "--hidden", "32", "--layers", "2", "--embed", "16",
                        "--batch", "8", "--seq-len", "20", "--steps", "40", "--epochs", "0",
                        "--threads", "1", "--save", ckpt], check=True, capture_output=True)
    with safe_open(ckpt, "pt") as f:
        meta = f.metadata()
    vocab = {c: i for i, c in enumerate(meta["vocab"])}
    with open(args.text, encoding="utf-8") as f:
        ids = [vocab[c] for c in f.read()]

    # 1. recur -> PyTorch
    tensors = {k: v for k, v in load_file(ckpt).items()
               if not k.startswith(("optim.", "train."))}
    model = model_from_metadata(meta)
    model.load_state_dict(tensors, strict=True)
    ok = check("recur checkpoint in PyTorch", recur_loss(args.recur, ckpt, args.text),
               torch_loss(model, ids))

    # 2. PyTorch -> recur
    fresh = model_from_metadata(meta)
    state = {k: v.contiguous() for k, v in fresh.state_dict().items()}
    keep = {k: meta[k] for k in ("format", "task", "mode", "hidden_size", "proj_size",
                                 "num_layers", "bias", "vocab_size", "embed_size",
                                 "tie_weights", "dropout", "vocab")}
    exported = os.path.join(tmp, "from_torch.safetensors")
    save_file(state, exported, metadata=keep)
    ok &= check("PyTorch module in recur", recur_loss(args.recur, exported, args.text),
                torch_loss(fresh, ids))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
