/*
 * workspace.c — the workspace plan: one block per handle, sized for the
 * largest (T, B) and settings seen, carved into every view forward and
 * backward use (the packed input, each layer's output and dropout masks,
 * the states, each cell's caches and regulariser masks, each direction's
 * scratch, memory-lean training's checkpoints). The views hold the batch's
 * packed rows, R = the lengths' sum (T·B without lengths), not T·B: a
 * batch of a few long sequences among many short ones (a tagger's words
 * as sequences of chars) needs R rows, where T·B may be ten times more.
 * A new T, B or R re-plans (grows) it; nothing is allocated in the time
 * loop.
 */
#include "stack/stack_internal.h"
#include "base/bigmem.h"
#include "base/error.h"
#include "kernels/gemm.h"

#include <stdint.h>
#include <stdlib.h>

/* Hands out consecutive pieces of the workspace, each on a 64-byte
 * boundary (the block is: bigmem.h), so that a view's rows start on cache
 * lines wherever its width allows. Run once with base NULL to size the
 * block (every product checked), then again to carve it. */
typedef struct {
    float *base;
    size_t used;
    int ok;
} carver;

static float *take(carver *cv, size_t a, size_t b, size_t c)
{
    size_t n, start;
    if (!cv->ok || !size_mul_ok(a, b, &n) || !size_mul_ok(n, c, &n)) {
        cv->ok = 0;
        return NULL;
    }
    if (n == 0)
        return NULL;
    if (!size_add_ok(cv->used, 15, &start) ||
        !size_add_ok(start / 16 * 16, n, &cv->used)) {
        cv->ok = 0;
        return NULL;
    }
    return cv->base ? cv->base + start / 16 * 16 : NULL;
}

/* One cell_scratch's views for B sequences and Nc rows: step and step2
 * from seq (floats per sequence), dgates, dgates_h and dh_all from row
 * (floats per row), wpack, ihpack and bias from row too (per stack);
 * nothing (NULL views) unless `used`. */
static void carve_scratch(carver *cv, cell_scratch *s, int used, size_t B,
                          size_t Nc, const cell_scratch_floats *seq,
                          const cell_scratch_floats *row)
{
    const size_t u = used ? 1 : 0;
    s->step = take(cv, B * u, seq->step, 1);
    s->step2 = take(cv, B * u, seq->step2, 1);
    s->dgates = take(cv, Nc * u, row->dgates, 1);
    s->dgates_h = take(cv, Nc * u, row->dgates_h, 1);
    s->dh_all = take(cv, Nc * u, row->dh_all, 1);
    s->wpack = take(cv, u, row->wpack, 1);
    s->wpack_floats = s->wpack ? row->wpack : 0;
    /* Only where cell_forward_inputs may take per-step input products. */
    const size_t steps =
        B >= CELL_STEP_INPUT_ROWS && row->ihpack && row->bias ? u : 0;
    s->ihpack = take(cv, steps, row->ihpack, 1);
    s->bias = take(cv, steps, row->bias, 1);
}

/* The views for T steps, B sequences and N packed rows (N <= T·B). */
static void carve(recur_rnn *rnn, carver *cv, size_t T, size_t N, size_t B)
{
    const size_t L = rnn->config.num_layers, D = rnn->D, P = rnn->P;
    const size_t H = rnn->config.hidden_size, I = rnn->config.input_size;
    const size_t wide = I > D * P ? I : D * P;
    /* Caches and per-row scratch: one segment's rows (all, without
     * recompute); checkpoints when there are several segments. */
    const size_t S = rnn->seg_len, nseg = (T + S - 1) / S;
    const size_t Nc = S * B < N ? S * B : N;
    cell_dims d;
    cell_cache_floats per_row;             /* times Nc below */
    cell_scratch_floats scratch_seq, scratch_row;
    stack_layer_dims(rnn, 0, &d);
    cell_cache_sizes(&d, 1, &per_row);
    cell_scratch_sizes(&d, 1, 0, &scratch_seq); /* per sequence */
    cell_scratch_sizes(&d, 0, 1, &scratch_row); /* per row */
    if (L > 1) { /* the per-stack packs: the widest input may be layer 1's */
        cell_scratch_floats layer1;
        stack_layer_dims(rnn, 1, &d);
        cell_scratch_sizes(&d, 0, 1, &layer1);
        scratch_row.wpack = layer1.wpack > scratch_row.wpack
                                ? layer1.wpack : scratch_row.wpack;
        scratch_row.ihpack = layer1.ihpack > scratch_row.ihpack
                                 ? layer1.ihpack : scratch_row.ihpack;
        scratch_row.bias = layer1.bias > scratch_row.bias
                               ? layer1.bias : scratch_row.bias;
    }

    /* What this forward uses (set before plan): masks sized 0 are NULL.
     * Every setting read here is in plan's key (rnn->planned). */
    const int lstm = rnn->config.mode == RECUR_LSTM, gru = rnn->G == 3;
    const int rec = rnn->training && rnn->reg.recurrent_dropout > 0.0f;
    const int zone = rnn->reg.zoneout > 0.0f;
    rnn->x_packed = take(cv, N, I, 1);
    for (size_t l = 0; l < L; l++)
        rnn->out[l] = take(cv, N, D, P);
    for (size_t l = 0; l + 1 < L; l++) {
        size_t w = rnn->dropped ? D * P : 0;
        rnn->drop_in[l] = take(cv, N, w, 1);
        rnn->drop_mask[l] = take(cv, rnn->per_sequence ? B : N, w, 1);
    }
    rnn->h_state = take(cv, L * D, B, P);
    rnn->c_state = take(cv, L * D, B, rnn->config.mode == RECUR_LSTM ? H : 0);
    rnn->d_in = take(cv, N, wide, 1);
    rnn->d_out = take(cv, N, wide, 1);
    /* A bidirectional stack without segments runs its directions at once
     * (stack_parallel_directions): the reverse one in scratch_rev. */
    const int rev = D == 2 && nseg == 1;
    rnn->d_in_rev = take(cv, rev ? N : 0, wide, 1);
    for (size_t c = 0; c < L * D; c++) {
        cell_cache *cc = rnn->cache + c;
        cc->gates = take(cv, Nc, per_row.gates, 1);
        cc->hprev = take(cv, Nc, per_row.hprev, 1);
        cc->tanh_c = take(cv, Nc, per_row.tanh_c, 1);
        cc->cprev = take(cv, Nc, per_row.cprev, 1);
        cc->hraw = take(cv, Nc, per_row.hraw, 1);
        cc->aux = take(cv, Nc, per_row.aux, 1);
        cc->ln_ih = take(cv, Nc, per_row.ln_ih, 1);
        cc->ln_hh = take(cv, Nc, per_row.ln_hh, 1);
        cc->ln_c = take(cv, Nc, per_row.ln_c, 1);
        cc->ln_r = take(cv, Nc, per_row.ln_r, 1);
        cc->rmask = take(cv, B, rec ? P : 0, 1);
        cc->hfull = take(cv, Nc, rec && gru ? P : 0, 1);
        cc->zh = take(cv, N, zone ? P : 0, 1);
        cc->zc = take(cv, N, zone && lstm ? H : 0, 1);
    }
    carve_scratch(cv, &rnn->scratch, 1, B, Nc, &scratch_seq, &scratch_row);
    carve_scratch(cv, &rnn->scratch_rev, rev, B, Nc, &scratch_seq,
                  &scratch_row);
    const size_t ck = nseg > 1 ? L * D * nseg : 0;
    rnn->ckpt_h = take(cv, ck, B, P);
    rnn->ckpt_c = take(cv, ck, B, lstm ? H : 0);
    rnn->seg_h = take(cv, ck ? B : 0, P, 1);
    rnn->seg_c = take(cv, ck ? B : 0, lstm ? H : 0, 1);
    size_t pih = 0, phh = 0;
    for (size_t l = 0; ck && l < L; l++) {
        cell_dims dl;
        stack_layer_dims(rnn, l, &dl);
        size_t a = gemm_pack_floats(dl.G * dl.H, dl.I);
        pih = a > pih ? a : pih;
        phh = gemm_pack_floats(dl.G * dl.H, dl.P);
    }
    pih = (pih + 15) / 16 * 16; /* W_hh's packing on a line after W_ih's */
    rnn->seg_pack = take(cv, 1, pih && phh ? pih + phh : 0, 1);
    rnn->seg_pack_ih = pih;
}

/* Sizes the workspace for T, B and R packed rows (R <= T*B) and points
 * every view into it, growing the block when this shape needs more. The
 * views depend on T, B, R and what the forward uses (the settings carve
 * reads, kept in rnn->planned): unchanged since the last plan, they are
 * left as they are (a streaming caller's one-step calls plan once). */
recur_status stack_plan(recur_rnn *rnn, size_t T, size_t B, size_t R)
{
    size_t N, steps;
    carver cv = {.base = NULL, .used = 0, .ok = 1};
    rnn->seg_len = rnn->recompute && rnn->recompute < T ? rnn->recompute : T;
    const int recurrent = rnn->training && rnn->reg.recurrent_dropout > 0.0f;
    const int zoneout = rnn->reg.zoneout > 0.0f;
    if (rnn->have_plan && rnn->planned.T == T && rnn->planned.B == B &&
        rnn->planned.R == R && rnn->planned.seg_len == rnn->seg_len &&
        rnn->planned.dropped == rnn->dropped &&
        rnn->planned.per_sequence == rnn->per_sequence &&
        rnn->planned.recurrent == recurrent && rnn->planned.zoneout == zoneout)
        return RECUR_OK;
    rnn->have_plan = 0;
    int ok = size_mul_ok(T, B, &N) && N <= gemm_max_dim() && R >= 1 &&
             R <= N && size_mul_ok(T + 1, 4, &steps) &&
             size_add_ok(steps, B, &steps);
    if (ok)
        carve(rnn, &cv, T, R, B);
    if (!ok || !cv.ok || cv.used > SIZE_MAX / sizeof(float))
        return error_fail(RECUR_ERR_MEMORY, "T=%zu, B=%zu is too large", T, B);

    if (cv.used > rnn->work_size) {
        float *w = big_alloc(cv.used * sizeof(float));
        if (!w)
            return error_fail(RECUR_ERR_MEMORY,
                              "out of memory for a %zu-float workspace", cv.used);
        big_free(rnn->work);
        rnn->work = w;
        rnn->work_size = cv.used;
    }
    if (steps > rnn->steps_size) {
        size_t *s = malloc(steps * sizeof(size_t));
        if (!s)
            return error_fail(RECUR_ERR_MEMORY, "out of memory");
        free(rnn->steps);
        rnn->steps = s;
        rnn->steps_size = steps;
    }
    carver real = {.base = rnn->work, .used = 0, .ok = 1};
    carve(rnn, &real, T, R, B);
    rnn->planned.T = T;
    rnn->planned.B = B;
    rnn->planned.R = R;
    rnn->planned.seg_len = rnn->seg_len;
    rnn->planned.dropped = rnn->dropped;
    rnn->planned.per_sequence = rnn->per_sequence;
    rnn->planned.recurrent = recurrent;
    rnn->planned.zoneout = zoneout;
    rnn->have_plan = 1;
    return RECUR_OK;
}
