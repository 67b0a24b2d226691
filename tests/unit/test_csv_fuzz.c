/* test_csv_fuzz.c: the CSV reader on randomly damaged files. Whatever the
 * damage, it must not crash (this runs under ASan/UBSan too), every stored
 * bar must satisfy the row rules, and every data line must be either stored
 * or reported - nothing silently dropped. */
#include <stdlib.h>

#include "core/err.h"
#include "data/csv.h"
#include "data/gen.h"
#include "test.h"

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void) /* xorshift64: deterministic test input */
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

typedef struct tally {
    size_t reported;
    size_t last_line;
    int ordered;
} tally;

static void on_problem(void *ctx, const char *file, size_t line,
                       const char *reason)
{
    tally *t = ctx;
    (void)file;
    (void)reason;
    t->ordered &= line > t->last_line;
    t->last_line = line;
    t->reported++;
}

static size_t data_lines(const char *s, size_t n)
{
    /* Non-blank lines after the first non-blank one (the header). */
    size_t count = 0;
    int blank = 1, header_seen = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\n') {
            if (!blank) {
                if (header_seen)
                    count++;
                header_seen = 1;
            }
            blank = 1;
        } else if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
                   !(i < 3 && (unsigned char)s[i] >= 0xBB)) {
            blank = 0;
        }
    }
    return count;
}

int main(void)
{
    tr_bars src;
    tr_bars_init(&src);
    tr_gen_opts o = {.seed = 3, .bars = 60, .interval = TR_GEN_1M};
    tr_time_parse("2024-03-04", 10, &o.start);
    tr_gen_series(&o, 0, &src);
    const char *path = "/tmp/test_csv_fuzz_src.csv";
    tr_csv_write_file(path, &src);
    FILE *f = fopen(path, "rb");
    char base[16384];
    size_t base_n = f ? fread(base, 1, sizeof base, f) : 0;
    if (f)
        fclose(f);
    remove(path);
    CHECK(base_n > 1000);

    static const char alphabet[] = "0123456789.,-+eE:TZ \"\r\n\t\x00\xff";
    int bad_invariant = 0, lost = 0, unordered = 0, crashed_rc = 0;
    char buf[20000];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = base_n;
        memcpy(buf, base, n);
        int edits = 1 + (int)(next() % 8);
        for (int e = 0; e < edits; e++) {
            size_t at = next() % n;
            char ch = alphabet[next() % (sizeof alphabet - 1)];
            switch (next() % 3) {
            case 0: buf[at] = ch; break;
            case 1:
                memmove(buf + at, buf + at + 1, n - at - 1);
                n--;
                break;
            default:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = ch;
                    n++;
                }
            }
        }
        tr_bars out;
        tr_bars_init(&out);
        tally t = {0, 0, 1};
        tr_csv_opts opts = {.report = on_problem, .report_ctx = &t};
        size_t bad = 0;
        int rc = tr_csv_read_mem("fuzz", buf, n, &opts, &out, &bad);
        crashed_rc += rc != TR_OK && rc != TR_ERR_DATA;
        unordered += !t.ordered;
        for (size_t i = 0; i < out.n; i++) {
            const tr_bar *b = &out.v[i];
            tr_fx top = b->open > b->close ? b->open : b->close;
            tr_fx bot = b->open < b->close ? b->open : b->close;
            bad_invariant += !(b->open > 0 && b->close > 0 && b->low > 0 &&
                               b->high >= top && b->low <= bot &&
                               b->volume >= 0 &&
                               (i == 0 || b->time > out.v[i - 1].time));
        }
        /* With a readable header, each data line is stored or reported. */
        if (out.n > 0 || rc == TR_OK)
            lost += out.n + t.reported != data_lines(buf, n);
        tr_bars_free(&out);
    }
    CHECK_EQ_I64(crashed_rc, 0);
    CHECK_EQ_I64(bad_invariant, 0);
    CHECK_EQ_I64(lost, 0);
    CHECK_EQ_I64(unordered, 0);
    tr_bars_free(&src);
    return test_summary();
}
