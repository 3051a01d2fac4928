/*
 * st_meta.h — typed __metadata__ values of safetensors checkpoints
 * (st_meta.c), shared by the checkpoint readers and writers of every model.
 */
#ifndef RECUR_ST_META_H
#define RECUR_ST_META_H

#include "io/safetensors.h"

/* __metadata__ values: an unsigned integer <= max, a number; absent or
 * malformed is RECUR_ERR_FORMAT naming the key. */
recur_status meta_size(const st_file *st, const char *path, const char *key,
                       size_t max, size_t *out);
recur_status meta_double(const st_file *st, const char *path, const char *key,
                         double *out);
/* RECUR_OK when the file holds tensor `name` as a [rows, cols] matrix, else
 * RECUR_ERR_FORMAT naming it: checked before allocating what a header's
 * sizes imply. */
recur_status st_check_2d(const st_file *st, const char *path,
                         const char *name, size_t rows, size_t cols);
/* A float as the shortest decimal that reads back as it (floatfmt.h):
 * "0.002" for 2e-3f. */
recur_status meta_put_float(st_writer *w, const char *key, float v);
/* A formatted metadata value (at most 127 bytes). */
recur_status meta_put(st_writer *w, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
