/*
 * lm_io.h — language models in safetensors checkpoints (lm_io.c).
 */
#ifndef RECUR_LM_IO_H
#define RECUR_LM_IO_H

#include "model/lm.h"
#include "io/safetensors.h"

/* Adds the model's tensors and metadata (task names what it was trained
 * for, e.g. "charlm") to a writer. */
recur_status lm_write(const recur_lm *lm, const char *task, st_writer *w);
/* Builds the model a checkpoint holds; `path` names it in messages. */
recur_status lm_read(const st_file *st, const char *path, recur_lm **out);

#endif
