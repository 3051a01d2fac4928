/*
 * lm_io.h — language models in safetensors checkpoints (lm_io.c), and the
 * typed __metadata__ accessors the checkpoint readers share.
 */
#ifndef RECUR_LM_IO_H
#define RECUR_LM_IO_H

#include "model/lm.h"
#include "io/safetensors.h"

#include <stdarg.h>

/* Adds the model's tensors and metadata (task names what it was trained
 * for, e.g. "charlm") to a writer. */
recur_status lm_write(const recur_lm *lm, const char *task, st_writer *w);
/* Builds the model a checkpoint holds; `path` names it in messages. */
recur_status lm_read(const st_file *st, const char *path, recur_lm **out);

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
/* A formatted metadata value (at most 127 bytes). */
recur_status meta_put(st_writer *w, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
