/*
 * test_file.c — files (src/base/file.h): file_remove_stale_temps removes
 * the temporaries a save killed before its rename leaves (the pattern of
 * the safetensors writer's own, learnt from a write that fails), by their
 * exact pattern and nothing else — not a directory, a link or a name one
 * letter off; a missing directory, NULL and bad paths; one it cannot
 * remove (a SKIP as root). The atomic writes themselves are checked with
 * their formats (tests/io/test_safetensors.c, tests/data/test_midi.c).
 */
#include "base/file.h"
#include "io/safetensors.h"
#include "spawn.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* file_remove_stale_temps: the temporaries a save killed before its
 * rename leaves are removed, by their exact pattern, and nothing else. */
void test_file_stale_temps(void)
{
    char dir[512] = "/tmp/recur-file-XXXXXX", path[700], adir[600];
    int made = mkdtemp(dir) != NULL;
    CHECK(made, "cannot create a temporary directory");
    if (!made)
        return;
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
        ok = spawn_write_file(name, "x", 1);
    }
    for (size_t i = 0; ok && i < sizeof kept / sizeof *kept; i++) {
        snprintf(name, sizeof name, "%s/%s", dir, kept[i]);
        ok = spawn_write_file(name, "keep", 4);
    }
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.DIR123", dir);
    ok = ok && mkdir(name, 0700) == 0;
    snprintf(name, sizeof name, "%s/m.safetensors.tmp.LNK123", dir);
    ok = ok && symlink("m.safetensors", name) == 0;
    ok = ok && (!real[0] || spawn_write_file(real, "x", 1));
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
        char *bytes = spawn_read_file(name, &size);
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
    if (geteuid() == 0) {
        SKIP("a temporary that cannot be removed (RECUR_ERR_IO naming it): "
             "running as root, which may remove it");
    } else if (mkdir(locked, 0700) == 0 && spawn_write_file(name, "x", 1) &&
               chmod(locked, 0500) == 0) {
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
    spawn_remove_tree(dir);
    CHECK(access(dir, F_OK) != 0, "cannot remove %s", dir);
}
