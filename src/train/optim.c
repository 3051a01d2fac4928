/*
 * optim.c — SGD, Adam, AdamW, RMSprop and Adagrad over a flat parameter
 * array, and clipping by global norm; PyTorch's single-tensor algorithms.
 *
 * Per element, with g the gradient, p the parameter, lr the learning rate,
 * t the step count after the increment (from 1), wd the weight decay:
 *
 *   all but AdamW: g = g + wd*p                       (when wd != 0)
 *   SGD       b = g at the first step, else b = momentum*b + (1-dampening)*g
 *             g = nesterov ? g + momentum*b : b       (when momentum != 0)
 *             p = p - lr*g
 *   Adam      AdamW first: p = p*(1 - lr*wd)          (when wd != 0)
 *             m = lerp(m, g, 1-beta1);  v = beta2*v + (1-beta2)*g*g
 *             p = p - (lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps),
 *             bc1 = 1 - beta1^t, bc2 = 1 - beta2^t
 *   RMSprop   s = alpha*s + (1-alpha)*g*g
 *             centered: a = lerp(a, g, 1-alpha), den = sqrt(s - a*a) + eps
 *             else den = sqrt(s) + eps
 *             momentum > 0: b = momentum*b + g/den, p = p - lr*b
 *             else p = p - lr*g/den
 *   Adagrad   clr = lr / (1 + (t-1)*lr_decay);  s = s + g*g
 *             p = p - clr*g/(sqrt(s) + eps)
 *
 * Rounding follows PyTorch's CPU kernels operation by operation:
 *   x.add(y, alpha=a)        fmaf(y, a, x)
 *   x.addcmul(y, z, value=c) fmaf(c*y, z, x)
 *   x.addcdiv(y, z, value=c) x + (c*y)/z
 *   x.lerp(y, w)             |w| < 0.5 ? fmaf(w, y-x, x) : fmaf(-(1-w), y-x, y)
 *   x.mul(c), x / c, x + c   one float operation, c rounded to float
 * Every other product is rounded on its own: no expression has a multiply
 * feeding an add outside fmaf, so clang's default contraction (within an
 * expression) changes nothing; GCC contracts only with -ffp-contract=fast,
 * its default in GNU modes but not with -std=c11 (then RMSprop with
 * momentum moves by an ulp or so).
 * fmaf is exact everywhere; without -mfma it is a libm call (glibc picks
 * the hardware instruction at run time), a few ns per parameter per step.
 * Scalars PyTorch computes in Python (1 - beta, bias corrections, lr/bc1,
 * bc2**0.5, Adagrad's clr, 1 - lr*wd) are computed in double, then rounded
 * to float once, where the kernel receives them.
 */
#include "train/optim.h"
#include "kernels/clones.h"
#include "base/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUFFERS 3

struct optimizer {
    optim_config config;
    size_t n;
    uint64_t steps;
    size_t buffer_count;
    const char *names[MAX_BUFFERS];
    float *buffers[MAX_BUFFERS];
    float *storage; /* buffer_count * n floats, one allocation */
};

static const char *const kind_names[] = {"sgd", "adam", "adamw", "rmsprop",
                                         "adagrad"};
#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

const char *optim_str(optim_kind kind)
{
    if ((unsigned)kind >= KIND_COUNT)
        return NULL;
    return kind_names[kind];
}

recur_status optim_parse(const char *name, optim_kind *kind)
{
    if (!name || !kind)
        return error_fail(RECUR_ERR_ARGUMENT, "no optimizer name to read (NULL)");
    for (size_t k = 0; k < KIND_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *kind = (optim_kind)k;
            return RECUR_OK;
        }
    return error_fail(RECUR_ERR_ARGUMENT,
                      "unknown optimizer '%.64s' (expected sgd, adam, adamw, "
                      "rmsprop or adagrad)", name);
}

optim_config optim_default(optim_kind kind)
{
    optim_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    switch (kind) {
    case RECUR_OPT_SGD:
        break;
    case RECUR_OPT_ADAM:
    case RECUR_OPT_ADAMW:
        c.beta1 = 0.9f;
        c.beta2 = 0.999f;
        c.eps = 1e-8f;
        c.weight_decay = kind == RECUR_OPT_ADAMW ? 0.01f : 0.0f;
        break;
    case RECUR_OPT_RMSPROP:
        c.alpha = 0.99f;
        c.eps = 1e-8f;
        break;
    case RECUR_OPT_ADAGRAD:
        c.eps = 1e-10f;
        break;
    }
    return c;
}

/* ---- validation ---- */

/* RECUR_OK when lo <= v (v < hi, or v <= hi when hi_open is 0) and v is
 * finite; hi = INFINITY means no upper bound. */
static recur_status check_range(const char *kind, const char *field, float v,
                                double lo, double hi, int hi_open)
{
    int ok = isfinite(v) && v >= lo && (hi_open ? v < hi : v <= hi);
    if (ok)
        return RECUR_OK;
    if (isinf(hi))
        return error_fail(RECUR_ERR_ARGUMENT, "%s: %s = %g must be finite and >= %g",
                          kind, field, (double)v, lo);
    return error_fail(RECUR_ERR_ARGUMENT, "%s: %s = %g must be in [%g, %g%c", kind,
                      field, (double)v, lo, hi, hi_open ? ')' : ']');
}

static recur_status check_flag(const char *kind, const char *field, int v)
{
    if (v == 0 || v == 1)
        return RECUR_OK;
    return error_fail(RECUR_ERR_ARGUMENT, "%s: %s = %d must be 0 or 1", kind, field, v);
}

#define TRY(call)                                                             \
    do {                                                                      \
        recur_status st_ = (call);                                            \
        if (st_ != RECUR_OK)                                                  \
            return st_;                                                       \
    } while (0)

static recur_status check_config(const optim_config *c)
{
    const char *k = optim_str(c->kind);
    if (!k)
        return error_fail(RECUR_ERR_ARGUMENT, "%d is not an optimizer",
                          (int)c->kind);
    TRY(check_range(k, "weight_decay", c->weight_decay, 0, INFINITY, 0));
    switch (c->kind) {
    case RECUR_OPT_SGD:
        TRY(check_range(k, "momentum", c->momentum, 0, INFINITY, 0));
        TRY(check_range(k, "dampening", c->dampening, 0, 1, 0));
        TRY(check_flag(k, "nesterov", c->nesterov));
        if (c->nesterov && (c->momentum <= 0 || c->dampening != 0))
            return error_fail(RECUR_ERR_ARGUMENT,
                              "sgd: nesterov momentum requires momentum > 0 and "
                              "dampening 0 (momentum %g, dampening %g)",
                              (double)c->momentum, (double)c->dampening);
        break;
    case RECUR_OPT_ADAM:
    case RECUR_OPT_ADAMW:
        TRY(check_range(k, "beta1", c->beta1, 0, 1, 1));
        TRY(check_range(k, "beta2", c->beta2, 0, 1, 1));
        TRY(check_range(k, "eps", c->eps, 0, INFINITY, 0));
        break;
    case RECUR_OPT_RMSPROP:
        TRY(check_range(k, "alpha", c->alpha, 0, 1, 0));
        TRY(check_range(k, "momentum", c->momentum, 0, INFINITY, 0));
        TRY(check_range(k, "eps", c->eps, 0, INFINITY, 0));
        TRY(check_flag(k, "centered", c->centered));
        break;
    case RECUR_OPT_ADAGRAD:
        TRY(check_range(k, "lr_decay", c->lr_decay, 0, INFINITY, 0));
        TRY(check_range(k, "initial_accumulator_value", c->initial_accumulator_value,
                        0, INFINITY, 0));
        TRY(check_range(k, "eps", c->eps, 0, INFINITY, 0));
        break;
    }
    return RECUR_OK;
}

/* ---- handle ---- */

recur_status optim_create(const optim_config *config, size_t n,
                                optimizer **out)
{
    if (!config || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no optimizer settings or place "
                          "for the optimizer (NULL)");
    if (n == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "an optimizer for no parameters");
    TRY(check_config(config));

    const char *names[MAX_BUFFERS];
    size_t count = 0;
    switch (config->kind) {
    case RECUR_OPT_SGD:
        if (config->momentum != 0)
            names[count++] = "momentum_buffer";
        break;
    case RECUR_OPT_ADAM:
    case RECUR_OPT_ADAMW:
        names[count++] = "exp_avg";
        names[count++] = "exp_avg_sq";
        break;
    case RECUR_OPT_RMSPROP:
        names[count++] = "square_avg";
        if (config->momentum > 0)
            names[count++] = "momentum_buffer";
        if (config->centered)
            names[count++] = "grad_avg";
        break;
    case RECUR_OPT_ADAGRAD:
        names[count++] = "sum";
        break;
    }

    size_t floats, bytes;
    if (!size_mul_ok(count, n, &floats) || !size_mul_ok(floats, sizeof(float), &bytes))
        return error_fail(RECUR_ERR_MEMORY,
                          "the optimizer's state, %zu buffers of %zu floats, "
                          "is more than memory can address",
                          count, n);
    optimizer *opt = calloc(1, sizeof *opt);
    if (!opt)
        return error_fail(RECUR_ERR_MEMORY, "out of memory for the optimizer");
    if (count) {
        opt->storage = calloc(floats, sizeof(float));
        if (!opt->storage) {
            free(opt);
            return error_fail(RECUR_ERR_MEMORY,
                              "out of memory for %zu bytes of optimizer "
                              "state",
                              bytes);
        }
    }
    opt->config = *config;
    opt->n = n;
    opt->buffer_count = count;
    for (size_t i = 0; i < count; i++) {
        opt->names[i] = names[i];
        opt->buffers[i] = opt->storage + i * n;
    }
    if (config->kind == RECUR_OPT_ADAGRAD)
        for (size_t i = 0; i < n; i++)
            opt->buffers[0][i] = config->initial_accumulator_value;
    *out = opt;
    return RECUR_OK;
}

void optim_free(optimizer *opt)
{
    if (!opt)
        return;
    free(opt->storage);
    free(opt);
}

uint64_t optim_steps(const optimizer *opt) { return opt ? opt->steps : 0; }

void optim_set_steps(optimizer *opt, uint64_t steps)
{
    if (opt)
        opt->steps = steps;
}

size_t optim_buffer_count(const optimizer *opt)
{
    return opt ? opt->buffer_count : 0;
}

float *optim_buffer(optimizer *opt, size_t i, const char **name)
{
    if (!opt || i >= opt->buffer_count) {
        if (name)
            *name = NULL;
        return NULL;
    }
    if (name)
        *name = opt->names[i];
    return opt->buffers[i];
}

size_t optim_size(const optimizer *opt) { return opt ? opt->n : 0; }

/* ---- the updates ---- */

/* torch.lerp(x, y, w) as its CPU kernel rounds it. */
static inline float lerp(float x, float y, float w)
{
    float d = y - x;
    return fabsf(w) < 0.5f ? fmaf(w, d, x) : fmaf(-(1.0f - w), d, y);
}

RECUR_CLONES static void step_sgd(optimizer *opt, float *p, const float *grads, float lr)
{
    const optim_config *c = &opt->config;
    const float wd = c->weight_decay, mom = c->momentum;
    const float keep = (float)(1.0 - (double)c->dampening);
    const int first = opt->steps == 0, nesterov = c->nesterov;
    float *b = opt->buffer_count ? opt->buffers[0] : NULL;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        if (wd != 0)
            g = fmaf(p[i], wd, g);
        if (b) {
            b[i] = first ? g : fmaf(g, keep, b[i] * mom);
            g = nesterov ? fmaf(b[i], mom, g) : b[i];
        }
        p[i] = fmaf(g, -lr, p[i]);
    }
}

RECUR_CLONES static void step_adam(optimizer *opt, float *p, const float *grads, float lr)
{
    const optim_config *c = &opt->config;
    const double t = (double)opt->steps; /* already incremented */
    const double bc1 = 1.0 - pow((double)c->beta1, t);
    const double bc2 = 1.0 - pow((double)c->beta2, t);
    const float neg_step = (float)-((double)lr / bc1);
    const float bc2_sqrt = (float)pow(bc2, 0.5); /* Python's bc2**0.5 */
    const float w1 = (float)(1.0 - (double)c->beta1);
    const float w2 = (float)(1.0 - (double)c->beta2);
    const float beta2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const int decoupled = c->kind == RECUR_OPT_ADAMW;
    const double lr_wd = (double)lr * (double)wd; /* Python: 1 - lr*wd */
    const float decay = (float)(1.0 - lr_wd);
    float *m = opt->buffers[0], *v = opt->buffers[1];
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        if (wd != 0) {
            if (decoupled)
                p[i] *= decay;
            else
                g = fmaf(p[i], wd, g);
        }
        m[i] = lerp(m[i], g, w1);
        v[i] = fmaf(w2 * g, g, v[i] * beta2);
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] + (neg_step * m[i]) / denom;
    }
}

RECUR_CLONES static void step_rmsprop(optimizer *opt, float *p, const float *grads, float lr)
{
    const optim_config *c = &opt->config;
    const float alpha = c->alpha, w = (float)(1.0 - (double)c->alpha);
    const float eps = c->eps, wd = c->weight_decay, mom = c->momentum;
    float *s = opt->buffers[0];
    float *b = mom > 0 ? opt->buffers[1] : NULL;
    float *a = c->centered ? opt->buffers[mom > 0 ? 2 : 1] : NULL;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        if (wd != 0)
            g = fmaf(p[i], wd, g);
        s[i] = fmaf(w * g, g, s[i] * alpha);
        float den;
        if (a) {
            a[i] = lerp(a[i], g, w);
            den = sqrtf(fmaf(-a[i], a[i], s[i]));
        } else {
            den = sqrtf(s[i]);
        }
        den += eps;
        if (b) {
            float decayed = b[i] * mom; /* rounded, as buf.mul_(momentum) */
            b[i] = decayed + g / den;
            p[i] = fmaf(b[i], -lr, p[i]);
        } else {
            p[i] = p[i] + (-lr * g) / den;
        }
    }
}

RECUR_CLONES static void step_adagrad(optimizer *opt, float *p, const float *grads, float lr)
{
    const optim_config *c = &opt->config;
    const double t = (double)opt->steps; /* already incremented */
    const double decays = (t - 1.0) * (double)c->lr_decay; /* Python's rounding */
    const float neg_clr = (float)-((double)lr / (1.0 + decays));
    const float eps = c->eps, wd = c->weight_decay;
    float *s = opt->buffers[0];
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        if (wd != 0)
            g = fmaf(p[i], wd, g);
        s[i] = fmaf(g, g, s[i]);
        p[i] = p[i] + (neg_clr * g) / (sqrtf(s[i]) + eps);
    }
}

recur_status optim_step(optimizer *opt, float *params, const float *grads,
                              float lr)
{
    if (!opt || !params || !grads)
        return error_fail(RECUR_ERR_ARGUMENT, "no optimizer, parameters or "
                          "gradients to step (NULL)");
    if (!isfinite(lr) || lr < 0)
        return error_fail(RECUR_ERR_ARGUMENT,
                          "learning rate %g must be finite and >= 0",
                          (double)lr);
    /* SGD reads the count before it moves (first step = buffer init); Adam
     * and Adagrad read t after the increment, as PyTorch's step_t += 1. */
    switch (opt->config.kind) {
    case RECUR_OPT_SGD:
        step_sgd(opt, params, grads, lr);
        opt->steps++;
        break;
    case RECUR_OPT_ADAM:
    case RECUR_OPT_ADAMW:
        opt->steps++;
        step_adam(opt, params, grads, lr);
        break;
    case RECUR_OPT_RMSPROP:
        opt->steps++;
        step_rmsprop(opt, params, grads, lr);
        break;
    case RECUR_OPT_ADAGRAD:
        opt->steps++;
        step_adagrad(opt, params, grads, lr);
        break;
    }
    return RECUR_OK;
}

/* ---- clipping ---- */

float clip_grad_norm(float *grads, size_t n, float max_norm)
{
    if (!grads || n == 0)
        return 0.0f;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)grads[i] * grads[i];
    float total = (float)sqrt(sum);
    /* PyTorch: clamp(max_norm / (total + 1e-6), max=1), in float32. */
    float coef = max_norm / (total + 1e-6f);
    if (coef >= 1.0f)
        return total;
    for (size_t i = 0; i < n; i++)
        grads[i] *= coef;
    return total;
}
