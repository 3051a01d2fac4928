/*
 * fuzz_safetensors.c — libFuzzer entry point for the safetensors reader.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc \
 *       -D_POSIX_C_SOURCE=200809L src/io/safetensors.c src/base/error.c \
 *       src/base/file.c tests/io/fuzz_safetensors.c -ljansson -o fuzz_safetensors
 *   ./fuzz_safetensors -max_total_time=60 CORPUS_DIR
 *
 * (from the repository's root; not part of `make test`, whose
 * test_safetensors_fuzz is a fixed-seed mutation fuzzer of its own).
 *
 * A good seed is any small .safetensors file. On success the parsed tensors
 * must cover the data buffer exactly with consistent sizes, and the
 * conversions must stay inside it; a violation aborts, which libFuzzer
 * reports as a crash.
 */
#include "io/safetensors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const st_file *st, const uint8_t *bytes, size_t size)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | bytes[i];
    const uint8_t *buffer = bytes + 8 + n;
    size_t buffer_size = size - 8 - (size_t)n;
    size_t offset = 0, count = st_count(st);
    const unsigned char *base = count ? st_at(st, 0)->data : NULL;
    for (size_t i = 0; i < count; i++) {
        const st_tensor *t = st_at(st, i);
        size_t numel = 1;
        for (size_t d = 0; d < t->ndim; d++) numel *= t->shape[d];
        if (!t->name[0] || t->ndim > RECUR_ST_MAX_DIMS || numel != t->numel
            || t->nbytes != t->numel * st_dtype_size(t->dtype)
            || t->data != base + offset || t->nbytes > buffer_size - offset
            || (t->nbytes && memcmp(t->data, buffer + offset, t->nbytes) != 0)
            || st_find(st, t->name) != t)
            abort();
        offset += t->nbytes;
        if (t->numel <= 256) {
            float f[256];
            int64_t v[256];
            (void)st_to_f32(t, f);
            (void)st_to_i64(t, v);
        }
    }
    if (offset != buffer_size) abort();
    (void)st_meta(st, "mode");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_file *st = NULL;
    if (st_parse(data, size, "fuzz", &st) == RECUR_OK) {
        check(st, data, size);
        st_free(st);
    }
    return 0;
}
