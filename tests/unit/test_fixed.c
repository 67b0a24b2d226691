/* test_fixed.c: tr_fx parse/format, arithmetic, rounding and range, checked
 * against values computed by hand from the contract in core/fixed.h. */
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/fixed.h"
#include "test.h"

#define SENTINEL INT64_C(777)
#define MAX      TR_FX_MAX
#define NMAX     (-TR_FX_MAX)
#define P62      (INT64_C(1) << 62)

/* ---- parse ------------------------------------------------------------ */

typedef struct parse_case {
    const char *text;
    int rc;
    tr_fx value; /* when rc == TR_OK */
} parse_case;

static const parse_case parse_cases[] = {
    {"0", TR_OK, 0},
    {"-0", TR_OK, 0},
    {"+0", TR_OK, 0},
    {"0.0", TR_OK, 0},
    {"12.34", TR_OK, 1234000000},
    {"-12.34", TR_OK, -1234000000},
    {"+1.5", TR_OK, 150000000},
    {"123.456", TR_OK, 12345600000},
    {"0.00000001", TR_OK, 1},
    {"-0.00000001", TR_OK, -1},
    {"1.23456789", TR_OK, 123456789},
    {"92233720368.54775807", TR_OK, MAX},
    {"-92233720368.54775807", TR_OK, NMAX},
    {"92233720368.54775808", TR_ERR_RANGE, 0},
    {"-92233720368.54775808", TR_ERR_RANGE, 0}, /* would be INT64_MIN */
    {"92233720368.547758074", TR_OK, MAX},      /* rounds down to max */
    {"92233720368.5477580749999", TR_OK, MAX},
    {"92233720368.547758075", TR_ERR_RANGE, 0}, /* tie, 7 odd: up */
    {"92233720369", TR_ERR_RANGE, 0},
    {"100000000000", TR_ERR_RANGE, 0},
    {"99999999999999999999999", TR_ERR_RANGE, 0},
    /* exponents */
    {"1e3", TR_OK, INT64_C(100000000000)},
    {"1E3", TR_OK, INT64_C(100000000000)},
    {"1.5E-2", TR_OK, 1500000},
    {"1.5e+2", TR_OK, INT64_C(15000000000)},
    {"-2.5e1", TR_OK, -2500000000},
    {"1e10", TR_OK, INT64_C(1000000000000000000)},
    {"1e11", TR_ERR_RANGE, 0},
    {"1e99999999999999999999", TR_ERR_RANGE, 0},
    {"1e-99999999999999999999", TR_OK, 0},
    {"1e-400", TR_OK, 0},
    {"0e400", TR_OK, 0},
    {"12345678901234567890e-10", TR_OK, INT64_C(123456789012345679)},
    /* optional parts */
    {".5", TR_OK, 50000000},
    {"5.", TR_OK, 500000000},
    {"-.5", TR_OK, -50000000},
    {"007.50", TR_OK, 750000000},
    {"00000000000000000000001", TR_OK, 100000000},
    {"0.123456789012345678901234567890", TR_OK, 12345679},
    /* half to even at the 9th decimal */
    {"0.000000005", TR_OK, 0},
    {"0.000000015", TR_OK, 2},
    {"0.000000025", TR_OK, 2},
    {"0.000000035", TR_OK, 4},
    {"0.0000000150001", TR_OK, 2},
    {"0.0000000249999", TR_OK, 2},
    {"0.0000000050000000001", TR_OK, 1},
    {"0.000000004999999999", TR_OK, 0},
    {"1.000000005", TR_OK, 100000000},
    {"1.000000015", TR_OK, 100000002},
    {"-0.000000005", TR_OK, 0},
    {"-0.000000015", TR_OK, -2},
    {"-0.000000025", TR_OK, -2},
    {"-0.000000035", TR_OK, -4},
    {"-0.0000000150001", TR_OK, -2},
    {"-0.0000000050000000001", TR_OK, -1},
    {"5e-9", TR_OK, 0},
    {"15e-9", TR_OK, 2},
    {"2.5e-8", TR_OK, 2},
    {"-1.5e-8", TR_OK, -2},
    /* malformed */
    {"", TR_ERR_INVALID, 0},
    {"-", TR_ERR_INVALID, 0},
    {"+", TR_ERR_INVALID, 0},
    {".", TR_ERR_INVALID, 0},
    {"-.", TR_ERR_INVALID, 0},
    {"+.", TR_ERR_INVALID, 0},
    {"1..2", TR_ERR_INVALID, 0},
    {"1.2.3", TR_ERR_INVALID, 0},
    {"1e", TR_ERR_INVALID, 0},
    {"1e+", TR_ERR_INVALID, 0},
    {"1e-", TR_ERR_INVALID, 0},
    {"e5", TR_ERR_INVALID, 0},
    {".e1", TR_ERR_INVALID, 0},
    {"1e2.5", TR_ERR_INVALID, 0},
    {"1ee2", TR_ERR_INVALID, 0},
    {"nan", TR_ERR_INVALID, 0},
    {"NaN", TR_ERR_INVALID, 0},
    {"inf", TR_ERR_INVALID, 0},
    {"-inf", TR_ERR_INVALID, 0},
    {"Infinity", TR_ERR_INVALID, 0},
    {" 1", TR_ERR_INVALID, 0},
    {"1 ", TR_ERR_INVALID, 0},
    {"1\t", TR_ERR_INVALID, 0},
    {"0x10", TR_ERR_INVALID, 0},
    {"1,5", TR_ERR_INVALID, 0},
    {"--1", TR_ERR_INVALID, 0},
    {"+-1", TR_ERR_INVALID, 0},
    {"1-", TR_ERR_INVALID, 0},
    {"1_000", TR_ERR_INVALID, 0},
    {"abc", TR_ERR_INVALID, 0},
};

static void test_parse_table(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        /* Parse from an exact-size heap copy without a NUL, so reading past
         * len shows up under ASan. */
        size_t len = strlen(c->text);
        char *buf = malloc(len ? len : 1);
        if (!CHECK(buf != NULL))
            return;
        memcpy(buf, c->text, len);
        tr_fx v = SENTINEL;
        int rc = tr_fx_parse(buf, len, &v);
        CHECK_MSG(rc == c->rc, "parse \"%s\": rc %d (%s), expected %d (%s)",
                  c->text, rc, tr_strerror(rc), c->rc, tr_strerror(c->rc));
        if (c->rc == TR_OK && rc == TR_OK)
            CHECK_MSG(v == c->value,
                      "parse \"%s\": got %" PRId64 ", expected %" PRId64,
                      c->text, v, c->value);
        if (c->rc == TR_ERR_RANGE)
            CHECK_MSG(v == SENTINEL, "parse \"%s\": *out changed on RANGE",
                      c->text);
        free(buf);
    }
}

static void test_parse_len(void)
{
    tr_fx v = 0;
    /* only s[0..len) is text */
    CHECK_EQ_I64(tr_fx_parse("12.345", 4, &v), TR_OK);
    CHECK_EQ_I64(v, 1230000000);
    CHECK_EQ_I64(tr_fx_parse("5x", 1, &v), TR_OK);
    CHECK_EQ_I64(v, 500000000);
    CHECK_EQ_I64(tr_fx_parse("1e5", 2, &v), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_fx_parse("7", 0, &v), TR_ERR_INVALID);
    CHECK_EQ_I64(tr_fx_parse("1\0", 2, &v), TR_ERR_INVALID);
}

/* ---- format ----------------------------------------------------------- */

typedef struct format_case {
    tr_fx v;
    const char *text;
} format_case;

static const format_case format_cases[] = {
    {0, "0"},
    {1, "0.00000001"},
    {-1, "-0.00000001"},
    {10, "0.0000001"},
    {1234000000, "12.34"},
    {-1234000000, "-12.34"},
    {-50000000, "-0.5"},
    {INT64_C(10000000000), "100"},
    {100000000, "1"},
    {-100000000, "-1"},
    {1000000000, "10"},
    {120000000, "1.2"},
    {123456789, "1.23456789"},
    {100000001, "1.00000001"},
    {INT64_C(9200000000000000000), "92000000000"},
    {MAX, "92233720368.54775807"},
    {NMAX, "-92233720368.54775807"},
};

static void test_format_table(void)
{
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0];
         i++) {
        char buf[TR_FX_STRLEN];
        size_t n = tr_fx_format(format_cases[i].v, buf, sizeof buf);
        CHECK_STR(n ? buf : "(len 0)", format_cases[i].text);
        CHECK_EQ_I64(n, strlen(format_cases[i].text));
    }
}

static void test_format_size(void)
{
    char buf[TR_FX_STRLEN];
    CHECK_EQ_I64(tr_fx_format(1234000000, buf, 6), 5);
    CHECK_STR(buf, "12.34");
    CHECK_EQ_I64(tr_fx_format(1234000000, buf, 5), 0);
    CHECK_EQ_I64(tr_fx_format(0, buf, 2), 1);
    CHECK_STR(buf, "0");
    CHECK_EQ_I64(tr_fx_format(0, buf, 1), 0);
    CHECK_EQ_I64(tr_fx_format(0, buf, 0), 0);
    CHECK_EQ_I64(tr_fx_format(MAX, buf, 21), 20);
    CHECK_EQ_I64(tr_fx_format(MAX, buf, 20), 0);
    CHECK_EQ_I64(tr_fx_format(NMAX, buf, 22), 21);
    CHECK_STR(buf, "-92233720368.54775807");
    CHECK_EQ_I64(tr_fx_format(NMAX, buf, 21), 0);
    CHECK_EQ_I64(tr_fx_format(-1, buf, 12), 11);
    CHECK_EQ_I64(tr_fx_format(-1, buf, 11), 0);
}

typedef struct roundtrip_case {
    const char *in, *out;
} roundtrip_case;

static void test_parse_format_roundtrip(void)
{
    static const roundtrip_case cases[] = {
        {"0", "0"},
        {"-0", "0"},
        {"12.34", "12.34"},
        {"-0.00000001", "-0.00000001"},
        {"92233720368.54775807", "92233720368.54775807"},
        {"-92233720368.54775807", "-92233720368.54775807"},
        {"1e3", "1000"},
        {"1.5E-2", "0.015"},
        {".5", "0.5"},
        {"5.", "5"},
        {"007.50", "7.5"},
        {"-0.000000005", "0"},
        {"100.10000000", "100.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_fx v = SENTINEL;
        char buf[TR_FX_STRLEN] = "";
        int rc = tr_fx_parse(cases[i].in, strlen(cases[i].in), &v);
        CHECK_MSG(rc == TR_OK, "parse \"%s\": rc %d", cases[i].in, rc);
        tr_fx_format(v, buf, sizeof buf);
        CHECK_STR(buf, cases[i].out);
    }
}

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

/* A random tr_fx of random magnitude (never INT64_MIN). */
static tr_fx random_fx(void)
{
    uint64_t r = rng();
    int shift = (int)(rng() % 64);
    int64_t v = (int64_t)((r >> 1) >> shift);
    return (rng() & 1) ? -v : v;
}

/* format then parse gives the value back, and the text is canonical. */
static void test_random_roundtrip(void)
{
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        tr_fx v = random_fx(), w = SENTINEL;
        char buf[TR_FX_STRLEN];
        size_t n = tr_fx_format(v, buf, sizeof buf);
        int ok = n > 0 && n < TR_FX_STRLEN && strlen(buf) == n;
        ok = ok && tr_fx_parse(buf, n, &w) == TR_OK && w == v;
        const char *dot = ok ? strchr(buf, '.') : NULL;
        if (dot) /* shortest: no trailing zero or dot, at most 8 decimals */
            ok = buf[n - 1] != '0' && buf[n - 1] != '.' &&
                 strlen(dot + 1) <= 8;
        if (!CHECK_MSG(ok, "round trip of %" PRId64 ": \"%s\" -> %" PRId64, v,
                       n ? buf : "", w))
            bad++;
    }
}

/* ---- from_int, add, sub ----------------------------------------------- */

static void test_from_int(void)
{
    static const struct {
        int64_t n;
        int rc;
        tr_fx v;
    } cases[] = {
        {0, TR_OK, 0},
        {1, TR_OK, 100000000},
        {-1, TR_OK, -100000000},
        {12345, TR_OK, INT64_C(1234500000000)},
        {INT64_C(92233720368), TR_OK, INT64_C(9223372036800000000)},
        {-INT64_C(92233720368), TR_OK, -INT64_C(9223372036800000000)},
        {INT64_C(92233720369), TR_ERR_RANGE, 0},
        {-INT64_C(92233720369), TR_ERR_RANGE, 0},
        {INT64_MAX, TR_ERR_RANGE, 0},
        {INT64_MIN, TR_ERR_RANGE, 0},
        {INT64_C(1) << 40, TR_ERR_RANGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_fx v = SENTINEL;
        int rc = tr_fx_from_int(cases[i].n, &v);
        CHECK_MSG(rc == cases[i].rc, "from_int(%" PRId64 "): rc %d",
                  cases[i].n, rc);
        CHECK_MSG(v == (cases[i].rc == TR_OK ? cases[i].v : SENTINEL),
                  "from_int(%" PRId64 "): got %" PRId64, cases[i].n, v);
    }
}

typedef struct binop_case {
    tr_fx a, b;
    int rc;
    tr_fx v;
} binop_case;

typedef int (*binop_fn)(tr_fx, tr_fx, tr_fx *);

static void run_binops(const char *name, binop_fn fn, const binop_case *cases,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const binop_case *c = &cases[i];
        tr_fx v = SENTINEL;
        int rc = fn(c->a, c->b, &v);
        CHECK_MSG(rc == c->rc,
                  "%s(%" PRId64 ", %" PRId64 "): rc %d (%s), expected %d (%s)",
                  name, c->a, c->b, rc, tr_strerror(rc), c->rc,
                  tr_strerror(c->rc));
        if (c->rc == TR_OK && rc == TR_OK)
            CHECK_MSG(v == c->v,
                      "%s(%" PRId64 ", %" PRId64 "): got %" PRId64
                      ", expected %" PRId64,
                      name, c->a, c->b, v, c->v);
        if (c->rc == TR_ERR_RANGE)
            CHECK_MSG(v == SENTINEL,
                      "%s(%" PRId64 ", %" PRId64 "): *out changed on RANGE",
                      name, c->a, c->b);
        if (rc == TR_OK)
            CHECK_MSG(v != INT64_MIN, "%s produced INT64_MIN", name);
    }
}

static const binop_case add_cases[] = {
    {1, 2, TR_OK, 3},
    {1234000000, -1234000001, TR_OK, -1},
    {MAX, 0, TR_OK, MAX},
    {MAX - 5, 5, TR_OK, MAX},
    {MAX, 1, TR_ERR_RANGE, 0},
    {MAX, MAX, TR_ERR_RANGE, 0},
    {NMAX, 0, TR_OK, NMAX},
    {NMAX, -1, TR_ERR_RANGE, 0}, /* would be INT64_MIN */
    {NMAX, NMAX, TR_ERR_RANGE, 0},
    {MAX, NMAX, TR_OK, 0},
};

static const binop_case sub_cases[] = {
    {5, 3, TR_OK, 2},
    {1234000000, 1234000001, TR_OK, -1},
    {0, MAX, TR_OK, NMAX},
    {0, NMAX, TR_OK, MAX},
    {-1, MAX, TR_ERR_RANGE, 0}, /* would be INT64_MIN */
    {NMAX, 1, TR_ERR_RANGE, 0},
    {MAX, -1, TR_ERR_RANGE, 0},
    {MAX, NMAX, TR_ERR_RANGE, 0},
    {NMAX, NMAX, TR_OK, 0},
};

/* ---- mul, div, muldiv -------------------------------------------------- */

static const binop_case mul_cases[] = {
    /* exact products: price * quantity */
    {INT64_C(12345000000), INT64_C(10000000000), TR_OK,
     INT64_C(1234500000000)},                     /* 123.45 * 100 */
    {10000000, 10000000, TR_OK, 1000000},         /* 0.1 * 0.1 */
    {150000000, 150000000, TR_OK, 225000000},     /* 1.5 * 1.5 */
    {-150000000, 150000000, TR_OK, -225000000},
    {INT64_C(6000012345678), 150000000, TR_OK, INT64_C(9000018518517)},
    {INT64_C(100000000000000), INT64_C(100000000000), TR_OK,
     INT64_C(100000000000000000)},                /* 1e6 * 1000: 128-bit */
    {P62, 199999999, TR_OK, INT64_C(9223371990737915624)},
    /* 0.00000001 * 0.5 and friends: ties to even, both signs */
    {1, 50000000, TR_OK, 0},
    {3, 50000000, TR_OK, 2},
    {5, 50000000, TR_OK, 2},
    {7, 50000000, TR_OK, 4},
    {-1, 50000000, TR_OK, 0},
    {-3, 50000000, TR_OK, -2},
    {-5, 50000000, TR_OK, -2},
    {-7, 50000000, TR_OK, -4},
    {1, -50000000, TR_OK, 0},
    {3, -50000000, TR_OK, -2},
    {-3, -50000000, TR_OK, 2},
    {1, 150000000, TR_OK, 2},
    {1, 250000000, TR_OK, 2},
    {75000000, 2, TR_OK, 2},
    {25000000, 2, TR_OK, 0},
    /* not ties */
    {1, 50000001, TR_OK, 1},
    {1, 49999999, TR_OK, 0},
    {-1, 50000001, TR_OK, -1},
    {-1, 49999999, TR_OK, 0},
    {1, 1, TR_OK, 0},
    /* range */
    {MAX, 100000000, TR_OK, MAX},
    {MAX, -100000000, TR_OK, NMAX},
    {NMAX, -100000000, TR_OK, MAX},
    {MAX, 100000001, TR_ERR_RANGE, 0},
    {NMAX, 100000001, TR_ERR_RANGE, 0},
    {MAX, MAX, TR_ERR_RANGE, 0},
    {INT64_C(100000000000000), INT64_C(100000000000000), TR_ERR_RANGE, 0},
    {P62, 200000000, TR_ERR_RANGE, 0},
    {-P62, 200000000, TR_ERR_RANGE, 0}, /* exactly INT64_MIN */
};

static const binop_case div_cases[] = {
    {100000000, 300000000, TR_OK, 33333333},
    {200000000, 300000000, TR_OK, 66666667},
    {-200000000, 300000000, TR_OK, -66666667},
    {200000000, -300000000, TR_OK, -66666667},
    {-200000000, -300000000, TR_OK, 66666667},
    {1000000000, 400000000, TR_OK, 250000000},
    {1234000000, 1234000000, TR_OK, 100000000},
    {1, 1, TR_OK, 100000000},
    {INT64_C(90000000000000000), 300000000, TR_OK,
     INT64_C(30000000000000000)}, /* a * 10^8 needs 128 bits */
    {MAX, MAX, TR_OK, 100000000},
    {1, MAX, TR_OK, 0},
    /* ties */
    {1, 200000000, TR_OK, 0},
    {3, 200000000, TR_OK, 2},
    {5, 200000000, TR_OK, 2},
    {7, 200000000, TR_OK, 4},
    {-1, 200000000, TR_OK, 0},
    {-3, 200000000, TR_OK, -2},
    {-5, 200000000, TR_OK, -2},
    {3, -200000000, TR_OK, -2},
    {-3, -200000000, TR_OK, 2},
    /* range and zero */
    {MAX, 100000000, TR_OK, MAX},
    {MAX, -100000000, TR_OK, NMAX},
    {NMAX, 100000000, TR_OK, NMAX},
    {MAX, 50000000, TR_ERR_RANGE, 0},
    {INT64_C(1000000000000000000), 1, TR_ERR_RANGE, 0},
    {-P62, 50000000, TR_ERR_RANGE, 0}, /* exactly INT64_MIN */
    {1, 0, TR_ERR_DIV_ZERO, 0},
    {0, 0, TR_ERR_DIV_ZERO, 0},
    {-5, 0, TR_ERR_DIV_ZERO, 0},
};

typedef struct muldiv_case {
    tr_fx a, b, c;
    int rc;
    tr_fx v;
} muldiv_case;

static const muldiv_case muldiv_cases[] = {
    {1000000000, 300000000, 200000000, TR_OK, 1500000000}, /* 10*3/2 */
    /* cash 10000 / price 123.45 */
    {INT64_C(1000000000000), 100000000, INT64_C(12345000000), TR_OK,
     8100445525},
    {1, 2, 3, TR_OK, 1},
    {2, 2, 3, TR_OK, 1},
    /* ties */
    {1, 1, 2, TR_OK, 0},
    {3, 1, 2, TR_OK, 2},
    {5, 1, 2, TR_OK, 2},
    {7, 1, 2, TR_OK, 4},
    {-1, 1, 2, TR_OK, 0},
    {-3, 1, 2, TR_OK, -2},
    {3, 1, -2, TR_OK, -2},
    {-5, -1, -2, TR_OK, -2},
    {-5, 1, -2, TR_OK, 2},
    /* one rounding: mul then div would give 0 */
    {1, 50000000, 1, TR_OK, 50000000},
    /* 128-bit intermediate */
    {MAX, MAX, MAX, TR_OK, MAX},
    {NMAX, MAX, MAX, TR_OK, NMAX},
    {MAX, NMAX, NMAX, TR_OK, MAX},
    {MAX, 3, 3, TR_OK, MAX},
    {MAX, 2, 1, TR_ERR_RANGE, 0},
    {MAX, MAX, 1, TR_ERR_RANGE, 0},
    {-P62, 2, 1, TR_ERR_RANGE, 0}, /* exactly INT64_MIN */
    {1, 1, 0, TR_ERR_DIV_ZERO, 0},
};

static void test_muldiv(void)
{
    for (size_t i = 0; i < sizeof muldiv_cases / sizeof muldiv_cases[0];
         i++) {
        const muldiv_case *c = &muldiv_cases[i];
        tr_fx v = SENTINEL;
        int rc = tr_fx_muldiv(c->a, c->b, c->c, &v);
        CHECK_MSG(rc == c->rc,
                  "muldiv(%" PRId64 ", %" PRId64 ", %" PRId64
                  "): rc %d, expected %d",
                  c->a, c->b, c->c, rc, c->rc);
        if (rc == TR_OK && c->rc == TR_OK)
            CHECK_MSG(v == c->v,
                      "muldiv(%" PRId64 ", %" PRId64 ", %" PRId64
                      "): got %" PRId64 ", expected %" PRId64,
                      c->a, c->b, c->c, v, c->v);
        if (c->rc == TR_ERR_RANGE)
            CHECK_MSG(v == SENTINEL, "muldiv: *out changed on RANGE");
    }
}

/* ---- round_to ---------------------------------------------------------- */

static const binop_case round_cases[] = {
    {100500000, 1000000, TR_OK, 100000000},   /* 1.005 -> 1.00 */
    {101500000, 1000000, TR_OK, 102000000},   /* 1.015 -> 1.02 */
    {102500000, 1000000, TR_OK, 102000000},   /* 1.025 -> 1.02 */
    {101510000, 1000000, TR_OK, 102000000},   /* 1.0151 */
    {100490000, 1000000, TR_OK, 100000000},   /* 1.0049 */
    {-100500000, 1000000, TR_OK, -100000000},
    {-101500000, 1000000, TR_OK, -102000000},
    {-102500000, 1000000, TR_OK, -102000000},
    {-101510000, 1000000, TR_OK, -102000000},
    {102500000, 5000000, TR_OK, 100000000},   /* 1.025 / 0.05 = 20.5 */
    {107500000, 5000000, TR_OK, 110000000},   /* 21.5 -> 22 */
    {12500000, 25000000, TR_OK, 0},           /* 0.125 / 0.25 = 0.5 */
    {37500000, 25000000, TR_OK, 50000000},    /* 1.5 -> 2 */
    {-37500000, 25000000, TR_OK, -50000000},
    {4500000, 3000000, TR_OK, 6000000},       /* 0.045 / 0.03 = 1.5 */
    {7500000, 3000000, TR_OK, 6000000},       /* 2.5 -> 2 */
    {123456789, 1, TR_OK, 123456789},
    {0, 1000000, TR_OK, 0},
    {INT64_C(9223372036840000000), 100000000, TR_OK,
     INT64_C(9223372036800000000)},
    {MAX, MAX, TR_OK, MAX},
    {MAX, 100000000, TR_ERR_RANGE, 0}, /* 92233720368.55 -> ...369 */
    {NMAX, 100000000, TR_ERR_RANGE, 0},
    {MAX, P62, TR_ERR_RANGE, 0},  /* 1.99.. ticks -> 2 ticks = 2^63 */
    {NMAX, P62, TR_ERR_RANGE, 0}, /* -2 ticks = INT64_MIN */
    {100500000, 0, TR_ERR_INVALID, 0},
    {100500000, -1000000, TR_ERR_INVALID, 0},
};

/* ---- doubles ----------------------------------------------------------- */

static void test_to_double(void)
{
    static const char *const texts[] = {
        "12.34", "0.1", "0.2", "0.3", "4567.89", "-12.34", "0.00000001",
        "1.1", "99.99", "33.33333333", "-0.00000003", "12345678.12345678",
        "90071992.54740991", "0", "1", "1000000",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        tr_fx v = 0;
        CHECK_MSG(tr_fx_parse(texts[i], strlen(texts[i]), &v) == TR_OK,
                  "parse \"%s\"", texts[i]);
        double got = tr_fx_to_double(v), want = strtod(texts[i], NULL);
        CHECK_MSG(got == want, "to_double(\"%s\") = %.17g, strtod = %.17g",
                  texts[i], got, want);
    }
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 5; i++) {
        tr_fx v = (tr_fx)(rng() >> (11 + rng() % 40)); /* < 2^53 */
        if (rng() & 1)
            v = -v;
        char buf[TR_FX_STRLEN];
        tr_fx_format(v, buf, sizeof buf);
        double got = tr_fx_to_double(v), want = strtod(buf, NULL);
        if (!CHECK_MSG(got == want, "to_double(%s) = %.17g, strtod = %.17g",
                       buf, got, want))
            bad++;
    }
}

static void test_from_double(void)
{
    static const struct {
        double d;
        int rc;
        tr_fx v;
    } cases[] = {
        {0.1, TR_OK, 10000000},
        {12.34, TR_OK, 1234000000},
        {-12.34, TR_OK, -1234000000},
        {4567.89, TR_OK, 456789000000},
        {0.07, TR_OK, 7000000},
        {0.0, TR_OK, 0},
        {-0.0, TR_OK, 0},
        {1e-8, TR_OK, 1},
        {1e-300, TR_OK, 0},
        {5e-324, TR_OK, 0},
        /* exact binary ties: 1/512 = 0.001953125 = 195312.5 units */
        {1.0 / 512, TR_OK, 195312},
        {3.0 / 512, TR_OK, 585938},
        {5.0 / 512, TR_OK, 976562},
        {-1.0 / 512, TR_OK, -195312},
        {-3.0 / 512, TR_OK, -585938},
        {92233720368.0, TR_OK, INT64_C(9223372036800000000)},
        {92000000000.0, TR_OK, INT64_C(9200000000000000000)},
        {92233720368.5477, TR_OK, INT64_C(9223372036854769897)},
        {92233720368.54775807, TR_ERR_RANGE, 0}, /* nearest double > max */
        {-92233720368.5478, TR_ERR_RANGE, 0},
        {92233720369.0, TR_ERR_RANGE, 0},
        {-92233720369.0, TR_ERR_RANGE, 0},
        {1e11, TR_ERR_RANGE, 0},
        {1e300, TR_ERR_RANGE, 0},
        {-1e300, TR_ERR_RANGE, 0},
        {INFINITY, TR_ERR_RANGE, 0},
        {-INFINITY, TR_ERR_RANGE, 0},
        {NAN, TR_ERR_INVALID, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_fx v = SENTINEL;
        int rc = tr_fx_from_double(cases[i].d, &v);
        CHECK_MSG(rc == cases[i].rc, "from_double(%.17g): rc %d, expected %d",
                  cases[i].d, rc, cases[i].rc);
        if (rc == TR_OK && cases[i].rc == TR_OK)
            CHECK_MSG(v == cases[i].v,
                      "from_double(%.17g): got %" PRId64 ", expected %" PRId64,
                      cases[i].d, v, cases[i].v);
        if (cases[i].rc == TR_ERR_RANGE)
            CHECK_MSG(v == SENTINEL, "from_double(%.17g): *out changed",
                      cases[i].d);
    }
    /* Below 2^25 units a double resolves 10^-8, so to_double then
     * from_double gives the value back. */
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 5; i++) {
        tr_fx v = (tr_fx)(rng() % UINT64_C(1000000000000000)); /* < 1e7 */
        if (rng() & 1)
            v = -v;
        tr_fx w = SENTINEL;
        int rc = tr_fx_from_double(tr_fx_to_double(v), &w);
        if (!CHECK_MSG(rc == TR_OK && w == v,
                       "from_double(to_double(%" PRId64 ")) = %" PRId64, v,
                       w))
            bad++;
    }
}

/* Negating any result is safe: the ops never give INT64_MIN and accept its
 * neighbours. */
static void test_negation_safe(void)
{
    int bad = 0;
    for (int i = 0; i < 100000 && bad < 5; i++) {
        tr_fx a = random_fx(), b = random_fx(), v = 0;
        /* add/sub against a 128-bit reference */
        __int128 s = (__int128)a + b, d = (__int128)a - b;
        int add_fits = s <= MAX && s >= NMAX, sub_fits = d <= MAX && d >= NMAX;
        int ok = 1;
        int rc = tr_fx_add(a, b, &v);
        ok = ok && (add_fits ? rc == TR_OK && v == (tr_fx)s
                             : rc == TR_ERR_RANGE);
        rc = tr_fx_sub(a, b, &v);
        ok = ok && (sub_fits ? rc == TR_OK && v == (tr_fx)d
                             : rc == TR_ERR_RANGE);
        if (tr_fx_mul(a, b, &v) == TR_OK)
            ok = ok && v != INT64_MIN;
        if (b != 0 && tr_fx_div(a, b, &v) == TR_OK)
            ok = ok && v != INT64_MIN;
        if (!CHECK_MSG(ok, "ops on %" PRId64 ", %" PRId64, a, b))
            bad++;
    }
}

/* num / den (den != 0) rounded half to even, exactly. */
static __int128 ref_div(__int128 num, __int128 den)
{
    if (den < 0) {
        num = -num;
        den = -den;
    }
    __int128 q = num / den, r = num % den; /* truncated */
    __int128 ar = r < 0 ? -r : r;
    if (ar * 2 > den || (ar * 2 == den && (q & 1)))
        q += num < 0 ? -1 : 1;
    return q;
}

static int ref_check(const char *op, tr_fx a, tr_fx b, tr_fx c, __int128 q,
                     int rc, tr_fx v)
{
    int fits = q <= MAX && q >= NMAX;
    int ok = fits ? rc == TR_OK && v == (tr_fx)q
                  : rc == TR_ERR_RANGE && v == SENTINEL;
    return CHECK_MSG(ok,
                     "%s(%" PRId64 ", %" PRId64 ", %" PRId64 "): rc %d got %" PRId64
                     " expected %s %" PRId64,
                     op, a, b, c, rc, v, fits ? "value" : "RANGE",
                     fits ? (tr_fx)q : 0);
}

/* mul, div and muldiv against exact 128-bit references; the operands'
 * magnitudes vary so that both in-range results and overflows occur. */
static void test_reference(void)
{
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 10; i++) {
        tr_fx a = random_fx(), b = random_fx(), c = random_fx();
        tr_fx v = SENTINEL;
        int rc = tr_fx_mul(a, b, &v);
        if (!ref_check("mul", a, b, 0, ref_div((__int128)a * b, TR_FX_SCALE),
                       rc, v))
            bad++;
        if (b != 0) {
            v = SENTINEL;
            rc = tr_fx_div(a, b, &v);
            if (!ref_check("div", a, b, 0,
                           ref_div((__int128)a * TR_FX_SCALE, b), rc, v))
                bad++;
        }
        if (c != 0) {
            v = SENTINEL;
            rc = tr_fx_muldiv(a, b, c, &v);
            if (!ref_check("muldiv", a, b, c, ref_div((__int128)a * b, c), rc,
                           v))
                bad++;
        }
        if (c > 0) {
            v = SENTINEL;
            rc = tr_fx_round_to(a, c, &v);
            if (!ref_check("round_to", a, c, 0, ref_div(a, c) * c, rc, v))
                bad++;
        }
    }
}

int main(void)
{
    test_parse_table();
    test_parse_len();
    test_format_table();
    test_format_size();
    test_parse_format_roundtrip();
    test_random_roundtrip();
    test_from_int();
    run_binops("add", tr_fx_add, add_cases,
               sizeof add_cases / sizeof add_cases[0]);
    run_binops("sub", tr_fx_sub, sub_cases,
               sizeof sub_cases / sizeof sub_cases[0]);
    run_binops("mul", tr_fx_mul, mul_cases,
               sizeof mul_cases / sizeof mul_cases[0]);
    run_binops("div", tr_fx_div, div_cases,
               sizeof div_cases / sizeof div_cases[0]);
    test_muldiv();
    run_binops("round_to", tr_fx_round_to, round_cases,
               sizeof round_cases / sizeof round_cases[0]);
    test_to_double();
    test_from_double();
    test_negation_safe();
    test_reference();
    return test_summary();
}
