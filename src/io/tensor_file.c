/*
 * tensor_file.c — the public recur_file: a safetensors file opened for
 * reading, over the internal reader (safetensors.c), which reads the whole
 * file and checks every byte of its header at open. What is added here is
 * the public shapes of things and the checks of the caller's arguments.
 */
#include "base/error.h"
#include "io/safetensors.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(RECUR_TENSOR_MAX_DIMS == RECUR_ST_MAX_DIMS,
               "recur_tensor_info holds every shape the reader accepts");

/* The handle is the reader's file itself: nothing else to keep. */
struct recur_file {
    st_file *st;
};

recur_status recur_file_open(const char *path, recur_file **out)
{
    if (!path || !out)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_file_open: NULL argument");
    recur_file *f = malloc(sizeof *f);
    if (!f)
        return error_fail(RECUR_ERR_MEMORY, "out of memory");
    recur_status s = st_read(path, &f->st);
    if (s) {
        free(f);
        return s;
    }
    *out = f;
    return RECUR_OK;
}

void recur_file_free(recur_file *file)
{
    if (!file)
        return;
    st_free(file->st);
    free(file);
}

size_t recur_file_get_tensor_count(const recur_file *file)
{
    return file ? st_count(file->st) : 0;
}

static void describe(const st_tensor *t, recur_tensor_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->dtype = st_dtype_str(t->dtype);
    info->ndim = t->ndim;
    memcpy(info->shape, t->shape, t->ndim * sizeof *t->shape);
    info->numel = t->numel;
}

recur_status recur_file_get_tensor(const recur_file *file, size_t index,
                                   recur_tensor_info *info)
{
    if (!file || !info)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_file_get_tensor: NULL argument");
    const st_tensor *t = st_at(file->st, index);
    if (!t)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_file_get_tensor: index %zu "
                          "is not below the %zu tensors", index,
                          st_count(file->st));
    describe(t, info);
    return RECUR_OK;
}

/* The tensor called name, or RECUR_ERR_SHAPE naming it. */
static recur_status find(const recur_file *file, const char *name,
                         const char *fn, const st_tensor **out)
{
    if (!file || !name)
        return error_fail(RECUR_ERR_ARGUMENT, "%s: NULL argument", fn);
    *out = st_find(file->st, name);
    if (!*out)
        return error_fail(RECUR_ERR_SHAPE, "the file has no tensor '%.200s'", name);
    return RECUR_OK;
}

recur_status recur_file_find_tensor(const recur_file *file, const char *name,
                                    recur_tensor_info *info)
{
    const st_tensor *t = NULL;
    recur_status s = info ? find(file, name, "recur_file_find_tensor", &t)
                          : error_fail(RECUR_ERR_ARGUMENT,
                                       "recur_file_find_tensor: NULL argument");
    if (!s)
        describe(t, info);
    return s;
}

recur_status recur_file_read_tensor(const recur_file *file, const char *name,
                                    float *dst, size_t capacity)
{
    const st_tensor *t = NULL;
    recur_status s = dst ? find(file, name, "recur_file_read_tensor", &t)
                         : error_fail(RECUR_ERR_ARGUMENT,
                                      "recur_file_read_tensor: NULL argument");
    if (s)
        return s;
    if (capacity < t->numel)
        return error_fail(RECUR_ERR_ARGUMENT, "tensor '%.200s' has %zu "
                          "elements; the buffer holds %zu", name, t->numel,
                          capacity);
    /* st_to_f32 checks the dtype before it writes anything. */
    return st_to_f32(t, dst);
}

size_t recur_file_get_meta_count(const recur_file *file)
{
    return file ? st_meta_count(file->st) : 0;
}

recur_status recur_file_get_meta(const recur_file *file, size_t index,
                                 const char **key, const char **value)
{
    if (!file)
        return error_fail(RECUR_ERR_ARGUMENT, "recur_file_get_meta: NULL handle");
    if (!st_meta_at(file->st, index, key, value))
        return error_fail(RECUR_ERR_ARGUMENT, "recur_file_get_meta: index %zu "
                          "is not below the %zu metadata entries", index,
                          st_meta_count(file->st));
    return RECUR_OK;
}

const char *recur_file_find_meta(const recur_file *file, const char *key)
{
    return file ? st_meta(file->st, key) : NULL;
}
