/* main.c — `recur`: dispatches to the subcommands. */
#include "cli.h"
#include "base/file.h"
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: recur <command> [options]\n"
    "\n"
    "Recurrent neural networks (RNN, LSTM, GRU) with PyTorch's numerics.\n"
    "\n"
    "commands:\n"
    "  train     train a model: --task charlm|wordlm (language models),\n"
    "            classify, forecast, music or tag\n"
    "  eval      score a model on data (loss, perplexity, accuracy, NLL)\n"
    "  predict   a classifier's labels, a forecaster's forecast or a\n"
    "            tagger's tags\n"
    "  sample    generate text or music from a model, streaming\n"
    "  forward   run an RNN stack from a safetensors file on inputs from\n"
    "            another, forward and (given output gradients) backward\n"
    "  info      list what a safetensors file holds\n"
    "  bench     time an RNN stack (inference, training, one step at a time)\n"
    "\n"
    "options:\n"
    "  -h, --help     this text; `recur <command> --help` for a command's\n"
    "  --version      the version\n";

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "recur %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The --cell names and the modes they stand for. */
static const struct {
    const char *name;
    recur_mode mode;
} cells[] = {{"lstm", RECUR_LSTM}, {"gru", RECUR_GRU},
             {"gru_reset_before", RECUR_GRU_RESET_BEFORE},
             {"rnn", RECUR_RNN_TANH}, {"rnn_relu", RECUR_RNN_RELU}};

int cli_parse_cell(const char *cell, recur_mode *mode)
{
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
        if (!strcmp(cell, cells[i].name)) {
            *mode = cells[i].mode;
            return 0;
        }
    return -1;
}

const char *cli_cell_name(recur_mode mode)
{
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
        if (cells[i].mode == mode)
            return cells[i].name;
    return NULL;
}

/* "m.safetensors" + ".best" -> "m.best.safetensors"; other names get the
 * suffix appended. */
char *cli_beside(const char *path, const char *suffix, int keep_ext)
{
    size_t n = strlen(path);
    const char *ext = ".safetensors";
    size_t e = strlen(ext);
    int has_ext = n > e && !strcmp(path + n - e, ext);
    size_t stem = has_ext ? n - e : n;
    char *out = malloc(n + strlen(suffix) + e + 1);
    if (!out)
        return NULL;
    memcpy(out, path, stem);
    strcpy(out + stem, suffix);
    if (keep_ext)
        strcat(out, ext);
    return out;
}

void cli_remove_stale_temps(const char *cmd, const char *path)
{
    size_t removed = 0;
    if (file_remove_stale_temps(path, &removed))
        fprintf(stderr, "recur %s: warning: %s; training anyway\n", cmd,
                recur_last_error());
    else if (removed)
        fprintf(stderr, "recur %s: removed %zu stale temporary file%s of %s "
                "(left by a save that was interrupted)\n", cmd, removed,
                removed == 1 ? "" : "s", path);
}

int cli_fail(const char *cmd, recur_status status)
{
    cli_error(cmd, "%s (%s)", recur_last_error(), recur_status_str(status));
    return EXIT_FAILURE_DATA;
}

/* The commands, by name (the name first: opt_nearest reads it). */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"train", cmd_train},     {"eval", cmd_eval},   {"predict", cmd_predict},
    {"sample", cmd_sample},   {"forward", cmd_forward}, {"info", cmd_info},
    {"bench", cmd_bench},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("recur %s\n", recur_version());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    /* A slip ("trian") gets the command meant, as options do. */
    const char *hint = opt_nearest(cmd, strlen(cmd), commands,
                                   sizeof commands / sizeof *commands,
                                   sizeof *commands);
    if (hint) {
        fprintf(stderr, "recur: unknown command '%s'; did you mean %s? (recur "
                "--help lists the commands)\n", cmd, hint);
        return EXIT_USAGE;
    }
    fprintf(stderr, "recur: unknown command '%s'\n\n%s", cmd, usage);
    return EXIT_USAGE;
}
