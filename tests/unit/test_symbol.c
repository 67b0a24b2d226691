/* test_symbol.c: symbol interning (ids in order, lookups, name validation,
 * growth, borrowed names staying valid). */
#include <stdlib.h>

#include "core/err.h"
#include "core/symbol.h"
#include "test.h"

#define SENTINEL 777u

static void test_ids_in_order(void)
{
    tr_symtab *tab = tr_symtab_new();
    if (!CHECK(tab != NULL))
        return;
    CHECK_EQ_I64(tr_symtab_count(tab), 0);
    tr_sym a = SENTINEL, b = SENTINEL, c = SENTINEL, x = SENTINEL;
    CHECK_EQ_I64(tr_symtab_intern(tab, "AAPL", &a), TR_OK);
    CHECK_EQ_I64(tr_symtab_intern(tab, "BTC/USD", &b), TR_OK);
    CHECK_EQ_I64(tr_symtab_intern(tab, "MSFT", &c), TR_OK);
    CHECK_EQ_I64(a, 0);
    CHECK_EQ_I64(b, 1);
    CHECK_EQ_I64(c, 2);
    CHECK_EQ_I64(tr_symtab_count(tab), 3);

    /* interning again gives the same id and adds nothing */
    CHECK_EQ_I64(tr_symtab_intern(tab, "BTC/USD", &x), TR_OK);
    CHECK_EQ_I64(x, 1);
    CHECK_EQ_I64(tr_symtab_intern(tab, "AAPL", &x), TR_OK);
    CHECK_EQ_I64(x, 0);
    CHECK_EQ_I64(tr_symtab_count(tab), 3);

    x = SENTINEL;
    CHECK_EQ_I64(tr_symtab_find(tab, "MSFT", &x), TR_OK);
    CHECK_EQ_I64(x, 2);
    CHECK_EQ_I64(tr_symtab_find(tab, "AAPL", &x), TR_OK);
    CHECK_EQ_I64(x, 0);

    CHECK_STR(tr_symtab_name(tab, 0), "AAPL");
    CHECK_STR(tr_symtab_name(tab, 1), "BTC/USD");
    CHECK_STR(tr_symtab_name(tab, 2), "MSFT");
    CHECK(tr_symtab_name(tab, 3) == NULL);
    CHECK(tr_symtab_name(tab, 1000) == NULL);
    CHECK(tr_symtab_name(tab, UINT32_MAX) == NULL);
    tr_symtab_free(tab);
}

static void test_not_found(void)
{
    tr_symtab *tab = tr_symtab_new();
    if (!CHECK(tab != NULL))
        return;
    tr_sym x = SENTINEL;
    CHECK_EQ_I64(tr_symtab_find(tab, "AAPL", &x), TR_ERR_NOT_FOUND);
    CHECK(tr_symtab_name(tab, 0) == NULL);
    CHECK_EQ_I64(tr_symtab_intern(tab, "AAPL", &x), TR_OK);
    /* prefixes and extensions of a known name are other names */
    CHECK_EQ_I64(tr_symtab_find(tab, "AAP", &x), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_symtab_find(tab, "AAPLX", &x), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_symtab_find(tab, "MSFT", &x), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_symtab_count(tab), 1); /* find never adds */
    tr_sym p = SENTINEL, q = SENTINEL;
    CHECK_EQ_I64(tr_symtab_intern(tab, "AAP", &p), TR_OK);
    CHECK_EQ_I64(tr_symtab_intern(tab, "AAPLX", &q), TR_OK);
    CHECK_EQ_I64(p, 1);
    CHECK_EQ_I64(q, 2);
    CHECK_STR(tr_symtab_name(tab, 1), "AAP");
    CHECK_STR(tr_symtab_name(tab, 2), "AAPLX");
    tr_symtab_free(tab);
}

static void test_names(void)
{
    static const char *const bad[] = {
        "",          "A B",   "A,B",  "A\"B", "\"AAPL\"", "A'B", " AAPL",
        "AAPL ",     "A\tB",  "A\nB", "A\rB", "\x7f",     "\x01A",
        "\xc3\xa9T", /* UTF-8 e-acute: not ASCII */
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", /* 32 characters */
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    };
    static const char *const good[] = {
        "A",        "AAPL",   "BTC/USD", "BRK.B", "^GSPC", "ES=F", "EUR_USD",
        "6E-M4",    "a",      "~!@#$%&*()+-:;<>?[]{}|",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", /* 31 characters */
    };
    tr_symtab *tab = tr_symtab_new();
    if (!CHECK(tab != NULL))
        return;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tr_sym x = SENTINEL;
        int rc = tr_symtab_intern(tab, bad[i], &x);
        CHECK_MSG(rc == TR_ERR_INVALID, "intern(\"%s\"): rc %d, expected %d",
                  bad[i], rc, TR_ERR_INVALID);
    }
    CHECK_EQ_I64(tr_symtab_count(tab), 0); /* refused names are not added */
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        tr_sym x = SENTINEL, y = SENTINEL;
        int rc = tr_symtab_intern(tab, good[i], &x);
        CHECK_MSG(rc == TR_OK && x == i, "intern(\"%s\"): rc %d id %u", good[i],
                  rc, (unsigned)x);
        CHECK_MSG(tr_symtab_find(tab, good[i], &y) == TR_OK && y == i,
                  "find(\"%s\")", good[i]);
        CHECK_STR(tr_symtab_name(tab, (tr_sym)i), good[i]);
    }
    CHECK_EQ_I64(strlen(good[sizeof good / sizeof good[0] - 1]),
                 TR_SYM_MAX_LEN);
    CHECK_EQ_I64(tr_symtab_count(tab), sizeof good / sizeof good[0]);
    tr_symtab_free(tab);
}

/* The table copies the name: the caller's buffer may change afterwards. */
static void test_copies_name(void)
{
    tr_symtab *tab = tr_symtab_new();
    if (!CHECK(tab != NULL))
        return;
    char buf[8] = "SPY";
    tr_sym x = SENTINEL, y = SENTINEL;
    CHECK_EQ_I64(tr_symtab_intern(tab, buf, &x), TR_OK);
    strcpy(buf, "QQQ");
    CHECK_STR(tr_symtab_name(tab, x), "SPY");
    CHECK_EQ_I64(tr_symtab_find(tab, "QQQ", &y), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_symtab_intern(tab, buf, &y), TR_OK);
    CHECK_EQ_I64(y, 1);
    CHECK_EQ_I64(tr_symtab_find(tab, "SPY", &y), TR_OK);
    CHECK_EQ_I64(y, 0);
    tr_symtab_free(tab);
}

/* 10,000 symbols: the table grows, every id and name stays right, and a name
 * borrowed before the growth is still valid ("valid until the table is
 * freed"; ASan catches a realloc that moved it). */
static void test_growth(void)
{
    enum { N = 10000 };
    tr_symtab *tab = tr_symtab_new();
    if (!CHECK(tab != NULL))
        return;
    tr_sym x = SENTINEL;
    CHECK_EQ_I64(tr_symtab_intern(tab, "FIRST", &x), TR_OK);
    const char *first = tr_symtab_name(tab, 0);
    CHECK_STR(first, "FIRST");
    int bad = 0;
    char name[32];
    for (int i = 1; i < N && bad < 5; i++) {
        snprintf(name, sizeof name, "S%d", i * 7919 % 100003);
        int rc = tr_symtab_intern(tab, name, &x);
        if (!CHECK_MSG(rc == TR_OK && x == (tr_sym)i,
                       "intern(\"%s\"): rc %d id %u, expected id %d", name, rc,
                       (unsigned)x, i))
            bad++;
    }
    CHECK_EQ_I64(tr_symtab_count(tab), N);
    CHECK_STR(first, "FIRST");
    for (int i = 1; i < N && bad < 10; i++) {
        snprintf(name, sizeof name, "S%d", i * 7919 % 100003);
        tr_sym y = SENTINEL, z = SENTINEL;
        int ok = tr_symtab_find(tab, name, &y) == TR_OK && y == (tr_sym)i;
        ok = ok && tr_symtab_intern(tab, name, &z) == TR_OK && z == (tr_sym)i;
        const char *nm = tr_symtab_name(tab, (tr_sym)i);
        ok = ok && nm != NULL && strcmp(nm, name) == 0;
        if (!CHECK_MSG(ok, "lookup \"%s\": id %u/%u name %s", name,
                       (unsigned)y, (unsigned)z, nm ? nm : "(null)"))
            bad++;
    }
    CHECK_EQ_I64(tr_symtab_count(tab), N); /* lookups added nothing */
    CHECK_EQ_I64(tr_symtab_find(tab, "S100003", &x), TR_ERR_NOT_FOUND);
    CHECK(tr_symtab_name(tab, N) == NULL);
    tr_symtab_free(tab);
}

/* No global state: two tables number their symbols independently. */
static void test_two_tables(void)
{
    tr_symtab *t1 = tr_symtab_new(), *t2 = tr_symtab_new();
    if (!CHECK(t1 != NULL && t2 != NULL)) {
        if (t1)
            tr_symtab_free(t1);
        if (t2)
            tr_symtab_free(t2);
        return;
    }
    tr_sym x = SENTINEL;
    CHECK_EQ_I64(tr_symtab_intern(t1, "AAPL", &x), TR_OK);
    CHECK_EQ_I64(tr_symtab_intern(t1, "MSFT", &x), TR_OK);
    CHECK_EQ_I64(tr_symtab_intern(t2, "MSFT", &x), TR_OK);
    CHECK_EQ_I64(x, 0);
    CHECK_EQ_I64(tr_symtab_find(t2, "AAPL", &x), TR_ERR_NOT_FOUND);
    CHECK_EQ_I64(tr_symtab_count(t1), 2);
    CHECK_EQ_I64(tr_symtab_count(t2), 1);
    tr_symtab_free(t1);
    tr_symtab_free(t2);
}

int main(void)
{
    test_ids_in_order();
    test_not_found();
    test_names();
    test_copies_name();
    test_growth();
    test_two_tables();
    return test_summary();
}
