/* test_example.c — the example program in examples/ builds and runs. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void test_example(void)
{
    const char *bin = getenv("RECUR_EXAMPLE");
    char cmd[600], out[4096] = "";
    snprintf(cmd, sizeof cmd, "%s 2>&1", bin && *bin ? bin : "build/example");
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "cannot run %s", cmd);
    if (!p)
        return;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    CHECK(status == 0, "example exited with status %d:\n%s", status, out);
    /* Past its length a sequence's output is exactly zero. */
    CHECK(strstr(out, "(past its length) = 0.0\n") != NULL,
          "example output lacks the zero padding line:\n%s", out);
    CHECK(strstr(out, "the first is weight_ih_l0 [20, 3]") != NULL,
          "example output lacks the parameter line:\n%s", out);
}
