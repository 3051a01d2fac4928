/*
 * test_tag.c — `recur train|eval|predict --task tag` end to end through the
 * `recur` binary (spawn.h), on generated sentences in a scratch directory
 * and tiny models (task_run.h):
 *   - CoNLL-U of a toy grammar (DET ADJ? NOUN VERB DET NOUN PUNCT, with
 *     comments, a multi-word token range and an empty node that must be
 *     skipped): train --json with --test-data learns it (accuracy ≥ 0.95,
 *     above the most-frequent-tag baseline where words are ambiguous),
 *     writes the checkpoint, log and plot; eval --json of the test file
 *     gives train's figures; predict tags plain sentences (token TAB tag,
 *     a blank line after each) and fills a CoNLL-U file's UPOS column
 *     leaving every other byte; a word never seen in training is tagged
 *     from its context and characters;
 *   - two-column BIO files with --crf: entity F1 in the JSON;
 *   - refusals naming file and line: a wrong column count, an id out of
 *     order, invalid UTF-8, a tag unseen in training at eval, another
 *     task's checkpoint; nothing written.
 */
#include "scratch.h"
#include "spawn.h"
#include "task_run.h"
#include "test.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The toy grammar: "the big dog sees a cat ." Words of one class only,
 * except "saw" (a NOUN after a determiner, else a VERB) and "fish" (the
 * same), which only the context tells apart. */
static const char *const det[] = {"the", "a", "this", "every"};
static const char *const adj[] = {"big", "small", "red", "old", "happy"};
static const char *const noun[] = {"dog", "cat", "bird", "saw", "fish",
                                   "house", "tree", "car"};
static const char *const verb[] = {"sees", "likes", "saw", "fish", "eats",
                                   "finds"};

static uint64_t next(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return *state >> 33;
}

#define PICK(list, st) list[next(st) % (sizeof list / sizeof *list)]

typedef enum { CONLLU, PLAIN } toy_layout;

/* n sentences from seed; `unseen` puts the word "zebra" (never in
 * training) as the first noun. CoNLL-U sentences carry comments, and the
 * first one a range line and an empty node. */
static int write_toy(const char *path, size_t n, uint64_t seed,
                     toy_layout layout, int unseen)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *w[8], *t[8];
        size_t k = 0;
        w[k] = PICK(det, &seed), t[k++] = "DET";
        if (next(&seed) % 2)
            w[k] = PICK(adj, &seed), t[k++] = "ADJ";
        w[k] = unseen ? "zebra" : PICK(noun, &seed), t[k++] = "NOUN";
        w[k] = PICK(verb, &seed), t[k++] = "VERB";
        w[k] = PICK(det, &seed), t[k++] = "DET";
        w[k] = PICK(noun, &seed), t[k++] = "NOUN";
        w[k] = ".", t[k++] = "PUNCT";
        if (layout == PLAIN) {
            for (size_t j = 0; j < k; j++)
                fprintf(f, "%s%s", j ? " " : "", w[j]);
            fputc('\n', f);
            continue;
        }
        fprintf(f, "# sent_id = toy-%zu\n# text = ...\n", i + 1);
        for (size_t j = 0; j < k; j++) {
            if (i == 0 && j == 1)
                fprintf(f, "2-3\t%s%s\t_\t_\t_\t_\t_\t_\t_\t_\n", w[1], w[2]);
            fprintf(f, "%zu\t%s\t%s\t%s\tX%s\t_\t0\tdep\t_\t_\n", j + 1, w[j],
                    w[j], t[j], t[j]);
            if (i == 0 && j == 2)
                fprintf(f, "3.1\tghost\t_\tNOUN\t_\t_\t_\t_\t_\t_\n");
        }
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

/* Two-column BIO sentences: "alice smith met bob in paris ." with PER and
 * LOC entities of one or two tokens. */
static int write_bio(const char *path, size_t n, uint64_t seed)
{
    static const char *const first[] = {"alice", "bob", "carol", "dave", "erin"};
    static const char *const last[] = {"smith", "jones", "brown"};
    static const char *const city[] = {"paris", "rome", "oslo", "lima"};
    static const char *const filler[] = {"met", "saw", "called", "visited"};
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\tB-PER\n", PICK(first, &seed));
        if (next(&seed) % 2)
            fprintf(f, "%s\tI-PER\n", PICK(last, &seed));
        fprintf(f, "%s\tO\n", PICK(filler, &seed));
        fprintf(f, "%s\tB-PER\n", PICK(first, &seed));
        fprintf(f, "in\tO\n%s\tB-LOC\n.\tO\n\n", PICK(city, &seed));
    }
    return fclose(f) == 0;
}

#define TAG_TINY TINY, "--embed", "16", "--char-embed", "8", "--char-hidden", "8", "--lr", "1e-2"

static void check_predict_plain(const char *model, const char *input)
{
    cmdline c = {0};
    push(&c, "predict", "--model", model, "--data", input, END);
    spawn_result r = task_run_ok("predict plain", &c);
    if (!r.out)
        return;
    /* The first sentence: token TAB tag lines, then a blank line. */
    char *text = r.out, *blank = strstr(text, "\n\n");
    CHECK(blank != NULL, "predict: no blank line after a sentence: %s", text);
    size_t lines = 0, right = 0, zebra = 0;
    for (char *l = text; blank && l <= blank; l = strchr(l, '\n') + 1) {
        char *tab = strchr(l, '\t'), *end = strchr(l, '\n');
        CHECK(tab && tab < end, "predict: a line without TAB: %.*s",
              (int)(end - l), l);
        if (!tab || tab > end)
            break;
        lines++;
        size_t wl = (size_t)(tab - l), tl = (size_t)(end - tab - 1);
        const char *tag = tab + 1;
        if (wl == 5 && !strncmp(l, "zebra", 5))
            zebra += tl == 4 && !strncmp(tag, "NOUN", 4);
        right += tl > 0;
    }
    CHECK(lines >= 6 && lines == right, "predict: %zu token lines, %zu with "
          "a tag", lines, right);
    CHECK(zebra == 1, "predict: the unseen word 'zebra' in a noun's place "
          "was not tagged NOUN: %s", text);
    spawn_result_free(&r);
}

/* Line l's TAB-separated field f: *start and *len (0 when absent). */
static void field(const char *l, size_t f, const char **start, size_t *len)
{
    const char *end = l + strcspn(l, "\n");
    for (size_t i = 0; i < f && l < end; i++) {
        const char *tab = memchr(l, '\t', (size_t)(end - l));
        l = tab ? tab + 1 : end;
    }
    *start = l;
    *len = strcspn(l, "\t\n");
}

/* --conllu: the file comes back byte for byte but for the UPOS column
 * (field 3) of word lines, which holds the model's tags: here at least 95 %
 * of them the file's own. */
static void check_predict_conllu(const char *model, const char *file)
{
    cmdline c = {0};
    push(&c, "predict", "--model", model, "--conllu", file, END);
    spawn_result r = task_run_ok("predict --conllu", &c);
    char *orig = spawn_read_file(file, NULL);
    size_t words = 0, same = 0, other = 0;
    const char *a = orig, *b = r.out;
    while (a && b && *a && *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        const char *fa, *fb;
        size_t na, nb;
        field(a, 3, &fa, &na);
        field(b, 3, &fb, &nb);
        int word = *a >= '1' && *a <= '9' && strcspn(a, "-.\t") ==
                   strcspn(a, "\t");
        if (word) {
            words++;
            same += na == nb && !memcmp(fa, fb, na);
            /* everything but the tag as it was */
            other += (size_t)(fa - a) != (size_t)(fb - b) ||
                     memcmp(a, b, (size_t)(fa - a)) ||
                     la - (size_t)(fa - a) - na != lb - (size_t)(fb - b) - nb ||
                     memcmp(fa + na, fb + nb, la - (size_t)(fa - a) - na);
        } else {
            other += la != lb || memcmp(a, b, la);
        }
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    CHECK(orig && r.out && !*a && !*b, "predict --conllu: not as many lines "
          "as the file");
    CHECK(other == 0, "predict --conllu: %zu lines differ outside the UPOS "
          "column", other);
    CHECK(words > 0 && same >= words * 95 / 100, "predict --conllu: %zu of "
          "%zu tags are the file's", same, words);
    spawn_result_free(&r);
    free(orig);
}

/* The first place of the string s in bytes[0..size), or NULL. */
static char *find_bytes(char *bytes, size_t size, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= size; i++)
        if (!memcmp(bytes + i, s, n))
            return bytes + i;
    return NULL;
}

void test_cli_tag(void)
{
    if (!scratch_open("recur-tag"))
        return;
    char train[300], dev[300], test[300], plain[300], model[300], zebra[300];
    in_scratch(train, sizeof train, "train.conllu");
    in_scratch(dev, sizeof dev, "dev.conllu");
    in_scratch(test, sizeof test, "test.conllu");
    in_scratch(plain, sizeof plain, "plain.txt");
    in_scratch(zebra, sizeof zebra, "zebra.txt");
    in_scratch(model, sizeof model, "pos.safetensors");
    CHECK(write_toy(train, 300, 1, CONLLU, 0) && write_toy(dev, 40, 2, CONLLU, 0) &&
          write_toy(test, 60, 3, CONLLU, 0) && write_toy(plain, 3, 4, PLAIN, 0) &&
          write_toy(zebra, 1, 5, PLAIN, 1), "cannot write the toy files");
    cmdline c = {0};
    push(&c, "train", "--task", "tag", "--data", train, "--val-data", dev,
         "--test-data", test, "--save", model, "--epochs", "12", TAG_TINY,
         "--json", END);
    spawn_result r = task_run_ok("train --task tag", &c);
    json_t *o = r.out ? task_json_line("train --task tag", r.out) : NULL;
    double acc = NAN;
    if (o) {
        acc = task_number("train", o, "accuracy");
        double base = task_number("train", o, "baseline_accuracy");
        CHECK(acc >= 0.95, "train: test accuracy %.4f below 0.95", acc);
        CHECK(acc > base, "train: accuracy %.4f not above the "
              "most-frequent-tag baseline's %.4f", acc, base);
        CHECK(task_number("train", o, "tags") == 5, "train: not 5 tags "
              "(DET ADJ NOUN VERB PUNCT; the empty node's is skipped)");
        CHECK(json_is_object(json_object_get(o, "per_tag")),
              "train: no per_tag object");
        CHECK(task_number("train", o, "test") == 60, "train: not 60 test "
              "sentences");
        json_decref(o);
    }
    spawn_result_free(&r);
    task_check_files(model, 12);
    char csv[300];
    snprintf(csv, sizeof csv, "%.*s.metrics.csv",
             (int)(strlen(model) - strlen(".safetensors")), model);
    char *log = spawn_read_file(csv, NULL);
    CHECK(log && !strncmp(log, "step,epoch,train_loss,val_loss,best,lr,seconds,"
                          "val_accuracy\n", 60), "%s: no val_accuracy column", csv);
    free(log);
    char meta[64];
    CHECK(!strcmp(task_meta_of(model, "task", meta, sizeof meta), "tag"),
          "the checkpoint's task is '%s', not tag", meta);

    /* info says what the file is. */
    cmdline in = {0};
    push(&in, "info", model, END);
    r = task_run_ok("info", &in);
    CHECK(r.out && strstr(r.out, "summary: a sequence tagger (task tag): LSTM") &&
          strstr(r.out, "5 upos tags (ADJ, DET, NOUN, PUNCT, VERB) by softmax"),
          "info: no tagger summary: %s", r.out ? r.out : "");
    spawn_result_free(&r);

    /* eval gives train's figures on the same file. */
    cmdline e = {0};
    push(&e, "eval", "--model", model, "--data", test, "--json", END);
    r = task_run_ok("eval", &e);
    o = r.out ? task_json_line("eval", r.out) : NULL;
    if (o) {
        double eacc = task_number("eval", o, "accuracy");
        CHECK(eacc == acc, "eval: accuracy %.6f, train reported %.6f", eacc, acc);
        CHECK(task_number("eval", o, "examples") == 60, "eval: not 60 sentences");
        json_decref(o);
    }
    spawn_result_free(&r);

    check_predict_plain(model, zebra);
    cmdline empty = {0}; /* standard input is /dev/null: nothing to tag */
    push(&empty, "predict", "--model", model, END);
    r = task_run_ok("predict of an empty input", &empty);
    CHECK(r.out && !*r.out, "predict of an empty input printed: %s",
          r.out ? r.out : "");
    spawn_result_free(&r);
    check_predict_conllu(model, test);

    /* Refusals: the file and line named, nothing written. */
    char bad[300];
    in_scratch(bad, sizeof bad, "bad.conllu");
    cmdline b = {0};
    push(&b, "eval", "--model", model, "--data", bad, END);
    write_text(bad, "1\tthe\tthe\tDET\t_\t_\t0\tdep\t_\t_\n2\tcat\tcat\tNOUN\t_\n\n");
    task_refusal("a line of 5 columns", &b, 1, "bad.conllu", "line 2", END);
    write_text(bad, "1\tthe\tthe\tDET\t_\t_\t0\tdep\t_\t_\n3\tcat\tcat\tNOUN\t_\t_\t0\tdep\t_\t_\n\n");
    task_refusal("an id out of order", &b, 1, "bad.conllu", "line 2", END);
    write_text(bad, "1\tthe\tthe\tDET\t_\t_\t0\tdep\t_\t_\n2\tca\xfft\tcat\tNOUN\t_\t_\t0\tdep\t_\t_\n\n");
    task_refusal("invalid UTF-8", &b, 1, "bad.conllu", "line 2", "UTF-8", END);
    write_text(bad, "# c\n1\tthe\tthe\tDET\t_\t_\t0\tdep\t_\t_\n2\tcat\tcat\tWHAT\t_\t_\t0\tdep\t_\t_\n\n");
    task_refusal("a tag unseen in training", &b, 1, "bad.conllu", "line 3",
                 "WHAT", "not seen in training", END);

    /* A checkpoint whose metadata was tampered with: refused, naming it. */
    static const struct {
        const char *from, *to, *needle;
    } tamper[] = {
        {"\"tag_column\":\"upos\"", "\"tag_column\":\"uxos\"", "tag_column"},
        {"\"word_vocab\"", "\"word_vocaX\"", "vocabularies"},
        {"<pad>\\n<unk>\\n", "<unk>\\n<pad>\\n", "<pad>"},
    };
    for (size_t i = 0; i < sizeof tamper / sizeof *tamper; i++) {
        char bad_model[300];
        in_scratch(bad_model, sizeof bad_model, "tampered.safetensors");
        size_t size = 0;
        char *bytes = spawn_read_file(model, &size);
        char *at = bytes ? find_bytes(bytes, size, tamper[i].from) : NULL;
        CHECK(at != NULL, "the checkpoint has no '%s' to tamper with",
              tamper[i].from);
        if (at) {
            memcpy(at, tamper[i].to, strlen(tamper[i].to));
            FILE *f = fopen(bad_model, "wb");
            CHECK(f && fwrite(bytes, 1, size, f) == size && fclose(f) == 0,
                  "cannot write %s", bad_model);
            cmdline t = {0};
            push(&t, "eval", "--model", bad_model, "--data", test, END);
            task_refusal(tamper[i].from, &t, 1, "tampered.safetensors",
                         tamper[i].needle, END);
            remove(bad_model);
        }
        free(bytes);
    }

    /* Two-column BIO files and the CRF. */
    char ner[300], ner_dev[300], ner_model[300];
    in_scratch(ner, sizeof ner, "ner.tsv");
    in_scratch(ner_dev, sizeof ner_dev, "ner-dev.tsv");
    in_scratch(ner_model, sizeof ner_model, "ner.safetensors");
    CHECK(write_bio(ner, 200, 7) && write_bio(ner_dev, 40, 8),
          "cannot write the BIO files");
    cmdline n = {0};
    push(&n, "train", "--task", "tag", "--data", ner, "--val-data", ner_dev,
         "--test-data", ner_dev, "--crf", "--save", ner_model, "--epochs",
         "10", TAG_TINY, "--json", END);
    r = task_run_ok("train --crf on BIO columns", &n);
    o = r.out ? task_json_line("train --crf", r.out) : NULL;
    if (o) {
        double f1 = task_number("train --crf", o, "entity_f1");
        CHECK(f1 >= 0.9, "train --crf: entity F1 %.4f below 0.9", f1);
        CHECK(json_is_true(json_object_get(o, "crf")), "train --crf: crf "
              "is not true in the JSON");
        json_decref(o);
    }
    spawn_result_free(&r);

    /* Another task's checkpoint, and a tagger given to another task. */
    cmdline x = {0};
    push(&x, "eval", "--model", ner_model, "--data", test, "--task",
         "classify", END);
    task_refusal("a tagger given to --task classify", &x, 1, "sequence tagger",
                 END);
    scratch_close();
}
