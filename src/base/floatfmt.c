/*
 * floatfmt.c — floats as the shortest text that reads back the same
 * (floatfmt.h).
 */
#include "base/floatfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *floatfmt_shortest(char *buf, size_t size, float v)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%g", (double)v);
        return buf;
    }
    /* 9 significant digits always read back (FLT_DECIMAL_DIG). */
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(buf, size, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v && (float)strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
