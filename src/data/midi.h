/*
 * midi.h — a piano roll as a Standard MIDI File (internal API), for
 * listening to what a music model generates.
 *
 * The file: format 0, one track. Header chunk "MThd", length 6, format 0,
 * 1 track, division = ticks per quarter note. Track chunk "MTrk": at tick 0
 * a track name (meta FF 03, when given) and the tempo (meta FF 51 03,
 * microseconds per quarter = round(60e6 / bpm)); then the notes on
 * channel 0; last an end of track (meta FF 2F 00) at the roll's end,
 * frames * ticks_per_step, so trailing silent frames keep their length.
 *
 * Frame t (0-based) spans ticks [t, t + 1) * ticks_per_step. A key that
 * sounds in consecutive frames is one sustained note, not re-attacked: it
 * starts (note-on 0x90, the given velocity) at the first frame's start and
 * stops (note-off 0x80, release velocity 64) at the end of the last. This
 * is how piano rolls of these sets are usually rendered; a repeated chord
 * therefore sounds as a held one. At one tick note-offs come before
 * note-ons, each group by ascending key. Every event has its own status
 * byte (no running status). Delta times are variable-length quantities:
 * 7 bits a byte, most significant first, the high bit set on all but the
 * last byte, at most 4 bytes (values up to 0x0FFFFFFF).
 *
 * Thread safety: no shared state.
 */
#ifndef RECUR_MIDI_H
#define RECUR_MIDI_H

#include "recur.h"

#include <stddef.h>
#include <stdint.h>

/* Rendering choices; a zero field takes its default, so
 * `midi_options o = {0};` is valid. */
typedef struct {
    unsigned ticks_per_quarter; /* division, 1..32767; 0: 480 */
    unsigned ticks_per_step;    /* ticks per frame; 0: ticks_per_quarter (a
                                   frame per quarter note, as in JSB) */
    double bpm;                 /* quarter notes per minute; 0: 120 */
    unsigned velocity;          /* note-on velocity 1..127; 0: 80 */
    const char *track_name;     /* NULL: no name event */
} midi_options;

#define RECUR_MIDI_VLQ_MAX 0x0FFFFFFFu

/* Writes value as a variable-length quantity into out and returns its
 * length (1..4), or 0 (out untouched) when value > RECUR_MIDI_VLQ_MAX. */
size_t midi_vlq(uint32_t value, unsigned char out[4]);

/* The file's bytes for roll [frames, 88] (key k = MIDI k + 21; a nonzero
 * byte sounds), in a fresh buffer (*out, *size; caller frees). frames may
 * be 0 (roll may then be NULL): a file with no notes. options may be NULL
 * (all defaults). RECUR_ERR_ARGUMENT for a NULL, an option out of range
 * (division above 32767, velocity above 127, a bpm that is not finite and
 * positive or whose tempo is outside 1..0xFFFFFF microseconds, a track
 * name longer than 65535 bytes); RECUR_ERR_UNSUPPORTED when a delta time
 * exceeds RECUR_MIDI_VLQ_MAX or the track exceeds 4 GiB; RECUR_ERR_MEMORY.
 * *out is untouched on failure. */
recur_status midi_encode(const unsigned char *roll, size_t frames,
                               const midi_options *options,
                               unsigned char **out, size_t *size);

/* midi_encode, then the bytes written atomically to path
 * (file_write: PATH.tmp.XXXXXX, then rename). Its errors, and
 * RECUR_ERR_IO naming the path. */
recur_status midi_write(const char *path, const unsigned char *roll,
                              size_t frames, const midi_options *options);

#endif
