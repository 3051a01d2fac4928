/*
 * gradcheck.c — backward against central finite differences, for the
 * cells' tests (gradcheck.h): one cell kind on a bidirectional 2-layer
 * stack with unsorted lengths and given initial states, so that every path
 * of the gradient (through time, across layers, both directions, into x,
 * h0 and c0) is exercised.
 *
 * Loss L = Σ wy∘y + Σ wh∘h_n + Σ wc∘c_n with fixed random weights w, summed
 * in double. Every parameter, input and initial-state entry is checked:
 * |numeric − analytic| <= ATOL + RTOL·|analytic|.
 *
 * Layer norm runs with random gains and biases (1 and 0 would hide their
 * gradients' mistakes).
 *
 * The regularisers are checked the same way through the public API: in
 * training mode, with (variational) dropout between layers and recurrent
 * dropout, with zoneout; and zoneout in evaluation mode. Every evaluation
 * re-seeds the handle's generator first, so it draws the same masks.
 */
#include "gradcheck.h"
#include "fixture.h"
#include "test.h"
#include "recur.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-3f
#define ATOL 2e-3
#define RTOL 2e-2

enum { T = 4, B = 3, I = 3, H = 3, L = 2 };

/* Regularisers of one run; all zero: none, evaluation mode. Every loss
 * sets them again, so each evaluation draws the same masks (from seed). */
typedef struct {
    int training;
    recur_regularizers set;
} regs;

typedef struct {
    recur_rnn *rnn;
    const regs *reg;
    size_t D, P, LD;
    int lstm;
    const int64_t *lengths;
    float *x, *h0, *c0, *wy, *wh, *wc, *y, *h_n, *c_n;
} problem;

static uint64_t lcg_state;
static float urand(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(lcg_state >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static float *randv(size_t n)
{
    float *v = malloc(n * sizeof(float));
    for (size_t i = 0; v && i < n; i++)
        v[i] = urand();
    return v;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static double loss(problem *p)
{
    if (p->reg && recur_rnn_set_regularizers(p->rnn, &p->reg->set))
        return NAN;
    recur_status s = recur_rnn_forward(p->rnn, T, B, p->x, p->lengths, p->h0,
                                       p->lstm ? p->c0 : NULL, p->y, p->h_n,
                                       p->lstm ? p->c_n : NULL);
    if (s)
        return NAN;
    double v = dot(p->wy, p->y, T * B * p->D * p->P) +
               dot(p->wh, p->h_n, p->LD * B * p->P);
    if (p->lstm)
        v += dot(p->wc, p->c_n, p->LD * B * H);
    return v;
}

static double loss_of(void *p) { return loss(p); }

/* Checks analytic[i] against differences of the loss in v[i], i < n.
 * relu has kinks: where the one-sided differences disagree, a kink lies
 * within EPS and the entry is skipped (at most a few may be). */
static int check_entries(problem *p, const char *what, const char *tensor,
                         float *v, const float *analytic, size_t n)
{
    int bad = 0, skipped = 0;
    int kinks = recur_rnn_get_config(p->rnn)->mode == RECUR_RNN_RELU;
    double mid = loss(p);
    for (size_t i = 0; i < n; i++) {
        double sum, num = fixture_central_difference(v, i, EPS, loss_of, p, &sum);
        double one_sided_gap = fabs(sum - 2.0 * mid) / EPS;
        if (kinks && one_sided_gap > ATOL + RTOL * fabs(num)) {
            skipped++;
            continue;
        }
        double err = fabs(num - analytic[i]);
        if (!(err <= ATOL + RTOL * fabs(analytic[i]))) {
            if (bad++ < 3)
                fprintf(stderr, "  %s %s[%zu]: numeric %.6g analytic %.6g (gap %.3g)\n",
                        what, tensor, i, num, analytic[i], one_sided_gap);
        }
    }
    CHECK(bad == 0, "%s: %d of %zu entries of %s disagree with finite "
          "differences", what, bad, n, tensor);
    CHECK(skipped * 10 <= (int)n, "%s: %d of %zu entries of %s skipped as "
          "kinks", what, skipped, n, tensor);
    return bad;
}

static void run(const char *what, recur_rnn_config cfg, int with_lengths,
                const regs *reg)
{
    static const int64_t lengths[B] = {2, 4, 3};
    problem p = {0};
    CHECK(recur_rnn_create(&cfg, 7, &p.rnn) == RECUR_OK, "%s: create", what);
    if (!p.rnn)
        return;
    for (size_t i = 0; i < recur_rnn_get_param_count(p.rnn); i++) {
        const char *name;
        float *v;
        size_t rows, cols;
        recur_rnn_get_param(p.rnn, i, &name, &v, &rows, &cols);
        int gain = !strncmp(name, "weight_ln_", 10);
        if (gain || !strncmp(name, "bias_ln_", 8))
            for (size_t k = 0; k < rows * cols; k++)
                v[k] = (gain ? 1.0f : 0.0f) + 0.5f * urand();
    }
    if (reg) {
        p.reg = reg;
        recur_rnn_set_training(p.rnn, reg->training);
        CHECK(recur_rnn_set_regularizers(p.rnn, &reg->set) == RECUR_OK,
              "%s: regularisers: %s", what, recur_last_error());
    }
    p.D = cfg.bidirectional ? 2 : 1;
    p.P = recur_rnn_get_output_size(p.rnn);
    p.LD = L * p.D;
    p.lstm = cfg.mode == RECUR_LSTM;
    p.lengths = with_lengths ? lengths : NULL;
    size_t ny = T * B * p.D * p.P, nh = p.LD * B * p.P, nc = p.LD * B * H;
    p.x = randv(T * B * I);
    p.h0 = randv(nh);
    p.c0 = randv(nc);
    p.wy = randv(ny);
    p.wh = randv(nh);
    p.wc = randv(nc);
    p.y = malloc(ny * sizeof(float));
    p.h_n = malloc(nh * sizeof(float));
    p.c_n = malloc(nc * sizeof(float));
    float *dx = malloc(T * B * I * sizeof(float));
    float *dh0 = malloc(nh * sizeof(float)), *dc0 = malloc(nc * sizeof(float));

    /* Analytic gradients: dL/dy = wy etc. */
    CHECK(!isnan(loss(&p)), "%s: forward: %s", what, recur_last_error());
    recur_rnn_zero_grad(p.rnn);
    CHECK(recur_rnn_backward(p.rnn, p.wy, p.wh, p.lstm ? p.wc : NULL, dx, dh0,
                             p.lstm ? dc0 : NULL) == RECUR_OK,
          "%s: backward: %s", what, recur_last_error());
    size_t n = recur_rnn_get_flat_size(p.rnn);
    float *analytic = malloc(n * sizeof(float));
    memcpy(analytic, recur_rnn_get_flat_grads(p.rnn), n * sizeof(float));

    check_entries(&p, what, "parameters", recur_rnn_get_flat_params(p.rnn),
                  analytic, n);
    check_entries(&p, what, "x", p.x, dx, T * B * I);
    check_entries(&p, what, "h0", p.h0, dh0, nh);
    if (p.lstm)
        check_entries(&p, what, "c0", p.c0, dc0, nc);

    free(analytic); free(dx); free(dh0); free(dc0);
    free(p.x); free(p.h0); free(p.c0); free(p.wy); free(p.wh); free(p.wc);
    free(p.y); free(p.h_n); free(p.c_n);
    recur_rnn_free(p.rnn);
}

void gradcheck_cell(const gradcheck_kind *kind)
{
    static const struct {
        const char *name;
        regs reg;
    } reg_cases[] = {
        {"recurrent dropout",
         {1, {.recurrent_dropout = 0.3f, .seed = 99}}},
        {"variational + recurrent dropout",
         {1, {.dropout = 0.3f, .variational = 1, .recurrent_dropout = 0.3f,
              .seed = 99}}},
        {"zoneout", {1, {.zoneout = 0.3f, .seed = 99}}},
        {"zoneout evaluation", {0, {.zoneout = 0.3f, .seed = 99}}},
    };
    lcg_state = kind->seed;
    recur_rnn_config cfg = recur_rnn_config_default(kind->mode, I, H);
    cfg.num_layers = L;
    cfg.bidirectional = 1;
    cfg.proj_size = kind->proj;
    cfg.layer_norm = kind->layer_norm;
    run(kind->name, cfg, 1, NULL);
    char what[64];
    for (size_t r = 0; r < sizeof reg_cases / sizeof reg_cases[0]; r++) {
        snprintf(what, sizeof what, "%s %s", kind->name, reg_cases[r].name);
        run(what, cfg, 1, &reg_cases[r].reg);
    }
    /* Unidirectional, without bias, all sequences full length. */
    cfg.bidirectional = 0;
    cfg.bias = 0;
    snprintf(what, sizeof what, "%s uni no-bias", kind->name);
    run(what, cfg, 0, NULL);
}
