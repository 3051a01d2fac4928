/* error.c — status names and the thread-local detailed message. */
#include "base/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

const char *recur_status_str(recur_status status)
{
    switch (status) {
    case RECUR_OK: return "RECUR_OK";
    case RECUR_ERR_ARGUMENT: return "RECUR_ERR_ARGUMENT";
    case RECUR_ERR_MEMORY: return "RECUR_ERR_MEMORY";
    case RECUR_ERR_IO: return "RECUR_ERR_IO";
    case RECUR_ERR_FORMAT: return "RECUR_ERR_FORMAT";
    case RECUR_ERR_SHAPE: return "RECUR_ERR_SHAPE";
    case RECUR_ERR_STATE: return "RECUR_ERR_STATE";
    case RECUR_ERR_UNSUPPORTED: return "RECUR_ERR_UNSUPPORTED";
    }
    return "RECUR_ERR_UNKNOWN";
}

const char *recur_last_error(void) { return last_error; }

recur_status error_fail(recur_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

int size_mul_ok(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

int size_add_ok(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

const char *error_str(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}
