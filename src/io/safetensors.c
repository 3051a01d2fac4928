/*
 * safetensors.c — reading and writing safetensors files.
 *
 * File: N as 8 bytes little-endian; N bytes of UTF-8 JSON beginning with '{'
 * (the writer pads it with spaces so that the data starts at a multiple of
 * 8); the data buffer, which the tensors must cover exactly: sorted by
 * offset, the first begins at 0, each begins where the previous ends, the
 * last ends at the end of the file. This is what the reference
 * implementation (huggingface/safetensors) accepts and writes.
 *
 * Byte order: tensor data is little-endian in the file and is copied and
 * converted as native values, so the host must be little-endian (x86-64,
 * AArch64); the build stops otherwise. The header length is read bytewise.
 *
 * The JSON is parsed by jansson with duplicate keys rejected. Jansson bounds
 * nesting at JSON_PARSER_MAX_DEPTH (2048), refuses "\u0000" in strings and
 * integers beyond long long, and checks UTF-8, so names and metadata are
 * NUL-free valid UTF-8. Keys of a tensor entry other than dtype, shape and
 * data_offsets are ignored, as the reference implementation does.
 */
#define _POSIX_C_SOURCE 200809L

#include "io/safetensors.h"
#include "base/error.h"
#include "base/file.h"

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.c copies tensor data as native values: little-endian hosts only"
#endif

/* Names are cut to this many bytes in messages (the message buffer is 1 KiB). */
#define NAME_MAX_SHOWN 200

/* rank: the order of the reference implementation's Dtype enum. Its writer
 * lays tensors out by descending rank (which is also descending element
 * size, so every tensor is aligned to its element size), then by name. */
static const struct {
    const char *name;
    size_t size;
    int rank;
} dtypes[] = {
    [RECUR_DT_BOOL] = {.name = "BOOL", .size = 1, .rank = 0},
    [RECUR_DT_U8] = {.name = "U8", .size = 1, .rank = 1},
    [RECUR_DT_I8] = {.name = "I8", .size = 1, .rank = 2},
    [RECUR_DT_I16] = {.name = "I16", .size = 2, .rank = 5},
    [RECUR_DT_U16] = {.name = "U16", .size = 2, .rank = 6},
    [RECUR_DT_F16] = {.name = "F16", .size = 2, .rank = 7},
    [RECUR_DT_BF16] = {.name = "BF16", .size = 2, .rank = 8},
    [RECUR_DT_I32] = {.name = "I32", .size = 4, .rank = 9},
    [RECUR_DT_U32] = {.name = "U32", .size = 4, .rank = 10},
    [RECUR_DT_F32] = {.name = "F32", .size = 4, .rank = 11},
    [RECUR_DT_F64] = {.name = "F64", .size = 8, .rank = 12},
    [RECUR_DT_I64] = {.name = "I64", .size = 8, .rank = 13},
    [RECUR_DT_U64] = {.name = "U64", .size = 8, .rank = 14},
    [RECUR_DT_F8_E4M3] = {.name = "F8_E4M3", .size = 1, .rank = 4},
    [RECUR_DT_F8_E5M2] = {.name = "F8_E5M2", .size = 1, .rank = 3},
};
#define DTYPE_COUNT (sizeof dtypes / sizeof dtypes[0])

const char *st_dtype_str(st_dtype dtype)
{
    return (unsigned)dtype < DTYPE_COUNT ? dtypes[dtype].name : NULL;
}

size_t st_dtype_size(st_dtype dtype)
{
    return (unsigned)dtype < DTYPE_COUNT ? dtypes[dtype].size : 0;
}

static const char *dtype_name(st_dtype dtype)
{
    const char *name = st_dtype_str(dtype);
    return name ? name : "?";
}

static int dtype_parse(const char *name, st_dtype *out)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++) {
        if (strcmp(dtypes[i].name, name) == 0) {
            *out = (st_dtype)i;
            return 1;
        }
    }
    return 0;
}

/* "[4,5]" into buf (at least 8*21+3 bytes hold any shape). */
static const char *shape_str(char *buf, size_t size, const size_t *shape,
                             size_t ndim)
{
    size_t used = 0;
    buf[used++] = '[';
    for (size_t i = 0; i < ndim && used < size; i++) {
        int n = snprintf(buf + used, size - used, i ? ",%zu" : "%zu", shape[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (used + 2 > size) used = size - 2;
    buf[used++] = ']';
    buf[used] = '\0';
    return buf;
}

#define SHAPE_BUF 200

/* ------------------------------------------------------------------------ */
/* Reader                                                                    */

typedef struct {
    const char *key;
    const char *value;
} meta_entry;

struct st_file {
    unsigned char *file;       /* the whole file; tensor data points into it */
    size_t size;
    st_tensor *tensors;  /* in the order of their data */
    size_t count;
    const st_tensor **by_name; /* sorted by name, for st_find */
    meta_entry *meta;          /* sorted by key */
    size_t meta_count;
    char *strings;             /* names, keys and values, NUL-terminated */
};

static int json_to_size(const json_t *j, size_t *out)
{
    if (!json_is_integer(j)) return 0;
    json_int_t v = json_integer_value(j);
    if (v < 0) return 0;
#if SIZE_MAX < LLONG_MAX
    if ((unsigned long long)v > SIZE_MAX) return 0;
#endif
    *out = (size_t)v;
    return 1;
}

static int cmp_data_order(const void *pa, const void *pb)
{
    const st_tensor *a = pa, *b = pb;
    if (a->data != b->data) return a->data < b->data ? -1 : 1;
    if (a->nbytes != b->nbytes) return a->nbytes < b->nbytes ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_tensor_name(const void *pa, const void *pb)
{
    const st_tensor *const *a = pa, *const *b = pb;
    return strcmp((*a)->name, (*b)->name);
}

static int cmp_meta_key(const void *pa, const void *pb)
{
    const meta_entry *a = pa, *b = pb;
    return strcmp(a->key, b->key);
}

static char *copy_string(char **cursor, const char *s)
{
    size_t n = strlen(s) + 1;
    char *dst = *cursor;
    memcpy(dst, s, n);
    *cursor += n;
    return dst;
}

/* Checks one tensor entry and fills *t, name excepted; t->data is set from
 * data_offsets inside data[0, data_size). */
static recur_status parse_entry(const char *what, const char *name,
                                const json_t *entry, const unsigned char *data,
                                size_t data_size, st_tensor *t)
{
    const int shown = NAME_MAX_SHOWN;
    char shape_buf[SHAPE_BUF];

    if (!json_is_object(entry))
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': entry is not a JSON object",
                          what, shown, name);

    const json_t *dtype = json_object_get(entry, "dtype");
    if (!dtype)
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': no dtype", what, shown, name);
    if (!json_is_string(dtype))
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': dtype is not a string",
                          what, shown, name);
    if (!dtype_parse(json_string_value(dtype), &t->dtype))
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': unknown dtype '%.32s'",
                          what, shown, name, json_string_value(dtype));
    size_t esize = dtypes[t->dtype].size;

    const json_t *shape = json_object_get(entry, "shape");
    if (!shape)
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': no shape", what, shown, name);
    if (!json_is_array(shape))
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': shape is not an array",
                          what, shown, name);
    t->ndim = json_array_size(shape);
    if (t->ndim > RECUR_ST_MAX_DIMS)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': shape has %zu dims, at most %d are supported",
                          what, shown, name, t->ndim, RECUR_ST_MAX_DIMS);
    /* The product of the nonzero dims, times the element size, must fit in
     * size_t even when a zero dim makes numel 0: then any product of some
     * of the dims, as code indexing the tensor forms, cannot overflow. */
    size_t nonzero = esize;
    int overflow = 0, empty = 0;
    for (size_t i = 0; i < t->ndim; i++) {
        if (!json_to_size(json_array_get(shape, i), &t->shape[i]))
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: tensor '%.*s': shape[%zu] is not a non-negative integer",
                              what, shown, name, i);
        if (t->shape[i] == 0)
            empty = 1;
        else if (!size_mul_ok(nonzero, t->shape[i], &nonzero))
            overflow = 1;
    }
    t->numel = empty ? 0 : nonzero / esize;
    t->nbytes = empty ? 0 : nonzero;
    if (overflow)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': shape %s of %s has more bytes than size_t holds",
                          what, shown, name, shape_str(shape_buf, sizeof shape_buf, t->shape, t->ndim),
                          dtypes[t->dtype].name);

    const json_t *offsets = json_object_get(entry, "data_offsets");
    if (!offsets)
        return error_fail(RECUR_ERR_FORMAT, "%s: tensor '%.*s': no data_offsets",
                          what, shown, name);
    size_t begin, end;
    if (!json_is_array(offsets) || json_array_size(offsets) != 2
        || !json_to_size(json_array_get(offsets, 0), &begin)
        || !json_to_size(json_array_get(offsets, 1), &end))
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': data_offsets is not two non-negative integers",
                          what, shown, name);
    if (begin > end)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': data_offsets [%zu,%zu] end before they begin",
                          what, shown, name, begin, end);
    if (end - begin != t->nbytes)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': data_offsets [%zu,%zu] hold %zu bytes, "
                          "shape %s of %s needs %zu",
                          what, shown, name, begin, end, end - begin,
                          shape_str(shape_buf, sizeof shape_buf, t->shape, t->ndim),
                          dtypes[t->dtype].name, t->nbytes);
    if (end > data_size)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: tensor '%.*s': data_offsets [%zu,%zu] run past the end of "
                          "the %zu-byte data buffer",
                          what, shown, name, begin, end, data_size);
    t->data = data + begin;
    return RECUR_OK;
}

/* Fills st's tables from the parsed header object. */
static recur_status build(st_file *st, json_t *root, const char *what,
                          const unsigned char *data, size_t data_size)
{
    const int shown = NAME_MAX_SHOWN;
    const char *key;
    json_t *value;

    /* Every string below comes out of the header and is no longer than its
     * JSON form, so the totals are bounded by the header length. */
    size_t string_bytes = 0, count = 0, meta_count = 0;
    json_t *meta = json_object_get(root, "__metadata__");
    if (meta) {
        if (!json_is_object(meta))
            return error_fail(RECUR_ERR_FORMAT, "%s: __metadata__ is not a JSON object", what);
        json_object_foreach(meta, key, value) {
            if (!json_is_string(value))
                return error_fail(RECUR_ERR_FORMAT,
                                  "%s: __metadata__ value of '%.*s' is not a string",
                                  what, shown, key);
            if (!size_add_ok(string_bytes, strlen(key) + 1, &string_bytes)
                || !size_add_ok(string_bytes, json_string_length(value) + 1, &string_bytes))
                return error_fail(RECUR_ERR_MEMORY, "%s: header too large", what);
            meta_count++;
        }
    }
    json_object_foreach(root, key, value) {
        if (value == meta) continue;
        if (key[0] == '\0')
            return error_fail(RECUR_ERR_FORMAT, "%s: a tensor has an empty name", what);
        if (!size_add_ok(string_bytes, strlen(key) + 1, &string_bytes))
            return error_fail(RECUR_ERR_MEMORY, "%s: header too large", what);
        count++;
    }

    st->strings = malloc(string_bytes ? string_bytes : 1);
    st->tensors = calloc(count ? count : 1, sizeof *st->tensors);
    st->by_name = calloc(count ? count : 1, sizeof *st->by_name);
    st->meta = calloc(meta_count ? meta_count : 1, sizeof *st->meta);
    if (!st->strings || !st->tensors || !st->by_name || !st->meta)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory for %zu tensors", what, count);

    char *cursor = st->strings;
    if (meta) {
        json_object_foreach(meta, key, value) {
            meta_entry *m = &st->meta[st->meta_count++];
            m->key = copy_string(&cursor, key);
            m->value = copy_string(&cursor, json_string_value(value));
        }
    }
    json_object_foreach(root, key, value) {
        if (value == meta) continue;
        st_tensor *t = &st->tensors[st->count];
        recur_status s = parse_entry(what, key, value, data, data_size, t);
        if (s != RECUR_OK) return s;
        t->name = copy_string(&cursor, key);
        st->count++;
    }

    qsort(st->tensors, st->count, sizeof *st->tensors, cmp_data_order);
    const unsigned char *expected = data;
    for (size_t i = 0; i < st->count; i++) {
        const st_tensor *t = &st->tensors[i];
        size_t begin = (size_t)(t->data - data);
        if (t->data < expected) {
            const st_tensor *p = &st->tensors[i - 1];
            size_t pbegin = (size_t)(p->data - data);
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: tensor '%.*s': data_offsets [%zu,%zu] overlap those of "
                              "tensor '%.*s' [%zu,%zu]",
                              what, shown, t->name, begin, begin + t->nbytes, shown, p->name,
                              pbegin, pbegin + p->nbytes);
        }
        if (t->data > expected)
            return error_fail(RECUR_ERR_FORMAT,
                              "%s: tensor '%.*s': data_offsets [%zu,%zu] leave bytes "
                              "[%zu,%zu) of the data buffer to no tensor",
                              what, shown, t->name, begin, begin + t->nbytes,
                              (size_t)(expected - data), begin);
        expected = t->data + t->nbytes;
    }
    if ((size_t)(expected - data) != data_size)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: the data buffer has %zu bytes but the tensors cover %zu",
                          what, data_size, (size_t)(expected - data));

    for (size_t i = 0; i < st->count; i++) st->by_name[i] = &st->tensors[i];
    qsort(st->by_name, st->count, sizeof *st->by_name, cmp_tensor_name);
    qsort(st->meta, st->meta_count, sizeof *st->meta, cmp_meta_key);
    return RECUR_OK;
}

/* The header's length: the file's first 8 bytes, little-endian. */
static uint64_t header_length(const unsigned char *p)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | p[i];
    return n;
}

/* The header length n read from a file's first 8 bytes, against what
 * follows them (rest: the avail bytes of header and data). A text file or
 * another format read as a length gives a number beyond the file, and its
 * ninth byte does not open a JSON object: that is said as "not a
 * safetensors file" rather than as a header length nobody wrote. A length
 * past the end of a file whose header does begin with '{' (or that ends
 * after 8 bytes) is a truncated file, or one whose length was damaged. */
static recur_status check_header_length(const char *what, uint64_t n,
                                        const unsigned char *rest, size_t avail)
{
    int opens_json = avail > 0 && rest[0] == '{';
    if (n > avail && avail > 0 && !opens_json)
        return error_fail(RECUR_ERR_FORMAT, "%s is not a safetensors file (its "
                          "first 8 bytes are not a header length: %llu is "
                          "more than the file holds)", what,
                          (unsigned long long)n);
    if (n < 2)
        return error_fail(RECUR_ERR_FORMAT, "%s: header length %llu is too small for JSON",
                          what, (unsigned long long)n);
    if (n > RECUR_ST_MAX_HEADER)
        return error_fail(RECUR_ERR_FORMAT, "%s: header length %llu is above the limit of %llu",
                          what, (unsigned long long)n, (unsigned long long)RECUR_ST_MAX_HEADER);
    if (n > avail)
        return error_fail(RECUR_ERR_FORMAT,
                          "%s: header length %llu runs past the end of the %zu-byte "
                          "file (a truncated file?)", what, (unsigned long long)n,
                          avail + 8);
    if (!opens_json)
        return error_fail(RECUR_ERR_FORMAT, "%s is not a safetensors file (its "
                          "header does not begin with '{')", what);
    return RECUR_OK;
}

static recur_status parse_header(st_file *st, const char *what)
{
    const unsigned char *file = st->file;
    size_t size = st->size;

    if (size < 8)
        return error_fail(RECUR_ERR_FORMAT, "%s is not a safetensors file (%zu "
                          "bytes, too short for the 8-byte header length)",
                          what, size);
    uint64_t n = header_length(file);
    recur_status s = check_header_length(what, n, file + 8, size - 8);
    if (s)
        return s;
    size_t header_size = (size_t)n;
    const char *header = (const char *)file + 8;

    json_error_t error;
    json_t *root = json_loadb(header, header_size, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        if (json_error_code(&error) == json_error_out_of_memory)
            return error_fail(RECUR_ERR_MEMORY, "%s: out of memory parsing the %zu-byte header",
                              what, header_size);
        return error_fail(RECUR_ERR_FORMAT, "%s: header is not valid JSON: %s (header byte %d)",
                          what, error.text, error.position);
    }
    if (!json_is_object(root))
        s = error_fail(RECUR_ERR_FORMAT, "%s: header is not a JSON object", what);
    else
        s = build(st, root, what, file + 8 + header_size, size - 8 - header_size);
    json_decref(root);
    return s;
}

/* Takes ownership of file in every case. */
static recur_status parse_owned(unsigned char *file, size_t size, const char *what,
                                st_file **out)
{
    st_file *st = calloc(1, sizeof *st);
    if (!st) {
        free(file);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", what);
    }
    st->file = file;
    st->size = size;
    recur_status s = parse_header(st, what);
    if (s != RECUR_OK) {
        st_free(st);
        return s;
    }
    *out = st;
    return RECUR_OK;
}

recur_status st_parse(const void *bytes, size_t size, const char *what, st_file **out)
{
    if (!bytes || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          bytes ? "place for the file" : "safetensors bytes to read");
    if (!what) what = "<buffer>";
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory for %zu bytes", what, size);
    memcpy(copy, bytes, size);
    return parse_owned(copy, size, what, out);
}

recur_status st_read(const char *path, st_file **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s (NULL)",
                          path ? "place for the file" : "safetensors file to read");
    unsigned char *file;
    size_t size;
    recur_status s = file_read(path, UINT64_MAX, &file, &size);
    return s ? s : parse_owned(file, size, path, out);
}

recur_status st_peek_meta(const char *path, const char *key, char *buf,
                                size_t size, int *found)
{
    if (!path || !key || !buf || size == 0 || !found)
        return error_fail(RECUR_ERR_ARGUMENT, "no file, key or buffer to read "
                          "metadata into (NULL)");
    unsigned char *head;
    size_t got;
    /* The length and the byte after it; then, for a length within the
     * limit, the header (a shorter file gives fewer bytes). */
    recur_status s = file_read_prefix(path, 9, &head, &got);
    if (s)
        return s;
    uint64_t n = got >= 8 ? header_length(head) : 0;
    if (got >= 8 && n <= RECUR_ST_MAX_HEADER) {
        free(head);
        if ((s = file_read_prefix(path, 8 + (size_t)n, &head, &got)) != RECUR_OK)
            return s;
    }
    if (got < 8)
        s = error_fail(RECUR_ERR_FORMAT, "%s is not a safetensors file (%zu "
                       "bytes, too short for the 8-byte header length)", path,
                       got);
    else
        s = check_header_length(path, n, head + 8, got - 8);
    json_error_t error;
    json_t *root = s ? NULL : json_loadb((const char *)head + 8, (size_t)n,
                                         JSON_REJECT_DUPLICATES, &error);
    free(head);
    if (s)
        return s;
    if (!root)
        return error_fail(RECUR_ERR_FORMAT, "%s: the safetensors header is "
                          "not JSON", path);
    json_t *v = json_object_get(json_object_get(root, "__metadata__"), key);
    *found = json_is_string(v);
    if (*found)
        snprintf(buf, size, "%s", json_string_value(v));
    json_decref(root);
    return RECUR_OK;
}

void st_free(st_file *st)
{
    if (!st) return;
    free(st->file);
    free(st->tensors);
    free(st->by_name);
    free(st->meta);
    free(st->strings);
    free(st);
}

size_t st_count(const st_file *st) { return st ? st->count : 0; }

const st_tensor *st_at(const st_file *st, size_t index)
{
    return st && index < st->count ? &st->tensors[index] : NULL;
}

const st_tensor *st_find(const st_file *st, const char *name)
{
    if (!st || !name || st->count == 0) return NULL;
    st_tensor key_tensor = {.name = name};
    const st_tensor *key = &key_tensor;
    const st_tensor *const *hit =
        bsearch(&key, st->by_name, st->count, sizeof *st->by_name, cmp_tensor_name);
    return hit ? *hit : NULL;
}

const char *st_meta(const st_file *st, const char *key)
{
    if (!st || !key || st->meta_count == 0) return NULL;
    meta_entry probe = {.key = key};
    const meta_entry *hit = bsearch(&probe, st->meta, st->meta_count, sizeof *st->meta,
                                    cmp_meta_key);
    return hit ? hit->value : NULL;
}

size_t st_meta_count(const st_file *st) { return st ? st->meta_count : 0; }

int st_meta_at(const st_file *st, size_t index, const char **key,
               const char **value)
{
    if (!st || index >= st->meta_count) return 0;
    if (key) *key = st->meta[index].key;
    if (value) *value = st->meta[index].value;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Conversions. Data may be unaligned, so every element goes through memcpy. */

/* IEEE 754 binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    float f;
    if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13); /* inf; NaN keeps its payload */
    } else if (exponent != 0) {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    } else {
        /* Zero or subnormal: mantissa * 2^-24, exact in float. */
        f = (float)mantissa * 0x1p-24f;
        return sign ? -f : f;
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* bfloat16 is the upper half of a float32. */
static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

recur_status st_to_f32(const st_tensor *t, float *dst)
{
    if (!t || (!dst && t->numel != 0))
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to convert (NULL)",
                          t ? "place for the floats" : "tensor");
    const unsigned char *p = t->data;
    switch (t->dtype) {
    case RECUR_DT_F32:
        if (t->numel) memcpy(dst, p, t->numel * sizeof *dst);
        return RECUR_OK;
    case RECUR_DT_F64:
        /* Out-of-range doubles become +-inf (IEEE conversion, C Annex F). */
        for (size_t i = 0; i < t->numel; i++) {
            double d;
            memcpy(&d, p + i * sizeof d, sizeof d);
            dst[i] = (float)d;
        }
        return RECUR_OK;
    case RECUR_DT_F16:
    case RECUR_DT_BF16:
        for (size_t i = 0; i < t->numel; i++) {
            uint16_t h;
            memcpy(&h, p + i * sizeof h, sizeof h);
            dst[i] = t->dtype == RECUR_DT_F16 ? half_to_float(h) : bf16_to_float(h);
        }
        return RECUR_OK;
    default:
        return error_fail(RECUR_ERR_SHAPE,
                          "tensor '%.*s' has dtype %s, expected F32, F64, F16 or BF16",
                          NAME_MAX_SHOWN, t->name ? t->name : "", dtype_name(t->dtype));
    }
}

recur_status st_to_i64(const st_tensor *t, int64_t *dst)
{
    if (!t || (!dst && t->numel != 0))
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to convert (NULL)",
                          t ? "place for the integers" : "tensor");
    const unsigned char *p = t->data;
    const char *name = t->name ? t->name : "";
    size_t n = t->numel;

#define CONVERT(type)                                                          \
    for (size_t i = 0; i < n; i++) {                                           \
        type v;                                                                \
        memcpy(&v, p + i * sizeof v, sizeof v);                                \
        dst[i] = (int64_t)v;                                                   \
    }                                                                          \
    return RECUR_OK

    switch (t->dtype) {
    case RECUR_DT_I64: if (n) memcpy(dst, p, n * sizeof *dst); return RECUR_OK;
    case RECUR_DT_I32: CONVERT(int32_t);
    case RECUR_DT_I16: CONVERT(int16_t);
    case RECUR_DT_I8: CONVERT(int8_t);
    case RECUR_DT_U8: CONVERT(uint8_t);
    case RECUR_DT_U16: CONVERT(uint16_t);
    case RECUR_DT_U32: CONVERT(uint32_t);
    case RECUR_DT_U64:
        /* Checked before writing, so dst is untouched on failure. */
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, p + i * sizeof v, sizeof v);
            if (v > INT64_MAX)
                return error_fail(RECUR_ERR_SHAPE,
                                  "tensor '%.*s': element %zu is %llu, beyond int64",
                                  NAME_MAX_SHOWN, name, i, (unsigned long long)v);
        }
        CONVERT(uint64_t);
    default:
        return error_fail(RECUR_ERR_SHAPE,
                          "tensor '%.*s' has dtype %s, expected an integer dtype",
                          NAME_MAX_SHOWN, name, dtype_name(t->dtype));
    }
#undef CONVERT
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */

typedef struct {
    char *name;
    st_dtype dtype;
    size_t ndim;
    size_t shape[RECUR_ST_MAX_DIMS];
    size_t nbytes;
    const void *data;
} writer_entry;

struct st_writer {
    writer_entry *entries;
    size_t count, capacity;
    size_t total;   /* bytes of data, at most LLONG_MAX (offsets are JSON integers) */
    json_t *names;  /* the set of names added, for duplicates */
    json_t *meta;   /* key -> string */
};

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) { s++; continue; }
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        s += len;
    }
    return 1;
}

recur_status st_writer_new(st_writer **out)
{
    if (!out) return error_fail(RECUR_ERR_ARGUMENT, "no place for a "
                                "safetensors writer (NULL)");
    st_writer *w = calloc(1, sizeof *w);
    if (w) {
        w->names = json_object();
        w->meta = json_object();
    }
    if (!w || !w->names || !w->meta) {
        st_writer_free(w);
        return error_fail(RECUR_ERR_MEMORY, "out of memory for a safetensors writer");
    }
    *out = w;
    return RECUR_OK;
}

void st_writer_free(st_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->count; i++) free(w->entries[i].name);
    free(w->entries);
    json_decref(w->names);
    json_decref(w->meta);
    free(w);
}

recur_status st_writer_add(st_writer *w, const char *name, st_dtype dtype,
                                 size_t ndim, const size_t *shape, const void *data)
{
    const int shown = NAME_MAX_SHOWN;
    if (!w || !name)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to add a tensor to (NULL)",
                          w ? "tensor name" : "writer");
    if (name[0] == '\0')
        return error_fail(RECUR_ERR_ARGUMENT, "a tensor without a name cannot "
                          "be written");
    if (!utf8_valid(name))
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s': name is not valid UTF-8",
                          shown, name);
    if (strcmp(name, "__metadata__") == 0)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor name '__metadata__' is reserved");
    if ((unsigned)dtype >= DTYPE_COUNT)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s': unknown dtype %d", shown, name,
                          (int)dtype);
    if (ndim > RECUR_ST_MAX_DIMS)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s': %zu dims, at most %d",
                          shown, name, ndim, RECUR_ST_MAX_DIMS);
    if (ndim > 0 && !shape)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s': NULL shape", shown, name);
    if (json_object_get(w->names, name))
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s' added twice", shown, name);

    /* The reader's rule: nonzero dims times the element size fit in size_t. */
    size_t nonzero = dtypes[dtype].size, nbytes, total;
    int overflow = 0, empty = 0;
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] > (size_t)LLONG_MAX) overflow = 1;
        if (shape[i] == 0)
            empty = 1;
        else if (!size_mul_ok(nonzero, shape[i], &nonzero))
            overflow = 1;
    }
    nbytes = empty ? 0 : nonzero;
    if (overflow || !size_add_ok(w->total, nbytes, &total) || total > (size_t)LLONG_MAX) {
        char buf[SHAPE_BUF];
        return error_fail(RECUR_ERR_ARGUMENT,
                          "tensor '%.*s': shape %s of %s overflows the file's size",
                          shown, name, shape_str(buf, sizeof buf, shape, ndim),
                          dtypes[dtype].name);
    }
    if (nbytes > 0 && !data)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.*s': NULL data for %zu bytes",
                          shown, name, nbytes);

    if (w->count == w->capacity) {
        size_t capacity = w->capacity ? w->capacity * 2 : 16;
        writer_entry *grown = NULL;
        if (capacity <= SIZE_MAX / sizeof *grown)
            grown = realloc(w->entries, capacity * sizeof *grown);
        if (!grown) return error_fail(RECUR_ERR_MEMORY, "tensor '%.*s': out of memory",
                                      shown, name);
        w->entries = grown;
        w->capacity = capacity;
    }
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy || json_object_set_new(w->names, name, json_null()) != 0) {
        free(copy);
        return error_fail(RECUR_ERR_MEMORY, "tensor '%.*s': out of memory", shown, name);
    }
    memcpy(copy, name, len + 1);
    writer_entry *e = &w->entries[w->count++];
    e->name = copy;
    e->dtype = dtype;
    e->ndim = ndim;
    for (size_t i = 0; i < ndim; i++) e->shape[i] = shape[i];
    e->nbytes = nbytes;
    e->data = data;
    w->total = total;
    return RECUR_OK;
}

recur_status st_writer_meta(st_writer *w, const char *key, const char *value)
{
    if (!w || !key || !value)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s for a metadata entry (NULL)",
                          !w ? "writer" : !key ? "key" : "value");
    if (!utf8_valid(key) || !utf8_valid(value))
        return error_fail(RECUR_ERR_ARGUMENT, "metadata '%.*s': not valid UTF-8",
                          NAME_MAX_SHOWN, key);
    if (json_object_set_new(w->meta, key, json_string(value)) != 0)
        return error_fail(RECUR_ERR_MEMORY, "metadata '%.*s': out of memory",
                          NAME_MAX_SHOWN, key);
    return RECUR_OK;
}

static int cmp_write_order(const void *pa, const void *pb)
{
    const writer_entry *const *a = pa, *const *b = pb;
    int ra = dtypes[(*a)->dtype].rank, rb = dtypes[(*b)->dtype].rank;
    if (ra != rb) return ra > rb ? -1 : 1;
    return strcmp((*a)->name, (*b)->name);
}

/* The header JSON for the entries in `order`, or NULL when out of memory. */
static char *header_json(const st_writer *w, writer_entry *const *order)
{
    json_t *root = json_object();
    int ok = root != NULL;
    if (ok && json_object_size(w->meta) > 0)
        ok = json_object_set(root, "__metadata__", w->meta) == 0;
    size_t offset = 0;
    for (size_t i = 0; ok && i < w->count; i++) {
        const writer_entry *e = order[i];
        json_t *entry = json_object(), *shape = json_array(), *offsets = json_array();
        ok = entry && shape && offsets;
        for (size_t d = 0; ok && d < e->ndim; d++)
            ok = json_array_append_new(shape, json_integer((json_int_t)e->shape[d])) == 0;
        ok = ok && json_array_append_new(offsets, json_integer((json_int_t)offset)) == 0
             && json_array_append_new(offsets, json_integer((json_int_t)(offset + e->nbytes))) == 0
             && json_object_set_new(entry, "dtype", json_string(dtypes[e->dtype].name)) == 0;
        /* The *_new calls below take their value's reference even on failure. */
        if (ok) {
            ok = json_object_set_new(entry, "shape", shape) == 0;
            shape = NULL;
            ok = json_object_set_new(entry, "data_offsets", offsets) == 0 && ok;
            offsets = NULL;
            ok = json_object_set_new_nocheck(root, e->name, entry) == 0 && ok;
            entry = NULL;
        }
        json_decref(entry);
        json_decref(shape);
        json_decref(offsets);
        offset += e->nbytes;
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

recur_status st_writer_write(st_writer *w, const char *path)
{
    if (!w || !path)
        return error_fail(RECUR_ERR_ARGUMENT, "no %s to write (NULL)",
                          w ? "file path" : "writer");
    if (path[0] == '\0')
        return error_fail(RECUR_ERR_ARGUMENT, "an empty path to write a "
                          "safetensors file to");

    writer_entry **order = malloc((w->count ? w->count : 1) * sizeof *order);
    if (!order) return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", path);
    for (size_t i = 0; i < w->count; i++) order[i] = &w->entries[i];
    qsort(order, w->count, sizeof *order, cmp_write_order);

    char *json = header_json(w, order);
    if (!json) {
        free(order);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory building the header", path);
    }
    size_t json_len = strlen(json);
    size_t header_len = (json_len + 7) / 8 * 8;
    if (header_len > RECUR_ST_MAX_HEADER) {
        free(json);
        free(order);
        return error_fail(RECUR_ERR_ARGUMENT,
                          "%s: the header of %zu tensors would be %zu bytes, above the "
                          "readers' limit of %llu", path, w->count, header_len,
                          (unsigned long long)RECUR_ST_MAX_HEADER);
    }
    unsigned char *prefix = malloc(8 + header_len);
    file_part *parts = malloc((1 + w->count) * sizeof *parts);
    if (!prefix || !parts) {
        free(prefix);
        free(parts);
        free(json);
        free(order);
        return error_fail(RECUR_ERR_MEMORY, "%s: out of memory", path);
    }
    for (int i = 0; i < 8; i++) prefix[i] = (unsigned char)((uint64_t)header_len >> (8 * i));
    memcpy(prefix + 8, json, json_len);
    memset(prefix + 8 + json_len, ' ', header_len - json_len);
    free(json);

    parts[0] = (file_part){prefix, 8 + header_len};
    for (size_t i = 0; i < w->count; i++)
        parts[1 + i] = (file_part){order[i]->data, order[i]->nbytes};
    recur_status s = file_write(path, parts, 1 + w->count);
    free(parts);
    free(prefix);
    free(order);
    return s;
}
