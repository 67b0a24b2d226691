/* test_config.c: the YAML config loader and its checked reads (core/config.h)
 * against in-memory texts and the files in fixtures/config, comparing whole
 * error messages, line numbers included. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_int.h"
#include "core/err.h"
#include "test.h"

#define SENT_I  INT64_C(-777)
#define SENT_D  -777.0
#define ERRLEN  512

/* ---- helpers ----------------------------------------------------------- */

/* Loads text as "t.yaml"; NULL (and a failed check) when it does not load. */
static tr_cfg *load_at(int line, const char *text)
{
    char err[ERRLEN] = "";
    tr_cfg *cfg = NULL;
    int rc = tr_cfg_load_string("t.yaml", text, strlen(text), &cfg, err,
                                sizeof err);
    if (!CHECK_MSG(rc == TR_OK && cfg,
                   "line %d: load failed (%d): %s\n--- text:\n%s", line, rc,
                   err, text)) {
        tr_cfg_free(cfg);
        return NULL;
    }
    return cfg;
}
#define LOAD(text) load_at(__LINE__, text)

/* Loading text fails with code and exactly msg; *out is left alone. */
static void load_fails_at(int line, const char *text, int code,
                          const char *msg)
{
    char err[ERRLEN] = "";
    tr_cfg *cfg = (tr_cfg *)&err; /* sentinel: must stay untouched */
    tr_cfg *sentinel = cfg;
    int rc = tr_cfg_load_string("t.yaml", text, strlen(text), &cfg, err,
                                sizeof err);
    CHECK_MSG(rc == code, "line %d: rc %d, expected %d (%s)", line, rc, code,
              err);
    CHECK_MSG(cfg == sentinel, "line %d: *out changed on error", line);
    CHECK_MSG(strcmp(err, msg) == 0, "line %d:\n  got      \"%s\"\n  expected \"%s\"",
              line, err, msg);
    if (rc == TR_OK && cfg != sentinel)
        tr_cfg_free(cfg);
}
#define LOAD_FAILS(text, code, msg) load_fails_at(__LINE__, text, code, msg)

#define CHECK_ERR(rc, code, err, msg)                                          \
    do {                                                                       \
        CHECK_EQ_I64(rc, code);                                                \
        CHECK_STR(err, msg);                                                   \
    } while (0)

static const char *fixtures(void)
{
    const char *f = getenv("TR_FIXTURES");
    return f && *f ? f : "fixtures";
}

static void fixture_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/config/%s", fixtures(), rel);
}

/* Follows a path of keys and [i] given as separate arguments. */
static const tr_cfg_node *node_at(const tr_cfg *cfg, const char *dotted)
{
    const tr_cfg_node *n = tr_cfg_root(cfg);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", dotted);
    for (char *tok = strtok(buf, "."); tok && n; tok = strtok(NULL, ".")) {
        char *br = strchr(tok, '[');
        if (br) {
            *br = '\0';
            if (*tok)
                n = tr_cfg_get(n, tok);
            while (n && br) {
                n = tr_cfg_at(n, (size_t)strtoul(br + 1, NULL, 10));
                br = strchr(br + 1, '[');
            }
        } else {
            n = tr_cfg_get(n, tok);
        }
    }
    return n;
}

/* ---- the example config ------------------------------------------------ */

static const char *const ROOT_KEYS[] = {"cash",  "data",  "strategy", "sizing",
                                        "costs", "risk",  NULL};

static void check_example(const tr_cfg *cfg)
{
    char err[ERRLEN] = "";
    const tr_cfg_node *root = tr_cfg_root(cfg);
    if (!CHECK(root))
        return;
    CHECK_EQ_I64(tr_cfg_node_kind(root), TR_CFG_MAP);
    CHECK_EQ_I64(tr_cfg_size(root), 6);
    CHECK_STR(tr_cfg_node_path(root), "");
    CHECK_EQ_I64(tr_cfg_node_line(root), 1);
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, root, ROOT_KEYS, err, sizeof err),
                 TR_OK);

    tr_fx cash = 0;
    CHECK_EQ_I64(tr_cfg_fx(cfg, root, "cash", 0, 0, TR_FX_MAX, &cash, err,
                           sizeof err),
                 TR_OK);
    CHECK_EQ_I64(cash, INT64_C(100000) * TR_FX_ONE);

    const tr_cfg_node *data = tr_cfg_get(root, "data");
    CHECK_EQ_I64(tr_cfg_node_kind(data), TR_CFG_SEQ);
    CHECK_EQ_I64(tr_cfg_size(data), 1);
    CHECK_EQ_I64(tr_cfg_node_line(data), 3);
    const tr_cfg_node *d0 = tr_cfg_at(data, 0);
    const char *sym = NULL, *file = NULL;
    CHECK_EQ_I64(tr_cfg_str_req(cfg, d0, "symbol", &sym, err, sizeof err),
                 TR_OK);
    CHECK_STR(sym, "AAPL");
    CHECK_EQ_I64(tr_cfg_str_req(cfg, d0, "file", &file, err, sizeof err),
                 TR_OK);
    CHECK_STR(file, "data/aapl.csv");
    CHECK_STR(tr_cfg_node_path(tr_cfg_get(d0, "file")), "data[0].file");
    CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_get(d0, "file")), 4);

    const tr_cfg_node *strat = tr_cfg_get(root, "strategy");
    const char *name = NULL;
    CHECK_EQ_I64(tr_cfg_str_req(cfg, strat, "name", &name, err, sizeof err),
                 TR_OK);
    CHECK_STR(name, "sma_cross");
    const tr_cfg_node *params = tr_cfg_get(strat, "params");
    static const char *const PARAMS[] = {"fast", "slow", "allow_short", NULL};
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, params, PARAMS, err, sizeof err),
                 TR_OK);
    int64_t fast = 0, slow = 0;
    int allow_short = -1;
    CHECK_EQ_I64(tr_cfg_int(cfg, params, "fast", 5, 1, 1000, &fast, err,
                            sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_cfg_int(cfg, params, "slow", 20, 1, 1000, &slow, err,
                            sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_cfg_bool(cfg, params, "allow_short", 0, &allow_short,
                             err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(fast, 10);
    CHECK_EQ_I64(slow, 30);
    CHECK_EQ_I64(allow_short, 0);
    CHECK_STR(tr_cfg_node_path(tr_cfg_get(params, "slow")),
              "strategy.params.slow");
    CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_get(params, "slow")), 7);

    const tr_cfg_node *sizing = tr_cfg_get(root, "sizing");
    static const char *const METHODS[] = {"fixed", "percent", "risk", NULL};
    int method = -1;
    CHECK_EQ_I64(tr_cfg_enum(cfg, sizing, "method", METHODS, -1, &method, err,
                             sizeof err),
                 TR_OK);
    CHECK_EQ_I64(method, 0);
    tr_fx qty = 0;
    CHECK_EQ_I64(tr_cfg_fx(cfg, sizing, "qty", 0, 1, TR_FX_MAX, &qty, err,
                           sizeof err),
                 TR_OK);
    CHECK_EQ_I64(qty, 100 * TR_FX_ONE);

    const tr_cfg_node *costs = tr_cfg_get(root, "costs");
    tr_fx commission = -1;
    double bps = -1;
    CHECK_EQ_I64(tr_cfg_fx(cfg, costs, "commission", 1, 0, TR_FX_MAX,
                           &commission, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(commission, 0);
    CHECK_EQ_I64(tr_cfg_num(cfg, costs, "slippage_bps", 5, 0, 10000, &bps,
                            err, sizeof err),
                 TR_OK);
    CHECK(bps == 0.0);

    int enabled = -1;
    CHECK_EQ_I64(tr_cfg_bool(cfg, tr_cfg_get(root, "risk"), "enabled", 1,
                             &enabled, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(enabled, 0);
    CHECK_STR(err, "");
}

static void test_example(void)
{
    static const char text[] = "cash: 100000\n"
                               "data:\n"
                               "  - symbol: AAPL\n"
                               "    file: data/aapl.csv\n"
                               "strategy:\n"
                               "  name: sma_cross\n"
                               "  params: {fast: 10, slow: 30}\n"
                               "sizing: {method: fixed, qty: 100}\n"
                               "costs: {commission: 0, slippage_bps: 0}\n"
                               "risk: {enabled: false}\n";
    tr_cfg *cfg = LOAD(text);
    if (cfg) {
        CHECK_STR(tr_cfg_file(cfg), "t.yaml");
        check_example(cfg);
        tr_cfg_free(cfg);
    }

    /* the same from the fixture file */
    char path[512], err[ERRLEN] = "";
    fixture_path(path, sizeof path, "example.yaml");
    cfg = NULL;
    int rc = tr_cfg_load_file(path, &cfg, err, sizeof err);
    CHECK_MSG(rc == TR_OK, "%s: %s", path, err);
    if (cfg) {
        CHECK_STR(tr_cfg_file(cfg), path);
        check_example(cfg);
        tr_cfg_free(cfg);
    }
}

/* ---- the tree ---------------------------------------------------------- */

static void test_tree(void)
{
    tr_cfg *cfg = LOAD("a: 1\n"             /* 1 */
                       "b:\n"               /* 2 */
                       "  - x\n"            /* 3 */
                       "  - {k: v, j: w}\n" /* 4 */
                       "  - [p, q]\n"       /* 5 */
                       "c: 'quoted'\n"      /* 6 */
                       "\"d e\": |\n"       /* 7 */
                       "  two\n"
                       "  lines\n");
    if (!cfg)
        return;
    const tr_cfg_node *root = tr_cfg_root(cfg), *b = tr_cfg_get(root, "b");
    CHECK_EQ_I64(tr_cfg_size(root), 4);
    CHECK_STR(tr_cfg_key(root, 0), "a");
    CHECK_STR(tr_cfg_key(root, 1), "b");
    CHECK_STR(tr_cfg_key(root, 2), "c");
    CHECK_STR(tr_cfg_key(root, 3), "d e");
    CHECK(tr_cfg_key(root, 4) == NULL);
    CHECK(tr_cfg_at(root, 0) == tr_cfg_get(root, "a"));
    CHECK(tr_cfg_at(root, 1) == b);
    CHECK(tr_cfg_at(root, 4) == NULL);
    CHECK_STR(tr_cfg_scalar(tr_cfg_at(root, 0)), "1");
    CHECK_STR(tr_cfg_scalar(tr_cfg_get(root, "c")), "quoted");
    CHECK_STR(tr_cfg_scalar(tr_cfg_get(root, "d e")), "two\nlines\n");
    CHECK(tr_cfg_get(root, "zz") == NULL);
    CHECK(tr_cfg_get(root, NULL) == NULL);
    CHECK(tr_cfg_get(NULL, "a") == NULL);

    CHECK_EQ_I64(tr_cfg_node_kind(b), TR_CFG_SEQ);
    CHECK_EQ_I64(tr_cfg_size(b), 3);
    CHECK(tr_cfg_scalar(b) == NULL);
    CHECK(tr_cfg_get(b, "x") == NULL); /* not a map */
    CHECK(tr_cfg_key(b, 0) == NULL);   /* sequences have no keys */
    CHECK(tr_cfg_at(b, 3) == NULL);
    CHECK_STR(tr_cfg_node_path(b), "b");
    CHECK_EQ_I64(tr_cfg_node_line(b), 3);

    const tr_cfg_node *x = tr_cfg_at(b, 0), *m = tr_cfg_at(b, 1);
    const tr_cfg_node *s = tr_cfg_at(b, 2);
    CHECK_STR(tr_cfg_scalar(x), "x");
    CHECK_STR(tr_cfg_node_path(x), "b[0]");
    CHECK_EQ_I64(tr_cfg_node_kind(x), TR_CFG_SCALAR);
    CHECK_EQ_I64(tr_cfg_size(x), 0);
    CHECK(tr_cfg_at(x, 0) == NULL);
    CHECK_EQ_I64(tr_cfg_node_kind(m), TR_CFG_MAP);
    CHECK_STR(tr_cfg_node_path(tr_cfg_get(m, "j")), "b[1].j");
    CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_get(m, "j")), 4);
    CHECK_STR(tr_cfg_node_path(tr_cfg_at(s, 1)), "b[2][1]");
    CHECK_STR(tr_cfg_scalar(tr_cfg_at(s, 1)), "q");
    CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_at(s, 1)), 5);
    /* paths are cached: the same pointer twice */
    CHECK(tr_cfg_node_path(x) == tr_cfg_node_path(x));
    CHECK_STR(tr_cfg_node_path(tr_cfg_get(root, "d e")), "d e");

    /* NULL-safe corners */
    CHECK_EQ_I64(tr_cfg_size(NULL), 0);
    CHECK(tr_cfg_at(NULL, 0) == NULL);
    CHECK(tr_cfg_scalar(NULL) == NULL);
    CHECK_STR(tr_cfg_node_path(NULL), "");
    CHECK_EQ_I64(tr_cfg_node_line(NULL), 0);
    CHECK(tr_cfg_root(NULL) == NULL);
    CHECK(tr_cfg_file(NULL) == NULL);
    tr_cfg_free(NULL);
    tr_cfg_free(cfg);

    /* a root sequence: its items are "[i]" */
    cfg = LOAD("- a\n- [b, c]\n");
    if (cfg) {
        const tr_cfg_node *r = tr_cfg_root(cfg);
        CHECK_EQ_I64(tr_cfg_node_kind(r), TR_CFG_SEQ);
        CHECK_STR(tr_cfg_node_path(tr_cfg_at(r, 0)), "[0]");
        CHECK_STR(tr_cfg_node_path(tr_cfg_at(tr_cfg_at(r, 1), 1)), "[1][1]");
        tr_cfg_free(cfg);
    }

    /* a root scalar is kept */
    cfg = LOAD("just text\n");
    if (cfg) {
        CHECK_STR(tr_cfg_scalar(tr_cfg_root(cfg)), "just text");
        tr_cfg_free(cfg);
    }

    /* two trees side by side share nothing */
    tr_cfg *c1 = LOAD("a: 1\n"), *c2 = LOAD("a: 2\n");
    if (c1 && c2) {
        CHECK_STR(tr_cfg_scalar(tr_cfg_get(tr_cfg_root(c1), "a")), "1");
        CHECK_STR(tr_cfg_scalar(tr_cfg_get(tr_cfg_root(c2), "a")), "2");
    }
    tr_cfg_free(c1);
    tr_cfg_free(c2);
}

static void test_empty(void)
{
    static const char *const empties[] = {"", "\n\n", "# only a comment\n",
                                          "---\n", "--- ~\n",
                                          "---\n...\n"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        tr_cfg *cfg = LOAD(empties[i]);
        CHECK_MSG(cfg && tr_cfg_root(cfg) == NULL, "empty text %zu", i);
        tr_cfg_free(cfg);
    }

    /* an empty tree still answers reads: defaults, or missing keys */
    char err[ERRLEN] = "", path[512];
    fixture_path(path, sizeof path, "comments_only.yaml");
    tr_cfg *cfg = NULL;
    CHECK_EQ_I64(tr_cfg_load_file(path, &cfg, err, sizeof err), TR_OK);
    if (!cfg)
        return;
    CHECK(tr_cfg_root(cfg) == NULL);
    int64_t v = SENT_I;
    CHECK_EQ_I64(tr_cfg_int(cfg, tr_cfg_root(cfg), "cash", 5, 0, 10, &v, err,
                            sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 5);
    const char *s = "untouched";
    int rc = tr_cfg_str_req(cfg, tr_cfg_root(cfg), "cash", &s, err,
                            sizeof err);
    char want[600];
    snprintf(want, sizeof want, "%s: missing required key 'cash'", path);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err, want);
    CHECK_STR(s, "untouched");
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, tr_cfg_root(cfg), ROOT_KEYS, err,
                                   sizeof err),
                 TR_OK);
    tr_cfg_free(cfg);

    /* load_string with no text at all */
    cfg = NULL;
    CHECK_EQ_I64(tr_cfg_load_string("t.yaml", NULL, 0, &cfg, err, sizeof err),
                 TR_OK);
    CHECK(cfg && tr_cfg_root(cfg) == NULL);
    tr_cfg_free(cfg);
}

/* ---- refused files ----------------------------------------------------- */

static void test_syntax_errors(void)
{
    LOAD_FAILS("a: [1, 2\nb: 3\n", TR_ERR_INVALID,
               "t.yaml:2: YAML syntax error: did not find expected ',' or "
               "']' (while parsing a flow sequence at line 1)");
    LOAD_FAILS("a: 1\nb: c: d\n", TR_ERR_INVALID,
               "t.yaml:2: YAML syntax error: mapping values are not allowed "
               "in this context");
    LOAD_FAILS("a:\n  - 1\n - 2\n", TR_ERR_INVALID,
               "t.yaml:3: YAML syntax error: did not find expected key "
               "(while parsing a block mapping at line 1)");
    LOAD_FAILS("a: 1\nb: \"open\n", TR_ERR_INVALID,
               "t.yaml:3: YAML syntax error: found unexpected end of stream "
               "(while scanning a quoted scalar at line 2)");
    LOAD_FAILS("a: 1\n\tb: 2\n", TR_ERR_INVALID,
               "t.yaml:2: YAML syntax error: found a tab character that "
               "violates indentation (while scanning a plain scalar at line "
               "1)");
    LOAD_FAILS("a:\n\tb: 2\n", TR_ERR_INVALID,
               "t.yaml:2: YAML syntax error: found character that cannot "
               "start any token (while scanning for the next token at line "
               "2) (indent with spaces, not tabs)");
    LOAD_FAILS("a: 1\nb: \xff\n", TR_ERR_INVALID,
               "t.yaml:2: unreadable text: invalid leading UTF-8 octet "
               "(byte 0xff); a config must be UTF-8 text");
    LOAD_FAILS("a: 1\n---\nb: 2\n", TR_ERR_INVALID,
               "t.yaml:2: a second YAML document ('---') in the file; a "
               "config is one document");
    LOAD_FAILS("a: \"x\\0y\"\n", TR_ERR_INVALID,
               "t.yaml:1: a: text with a NUL character (\\0) is not "
               "supported");

    /* the fixtures: a file name in front, libyaml's line */
    char path[512], err[ERRLEN], want[1024];
    tr_cfg *cfg = NULL;
    fixture_path(path, sizeof path, "syntax_error.yaml");
    CHECK_EQ_I64(tr_cfg_load_file(path, &cfg, err, sizeof err),
                 TR_ERR_INVALID);
    snprintf(want, sizeof want,
             "%s:4: YAML syntax error: did not find expected ',' or ']' "
             "(while parsing a flow sequence at line 3)",
             path);
    CHECK_STR(err, want);
    CHECK(cfg == NULL);
    fixture_path(path, sizeof path, "tabs.yaml");
    CHECK_EQ_I64(tr_cfg_load_file(path, &cfg, err, sizeof err),
                 TR_ERR_INVALID);
    snprintf(want, sizeof want,
             "%s:3: YAML syntax error: found character that cannot start "
             "any token (while scanning for the next token at line 3) "
             "(indent with spaces, not tabs)",
             path);
    CHECK_STR(err, want);
    CHECK(cfg == NULL);
}

static void test_duplicates_aliases_keys(void)
{
    LOAD_FAILS("a: 1\nb: 2\na: 3\n", TR_ERR_INVALID,
               "t.yaml:3: duplicate key 'a' (first at line 1)");
    LOAD_FAILS("s:\n  x: 1\n  y: 2\n  x: 3\n", TR_ERR_INVALID,
               "t.yaml:4: s: duplicate key 'x' (first at line 2)");
    LOAD_FAILS("data:\n  - {a: 1, a: 2}\n", TR_ERR_INVALID,
               "t.yaml:2: data[0]: duplicate key 'a' (first at line 2)");
    /* the same key in different maps is fine */
    tr_cfg *cfg = LOAD("a: {x: 1}\nb: {x: 2}\n");
    tr_cfg_free(cfg);

    LOAD_FAILS("a: &base 1\nb: 2\n", TR_ERR_INVALID,
               "t.yaml:1: a: anchors (&base) are not supported: write the "
               "values out in full");
    LOAD_FAILS("a: 1\nb: *base\n", TR_ERR_INVALID,
               "t.yaml:2: b: aliases (*base) are not supported: write the "
               "values out in full");
    LOAD_FAILS("s:\n  - 1\n  - &x {a: 1}\n", TR_ERR_INVALID,
               "t.yaml:3: s[1]: anchors (&x) are not supported: write the "
               "values out in full");
    LOAD_FAILS("s:\n  - 1\n  - *x\n", TR_ERR_INVALID,
               "t.yaml:3: s[1]: aliases (*x) are not supported: write the "
               "values out in full");
    LOAD_FAILS("&r a: 1\n", TR_ERR_INVALID,
               "t.yaml:1: anchors (&r) are not supported: write the values "
               "out in full");
    LOAD_FAILS("s:\n  <<: {a: 1}\n", TR_ERR_INVALID,
               "t.yaml:2: s: merge keys ('<<') are not supported: write the "
               "values out in full");

    LOAD_FAILS("? [a, b]\n: 1\n", TR_ERR_INVALID,
               "t.yaml:1: a key must be plain text, not a list");
    LOAD_FAILS("s:\n  ? {a: 1}\n  : 1\n", TR_ERR_INVALID,
               "t.yaml:2: s: a key must be plain text, not a map");
    LOAD_FAILS("\"\": 1\n", TR_ERR_INVALID, "t.yaml:1: empty key");
    LOAD_FAILS("s: {~: 1}\n", TR_ERR_INVALID, "t.yaml:1: s: empty key");

    LOAD_FAILS("a: !include other.yaml\n", TR_ERR_INVALID,
               "t.yaml:1: a: YAML tag '!include' is not supported");
    LOAD_FAILS("a: !custom {x: 1}\n", TR_ERR_INVALID,
               "t.yaml:1: a: YAML tag '!custom' is not supported");
    cfg = LOAD("a: !!str 10\nb: !!int 5\n"); /* YAML's own tags: ignored */
    if (cfg) {
        CHECK_STR(tr_cfg_scalar(tr_cfg_get(tr_cfg_root(cfg), "a")), "10");
        tr_cfg_free(cfg);
    }

    /* a large map: duplicate detection goes through the hash set */
    size_t cap = 200000, len = 0;
    char *big = malloc(cap);
    if (!CHECK(big))
        return;
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(big + len, cap - len, "key%d: %d\n", i, i);
    big[len] = '\0';
    cfg = LOAD(big);
    if (cfg) {
        CHECK_EQ_I64(tr_cfg_size(tr_cfg_root(cfg)), 5000);
        CHECK_STR(tr_cfg_scalar(tr_cfg_get(tr_cfg_root(cfg), "key4321")),
                  "4321");
        CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_at(tr_cfg_root(cfg), 4999)),
                     5000);
        tr_cfg_free(cfg);
    }
    snprintf(big + len, cap - len, "key1234: again\n");
    LOAD_FAILS(big, TR_ERR_INVALID,
               "t.yaml:5001: duplicate key 'key1234' (first at line 1235)");
    free(big);
}

static void test_limits(void)
{
    /* 64 levels load, 65 do not */
    char text[512];
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        text[n++] = '[';
    for (int i = 0; i < 64; i++)
        text[n++] = ']';
    text[n] = '\0';
    tr_cfg *cfg = LOAD(text);
    tr_cfg_free(cfg);
    n = 0;
    for (int i = 0; i < 65; i++)
        text[n++] = '[';
    for (int i = 0; i < 65; i++)
        text[n++] = ']';
    text[n] = '\0';
    char want[1024];
    n = (size_t)snprintf(want, sizeof want, "t.yaml:1: ");
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(want + n, sizeof want - n, "[0]");
    snprintf(want + n, sizeof want - n, ": nested deeper than 64 levels");
    LOAD_FAILS(text, TR_ERR_INVALID, want);

    LOAD_FAILS("a:\n  b:\n    c: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
               "[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
               "]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
               TR_ERR_INVALID,
               "t.yaml:3: a.b.c[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
               "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
               "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
               "[0][0][0][0][0][0]: nested deeper than 64 levels");

    /* 16 MiB of text is the limit, in memory and on disk */
    size_t big = ((size_t)16 << 20) + 1;
    char *buf = malloc(big);
    if (!CHECK(buf))
        return;
    memset(buf, '\n', big);
    memcpy(buf, "a: 1\n", 5);
    char err[ERRLEN];
    cfg = NULL;
    int rc = tr_cfg_load_string("t.yaml", buf, big - 1, &cfg, err, sizeof err);
    CHECK_EQ_I64(rc, TR_OK); /* exactly 16 MiB is fine */
    if (cfg)
        CHECK_STR(tr_cfg_scalar(tr_cfg_get(tr_cfg_root(cfg), "a")), "1");
    tr_cfg_free(cfg);
    cfg = NULL;
    rc = tr_cfg_load_string("t.yaml", buf, big, &cfg, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml: 16777217 bytes is larger than the 16 MiB a config "
              "may have");
    CHECK(cfg == NULL);

    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    if (CHECK(fd >= 0)) {
        CHECK_EQ_I64(write(fd, buf, big), (int64_t)big);
        close(fd);
        rc = tr_cfg_load_file(path, &cfg, err, sizeof err);
        snprintf(want, sizeof want,
                 "%s: larger than the 16 MiB a config may have", path);
        CHECK_ERR(rc, TR_ERR_INVALID, err, want);
        CHECK(cfg == NULL);
        unlink(path);
    }
    free(buf);
}

static void test_files(void)
{
    char err[ERRLEN], want[1024];
    tr_cfg *cfg = NULL;
    int rc = tr_cfg_load_file("no/such/config.yaml", &cfg, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err,
              "no/such/config.yaml: cannot open: No such file or directory");
    CHECK(cfg == NULL);

    char path[512];
    fixture_path(path, sizeof path, "");
    rc = tr_cfg_load_file(path, &cfg, err, sizeof err);
    snprintf(want, sizeof want, "%s: cannot read: is a directory", path);
    CHECK_ERR(rc, TR_ERR_IO, err, want);
    CHECK(cfg == NULL);

    rc = tr_cfg_load_file(NULL, &cfg, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err, "(config): no file to load");
    rc = tr_cfg_load_string("s", NULL, 3, &cfg, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err, "s: no text to load");
    CHECK(cfg == NULL);

    /* no error buffer, or a tiny one: no overflow, still the code */
    rc = tr_cfg_load_string("t.yaml", "a: [", 4, &cfg, NULL, 0);
    CHECK_EQ_I64(rc, TR_ERR_INVALID);
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    rc = tr_cfg_load_string("t.yaml", "a: [", 4, &cfg, tiny, sizeof tiny);
    CHECK_EQ_I64(rc, TR_ERR_INVALID);
    CHECK_STR(tiny, "t.yaml:");
    CHECK(cfg == NULL);

    /* a name is optional for text in memory */
    rc = tr_cfg_load_string(NULL, "a: 1\na: 2\n", 10, &cfg, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "(string):2: duplicate key 'a' (first at line 1)");
    /* len, not the NUL, ends the text */
    rc = tr_cfg_load_string("t.yaml", "a: 1\nb: [", 5, &cfg, err, sizeof err);
    CHECK_EQ_I64(rc, TR_OK);
    if (cfg)
        CHECK_EQ_I64(tr_cfg_size(tr_cfg_root(cfg)), 1);
    tr_cfg_free(cfg);
}

/* ---- ${VAR} expansion -------------------------------------------------- */

static const char *value_of(const char *text, const char *key, char *buf,
                            size_t size)
{
    tr_cfg *cfg = LOAD(text);
    const char *v = cfg ? tr_cfg_scalar(tr_cfg_get(tr_cfg_root(cfg), key))
                        : NULL;
    snprintf(buf, size, "%s", v ? v : "(null)");
    tr_cfg_free(cfg);
    return buf;
}

static void test_env(void)
{
    char b[256];
    setenv("TRCFG_A", "alpha", 1);
    setenv("TRCFG_B", "beta", 1);
    setenv("TRCFG_EMPTY", "", 1);
    setenv("TRCFG_N", "42", 1);
    unsetenv("TRCFG_UNSET");

    CHECK_STR(value_of("a: ${TRCFG_A}\n", "a", b, sizeof b), "alpha");
    CHECK_STR(value_of("a: x${TRCFG_A}-${TRCFG_B}y\n", "a", b, sizeof b),
              "xalpha-betay");
    CHECK_STR(value_of("a: ${TRCFG_A}${TRCFG_A}\n", "a", b, sizeof b),
              "alphaalpha");
    CHECK_STR(value_of("a: \"${TRCFG_A} q\"\n", "a", b, sizeof b), "alpha q");
    CHECK_STR(value_of("a: '${TRCFG_A}'\n", "a", b, sizeof b), "alpha");
    CHECK_STR(value_of("a: |\n  ${TRCFG_A}\n  ${TRCFG_B}\n", "a", b, sizeof b),
              "alpha\nbeta\n");
    CHECK_STR(value_of("a: ${TRCFG_UNSET:-fallback}\n", "a", b, sizeof b),
              "fallback");
    CHECK_STR(value_of("a: ${TRCFG_UNSET:-}\n", "a", b, sizeof b), "");
    CHECK_STR(value_of("a: ${TRCFG_EMPTY:-used}\n", "a", b, sizeof b), "used");
    CHECK_STR(value_of("a: <${TRCFG_EMPTY}>\n", "a", b, sizeof b), "<>");
    CHECK_STR(value_of("a: ${TRCFG_A:-unused}\n", "a", b, sizeof b), "alpha");
    CHECK_STR(value_of("a: \"${TRCFG_UNSET:-a b: c}\"\n", "a", b, sizeof b),
              "a b: c");
    CHECK_STR(value_of("a: ${TRCFG_UNSET:-${TRCFG_A}/data}\n", "a", b,
                       sizeof b),
              "alpha/data");
    CHECK_STR(value_of("a: ${TRCFG_UNSET:-${TRCFG_UNSET:-deep}}!\n", "a", b,
                       sizeof b),
              "deep!");
    /* an unused default is not evaluated: its unset variable is fine */
    CHECK_STR(value_of("a: ${TRCFG_A:-${TRCFG_UNSET}}\n", "a", b, sizeof b),
              "alpha");
    /* a '$' that does not start ${...} is kept; "$${" is a literal "${" */
    CHECK_STR(value_of("a: $HOME $ $$ a$ $5 {x}\n", "a", b, sizeof b),
              "$HOME $ $$ a$ $5 {x}");
    CHECK_STR(value_of("a: $${TRCFG_A} $$x\n", "a", b, sizeof b),
              "${TRCFG_A} $$x");
    CHECK_STR(value_of("a: \"$\"\n", "a", b, sizeof b), "$");
    /* keys are expanded too */
    CHECK_STR(value_of("${TRCFG_A}_key: 1\n", "alpha_key", b, sizeof b), "1");

    /* expanded text is read like any other */
    tr_cfg *cfg = LOAD("qty: ${TRCFG_N}\nlot: ${TRCFG_UNSET:-100}\n"
                       "on: ${TRCFG_UNSET:-yes}\n");
    if (cfg) {
        char err[ERRLEN];
        int64_t q = 0, lot = 0;
        int on = 0;
        const tr_cfg_node *r = tr_cfg_root(cfg);
        CHECK_EQ_I64(tr_cfg_int(cfg, r, "qty", 0, 0, 100, &q, err,
                                sizeof err),
                     TR_OK);
        CHECK_EQ_I64(q, 42);
        CHECK_EQ_I64(tr_cfg_int(cfg, r, "lot", 0, 0, 1000, &lot, err,
                                sizeof err),
                     TR_OK);
        CHECK_EQ_I64(lot, 100);
        CHECK_EQ_I64(tr_cfg_bool(cfg, r, "on", 0, &on, err, sizeof err),
                     TR_OK);
        CHECK_EQ_I64(on, 1);
        tr_cfg_free(cfg);
    }
    /* an empty expansion is text, not null: it is a string "" */
    cfg = LOAD("a: ${TRCFG_EMPTY}\n");
    if (cfg) {
        char err[ERRLEN];
        const char *s = NULL;
        CHECK_EQ_I64(tr_cfg_str(cfg, tr_cfg_root(cfg), "a", "d", &s, err,
                                sizeof err),
                     TR_OK);
        CHECK_STR(s, "");
        tr_cfg_free(cfg);
    }

    LOAD_FAILS("cash: 1\ndata:\n  - file: ${TRCFG_UNSET}/aapl.csv\n",
               TR_ERR_INVALID,
               "t.yaml:3: data[0].file: environment variable 'TRCFG_UNSET' "
               "is not set (give a default with ${TRCFG_UNSET:-value})");
    LOAD_FAILS("a: ok ${TRCFG_A} ${TRCFG_UNSET}\n", TR_ERR_INVALID,
               "t.yaml:1: a: environment variable 'TRCFG_UNSET' is not set "
               "(give a default with ${TRCFG_UNSET:-value})");
    LOAD_FAILS("a: ${TRCFG_UNSET:-${TRCFG_UNSET}}\n", TR_ERR_INVALID,
               "t.yaml:1: a: environment variable 'TRCFG_UNSET' is not set "
               "(give a default with ${TRCFG_UNSET:-value})");
    LOAD_FAILS("s:\n  ${TRCFG_UNSET}: 1\n", TR_ERR_INVALID,
               "t.yaml:2: s: environment variable 'TRCFG_UNSET' is not set "
               "(give a default with ${TRCFG_UNSET:-value})");
    LOAD_FAILS("- a\n- ${TRCFG_UNSET}\n", TR_ERR_INVALID,
               "t.yaml:2: [1]: environment variable 'TRCFG_UNSET' is not set "
               "(give a default with ${TRCFG_UNSET:-value})");
    LOAD_FAILS("a: ${TRCFG_A\n", TR_ERR_INVALID,
               "t.yaml:1: a: unterminated '${' in '${TRCFG_A' (missing '}')");
    LOAD_FAILS("a: x ${\n", TR_ERR_INVALID,
               "t.yaml:1: a: unterminated '${' in 'x ${' (missing '}')");
    LOAD_FAILS("a: ${TRCFG_UNSET:-abc\n", TR_ERR_INVALID,
               "t.yaml:1: a: unterminated '${' in '${TRCFG_UNSET:-abc' "
               "(missing '}')");
    LOAD_FAILS("a: ${}\n", TR_ERR_INVALID,
               "t.yaml:1: a: bad variable reference in '${}': write ${NAME} "
               "or ${NAME:-default}, NAME being letters, digits and '_'");
    LOAD_FAILS("a: ${1X}\n", TR_ERR_INVALID,
               "t.yaml:1: a: bad variable reference in '${1X}': write "
               "${NAME} or ${NAME:-default}, NAME being letters, digits and "
               "'_'");
    LOAD_FAILS("a: ${A B}\n", TR_ERR_INVALID,
               "t.yaml:1: a: bad variable reference in '${A B}': write "
               "${NAME} or ${NAME:-default}, NAME being letters, digits and "
               "'_'");
    LOAD_FAILS("a: ${A:=x}\n", TR_ERR_INVALID,
               "t.yaml:1: a: bad variable reference in '${A:=x}': write "
               "${NAME} or ${NAME:-default}, NAME being letters, digits and "
               "'_'");
    /* a broken reference in an unused default is still an error */
    LOAD_FAILS("a: ${TRCFG_A:-${}}\n", TR_ERR_INVALID,
               "t.yaml:1: a: bad variable reference in '${TRCFG_A:-${}}': "
               "write ${NAME} or ${NAME:-default}, NAME being letters, "
               "digits and '_'");

    /* defaults nest at most 16 deep */
    char text[1024], want[256];
    size_t n = (size_t)snprintf(text, sizeof text, "a: ");
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "${TRCFG_UNSET:-");
    n += (size_t)snprintf(text + n, sizeof text - n, "x");
    for (int i = 0; i < 16; i++)
        text[n++] = '}';
    snprintf(text + n, sizeof text - n, "\n");
    CHECK_STR(value_of(text, "a", b, sizeof b), "x");
    n = (size_t)snprintf(text, sizeof text, "a: ");
    for (int i = 0; i < 17; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "${TRCFG_UNSET:-");
    n += (size_t)snprintf(text + n, sizeof text - n, "x");
    for (int i = 0; i < 17; i++)
        text[n++] = '}';
    snprintf(text + n, sizeof text - n, "\n");
    snprintf(want, sizeof want,
             "t.yaml:1: a: ${...:-default} nested more than 16 deep");
    LOAD_FAILS(text, TR_ERR_INVALID, want);
}

/* ---- checked reads ----------------------------------------------------- */

static const char READS[] = "n:\n"                 /* 1 */
                            "  ten: 10\n"          /* 2 */
                            "  neg: -5\n"          /* 3 */
                            "  plus: +7\n"         /* 4 */
                            "  quoted: \"12\"\n"   /* 5 */
                            "  word: ten\n"        /* 6 */
                            "  frac: 1.5\n"        /* 7 */
                            "  exp: 1e3\n"         /* 8 */
                            "  huge: 99999999999999999999\n" /* 9 */
                            "  min: -9223372036854775808\n"  /* 10 */
                            "  max: 9223372036854775807\n"   /* 11 */
                            "  map: {a: 1}\n"      /* 12 */
                            "  list: [1, 2]\n"     /* 13 */
                            "  empty:\n"           /* 14 */
                            "  tilde: ~\n"         /* 15 */
                            "  half: .5\n"         /* 16 */
                            "  tenth: 0.1\n"       /* 17 */
                            "  negexp: -2.5e-1\n"  /* 18 */
                            "  inf: .inf\n"        /* 19 */
                            "  nan: nan\n"         /* 20 */
                            "  e999: 1e999\n"      /* 21 */
                            "  hex: 0x10\n"        /* 22 */
                            "  sp: \" 10\"\n"      /* 23 */
                            "  under: 1_000\n"     /* 24 */
                            "  fxbig: 92233720368.54775808\n" /* 25 */
                            "  fxmax: 92233720368.54775807\n" /* 26 */
                            "  dot: 5.\n"          /* 27 */
                            "  long: " /* 28 */
                            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                            "aaaaaaaaaaaaaaaaaaaa\n"
                            "  nl: \"two\\nlines\"\n" /* 29 */
                            "scalar: just text\n"  /* 30 */
                            "off:\n"               /* 31 */
                            "  # all commented out\n";

static void test_int(void)
{
    tr_cfg *cfg = LOAD(READS);
    if (!cfg)
        return;
    const tr_cfg_node *n = tr_cfg_get(tr_cfg_root(cfg), "n");
    char err[ERRLEN] = "";
    int64_t v = SENT_I;
    int rc;

#define INT_OK(key, lo, hi, want)                                              \
    do {                                                                       \
        v = SENT_I;                                                            \
        rc = tr_cfg_int(cfg, n, key, 0, lo, hi, &v, err, sizeof err);          \
        CHECK_MSG(rc == TR_OK, "%s: %s", key, err);                            \
        CHECK_EQ_I64(v, want);                                                 \
    } while (0)
#define INT_BAD(key, lo, hi, msg)                                              \
    do {                                                                       \
        v = SENT_I;                                                            \
        rc = tr_cfg_int(cfg, n, key, 0, lo, hi, &v, err, sizeof err);          \
        CHECK_ERR(rc, TR_ERR_INVALID, err, msg);                               \
        CHECK_EQ_I64(v, SENT_I);                                               \
    } while (0)

    INT_OK("ten", 1, 1000, 10);
    INT_OK("neg", -10, 10, -5);
    INT_OK("plus", 0, 10, 7);
    INT_OK("quoted", 0, 100, 12);
    INT_OK("min", INT64_MIN, INT64_MAX, INT64_MIN);
    INT_OK("max", INT64_MIN, INT64_MAX, INT64_MAX);
    INT_OK("ten", 10, 10, 10);
    v = SENT_I;
    CHECK_EQ_I64(tr_cfg_int(cfg, n, "absent", 33, 0, 10, &v, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 33); /* the default is not range-checked */

    INT_BAD("word", 1, 1000,
            "t.yaml:6: n.word: expected a whole number, got 'ten'");
    INT_BAD("frac", 1, 1000,
            "t.yaml:7: n.frac: expected a whole number, got '1.5'");
    INT_BAD("exp", 1, 10000,
            "t.yaml:8: n.exp: expected a whole number, got '1e3'");
    INT_BAD("hex", 0, 100,
            "t.yaml:22: n.hex: expected a whole number, got '0x10'");
    INT_BAD("sp", 0, 100,
            "t.yaml:23: n.sp: expected a whole number, got ' 10'");
    INT_BAD("under", 0, 10000,
            "t.yaml:24: n.under: expected a whole number, got '1_000'");
    INT_BAD("map", 1, 1000,
            "t.yaml:12: n.map: expected a whole number, got a map");
    INT_BAD("list", 1, 1000,
            "t.yaml:13: n.list: expected a whole number, got a list");
    INT_BAD("empty", 1, 1000,
            "t.yaml:14: n.empty: expected a whole number, got an empty "
            "value");
    INT_BAD("tilde", 1, 1000,
            "t.yaml:15: n.tilde: expected a whole number, got null ('~')");
    INT_BAD("ten", 11, 1000,
            "t.yaml:2: n.ten: expected a whole number from 11 to 1000, got "
            "'10'");
    INT_BAD("ten", 1, 9,
            "t.yaml:2: n.ten: expected a whole number from 1 to 9, got '10'");
    INT_BAD("neg", 0, INT64_MAX,
            "t.yaml:3: n.neg: expected a whole number >= 0, got '-5'");
    INT_BAD("ten", INT64_MIN, 5,
            "t.yaml:2: n.ten: expected a whole number <= 5, got '10'");
    INT_BAD("huge", 0, INT64_MAX,
            "t.yaml:9: n.huge: expected a whole number >= 0, got "
            "'99999999999999999999'");
    INT_BAD("huge", INT64_MIN, INT64_MAX,
            "t.yaml:9: n.huge: expected a whole number from "
            "-9223372036854775808 to 9223372036854775807, got "
            "'99999999999999999999'");
    INT_BAD("long", 0, 1,
            "t.yaml:28: n.long: expected a whole number, got "
            "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
    INT_BAD("nl", 0, 1,
            "t.yaml:29: n.nl: expected a whole number, got 'two\\nlines'");

    /* the map itself is wrong */
    const tr_cfg_node *root = tr_cfg_root(cfg);
    v = SENT_I;
    rc = tr_cfg_int(cfg, tr_cfg_get(root, "scalar"), "x", 0, 0, 1, &v, err,
                    sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:30: scalar: expected a map (key: value entries), got "
              "'just text'");
    rc = tr_cfg_int(cfg, tr_cfg_get(n, "list"), "x", 0, 0, 1, &v, err,
                    sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:13: n.list: expected a map (key: value entries), got a "
              "list");
    CHECK_EQ_I64(v, SENT_I);
    /* a section with nothing in it, or an absent one, gives defaults */
    CHECK_EQ_I64(tr_cfg_int(cfg, tr_cfg_get(root, "off"), "x", 3, 0, 5, &v,
                            err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 3);
    CHECK_EQ_I64(tr_cfg_int(cfg, tr_cfg_get(root, "nothing"), "x", 4, 0, 5,
                            &v, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 4);
    tr_cfg_free(cfg);
#undef INT_OK
#undef INT_BAD
}

static void test_num(void)
{
    tr_cfg *cfg = LOAD(READS);
    if (!cfg)
        return;
    const tr_cfg_node *n = tr_cfg_get(tr_cfg_root(cfg), "n");
    char err[ERRLEN] = "";
    double v = SENT_D;
    int rc;

#define NUM_OK(key, lo, hi, want)                                              \
    do {                                                                       \
        v = SENT_D;                                                            \
        rc = tr_cfg_num(cfg, n, key, 0, lo, hi, &v, err, sizeof err);          \
        CHECK_MSG(rc == TR_OK, "%s: %s", key, err);                            \
        CHECK_MSG(v == (want), "%s: got %.17g, expected %.17g", key, v,        \
                  (double)(want));                                             \
    } while (0)
#define NUM_BAD(key, lo, hi, msg)                                              \
    do {                                                                       \
        v = SENT_D;                                                            \
        rc = tr_cfg_num(cfg, n, key, 0, lo, hi, &v, err, sizeof err);          \
        CHECK_ERR(rc, TR_ERR_INVALID, err, msg);                               \
        CHECK(v == SENT_D);                                                    \
    } while (0)

    NUM_OK("ten", 0, 100, 10.0);
    NUM_OK("frac", 0, 100, 1.5);
    NUM_OK("exp", 0, 1e6, 1000.0);
    NUM_OK("half", 0, 1, 0.5);
    NUM_OK("dot", 0, 10, 5.0);
    NUM_OK("tenth", 0, 1, 0.1);
    NUM_OK("negexp", -1, 1, -0.25);
    NUM_OK("quoted", -DBL_MAX, DBL_MAX, 12.0);
    NUM_OK("huge", -INFINITY, INFINITY, 1e20);
    v = SENT_D;
    CHECK_EQ_I64(tr_cfg_num(cfg, n, "absent", 2.5, 0, 1, &v, err, sizeof err),
                 TR_OK);
    CHECK(v == 2.5);

    NUM_BAD("word", 0, 1, "t.yaml:6: n.word: expected a number, got 'ten'");
    NUM_BAD("inf", -INFINITY, INFINITY,
            "t.yaml:19: n.inf: expected a number, got '.inf'");
    NUM_BAD("nan", -INFINITY, INFINITY,
            "t.yaml:20: n.nan: expected a number, got 'nan'");
    NUM_BAD("hex", 0, 100, "t.yaml:22: n.hex: expected a number, got '0x10'");
    NUM_BAD("map", 0, 1, "t.yaml:12: n.map: expected a number, got a map");
    NUM_BAD("empty", 0, 1,
            "t.yaml:14: n.empty: expected a number, got an empty value");
    NUM_BAD("frac", 0, 1,
            "t.yaml:7: n.frac: expected a number from 0 to 1, got '1.5'");
    NUM_BAD("frac", 0.25, 1.25,
            "t.yaml:7: n.frac: expected a number from 0.25 to 1.25, got "
            "'1.5'");
    NUM_BAD("neg", 0, DBL_MAX,
            "t.yaml:3: n.neg: expected a number >= 0, got '-5'");
    NUM_BAD("ten", -INFINITY, 0.1,
            "t.yaml:2: n.ten: expected a number <= 0.1, got '10'");
    NUM_BAD("huge", 0, 1.5e19,
            "t.yaml:9: n.huge: expected a number from 0 to 1.5e+19, got "
            "'99999999999999999999'");
    tr_cfg_free(cfg);
#undef NUM_OK
#undef NUM_BAD
}

static void test_num_inf(void)
{
    tr_cfg *cfg = LOAD("a: 1e999\nb: -1e999\n");
    if (!cfg)
        return;
    char err[ERRLEN];
    double v = SENT_D;
    int rc = tr_cfg_num(cfg, tr_cfg_root(cfg), "a", 0, -INFINITY, INFINITY,
                        &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:1: a: expected a number from -1.7976931348623157e+308 "
              "to 1.7976931348623157e+308, got '1e999'");
    rc = tr_cfg_num(cfg, tr_cfg_root(cfg), "b", 0, -10, 10, &v, err,
                    sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:2: b: expected a number from -10 to 10, got '-1e999'");
    CHECK(v == SENT_D);
    tr_cfg_free(cfg);
}

static void test_fx(void)
{
    tr_cfg *cfg = LOAD(READS);
    if (!cfg)
        return;
    const tr_cfg_node *n = tr_cfg_get(tr_cfg_root(cfg), "n");
    char err[ERRLEN] = "";
    tr_fx v = SENT_I;
    int rc;
    const tr_fx ONE = TR_FX_ONE;

#define FX_OK(key, lo, hi, want)                                               \
    do {                                                                       \
        v = SENT_I;                                                            \
        rc = tr_cfg_fx(cfg, n, key, 0, lo, hi, &v, err, sizeof err);           \
        CHECK_MSG(rc == TR_OK, "%s: %s", key, err);                            \
        CHECK_EQ_I64(v, want);                                                 \
    } while (0)
#define FX_BAD(key, lo, hi, msg)                                               \
    do {                                                                       \
        v = SENT_I;                                                            \
        rc = tr_cfg_fx(cfg, n, key, 0, lo, hi, &v, err, sizeof err);           \
        CHECK_ERR(rc, TR_ERR_INVALID, err, msg);                               \
        CHECK_EQ_I64(v, SENT_I);                                               \
    } while (0)

    FX_OK("tenth", 0, ONE, 10000000); /* exactly 0.1 */
    FX_OK("ten", 0, TR_FX_MAX, 10 * ONE);
    FX_OK("neg", -10 * ONE, 0, -5 * ONE);
    FX_OK("frac", 0, 2 * ONE, 150000000);
    FX_OK("exp", 0, TR_FX_MAX, 1000 * ONE);
    FX_OK("negexp", TR_FX_MIN, TR_FX_MAX, -25000000);
    FX_OK("quoted", TR_FX_MIN, TR_FX_MAX, 12 * ONE);
    FX_OK("half", 0, ONE, 50000000);
    FX_OK("fxmax", TR_FX_MIN, TR_FX_MAX, TR_FX_MAX);
    v = SENT_I;
    CHECK_EQ_I64(tr_cfg_fx(cfg, n, "absent", 7, 0, 1, &v, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 7);

    FX_BAD("word", 0, ONE, "t.yaml:6: n.word: expected a number, got 'ten'");
    FX_BAD("nan", TR_FX_MIN, TR_FX_MAX,
           "t.yaml:20: n.nan: expected a number, got 'nan'");
    FX_BAD("list", 0, ONE, "t.yaml:13: n.list: expected a number, got a list");
    FX_BAD("tilde", 0, ONE,
           "t.yaml:15: n.tilde: expected a number, got null ('~')");
    FX_BAD("frac", 0, ONE,
           "t.yaml:7: n.frac: expected a number from 0 to 1, got '1.5'");
    FX_BAD("tenth", 20000000, ONE,
           "t.yaml:17: n.tenth: expected a number from 0.2 to 1, got '0.1'");
    FX_BAD("neg", 0, TR_FX_MAX,
           "t.yaml:3: n.neg: expected a number >= 0, got '-5'");
    FX_BAD("ten", TR_FX_MIN, ONE / 2,
           "t.yaml:2: n.ten: expected a number <= 0.5, got '10'");
    FX_BAD("fxbig", TR_FX_MIN, TR_FX_MAX,
           "t.yaml:25: n.fxbig: expected a number from "
           "-92233720368.54775807 to 92233720368.54775807, got "
           "'92233720368.54775808'");
    FX_BAD("huge", 0, TR_FX_MAX,
           "t.yaml:9: n.huge: expected a number from -92233720368.54775807 "
           "to 92233720368.54775807, got '99999999999999999999'");
    tr_cfg_free(cfg);
#undef FX_OK
#undef FX_BAD
}

static void test_bool(void)
{
    tr_cfg *cfg = LOAD("a: true\nb: FALSE\nc: Yes\nd: no\ne: ON\nf: off\n"
                       "g: 'true'\nh: maybe\ni: 1\nj: {x: 1}\nk:\n");
    if (!cfg)
        return;
    const tr_cfg_node *r = tr_cfg_root(cfg);
    char err[ERRLEN];
    static const struct {
        const char *key;
        int want;
    } ok[] = {{"a", 1}, {"b", 0}, {"c", 1}, {"d", 0},
              {"e", 1}, {"f", 0}, {"g", 1}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int v = -7;
        int rc = tr_cfg_bool(cfg, r, ok[i].key, !ok[i].want, &v, err,
                             sizeof err);
        CHECK_MSG(rc == TR_OK, "%s: %s", ok[i].key, err);
        CHECK_MSG(v == ok[i].want, "%s: got %d", ok[i].key, v);
    }
    int v = -7;
    CHECK_EQ_I64(tr_cfg_bool(cfg, r, "absent", 1, &v, err, sizeof err), TR_OK);
    CHECK_EQ_I64(v, 1);
    v = -7;
    int rc = tr_cfg_bool(cfg, r, "h", 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:8: h: expected true or false (or yes/no, on/off), got "
              "'maybe'");
    rc = tr_cfg_bool(cfg, r, "i", 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:9: i: expected true or false (or yes/no, on/off), got "
              "'1'");
    rc = tr_cfg_bool(cfg, r, "j", 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:10: j: expected true or false (or yes/no, on/off), got "
              "a map");
    rc = tr_cfg_bool(cfg, r, "k", 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:11: k: expected true or false (or yes/no, on/off), got "
              "an empty value");
    CHECK_EQ_I64(v, -7);
    tr_cfg_free(cfg);
}

static void test_str(void)
{
    tr_cfg *cfg = LOAD("s:\n  name: sma\n  empty: \"\"\n  none:\n"
                       "  list: [a]\n  num: 10\n");
    if (!cfg)
        return;
    const tr_cfg_node *s = tr_cfg_get(tr_cfg_root(cfg), "s");
    char err[ERRLEN];
    const char *v = "sentinel";
    CHECK_EQ_I64(tr_cfg_str(cfg, s, "name", "d", &v, err, sizeof err), TR_OK);
    CHECK_STR(v, "sma");
    CHECK_EQ_I64(tr_cfg_str(cfg, s, "num", "d", &v, err, sizeof err), TR_OK);
    CHECK_STR(v, "10");
    CHECK_EQ_I64(tr_cfg_str(cfg, s, "empty", "d", &v, err, sizeof err),
                 TR_OK);
    CHECK_STR(v, "");
    CHECK_EQ_I64(tr_cfg_str(cfg, s, "absent", "dflt", &v, err, sizeof err),
                 TR_OK);
    CHECK_STR(v, "dflt");
    CHECK_EQ_I64(tr_cfg_str(cfg, s, "absent", NULL, &v, err, sizeof err),
                 TR_OK);
    CHECK(v == NULL);

    v = "sentinel";
    int rc = tr_cfg_str(cfg, s, "none", "d", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:4: s.none: expected a string, got an empty value");
    rc = tr_cfg_str(cfg, s, "list", "d", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:5: s.list: expected a string, got a list");
    CHECK_STR(v, "sentinel");

    CHECK_EQ_I64(tr_cfg_str_req(cfg, s, "name", &v, err, sizeof err), TR_OK);
    CHECK_STR(v, "sma");
    v = "sentinel";
    rc = tr_cfg_str_req(cfg, s, "file", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err,
              "t.yaml:2: s: missing required key 'file'");
    rc = tr_cfg_str_req(cfg, tr_cfg_root(cfg), "cash", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err,
              "t.yaml:1: missing required key 'cash'");
    rc = tr_cfg_str_req(cfg, s, "list", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:5: s.list: expected a string, got a list");
    rc = tr_cfg_str_req(cfg, tr_cfg_get(s, "name"), "x", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:2: s.name: expected a map (key: value entries), got "
              "'sma'");
    /* an absent section: no position to give but the file */
    rc = tr_cfg_str_req(cfg, tr_cfg_get(s, "nothing"), "x", &v, err,
                        sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err, "t.yaml: missing required key 'x'");
    /* an empty section is a map with no keys */
    rc = tr_cfg_str_req(cfg, tr_cfg_get(s, "none"), "x", &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err,
              "t.yaml:4: s.none: missing required key 'x'");
    CHECK_STR(v, "sentinel");
    tr_cfg_free(cfg);
}

static void test_enum(void)
{
    tr_cfg *cfg = LOAD("sizing:\n  method: percent\n  typo: fixd\n"
                       "  case: Fixed\n  far: zzz\n  map: {a: 1}\n"
                       "  one: other\n");
    if (!cfg)
        return;
    const tr_cfg_node *s = tr_cfg_get(tr_cfg_root(cfg), "sizing");
    static const char *const M[] = {"fixed", "percent", "risk", NULL};
    static const char *const ONE[] = {"only", NULL};
    char err[ERRLEN];
    int v = -7;
    CHECK_EQ_I64(tr_cfg_enum(cfg, s, "method", M, 0, &v, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 1);
    CHECK_EQ_I64(tr_cfg_enum(cfg, s, "absent", M, 2, &v, err, sizeof err),
                 TR_OK);
    CHECK_EQ_I64(v, 2);

    v = -7;
    int rc = tr_cfg_enum(cfg, s, "absent", M, -1, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_NOT_FOUND, err,
              "t.yaml:2: sizing: missing required key 'absent'");
    rc = tr_cfg_enum(cfg, s, "typo", M, 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:3: sizing.typo: expected one of fixed, percent or "
              "risk, got 'fixd' (did you mean 'fixed'?)");
    rc = tr_cfg_enum(cfg, s, "case", M, 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:4: sizing.case: expected one of fixed, percent or "
              "risk, got 'Fixed' (did you mean 'fixed'?)");
    rc = tr_cfg_enum(cfg, s, "far", M, 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:5: sizing.far: expected one of fixed, percent or risk, "
              "got 'zzz'");
    rc = tr_cfg_enum(cfg, s, "map", M, 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:6: sizing.map: expected one of fixed, percent or risk, "
              "got a map");
    rc = tr_cfg_enum(cfg, s, "one", ONE, 0, &v, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:7: sizing.one: expected only, got 'other'");
    CHECK_EQ_I64(v, -7);
    tr_cfg_free(cfg);
}

static void test_check_keys(void)
{
    tr_cfg *cfg = LOAD("cash: 1\n"
                       "strategy:\n"
                       "  params:\n"
                       "    fast: 10\n"
                       "    slwo: 30\n"
                       "  other: {x: 1}\n"
                       "cahs: 2\n"
                       "list: [1]\n"
                       "empty:\n");
    if (!cfg)
        return;
    const tr_cfg_node *root = tr_cfg_root(cfg);
    const tr_cfg_node *params = node_at(cfg, "strategy.params");
    static const char *const P[] = {"fast", "slow", "allow_short", NULL};
    static const char *const NONE[] = {NULL};
    static const char *const ROOT[] = {"cash", "strategy", "list", "empty",
                                       NULL};
    char err[ERRLEN];
    int rc = tr_cfg_check_keys(cfg, params, P, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:5: strategy.params: unknown key 'slwo' (did you mean "
              "'slow'?; allowed: fast, slow, allow_short)");
    rc = tr_cfg_check_keys(cfg, root, ROOT, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:7: unknown key 'cahs' (did you mean 'cash'?; allowed: "
              "cash, strategy, list, empty)");
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "strategy.other"), P, err,
                           sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:6: strategy.other: unknown key 'x' (allowed: fast, "
              "slow, allow_short)");
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "strategy.other"), NONE, err,
                           sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:6: strategy.other: unknown key 'x' (no keys are "
              "allowed here)");
    rc = tr_cfg_check_keys(cfg, tr_cfg_get(root, "list"), P, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:8: list: expected a map (key: value entries), got a "
              "list");
    rc = tr_cfg_check_keys(cfg, tr_cfg_get(root, "cash"), P, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:1: cash: expected a map (key: value entries), got '1'");

    static const char *const S[] = {"params", "other", NULL};
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, tr_cfg_get(root, "strategy"), S, err,
                                   sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, tr_cfg_get(root, "empty"), P, err,
                                   sizeof err),
                 TR_OK);
    CHECK_EQ_I64(tr_cfg_check_keys(cfg, NULL, P, err, sizeof err), TR_OK);

    /* suggestions: the closest within 2 edits, and only for real typos */
    tr_cfg_free(cfg);
    cfg = LOAD("a: {qy: 1}\nb: {ab: 1}\nc: {slippage: 1}\nd: {FAST: 1}\n");
    if (!cfg)
        return;
    static const char *const Q[] = {"qty", "cd", "slippage_bps", "fast",
                                    NULL};
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "a"), Q, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:1: a: unknown key 'qy' (did you mean 'qty'?; allowed: "
              "qty, cd, slippage_bps, fast)");
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "b"), Q, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:2: b: unknown key 'ab' (allowed: qty, cd, "
              "slippage_bps, fast)");
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "c"), Q, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:3: c: unknown key 'slippage' (allowed: qty, cd, "
              "slippage_bps, fast)");
    rc = tr_cfg_check_keys(cfg, node_at(cfg, "d"), Q, err, sizeof err);
    CHECK_ERR(rc, TR_ERR_INVALID, err,
              "t.yaml:4: d: unknown key 'FAST' (did you mean 'fast'?; "
              "allowed: qty, cd, slippage_bps, fast)");
    tr_cfg_free(cfg);
}

static void test_error_format(void)
{
    tr_cfg *cfg = LOAD("a:\n  b: [x, y]\n");
    if (!cfg)
        return;
    char err[ERRLEN];
    const tr_cfg_node *y = node_at(cfg, "a.b[1]");
    tr_cfg_error(cfg, y, err, sizeof err, "bad symbol '%s' (%d)",
                 tr_cfg_scalar(y), 7);
    CHECK_STR(err, "t.yaml:2: a.b[1]: bad symbol 'y' (7)");
    tr_cfg_error(cfg, tr_cfg_root(cfg), err, sizeof err, "top");
    CHECK_STR(err, "t.yaml:1: top");
    tr_cfg_error(cfg, NULL, err, sizeof err, "no node");
    CHECK_STR(err, "t.yaml: no node");
    tr_cfg_error(cfg, y, NULL, 0, "nothing written");
    char small[12];
    tr_cfg_error(cfg, y, small, sizeof small, "truncated");
    CHECK_STR(small, "t.yaml:2: a");
    /* an empty value's line is its key's, not the next line's */
    tr_cfg_free(cfg);
    cfg = LOAD("a:\n\n\nb: 1\n");
    if (cfg) {
        CHECK_EQ_I64(tr_cfg_node_line(tr_cfg_get(tr_cfg_root(cfg), "a")), 1);
        tr_cfg_free(cfg);
    }
}

/* ---- corners ----------------------------------------------------------- */

static void test_corners(void)
{
    char err[ERRLEN], want[1024];
    /* values in messages: cut on a UTF-8 boundary, control chars escaped */
    tr_cfg *cfg = LOAD("a: \"tab\\there\\x01\"\n"
                       "b: \"xééééééééééééééééééééééééééééééééééééé\"\n"
                       "c: \"-\"\n"
                       "d: +\n"
                       "e: 1e\n"
                       "f: 2e+\n"
                       "g: .\n");
    if (cfg) {
        const tr_cfg_node *r = tr_cfg_root(cfg);
        int64_t i = SENT_I;
        double d = SENT_D;
        int rc = tr_cfg_int(cfg, r, "a", 0, 0, 1, &i, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:1: a: expected a whole number, got "
                  "'tab\\there\\x01'");
        rc = tr_cfg_int(cfg, r, "b", 0, 0, 1, &i, err, sizeof err);
        /* 60 bytes would split the 30th 'é': 29 of them are shown */
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:2: b: expected a whole number, got "
                  "'xééééééééééééééééééééééééééééé...'");
        rc = tr_cfg_int(cfg, r, "c", 0, 0, 1, &i, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:3: c: expected a whole number, got '-'");
        rc = tr_cfg_int(cfg, r, "d", 0, 0, 1, &i, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:4: d: expected a whole number, got '+'");
        rc = tr_cfg_num(cfg, r, "e", 0, 0, 1, &d, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:5: e: expected a number, got '1e'");
        rc = tr_cfg_num(cfg, r, "f", 0, 0, 1, &d, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:6: f: expected a number, got '2e+'");
        rc = tr_cfg_num(cfg, r, "g", 0, 0, 1, &d, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:7: g: expected a number, got '.'");
        rc = tr_cfg_fx(cfg, r, "g", 0, 0, 1, &i, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_INVALID, err,
                  "t.yaml:7: g: expected a number, got '.'");
        CHECK_EQ_I64(i, SENT_I);
        CHECK(d == SENT_D);
        tr_cfg_free(cfg);
    }

    /* every typed read refuses a map that is not one, and a NULL key */
    cfg = LOAD("s: text\n");
    if (cfg) {
        const tr_cfg_node *s = tr_cfg_get(tr_cfg_root(cfg), "s");
        const char *msg = "t.yaml:1: s: expected a map (key: value entries), "
                          "got 'text'";
        int64_t i;
        double d;
        tr_fx f;
        int b;
        const char *str;
        static const char *const C[] = {"x", NULL};
        CHECK_ERR(tr_cfg_num(cfg, s, "k", 0, 0, 1, &d, err, sizeof err),
                  TR_ERR_INVALID, err, msg);
        CHECK_ERR(tr_cfg_fx(cfg, s, "k", 0, 0, 1, &f, err, sizeof err),
                  TR_ERR_INVALID, err, msg);
        CHECK_ERR(tr_cfg_bool(cfg, s, "k", 0, &b, err, sizeof err),
                  TR_ERR_INVALID, err, msg);
        CHECK_ERR(tr_cfg_str(cfg, s, "k", NULL, &str, err, sizeof err),
                  TR_ERR_INVALID, err, msg);
        CHECK_ERR(tr_cfg_enum(cfg, s, "k", C, 0, &b, err, sizeof err),
                  TR_ERR_INVALID, err, msg);
        CHECK_ERR(tr_cfg_int(cfg, tr_cfg_root(cfg), NULL, 0, 0, 1, &i, err,
                             sizeof err),
                  TR_ERR_INVALID, err, "t.yaml:1: no key given");
        tr_cfg_free(cfg);
    }

    /* a variable name has at most 255 characters */
    char text[600], name[300];
    memset(name, 'V', 256);
    name[256] = '\0';
    snprintf(text, sizeof text, "a: ${%s}\n", name);
    LOAD_FAILS(text, TR_ERR_INVALID,
               "t.yaml:1: a: variable name longer than 255 characters");
    /* a long value grows the expansion buffer */
    char longv[1000];
    memset(longv, 'x', 999);
    longv[999] = '\0';
    setenv("TRCFG_LONG", longv, 1);
    cfg = LOAD("a: <${TRCFG_LONG}>\n");
    if (cfg) {
        const char *v = tr_cfg_scalar(tr_cfg_get(tr_cfg_root(cfg), "a"));
        CHECK(v && strlen(v) == 1001 && v[0] == '<' && v[1000] == '>');
        tr_cfg_free(cfg);
    }
    unsetenv("TRCFG_LONG");
    /* keys too long to be typos get no suggestion */
    char key[100];
    memset(key, 'k', 80);
    key[80] = '\0';
    snprintf(text, sizeof text, "%s: 1\n", key);
    cfg = LOAD(text);
    if (cfg) {
        static const char *const K[] = {"kk", NULL};
        snprintf(want, sizeof want,
                 "t.yaml:1: unknown key '%.60s...' (allowed: kk)", key);
        CHECK_ERR(tr_cfg_check_keys(cfg, tr_cfg_root(cfg), K, err,
                                    sizeof err),
                  TR_ERR_INVALID, err, want);
        tr_cfg_free(cfg);
    }

    /* a read error after a successful open (Linux: /proc/self/mem at 0) */
    FILE *probe = fopen("/proc/self/mem", "rb");
    if (probe) {
        fclose(probe);
        cfg = NULL;
        int rc = tr_cfg_load_file("/proc/self/mem", &cfg, err, sizeof err);
        CHECK_ERR(rc, TR_ERR_IO, err,
                  "/proc/self/mem: cannot read: Input/output error");
        CHECK(cfg == NULL);
    }
}

/* ---- out of memory ----------------------------------------------------- */

typedef struct countdown {
    long left; /* allocations to let through; then one fails */
    long calls;
} countdown;

static int fail_when_due(void *ctx)
{
    countdown *c = ctx;
    c->calls++;
    return c->left-- == 0;
}

/* Fails the 1st, 2nd, ... allocation of loading text until a load needs no
 * more: each failure is TR_ERR_NOMEM, leaves *out alone and leaks nothing
 * (ASan checks the last part). */
static void oom_sweep(const char *what, const char *text, const char *path)
{
    char err[ERRLEN], want[600];
    snprintf(want, sizeof want, "%s: out of memory",
             path ? path : "t.yaml");
    long k;
    for (k = 0; k < 100000; k++) {
        countdown c = {k, 0};
        tr__cfg_faults f = {fail_when_due, &c};
        tr_cfg *cfg = NULL;
        int rc = path ? tr__cfg_load_file_faults(path, &f, &cfg, err,
                                                 sizeof err)
                      : tr__cfg_load_string_faults("t.yaml", text,
                                                   strlen(text), &f, &cfg,
                                                   err, sizeof err);
        if (c.calls <= k) { /* nothing failed: the sweep is done */
            CHECK_MSG(rc == TR_OK && cfg, "%s: clean load: %s", what, err);
            c.left = -1; /* the tree keeps the hook: no more failures */
            if (cfg) {
                CHECK_STR(tr_cfg_scalar(node_at(cfg, "data[0].symbol")),
                          "AAPL");
                CHECK_STR(tr_cfg_scalar(node_at(cfg, "data[0].file")),
                          "data/aapl.csv");
                CHECK_STR(tr_cfg_node_path(node_at(cfg, "data[0].file")),
                          "data[0].file");
                tr_cfg_free(cfg);
            }
            break;
        }
        if (!CHECK_MSG(rc == TR_ERR_NOMEM && cfg == NULL &&
                           strcmp(err, want) == 0,
                       "%s: allocation %ld failed: rc %d, \"%s\"", what,
                       k + 1, rc, err)) {
            tr_cfg_free(cfg);
            break;
        }
    }
    CHECK_MSG(k > 5, "%s: only %ld allocations", what, k);
}

static void test_oom(void)
{
    /* the example with ${...} so the expansion buffer is exercised too;
     * more than 16 keys in one map so its key set grows */
    setenv("TRCFG_SYM", "AAPL", 1);
    static const char text[] =
        "cash: 100000\n"
        "data:\n"
        "  - symbol: ${TRCFG_SYM}\n"
        "    file: ${TRCFG_UNSET:-data/aapl.csv}\n"
        "strategy:\n"
        "  name: sma_cross\n"
        "  params: {fast: 10, slow: 30}\n"
        "sizing: {method: fixed, qty: 100}\n"
        "costs: {commission: 0, slippage_bps: 0}\n"
        "risk: {enabled: false}\n"
        "k1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\n"
        "k10: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n";
    oom_sweep("string", text, NULL);
    char path[512];
    fixture_path(path, sizeof path, "example.yaml");
    oom_sweep("file", NULL, path);

    /* the lazily built path has no code to return: it says "?" */
    countdown c = {1000000, 0};
    tr__cfg_faults f = {fail_when_due, &c};
    tr_cfg *cfg = NULL;
    char err[ERRLEN];
    int rc = tr__cfg_load_string_faults("t.yaml", "a: {b: 1}\n", 10, &f,
                                        &cfg, err, sizeof err);
    CHECK_EQ_I64(rc, TR_OK);
    if (cfg) {
        const tr_cfg_node *b = node_at(cfg, "a.b");
        c.left = 0;
        CHECK_STR(tr_cfg_node_path(b), "?");
        c.left = 1000000;
        CHECK_STR(tr_cfg_node_path(b), "a.b");
        tr_cfg_free(cfg);
    }
}

int main(void)
{
    test_example();
    test_tree();
    test_empty();
    test_syntax_errors();
    test_duplicates_aliases_keys();
    test_limits();
    test_files();
    test_env();
    test_int();
    test_num();
    test_num_inf();
    test_fx();
    test_bool();
    test_str();
    test_enum();
    test_check_keys();
    test_error_format();
    test_corners();
    test_oom();
    return test_summary();
}
