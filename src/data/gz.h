/*
 * gz.h — a whole file read as its content, gzip-compressed or not
 * (internal API). A file that starts with gzip's magic bytes 1F 8B is
 * inflated with zlib (every member of a multi-member file, as gzip -d
 * does); any other file is read as it is. Either way the content is
 * bounded: a gzip bomb stops at the bound, a truncated or corrupt stream is
 * an error naming the file, never a crash.
 *
 * Thread safety: no shared state.
 */
#ifndef RECUR_GZ_H
#define RECUR_GZ_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

/* 1 when bytes[0..n) start with gzip's magic bytes 1F 8B. */
int gz_is_gzip(const unsigned char *bytes, size_t n);

/* Reads path's content (at most max_bytes, and a compressed file of at most
 * max_bytes) into *out, malloc'd with one byte more than *size holding a
 * NUL (a text parser may keep it); the caller frees. Errors: as file_read
 * (RECUR_ERR_IO naming the path and the system's reason; RECUR_ERR_UNSUPPORTED
 * for a file larger than max_bytes), RECUR_ERR_UNSUPPORTED for content
 * that inflates to more than max_bytes, RECUR_ERR_FORMAT for a gzip stream
 * that is corrupt, ends early or is followed by bytes that are not another
 * member ("PATH: gzip: ..."), RECUR_ERR_MEMORY. Outputs are untouched on
 * failure. */
recur_status gz_read(const char *path, uint64_t max_bytes, unsigned char **out,
                     size_t *size);

/* The same over in[0..n) in memory (name for messages): inflated when it
 * is gzip, else copied. */
recur_status gz_inflate(const unsigned char *in, size_t n, const char *name,
                        uint64_t max_bytes, unsigned char **out, size_t *size);

#endif
