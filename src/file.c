/* file.c — see file.h. */
#define _POSIX_C_SOURCE 200809L

#include "file.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

recur_status recur_read_file(const char *path, uint64_t max_bytes,
                             unsigned char **out, size_t *size_out)
{
    char ebuf[128];
    if (!path || !out || !size_out)
        return recur_fail(RECUR_ERR_ARGUMENT, "recur_read_file: NULL argument");
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
     * below as not a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return recur_fail(RECUR_ERR_IO, "%s: cannot open: %s", path,
                          recur_strerror(errno, ebuf, sizeof ebuf));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return recur_fail(RECUR_ERR_IO, "%s: cannot stat: %s", path,
                          recur_strerror(err, ebuf, sizeof ebuf));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return recur_fail(RECUR_ERR_IO, "%s: not a regular file", path);
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max_bytes) {
        close(fd);
        return recur_fail(RECUR_ERR_UNSUPPORTED,
                          "%s: %lld bytes, more than the %llu recur reads", path,
                          (long long)sb.st_size, (unsigned long long)max_bytes);
    }
    if ((uint64_t)sb.st_size >= SIZE_MAX) {
        close(fd);
        return recur_fail(RECUR_ERR_MEMORY, "%s: %lld bytes do not fit in memory",
                          path, (long long)sb.st_size);
    }
    size_t size = (size_t)sb.st_size;
    unsigned char *file = malloc(size ? size : 1);
    if (!file) {
        close(fd);
        return recur_fail(RECUR_ERR_MEMORY, "%s: out of memory for %zu bytes",
                          path, size);
    }
    size_t got = 0;
    while (got < size) {
        size_t want = size - got < ((size_t)1 << 30) ? size - got : (size_t)1 << 30;
        ssize_t n = read(fd, file + got, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = errno;
            close(fd);
            free(file);
            if (n == 0)
                return recur_fail(RECUR_ERR_IO,
                                  "%s: file shrank to %zu bytes while read", path,
                                  got);
            return recur_fail(RECUR_ERR_IO, "%s: read failed: %s", path,
                              recur_strerror(err, ebuf, sizeof ebuf));
        }
        got += (size_t)n;
    }
    close(fd);
    *out = file;
    *size_out = size;
    return RECUR_OK;
}
