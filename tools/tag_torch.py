"""The PyTorch twin of recur's sequence tagger (src/model/tagger.h): the module a
recur tagger checkpoint loads into with load_state_dict(strict=True), the batch
as recur reads it, the loss and the predictions as recur computes them.

    from tag_torch import load_recur, batch_of
    model, meta = load_recur("pos.safetensors")        # a recur checkpoint
    batch = batch_of(data, idx)      # data: offset, word, char_offset, chars, tag
    loss, pred = model.loss(batch)   # mean loss over the batch's tokens

Names as the header's: word_embedding, char_embedding, char_rnn (nn.LSTM,
bidirectional, one layer), rnn (nn.LSTM / nn.GRU / nn.RNN), fc, crf. The CRF is
written here with pytorch-crf's parameters and meaning (start_transitions,
end_transitions, transitions[i, j] scoring tag i followed by j; nll summed over
sentences, reduction "token_mean" dividing by the tokens), without depending on
pytorch-crf; Viterbi ties go to the lower tag id, as recur's crf.c.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seq_model import rnn_module


class CRF(nn.Module):
    """A linear-chain CRF over emissions [T, K] of one sentence."""

    def __init__(self, K):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(K).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(K).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(K, K).uniform_(-0.1, 0.1))

    def nll(self, emit, tags):
        """log Z − score(tags) for emit [T, K], tags [T] (int64)."""
        T = emit.shape[0]
        score = self.start_transitions[tags[0]] + emit[0, tags[0]]
        for t in range(1, T):
            score = score + self.transitions[tags[t - 1], tags[t]] + emit[t, tags[t]]
        score = score + self.end_transitions[tags[-1]]
        alpha = self.start_transitions + emit[0]
        for t in range(1, T):
            alpha = torch.logsumexp(alpha.unsqueeze(1) + self.transitions, 0) + emit[t]
        return torch.logsumexp(alpha + self.end_transitions, 0) - score

    def viterbi(self, emit):
        """The best tag sequence (a list), ties to the lower tag id."""
        e = emit.detach().tolist()
        A = self.transitions.detach().tolist()
        start = self.start_transitions.detach().tolist()
        end = self.end_transitions.detach().tolist()
        K, T = len(start), len(e)
        delta = [start[j] + e[0][j] for j in range(K)]
        back = []
        for t in range(1, T):
            bp, nxt = [], []
            for j in range(K):
                best = 0
                for i in range(1, K):
                    if delta[i] + A[i][j] > delta[best] + A[best][j]:
                        best = i
                bp.append(best)
                nxt.append(delta[best] + A[best][j] + e[t][j])
            back.append(bp)
            delta = nxt
        last = 0
        for j in range(1, K):
            if delta[j] + end[j] > delta[last] + end[last]:
                last = j
        path = [last]
        for bp in reversed(back):
            path.append(bp[path[-1]])
        return path[::-1]


class Tagger(nn.Module):
    """[word embedding, char BiLSTM feature] -> dropout -> rnn -> dropout -> fc
    -> softmax cross-entropy or CRF."""

    def __init__(self, words, chars, tags, word_embed, char_embed, char_hidden, mode,
                 hidden_size, num_layers=1, bidirectional=True, dropout=0.0, crf=False,
                 bias=True, proj_size=0):
        super().__init__()
        self.p = dropout
        self.word_embedding = nn.Embedding(words, word_embed, padding_idx=0)
        self.has_chars = char_embed > 0
        if self.has_chars:
            self.char_embedding = nn.Embedding(chars, char_embed, padding_idx=0)
            self.char_rnn = nn.LSTM(char_embed, char_hidden, bidirectional=True)
        self.rnn = rnn_module(mode, word_embed + 2 * char_hidden, hidden_size, num_layers,
                              bidirectional, bias, dropout, proj_size)
        D = 2 if bidirectional else 1
        self.fc = nn.Linear(D * (proj_size or hidden_size), tags)
        self.crf = CRF(tags) if crf else None
        self.alpha, self.count = 0.0, None

    def char_features(self, batch):
        """[N, 2·Hc]: each token's chars through char_rnn, [h_n fwd, h_n bwd]."""
        off = batch["char_offset"]
        lengths = off[1:] - off[:-1]
        N, Tc = len(lengths), int(lengths.max())
        ids = torch.zeros(Tc, N, dtype=torch.int64)
        for n in range(N):
            ids[: lengths[n], n] = batch["chars"][off[n]:off[n + 1]]
        packed = pack_padded_sequence(self.char_embedding(ids), lengths,
                                      enforce_sorted=False)
        _, (h_n, _) = self.char_rnn(packed)
        return torch.cat([h_n[0], h_n[1]], dim=1)

    def emissions(self, batch):
        """[N, K], the batch's tokens one sentence after another."""
        word = batch["word"]
        if self.training and self.alpha > 0:  # word dropout (not twinned)
            c = self.count[word].to(torch.float64)
            unk = (word >= 2) & (torch.rand(len(word)) < self.alpha / (self.alpha + c))
            word = torch.where(unk, torch.ones_like(word), word)
        x = self.word_embedding(word)
        if self.has_chars:
            x = torch.cat([x, self.char_features(batch)], dim=1)
        x = F.dropout(x, self.p, self.training)
        off = batch["offset"]
        lengths = off[1:] - off[:-1]
        T, B = int(lengths.max()), len(lengths)
        padded = x.new_zeros(T, B, x.shape[1])
        for b in range(B):
            padded[: lengths[b], b] = x[off[b]:off[b + 1]]
        out, _ = self.rnn(pack_padded_sequence(padded, lengths, enforce_sorted=False))
        y, _ = pad_packed_sequence(out, total_length=T)
        feat = torch.cat([y[: lengths[b], b] for b in range(B)], dim=0)
        return self.fc(F.dropout(feat, self.p, self.training))

    def loss(self, batch):
        """The mean loss over the batch's tokens (recur's loss_sum / counted)
        and the predicted tags [N] (argmax, or Viterbi per sentence)."""
        emit = self.emissions(batch)
        off = batch["offset"]
        tag = batch.get("tag")
        if self.crf is None:
            pred = emit.detach().argmax(1)
            return (F.cross_entropy(emit, tag) if tag is not None else None), pred
        pred, total = [], 0.0
        for b in range(len(off) - 1):
            e = emit[off[b]:off[b + 1]]
            pred += self.crf.viterbi(e)
            if tag is not None:
                total = total + self.crf.nll(e, tag[off[b]:off[b + 1]])
        return (total / emit.shape[0] if tag is not None else None), torch.tensor(pred)


def batch_of(data, idx):
    """The sentences idx of data (recur's tag_data as int64 tensors: offset,
    word, char_offset, chars, tag) as one batch, in idx order."""
    o, co = data["offset"], data.get("char_offset")
    tokens = [k for i in idx for k in range(int(o[i]), int(o[i + 1]))]
    lengths = torch.tensor([int(o[i + 1] - o[i]) for i in idx])
    batch = {"offset": torch.cat([torch.zeros(1, dtype=torch.int64), lengths.cumsum(0)]),
             "word": data["word"][tokens]}
    if "tag" in data:
        batch["tag"] = data["tag"][tokens]
    if co is not None:
        clen = torch.tensor([int(co[k + 1] - co[k]) for k in tokens])
        batch["char_offset"] = torch.cat([torch.zeros(1, dtype=torch.int64), clen.cumsum(0)])
        batch["chars"] = torch.cat([data["chars"][co[k]:co[k + 1]] for k in tokens])
    return batch


def from_meta(meta):
    """The module a checkpoint's __metadata__ describes."""
    i = lambda k: int(meta.get(k, "0"))  # noqa: E731
    if i("layer_norm"):
        raise ValueError("a layer-normalised cell has no torch.nn module to load into")
    return Tagger(i("words"), i("chars"), i("tags"), i("word_embed"), i("char_embed"),
                  i("char_hidden"), meta["mode"], i("hidden_size"), i("num_layers"),
                  bool(i("bidirectional")), float(meta.get("dropout", "0")), bool(i("crf")),
                  bool(i("bias")), i("proj_size"))


def load_recur(path):
    """A recur tagger checkpoint as (Tagger in float64, metadata)."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    model = from_meta(meta).double()
    model.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)
    return model, meta
