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
 * overlap, no hole, no duplicate names. Errors name the tensor and the problem;
 * a file whose first 8 bytes are no header length (a length beyond the file
 * and no '{' after them, or a header that does not begin with '{') is
 * "PATH is not a safetensors file (...)".
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
} st_dtype;

const char *st_dtype_str(st_dtype dtype);
size_t st_dtype_size(st_dtype dtype);

typedef struct {
    const char *name;              /* owned by the file object */
    st_dtype dtype;
    size_t ndim;
    size_t shape[RECUR_ST_MAX_DIMS];
    size_t numel;                  /* product of shape (1 for ndim 0) */
    const unsigned char *data;     /* inside the file buffer; may be unaligned */
    size_t nbytes;
} st_tensor;

typedef struct st_file st_file;

/* Reads and validates a whole file. On success the caller owns *out. */
recur_status st_read(const char *path, st_file **out);
/* The same over a buffer in memory (copied); `what` names it in messages. */
recur_status st_parse(const void *bytes, size_t size, const char *what,
                            st_file **out);
void st_free(st_file *st);
/* One __metadata__ string of the file at path, read from its header alone
 * (the tensors are neither read nor checked: for a look before the real
 * read). *found is 0 when the key is absent or not a string; otherwise the
 * value, cut to size - 1 bytes, is in buf. RECUR_ERR_FORMAT for a header
 * that is truncated, too long or not JSON; the errors of file_read. */
recur_status st_peek_meta(const char *path, const char *key, char *buf,
                                size_t size, int *found);

size_t st_count(const st_file *st);
const st_tensor *st_at(const st_file *st, size_t index);
/* NULL when absent. */
const st_tensor *st_find(const st_file *st, const char *name);
/* A __metadata__ value; NULL when absent. */
const char *st_meta(const st_file *st, const char *key);
/* The number of __metadata__ entries, and the index-th one (in ascending
 * byte order of the keys): 1 with *key and *value set (either may be
 * NULL), 0 when index is out of range. */
size_t st_meta_count(const st_file *st);
int st_meta_at(const st_file *st, size_t index, const char **key,
               const char **value);

/* Converts a tensor of dtype F32, F64, F16 or BF16 into float32 at dst
 * (numel floats); RECUR_ERR_SHAPE naming the tensor for any other dtype. */
recur_status st_to_f32(const st_tensor *t, float *dst);
/* Converts a tensor of dtype I64, I32 (or U8/I8/I16/U16/U32/U64) into int64
 * at dst; RECUR_ERR_SHAPE for float dtypes or values beyond int64. */
recur_status st_to_i64(const st_tensor *t, int64_t *dst);

/* Writer: collects tensors (data borrowed until write) and metadata, then
 * writes the file atomically: PATH.tmp.XXXXXX, fsync, rename over PATH.
 * On failure no file is left at PATH.tmp.* and PATH is untouched. */
typedef struct st_writer st_writer;
recur_status st_writer_new(st_writer **out);
recur_status st_writer_add(st_writer *w, const char *name,
                                 st_dtype dtype, size_t ndim,
                                 const size_t *shape, const void *data);
recur_status st_writer_meta(st_writer *w, const char *key,
                                  const char *value);
recur_status st_writer_write(st_writer *w, const char *path);
void st_writer_free(st_writer *w);

#endif
