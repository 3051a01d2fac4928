/*
 * embed.c — what a program that embeds a trained model does: load the
 * checkpoint named on the command line (any task of `recur train`), say
 * what it is (the task, the network, the file's tensors and metadata) and
 * make one prediction with it. Nothing is trained. The prediction comes
 * last, after a line "prediction:", and is what `recur` prints for the
 * same checkpoint and inputs:
 *   charlm, wordlm  LENGTH characters or words generated after a line
 *                   break, temperature 0.8, seed 1
 *                   (= recur sample --model MODEL --length LENGTH)
 *   classify        the first line of standard input: its label and every
 *                   label's probability
 *                   (= recur predict --model MODEL --data FILE)
 *   forecast        the next values after a history read from standard
 *                   input, one step per line, the values comma-separated in
 *                   the model's column order (the target first)
 *                   (= recur predict --model MODEL --data FILE.csv of those
 *                   steps)
 *   music           LENGTH piano-roll frames generated from silence,
 *                   temperature 1, seed 1
 *                   (= recur sample --model MODEL --steps LENGTH --output X)
 *
 * Usage: embed MODEL [LENGTH]        (LENGTH: 200 by default)
 *
 * Built against an installed recur (make install; README):
 *   cc embed.c $(pkg-config --cflags --libs recur) -o embed
 *   cc -static embed.c $(pkg-config --static --cflags --libs recur) -o embed
 * or in the source tree: make build/embed.
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <recur.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, recur_status status)
{
    fprintf(stderr, "embed: %s: %s: %s\n", what, recur_status_str(status),
            recur_last_error());
    return 1;
}

/* ---- what the checkpoint is -------------------------------------------- */

/* A metadata value on one line: at most 40 bytes (not cutting a UTF-8
 * character), control characters as '.'. */
static void print_value(const char *v)
{
    size_t n = strlen(v), shown = n > 40 ? 40 : n;
    while (shown < n && shown > 0 && ((unsigned char)v[shown] & 0xC0) == 0x80)
        shown--;
    for (size_t i = 0; i < shown; i++)
        putchar((unsigned char)v[i] < 0x20 || v[i] == 0x7F ? '.' : v[i]);
    if (shown < n)
        printf("... (%zu bytes)", n);
    putchar('\n');
}

static int describe(const char *path, const recur_model *model)
{
    const recur_rnn_config *rnn = recur_model_get_rnn_config(model);
    printf("task: %s\n", recur_task_str(recur_model_get_task(model)));
    printf("network: %s, %zu layer(s) of %zu units, %s\n",
           recur_mode_str(rnn->mode), rnn->num_layers, rnn->hidden_size,
           rnn->bidirectional ? "both directions" : "one direction");

    /* The same file as a plain safetensors file. */
    recur_file *file;
    recur_status s = recur_file_open(path, &file);
    if (s)
        return fail(path, s);
    size_t tensors = recur_file_get_tensor_count(file);
    printf("file: %zu tensors, %zu metadata entries\n", tensors,
           recur_file_get_meta_count(file));
    for (size_t i = 0; i < tensors && i < 6; i++) {
        recur_tensor_info t;
        recur_file_get_tensor(file, i, &t);
        printf("  %s %s [", t.name, t.dtype);
        for (size_t d = 0; d < t.ndim; d++)
            printf("%s%zu", d ? ", " : "", t.shape[d]);
        printf("]\n");
    }
    if (tensors > 6)
        printf("  ... and %zu more\n", tensors - 6);
    /* The model's metadata; a training checkpoint's trainer state (keys
     * with a '.': optim.*, sched.*, train.*) only counted. */
    size_t trainer = 0;
    for (size_t i = 0; i < recur_file_get_meta_count(file); i++) {
        const char *key, *value;
        recur_file_get_meta(file, i, &key, &value);
        if (strchr(key, '.')) {
            trainer++;
            continue;
        }
        printf("  %s = ", key);
        print_value(value);
    }
    if (trainer)
        printf("  (and %zu entries of the trainer's state)\n", trainer);
    recur_file_free(file);

    if (recur_model_get_vocab_size(model))
        printf("vocabulary: %zu tokens\n", recur_model_get_vocab_size(model));
    for (size_t k = 0; k < recur_model_get_label_count(model); k++)
        printf("%s%s", k ? ", " : "labels: ", recur_model_get_label(model, k));
    if (recur_model_get_label_count(model))
        putchar('\n');
    const recur_forecast_config *fc = recur_model_get_forecast_config(model);
    if (fc) {
        printf("forecaster: reads %zu steps of", fc->history);
        for (size_t j = 0; j < fc->columns; j++)
            printf("%s%s", j ? ", " : " ", recur_model_get_column_name(model, j));
        printf("; forecasts %zu value(s)%s%s%s\n", fc->horizon,
               fc->recursive ? ", one step at a time" : "",
               fc->log ? ", logarithm" : "", fc->difference ? ", differenced" : "");
        if (*fc->date_step)
            printf("dates: a step of %s, the training data's last %s\n",
                   fc->date_step, fc->date_last);
    }
    return 0;
}

/* ---- language models: generate ------------------------------------------ */

static void put_utf8(uint32_t cp)
{
    char b[4];
    int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[5] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    for (int i = n - 1; i > 0; i--, cp >>= 6)
        b[i] = (char)(0x80 | (cp & 0x3F));
    b[0] = (char)(lead[n] | cp);
    fwrite(b, 1, (size_t)n, stdout);
}

/* After a line break (fed, and printed for characters, unprinted <eos> for
 * words), `length` tokens drawn at temperature 0.8 from seed 1, each fed
 * back; words are separated by spaces, <eos> is a line break. */
static int generate(recur_model *model, size_t length)
{
    recur_lm *lm;
    recur_lm_state *state;
    recur_status s = recur_model_get_lm(model, &lm);
    if (!s)
        s = recur_lm_state_create(lm, &state);
    if (s)
        return fail("generate", s);
    const int words = recur_model_get_task(model) == RECUR_TASK_WORDLM;
    size_t id = 0, eos = (size_t)-1;
    /* The weights stay fixed: packed once for the one-token steps. */
    s = recur_lm_pack_weights(lm);
    if (!s)
        s = recur_lm_state_set_seed(state, 1);
    if (words) {
        /* <eos>, or <unk> when the vocabulary lacks it; token 0 without. */
        if (recur_lm_get_word_token(lm, "<eos>", &id) == RECUR_OK &&
            !strcmp(recur_lm_get_word(lm, id), "<eos>"))
            eos = id;
    } else {
        if (recur_lm_get_token(lm, '\n', &id) != RECUR_OK)
            id = 0;
        put_utf8(recur_lm_get_codepoint(lm, id));
    }
    if (!s)
        s = recur_lm_state_feed(state, id);
    int line_start = 1;
    for (size_t i = 0; !s && i < length; i++) {
        s = recur_lm_state_sample(state, 0.8f, 0, 1.0f, &id);
        if (!s && words) {
            printf("%s%s", line_start || id == eos ? "" : " ",
                   id == eos ? "\n" : recur_lm_get_word(lm, id));
            line_start = id == eos;
        } else if (!s) {
            put_utf8(recur_lm_get_codepoint(lm, id));
        }
        if (!s)
            s = recur_lm_state_feed(state, id);
    }
    if (!s && (!words || !line_start))
        putchar('\n');
    recur_lm_state_free(state);
    return s ? fail("generate", s) : 0;
}

/* ---- classify a line ---------------------------------------------------- */

static int classify(recur_model *model)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, stdin);
    if (len < 0) {
        fprintf(stderr, "embed: classify: no line on standard input\n");
        free(line);
        return 1;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    const size_t K = recur_model_get_label_count(model);
    float *p = malloc(K * sizeof *p);
    size_t best;
    recur_status s = p ? recur_model_classify(model, line, p, K, &best)
                       : RECUR_ERR_MEMORY;
    if (!s) {
        printf("label");
        for (size_t k = 0; k < K; k++)
            printf("\tp(%s)", recur_model_get_label(model, k));
        printf("\n%s", recur_model_get_label(model, best));
        for (size_t k = 0; k < K; k++)
            printf("\t%.4f", p[k]);
        printf("\n");
    }
    free(p);
    free(line);
    return s ? fail("classify", s) : 0;
}

/* ---- forecast after a history ------------------------------------------ */

/* Steps of `columns` comma-separated numbers, one per line, into *out
 * (grown as needed); returns the number of steps, or -1 after saying what
 * is wrong. */
static long read_history(size_t columns, double **out)
{
    char *line = NULL, *end;
    size_t cap = 0, steps = 0, room = 0;
    long line_no = 0;
    while (getline(&line, &cap, stdin) >= 0) {
        line_no++;
        if (steps == room) {
            room = room ? 2 * room : 256;
            double *grown = realloc(*out, room * columns * sizeof(double));
            if (!grown) {
                fprintf(stderr, "embed: forecast: out of memory\n");
                free(line);
                return -1;
            }
            *out = grown;
        }
        const char *p = line;
        for (size_t j = 0; j < columns; j++, p = end + 1) {
            errno = 0;
            (*out)[steps * columns + j] = strtod(p, &end);
            /* The last value ends the line (strchr finds the NUL too: a
             * last line without its line end). */
            int ok = end != p && !errno &&
                     (j + 1 < columns ? *end == ','
                                      : strchr("\r\n", *end) != NULL);
            if (!ok) {
                fprintf(stderr, "embed: forecast: line %ld is not %zu "
                        "comma-separated numbers\n", line_no, columns);
                free(line);
                return -1;
            }
        }
        steps++;
    }
    free(line);
    return (long)steps;
}

static int forecast(recur_model *model)
{
    const recur_forecast_config *c = recur_model_get_forecast_config(model);
    double *history = NULL, *values = malloc(c->horizon * sizeof(double));
    long steps = values ? read_history(c->columns, &history) : -1;
    recur_status s = steps < 0 ? RECUR_ERR_ARGUMENT
                               : recur_model_forecast(model, history,
                                                      (size_t)steps, c->columns,
                                                      values, c->horizon);
    if (!s) {
        printf("step,forecast\n");
        for (size_t k = 0; k < c->horizon; k++)
            printf("%zu,%.10g\n", (size_t)steps + k, values[k]);
    }
    free(history);
    free(values);
    return steps < 0 ? 1 : s ? fail("forecast", s) : 0;
}

/* ---- music: generate frames --------------------------------------------- */

/* `length` frames from silence, each drawn from the model's probabilities
 * (seed 1, temperature 1) and fed back; printed as piano-roll text: the
 * notes of a frame joined by ',', '-' for none, frames separated by ' '. */
static int compose(recur_model *model, size_t length)
{
    float frame[RECUR_MUSIC_KEYS] = {0}, p[RECUR_MUSIC_KEYS];
    recur_status s = recur_model_set_seed(model, 1);
    for (size_t t = 0; !s && t < length; t++) {
        s = recur_model_feed_frame(model, frame, RECUR_MUSIC_KEYS, p);
        if (!s)
            s = recur_model_sample_frame(model, p, RECUR_MUSIC_KEYS, 1.0f, frame);
        int notes = 0;
        for (int k = 0; !s && k < RECUR_MUSIC_KEYS; k++)
            if (frame[k] != 0)
                printf(notes++ ? ",%d" : "%d", RECUR_MUSIC_LOWEST_NOTE + k);
        if (!s)
            printf("%s%s", notes ? "" : "-", t + 1 < length ? " " : "\n");
    }
    return s ? fail("compose", s) : 0;
}

int main(int argc, char **argv)
{
    char *end = NULL;
    size_t length = argc > 2 ? strtoul(argv[2], &end, 10) : 200;
    if (argc < 2 || argc > 3 || (end && (*end || end == argv[2])) || !length) {
        fprintf(stderr, "usage: embed MODEL [LENGTH]\n"
                "Loads a checkpoint of recur train, prints what it is and one "
                "prediction\n(LENGTH tokens or frames generated; a line of "
                "standard input classified;\nthe values after the history on "
                "standard input forecast).\n");
        return 2;
    }
    recur_model *model;
    recur_status s = recur_model_load(argv[1], &model);
    if (s)
        return fail(argv[1], s);
    int rc = describe(argv[1], model);
    if (!rc) {
        printf("prediction:\n");
        fflush(stdout);
        switch (recur_model_get_task(model)) {
        case RECUR_TASK_CLASSIFY:
            rc = classify(model);
            break;
        case RECUR_TASK_FORECAST:
            rc = forecast(model);
            break;
        case RECUR_TASK_MUSIC:
            rc = compose(model, length);
            break;
        default:
            rc = generate(model, length);
        }
    }
    recur_model_free(model);
    return rc;
}
