/* jsonw.h: a small JSON writer for API answers: exact decimal money (from
 * tr_fx, never through a double), ISO times, escaped strings.
 *
 * Calls append to a growable buffer; commas are placed by the writer. An
 * allocation failure sets err and later calls do nothing. Not thread-safe:
 * one writer per thread. */
#ifndef TR_JSONW_H
#define TR_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "core/fixed.h"
#include "core/time.h"

#define TR_JW_DEPTH 16

typedef struct tr_jw {
    char *p;
    size_t len, cap;
    int err;
    int depth;
    int first[TR_JW_DEPTH]; /* no element yet at this depth */
    char closer[TR_JW_DEPTH]; /* '}' or ']' for each open level */
    int after_key;
} tr_jw;

void tr_jw_init(tr_jw *w);
void tr_jw_free(tr_jw *w);
/* The text (NUL-terminated, malloc'd: the caller owns it) and its length;
 * NULL when an allocation failed. The writer is empty afterwards. */
char *tr_jw_take(tr_jw *w, size_t *len);

void tr_jw_obj(tr_jw *w);
void tr_jw_end(tr_jw *w); /* ends the innermost object or array */
void tr_jw_arr(tr_jw *w);
void tr_jw_key(tr_jw *w, const char *key);
void tr_jw_str(tr_jw *w, const char *s);
void tr_jw_fx(tr_jw *w, tr_fx v);       /* a JSON number, exact */
void tr_jw_int(tr_jw *w, int64_t v);
void tr_jw_num(tr_jw *w, double v);     /* null when not finite */
void tr_jw_bool(tr_jw *w, int v);
void tr_jw_null(tr_jw *w);
void tr_jw_time(tr_jw *w, tr_time t);   /* ISO 8601 UTC string; null for 0 */
void tr_jw_raw(tr_jw *w, const char *json, size_t len); /* trusted JSON */

/* Key and value in one call. */
void tr_jw_kstr(tr_jw *w, const char *key, const char *s);
void tr_jw_kfx(tr_jw *w, const char *key, tr_fx v);
void tr_jw_kint(tr_jw *w, const char *key, int64_t v);
void tr_jw_knum(tr_jw *w, const char *key, double v);
void tr_jw_kbool(tr_jw *w, const char *key, int v);
void tr_jw_ktime(tr_jw *w, const char *key, tr_time t);

#endif
