#!/usr/bin/env python3
"""Generates recur's committed reference fixtures in tests/fixtures/.

    python3 tools/gen_fixtures.py            # validate the reference, (re)write tests/fixtures
    python3 tools/gen_fixtures.py --check    # regenerate into a temp dir, compare byte for byte

Each case is tests/fixtures/<case>/{model,input,expected}.safetensors; tests/fixtures/INDEX
lists the cases, one per line. See tools/README.md for the layout. Output is deterministic:
fixed seeds, one thread.
"""

import argparse
import filecmp
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as R  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
PREFIXES = ("", "rnn.", "encoder.lstm.")
BASE_SEED = 20240601
FILES = ("model.safetensors", "input.safetensors", "expected.safetensors")

# (case-name stem, mode, proj?)
KINDS = [("rnn_tanh", "RNN_TANH", False), ("rnn_relu", "RNN_RELU", False),
         ("lstm", "LSTM", False), ("lstm_proj", "LSTM", True),
         ("gru", "GRU", False), ("gru_rb", "GRU_RESET_BEFORE", False)]
STEM = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru",
        "GRU_RESET_BEFORE": "gru_rb"}


def make_lengths(rng, T, B, want_one):
    """Unsorted lengths in [1, T], at least one equal to T, a 1 when want_one (and B > 1)."""
    lengths = rng.randint(1, T + 1, size=B)
    lengths[rng.randint(B)] = T
    if want_one and B > 1 and T > 1:
        others = [b for b in range(B) if lengths[b] != T or (lengths == T).sum() > 1]
        lengths[others[rng.randint(len(others))]] = 1
    # Not in decreasing order where that is possible, so enforce_sorted=False matters.
    if B > 1 and len(set(lengths.tolist())) > 1 and np.all(np.diff(lengths) <= 0):
        lengths = lengths[::-1].copy()
    assert lengths.max() == T and lengths.min() >= 1
    return torch.from_numpy(lengths.astype(np.int64))


def case_list():
    """[(name, spec)] of every case, in INDEX order."""
    cases = []
    i = 0
    for stem, mode, proj in KINDS:
        for D in (1, 2):
            for L in (1, 3):
                for with_len in (False, True):
                    for with_h0 in (False, True):
                        name = f"{stem}-{'bi' if D == 2 else 'uni'}-L{L}"
                        name += "-len" if with_len else ""
                        name += "-h0" if with_h0 else ""
                        cases.append((name, dict(
                            index=i, mode=mode, proj=proj, D=D, L=L, with_len=with_len,
                            with_h0=with_h0, with_c0=with_h0 and mode == "LSTM", bias=True)))
                        i += 1
    for stem, mode in (("lstm", "LSTM"), ("gru", "GRU"), ("rnn_tanh", "RNN_TANH"),
                       ("gru_rb", "GRU_RESET_BEFORE")):
        cases.append((f"{stem}-nobias", dict(
            index=i, mode=mode, proj=False, D=2, L=2, with_len=True, with_h0=True,
            with_c0=mode == "LSTM", bias=False, sizes=(5, 3, 3, 4))))
        i += 1
    cases.append(("lstm-only_c0", dict(
        index=i, mode="LSTM", proj=False, D=1, L=2, with_len=True, with_h0=False,
        with_c0=True, bias=True)))
    i += 1
    # Layer-norm cells (random gains and biases), after every other case so that the
    # seeds above stay as they were.
    for name, mode, proj, D, L, with_len, with_h0, bias, sizes in LN_CASES:
        cases.append((name, dict(
            index=i, mode=mode, proj=proj, D=D, L=L, with_len=with_len, with_h0=with_h0,
            with_c0=with_h0 and mode == "LSTM", bias=bias, ln=True)))
        if sizes:
            cases[-1][1]["sizes"] = sizes
        i += 1
    return cases


# (name, mode, proj?, D, L, lengths?, h0 (and c0)?, bias?, (T, B, I, H) or None: drawn)
LN_CASES = [
    ("ln_lstm-uni-L1", "LSTM", False, 1, 1, False, False, True, None),
    ("ln_lstm-uni-L2-len-h0", "LSTM", False, 1, 2, True, True, True, (5, 3, 4, 3)),
    ("ln_lstm-bi-L2-len-h0", "LSTM", False, 2, 2, True, True, True, None),
    ("ln_lstm_proj-bi-L2-len-h0", "LSTM", True, 2, 2, True, True, True, None),
    ("ln_lstm-bi-L1-len-nobias", "LSTM", False, 2, 1, True, False, False, None),
    ("ln_gru-uni-L1", "GRU", False, 1, 1, False, False, True, None),
    ("ln_gru-uni-L2-len-h0", "GRU", False, 1, 2, True, True, True, None),
    ("ln_gru-bi-L2-len-h0", "GRU", False, 2, 2, True, True, True, (5, 3, 3, 4)),
]


def build_case(spec):
    """Returns (cfg, prefix, model tensors, model metadata, input tensors, expected tensors)."""
    i = spec["index"]
    seed = BASE_SEED + 1000 * i
    rng = np.random.RandomState(seed)
    gen = torch.Generator().manual_seed(seed)

    T = int(rng.randint(2 if spec["with_len"] else 1, 7))
    B = int(rng.randint(1, 5))
    I = int(rng.randint(1, 6))
    H = int(rng.randint(3 if spec["proj"] else 1, 7))
    # Guaranteed corner cases, spread over the set.
    if i % 13 == 3:
        T = 1
    if i % 11 == 4:
        B = 1
    if i % 10 == 7 and not spec["proj"]:
        H = 1
    if spec.get("ln") and H < 2:  # LN over one value of c' is constant
        H = 2
    if spec["with_len"] and B == 1 and i % 3 != 0:
        B = int(rng.randint(2, 5))
    if "sizes" in spec:
        T, B, I, H = spec["sizes"]
    proj = int(rng.randint(1, H)) if spec["proj"] else 0
    cfg = R.Config(spec["mode"], T=T, B=B, I=I, H=H, L=spec["L"], D=spec["D"], proj=proj,
                   bias=spec["bias"], ln=spec.get("ln", False))

    prefix = PREFIXES[i % len(PREFIXES)]
    params = R.random_params(cfg, gen)
    model = {prefix + k: v for k, v in params.items()}
    if i % 4 == (i // 4) % 4:  # about every 4th case: unrelated tensors a loader must ignore
        model["fc.weight"] = R.uniform(gen, (3, cfg.D * cfg.H_out), -0.5, 0.5)
        model["fc.bias"] = R.uniform(gen, (3,), -0.5, 0.5)
    meta = {"mode": cfg.mode}
    if cfg.mode in R.INFERABLE and (i + i // 4) % 3 == 2:
        meta = None  # the loader must infer the mode from the shapes
    if cfg.ln and meta is not None and i % 2 == 0:
        meta["layer_norm"] = "1"  # else inferred from the tensors

    lengths = make_lengths(rng, T, B, want_one=(i % 3 != 0 or not spec["bias"])) \
        if spec["with_len"] else None
    inputs = R.random_inputs(cfg, gen, lengths, spec["with_h0"], spec["with_c0"])
    if spec["with_c0"] and not spec["with_h0"]:
        assert "h0" not in inputs
    expected = R.expected_tensors(cfg, params, inputs, prefix)
    len_dtype = torch.int32 if (i // 4) % 3 == 1 else torch.int64
    return (cfg, prefix, R.to_file_tensors(model), meta,
            R.to_file_tensors(inputs, len_dtype), expected)


def write_case(outdir, name, spec):
    cfg, prefix, model, meta, inputs, expected = build_case(spec)
    d = os.path.join(outdir, name)
    os.makedirs(d, exist_ok=True)
    save_file(model, os.path.join(d, "model.safetensors"), metadata=meta)
    save_file(inputs, os.path.join(d, "input.safetensors"))
    save_file(expected, os.path.join(d, "expected.safetensors"))
    return cfg, prefix, meta, inputs, model


def generate(outdir, verbose=True):
    cases = case_list()
    names = [n for n, _ in cases]
    assert len(set(names)) == len(names)
    seen = dict(T1=False, B1=False, H1=False, len1=False, i32=False, i64=False, nometa=False,
                fc=False)
    for name, spec in cases:
        cfg, prefix, meta, inputs, model = write_case(outdir, name, spec)
        seen["fc"] |= "fc.weight" in model
        seen["T1"] |= cfg.T == 1
        seen["B1"] |= cfg.B == 1
        seen["H1"] |= cfg.H == 1
        if "lengths" in inputs:
            seen["len1"] |= bool((inputs["lengths"] == 1).any()) and cfg.T > 1
            seen["i32"] |= inputs["lengths"].dtype == torch.int32
            seen["i64"] |= inputs["lengths"].dtype == torch.int64
        seen["nometa"] |= meta is None
        if verbose:
            lens = inputs["lengths"].tolist() if "lengths" in inputs else None
            print(f"  {name:28s} {cfg.describe():44s} prefix={prefix!r:16s}"
                  f"{' lengths=' + str(lens) if lens else ''}{'' if meta else ' (no mode)'}{' +fc' if 'fc.weight' in model else ''}")
    missing = [k for k, v in seen.items() if not v]
    if missing:
        raise SystemExit(f"fixture set lacks corner cases: {missing}")
    with open(os.path.join(outdir, "INDEX"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=FIXTURES, help="output directory (default tests/fixtures)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with --out")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()

    torch.set_num_threads(1)
    R.validate(verbose=not args.quiet)

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            names = generate(tmp, verbose=False)
            bad = []
            for n in names:
                for f in FILES:
                    a, b = os.path.join(tmp, n, f), os.path.join(args.out, n, f)
                    if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                        bad.append(os.path.join(n, f))
            idx = os.path.join(args.out, "INDEX")
            if not os.path.exists(idx) or not filecmp.cmp(os.path.join(tmp, "INDEX"), idx, shallow=False):
                bad.append("INDEX")
        if bad:
            print(f"fixtures differ from a fresh generation: {len(bad)} files, e.g. {bad[:5]}")
            return 1
        print(f"fixtures in {args.out} are up to date ({len(names)} cases)")
        return 0

    os.makedirs(args.out, exist_ok=True)
    old = []
    idx = os.path.join(args.out, "INDEX")
    if os.path.exists(idx):
        with open(idx) as f:
            old = [l.strip() for l in f if l.strip()]
    names = generate(args.out, verbose=not args.quiet)
    for n in old:  # cases dropped since the last run
        if n not in names and "/" not in n and n not in (".", ".."):
            shutil.rmtree(os.path.join(args.out, n), ignore_errors=True)
    size = sum(os.path.getsize(os.path.join(dp, f))
               for dp, _, fs in os.walk(args.out) for f in fs)
    print(f"wrote {len(names)} cases to {args.out} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
