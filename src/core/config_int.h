/* config_int.h: the config loader's fault-injection hook, for tests only
 * (not API; see config.h for that).
 *
 * Loading with faults set asks fail(ctx) before every allocation the
 * loader makes itself, arena ones included (not libyaml's); a nonzero
 * answer makes that allocation fail, which is how tests drive every TR_ERR_NOMEM path and
 * check that a half-built tree is released. The hook is copied into the
 * tree, so the later lazy allocations of tr_cfg_node_path ask it too; ctx
 * must stay valid until tr_cfg_free. */
#ifndef TR_CONFIG_INT_H
#define TR_CONFIG_INT_H

#include "core/config.h"

typedef struct tr__cfg_faults {
    int (*fail)(void *ctx); /* nonzero: fail this allocation */
    void *ctx;
} tr__cfg_faults;

/* tr_cfg_load_string / tr_cfg_load_file with faults (NULL: none). */
int tr__cfg_load_string_faults(const char *name, const char *text,
                               size_t len, const tr__cfg_faults *faults,
                               tr_cfg **out /* OUT */, char *err,
                               size_t errlen);
int tr__cfg_load_file_faults(const char *path, const tr__cfg_faults *faults,
                             tr_cfg **out /* OUT */, char *err,
                             size_t errlen);

#endif
