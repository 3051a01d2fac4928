/*
 * test_safetensors.c — the safetensors reader and writer: round trips,
 * byte-for-byte agreement with the Python library's output, conversions
 * with known answers, atomic writes (and the removal of the temporary files
 * a killed one leaves), every malformation the reader must
 * refuse (exact status and the tensor named), every truncation, and a
 * fixed-seed mutation fuzzer over st_parse.
 */
#define _POSIX_C_SOURCE 200809L

#include "base/file.h"
#include "io/safetensors.h"
#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Written by safetensors 0.8.0 (Python):
 *   save({"weight": (arange(1,7)*0.5).reshape(2,3) f32, "bias": [-1,0,1] f32,
 *         "step": 42 i64 (0-dim), "empty": zeros((0,3)) f32, "ids": [7,-7] i32,
 *         "half": [1,-2] f16}, metadata={"mode": "LSTM"}) */
static const unsigned char python_file[] =
    "\200\001\000\000\000\000\000\000{\"__metadata__\":{\"mode\":\"LSTM\"},\"step\":{"
    "\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},\"bias\":{\"dtype\":\"F32"
    "\",\"shape\":[3],\"data_offsets\":[8,20]},\"empty\":{\"dtype\":\"F32\",\"shape\""
    ":[0,3],\"data_offsets\":[20,20]},\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\""
    "data_offsets\":[20,44]},\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\""
    ":[44,52]},\"half\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[52,56]}}  "
    "*\000\000\000\000\000\000\000\000\000\200\277\000\000\000\000\000\000\200\077\000"
    "\000\000\077\000\000\200\077\000\000\300\077\000\000\000@\000\000 @\000\000@@\007"
    "\000\000\000\371\377\377\377\000<\000\300";
#define PYTHON_FILE_SIZE (sizeof python_file - 1)

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */

static void make_temp_dir(char *dir, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/recur-st-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(dir, size, "/tmp/recur-st-XXXXXX");
        if (!mkdtemp(dir)) dir[0] = '\0';
    }
}

/* Number of entries in dir; *temps counts those with ".tmp." in the name. */
static int count_entries(const char *dir, int *temps)
{
    DIR *d = opendir(dir);
    int n = 0;
    *temps = 0;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        n++;
        if (strstr(e->d_name, ".tmp.")) (*temps)++;
    }
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    closedir(d);
    rmdir(dir);
}

static unsigned char *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    *size = n;
    return buf;
}

static int write_bytes(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(bytes, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int contains(const unsigned char *bytes, size_t size, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(bytes + i, needle, n) == 0) return 1;
    return 0;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | p[i];
    return n;
}

static void put_le64(unsigned char *p, uint64_t n)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(n >> (8 * i));
}

/* A file whose header is exactly `json` and whose data buffer holds
 * data_size bytes of the pattern i * 7 + 1. */
static unsigned char *make_file(const char *json, size_t json_len, size_t data_size,
                                size_t *size)
{
    *size = 8 + json_len + data_size;
    unsigned char *buf = malloc(*size);
    if (!buf) return NULL;
    put_le64(buf, json_len);
    memcpy(buf + 8, json, json_len);
    for (size_t i = 0; i < data_size; i++) buf[8 + json_len + i] = (unsigned char)(i * 7 + 1);
    return buf;
}

/* Parses a file made from json + data_size and checks the status, that a
 * failure leaves *out untouched and names the buffer, and that the message
 * contains each of the needles (NULL: none). */
static void expect_parse(int line, const char *json, size_t json_len, size_t data_size,
                         recur_status want, const char *needle, const char *needle2)
{
    size_t size;
    unsigned char *bytes = make_file(json, json_len, data_size, &size);
    if (!bytes) {
        CHECK(0, "line %d: out of memory", line);
        return;
    }
    char marker;
    st_file *sentinel = (st_file *)(void *)&marker, *st = sentinel;
    recur_status s = st_parse(bytes, size, "hostile.safetensors", &st);
    const char *msg = recur_last_error();
    CHECK(s == want, "line %d: %.120s: got %s, want %s (%s)", line, json,
          recur_status_str(s), recur_status_str(want), s == RECUR_OK ? "" : msg);
    if (s == RECUR_OK) {
        st_free(st);
    } else {
        CHECK(st == sentinel, "line %d: *out written on failure", line);
        CHECK(strstr(msg, "hostile.safetensors") != NULL, "line %d: message '%s' does not "
              "name the file", line, msg);
        if (needle)
            CHECK(strstr(msg, needle) != NULL, "line %d: message '%s' lacks '%s'", line, msg,
                  needle);
        if (needle2)
            CHECK(strstr(msg, needle2) != NULL, "line %d: message '%s' lacks '%s'", line, msg,
                  needle2);
    }
    free(bytes);
}

#define EXPECT(json, data_size, want, needle) \
    expect_parse(__LINE__, json, strlen(json), data_size, want, needle, NULL)
#define EXPECT2(json, data_size, want, needle, needle2) \
    expect_parse(__LINE__, json, strlen(json), data_size, want, needle, needle2)

/* One tensor entry of a header. */
#define E(name, dtype, shape, begin, end)                                      \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape                   \
    ",\"data_offsets\":[" begin "," end "]}"

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ------------------------------------------------------------------------ */
/* Round trip                                                                */

typedef struct {
    const char *name;
    st_dtype dtype;
    size_t ndim;
    size_t shape[RECUR_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} spec;

static void check_conversions(void)
{
    /* A U8 first puts every later tensor at an odd offset: the conversions
     * must not load through misaligned pointers (UBSan would say). */
    static const char json[] = "{"
        E("pad", "U8", "[1]", "0", "1") ","
        E("f32", "F32", "[2]", "1", "9") ","
        E("f64", "F64", "[5]", "9", "49") ","
        E("f16", "F16", "[12]", "49", "73") ","
        E("bf16", "BF16", "[5]", "73", "83") ","
        E("i64", "I64", "[2]", "83", "99") ","
        E("i32", "I32", "[3]", "99", "111") ","
        E("i16", "I16", "[2]", "111", "115") ","
        E("i8", "I8", "[2]", "115", "117") ","
        E("u8", "U8", "[2]", "117", "119") ","
        E("u16", "U16", "[1]", "119", "121") ","
        E("u32", "U32", "[1]", "121", "125") ","
        E("u64", "U64", "[2]", "125", "141") ","
        E("u64big", "U64", "[2]", "141", "157") ","
        E("flag", "BOOL", "[1]", "157", "158") "}";
    unsigned char data[158] = {0};
    const float f32[2] = {1.25f, -3.5f};
    const double f64[5] = {1.5, -2.25, 1e300, -1e300, 1e-300};
    const uint16_t f16[12] = {0x3C00, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000,
                              0x7C00, 0xFC00, 0x7E00, 0xC000, 0x3555, 0x0000};
    const uint16_t bf16[5] = {0x3F80, 0xC000, 0x7F80, 0x0001, 0x7FC0};
    const int64_t i64[2] = {INT64_MIN, INT64_MAX};
    const int32_t i32[3] = {INT32_MIN, -1, INT32_MAX};
    const int16_t i16[2] = {-32768, 7};
    const int8_t i8[2] = {-128, 127};
    const uint8_t u8[2] = {0, 255};
    const uint16_t u16[1] = {65535};
    const uint32_t u32[1] = {4294967295u};
    const uint64_t u64[2] = {0, (uint64_t)INT64_MAX};
    const uint64_t u64big[2] = {1, (uint64_t)INT64_MAX + 1};
    memcpy(data + 1, f32, sizeof f32);
    memcpy(data + 9, f64, sizeof f64);
    memcpy(data + 49, f16, sizeof f16);
    memcpy(data + 73, bf16, sizeof bf16);
    memcpy(data + 83, i64, sizeof i64);
    memcpy(data + 99, i32, sizeof i32);
    memcpy(data + 111, i16, sizeof i16);
    memcpy(data + 115, i8, sizeof i8);
    memcpy(data + 117, u8, sizeof u8);
    memcpy(data + 119, u16, sizeof u16);
    memcpy(data + 121, u32, sizeof u32);
    memcpy(data + 125, u64, sizeof u64);
    memcpy(data + 141, u64big, sizeof u64big);
    data[157] = 1;

    size_t size;
    unsigned char *bytes = make_file(json, strlen(json), sizeof data, &size);
    st_file *st = NULL;
    recur_status s = bytes ? RECUR_ERR_MEMORY : RECUR_OK;
    if (bytes) {
        memcpy(bytes + 8 + strlen(json), data, sizeof data);
        s = st_parse(bytes, size, "conversions", &st);
    }
    free(bytes);
    CHECK(s == RECUR_OK, "conversion file: %s", recur_last_error());
    if (s != RECUR_OK) return;

    float f[12];
    int64_t v[3];
    CHECK(st_to_f32(st_find(st, "f32"), f) == RECUR_OK, "to_f32(F32)");
    CHECK(f[0] == 1.25f && f[1] == -3.5f, "F32 copy: %g %g", f[0], f[1]);

    CHECK(st_to_f32(st_find(st, "f64"), f) == RECUR_OK, "to_f32(F64)");
    CHECK(f[0] == 1.5f && f[1] == -2.25f, "F64: %g %g", f[0], f[1]);
    CHECK(isinf(f[2]) && f[2] > 0 && isinf(f[3]) && f[3] < 0, "F64 overflow: %g %g", f[2], f[3]);
    CHECK(f[4] == 0.0f, "F64 underflow: %g", f[4]);

    CHECK(st_to_f32(st_find(st, "f16"), f) == RECUR_OK, "to_f32(F16)");
    CHECK(f[0] == 1.0f, "half 0x3C00 = %g, want 1", f[0]);
    CHECK(f[1] == 65504.0f, "half 0x7BFF = %g, want 65504", f[1]);
    CHECK(f[2] == 0x1p-24f, "half 0x0001 = %g, want 5.96e-8", f[2]);
    CHECK(f[3] == 1023 * 0x1p-24f, "half 0x03FF = %g, want 6.0976e-5", f[3]);
    CHECK(f[4] == 0x1p-14f, "half 0x0400 = %g, want 6.1035e-5", f[4]);
    CHECK(f[5] == 0.0f && signbit(f[5]), "half 0x8000 = %g, want -0", f[5]);
    CHECK(isinf(f[6]) && f[6] > 0, "half 0x7C00 = %g, want inf", f[6]);
    CHECK(isinf(f[7]) && f[7] < 0, "half 0xFC00 = %g, want -inf", f[7]);
    CHECK(isnan(f[8]), "half 0x7E00 = %g, want nan", f[8]);
    CHECK(f[9] == -2.0f, "half 0xC000 = %g, want -2", f[9]);
    CHECK(f[10] == 0.333251953125f, "half 0x3555 = %.9g, want 0.333251953125", f[10]);
    CHECK(f[11] == 0.0f && !signbit(f[11]), "half 0x0000 = %g, want +0", f[11]);

    CHECK(st_to_f32(st_find(st, "bf16"), f) == RECUR_OK, "to_f32(BF16)");
    CHECK(f[0] == 1.0f && f[1] == -2.0f, "bf16: %g %g, want 1 -2", f[0], f[1]);
    CHECK(isinf(f[2]) && f[2] > 0, "bf16 0x7F80 = %g, want inf", f[2]);
    CHECK(f[3] == 0x1p-133f, "bf16 0x0001 = %g, want 2^-133", f[3]);
    CHECK(isnan(f[4]), "bf16 0x7FC0 = %g, want nan", f[4]);

    float keep = 42.0f;
    f[0] = keep;
    CHECK(st_to_f32(st_find(st, "i32"), f) == RECUR_ERR_SHAPE, "to_f32(I32)");
    CHECK(strstr(recur_last_error(), "i32") != NULL, "to_f32 message: %s", recur_last_error());
    CHECK(st_to_f32(st_find(st, "flag"), f) == RECUR_ERR_SHAPE, "to_f32(BOOL)");
    CHECK(same_bits(f[0], keep), "dst written on failure");
    CHECK(st_to_f32(NULL, f) == RECUR_ERR_ARGUMENT, "to_f32(NULL)");
    CHECK(st_to_f32(st_find(st, "f32"), NULL) == RECUR_ERR_ARGUMENT,
          "to_f32 into NULL");

    CHECK(st_to_i64(st_find(st, "i64"), v) == RECUR_OK
          && v[0] == INT64_MIN && v[1] == INT64_MAX, "I64");
    CHECK(st_to_i64(st_find(st, "i32"), v) == RECUR_OK
          && v[0] == INT32_MIN && v[1] == -1 && v[2] == INT32_MAX, "I32");
    CHECK(st_to_i64(st_find(st, "i16"), v) == RECUR_OK
          && v[0] == -32768 && v[1] == 7, "I16");
    CHECK(st_to_i64(st_find(st, "i8"), v) == RECUR_OK
          && v[0] == -128 && v[1] == 127, "I8");
    CHECK(st_to_i64(st_find(st, "u8"), v) == RECUR_OK
          && v[0] == 0 && v[1] == 255, "U8");
    CHECK(st_to_i64(st_find(st, "u16"), v) == RECUR_OK && v[0] == 65535, "U16");
    CHECK(st_to_i64(st_find(st, "u32"), v) == RECUR_OK && v[0] == 4294967295,
          "U32");
    CHECK(st_to_i64(st_find(st, "u64"), v) == RECUR_OK
          && v[0] == 0 && v[1] == INT64_MAX, "U64");
    v[0] = 17;
    CHECK(st_to_i64(st_find(st, "u64big"), v) == RECUR_ERR_SHAPE,
          "U64 beyond int64 accepted");
    CHECK(strstr(recur_last_error(), "u64big") && strstr(recur_last_error(),
          "9223372036854775808"), "U64 message: %s", recur_last_error());
    CHECK(v[0] == 17, "dst written on failure");
    CHECK(st_to_i64(st_find(st, "f32"), v) == RECUR_ERR_SHAPE, "to_i64(F32)");
    CHECK(strstr(recur_last_error(), "f32") != NULL, "to_i64 message: %s", recur_last_error());
    CHECK(st_to_i64(NULL, v) == RECUR_ERR_ARGUMENT, "to_i64(NULL)");
    st_free(st);
}

static void check_python_file(void)
{
    st_file *st = NULL;
    recur_status s = st_parse(python_file, PYTHON_FILE_SIZE, "python", &st);
    CHECK(s == RECUR_OK, "Python's file: %s", recur_last_error());
    if (s != RECUR_OK) return;
    CHECK(st_count(st) == 6, "Python's file: %zu tensors, want 6", st_count(st));
    const char *mode = st_meta(st, "mode");
    CHECK(mode && strcmp(mode, "LSTM") == 0, "Python's metadata mode = %s", mode ? mode : "NULL");
    const st_tensor *w = st_find(st, "weight");
    float f[6];
    CHECK(w && w->dtype == RECUR_DT_F32 && w->ndim == 2 && w->shape[0] == 2
          && w->shape[1] == 3 && w->numel == 6 && w->nbytes == 24, "Python's weight");
    if (w && st_to_f32(w, f) == RECUR_OK)
        CHECK(f[0] == 0.5f && f[5] == 3.0f, "Python's weight values %g %g", f[0], f[5]);
    const st_tensor *step = st_find(st, "step");
    int64_t v = 0;
    CHECK(step && step->ndim == 0 && step->numel == 1
          && st_to_i64(step, &v) == RECUR_OK && v == 42, "Python's 0-dim step");
    const st_tensor *e = st_find(st, "empty");
    CHECK(e && e->ndim == 2 && e->shape[0] == 0 && e->shape[1] == 3 && e->numel == 0
          && e->nbytes == 0, "Python's empty tensor");
    const st_tensor *h = st_find(st, "half");
    CHECK(h && st_to_f32(h, f) == RECUR_OK && f[0] == 1.0f && f[1] == -2.0f,
          "Python's half");
    st_free(st);

    /* The same tensors through our writer give the same bytes. */
    const float weight[6] = {0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f};
    const float bias[3] = {-1, 0, 1};
    const int64_t step42 = 42;
    const int32_t ids[2] = {7, -7};
    const uint16_t half[2] = {0x3C00, 0xC000};
    st_writer *wr = NULL;
    char dir[512], path[600];
    make_temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/py.safetensors", dir);
    int ok = st_writer_new(&wr) == RECUR_OK
        && st_writer_add(wr, "weight", RECUR_DT_F32, 2, (size_t[]){2, 3}, weight) == 0
        && st_writer_add(wr, "bias", RECUR_DT_F32, 1, (size_t[]){3}, bias) == 0
        && st_writer_add(wr, "step", RECUR_DT_I64, 0, NULL, &step42) == 0
        && st_writer_add(wr, "empty", RECUR_DT_F32, 2, (size_t[]){0, 3}, NULL) == 0
        && st_writer_add(wr, "ids", RECUR_DT_I32, 1, (size_t[]){2}, ids) == 0
        && st_writer_add(wr, "half", RECUR_DT_F16, 1, (size_t[]){2}, half) == 0
        && st_writer_meta(wr, "mode", "LSTM") == 0
        && st_writer_write(wr, path) == RECUR_OK;
    CHECK(ok, "writing the Python file's tensors: %s", recur_last_error());
    st_writer_free(wr);
    size_t size = 0;
    unsigned char *bytes = ok ? read_bytes(path, &size) : NULL;
    CHECK(bytes && size == PYTHON_FILE_SIZE && memcmp(bytes, python_file, size) == 0,
          "our file (%zu bytes) differs from Python's (%zu bytes)", size,
          (size_t)PYTHON_FILE_SIZE);
    free(bytes);
    remove_dir(dir);
}

void test_safetensors_roundtrip(void)
{
    char dir[512], path[600];
    make_temp_dir(dir, sizeof dir);
    CHECK(dir[0] != '\0', "cannot create a temporary directory");
    if (!dir[0]) return;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);

    const float weight[6] = {0.5f, -1.0f, 2.25f, 1e-30f, -0.0f, 3.0e38f};
    const int64_t ids[4] = {1, -2, INT64_MAX, INT64_MIN};
    const float scalar = 3.25f;
    const double f64[3] = {1.0 / 3.0, -2.5, 1e300};
    const uint16_t f16[2] = {0x3C00, 0x7BFF};
    const uint16_t bf16[3] = {0x3F80, 0xC000, 0x0001};
    const uint8_t u8[5] = {0, 1, 127, 128, 255};
    const uint8_t flags[3] = {1, 0, 1};
    const int32_t i32[2] = {-5, 5};
    const spec specs[] = {
        {.name = "weight_ih_l0", .dtype = RECUR_DT_F32, .ndim = 2,
         .shape = {2, 3}, .data = weight, .nbytes = sizeof weight},
        {.name = "ids", .dtype = RECUR_DT_I64, .ndim = 1, .shape = {4},
         .data = ids, .nbytes = sizeof ids},
        {.name = "scalar", .dtype = RECUR_DT_F32, .ndim = 0, .shape = {0},
         .data = &scalar, .nbytes = sizeof scalar},
        {.name = "empty", .dtype = RECUR_DT_F32, .ndim = 2, .shape = {0, 3},
         .data = NULL, .nbytes = 0},
        {.name = "empty_i8", .dtype = RECUR_DT_I8, .ndim = 1, .shape = {0},
         .data = NULL, .nbytes = 0},
        {.name = "f64", .dtype = RECUR_DT_F64, .ndim = 1, .shape = {3},
         .data = f64, .nbytes = sizeof f64},
        {.name = "f16", .dtype = RECUR_DT_F16, .ndim = 1, .shape = {2},
         .data = f16, .nbytes = sizeof f16},
        {.name = "bf16", .dtype = RECUR_DT_BF16, .ndim = 3, .shape = {1, 3, 1},
         .data = bf16, .nbytes = sizeof bf16},
        {.name = "u8", .dtype = RECUR_DT_U8, .ndim = 1, .shape = {5},
         .data = u8, .nbytes = sizeof u8},
        {.name = "mask", .dtype = RECUR_DT_BOOL, .ndim = 1, .shape = {3},
         .data = flags, .nbytes = sizeof flags},
        {.name = "i32", .dtype = RECUR_DT_I32, .ndim = 8,
         .shape = {1, 1, 1, 1, 1, 1, 1, 2}, .data = i32, .nbytes = sizeof i32},
        {.name = "encoder.lstm.weight_hh_l0_reverse \"quoted\" \xc3\xa9",
         .dtype = RECUR_DT_F32, .ndim = 1, .shape = {1}, .data = &scalar,
         .nbytes = sizeof scalar},
    };
    const size_t nspecs = sizeof specs / sizeof specs[0];
    const char *vocab = "a\"b\\c\nd\te \xe2\x9c\x93 /</script>";

    st_writer *w = NULL;
    CHECK(st_writer_new(&w) == RECUR_OK, "writer_new");
    if (!w) return;
    for (size_t i = 0; i < nspecs; i++)
        CHECK(st_writer_add(w, specs[i].name, specs[i].dtype, specs[i].ndim,
                                  specs[i].shape, specs[i].data) == RECUR_OK,
              "add %s: %s", specs[i].name, recur_last_error());
    CHECK(st_writer_meta(w, "mode", "GRU") == RECUR_OK, "meta");
    CHECK(st_writer_meta(w, "mode", "LSTM") == RECUR_OK, "meta replaced");
    CHECK(st_writer_meta(w, "vocab", vocab) == RECUR_OK, "meta vocab");
    CHECK(st_writer_meta(w, "", "") == RECUR_OK, "empty metadata key");

    /* Misuse: each refused with RECUR_ERR_ARGUMENT and nothing added. */
    size_t big[2] = {(size_t)1 << 62, 8};
    size_t dims9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    CHECK(st_writer_add(w, "ids", RECUR_DT_I64, 1, (size_t[]){4}, ids)
          == RECUR_ERR_ARGUMENT, "duplicate name accepted");
    CHECK(strstr(recur_last_error(), "ids") != NULL, "duplicate message: %s",
          recur_last_error());
    CHECK(st_writer_add(w, "", RECUR_DT_F32, 0, NULL, &scalar) == RECUR_ERR_ARGUMENT,
          "empty name accepted");
    CHECK(st_writer_add(w, "__metadata__", RECUR_DT_F32, 0, NULL, &scalar)
          == RECUR_ERR_ARGUMENT, "__metadata__ as a tensor name accepted");
    CHECK(st_writer_add(w, "bad\xff", RECUR_DT_F32, 0, NULL, &scalar)
          == RECUR_ERR_ARGUMENT, "invalid UTF-8 name accepted");
    CHECK(st_writer_add(w, "nine", RECUR_DT_F32, 9, dims9, &scalar)
          == RECUR_ERR_ARGUMENT, "9 dims accepted");
    CHECK(st_writer_add(w, "huge", RECUR_DT_F32, 2, big, weight) == RECUR_ERR_ARGUMENT,
          "overflowing shape accepted");
    CHECK(strstr(recur_last_error(), "huge") != NULL, "overflow message: %s",
          recur_last_error());
    size_t big_empty[3] = {0, (size_t)1 << 62, 8};
    CHECK(st_writer_add(w, "huge_empty", RECUR_DT_U8, 3, big_empty, NULL)
          == RECUR_ERR_ARGUMENT, "overflowing empty shape accepted");
    CHECK(st_writer_add(w, "nodata", RECUR_DT_F32, 1, (size_t[]){2}, NULL)
          == RECUR_ERR_ARGUMENT, "NULL data accepted");
    CHECK(st_writer_add(w, "noshape", RECUR_DT_F32, 1, NULL, weight)
          == RECUR_ERR_ARGUMENT, "NULL shape accepted");
    CHECK(st_writer_add(w, "dtype", (st_dtype)99, 0, NULL, weight)
          == RECUR_ERR_ARGUMENT, "unknown dtype accepted");
    CHECK(st_writer_add(w, NULL, RECUR_DT_F32, 0, NULL, weight) == RECUR_ERR_ARGUMENT,
          "NULL name accepted");
    CHECK(st_writer_add(NULL, "x", RECUR_DT_F32, 0, NULL, weight) == RECUR_ERR_ARGUMENT,
          "NULL writer accepted");
    CHECK(st_writer_meta(w, "k", NULL) == RECUR_ERR_ARGUMENT, "NULL meta value");
    CHECK(st_writer_meta(w, "k", "\xc0\x80") == RECUR_ERR_ARGUMENT,
          "overlong UTF-8 metadata accepted");
    CHECK(st_writer_write(w, NULL) == RECUR_ERR_ARGUMENT, "NULL path");
    CHECK(st_writer_new(NULL) == RECUR_ERR_ARGUMENT, "writer_new(NULL)");

    CHECK(st_writer_write(w, path) == RECUR_OK, "write: %s", recur_last_error());

    int temps = 0;
    CHECK(count_entries(dir, &temps) == 1 && temps == 0,
          "after the write the directory holds %d entries, %d temporary",
          count_entries(dir, &temps), temps);

    mode_t mask = umask(022);
    umask(mask);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == (0666 & ~mask),
          "file mode %o, want %o", (unsigned)(sb.st_mode & 0777), (unsigned)(0666 & ~mask));

    /* The file's layout: 8-aligned header of JSON padded with spaces. */
    size_t size = 0;
    unsigned char *bytes = read_bytes(path, &size);
    CHECK(bytes && size >= 10, "cannot read back %s", path);
    if (bytes && size >= 10) {
        uint64_t n = le64(bytes);
        CHECK(n % 8 == 0 && n + 8 <= size, "header length %llu", (unsigned long long)n);
        CHECK(bytes[8] == '{', "header begins with %c", bytes[8]);
        size_t end = (size_t)n + 8;
        while (end > 8 && bytes[end - 1] == ' ') end--;
        CHECK(end > 8 && bytes[end - 1] == '}' && (size_t)n + 8 - end < 8,
              "header not closed by '}' and < 8 spaces");
    }
    free(bytes);

    st_file *st = NULL;
    CHECK(st_read(path, &st) == RECUR_OK, "read: %s", recur_last_error());
    if (st) {
        CHECK(st_count(st) == nspecs, "%zu tensors read, %zu written",
              st_count(st), nspecs);
        for (size_t i = 0; i < nspecs; i++) {
            const spec *sp = &specs[i];
            const st_tensor *t = st_find(st, sp->name);
            CHECK(t != NULL, "tensor %s missing", sp->name);
            if (!t) continue;
            CHECK(strcmp(t->name, sp->name) == 0, "name %s", t->name);
            CHECK(t->dtype == sp->dtype, "%s: dtype %s", sp->name, st_dtype_str(t->dtype));
            CHECK(t->ndim == sp->ndim, "%s: ndim %zu, want %zu", sp->name, t->ndim, sp->ndim);
            size_t numel = 1;
            for (size_t d = 0; d < sp->ndim && d < t->ndim; d++) {
                CHECK(t->shape[d] == sp->shape[d], "%s: shape[%zu] = %zu", sp->name, d,
                      t->shape[d]);
                numel *= sp->shape[d];
            }
            CHECK(t->numel == numel, "%s: numel %zu, want %zu", sp->name, t->numel, numel);
            CHECK(t->nbytes == sp->nbytes, "%s: %zu bytes, want %zu", sp->name, t->nbytes,
                  sp->nbytes);
            CHECK(t->nbytes == 0 || memcmp(t->data, sp->data, t->nbytes) == 0,
                  "%s: data differ", sp->name);
        }
        /* st_at goes in data order; the writer lays tensors out by
         * decreasing element size, so each is aligned to its element. */
        const unsigned char *base = st_at(st, 0) ? st_at(st, 0)->data : NULL;
        size_t offset = 0;
        for (size_t i = 0; i < st_count(st); i++) {
            const st_tensor *t = st_at(st, i);
            CHECK(t->data == base + offset, "tensor %zu (%s) not contiguous", i, t->name);
            CHECK(offset % st_dtype_size(t->dtype) == 0, "%s at offset %zu is not aligned",
                  t->name, offset);
            offset += t->nbytes;
        }
        CHECK(st_at(st, st_count(st)) == NULL, "at() past the end");
        CHECK(st_find(st, "nope") == NULL && st_find(st, "") == NULL
              && st_find(st, NULL) == NULL, "find of an absent name");
        const char *mode = st_meta(st, "mode");
        const char *v = st_meta(st, "vocab");
        const char *empty = st_meta(st, "");
        CHECK(mode && strcmp(mode, "LSTM") == 0, "meta mode = %s", mode ? mode : "NULL");
        CHECK(v && strcmp(v, vocab) == 0, "meta vocab = %s", v ? v : "NULL");
        CHECK(empty && empty[0] == '\0', "empty metadata key lost");
        CHECK(st_meta(st, "absent") == NULL, "absent metadata found");

        float f[3];
        CHECK(st_to_f32(st_find(st, "f64"), f) == RECUR_OK
              && f[0] == (float)(1.0 / 3.0) && f[1] == -2.5f && isinf(f[2]), "F64 read back");
        st_free(st);
    }

    /* A metadata value from the header alone: found, absent, cut to the
     * buffer; a file cut inside its header and a directory are refused. */
    {
        char buf[8], cut[600];
        int found = -1;
        CHECK(st_peek_meta(path, "mode", buf, sizeof buf, &found) == RECUR_OK &&
                  found == 1 && !strcmp(buf, "LSTM"),
              "peek mode: %d '%s'", found, buf);
        CHECK(st_peek_meta(path, "absent", buf, sizeof buf, &found) == RECUR_OK &&
                  found == 0, "peek of an absent key");
        CHECK(st_peek_meta(path, "vocab", buf, 3, &found) == RECUR_OK &&
                  found == 1 && strlen(buf) == 2 && !strncmp(buf, vocab, 2),
              "peek cut to the buffer");
        size_t whole = 0;
        unsigned char *b = read_bytes(path, &whole);
        snprintf(cut, sizeof cut, "%s/cut.safetensors", dir);
        FILE *f = fopen(cut, "wb");
        int ok = b && f && fwrite(b, 1, 20, f) == 20;
        if (f)
            fclose(f);
        CHECK(ok && st_peek_meta(cut, "mode", buf, sizeof buf, &found) ==
                        RECUR_ERR_FORMAT, "peek of a file cut in its header");
        CHECK(st_peek_meta(dir, "mode", buf, sizeof buf, &found) == RECUR_ERR_IO,
              "peek of a directory");
        remove(cut);
        free(b);
    }

    /* Overwriting replaces the file; no metadata means no __metadata__. */
    st_writer *w2 = NULL;
    CHECK(st_writer_new(&w2) == RECUR_OK, "writer_new");
    if (w2) {
        CHECK(st_writer_add(w2, "only", RECUR_DT_F32, 0, NULL, &scalar) == RECUR_OK,
              "add only");
        CHECK(st_writer_write(w2, path) == RECUR_OK, "overwrite: %s", recur_last_error());
        st = NULL;
        CHECK(st_read(path, &st) == RECUR_OK && st_count(st) == 1
              && st_find(st, "only") && st_meta(st, "mode") == NULL,
              "overwritten file");
        st_free(st);
        bytes = read_bytes(path, &size);
        CHECK(bytes && size > 8 && !contains(bytes, size, "__metadata__"),
              "__metadata__ written without metadata");
        free(bytes);
        st_writer_free(w2);
    }
    st_writer_free(w);

    /* Failures: a missing directory, and a rename onto a directory; neither
     * leaves anything behind. */
    char bad[700];
    snprintf(bad, sizeof bad, "%s/missing/model.safetensors", dir);
    st_writer *w3 = NULL;
    CHECK(st_writer_new(&w3) == RECUR_OK, "writer_new");
    if (w3) {
        CHECK(st_writer_add(w3, "x", RECUR_DT_F32, 1, (size_t[]){6}, weight) == RECUR_OK,
              "add x");
        CHECK(st_writer_write(w3, bad) == RECUR_ERR_IO, "write into a missing directory");
        CHECK(strstr(recur_last_error(), bad) != NULL, "message lacks the path: %s",
              recur_last_error());
        snprintf(bad, sizeof bad, "%s/missing", dir);
        CHECK(access(bad, F_OK) != 0, "%s was created", bad);
        snprintf(bad, sizeof bad, "%s/a_directory", dir);
        CHECK(mkdir(bad, 0700) == 0, "mkdir %s", bad);
        CHECK(st_writer_write(w3, bad) == RECUR_ERR_IO, "write onto a directory");
        CHECK(strstr(recur_last_error(), bad) != NULL, "message lacks the path: %s",
              recur_last_error());
        CHECK(count_entries(dir, &temps) == 2 && temps == 0,
              "a failed write left %d temporary files", temps);
        rmdir(bad);
        CHECK(st_writer_write(w3, "") == RECUR_ERR_ARGUMENT, "empty path");

        /* A write that fails midway (here: the file size limit) keeps the
         * old file and removes the temporary. */
        size_t old_size = 0, now_size = 0;
        unsigned char *old_bytes = read_bytes(path, &old_size);
        size_t many = 1 << 16;
        float *zeros = calloc(many, sizeof *zeros);
        struct rlimit saved_limit, limit;
        struct sigaction ignore, saved_action;
        memset(&ignore, 0, sizeof ignore);
        ignore.sa_handler = SIG_IGN;
        if (old_bytes && zeros && getrlimit(RLIMIT_FSIZE, &saved_limit) == 0
            && sigaction(SIGXFSZ, &ignore, &saved_action) == 0) {
            CHECK(st_writer_add(w3, "zeros", RECUR_DT_F32, 1, &many, zeros) == RECUR_OK,
                  "add zeros");
            limit = saved_limit;
            limit.rlim_cur = 4096;
            if (setrlimit(RLIMIT_FSIZE, &limit) == 0) {
                recur_status ws = st_writer_write(w3, path);
                setrlimit(RLIMIT_FSIZE, &saved_limit);
                CHECK(ws == RECUR_ERR_IO, "write past the file size limit: %s",
                      recur_status_str(ws));
                CHECK(strstr(recur_last_error(), path) != NULL, "message lacks the path: %s",
                      recur_last_error());
                unsigned char *now_bytes = read_bytes(path, &now_size);
                CHECK(now_bytes && now_size == old_size
                      && memcmp(now_bytes, old_bytes, old_size) == 0,
                      "a failed write changed the existing file");
                free(now_bytes);
                CHECK(count_entries(dir, &temps) == 1 && temps == 0,
                      "a failed write left %d temporary files", temps);
            }
            sigaction(SIGXFSZ, &saved_action, NULL);
        }
        free(zeros);
        free(old_bytes);
        st_writer_free(w3);
    }

    CHECK(st_read(NULL, &st) == RECUR_ERR_ARGUMENT, "read(NULL)");
    CHECK(st_read(path, NULL) == RECUR_ERR_ARGUMENT, "read into NULL");
    CHECK(st_parse(NULL, 10, "x", &st) == RECUR_ERR_ARGUMENT, "parse(NULL)");
    CHECK(st_parse(python_file, PYTHON_FILE_SIZE, "x", NULL) == RECUR_ERR_ARGUMENT,
          "parse into NULL");
    CHECK(st_count(NULL) == 0 && st_at(NULL, 0) == NULL
          && st_find(NULL, "x") == NULL && st_meta(NULL, "x") == NULL,
          "queries on NULL");
    st_free(NULL);
    st_writer_free(NULL);
    CHECK(strcmp(st_dtype_str(RECUR_DT_BF16), "BF16") == 0
          && st_dtype_size(RECUR_DT_F64) == 8 && st_dtype_size(RECUR_DT_F8_E5M2) == 1
          && st_dtype_str((st_dtype)99) == NULL && st_dtype_size((st_dtype)99) == 0,
          "dtype table");

    remove_dir(dir);
    check_conversions();
    check_python_file();
}

/* ------------------------------------------------------------------------ */
/* Hostile files                                                             */

/* A header length field over a few header bytes, without a real header. */
static void expect_raw(int line, uint64_t n, const char *tail, size_t tail_len,
                       const char *needle)
{
    unsigned char buf[64];
    put_le64(buf, n);
    memcpy(buf + 8, tail, tail_len);
    st_file *st = NULL;
    recur_status s = st_parse(buf, 8 + tail_len, "hostile.safetensors", &st);
    CHECK(s == RECUR_ERR_FORMAT, "line %d: header length %llu: got %s", line,
          (unsigned long long)n, recur_status_str(s));
    CHECK(st == NULL, "line %d: *out written", line);
    if (needle)
        CHECK(strstr(recur_last_error(), needle) != NULL, "line %d: message '%s' lacks '%s'",
              line, recur_last_error(), needle);
    if (s == RECUR_OK) st_free(st);
}

void test_safetensors_hostile(void)
{
    const recur_status F = RECUR_ERR_FORMAT, OK = RECUR_OK;

    /* Well-formed edge cases the reader must accept. */
    EXPECT("{}", 0, OK, NULL);
    EXPECT("{}      ", 0, OK, NULL);
    EXPECT("{} \n\t", 0, OK, NULL);
    EXPECT("{\"__metadata__\":{\"a\":\"b\",\"c\":\"\"}}", 0, OK, NULL);
    EXPECT("{\"__metadata__\":{}}", 0, OK, NULL);
    EXPECT("{" E("w", "F32", "[2]", "0", "8") "}", 8, OK, NULL);
    EXPECT("{" E("a", "F32", "[0]", "0", "0") "," E("b", "F32", "[0,3]", "0", "0") "}", 0,
           OK, NULL);
    EXPECT("{" E("a", "F32", "[2]", "0", "8") "," E("z", "I8", "[3,0]", "8", "8") "}", 8,
           OK, NULL);
    EXPECT("{" E("s", "F64", "[]", "0", "8") "}", 8, OK, NULL);
    EXPECT("{" E("b", "F32", "[1]", "4", "8") "," E("a", "F32", "[1]", "0", "4") "}", 8,
           OK, NULL);
    EXPECT("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":[1]}}", 1,
           OK, NULL);
    EXPECT("{" E("w", "U8", "[1,1,1,1,1,1,1,1]", "0", "1") "}", 1, OK, NULL);

    /* The header itself. */
    static const char nul_padded[] = "{}\0\0\0\0\0\0";
    expect_parse(__LINE__, nul_padded, 8, 0, F, "JSON", NULL);
    EXPECT("[]", 0, F, "'{'");
    EXPECT(" {}", 0, F, "'{'");
    EXPECT("{", 0, F, "JSON");
    EXPECT("{}x", 0, F, "JSON");
    EXPECT("{\"a\":}", 0, F, "JSON");
    EXPECT("{}{}", 0, F, "JSON");
    EXPECT("{\"\xff\":1}", 0, F, "JSON");
    EXPECT("{\"w\xc0\x80\":1}", 0, F, "JSON");
    EXPECT("{" E("w", "F32", "[1]", "0", "4") "," E("w", "F32", "[1]", "4", "8") "}", 8, F,
           "duplicate");
    EXPECT("{" E("w\\u0000x", "F32", "[1]", "0", "4") "}", 4, F, NULL);

    /* Entries. */
    EXPECT("{\"weight_ih_l0\":[1]}", 0, F, "'weight_ih_l0'");
    EXPECT("{\"weight_ih_l0\":\"F32\"}", 0, F, "'weight_ih_l0'");
    EXPECT("{\"weight_ih_l0\":null}", 0, F, "'weight_ih_l0'");
    EXPECT("{" E("", "F32", "[1]", "0", "4") "}", 4, F, "empty name");
    EXPECT("{\"wx\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "'wx': no dtype");
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, F, "'wx': no shape");
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, F, "'wx': no data_offsets");
    EXPECT("{\"wx\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "'wx'");
    EXPECT("{\"wx\":{\"dtype\":null,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "'wx'");
    EXPECT("{\"wx\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "'wx'");
    EXPECT("{" E("wx", "F33", "[1]", "0", "4") "}", 4, F, "unknown dtype 'F33'");
    EXPECT("{" E("wx", "f32", "[1]", "0", "4") "}", 4, F, "unknown dtype");
    EXPECT("{" E("wx", "", "[1]", "0", "4") "}", 4, F, "unknown dtype");
    EXPECT("{" E("wx", "F32 ", "[1]", "0", "4") "}", 4, F, "unknown dtype");

    /* Shapes. */
    EXPECT("{" E("wx", "F32", "4", "0", "16") "}", 16, F, "'wx': shape");
    EXPECT("{" E("wx", "F32", "{}", "0", "4") "}", 4, F, "'wx': shape");
    EXPECT("{" E("wx", "F32", "null", "0", "4") "}", 4, F, "'wx': shape");
    EXPECT("{" E("wx", "U8", "[1,1,1,1,1,1,1,1,1]", "0", "1") "}", 1, F, "9 dims");
    EXPECT("{" E("wx", "F32", "[-1]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[2,-3]", "0", "4") "}", 4, F, "'wx': shape[1]");
    EXPECT("{" E("wx", "F32", "[1.0]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[1e0]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[\"1\"]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[true]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[null]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[[1]]", "0", "4") "}", 4, F, "'wx': shape[0]");
    EXPECT("{" E("wx", "F32", "[4294967296,4294967296]", "0", "0") "}", 0, F, "'wx'");
    EXPECT("{" E("wx", "F32", "[4611686018427387904]", "0", "0") "}", 0, F, "'wx'");
    EXPECT("{" E("wx", "I8", "[9223372036854775807,2]", "0", "0") "}", 0, F, "'wx'");
    EXPECT("{" E("wx", "I8", "[9223372036854775807,0,2,9223372036854775807]", "0", "0") "}",
           0, F, "'wx'");
    EXPECT("{" E("wx", "I8", "[99999999999999999999]", "0", "0") "}", 0, F, "JSON");
    EXPECT("{" E("wx", "F64", "[0,1000000,1000000]", "0", "0") "}", 0, OK, NULL);
    EXPECT("{" E("wx", "F64", "[2305843009213693951,0]", "0", "0") "}", 0, OK, NULL);
    EXPECT("{" E("wx", "F64", "[2305843009213693952,0]", "0", "0") "}", 0, F, "'wx'");

    /* Offsets. */
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, F,
           "'wx': data_offsets");
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, F,
           "'wx': data_offsets");
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", 4, F,
           "'wx': data_offsets");
    EXPECT("{\"wx\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":4}}", 4, F,
           "'wx': data_offsets");
    EXPECT("{" E("wx", "F32", "[1]", "-1", "3") "}", 4, F, "'wx': data_offsets");
    EXPECT("{" E("wx", "F32", "[1]", "\"0\"", "4") "}", 4, F, "'wx': data_offsets");
    EXPECT("{" E("wx", "F32", "[1]", "0.0", "4") "}", 4, F, "'wx': data_offsets");
    EXPECT("{" E("wx", "F32", "[1]", "0", "4.0") "}", 4, F, "'wx': data_offsets");
    EXPECT("{" E("wx", "F32", "[1]", "8", "4") "}", 8, F, "end before they begin");
    EXPECT2("{" E("weight_ih_l0", "F32", "[4,5]", "0", "96") "}", 96, F,
            "'weight_ih_l0': data_offsets [0,96] hold 96 bytes, shape [4,5] of F32 needs 80",
            NULL);
    EXPECT("{" E("wx", "F32", "[1]", "100", "104") "}", 4, F, "past the end");
    EXPECT("{" E("wx", "F32", "[1]", "9223372036854775800", "9223372036854775804") "}", 4, F,
           "past the end");
    EXPECT("{" E("wx", "F32", "[0]", "5", "5") "}", 4, F, "past the end");

    /* Coverage of the data buffer. */
    EXPECT2("{" E("alpha", "F32", "[2]", "0", "8") "," E("beta", "F32", "[2]", "4", "12") "}",
            12, F, "'beta'", "'alpha'");
    EXPECT2("{" E("alpha", "F32", "[2]", "0", "8") "," E("beta", "F32", "[2]", "0", "8") "}",
            8, F, "'beta'", "overlap");
    EXPECT2("{" E("alpha", "F32", "[2]", "0", "8") "," E("beta", "F32", "[0]", "4", "4") "}",
            8, F, "'beta'", "overlap");
    EXPECT2("{" E("alpha", "F32", "[1]", "0", "4") "," E("beta", "F32", "[1]", "8", "12") "}",
            12, F, "'beta'", "[4,8)");
    EXPECT2("{" E("alpha", "F32", "[1]", "4", "8") "}", 8, F, "'alpha'", "[0,4)");
    EXPECT("{" E("alpha", "F32", "[1]", "0", "4") "}", 8, F, "8 bytes");
    EXPECT("{}", 4, F, "4 bytes");
    EXPECT("{\"__metadata__\":{}}", 1, F, "1 bytes");

    /* Metadata. */
    EXPECT("{\"__metadata__\":\"x\"}", 0, F, "__metadata__");
    EXPECT("{\"__metadata__\":[]}", 0, F, "__metadata__");
    EXPECT("{\"__metadata__\":null}", 0, F, "__metadata__");
    EXPECT("{\"__metadata__\":{\"kx\":1}}", 0, F, "'kx'");
    EXPECT("{\"__metadata__\":{\"kx\":null}}", 0, F, "'kx'");
    EXPECT("{\"__metadata__\":{\"kx\":{\"a\":\"b\"}}}", 0, F, "'kx'");
    EXPECT("{\"__metadata__\":{\"a\":\"b\"},\"__metadata__\":{}}", 0, F, "duplicate");

    /* Nesting far past any sane depth is an error, not a stack overflow. */
    {
        size_t depth = 100000;
        char *deep = malloc(depth + 8);
        if (deep) {
            memcpy(deep, "{\"a\":", 5);
            memset(deep + 5, '[', depth);
            deep[5 + depth] = '\0';
            expect_parse(__LINE__, deep, 5 + depth, 0, F, "JSON", NULL);
            memset(deep + 5, '{', depth);
            expect_parse(__LINE__, deep, 5 + depth, 0, F, "JSON", NULL);
            free(deep);
        }
    }

    /* The header length. */
    expect_raw(__LINE__, 2, "{}", 0, "past the end");
    expect_raw(__LINE__, 0, "{}", 2, "too small");
    expect_raw(__LINE__, 1, "{}", 2, "too small");
    expect_raw(__LINE__, 100, "{}", 2, "past the end");
    expect_raw(__LINE__, 3, "{}", 2, "past the end");
    expect_raw(__LINE__, RECUR_ST_MAX_HEADER + 1, "{}", 2, "limit");
    expect_raw(__LINE__, RECUR_ST_MAX_HEADER, "{}", 2, "past the end");
    expect_raw(__LINE__, UINT64_MAX, "{}", 2, "limit");
    expect_raw(__LINE__, UINT64_MAX - 7, "{}", 2, "limit");
    {
        st_file *st = NULL;
        for (size_t n = 0; n < 8; n++) {
            recur_status s = st_parse("\002\000\000\000\000\000\000", n, "short", &st);
            CHECK(s == F, "a %zu-byte buffer: %s", n, recur_status_str(s));
        }
        CHECK(st == NULL, "*out written");
    }

    /* Every truncation of a valid file fails, none crashes. */
    {
        int bad = 0;
        for (size_t len = 0; len < PYTHON_FILE_SIZE; len++) {
            st_file *st = NULL;
            recur_status s = st_parse(python_file, len, "truncated", &st);
            if (s == RECUR_OK) {
                bad++;
                st_free(st);
            } else if (s != F) {
                bad++;
            }
        }
        CHECK(bad == 0, "%d truncations of a valid file were not RECUR_ERR_FORMAT", bad);
    }

    /* Files: missing, a directory, a FIFO (must not block), a truncated file. */
    char dir[512], path[600];
    make_temp_dir(dir, sizeof dir);
    CHECK(dir[0] != '\0', "cannot create a temporary directory");
    if (!dir[0]) return;
    st_file *st = NULL;
    snprintf(path, sizeof path, "%s/absent.safetensors", dir);
    CHECK(st_read(path, &st) == RECUR_ERR_IO, "missing file");
    CHECK(strstr(recur_last_error(), path) != NULL, "message lacks the path: %s",
          recur_last_error());
    recur_status s = st_read(dir, &st);
    CHECK(s == RECUR_ERR_IO || s == F, "directory: %s", recur_status_str(s));
    snprintf(path, sizeof path, "%s/fifo", dir);
    if (mkfifo(path, 0600) == 0)
        CHECK(st_read(path, &st) == RECUR_ERR_IO, "FIFO: %s", recur_last_error());
    snprintf(path, sizeof path, "%s/truncated.safetensors", dir);
    CHECK(write_bytes(path, python_file, PYTHON_FILE_SIZE - 1) == 0, "write %s", path);
    CHECK(st_read(path, &st) == F, "truncated file");
    CHECK(strstr(recur_last_error(), path) != NULL, "message lacks the path: %s",
          recur_last_error());
    snprintf(path, sizeof path, "%s/whole.safetensors", dir);
    CHECK(write_bytes(path, python_file, PYTHON_FILE_SIZE) == 0, "write %s", path);
    CHECK(st_read(path, &st) == OK && st_count(st) == 6, "whole file: %s",
          recur_last_error());
    st_free(st);
    st = NULL;
    snprintf(path, sizeof path, "%s/empty.safetensors", dir);
    CHECK(write_bytes(path, "", 0) == 0, "write %s", path);
    CHECK(st_read(path, &st) == F && st == NULL, "empty file");
    remove_dir(dir);
}

/* ------------------------------------------------------------------------ */
/* Mutation fuzzing                                                          */

static uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* What a successful parse must guarantee about `bytes`: the tensors cover
 * the data buffer exactly, in order, each pointing at its own bytes, with
 * consistent sizes; find() returns each; conversions stay in bounds. */
static const char *check_invariants(const st_file *st, const unsigned char *bytes,
                                    size_t size)
{
    if (size < 8) return "parsed a buffer shorter than 8 bytes";
    uint64_t n = le64(bytes);
    if (n > size - 8) return "header length past the end";
    const unsigned char *data = bytes + 8 + n;
    size_t data_size = size - 8 - (size_t)n;
    size_t count = st_count(st);
    const unsigned char *base = count ? st_at(st, 0)->data : NULL;
    size_t offset = 0;
    for (size_t i = 0; i < count; i++) {
        const st_tensor *t = st_at(st, i);
        if (!t || !t->name || !t->name[0]) return "a tensor without a name";
        if (t->ndim > RECUR_ST_MAX_DIMS) return "too many dims";
        size_t numel = 1;
        for (size_t d = 0; d < t->ndim; d++) numel *= t->shape[d];
        if (numel != t->numel) return "numel is not the product of the shape";
        if (t->nbytes != t->numel * st_dtype_size(t->dtype)) return "nbytes != numel*size";
        if (t->data != base + offset) return "tensors not contiguous in data order";
        if (t->nbytes > data_size - offset) return "tensor past the end of the data";
        if (t->nbytes && memcmp(t->data, data + offset, t->nbytes) != 0)
            return "tensor data differ from the file's bytes";
        if (st_find(st, t->name) != t) return "find() does not return the tensor";
        offset += t->nbytes;
        if (t->numel <= 64) {
            float f[64];
            int64_t v[64];
            recur_status sf = st_to_f32(t, f), si = st_to_i64(t, v);
            if (sf != RECUR_OK && sf != RECUR_ERR_SHAPE) return "to_f32 status";
            if (si != RECUR_OK && si != RECUR_ERR_SHAPE) return "to_i64 status";
        }
    }
    if (offset != data_size) return "tensors do not cover the data buffer";
    return NULL;
}

/* file_remove_stale_temps: the temporaries a save killed before its
 * rename leaves are removed, by their exact pattern, and nothing else. */
void test_safetensors_stale_temps(void)
{
    char dir[512], path[700], adir[600];
    make_temp_dir(dir, sizeof dir);
    CHECK(dir[0] != '\0', "cannot create a temporary directory");
    if (!dir[0]) return;
    snprintf(path, sizeof path, "%s/m.safetensors", dir);

    /* A real temporary name, from the message of a write whose rename
     * fails (onto a directory): the pattern is the writer's own. */
    char real[1024] = "";
    snprintf(adir, sizeof adir, "%s/adir", dir);
    st_writer *w = NULL;
    if (mkdir(adir, 0700) == 0 && st_writer_new(&w) == RECUR_OK &&
        st_writer_write(w, adir) == RECUR_ERR_IO) {
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "(%s.tmp.", adir);
        const char *at = strstr(recur_last_error(), prefix);
        if (at && strlen(at) > strlen(prefix) + 6 && at[strlen(prefix) + 6] == ')')
            snprintf(real, sizeof real, "%.*s", (int)strlen(prefix) + 5, at + 1);
    }
    st_writer_free(w);
    CHECK(real[0] != '\0', "no temporary name in the failed write's message: %s",
          recur_last_error());

    static const char *const stale[] = {"m.safetensors.tmp.ABC123",
                                        "m.safetensors.tmp.zZ09aB"};
    static const char *const kept[] = {
        "m.safetensors", "m.safetensors.tmp.keep-me-longer",
        "y.safetensors.tmp.ABC123", "xm.safetensors.tmp.ABC123",
        "m.safetensors.tmp.ABC12", "m.safetensors.tmp.ABC1234",
        "m.safetensors.tmp.AB_123", "m.safetensors.tmp.", "m.safetensors.tmp"};
    int ok = 1;
    char name[1100];
    for (size_t i = 0; ok && i < sizeof stale / sizeof *stale; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, stale[i]);
        ok = write_bytes(name, "x", 1) == 0;
    }
    for (size_t i = 0; ok && i < sizeof kept / sizeof *kept; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, kept[i]);
        ok = write_bytes(name, "keep", 4) == 0;
    }
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.DIR123", dir);
    ok = ok && mkdir(name, 0700) == 0;
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.LNK123", dir);
    ok = ok && symlink("m.safetensors", name) == 0;
    ok = ok && (!real[0] || write_bytes(real, "x", 1) == 0);
    CHECK(ok, "cannot plant the files in %s", dir);

    size_t removed = 99;
    recur_status s = file_remove_stale_temps(path, &removed);
    CHECK(s == RECUR_OK && removed == 2, "stale temporaries of %s: %s, %zu "
          "removed, expected 2", path, recur_status_str(s), removed);
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, stale[i]);
        CHECK(access(name, F_OK) != 0, "%s was left", name);
    }
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, kept[i]);
        size_t size = 0;
        unsigned char *bytes = read_bytes(name, &size);
        CHECK(bytes && size == 4 && !memcmp(bytes, "keep", 4),
              "%s was removed or changed", name);
        free(bytes);
    }
    struct stat sb;
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.DIR123", dir);
    CHECK(lstat(name, &sb) == 0 && S_ISDIR(sb.st_mode), "the directory %s "
          "was removed", name);
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.LNK123", dir);
    CHECK(lstat(name, &sb) == 0 && S_ISLNK(sb.st_mode), "the link %s was "
          "removed", name);
    if (real[0]) {
        s = file_remove_stale_temps(adir, &removed);
        CHECK(s == RECUR_OK && removed == 1 && access(real, F_OK) != 0,
              "the writer's own temporary name %s: %s, %zu removed", real,
              recur_status_str(s), removed);
    }

    removed = 99;
    CHECK(file_remove_stale_temps(path, &removed) == RECUR_OK && removed == 0,
          "a second call removed %zu", removed);
    CHECK(file_remove_stale_temps(path, NULL) == RECUR_OK, "removed NULL");
    snprintf(name, sizeof name, "%s/missing/m.safetensors", dir);
    removed = 99;
    CHECK(file_remove_stale_temps(name, &removed) == RECUR_OK && removed == 0,
          "a missing directory: %s, %zu", recur_last_error(), removed);
    snprintf(name, sizeof name, "%s/", dir);
    removed = 99;
    CHECK(file_remove_stale_temps(name, &removed) == RECUR_ERR_ARGUMENT &&
              removed == 99,
          "a path ending in '/'");
    CHECK(file_remove_stale_temps("", &removed) == RECUR_ERR_ARGUMENT &&
              file_remove_stale_temps(NULL, &removed) == RECUR_ERR_ARGUMENT,
          "an empty or NULL path");

    /* A file that cannot be removed (not as root, which may remove it):
     * RECUR_ERR_IO naming it, *removed left alone. */
    char locked[600];
    snprintf(locked, sizeof locked, "%s/locked", dir);
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.ABC123", locked);
    if (geteuid() != 0 && mkdir(locked, 0700) == 0 &&
        write_bytes(name, "x", 1) == 0 && chmod(locked, 0500) == 0) {
        snprintf(path, sizeof path, "%s/m.safetensors", locked);
        removed = 99;
        s = file_remove_stale_temps(path, &removed);
        CHECK(s == RECUR_ERR_IO && removed == 99 &&
                  strstr(recur_last_error(), "m.safetensors.tmp.ABC123"),
              "an unremovable temporary: %s: %s", recur_status_str(s),
              recur_last_error());
        chmod(locked, 0700);
        unlink(name);
        rmdir(locked);
    }
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.DIR123", dir);
    rmdir(name);
    rmdir(adir);
    remove_dir(dir);
    CHECK(access(dir, F_OK) != 0, "cannot remove %s", dir);
}

void test_safetensors_fuzz(void)
{
    static const char extra_json[] = "{\"__metadata__\":{\"mode\":\"GRU\",\"vocab\":\"a\\nb\"},"
        E("e", "BF16", "[0,2]", "0", "0") ","
        E("d", "F64", "[1]", "0", "8") ","
        E("u", "U64", "[2,1]", "8", "24") ","
        E("h", "F16", "[3]", "24", "30") ","
        E("b", "BOOL", "[]", "30", "31") ","
        E("q", "F8_E4M3", "[1,1,1]", "31", "32") "}";
    size_t extra_size;
    unsigned char *extra = make_file(extra_json, strlen(extra_json), 32, &extra_size);
    CHECK(extra != NULL, "out of memory");
    if (!extra) return;
    const unsigned char *seeds[2] = {python_file, extra};
    const size_t seed_sizes[2] = {PYTHON_FILE_SIZE, extra_size};
    static const unsigned char interesting[] = {
        0x00, 0xff, 0x7f, 0x80, '9', '0', '1', '-', '+', '.', 'e', '[', ']', '{', '}',
        '"', ',', ':', ' ', '\\', 'u', 'n', 't', 'F', 0xc3, 0xe2};
    size_t cap = 0;
    for (int i = 0; i < 2; i++)
        if (seed_sizes[i] > cap) cap = seed_sizes[i];
    cap += 64;
    unsigned char *buf = malloc(cap);
    CHECK(buf != NULL, "out of memory");
    if (!buf) {
        free(extra);
        return;
    }

    uint64_t rng = 0x9e3779b97f4a7c15u;
    const int iterations = 20000;
    int accepted = 0, refused = 0, failures = 0;
    for (int iter = 0; iter < iterations; iter++) {
        int which = (int)(xorshift64(&rng) % 2);
        size_t len = seed_sizes[which];
        memcpy(buf, seeds[which], len);
        int mutations = 1 + (int)(xorshift64(&rng) % 4);
        for (int m = 0; m < mutations && len > 0; m++) {
            uint64_t r = xorshift64(&rng);
            size_t pos = (size_t)(xorshift64(&rng) % len);
            /* Most edits land in the header, where the parser lives. */
            uint64_t n = le64(buf);
            if (r & 0x100 && len > 8 && n > 0 && n <= len - 8)
                pos = 8 + (size_t)(xorshift64(&rng) % n);
            int in_header = pos >= 8 && pos < 8 + n;
            unsigned char value = (r & 0x200) ? interesting[(r >> 16) % sizeof interesting]
                                              : (unsigned char)(r >> 24);
            switch (r % 8) {
            case 0:
                buf[pos] ^= (unsigned char)(1u << ((r >> 8) % 8));
                break;
            case 1:
            case 2:
                buf[pos] = value;
                break;
            case 3:
                if (len < cap) {
                    memmove(buf + pos + 1, buf + pos, len - pos);
                    buf[pos] = value;
                    len++;
                    if (in_header && !(r & 0x400)) put_le64(buf, n + 1);
                }
                break;
            case 4:
                memmove(buf + pos, buf + pos + 1, len - pos - 1);
                len--;
                if (in_header && !(r & 0x400) && len >= 8) put_le64(buf, n - 1);
                break;
            case 5:
                if (len >= 8) put_le64(buf, n + (uint64_t)((r >> 8) % 7) - 3);
                break;
            case 6:
                len = pos;
                break;
            default: {
                /* Replace a digit run's last digit: offsets and dims drift. */
                size_t p = pos;
                while (p < len && !(buf[p] >= '0' && buf[p] <= '9')) p++;
                if (p < len) buf[p] = (unsigned char)('0' + (r >> 8) % 10);
                break;
            }
            }
        }
        st_file *st = NULL;
        recur_status s = st_parse(buf, len, "fuzz", &st);
        if (s == RECUR_OK) {
            accepted++;
            const char *why = check_invariants(st, buf, len);
            if (why && failures++ < 5)
                CHECK(0, "fuzz iteration %d: %s", iter, why);
            st_free(st);
        } else {
            refused++;
            if (st != NULL && failures++ < 5) CHECK(0, "fuzz iteration %d: *out written", iter);
            if ((s != RECUR_ERR_FORMAT || recur_last_error()[0] == '\0') && failures++ < 5)
                CHECK(0, "fuzz iteration %d: %s with message '%s'", iter, recur_status_str(s),
                      recur_last_error());
        }
    }
    CHECK(failures == 0, "%d fuzz failures", failures);
    /* The mutations must reach past the JSON parser in both directions. */
    CHECK(accepted >= 100 && refused > iterations / 2,
          "fuzz: %d accepted, %d refused of %d", accepted, refused, iterations);
    free(buf);
    free(extra);
}
