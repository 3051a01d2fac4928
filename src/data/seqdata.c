/* seqdata.c — freeing a set of examples (seqdata.h). */
#include "data/seqdata.h"

#include <stdlib.h>
#include <string.h>

void seq_data_free(seq_data *d)
{
    if (!d)
        return;
    free(d->offset);
    free(d->tokens);
    free(d->x);
    free(d->label);
    free(d->y);
    memset(d, 0, sizeof *d);
}
