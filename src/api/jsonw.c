/* jsonw.c: the JSON writer (see jsonw.h). */
#include "api/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tr_jw_init(tr_jw *w)
{
    memset(w, 0, sizeof *w);
    w->first[0] = 1;
}

void tr_jw_free(tr_jw *w)
{
    free(w->p);
    tr_jw_init(w);
}

char *tr_jw_take(tr_jw *w, size_t *len)
{
    char *p = w->err ? NULL : w->p;
    if (p && !w->len) { /* nothing written: an empty string, still owned */
        p = calloc(1, 1);
        free(w->p);
    } else if (!p) {
        free(w->p);
    }
    if (len)
        *len = p ? w->len : 0;
    tr_jw_init(w);
    return p;
}

static void put(tr_jw *w, const char *s, size_t n)
{
    if (w->err)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 1024;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *p = realloc(w->p, cap);
        if (!p) {
            w->err = 1;
            return;
        }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

/* Before a value: a comma unless it is the first here or follows a key. */
static void sep(tr_jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = 0;
}

static void open_(tr_jw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    if (w->depth + 1 < TR_JW_DEPTH) {
        w->first[++w->depth] = 1;
        w->closer[w->depth] = c == '{' ? '}' : ']';
    }
    else
        w->err = 1;
}

void tr_jw_obj(tr_jw *w)
{
    open_(w, '{');
}

void tr_jw_arr(tr_jw *w)
{
    open_(w, '[');
}

void tr_jw_end(tr_jw *w)
{
    if (w->depth <= 0) {
        w->err = 1;
        return;
    }
    put(w, &w->closer[w->depth], 1);
    w->depth--;
}

static void put_str(tr_jw *w, const char *s)
{
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, run, (size_t)(s - run));
        char esc[8];
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(w, esc, 6);
        }
        run = s + 1;
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

void tr_jw_key(tr_jw *w, const char *key)
{
    sep(w);
    put_str(w, key);
    put(w, ":", 1);
    w->after_key = 1;
}

void tr_jw_str(tr_jw *w, const char *s)
{
    sep(w);
    put_str(w, s ? s : "");
}

void tr_jw_fx(tr_jw *w, tr_fx v)
{
    char b[TR_FX_STRLEN];
    size_t n = tr_fx_format(v, b, sizeof b);
    sep(w);
    put(w, b, n);
}

void tr_jw_int(tr_jw *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    sep(w);
    put(w, b, (size_t)n);
}

void tr_jw_num(tr_jw *w, double v)
{
    sep(w);
    if (!isfinite(v)) {
        put(w, "null", 4);
        return;
    }
    char b[32];
    int n = snprintf(b, sizeof b, "%.10g", v);
    put(w, b, (size_t)n);
}

void tr_jw_bool(tr_jw *w, int v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void tr_jw_null(tr_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void tr_jw_time(tr_jw *w, tr_time t)
{
    if (!t) {
        tr_jw_null(w);
        return;
    }
    char b[TR_TIME_STRLEN];
    tr_time_format(t, b, sizeof b);
    tr_jw_str(w, b);
}

void tr_jw_raw(tr_jw *w, const char *json, size_t len)
{
    sep(w);
    put(w, json, len);
}

void tr_jw_kstr(tr_jw *w, const char *key, const char *s)
{
    tr_jw_key(w, key);
    tr_jw_str(w, s);
}

void tr_jw_kfx(tr_jw *w, const char *key, tr_fx v)
{
    tr_jw_key(w, key);
    tr_jw_fx(w, v);
}

void tr_jw_kint(tr_jw *w, const char *key, int64_t v)
{
    tr_jw_key(w, key);
    tr_jw_int(w, v);
}

void tr_jw_knum(tr_jw *w, const char *key, double v)
{
    tr_jw_key(w, key);
    tr_jw_num(w, v);
}

void tr_jw_kbool(tr_jw *w, const char *key, int v)
{
    tr_jw_key(w, key);
    tr_jw_bool(w, v);
}

void tr_jw_ktime(tr_jw *w, const char *key, tr_time t)
{
    tr_jw_key(w, key);
    tr_jw_time(w, t);
}
