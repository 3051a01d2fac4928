/*
 * safetensors.h — reading and writing safetensors files (internal API).
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [2,3], "data_offsets": [b, e]}, ...,
 *    "__metadata__": {"key": "value", ...}}
 * then the data buffer; offsets are relative to the start of the buffer.
 *
 * Every file is hostile: the reader checks the header length against the
 * file size and a bound (RECUR_ST_MAX_HEADER), the JSON's form and depth,
 * dtype names, dims (non-negative integers, product without overflow),
 * byte counts against shape × dtype size, offsets inside the buffer, no
 * overlap, no hole, no duplicate names. Errors name the tensor and the problem.
 */
#ifndef RECUR_SAFETENSORS_H
#define RECUR_SAFETENSORS_H

#include "recur.h"

#define RECUR_ST_MAX_HEADER ((uint64_t)100 * 1024 * 1024)
#define RECUR_ST_MAX_DIMS 8

typedef enum {
    RECUR_DT_BOOL, RECUR_DT_U8, RECUR_DT_I8, RECUR_DT_I16, RECUR_DT_U16,
    RECUR_DT_F16, RECUR_DT_BF16, RECUR_DT_I32, RECUR_DT_U32, RECUR_DT_F32,
    RECUR_DT_F64, RECUR_DT_I64, RECUR_DT_U64, RECUR_DT_F8_E4M3,
    RECUR_DT_F8_E5M2
} recur_dtype;

const char *recur_dtype_str(recur_dtype dtype);
size_t recur_dtype_size(recur_dtype dtype);

typedef struct {
    const char *name;              /* owned by the file object */
    recur_dtype dtype;
    size_t ndim;
    size_t shape[RECUR_ST_MAX_DIMS];
    size_t numel;                  /* product of shape (1 for ndim 0) */
    const unsigned char *data;     /* inside the file buffer; may be unaligned */
    size_t nbytes;
} recur_st_tensor;

typedef struct recur_st recur_st;

/* Reads and validates a whole file. On success the caller owns *out. */
recur_status recur_st_read(const char *path, recur_st **out);
/* The same over a buffer in memory (copied); `what` names it in messages. */
recur_status recur_st_parse(const void *bytes, size_t size, const char *what,
                            recur_st **out);
void recur_st_free(recur_st *st);
/* One __metadata__ string of the file at path, read from its header alone
 * (the tensors are neither read nor checked: for a look before the real
 * read). *found is 0 when the key is absent or not a string; otherwise the
 * value, cut to size - 1 bytes, is in buf. RECUR_ERR_FORMAT for a header
 * that is truncated, too long or not JSON; the errors of recur_read_file. */
recur_status recur_st_peek_meta(const char *path, const char *key, char *buf,
                                size_t size, int *found);

size_t recur_st_count(const recur_st *st);
const recur_st_tensor *recur_st_at(const recur_st *st, size_t index);
/* NULL when absent. */
const recur_st_tensor *recur_st_find(const recur_st *st, const char *name);
/* A __metadata__ value; NULL when absent. */
const char *recur_st_meta(const recur_st *st, const char *key);

/* Converts a tensor of dtype F32, F64, F16 or BF16 into float32 at dst
 * (numel floats); RECUR_ERR_SHAPE naming the tensor for any other dtype. */
recur_status recur_st_to_f32(const recur_st_tensor *t, float *dst);
/* Converts a tensor of dtype I64, I32 (or U8/I8/I16/U16/U32/U64) into int64
 * at dst; RECUR_ERR_SHAPE for float dtypes or values beyond int64. */
recur_status recur_st_to_i64(const recur_st_tensor *t, int64_t *dst);

/* Writer: collects tensors (data borrowed until write) and metadata, then
 * writes the file atomically: PATH.tmp.XXXXXX, fsync, rename over PATH.
 * On failure no file is left at PATH.tmp.* and PATH is untouched. */
typedef struct recur_st_writer recur_st_writer;
recur_status recur_st_writer_new(recur_st_writer **out);
recur_status recur_st_writer_add(recur_st_writer *w, const char *name,
                                 recur_dtype dtype, size_t ndim,
                                 const size_t *shape, const void *data);
recur_status recur_st_writer_meta(recur_st_writer *w, const char *key,
                                  const char *value);
recur_status recur_st_writer_write(recur_st_writer *w, const char *path);
void recur_st_writer_free(recur_st_writer *w);

#endif
