#!/usr/bin/env python3
"""PyTorch on the same configuration as `recur train --task classify|forecast|
music`: the same prepared examples (exported by recur with --export-data),
the same model (tools/seq_model.py), the same loop (shuffled, length-bucketed
minibatches, Adam, clipping, the best validation epoch's parameters, early
stopping, plateau decay), scored on the test part. Prints one JSON object.

    recur train --task classify ... --export-data /tmp/spam.data.safetensors
    python3 tools/seq_torch.py --data /tmp/spam.data.safetensors --task classify \
        --cell lstm --hidden 64 --layers 1 --bidirectional --embed 64 ...
"""

import argparse
import json
import math
import random
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open

from seq_model import SeqModel

MODES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN_TANH", "rnn_relu": "RNN_RELU"}


def load(path):
    with safe_open(path, "np") as f:
        meta = f.metadata() or {}
        t = {k: f.get_tensor(k) for k in f.keys()}
    parts = {}
    for p in ("train", "val", "test"):
        if p + ".offset" in t:
            parts[p] = {k.split(".", 1)[1]: v for k, v in t.items() if k.startswith(p + ".")}
    return parts, meta


def batch(part, idx, per_step):
    """Padded time-major inputs, lengths and targets of examples idx."""
    off = part["offset"]
    lengths = np.array([off[i + 1] - off[i] for i in idx])
    T, B = int(lengths.max()), len(idx)
    if "tokens" in part:
        x = torch.zeros(T, B, dtype=torch.int64)
        for b, i in enumerate(idx):
            x[: lengths[b], b] = torch.from_numpy(part["tokens"][off[i]:off[i + 1]].astype(np.int64))
    else:
        x = torch.zeros(T, B, part["x"].shape[1], dtype=torch.from_numpy(part["x"][:1]).dtype)
        for b, i in enumerate(idx):
            x[: lengths[b], b] = torch.from_numpy(part["x"][off[i]:off[i + 1]])
    if "label" in part:
        y = torch.from_numpy(part["label"][idx].astype(np.int64))
    elif per_step:
        y = torch.zeros(T, B, part["y"].shape[1], dtype=x.dtype)
        for b, i in enumerate(idx):
            y[: lengths[b], b] = torch.from_numpy(part["y"][off[i]:off[i + 1]])
    else:
        y = torch.from_numpy(part["y"][idx]).to(x.dtype)
    return x, torch.from_numpy(lengths.astype(np.int64)), y


def plan_epoch(part, bsz, rng):
    off = part["offset"]
    n = len(off) - 1
    order = list(range(n))
    rng.shuffle(order)
    pool = bsz * 50
    for i in range(0, n, pool):
        order[i:i + pool] = sorted(order[i:i + pool], key=lambda j: (off[j + 1] - off[j], j))
    batches = [order[i:i + bsz] for i in range(0, n, bsz)]
    rng.shuffle(batches)
    return batches


def terms(model, lengths, y, per_step):
    """How many terms a batch's mean loss averages over (recur's `counted`):
    steps (bce), examples (xent) or examples x outputs (regression)."""
    if per_step:
        return int(lengths.sum())
    return len(lengths) if model.loss_kind == "xent" else y.numel()


def evaluate(model, part, bsz, per_step):
    model.eval()
    off = part["offset"]
    n = len(off) - 1
    order = sorted(range(n), key=lambda j: (off[j + 1] - off[j], j))
    total, count, preds = 0.0, 0, [None] * n
    with torch.no_grad():
        for i in range(0, n, bsz):
            idx = order[i:i + bsz]
            x, lengths, y = batch(part, idx, per_step)
            loss, out = model.loss(x, lengths, y)
            c = terms(model, lengths, y, per_step)
            total += float(loss) * c
            count += c
            if not per_step:
                for b, j in enumerate(idx):
                    preds[j] = out[b].numpy()
    return total / count, (None if per_step else np.stack(preds))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--task", choices=["classify", "forecast", "music"], required=True)
    ap.add_argument("--cell", default="lstm", choices=list(MODES))
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--pool", default="last")
    ap.add_argument("--loss", default=None, help="forecast: mse|mae|huber")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-decay", type=float, default=1.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--patience", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    parts, meta = load(a.data)
    train, val, test = parts["train"], parts.get("val"), parts.get("test")
    per_step = a.task == "music"
    loss = {"classify": "xent", "music": "bce"}.get(a.task, a.loss or "mse")
    pool = "step" if per_step else a.pool
    if "tokens" in train:
        vocab = meta["vocab"].count("\n") + 1  # one token per line
        I = a.embed
    else:
        vocab, I = 0, train["x"].shape[1]
    K = train["y"].shape[1] if "y" in train else meta["labels"].count("\n") + 1
    model = SeqModel(MODES[a.cell], I, a.hidden, a.layers, a.bidirectional, vocab,
                     a.embed if vocab else 0, K, pool, loss, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    best, best_state, stale, history = math.inf, None, 0, []
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        total, count = 0.0, 0
        for idx in plan_epoch(train, a.batch, rng):
            x, lengths, y = batch(train, idx, per_step)
            opt.zero_grad()
            value, _ = model.loss(x, lengths, y)
            value.backward()
            if a.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
            opt.step()
            # The epoch's loss pools the terms of all batches, as recur's does
            # (a batch of long pieces weighs more than one of short ones).
            c = terms(model, lengths, y, per_step)
            total += float(value.detach()) * c
            count += c
        vloss = evaluate(model, val, a.batch, per_step)[0] if val else total / count
        history.append({"epoch": epoch + 1, "train": total / count, "val": vloss,
                        "seconds": time.time() - t0})
        # Without validation data recur keeps the last epoch (every epoch
        # counts as a new best: no decay, no early stop).
        if vloss < best or not val:
            best, stale = vloss, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            for g in opt.param_groups:
                g["lr"] *= a.lr_decay
            if a.patience and stale >= a.patience:
                break
    seconds = time.time() - t0
    model.load_state_dict(best_state)
    result = {"task": a.task, "best_val_loss": best, "epochs": len(history),
              "seconds": round(seconds, 2), "threads": a.threads,
              "torch": torch.__version__,
              "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
              "history": history}
    if test:
        tloss, pred = evaluate(model, test, a.batch, per_step)
        result["test_loss"] = tloss
        if a.task == "classify":
            yt = test["label"]
            yp = pred.argmax(1)
            result["accuracy"] = float((yp == yt).mean())
            f1s = []
            for k in range(K):
                tp = int(((yp == k) & (yt == k)).sum())
                fp = int(((yp == k) & (yt != k)).sum())
                fn = int(((yp != k) & (yt == k)).sum())
                p = tp / (tp + fp) if tp + fp else 0.0
                r = tp / (tp + fn) if tp + fn else 0.0
                f1s.append(2 * p * r / (p + r) if p + r else 0.0)
            result["macro_f1"] = float(np.mean(f1s))
        elif a.task == "forecast":
            # Back to the data's units as recur does: un-normalise, accumulate
            # differences from the last observed value, undo the logarithm.
            mean, std = float(meta["target_mean"]), float(meta["target_std"])
            f = pred.astype(np.float64) * std + mean
            if meta.get("difference") == "1":
                last = parts["test"]["last"]
                f = (np.log(last) if meta.get("log") == "1" else last)[:, None] + np.cumsum(f, 1)
            if meta.get("log") == "1":
                f = np.exp(f)
            t = parts["test"]["truth"]
            result["rmse"] = float(np.sqrt(((f - t) ** 2).mean()))
            result["mae"] = float(np.abs(f - t).mean())
            nz = t != 0
            result["mape"] = float(100 * np.abs((f - t)[nz] / t[nz]).mean())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
