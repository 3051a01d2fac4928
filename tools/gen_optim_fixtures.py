"""PyTorch reference for recur's optimizers, gradient clipping and plateau schedule.

    python3 tools/gen_optim_fixtures.py            # writes tests/fixtures/optim.safetensors
    python3 tools/gen_optim_fixtures.py --check    # regenerate in memory, compare byte for byte

Optimizer cases: a float32 parameter vector of N values, STEPS steps of given float32 gradients
with a learning rate that changes between steps (as a schedule would), run through
torch.optim.<X>(..., foreach=False) on a float32 tensor (p.grad set each step, the lr set in
param_groups[0]["lr"]). Hyperparameters and learning rates are float32 values, given to PyTorch
as the Python floats they equal, so that recur (which keeps them as float) computes with the very
same numbers; the case `adam_pydefaults` instead gives PyTorch its own double defaults
(lr=1e-3, betas=(0.9, 0.999), eps=1e-8) to show what that difference costs: its parameters still
agree to 1e-6 (bit for bit here), but exp_avg_sq differs by 1.3e-5 relative, the rounding of
1 - beta2 (1 - 0.999f = 0.000999987), so that case is marked params_only.

Tensors (F32 unless said), for each optimizer case C:
  C.params0 [N]            the initial parameters
  C.grads [STEPS, N]       the gradient given at each step
  C.lrs [STEPS]            the learning rate of each step
  C.expected [STEPS, N]    PyTorch's parameters after each step
  C.state.<key> [N]        PyTorch's state after the last step (exp_avg, momentum_buffer, ...)
__metadata__ has one key, "cases", a JSON object (one key, so that the bytes are deterministic):
  {"optim": [[C, {"kind": "sgd"|"adam"|"adamw"|"rmsprop"|"adagrad", <optim_config field>:
   value, ...}, {"params_only": bool}], ...], "plateau": [[P, {...}], ...]}
where fields not given take optim_default(kind), and params_only says that only the
parameters, not the state, are expected to agree.

Clipping (torch.nn.utils.clip_grad_norm_ on one float32 tensor, default foreach):
  clip.grads [K, N], clip.max_norm [K], clip.total [K] (the returned norm), clip.clipped [K, N].

Plateau (torch.optim.lr_scheduler.ReduceLROnPlateau, mode min, threshold_mode rel), for each
case [P, {"base_lr", "factor", "patience", "threshold", "cooldown", "min_lr"}] in
"plateau": plateau.P.losses [E] the validation losses
(NaN included) and plateau.P.lrs [E] F64, the optimizer's lr after each scheduler.step(loss).

Deterministic (fixed seeds, one thread). PyTorch's CPU kernels differ by instruction set (FMA,
vectorised sqrt), so the bytes are those of the machine that generated them (AVX-512 here).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
from safetensors.torch import save

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "optim.safetensors")
N = 37
STEPS = 6


def f32(x):
    """The float32 value nearest x, as a Python float."""
    return float(np.float32(x))


# (name, recur config, learning rates). Config values are rounded to float32 before use.
LR_SHAPE = (1.0, 1.0, 0.5, 2.0, 0.25, 1.0)
OPTIM_CASES = [
    ("sgd", {"kind": "sgd"}, 0.1),
    ("sgd_momentum", {"kind": "sgd", "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, 0.05),
    ("sgd_nesterov", {"kind": "sgd", "momentum": 0.9, "nesterov": 1, "weight_decay": 0.001}, 0.05),
    ("adam", {"kind": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, 1e-3),
    ("adam_wd", {"kind": "adam", "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.01}, 1e-2),
    ("adamw", {"kind": "adamw", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}, 1e-2),
    ("rmsprop", {"kind": "rmsprop", "alpha": 0.99, "eps": 1e-8}, 1e-2),
    ("rmsprop_centered_momentum", {"kind": "rmsprop", "alpha": 0.9, "eps": 1e-8, "momentum": 0.9,
                                   "centered": 1, "weight_decay": 0.001}, 1e-2),
    ("adagrad", {"kind": "adagrad", "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                 "eps": 1e-10, "weight_decay": 0.001}, 0.1),
    ("adam_pydefaults", {"kind": "adam"}, 1e-3),
]
INT_FIELDS = ("nesterov", "centered")


def torch_optimizer(cfg, p, lr, pydefaults):
    k = cfg["kind"]
    g = {key: (v if key in INT_FIELDS else f32(v)) for key, v in cfg.items() if key != "kind"}
    wd = g.get("weight_decay", 0.0)
    if k == "sgd":
        return torch.optim.SGD([p], lr=lr, momentum=g.get("momentum", 0.0),
                               dampening=g.get("dampening", 0.0), weight_decay=wd,
                               nesterov=bool(g.get("nesterov", 0)), foreach=False)
    if k in ("adam", "adamw"):
        if pydefaults:
            return torch.optim.Adam([p], lr=1e-3, foreach=False)
        cls = torch.optim.Adam if k == "adam" else torch.optim.AdamW
        return cls([p], lr=lr, betas=(g["beta1"], g["beta2"]), eps=g["eps"], weight_decay=wd,
                   foreach=False)
    if k == "rmsprop":
        return torch.optim.RMSprop([p], lr=lr, alpha=g["alpha"], eps=g["eps"], weight_decay=wd,
                                   momentum=g.get("momentum", 0.0),
                                   centered=bool(g.get("centered", 0)), foreach=False)
    if k == "adagrad":
        return torch.optim.Adagrad([p], lr=lr, lr_decay=g["lr_decay"], weight_decay=wd,
                                   initial_accumulator_value=g["initial_accumulator_value"],
                                   eps=g["eps"], foreach=False)
    raise ValueError(k)


def optim_case(name, cfg, base_lr, gen, tensors, meta):
    p0 = torch.randn(N, generator=gen, dtype=torch.float64).to(torch.float32)
    # Gradients of mixed scales, with a few exact zeros.
    scale = torch.exp(torch.randn(N, generator=gen, dtype=torch.float64))
    grads = (torch.randn(STEPS, N, generator=gen, dtype=torch.float64) * scale).to(torch.float32)
    grads[1, 3] = 0.0
    grads[:, 5] = 0.0
    lrs = torch.tensor([f32(base_lr * s) for s in LR_SHAPE], dtype=torch.float32)
    if name == "sgd_momentum":
        lrs[4] = 0.0  # the buffer still moves at lr 0
    pydefaults = name == "adam_pydefaults"
    if pydefaults:
        lrs[:] = f32(1e-3)

    p = p0.clone().requires_grad_(True)
    opt = torch_optimizer(cfg, p, float(lrs[0]), pydefaults)
    expected = torch.empty(STEPS, N, dtype=torch.float32)
    for s in range(STEPS):
        if not pydefaults:
            opt.param_groups[0]["lr"] = float(lrs[s])
        p.grad = grads[s].clone()
        opt.step()
        expected[s] = p.detach()
    tensors[f"{name}.params0"] = p0
    tensors[f"{name}.grads"] = grads
    tensors[f"{name}.lrs"] = lrs
    tensors[f"{name}.expected"] = expected
    for key, v in opt.state[p].items():
        if key != "step":
            tensors[f"{name}.state.{key}"] = v.detach().clone()
    out = {"kind": cfg["kind"]}
    for key, v in cfg.items():
        if key != "kind":
            out[key] = v if key in INT_FIELDS else f32(v)
    meta["optim"].append([name, out, {"params_only": pydefaults}])


def clip_cases(gen, tensors):
    grads = (torch.randn(4, N, generator=gen, dtype=torch.float64) * 0.5).to(torch.float32)
    norms = [float(torch.linalg.vector_norm(grads[k].double())) for k in range(4)]
    # Clips hard, no clipping, just below the norm, just above it.
    max_norm = torch.tensor([f32(0.5), f32(100.0), f32(norms[2] * 0.999), f32(norms[3] * 1.001)],
                            dtype=torch.float32)
    total = torch.empty(4, dtype=torch.float32)
    clipped = torch.empty(4, N, dtype=torch.float32)
    for k in range(4):
        p = torch.zeros(N, dtype=torch.float32, requires_grad=True)
        p.grad = grads[k].clone()
        total[k] = torch.nn.utils.clip_grad_norm_(p, float(max_norm[k]))
        clipped[k] = p.grad
    tensors["clip.grads"] = grads
    tensors["clip.max_norm"] = max_norm
    tensors["clip.total"] = total
    tensors["clip.clipped"] = clipped


PLATEAU_CASES = [
    # Short patience, a relative threshold that matters, cooldown, min_lr reached, a NaN.
    # Epoch 5, bad, falls in the cooldown after the first reduction and must not count.
    ("short", {"base_lr": 0.1, "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 2,
               "min_lr": 0.02},
     [1.0, 0.9, 0.895, 0.894, 0.893, 0.894, 0.85, 0.849, 0.86, 0.87, 0.8, 0.8, 0.8, 0.8, float("nan"),
      0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]),
    # PyTorch's defaults (factor 0.1, patience 10, threshold 1e-4).
    ("defaults", {"base_lr": 1.0, "factor": 0.1, "patience": 10, "threshold": 1e-4,
                  "cooldown": 0, "min_lr": 0.0},
     [2.0 - 0.05 * e for e in range(8)] + [1.64999] * 12 + [1.5] + [1.49995] * 14),
]


def plateau_cases(tensors, meta):
    for name, cfg, losses in PLATEAU_CASES:
        c = {k: (v if k in ("patience", "cooldown") else f32(v)) for k, v in cfg.items()}
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=c["base_lr"])
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=c["factor"], patience=c["patience"],
            threshold=c["threshold"], threshold_mode="rel", cooldown=c["cooldown"],
            min_lr=c["min_lr"])
        l32 = torch.tensor(losses, dtype=torch.float32)
        lrs = []
        for v in l32.tolist():
            sched.step(v)
            lrs.append(opt.param_groups[0]["lr"])
        tensors[f"plateau.{name}.losses"] = l32
        tensors[f"plateau.{name}.lrs"] = torch.tensor(lrs, dtype=torch.float64)
        meta["plateau"].append([name, c])


def generate():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(20240611)
    tensors, meta = {}, {"optim": [], "plateau": []}
    for name, cfg, lr in OPTIM_CASES:
        optim_case(name, cfg, lr, gen, tensors, meta)
    clip_cases(gen, tensors)
    plateau_cases(tensors, meta)
    for k, v in tensors.items():
        if not bool(torch.isfinite(v).all()) and not k.endswith(".losses"):
            raise SystemExit(f"{k} is not finite")
    return save(tensors, metadata={"cases": json.dumps(meta, sort_keys=True)})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT, help="output file (default tests/fixtures/optim.safetensors)")
    ap.add_argument("--check", action="store_true", help="compare a fresh generation with --out")
    args = ap.parse_args()
    data = generate()
    if args.check:
        with open(args.out, "rb") as f:
            same = f.read() == data
        print(f"{args.out} is {'up to date' if same else 'different from a fresh generation'}")
        return 0 if same else 1
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({len(data) / 1024:.1f} KiB, {len(OPTIM_CASES)} optimizer cases, "
          f"4 clipping cases, {len(PLATEAU_CASES)} plateau sequences)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
