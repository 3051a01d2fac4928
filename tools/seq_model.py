"""The PyTorch twin of recur's sequence model (src/model/seqmodel.h): the module a
recur classify / forecast / music checkpoint loads into with
load_state_dict(strict=True), and the losses as recur computes them.

    from seq_model import SeqModel, load_recur
    model, meta = load_recur("spam.safetensors")      # a recur checkpoint
    loss, out = model.loss(batch_inputs, lengths, targets)
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

CELLS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN_TANH": nn.RNN, "RNN_RELU": nn.RNN}


def rnn_module(mode, input_size, hidden_size, num_layers, bidirectional, bias=True,
               dropout=0.0, proj_size=0):
    """The torch.nn stack of a recur stack's configuration (dropout between
    layers only where there are several, as PyTorch wants)."""
    kw = dict(num_layers=num_layers, bidirectional=bidirectional, bias=bias,
              dropout=dropout if num_layers > 1 else 0.0)
    if mode.startswith("RNN"):
        kw["nonlinearity"] = "relu" if mode == "RNN_RELU" else "tanh"
    if proj_size:
        kw["proj_size"] = proj_size
    return CELLS[mode](input_size, hidden_size, **kw)


class SeqModel(nn.Module):
    """embedding (tokens, padding_idx 0) or dense input -> dropout (tokens) ->
    RNN stack -> pooling (last / mean / max / step) -> dropout -> fc."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bidirectional=False,
                 vocab_size=0, embed_size=0, outputs=2, pool="last", loss="xent",
                 dropout=0.0, bias=True, proj_size=0):
        super().__init__()
        self.vocab_size, self.pool, self.loss_kind, self.p = vocab_size, pool, loss, dropout
        if vocab_size:
            self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
            input_size = embed_size
        self.rnn = rnn_module(mode, input_size, hidden_size, num_layers, bidirectional,
                              bias, dropout, proj_size)
        self.D = 2 if bidirectional else 1
        P = proj_size or hidden_size
        self.fc = nn.Linear(self.D * P, outputs)

    def forward(self, x, lengths):
        """x: [T, B] token ids or [T, B, I] features; lengths [B] (CPU int64).
        Returns the logits: [B, K] (pooled) or [T, B, K] (step)."""
        if self.vocab_size:
            x = F.dropout(self.embedding(x), self.p, self.training)
        T = x.shape[0]
        packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
        out, h = self.rnn(packed)
        h_n = h[0] if isinstance(h, tuple) else h
        y, _ = pad_packed_sequence(out, total_length=T)
        if self.pool == "last":
            feat = torch.cat([h_n[-self.D + d] for d in range(self.D)], dim=1)
        elif self.pool == "mean":
            feat = y.sum(0) / lengths.to(y.dtype).unsqueeze(1)
        elif self.pool == "max":
            mask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)
            feat = y.masked_fill(~mask.unsqueeze(2), float("-inf")).max(0).values
        else:
            feat = y
        return self.fc(F.dropout(feat, self.p, self.training))

    def loss(self, x, lengths, target):
        """The mean loss recur reports, and the predictions (probabilities for
        xent and bce, values otherwise). target: [B] class ids (xent), [B, K]
        (regression) or [T, B, K] multi-hot (bce)."""
        z = self.forward(x, lengths)
        k = self.loss_kind
        if k == "xent":
            return F.cross_entropy(z, target), torch.softmax(z, 1)
        if k in ("mse", "mae", "huber"):
            f = {"mse": F.mse_loss, "mae": F.l1_loss, "huber": F.huber_loss}[k]
            return f(z, target), z
        T = z.shape[0]
        mask = (torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)).to(z.dtype)
        per = F.binary_cross_entropy_with_logits(z, target, reduction="none").sum(2)
        return (per * mask).sum() / mask.sum(), torch.sigmoid(z) * mask.unsqueeze(2)


def from_meta(meta):
    """The module a checkpoint's __metadata__ describes."""
    i = lambda k: int(meta.get(k, "0"))  # noqa: E731
    if i("layer_norm"):
        raise ValueError("a layer-normalised cell has no torch.nn module to load into")
    return SeqModel(meta["mode"], i("input_size"), i("hidden_size"), i("num_layers"),
                    bool(i("bidirectional")), i("vocab_size"), i("embed_size"), i("outputs"),
                    meta["pool"], meta["loss"], float(meta.get("dropout", "0")),
                    bool(i("bias")), i("proj_size"))


def load_recur(path):
    """A recur sequence-model checkpoint as (SeqModel, metadata)."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    model = from_meta(meta)
    model.load_state_dict(state, strict=True)  # every tensor, nothing left over
    return model, meta
