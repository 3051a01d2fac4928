/*
 * bench.c — `recur bench`: times one RNN stack configuration through the
 * public API, after --warmup untimed runs, --repeat timed ones (the median
 * and the minimum are reported).
 *   infer  one recur_rnn_forward over [T, B, I] (evaluation mode);
 *   train  recur_rnn_forward + recur_rnn_backward with a random dy, every
 *          gradient (parameters and dx); the parameter gradients are zeroed
 *          between repeats, outside the timing;
 *   step   T calls of recur_rnn_forward with T = 1 (the public one-step
 *          path), the state h (and c) carried from call to call; the time
 *          is the whole T-step loop, us_per_step is that over T.
 * infer and step run with the weights packed once beforehand
 * (recur_rnn_pack_weights, what an inference user does; oneDNN's harness
 * likewise reorders its weights outside the timing); train packs them
 * inside every call, as training must.
 * Weights are PyTorch's default initialisation (recur_rnn_create, --seed),
 * inputs uniform in [-1, 1); with --varlen the B lengths are uniform in
 * [max(1, T/4), T], from the same seeded generator.
 * The JSON also gives the process's peak resident memory (getrusage: the
 * program, its libraries, the buffers and the handle's workspace).
 * FLOPs: 2·G·H·(I_l + H)·T·B per layer and direction (G = 4 LSTM, 3 GRU,
 * 1 RNN; I_l = I for layer 0, D·H after), the sum of the lengths in place of
 * T·B with --varlen, three times that for train.
 */
#include "cli.h"
#include "options.h"
#include "base/clock.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* OpenBLAS's kernel name and thread count, when the BLAS is OpenBLAS. */
#if defined(__GNUC__)
#define WEAK __attribute__((weak))
#else
#define WEAK
#endif
extern char *openblas_get_corename(void) WEAK;
extern int openblas_get_num_threads(void) WEAK;

typedef struct {
    const char *name;
    recur_mode mode;
    size_t gates;
} cell_info;

static const cell_info cells[] = {
    {"lstm", RECUR_LSTM, 4},
    {"gru", RECUR_GRU, 3},
    {"rnn", RECUR_RNN_TANH, 1},
    {"rnn_relu", RECUR_RNN_RELU, 1},
    {"gru_reset_before", RECUR_GRU_RESET_BEFORE, 3},
};

static uint64_t rng_next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void fill_uniform(float *v, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((double)(rng_next(s) >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* a·b·c, or 0 when it overflows. */
static size_t mul3(size_t a, size_t b, size_t c)
{
    if (a == 0 || b == 0 || c == 0 || b > SIZE_MAX / a || c > SIZE_MAX / (a * b))
        return 0;
    return a * b * c;
}

/* n floats on a 64-byte boundary, as PyTorch's allocator and oneDNN's
 * memory objects place theirs (malloc's large blocks start 16 bytes past
 * a page: every row of x, y, dy and dx would straddle cache lines). */
static float *alloc_floats(size_t n)
{
    if (n == 0 || n > (SIZE_MAX - 63) / sizeof(float))
        return NULL;
    return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
}

/* The process's peak resident memory so far (getrusage), MiB. */
static double peak_rss_mib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0
                                              : 0.0;
}

int cmd_bench(int argc, char **argv)
{
    const char *cell_name, *mode;
    size_t I, H, L, B, T, threads, repeat, warmup, recompute;
    long seed;
    int bidir = 0, varlen = 0, json = 0;
    const opt_spec specs[] = {
        {.name = "--cell", .type = OPT_CHOICE, .dest = &cell_name, .def = "lstm", .help = "recurrent cell", .choices = "lstm|gru|rnn|rnn_relu|gru_reset_before", .metavar = "CELL"},
        {.name = "--input-size", .type = OPT_SIZE, .dest = &I, .def = "256", .help = "input width I", .min = 1, .max = 65536, .metavar = "I"},
        {.name = "--hidden", .type = OPT_SIZE, .dest = &H, .def = "256", .help = "hidden units H per layer and direction", .min = 1, .max = 65536, .metavar = "H"},
        {.name = "--layers", .type = OPT_SIZE, .dest = &L, .def = "1", .help = "layers L", .min = 1, .max = 64, .metavar = "L"},
        {.name = "--batch", .type = OPT_SIZE, .dest = &B, .def = "1", .help = "batch B", .min = 1, .max = 100000, .metavar = "B"},
        {.name = "--seq-len", .type = OPT_SIZE, .dest = &T, .def = "100", .help = "steps T", .min = 1, .max = 1000000, .metavar = "T"},
        {.name = "--bidirectional", .type = OPT_FLAG, .dest = &bidir, .help = "two directions (infer and train only)"},
        {.name = "--varlen", .type = OPT_FLAG, .dest = &varlen, .help = "sequence lengths uniform in [max(1, T/4), T] (infer and train only)"},
        {.name = "--mode", .type = OPT_CHOICE, .dest = &mode, .def = "infer", .help = "infer: one forward; train: forward + backward, all gradients; step: T " "calls of recur_rnn_forward with T = 1, state carried", .choices = "infer|train|step", .metavar = "MODE"},
        {.name = "--threads", .type = OPT_SIZE, .dest = &threads, .def = "1", .help = "BLAS threads (0: the BLAS's default)", .min = 0, .max = 1024, .metavar = "N"},
        {.name = "--repeat", .type = OPT_SIZE, .dest = &repeat, .def = "10", .help = "timed runs (the median is reported)", .min = 1, .max = 100000, .metavar = "R"},
        {.name = "--warmup", .type = OPT_SIZE, .dest = &warmup, .def = "2", .help = "untimed runs first", .min = 0, .max = 1000, .metavar = "N"},
        {.name = "--seed", .type = OPT_INT, .dest = &seed, .def = "1", .help = "seed of the weights, inputs and lengths", .min = 0, .max = 2147483647, .metavar = "S"},
        {.name = "--recompute", .type = OPT_SIZE, .dest = &recompute, .def = "0", .help = "train: cache S steps at a time and recompute the rest in backward (0: cache all; recur_rnn_set_recompute)", .min = 0, .max = 1000000, .metavar = "S"},
        {.name = "--json", .type = OPT_FLAG, .dest = &json, .help = "one JSON object on stdout"},
    };
    int rc = opt_parse("bench", "[options]",
                       "Times an RNN stack through the public API: warm-up, "
                       "repeats, median time, GFLOP/s (2*G*H*(I+H) per step, "
                       "layer, direction and sequence; 3x for train) and "
                       "tokens/s.",
                       specs, sizeof specs / sizeof *specs, argc, argv);
    if (rc)
        return rc == 1 ? EXIT_OK : EXIT_USAGE;

    const cell_info *cell = NULL;
    for (size_t k = 0; k < sizeof cells / sizeof *cells; k++)
        if (strcmp(cells[k].name, cell_name) == 0)
            cell = &cells[k];
    int step = strcmp(mode, "step") == 0, train = strcmp(mode, "train") == 0;
    if (step && (bidir || varlen)) {
        cli_error("bench", "--mode step runs one direction over full-length "
                  "sequences: --bidirectional and --varlen do not apply");
        return EXIT_USAGE;
    }
    size_t D = bidir ? 2 : 1;
    size_t x_n = mul3(T, B, I), y_n = mul3(T, B, D * H), st_n = mul3(L * D, B, H);
    if (!cell || !x_n || !y_n || !st_n) {
        cli_error("bench", "the shapes are too large");
        return EXIT_USAGE;
    }
    recur_set_threads((int)threads);

    recur_rnn_config cfg = recur_rnn_config_default(cell->mode, I, H);
    cfg.num_layers = L;
    cfg.bidirectional = bidir;
    recur_rnn *rnn = NULL;
    recur_status s = recur_rnn_create(&cfg, (uint64_t)seed, &rnn);
    if (s)
        return cli_fail("bench", s);
    recur_rnn_set_training(rnn, train);
    recur_rnn_set_recompute(rnn, recompute);

    int lstm = cell->mode == RECUR_LSTM;
    size_t ys_n = step ? B * H : y_n; /* step: one step's output */
    float *x = alloc_floats(x_n), *y = alloc_floats(ys_n);
    float *dy = train ? alloc_floats(y_n) : NULL, *dx = train ? alloc_floats(x_n) : NULL;
    float *h[2] = {NULL, NULL}, *c[2] = {NULL, NULL};
    int64_t *lengths = varlen ? malloc(B * sizeof *lengths) : NULL;
    int ok = x && y && (!train || (dy && dx)) && (!varlen || lengths);
    if (step)
        for (int k = 0; k < 2; k++) {
            h[k] = calloc(st_n, sizeof(float));
            c[k] = lstm ? calloc(st_n, sizeof(float)) : NULL;
            ok = ok && h[k] && (!lstm || c[k]);
        }
    uint64_t g = (uint64_t)seed * 0x2545f4914f6cdd1du + 7;
    double tokens = (double)T * (double)B;
    if (ok) {
        fill_uniform(x, x_n, &g);
        if (dy)
            fill_uniform(dy, y_n, &g);
        if (lengths) {
            size_t lo = T / 4 > 0 ? T / 4 : 1;
            tokens = 0;
            for (size_t b = 0; b < B; b++) {
                lengths[b] = (int64_t)(lo + rng_next(&g) % (T - lo + 1));
                tokens += (double)lengths[b];
            }
        }
    }

    double per_step = 0; /* multiply-adds per token, every layer and direction */
    for (size_t l = 0; l < L; l++)
        per_step += (double)D * (double)cell->gates * (double)H *
                    (double)((l ? D * H : I) + H);
    double flops = 2.0 * per_step * tokens * (train ? 3.0 : 1.0);

    double *times = ok ? malloc(repeat * sizeof *times) : NULL;
    if (!ok || !times) {
        cli_error("bench", "out of memory for T=%zu B=%zu I=%zu H=%zu", T, B, I, H);
        rc = EXIT_FAILURE_DATA;
    }
    if (!rc && !train && (s = recur_rnn_pack_weights(rnn)) != RECUR_OK)
        rc = cli_fail("bench", s);
    for (size_t r = 0; !rc && r < warmup + repeat; r++) {
        if (train)
            recur_rnn_zero_grad(rnn);
        double t0 = (1e3 * clock_seconds());
        if (step) {
            for (size_t t = 0; !s && t < T; t++) {
                int a = (int)(t & 1);
                s = recur_rnn_forward(rnn, 1, B, x + t * B * I, NULL,
                                      t ? h[a] : NULL, t && lstm ? c[a] : NULL, y,
                                      h[!a], lstm ? c[!a] : NULL);
            }
        } else {
            s = recur_rnn_forward(rnn, T, B, x, lengths, NULL, NULL, y, NULL, NULL);
            if (!s && train)
                s = recur_rnn_backward(rnn, dy, NULL, NULL, dx, NULL, NULL);
        }
        double t1 = (1e3 * clock_seconds());
        if (s)
            rc = cli_fail("bench", s);
        else if (r >= warmup)
            times[r - warmup] = t1 - t0;
    }

    if (!rc) {
        qsort(times, repeat, sizeof *times, cmp_double);
        double med = repeat % 2 ? times[repeat / 2]
                                : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
        double gflops = flops / (med * 1e-3) / 1e9;
        double tps = tokens / (med * 1e-3);
        const char *core = openblas_get_corename ? openblas_get_corename() : NULL;
        int blas_threads = openblas_get_num_threads ? openblas_get_num_threads() : 0;
        if (json) {
            printf("{\"cell\": \"%s\", \"input_size\": %zu, \"hidden\": %zu, "
                   "\"layers\": %zu, \"bidirectional\": %s, \"batch\": %zu, "
                   "\"seq_len\": %zu, \"varlen\": %s, \"mode\": \"%s\", "
                   "\"threads\": %zu, \"blas_threads\": %d, \"repeat\": %zu, "
                   "\"warmup\": %zu, \"seed\": %ld, \"recompute\": %zu, "
                   "\"ms_median\": %.9g, \"ms_min\": %.9g, \"gflops\": %.9g, "
                   "\"peak_rss_mib\": %.1f, ",
                   cell->name, I, H, L, bidir ? "true" : "false", B, T,
                   varlen ? "true" : "false", mode, threads, blas_threads, repeat,
                   warmup, seed, recompute, med, times[0], gflops, peak_rss_mib());
            if (step)
                printf("\"us_per_step\": %.4f, \"step_api\": \"recur_rnn_forward\", ",
                       1e3 * med / (double)T);
            printf("\"tokens\": %.0f, \"tokens_per_sec\": %.2f, \"flops\": %.0f, "
                   "\"openblas_core\": \"%s\", \"version\": \"%s\"}\n",
                   tokens, tps, flops, core ? core : "unknown", recur_version());
        } else {
            printf("bench %s I=%zu H=%zu L=%zu D=%zu B=%zu T=%zu%s %s, %zu thread%s: "
                   "median %.3f ms (min %.3f) over %zu runs, %.2f GFLOP/s, %.0f tokens/s",
                   cell->name, I, H, L, D, B, T, varlen ? " varlen" : "", mode,
                   threads, threads == 1 ? "" : "s", med, times[0], repeat, gflops, tps);
            if (step)
                printf(", %.2f us/step (one recur_rnn_forward call per step)",
                       1e3 * med / (double)T);
            printf(" [OpenBLAS %s]\n", core ? core : "unknown");
        }
    }
    free(times);
    free(x);
    free(y);
    free(dy);
    free(dx);
    free(lengths);
    for (int k = 0; k < 2; k++) {
        free(h[k]);
        free(c[k]);
    }
    recur_rnn_free(rnn);
    return rc;
}
