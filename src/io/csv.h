/*
 * csv.h — a small, strict CSV reader (RFC 4180) for the data readers
 * (internal API).
 *
 * The first record is the header; every record must have as many fields
 * as the header. Records end at CRLF or LF (a bare CR is refused); the
 * last one may lack its line end. A field is either unquoted (no '"', ','
 * or line end inside) or wholly quoted: "..." with "" for a quote, and
 * commas and line ends allowed inside. Text after a closing quote is
 * refused. Blank lines (outside quotes) are skipped, so a trailing one
 * does no harm; a missing value in a one-column file is written "" or NA.
 * A UTF-8 byte-order mark at the start is dropped. Spaces are part of a
 * field (RFC 4180); the number parser in series.h trims them.
 *
 * Hostile input: NUL bytes, ragged records, unterminated quotes and files
 * over RECUR_CSV_MAX_BYTES are refused with a message naming the file and
 * the line ("prices.csv: line 7: 3 fields, header has 2").
 *
 * Thread safety: no shared state; a table is read-only once read.
 */
#ifndef RECUR_CSV_H
#define RECUR_CSV_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

#define RECUR_CSV_MAX_BYTES ((uint64_t)1 << 30)

/* A table of rows x cols fields, each a NUL-terminated string (quotes
 * removed, "" unescaped). Everything lives in one allocation, `block`. */
typedef struct {
    const char *name;  /* the file name given (messages) */
    size_t rows;       /* data records, the header not counted */
    size_t cols;
    const char **cell; /* [(rows + 1) * cols], row-major; row 0 is the header */
    size_t *line;      /* [rows + 1]: the 1-based line where each record
                          begins (row 0: the header's) */
    void *block;
} csv_table;

/* Field col of data row `row` (0-based, header excluded). */
static inline const char *csv_cell(const csv_table *t, size_t row,
                                          size_t col)
{
    return t->cell[(row + 1) * t->cols + col];
}

/* The file line where data row `row` begins. */
static inline size_t csv_line(const csv_table *t, size_t row)
{
    return t->line[row + 1];
}

static inline const char *csv_header(const csv_table *t, size_t col)
{
    return t->cell[col];
}

/* Reads path (at most RECUR_CSV_MAX_BYTES). Errors: RECUR_ERR_IO /
 * RECUR_ERR_UNSUPPORTED as file_read; RECUR_ERR_FORMAT for an empty
 * file, a NUL byte, a ragged record, an unterminated quote (naming the line
 * where it began), text after a closing quote, a quote inside an unquoted
 * field or a bare CR; RECUR_ERR_MEMORY. A header without data rows is a
 * valid table (rows == 0). The caller owns *out (csv_free); it is
 * untouched on failure. */
recur_status csv_read(const char *path, csv_table *out);
/* The same over bytes[0..n) (not kept); `name` names them in messages. */
recur_status csv_parse(const unsigned char *bytes, size_t n,
                             const char *name, csv_table *out);
/* Frees the block and zeroes *t; NULL is allowed. */
void csv_free(csv_table *t);

/* The 0-based column that spec names: a header name (compared without
 * surrounding spaces), else a 1-based index in decimal ("2"). A name
 * wins over an index when a header is itself a number. RECUR_ERR_ARGUMENT
 * naming the file and listing the columns when there is no such column,
 * the index is out of range, or the name appears twice. */
recur_status csv_column(const csv_table *t, const char *spec,
                              size_t *col);

#endif
