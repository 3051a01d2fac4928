/* midi.c — a piano roll as a Standard MIDI File (midi.h). */
#include "data/midi.h"
#include "base/error.h"
#include "base/file.h"
#include "data/pianoroll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define K RECUR_PIANO_KEYS
#define TRACK_MAX 0xFFFFFFFFu /* a chunk length is 32 bits */
#define HEADER_BYTES 22       /* MThd chunk (14) + MTrk chunk header (8) */

size_t midi_vlq(uint32_t value, unsigned char out[4])
{
    if (value > RECUR_MIDI_VLQ_MAX)
        return 0;
    size_t n = 1;
    while (n < 4 && value >> (7 * n))
        n++;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)((value >> (7 * (n - 1 - i))) & 0x7F);
        out[i] = i + 1 < n ? (unsigned char)(b | 0x80) : b;
    }
    return n;
}

/* Where the track's bytes go: counted only (p NULL), then written. */
typedef struct {
    unsigned char *p;
    uint64_t n;
    uint64_t tick;      /* of the last event */
    uint64_t too_long;  /* a delta time above RECUR_MIDI_VLQ_MAX, or 0 */
} sink;

static void put(sink *s, const void *bytes, size_t k)
{
    if (s->n + k > TRACK_MAX) {
        s->n = (uint64_t)TRACK_MAX + 1; /* stays above: too long */
        return;
    }
    if (s->p)
        memcpy(s->p + HEADER_BYTES + s->n, bytes, k);
    s->n += k;
}

/* An event at an absolute tick: its delta time, then its bytes. */
static void event(sink *s, uint64_t tick, const unsigned char *bytes, size_t k)
{
    unsigned char vlq[4];
    uint64_t delta = tick - s->tick;
    size_t v = delta > RECUR_MIDI_VLQ_MAX ? 0 : midi_vlq((uint32_t)delta, vlq);
    if (v == 0) {
        s->too_long = delta;
        return;
    }
    put(s, vlq, v);
    put(s, bytes, k);
    s->tick = tick;
}

static void track(sink *s, const unsigned char *roll, size_t frames,
                  const char *name, uint32_t tempo, uint64_t ticks_per_step,
                  unsigned char velocity)
{
    if (name) {
        size_t len = strlen(name);
        unsigned char head[6] = {0xFF, 0x03};
        size_t v = midi_vlq((uint32_t)len, head + 2);
        event(s, 0, head, 2 + v);
        put(s, name, len);
    }
    const unsigned char set_tempo[] = {0xFF, 0x51, 0x03, (unsigned char)(tempo >> 16),
                                       (unsigned char)(tempo >> 8),
                                       (unsigned char)tempo};
    event(s, 0, set_tempo, sizeof set_tempo);
    /* At each frame boundary t: the keys that stop, then those that start. */
    for (size_t t = 0; t <= frames; t++) {
        const unsigned char *before = t ? roll + (t - 1) * K : NULL;
        const unsigned char *now = t < frames ? roll + t * K : NULL;
        uint64_t tick = (uint64_t)t * ticks_per_step;
        for (int k = 0; before && k < K; k++)
            if (before[k] && !(now && now[k])) {
                unsigned char off[3] = {0x80, (unsigned char)(k + RECUR_PIANO_LOWEST), 64};
                event(s, tick, off, 3);
            }
        for (int k = 0; now && k < K; k++)
            if (now[k] && !(before && before[k])) {
                unsigned char on[3] = {0x90, (unsigned char)(k + RECUR_PIANO_LOWEST),
                                       velocity};
                event(s, tick, on, 3);
            }
    }
    static const unsigned char end_of_track[] = {0xFF, 0x2F, 0x00};
    event(s, (uint64_t)frames * ticks_per_step, end_of_track, 3);
}

static void be(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
}

recur_status midi_encode(const unsigned char *roll, size_t frames,
                               const midi_options *options,
                               unsigned char **out, size_t *size)
{
    if ((!roll && frames) || !out || !size)
        return error_fail(RECUR_ERR_ARGUMENT, "no piano roll or output for the "
                          "MIDI file (NULL)");
    midi_options o = options ? *options : (midi_options){0};
    unsigned division = o.ticks_per_quarter ? o.ticks_per_quarter : 480;
    uint64_t step = o.ticks_per_step ? o.ticks_per_step : division;
    double bpm = o.bpm != 0 ? o.bpm : 120.0;
    unsigned velocity = o.velocity ? o.velocity : 80;
    if (division > 0x7FFF)
        return error_fail(RECUR_ERR_ARGUMENT, "MIDI: %u ticks per quarter note, "
                          "more than the 32767 a file can hold", division);
    if (velocity > 127)
        return error_fail(RECUR_ERR_ARGUMENT, "MIDI: velocity %u is above 127",
                          velocity);
    double us = isfinite(bpm) && bpm > 0 ? round(60e6 / bpm) : 0;
    if (!(us >= 1 && us <= 0xFFFFFF))
        return error_fail(RECUR_ERR_ARGUMENT, "MIDI: %g beats per minute is not "
                          "a tempo a file can hold (3.58 to 60,000,000)", bpm);
    if (o.track_name && strlen(o.track_name) > 0xFFFF)
        return error_fail(RECUR_ERR_ARGUMENT, "MIDI: a track name of %zu bytes "
                          "is longer than 65535", strlen(o.track_name));
    if ((uint64_t)frames > UINT64_MAX / step)
        return error_fail(RECUR_ERR_UNSUPPORTED, "MIDI: %zu frames of %llu ticks "
                          "are too long", frames, (unsigned long long)step);

    sink count = {0};
    track(&count, roll, frames, o.track_name, (uint32_t)us, step,
          (unsigned char)velocity);
    if (count.too_long)
        return error_fail(RECUR_ERR_UNSUPPORTED, "MIDI: %llu ticks between two "
                          "events are more than a delta time can hold (%u)",
                          (unsigned long long)count.too_long, RECUR_MIDI_VLQ_MAX);
    if (count.n > TRACK_MAX || count.n > SIZE_MAX - HEADER_BYTES)
        return error_fail(RECUR_ERR_UNSUPPORTED, "MIDI: the track of %zu frames "
                          "would be more than 4 GiB", frames);
    size_t total = HEADER_BYTES + (size_t)count.n;
    unsigned char *bytes = malloc(total);
    if (!bytes)
        return error_fail(RECUR_ERR_MEMORY, "MIDI: out of memory for %zu bytes",
                          total);
    memcpy(bytes, "MThd", 4);
    be(bytes + 4, 6, 4);
    be(bytes + 8, 0, 2);        /* format 0 */
    be(bytes + 10, 1, 2);       /* one track */
    be(bytes + 12, division, 2);
    memcpy(bytes + 14, "MTrk", 4);
    be(bytes + 18, (uint32_t)count.n, 4);
    sink write = {.p = bytes, .n = 0, .tick = 0, .too_long = 0};
    track(&write, roll, frames, o.track_name, (uint32_t)us, step,
          (unsigned char)velocity);
    *out = bytes;
    *size = total;
    return RECUR_OK;
}

recur_status midi_write(const char *path, const unsigned char *roll,
                              size_t frames, const midi_options *options)
{
    if (!path)
        return error_fail(RECUR_ERR_ARGUMENT, "no MIDI file path (NULL)");
    unsigned char *bytes;
    size_t size;
    recur_status s = midi_encode(roll, frames, options, &bytes, &size);
    if (s)
        return s;
    file_part part = {bytes, size};
    s = file_write(path, &part, 1);
    free(bytes);
    return s;
}
