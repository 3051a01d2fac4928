/*
 * st_meta.c — typed __metadata__ values of safetensors checkpoints, and the
 * shape check a checkpoint reader makes before allocating what a header's
 * sizes imply (used by every model's reader: lm_io.c, seqmodel.c).
 */
#include "io/st_meta.h"
#include "base/error.h"
#include "base/floatfmt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

recur_status meta_size(const st_file *st, const char *path, const char *key,
                       size_t max, size_t *out)
{
    const char *v = st_meta(st, key);
    if (!v)
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ has no '%s'",
                          path, key);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x > max)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: __metadata__ '%s' = '%.40s' is not an integer in "
                          "[0, %zu]", path, key, v, max);
    *out = (size_t)x;
    return RECUR_OK;
}

recur_status meta_double(const st_file *st, const char *path, const char *key,
                         double *out)
{
    const char *v = st_meta(st, key);
    if (!v)
        return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ has no '%s'",
                          path, key);
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || isnan(x))
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: __metadata__ '%s' = '%.40s' is not a number",
                          path, key, v);
    *out = x;
    return RECUR_OK;
}

recur_status meta_put(st_writer *w, const char *key, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return st_writer_meta(w, key, buf);
}

recur_status meta_put_float(st_writer *w, const char *key, float v)
{
    char buf[32];
    return st_writer_meta(w, key, floatfmt_shortest(buf, sizeof buf, v));
}

recur_status st_check_2d(const st_file *st, const char *path,
                         const char *name, size_t rows, size_t cols)
{
    const st_tensor *t = st_find(st, name);
    if (t && t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols)
        return RECUR_OK;
    return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%s' is missing or not "
                      "[%zu,%zu] as the metadata implies", path, name, rows,
                      cols);
}
