/*
 * music.c — `recur train|eval|sample --task music`: polyphonic music as
 * next-step prediction of 88-key piano-roll frames (pianoroll.h), scored
 * by the negative log-likelihood per frame in nats (binary cross-entropy
 * summed over the 88 keys, averaged over every frame of a split), and
 * generated as a Standard MIDI File (midi.h).
 *
 * The data is a directory with train.txt, valid.txt and test.txt (the
 * Boulanger-Lewandowski splits, data/jsb_chorales/PROVENANCE.md) or files
 * named one by one.
 */
#include "cli.h"
#include "base/error.h"
#include "data/midi.h"
#include "data/pianoroll.h"
#include "base/rng.h"
#include "seqtask.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const seqtask_defaults music_defaults = {
    .hidden = "36", .layers = "1", .batch = "16", .epochs = "100",
    .lr = "1e-3", .dropout = "0", .patience = "10", .pool = "step",
    .clip = "1", .causal = 1,
};

/* --data DIR names DIR/{train,valid,test}.txt; --train/--val/--test
 * override each. */
static void split_paths(const char *dir, const char *given[3], char buf[3][1024])
{
    static const char *const names[3] = {"train.txt", "valid.txt", "test.txt"};
    for (int i = 0; i < 3; i++)
        if (!given[i] && dir) {
            snprintf(buf[i], sizeof buf[i], "%s/%s", dir, names[i]);
            given[i] = buf[i];
        }
}

static recur_status read_examples(const char *path, size_t max_len, seq_data *d)
{
    pianoroll_set roll = {0};
    recur_status s = pianoroll_read(path, &roll);
    if (!s)
        s = pianoroll_examples(&roll, max_len, d);
    pianoroll_free(&roll);
    return s;
}

int cmd_train_music(int argc, char **argv)
{
    seqtask_opts o;
    const char *task = NULL, *dir = NULL, *paths[3] = {NULL, NULL, NULL};
    const char *export_path = NULL;
    size_t max_len = 0;
    int json = 0;
    opt_spec specs[SEQTASK_SPECS + 8] = {
        {"--task", OPT_CHOICE, &task, NULL, "what to learn", "music", 0, 0, NULL, NULL},
        {"--data", OPT_STRING, &dir, NULL, "directory with train.txt, valid.txt and test.txt (piano rolls, one piece per line)", NULL, 0, 0, "DIR", NULL},
        {"--train", OPT_STRING, &paths[0], NULL, "training pieces (instead of DIR/train.txt)", NULL, 0, 0, "FILE", NULL},
        {"--val", OPT_STRING, &paths[1], NULL, "validation pieces (instead of DIR/valid.txt)", NULL, 0, 0, "FILE", NULL},
        {"--test", OPT_STRING, &paths[2], NULL, "test pieces (instead of DIR/test.txt)", NULL, 0, 0, "FILE", NULL},
        {"--max-len", OPT_SIZE, &max_len, "0", "cut training pieces into chunks of this many steps (0: whole pieces); evaluation always reads whole pieces", NULL, 0, 1000000, "T", NULL},
        {"--export-data", OPT_STRING, &export_path, NULL, "also write the prepared examples for tools/seq_torch.py", NULL, 0, 0, "PATH", NULL},
        {"--json", OPT_FLAG, &json, NULL, "the results as one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    size_t own = seqtask_count(specs);
    size_t n = own + seqtask_specs(&o, &music_defaults, specs + own);
    int rc = opt_parse("train", "--task music --data DIR [options]",
                       "Trains a polyphonic music model: the RNN reads a piece "
                       "frame by frame (88 keys) and predicts which keys sound in "
                       "the next frame (a sigmoid per key, binary cross-entropy). "
                       "Reports the negative log-likelihood per frame in nats "
                       "(summed over the 88 keys, averaged over all frames of a "
                       "split) on the validation and test pieces.",
                       specs, n, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    char buf[3][1024];
    split_paths(dir, paths, buf);
    if (!paths[0] || !paths[1]) {
        cli_error("train", "--data DIR (or --train and --val) is required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)o.threads);
    seq_data data[3];
    memset(data, 0, sizeof data);
    seq_model *m = NULL;
    seqtask_run run = {0};
    seq_config c;
    recur_status s = read_examples(paths[0], max_len, &data[0]);
    if (!s)
        s = read_examples(paths[1], 0, &data[1]);
    if (!s && paths[2])
        s = read_examples(paths[2], 0, &data[2]);
    if (!s && export_path) {
        const seq_data *parts[3] = {&data[0], &data[1], &data[2]};
        s = seqtask_export(export_path, parts, NULL, NULL);
    }
    if (!s)
        s = seqtask_config(&o, 0, RECUR_PIANO_KEYS, RECUR_PIANO_KEYS, SEQ_LOSS_BCE, &c);
    if (!s)
        s = seqtask_train("train", "music", &o, &c, &data[0], &data[1], NULL, NULL, &m, &run);
    double nll[3] = {NAN, NAN, NAN};
    for (int i = 0; !s && i < 3; i++)
        if (data[i].n)
            s = fit_evaluate(m, &data[i], o.batch, &nll[i], NULL);
    if (s) {
        rc = cli_fail("train", s);
    } else if (json) {
        char v[4][32]; /* a missing part's NaN as null */
        printf("{\"task\": \"music\", \"epochs\": %zu, \"best_epoch\": %zu, \"train_seconds\": %.2f, \"best_val_loss\": %s, \"params\": %zu, \"train_nll\": %s, "
               "\"val_nll\": %s, \"test_nll\": %s}\n", run.epochs, run.best_epoch, run.seconds,
               seqtask_json_number(v[0], 32, "%.6g", run.best_val), seq_model_size(m),
               seqtask_json_number(v[1], 32, "%.6f", nll[0]),
               seqtask_json_number(v[2], 32, "%.6f", nll[1]),
               seqtask_json_number(v[3], 32, "%.6f", nll[2]));
    } else {
        printf("negative log-likelihood per frame (nats, 88 keys summed): "
               "train %.4f  validation %.4f  test %.4f\n", nll[0], nll[1], nll[2]);
    }
    for (int i = 0; i < 3; i++)
        seq_data_free(&data[i]);
    seq_model_free(m);
    return rc;
}

int cmd_eval_music(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t threads, batch;
    int json = 0;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what the model does (default: the checkpoint's task)", "music", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task music (required)", NULL, 0, 0, "PATH", NULL},
        {"--data", OPT_STRING, &data, NULL, "piano rolls to score, one piece per line (required)", NULL, 0, 0, "FILE", NULL},
        {"--batch", OPT_SIZE, &batch, "32", "pieces per batch", NULL, 1, 100000, "B", NULL},
        {"--threads", OPT_SIZE, &threads, "0", "threads (0: all cores)", NULL, 0, 1024, "N", NULL},
        {"--json", OPT_FLAG, &json, NULL, "one JSON object on stdout", NULL, 0, 0, NULL, NULL},
    };
    int rc = opt_parse("eval", "[--task music] --model PATH --data FILE [options]",
                       "Scores a music model on piano rolls: the negative "
                       "log-likelihood per frame in nats (88 keys summed, "
                       "averaged over every frame).",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !data) {
        cli_error("eval", "--model and --data are required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    seq_model *m = NULL;
    st_file *st = NULL;
    seq_data d = {0};
    double nll = 0;
    recur_status s = seqtask_load(model, "music", &m, &st);
    if (!s)
        s = read_examples(data, 0, &d);
    if (!s)
        s = fit_evaluate(m, &d, batch, &nll, NULL);
    if (s)
        rc = cli_fail("eval", s);
    else if (json)
        printf("{\"nll\": %.6f, \"frames\": %zu, \"pieces\": %zu}\n", nll,
               d.offset[d.n], d.n);
    else
        printf("%s on %s: %.4f nats per frame over %zu frames of %zu pieces\n",
               model, data, nll, d.offset[d.n], d.n);
    seq_data_free(&d);
    seq_model_free(m);
    st_free(st);
    return rc;
}

int cmd_sample_music(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *out = NULL, *prime = NULL;
    size_t steps, piece, prime_steps, seed, ticks, threads;
    double temperature, bpm;
    const opt_spec specs[] = {
        {"--task", OPT_CHOICE, &task, NULL, "what to generate", "music", 0, 0, NULL, NULL},
        {"--model", OPT_STRING, &model, NULL, "checkpoint written by recur train --task music (required)", NULL, 0, 0, "PATH", NULL},
        {"--output", OPT_STRING, &out, NULL, "MIDI file to write (required)", NULL, 0, 0, "FILE.mid", NULL},
        {"--steps", OPT_SIZE, &steps, "64", "frames to generate after the prime", NULL, 1, 1000000, "N", NULL},
        {"--prime", OPT_STRING, &prime, NULL, "piano-roll file whose piece --piece primes the model (its first --prime-steps frames are played, then generation continues)", NULL, 0, 0, "FILE", NULL},
        {"--piece", OPT_SIZE, &piece, "1", "which piece of --prime (1-based)", NULL, 1, 1000000, "I", NULL},
        {"--prime-steps", OPT_SIZE, &prime_steps, "8", "frames of the piece to prime with", NULL, 1, 1000000, "N", NULL},
        {"--temperature", OPT_FLOAT, &temperature, "1", "divide each key's logit by this before drawing (below 1: fewer, surer notes)", NULL, 0.01, 100.0, NULL, NULL},
        {"--seed", OPT_SIZE, &seed, "1", "random seed of the draws", NULL, 0, 0, NULL, NULL},
        {"--bpm", OPT_FLOAT, &bpm, "100", "tempo, quarter notes per minute", NULL, 1.0, 1000.0, NULL, NULL},
        {"--ticks-per-step", OPT_SIZE, &ticks, "480", "MIDI ticks per frame (480 ticks = a quarter note: JSB's resolution; 240 for eighth-note frames)", NULL, 1, 32767, "N", NULL},
        {"--threads", OPT_SIZE, &threads, "1", "threads", NULL, 0, 1024, "N", NULL},
    };
    int rc = opt_parse("sample", "--task music --model PATH --output FILE.mid [options]",
                       "Generates music from a trained music model: each frame's "
                       "88 keys are drawn independently from the model's "
                       "probabilities and fed back as the next input; optionally "
                       "primed with the first frames of a piece. Writes a "
                       "Standard MIDI File (format 0) and prints the frames in "
                       "the piano-roll text format.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;
    if (!model || !out) {
        cli_error("sample", "--model and --output are required");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);
    seq_model *m = NULL;
    st_file *st = NULL;
    pianoroll_set roll = {0};
    const unsigned char *primer = NULL;
    size_t n_prime = 0;
    unsigned char *song = NULL;
    recur_status s = seqtask_load(model, "music", &m, &st);
    /* The frames below are 88 keys in and out, probabilities (bce). */
    const seq_config *mc = s ? NULL : seq_model_config(m);
    if (mc && (mc->vocab_size || mc->rnn.input_size != RECUR_PIANO_KEYS ||
               mc->outputs != RECUR_PIANO_KEYS || mc->loss != SEQ_LOSS_BCE))
        s = error_fail(RECUR_ERR_FORMAT, "%s: not a music model (%zu inputs, "
                       "%zu outputs, loss %s; expected %d, %d, bce)", model,
                       mc->rnn.input_size, mc->outputs, seq_loss_str(mc->loss),
                       RECUR_PIANO_KEYS, RECUR_PIANO_KEYS);
    if (!s && prime) {
        s = pianoroll_read(prime, &roll);
        if (!s && piece > roll.n)
            s = error_fail(RECUR_ERR_ARGUMENT, "%s has %zu pieces, not %zu",
                           prime, roll.n, piece);
        if (!s) {
            primer = pianoroll_piece(&roll, piece - 1, &n_prime);
            n_prime = n_prime < prime_steps ? n_prime : prime_steps;
        }
    }
    if (!s && !(song = calloc((n_prime + steps) * RECUR_PIANO_KEYS, 1)))
        s = error_fail(RECUR_ERR_MEMORY, "out of memory");
    if (!s)
        s = seq_model_reset_stream(m);
    rng_state rng;
    rng_seed(&rng, seed);
    float x[RECUR_PIANO_KEYS] = {0}, p[RECUR_PIANO_KEYS];
    for (size_t t = 0; !s && t < n_prime + steps; t++) {
        s = seq_model_stream(m, x, p);
        unsigned char *frame = song + t * RECUR_PIANO_KEYS;
        for (size_t k = 0; !s && k < RECUR_PIANO_KEYS; k++) {
            if (t < n_prime) {
                frame[k] = primer[t * RECUR_PIANO_KEYS + k] != 0;
            } else {
                float z = logf(p[k]) - log1pf(-p[k]); /* the logit back */
                float q = 1.0f / (1.0f + expf(-z / (float)temperature));
                frame[k] = rng_uniform(&rng) < q;
            }
            x[k] = frame[k];
        }
    }
    midi_options mo = {.ticks_per_quarter = 480,
                             .ticks_per_step = (unsigned)ticks, .bpm = bpm,
                             .track_name = "recur"};
    if (!s)
        s = midi_write(out, song, n_prime + steps, &mo);
    char *text = NULL;
    if (!s)
        s = pianoroll_format(song, n_prime + steps, &text);
    if (s) {
        rc = cli_fail("sample", s);
    } else {
        printf("%s\n", text);
        fprintf(stderr, "wrote %s: %zu frames (%zu primed, %zu generated)\n",
                out, n_prime + steps, n_prime, steps);
    }
    free(text);
    free(song);
    pianoroll_free(&roll);
    seq_model_free(m);
    st_free(st);
    return rc;
}
