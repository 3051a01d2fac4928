/*
 * dnnl_rnn.c — the oneDNN side of `make bench`: the same RNN stacks as
 * `recur bench`, on oneDNN's f32 RNN primitives (C API, dnnl.h, 2.x):
 *   lstm              dnnl_lstm_*           (gates i, f, c~, o as PyTorch)
 *   gru               dnnl_lbr_gru_*        (linear before reset: PyTorch's GRU)
 *   gru_reset_before  dnnl_gru_*            (reset before the product: Cho 2014)
 *   rnn, rnn_relu     dnnl_vanilla_rnn_*    (tanh, relu)
 * One primitive per layer (oneDNN's multi-layer primitive needs every
 * layer's input as wide as its output), bidirectional = bidirectional_concat.
 *   infer  forward_inference of every layer;
 *   train  forward_training of every layer, then backward of every layer in
 *          reverse order, with a random diff_dst and every gradient (data,
 *          weights, bias); the diff weights are zeroed between repeats,
 *          outside the timing;
 *   step   T executions per layer of a T = 1 forward_inference primitive,
 *          the state carried (dst_iter of a step is src_iter of the next).
 * Weights are drawn in oneDNN's plain layout (ldigo) and reordered once,
 * before any timing, into the layout each primitive prefers (format any):
 * oneDNN is timed at its best, without the reorders; with --reorders they
 * run again inside each timed repeat, as in a training loop whose optimizer
 * updates the weights in their plain layout. The initial state is
 * given explicitly (zeros): oneDNN 2.6.3's f32 training primitive has been
 * seen to return a wrong recurrent-weight gradient without one
 * (shared/PERF_NOTES.md). Variable lengths are not supported by oneDNN.
 * --check first compares the stack's forward output (inference and
 * training) with a plain C reference on the same weights and exits 1 when
 * they differ by more than 1e-4.
 *
 *   dnnl_rnn --cell C --input-size I --hidden H --layers L --batch B
 *            --seq-len T [--bidirectional] --mode infer|train|step
 *            [--repeat R] [--warmup W] [--seed S] [--check] [--reorders]
 * Threads: oneDNN's OpenMP runtime reads OMP_NUM_THREADS. Prints one JSON
 * object: {"ms_median", "ms_min", "dnnl_version", "check_max_abs_diff", ...}.
 * Build: cc -O2 bench/dnnl_rnn.c -o build/dnnl_rnn -ldnnl -lm
 */
#define _POSIX_C_SOURCE 200809L
#include "base/clock.h"

#include <dnnl.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LAYERS 64

#define CK(call)                                                                  \
    do {                                                                          \
        dnnl_status_t st_ = (call);                                               \
        if (st_ != dnnl_success) {                                                \
            fprintf(stderr, "dnnl_rnn: %s failed: status %d (line %d)\n", #call,  \
                    (int)st_, __LINE__);                                          \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

enum { LSTM, GRU_LBR, GRU_RB, RNN_TANH, RNN_RELU };

static int cell, D = 1, G;
static size_t L = 1, B = 1, T = 1, I = 1, H = 1;
static dnnl_engine_t engine;
static dnnl_stream_t stream;

typedef struct {
    size_t slc;
    dnnl_primitive_desc_t fpd, bpd;
    dnnl_primitive_t fwd, bwd;
    dnnl_memory_t src_layer, st[2], stc[2], wl, wi, bias, dst_layer, ws;
    dnnl_memory_t user_wl, user_wi, user_bias; /* plain ldigo / ldgo */
    dnnl_memory_t bwl, bwi, diff_src_layer, diff_src_iter, diff_src_iter_c, dwl,
        dwi, dbias, diff_dst_layer, diff_dst_iter, diff_dst_iter_c;
} layer;

static layer layers[MAX_LAYERS];

/* ---------------------------------------------------------------------- */

static uint64_t rng = 1;
static float uniform(float lo, float hi) /* splitmix64 */
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return lo + (hi - lo) * (float)((double)(z >> 11) * 0x1p-53);
}

static dnnl_memory_desc_t md_tag(int ndims, const int64_t *dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {0};
    for (int k = 0; k < ndims; k++)
        d[k] = dims[k];
    CK(dnnl_memory_desc_init_by_tag(&md, ndims, d, dnnl_f32, tag));
    return md;
}

static float *data(dnnl_memory_t m)
{
    void *p = NULL;
    CK(dnnl_memory_get_data_handle(m, &p));
    return p;
}

static size_t floats(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *md;
    CK(dnnl_memory_get_memory_desc(m, &md));
    return dnnl_memory_desc_get_size(md) / sizeof(float);
}

/* A zeroed memory of the primitive's layout for arg; NULL when unused. */
static dnnl_memory_t mem_for(dnnl_primitive_desc_t pd, int arg)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    if (!md || md->ndims == 0)
        return NULL;
    dnnl_memory_t m;
    CK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    memset(data(m), 0, dnnl_memory_desc_get_size(md));
    return m;
}

static dnnl_memory_t mem_plain(const dnnl_memory_desc_t *md)
{
    dnnl_memory_t m;
    CK(dnnl_memory_create(&m, md, engine, DNNL_MEMORY_ALLOCATE));
    memset(data(m), 0, dnnl_memory_desc_get_size(md));
    return m;
}

static void fill(dnnl_memory_t m, float lo, float hi)
{
    float *p = data(m);
    for (size_t k = 0, n = floats(m); k < n; k++)
        p[k] = uniform(lo, hi);
}

/* The weight reorders, kept to run again in each repeat (--reorders). */
enum { MAX_REORDERS = 8 * MAX_LAYERS };
typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t from, to;
} reorder_run;
static reorder_run reorders[MAX_REORDERS];
static size_t n_reorders;

static void forget_reorders(void)
{
    for (size_t k = 0; k < n_reorders; k++)
        dnnl_primitive_destroy(reorders[k].prim);
    n_reorders = 0;
}

static void run_reorders(void)
{
    for (size_t k = 0; k < n_reorders; k++) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, reorders[k].from},
                                   {DNNL_ARG_TO, reorders[k].to}};
        CK(dnnl_primitive_execute(reorders[k].prim, stream, 2, args));
    }
}

/* user (plain) → a new memory in the primitive's layout for arg. */
static dnnl_memory_t reorder_to(dnnl_primitive_desc_t pd, int arg, dnnl_memory_t user)
{
    dnnl_memory_t m = mem_for(pd, arg);
    const dnnl_memory_desc_t *src, *dst;
    CK(dnnl_memory_get_memory_desc(user, &src));
    CK(dnnl_memory_get_memory_desc(m, &dst));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CK(dnnl_reorder_primitive_desc_create(&rpd, src, engine, dst, engine, NULL));
    CK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, m}};
    CK(dnnl_primitive_execute(r, stream, 2, args));
    CK(dnnl_stream_wait(stream));
    dnnl_primitive_desc_destroy(rpd);
    if (n_reorders < MAX_REORDERS)
        reorders[n_reorders++] = (reorder_run){r, user, m};
    else
        dnnl_primitive_destroy(r);
    return m;
}

/* ---------------------------------------------------------------------- */

typedef const dnnl_memory_desc_t *cmd;

static void desc_fwd(dnnl_rnn_desc_t *d, dnnl_prop_kind_t prop, dnnl_rnn_direction_t dir,
                     cmd sl, cmd si, cmd sic, cmd wl, cmd wi, cmd b, cmd dl, cmd di, cmd dic)
{
    switch (cell) {
    case LSTM: CK(dnnl_lstm_forward_desc_init(d, prop, dir, sl, si, sic, wl, wi, b, dl, di, dic, 0)); break;
    case GRU_LBR: CK(dnnl_lbr_gru_forward_desc_init(d, prop, dir, sl, si, wl, wi, b, dl, di, 0)); break;
    case GRU_RB: CK(dnnl_gru_forward_desc_init(d, prop, dir, sl, si, wl, wi, b, dl, di, 0)); break;
    default:
        CK(dnnl_vanilla_rnn_forward_desc_init(d, prop, cell == RNN_TANH ? dnnl_eltwise_tanh : dnnl_eltwise_relu,
                                              dir, sl, si, wl, wi, b, dl, di, 0, 0.f, 0.f));
    }
}

static void desc_bwd(dnnl_rnn_desc_t *d, dnnl_rnn_direction_t dir, cmd sl, cmd si, cmd sic,
                     cmd wl, cmd wi, cmd b, cmd dl, cmd di, cmd dic, cmd dsl, cmd dsi,
                     cmd dsic, cmd dwl, cmd dwi, cmd db, cmd ddl, cmd ddi, cmd ddic)
{
    switch (cell) {
    case LSTM:
        CK(dnnl_lstm_backward_desc_init(d, dnnl_backward, dir, sl, si, sic, wl, wi, b, dl, di, dic,
                                        dsl, dsi, dsic, dwl, dwi, db, ddl, ddi, ddic, 0));
        break;
    case GRU_LBR:
        CK(dnnl_lbr_gru_backward_desc_init(d, dnnl_backward, dir, sl, si, wl, wi, b, dl, di, dsl,
                                           dsi, dwl, dwi, db, ddl, ddi, 0));
        break;
    case GRU_RB:
        CK(dnnl_gru_backward_desc_init(d, dnnl_backward, dir, sl, si, wl, wi, b, dl, di, dsl, dsi,
                                       dwl, dwi, db, ddl, ddi, 0));
        break;
    default:
        CK(dnnl_vanilla_rnn_backward_desc_init(d, dnnl_backward,
                                               cell == RNN_TANH ? dnnl_eltwise_tanh : dnnl_eltwise_relu,
                                               dir, sl, si, wl, wi, b, dl, di, dsl, dsi, dwl, dwi, db,
                                               ddl, ddi, 0, 0.f, 0.f));
    }
}

/* Builds layer l's primitives for steps Tp (T, or 1 in step mode). */
static void build_layer(size_t l, size_t Tp, dnnl_prop_kind_t prop, int train)
{
    layer *y = &layers[l];
    int64_t slc = (int64_t)(l ? (size_t)D * H : I), h = (int64_t)H, b = (int64_t)B, t = (int64_t)Tp;
    int gb = G + (cell == GRU_LBR);
    dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
    y->slc = (size_t)slc;
    dnnl_memory_desc_t sl = md_tag(3, (int64_t[]){t, b, slc}, dnnl_tnc);
    dnnl_memory_desc_t si = md_tag(4, (int64_t[]){1, D, b, h}, dnnl_ldnc);
    dnnl_memory_desc_t wl_any = md_tag(5, (int64_t[]){1, D, slc, G, h}, dnnl_format_tag_any);
    dnnl_memory_desc_t wi_any = md_tag(5, (int64_t[]){1, D, h, G, h}, dnnl_format_tag_any);
    dnnl_memory_desc_t wl_plain = md_tag(5, (int64_t[]){1, D, slc, G, h}, dnnl_ldigo);
    dnnl_memory_desc_t wi_plain = md_tag(5, (int64_t[]){1, D, h, G, h}, dnnl_ldigo);
    dnnl_memory_desc_t bias = md_tag(4, (int64_t[]){1, D, gb, h}, dnnl_ldgo);
    dnnl_memory_desc_t dl = md_tag(3, (int64_t[]){t, b, D * h}, dnnl_tnc);
    cmd sic = cell == LSTM ? &si : NULL;

    dnnl_rnn_desc_t fd;
    desc_fwd(&fd, prop, dir, &sl, &si, sic, &wl_any, &wi_any, &bias, &dl, &si, sic);
    CK(dnnl_primitive_desc_create(&y->fpd, &fd, NULL, engine, NULL));
    CK(dnnl_primitive_create(&y->fwd, y->fpd));

    float k = 1.0f / sqrtf((float)H);
    y->user_wl = mem_plain(&wl_plain);
    y->user_wi = mem_plain(&wi_plain);
    fill(y->user_wl, -k, k);
    fill(y->user_wi, -k, k);
    y->user_bias = mem_plain(&bias);
    fill(y->user_bias, -k, k);
    y->wl = reorder_to(y->fpd, DNNL_ARG_WEIGHTS_LAYER, y->user_wl);
    y->wi = reorder_to(y->fpd, DNNL_ARG_WEIGHTS_ITER, y->user_wi);
    y->bias = reorder_to(y->fpd, DNNL_ARG_BIAS, y->user_bias);
    y->src_layer = l ? layers[l - 1].dst_layer : mem_for(y->fpd, DNNL_ARG_SRC_LAYER);
    if (!l)
        fill(y->src_layer, -1, 1);
    y->dst_layer = mem_for(y->fpd, DNNL_ARG_DST_LAYER);
    for (int s = 0; s < 2; s++) {
        y->st[s] = mem_for(y->fpd, DNNL_ARG_SRC_ITER);
        y->stc[s] = cell == LSTM ? mem_for(y->fpd, DNNL_ARG_SRC_ITER_C) : NULL;
    }
    y->ws = mem_for(y->fpd, DNNL_ARG_WORKSPACE);
    if (!train)
        return;

    dnnl_memory_desc_t dwl_any = wl_any, dwi_any = wi_any;
    dnnl_rnn_desc_t bd;
    desc_bwd(&bd, dir, &sl, &si, sic, &wl_any, &wi_any, &bias, &dl, &si, sic, &sl, &si, sic,
             &dwl_any, &dwi_any, &bias, &dl, &si, sic);
    CK(dnnl_primitive_desc_create(&y->bpd, &bd, NULL, engine, y->fpd));
    CK(dnnl_primitive_create(&y->bwd, y->bpd));
    y->bwl = reorder_to(y->bpd, DNNL_ARG_WEIGHTS_LAYER, y->user_wl);
    y->bwi = reorder_to(y->bpd, DNNL_ARG_WEIGHTS_ITER, y->user_wi);
    y->diff_src_layer = mem_for(y->bpd, DNNL_ARG_DIFF_SRC_LAYER);
    y->diff_src_iter = mem_for(y->bpd, DNNL_ARG_DIFF_SRC_ITER);
    y->diff_src_iter_c = cell == LSTM ? mem_for(y->bpd, DNNL_ARG_DIFF_SRC_ITER_C) : NULL;
    y->dwl = mem_for(y->bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER);
    y->dwi = mem_for(y->bpd, DNNL_ARG_DIFF_WEIGHTS_ITER);
    y->dbias = mem_for(y->bpd, DNNL_ARG_DIFF_BIAS);
    y->diff_dst_iter = mem_for(y->bpd, DNNL_ARG_DIFF_DST_ITER);
    y->diff_dst_iter_c = cell == LSTM ? mem_for(y->bpd, DNNL_ARG_DIFF_DST_ITER_C) : NULL;
}

static void run_forward(size_t l, int s)
{
    layer *y = &layers[l];
    dnnl_exec_arg_t a[12];
    int n = 0;
#define ARG(id, m) if (m) a[n++] = (dnnl_exec_arg_t){id, m}
    ARG(DNNL_ARG_SRC_LAYER, y->src_layer);
    ARG(DNNL_ARG_SRC_ITER, y->st[s]);
    ARG(DNNL_ARG_SRC_ITER_C, y->stc[s]);
    ARG(DNNL_ARG_WEIGHTS_LAYER, y->wl);
    ARG(DNNL_ARG_WEIGHTS_ITER, y->wi);
    ARG(DNNL_ARG_BIAS, y->bias);
    ARG(DNNL_ARG_DST_LAYER, y->dst_layer);
    ARG(DNNL_ARG_DST_ITER, y->st[!s]);
    ARG(DNNL_ARG_DST_ITER_C, y->stc[!s]);
    ARG(DNNL_ARG_WORKSPACE, y->ws);
    CK(dnnl_primitive_execute(y->fwd, stream, n, a));
}

static void run_backward(size_t l)
{
    layer *y = &layers[l];
    dnnl_exec_arg_t a[24];
    int n = 0;
    ARG(DNNL_ARG_SRC_LAYER, y->src_layer);
    ARG(DNNL_ARG_SRC_ITER, y->st[0]);
    ARG(DNNL_ARG_SRC_ITER_C, y->stc[0]);
    ARG(DNNL_ARG_WEIGHTS_LAYER, y->bwl);
    ARG(DNNL_ARG_WEIGHTS_ITER, y->bwi);
    ARG(DNNL_ARG_BIAS, y->bias);
    ARG(DNNL_ARG_DST_LAYER, y->dst_layer);
    ARG(DNNL_ARG_DST_ITER, y->st[1]);
    ARG(DNNL_ARG_DST_ITER_C, y->stc[1]);
    ARG(DNNL_ARG_WORKSPACE, y->ws);
    ARG(DNNL_ARG_DIFF_SRC_LAYER, y->diff_src_layer);
    ARG(DNNL_ARG_DIFF_SRC_ITER, y->diff_src_iter);
    ARG(DNNL_ARG_DIFF_SRC_ITER_C, y->diff_src_iter_c);
    ARG(DNNL_ARG_DIFF_WEIGHTS_LAYER, y->dwl);
    ARG(DNNL_ARG_DIFF_WEIGHTS_ITER, y->dwi);
    ARG(DNNL_ARG_DIFF_BIAS, y->dbias);
    ARG(DNNL_ARG_DIFF_DST_LAYER, y->diff_dst_layer);
    ARG(DNNL_ARG_DIFF_DST_ITER, y->diff_dst_iter);
    ARG(DNNL_ARG_DIFF_DST_ITER_C, y->diff_dst_iter_c);
#undef ARG
    CK(dnnl_primitive_execute(y->bwd, stream, n, a));
}

/* ---------------------------------------------------------------------- */
/* The plain C reference: oneDNN's cell equations on the ldigo weights.    */

static float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }

/* x [T][B][slc] → out [T][B][D*H], zero initial state. */
static void ref_layer(const layer *y, const float *x, float *out)
{
    const float *W = data(y->user_wl), *U = data(y->user_wi), *bb = data(y->user_bias);
    size_t slc = y->slc, GH = (size_t)G * H, gb = (size_t)(G + (cell == GRU_LBR)) * H;
    float *h = calloc(B * H, sizeof(float)), *c = calloc(B * H, sizeof(float));
    float *gx = malloc(GH * sizeof(float)), *gh = malloc(GH * sizeof(float));
    float *rh = malloc(H * sizeof(float));
    for (int d = 0; d < D; d++) {
        const float *Wd = W + (size_t)d * slc * GH, *Ud = U + (size_t)d * H * GH, *bd = bb + (size_t)d * gb;
        memset(h, 0, B * H * sizeof(float));
        memset(c, 0, B * H * sizeof(float));
        for (size_t s = 0; s < T; s++) {
            size_t t = d ? T - 1 - s : s;
            for (size_t n = 0; n < B; n++) {
                const float *xt = x + (t * B + n) * slc;
                float *hn = h + n * H, *cn = c + n * H;
                memset(gx, 0, GH * sizeof(float));
                memset(gh, 0, GH * sizeof(float));
                for (size_t i = 0; i < slc; i++)
                    for (size_t j = 0; j < GH; j++)
                        gx[j] += xt[i] * Wd[i * GH + j];
                for (size_t i = 0; i < H; i++)
                    for (size_t j = 0; j < GH; j++)
                        gh[j] += hn[i] * Ud[i * GH + j];
                if (cell == GRU_RB) { /* o's recurrent product uses r∘h */
                    for (size_t o = 0; o < H; o++)
                        rh[o] = sigm(gx[H + o] + gh[H + o] + bd[H + o]) * hn[o];
                    memset(gh + 2 * H, 0, H * sizeof(float));
                    for (size_t i = 0; i < H; i++)
                        for (size_t o = 0; o < H; o++)
                            gh[2 * H + o] += rh[i] * Ud[i * GH + 2 * H + o];
                }
                for (size_t o = 0; o < H; o++) {
                    float v;
                    switch (cell) {
                    case LSTM: {
                        float gi = sigm(gx[o] + gh[o] + bd[o]);
                        float gf = sigm(gx[H + o] + gh[H + o] + bd[H + o]);
                        float gc = tanhf(gx[2 * H + o] + gh[2 * H + o] + bd[2 * H + o]);
                        float go = sigm(gx[3 * H + o] + gh[3 * H + o] + bd[3 * H + o]);
                        cn[o] = gf * cn[o] + gi * gc;
                        v = go * tanhf(cn[o]);
                        break;
                    }
                    case GRU_LBR:
                    case GRU_RB: {
                        float u = sigm(gx[o] + gh[o] + bd[o]);
                        float r = sigm(gx[H + o] + gh[H + o] + bd[H + o]);
                        float nn = cell == GRU_LBR
                                       ? tanhf(gx[2 * H + o] + bd[2 * H + o] + r * (gh[2 * H + o] + bd[3 * H + o]))
                                       : tanhf(gx[2 * H + o] + gh[2 * H + o] + bd[2 * H + o]);
                        v = u * hn[o] + (1 - u) * nn;
                        break;
                    }
                    case RNN_TANH: v = tanhf(gx[o] + gh[o] + bd[o]); break;
                    default: v = fmaxf(0.f, gx[o] + gh[o] + bd[o]);
                    }
                    out[(t * B + n) * D * H + (size_t)d * H + o] = v;
                }
                for (size_t o = 0; o < H; o++)
                    hn[o] = out[(t * B + n) * D * H + (size_t)d * H + o];
            }
        }
    }
    free(h);
    free(c);
    free(gx);
    free(gh);
    free(rh);
}

/* max |oneDNN − reference| over the last layer's output. */
static double check(void)
{
    size_t n_in = T * B * I, n_out = T * B * D * H;
    float *in = malloc(n_in * sizeof(float)), *out = malloc(n_out * sizeof(float));
    memcpy(in, data(layers[0].src_layer), n_in * sizeof(float));
    for (size_t l = 0; l < L; l++) {
        ref_layer(&layers[l], in, out);
        free(in);
        in = out;
        out = malloc(n_out * sizeof(float));
    }
    const float *got = data(layers[L - 1].dst_layer);
    double worst = 0;
    for (size_t k = 0; k < n_out; k++)
        worst = fmax(worst, fabs((double)got[k] - in[k]));
    free(in);
    free(out);
    return worst;
}

/* ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void zero(dnnl_memory_t m)
{
    if (m)
        memset(data(m), 0, floats(m) * sizeof(float));
}

int main(int argc, char **argv)
{
    const char *cell_name = "lstm", *mode = "infer";
    size_t repeat = 10, warmup = 2;
    int do_check = 0, each = 0;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--bidirectional")) { D = 2; continue; }
        if (!strcmp(a, "--check")) { do_check = 1; continue; }
        if (!strcmp(a, "--reorders")) { each = 1; continue; }
        if (!v) { fprintf(stderr, "dnnl_rnn: %s needs a value\n", a); return 2; }
        k++;
        if (!strcmp(a, "--cell")) cell_name = v;
        else if (!strcmp(a, "--mode")) mode = v;
        else if (!strcmp(a, "--input-size")) I = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hidden")) H = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--layers")) L = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--batch")) B = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seq-len")) T = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--repeat")) repeat = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--warmup")) warmup = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed")) rng = strtoull(v, NULL, 10);
        else { fprintf(stderr, "dnnl_rnn: unknown option %s\n", a); return 2; }
    }
    static const char *const names[] = {"lstm", "gru", "gru_reset_before", "rnn", "rnn_relu"};
    static const int gates[] = {4, 3, 3, 1, 1};
    cell = -1;
    for (int k = 0; k < 5; k++)
        if (!strcmp(cell_name, names[k]))
            cell = k;
    int step = !strcmp(mode, "step"), train = !strcmp(mode, "train");
    if (cell < 0 || (!step && !train && strcmp(mode, "infer")) || !I || !H || !B || !T ||
        !L || L > MAX_LAYERS || !repeat || (step && D == 2)) {
        fprintf(stderr, "dnnl_rnn: bad options (see the comment at the top of bench/dnnl_rnn.c)\n");
        return 2;
    }
    G = gates[cell];
    CK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    double diff = -1;
    if (do_check) { /* inference and training forward against the reference */
        dnnl_prop_kind_t props[2] = {dnnl_forward_inference, dnnl_forward_training};
        for (int p = 0; p < 2; p++) {
            uint64_t saved = rng;
            for (size_t l = 0; l < L; l++)
                build_layer(l, T, props[p], 0);
            for (size_t l = 0; l < L; l++)
                run_forward(l, 0);
            CK(dnnl_stream_wait(stream));
            double d = check();
            diff = fmax(diff, d);
            rng = saved;
            if (d > 1e-4) {
                fprintf(stderr, "dnnl_rnn: %s output differs from the reference by %g\n",
                        p ? "forward_training" : "forward_inference", d);
                return 1;
            }
        }
    }

    forget_reorders(); /* the check's layers' */
    for (size_t l = 0; l < L; l++)
        build_layer(l, step ? 1 : T, train ? dnnl_forward_training : dnnl_forward_inference, train);
    if (train) {
        for (size_t l = 0; l < L; l++)
            layers[l].diff_dst_layer = l + 1 < L ? layers[l + 1].diff_src_layer
                                                 : mem_for(layers[l].bpd, DNNL_ARG_DIFF_DST_LAYER);
        fill(layers[L - 1].diff_dst_layer, -1, 1);
    }

    double *times = malloc(repeat * sizeof *times);
    for (size_t r = 0; r < warmup + repeat; r++) {
        if (train)
            for (size_t l = 0; l < L; l++) {
                zero(layers[l].dwl);
                zero(layers[l].dwi);
                zero(layers[l].dbias);
            }
        double t0 = 1e3 * clock_seconds();
        if (each)
            run_reorders();
        if (step) {
            for (size_t t = 0; t < T; t++)
                for (size_t l = 0; l < L; l++)
                    run_forward(l, (int)(t & 1));
        } else {
            for (size_t l = 0; l < L; l++)
                run_forward(l, 0);
            if (train)
                for (size_t l = L; l-- > 0;)
                    run_backward(l);
        }
        CK(dnnl_stream_wait(stream));
        double t1 = 1e3 * clock_seconds();
        if (r >= warmup)
            times[r - warmup] = t1 - t0;
    }
    qsort(times, repeat, sizeof *times, cmp_double);
    double med = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
    const dnnl_version_t *ver = dnnl_version();
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("{\"cell\": \"%s\", \"mode\": \"%s\", \"input_size\": %zu, \"hidden\": %zu, "
           "\"layers\": %zu, \"bidirectional\": %s, \"batch\": %zu, \"seq_len\": %zu, "
           "\"repeat\": %zu, \"ms_median\": %.6f, \"ms_min\": %.6f, ",
           cell_name, mode, I, H, L, D == 2 ? "true" : "false", B, T, repeat, med, times[0]);
    if (step)
        printf("\"us_per_step\": %.4f, ", 1e3 * med / (double)T);
    printf("\"check_max_abs_diff\": %.3g, \"omp_num_threads\": \"%s\", "
           "\"dnnl_version\": \"%d.%d.%d\"}\n",
           diff, omp ? omp : "", ver->major, ver->minor, ver->patch);
    free(times);
    return 0;
}
