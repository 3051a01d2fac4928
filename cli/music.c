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
#include "guard.h"
#include "base/error.h"
#include "data/midi.h"
#include "data/pianoroll.h"
#include "base/rng.h"
#include "model/sample.h"
#include "seqtask.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const seqtask_defaults music_defaults = {
    .hidden = "36", .layers = "1", .batch = "16", .epochs = "100",
    .lr = "1e-3", .dropout = "0", .patience = "10", .pool = "step",
    .clip = "1", .causal = 1, .save = "music.safetensors",
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what to learn", .choices = "music"},
        {.name = "--data", .type = OPT_STRING, .dest = &dir, .help = "directory with train.txt, valid.txt and test.txt (piano rolls, one piece per line)", .metavar = "DIR"},
        {.name = "--train", .type = OPT_STRING, .dest = &paths[0], .help = "training pieces (instead of DIR/train.txt)", .metavar = "FILE"},
        {.name = "--val", .type = OPT_STRING, .dest = &paths[1], .help = "validation pieces (instead of DIR/valid.txt)", .metavar = "FILE"},
        {.name = "--test", .type = OPT_STRING, .dest = &paths[2], .help = "test pieces (instead of DIR/test.txt)", .metavar = "FILE"},
        {.name = "--max-len", .type = OPT_SIZE, .dest = &max_len, .def = "0", .help = "cut training pieces into chunks of this many steps (0: whole pieces); evaluation always reads whole pieces", .min = 0, .max = 1000000, .metavar = "T"},
        {.name = "--export-data", .type = OPT_STRING, .dest = &export_path, .help = "also write the prepared examples for tools/seq_torch.py", .metavar = "PATH"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "the results as one JSON object on stdout"},
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
    /* From here every path ends at guard_end. */
    if ((rc = guard_begin("train", o.save)) != EXIT_OK)
        return rc;
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
        s = seqtask_train("music", &o, &c, &data[0], &data[1], NULL, NULL, &m, &run);
    if (!s && run.signal) { /* SIGINT, SIGTERM: saved, the parts not scored */
        rc = seqtask_stopped("train", "music", &o, &run);
        goto done;
    }
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
    if (!rc)
        seqtask_saved("train", &o, &run);
done:
    for (int i = 0; i < 3; i++)
        seq_data_free(&data[i]);
    seq_model_free(m);
    guard_end();
    return rc;
}

int cmd_eval_music(int argc, char **argv)
{
    const char *task = NULL, *model = NULL, *data = NULL;
    size_t threads, batch;
    int json = 0;
    const opt_spec specs[] = {
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what the model does (default: the checkpoint's task)", .choices = "music"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task music (required)", .metavar = "PATH"},
        {.name = "--data", .type = OPT_STRING, .dest = &data, .help = "piano rolls to score, one piece per line (required)", .metavar = "FILE"},
        {.name = "--batch", .type = OPT_SIZE, .dest = &batch, .def = "32", .help = "pieces per batch", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "0", .help = "threads (0: all cores)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
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
        {.name = "--task", .type = OPT_CHOICE, .dest = &task, .help = "what to generate", .choices = "music"},
        {.name = "--model", .type = OPT_STRING, .dest = &model, .help = "checkpoint written by recur train --task music (required)", .metavar = "PATH"},
        {.name = "--output", .type = OPT_STRING, .dest = &out, .help = "MIDI file to write (required)", .metavar = "FILE.mid"},
        {.name = "--steps", .type = OPT_SIZE, .dest = &steps, .def = "64", .help = "frames to generate after the prime", .min = 1, .max = 1000000, .metavar = "N"},
        {.name = "--prime", .type = OPT_STRING, .dest = &prime, .help = "piano-roll file whose piece --piece primes the model (its first --prime-steps frames are played, then generation continues)", .metavar = "FILE"},
        {.name = "--piece", .type = OPT_SIZE, .dest = &piece, .def = "1", .help = "which piece of --prime (1-based)", .min = 1, .max = 1000000, .metavar = "I"},
        {.name = "--prime-steps", .type = OPT_SIZE, .dest = &prime_steps, .def = "8", .help = "frames of the piece to prime with", .min = 1, .max = 1000000, .metavar = "N"},
        {.name = "--temperature", .type = OPT_FLOAT, .dest = &temperature, .def = "1", .help = "divide each key's logit by this before drawing (below 1: fewer, surer notes)", .min = 0.01, .max = 100.0},
        {.name = "--seed", .type = OPT_SIZE, .dest = &seed, .def = "1", .help = "random seed of the draws"},
        {.name = "--bpm", .type = OPT_FLOAT, .dest = &bpm, .def = "100", .help = "tempo, quarter notes per minute", .min = 1.0, .max = 1000.0},
        {.name = "--ticks-per-step", .type = OPT_SIZE, .dest = &ticks, .def = "480", .help = "MIDI ticks per frame (480 ticks = a quarter note: JSB's resolution; 240 for eighth-note frames)", .min = 1, .max = 32767, .metavar = "N"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "threads", .min = 0, .max = 1024, .metavar = "N"},
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
    if (!s)
        s = seq_model_check_music(m, model);
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
        if (!s && t >= n_prime)
            sample_frame(p, RECUR_PIANO_KEYS, (float)temperature, &rng, x);
        for (size_t k = 0; !s && k < RECUR_PIANO_KEYS; k++) {
            frame[k] = t < n_prime ? primer[t * RECUR_PIANO_KEYS + k] != 0
                                   : x[k] != 0;
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
