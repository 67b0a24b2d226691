/* config.c: YAML configuration files as a line-numbered tree (see config.h).
 *
 * Loading runs libyaml's event parser once and builds the tree as it goes:
 * a container gets its node at its start event and its children are
 * collected in a frame on a small stack (at most MAX_DEPTH deep) until its
 * end event, when they are copied into the tree. Everything the tree holds
 * (nodes, child arrays, expanded text, paths) lives in one arena owned by
 * tr_cfg, so tr_cfg_free is one walk over the arena's blocks and an error
 * half way through a file leaks nothing.
 *
 * Choices made here that config.h leaves open:
 *  - The root's path is "" and messages about the root omit the PATH part:
 *    "config.yaml:3: unknown key 'cahs' (did you mean 'cash'?; ...)".
 *    Children of the root are "cash", "data[1].file"; items of a root
 *    sequence are "[0]".
 *  - A null value (a key with nothing after it, "~" or "null", unquoted) is
 *    an error for every typed read ("got an empty value"), but where a map
 *    is expected it counts as an empty map, so that a section whose lines
 *    are all commented out still loads. An empty document (no content, or
 *    only "---" or "~") has a NULL root.
 *  - ${...} is expanded in keys and values, in every scalar style.
 *    ${NAME:-default} follows the shell: the default is used when NAME is
 *    unset or empty, and may itself hold ${...}. "$${" stands for a literal
 *    "${"; any other '$' is kept as it is.
 *  - Tags other than YAML's own (!!str, ...) are refused, so that "!include"
 *    fails loudly instead of being ignored; YAML's own tags are ignored.
 *  - Keys are non-empty scalars; "<<" merge keys are refused with the
 *    aliases they exist for; a second document in the stream is refused.
 *  - Numbers: a whole number is [+-]digits; a number (num and fx) is
 *    [+-]digits[.digits][e[+-]digits] (".5" and "5." too), quoted or not;
 *    no hex, no "_", no ".inf"/".nan". num uses strtod, which assumes the C
 *    locale's '.' (libtrader never calls setlocale).
 *  - Unknown-key and enum suggestions use the optimal-string-alignment
 *    distance, ignoring case, <= 2 and at most half the candidate's length,
 *    so "slwo" suggests "slow" but "ab" does not suggest "cd".
 *
 * Limits: 16 MiB of text, 64 levels of nesting, 16 levels of nested
 * ${...:-...} defaults.
 *
 * Out of memory: TR_ERR_NOMEM with "FILE: out of memory", nothing leaked
 * (tests fail each allocation in turn through config_int.h; libyaml's own
 * are out of their reach). The one place
 * that cannot return a code, the lazily built tr_cfg_node_path, returns "?"
 * instead. */
#include "core/config.h"
#include "core/config_int.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/err.h"

#define MAX_TEXT     ((size_t)16 << 20) /* bytes of YAML text */
#define MAX_DEPTH    64                 /* nested maps and sequences */
#define MAX_VAR_NEST 16                 /* ${A:-${B:-...}} */
#define MAX_VAR_NAME 255
#define BLOCK_SIZE   ((size_t)64 << 10) /* arena block */
#define QUOTE_MAX    60                 /* bytes of a value shown in messages */

struct tr_cfg_node {
    tr_cfg *cfg;                /* owner: holds the lazily built path */
    const tr_cfg_node *parent;  /* NULL for the root */
    const char *key;            /* key in the parent map; NULL otherwise */
    char *text;                 /* expanded scalar; NULL for containers */
    tr_cfg_node **items;        /* children in file order */
    size_t n;                   /* number of children */
    size_t index;               /* position in the parent */
    size_t id;                  /* index into cfg->paths */
    int line;                   /* 1-based line of the node */
    int key_line;               /* 1-based line of its key (map values) */
    tr_cfg_kind kind;
    int is_null;                /* plain "", "~" or "null" */
};

typedef struct block {
    struct block *next;
    size_t used, cap;
    max_align_t mem[]; /* cap bytes */
} block;

struct tr_cfg {
    char *file;          /* name given at load time */
    tr_cfg_node *root;   /* NULL for an empty document */
    block *blocks;       /* arena; the head block is the one being filled */
    char **paths;        /* by node id, built on demand (arena) */
    size_t nnodes;
    tr__cfg_faults faults; /* test hook (config_int.h); fail == NULL: none */
};

/* ---- allocation (every one can be made to fail by a test) --------------- */

static int injected(const tr__cfg_faults *f)
{
    return f && f->fail && f->fail(f->ctx);
}

static void *cfg_malloc(const tr__cfg_faults *f, size_t n)
{
    return injected(f) ? NULL : malloc(n);
}

static void *cfg_calloc(const tr__cfg_faults *f, size_t n, size_t size)
{
    return injected(f) ? NULL : calloc(n, size);
}

static void *cfg_realloc(const tr__cfg_faults *f, void *p, size_t n)
{
    return injected(f) ? NULL : realloc(p, n);
}

/* ---- arena ------------------------------------------------------------- */

static void *arena_alloc(tr_cfg *cfg, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (injected(&cfg->faults))
        return NULL;
    size = (size + align - 1) / align * align;
    block *b = cfg->blocks;
    if (b && b->cap - b->used >= size) {
        void *p = (char *)b->mem + b->used;
        b->used += size;
        return p;
    }
    size_t cap = size > BLOCK_SIZE / 4 ? size : BLOCK_SIZE;
    block *nb = malloc(sizeof *nb + cap);
    if (!nb)
        return NULL;
    nb->cap = cap;
    nb->used = size;
    if (b && cap == size) {
        /* a large object gets a block of its own; keep filling the head */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        cfg->blocks = nb;
    }
    return nb->mem;
}

static char *arena_strndup(tr_cfg *cfg, const char *s, size_t n)
{
    char *p = arena_alloc(cfg, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- message building -------------------------------------------------- */

/* Appends into buf[size], truncating; len counts what would have been
 * written, so a first pass with size 0 measures. */
typedef struct sbuf {
    char *buf;
    size_t size, len;
} sbuf;

static void sb_vprintf(sbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void sb_printf(sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_vprintf(sbuf *sb, const char *fmt, va_list ap)
{
    char *dst = sb->len < sb->size ? sb->buf + sb->len : NULL;
    size_t room = dst ? sb->size - sb->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    if (n > 0)
        sb->len += (size_t)n;
}

static void sb_printf(sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

/* Writes n's path: keys joined by '.', sequence items as "[i]". */
static void sb_path(sbuf *sb, const tr_cfg_node *n)
{
    if (!n || !n->parent)
        return;
    sb_path(sb, n->parent);
    if (n->key)
        sb_printf(sb, "%s%s", n->parent->parent ? "." : "", n->key);
    else
        sb_printf(sb, "[%zu]", n->index);
}

/* 'text' for a message: at most QUOTE_MAX bytes (cut on a UTF-8 boundary,
 * then "..."), control characters escaped. */
static void quote(char *buf, size_t size, const char *s)
{
    sbuf sb = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    sb_printf(&sb, "'");
    size_t n = strlen(s), shown = n;
    if (n > QUOTE_MAX) {
        shown = QUOTE_MAX;
        while (shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80)
            shown--;
    }
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            sb_printf(&sb, "\\n");
        else if (c == '\t')
            sb_printf(&sb, "\\t");
        else if (c < 0x20 || c == 0x7F)
            sb_printf(&sb, "\\x%02x", c);
        else
            sb_printf(&sb, "%c", c);
    }
    sb_printf(&sb, "%s'", shown < n ? "..." : "");
}

/* "FILE:LINE: PATH: text" into err; LINE is left out when line <= 0 and
 * PATH when n is NULL or the root. */
static void vreport(const char *file, const tr_cfg_node *n, int line,
                    char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static void report(const char *file, const tr_cfg_node *n, int line,
                   char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void vreport(const char *file, const tr_cfg_node *n, int line,
                    char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (!err || errlen == 0)
        return;
    sbuf sb = {err, errlen, 0};
    err[0] = '\0';
    sb_printf(&sb, "%s", file ? file : "(config)");
    if (line > 0)
        sb_printf(&sb, ":%d", line);
    sb_printf(&sb, ": ");
    if (n && n->parent) {
        sb_path(&sb, n);
        sb_printf(&sb, ": ");
    }
    sb_vprintf(&sb, fmt, ap);
}

static void report(const char *file, const tr_cfg_node *n, int line,
                   char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(file, n, line, err, errlen, fmt, ap);
    va_end(ap);
}

void tr_cfg_error(const tr_cfg *cfg, const tr_cfg_node *n, char *err,
                  size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(cfg ? cfg->file : NULL, n, n ? n->line : 0, err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- suggestions ------------------------------------------------------- */

/* Optimal-string-alignment distance, ignoring ASCII case; a large number
 * for strings too long to be typos of each other. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXLEN || lb > MAXLEN)
        return (size_t)-1;
    size_t r0[MAXLEN + 1], r1[MAXLEN + 1], r2[MAXLEN + 1];
    size_t *pp = r0, *p = r1, *c = r2; /* rows i-2, i-1, i */
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        int ca = tolower((unsigned char)a[i - 1]);
        c[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int cb = tolower((unsigned char)b[j - 1]);
            size_t v = p[j - 1] + (ca != cb);
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (c[j - 1] + 1 < v)
                v = c[j - 1] + 1;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1; /* transposition */
            c[j] = v;
        }
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb];
}

/* The closest of the NULL-terminated names to s, or NULL when none is
 * close enough to be a typo. Ties go to the first. */
static const char *suggest(const char *s, const char *const *names)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; names && names[i]; i++) {
        size_t d = edit_distance(s, names[i]);
        if (d < best_d && d * 2 <= strlen(names[i])) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* ---- loading ----------------------------------------------------------- */

typedef struct frame {
    tr_cfg_node *node;    /* the open map or sequence */
    tr_cfg_node **items;  /* children so far (malloc) */
    size_t n, cap;
    /* maps only */
    int want_key;         /* the next scalar is a key */
    const char *key;      /* key waiting for its value (arena) */
    int key_line;
    size_t *slots;        /* open-addressing set of item index + 1 */
    size_t nslots;        /* 0 or a power of two > 2 * n */
} frame;

typedef struct dbuf {
    char *p;
    size_t len, cap;
    int nomem; /* an append failed; later ones do nothing */
} dbuf;

typedef struct loader {
    tr_cfg *cfg;
    const char *text; /* the YAML text, for the line of reader errors */
    size_t len;
    char *err;
    size_t errlen;
    frame stack[MAX_DEPTH];
    int depth;
    int ndocs;
    dbuf buf;         /* expansion of the current scalar */
    /* where the scalar being expanded is, for its messages */
    const tr_cfg_node *at;
    int at_line;
} loader;

static int nomem(loader *L)
{
    report(L->cfg->file, NULL, 0, L->err, L->errlen, "out of memory");
    return TR_ERR_NOMEM;
}

/* Appends s[0..n) and keeps b NUL-terminated; after a failed allocation
 * b->nomem is set and further appends are ignored (checked once, at the
 * end of the scalar). */
static void db_put(loader *L, dbuf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->cap - b->len <= n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len <= n)
            cap *= 2;
        char *p = cfg_realloc(&L->cfg->faults, b->p, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* ASCII only, whatever the locale. */
static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* The message for a ${...} that cannot be read in scalar s. */
static int bad_ref(loader *L, const char *s, int unterminated)
{
    char q[QUOTE_MAX + 16];
    quote(q, sizeof q, s);
    if (unterminated)
        report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
               "unterminated '${' in %s (missing '}')", q);
    else
        report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
               "bad variable reference in %s: write ${NAME} or "
               "${NAME:-default}, NAME being letters, digits and '_'",
               q);
    return TR_ERR_INVALID;
}

/* Expands ${...} in s[*i..len) into out (only when emit is set: a default
 * that is not used is checked but not evaluated). At top level (nest == 0)
 * it runs to the end; inside a default it stops at the closing '}' and
 * leaves *i on it. */
static int expand(loader *L, const char *s, size_t len, size_t *i, int nest,
                  int emit, dbuf *out)
{
    while (*i < len) {
        char c = s[*i];
        if (nest && c == '}')
            return TR_OK;
        if (c != '$' || *i + 1 >= len ||
            (s[*i + 1] != '{' &&
             !(s[*i + 1] == '$' && *i + 2 < len && s[*i + 2] == '{'))) {
            if (emit)
                db_put(L, out, &c, 1);
            (*i)++;
            continue;
        }
        if (s[*i + 1] == '$') { /* "$${" is a literal "${" */
            if (emit)
                db_put(L, out, "${", 2);
            *i += 3;
            continue;
        }
        size_t start = *i + 2, j = start;
        while (j < len && is_name_char(s[j]))
            j++;
        if (j >= len)
            return bad_ref(L, s, 1);
        int def = j + 1 < len && s[j] == ':' && s[j + 1] == '-';
        if (j == start || !is_name_start(s[start]) || (s[j] != '}' && !def))
            return bad_ref(L, s, 0);
        size_t nlen = j - start;
        if (nlen > MAX_VAR_NAME) {
            report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
                   "variable name longer than %d characters", MAX_VAR_NAME);
            return TR_ERR_INVALID;
        }
        char name[MAX_VAR_NAME + 1];
        memcpy(name, s + start, nlen);
        name[nlen] = '\0';
        const char *v = emit ? getenv(name) : NULL;
        if (!def) {
            if (emit && !v) {
                report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
                       "environment variable '%s' is not set (give a "
                       "default with ${%s:-value})",
                       name, name);
                return TR_ERR_INVALID;
            }
            if (emit)
                db_put(L, out, v, strlen(v));
            *i = j + 1;
            continue;
        }
        if (nest + 1 > MAX_VAR_NEST) {
            report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
                   "${...:-default} nested more than %d deep", MAX_VAR_NEST);
            return TR_ERR_INVALID;
        }
        int use_def = !v || !*v;
        if (emit && !use_def)
            db_put(L, out, v, strlen(v));
        *i = j + 2;
        int rc = expand(L, s, len, i, nest + 1, emit && use_def, out);
        if (rc)
            return rc;
        if (*i >= len)
            return bad_ref(L, s, 1);
        (*i)++; /* the default's '}' */
    }
    return TR_OK;
}

/* The scalar s[0..len) expanded, copied into the arena. */
static int expand_scalar(loader *L, const char *s, size_t len, char **out)
{
    if (!memchr(s, '$', len)) {
        *out = arena_strndup(L->cfg, s, len);
        return *out ? TR_OK : nomem(L);
    }
    L->buf.len = 0;
    db_put(L, &L->buf, "", 0);
    size_t i = 0;
    int rc = expand(L, s, len, &i, 0, 1, &L->buf);
    if (rc)
        return rc;
    if (L->buf.nomem)
        return nomem(L);
    *out = arena_strndup(L->cfg, L->buf.p, L->buf.len);
    return *out ? TR_OK : nomem(L);
}

static int event_line(const yaml_event_t *ev)
{
    return (int)ev->start_mark.line + 1;
}

static frame *top(loader *L)
{
    return L->depth ? &L->stack[L->depth - 1] : NULL;
}

/* The node that names the current position in messages: the open map when
 * a key is expected, else a stand-in for the next child (tmp), or NULL at
 * the root. */
static const tr_cfg_node *position(loader *L, tr_cfg_node *tmp)
{
    frame *f = top(L);
    if (!f)
        return NULL;
    if (f->node->kind == TR_CFG_MAP && f->want_key)
        return f->node;
    memset(tmp, 0, sizeof *tmp);
    tmp->parent = f->node;
    tmp->key = f->node->kind == TR_CFG_MAP ? f->key : NULL;
    tmp->index = f->n;
    return tmp;
}

static size_t hash_str(const char *s)
{
    size_t h = (size_t)14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
    return h;
}

/* The index of key among map f's items, or (size_t)-1. */
static size_t key_find(const frame *f, const char *key)
{
    if (!f->nslots)
        return (size_t)-1;
    size_t mask = f->nslots - 1;
    for (size_t h = hash_str(key) & mask;; h = (h + 1) & mask) {
        size_t s = f->slots[h];
        if (!s)
            return (size_t)-1;
        if (strcmp(f->items[s - 1]->key, key) == 0)
            return s - 1;
    }
}

static void key_insert(frame *f, size_t idx)
{
    size_t mask = f->nslots - 1;
    size_t h = hash_str(f->items[idx]->key) & mask;
    while (f->slots[h])
        h = (h + 1) & mask;
    f->slots[h] = idx + 1;
}

/* Appends node to the open container f (and to its key set for maps). */
static int frame_add(loader *L, frame *f, tr_cfg_node *node)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        tr_cfg_node **p =
            cfg_realloc(&L->cfg->faults, f->items, cap * sizeof *p);
        if (!p)
            return nomem(L);
        f->items = p;
        f->cap = cap;
    }
    f->items[f->n++] = node;
    if (f->node->kind != TR_CFG_MAP)
        return TR_OK;
    if (2 * f->n >= f->nslots) {
        size_t ns = f->nslots ? f->nslots * 2 : 16;
        size_t *slots = cfg_calloc(&L->cfg->faults, ns, sizeof *slots);
        if (!slots)
            return nomem(L);
        free(f->slots);
        f->slots = slots;
        f->nslots = ns;
        for (size_t i = 0; i + 1 < f->n; i++)
            key_insert(f, i);
    }
    key_insert(f, f->n - 1);
    return TR_OK;
}

/* A new node at the current position (the root when the stack is empty). */
static int add_node(loader *L, tr_cfg_kind kind, int line, char *text,
                    int is_null, tr_cfg_node **out)
{
    tr_cfg_node *n = arena_alloc(L->cfg, sizeof *n);
    if (!n)
        return nomem(L);
    memset(n, 0, sizeof *n);
    n->cfg = L->cfg;
    n->id = L->cfg->nnodes++;
    n->kind = kind;
    n->line = line;
    n->text = text;
    n->is_null = is_null;
    frame *f = top(L);
    if (!f) {
        L->cfg->root = n;
    } else {
        n->parent = f->node;
        n->index = f->n;
        if (f->node->kind == TR_CFG_MAP) {
            n->key = f->key;
            n->key_line = f->key_line;
            f->want_key = 1;
            /* an empty value sits on its key's line, not the next token's */
            if (is_null && text && !*text)
                n->line = f->key_line;
        }
        int rc = frame_add(L, f, n);
        if (rc)
            return rc;
    }
    *out = n;
    return TR_OK;
}

static int refuse_anchor_tag(loader *L, const yaml_event_t *ev,
                             const yaml_char_t *anchor, const yaml_char_t *tag)
{
    tr_cfg_node tmp;
    const tr_cfg_node *at = position(L, &tmp);
    char q[QUOTE_MAX + 16];
    if (anchor) {
        /* anchor names cannot hold spaces or control characters */
        report(L->cfg->file, at, event_line(ev), L->err, L->errlen,
               "anchors (&%.*s) are not supported: write the values out in "
               "full",
               QUOTE_MAX, (const char *)anchor);
        return TR_ERR_INVALID;
    }
    static const char yaml_tags[] = "tag:yaml.org,2002:";
    if (tag && strncmp((const char *)tag, yaml_tags, sizeof yaml_tags - 1)) {
        quote(q, sizeof q, (const char *)tag);
        report(L->cfg->file, at, event_line(ev), L->err, L->errlen,
               "YAML tag %s is not supported", q);
        return TR_ERR_INVALID;
    }
    return TR_OK;
}

static int is_null_scalar(const yaml_event_t *ev)
{
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = (const char *)ev->data.scalar.value;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
           !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int on_scalar(loader *L, const yaml_event_t *ev)
{
    int rc = refuse_anchor_tag(L, ev, ev->data.scalar.anchor,
                               ev->data.scalar.tag);
    if (rc)
        return rc;
    tr_cfg_node tmp;
    L->at = position(L, &tmp);
    L->at_line = event_line(ev);
    if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length)) {
        report(L->cfg->file, L->at, L->at_line, L->err, L->errlen,
               "text with a NUL character (\\0) is not supported");
        return TR_ERR_INVALID;
    }
    char *text;
    rc = expand_scalar(L, (const char *)ev->data.scalar.value,
                       ev->data.scalar.length, &text);
    if (rc)
        return rc;
    int null = is_null_scalar(ev);
    frame *f = top(L);
    if (!f || f->node->kind != TR_CFG_MAP || !f->want_key) {
        tr_cfg_node *n;
        return add_node(L, TR_CFG_SCALAR, event_line(ev), text, null, &n);
    }
    char q[QUOTE_MAX + 16];
    if (null || !*text) {
        report(L->cfg->file, f->node, event_line(ev), L->err, L->errlen,
               "empty key");
        return TR_ERR_INVALID;
    }
    if (!strcmp(text, "<<")) {
        report(L->cfg->file, f->node, event_line(ev), L->err, L->errlen,
               "merge keys ('<<') are not supported: write the values out "
               "in full");
        return TR_ERR_INVALID;
    }
    size_t dup = key_find(f, text);
    if (dup != (size_t)-1) {
        quote(q, sizeof q, text);
        report(L->cfg->file, f->node, event_line(ev), L->err, L->errlen,
               "duplicate key %s (first at line %d)", q,
               f->items[dup]->key_line);
        return TR_ERR_INVALID;
    }
    f->key = text;
    f->key_line = event_line(ev);
    f->want_key = 0;
    return TR_OK;
}

static int on_start(loader *L, const yaml_event_t *ev, tr_cfg_kind kind)
{
    const yaml_char_t *anchor = kind == TR_CFG_MAP
                                    ? ev->data.mapping_start.anchor
                                    : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = kind == TR_CFG_MAP ? ev->data.mapping_start.tag
                                                : ev->data.sequence_start.tag;
    int rc = refuse_anchor_tag(L, ev, anchor, tag);
    if (rc)
        return rc;
    frame *f = top(L);
    if (f && f->node->kind == TR_CFG_MAP && f->want_key) {
        report(L->cfg->file, f->node, event_line(ev), L->err, L->errlen,
               "a key must be plain text, not a %s",
               kind == TR_CFG_MAP ? "map" : "list");
        return TR_ERR_INVALID;
    }
    if (L->depth == MAX_DEPTH) {
        tr_cfg_node tmp;
        report(L->cfg->file, position(L, &tmp), event_line(ev), L->err, L->errlen,
               "nested deeper than %d levels", MAX_DEPTH);
        return TR_ERR_INVALID;
    }
    tr_cfg_node *n;
    rc = add_node(L, kind, event_line(ev), NULL, 0, &n);
    if (rc)
        return rc;
    f = &L->stack[L->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    f->want_key = 1;
    return TR_OK;
}

static void frame_release(frame *f)
{
    free(f->items);
    free(f->slots);
    f->items = NULL;
    f->slots = NULL;
}

static int on_end(loader *L)
{
    frame *f = top(L);
    assert(f);
    tr_cfg_node *n = f->node;
    if (f->n) {
        n->items = arena_alloc(L->cfg, f->n * sizeof *n->items);
        if (!n->items)
            return nomem(L);
        memcpy(n->items, f->items, f->n * sizeof *n->items);
    }
    n->n = f->n;
    frame_release(f);
    L->depth--;
    return TR_OK;
}

static int on_event(loader *L, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++L->ndocs > 1) {
            report(L->cfg->file, NULL, event_line(ev), L->err, L->errlen,
                   "a second YAML document ('---') in the file; a config is "
                   "one document");
            return TR_ERR_INVALID;
        }
        return TR_OK;
    case YAML_ALIAS_EVENT: {
        tr_cfg_node tmp;
        report(L->cfg->file, position(L, &tmp), event_line(ev), L->err,
               L->errlen,
               "aliases (*%.*s) are not supported: write the values out in "
               "full",
               QUOTE_MAX, (const char *)ev->data.alias.anchor);
        return TR_ERR_INVALID;
    }
    case YAML_SCALAR_EVENT:
        return on_scalar(L, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(L, ev, TR_CFG_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_start(L, ev, TR_CFG_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(L);
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        break;
    }
    return TR_OK;
}

/* libyaml's complaint, with its line and what it was reading. */
static int syntax_error(loader *L, const yaml_parser_t *yp)
{
    if (yp->error == YAML_MEMORY_ERROR)
        return nomem(L);
    if (yp->error == YAML_READER_ERROR) {
        /* the reader reports a byte offset, not a mark */
        size_t end = yp->problem_offset < L->len ? yp->problem_offset : L->len;
        int line = 1;
        for (size_t i = 0; i < end; i++)
            line += L->text[i] == '\n';
        char byte[32] = "";
        if (yp->problem_value >= 0)
            snprintf(byte, sizeof byte, " (byte 0x%02x)",
                     (unsigned)yp->problem_value);
        report(L->cfg->file, NULL, line, L->err, L->errlen,
               "unreadable text: %s%s; a config must be UTF-8 text",
               yp->problem ? yp->problem : "invalid text", byte);
        return TR_ERR_INVALID;
    }
    const char *hint = "";
    size_t at = yp->problem_mark.index;
    if (at < L->len && L->text[at] == '\t' &&
        !(yp->problem && strstr(yp->problem, "tab")))
        hint = " (indent with spaces, not tabs)";
    char ctx[128] = "";
    if (yp->context)
        snprintf(ctx, sizeof ctx, " (%s at line %d)", yp->context,
                 (int)yp->context_mark.line + 1);
    report(L->cfg->file, NULL, (int)yp->problem_mark.line + 1, L->err, L->errlen,
           "YAML syntax error: %s%s%s",
           yp->problem ? yp->problem : "invalid YAML", ctx, hint);
    return TR_ERR_INVALID;
}

static int parse(tr_cfg *cfg, const char *text, size_t len, char *err,
                 size_t errlen)
{
    loader L;
    memset(&L, 0, sizeof L);
    L.cfg = cfg;
    L.text = text;
    L.len = len;
    L.err = err;
    L.errlen = errlen;

    yaml_parser_t yp;
    if (!yaml_parser_initialize(&yp))
        return nomem(&L);
    yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
    int rc = TR_OK, done = 0;
    while (!done && rc == TR_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&yp, &ev)) {
            rc = syntax_error(&L, &yp);
            break;
        }
        rc = on_event(&L, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&yp);
    for (int i = 0; i < L.depth; i++)
        frame_release(&L.stack[i]);
    free(L.buf.p);
    if (rc)
        return rc;

    /* an empty document ("---" alone, "~") is the same as an empty file */
    if (cfg->root && cfg->root->is_null)
        cfg->root = NULL;
    if (cfg->nnodes) {
        cfg->paths = arena_alloc(cfg, cfg->nnodes * sizeof *cfg->paths);
        if (!cfg->paths)
            return nomem(&L);
        for (size_t i = 0; i < cfg->nnodes; i++)
            cfg->paths[i] = NULL;
    }
    return TR_OK;
}

/* ---- public: loading --------------------------------------------------- */

void tr_cfg_free(tr_cfg *cfg)
{
    if (!cfg)
        return;
    for (block *b = cfg->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(cfg->file);
    free(cfg);
}

int tr__cfg_load_string_faults(const char *name, const char *text,
                               size_t len, const tr__cfg_faults *faults,
                               tr_cfg **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!name)
        name = "(string)";
    if (!out || (!text && len)) {
        report(name, NULL, 0, err, errlen, "no text to load");
        return TR_ERR_INVALID;
    }
    if (len > MAX_TEXT) {
        report(name, NULL, 0, err, errlen,
               "%zu bytes is larger than the %zu MiB a config may have", len,
               MAX_TEXT >> 20);
        return TR_ERR_INVALID;
    }
    size_t nlen = strlen(name);
    tr_cfg *cfg = cfg_calloc(faults, 1, sizeof *cfg);
    char *file = cfg_malloc(faults, nlen + 1);
    if (!cfg || !file) {
        free(cfg);
        free(file);
        report(name, NULL, 0, err, errlen, "out of memory");
        return TR_ERR_NOMEM;
    }
    memcpy(file, name, nlen + 1);
    cfg->file = file;
    if (faults)
        cfg->faults = *faults;
    int rc = parse(cfg, text ? text : "", len, err, errlen);
    if (rc) {
        tr_cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return TR_OK;
}

int tr_cfg_load_string(const char *name, const char *text, size_t len,
                       tr_cfg **out, char *err, size_t errlen)
{
    return tr__cfg_load_string_faults(name, text, len, NULL, out, err,
                                      errlen);
}

int tr__cfg_load_file_faults(const char *path, const tr__cfg_faults *faults,
                             tr_cfg **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!path || !out) {
        report(path, NULL, 0, err, errlen, "no file to load");
        return TR_ERR_INVALID;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        report(path, NULL, 0, err, errlen, "cannot open: %s", strerror(e));
        return e == ENOENT || e == ENOTDIR ? TR_ERR_NOT_FOUND : TR_ERR_IO;
    }
    int rc = TR_OK;
    char *text = NULL;
    size_t len = 0, cap = 0;
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        report(path, NULL, 0, err, errlen, "cannot read: is a directory");
        rc = TR_ERR_IO;
        goto done;
    }
    for (;;) {
        if (len == cap) {
            /* one byte past the limit tells "too large" from "just fits" */
            if (cap > MAX_TEXT) {
                report(path, NULL, 0, err, errlen,
                       "larger than the %zu MiB a config may have",
                       MAX_TEXT >> 20);
                rc = TR_ERR_INVALID;
                goto done;
            }
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > MAX_TEXT + 1)
                ncap = MAX_TEXT + 1;
            char *p = cfg_realloc(faults, text, ncap);
            if (!p) {
                report(path, NULL, 0, err, errlen, "out of memory");
                rc = TR_ERR_NOMEM;
                goto done;
            }
            text = p;
            cap = ncap;
        }
        size_t got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) {
                report(path, NULL, 0, err, errlen, "cannot read: %s",
                       strerror(errno));
                rc = TR_ERR_IO;
                goto done;
            }
            break;
        }
    }
    assert(len <= MAX_TEXT);
    rc = tr__cfg_load_string_faults(path, text, len, faults, out, err,
                                    errlen);
done:
    free(text);
    fclose(fp);
    return rc;
}

int tr_cfg_load_file(const char *path, tr_cfg **out, char *err, size_t errlen)
{
    return tr__cfg_load_file_faults(path, NULL, out, err, errlen);
}

/* ---- public: the tree -------------------------------------------------- */

const tr_cfg_node *tr_cfg_root(const tr_cfg *cfg)
{
    return cfg ? cfg->root : NULL;
}

const char *tr_cfg_file(const tr_cfg *cfg)
{
    return cfg ? cfg->file : NULL;
}

tr_cfg_kind tr_cfg_node_kind(const tr_cfg_node *n)
{
    assert(n);
    return n ? n->kind : TR_CFG_SCALAR;
}

int tr_cfg_node_line(const tr_cfg_node *n)
{
    return n ? n->line : 0;
}

const char *tr_cfg_node_path(const tr_cfg_node *n)
{
    if (!n || !n->parent)
        return "";
    tr_cfg *cfg = n->cfg;
    if (cfg->paths[n->id])
        return cfg->paths[n->id];
    sbuf sb = {NULL, 0, 0};
    sb_path(&sb, n);
    char *p = arena_alloc(cfg, sb.len + 1);
    if (!p)
        return "?"; /* out of memory (see the file comment) */
    sb = (sbuf){p, sb.len + 1, 0};
    sb_path(&sb, n);
    cfg->paths[n->id] = p;
    return p;
}

const char *tr_cfg_scalar(const tr_cfg_node *n)
{
    return n && n->kind == TR_CFG_SCALAR ? n->text : NULL;
}

const tr_cfg_node *tr_cfg_get(const tr_cfg_node *map, const char *key)
{
    if (!map || map->kind != TR_CFG_MAP || !key)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (!strcmp(map->items[i]->key, key))
            return map->items[i];
    return NULL;
}

size_t tr_cfg_size(const tr_cfg_node *n)
{
    return n && n->kind != TR_CFG_SCALAR ? n->n : 0;
}

const tr_cfg_node *tr_cfg_at(const tr_cfg_node *n, size_t i)
{
    return n && n->kind != TR_CFG_SCALAR && i < n->n ? n->items[i] : NULL;
}

const char *tr_cfg_key(const tr_cfg_node *map, size_t i)
{
    return map && map->kind == TR_CFG_MAP && i < map->n ? map->items[i]->key
                                                        : NULL;
}

/* ---- public: checked reads --------------------------------------------- */

/* What was found, for "expected X, got Y". */
static void describe(char *buf, size_t size, const tr_cfg_node *v)
{
    if (v->kind == TR_CFG_MAP) {
        snprintf(buf, size, "a map");
    } else if (v->kind == TR_CFG_SEQ) {
        snprintf(buf, size, "a list");
    } else if (v->is_null && !*v->text) {
        snprintf(buf, size, "an empty value");
    } else if (v->is_null) {
        char q[QUOTE_MAX + 16];
        quote(q, sizeof q, v->text);
        snprintf(buf, size, "null (%s)", q);
    } else {
        quote(buf, size, v->text);
    }
}

static int not_a_map(const tr_cfg *cfg, const tr_cfg_node *n, char *err,
                     size_t errlen)
{
    char got[QUOTE_MAX + 32];
    describe(got, sizeof got, n);
    tr_cfg_error(cfg, n, err, errlen,
                 "expected a map (key: value entries), got %s", got);
    return TR_ERR_INVALID;
}

/* A null value stands for an empty map where a map is expected. */
static int is_mapish(const tr_cfg_node *n)
{
    return !n || n->kind == TR_CFG_MAP || n->is_null;
}

/* map[key] for a typed read: TR_OK with *v, NULL when absent (an error
 * instead when required). */
static int lookup(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                  int required, const tr_cfg_node **v, char *err,
                  size_t errlen)
{
    if (!key) {
        tr_cfg_error(cfg, map, err, errlen, "no key given");
        return TR_ERR_INVALID;
    }
    if (!is_mapish(map))
        return not_a_map(cfg, map, err, errlen);
    *v = tr_cfg_get(map, key);
    if (!*v && required) {
        char q[QUOTE_MAX + 16];
        quote(q, sizeof q, key);
        tr_cfg_error(cfg, map, err, errlen, "missing required key %s", q);
        return TR_ERR_NOT_FOUND;
    }
    return TR_OK;
}

/* v's text when v is a non-null scalar; else the "expected WHAT" error. */
static const char *scalar_of(const tr_cfg *cfg, const tr_cfg_node *v,
                             const char *what, char *err, size_t errlen)
{
    if (v->kind == TR_CFG_SCALAR && !v->is_null)
        return v->text;
    char got[QUOTE_MAX + 32];
    describe(got, sizeof got, v);
    tr_cfg_error(cfg, v, err, errlen, "expected %s, got %s", what, got);
    return NULL;
}

/* "a whole number from 1 to 10" / ">= 1" / "<= 10": callers give at
 * least one bound (the type's own limits when none was asked for). */
static void range_text(char *buf, size_t size, const char *what,
                       const char *lo, const char *hi)
{
    assert(lo || hi);
    if (lo && hi)
        snprintf(buf, size, "%s from %s to %s", what, lo, hi);
    else if (lo)
        snprintf(buf, size, "%s >= %s", what, lo);
    else
        snprintf(buf, size, "%s <= %s", what, hi);
}

static int range_error(const tr_cfg *cfg, const tr_cfg_node *v,
                       const char *what, const char *lo, const char *hi,
                       char *err, size_t errlen)
{
    char want[160], got[QUOTE_MAX + 16];
    range_text(want, sizeof want, what, lo, hi);
    quote(got, sizeof got, v->text);
    tr_cfg_error(cfg, v, err, errlen, "expected %s, got %s", want, got);
    return TR_ERR_INVALID;
}

/* [+-]digits. 0 ok, -1 malformed, 1 does not fit in int64. */
static int parse_int(const char *s, int64_t *out)
{
    int neg = *s == '-';
    if (*s == '+' || *s == '-')
        s++;
    if (!*s)
        return -1;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
    int over = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (limit - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (over)
        return 1;
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v)
               : (int64_t)v;
    return 0;
}

int tr_cfg_int(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               int64_t def, int64_t min, int64_t max, int64_t *out,
               char *err, size_t errlen)
{
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, 0, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    const char *s = scalar_of(cfg, v, "a whole number", err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    char lo[24], hi[24];
    snprintf(lo, sizeof lo, "%" PRId64, min);
    snprintf(hi, sizeof hi, "%" PRId64, max);
    const char *plo = min == INT64_MIN ? NULL : lo;
    const char *phi = max == INT64_MAX ? NULL : hi;
    int64_t x = 0;
    int p = parse_int(s, &x);
    if (p < 0) {
        char got[QUOTE_MAX + 16];
        quote(got, sizeof got, s);
        tr_cfg_error(cfg, v, err, errlen, "expected a whole number, got %s",
                     got);
        return TR_ERR_INVALID;
    }
    if (p > 0 && !plo && !phi) { /* no range asked for: show int64's */
        plo = lo;
        phi = hi;
    }
    if (p > 0 || x < min || x > max)
        return range_error(cfg, v, "a whole number", plo, phi, err, errlen);
    *out = x;
    return TR_OK;
}

/* [+-](digits[.digits]|.digits)[(e|E)[+-]digits]: the tr_fx_parse
 * grammar, so num and fx accept the same texts. */
static int is_decimal(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    int digits = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (!digits)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* The shortest text that reads back as d. */
static void fmt_double(char *buf, size_t size, double d)
{
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(buf, size, "%.0f", d);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            return;
    }
}

int tr_cfg_num(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               double def, double min, double max, double *out, char *err,
               size_t errlen)
{
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, 0, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    const char *s = scalar_of(cfg, v, "a number", err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    if (!is_decimal(s)) {
        char got[QUOTE_MAX + 16];
        quote(got, sizeof got, s);
        tr_cfg_error(cfg, v, err, errlen, "expected a number, got %s", got);
        return TR_ERR_INVALID;
    }
    char lo[32], hi[32];
    fmt_double(lo, sizeof lo, min);
    fmt_double(hi, sizeof hi, max);
    const char *plo = min <= -DBL_MAX ? NULL : lo;
    const char *phi = max >= DBL_MAX ? NULL : hi;
    double x = strtod(s, NULL);
    if (isinf(x) || x < min || x > max) {
        if (!plo && !phi) {
            fmt_double(lo, sizeof lo, -DBL_MAX);
            fmt_double(hi, sizeof hi, DBL_MAX);
            plo = lo;
            phi = hi;
        }
        return range_error(cfg, v, "a number", plo, phi, err, errlen);
    }
    *out = x;
    return TR_OK;
}

int tr_cfg_fx(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
              tr_fx def, tr_fx min, tr_fx max, tr_fx *out, char *err,
              size_t errlen)
{
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, 0, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    const char *s = scalar_of(cfg, v, "a number", err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    tr_fx x;
    int p = tr_fx_parse(s, strlen(s), &x);
    if (p == TR_ERR_INVALID) {
        char got[QUOTE_MAX + 16];
        quote(got, sizeof got, s);
        tr_cfg_error(cfg, v, err, errlen, "expected a number, got %s", got);
        return TR_ERR_INVALID;
    }
    char lo[TR_FX_STRLEN], hi[TR_FX_STRLEN];
    tr_fx_format(p ? TR_FX_MIN : min, lo, sizeof lo);
    tr_fx_format(p ? TR_FX_MAX : max, hi, sizeof hi);
    const char *plo = !p && min <= TR_FX_MIN ? NULL : lo;
    const char *phi = !p && max >= TR_FX_MAX ? NULL : hi;
    if (p || x < min || x > max)
        return range_error(cfg, v, "a number", plo, phi, err, errlen);
    *out = x;
    return TR_OK;
}

int tr_cfg_bool(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                int def, int *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, 0, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    const char *what = "true or false (or yes/no, on/off)";
    const char *s = scalar_of(cfg, v, what, err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return TR_OK;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return TR_OK;
        }
    }
    char got[QUOTE_MAX + 16];
    quote(got, sizeof got, s);
    tr_cfg_error(cfg, v, err, errlen, "expected %s, got %s", what, got);
    return TR_ERR_INVALID;
}

static int read_str(const tr_cfg *cfg, const tr_cfg_node *map,
                    const char *key, int required, const char *def,
                    const char **out, char *err, size_t errlen)
{
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, required, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    const char *s = scalar_of(cfg, v, "a string", err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    *out = s;
    return TR_OK;
}

int tr_cfg_str(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
               const char *def, const char **out, char *err, size_t errlen)
{
    return read_str(cfg, map, key, 0, def, out, err, errlen);
}

int tr_cfg_str_req(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                   const char **out, char *err, size_t errlen)
{
    return read_str(cfg, map, key, 1, NULL, out, err, errlen);
}

/* "a, b or c" */
static void list_choices(sbuf *sb, const char *const *names, const char *last)
{
    for (size_t i = 0; names[i]; i++)
        sb_printf(sb, "%s%s", i == 0 ? "" : names[i + 1] ? ", " : last,
                  names[i]);
}

int tr_cfg_enum(const tr_cfg *cfg, const tr_cfg_node *map, const char *key,
                const char *const *choices, int def, int *out, char *err,
                size_t errlen)
{
    assert(choices && choices[0]);
    const tr_cfg_node *v;
    int rc = lookup(cfg, map, key, def < 0, &v, err, errlen);
    if (rc)
        return rc;
    if (!v) {
        *out = def;
        return TR_OK;
    }
    char what[512];
    sbuf sb = {what, sizeof what, 0};
    what[0] = '\0';
    sb_printf(&sb, "%s", choices[1] ? "one of " : "");
    list_choices(&sb, choices, " or ");
    const char *s = scalar_of(cfg, v, what, err, errlen);
    if (!s)
        return TR_ERR_INVALID;
    for (int i = 0; choices[i]; i++) {
        if (!strcmp(s, choices[i])) {
            *out = i;
            return TR_OK;
        }
    }
    char got[QUOTE_MAX + 16], hint[QUOTE_MAX + 32] = "";
    quote(got, sizeof got, s);
    const char *near = suggest(s, choices);
    if (near)
        snprintf(hint, sizeof hint, " (did you mean '%.*s'?)", QUOTE_MAX,
                 near);
    tr_cfg_error(cfg, v, err, errlen, "expected %s, got %s%s", what, got,
                 hint);
    return TR_ERR_INVALID;
}

int tr_cfg_check_keys(const tr_cfg *cfg, const tr_cfg_node *map,
                      const char *const *allowed, char *err, size_t errlen)
{
    if (!map || (map->kind != TR_CFG_MAP && map->is_null))
        return TR_OK;
    if (map->kind != TR_CFG_MAP)
        return not_a_map(cfg, map, err, errlen);
    for (size_t i = 0; i < map->n; i++) {
        const char *key = map->items[i]->key;
        int known = 0;
        for (size_t j = 0; allowed && allowed[j] && !known; j++)
            known = !strcmp(key, allowed[j]);
        if (known)
            continue;
        char q[QUOTE_MAX + 16], tail[1024];
        quote(q, sizeof q, key);
        sbuf sb = {tail, sizeof tail, 0};
        tail[0] = '\0';
        const char *near = suggest(key, allowed);
        if (near)
            sb_printf(&sb, "did you mean '%s'?; ", near);
        if (allowed && allowed[0]) {
            sb_printf(&sb, "allowed: ");
            list_choices(&sb, allowed, ", ");
        } else {
            sb_printf(&sb, "no keys are allowed here");
        }
        report(cfg ? cfg->file : NULL, map, map->items[i]->key_line, err,
               errlen, "unknown key %s (%s)", q, tail);
        return TR_ERR_INVALID;
    }
    return TR_OK;
}
