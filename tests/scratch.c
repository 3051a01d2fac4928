/* scratch.c — the CLI tests' scratch directory; see scratch.h. */
#include "scratch.h"
#include "spawn.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

char scratch[256], capture[300];

int scratch_open(const char *prefix)
{
    return spawn_scratch_open(prefix, scratch, sizeof scratch, capture,
                              sizeof capture);
}

void scratch_close(void)
{
    spawn_remove_tree(scratch);
    CHECK(!spawn_exists(scratch), "could not remove %s", scratch);
}

const char *in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}

int write_text(const char *path, const char *text)
{
    return spawn_write_file(path, text, strlen(text));
}
