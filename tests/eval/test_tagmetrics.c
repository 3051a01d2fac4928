/*
 * test_tagmetrics.c — a tagger's scores (src/eval/tagmetrics.h): every case
 * of tests/fixtures/tagmetrics.txt (tools/gen_tag_metrics_fixtures.py:
 * conlleval.pl's chunk counts, scikit-learn's macro-F1) to 1e-12; small
 * cases counted by hand (IOB2, IOB1 and IOBES chunks, a chunk cut by a
 * sentence end, tags never predicted); OOV accuracy NaN without OOV
 * tokens; the report, whole; bad arguments.
 */
#include "eval/tagmetrics.h"
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-12

static int near(double a, double b)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) <= TOL;
}

/* ---- the fixture ---------------------------------------------------- */

typedef struct {
    FILE *f;
    char word[1100];
    int bad;
} reader;

static const char *next_word(reader *r)
{
    if (r->bad || fscanf(r->f, "%1099s", r->word) != 1) {
        r->bad = 1;
        r->word[0] = '\0';
    }
    return r->word;
}

static void expect(reader *r, const char *key)
{
    if (strcmp(next_word(r), key))
        r->bad = 1;
}

static size_t read_size(reader *r)
{
    char *end;
    unsigned long long v = strtoull(next_word(r), &end, 10);
    if (*end || end == r->word)
        r->bad = 1;
    return (size_t)v;
}

static double read_double(reader *r)
{
    char *end;
    double v = strtod(next_word(r), &end);
    if (*end || end == r->word)
        r->bad = 1;
    return v;
}

static tag_prf read_prf(reader *r)
{
    tag_prf s;
    s.precision = read_double(r);
    s.recall = read_double(r);
    s.f1 = read_double(r);
    s.support = read_size(r);
    s.predicted = read_size(r);
    s.correct = read_size(r);
    return s;
}

static int same_prf(tag_prf a, tag_prf b)
{
    return near(a.precision, b.precision) && near(a.recall, b.recall) &&
           near(a.f1, b.f1) && a.support == b.support &&
           a.predicted == b.predicted && a.correct == b.correct;
}

/* One case: the inputs, then the expected metrics compared as read.
 * Returns 1 when the case agrees, 0 when not (reported), -1 at the end of
 * the file. */
static int fixture_case(reader *r)
{
    if (fscanf(r->f, "%1099s", r->word) != 1)
        return -1;
    char name[64];
    snprintf(name, sizeof name, "%s", strcmp(r->word, "case") ? "?"
                                                              : next_word(r));
    expect(r, "tags");
    size_t K = read_size(r);
    if (r->bad || K == 0 || K > 1000)
        return r->bad = 1, 0;
    char **names = calloc(K, sizeof *names);
    for (size_t k = 0; k < K && names; k++)
        names[k] = strdup(next_word(r));
    expect(r, "sentences");
    size_t S = read_size(r);
    size_t *offset = r->bad || S > 100000 ? NULL : calloc(S + 1, sizeof *offset);
    for (size_t s = 0; offset && s < S; s++)
        offset[s + 1] = offset[s] + read_size(r);
    expect(r, "gold");
    size_t N = read_size(r);
    int32_t *gold = NULL, *pred = NULL;
    uint8_t *oov = NULL;
    if (!r->bad && N <= 1000000) {
        gold = calloc(N + 1, sizeof *gold);
        pred = calloc(N + 1, sizeof *pred);
    }
    for (size_t i = 0; gold && i < N; i++)
        gold[i] = (int32_t)read_size(r);
    expect(r, "pred");
    r->bad |= read_size(r) != N;
    for (size_t i = 0; pred && i < N; i++)
        pred[i] = (int32_t)read_size(r);
    expect(r, "oov");
    if (strcmp(next_word(r), "-")) {
        r->bad |= strtoull(r->word, NULL, 10) != N;
        oov = calloc(N + 1, 1);
        for (size_t i = 0; oov && i < N; i++)
            oov[i] = (uint8_t)read_size(r);
    }
    int ok = 0;
    tag_metrics m = {0};
    if (!r->bad && names && offset && gold && pred && (oov || !strcmp(r->word, "-"))) {
        recur_status st = tag_metrics_compute(gold, pred, oov, N, offset, S,
                                              (const char *const *)names, K, &m);
        CHECK(st == RECUR_OK, "case %s: %s", name, recur_last_error());
        ok = st == RECUR_OK;
    }
    expect(r, "counts");
    size_t want[4];
    for (int j = 0; j < 4; j++)
        want[j] = read_size(r);
    ok &= m.tokens == want[0] && m.correct == want[1] && m.oov == want[2] &&
          m.oov_correct == want[3];
    expect(r, "scores");
    double acc = read_double(r), oov_acc = read_double(r), macro = read_double(r);
    ok &= near(m.accuracy, acc) && near(m.oov_accuracy, oov_acc) &&
          near(m.macro_f1, macro) && m.n_tags == K;
    double err = fabs(m.macro_f1 - macro);
    for (size_t k = 0; k < K; k++) {
        expect(r, "tag");
        r->bad |= read_size(r) != k;
        tag_prf t = read_prf(r);
        ok &= m.per_tag && same_prf(m.per_tag[k], t);
    }
    expect(r, "entities");
    int has = (int)read_size(r);
    size_t n_types = read_size(r);
    ok &= m.has_entities == has && m.n_types == n_types;
    expect(r, "chunks");
    tag_prf chunks = read_prf(r);
    ok &= same_prf(m.entity, chunks);
    if (fabs(m.entity.f1 - chunks.f1) > err)
        err = fabs(m.entity.f1 - chunks.f1);
    for (size_t i = 0; i < n_types && !r->bad; i++) {
        expect(r, "type");
        char type[1100];
        snprintf(type, sizeof type, "%s", next_word(r));
        tag_prf t = read_prf(r);
        ok &= type[0] == '@' && i < m.n_types && !strcmp(m.types[i], type + 1) &&
              same_prf(m.per_type[i], t);
    }
    expect(r, "end");
    CHECK(ok && !r->bad, "case %s: the metrics differ from the fixture (or it "
          "is malformed): macro-F1 %.17g want %.17g, chunks %zu/%zu/%zu want "
          "%zu/%zu/%zu, %zu types want %zu (err %.3g)", name, m.macro_f1, macro,
          m.entity.correct, m.entity.predicted, m.entity.support,
          chunks.correct, chunks.predicted, chunks.support, m.n_types,
          n_types, err);
    tag_metrics_free(&m);
    for (size_t k = 0; names && k < K; k++)
        free(names[k]);
    free(names);
    free(offset);
    free(gold);
    free(pred);
    free(oov);
    return ok && !r->bad;
}

static void fixture_cases(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tagmetrics.txt", test_fixture_dir());
    reader r = {.f = fopen(path, "r")};
    CHECK(r.f != NULL, "cannot open %s", path);
    if (!r.f)
        return;
    char line[512];
    CHECK(fgets(line, sizeof line, r.f) && line[0] == '#', "%s: no header", path);
    size_t cases = 0, agree = 0;
    int got;
    while (!r.bad && (got = fixture_case(&r)) >= 0) {
        cases++;
        agree += (size_t)got;
    }
    fclose(r.f);
    printf("  tagmetrics: %zu of %zu fixture cases agree (1e-12)\n", agree,
           cases);
    CHECK(!r.bad && cases >= 100 && agree == cases,
          "%s: %zu of %zu cases agree%s", path, agree, cases,
          r.bad ? " (the file is malformed)" : "");
}

/* ---- by hand -------------------------------------------------------- */

typedef struct {
    const char *const *names;
    size_t K;
} tagset;

/* Ids of the named tags, for writing cases as text. */
static void ids(const tagset *t, const char *const *tags, int32_t *out,
                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = -1;
        for (size_t k = 0; k < t->K; k++)
            if (!strcmp(t->names[k], tags[i]))
                out[i] = (int32_t)k;
    }
}

/* The chunk counts (correct, predicted, gold) of gold/pred in one or two
 * sentences (cut after `cut` tokens; cut = n for one). */
static tag_metrics chunks(const tagset *t, const char *const *gold_tags,
                          const char *const *pred_tags, size_t n, size_t cut)
{
    int32_t gold[16], pred[16];
    ids(t, gold_tags, gold, n);
    ids(t, pred_tags, pred, n);
    size_t offset[3] = {0, cut, n};
    tag_metrics m = {0};
    recur_status st = tag_metrics_compute(gold, pred, NULL, n, offset,
                                          cut < n ? 2 : 1, t->names, t->K, &m);
    CHECK(st == RECUR_OK, "compute: %s", recur_last_error());
    return m;
}

static int counts_are(const tag_prf *s, size_t correct, size_t predicted,
                      size_t support)
{
    return s->correct == correct && s->predicted == predicted &&
           s->support == support;
}

/* The report of m, in text (size bytes at most); 1 when printed. */
static int report_text(const tag_metrics *m, const char *const *names,
                       char *text, size_t size)
{
    FILE *f = tmpfile();
    text[0] = '\0';
    if (!f || tag_metrics_print(f, m, names) != RECUR_OK) {
        if (f)
            fclose(f);
        return 0;
    }
    rewind(f);
    text[fread(text, 1, size - 1, f)] = '\0';
    fclose(f);
    return 1;
}

static void hand_bio(void)
{
    const char *names[] = {"B-LOC", "B-PER", "I-LOC", "I-PER", "O"};
    tagset t = {names, 5};
    /* Gold: [PER Ann Lee] [LOC Rome] | [PER Bo]; prediction: [PER Ann Lee]
     * [PER Rome] | [PER Bo] with I-PER starting the last chunk (IOB1). */
    const char *gold[] = {"B-PER", "I-PER", "O", "B-LOC", "O", "B-PER"};
    const char *pred[] = {"B-PER", "I-PER", "O", "B-PER", "O", "I-PER"};
    int32_t g[6], p[6];
    ids(&t, gold, g, 6);
    ids(&t, pred, p, 6);
    const uint8_t oov[] = {0, 1, 0, 1, 0, 1};
    const size_t offset[] = {0, 5, 6};
    tag_metrics m = {0};
    CHECK(tag_metrics_compute(g, p, oov, 6, offset, 2, names, 5, &m) ==
              RECUR_OK,
          "compute: %s", recur_last_error());
    if (!m.per_tag)
        return;
    /* Tokens 4/6 right; OOV tokens 1, 3, 5: 1 right. */
    CHECK(m.tokens == 6 && m.correct == 4 && near(m.accuracy, 4.0 / 6) &&
              m.oov == 3 && m.oov_correct == 1 && near(m.oov_accuracy, 1.0 / 3),
          "accuracy %g, OOV %g", m.accuracy, m.oov_accuracy);
    /* B-LOC: support 1, predicted 0 (precision 0, F1 0); B-PER: support 2,
     * predicted 2, tp 1 (F1 1/2); I-LOC: in neither (left out of the
     * macro mean); I-PER: 1, 2, 1 (F1 2/3); O: 2, 2, 2 (F1 1). */
    CHECK(counts_are(&m.per_tag[0], 0, 0, 1) && m.per_tag[0].precision == 0 &&
              m.per_tag[0].recall == 0 && m.per_tag[0].f1 == 0,
          "B-LOC");
    CHECK(counts_are(&m.per_tag[1], 1, 2, 2) && near(m.per_tag[1].f1, 0.5),
          "B-PER");
    CHECK(counts_are(&m.per_tag[2], 0, 0, 0) && m.per_tag[2].f1 == 0, "I-LOC");
    CHECK(counts_are(&m.per_tag[3], 1, 2, 1) &&
              near(m.per_tag[3].precision, 0.5) && near(m.per_tag[3].recall, 1) &&
              near(m.per_tag[3].f1, 2.0 / 3),
          "I-PER");
    CHECK(counts_are(&m.per_tag[4], 2, 2, 2) && near(m.per_tag[4].f1, 1), "O");
    CHECK(near(m.macro_f1, (0 + 0.5 + 2.0 / 3 + 1) / 4), "macro-F1 %.17g",
          m.macro_f1);
    /* Chunks: gold PER, LOC, PER (3); predicted PER, PER, PER (3); correct
     * the first and the last (I-PER after a sentence start opens a chunk):
     * 2. LOC: 0/0/1; PER: 2/3/2. */
    CHECK(m.has_entities && counts_are(&m.entity, 2, 3, 3) &&
              near(m.entity.precision, 2.0 / 3) && near(m.entity.f1, 2.0 / 3),
          "chunks %zu/%zu/%zu", m.entity.correct, m.entity.predicted,
          m.entity.support);
    CHECK(m.n_types == 2 && !strcmp(m.types[0], "LOC") &&
              !strcmp(m.types[1], "PER") &&
              counts_are(&m.per_type[0], 0, 0, 1) && m.per_type[0].f1 == 0 &&
              counts_are(&m.per_type[1], 2, 3, 2) &&
              near(m.per_type[1].f1, 0.8),
          "per type");

    /* The report, whole. */
    char text[2048];
    CHECK(report_text(&m, names, text, sizeof text), "print: %s",
          recur_last_error());
    const char *report =
        "accuracy 0.6667 (4/6 tokens)\n"
        "OOV accuracy 0.3333 (1/3 tokens)\n"
        "macro-F1 0.5417 over the 4 tags in gold or prediction\n"
        "\n"
        "tag    precision  recall      F1  support  predicted\n"
        "B-LOC     0.0000  0.0000  0.0000        1          0\n"
        "B-PER     0.5000  0.5000  0.5000        2          2\n"
        "I-LOC     0.0000  0.0000  0.0000        0          0\n"
        "I-PER     0.5000  1.0000  0.6667        1          2\n"
        "O         1.0000  1.0000  1.0000        2          2\n"
        "\n"
        "entities (conlleval)\n"
        "processed 6 tokens with 3 phrases; found: 3 phrases; correct: 2.\n"
        "accuracy:  66.67%; precision:  66.67%; recall:  66.67%; FB1:  66.67\n"
        "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n"
        "              PER: precision:  66.67%; recall: 100.00%; FB1:  80.00  3\n";
    CHECK(!strcmp(text, report), "the report:\n%s", text);
    FILE *ro = fopen("/dev/null", "r");
    CHECK(ro && tag_metrics_print(ro, &m, names) == RECUR_ERR_IO,
          "a failed write: %s", recur_last_error());
    if (ro)
        fclose(ro);
    tag_metrics_free(&m);
    CHECK(m.per_tag == NULL && m.types == NULL && m.n_tags == 0,
          "freed and zeroed");
}

static void hand_chunks(void)
{
    const char *bio[] = {"B-LOC", "B-PER", "I-LOC", "I-PER", "O"};
    tagset t = {bio, 5};
    /* I-PER after O opens a chunk; I-LOC after B-PER opens another (the
     * type changed): gold PER(0-1) LOC(2); prediction PER(0) PER(1)
     * LOC(2): LOC right, 1/3/2. */
    const char *g1[] = {"O", "I-PER", "I-PER", "I-LOC", "O"};
    const char *p1[] = {"O", "B-PER", "B-PER", "I-LOC", "O"};
    tag_metrics m = chunks(&t, g1, p1, 5, 5);
    CHECK(counts_are(&m.entity, 1, 3, 2), "I- after O, I-X after B-Y: "
          "%zu/%zu/%zu", m.entity.correct, m.entity.predicted, m.entity.support);
    tag_metrics_free(&m);
    /* A sentence end closes a chunk: B-PER I-PER | I-PER is two chunks in
     * both (correct 2); the same without the cut is one against two. */
    const char *g2[] = {"B-PER", "I-PER", "I-PER"};
    const char *p2[] = {"B-PER", "I-PER", "B-PER"};
    m = chunks(&t, g2, g2, 3, 2);
    CHECK(counts_are(&m.entity, 2, 2, 2), "cut by the sentence end");
    tag_metrics_free(&m);
    m = chunks(&t, g2, p2, 3, 3);
    CHECK(counts_are(&m.entity, 0, 2, 1), "one chunk against two");
    tag_metrics_free(&m);
    m = chunks(&t, g2, p2, 3, 2);
    CHECK(counts_are(&m.entity, 2, 2, 2), "B- after a sentence end");
    tag_metrics_free(&m);

    const char *iobes[] = {"B-X", "E-X", "I-X", "O", "S-X"};
    tagset u = {iobes, 5};
    /* Gold S-X S-X B-X E-X O E-X I-X: S-X S-X is two chunks, B-X E-X one,
     * E-X after O opens one and I-X after E-X another: 5. Prediction
     * B-X E-X B-X E-X O S-X I-X: BE, BE, S, I: 4. Right: BE at 2-3, the
     * one-token chunk at 5 (gold E-X, predicted S-X) and I-X at 6: 3. */
    const char *g3[] = {"S-X", "S-X", "B-X", "E-X", "O", "E-X", "I-X"};
    const char *p3[] = {"B-X", "E-X", "B-X", "E-X", "O", "S-X", "I-X"};
    m = chunks(&u, g3, p3, 7, 7);
    CHECK(counts_are(&m.entity, 3, 4, 5), "IOBES: %zu/%zu/%zu",
          m.entity.correct, m.entity.predicted, m.entity.support);
    tag_metrics_free(&m);

    /* No chunk-tag form: no entities; POS tags only. */
    const char *pos[] = {"DET", "NOUN", "VERB"};
    tagset v = {pos, 3};
    const char *g4[] = {"DET", "NOUN", "VERB"};
    const char *p4[] = {"DET", "VERB", "VERB"};
    m = chunks(&v, g4, p4, 3, 3);
    CHECK(!m.has_entities && m.n_types == 0 && m.entity.support == 0 &&
              near(m.macro_f1, (1 + 0 + 2.0 / 3) / 3),
          "POS tags: has_entities %d, macro-F1 %g", m.has_entities, m.macro_f1);
    char text[512];
    CHECK(report_text(&m, pos, text, sizeof text), "print: %s",
          recur_last_error());
    CHECK(strstr(text, "OOV accuracy n/a (no OOV tokens)\n") &&
              !strstr(text, "conlleval"),
          "the report without OOV and entities:\n%s", text);
    tag_metrics_free(&m);
}

static void oov_nan_and_bad(void)
{
    const char *names[] = {"B-X", "O"};
    const int32_t gold[] = {0, 1}, pred[] = {0, 0};
    const uint8_t none[] = {0, 0};
    const size_t offset[] = {0, 2};
    tag_metrics m = {0};
    CHECK(tag_metrics_compute(gold, pred, none, 2, offset, 1, names, 2, &m) ==
                  RECUR_OK &&
              m.oov == 0 && isnan(m.oov_accuracy),
          "OOV accuracy NaN without OOV tokens: %g", m.oov_accuracy);
    tag_metrics_free(&m);
    CHECK(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, names, 2, &m) ==
                  RECUR_OK &&
              isnan(m.oov_accuracy),
          "OOV accuracy NaN without flags");
    tag_metrics_free(&m);

    const int32_t out_of_range[] = {0, 2};
    const size_t short_offset[] = {0, 1}, backwards[] = {0, 2, 1, 2};
    const char *twice[] = {"O", "O"}, *unnamed[] = {"O", ""};
#define REFUSED(call, what, text)                                          \
    CHECK((call) == RECUR_ERR_ARGUMENT &&                                 \
              strstr(recur_last_error(), text),                           \
          "%s: %s", what, recur_last_error())
    REFUSED(tag_metrics_compute(NULL, pred, NULL, 2, offset, 1, names, 2, &m),
            "NULL gold", "tags (NULL)");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, NULL, 1, names, 2, &m),
            "NULL offsets", "sentence offsets (NULL)");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, NULL, 2, &m),
            "NULL names", "tag names (NULL)");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, names, 2, NULL),
            "NULL out", "(NULL)");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 0, offset, 1, names, 2, &m),
            "no tokens", "0 tokens");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, names, 0, &m),
            "no tags", "0 tags");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 0, names, 2, &m),
            "no sentences", "0 sentences");
    REFUSED(tag_metrics_compute(gold, out_of_range, NULL, 2, offset, 1, names,
                                2, &m),
            "an id out of range", "token 1: tag 2");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, short_offset, 1, names, 2,
                                &m),
            "sentences short of N", "cover tokens [0, 1)");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, backwards, 3, names, 2,
                                &m),
            "a sentence backwards", "sentence 1 ends");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, twice, 2, &m),
            "a name twice", "\"O\" is named twice");
    REFUSED(tag_metrics_compute(gold, pred, NULL, 2, offset, 1, unnamed, 2, &m),
            "an empty name", "tag 1 has no name");
#undef REFUSED
    CHECK(m.per_tag == NULL, "the output untouched on failure");
    CHECK(tag_metrics_print(NULL, &m, names) == RECUR_ERR_ARGUMENT &&
              tag_metrics_print(stdout, &m, names) == RECUR_ERR_ARGUMENT,
          "print without a file or metrics");
    tag_metrics_free(NULL);
}

void test_tagmetrics(void)
{
    fixture_cases();
    hand_bio();
    hand_chunks();
    oov_nan_and_bad();
}
