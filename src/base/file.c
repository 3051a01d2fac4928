/* file.c — see file.h. */
#define _POSIX_C_SOURCE 200809L

#include "base/file.h"
#include "base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Opens path for reading if it is a regular file of at most max_bytes:
 * the descriptor in *fd and its size in *size, else a status (nothing
 * left open). */
static recur_status open_regular(const char *path, uint64_t max_bytes, int *fd_out,
                                 size_t *size_out)
{
    char ebuf[128];
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
     * below as not a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return error_fail(RECUR_ERR_IO, "%s: cannot open: %s", path,
                          error_str(errno, ebuf, sizeof ebuf));
    struct stat sb;
    recur_status s = RECUR_OK;
    if (fstat(fd, &sb) != 0)
        s = error_fail(RECUR_ERR_IO, "%s: cannot stat: %s", path,
                       error_str(errno, ebuf, sizeof ebuf));
    else if (!S_ISREG(sb.st_mode))
        s = error_fail(RECUR_ERR_IO, "%s: not a regular file", path);
    else if (sb.st_size < 0 || (uint64_t)sb.st_size > max_bytes)
        s = error_fail(RECUR_ERR_UNSUPPORTED,
                       "%s: %lld bytes, more than the %llu recur reads", path,
                       (long long)sb.st_size, (unsigned long long)max_bytes);
    else if ((uint64_t)sb.st_size >= SIZE_MAX)
        s = error_fail(RECUR_ERR_MEMORY, "%s: %lld bytes do not fit in memory",
                       path, (long long)sb.st_size);
    if (s) {
        close(fd);
        return s;
    }
    *fd_out = fd;
    *size_out = (size_t)sb.st_size;
    return RECUR_OK;
}

/* Reads size bytes from fd into a fresh buffer; closes fd. */
static recur_status read_fd(const char *path, int fd, size_t size,
                            unsigned char **out)
{
    char ebuf[128];
    unsigned char *file = malloc(size ? size : 1);
    if (!file) {
        close(fd);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory for %zu bytes",
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
                return error_fail(RECUR_ERR_IO,
                                  "%s: file shrank to %zu bytes while read", path,
                                  got);
            return error_fail(RECUR_ERR_IO, "%s: read failed: %s", path,
                              error_str(err, ebuf, sizeof ebuf));
        }
        got += (size_t)n;
    }
    close(fd);
    *out = file;
    return RECUR_OK;
}

/* Both readers: a regular file of at most max_file bytes, its first
 * max_read of them (what names the caller in the NULL-argument message). */
static recur_status read_regular(const char *what, const char *path,
                                 uint64_t max_file, size_t max_read,
                                 unsigned char **out, size_t *size_out)
{
    if (!path || !out || !size_out)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", what);
    int fd;
    size_t size;
    recur_status s = open_regular(path, max_file, &fd, &size);
    if (s)
        return s;
    size = size < max_read ? size : max_read;
    s = read_fd(path, fd, size, out);
    if (!s)
        *size_out = size;
    return s;
}

recur_status file_read(const char *path, uint64_t max_bytes,
                             unsigned char **out, size_t *size_out)
{
    return read_regular("file_read", path, max_bytes, SIZE_MAX, out,
                        size_out);
}

recur_status file_read_prefix(const char *path, size_t max_bytes,
                               unsigned char **out, size_t *size_out)
{
    return read_regular("file_read_prefix", path, UINT64_MAX, max_bytes, out,
                        size_out);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                   */

static int write_all(int fd, const void *buf, size_t size)
{
    const unsigned char *p = buf;
    while (size > 0) {
        size_t want = size < ((size_t)1 << 30) ? size : (size_t)1 << 30;
        ssize_t n = write(fd, p, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

static atomic_uint_fast64_t temp_counter;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9u;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* The temporary name of PATH is PATH + TEMP_INFIX + TEMP_RANDOM of
 * temp_letters (mkstemp's alphabet and length): create_temp makes them,
 * is_temp_of recognises them, nothing else knows the pattern. */
#define TEMP_INFIX ".tmp."
enum { TEMP_INFIX_LEN = sizeof TEMP_INFIX - 1, TEMP_RANDOM = 6 };
static const char temp_letters[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/* Creates PATH.tmp.XXXXXX exclusively with mode 0666 less the umask, the
 * mode a plain fopen would give (mkstemp's 0600 would end up on PATH).
 * tmp holds strlen(path) + 12 bytes. Returns the descriptor or -1, errno set. */
static int create_temp(const char *path, char *tmp, size_t tmp_size)
{
    const size_t n_letters = sizeof temp_letters - 1;
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) now.tv_sec = now.tv_nsec = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        uint64_t x = mix64((uint64_t)getpid() << 32 ^ (uint64_t)now.tv_nsec
                           ^ (uint64_t)now.tv_sec << 20
                           ^ mix64(atomic_fetch_add(&temp_counter, 1) + 1));
        char suffix[TEMP_RANDOM + 1];
        for (int i = 0; i < TEMP_RANDOM; i++) {
            suffix[i] = temp_letters[x % n_letters];
            x /= n_letters;
        }
        suffix[TEMP_RANDOM] = '\0';
        snprintf(tmp, tmp_size, "%s" TEMP_INFIX "%s", path, suffix);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

/* The directory path's file is in ("." for a bare name, "/" for one at
 * the root), malloc'd; NULL when out of memory. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t len = !slash || slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (dir) {
        memcpy(dir, slash ? path : ".", len);
        dir[len] = '\0';
    }
    return dir;
}

/* Makes the rename durable. Failure is not reported: the file is in place
 * and complete either way; only a crash right now could lose the rename. */
static void sync_parent_dir(const char *path)
{
    char *dir = dir_of(path);
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

recur_status file_write(const char *path, const file_part *parts,
                              size_t count)
{
    char ebuf[128];
    if (!path || (!parts && count))
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to write (NULL)",
                          path ? "data" : "file path");
    if (path[0] == '\0')
        return error_fail(RECUR_ERR_ARGUMENT, "an empty file path to write");
    size_t tmp_size = strlen(path) + 12;
    char *tmp = malloc(tmp_size);
    if (!tmp)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", path);

    const char *step = "cannot create temporary file";
    int fd = create_temp(path, tmp, tmp_size);
    int ok = fd >= 0;
    if (ok) {
        step = "write failed";
        for (size_t i = 0; ok && i < count; i++)
            if (parts[i].size)
                ok = write_all(fd, parts[i].data, parts[i].size) == 0;
        if (ok) {
            step = "fsync failed";
            ok = fsync(fd) == 0;
        }
        int err = errno;
        if (close(fd) != 0 && ok) {
            step = "close failed";
            ok = 0;
            err = errno;
        }
        if (ok) {
            step = "cannot rename the temporary file onto it";
            ok = rename(tmp, path) == 0;
            err = errno;
        }
        if (!ok) unlink(tmp);
        errno = err;
    }
    if (!ok) {
        recur_status s = error_fail(RECUR_ERR_IO, "%s: %s (%s): %s", path, step,
                                    tmp, error_str(errno, ebuf, sizeof ebuf));
        free(tmp);
        return s;
    }
    free(tmp);
    sync_parent_dir(path);
    return RECUR_OK;
}

/* Is name base + TEMP_INFIX + TEMP_RANDOM of temp_letters, and nothing
 * more? */
static int is_temp_of(const char *name, const char *base, size_t base_len)
{
    if (strlen(name) != base_len + TEMP_INFIX_LEN + TEMP_RANDOM ||
        memcmp(name, base, base_len) != 0 ||
        memcmp(name + base_len, TEMP_INFIX, TEMP_INFIX_LEN) != 0)
        return 0;
    for (const char *c = name + base_len + TEMP_INFIX_LEN; *c; c++)
        if (!memchr(temp_letters, *c, sizeof temp_letters - 1))
            return 0;
    return 1;
}

recur_status file_remove_stale_temps(const char *path, size_t *removed)
{
    char ebuf[128];
    if (!path || path[0] == '\0')
        return error_fail(RECUR_ERR_ARGUMENT, "%s file path to clean up after",
                          path ? "an empty" : "no (NULL)");
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (base[0] == '\0')
        return error_fail(RECUR_ERR_ARGUMENT, "%s names a directory, not a file",
                          path);
    char *dir = dir_of(path);
    if (!dir)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", path);
    DIR *d = opendir(dir);
    if (!d) {
        int err = errno;
        recur_status s = RECUR_OK;
        /* No directory: no temporary file either (the save reports it). */
        if (err != ENOENT && err != ENOTDIR)
            s = error_fail(RECUR_ERR_IO, "%s: cannot read the directory to "
                           "remove stale temporary files: %s", dir,
                           error_str(err, ebuf, sizeof ebuf));
        free(dir);
        if (!s && removed)
            *removed = 0;
        return s;
    }
    const size_t base_len = strlen(base);
    size_t count = 0;
    int err = 0;
    char failed[256] = "";
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno && !err) {
                err = errno;
                snprintf(failed, sizeof failed, "%s: cannot read the directory",
                         dir);
            }
            break;
        }
        struct stat sb;
        if (!is_temp_of(e->d_name, base, base_len) ||
            fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(sb.st_mode))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
            count++;
        } else if (!err) {
            err = errno;
            snprintf(failed, sizeof failed, "cannot remove %s/%s", dir,
                     e->d_name);
        }
    }
    closedir(d);
    free(dir);
    if (err)
        return error_fail(RECUR_ERR_IO, "%s: %s (%zu stale temporary files of "
                          "%s removed)", failed,
                          error_str(err, ebuf, sizeof ebuf), count, path);
    if (removed)
        *removed = count;
    return RECUR_OK;
}
