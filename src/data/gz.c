/* gz.c — a file's content, inflated when it is gzip (gz.h). zlib reads the
 * gzip wrapper itself (inflateInit2 with windowBits 16 + MAX_WBITS); the
 * output grows by doubling up to the bound plus one byte, the byte that
 * tells content of exactly max_bytes from a bomb. */
#include "data/gz.h"
#include "base/error.h"
#include "base/file.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int gz_is_gzip(const unsigned char *bytes, size_t n)
{
    return n >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
}

/* zlib counts in uInt: a larger buffer goes in pieces. */
static uInt piece(size_t n) { return n > UINT_MAX ? UINT_MAX : (uInt)n; }

/* buf (room for *cap + 1 bytes) grown to hold more output: doubled, at
 * most limit. 0 when out of memory. */
static int grow(unsigned char **buf, size_t *cap, size_t limit)
{
    size_t want = *cap > limit / 2 ? limit : *cap * 2;
    unsigned char *b = realloc(*buf, want + 1);
    if (!b)
        return 0;
    *buf = b;
    *cap = want;
    return 1;
}

/* Inflates the gzip members in in[0..n) into *out (NUL-terminated). */
static recur_status inflate_all(const unsigned char *in, size_t n,
                                const char *name, uint64_t max_bytes,
                                unsigned char **out, size_t *size)
{
    /* The output may reach limit = max_bytes + 1 bytes: one more is a bomb. */
    size_t limit = max_bytes >= SIZE_MAX - 1 ? SIZE_MAX - 1
                                             : (size_t)max_bytes + 1;
    /* A first guess of 4 times the compressed size, at least 64 KiB. */
    size_t cap = n < limit / 4 ? n * 4 : limit;
    cap = cap < 65536 ? 65536 : cap;
    cap = cap > limit ? limit : cap;
    unsigned char *buf = malloc(cap + 1);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (!buf || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory to inflate",
                          name);
    }
    size_t pos = 0, have = 0;
    recur_status s = RECUR_OK;
    for (;;) {
        /* Full at the limit: more than max_bytes, refused below. */
        if (have == cap && cap == limit)
            break;
        if (have == cap && !grow(&buf, &cap, limit)) {
            s = error_fail(RECUR_ERR_MEMORY, "%s: out of memory to inflate "
                           "(%zu bytes so far)", name, have);
            break;
        }
        z.next_in = (Bytef *)(in + pos);
        z.avail_in = piece(n - pos);
        z.next_out = buf + have;
        z.avail_out = piece(cap - have);
        uInt in0 = z.avail_in, out0 = z.avail_out;
        int ret = inflate(&z, Z_NO_FLUSH);
        pos += in0 - z.avail_in;
        have += out0 - z.avail_out;
        if (ret == Z_OK)
            continue;
        if (ret == Z_STREAM_END) {
            if (pos == n)
                break;
            if (gz_is_gzip(in + pos, n - pos) && inflateReset(&z) == Z_OK)
                continue;
            s = error_fail(RECUR_ERR_FORMAT, "%s: gzip: %zu bytes after the "
                           "end of the compressed data (at byte %zu) are not "
                           "another gzip member", name, n - pos, pos);
        } else if (ret == Z_BUF_ERROR) {
            /* No progress with room to write: the input ran out. */
            s = error_fail(RECUR_ERR_FORMAT, "%s: gzip: truncated (the "
                           "compressed data ends after %zu bytes, %zu "
                           "inflated)", name, n, have);
        } else if (ret == Z_MEM_ERROR) {
            s = error_fail(RECUR_ERR_MEMORY, "%s: out of memory to inflate",
                           name);
        } else {
            s = error_fail(RECUR_ERR_FORMAT, "%s: gzip: corrupt data near "
                           "byte %zu (zlib: %s)", name, pos,
                           z.msg ? z.msg : "invalid stream");
        }
        break;
    }
    inflateEnd(&z);
    if (!s && have > max_bytes)
        s = error_fail(RECUR_ERR_UNSUPPORTED, "%s: gzip: more than the %llu "
                       "bytes recur reads once inflated", name,
                       (unsigned long long)max_bytes);
    if (s) {
        free(buf);
        return s;
    }
    buf[have] = '\0';
    *out = buf;
    *size = have;
    return RECUR_OK;
}

recur_status gz_inflate(const unsigned char *in, size_t n, const char *name,
                        uint64_t max_bytes, unsigned char **out, size_t *size)
{
    if ((!in && n) || !out || !size)
        return error_fail(RECUR_ERR_ARGUMENT, "no bytes to inflate (NULL)");
    name = name ? name : "data";
    if (gz_is_gzip(in, n))
        return inflate_all(in, n, name, max_bytes, out, size);
    if (n > max_bytes)
        return error_fail(RECUR_ERR_UNSUPPORTED, "%s: %zu bytes, more than "
                          "the %llu recur reads", name, n,
                          (unsigned long long)max_bytes);
    unsigned char *copy = malloc(n + 1);
    if (!copy)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", name);
    if (n)
        memcpy(copy, in, n);
    copy[n] = '\0';
    *out = copy;
    *size = n;
    return RECUR_OK;
}

recur_status gz_read(const char *path, uint64_t max_bytes, unsigned char **out,
                     size_t *size)
{
    if (!path || !out || !size)
        return error_fail(RECUR_ERR_ARGUMENT, "no file to read (NULL)");
    unsigned char *file;
    size_t n;
    recur_status s = file_read(path, max_bytes, &file, &n);
    if (s)
        return s;
    if (gz_is_gzip(file, n)) {
        s = inflate_all(file, n, path, max_bytes, out, size);
        free(file);
        return s;
    }
    /* Room for the NUL. */
    unsigned char *b = realloc(file, n + 1);
    if (!b) {
        free(file);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", path);
    }
    b[n] = '\0';
    *out = b;
    *size = n;
    return RECUR_OK;
}
