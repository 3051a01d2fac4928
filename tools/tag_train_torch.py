#!/usr/bin/env python3
"""PyTorch training twin of `recur train --task tag`: the same word + character BiLSTM tagger
(src/model/tagger.h), the same data conventions (src/data/tagged.h) and the same training loop
(src/train/fit.h), trained on a CoNLL-U treebank and scored on its test part, so the results
can be shown side by side ("the PyTorch twin on the same split and budget").

    python3 tools/tag_train_torch.py [--train F --dev F --test F] [--tag-column upos|xpos]
        [--crf] [--embed 100 --char-embed 32 --char-hidden 64 --hidden 200 --layers 2]
        [--dropout 0.33 --word-dropout 0.25 --batch 32 --lr 2e-3 --epochs 50 --patience 5]
        [--lr-decay 0.5 --clip 5 --min-count 1 --seed 1 --threads 1 --time-limit 0]
        [--json FILE]

The files default to $RECUR_DATA/ud_en_ewt/en_ewt-ud-{train,dev,test}.conllu.gz (RECUR_DATA
defaults to /work/shared/data). One line per epoch goes to stderr; the final JSON object
{"accuracy", "oov_accuracy", "macro_f1", "epochs", "seconds", "train_tokens_per_s", "params",
...} to stdout (and to --json FILE).

The specification, shared with recur; each part of the code below names the point it implements.

[read]   CoNLL-U, plain or gzip (by the magic bytes 1f 8b), strict UTF-8, a leading byte-order
         mark dropped, "\\n" or "\\r\\n" line ends. '#' lines are comments, a blank line ends
         a sentence; a word line has ten TAB-separated columns; ids "1-2" (multiword ranges)
         and "1.1" (empty nodes) are skipped; word ids run 1, 2, 3... within a sentence. The
         tag is column 4 (UPOS) or 5 (XPOS); "_" is a tag like any other. A malformed line is
         an error naming the file and the line.
[vocab]  From the training file only. Words: 0 "<pad>", 1 "<unk>", then the forms (ASCII-
         lowercased with --lowercase) seen at least --min-count times, by descending count,
         ties by ascending UTF-8 bytes; at most --max-words ids in all (0: no limit). Chars:
         the same over the code points of the forms (all of each form, min count 1, never
         lowercased). Tags: the distinct tags sorted by their UTF-8 bytes; id = position.
[encode] A word or char outside its vocabulary is <unk> (1); a tag outside the tag set is an
         error naming the file, line and tag. A word's chars are its first 64 code points.
         A test token is out-of-vocabulary (OOV) when its word id is <unk>.
[model]  float32. word_embedding = Embedding(Vw, E, padding_idx=0); char_embedding =
         Embedding(Vc, Ec, padding_idx=0); char_rnn = LSTM(Ec, Hc, bidirectional) over each
         token's chars (packed), the token's char feature [h_n forward, h_n backward] (2 Hc);
         x = dropout([word embedding, char feature]); rnn = LSTM/GRU(E + 2 Hc, H, L,
         bidirectional, dropout between layers) over the sentence (packed); dropout; fc =
         Linear(2H, K): emissions. --char-embed 0 --char-hidden 0: no char model. The names
         are tagger.h's, so the state_dict is recur's tensor list.
[init]   PyTorch's defaults (torch.manual_seed(seed) before construction): embeddings N(0, 1)
         with row 0 zero, stacks U(+-1/sqrt(H)), fc U(+-1/sqrt(F)); CRF U(-0.1, 0.1) as
         pytorch-crf.
[loss]   softmax: cross-entropy, mean over the batch's tokens. --crf: pytorch-crf's linear-
         chain CRF (score = start[y0] + sum emit + sum trans[y(t-1), y(t)] + end[y(T-1)]),
         negative log-likelihood summed over the batch's sentences / its tokens (reduction
         "token_mean"). The loss a validation reports is the same sum over all its batches
         divided by all its tokens.
[decode] softmax: argmax per token; --crf: Viterbi (pytorch-crf's).
[wdrop]  Training only: a token whose word id w >= 2 occurred count[w] times in training is
         read as <unk> with probability alpha / (alpha + count[w]), alpha = --word-dropout
         (0: off). Its chars are kept.
[loop]   fit.h: each epoch shuffles the sentences (random.Random(seed)), cuts the order into
         pools of 50 batches, sorts each pool by length (ties by index), cuts it into batches of
         --batch and shuffles the batches. One Adam step (lr, --beta1/--beta2, eps 1e-8) per
         batch on its mean loss after clipping the global gradient norm to --clip (0: none); a
         non-finite loss or norm stops with an error. After each epoch the dev set is scored
         (dropout off, batches of --batch sorted by length); the parameters of the best dev
         accuracy (a tie: the lower dev loss; --select loss: the best dev loss) are kept (a
         copy of the state_dict); an epoch that does not improve multiplies
         the lr by --lr-decay, and --patience such epochs in a row stop training (0: never).
         --time-limit S (0: none) stops after the step at which S seconds have passed since
         training started; that epoch is still validated. Hyperparameters are rounded to
         float32 first, as recur holds them.
[test]   The best parameters, dropout off, batches of --batch sorted by length: accuracy,
         OOV accuracy (NaN when no token is OOV), macro F1 = the mean over the tags that occur
         in gold or prediction of F1 = 2 correct / (gold count + predicted count)
         (tagmetrics.h).
[report] "seconds": wall time of training from its start (validation included, test not);
         "train_tokens_per_s": training tokens / time spent in training steps (batch
         assembly, forward, backward, clipping, optimizer); "params": the number of floats of
         the parameters (padding rows included, as recur's flat array); "epochs": epochs run
         (a last epoch cut by the time limit counts).
"""

import argparse
import copy
import gzip
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

MAX_CHARS = 64
POOL_BATCHES = 50


def f32(x):
    """A hyperparameter as recur holds it: the float32 nearest x, as a Python float."""
    return float(np.float32(x))


# [read] ---------------------------------------------------------------------------------------

def read_conllu(path, column):
    """Sentences of path: lists of (form, tag, line)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        sys.exit(f"{path}: not UTF-8 at byte {e.start}")
    if text.startswith("\ufeff"):
        text = text[1:]
    col = 3 if column == "upos" else 4
    sents, cur, next_id = [], [], 1
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if line.endswith("\r"):
            line = line[:-1]
        if "\x00" in line:
            sys.exit(f"{path}: line {n}: NUL byte")
        if line == "":
            if cur:
                sents.append(cur)
            cur, next_id = [], 1
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            sys.exit(f"{path}: line {n}: {len(cols)} columns, CoNLL-U has 10")
        wid = cols[0]
        if "-" in wid or "." in wid:
            continue
        if not wid.isdigit() or int(wid) != next_id:
            sys.exit(f"{path}: line {n}: word id {wid!r}, expected {next_id}")
        next_id += 1
        form, tag = cols[1], cols[col]
        if form == "" or tag == "":
            sys.exit(f"{path}: line {n}: empty form or tag")
        cur.append((form, tag, n))
    if cur:
        sents.append(cur)
    return sents


# [vocab] --------------------------------------------------------------------------------------

def ascii_lower(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def ranked(counts, min_count, max_size):
    """<pad>, <unk>, then keys with count >= min_count by descending count, ties by bytes."""
    keys = [k for k, c in counts.items() if c >= max(min_count, 1)]
    keys.sort(key=lambda k: (-counts[k], k.encode("utf-8")))
    itos = ["<pad>", "<unk>"] + keys
    if max_size:
        itos = itos[:max_size]
    return {k: i for i, k in enumerate(itos)}, itos


def build_vocabs(train, min_count, max_words, lowercase):
    wc, cc, tags = {}, {}, set()
    for s in train:
        for form, tag, _ in s:
            key = ascii_lower(form) if lowercase else form
            wc[key] = wc.get(key, 0) + 1
            for ch in form:
                cc[ch] = cc.get(ch, 0) + 1
            tags.add(tag)
    words, witos = ranked(wc, min_count, max_words)
    chars, _ = ranked(cc, 1, 0)
    tag_list = sorted(tags, key=lambda t: t.encode("utf-8"))
    count = np.zeros(len(witos), dtype=np.float64)  # [wdrop] training counts per word id
    for i, k in enumerate(witos[2:], 2):
        count[i] = wc[k]
    return {"words": words, "chars": chars, "tags": {t: i for i, t in enumerate(tag_list)},
            "tag_list": tag_list, "count": count, "lowercase": lowercase}


# [encode] -------------------------------------------------------------------------------------

class Encoded:
    """A set as ids: per sentence word ids and tag ids; per token an index into a table of
    distinct forms, whose char ids (first 64 code points, 0-padded) and lengths are kept once."""

    def __init__(self, sents, v, path, form_table):
        self.words, self.tags, self.forms = [], [], []
        for s in sents:
            w, t, f = [], [], []
            for form, tag, line in s:
                key = ascii_lower(form) if v["lowercase"] else form
                w.append(v["words"].get(key, 1))
                if tag not in v["tags"]:
                    sys.exit(f"{path}: line {line}: tag {tag} was not seen in training")
                t.append(v["tags"][tag])
                f.append(form_table.index(form))
            self.words.append(np.array(w, dtype=np.int64))
            self.tags.append(np.array(t, dtype=np.int64))
            self.forms.append(np.array(f, dtype=np.int64))
        self.lengths = np.array([len(w) for w in self.words])
        self.n = len(sents)
        self.tokens = int(self.lengths.sum())


class FormTable:
    """Distinct forms and their char ids, filled as sets are encoded."""

    def __init__(self, chars):
        self.chars, self.ids, self.rows = chars, {}, []

    def index(self, form):
        i = self.ids.get(form)
        if i is None:
            i = self.ids[form] = len(self.rows)
            self.rows.append([self.chars.get(c, 1) for c in form[:MAX_CHARS]])
        return i

    def freeze(self):
        self.length = np.array([len(r) for r in self.rows], dtype=np.int64)
        self.matrix = np.zeros((len(self.rows), MAX_CHARS), dtype=np.int64)
        for i, r in enumerate(self.rows):
            self.matrix[i, :len(r)] = r


def make_batch(d, idx, table):
    """Padded time-major tensors of sentences idx: words, tags [T, B], mask [T, B], lengths [B],
    and the tokens' chars [C, N] with lengths [N], the tokens in batch-major order (sentence
    after sentence) as mask_bt selects them."""
    lengths = d.lengths[idx]
    T, B = int(lengths.max()), len(idx)
    words = np.zeros((B, T), dtype=np.int64)
    tags = np.zeros((B, T), dtype=np.int64)
    forms = np.concatenate([d.forms[i] for i in idx])
    for b, i in enumerate(idx):
        words[b, :lengths[b]] = d.words[i]
        tags[b, :lengths[b]] = d.tags[i]
    mask_bt = np.arange(T)[None, :] < lengths[:, None]
    clen = table.length[forms]
    chars = table.matrix[forms, :int(clen.max())]
    return {"words": torch.from_numpy(words.T.copy()), "tags": torch.from_numpy(tags.T.copy()),
            "mask_bt": torch.from_numpy(mask_bt), "mask": torch.from_numpy(mask_bt.T.copy()),
            "lengths": torch.from_numpy(lengths.astype(np.int64)),
            "chars": torch.from_numpy(chars.T.copy()), "char_lengths": torch.from_numpy(clen),
            "tokens": int(lengths.sum())}


# [model] --------------------------------------------------------------------------------------

class CRF(nn.Module):
    """pytorch-crf's CRF (batch_first=False), written out: time-major emissions [T, B, K]."""

    def __init__(self, K):
        super().__init__()
        self.start_transitions = nn.Parameter(torch.empty(K))
        self.end_transitions = nn.Parameter(torch.empty(K))
        self.transitions = nn.Parameter(torch.empty(K, K))
        for p in (self.start_transitions, self.end_transitions, self.transitions):
            nn.init.uniform_(p, -0.1, 0.1)

    def nll_sum(self, em, tags, mask):
        """Sum over the sentences of log Z - score(gold)."""
        T, B, _ = em.shape
        ar = torch.arange(B)
        maskf = mask.to(em.dtype)
        # score(gold)
        score = self.start_transitions[tags[0]] + em[0, ar, tags[0]]
        for t in range(1, T):
            score = score + (self.transitions[tags[t - 1], tags[t]] + em[t, ar, tags[t]]) * maskf[t]
        last = tags[mask.sum(0) - 1, ar]
        score = score + self.end_transitions[last]
        # log Z, the forward algorithm
        alpha = self.start_transitions + em[0]
        for t in range(1, T):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + em[t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[t].unsqueeze(1), nxt, alpha)
        log_z = torch.logsumexp(alpha + self.end_transitions, dim=1)
        return (log_z - score).sum()

    def viterbi(self, em, mask):
        """The best path of each sentence, as lists of tag ids."""
        T, B, _ = em.shape
        score = self.start_transitions + em[0]
        history = []
        for t in range(1, T):
            nxt, idx = (score.unsqueeze(2) + self.transitions + em[t].unsqueeze(1)).max(dim=1)
            score = torch.where(mask[t].unsqueeze(1), nxt, score)
            history.append(idx)
        score = score + self.end_transitions
        best_last = score.argmax(dim=1).tolist()
        lengths = mask.sum(0).tolist()
        hist = torch.stack(history).tolist() if history else []
        paths = []
        for b in range(B):
            path = [best_last[b]]
            for t in range(lengths[b] - 2, -1, -1):
                path.append(hist[t][b][path[-1]])
            paths.append(path[::-1])
        return paths


class Tagger(nn.Module):
    def __init__(self, Vw, Vc, K, a):
        super().__init__()
        self.word_embedding = nn.Embedding(Vw, a.embed, padding_idx=0)
        self.has_chars = a.char_embed > 0 and a.char_hidden > 0
        feat = 0
        if self.has_chars:
            self.char_embedding = nn.Embedding(Vc, a.char_embed, padding_idx=0)
            self.char_rnn = nn.LSTM(a.char_embed, a.char_hidden, bidirectional=True)
            feat = 2 * a.char_hidden
        cell = nn.LSTM if a.cell == "lstm" else nn.GRU
        self.rnn = cell(a.embed + feat, a.hidden, num_layers=a.layers, bidirectional=True,
                        dropout=f32(a.dropout) if a.layers > 1 else 0.0)
        self.fc = nn.Linear(2 * a.hidden, K)
        self.crf = CRF(K) if a.crf else None
        self.p = f32(a.dropout)

    def emissions(self, bt, words):
        """[T, B, K] emissions of a batch (words: its word ids after word dropout)."""
        x = self.word_embedding(words)
        if self.has_chars:
            ce = self.char_embedding(bt["chars"])
            packed = pack_padded_sequence(ce, bt["char_lengths"], enforce_sorted=False)
            _, (h_n, _) = self.char_rnn(packed)
            feat = torch.cat([h_n[0], h_n[1]], dim=1)                      # [N, 2Hc]
            T, B = words.shape
            feat_bt = feat.new_zeros(B, T, feat.shape[1])
            feat_bt[bt["mask_bt"]] = feat
            x = torch.cat([x, feat_bt.transpose(0, 1)], dim=2)
        x = F.dropout(x, self.p, self.training)
        packed = pack_padded_sequence(x, bt["lengths"], enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, total_length=words.shape[0])
        out = F.dropout(out, self.p, self.training)
        return self.fc(out)

    def loss_sum(self, em, bt):
        """[loss] The batch's summed loss (its mean times its tokens)."""
        if self.crf is not None:
            return self.crf.nll_sum(em, bt["tags"], bt["mask"])
        m = bt["mask"]
        return F.cross_entropy(em[m], bt["tags"][m], reduction="sum")

    def decode(self, em, bt):
        """[decode] Predicted tags, sentence after sentence, as one list."""
        if self.crf is not None:
            return [t for p in self.crf.viterbi(em, bt["mask"]) for t in p]
        pred = em.argmax(dim=2).T                                          # [B, T]
        return pred[bt["mask_bt"]].tolist()


def word_dropout(words, mask, count, alpha):
    """[wdrop] words [T, B] with some ids >= 2 replaced by <unk>."""
    if alpha <= 0:
        return words
    c = count[words]
    p = torch.where(words >= 2, alpha / (alpha + c), torch.zeros_like(c))
    drop = (torch.rand(words.shape, dtype=torch.float64) < p) & mask
    return torch.where(drop, torch.ones_like(words), words)


# [loop] ---------------------------------------------------------------------------------------

def plan_epoch(d, bsz, rng):
    order = list(range(d.n))
    rng.shuffle(order)
    pool = bsz * POOL_BATCHES
    for i in range(0, d.n, pool):
        order[i:i + pool] = sorted(order[i:i + pool], key=lambda j: (d.lengths[j], j))
    batches = [order[i:i + bsz] for i in range(0, d.n, bsz)]
    rng.shuffle(batches)
    return batches


def evaluate(model, d, table, bsz):
    """Mean loss, predictions in sentence order (one list per sentence), dropout off."""
    model.eval()
    order = sorted(range(d.n), key=lambda j: (d.lengths[j], j))
    total, count, pred = 0.0, 0, [None] * d.n
    with torch.no_grad():
        for i in range(0, d.n, bsz):
            idx = order[i:i + bsz]
            bt = make_batch(d, idx, table)
            em = model.emissions(bt, bt["words"])
            total += float(model.loss_sum(em, bt))
            count += bt["tokens"]
            flat, k = model.decode(em, bt), 0
            for j in idx:
                pred[j] = flat[k:k + d.lengths[j]]
                k += d.lengths[j]
    return total / count, pred


def accuracy(d, pred):
    gold = np.concatenate(d.tags)
    return float((np.concatenate(pred) == gold).mean())


def train(model, tr, dev, table, count, a, log):
    rng = random.Random(a.seed)
    params = list(model.parameters())
    lr = f32(a.lr)
    opt = torch.optim.Adam(params, lr=lr, betas=(f32(a.beta1), f32(a.beta2)), eps=f32(1e-8))
    count_t = torch.from_numpy(count)
    best, best_loss, best_acc, best_epoch, stale = None, math.inf, -math.inf, 0, 0
    history, step, step_time, step_tokens = [], 0, 0.0, 0
    t0 = time.perf_counter()
    stop, epoch = False, 0
    while not stop and epoch < a.epochs:
        batches = plan_epoch(tr, a.batch, rng)
        model.train()
        total, counted = 0.0, 0
        for idx in batches:
            s0 = time.perf_counter()
            bt = make_batch(tr, idx, table)
            words = word_dropout(bt["words"], bt["mask"], count_t, f32(a.word_dropout))
            opt.zero_grad(set_to_none=False)
            em = model.emissions(bt, words)
            loss_sum = model.loss_sum(em, bt)
            (loss_sum / bt["tokens"]).backward()
            norm = torch.nn.utils.clip_grad_norm_(params, f32(a.clip) if a.clip > 0 else math.inf)
            if not math.isfinite(float(norm)) or not math.isfinite(loss_sum.item()):
                sys.exit(f"the loss or the gradient is not finite at step {step + 1} "
                         f"(epoch {epoch + 1}): lower the learning rate or clip")
            opt.step()
            now = time.perf_counter()
            step_time += now - s0
            step += 1
            step_tokens += bt["tokens"]
            total += loss_sum.item()
            counted += bt["tokens"]
            if a.time_limit > 0 and now - t0 >= a.time_limit:
                stop = True
                break
        if counted == 0:
            break
        epoch += 1
        vloss, vpred = evaluate(model, dev, table, a.batch)
        vacc = accuracy(dev, vpred)
        if a.select == "accuracy":  # recur's tagger: fit_model.validate, a tie to the lower loss
            is_best = vacc > best_acc or (vacc == best_acc and vloss < best_loss)
        else:
            is_best = vloss < best_loss
        if is_best:
            best_loss, best_acc, best_epoch, stale = vloss, vacc, epoch, 0
            best = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            lr = f32(np.float32(lr) * np.float32(a.lr_decay))
            for g in opt.param_groups:
                g["lr"] = lr
            if a.patience and stale >= a.patience:
                stop = True
        elapsed = time.perf_counter() - t0
        rec = {"epoch": epoch, "steps": step, "train_loss": total / counted, "dev_loss": vloss,
               "dev_accuracy": vacc, "best": is_best, "lr": lr, "elapsed": elapsed,
               "train_tokens_per_s": step_tokens / step_time}
        history.append(rec)
        log(f"epoch {epoch:3d}  steps {step:6d}  train {total / counted:.4f}  dev {vloss:.4f}  "
            f"dev acc {100 * vacc:.2f}%  lr {lr:.3g}{'  *' if is_best else '   '}  "
            f"{elapsed:7.1f} s  {step_tokens / step_time:.0f} tok/s")
    seconds = time.perf_counter() - t0
    if best is not None:
        model.load_state_dict(best)
    return {"epochs": epoch, "seconds": seconds, "train_tokens_per_s": step_tokens / step_time,
            "best_epoch": best_epoch, "dev_loss": best_loss, "steps": step, "history": history}


# [test] ---------------------------------------------------------------------------------------

def scores(d, pred, oov, K):
    gold = np.concatenate(d.tags)
    p = np.concatenate(pred).astype(np.int64)
    right = p == gold
    support = np.bincount(gold, minlength=K)
    predicted = np.bincount(p, minlength=K)
    correct = np.bincount(gold[right], minlength=K)
    present = (support + predicted) > 0
    f1 = 2 * correct[present] / (support[present] + predicted[present])
    return {"accuracy": float(right.mean()),
            "oov_accuracy": float(right[oov].mean()) if oov.any() else float("nan"),
            "macro_f1": float(f1.mean()), "test_tokens": int(gold.size),
            "oov_tokens": int(oov.sum())}


def main():
    root = os.environ.get("RECUR_DATA", "/work/shared/data")
    ud = os.path.join(root, "ud_en_ewt", "en_ewt-ud-{}.conllu.gz")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", default=ud.format("train"))
    ap.add_argument("--dev", default=ud.format("dev"))
    ap.add_argument("--test", default=ud.format("test"))
    ap.add_argument("--tag-column", choices=["upos", "xpos"], default="upos")
    ap.add_argument("--crf", action="store_true")
    ap.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    ap.add_argument("--embed", type=int, default=100)
    ap.add_argument("--char-embed", type=int, default=32)
    ap.add_argument("--char-hidden", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--dropout", type=float, default=0.33)
    ap.add_argument("--word-dropout", type=float, default=0.25)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--max-words", type=int, default=0)
    ap.add_argument("--lowercase", action="store_true")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.999)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--lr-decay", type=float, default=0.5)
    ap.add_argument("--select", choices=["accuracy", "loss"], default="accuracy",
                    help="what picks the best epoch, drives patience and the lr decay "
                         "(recur's tagger: accuracy)")
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=0.0)
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    if a.batch < 1 or a.epochs < 1 or not (0 < a.lr_decay <= 1) or not (0 <= a.dropout < 1):
        sys.exit("--batch and --epochs must be >= 1, --lr-decay in (0, 1], --dropout in [0, 1)")
    torch.set_num_threads(a.threads)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    sets = {k: read_conllu(getattr(a, k), a.tag_column) for k in ("train", "dev", "test")}
    v = build_vocabs(sets["train"], a.min_count, a.max_words, a.lowercase)
    table = FormTable(v["chars"])
    enc = {k: Encoded(s, v, getattr(a, k), table) for k, s in sets.items()}
    table.freeze()
    K = len(v["tag_list"])
    torch.manual_seed(a.seed)
    model = Tagger(len(v["words"]), len(v["chars"]), K, a)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"train {enc['train'].n} sentences / {enc['train'].tokens} tokens, dev {enc['dev'].n} / "
        f"{enc['dev'].tokens}, test {enc['test'].n} / {enc['test'].tokens}; {len(v['words'])} "
        f"words, {len(v['chars'])} chars, {K} tags; {n_params} parameters; torch "
        f"{torch.__version__}, {torch.get_num_threads()} thread(s)")
    res = train(model, enc["train"], enc["dev"], table, v["count"], a, log)
    te = enc["test"]
    _, pred = evaluate(model, te, table, a.batch)
    oov = np.concatenate(te.words) == 1
    sc = scores(te, pred, oov, K)
    out = {"accuracy": sc["accuracy"], "oov_accuracy": sc["oov_accuracy"],
           "macro_f1": sc["macro_f1"], "epochs": res["epochs"], "seconds": res["seconds"],
           "train_tokens_per_s": res["train_tokens_per_s"], "params": n_params,
           "best_epoch": res["best_epoch"], "dev_loss": res["dev_loss"], "steps": res["steps"],
           "test_tokens": sc["test_tokens"], "oov_tokens": sc["oov_tokens"],
           "tag_column": a.tag_column, "crf": a.crf, "torch": torch.__version__,
           "threads": torch.get_num_threads(), "config": vars(a)}
    print(json.dumps({k: out[k] for k in out if k != "config"}), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(out, history=res["history"]), f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
