/*
 * error.h — the library's error reporting: set a thread-local message and
 * return the status in one statement:
 *     return error_fail(RECUR_ERR_SHAPE, "%s has shape [%zu,%zu], expected ...", ...);
 */
#ifndef RECUR_ERROR_H
#define RECUR_ERROR_H

#include "recur.h"

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
recur_status error_fail(recur_status status, const char *fmt, ...);

/* The system's message for errno value err, in buf (never NULL). */
const char *error_str(int err, char *buf, size_t size);

/* Checked size arithmetic: 0 on overflow (and *out untouched), 1 otherwise. */
int size_mul_ok(size_t a, size_t b, size_t *out);
int size_add_ok(size_t a, size_t b, size_t *out);

#endif
