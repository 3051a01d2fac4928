/*
 * info.c — `recur info FILE.safetensors`: what a safetensors file holds —
 * metadata, then one line per tensor with dtype, shape and, for float
 * tensors, min / max / mean — and, when it holds an RNN stack, the
 * architecture recur reads off it.
 */
#include "cli.h"
#include "io/safetensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur info FILE.safetensors\n"
    "\n"
    "Lists the metadata and tensors of a safetensors file (dtype, shape,\n"
    "min/max/mean of float tensors) and the RNN stack it holds, if any.\n";

static void print_stats(const st_tensor *t)
{
    if (t->numel == 0)
        return;
    float *v = malloc(t->numel * sizeof(float));
    if (!v || st_to_f32(t, v)) {
        free(v);
        return;
    }
    double lo = v[0], hi = v[0], sum = 0;
    for (size_t i = 0; i < t->numel; i++) {
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        sum += v[i];
    }
    printf("  min %-11.5g max %-11.5g mean %.5g", lo, hi, sum / (double)t->numel);
    free(v);
}

int cmd_info(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(usage, argc == 2 ? stdout : stderr);
        return argc == 2 ? EXIT_OK : EXIT_USAGE;
    }
    st_file *st;
    recur_status s = st_read(argv[1], &st);
    if (s)
        return cli_fail("info", s);
    printf("%s: %zu tensors\n", argv[1], st_count(st));
    const char *mode = st_meta(st, "mode");
    if (mode)
        printf("metadata mode = %s\n", mode);
    for (size_t i = 0; i < st_count(st); i++) {
        const st_tensor *t = st_at(st, i);
        char shape[160] = "[";
        for (size_t k = 0; k < t->ndim; k++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape),
                     "%s%zu", k ? "," : "", t->shape[k]);
        strncat(shape, "]", sizeof shape - strlen(shape) - 1);
        printf("%-32s %-5s %-14s", t->name, st_dtype_str(t->dtype), shape);
        print_stats(t);
        putchar('\n');
    }
    st_free(st);

    recur_rnn *rnn;
    if (recur_rnn_load(argv[1], &rnn) == RECUR_OK) {
        const recur_rnn_config *c = recur_rnn_get_config(rnn);
        printf("RNN stack '%s': %s, input %zu, hidden %zu", recur_rnn_get_prefix(rnn),
               recur_mode_str(c->mode), c->input_size, c->hidden_size);
        if (c->proj_size)
            printf(", proj %zu", c->proj_size);
        printf(", %zu layer%s, %s, %s%s, %zu parameters\n", c->num_layers,
               c->num_layers > 1 ? "s" : "",
               c->bidirectional ? "bidirectional" : "unidirectional",
               c->bias ? "bias" : "no bias",
               c->layer_norm ? ", layer norm" : "", recur_rnn_get_flat_size(rnn));
        recur_rnn_free(rnn);
    }
    return EXIT_OK;
}
