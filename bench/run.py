#!/usr/bin/env python3
"""`make bench`: recur against oneDNN and PyTorch on the same RNN shapes, in the same run.

    python3 bench/run.py [--quick] [--tiny] [--cases NAME,...] [--modes infer,train,step]
                         [--threads 1,2] [--out build/bench.md]

Every case below runs in every mode (infer, train, step; step needs one direction and full
lengths, so the bidirectional cases show "—" there) for
  recur    build/recur bench --json (the public API; step = one recur_rnn_forward call per step);
           first checked once per case against PyTorch on the case's shape (`recur forward` on a
           PyTorch module's weights: output, input and parameter gradients to 1e-4 relative);
  oneDNN   build/dnnl_rnn, built here from bench/dnnl_rnn.c over dnnl.h (bench/setup.sh installs
           Debian's libdnnl-dev); its forward output (inference and training) is first checked
           against a plain C reference once per case (--check), and a case that fails shows n/a;
           weights are reordered once, outside the timing (train is timed a second time with
           the reorders inside each repeat, --reorders: the last column); no variable
           lengths in oneDNN, so bidir_varlen shows n/a; OMP_NUM_THREADS = threads;
  PyTorch  nn.LSTM / nn.GRU / nn.RNN (tanh) at float32, in a worker process per thread setting
           (this script with --torch-worker): infer under torch.inference_mode(); train =
           forward + backward of (out * dy).sum() with every gradient (parameters and input);
           varlen through pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence;
           step = the module called on one step at a time with its state. PyTorch gets its best
           setting at each thread count: at 1 thread torch.set_num_threads(1); at 2 threads the
           best of 1 thread, 2 threads, and 2 threads with OMP_WAIT_POLICY=PASSIVE; the table
           says which. oneDNN and recur at 2 threads likewise each get the better of active
           and passive OpenMP waiting (the table says which).
The FMA peak is measured by build/fma_peak (bench/fma_peak.c: 16 independent zmm or ymm
accumulators) at each thread count. FLOPs: 2·G·H·(I_l + H) per token, layer and direction
(I_l = the layer's input width: D·H after layer 0), the sum of the lengths with --varlen, three
times that for train. Each timing: warm-up runs, then repeats, the median.

--quick runs fewer repeats; --tiny shrinks every shape (H, I <= 16, B <= 4, T <= 8) for smoke
tests: its numbers mean nothing. Prints one Markdown table per thread count and writes it all to
--out, and every raw figure to the same name with .json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (cell, I, H, L, D, B, T, varlen)
CASES = [
    ("charrnn", ("lstm", 65, 512, 2, 1, 50, 50, False)),
    ("zaremba_small", ("lstm", 200, 200, 2, 1, 20, 20, False)),
    ("deepbench_lstm", ("lstm", 512, 512, 1, 1, 64, 50, False)),
    ("deepbench_gru", ("gru", 512, 512, 1, 1, 64, 50, False)),
    ("deepbench_rnn", ("rnn", 512, 512, 1, 1, 64, 50, False)),
    ("big", ("lstm", 1024, 1024, 1, 1, 64, 25, False)),
    ("bidir", ("lstm", 128, 256, 2, 2, 32, 100, False)),
    ("bidir_varlen", ("lstm", 128, 256, 2, 2, 32, 100, True)),
    ("stream", ("lstm", 256, 256, 1, 1, 1, 1000, False)),
]
MODES = ["infer", "train", "step"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def shrink(shape):
    cell, I, H, L, D, B, T, varlen = shape
    return (cell, min(I, 16), min(H, 16), L, D, min(B, 4), min(T, 8), varlen)


def applicable(shape, mode):
    """None when the mode applies to the shape, else why not."""
    _, _, _, _, D, _, _, varlen = shape
    if mode == "step" and (D == 2 or varlen):
        return "step runs one direction over full sequences"
    return None


def case_args(shape):
    cell, I, H, L, D, B, T, varlen = shape
    a = ["--cell", cell, "--input-size", str(I), "--hidden", str(H), "--layers", str(L),
         "--batch", str(B), "--seq-len", str(T)]
    if D == 2:
        a.append("--bidirectional")
    if varlen:
        a.append("--varlen")
    return a


def run_json(cmd, env=None, timeout=900):
    """Runs cmd, returns (the last JSON line of stdout, None) or (None, why)."""
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if p.returncode != 0:
        err = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return None, "exit %d: %s" % (p.returncode, err)
    for line in reversed(p.stdout.strip().splitlines()):
        try:
            return json.loads(line), None
        except ValueError:
            continue
    return None, "no JSON on stdout"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------------
# Building the helpers
# ---------------------------------------------------------------------------------------------

def build_helpers(cc):
    """Builds build/fma_peak and build/dnnl_rnn; returns {name: None or why it failed}."""
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    why = {}
    for name, extra in (("fma_peak", ["-pthread"]), ("dnnl_rnn", ["-ldnnl", "-lm"])):
        src, out = "bench/%s.c" % name, "build/%s" % name
        cmd = cc.split() + ["-O2", "-std=c11", "-Wall", "-Isrc", src, "-o", out] + extra
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        why[name] = None if p.returncode == 0 else "build failed: %s" % (
            (p.stderr.strip().splitlines() or ["?"])[0])
        if why[name]:
            log("bench: %s: %s" % (name, why[name]))
    return why


# ---------------------------------------------------------------------------------------------
# PyTorch worker (runs in its own process: OMP_WAIT_POLICY is read when torch loads)
# ---------------------------------------------------------------------------------------------

def torch_worker(spec):
    import torch
    import torch.nn as nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(1)
    repeat, warmup = spec["repeat"], spec["warmup"]
    for job in spec["jobs"]:
        cell, I, H, L, D, B, T, varlen = job["shape"]
        mode = job["mode"]
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        rnn = cls(I, H, L, bidirectional=D == 2).float()
        g = torch.Generator().manual_seed(1)
        x = torch.rand(T, B, I, generator=g) * 2 - 1
        dy = torch.rand(T, B, D * H, generator=g) * 2 - 1
        lengths = None
        if varlen:
            lo = max(1, T // 4)
            lengths = torch.randint(lo, T + 1, (B,), generator=g)

        def forward(inp):
            if lengths is None:
                return rnn(inp)[0]
            packed = pack_padded_sequence(inp, lengths, enforce_sorted=False)
            return pad_packed_sequence(rnn(packed)[0], total_length=T)[0]

        def once():
            if mode == "infer":
                with torch.inference_mode():
                    forward(x)
            elif mode == "train":
                xg = x.detach().requires_grad_(True)
                (forward(xg) * dy).sum().backward()
            else:
                with torch.inference_mode():
                    state = None
                    for t in range(T):
                        _, state = rnn(x[t:t + 1], state)
        times = []
        for r in range(warmup + repeat):
            if mode == "train":
                rnn.zero_grad(set_to_none=False)
            t0 = time.perf_counter()
            once()
            t1 = time.perf_counter()
            if r >= warmup:
                times.append((t1 - t0) * 1e3)
        times.sort()
        n = len(times)
        med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
        print(json.dumps({"case": job["case"], "mode": mode, "ms_median": med, "ms_min": times[0],
                          "torch": torch.__version__, "threads": torch.get_num_threads()}),
              flush=True)


def verify_recur(recur, shape, tol=1e-4):
    """recur against PyTorch on the case's shape, before any timing: a PyTorch module with
    random weights, inputs, output gradient (and lengths) goes through `recur forward`; the
    output, the input gradient and every parameter gradient must agree to tol relative to the
    largest magnitude of each. Returns None, or why not."""
    import tempfile

    import torch
    import torch.nn as nn
    from safetensors.torch import load_file, save_file
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    cell, I, H, L, D, B, T, varlen = shape
    torch.manual_seed(2)
    rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](I, H, L, bidirectional=D == 2)
    g = torch.Generator().manual_seed(2)
    x = (torch.rand(T, B, I, generator=g) * 2 - 1).requires_grad_(True)
    dy = torch.rand(T, B, D * H, generator=g) * 2 - 1
    tensors = {"input": x.detach(), "grad_output": dy}
    if varlen:
        lengths = torch.randint(max(1, T // 4), T + 1, (B,), generator=g)
        tensors["lengths"] = lengths
        out = pad_packed_sequence(rnn(pack_padded_sequence(x, lengths, enforce_sorted=False))[0],
                                  total_length=T)[0]
    else:
        out = rnn(x)[0]
    (out * dy).sum().backward()
    want = {"output": out.detach(), "grad_input": x.grad}
    want.update({"grad." + n: p.grad for n, p in rnn.named_parameters()})
    with tempfile.TemporaryDirectory() as d:
        m, i, o = (os.path.join(d, f) for f in ("m.safetensors", "i.safetensors", "o.safetensors"))
        save_file({k: v.contiguous() for k, v in rnn.state_dict().items()}, m)
        save_file({k: v.contiguous() for k, v in tensors.items()}, i)
        p = subprocess.run([recur, "forward", "--model", m, "--input", i, "--output", o],
                           cwd=ROOT, capture_output=True, text=True)
        if p.returncode != 0:
            return "recur forward: exit %d: %s" % (p.returncode, p.stderr.strip())
        got = load_file(o)
    for k, w in want.items():
        if k not in got:
            return "recur forward wrote no %s" % k
        err = (got[k] - w).abs().max().item() / max(1e-30, w.abs().max().item())
        if not err <= tol:
            return "%s differs from PyTorch by %.2g (relative to its largest value)" % (k, err)
    return None


def run_torch(jobs, threads, passive, repeat, warmup):
    """Runs the worker for one setting; returns ({(case, mode): ms}, None) or ({}, why)."""
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    if passive:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["OMP_NUM_THREADS"] = str(threads)
    spec = json.dumps({"threads": threads, "repeat": repeat, "warmup": warmup, "jobs": jobs})
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--torch-worker", spec],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {}, None, str(e)
    res, version = {}, None
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        res[(o["case"], o["mode"])] = o["ms_median"]
        version = o["torch"]
    if p.returncode != 0:
        err = (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
        return res, version, "PyTorch worker: %s" % err
    return res, version, None


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def flops_of(shape, mode):
    """The FLOPs of a case at full lengths (recur's own figure, the sum of the lengths, is used
    for varlen whenever recur ran)."""
    cell, I, H, L, D, B, T, varlen = shape
    per = sum(D * 2 * GATES[cell] * H * ((D * H if l else I) + H) for l in range(L))
    return per * T * B * (3 if mode == "train" else 1)


def fmt(v, spec="%.2f"):
    return "n/a" if v is None else spec % v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (3, warm-up 1)")
    ap.add_argument("--tiny", action="store_true", help="shrunk shapes, for smoke tests only")
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--out", default="build/bench.md", help="where to write the tables")
    ap.add_argument("--recur", default="build/recur")
    ap.add_argument("--torch-worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker is not None:
        torch_worker(json.loads(args.torch_worker))
        return

    names = [c for c, _ in CASES]
    wanted = [c for c in args.cases.split(",") if c] or names
    for c in wanted:
        if c not in names:
            sys.exit("bench/run.py: unknown case %r (cases: %s)" % (c, ", ".join(names)))
    modes = [m for m in args.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            sys.exit("bench/run.py: unknown mode %r (modes: %s)" % (m, ", ".join(MODES)))
    threads_list = [int(t) for t in args.threads.split(",") if t]
    cases = [(c, shrink(s) if args.tiny else s) for c, s in CASES if c in wanted]
    repeat, warmup = (3, 1) if args.quick or args.tiny else (10, 2)

    cc = os.environ.get("CC", "cc")
    cflags = os.environ.get("CFLAGS", "-O2 -g")
    helper_why = build_helpers(cc)
    if not os.access(os.path.join(ROOT, args.recur), os.X_OK):
        sys.exit("bench/run.py: %s is missing; run make first" % args.recur)

    peak = {}
    if not helper_why["fma_peak"]:
        o, why = run_json(["build/fma_peak", "20" if args.tiny else "2000", str(max(threads_list))])
        if o:
            peak = {int(k): v for k, v in o["gflops"].items()}
            peak_isa = o["isa"]
        else:
            helper_why["fma_peak"] = why
    dnnl_why = helper_why["dnnl_rnn"]
    torch_why = None
    try:
        import torch  # noqa: F401
    except ImportError as e:
        torch_why = "PyTorch not installed (%s); run bench/setup.sh" % e

    # oneDNN's forward output against the plain C reference, once per case (not timed).
    dnnl_check = {}
    if not dnnl_why:
        for case, shape in cases:
            if shape[7]:
                continue
            a = [x for x in case_args(shape) if x != "--varlen"]
            log("bench: oneDNN check, %s" % case)
            o, why = run_json(["build/dnnl_rnn", "--check", "--mode", "infer", "--repeat", "1",
                               "--warmup", "0"] + a, env=dict(os.environ, OMP_NUM_THREADS="1"))
            dnnl_check[case] = ("check against the C reference failed: %s" % why) if why else None

    # recur against PyTorch, once per case (not timed); a case that fails shows n/a for recur.
    recur_check = {}
    if not torch_why:
        for case, shape in cases:
            log("bench: recur check against PyTorch, %s" % case)
            try:
                recur_check[case] = verify_recur(args.recur, shape)
            except Exception as e:  # noqa: BLE001 - reported in the table
                recur_check[case] = "check failed to run: %s" % e
            if recur_check[case]:
                log("bench: recur: " + recur_check[case])

    jobs = [{"case": c, "shape": list(s), "mode": m} for c, s in cases for m in modes
            if not applicable(s, m)]
    rows = {}  # (threads, case, mode) -> dict
    torch_version = dnnl_version = blas_core = None
    torch_runs = {}  # (threads, passive) -> {(case, mode): ms}
    for nt in threads_list:
        log("bench: %d thread(s)" % nt)
        # PyTorch settings: name, threads, passive
        settings = [("1 thread", 1, False)]
        if nt >= 2:
            settings = [("1 thread", 1, False), ("%d threads" % nt, nt, False),
                        ("%d threads, OMP_WAIT_POLICY=PASSIVE" % nt, nt, True)]
        torch_res = {}
        if not torch_why:
            for label, t, passive in settings:
                if (t, passive) not in torch_runs:  # one run per setting, shared by the tables
                    log("bench: PyTorch, %s" % label)
                    res, ver, why = run_torch([j for j in jobs if j["shape"][0] in GATES], t,
                                              passive, repeat, warmup)
                    torch_runs[(t, passive)] = res
                    torch_version = ver or torch_version
                    if why:
                        log("bench: " + why)
                        if not res:
                            torch_why = why
                res = torch_runs[(t, passive)]
                for k, ms in res.items():
                    if k not in torch_res or ms < torch_res[k][0]:
                        torch_res[k] = (ms, label)
        for case, shape in cases:
            for mode in modes:
                key = (nt, case, mode)
                na = applicable(shape, mode)
                if na:
                    rows[key] = {"na": na}
                    continue
                log("bench: %s %s" % (case, mode))
                r = {}
                cmd = [args.recur, "bench", "--json", "--mode", mode, "--threads", str(nt),
                       "--repeat", str(repeat), "--warmup", str(warmup)] + case_args(shape)
                if recur_check.get(case):
                    o, why = None, "check against PyTorch failed: " + recur_check[case]
                else:
                    # The same choice of OpenMP waiting as oneDNN's below.
                    o, why = None, None
                    for policy in ("active", "passive") if nt >= 2 else ("active",):
                        env = dict(os.environ)
                        env.pop("OMP_WAIT_POLICY", None)
                        if policy == "passive":
                            env["OMP_WAIT_POLICY"] = "PASSIVE"
                        oo, why = run_json(cmd, env=env)
                        if oo and (not o or oo["ms_median"] < o["ms_median"]):
                            o = oo
                            r["recur_setting"] = policy if nt >= 2 else ""
                        elif not oo:
                            log("bench: recur (%s): %s" % (policy, why))
                if o:
                    r["recur_ms"], r["gflops"], r["flops"] = o["ms_median"], o["gflops"], o["flops"]
                    r["us_per_step"] = o.get("us_per_step")
                    blas_core = o.get("openblas_core")
                    if nt in peak:
                        r["pct_peak"] = 100.0 * o["gflops"] / peak[nt]
                else:
                    r["recur_why"] = why
                    log("bench: recur: " + why)
                if dnnl_why:
                    r["dnnl_why"] = dnnl_why
                elif shape[7]:
                    r["dnnl_why"] = "oneDNN has no variable lengths"
                elif dnnl_check.get(case):
                    r["dnnl_why"] = dnnl_check[case]
                else:
                    # Its OpenMP runtime, like PyTorch's, may do better with passive waiting
                    # on 2 threads: the better of the two counts, and the table says which.
                    a = [x for x in case_args(shape) if x != "--varlen"]
                    for policy in ("active", "passive") if nt >= 2 else ("active",):
                        env = dict(os.environ, OMP_NUM_THREADS=str(nt))
                        env.pop("OMP_WAIT_POLICY", None)
                        if policy == "passive":
                            env["OMP_WAIT_POLICY"] = "PASSIVE"
                        o, why = run_json(["build/dnnl_rnn", "--mode", mode, "--repeat",
                                           str(repeat), "--warmup", str(warmup)] + a, env=env)
                        if o and ("dnnl_ms" not in r or o["ms_median"] < r["dnnl_ms"]):
                            r["dnnl_ms"] = o["ms_median"]
                            r["dnnl_setting"] = policy if nt >= 2 else ""
                            dnnl_version = o["dnnl_version"]
                        elif not o:
                            log("bench: oneDNN (%s): %s" % (policy, why))
                    if "dnnl_ms" not in r:
                        r["dnnl_why"] = why
                    elif mode == "train":
                        # Also with its weight reorders timed, as a training loop whose
                        # optimizer updates plain-layout weights must run them (recur's
                        # training packs its weights in every call), same OpenMP waiting.
                        env = dict(os.environ, OMP_NUM_THREADS=str(nt))
                        env.pop("OMP_WAIT_POLICY", None)
                        if r.get("dnnl_setting") == "passive":
                            env["OMP_WAIT_POLICY"] = "PASSIVE"
                        o, why = run_json(["build/dnnl_rnn", "--mode", mode, "--reorders",
                                           "--repeat", str(repeat), "--warmup", str(warmup)]
                                          + a, env=env)
                        if o:
                            r["dnnl_reorders_ms"] = o["ms_median"]
                        else:
                            log("bench: oneDNN with reorders: %s" % why)
                if (case, mode) in torch_res:
                    r["torch_ms"], r["torch_setting"] = torch_res[(case, mode)]
                else:
                    r["torch_why"] = torch_why or "no result"
                rows[key] = r

    # ---- report ----
    out = []
    out.append("# recur vs oneDNN vs PyTorch%s" % (" (TINY SHAPES: smoke test, not a measurement)"
                                                   if args.tiny else ""))
    out.append("")
    out.append("- date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    out.append("- machine: %s, %s cores (%s), %s" % (model, os.cpu_count(), platform.machine(),
                                                    platform.platform()))
    out.append("- compiler: %s; recur CFLAGS: %s" % (sh("%s --version | head -1" % cc), cflags))
    out.append("- OpenBLAS kernel: %s (OPENBLAS_CORETYPE=%s)" % (
        blas_core or "?", os.environ.get("OPENBLAS_CORETYPE", "unset")))
    if peak:
        out.append("- FMA peak (bench/fma_peak, %s, 16 accumulators): %s" % (
            peak_isa, ", ".join("%.1f GFLOP/s at %d thread%s" % (v, k, "" if k == 1 else "s")
                                for k, v in sorted(peak.items()))))
    else:
        out.append("- FMA peak: n/a (%s)" % helper_why["fma_peak"])
    out.append("- oneDNN: %s" % (dnnl_version or "n/a (%s)" % (dnnl_why or "no result")))
    out.append("- PyTorch: %s" % (torch_version or "n/a (%s)" % torch_why))
    out.append("- repeats: %d after %d warm-up, median; FLOPs 2·G·H·(I+H) per token, layer and "
               "direction, x3 for train" % (repeat, warmup))
    out.append("- ratio = their time / recur's time: > 1 means recur is faster")
    out.append("- step: T calls of the public one-step path (recur: recur_rnn_forward with T = 1; "
               "oneDNN: a T = 1 primitive; PyTorch: the module on one step), state carried; "
               "time = the whole loop")
    notes = []
    for nt in threads_list:
        out.append("")
        out.append("## %d thread%s" % (nt, "" if nt == 1 else "s"))
        out.append("")
        out.append("| case | mode | recur ms | GFLOP/s | % of peak | oneDNN ms | PyTorch ms "
                   "| recur/oneDNN | recur/PyTorch | PyTorch setting | oneDNN OpenMP wait "
                   "| recur OpenMP wait | recur/oneDNN, reorders timed |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for case, shape in cases:
            for mode in modes:
                r = rows[(nt, case, mode)]
                if "na" in r:
                    out.append("| %s | %s | — | | | | | | | | | | |" % (case, mode))
                    continue
                rm = r.get("recur_ms")
                rms = fmt(rm, "%.3f")
                if r.get("us_per_step") is not None:
                    rms += " (%.1f µs/step)" % r["us_per_step"]
                dm, tm = r.get("dnnl_ms"), r.get("torch_ms")
                dr = r.get("dnnl_reorders_ms")
                out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    case, mode, rms, fmt(r.get("gflops"), "%.1f"), fmt(r.get("pct_peak"), "%.0f%%"),
                    fmt(dm, "%.3f"), fmt(tm, "%.3f"),
                    fmt(dm / rm if dm and rm else None), fmt(tm / rm if tm and rm else None),
                    r.get("torch_setting", ""), r.get("dnnl_setting", ""),
                    r.get("recur_setting", ""), fmt(dr / rm if dr and rm else None)))
                for side in ("recur", "dnnl", "torch"):
                    why = r.get(side + "_why")
                    if why:
                        notes.append("%s, %s, %d thread(s), %s: %s" % (
                            case, mode, nt, {"dnnl": "oneDNN", "torch": "PyTorch"}.get(side, side),
                            why))
    if notes:
        out.append("")
        out.append("n/a:")
        seen = set()
        for n in notes:
            short = n.split(": ", 1)[1]
            if short in seen and "oneDNN has no variable" not in n:
                continue
            seen.add(short)
            out.append("- " + n)
    text = "\n".join(out) + "\n"
    print(text)
    path = os.path.join(ROOT, args.out)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    raw = os.path.splitext(path)[0] + ".json"
    with open(raw, "w") as f:
        json.dump({"peak_gflops": peak, "torch": torch_version, "dnnl": dnnl_version,
                   "openblas_core": blas_core, "tiny": args.tiny, "repeat": repeat,
                   "rows": [dict(r, threads=k[0], case=k[1], mode=k[2],
                                 shape=dict(zip(("cell", "I", "H", "L", "D", "B", "T", "varlen"),
                                                dict(cases)[k[1]])),
                                 flops=r.get("flops") or flops_of(dict(cases)[k[1]], k[2]))
                            for k, r in rows.items()]}, f, indent=1)
    log("bench: wrote %s and %s" % (args.out, os.path.relpath(raw, ROOT)))


if __name__ == "__main__":
    main()
