/*
 * pianoroll.h — polyphonic music as piano rolls: the text files of the
 * four Boulanger-Lewandowski (2012) sets (JSB chorales, Nottingham,
 * MuseData, Piano-midi.de), and the examples of next-step prediction
 * built from them (internal API).
 *
 * Text format (data/jsb_chorales/PROVENANCE.md): one piece per line; its
 * time steps (frames) separated by one space; a step is the MIDI numbers
 * sounding in it, ascending, joined by ',', or '-' when none sounds, e.g.
 *     60,64,67 - 62,65
 * The reader is strict, so that text -> roll -> text gives the same bytes:
 *   - MIDI numbers are decimal digits without sign or leading zero, in
 *     21..108 (the 88 piano keys; key k = MIDI number - 21, A0..C8), and
 *     strictly ascending within a step;
 *   - no empty step (two spaces, a space at either end of a line) and no
 *     empty note (",," or a ',' at either end of a step); '-' stands alone;
 *   - lines end with "\n" or "\r\n"; the last line may lack its line end;
 *     a '\r' anywhere else is an error;
 *   - an empty line is an error (refused, not skipped: every piece has at
 *     least one frame, and a blank line in these files means damage).
 * Every error is RECUR_ERR_FORMAT "FILE: line N, step S: problem" with
 * 1-based N and S.
 *
 * Thread safety: no shared state.
 */
#ifndef RECUR_PIANOROLL_H
#define RECUR_PIANOROLL_H

#include "recur.h"
#include "data/seqdata.h"

#include <stddef.h>
#include <stdint.h>

#define RECUR_PIANO_KEYS 88
#define RECUR_PIANO_LOWEST 21  /* MIDI number of key 0 (A0); key 87 is C8 */

/* Bounds on what the reader accepts, checked before allocating: 64 MiB of
 * text (the largest set, MuseData train, is 2.6 MB) and 4 Mi frames in all
 * (it has 245,202), so a roll takes at most 369 MB and its examples 3 GB. */
#define RECUR_PIANOROLL_MAX_BYTES ((uint64_t)64 << 20)
#define RECUR_PIANOROLL_MAX_FRAMES ((size_t)1 << 22)

/* The pieces of one file, in line order. Piece i is frames
 * [offset[i], offset[i+1]) of roll; a frame is RECUR_PIANO_KEYS bytes, 1
 * where key k sounds and 0 where it does not. */
typedef struct {
    size_t n;            /* pieces */
    size_t *offset;      /* [n + 1], offset[0] = 0, strictly increasing */
    unsigned char *roll; /* [offset[n], RECUR_PIANO_KEYS] */
} pianoroll_set;

/* Reads a file of at most RECUR_PIANOROLL_MAX_BYTES. Errors: RECUR_ERR_IO /
 * RECUR_ERR_UNSUPPORTED as file_read; RECUR_ERR_FORMAT as above, and
 * for a file without a piece; RECUR_ERR_UNSUPPORTED above
 * RECUR_PIANOROLL_MAX_FRAMES; RECUR_ERR_MEMORY. The caller frees *out with
 * pianoroll_free; *out is untouched on failure. */
recur_status pianoroll_read(const char *path, pianoroll_set *out);
/* The same over text[0..n) (not NUL-terminated); `what` names it in
 * messages (NULL: "text"). */
recur_status pianoroll_parse(const char *text, size_t n,
                                   const char *what, pianoroll_set *out);
/* Frees the arrays (not the struct) and zeroes it; NULL is allowed. */
void pianoroll_free(pianoroll_set *p);

/* Frames of piece i, and its roll (a view into p->roll). */
static inline const unsigned char *pianoroll_piece(const pianoroll_set *p,
                                                        size_t i, size_t *frames)
{
    *frames = p->offset[i + 1] - p->offset[i];
    return p->roll + p->offset[i] * RECUR_PIANO_KEYS;
}

/* One piece in the text format, without a line end: a fresh NUL-terminated
 * string in *out (caller frees). A nonzero roll byte is a sounding key.
 * RECUR_ERR_ARGUMENT for NULLs or frames == 0; RECUR_ERR_MEMORY. */
recur_status pianoroll_format(const unsigned char *roll, size_t frames,
                                    char **out);

/* Examples for next-step prediction (seqdata.h): dense input, features =
 * outputs = RECUR_PIANO_KEYS, per_step = 1, y one target frame per step.
 *
 * For a piece of T frames v_1..v_T the inputs are [0, v_1, ..., v_{T-1}]
 * (a zero frame first) and the targets [v_1, ..., v_T]: every frame of a
 * piece is predicted, the first from silence, and counted once. A split's
 * NLL is then the sum over its frames of -sum over the 88 keys of the
 * Bernoulli log-likelihood, divided by the split's frame count (frames
 * pooled over the split, not averaged per piece first).
 *
 * max_len > 0 (for training only) cuts each piece into consecutive chunks
 * of max_len steps, the last one shorter: chunk c holds the steps
 * [c*max_len, min((c+1)*max_len, T)) of the piece's inputs and targets, so
 * a later chunk starts from the real previous frame, not from silence, and
 * the chunks together predict exactly the piece's frames; only the hidden
 * state restarts at each cut. Evaluate with max_len = 0 (whole pieces), or
 * the first frames of the cut-off chunks would be scored without context.
 *
 * The caller frees *out with seq_data_free; *out is untouched on failure.
 * RECUR_ERR_ARGUMENT for a NULL or an empty set; RECUR_ERR_MEMORY. */
recur_status pianoroll_examples(const pianoroll_set *p, size_t max_len,
                                      seq_data *out);

#endif
