/*
 * file.h — reading a whole file, treating it as hostile: regular files
 * only (a FIFO or a device is refused without blocking), a size bound
 * checked before allocating, short reads and EINTR handled; and writing one
 * atomically, so that a reader never sees half of it, with the clean-up of
 * what such a write leaves when its process is killed.
 */
#ifndef RECUR_FILE_H
#define RECUR_FILE_H

#include "recur.h"

/* Reads path into a fresh buffer (*out, *size; caller frees). RECUR_ERR_IO
 * naming the path and the system's reason when it cannot be opened or read
 * or is not a regular file; RECUR_ERR_UNSUPPORTED when larger than max_bytes;
 * RECUR_ERR_MEMORY when it does not fit. */
recur_status file_read(const char *path, uint64_t max_bytes,
                             unsigned char **out, size_t *size);
/* The first min(file size, max_bytes) bytes of a regular file, with the
 * same checks and errors (any size of file is accepted). */
recur_status file_read_prefix(const char *path, size_t max_bytes,
                               unsigned char **out, size_t *size);

/* A piece of a file to write: size bytes at data (data may be NULL when
 * size is 0). */
typedef struct {
    const void *data;
    size_t size;
} file_part;

/* Writes the parts, in order, to path atomically: into a fresh
 * PATH.tmp.XXXXXX (created exclusively, mode 0666 less the umask), fsync,
 * close, rename onto path, fsync of the directory. An existing path is
 * replaced only when everything succeeded; on failure the temporary file is
 * removed. RECUR_ERR_ARGUMENT for a NULL or empty path; RECUR_ERR_IO naming
 * the path, the step that failed, the temporary file and the system's
 * reason; RECUR_ERR_MEMORY. Thread-safe (temporary names never collide). */
recur_status file_write(const char *path, const file_part *parts,
                              size_t count);

/* Removes the temporary files file_write(path) leaves when the
 * process dies between creating and renaming one: the regular files in
 * path's directory named exactly path's last component + ".tmp." + six
 * letters or digits (the one place that knows the pattern is file.c).
 * Nothing else is touched: not "PATH.tmp.longer-name", not another file's
 * temporaries, not a directory or a link of that name. Call it only when
 * no other process is writing path (it would remove that one's file in
 * progress). *removed (may be NULL) is how many went; a missing directory
 * has none. RECUR_ERR_ARGUMENT for a NULL or empty path or one ending in
 * '/'; RECUR_ERR_IO when the directory cannot be read or a file cannot be
 * removed, naming it and the system's reason (the others are still
 * removed; *removed is then left as it was); RECUR_ERR_MEMORY. */
recur_status file_remove_stale_temps(const char *path, size_t *removed);

#endif
