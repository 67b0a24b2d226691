/* csv.c: streaming OHLCV CSV reader with per-row validation (see csv.h).
 *
 * The file is read in 1 MiB blocks; complete lines are parsed in place, so
 * memory stays flat however large the file is, and nothing is copied except
 * the bars kept. Numbers go straight from text to tr_fx (no strtod), which
 * is what makes millions of rows a second possible. */
#include "data/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

enum role { R_DATE, R_TIME, R_OPEN, R_HIGH, R_LOW, R_CLOSE, R_ADJ, R_VOL, NROLES };
static const char *role_name[NROLES] = {"date",  "time",  "open",      "high",
                                        "low",   "close", "adj close", "volume"};
#define MAX_COLS 64
#define BLOCK    (1u << 20)

typedef struct field {
    const char *s;
    size_t n;
} field;

typedef struct parser {
    const char *name;
    const tr_csv_opts *opts;
    tr_bars *out;
    size_t line;           /* 1-based number of the line being parsed */
    int have_header;
    int ncols;             /* columns in the header */
    int col_of[NROLES];    /* column index of each role, -1 when absent */
    int split_time;        /* separate date and time columns */
    int has_adj;
    tr_time last_time;
    size_t last_line;      /* line of the last accepted row, 0 = none */
    size_t problems, bad_rows;
    int stop;              /* max_problems reached */
    int nomem;
} parser;

static void report(parser *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(parser *p, size_t line, const char *fmt, ...)
{
    p->problems++;
    if (p->opts && p->opts->report) {
        char reason[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof reason, fmt, ap);
        va_end(ap);
        p->opts->report(p->opts->report_ctx, p->name, line, reason);
    }
    if (p->opts && p->opts->max_problems && p->problems >= p->opts->max_problems)
        p->stop = 1;
}

/* Trim spaces and one pair of surrounding double quotes. */
static field trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        s++;
        n -= 2;
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
    }
    field f = {s, n};
    return f;
}

/* Split a line into at most max fields; commas inside double quotes do not
 * split. Returns the number of fields. */
static int split(const char *s, size_t n, field *f, int max)
{
    int k = 0;
    size_t start = 0;
    int quoted = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] == '"')
            quoted = !quoted;
        else if (i == n || (s[i] == ',' && !quoted)) {
            if (k < max)
                f[k] = trim(s + start, i - start);
            k++;
            start = i + 1;
        }
    }
    return k;
}

static int header_role(const field *h)
{
    /* Lower-case, without '<' '>' (MetaTrader's "<OPEN>") and separators. */
    char name[32];
    size_t m = 0;
    for (size_t i = 0; i < h->n && m + 1 < sizeof name; i++) {
        char ch = h->s[i];
        if (ch == '<' || ch == '>' || ch == ' ' || ch == '_' || ch == '.')
            continue;
        name[m++] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    }
    name[m] = '\0';
    static const struct { const char *name; int role; } names[] = {
        {"date", R_DATE},     {"time", R_TIME},   {"timestamp", R_TIME},
        {"datetime", R_TIME}, {"open", R_OPEN},   {"high", R_HIGH},
        {"low", R_LOW},       {"close", R_CLOSE}, {"adjclose", R_ADJ},
        {"adjustedclose", R_ADJ}, {"volume", R_VOL}, {"vol", R_VOL},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].role;
    return -1;
}

static void parse_header(parser *p, const char *s, size_t n)
{
    field f[MAX_COLS];
    int k = split(s, n, f, MAX_COLS);
    if (k > MAX_COLS) {
        report(p, p->line, "header has %d columns, at most %d are supported",
               k, MAX_COLS);
        return;
    }
    for (int r = 0; r < NROLES; r++)
        p->col_of[r] = -1;
    for (int i = 0; i < k; i++) {
        int r = header_role(&f[i]);
        if (r < 0)
            continue; /* extra columns are ignored */
        if (p->col_of[r] >= 0) {
            report(p, p->line, "column '%.*s' appears twice in header",
                   (int)f[i].n, f[i].s);
            return;
        }
        p->col_of[r] = i;
    }
    /* One time column: date, time, timestamp or datetime. With both a date
     * and a time column (as some platforms export), the two are joined. */
    p->split_time = p->col_of[R_DATE] >= 0 && p->col_of[R_TIME] >= 0;
    if (p->col_of[R_TIME] < 0)
        p->col_of[R_TIME] = p->col_of[R_DATE], p->col_of[R_DATE] = -1;
    char missing[96] = "";
    int nmissing = 0;
    for (int r = R_TIME; r < NROLES; r++)
        if (r != R_ADJ && p->col_of[r] < 0) {
            nmissing++;
            size_t m = strlen(missing);
            snprintf(missing + m, sizeof missing - m, "%s'%s'", m ? ", " : "",
                     r == R_TIME ? "date" : role_name[r]);
        }
    if (missing[0]) {
        report(p, p->line, "missing column%s %s in header '%.*s'",
               nmissing > 1 ? "s" : "", missing, (int)(n > 120 ? 120 : n), s);
        return;
    }
    p->ncols = k;
    p->has_adj = p->col_of[R_ADJ] >= 0;
    if (p->has_adj && !p->out->adj_close && p->out->n == 0 &&
        tr_bars_reserve(p->out, p->out->cap ? p->out->cap : 256, 1) != TR_OK) {
        p->nomem = p->stop = 1;
        return;
    }
    p->have_header = 1;
}

static int is_nonfinite(const field *f)
{
    const char *s = f->s;
    size_t n = f->n;
    if (n && (*s == '+' || *s == '-'))
        s++, n--;
    return (n == 3 && (strncasecmp(s, "nan", 3) == 0 ||
                       strncasecmp(s, "inf", 3) == 0)) ||
           (n == 8 && strncasecmp(s, "infinity", 8) == 0);
}

/* Parse a number field; reports and returns nonzero when it is bad. */
static int number(parser *p, const field *f, int role, tr_fx *out)
{
    int rc = tr_fx_parse(f->s, f->n, out);
    if (rc == TR_OK)
        return 0;
    int w = (int)(f->n > 40 ? 40 : f->n);
    if (rc == TR_ERR_RANGE)
        report(p, p->line, "%s '%.*s' is out of range (the fixed-point limit "
               "is +-92233720368.54775807)", role_name[role], w, f->s);
    else if (is_nonfinite(f))
        report(p, p->line, "%s '%.*s' is not finite", role_name[role], w, f->s);
    else
        report(p, p->line, "cannot parse %s '%.*s' as a number",
               role_name[role], w, f->s);
    return 1;
}

static void fmt_fx(tr_fx v, char *buf)
{
    tr_fx_format(v, buf, TR_FX_STRLEN);
}

static void parse_row(parser *p, const char *s, size_t n)
{
    field f[MAX_COLS];
    int k = split(s, n, f, MAX_COLS);
    for (int r = 0; r < NROLES; r++) {
        int c = p->col_of[r];
        if (c >= 0 && (c >= k || f[c].n == 0)) {
            report(p, p->line, "missing field '%s' (row has %d of %d columns)",
                   r == R_TIME && !p->split_time ? "date" : role_name[r], k,
                   p->ncols);
            goto bad;
        }
    }

    tr_bar b;
    field tf = f[p->col_of[R_TIME]];
    char joined[80];
    if (p->split_time) {
        field df = f[p->col_of[R_DATE]];
        int m = snprintf(joined, sizeof joined, "%.*s %.*s", (int)df.n, df.s,
                         (int)tf.n, tf.s);
        tf.s = joined;
        tf.n = m < 0 ? 0 : (size_t)m >= sizeof joined ? sizeof joined - 1
                                                       : (size_t)m;
    }
    int rc = tr_time_parse(tf.s, tf.n, &b.time);
    if (rc != TR_OK) {
        report(p, p->line, "cannot parse time '%.*s'%s",
               (int)(tf.n > 40 ? 40 : tf.n), tf.s,
               rc == TR_ERR_RANGE ? ": out of range (years 1678-2261)" : "");
        goto bad;
    }
    tr_fx adj = 0;
    if (number(p, &f[p->col_of[R_OPEN]], R_OPEN, &b.open) ||
        number(p, &f[p->col_of[R_HIGH]], R_HIGH, &b.high) ||
        number(p, &f[p->col_of[R_LOW]], R_LOW, &b.low) ||
        number(p, &f[p->col_of[R_CLOSE]], R_CLOSE, &b.close) ||
        (p->has_adj && number(p, &f[p->col_of[R_ADJ]], R_ADJ, &adj)) ||
        number(p, &f[p->col_of[R_VOL]], R_VOL, &b.volume))
        goto bad;

    char x[TR_FX_STRLEN], y[TR_FX_STRLEN];
    const tr_fx prices[] = {b.open, b.high, b.low, b.close, adj};
    const int roles[] = {R_OPEN, R_HIGH, R_LOW, R_CLOSE, R_ADJ};
    for (int i = 0; i < 4 + p->has_adj; i++)
        if (prices[i] <= 0) {
            fmt_fx(prices[i], x);
            report(p, p->line, "%s %s must be positive", role_name[roles[i]], x);
            goto bad;
        }
    tr_fx top = b.open > b.close ? b.open : b.close;
    tr_fx bottom = b.open < b.close ? b.open : b.close;
    if (b.high < top) {
        fmt_fx(b.high, x);
        fmt_fx(top, y);
        report(p, p->line, "high %s is below max(open, close) %s", x, y);
        goto bad;
    }
    if (b.low > bottom) {
        fmt_fx(b.low, x);
        fmt_fx(bottom, y);
        report(p, p->line, "low %s is above min(open, close) %s", x, y);
        goto bad;
    }
    if (b.volume < 0) {
        fmt_fx(b.volume, x);
        report(p, p->line, "negative volume %s", x);
        goto bad;
    }
    if (p->last_line && b.time <= p->last_time) {
        char t1[TR_TIME_STRLEN], t0[TR_TIME_STRLEN];
        tr_time_format_short(b.time, t1, sizeof t1);
        tr_time_format_short(p->last_time, t0, sizeof t0);
        if (b.time == p->last_time)
            report(p, p->line, "duplicate time %s (same as line %zu)", t1,
                   p->last_line);
        else
            report(p, p->line, "time %s is out of order (before %s at "
                   "line %zu)", t1, t0, p->last_line);
        goto bad;
    }
    if (tr_bars_push(p->out, &b, adj) != TR_OK) {
        p->nomem = 1;
        p->stop = 1;
        return;
    }
    p->last_time = b.time;
    p->last_line = p->line;
    if (p->opts && p->opts->accepted)
        p->opts->accepted(p->opts->accepted_ctx, p->line);
    return;
bad:
    p->bad_rows++;
}

static void parse_line(parser *p, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    if (p->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3, n -= 3; /* UTF-8 byte order mark */
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == n)
        return; /* blank lines (e.g. trailing ones) carry no data */
    if (!p->have_header) {
        if (p->ncols < 0)
            return; /* a bad header was reported; rows cannot be read */
        parse_header(p, s, n);
        if (!p->have_header)
            p->ncols = -1;
        return;
    }
    parse_row(p, s, n);
}

/* Parse every complete line in buf[0..len); returns the bytes consumed. When
 * final, the last line needs no newline. */
static size_t parse_lines(parser *p, const char *buf, size_t len, int final)
{
    size_t pos = 0;
    while (pos < len && !p->stop) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl && !final)
            break;
        size_t end = nl ? (size_t)(nl - buf) : len;
        p->line++;
        parse_line(p, buf + pos, end - pos);
        pos = nl ? end + 1 : len;
    }
    return pos;
}

static void parser_init(parser *p, const char *name, const tr_csv_opts *opts,
                        tr_bars *out)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    p->opts = opts;
    p->out = out;
}

static int finish(parser *p, size_t *bad_rows)
{
    if (p->nomem)
        return TR_ERR_NOMEM;
    if (!p->have_header && p->ncols == 0 && !p->stop)
        report(p, 1, "empty file: no header row");
    if (!p->have_header)
        p->bad_rows++; /* nothing could be read */
    if (bad_rows)
        *bad_rows = p->bad_rows;
    return p->problems ? TR_ERR_DATA : TR_OK;
}

int tr_csv_read_mem(const char *name, const char *buf, size_t len,
                    const tr_csv_opts *opts, tr_bars *out, size_t *bad_rows)
{
    parser p;
    parser_init(&p, name, opts, out);
    parse_lines(&p, buf, len, 1);
    return finish(&p, bad_rows);
}

int tr_csv_read_file(const char *path, const tr_csv_opts *opts, tr_bars *out,
                     size_t *bad_rows)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? TR_ERR_NOT_FOUND : TR_ERR_IO;
    int rc = TR_OK;
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        /* ~45 bytes a row is typical; reserving avoids most regrowth. */
        rc = tr_bars_reserve(out, out->n + (size_t)st.st_size / 45 + 16, 0);
    }
    size_t cap = BLOCK, have = 0;
    char *buf = rc == TR_OK ? malloc(cap) : NULL;
    if (!buf) {
        close(fd);
        return TR_ERR_NOMEM;
    }
    parser p;
    parser_init(&p, path, opts, out);
    for (;;) {
        if (have == cap) { /* a line longer than the buffer */
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = TR_ERR_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + have, cap - have);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            rc = TR_ERR_IO;
            break;
        }
        have += (size_t)got;
        size_t used = parse_lines(&p, buf, have, got == 0);
        if (got == 0 || p.stop)
            break;
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    int saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    if (rc != TR_OK)
        return rc;
    return finish(&p, bad_rows);
}
