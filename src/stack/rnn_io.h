/*
 * rnn_io.h — building an RNN stack from an already parsed safetensors file
 * (the file-level API, recur_rnn_load / recur_rnn_save, is in recur.h).
 */
#ifndef RECUR_RNN_IO_H
#define RECUR_RNN_IO_H

#include "io/safetensors.h"

/* Reads the one stack held in st (see rnn_io.c for the naming rules);
 * `path` names the file in messages. The caller owns *out. */
recur_status rnn_from_st(const st_file *st, const char *path, recur_rnn **out);
/* The same for the stack whose names begin with prefix ("", "rnn.",
 * "grad."), any other stack of the file ignored: a file can hold a stack
 * and its gradients (grad.<name>). */
recur_status rnn_from_st_prefix(const st_file *st, const char *path,
                                const char *prefix, recur_rnn **out);

#endif
