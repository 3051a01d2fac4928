/*
 * fixture.h — reading the committed PyTorch reference cases
 * (tests/fixtures/<case>/{model,input,expected}.safetensors, listed in
 * tests/fixtures/INDEX) and comparing results against them; and the
 * small builders the tests share.
 */
#ifndef RECUR_TEST_FIXTURE_H
#define RECUR_TEST_FIXTURE_H

#include "recur.h"
#include "io/safetensors.h"

#include <jansson.h>
#include <stdint.h>

/* Tolerances, relative to max(1, max|reference|) of each tensor. */
#define TOL_OUTPUT 2e-5
#define TOL_GRAD 1e-4
/* Optimizers, clipping and schedules against PyTorch, per element relative
 * to max(1, |torch|) (tests/train/); build with -DTOL_OPTIM=0 to see every
 * case's error printed. */
#ifndef TOL_OPTIM
#define TOL_OPTIM 1e-6
#endif

/* Reads INDEX: *names gets an array of case names (free with
 * fixture_free_names). Returns the count, 0 on failure (reported). */
size_t fixture_names(char ***names);
void fixture_free_names(char **names, size_t n);

/* Calls fn with each case listed in tests/fixtures/<dir>/INDEX (one name
 * a line); returns how many (a failed CHECK when INDEX cannot be read). */
size_t fixture_each_case(const char *dir, void (*fn)(const char *name));

/* A case of a model's fixtures: tests/fixtures/<dir>/<name>/model.safetensors
 * into *model (its path into model_path) and data.safetensors into *data.
 * 1 when both were read; else 0, both NULL and a failed CHECK. */
int fixture_open_case(const char *dir, const char *name, st_file **model,
                      char *model_path, size_t size, st_file **data);

/* "tests/fixtures/<name>/<file>" into buf. */
void fixture_path(char *buf, size_t n, const char *name, const char *file);

/* [T, B, w] into a fresh [B, T, w] (and, called with B, T, back). */
float *fixture_transpose_tb(const float *src, size_t T, size_t B, size_t w);

/* Reads a tensor as float32 into a fresh buffer (NULL when absent). */
float *fixture_f32(const st_file *st, const char *name);

/* A fixture file of many cases (tests/fixtures/<file>, e.g.
 * optim.safetensors) and its "cases" metadata parsed as JSON; both NULL
 * (and a failed CHECK) when unreadable. Free with st_free, json_decref. */
st_file *fixture_open_cases(const char *file, json_t **cases);
/* A float32 tensor of exactly numel values, in a fresh buffer; NULL (and a
 * failed CHECK) when absent or of another size. */
float *fixture_tensor(const st_file *st, const char *name, size_t numel);
/* The number of values of a tensor; 0 when absent. */
size_t fixture_numel(const st_file *st, const char *name);

/* Compares got (numel floats) with the reference tensor; one CHECK; prints
 * the max error on failure. Returns 1 when within tolerance. */
int fixture_compare(const char *what, const char *name, const float *got,
                    const st_tensor *ref, double tol);

/* Every parameter gradient of a model against the fixture's grad.<name>:
 * tensor(model, i, ...) lists its count tensors (as seq_model_tensor,
 * tagger_tensor), grads is its flat gradient array. Each tensor's error is
 * max |got − ref| / max |ref| (absolute for an all-zero reference), one
 * CHECK within tol each. Returns the largest error, its tensor's name in
 * worst[size]. */
typedef void fixture_tensor_fn(const void *model, size_t i, char *name,
                               size_t size, size_t *offset, size_t shape[2],
                               size_t *ndim);
double fixture_compare_grads(const char *what, const st_file *data,
                             const void *model, size_t count,
                             fixture_tensor_fn *tensor, const float *grads,
                             double tol, char *worst, size_t size);

/* The tolerance for a tensor name: TOL_GRAD for grad*, else TOL_OUTPUT. */
double fixture_tol(const char *name);

/* n token ids below V, drawn from rng_seed(seed) (base/rng.h). */
void fixture_random_ids(int32_t *ids, size_t n, size_t V, uint64_t seed);

/* recur_rnn_config_default(mode, I, H) with these fields set as given. */
recur_rnn_config fixture_config(recur_mode mode, size_t I, size_t H,
                                size_t proj, size_t L, int bidirectional,
                                int bias);

/* A model's loss at its current parameters (the same random draws every
 * call), for fixture_central_differences. */
typedef double fixture_loss_fn(void *ctx);
/* A batch of a model whose loss fixture_central_differences takes apart:
 * loss(model, data, idx, B, seed) is the mean loss of examples idx[0..B)
 * of data, the random draws seeded with seed. fixture_batch_loss(batch)
 * calls it (a fixture_loss_fn). */
typedef struct {
    double (*loss)(void *model, const void *data, const size_t *idx, size_t B,
                   uint64_t seed);
    void *model;
    const void *data;
    const size_t *idx;
    size_t B;
    uint64_t seed;
} fixture_batch;
double fixture_batch_loss(void *batch);

/* (loss(p[i] + eps) − loss(p[i] − eps)) / 2·eps, p[i] restored; *sum
 * (may be NULL) gets the two losses' sum, for a one-sided comparison. */
double fixture_central_difference(float *p, size_t i, float eps,
                                  fixture_loss_fn *loss, void *ctx,
                                  double *sum);
/* Central differences (step 1e-3) for each of the n parameters p[i]
 * against analytic[i], within 1e-3 + 2e-2 · |analytic|; p is restored.
 * Prints the first three disagreements under `what`; returns how many. */
int fixture_central_differences(const char *what, float *p,
                                const float *analytic, size_t n,
                                fixture_loss_fn *loss, void *ctx);

#endif
