/*
 * file.h — reading a whole file, treating it as hostile: regular files
 * only (a FIFO or a device is refused without blocking), a size bound
 * checked before allocating, short reads and EINTR handled.
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

#endif
