/*
 * options.h — the subcommands' table-driven option parser. Each command
 * describes its options once, in an opt_spec array; from it come both the
 * parsing (with a clear message for every bad value) and the --help text
 * (every option with its default, choices and range), so the two cannot
 * drift apart.
 *
 *     size_t hidden;  double lr;  const char *mode;  int resume_given;
 *     const opt_spec specs[] = {
 *         {.name = "--hidden", .type = OPT_SIZE, .dest = &hidden, .def = "128",
 *          .help = "hidden units per layer", .min = 1, .max = 65536},
 *         {.name = "--lr", .type = OPT_FLOAT, .dest = &lr, .def = "2e-3",
 *          .help = "learning rate", .min = 0, .max = 10},
 *         {.name = "--cell", .type = OPT_CHOICE, .dest = &mode, .def = "lstm",
 *          .choices = "lstm|gru|rnn", .help = "recurrent cell"},
 *         ...
 *     };
 *     int rc = opt_parse("train", "--data FILE [options]", "Trains ...",
 *                        specs, sizeof specs / sizeof *specs, argc, argv);
 *     if (rc) return rc == 1 ? EXIT_OK : EXIT_USAGE;
 *
 * Ranges: min..max inclusive is checked for OPT_SIZE, OPT_INT and
 * OPT_FLOAT; min > max means no check, and so does min == max == 0 (what a
 * designated initializer leaves), so only set both to bound a value.
 */
#ifndef RECUR_CLI_OPTIONS_H
#define RECUR_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    OPT_STRING, /* dest: const char ** (points into argv or at def) */
    OPT_SIZE,   /* dest: size_t *; a whole number >= 0, decimal */
    OPT_INT,    /* dest: long *; a whole number, may be negative */
    OPT_FLOAT,  /* dest: double *; finite (no NaN or inf) */
    OPT_FLAG,   /* dest: int *; 1 when present, else 0 (def "1" makes it 1);
                   takes no value */
    OPT_CHOICE  /* dest: const char **; one of the '|'-separated choices,
                   stored as the string (points into argv or at def) */
} opt_type;

typedef struct {
    const char *name;    /* "--hidden" */
    opt_type type;
    void *dest;
    const char *def;     /* default as text, parsed into dest before argv is
                            read; NULL: dest is left as the caller set it */
    const char *help;    /* one sentence; wrapped by opt_usage */
    const char *choices; /* OPT_CHOICE: "lstm|gru|rnn" */
    double min, max;     /* inclusive range; see above for "no check" */
    const char *metavar; /* "N", "PATH"; NULL: a default by type */
    int *given;          /* NULL, or set to 1 when the option appears on the
                            command line and 0 when it does not: tells a
                            default from a value the user chose */
} opt_spec;

/* Parses argv[1..argc-1] (argv[0] is the subcommand's name) against specs:
 * "--name value" or "--name=value"; flags take no value. A value may start
 * with '-' ("--min -1") but not with "--" unless given as --name=VALUE (so
 * "--model --input x" reports the missing value). When an option repeats,
 * the last one wins.
 * Returns 0 on success; 1 after printing the usage to stdout for "-h" or
 * "--help" anywhere among the options; 2 after printing one line
 * "recur <cmd>: <problem>" to stderr for an unknown option (with a
 * suggestion when one is close), a missing value, a malformed number
 * ("12abc", "", "0x", "1e999"), a value out of range or overflowing its
 * type, NaN or inf, a value not among the choices, a value given to a flag,
 * or a stray positional argument. On 2 the dests may hold partial results. */
int opt_parse(const char *cmd, const char *synopsis, const char *description,
              const opt_spec *specs, size_t n_specs, int argc, char **argv);

/* The name the user probably meant by arg[0..n) (an option, a command):
 * the only one that arg, 3 characters or more, begins; else the nearest
 * within two edits (Levenshtein); NULL when none is close. names: count
 * entries stride bytes apart, each beginning with its name as a const char *
 * (an array of strings, or of structs such as opt_spec whose first member
 * is the name). */
const char *opt_nearest(const char *arg, size_t n, const void *names,
                        size_t count, size_t stride);

/* Writes the usage: "usage: recur <cmd> <synopsis>", the description, then
 * every option with its metavar, help, "(default: X)" and its choices or
 * range, wrapped to 80 columns, and -h, --help. */
void opt_usage(FILE *out, const char *cmd, const char *synopsis,
               const char *description, const opt_spec *specs, size_t n_specs);

#endif
