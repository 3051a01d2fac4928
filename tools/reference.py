"""Float64 reference for recur's RNN stacks (shared by gen_fixtures.py and random_check.py).

Everything here computes in float64 from float32-representable values: parameters and inputs
are drawn at random, rounded to float32 and back, so the reference uses exactly the numbers
that are stored in the safetensors files.

Modes LSTM, GRU, RNN_TANH and RNN_RELU run torch.nn.LSTM / GRU / RNN (with
pack_padded_sequence(enforce_sorted=False) + pad_packed_sequence(total_length=T) when lengths
are given). GRU_RESET_BEFORE has no PyTorch module and runs `gru_stack`, a direct
implementation of the whole stack (layers, directions, lengths) in torch float64, which is
validated against torch.nn.GRU (linear-before-reset switched on) and against onnxruntime's GRU
operator (linear_before_reset=0) by `validate()`.

Layer-normalised LSTM and GRU (Config.ln; Ba, Kiros & Hinton 2016) have no PyTorch module
either and run `cell_stack`, a direct implementation of LSTM (with projection) and GRU
(linear before reset) stacks with optional layer norm. `validate()` checks it against
torch.nn.LSTM / GRU with layer norm switched off, and its layer norm written out by hand
against torch.nn.functional.layer_norm.

Gradients are those of L = sum(output*grad_output) + sum(h_n*grad_h_n) [+ sum(c_n*grad_c_n)].
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MODES = ("RNN_TANH", "RNN_RELU", "LSTM", "GRU", "GRU_RESET_BEFORE")
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3, "GRU_RESET_BEFORE": 3}
# Modes a loader must be able to infer from shapes alone when __metadata__ has no "mode".
INFERABLE = ("LSTM", "GRU", "RNN_TANH")

F64 = torch.float64


@dataclass
class Config:
    mode: str
    T: int
    B: int
    I: int
    H: int
    L: int = 1
    D: int = 1
    proj: int = 0  # LSTM only; 0 = none, else 1..H-1
    bias: bool = True
    ln: bool = False  # layer norm (LSTM, GRU only)

    def __post_init__(self):
        assert self.mode in MODES, self.mode
        assert min(self.T, self.B, self.I, self.H, self.L) >= 1
        assert self.D in (1, 2)
        if self.proj:
            assert self.mode == "LSTM" and 0 < self.proj < self.H
        if self.ln:
            assert self.mode in ("LSTM", "GRU")

    @property
    def H_out(self):
        return self.proj if self.proj else self.H

    def describe(self):
        s = f"{self.mode}"
        if self.proj:
            s += f" proj={self.proj}"
        s += f" L={self.L} D={self.D} T={self.T} B={self.B} I={self.I} H={self.H}"
        if not self.bias:
            s += " nobias"
        if self.ln:
            s += " ln"
        return s


def r32(t):
    """Rounds a float64 tensor to the nearest float32 value (kept as float64)."""
    return t.to(torch.float32).to(F64)


def param_shapes(cfg):
    """[(state_dict name, shape)] in torch.nn state_dict order."""
    G, H, P = GATES[cfg.mode], cfg.H, cfg.H_out
    out = []
    for l in range(cfg.L):
        in_size = cfg.I if l == 0 else cfg.D * P
        for d in range(cfg.D):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            out.append(("weight_ih" + sfx, (G * H, in_size)))
            out.append(("weight_hh" + sfx, (G * H, P)))
            if cfg.bias:
                out.append(("bias_ih" + sfx, (G * H,)))
                out.append(("bias_hh" + sfx, (G * H,)))
            if cfg.proj:
                out.append(("weight_hr" + sfx, (cfg.proj, H)))
            if cfg.ln:
                for part in ("ih", "hh"):
                    out.append((f"weight_ln_{part}" + sfx, (G * H,)))
                    out.append((f"bias_ln_{part}" + sfx, (G * H,)))
                if cfg.mode == "LSTM":
                    out.append(("weight_ln_c" + sfx, (H,)))
                    out.append(("bias_ln_c" + sfx, (H,)))
    return out


def uniform(gen, shape, lo, hi):
    return r32(torch.rand(shape, generator=gen, dtype=F64) * (hi - lo) + lo)


def normal(gen, shape):
    return r32(torch.randn(shape, generator=gen, dtype=F64))


def random_params(cfg, gen, scale=0.5):
    """{state_dict name: float64 tensor holding float32 values}, each U(-scale, scale);
    layer-norm gains U(1 - scale, 1 + scale)."""
    return {name: uniform(gen, shape, 1 - scale, 1 + scale) if name.startswith("weight_ln_")
            else uniform(gen, shape, -scale, scale) for name, shape in param_shapes(cfg)}


def length_mask(lengths, T, B):
    """[T, B] bool: True where t < lengths[b]."""
    if lengths is None:
        return torch.ones(T, B, dtype=torch.bool)
    return torch.arange(T).unsqueeze(1) < lengths.to(torch.int64).unsqueeze(0)


def random_inputs(cfg, gen, lengths=None, with_h0=False, with_c0=False):
    """The tensors of an input file (float64 holding float32 values; lengths as given).

    grad_output at padded positions (t >= lengths[b]) is set to random values bounded away
    from zero: a correct implementation must ignore them.
    """
    T, B, LD = cfg.T, cfg.B, cfg.L * cfg.D
    inp = {"input": normal(gen, (T, B, cfg.I))}
    if lengths is not None:
        inp["lengths"] = lengths
    if with_h0:
        inp["h0"] = normal(gen, (LD, B, cfg.H_out)) * 0.5
    if with_c0:
        assert cfg.mode == "LSTM"
        inp["c0"] = normal(gen, (LD, B, cfg.H)) * 0.5
    go = normal(gen, (T, B, cfg.D * cfg.H_out))
    if lengths is not None:
        pad = ~length_mask(lengths, T, B)
        mag = uniform(gen, go.shape, 0.5, 1.5)
        sign = torch.where(torch.rand(go.shape, generator=gen) < 0.5, -1.0, 1.0).to(F64)
        go = torch.where(pad.unsqueeze(-1), mag * sign, go)
    inp["grad_output"] = go
    inp["grad_h_n"] = normal(gen, (LD, B, cfg.H_out))
    if cfg.mode == "LSTM":
        inp["grad_c_n"] = normal(gen, (LD, B, cfg.H))
    return inp


# --------------------------------------------------------------------------------------------
# Forward + backward


def _torch_module(cfg):
    kw = dict(input_size=cfg.I, hidden_size=cfg.H, num_layers=cfg.L,
              bidirectional=cfg.D == 2, bias=cfg.bias)
    if cfg.mode == "LSTM":
        m = nn.LSTM(proj_size=cfg.proj, **kw)
    elif cfg.mode == "GRU":
        m = nn.GRU(**kw)
    elif cfg.mode in ("RNN_TANH", "RNN_RELU"):
        m = nn.RNN(nonlinearity="tanh" if cfg.mode == "RNN_TANH" else "relu", **kw)
    else:
        raise ValueError(cfg.mode)
    return m.to(F64)


def gru_stack(cfg, params, x, lengths, h0, reset_before):
    """A GRU stack written out step by step (float64, differentiable).

    reset_before=False: PyTorch's n = tanh(W_in x + b_in + r*(W_hn h + b_hn)).
    reset_before=True:  n = tanh(W_in x + b_in + W_hn (r*h) + b_hn).
    Variable lengths as pack_padded_sequence/pad_packed_sequence: outputs past a sequence's
    length are 0, the state stops changing there (so h_n is taken at its last step), and the
    reverse direction, which walks t = T-1..0, starts from h0 at t = lengths[b]-1.
    Returns (output [T,B,D*H], h_n [L*D,B,H]).
    """
    T, B, H, D = x.shape[0], x.shape[1], cfg.H, cfg.D
    mask = length_mask(lengths, T, B).unsqueeze(-1)  # [T,B,1]
    zero = torch.zeros((), dtype=F64)
    layer_in, h_n = x, []
    for l in range(cfg.L):
        outs = []
        for d in range(D):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            W_ih, W_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            if cfg.bias:
                b_ih, b_hh = params["bias_ih" + sfx], params["bias_hh" + sfx]
            else:
                b_ih = b_hh = torch.zeros(3 * H, dtype=F64)
            gi = layer_in @ W_ih.T + b_ih  # [T,B,3H]
            h = h0[l * D + d]
            ys = [None] * T
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                i_r, i_z, i_n = gi[t].split(H, -1)
                if reset_before:
                    gh = h @ W_hh[: 2 * H].T + b_hh[: 2 * H]
                    h_r, h_z = gh.split(H, -1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
                else:
                    gh = h @ W_hh.T + b_hh
                    h_r, h_z, h_n_ = gh.split(H, -1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + r * h_n_)
                h_new = (1 - z) * n + z * h
                ys[t] = torch.where(mask[t], h_new, zero)
                h = torch.where(mask[t], h_new, h)
            outs.append(torch.stack(ys))
            h_n.append(h)
        layer_in = torch.cat(outs, -1)
    return layer_in, torch.stack(h_n)


def layer_norm_manual(v, gamma, beta, eps=1e-5):
    """LN over the last dimension, written out: biased variance, as torch.nn.LayerNorm."""
    mean = v.mean(-1, keepdim=True)
    var = ((v - mean) ** 2).mean(-1, keepdim=True)
    return (v - mean) / torch.sqrt(var + eps) * gamma + beta


def layer_norm_torch(v, gamma, beta, eps=1e-5):
    return F.layer_norm(v, (v.shape[-1],), gamma, beta, eps)


def cell_stack(cfg, params, x, lengths, h0, c0, norm):
    """An LSTM (optionally projected) or GRU (linear before reset) stack written out step by
    step (float64, differentiable), with layer norm when norm is given (Ba et al. 2016):

        LSTM: (i,f,g,o) = LN(W_ih x; ln_ih) + LN(W_hh h; ln_hh) + b_ih + b_hh
              c' = s(f)c + s(i)tanh(g),  h' = s(o) tanh(LN(c'; ln_c))  [then W_hr]
        GRU:  gi = LN(W_ih x; ln_ih) + b_ih,  gh = LN(W_hh h; ln_hh) + b_hh,
              r, z, n, h' from gi and gh as torch.nn.GRU

    norm(v, gamma, beta) normalises the last dimension; norm=None is the plain cell
    (torch.nn.LSTM / GRU). Lengths as gru_stack. Returns (output, h_n, c_n or None).
    """
    T, B, H, D = x.shape[0], x.shape[1], cfg.H, cfg.D
    G, lstm = GATES[cfg.mode], cfg.mode == "LSTM"
    assert cfg.mode in ("LSTM", "GRU") and (norm is None) == (not cfg.ln)
    mask = length_mask(lengths, T, B).unsqueeze(-1)  # [T,B,1]
    zero = torch.zeros((), dtype=F64)
    layer_in, h_n, c_n = x, [], []
    for l in range(cfg.L):
        outs = []
        for d in range(D):
            sfx = f"_l{l}" + ("_reverse" if d else "")
            W_ih, W_hh = params["weight_ih" + sfx], params["weight_hh" + sfx]
            if cfg.bias:
                b_ih, b_hh = params["bias_ih" + sfx], params["bias_hh" + sfx]
            else:
                b_ih = b_hh = torch.zeros(G * H, dtype=F64)
            xi = layer_in @ W_ih.T  # [T,B,GH]
            if norm:
                xi = norm(xi, params["weight_ln_ih" + sfx], params["bias_ln_ih" + sfx])
            gi = xi + b_ih
            h, c = h0[l * D + d], (c0[l * D + d] if lstm else None)
            ys = [None] * T
            for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                hh = h @ W_hh.T
                if norm:
                    hh = norm(hh, params["weight_ln_hh" + sfx], params["bias_ln_hh" + sfx])
                gh = hh + b_hh
                if lstm:
                    i, f, g, o = (gi[t] + gh).split(H, -1)
                    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    cn = norm(c_new, params["weight_ln_c" + sfx], params["bias_ln_c" + sfx]) \
                        if norm else c_new
                    h_new = torch.sigmoid(o) * torch.tanh(cn)
                    if cfg.proj:
                        h_new = h_new @ params["weight_hr" + sfx].T
                    c = torch.where(mask[t], c_new, c)
                else:
                    i_r, i_z, i_n = gi[t].split(H, -1)
                    h_r, h_z, h_n_ = gh.split(H, -1)
                    r = torch.sigmoid(i_r + h_r)
                    z = torch.sigmoid(i_z + h_z)
                    n = torch.tanh(i_n + r * h_n_)
                    h_new = (1 - z) * n + z * h
                ys[t] = torch.where(mask[t], h_new, zero)
                h = torch.where(mask[t], h_new, h)
            outs.append(torch.stack(ys))
            h_n.append(h)
            c_n.append(c)
        layer_in = torch.cat(outs, -1)
    return layer_in, torch.stack(h_n), (torch.stack(c_n) if lstm else None)


def compute(cfg, params, inputs, impl="auto", norm="manual"):
    """Forward and backward in float64.

    params: {state_dict name: tensor}; inputs: as random_inputs() (h0 / c0 optional; a
    missing one is zeros and gets no gradient). impl: "auto" (torch.nn module, gru_stack
    for GRU_RESET_BEFORE, cell_stack for layer norm), "manual" (gru_stack; GRU /
    GRU_RESET_BEFORE only) or "cell" (cell_stack; LSTM / GRU). norm: the layer norm of
    cell_stack, "manual" (written out) or "torch" (F.layer_norm).
    Returns {name: float64 tensor} with output, h_n, [c_n], grad_input, [grad_h0],
    [grad_c0] and grad.<state_dict name> for every parameter (no prefix).
    """
    T, B, LD = cfg.T, cfg.B, cfg.L * cfg.D
    lengths = inputs.get("lengths")
    x = inputs["input"].clone().requires_grad_(True)
    h0 = inputs["h0"].clone().requires_grad_(True) if "h0" in inputs else None
    c0 = inputs["c0"].clone().requires_grad_(True) if "c0" in inputs else None
    h0z = h0 if h0 is not None else torch.zeros(LD, B, cfg.H_out, dtype=F64)
    manual = cfg.mode == "GRU_RESET_BEFORE" or impl == "manual"

    c_n = None
    if cfg.ln or impl == "cell":
        c0z = (c0 if c0 is not None else torch.zeros(LD, B, cfg.H, dtype=F64)) \
            if cfg.mode == "LSTM" else None
        assert cfg.mode == "LSTM" or c0 is None
        p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        fn = (layer_norm_manual if norm == "manual" else layer_norm_torch) if cfg.ln else None
        out, h_n, c_n = cell_stack(cfg, p, x, lengths, h0z, c0z, fn)
        named = p
    elif manual:
        assert cfg.mode in ("GRU", "GRU_RESET_BEFORE") and c0 is None
        p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        out, h_n = gru_stack(cfg, p, x, lengths, h0z, cfg.mode == "GRU_RESET_BEFORE")
        named = p
    else:
        m = _torch_module(cfg)
        with torch.no_grad():
            m.load_state_dict({k: v.clone() for k, v in params.items()}, strict=True)
        if cfg.mode == "LSTM":
            c0z = c0 if c0 is not None else torch.zeros(LD, B, cfg.H, dtype=F64)
            hx = (h0z, c0z)
        else:
            assert c0 is None
            hx = h0z
        if lengths is not None:
            packed = pack_padded_sequence(x, lengths.to(torch.int64).cpu(), enforce_sorted=False)
            out, state = m(packed, hx)
            out, _ = pad_packed_sequence(out, total_length=T)
        else:
            out, state = m(x, hx)
        if cfg.mode == "LSTM":
            h_n, c_n = state
        else:
            h_n = state
        named = dict(m.named_parameters())

    loss = (out * inputs["grad_output"]).sum() + (h_n * inputs["grad_h_n"]).sum()
    if c_n is not None:
        loss = loss + (c_n * inputs["grad_c_n"]).sum()
    loss.backward()

    res = {"output": out.detach(), "h_n": h_n.detach()}
    if c_n is not None:
        res["c_n"] = c_n.detach()
    res["grad_input"] = x.grad.detach()
    if h0 is not None:
        res["grad_h0"] = h0.grad.detach()
    if c0 is not None:
        res["grad_c0"] = c0.grad.detach()
    assert set(named) == set(params), (sorted(named), sorted(params))
    for k in params:
        g = named[k].grad
        res["grad." + k] = g.detach() if g is not None else torch.zeros_like(params[k])
    # Sanity: shapes and zeros past each length.
    assert res["output"].shape == (T, B, cfg.D * cfg.H_out)
    if lengths is not None:
        pad = ~length_mask(lengths, T, B)
        assert torch.all(res["output"][pad] == 0) and torch.all(res["grad_input"][pad] == 0)
    return res


def expected_names(cfg, prefix, with_h0, with_c0):
    """The exact set of tensor names of an expected / `recur forward` output file."""
    names = {"output", "h_n", "grad_input"}
    if cfg.mode == "LSTM":
        names.add("c_n")
    if with_h0:
        names.add("grad_h0")
    if with_c0:
        names.add("grad_c0")
    names.update("grad." + prefix + n for n, _ in param_shapes(cfg))
    return names


def expected_tensors(cfg, params, inputs, prefix):
    """compute() with grad names prefixed, as float32 tensors ready for safetensors."""
    res = compute(cfg, params, inputs)
    out = {}
    for k, v in res.items():
        if k.startswith("grad."):
            k = "grad." + prefix + k[len("grad."):]
        out[k] = v.to(torch.float32).contiguous()
    assert set(out) == expected_names(cfg, prefix, "h0" in inputs, "c0" in inputs)
    return out


def to_file_tensors(d, int_dtype=torch.int64):
    """float64 -> float32 (exact, values are float32 already); lengths -> int_dtype."""
    out = {}
    for k, v in d.items():
        if v.is_floating_point():
            f = v.to(torch.float32)
            assert torch.equal(f.to(F64), v), k  # must be float32-representable
            out[k] = f.contiguous()
        else:
            out[k] = v.to(int_dtype).contiguous()
    return out


# --------------------------------------------------------------------------------------------
# Validation of gru_stack


def _max_diff(a, b):
    return max((float((a[k] - b[k]).abs().max()) if a[k].numel() else 0.0) for k in a)


def validate_manual_vs_torch(tol=1e-12):
    """gru_stack with linear-before-reset must reproduce torch.nn.GRU (values and gradients)."""
    cases = [
        (Config("GRU", T=5, B=3, I=4, H=3, L=1, D=1), False, False, False),
        (Config("GRU", T=6, B=4, I=3, H=5, L=1, D=2), True, True, False),
        (Config("GRU", T=6, B=4, I=5, H=4, L=3, D=2), True, True, False),
        (Config("GRU", T=4, B=3, I=2, H=3, L=3, D=1), True, False, False),
        (Config("GRU", T=5, B=2, I=3, H=2, L=2, D=2, bias=False), True, True, False),
        (Config("GRU", T=1, B=1, I=1, H=1, L=3, D=2), True, True, False),
    ]
    worst, results = 0.0, []
    for n, (cfg, with_len, with_h0, _) in enumerate(cases):
        gen = torch.Generator().manual_seed(9000 + n)
        params = random_params(cfg, gen)
        lengths = None
        if with_len:
            lengths = torch.randint(1, cfg.T + 1, (cfg.B,), generator=gen)
            lengths[0] = cfg.T
            if cfg.B > 1:
                lengths[-1] = 1
        inputs = random_inputs(cfg, gen, lengths, with_h0)
        a = compute(cfg, params, inputs, impl="auto")
        b = compute(cfg, params, inputs, impl="manual")
        assert set(a) == set(b), (sorted(a), sorted(b))
        d = _max_diff(a, b)
        results.append((cfg.describe() + (" len" if with_len else "") + (" h0" if with_h0 else ""), d))
        worst = max(worst, d)
    return worst <= tol, worst, results


def ort_gru_reset_before(cfg, params, x, lengths, h0):
    """Runs onnxruntime's GRU (linear_before_reset=0) on one layer; returns (Y [T,B,D*H], Y_h)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    assert cfg.L == 1 and cfg.mode == "GRU_RESET_BEFORE"
    H, D = cfg.H, cfg.D

    def reorder(w):  # PyTorch r,z,n -> ONNX z,r,h
        r, z, n = w.split(H, 0)
        return torch.cat([z, r, n], 0)

    Ws, Rs, Bs = [], [], []
    for d in range(D):
        sfx = "_l0" + ("_reverse" if d else "")
        Ws.append(reorder(params["weight_ih" + sfx]))
        Rs.append(reorder(params["weight_hh" + sfx]))
        if cfg.bias:
            Bs.append(torch.cat([reorder(params["bias_ih" + sfx]), reorder(params["bias_hh" + sfx])]))
        else:
            Bs.append(torch.zeros(6 * H, dtype=F64))
    f32 = lambda t: t.detach().to(torch.float32).numpy()
    inits = [numpy_helper.from_array(f32(torch.stack(Ws)), "W"),
             numpy_helper.from_array(f32(torch.stack(Rs)), "R"),
             numpy_helper.from_array(f32(torch.stack(Bs)), "B")]
    T, B = x.shape[0], x.shape[1]
    g_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, cfg.I]),
                helper.make_tensor_value_info("initial_h", TensorProto.FLOAT, [D, B, H])]
    feeds = {"X": f32(x), "initial_h": f32(h0)}
    seq = ""
    if lengths is not None:
        g_inputs.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B]))
        feeds["sequence_lens"] = lengths.to(torch.int32).numpy()
        seq = "sequence_lens"
    node = helper.make_node("GRU", ["X", "W", "R", "B", seq, "initial_h"], ["Y", "Y_h"],
                            hidden_size=H, linear_before_reset=0,
                            direction="bidirectional" if D == 2 else "forward")
    graph = helper.make_graph(
        [node], "gru", g_inputs,
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, D, B, H]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [D, B, H])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    Y, Y_h = sess.run(["Y", "Y_h"], feeds)
    Y = torch.from_numpy(np.ascontiguousarray(Y.transpose(0, 2, 1, 3).reshape(T, B, D * H))).to(F64)
    return Y, torch.from_numpy(Y_h).to(F64)


def validate_reset_before_vs_onnxruntime(tol=1e-5):
    """gru_stack with reset-before must match onnxruntime's GRU, linear_before_reset=0."""
    worst, results = 0.0, []
    n = 0
    for D in (1, 2):
        for with_len in (False, True):
            for bias in (True, False) if (D == 2 and with_len) else (True,):
                cfg = Config("GRU_RESET_BEFORE", T=6, B=4, I=3, H=5, L=1, D=D, bias=bias)
                gen = torch.Generator().manual_seed(9100 + n)
                n += 1
                params = random_params(cfg, gen)
                lengths = None
                if with_len:
                    lengths = torch.tensor([3, 6, 1, 4])
                inputs = random_inputs(cfg, gen, lengths, with_h0=True)
                ref = compute(cfg, params, inputs)
                Y, Y_h = ort_gru_reset_before(cfg, params, inputs["input"], lengths, inputs["h0"])
                d = max(float((Y - ref["output"]).abs().max()), float((Y_h - ref["h_n"]).abs().max()))
                # Negative control: the comparison must tell the two GRU variants apart.
                other = compute(Config("GRU", T=6, B=4, I=3, H=5, L=1, D=D, bias=bias), params, inputs,
                                impl="manual")
                if float((Y - other["output"]).abs().max()) < 1e-3:
                    raise SystemExit("validation (b): onnxruntime cannot tell reset-before from "
                                     "linear-before-reset in this case; the check is void")
                results.append((cfg.describe() + (" len" if with_len else "") + " h0", d))
                worst = max(worst, d)
    return worst <= tol, worst, results


def _random_case(cfg, seed, with_len, with_h0):
    gen = torch.Generator().manual_seed(seed)
    params = random_params(cfg, gen)
    lengths = None
    if with_len:
        lengths = torch.randint(1, cfg.T + 1, (cfg.B,), generator=gen)
        lengths[0] = cfg.T
        if cfg.B > 1:
            lengths[-1] = 1
    return params, random_inputs(cfg, gen, lengths, with_h0, with_h0 and cfg.mode == "LSTM")


LN_VALIDATION = [  # (config without ln, lengths?, h0/c0?)
    (Config("LSTM", T=5, B=3, I=4, H=3), False, False),
    (Config("LSTM", T=6, B=4, I=3, H=5, L=2, D=2), True, True),
    (Config("LSTM", T=6, B=4, I=3, H=5, L=2, D=2, proj=3), True, True),
    (Config("LSTM", T=4, B=3, I=2, H=4, L=2, D=1, bias=False), True, False),
    (Config("GRU", T=5, B=3, I=4, H=3), False, False),
    (Config("GRU", T=6, B=4, I=5, H=4, L=2, D=2), True, True),
    (Config("GRU", T=4, B=3, I=2, H=3, L=2, D=2, bias=False), True, True),
]


def validate_cell_stack(tol=1e-12, tol_ln=1e-10):
    """(c) cell_stack without layer norm must reproduce torch.nn.LSTM / GRU; (d) with layer
    norm, its written-out LN must agree with F.layer_norm, and LN must change the result."""
    worst_c, worst_d, res_c, res_d = 0.0, 0.0, [], []
    for n, (cfg, with_len, with_h0) in enumerate(LN_VALIDATION):
        params, inputs = _random_case(cfg, 9200 + n, with_len, with_h0)
        a = compute(cfg, params, inputs, impl="auto")
        b = compute(cfg, params, inputs, impl="cell")
        assert set(a) == set(b), (sorted(a), sorted(b))
        d = _max_diff(a, b)
        desc = cfg.describe() + (" len" if with_len else "") + (" h0" if with_h0 else "")
        res_c.append((desc, d))
        worst_c = max(worst_c, d)

        lcfg = Config(**{**cfg.__dict__, "ln": True})
        params, inputs = _random_case(lcfg, 9300 + n, with_len, with_h0)
        a = compute(lcfg, params, inputs, norm="manual")
        b = compute(lcfg, params, inputs, norm="torch")
        d = _max_diff(a, b)
        res_d.append((lcfg.describe() + desc[len(cfg.describe()):], d))
        worst_d = max(worst_d, d)
        # Negative control: the same parameters without layer norm give other numbers.
        plain = compute(cfg, {k: v for k, v in params.items() if "_ln_" not in k}, inputs)
        if float((plain["output"] - a["output"]).abs().max()) < 1e-3:
            raise SystemExit("validation (d): layer norm does not change the output; the "
                             "check is void")
    # (d) compares two float64 roundings of the variance: agreement to ~1e-12, not exactly.
    return worst_c <= tol and worst_d <= tol_ln, worst_c, worst_d, res_c, res_d


def validate(verbose=True):
    """Runs every validation; raises SystemExit with a loud message if one fails."""
    ok_c, worst_c, worst_d, res_c, res_d = validate_cell_stack()
    if verbose or not ok_c:
        print("validation (c) manual LSTM/GRU stack without layer norm vs torch.nn, float64:")
        for desc, d in res_c:
            print(f"    {desc:45s} max|diff| = {d:.3e}")
        print("validation (d) layer norm written out vs F.layer_norm in that stack, float64:")
        for desc, d in res_d:
            print(f"    {desc:45s} max|diff| = {d:.3e}")
        print(f"  {'PASS' if ok_c else 'FAIL'}: worst {worst_c:.3e} (tolerance 1e-12), "
              f"{worst_d:.3e} (tolerance 1e-10)")
    if not ok_c:
        raise SystemExit("\n*** VALIDATION OF THE LAYER-NORM REFERENCE FAILED — "
                         "refusing to produce fixtures ***")
    ok_a, worst_a, res_a = validate_manual_vs_torch()
    ok_b, worst_b, res_b = validate_reset_before_vs_onnxruntime()
    if verbose or not (ok_a and ok_b):
        print("validation (a) manual GRU stack (linear-before-reset) vs torch.nn.GRU, float64:")
        for desc, d in res_a:
            print(f"    {desc:45s} max|diff| = {d:.3e}")
        print(f"  {'PASS' if ok_a else 'FAIL'}: worst {worst_a:.3e} (tolerance 1e-12)")
        print("validation (b) manual GRU reset-before vs onnxruntime GRU linear_before_reset=0:")
        for desc, d in res_b:
            print(f"    {desc:45s} max|diff| = {d:.3e}")
        print(f"  {'PASS' if ok_b else 'FAIL'}: worst {worst_b:.3e} (tolerance 1e-5)")
    if not (ok_a and ok_b):
        raise SystemExit("\n*** VALIDATION OF THE GRU_RESET_BEFORE REFERENCE FAILED — "
                         "refusing to produce fixtures ***")
    return worst_a, worst_b
