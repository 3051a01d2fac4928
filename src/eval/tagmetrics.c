/* tagmetrics.c — a tagger's scores against gold tags (tagmetrics.h).
 *
 * Tags. For tag k, with tp the tokens of tag k predicted k:
 *   precision = tp / predicted      recall = tp / support
 *   F1 = 2 tp / (predicted + support)   (= 2 p r / (p + r))
 * each 0 where its denominator is 0 (scikit-learn's zero_division=0); a
 * tag that is never predicted has precision 0 and F1 0. Macro-F1 is the
 * mean F1 over the tags with support or predictions, as
 * sklearn.metrics.f1_score(average="macro", labels=<those tags>,
 * zero_division=0); tags in neither are listed with zeros and left out.
 *
 * Entities: conlleval.pl (CoNLL-2000, 2004-01-26), step for step. A tag
 * splits at its first hyphen into a prefix and a type ("B-A-B" is prefix
 * B, type "A-B"; "O" and a tag without a hyphen have type ""). The tokens
 * are read in order with the step (O, O) after every sentence, the blank
 * line conlleval reads, starting from (O, ""). A gold (or predicted) chunk
 * is counted where startOfChunk(previous, current) holds; a chunk is
 * correct when gold and prediction start together with one type, then
 * end together (endOfChunk on both at once, with equal types) without
 * one ending alone or the types parting on the way; a chunk open at the
 * end is closed. The rules, p the previous prefix and t the current one:
 *   end    p=B, t∈{B,O,S};  p=I, t∈{B,O,S};  p∈{E,S}, t∈{B,I,E,S,O};
 *          p∉{O,.} and the types differ;  p∈{[,]}
 *   start  t∈{B,S}, p∈{B,I,E,S,O};  t=I, p∈{O,E,S};  t=E, p∈{O,E,S};
 *          t∉{O,.} and the types differ;  t∈{[,]}
 * which are conlleval.pl's own rules with the S- rules (and E-X B-X)
 * of its IOBES extension; for prefixes B, I, E, S and O they are also
 * seqeval's (default mode). precision = correct / found, recall =
 * correct / gold, F1 = 2 p r / (p + r), 0 where undefined; types are
 * those with a chunk in gold or prediction, sorted bytewise. One Perl
 * quirk is not copied: conlleval.pl prints the empty type's line twice.
 *
 * Thread safety: reentrant (no shared state).
 */
#include "eval/tagmetrics.h"
#include "base/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The chunk prefixes conlleval's rules name; any other prefix is OTHER. */
typedef enum { P_O, P_B, P_I, P_E, P_S, P_OPEN, P_CLOSE, P_DOT, P_OTHER } prefix;

typedef struct {
    prefix p;
    size_t type; /* index into the sorted types */
} chunk_tag;

/* The counts conlleval keeps, per type. */
typedef struct {
    size_t *found_gold, *found_pred, *correct;
} chunk_counts;

static prefix prefix_of(const char *name, size_t len)
{
    if (len != 1)
        return P_OTHER;
    switch (name[0]) {
    case 'O': return P_O;
    case 'B': return P_B;
    case 'I': return P_I;
    case 'E': return P_E;
    case 'S': return P_S;
    case '[': return P_OPEN;
    case ']': return P_CLOSE;
    case '.': return P_DOT;
    default: return P_OTHER;
    }
}

/* The type of a tag: after its first hyphen, "" without one; *prefix_len
 * the bytes before it (all of them without one). */
static const char *split_tag(const char *name, size_t *prefix_len)
{
    const char *dash = strchr(name, '-');
    *prefix_len = dash ? (size_t)(dash - name) : strlen(name);
    return dash ? dash + 1 : "";
}

static int chunk_end(chunk_tag prev, chunk_tag cur)
{
    prefix p = prev.p, t = cur.p;
    int begin_or_out = t == P_B || t == P_O || t == P_S;
    return ((p == P_B || p == P_I) && begin_or_out) ||
           ((p == P_E || p == P_S) &&
            (begin_or_out || t == P_I || t == P_E)) ||
           (p != P_O && p != P_DOT && prev.type != cur.type) ||
           p == P_OPEN || p == P_CLOSE;
}

static int chunk_start(chunk_tag prev, chunk_tag cur)
{
    prefix p = prev.p, t = cur.p;
    int after_end = p == P_O || p == P_E || p == P_S;
    return ((t == P_B || t == P_S) && (after_end || p == P_B || p == P_I)) ||
           ((t == P_I || t == P_E) && after_end) ||
           (t != P_O && t != P_DOT && prev.type != cur.type) ||
           t == P_OPEN || t == P_CLOSE;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The share, 0 when the whole is 0. */
static double ratio(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : 0;
}

/* conlleval's scores of one set of counts. */
static tag_prf chunk_prf(size_t correct, size_t predicted, size_t support)
{
    tag_prf s = {.precision = ratio(correct, predicted),
                 .recall = ratio(correct, support),
                 .support = support, .predicted = predicted,
                 .correct = correct};
    double sum = s.precision + s.recall;
    s.f1 = sum > 0 ? 2 * s.precision * s.recall / sum : 0;
    return s;
}

/* conlleval's walk over the tokens, one (gold, pred) pair per step. */
typedef struct {
    chunk_tag last_gold, last_pred;
    int in_correct;
    size_t found_gold, found_pred, correct;
    chunk_counts by_type;
} chunk_walk;

static void walk_step(chunk_walk *w, chunk_tag gold, chunk_tag pred)
{
    int start_gold = chunk_start(w->last_gold, gold);
    int start_pred = chunk_start(w->last_pred, pred);
    if (w->in_correct) {
        int end_gold = chunk_end(w->last_gold, gold);
        int end_pred = chunk_end(w->last_pred, pred);
        if (end_gold && end_pred &&
            w->last_pred.type == w->last_gold.type) {
            w->in_correct = 0;
            w->correct++;
            w->by_type.correct[w->last_gold.type]++;
        } else if (end_gold != end_pred || pred.type != gold.type) {
            w->in_correct = 0;
        }
    }
    if (start_gold && start_pred && pred.type == gold.type)
        w->in_correct = 1;
    if (start_gold) {
        w->found_gold++;
        w->by_type.found_gold[gold.type]++;
    }
    if (start_pred) {
        w->found_pred++;
        w->by_type.found_pred[pred.type]++;
    }
    w->last_gold = gold;
    w->last_pred = pred;
}

void tag_metrics_free(tag_metrics *m)
{
    if (!m)
        return;
    if (m->types)
        for (size_t i = 0; i < m->n_types; i++)
            free(m->types[i]);
    free(m->types);
    free(m->per_type);
    free(m->per_tag);
    memset(m, 0, sizeof *m);
}

static recur_status check_args(const int32_t *gold, const int32_t *pred,
                               size_t N, const size_t *sent_offset,
                               size_t n_sent, const char *const *names,
                               size_t n_tags, const tag_metrics *out)
{
    if (!gold || !pred || !sent_offset || !names || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          !gold || !pred ? "gold or predicted tags"
                          : !sent_offset ? "sentence offsets"
                          : !names       ? "tag names"
                                         : "metrics to fill");
    if (N == 0 || n_tags == 0 || n_sent == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "nothing to score: %zu "
                          "tokens, %zu sentences, %zu tags", N, n_sent,
                          n_tags);
    if (sent_offset[0] != 0 || sent_offset[n_sent] != N)
        return error_fail(RECUR_ERR_ARGUMENT, "the sentences cover tokens "
                          "[%zu, %zu), not the %zu tokens", sent_offset[0],
                          sent_offset[n_sent], N);
    for (size_t s = 0; s < n_sent; s++)
        if (sent_offset[s + 1] < sent_offset[s])
            return error_fail(RECUR_ERR_ARGUMENT, "sentence %zu ends at "
                              "token %zu before it starts (%zu)", s,
                              sent_offset[s + 1], sent_offset[s]);
    for (size_t i = 0; i < N; i++)
        if (gold[i] < 0 || (size_t)gold[i] >= n_tags || pred[i] < 0 ||
            (size_t)pred[i] >= n_tags)
            return error_fail(RECUR_ERR_ARGUMENT, "token %zu: tag %d "
                              "predicted for %d, not both in [0, %zu)", i,
                              (int)pred[i], (int)gold[i], n_tags);
    for (size_t k = 0; k < n_tags; k++)
        if (!names[k] || !names[k][0])
            return error_fail(RECUR_ERR_ARGUMENT, "tag %zu has no name", k);
    return RECUR_OK;
}

/* Token counts, per tag scores and macro-F1. */
static void score_tags(const int32_t *gold, const int32_t *pred,
                       const uint8_t *oov, size_t N, tag_metrics *m)
{
    for (size_t i = 0; i < N; i++) {
        int right = gold[i] == pred[i];
        m->per_tag[gold[i]].support++;
        m->per_tag[pred[i]].predicted++;
        m->per_tag[gold[i]].correct += (size_t)right;
        m->correct += (size_t)right;
        if (oov && oov[i]) {
            m->oov++;
            m->oov_correct += (size_t)right;
        }
    }
    m->accuracy = ratio(m->correct, N);
    m->oov_accuracy = m->oov ? ratio(m->oov_correct, m->oov) : NAN;
    size_t present = 0;
    double sum = 0;
    for (size_t k = 0; k < m->n_tags; k++) {
        tag_prf *t = &m->per_tag[k];
        t->precision = ratio(t->correct, t->predicted);
        t->recall = ratio(t->correct, t->support);
        t->f1 = ratio(2 * t->correct, t->predicted + t->support);
        if (t->support || t->predicted) {
            present++;
            sum += t->f1;
        }
    }
    m->macro_f1 = sum / (double)present; /* N >= 1: a tag is present */
}

/* The entity scores: the types of the tags (sorted, distinct), the walk,
 * and the types that have chunks copied out. */
static recur_status score_chunks(const int32_t *gold, const int32_t *pred,
                                 const size_t *sent_offset,
                                 size_t n_sent, const char *const *names,
                                 size_t n_tags, tag_metrics *m)
{
    recur_status st = RECUR_ERR_MEMORY;
    /* One more slot than tags for the "" of the boundary's O. */
    size_t slots = n_tags + 1;
    const char **sorted = malloc(slots * sizeof *sorted);
    chunk_tag *tag = malloc(n_tags * sizeof *tag);
    chunk_walk w = {.last_gold = {P_O, 0}, .last_pred = {P_O, 0},
                    .by_type = {calloc(slots, sizeof(size_t)),
                                calloc(slots, sizeof(size_t)),
                                calloc(slots, sizeof(size_t))}};
    if (!sorted || !tag || !w.by_type.found_gold || !w.by_type.found_pred ||
        !w.by_type.correct)
        goto done;
    sorted[0] = "";
    size_t plen;
    for (size_t k = 0; k < n_tags; k++)
        sorted[k + 1] = split_tag(names[k], &plen);
    qsort(sorted, slots, sizeof *sorted, cmp_str);
    size_t n_all = 0;
    for (size_t i = 0; i < slots; i++)
        if (n_all == 0 || strcmp(sorted[i], sorted[n_all - 1]))
            sorted[n_all++] = sorted[i];
    for (size_t k = 0; k < n_tags; k++) {
        const char *type = split_tag(names[k], &plen);
        const char **at = bsearch(&type, sorted, n_all, sizeof *sorted,
                                  cmp_str);
        tag[k] = (chunk_tag){prefix_of(names[k], plen),
                             (size_t)(at - sorted)};
    }
    /* "" sorts first: the boundary's (O, ""). */
    const chunk_tag boundary = {P_O, 0};
    for (size_t s = 0; s < n_sent; s++) {
        for (size_t i = sent_offset[s]; i < sent_offset[s + 1]; i++)
            walk_step(&w, tag[gold[i]], tag[pred[i]]);
        walk_step(&w, boundary, boundary);
    }
    if (w.in_correct) {
        w.correct++;
        w.by_type.correct[w.last_gold.type]++;
    }
    m->entity = chunk_prf(w.correct, w.found_pred, w.found_gold);
    size_t n_types = 0;
    for (size_t i = 0; i < n_all; i++)
        n_types += w.by_type.found_gold[i] || w.by_type.found_pred[i];
    if (n_types) {
        m->types = calloc(n_types, sizeof *m->types);
        m->per_type = malloc(n_types * sizeof *m->per_type);
        if (!m->types || !m->per_type)
            goto done;
        for (size_t i = 0; i < n_all; i++) {
            if (!w.by_type.found_gold[i] && !w.by_type.found_pred[i])
                continue;
            size_t j = m->n_types;
            m->types[j] = malloc(strlen(sorted[i]) + 1);
            if (!m->types[j])
                goto done;
            strcpy(m->types[j], sorted[i]);
            m->per_type[j] = chunk_prf(w.by_type.correct[i],
                                       w.by_type.found_pred[i],
                                       w.by_type.found_gold[i]);
            m->n_types++;
        }
    }
    st = RECUR_OK;
done:
    free(sorted);
    free(tag);
    free(w.by_type.found_gold);
    free(w.by_type.found_pred);
    free(w.by_type.correct);
    return st;
}

recur_status tag_metrics_compute(const int32_t *gold, const int32_t *pred,
                                 const uint8_t *oov, size_t N,
                                 const size_t *sent_offset, size_t n_sent,
                                 const char *const *names, size_t n_tags,
                                 tag_metrics *out)
{
    recur_status st = check_args(gold, pred, N, sent_offset, n_sent, names,
                                 n_tags, out);
    if (st != RECUR_OK)
        return st;
    if (n_tags >= SIZE_MAX / sizeof(tag_prf) - 1)
        return error_fail(RECUR_ERR_MEMORY, "%zu tags are too many", n_tags);
    /* Names must be distinct: a tag is right when its name is. */
    const char **sorted = malloc(n_tags * sizeof *sorted);
    if (!sorted)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for %zu tag "
                          "names", n_tags);
    memcpy(sorted, names, n_tags * sizeof *sorted);
    qsort(sorted, n_tags, sizeof *sorted, cmp_str);
    for (size_t k = 1; k < n_tags; k++)
        if (!strcmp(sorted[k - 1], sorted[k])) {
            st = error_fail(RECUR_ERR_ARGUMENT, "tag \"%s\" is named twice",
                            sorted[k]);
            free(sorted);
            return st;
        }
    free(sorted);

    tag_metrics m = {.tokens = N, .n_tags = n_tags,
                     .per_tag = calloc(n_tags, sizeof(tag_prf))};
    if (!m.per_tag)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the scores "
                          "of %zu tags", n_tags);
    score_tags(gold, pred, oov, N, &m);
    for (size_t k = 0; k < n_tags && !m.has_entities; k++)
        m.has_entities = strchr("BIES", names[k][0]) && names[k][1] == '-';
    if (m.has_entities &&
        score_chunks(gold, pred, sent_offset, n_sent, names, n_tags,
                     &m) != RECUR_OK) {
        tag_metrics_free(&m);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the entity "
                          "scores of %zu tags", n_tags);
    }
    *out = m;
    return RECUR_OK;
}

typedef struct {
    const char *name;
    size_t id;
} named_tag;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named_tag *)a)->name, ((const named_tag *)b)->name);
}

/* conlleval's summary, its format to the byte (a percentage, not a share). */
static int print_conlleval(FILE *f, const tag_metrics *m)
{
    const tag_prf *e = &m->entity;
    int bad = fprintf(f, "processed %zu tokens with %zu phrases; found: %zu "
                      "phrases; correct: %zu.\n", m->tokens, e->support,
                      e->predicted, e->correct) < 0;
    bad |= fprintf(f, "accuracy: %6.2f%%; precision: %6.2f%%; recall: "
                   "%6.2f%%; FB1: %6.2f\n", 100 * m->accuracy,
                   100 * e->precision, 100 * e->recall, 100 * e->f1) < 0;
    for (size_t i = 0; i < m->n_types; i++) {
        const tag_prf *t = &m->per_type[i];
        bad |= fprintf(f, "%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: "
                       "%6.2f  %zu\n", m->types[i], 100 * t->precision,
                       100 * t->recall, 100 * t->f1, t->predicted) < 0;
    }
    return bad;
}

recur_status tag_metrics_print(FILE *f, const tag_metrics *m,
                               const char *const *names)
{
    if (!f || !m || !names || !m->per_tag)
        return error_fail(RECUR_ERR_ARGUMENT, "no metrics, tag names or file "
                          "to print them to (NULL)");
    named_tag *order = malloc(m->n_tags * sizeof *order);
    if (!order)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the report");
    int name_w = 3;
    size_t present = 0;
    for (size_t k = 0; k < m->n_tags; k++) {
        order[k] = (named_tag){names[k] ? names[k] : "?", k};
        size_t len = strlen(order[k].name);
        name_w = len > (size_t)name_w ? (len > 64 ? 64 : (int)len) : name_w;
        present += m->per_tag[k].support || m->per_tag[k].predicted;
    }
    qsort(order, m->n_tags, sizeof *order, cmp_named);
    int bad = fprintf(f, "accuracy %.4f (%zu/%zu tokens)\n", m->accuracy,
                      m->correct, m->tokens) < 0;
    if (m->oov)
        bad |= fprintf(f, "OOV accuracy %.4f (%zu/%zu tokens)\n",
                       m->oov_accuracy, m->oov_correct, m->oov) < 0;
    else
        bad |= fprintf(f, "OOV accuracy n/a (no OOV tokens)\n") < 0;
    bad |= fprintf(f, "macro-F1 %.4f over the %zu tags in gold or "
                   "prediction\n\n%-*s  precision  recall      F1  support"
                   "  predicted\n", m->macro_f1, present, name_w, "tag") < 0;
    for (size_t i = 0; i < m->n_tags; i++) {
        const tag_prf *t = &m->per_tag[order[i].id];
        bad |= fprintf(f, "%-*s  %9.4f  %6.4f  %6.4f  %7zu  %9zu\n", name_w,
                       order[i].name, t->precision, t->recall, t->f1,
                       t->support, t->predicted) < 0;
    }
    free(order);
    if (m->has_entities) {
        bad |= fputs("\nentities (conlleval)\n", f) == EOF;
        bad |= print_conlleval(f, m);
    }
    if (bad || fflush(f) == EOF || ferror(f))
        return error_fail(RECUR_ERR_IO, "could not write the report");
    return RECUR_OK;
}
