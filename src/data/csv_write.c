/* csv_write.c: writing bar series as CSV (the layout tr_csv_read_file reads). */
#include "data/csv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

int tr_bars_all_midnight(const tr_bars *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].time % TR_NS_PER_DAY != 0)
            return 0;
    return 1;
}

int tr_csv_write_file(const char *path, const tr_bars *s)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return TR_ERR_IO;
    }
    FILE *f = fopen(tmp, "w");
    if (!f)
        return TR_ERR_IO;
    char buf[1 << 16]; /* lives until fclose below */
    setvbuf(f, buf, _IOFBF, sizeof buf);
    int date_only = tr_bars_all_midnight(s);
    fputs(s->adj_close ? "date,open,high,low,close,adj close,volume\n"
                       : "date,open,high,low,close,volume\n", f);
    char line[256];
    for (size_t i = 0; i < s->n; i++) {
        const tr_bar *b = &s->v[i];
        size_t n = date_only ? tr_time_format_date(b->time, line, 64)
                             : tr_time_format(b->time, line, 64);
        const tr_fx vals[] = {b->open, b->high, b->low, b->close,
                              s->adj_close ? s->adj_close[i] : 0, b->volume};
        for (int k = 0; k < 6; k++) {
            if (k == 4 && !s->adj_close)
                continue;
            line[n++] = ',';
            n += tr_fx_format(vals[k], line + n, TR_FX_STRLEN);
        }
        line[n++] = '\n';
        fwrite(line, 1, n, f);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        int saved = errno;
        remove(tmp);
        errno = saved;
        return TR_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        int saved = errno;
        remove(tmp);
        errno = saved;
        return TR_ERR_IO;
    }
    return TR_OK;
}
