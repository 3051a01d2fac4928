/*
 * test_midi.c — Standard MIDI Files from piano rolls (src/data/midi.h). A small
 * parser here reads the bytes back (chunk headers and lengths, delta times
 * as VLQs, meta and note events) into a note list: sustained notes, a
 * chord that changes, empty rolls (one exact to the byte), options, a
 * random roll rebuilt from the file, out-of-range options and delta times,
 * and the atomic file write.
 */
#include "base/error.h"
#include "base/file.h"
#include "data/midi.h"
#include "data/pianoroll.h"
#include "test.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEYS RECUR_PIANO_KEYS
#define MAX_NOTES 4096

typedef struct {
    int midi, velocity;
    uint64_t on, off;
} note;

typedef struct {
    unsigned division;
    uint32_t tempo;
    char name[80];
    size_t notes_n, events;
    note notes[MAX_NOTES]; /* in note-on order */
    uint64_t end;          /* tick of the end of track */
    uint32_t order[64];    /* the first note events: tick << 16 | status << 8 | key */
} song;

static uint32_t be(const unsigned char *p, int bytes)
{
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

/* A VLQ at b[*at..n): at most 4 bytes, the last without the high bit. */
static int vlq(const unsigned char *b, size_t n, size_t *at, uint32_t *value)
{
    uint32_t v = 0;
    for (int i = 0; i < 4 && *at < n; i++) {
        unsigned char c = b[(*at)++];
        v = v << 7 | (c & 0x7F);
        if (!(c & 0x80)) {
            *value = v;
            return 1;
        }
    }
    return 0;
}

/* Parses a format-0 file into m; NULL when well-formed, else the problem. */
static const char *parse_midi(const unsigned char *b, size_t n, song *m)
{
    memset(m, 0, sizeof *m);
    if (n < 22 || memcmp(b, "MThd", 4) || be(b + 4, 4) != 6)
        return "no MThd chunk of length 6";
    if (be(b + 8, 2) != 0 || be(b + 10, 2) != 1 || (b[12] & 0x80))
        return "not format 0 with one track and ticks per quarter";
    m->division = be(b + 12, 2);
    if (memcmp(b + 14, "MTrk", 4) || 22 + (size_t)be(b + 18, 4) != n)
        return "no MTrk chunk whose length reaches the end of the file";
    size_t at = 22, open[KEYS + RECUR_PIANO_LOWEST] = {0};
    uint64_t tick = 0;
    int tempo_seen = 0;
    while (at < n) {
        uint32_t delta, len;
        if (!vlq(b, n, &at, &delta) || at >= n)
            return "a bad delta time";
        tick += delta;
        unsigned char status = b[at++];
        if (status == 0xFF) {
            if (at >= n)
                return "a truncated meta event";
            unsigned char type = b[at++];
            if (!vlq(b, n, &at, &len) || len > n - at)
                return "a bad meta length";
            if (type == 0x03 && tick == 0 && len < sizeof m->name)
                memcpy(m->name, b + at, len);
            else if (type == 0x51 && len == 3 && tick == 0)
                m->tempo = be(b + at, 3), tempo_seen = 1;
            else if (type == 0x2F && len == 0 && at == n)
                m->end = tick;
            else
                return "an unexpected meta event";
            at += len;
            continue;
        }
        if ((status != 0x80 && status != 0x90) || n - at < 2 ||
            (b[at] | b[at + 1]) & 0x80)
            return "not a note event on channel 0";
        int midi = b[at], velocity = b[at + 1];
        at += 2;
        if (midi < RECUR_PIANO_LOWEST || midi >= RECUR_PIANO_LOWEST + KEYS)
            return "a note outside the piano";
        if (m->events < 64)
            m->order[m->events] = (uint32_t)(tick << 16 | (uint64_t)status << 8 | (unsigned)midi);
        m->events++;
        if (status == 0x90) {
            if (open[midi] || velocity == 0 || m->notes_n == MAX_NOTES)
                return "a note-on of a sounding key, or of velocity 0";
            m->notes[m->notes_n] = (note){.midi = midi, .velocity = velocity,
                                          .on = tick, .off = 0};
            open[midi] = ++m->notes_n;
        } else {
            if (!open[midi] || velocity != 64)
                return "a note-off of a silent key";
            m->notes[open[midi] - 1].off = tick;
            open[midi] = 0;
        }
    }
    for (int k = 0; k < KEYS + RECUR_PIANO_LOWEST; k++)
        if (open[k])
            return "a note still sounding at the end";
    if (!tempo_seen)
        return "no tempo";
    if (at != n || m->end != tick)
        return "no end of track at the end";
    return NULL;
}

/* Encodes roll and parses it back; NULL (and a failed check) on error. */
static song *encode_parse(const unsigned char *roll, size_t frames,
                          const midi_options *o, const char *what)
{
    unsigned char *bytes = NULL;
    size_t size = 0;
    recur_status s = midi_encode(roll, frames, o, &bytes, &size);
    song *m = malloc(sizeof *m);
    const char *why = s ? recur_last_error() : m ? parse_midi(bytes, size, m) : "no memory";
    CHECK(!why, "%s: %s", what, why);
    free(bytes);
    if (why) {
        free(m);
        return NULL;
    }
    return m;
}

static int has_note(const song *m, int midi, uint64_t on, uint64_t off)
{
    for (size_t i = 0; i < m->notes_n; i++)
        if (m->notes[i].midi == midi && m->notes[i].on == on && m->notes[i].off == off)
            return 1;
    return 0;
}

static void vlq_edges(void)
{
    static const struct {
        uint32_t value;
        size_t n;
        unsigned char bytes[4];
    } cases[] = {
        {0, 1, {0x00}},
        {127, 1, {0x7F}},
        {128, 2, {0x81, 0x00}},
        {16383, 2, {0xFF, 0x7F}},
        {16384, 3, {0x81, 0x80, 0x00}},
        {0x1FFFFF, 3, {0xFF, 0xFF, 0x7F}},
        {0x200000, 4, {0x81, 0x80, 0x80, 0x00}},
        {0x0FFFFFFF, 4, {0xFF, 0xFF, 0xFF, 0x7F}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char out[4] = {0xAA, 0xAA, 0xAA, 0xAA};
        size_t n = midi_vlq(cases[i].value, out);
        CHECK(n == cases[i].n && !memcmp(out, cases[i].bytes, n) &&
                  (n == 4 || out[n] == 0xAA),
              "VLQ of %u: %zu bytes %02X %02X %02X %02X", cases[i].value, n,
              out[0], out[1], out[2], out[3]);
    }
    unsigned char out[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    CHECK(midi_vlq(0x10000000, out) == 0 && out[0] == 0xAA &&
              midi_vlq(UINT32_MAX, out) == 0,
          "above 0x0FFFFFFF is refused");
    /* Every value up to 2^17 and a sweep above decode to themselves. */
    int bad = 0;
    for (uint64_t v = 0; v <= RECUR_MIDI_VLQ_MAX; v += v < (1u << 17) ? 1 : 4099) {
        uint32_t back = 0;
        size_t at = 0, n = midi_vlq((uint32_t)v, out);
        bad += !vlq(out, n, &at, &back) || back != v || at != n;
    }
    CHECK(bad == 0, "%d values do not decode to themselves", bad);
}

static void sustained(void)
{
    /* 60 in frames 0-2, 62 in frame 1, frame 3 silent. */
    unsigned char roll[4 * KEYS] = {0};
    roll[60 - 21] = roll[KEYS + 60 - 21] = roll[2 * KEYS + 60 - 21] = 1;
    roll[KEYS + 62 - 21] = 1;
    midi_options o = {.ticks_per_quarter = 96, .ticks_per_step = 48};
    song *m = encode_parse(roll, 4, &o, "sustained");
    if (!m)
        return;
    CHECK(m->division == 96 && m->tempo == 500000 && m->name[0] == '\0',
          "division %u, tempo %u (want 96, 500000 = 120 bpm)", m->division,
          m->tempo);
    CHECK(m->notes_n == 2 && has_note(m, 60, 0, 144) && has_note(m, 62, 48, 96) &&
              m->notes[0].velocity == 80,
          "a held key is one note: %zu notes", m->notes_n);
    CHECK(m->end == 192, "the end of track keeps the silent frame: tick %llu",
          (unsigned long long)m->end);
    free(m);
}

static void chord(void)
{
    /* C-E-G twice (held), then F-A over the same C: 64, 67 stop and 65, 69
     * start at tick 2*480, offs first; C sounds on. */
    unsigned char roll[3 * KEYS] = {0};
    static const int c_major[] = {60, 64, 67}, f_major[] = {60, 65, 69};
    for (int i = 0; i < 3; i++) {
        roll[c_major[i] - 21] = roll[KEYS + c_major[i] - 21] = 1;
        roll[2 * KEYS + f_major[i] - 21] = 1;
    }
    midi_options o = {.velocity = 100, .bpm = 90, .track_name = "chorale 1"};
    song *m = encode_parse(roll, 3, &o, "chord");
    if (!m)
        return;
    CHECK(m->division == 480 && m->tempo == 666667 && !strcmp(m->name, "chorale 1"),
          "division %u, tempo %u (want 666667 = round(60e6 / 90)), name '%s'",
          m->division, m->tempo, m->name);
    CHECK(m->notes_n == 5 && has_note(m, 60, 0, 1440) && has_note(m, 64, 0, 960) &&
              has_note(m, 67, 0, 960) && has_note(m, 65, 960, 1440) &&
              has_note(m, 69, 960, 1440) && m->notes[4].velocity == 100,
          "chord notes: %zu", m->notes_n);
    static const uint32_t want[] = {
        0 << 16 | 0x9000 | 60,    0 << 16 | 0x9000 | 64,    0 << 16 | 0x9000 | 67,
        960 << 16 | 0x8000 | 64,  960 << 16 | 0x8000 | 67,  960 << 16 | 0x9000 | 65,
        960 << 16 | 0x9000 | 69,  1440 << 16 | 0x8000 | 60, 1440 << 16 | 0x8000 | 65,
        1440 << 16 | 0x8000 | 69};
    CHECK(m->events == 10 && !memcmp(m->order, want, sizeof want),
          "event order (offs before ons, keys ascending): %zu events", m->events);
    free(m);
}

static void empty(void)
{
    /* No frames at all: exactly header, tempo 500000 (07 A1 20), end. */
    static const unsigned char want[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,
        'M', 'T', 'r', 'k', 0, 0, 0, 11,
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
        0x00, 0xFF, 0x2F, 0x00};
    unsigned char *bytes = NULL;
    size_t size = 0;
    recur_status s = midi_encode(NULL, 0, NULL, &bytes, &size);
    CHECK(s == RECUR_OK && size == sizeof want && !memcmp(bytes, want, size),
          "no frames: %s, %zu bytes", recur_status_str(s), size);
    free(bytes);

    unsigned char silent[5 * KEYS] = {0};
    song *m = encode_parse(silent, 5, NULL, "silent frames");
    CHECK(m && m->notes_n == 0 && m->events == 0 && m->end == 5 * 480,
          "silent frames: no notes, end at 2400");
    free(m);

    /* The lowest and highest keys, over one frame of 0x0FFFFFFF ticks (the
     * largest delta time). */
    unsigned char ends[KEYS] = {0};
    ends[0] = ends[KEYS - 1] = 1;
    midi_options o = {.ticks_per_step = RECUR_MIDI_VLQ_MAX};
    m = encode_parse(ends, 1, &o, "A0 and C8");
    CHECK(m && m->notes_n == 2 && has_note(m, 21, 0, RECUR_MIDI_VLQ_MAX) &&
              has_note(m, 108, 0, RECUR_MIDI_VLQ_MAX),
          "A0 (21) and C8 (108) over the largest delta");
    free(m);
}

/* A random roll rebuilt from its file. */
static void random_roll(void)
{
    enum { T = 200 };
    static unsigned char roll[T * KEYS], back[T * KEYS];
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < sizeof roll; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        roll[i] = (x >> 33) % 13 == 0; /* ~7 keys a frame */
    }
    midi_options o = {.ticks_per_quarter = 220, .ticks_per_step = 110};
    song *m = encode_parse(roll, T, &o, "random roll");
    if (!m)
        return;
    memset(back, 0, sizeof back);
    int misaligned = 0;
    for (size_t i = 0; i < m->notes_n; i++) {
        const note *nt = &m->notes[i];
        misaligned += nt->on % 110 || nt->off % 110 || nt->off <= nt->on;
        for (uint64_t t = nt->on / 110; t < nt->off / 110 && t < T; t++)
            back[t * KEYS + (size_t)(nt->midi - 21)] = 1;
    }
    CHECK(!misaligned && !memcmp(back, roll, sizeof roll) && m->end == T * 110,
          "random roll: %d misaligned notes, rebuilt roll %s", misaligned,
          memcmp(back, roll, sizeof roll) ? "differs" : "matches");
    free(m);
}

static void bad_options(void)
{
    unsigned char roll[2 * KEYS] = {0}, *bytes = (unsigned char *)"untouched";
    roll[40] = roll[KEYS + 40] = 1;
    size_t size = 7;
    char *long_name = malloc(65537);
    if (long_name) {
        memset(long_name, 'a', 65536);
        long_name[65536] = '\0';
    }
    static const struct {
        midi_options o;
        recur_status want;
        const char *message;
    } cases[] = {
        {{.ticks_per_quarter = 32768}, RECUR_ERR_ARGUMENT, "32768 ticks per quarter"},
        {{.velocity = 128}, RECUR_ERR_ARGUMENT, "velocity 128"},
        {{.bpm = -60}, RECUR_ERR_ARGUMENT, "-60 beats per minute"},
        {{.bpm = NAN}, RECUR_ERR_ARGUMENT, "beats per minute"},
        {{.bpm = INFINITY}, RECUR_ERR_ARGUMENT, "beats per minute"},
        {{.bpm = 3.5}, RECUR_ERR_ARGUMENT, "3.5 beats per minute"},
        {{.bpm = 2e8}, RECUR_ERR_ARGUMENT, "2e+08 beats per minute"},
        {{.ticks_per_step = RECUR_MIDI_VLQ_MAX}, RECUR_ERR_UNSUPPORTED,
         "536870910 ticks between two events"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        recur_status s = midi_encode(roll, 2, &cases[i].o, &bytes, &size);
        CHECK(s == cases[i].want && strstr(recur_last_error(), cases[i].message) &&
                  size == 7,
              "case %zu: %s \"%s\"", i, recur_status_str(s), recur_last_error());
    }
    midi_options o = {.bpm = 3.6, .track_name = long_name};
    recur_status s = midi_encode(roll, 2, &o, &bytes, &size);
    CHECK(s == RECUR_ERR_ARGUMENT && strstr(recur_last_error(), "65536 bytes"),
          "a long track name: %s", recur_last_error());
    long_name[65535] = '\0';
    s = midi_encode(roll, 2, &o, &bytes, &size);
    CHECK(s == RECUR_OK && size > 65535, "a name of 65535 bytes and 3.6 bpm: %s",
          recur_last_error());
    if (s == RECUR_OK)
        free(bytes);
    free(long_name);
    CHECK(midi_encode(NULL, 1, NULL, &bytes, &size) == RECUR_ERR_ARGUMENT &&
              midi_encode(roll, 1, NULL, NULL, &size) == RECUR_ERR_ARGUMENT &&
              midi_write(NULL, roll, 1, NULL) == RECUR_ERR_ARGUMENT,
          "NULLs: %s", recur_last_error());
}

static void write_file(void)
{
    char dir[] = "/tmp/recur_midi_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "%s/out.mid", dir);
    unsigned char roll[3 * KEYS] = {0};
    roll[39] = roll[KEYS + 43] = roll[2 * KEYS + 46] = 1;
    unsigned char *want = NULL, *got = NULL;
    size_t want_n = 0, got_n = 0;
    recur_status s = midi_encode(roll, 3, NULL, &want, &want_n);
    if (!s)
        s = midi_write(path, roll, 3, NULL);
    if (!s) /* again, over the existing file */
        s = midi_write(path, roll, 3, NULL);
    if (!s)
        s = file_read(path, 1 << 20, &got, &got_n);
    CHECK(s == RECUR_OK && got_n == want_n && !memcmp(got, want, want_n),
          "written file: %s", recur_last_error());
    free(want);
    free(got);
    size_t entries = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    CHECK(entries == 1, "%zu files left in %s (want only out.mid)", entries, dir);
    unlink(path);
    rmdir(dir);
    s = midi_write("/nonexistent/dir/out.mid", roll, 3, NULL);
    CHECK(s == RECUR_ERR_IO && strstr(recur_last_error(), "/nonexistent/dir/out.mid"),
          "unwritable: %s", recur_last_error());
}

void test_midi(void)
{
    vlq_edges();
    sustained();
    chord();
    empty();
    random_roll();
    bad_options();
    write_file();
}
