"""Reference scores for recur's tagging metrics (src/eval/tagmetrics.c).

    python3 tools/gen_tag_metrics_fixtures.py           # writes tests/fixtures/tagmetrics.txt
    python3 tools/gen_tag_metrics_fixtures.py --check   # regenerate in memory, compare byte for byte

Plain Python; scikit-learn and seqeval are used, when importable, only to cross-check the numbers
written (the fixture does not depend on their presence, so --check passes without them).

The cases. Random and adversarial tag sequences over several sentences, in the tag sets of the
chunk representations conlleval reads: IOB2 (B-X starts every chunk), IOB1 (I-X starts a chunk,
B-X only between two adjacent chunks of one type), IOBES (S-X single, B-X I-X E-X), IOE1/IOE2
(E-X ends a chunk); gold sequences well formed in their scheme, predictions corrupted from them
(tags replaced, chunk types changed, chunk ends moved) or drawn uniformly from the tag set (I- after
O, I-X after B-Y, E- without B-, S- inside a chunk); and tag sets with conlleval's other prefixes:
"[" and "]" (one-token chunks), "." (never starts or ends a chunk by type), a tag without a hyphen
(prefix = the whole tag, type ""), types that hold hyphens ("B-A-B" has type "A-B"), an empty type
("I-"), an empty prefix ("-X"), "O-X". Some cases have empty sentences, no chunks at all in gold or
in the prediction, tags that occur nowhere, no OOV flags, or flags that are all 0.

Entity scores: conlleval.pl (CoNLL-2000, version 2004-01-26) as ported below: a tag splits at its
first hyphen into prefix and type ("O" and hyphenless tags have type ""); a sentence boundary is
the step (O, O) that conlleval reads from a blank line, one after every sentence; a chunk is
counted where startOfChunk is true, and it is correct when gold and prediction start together with
one type and end together (endOfChunk, both at once, same type) with no disagreement on the way;
precision = correct / found, recall = correct / gold, F1 = 2 p r / (p + r), 0 where a denominator is
0 (conlleval prints them times 100). startOfChunk/endOfChunk are conlleval.pl's rules with the
IOBES rules of its widely used extension (S- chunks; E- followed by B- or S- ends, B- or S- after
E- or S- starts): for tags with no "S" prefix and no "E-X B-Y" pair they are the original's, and for
tags whose prefixes are all B, I, E, S, O they are seqeval's (default mode), which the script
asserts case by case when seqeval is installed. Types are listed as conlleval lists them: those
with a chunk in gold or prediction, sorted bytewise.

Tag scores: accuracy over all tokens, OOV accuracy over flagged tokens (nan when none); per tag
precision = tp / predicted, recall = tp / support, F1 = 2 tp / (predicted + support), each 0
where its denominator is 0 (scikit-learn's zero_division=0); macro-F1 = the mean F1 over the tags
that occur in gold or prediction, as sklearn.metrics.f1_score(gold, pred, labels=<those tags>,
average="macro", zero_division=0), checked against sklearn when installed.

The file, whitespace-separated words, one record per line:
    case NAME
    tags K NAME_0 ... NAME_{K-1}           (tag names: no whitespace, not empty)
    sentences S LEN_0 ... LEN_{S-1}
    gold N ID ...    pred N ID ...    oov N FLAG ...   or   oov -   (no flags: NULL)
    counts TOKENS CORRECT OOV OOV_CORRECT
    scores ACCURACY OOV_ACCURACY MACRO_F1
    tag ID PRECISION RECALL F1 SUPPORT PREDICTED CORRECT        (K lines, by id)
    entities HAS_ENTITIES N_TYPES
    chunks PRECISION RECALL F1 SUPPORT PREDICTED CORRECT        (overall)
    type @TYPE PRECISION RECALL F1 SUPPORT PREDICTED CORRECT    (N_TYPES lines, sorted; the type
                                                                 after '@', which may be empty)
    end
Doubles are written as repr() (17 significant digits: strtod reads them back exactly).
"""
import argparse
import os
import random
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "tagmetrics.txt")
SEED = 20240519


# ---- conlleval.pl, ported --------------------------------------------------------------------

def split_tag(tag):
    """conlleval's /^([^-]*)-(.*)$/: prefix before the first hyphen, the rest the type."""
    if "-" in tag:
        prefix, kind = tag.split("-", 1)
        return prefix, kind
    return tag, ""


def end_of_chunk(prev, tag, prev_type, kind):
    return ((prev == "B" and tag in ("B", "O", "S"))
            or (prev == "I" and tag in ("B", "S", "O"))
            or (prev in ("E", "S") and tag in ("E", "I", "O", "S", "B"))
            or (prev != "O" and prev != "." and prev_type != kind)
            or prev in ("]", "["))


def start_of_chunk(prev, tag, prev_type, kind):
    return ((tag in ("B", "S") and prev in ("B", "I", "O", "S", "E"))
            or (tag == "I" and prev in ("O", "S", "E"))
            or (tag == "E" and prev in ("S", "E", "O"))
            or (tag != "O" and tag != "." and prev_type != kind)
            or tag in ("[", "]"))


def conlleval(sentences):
    """sentences: lists of (gold tag, predicted tag). Returns the counts conlleval.pl keeps:
    tokens, correct tags, and per type the chunks in gold (found_correct), in the prediction
    (found_guessed) and correct (correct_chunk)."""
    found_correct, found_guessed, correct_chunk = {}, {}, {}
    tokens = correct_tags = 0
    in_correct = False
    last_c, last_ct, last_g, last_gt = "O", "", "O", ""

    def bump(d, k):
        d[k] = d.get(k, 0) + 1

    def lines():
        for sent in sentences:
            for gold, pred in sent:
                yield gold, pred, False
            yield "O", "O", True          # the blank line after the sentence

    for gold, pred, boundary in lines():
        c, ct = split_tag(gold)
        g, gt = split_tag(pred)
        if in_correct:
            ec = end_of_chunk(last_c, c, last_ct, ct)
            eg = end_of_chunk(last_g, g, last_gt, gt)
            if ec and eg and last_gt == last_ct:
                in_correct = False
                bump(correct_chunk, last_ct)
            elif ec != eg or gt != ct:
                in_correct = False
        sc = start_of_chunk(last_c, c, last_ct, ct)
        sg = start_of_chunk(last_g, g, last_gt, gt)
        if sc and sg and gt == ct:
            in_correct = True
        if sc:
            bump(found_correct, ct)
        if sg:
            bump(found_guessed, gt)
        if not boundary:
            correct_tags += c == g and gt == ct
            tokens += 1
        last_c, last_ct, last_g, last_gt = c, ct, g, gt
    if in_correct:
        bump(correct_chunk, last_ct)
    return tokens, correct_tags, found_correct, found_guessed, correct_chunk


def prf(correct, predicted, support):
    p = correct / predicted if predicted else 0.0
    r = correct / support if support else 0.0
    f = 2 * p * r / (p + r) if p + r > 0 else 0.0
    return p, r, f


def conlleval_report(counts):
    """conlleval.pl's printed summary (for comparing with the Perl script by hand)."""
    tokens, correct_tags, fc, fg, cc = counts
    total = [sum(d.values()) for d in (cc, fg, fc)]
    p, r, f = prf(*total)
    out = ["processed %d tokens with %d phrases; found: %d phrases; correct: %d.\n"
           % (tokens, total[2], total[1], total[0])]
    if tokens:
        out.append("accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n"
                   % (100 * correct_tags / tokens, 100 * p, 100 * r, 100 * f))
    for t in sorted(set(fc) | set(fg), key=lambda s: s.encode()):
        p, r, f = prf(cc.get(t, 0), fg.get(t, 0), fc.get(t, 0))
        out.append("%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %d\n"
                   % (t, 100 * p, 100 * r, 100 * f, fg.get(t, 0)))
    return "".join(out)


# ---- tag scores --------------------------------------------------------------------------------

def tag_scores(gold, pred, K):
    """Per tag (precision, recall, F1, support, predicted, correct) and macro-F1 over the tags
    present, scikit-learn's formulas with zero_division=0."""
    support, predicted, correct = [0] * K, [0] * K, [0] * K
    for g, p in zip(gold, pred):
        support[g] += 1
        predicted[p] += 1
        correct[g] += g == p
    rows = []
    for k in range(K):
        p = correct[k] / predicted[k] if predicted[k] else 0.0
        r = correct[k] / support[k] if support[k] else 0.0
        f = 2 * correct[k] / (predicted[k] + support[k]) if correct[k] else 0.0
        rows.append((p, r, f, support[k], predicted[k], correct[k]))
    present = [k for k in range(K) if support[k] or predicted[k]]
    macro = sum(rows[k][2] for k in present) / len(present)
    return rows, macro, present


# ---- the cases ---------------------------------------------------------------------------------

TYPES = ["PER", "LOC", "ORG", "MISC"]


def chunks_of(rng, n, types, density):
    """A random segmentation of n tokens: a list of (start, length, type); the rest is O."""
    out, i = [], 0
    while i < n:
        if rng.random() < density:
            length = min(n - i, rng.choice([1, 1, 2, 2, 3, 4]))
            out.append((i, length, rng.choice(types)))
            i += length
            if rng.random() < 0.6:
                i += 1            # leave an O between chunks, most of the time
        else:
            i += 1
    return out


def encode(chunks, n, scheme):
    """The tags of a segmentation in a scheme."""
    tags = ["O"] * n
    ends = {s + l - 1: t for s, l, t in chunks}
    starts = {s: t for s, l, t in chunks}
    for s, l, t in chunks:
        for j in range(s, s + l):
            first, last = j == s, j == s + l - 1
            if scheme == "iob2":
                tags[j] = ("B-" if first else "I-") + t
            elif scheme == "iob1":
                adjacent = first and ends.get(s - 1) == t
                tags[j] = ("B-" if adjacent else "I-") + t
            elif scheme == "iobes":
                tags[j] = (("S-" if last else "B-") if first else ("E-" if last else "I-")) + t
            elif scheme == "ioe2":
                tags[j] = ("E-" if last else "I-") + t
            elif scheme == "ioe1":
                adjacent = last and starts.get(j + 1) == t
                tags[j] = ("E-" if adjacent else "I-") + t
    return tags


SCHEME_TAGS = {
    "iob2": ["B-", "I-"], "iob1": ["B-", "I-"], "iobes": ["B-", "I-", "E-", "S-"],
    "ioe2": ["I-", "E-"], "ioe1": ["I-", "E-"],
}


def corrupt(rng, sent_chunks, n, scheme, types, rate):
    """A prediction: the gold chunks with some types changed, ends moved, chunks dropped or
    invented, then tags replaced at random with probability rate."""
    chunks = []
    for s, l, t in sent_chunks:
        u = rng.random()
        if u < 0.1:
            continue
        if u < 0.2:
            t = rng.choice(types)
        elif u < 0.3:
            l = max(1, l + rng.choice([-1, 1]))
        chunks.append((s, l, t))
    if rng.random() < 0.3 and n:
        chunks.append((rng.randrange(n), rng.choice([1, 2]), rng.choice(types)))
    chunks.sort()
    clean, end = [], 0
    for s, l, t in chunks:
        if s >= end:
            l = min(l, n - s)
            clean.append((s, l, t))
            end = s + l
    tags = encode(clean, n, scheme)
    alphabet = ["O"] + [p + t for p in SCHEME_TAGS[scheme] for t in types]
    return [rng.choice(alphabet) if rng.random() < rate else x for x in tags]


def lengths(rng, n_sent, max_len, empty=False):
    return [0 if empty and rng.random() < 0.2 else rng.randint(1, max_len) for _ in range(n_sent)]


def scheme_case(rng, scheme, n_sent, max_len, rate, density=0.35, types=None):
    types = types or rng.sample(TYPES, rng.randint(1, len(TYPES)))
    gold, pred = [], []
    for n in lengths(rng, n_sent, max_len):
        ch = chunks_of(rng, n, types, density)
        gold.append(encode(ch, n, scheme))
        pred.append(corrupt(rng, ch, n, scheme, types, rate))
    return gold, pred


def uniform_case(rng, alphabet, n_sent, max_len, empty=False):
    gold, pred = [], []
    for n in lengths(rng, n_sent, max_len, empty):
        gold.append([rng.choice(alphabet) for _ in range(n)])
        pred.append([rng.choice(alphabet) for _ in range(n)])
    return gold, pred


def mix_case(rng, alphabet, n_sent, max_len, rate):
    """Gold drawn uniformly, the prediction a copy with tags replaced at rate."""
    gold, pred = uniform_case(rng, alphabet, n_sent, max_len)
    pred = [[rng.choice(alphabet) if rng.random() < rate else x for x in s] for s in gold]
    return gold, pred


WEIRD = ["O", "B-NP", "I-NP", "E-NP", "S-NP", "B-VP", "I-VP", "[-NP", "]-NP", "[-VP", "]-VP",
         ".-NP", ".-VP", ".", "NOUN", "B", "I", "B-A-B", "I-A-B", "I-", "-NP", "O-NP", "E-VP",
         "S-A-B"]


def make_cases():
    rng = random.Random(SEED)
    cases = []

    def add(name, gold, pred, extra_tags=(), oov="random", order="sorted"):
        cases.append((name, gold, pred, list(extra_tags), oov, order))

    # Hand-picked adversarial sequences (one sentence each unless said).
    add("i_after_o", [["O", "I-PER", "I-PER", "O"]], [["O", "B-PER", "I-PER", "O"]])
    add("type_change_inside", [["B-PER", "I-LOC", "I-LOC"]], [["B-PER", "I-PER", "I-LOC"]])
    add("b_after_i_same_type", [["B-PER", "I-PER", "B-PER"]], [["B-PER", "I-PER", "I-PER"]])
    add("iob1_adjacent", [["I-PER", "I-PER", "B-PER", "O", "I-LOC"]],
        [["I-PER", "B-PER", "I-PER", "O", "B-LOC"]])
    add("across_sentences", [["B-PER", "I-PER"], ["I-PER", "O"]],
        [["B-PER", "I-PER"], ["I-PER", "O"]])
    add("b_splits_chunk", [["B-PER", "I-PER", "I-PER"]], [["B-PER", "I-PER", "B-PER"]])
    add("iobes_pairs", [["S-PER", "S-PER", "B-LOC", "E-LOC", "E-LOC", "S-LOC", "I-LOC"]],
        [["B-PER", "E-PER", "B-LOC", "I-LOC", "E-LOC", "B-LOC", "I-LOC"]])
    add("e_then_b", [["E-PER", "B-PER", "I-PER", "E-PER", "I-PER"]],
        [["E-PER", "I-PER", "I-PER", "E-PER", "E-PER"]])
    add("no_gold_chunks", [["O", "O", "O"], ["O"]], [["B-PER", "O", "I-LOC"], ["S-ORG"]])
    add("no_pred_chunks", [["B-PER", "O", "I-LOC"], ["S-ORG"]], [["O", "O", "O"], ["O"]])
    add("all_o", [["O", "O"], ["O"]], [["O", "O"], ["O"]], extra_tags=["B-PER", "I-PER"])
    add("brackets_dot", [["[-NP", "]-NP", ".-NP", "B-NP", ".-NP", ".-VP", "O", "I-VP"]],
        [["B-NP", "]-NP", "I-NP", "B-NP", ".-NP", "I-VP", "O", "I-VP"]])
    add("dot_type_change", [["B-NP", ".-NP", "B-VP", "I-VP", "O", ".-NP", "I-NP", ".-VP"]],
        [["B-NP", ".-NP", "B-VP", "I-VP", "O", "B-NP", "I-NP", "I-VP"]])
    add("dot_type_drift", [["B-NP", ".-NP", ".-VP"]], [["B-NP", ".-NP", ".-NP"]])
    add("hyphenless", [["B", "I", "NOUN", "B-X", "NOUN", "O"]], [["B", "B", "NOUN", "I-X", "I", "O"]])
    add("empty_sentences", [[], ["B-PER", "I-PER"], [], [], ["O", "B-LOC"], []],
        [[], ["B-PER", "O"], [], [], ["O", "B-LOC"], []])
    add("no_oov_flags", [["B-PER", "O"]], [["B-PER", "O"]], oov="none")
    add("oov_all_zero", [["B-PER", "O"]], [["I-PER", "O"]], oov="zero")
    add("pos_tags", [["NOUN", "VERB", "DET", "NOUN"], ["PUNCT"]],
        [["NOUN", "NOUN", "DET", "ADJ"], ["PUNCT"]], extra_tags=["ADV"])

    # Well-formed gold in each scheme, predictions corrupted.
    for scheme in ("iob2", "iob1", "iobes", "ioe2", "ioe1"):
        for k in range(8):
            gold, pred = scheme_case(rng, scheme, rng.randint(1, 8), rng.choice([3, 8, 20]),
                                     rate=rng.choice([0.0, 0.05, 0.2, 0.5]))
            add("%s_%d" % (scheme, k), gold, pred, order=rng.choice(["sorted", "shuffled"]))
    # Uniform draws from each scheme's tag set: every illegal transition.
    for scheme, prefixes in SCHEME_TAGS.items():
        for k in range(6):
            types = rng.sample(TYPES, rng.randint(1, 3))
            alphabet = ["O"] + [p + t for p in prefixes for t in types]
            gold, pred = uniform_case(rng, alphabet, rng.randint(1, 6), rng.choice([2, 6, 15]),
                                      empty=k == 5)
            add("uniform_%s_%d" % (scheme, k), gold, pred, order=rng.choice(["sorted", "shuffled"]))
    # Uniform and near-gold draws over BIOES together, and over conlleval's other prefixes.
    bioes = ["O"] + [p + t for p in ("B-", "I-", "E-", "S-") for t in ("PER", "LOC")]
    for k in range(6):
        gold, pred = mix_case(rng, bioes, rng.randint(1, 6), 12, rate=rng.choice([0.1, 0.3]))
        add("mix_bioes_%d" % k, gold, pred)
    for k in range(10):
        alphabet = rng.sample(WEIRD, rng.randint(4, len(WEIRD)))
        if k % 2:
            gold, pred = uniform_case(rng, alphabet, rng.randint(1, 6), 12, empty=k == 9)
        else:
            gold, pred = mix_case(rng, alphabet, rng.randint(1, 6), 12, rate=0.3)
        add("weird_%d" % k, gold, pred, extra_tags=rng.sample(WEIRD, 2), order="shuffled")
    # A few longer ones.
    for k, scheme in enumerate(("iob2", "iobes", "iob1")):
        gold, pred = scheme_case(rng, scheme, 25, 30, rate=0.1, density=0.3)
        add("long_%s" % scheme, gold, pred)
    return rng, cases


def build(rng, case):
    name, gold, pred, extra, oov_mode, order = case
    names = sorted(set(t for s in gold + pred for t in s) | set(extra), key=lambda s: s.encode())
    if order == "shuffled":
        rng.shuffle(names)
    for t in names:
        assert t and not any(c.isspace() for c in t), t
    index = {t: i for i, t in enumerate(names)}
    g = [index[t] for s in gold for t in s]
    p = [index[t] for s in pred for t in s]
    N = len(g)
    if oov_mode == "none":
        oov = None
    elif oov_mode == "zero":
        oov = [0] * N
    else:
        rate = rng.choice([0.1, 0.3])
        oov = [1 if rng.random() < rate else 0 for _ in range(N)]
    return names, g, p, oov


# ---- cross-checks with the libraries, where installed ------------------------------------------

def check_sklearn(g, p, present, rows, macro):
    try:
        from sklearn.metrics import f1_score, precision_recall_fscore_support
    except ImportError:
        return False
    want = f1_score(g, p, labels=present, average="macro", zero_division=0)
    assert abs(want - macro) <= 1e-15, (want, macro)
    P, R, F, S = precision_recall_fscore_support(g, p, labels=list(range(len(rows))),
                                                 average=None, zero_division=0)
    for k, row in enumerate(rows):
        assert abs(P[k] - row[0]) <= 1e-15 and abs(R[k] - row[1]) <= 1e-15
        assert abs(F[k] - row[2]) <= 1e-15 and S[k] == row[3], (k, row, P[k], R[k], F[k], S[k])
    return True


def check_seqeval(gold, pred, counts):
    """seqeval's default mode over tags whose prefixes are B, I, E, S or O (one letter) and
    whose types are not empty: the chunk counts and scores must be conlleval's."""
    tags = set(t for s in gold + pred for t in s)
    if any(t != "O" and (t[:2] not in ("B-", "I-", "E-", "S-") or len(t) == 2) for t in tags):
        return False
    try:
        import warnings
        from seqeval.metrics.sequence_labeling import precision_recall_fscore_support as seq_prf
        from seqeval.metrics.sequence_labeling import get_entities
    except ImportError:
        return False
    _, _, fc, fg, cc = counts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gset = set(get_entities([list(s) for s in gold]))
        pset = set(get_entities([list(s) for s in pred]))
        types = sorted(set(t for t, _, _ in gset | pset))
        assert types == sorted(set(fc) | set(fg)), (types, fc, fg)
        for t in types:
            got = (sum(1 for e in gset if e[0] == t), sum(1 for e in pset if e[0] == t),
                   sum(1 for e in gset & pset if e[0] == t))
            assert got == (fc.get(t, 0), fg.get(t, 0), cc.get(t, 0)), (t, got, fc, fg, cc)
        if types:
            P, R, F, _ = seq_prf(gold, pred, average="micro", zero_division=0)
            total = [sum(d.values()) for d in (cc, fg, fc)]
            want = prf(*total)
            assert max(abs(P - want[0]), abs(R - want[1]), abs(F - want[2])) <= 1e-15
    return True


# ---- the file ----------------------------------------------------------------------------------

def fmt(x):
    return repr(float(x))


def render(stats):
    rng, cases = make_cases()
    out = ["# tagmetrics.txt: tagging metrics reference cases, written by "
           "tools/gen_tag_metrics_fixtures.py (its docstring has the format); do not edit\n"]
    for case in cases:
        name, gold, pred = case[:3]
        names, g, p, oov = build(rng, case)
        K, N = len(names), len(g)
        rows, macro, present = tag_scores(g, p, K)
        counts = conlleval([list(zip(a, b)) for a, b in zip(gold, pred)])
        tokens, correct_tags, fc, fg, cc = counts
        assert tokens == N and correct_tags == sum(a == b for a, b in zip(g, p))
        stats["sklearn"] += check_sklearn(g, p, present, rows, macro)
        stats["seqeval"] += check_seqeval(gold, pred, counts)
        stats["cases"] += 1
        has = any(t[:2] in ("B-", "I-", "E-", "S-") for t in names)
        n_oov = sum(oov) if oov else 0
        oov_ok = sum(1 for i in range(N) if oov and oov[i] and g[i] == p[i])
        out.append("case %s\n" % name)
        out.append("tags %d %s\n" % (K, " ".join(names)))
        out.append("sentences %d %s\n" % (len(gold), " ".join(str(len(s)) for s in gold)))
        out.append("gold %d %s\n" % (N, " ".join(map(str, g))))
        out.append("pred %d %s\n" % (N, " ".join(map(str, p))))
        out.append("oov -\n" if oov is None else "oov %d %s\n" % (N, " ".join(map(str, oov))))
        out.append("counts %d %d %d %d\n" % (N, correct_tags, n_oov, oov_ok))
        out.append("scores %s %s %s\n" % (fmt(correct_tags / N),
                                          fmt(oov_ok / n_oov) if n_oov else "nan", fmt(macro)))
        for k, row in enumerate(rows):
            out.append("tag %d %s %s %s %d %d %d\n" % ((k,) + tuple(map(fmt, row[:3])) + row[3:]))
        types = sorted(set(fc) | set(fg), key=lambda s: s.encode()) if has else []
        out.append("entities %d %d\n" % (has, len(types)))
        total = [sum(d.values()) for d in (cc, fg, fc)] if has else [0, 0, 0]
        out.append("chunks %s %s %s %d %d %d\n"
                   % (tuple(map(fmt, prf(*total))) + (total[2], total[1], total[0])))
        for t in types:
            c, f_g, f_c = cc.get(t, 0), fg.get(t, 0), fc.get(t, 0)
            out.append("type @%s %s %s %s %d %d %d\n"
                       % ((t,) + tuple(map(fmt, prf(c, f_g, f_c))) + (f_c, f_g, c)))
        out.append("end\n")
    return "".join(out), cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed file")
    ap.add_argument("--conll", metavar="DIR",
                    help="also write each case as a conlleval input file DIR/NAME.txt and its "
                         "expected report DIR/NAME.out (to run conlleval.pl on)")
    args = ap.parse_args()
    stats = {"cases": 0, "sklearn": 0, "seqeval": 0}
    text, cases = render(stats)
    print("%d cases; macro-F1 checked against scikit-learn in %d, chunks against seqeval in %d"
          % (stats["cases"], stats["sklearn"], stats["seqeval"]), file=sys.stderr)
    if args.conll:
        os.makedirs(args.conll, exist_ok=True)
        for name, gold, pred, *_ in cases:
            with open(os.path.join(args.conll, name + ".txt"), "w") as f:
                for a, b in zip(gold, pred):
                    for i, (x, y) in enumerate(zip(a, b)):
                        f.write("w%d %s %s\n" % (i, x, y))
                    f.write("\n")
            with open(os.path.join(args.conll, name + ".out"), "w") as f:
                f.write(conlleval_report(conlleval([list(zip(a, b)) for a, b in zip(gold, pred)])))
    if args.check:
        with open(OUT) as f:
            same = f.read() == text
        print("tagmetrics.txt: %s" % ("identical" if same else "DIFFERS"), file=sys.stderr)
        sys.exit(0 if same else 1)
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT), len(text)), file=sys.stderr)


if __name__ == "__main__":
    main()
