/* config.h: YAML configuration files as a tree of nodes that remember their
 * line, with typed accessors whose errors say FILE:LINE and why.
 *
 * Scalars may hold ${NAME} (or ${NAME:-default}); it is replaced by the
 * environment variable when the file is loaded. An unset variable without a
 * default is an error at its line. Anchors and aliases are refused (a config
 * should read top to bottom), as are duplicate keys.
 *
 * Error messages are written into the caller's buffer in the form
 *     "config.yaml:12: strategy.params.fast: expected a whole number, got 'ten'"
 * ready to print. A tree belongs to one thread; it is immutable once loaded. */
#ifndef TR_CONFIG_H
#define TR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/fixed.h"

typedef struct tr_cfg tr_cfg;           /* a loaded file */
typedef struct tr_cfg_node tr_cfg_node; /* a node of it, borrowed from it */

typedef enum tr_cfg_kind {
    TR_CFG_SCALAR = 0,
    TR_CFG_MAP,
    TR_CFG_SEQ,
} tr_cfg_kind;

/* Load and parse path. On success *out owns the tree (tr_cfg_free).
 * TR_ERR_NOT_FOUND / TR_ERR_IO when unreadable, TR_ERR_INVALID for YAML
 * syntax errors, undefined ${VARS}, duplicate keys, aliases; err holds the
 * FILE:LINE message. */
int tr_cfg_load_file(const char *path, tr_cfg **out /* OUT */, char *err,
                     size_t errlen);

/* The same from text in memory; name stands in for the file name. */
int tr_cfg_load_string(const char *name, const char *text, size_t len,
                       tr_cfg **out /* OUT */, char *err, size_t errlen);

void tr_cfg_free(tr_cfg *cfg);

/* The document's root node (a map for our configs; NULL for an empty file). */
const tr_cfg_node *tr_cfg_root(const tr_cfg *cfg);

/* The file name given at load time (borrowed). */
const char *tr_cfg_file(const tr_cfg *cfg);

tr_cfg_kind tr_cfg_node_kind(const tr_cfg_node *n);
int tr_cfg_node_line(const tr_cfg_node *n); /* 1-based */

/* Dotted path of the node from the root, e.g. "data[1].file" (borrowed,
 * valid while the tree lives). */
const char *tr_cfg_node_path(const tr_cfg_node *n);

/* A scalar's text after ${VAR} expansion (borrowed); NULL for maps and
 * sequences. */
const char *tr_cfg_scalar(const tr_cfg_node *n);

/* Map lookup: the value of key, or NULL when absent (or n is not a map). */
const tr_cfg_node *tr_cfg_get(const tr_cfg_node *map, const char *key);

/* Number of entries of a map or items of a sequence; 0 for scalars. */
size_t tr_cfg_size(const tr_cfg_node *n);

/* Item i of a sequence, or value i of a map (in file order); NULL when out
 * of range. For maps, tr_cfg_key gives the key of entry i. */
const tr_cfg_node *tr_cfg_at(const tr_cfg_node *n, size_t i);
const char *tr_cfg_key(const tr_cfg_node *map, size_t i);

/* Report keys of map that are not in allowed (a NULL-terminated list):
 * TR_ERR_INVALID with "FILE:LINE: PATH: unknown key 'slwo' (did you mean
 * 'slow'?; allowed: fast, slow, allow_short)" for the first one. TR_OK when
 * all keys are known. A map that is not a map is an error too. */
int tr_cfg_check_keys(const tr_cfg *cfg, const tr_cfg_node *map,
                      const char *const *allowed, char *err, size_t errlen);

/* Typed reads of map[key]. When the key is absent: *out = def and TR_OK,
 * unless the read is _req (required): then TR_ERR_NOT_FOUND with
 * "FILE:LINE: PATH: missing required key 'file'" (the line of the map).
 * A present value of the wrong type or outside [min, max] gives
 * TR_ERR_INVALID with a message naming the expected type or range and the
 * value found. */
int tr_cfg_int(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               int64_t def, int64_t min, int64_t max, int64_t *out,
               char *err, size_t errlen);
int tr_cfg_num(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               double def, double min, double max, double *out, char *err,
               size_t errlen);
/* Exact decimal (money, prices, quantities) via tr_fx_parse. */
int tr_cfg_fx(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
              tr_fx def, tr_fx min, tr_fx max, tr_fx *out, char *err,
              size_t errlen);
/* true/false, yes/no, on/off (any case). */
int tr_cfg_bool(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                int def, int *out, char *err, size_t errlen);
/* A scalar string (borrowed from the tree); def may be NULL. */
int tr_cfg_str(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               const char *def, const char **out, char *err, size_t errlen);
/* One of choices (NULL-terminated); *out = its index. def is an index or -1
 * for required. */
int tr_cfg_enum(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                const char *const *choices, int def, int *out, char *err,
                size_t errlen);
int tr_cfg_str_req(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                   const char **out, char *err, size_t errlen);

/* Format a message about node n: "FILE:LINE: PATH: " + printf text. */
void tr_cfg_error(const tr_cfg *cfg, const tr_cfg_node *n, char *err,
                  size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
