#!/usr/bin/env python3
"""Reference fixtures for recur's sequence model (src/model/seqmodel.h), from the
PyTorch twin in tools/seq_model.py computed in float64:

    python3 tools/gen_seq_fixtures.py        # (re)writes tests/fixtures/seq/

Each case is tests/fixtures/seq/<case>/{model,data}.safetensors:
  model   the parameters (float32) and recur's __metadata__ for them
  data    offset [n+1] (int64), tokens [steps] (int64) or x [steps, I],
          label [n] (int64) or y [n, K] / [steps, K]: the examples as recur
          stores them (seqdata.h); and what PyTorch computed from them in
          float64: loss [1] (the mean loss), out (predictions, [B, K] or
          [T, B, K]) and grad.<name> for every parameter.
tests/fixtures/seq/INDEX lists the cases. Deterministic: fixed seeds.
"""

import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seq_model import SeqModel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "seq")

# name: (mode, layers, bidir, vocab, input, hidden, K, pool, loss)
CASES = {
    "lstm-bi-L2-last-tokens-xent": ("LSTM", 2, True, 11, 5, 4, 3, "last", "xent"),
    "gru-L1-mean-tokens-xent": ("GRU", 1, False, 9, 4, 5, 2, "mean", "xent"),
    "lstm-bi-L1-max-dense-xent": ("LSTM", 1, True, 0, 3, 4, 4, "max", "xent"),
    "gru-L2-last-dense-mse": ("GRU", 2, False, 0, 2, 5, 3, "last", "mse"),
    "lstm-L1-mean-dense-mae": ("LSTM", 1, False, 0, 2, 3, 2, "mean", "mae"),
    "rnn_tanh-bi-L1-last-dense-huber": ("RNN_TANH", 1, True, 0, 3, 4, 3, "last", "huber"),
    "lstm-L2-step-dense-bce": ("LSTM", 2, False, 0, 6, 5, 6, "step", "bce"),
    "gru-bi-L1-step-dense-bce": ("GRU", 1, True, 0, 4, 3, 4, "step", "bce"),
}


def make_case(name, spec, seed):
    mode, L, bidir, V, I, H, K, pool, loss = spec
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    model = SeqModel(mode, I, H, L, bidir, V, I if V else 0, K, pool, loss).double()
    with torch.no_grad():  # float32 values, so recur starts from the same numbers
        for p in model.parameters():
            p.copy_(p.float().double())
        if loss in ("mse", "mae", "huber"):
            model.fc.weight.mul_(4.0)  # spread the errors across the Huber kink
    B, T = 5, 7
    lengths = rng.randint(1, T + 1, size=B)
    lengths[1] = T
    lengths[3] = 1
    lengths_t = torch.from_numpy(lengths.astype(np.int64))
    offset = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    steps = int(offset[-1])
    data = {"offset": torch.from_numpy(offset)}
    if V:
        tokens = rng.randint(1, V, size=steps).astype(np.int64)
        data["tokens"] = torch.from_numpy(tokens)
        x = torch.zeros(T, B, dtype=torch.int64)
        for b in range(B):
            x[: lengths[b], b] = torch.from_numpy(tokens[offset[b]:offset[b + 1]])
    else:
        flat = rng.randn(steps, I).astype(np.float32)
        data["x"] = torch.from_numpy(flat)
        x = torch.zeros(T, B, I, dtype=torch.float64)
        for b in range(B):
            x[: lengths[b], b] = torch.from_numpy(flat[offset[b]:offset[b + 1]]).double()
    if loss == "xent":
        label = rng.randint(0, K, size=B).astype(np.int64)
        data["label"] = torch.from_numpy(label)
        target = torch.from_numpy(label)
    elif loss == "bce":
        yflat = (rng.rand(steps, K) < 0.3).astype(np.float32)
        data["y"] = torch.from_numpy(yflat)
        target = torch.zeros(T, B, K, dtype=torch.float64)
        for b in range(B):
            target[: lengths[b], b] = torch.from_numpy(yflat[offset[b]:offset[b + 1]]).double()
    else:
        y = rng.randn(B, K).astype(np.float32)
        data["y"] = torch.from_numpy(y)
        target = torch.from_numpy(y).double()
    value, out = model.loss(x, lengths_t, target)
    value.backward()
    data["loss"] = value.detach().reshape(1)
    data["out"] = out.detach()
    for k, p in model.named_parameters():
        data["grad." + k] = p.grad.detach()
    meta = {"format": "recur-seq", "task": "test", "mode": mode, "input_size": str(I),
            "hidden_size": str(H), "proj_size": "0", "num_layers": str(L),
            "bidirectional": str(int(bidir)), "bias": "1", "layer_norm": "0",
            "vocab_size": str(V), "embed_size": str(I if V else 0), "outputs": str(K),
            "pool": pool, "loss": loss, "dropout": "0"}
    save_case(OUT, name, model, meta, data)


def save_case(out, name, model, meta, data):
    """out/name/model.safetensors (the parameters as float32, meta) and
    out/name/data.safetensors (data as it is)."""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    state = {k: v.float().contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(d, "model.safetensors"), metadata=meta)
    save_file({k: v.contiguous() for k, v in data.items()},
              os.path.join(d, "data.safetensors"))


def write_cases(out, cases, make, first_seed):
    """make(name, spec, seed) for every case, seeds from first_seed on, then
    out/INDEX listing them."""
    torch.set_num_threads(1)
    os.makedirs(out, exist_ok=True)
    for i, (name, spec) in enumerate(cases.items()):
        make(name, spec, first_seed + i)
    with open(os.path.join(out, "INDEX"), "w") as f:
        f.write("".join(n + "\n" for n in cases))
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    write_cases(OUT, CASES, make_case, 1000)
