/*
 * file.h — reading a whole file, treating it as hostile: regular files
 * only (a FIFO or a device is refused without blocking), a size bound
 * checked before allocating, short reads and EINTR handled; and writing one
 * atomically, so that a reader never sees half of it.
 */
#ifndef RECUR_FILE_H
#define RECUR_FILE_H

#include "recur.h"

/* Reads path into a fresh buffer (*out, *size; caller frees). RECUR_ERR_IO
 * naming the path and the system's reason when it cannot be opened or read
 * or is not a regular file; RECUR_ERR_UNSUPPORTED when larger than max_bytes;
 * RECUR_ERR_MEMORY when it does not fit. */
recur_status recur_read_file(const char *path, uint64_t max_bytes,
                             unsigned char **out, size_t *size);
/* The first min(file size, max_bytes) bytes of a regular file, with the
 * same checks and errors (any size of file is accepted). */
recur_status recur_read_prefix(const char *path, size_t max_bytes,
                               unsigned char **out, size_t *size);

/* A piece of a file to write: size bytes at data (data may be NULL when
 * size is 0). */
typedef struct {
    const void *data;
    size_t size;
} recur_file_part;

/* Writes the parts, in order, to path atomically: into a fresh
 * PATH.tmp.XXXXXX (created exclusively, mode 0666 less the umask), fsync,
 * close, rename onto path, fsync of the directory. An existing path is
 * replaced only when everything succeeded; on failure the temporary file is
 * removed. RECUR_ERR_ARGUMENT for a NULL or empty path; RECUR_ERR_IO naming
 * the path, the step that failed, the temporary file and the system's
 * reason; RECUR_ERR_MEMORY. Thread-safe (temporary names never collide). */
recur_status recur_write_file(const char *path, const recur_file_part *parts,
                              size_t count);

#endif
