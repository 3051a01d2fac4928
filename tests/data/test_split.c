/*
 * test_split.c — the stratified split (src/data/split.h): classes held out
 * in proportion (a class of one example stays whole), indices ascending,
 * the same split for the same seed and another for another, a pool split
 * again keeping its indices, the extremes of the fraction, and bad
 * arguments.
 */
#include "base/error.h"
#include "data/split.h"
#include "test.h"

#include <stdint.h>
#include <string.h>

void test_split(void)
{
    /* 100 of class 0, 30 of class 1, 1 of class 2, interleaved. */
    enum { N = 131 };
    int32_t label[N];
    for (size_t i = 0; i < N; i++)
        label[i] = i == 77 ? 2 : i % 13 < 3 && i < 130 ? 1 : 0;
    size_t count[3] = {0};
    for (size_t i = 0; i < N; i++)
        count[label[i]]++;
    CHECK(count[0] == 100 && count[1] == 30 && count[2] == 1, "the labels");
    size_t held[N], kept[N], nh = 0, nk = 0, held2[N], kept2[N], nh2, nk2;
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 42, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 26 && nk == 105,
          "split: %zu held, %zu kept", nh, nk);
    size_t per[3] = {0};
    int ascending = 1;
    for (size_t i = 0; i < nh; i++) {
        per[label[held[i]]]++;
        ascending &= i == 0 || held[i] > held[i - 1];
    }
    CHECK(per[0] == 20 && per[1] == 6 && per[2] == 0 && ascending,
          "in proportion: %zu %zu %zu", per[0], per[1], per[2]);
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 42, held2, &nh2,
                                 kept2, &nk2) == RECUR_OK && nh2 == nh &&
              !memcmp(held, held2, nh * sizeof *held),
          "same seed, same split");
    CHECK(split_stratified(label, NULL, N, 3, 0.2, 43, held2, &nh2,
                                 kept2, &nk2) == RECUR_OK && nh2 == nh &&
              memcmp(held, held2, nh * sizeof *held),
          "another seed, another split");
    /* The kept part split again: indices stay those of label[]. */
    size_t nh3, nk3;
    CHECK(split_stratified(label, kept, nk, 3, 0.5, 1, held2, &nh3,
                                 kept2, &nk3) == RECUR_OK && nh3 + nk3 == nk,
          "split of a pool");
    int inside = 1;
    for (size_t i = 0; i < nh3; i++) {
        int found = 0;
        for (size_t j = 0; j < nk; j++)
            found |= kept[j] == held2[i];
        inside &= found;
    }
    CHECK(inside, "a pool's split holds the pool's indices");
    /* Extremes: two examples of a class split one and one at any fraction. */
    const int32_t two[] = {0, 0};
    CHECK(split_stratified(two, NULL, 2, 1, 0.01, 1, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 1 && nk == 1,
          "at least one held");
    CHECK(split_stratified(two, NULL, 2, 1, 0.99, 1, held, &nh, kept,
                                 &nk) == RECUR_OK && nh == 1 && nk == 1,
          "at least one kept");
    CHECK(split_stratified(two, NULL, 2, 1, 1.0, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "fraction 1");
    CHECK(split_stratified(two, NULL, 2, 0, 0.5, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "K 0");
    const int32_t wrong[] = {0, 3};
    CHECK(split_stratified(wrong, NULL, 2, 2, 0.5, 1, held, &nh, kept,
                                 &nk) == RECUR_ERR_ARGUMENT,
          "a label out of range");
}
