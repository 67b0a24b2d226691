/* tmpdir.h: temporary folders for tests that write files: made under /tmp
 * and removed with everything in them. */
#ifndef TR_TEST_TMPDIR_H
#define TR_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A new folder /tmp/PREFIX-XXXXXX; the caller frees the name (rm_rf). */
static inline char *mktmp_named(const char *prefix)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/%s-XXXXXX", prefix);
    char *d = mkdtemp(tmpl);
    if (!d) {
        perror("mkdtemp");
        exit(2);
    }
    return strdup(d);
}

/* Remove a folder and everything under it. */
static inline void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char path[1400];
            struct stat st;
            if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >=
                (int)sizeof path)
                continue; /* no test makes paths that long */
            if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                rm_tree(path);
            else
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* rm_tree, then free the name from mktmp_named. */
static inline void rm_rf(char *dir)
{
    rm_tree(dir);
    free(dir);
}

#endif
