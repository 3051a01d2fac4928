/*
 * test_bow.c — the bag-of-words baseline (src/eval/bow.h): on synthetic data
 * that a linear model separates (the class is one marker token among
 * shared noise tokens, at a random place) it classifies unseen examples
 * all correctly; training is deterministic bit for bit and depends on the
 * seed; bad data and options are refused with the example named.
 */
#include "eval/bow.h"
#include "base/error.h"
#include "base/rng.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

enum { K = 3, V = 30, NOISE = 6 };

/* n examples: class i % K, tokens = NOISE noise ids in [K + 2, V) with
 * the class's marker (id 2 + class) at a random position; longer ones
 * repeat tokens. */
static seq_data synthetic(size_t n, uint64_t seed)
{
    rng_state r;
    rng_seed(&r, seed);
    seq_data d = {0};
    d.n = n;
    d.outputs = K;
    d.offset = malloc((n + 1) * sizeof *d.offset);
    d.tokens = malloc(n * (NOISE + 1) * sizeof *d.tokens);
    d.label = malloc(n * sizeof *d.label);
    if (!d.offset || !d.tokens || !d.label) {
        seq_data_free(&d);
        return d;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        d.offset[i] = k;
        d.label[i] = (int32_t)(i % K);
        size_t at = (size_t)rng_below(&r, NOISE + 1);
        for (size_t t = 0; t <= NOISE; t++)
            d.tokens[k++] = t == at ? 2 + d.label[i]
                                    : (int32_t)(K + 2 + rng_below(&r, V - K - 2));
    }
    d.offset[n] = k;
    return d;
}

void test_bow(void)
{
    seq_data train = synthetic(300, 1), test = synthetic(60, 2);
    if (!train.n || !test.n) {
        CHECK(0, "out of memory for the data");
        return;
    }
    /* 300 examples are 10 steps an epoch: more epochs, a larger rate. */
    bow_options o = bow_defaults();
    o.epochs = 30;
    o.lr = 0.05f;
    bow_model *m = NULL, *again = NULL, *other = NULL;
    CHECK(bow_train(&train, V, &o, &m) == RECUR_OK, "train: %s",
          recur_last_error());
    int32_t pred[60];
    float prob[60 * K], prob2[60 * K];
    size_t right = 0;
    if (m && bow_predict(m, &test, pred, prob) == RECUR_OK)
        for (size_t i = 0; i < test.n; i++)
            right += pred[i] == test.label[i];
    CHECK(right == test.n, "unseen separable examples: %zu of %zu right",
          right, test.n);
    CHECK(prob[0] > 0.9f && prob[0] + prob[1] + prob[2] > 0.999f,
          "probabilities of example 0: %g %g %g", prob[0], prob[1], prob[2]);

    /* The same run again is the same bit for bit; another seed is not. */
    CHECK(bow_train(&train, V, &o, &again) == RECUR_OK &&
              bow_predict(again, &test, pred, prob2) == RECUR_OK &&
              !memcmp(prob, prob2, sizeof prob),
          "deterministic");
    o.seed = 2;
    CHECK(bow_train(&train, V, &o, &other) == RECUR_OK &&
              bow_predict(other, &test, pred, prob2) == RECUR_OK &&
              memcmp(prob, prob2, sizeof prob),
          "the seed matters");
    o.seed = 1;

    /* A token id seen nowhere in training (>= V) counts as nothing. */
    test.tokens[0] = V + 5;
    CHECK(m && bow_predict(m, &test, pred, NULL) == RECUR_OK,
          "predict with an unseen id: %s", recur_last_error());

    /* Refused: an id outside the vocabulary, a bad label, bad options. */
    bow_model *bad = NULL;
    train.tokens[train.offset[7] + 1] = V;
    CHECK(bow_train(&train, V, &o, &bad) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "example 7") && bad == NULL,
          "token id V: %s", recur_last_error());
    train.tokens[train.offset[7] + 1] = 5;
    train.label[4] = K;
    CHECK(bow_train(&train, V, &o, &bad) == RECUR_ERR_ARGUMENT &&
              strstr(recur_last_error(), "example 4") && bad == NULL,
          "label K: %s", recur_last_error());
    train.label[4] = 1;
    o.epochs = 0;
    CHECK(bow_train(&train, V, &o, &bad) == RECUR_ERR_ARGUMENT &&
              bad == NULL,
          "epochs 0");
    bow_free(m);
    bow_free(again);
    bow_free(other);
    seq_data_free(&train);
    seq_data_free(&test);
}
