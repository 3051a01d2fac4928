/*
 * options.c — the table-driven option parser and usage printer. See
 * options.h. Messages go through cli_error: "recur <cmd>: --x: problem".
 */
#include "options.h"
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COLUMN 24
#define WIDTH 80

static int has_range(const opt_spec *s)
{
    return s->type != OPT_STRING && s->type != OPT_FLAG &&
           s->type != OPT_CHOICE && !(s->min > s->max) &&
           !(s->min == 0 && s->max == 0);
}

static const char *metavar(const opt_spec *s)
{
    if (s->metavar)
        return s->metavar;
    switch (s->type) {
    case OPT_SIZE:
    case OPT_INT: return "N";
    case OPT_FLOAT: return "X";
    case OPT_CHOICE: return s->choices ? s->choices : "CHOICE";
    case OPT_FLAG: return "";
    case OPT_STRING: break;
    }
    return "VALUE";
}

/* A range bound as text: integers without exponent up to 1e15. */
static void fmt_bound(double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.15g", v);
}

static void fmt_range(const opt_spec *s, char *buf, size_t size)
{
    char lo[32], hi[32];
    fmt_bound(s->min, lo, sizeof lo);
    fmt_bound(s->max, hi, sizeof hi);
    snprintf(buf, size, "[%s, %s]", lo, hi);
}

/* Is the length-n word among the '|'-separated choices? */
static int among(const char *choices, const char *word, size_t n)
{
    for (const char *c = choices; c && *c;) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && strncmp(c, word, n) == 0)
            return 1;
        if (!bar)
            break;
        c = bar + 1;
    }
    return 0;
}

/* Parses text into s->dest. On failure writes the problem into why and
 * returns -1; dest is untouched. */
static int parse_value(const opt_spec *s, const char *text, char *why, size_t wsize)
{
    char *end;
    switch (s->type) {
    case OPT_STRING:
        if (!*text) {
            snprintf(why, wsize, "the value is empty");
            return -1;
        }
        *(const char **)s->dest = text;
        return 0;
    case OPT_CHOICE:
        if (!among(s->choices, text, strlen(text))) {
            snprintf(why, wsize, "'%s' is not one of %s", text,
                     s->choices ? s->choices : "(no choices)");
            return -1;
        }
        *(const char **)s->dest = text;
        return 0;
    case OPT_FLAG:
        if (strcmp(text, "0") != 0 && strcmp(text, "1") != 0) {
            snprintf(why, wsize, "a flag's default must be \"0\" or \"1\", not '%s'", text);
            return -1;
        }
        *(int *)s->dest = text[0] == '1';
        return 0;
    case OPT_SIZE: {
        if (text[0] == '-' && isdigit((unsigned char)text[1])) {
            if (has_range(s)) {
                char r[80];
                fmt_range(s, r, sizeof r);
                snprintf(why, wsize, "%s is out of range %s", text, r);
            } else {
                snprintf(why, wsize, "%s is negative; expected a whole number >= 0", text);
            }
            return -1;
        }
        if (!isdigit((unsigned char)text[0])) {
            snprintf(why, wsize, "'%s' is not a whole number >= 0", text);
            return -1;
        }
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (*end) {
            snprintf(why, wsize, "'%s' is not a whole number >= 0", text);
            return -1;
        }
        if (errno == ERANGE || v > SIZE_MAX) {
            snprintf(why, wsize, "%s is too large (at most %zu)", text, (size_t)SIZE_MAX);
            return -1;
        }
        if (has_range(s) && ((double)v < s->min || (double)v > s->max)) {
            char r[80];
            fmt_range(s, r, sizeof r);
            snprintf(why, wsize, "%s is out of range %s", text, r);
            return -1;
        }
        *(size_t *)s->dest = (size_t)v;
        return 0;
    }
    case OPT_INT: {
        int sign = text[0] == '-' || text[0] == '+';
        if (!isdigit((unsigned char)text[sign])) {
            snprintf(why, wsize, "'%s' is not a whole number", text);
            return -1;
        }
        errno = 0;
        long v = strtol(text, &end, 10);
        if (*end) {
            snprintf(why, wsize, "'%s' is not a whole number", text);
            return -1;
        }
        if (errno == ERANGE) {
            snprintf(why, wsize, "%s is out of range [%ld, %ld]", text, LONG_MIN, LONG_MAX);
            return -1;
        }
        if (has_range(s) && ((double)v < s->min || (double)v > s->max)) {
            char r[80];
            fmt_range(s, r, sizeof r);
            snprintf(why, wsize, "%s is out of range %s", text, r);
            return -1;
        }
        *(long *)s->dest = v;
        return 0;
    }
    case OPT_FLOAT: {
        int sign = text[0] == '-' || text[0] == '+';
        if (!isdigit((unsigned char)text[sign]) && text[sign] != '.') {
            const char *t = text + sign;
            int special = strncmp(t, "nan", 3) == 0 || strncmp(t, "NaN", 3) == 0 ||
                          strncmp(t, "NAN", 3) == 0 || strncmp(t, "inf", 3) == 0 ||
                          strncmp(t, "Inf", 3) == 0 || strncmp(t, "INF", 3) == 0;
            snprintf(why, wsize, special ? "%s is not a finite number"
                                         : "'%s' is not a number", text);
            return -1;
        }
        errno = 0;
        double v = strtod(text, &end);
        if (*end || end == text) {
            snprintf(why, wsize, "'%s' is not a number", text);
            return -1;
        }
        if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1)) {
            snprintf(why, wsize, "%s is too large for a double", text);
            return -1;
        }
        if (has_range(s) && (v < s->min || v > s->max)) {
            char r[80];
            fmt_range(s, r, sizeof r);
            snprintf(why, wsize, "%s is out of range %s", text, r);
            return -1;
        }
        *(double *)s->dest = v;
        return 0;
    }
    }
    snprintf(why, wsize, "unknown option type %d", (int)s->type);
    return -1;
}

/* The spec named by arg[0..n), or NULL. */
static const opt_spec *find(const opt_spec *specs, size_t n_specs, const char *arg,
                            size_t n)
{
    for (size_t k = 0; k < n_specs; k++)
        if (strlen(specs[k].name) == n && strncmp(specs[k].name, arg, n) == 0)
            return &specs[k];
    return NULL;
}

/* Levenshtein distance, or a large number for long strings. */
static size_t distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    enum { MAX = 64 };
    if (na > MAX || nb > MAX)
        return SIZE_MAX;
    size_t row[MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

const char *opt_nearest(const char *arg, size_t n, const void *names,
                        size_t count, size_t stride)
{
#define NAME(k) (*(const char *const *)((const char *)names + (k) * stride))
    const char *prefix_of = NULL;
    size_t prefixes = 0;
    for (size_t k = 0; k < count; k++)
        if (n > 2 && strncmp(NAME(k), arg, n) == 0) {
            prefix_of = NAME(k);
            prefixes++;
        }
    if (prefixes == 1)
        return prefix_of;
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t k = 0; k < count; k++) {
        size_t d = distance(arg, n, NAME(k));
        if (d < best_d) {
            best_d = d;
            best = NAME(k);
        }
    }
    return best;
#undef NAME
}

/* Does argv[i] look like an option, so that it cannot be a value? */
static int looks_like_option(const char *a)
{
    return a[0] == '-' && a[1] == '-' && a[2] != '\0';
}

int opt_parse(const char *cmd, const char *synopsis, const char *description,
              const opt_spec *specs, size_t n_specs, int argc, char **argv)
{
    char why[256];
    /* --help wins over any error, wherever it stands among the options. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            opt_usage(stdout, cmd, synopsis, description, specs, n_specs);
            return 1;
        }
        if (!looks_like_option(a) || strchr(a, '='))
            continue;
        const opt_spec *s = find(specs, n_specs, a, strlen(a));
        if (s && s->type != OPT_FLAG && i + 1 < argc && !looks_like_option(argv[i + 1]))
            i++;
    }

    for (size_t k = 0; k < n_specs; k++) {
        const opt_spec *s = &specs[k];
        if (s->given)
            *s->given = 0;
        if (s->type == OPT_FLAG && !s->def)
            *(int *)s->dest = 0;
        if (s->def && parse_value(s, s->def, why, sizeof why) != 0) {
            cli_error(cmd, "%s: bad default: %s", s->name, why);
            return EXIT_USAGE;
        }
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!looks_like_option(a)) {
            if (a[0] == '-' && a[1] != '\0')
                cli_error(cmd, "unknown option '%s' (see recur %s --help)", a, cmd);
            else
                cli_error(cmd, "unexpected argument '%s' (options are --name VALUE; "
                          "see recur %s --help)", a, cmd);
            return EXIT_USAGE;
        }
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        const opt_spec *s = find(specs, n_specs, a, n);
        if (!s) {
            const char *hint = opt_nearest(a, n, specs, n_specs, sizeof *specs);
            if (hint)
                cli_error(cmd, "unknown option '%.*s'; did you mean %s?", (int)n, a, hint);
            else
                cli_error(cmd, "unknown option '%.*s' (see recur %s --help)", (int)n, a,
                          cmd);
            return EXIT_USAGE;
        }
        if (s->type == OPT_FLAG) {
            if (eq) {
                cli_error(cmd, "%s is a flag and takes no value (got '%s')", s->name,
                          eq + 1);
                return EXIT_USAGE;
            }
            *(int *)s->dest = 1;
        } else {
            const char *value;
            if (eq) {
                value = eq + 1;
            } else if (i + 1 < argc && !looks_like_option(argv[i + 1])) {
                value = argv[++i];
            } else {
                if (i + 1 < argc)
                    cli_error(cmd, "%s needs a value %s (got option '%s'; a value "
                              "starting with -- goes as %s=VALUE)", s->name,
                              metavar(s), argv[i + 1], s->name);
                else
                    cli_error(cmd, "%s needs a value %s", s->name, metavar(s));
                return EXIT_USAGE;
            }
            if (!*value) {
                cli_error(cmd, "%s: the value is empty", s->name);
                return EXIT_USAGE;
            }
            if (parse_value(s, value, why, sizeof why) != 0) {
                cli_error(cmd, "%s: %s", s->name, why);
                return EXIT_USAGE;
            }
        }
        if (s->given)
            *s->given = 1;
    }
    return 0;
}

/* Writes text word by word from column `col`, wrapping to WIDTH with
 * continuation lines indented to `indent` (lines stay under WIDTH
 * columns, clear of terminals that wrap at the last one); ends the line. */
static void wrap(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " ");
        if (!first && col + 1 + len >= WIDTH) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            first = 1;
        }
        if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += len;
        p += len;
        first = 0;
    }
    fputc('\n', out);
}

void opt_usage(FILE *out, const char *cmd, const char *synopsis,
               const char *description, const opt_spec *specs, size_t n_specs)
{
    fprintf(out, "usage: recur %s %s\n", cmd, synopsis ? synopsis : "[options]");
    if (description && *description) {
        fputc('\n', out);
        wrap(out, description, 0, 0);
    }
    fputs("\noptions:\n", out);
    for (size_t k = 0; k < n_specs; k++) {
        const opt_spec *s = &specs[k];
        char left[160];
        const char *mv = metavar(s);
        int n = snprintf(left, sizeof left, "  %s%s%s", s->name, *mv ? " " : "", mv);
        size_t col = n < 0 ? 0 : (size_t)n >= sizeof left ? sizeof left - 1 : (size_t)n;
        fputs(left, out);
        if (col + 2 > HELP_COLUMN) {
            fprintf(out, "\n%*s", HELP_COLUMN, "");
        } else {
            fprintf(out, "%*s", (int)(HELP_COLUMN - col), "");
        }

        /* help (one of a|b; default: X; range [lo, hi]) */
        char text[1024], notes[512] = "";
        size_t used = 0;
#define NOTE(...)                                                                \
    do {                                                                         \
        if (used < sizeof notes)                                                 \
            used += (size_t)snprintf(notes + used, sizeof notes - used, "%s",    \
                                     used ? "; " : "");                          \
        if (used < sizeof notes)                                                 \
            used += (size_t)snprintf(notes + used, sizeof notes - used,          \
                                     __VA_ARGS__);                               \
    } while (0)
        if (s->type == OPT_CHOICE && s->metavar && s->choices)
            NOTE("one of %s", s->choices);
        if (s->type == OPT_FLAG) {
            if (s->def && s->def[0] == '1')
                NOTE("on by default");
        } else if (s->def) {
            /* A default such as "\n" is shown escaped, on its line. */
            char def[64];
            size_t at = 0;
            for (const char *d = s->def; *d && at + 5 < sizeof def; d++)
                at += (unsigned char)*d < ' '
                          ? (size_t)snprintf(def + at, sizeof def - at, *d == '\n'
                                             ? "\\n" : "\\x%02x", (unsigned char)*d)
                          : (size_t)snprintf(def + at, sizeof def - at, "%c", *d);
            def[at] = '\0';
            NOTE("default: %s", *def ? def : "\"\"");
        }
        if (has_range(s)) {
            char range[96];
            fmt_range(s, range, sizeof range);
            NOTE("range %s", range);
        }
#undef NOTE
        snprintf(text, sizeof text, "%s%s%s%s", s->help ? s->help : "",
                 *notes ? " (" : "", notes, *notes ? ")" : "");
        wrap(out, text, HELP_COLUMN, HELP_COLUMN);
    }
    fprintf(out, "  -h, --help%*s", HELP_COLUMN - 12, "");
    wrap(out, "this text", HELP_COLUMN, HELP_COLUMN);
}
