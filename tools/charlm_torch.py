#!/usr/bin/env python3
"""PyTorch reference for `recur train --task charlm`: the same character-level language model,
trained the same way, so validation loss and wall time can be compared side by side.

    python3 tools/charlm_torch.py --data $RECUR_DATA/tinyshakespeare/input.txt \\
        [--hidden 512 --layers 2 --embed 64 --seq-len 100 --batch 64 --dropout 0.2] \\
        [--epochs E] [--time-limit SECONDS] [--threads 2] [--omp-passive] [--json]

(RECUR_DATA defaults to ../shared/data; the data is never copied into the repository.)

The specification, shared with recur; each part of the code below names the point it implements.

[data]   The file is read as strict UTF-8 into Unicode code points. The vocabulary is the sorted
         set of distinct code points of the file (and of --val-data's); id = position.
[split]  --val-data FILE, or else the last --val-fraction f (default 0.1) is validation:
         s = int(N * (1 - f)) in double (tinyshakespeare: N = 1,115,394, s = 1,003,854).
[reader] Truncated BPTT (Zaremba et al. 2014): B streams of L = len(train) // B tokens
         (remainder dropped); (L - 1) // T chunks per epoch; chunk i: x = streams[:, iT:(i+1)T],
         y = streams[:, iT+1:(i+1)T+1], fed time-major [T, B]. The state (h, c) is zero at the
         start of each epoch and carried, detached, from chunk to chunk.
[val]    The same reader over the validation ids (same B, T), state zero at its start and
         carried, eval mode (no dropout): mean cross-entropy in nats over every predicted
         token; bpc = loss / ln 2, ppl = exp(loss).
[model]  Embedding(V, E) -> Dropout(p) -> nn.LSTM/GRU/RNN(E, H, layers, dropout=p) -> Dropout(p)
         -> Linear(H, V), as PyTorch's word_language_model example; --tie shares the Linear
         weight with the embedding (E == H). PyTorch's default initialisation everywhere.
[loss]   Mean cross-entropy over the B*T tokens of a chunk.
[optim]  adam|adamw|sgd|rmsprop|adagrad, --lr (2e-3), PyTorch defaults otherwise, constant lr;
         clip_grad_norm_(all parameters, --clip) before each step (--clip 0 turns it off).
[stop]   --epochs and/or --time-limit (checked after each step; validation time counts),
         whichever comes first. Validation at the end of every epoch, every --val-every steps
         (if > 0) and at the end of the run; the best validation loss is kept.
[output] A line per validation and progress lines (every --log-every seconds) on stderr; with
         --json one JSON object per validation on stdout and a final one ("final": true).
         Then --sample-length (300) characters sampled at temperature 0.8, primed with "\\n".

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
import json  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# [data] strict UTF-8 -> code points
# ---------------------------------------------------------------------------------------------

def read_code_points(path):
    """The file's Unicode code points as uint32 (bytes are decoded strictly: no newline
    translation, an invalid sequence is an error)."""
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        sys.exit(f"charlm_torch: {path}: invalid UTF-8 at byte {e.start}: {e.reason}")
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def load_data(args):
    """[data] + [split]: returns (vocab code points, train ids, val ids) as int64 tensors."""
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
    return vocab, to_ids(train_cps), to_ids(val_cps)


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


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", required=True, help="training text (UTF-8)")
    p.add_argument("--val-data", help="validation text (UTF-8); else --val-fraction of --data")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--seq-len", type=int, default=100)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.2)
    p.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop", "adagrad"],
                   default="adam")
    p.add_argument("--lr", type=float, default=2e-3)
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

    # [data] [split] [reader]
    vocab, train_ids, val_ids = load_data(args)
    V = len(vocab)
    B, T = args.batch, args.seq_len
    train = Reader(train_ids, B, T)
    val = Reader(val_ids, B, T)
    if train.n_chunks == 0:
        sys.exit(f"charlm_torch: {len(train_ids)} training tokens: too few for B={B}, T={T}")
    if val.n_chunks == 0:
        sys.exit(f"charlm_torch: {len(val_ids)} validation tokens: too few for B={B}, T={T}")
    log(f"data: vocab {V}, train {len(train_ids)} tokens ({train.n_chunks} chunks of {T}x{B} "
        f"per epoch), val {len(val_ids)} tokens ({val.n_chunks} chunks)")

    # [model] [optim]
    model = CharLM(V, args.cell, args.embed, args.hidden, args.layers, args.dropout, args.tie)
    params = list(model.parameters())            # shared (tied) weights appear once
    n_params = sum(p.numel() for p in params)
    opt_cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
               "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[args.optimizer]
    opt = opt_cls(params, lr=args.lr)
    log(f"model: {args.cell} {args.layers}x{args.hidden}, embed {args.embed}, dropout "
        f"{args.dropout}{', tied' if args.tie else ''}: {n_params} parameters; "
        f"{args.optimizer} lr {args.lr}, clip {args.clip}")
    config = {k: v for k, v in vars(args).items() if k not in ("json", "log_every")}
    config.update(vocab=V, train_tokens=len(train_ids), val_tokens=len(val_ids),
                  chunks_per_epoch=train.n_chunks, torch=torch.__version__,
                  omp_wait_policy=os.environ.get("OMP_WAIT_POLICY"))

    # [stop] [output] training loop
    t0 = time.perf_counter()
    train_time = 0.0                 # seconds inside training steps (validation excluded)
    step = 0
    best = math.inf
    last_val = None
    val_step = -1                    # step of the latest validation
    loss_sum, loss_n = 0.0, 0        # training loss since the previous validation
    next_log = t0 + args.log_every

    def tokens_per_sec():
        return round(step * B * T / train_time, 1) if train_time > 0 else None

    def validate():
        nonlocal best, last_val, val_step, loss_sum, loss_n
        v = evaluate(model, val, B)
        best = min(best, v)
        last_val, val_step = v, step
        elapsed = time.perf_counter() - t0
        rec = {"step": step, "epoch": round(step / train.n_chunks, 4), "val_loss": v,
               "bpc": v / math.log(2), "ppl": math.exp(v),
               "train_loss": loss_sum / loss_n if loss_n else None,
               "elapsed": round(elapsed, 3),
               "tokens_per_sec": tokens_per_sec(),
               "train_time": round(train_time, 3)}
        tl = f"{rec['train_loss']:.4f}" if loss_n else "-"
        log(f"val  step {step} epoch {rec['epoch']:.3f}: val loss {v:.4f} (bpc {rec['bpc']:.4f}, "
            f"ppl {rec['ppl']:.3f}), train loss {tl}, best {best:.4f}, "
            f"{elapsed:.1f} s, {rec['tokens_per_sec']} tok/s")
        if args.json:
            print(json.dumps(rec), flush=True)
        loss_sum, loss_n = 0.0, 0

    model.train()
    epoch = 0
    stop = False
    while not stop and (args.epochs is None or epoch < args.epochs):
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

    # [output] sample, final record
    text = sample(model, vocab, args.sample_length) if args.sample_length > 0 else ""
    log(f"done: {step} steps ({step / train.n_chunks:.3f} epochs) in {elapsed:.1f} s, "
        f"best val loss {best:.4f} (bpc {best / math.log(2):.4f}), "
        f"{tokens_per_sec()} tok/s in training steps")
    if args.json:
        print(json.dumps({"final": True, "step": step, "epoch": round(step / train.n_chunks, 4),
                          "best_val_loss": best, "best_bpc": best / math.log(2),
                          "best_ppl": math.exp(best), "val_loss": last_val,
                          "elapsed": round(elapsed, 3), "train_time": round(train_time, 3),
                          "tokens_per_sec": tokens_per_sec(),
                          "params": n_params, "config": config, "sample": text}), flush=True)
    if text:
        stream = sys.stderr if args.json else sys.stdout
        print(f"--- sample ({len(text)} characters, temperature 0.8) ---", file=stream)
        print(text, file=stream, flush=True)


if __name__ == "__main__":
    main()
