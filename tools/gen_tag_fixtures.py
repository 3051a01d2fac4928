#!/usr/bin/env python3
"""Reference fixtures for recur's sequence tagger (src/model/tagger.h), from the
PyTorch twin in tools/tag_torch.py computed in float64:

    python3 tools/gen_tag_fixtures.py        # (re)writes tests/fixtures/tag/

Each case is tests/fixtures/tag/<case>/{model,data}.safetensors:
  model   the parameters (float32) and recur's __metadata__ for them
  data    the sentences as recur stores them (tagged.h's tag_data, int64):
          offset [n+1], word [tokens], char_offset [tokens+1], chars, tag
          [tokens]; idx [B], the batch's sentences in order; and what PyTorch
          computed for that batch in float64: loss [1] (the mean), emissions
          [N, K], pred [N] and grad.<name> for every parameter.
tests/fixtures/tag/INDEX lists the cases. Dropout 0 (its draws cannot be
twinned). Deterministic: fixed seeds.
"""

import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_seq_fixtures import save_case, write_cases  # noqa: E402
from tag_torch import Tagger, batch_of  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "tag")

# name: (mode, layers, bidir, crf, char_embed, char_hidden, word_embed, hidden, K)
CASES = {
    "lstm-bi-L1-chars-softmax": ("LSTM", 1, True, False, 3, 4, 5, 4, 5),
    "lstm-bi-L2-chars-crf": ("LSTM", 2, True, True, 4, 3, 4, 5, 4),
    "gru-bi-L1-chars-crf": ("GRU", 1, True, True, 3, 3, 3, 4, 3),
    "gru-bi-L2-words-softmax": ("GRU", 2, True, False, 0, 0, 6, 4, 6),
    "lstm-bi-L1-words-crf": ("LSTM", 1, True, True, 0, 0, 5, 3, 4),
    "gru-uni-L2-chars-softmax": ("GRU", 2, False, False, 2, 3, 4, 5, 3),
}
WORDS, CHARS = 12, 9
LENGTHS = [4, 1, 7, 3, 5]   # sentence 1 has one token
IDX = [2, 1, 4, 0]          # sentence 3 is not in the batch


def make_data(rng, K):
    tokens = sum(LENGTHS)
    word = rng.randint(0, WORDS, size=tokens)
    word[[0, 5]] = 0  # padding ids: their rows get no gradient
    word[[1, 9]] = 1  # <unk>
    clen = rng.randint(1, 7, size=tokens)
    clen[2], clen[6], clen[11] = 1, 14, 1  # one-char words and a long one
    chars = rng.randint(0, CHARS, size=int(clen.sum()))
    return {"offset": np.concatenate([[0], np.cumsum(LENGTHS)]),
            "word": word,
            "char_offset": np.concatenate([[0], np.cumsum(clen)]),
            "chars": chars,
            "tag": rng.randint(0, K, size=tokens)}


def make_case(name, spec, seed):
    mode, L, bidir, crf, Ec, Hc, E, H, K = spec
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    model = Tagger(WORDS, CHARS if Ec else 0, K, E, Ec, Hc, mode, H, L, bidir,
                   0.0, crf).double()
    with torch.no_grad():  # float32 values, so recur starts from the same numbers
        for p in model.parameters():
            p.copy_(p.float().double())
        if crf:  # transitions that matter against the emissions
            for p in model.crf.parameters():
                p.mul_(10.0)
    data = {k: torch.from_numpy(v.astype(np.int64)) for k, v in make_data(rng, K).items()}
    if not Ec:
        del data["char_offset"], data["chars"]
    batch = batch_of(data, IDX)
    emit = model.emissions(batch)
    value, pred = model.loss(batch)
    value.backward()
    out = dict(data)
    out["idx"] = torch.tensor(IDX, dtype=torch.int64)
    out["loss"] = value.detach().reshape(1)
    out["emissions"] = emit.detach()
    out["pred"] = pred.to(torch.int64)
    for k, p in model.named_parameters():
        out["grad." + k] = p.grad.detach()
    if not crf:  # a prediction within rounding of a tie would be luck
        top = emit.detach().sort(1, descending=True).values
        assert float((top[:, 0] - top[:, 1]).min()) > 1e-4, name
    meta = {"format": "recur-tagger", "task": "tag", "words": str(WORDS),
            "chars": str(CHARS if Ec else 0), "tags": str(K), "word_embed": str(E),
            "char_embed": str(Ec), "char_hidden": str(Hc), "mode": mode,
            "input_size": str(E + 2 * Hc), "hidden_size": str(H), "proj_size": "0",
            "num_layers": str(L), "bidirectional": str(int(bidir)), "bias": "1",
            "layer_norm": "0", "dropout": "0", "crf": str(int(crf))}
    save_case(OUT, name, model, meta, out)


if __name__ == "__main__":
    write_cases(OUT, CASES, make_case, 2000)
