/*
 * floatfmt.h — a float as text: the shortest decimal that reads back as the
 * same float, so 2e-3f is written "0.002" and not "0.00200000009" (%.9g of
 * the float widened to double), and reads back bit for bit. For metadata,
 * logs and messages that show a float a user set (a learning rate, a
 * dropout).
 */
#ifndef RECUR_FLOATFMT_H
#define RECUR_FLOATFMT_H

#include <stddef.h>

/* Writes v with the fewest significant digits, 1 to 9 in %g's form, that
 * strtof reads back as v and strtod narrowed to float does too (readers
 * take either way); NaN and infinities as %g writes them. buf of at least
 * 16 bytes holds any float. Returns buf. */
const char *floatfmt_shortest(char *buf, size_t size, float v);

#endif
