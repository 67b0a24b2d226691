/* csv.h: reading OHLCV bars from the CSV layouts users bring.
 *
 * The header row names the columns, in any case and order:
 *   date | time | timestamp | datetime   (required, any tr_time_parse form)
 *   open, high, low, close               (required)
 *   adj close | adj_close | adjclose     (optional)
 *   volume                               (required)
 * Other columns are ignored. A UTF-8 BOM, CRLF line ends, surrounding spaces
 * and double quotes around fields, and trailing blank lines are accepted.
 *
 * Every row is validated; a bad row is refused (not stored) with its line
 * number and the reason:
 *   unparsable field, missing field, non-positive or non-finite price,
 *   high below max(open, close), low above min(open, close), negative volume,
 *   duplicate or out-of-order time, value out of the fixed-point range.
 * Rows after a refused one are still checked (against the last accepted
 * time), so one pass reports every problem. */
#ifndef TR_CSV_H
#define TR_CSV_H

#include <stddef.h>

#include "data/bar.h"

/* Called once per refused row (and once for a bad header, line 1). reason is
 * a short lower-case phrase such as "high 9.5 is below max(open, close) 10";
 * it is borrowed for the duration of the call. */
typedef void (*tr_csv_report_fn)(void *ctx, const char *file, size_t line,
                                 const char *reason);

typedef struct tr_csv_opts {
    tr_csv_report_fn report; /* NULL: problems are only counted */
    void *report_ctx;
    size_t max_problems;     /* stop reading after this many; 0 = no limit */
    /* Called after each accepted row is stored (bar index out->n - 1) with
     * its line number; NULL when not needed (e.g. to map bars back to lines
     * in messages). */
    void (*accepted)(void *ctx, size_t line);
    void *accepted_ctx;
} tr_csv_opts;

/* Read file path into out (which must be empty or initialised; bars are
 * appended). opts may be NULL. *bad_rows (may be NULL) gets the number of
 * refused rows.
 * Returns TR_OK when every row was good, TR_ERR_DATA when any row or the
 * header was refused (out then holds the good rows), TR_ERR_NOT_FOUND or
 * TR_ERR_IO when the file cannot be read (errno is set), TR_ERR_NOMEM. */
int tr_csv_read_file(const char *path, const tr_csv_opts *opts, tr_bars *out,
                     size_t *bad_rows);

/* The same over a buffer in memory; name is used in reports. */
int tr_csv_read_mem(const char *name, const char *buf, size_t len,
                    const tr_csv_opts *opts, tr_bars *out, size_t *bad_rows);

/* Write s as CSV to path: a header "date,open,high,low,close[,adj close],volume"
 * and one row per bar; times as "YYYY-MM-DD" when every bar is at midnight
 * UTC, else as "2024-01-02T14:30:00Z". The file is written to path.tmp and
 * renamed, so a reader never sees half a file. TR_ERR_IO (errno set). */
int tr_csv_write_file(const char *path, const tr_bars *s);

/* 1 when every bar of s is at midnight UTC (daily data), else 0. */
int tr_bars_all_midnight(const tr_bars *s);

#endif
