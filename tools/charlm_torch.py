#!/usr/bin/env python3
"""PyTorch reference for `recur train --task charlm` and `recur train --task wordlm`: the same
character- or word-level language model, trained the same way, so validation loss and wall time
can be compared side by side.

    python3 tools/charlm_torch.py --data $RECUR_DATA/tinyshakespeare/input.txt \\
        [--hidden 512 --layers 2 --embed 64 --seq-len 100 --batch 64 --dropout 0.2] \\
        [--epochs E] [--time-limit SECONDS] [--threads 2] [--omp-passive] [--json]

    python3 tools/charlm_torch.py --task wordlm --data $D/ptb.train.txt \\
        --val-data $D/ptb.valid.txt --test-data $D/ptb.test.txt --cell lstm --hidden 200 \\
        --layers 2 --embed 200 --seq-len 20 --batch 20 --optimizer sgd --lr 1 --schedule step \\
        --decay-after 4 --decay-factor 0.5 --clip 5 --dropout 0 --epochs 13 --init uniform \\
        --init-range 0.1 --seed 1 --threads 2 --json

(RECUR_DATA defaults to ../shared/data, D = $RECUR_DATA/ptb; the data is never copied into the
repository. The second command is Zaremba et al. 2014's "small" Penn Treebank setup.)

The specification, shared with recur; each part of the code below names the point it implements.

[task]   --task charlm (default): the tokens are characters ([data]). --task wordlm: the tokens
         are words ([words]). Everything else below is shared by both tasks.
[data]   charlm: the file is read as strict UTF-8 into Unicode code points. The vocabulary is
         the sorted set of distinct code points of the file (and of --val-data's); id =
         position. --test-data's code points are mapped with that vocabulary and never add to
         it; one outside it is an error naming it, the file and the line.
[words]  wordlm: a file is read as strict UTF-8 and split on "\\n" into lines (a final empty
         piece after a trailing newline is not a line). Each line is split on runs of ASCII
         whitespace (space, \\t, \\v, \\f, \\r; recur's words.h), empty pieces dropped —
         str.split() as data.py uses it also splits at other Unicode spaces (U+0085, U+00A0,
         U+2000...), which Penn Treebank does not contain. The token "<eos>" is appended after
         the line's words (as PyTorch's word_language_model data.py does). The vocabulary
         is the sorted (Python str order = code-point order) set of distinct tokens of the
         training file (--data) and of --val-data's (as word_language_model's dictionary and
         recur's charlm), "<eos>" included; id = position. In the test file a token outside
         the vocabulary becomes "<unk>" if "<unk>" is in the vocabulary,
         else it is an error naming the token, the file and the line (1-based). PTB: 10,000
         types; its valid/test files contain <unk> themselves and no unknown word.
[split]  --val-data FILE, or else the last --val-fraction f (default 0.1) of --data's ids (code
         points or tokens) is validation: s = int(N * (1 - f)) in double (tinyshakespeare:
         N = 1,115,394, s = 1,003,854).
[reader] Truncated BPTT (Zaremba et al. 2014): B streams of L = len(train) // B tokens
         (remainder dropped); (L - 1) // T chunks per epoch; chunk i: x = streams[:, iT:(i+1)T],
         y = streams[:, iT+1:(i+1)T+1], fed time-major [T, B]. The state (h, c) is zero at the
         start of each epoch and carried, detached, from chunk to chunk.
[val]    The same reader over the validation ids (same B, T), state zero at its start and
         carried, eval mode (no dropout): mean cross-entropy in nats over every predicted
         token; bpc = loss / ln 2 (charlm only), ppl = exp(loss).
[test]   --test-data FILE (either task): after training, the model as it was at the best
         validation loss (a deep copy of its state_dict is taken at each new best) is evaluated
         on the test ids exactly as [val] (same reader, B, T, state zero at its start, eval
         mode): test_loss, test_ppl = exp(test_loss). The sample ([output]) still comes from
         the final model. Test time counts in neither "elapsed" nor "train_time".
[model]  Embedding(V, E) -> Dropout(p) -> nn.LSTM/GRU/RNN(E, H, layers, dropout=p) -> Dropout(p)
         -> Linear(H, V), as PyTorch's word_language_model example; --tie shares the Linear
         weight with the embedding (E == H). Initialisation as [init].
[init]   --init default: PyTorch's default initialisation everywhere. --init uniform: after
         construction (and its default draws), every parameter -- embedding weight, each
         nn.LSTM/GRU/RNN weight_ih_l*, weight_hh_l*, bias_ih_l*, bias_hh_l*, the Linear weight
         and bias, a tied weight once -- is redrawn from U(-R, R), R = --init-range (0.1)
         (Zaremba et al.).
[loss]   Mean cross-entropy over the B*T tokens of a chunk.
[optim]  adam|adamw|sgd|rmsprop|adagrad, --lr (2e-3), PyTorch defaults otherwise (sgd is plain
         torch.optim.SGD(params, lr): no momentum, dampening, weight decay or Nesterov);
         clip_grad_norm_(all parameters, --clip) before each step (--clip 0 turns it off).
[sched]  --schedule constant (default): --lr throughout. --schedule step: epoch e (0-based) runs
         at lr * F**max(0, e - K + 1), K = --decay-after (4), F = --decay-factor (0.5): epochs
         0..K-1 at lr, epoch K at lr*F, epoch K+1 at lr*F^2, ...; the optimizer's lr is set at
         the start of each epoch.
[stop]   --epochs and/or --time-limit (checked after each step; validation time counts),
         whichever comes first. Validation at the end of every epoch, every --val-every steps
         (if > 0) and at the end of the run; the best validation loss is kept.
[output] A line per validation and progress lines (every --log-every seconds) on stderr; with
         --json one JSON object per validation on stdout (step, epoch, val_loss, bpc (charlm
         only), ppl, train_loss, elapsed, tokens_per_sec, train_time) and a final one (final:
         true, step, epoch, best_val_loss, best_bpc (charlm only), best_ppl, val_loss,
         test_loss and test_ppl (with --test-data), elapsed, train_time, tokens_per_sec,
         params, config, sample). Then a sample at temperature 0.8 from the final model:
         charlm: --sample-length (300) characters primed with "\\n"; wordlm: --sample-length
         words primed with "<eos>", printed joined by spaces with "<eos>" as a newline.

Timing: "elapsed" is wall time since the first training step began (data loading and model
construction excluded, validation included). "tokens_per_sec" is training tokens (B*T per
step) divided by the time spent in training steps only (validation excluded); "train_time"
gives that time. "train_loss" is the mean training loss over the steps since the previous
validation. "epoch" is fractional: steps done / chunks per epoch.

--omp-passive re-executes the script with OMP_WAIT_POLICY=PASSIVE in the environment (OpenMP
reads it only at start-up), which can help on a small, shared machine; the same effect is had
by running `OMP_WAIT_POLICY=PASSIVE python3 tools/charlm_torch.py ...`.
"""

import os
import sys

# [threads] --omp-passive must act before torch (and its OpenMP runtime) is loaded.
if "--omp-passive" in sys.argv[1:] and os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import argparse  # noqa: E402
import copy  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# [data] strict UTF-8 -> code points (charlm)
# ---------------------------------------------------------------------------------------------

def read_text(path):
    """The file decoded strictly as UTF-8: no newline translation, an invalid sequence is an
    error."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        sys.exit(f"charlm_torch: {path}: invalid UTF-8 at byte {e.start}: {e.reason}")


def read_code_points(path):
    """The file's Unicode code points as uint32."""
    return np.frombuffer(read_text(path).encode("utf-32-le"), dtype=np.uint32)


def map_code_points(vocab, cps, path):
    """[data] --test-data: code points -> ids with a fixed vocabulary; one outside it is an
    error naming it, the file and the line."""
    idx = np.searchsorted(vocab, cps)
    bad = (idx >= len(vocab)) | (vocab[np.minimum(idx, len(vocab) - 1)] != cps)
    if bad.any():
        k = int(np.argmax(bad))
        line = int(np.count_nonzero(cps[:k] == 10)) + 1
        sys.exit(f"charlm_torch: {path}:{line}: character U+{int(cps[k]):04X} "
                 f"({chr(int(cps[k]))!r}) is not in the vocabulary")
    return torch.from_numpy(idx.astype(np.int64))


# ---------------------------------------------------------------------------------------------
# [words] strict UTF-8 -> lines -> str.split() words + "<eos>" (wordlm)
# ---------------------------------------------------------------------------------------------

EOS, UNK = "<eos>", "<unk>"


def read_words(path):
    """The file's tokens and, for each, its 1-based line number."""
    lines = read_text(path).split("\n")
    if lines and lines[-1] == "":
        lines.pop()                      # the empty piece after a trailing newline
    tokens, line_of = [], []
    for n, line in enumerate(lines, 1):
        words = [w for w in re.split(r"[ \t\v\f\r]+", line) if w] + [EOS]
        tokens += words
        line_of += [n] * len(words)
    return tokens, line_of


def map_words(index, tokens, line_of, path):
    """[words] tokens -> ids; outside the vocabulary -> "<unk>" if it has one, else an error."""
    unk = index.get(UNK)
    ids = []
    for t, n in zip(tokens, line_of):
        i = index.get(t, unk)
        if i is None:
            sys.exit(f"charlm_torch: {path}:{n}: word {t!r} is not in the vocabulary of "
                     f"the training file (which has no {UNK})")
        ids.append(i)
    return torch.tensor(ids, dtype=torch.int64)


def load_data(args):
    """[data]/[words] + [split]: returns (vocab, train ids, val ids, test ids or None); vocab
    is the sorted code points (uint32 array, charlm) or the sorted words (list of str,
    wordlm); the ids are int64 tensors."""
    if args.task == "wordlm":
        tokens, _ = read_words(args.data)
        val_tokens = read_words(args.val_data)[0] if args.val_data is not None else []
        vocab = sorted(set(tokens) | set(val_tokens))     # code-point order; "<eos>" included
        index = {t: i for i, t in enumerate(vocab)}
        ids = torch.tensor([index[t] for t in tokens], dtype=torch.int64)
        if args.val_data is not None:
            train_ids = ids
            val_ids = torch.tensor([index[t] for t in val_tokens], dtype=torch.int64)
        else:
            s = int(len(ids) * (1.0 - args.val_fraction))  # [split] over the tokens
            train_ids, val_ids = ids[:s], ids[s:]
        test_ids = (map_words(index, *read_words(args.test_data), args.test_data)
                    if args.test_data is not None else None)              # [test]
        return vocab, train_ids, val_ids, test_ids

    cps = read_code_points(args.data)
    if args.val_data is not None:
        val_cps = read_code_points(args.val_data)
        vocab = np.unique(np.concatenate([cps, val_cps]))   # sorted ascending
        train_cps = cps
    else:
        n = len(cps)
        s = int(n * (1.0 - args.val_fraction))            # Python floats are doubles
        vocab = np.unique(cps)
        train_cps, val_cps = cps[:s], cps[s:]
    to_ids = lambda c: torch.from_numpy(np.searchsorted(vocab, c).astype(np.int64))  # noqa: E731
    test_ids = (map_code_points(vocab, read_code_points(args.test_data), args.test_data)
                if args.test_data is not None else None)                  # [test]
    return vocab, to_ids(train_cps), to_ids(val_cps), test_ids


# ---------------------------------------------------------------------------------------------
# [reader] truncated-BPTT batches
# ---------------------------------------------------------------------------------------------

class Reader:
    """B parallel streams over `ids`; chunk i gives time-major x, y of shape [T, B]."""

    def __init__(self, ids, batch, seq_len):
        self.T = seq_len
        L = len(ids) // batch
        self.streams = ids[: batch * L].view(batch, L)   # stream b = ids[b*L:(b+1)*L]
        self.n_chunks = (L - 1) // seq_len if L > 0 else 0

    def chunk(self, i):
        a = i * self.T
        x = self.streams[:, a: a + self.T]
        y = self.streams[:, a + 1: a + self.T + 1]
        return x.t().contiguous(), y.t().contiguous()


# ---------------------------------------------------------------------------------------------
# [model]
# ---------------------------------------------------------------------------------------------

class CharLM(nn.Module):
    def __init__(self, vocab, cell, embed, hidden, layers, dropout, tie):
        super().__init__()
        self.cell = cell
        # Attribute names give recur's checkpoint names: embedding.weight, rnn.*, fc.*.
        self.embedding = nn.Embedding(vocab, embed)
        self.drop = nn.Dropout(dropout)
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]  # nn.RNN: tanh
        # nn.LSTM & co. apply `dropout` only between layers; passing 0 for one layer is the
        # same model and avoids PyTorch's warning.
        self.rnn = rnn_cls(embed, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.fc = nn.Linear(hidden, vocab)
        if tie:
            self.fc.weight = self.embedding.weight
        self.layers, self.hidden = layers, hidden

    def init_state(self, batch):
        h = torch.zeros(self.layers, batch, self.hidden)
        return (h, torch.zeros_like(h)) if self.cell == "lstm" else h

    def forward(self, x, state):
        """x: [T, B] ids -> logits [T, B, V], new state."""
        out, state = self.rnn(self.drop(self.embedding(x)), state)
        return self.fc(self.drop(out)), state


def init_uniform(model, r):
    """[init] --init uniform: every parameter (a tied weight once) redrawn from U(-r, r)."""
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-r, r)


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


# ---------------------------------------------------------------------------------------------
# [val]
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, reader, batch):
    model.eval()
    state = model.init_state(batch)
    total, count = 0.0, 0
    for i in range(reader.n_chunks):
        x, y = reader.chunk(i)
        logits, state = model(x, state)
        total += F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1),
                                 reduction="sum").item()
        count += y.numel()
    model.train()
    return total / count


# ---------------------------------------------------------------------------------------------
# [output] sampling
# ---------------------------------------------------------------------------------------------

@torch.no_grad()
def sample(model, vocab, length, temperature=0.8, prime="\n"):
    """charlm: `length` characters primed with "\\n"."""
    model.eval()
    ids = np.searchsorted(vocab, ord(prime))
    if ids >= len(vocab) or vocab[ids] != ord(prime):
        ids = 0                                  # no "\n" in the vocabulary: prime with id 0
    x = torch.tensor([[int(ids)]])              # [T=1, B=1]
    state = model.init_state(1)
    out = []
    for _ in range(length):
        logits, state = model(x, state)
        probs = F.softmax(logits[-1, 0] / temperature, dim=-1)
        nxt = int(torch.multinomial(probs, 1))
        out.append(chr(int(vocab[nxt])))
        x = torch.tensor([[nxt]])
    model.train()
    return "".join(out)


@torch.no_grad()
def sample_words(model, vocab, length, temperature=0.8):
    """wordlm: `length` words primed with "<eos>", joined by spaces with "<eos>" as a
    newline."""
    model.eval()
    x = torch.tensor([[vocab.index(EOS)]])      # [T=1, B=1]; "<eos>" is always in the vocab
    state = model.init_state(1)
    text, at_line_start = [], True
    for _ in range(length):
        logits, state = model(x, state)
        probs = F.softmax(logits[-1, 0] / temperature, dim=-1)
        nxt = int(torch.multinomial(probs, 1))
        word = vocab[nxt]
        if word == EOS:
            text.append("\n")
            at_line_start = True
        else:
            text.append(word if at_line_start else " " + word)
            at_line_start = False
        x = torch.tensor([[nxt]])
    model.train()
    return "".join(text)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--task", choices=["charlm", "wordlm"], default="charlm",
                   help="character- or word-level language model")
    p.add_argument("--data", required=True, help="training text (UTF-8)")
    p.add_argument("--val-data", help="validation text (UTF-8); else --val-fraction of --data")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--test-data", help="test text (UTF-8), evaluated with the best-validation "
                   "model after training")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--init", choices=["default", "uniform"], default="default",
                   help="PyTorch's default initialisation, or every parameter U(-R, R)")
    p.add_argument("--init-range", type=float, default=0.1, metavar="R",
                   help="uniform: the range R")
    p.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop", "adagrad"],
                   default="adam")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--schedule", choices=["constant", "step"], default="constant",
                   help="learning-rate schedule")
    p.add_argument("--decay-after", type=int, default=4, metavar="K",
                   help="step: epochs at the full rate before decay starts")
    p.add_argument("--decay-factor", type=float, default=0.5, metavar="F",
                   help="step: factor per epoch after that")
    p.add_argument("--clip", type=float, default=5.0, help="max gradient norm; 0 = no clipping")
    p.add_argument("--epochs", type=int, help="stop after this many epochs")
    p.add_argument("--time-limit", type=float, help="stop after this many seconds")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--omp-passive", action="store_true",
                   help="re-run with OMP_WAIT_POLICY=PASSIVE set")
    p.add_argument("--val-every", type=int, default=0, help="also validate every N steps")
    p.add_argument("--tie", action="store_true", help="tie decoder and embedding weights")
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.add_argument("--sample-length", type=int, default=300)
    p.add_argument("--log-every", type=float, default=10.0,
                   help="seconds between progress lines")
    a = p.parse_args()
    if a.epochs is None and a.time_limit is None:
        p.error("give --epochs and/or --time-limit")
    if a.val_data is None and not 0.0 < a.val_fraction < 1.0:
        p.error("--val-fraction must be in (0, 1)")
    if a.tie and a.embed != a.hidden:
        p.error("--tie requires --embed == --hidden")
    if min(a.hidden, a.layers, a.embed, a.seq_len, a.batch, a.threads) < 1:
        p.error("sizes and --threads must be >= 1")
    if not 0.0 <= a.dropout < 1.0:
        p.error("--dropout must be in [0, 1)")
    if not a.init_range > 0.0:
        p.error("--init-range must be > 0")
    if a.decay_after < 0:
        p.error("--decay-after must be >= 0")
    if not 0.0 < a.decay_factor <= 1.0:
        p.error("--decay-factor must be in (0, 1]")
    return a


def main():
    args = parse_args()

    # [threads] / [seed]
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    random.seed(args.seed)
    log(f"torch {torch.__version__}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}, "
        f"set_num_threads({args.threads}) -> get_num_threads() = {torch.get_num_threads()}")
    log(torch.__config__.parallel_info().rstrip())

    # [task] [data] [words] [split] [reader]
    words = args.task == "wordlm"
    vocab, train_ids, val_ids, test_ids = load_data(args)
    V = len(vocab)
    B, T = args.batch, args.seq_len
    train = Reader(train_ids, B, T)
    val = Reader(val_ids, B, T)
    test = Reader(test_ids, B, T) if test_ids is not None else None   # [test] as [val]
    if train.n_chunks == 0:
        sys.exit(f"charlm_torch: {len(train_ids)} training tokens: too few for B={B}, T={T}")
    if val.n_chunks == 0:
        sys.exit(f"charlm_torch: {len(val_ids)} validation tokens: too few for B={B}, T={T}")
    if test is not None and test.n_chunks == 0:
        sys.exit(f"charlm_torch: {len(test_ids)} test tokens: too few for B={B}, T={T}")
    log(f"data: {'wordlm, ' if words else ''}vocab {V}, train {len(train_ids)} tokens "
        f"({train.n_chunks} chunks of {T}x{B} per epoch), val {len(val_ids)} tokens "
        f"({val.n_chunks} chunks)"
        + (f", test {len(test_ids)} tokens ({test.n_chunks} chunks)" if test is not None else ""))

    # [model] [optim]
    model = CharLM(V, args.cell, args.embed, args.hidden, args.layers, args.dropout, args.tie)
    if args.init == "uniform":
        init_uniform(model, args.init_range)     # [init] after construction
    params = list(model.parameters())            # shared (tied) weights appear once
    n_params = sum(p.numel() for p in params)
    opt_cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
               "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[args.optimizer]
    opt = opt_cls(params, lr=args.lr)            # [optim] sgd: plain SGD, momentum 0
    sched = (f", step schedule x{args.decay_factor} per epoch from epoch {args.decay_after}"
             if args.schedule == "step" else "")
    log(f"model: {args.cell} {args.layers}x{args.hidden}, embed {args.embed}, dropout "
        f"{args.dropout}{', tied' if args.tie else ''}"
        f"{f', init U(-{args.init_range}, {args.init_range})' if args.init == 'uniform' else ''}: "
        f"{n_params} parameters; {args.optimizer} lr {args.lr}{sched}, clip {args.clip}")
    config = {k: v for k, v in vars(args).items() if k not in ("json", "log_every")}
    config.update(vocab=V, train_tokens=len(train_ids), val_tokens=len(val_ids),
                  chunks_per_epoch=train.n_chunks, torch=torch.__version__,
                  omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))
    if test is not None:
        config.update(test_tokens=len(test_ids))

    # [stop] [output] training loop
    t0 = time.perf_counter()
    train_time = 0.0                 # seconds inside training steps (validation excluded)
    step = 0
    best = math.inf
    best_state, best_step = None, None   # [test] the model at the best validation loss
    last_val = None
    val_step = -1                    # step of the latest validation
    loss_sum, loss_n = 0.0, 0        # training loss since the previous validation
    next_log = t0 + args.log_every

    def tokens_per_sec():
        return round(step * B * T / train_time, 1) if train_time > 0 else None

    def validate():
        nonlocal best, best_state, best_step, last_val, val_step, loss_sum, loss_n
        v = evaluate(model, val, B)
        if test is not None and v < best:                # [test] keep the best model
            best_state, best_step = copy.deepcopy(model.state_dict()), step
        best = min(best, v)
        last_val, val_step = v, step
        elapsed = time.perf_counter() - t0
        rec = {"step": step, "epoch": round(step / train.n_chunks, 4), "val_loss": v,
               "bpc": v / math.log(2), "ppl": math.exp(v),
               "train_loss": loss_sum / loss_n if loss_n else None,
               "elapsed": round(elapsed, 3),
               "tokens_per_sec": tokens_per_sec(),
               "train_time": round(train_time, 3)}
        if words:
            del rec["bpc"]                               # [output] no bpc for wordlm
        tl = f"{rec['train_loss']:.4f}" if loss_n else "-"
        bpc = "" if words else f"bpc {rec['bpc']:.4f}, "
        log(f"val  step {step} epoch {rec['epoch']:.3f}: val loss {v:.4f} ({bpc}"
            f"ppl {rec['ppl']:.3f}), train loss {tl}, best {best:.4f}, "
            f"{elapsed:.1f} s, {rec['tokens_per_sec']} tok/s")
        if args.json:
            print(json.dumps(rec), flush=True)
        loss_sum, loss_n = 0.0, 0

    model.train()
    epoch = 0
    stop = False
    while not stop and (args.epochs is None or epoch < args.epochs):
        if args.schedule == "step":                      # [sched] lr for this epoch
            lr = args.lr * args.decay_factor ** max(0, epoch - args.decay_after + 1)
            for g in opt.param_groups:
                g["lr"] = lr
            log(f"epoch {epoch}: lr {lr:g}")
        state = model.init_state(B)                      # [reader] zero state each epoch
        for i in range(train.n_chunks):
            ts = time.perf_counter()
            x, y = train.chunk(i)
            state = detach(state)                        # [reader] carried, detached
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.view(-1, V), y.view(-1))   # [loss] mean over B*T
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(params, args.clip)      # [optim]
            opt.step()
            step += 1
            loss_sum += loss.item()
            loss_n += 1
            now = time.perf_counter()
            train_time += now - ts

            if args.val_every > 0 and step % args.val_every == 0:
                validate()
            if now >= next_log:
                log(f"step {step} epoch {step / train.n_chunks:.3f}: loss {loss.item():.4f}, "
                    f"{step * B * T / train_time:.0f} tok/s, {now - t0:.1f} s")
                next_log = now + args.log_every
            # [stop] time limit, checked after each step (validation time counts)
            if args.time_limit is not None and time.perf_counter() - t0 >= args.time_limit:
                stop = True
                break
        else:
            epoch += 1
            if val_step != step:
                validate()                               # end of every epoch
    if val_step != step:
        validate()                                       # end of the run
    elapsed = time.perf_counter() - t0

    # [output] sample (from the final model), [test] best-validation model on the test file
    if args.sample_length <= 0:
        text = ""
    elif words:
        text = sample_words(model, vocab, args.sample_length)
    else:
        text = sample(model, vocab, args.sample_length)
    test_loss = None
    if test is not None:
        if best_state is not None:
            model.load_state_dict(best_state)
            which = f"best-validation model (step {best_step}, val loss {best:.4f})"
        else:                                            # no finite validation loss
            which = "final model (no validation loss was finite)"
        test_loss = evaluate(model, test, B)
        log(f"test: loss {test_loss:.4f} ("
            + ("" if words else f"bpc {test_loss / math.log(2):.4f}, ")
            + f"ppl {math.exp(test_loss):.3f}) over {test.n_chunks * B * T} tokens, {which}")
    best_bpc = "" if words else f"bpc {best / math.log(2):.4f}"
    log(f"done: {step} steps ({step / train.n_chunks:.3f} epochs) in {elapsed:.1f} s, "
        f"best val loss {best:.4f} ({best_bpc or f'ppl {math.exp(best):.3f}'}), "
        f"{tokens_per_sec()} tok/s in training steps")
    if args.json:
        rec = {"final": True, "step": step, "epoch": round(step / train.n_chunks, 4),
               "best_val_loss": best, "best_bpc": best / math.log(2),
               "best_ppl": math.exp(best), "val_loss": last_val}
        if words:
            del rec["best_bpc"]                          # [output] no bpc for wordlm
        if test is not None:
            rec.update(test_loss=test_loss, test_ppl=math.exp(test_loss))
        rec.update({"elapsed": round(elapsed, 3), "train_time": round(train_time, 3),
                    "tokens_per_sec": tokens_per_sec(),
                    "params": n_params, "config": config, "sample": text})
        print(json.dumps(rec), flush=True)
    if text:
        stream = sys.stderr if args.json else sys.stdout
        what = f"{args.sample_length} words" if words else f"{len(text)} characters"
        print(f"--- sample ({what}, temperature 0.8) ---", file=stream)
        print(text, file=stream, flush=True)

if __name__ == "__main__":
    main()
