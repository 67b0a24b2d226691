/* merge.c: k-way merge of bar series by time (see merge.h). A linear scan
 * of the cursors per step: the instrument count is small next to the bars,
 * and it keeps the symbol order of each step for free. */
#include "engine/merge.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/err.h"

int tr_merge_init(tr_merge *m, const tr_bars *series, size_t n)
{
    m->series = series;
    m->n = n;
    m->cur = calloc(n ? n : 1, sizeof *m->cur);
    return m->cur ? TR_OK : TR_ERR_NOMEM;
}

void tr_merge_free(tr_merge *m)
{
    free(m->cur);
    m->cur = NULL;
}

void tr_merge_skip_to(tr_merge *m, tr_time t)
{
    for (size_t s = 0; s < m->n; s++)
        while (m->cur[s] < m->series[s].n && m->series[s].v[m->cur[s]].time <= t)
            m->cur[s]++;
}

size_t tr_merge_next(tr_merge *m, tr_time *t, tr_sym *syms, tr_bar *bars)
{
    tr_time best = INT64_MAX;
    for (size_t s = 0; s < m->n; s++)
        if (m->cur[s] < m->series[s].n && m->series[s].v[m->cur[s]].time < best)
            best = m->series[s].v[m->cur[s]].time;
    if (best == INT64_MAX)
        return 0;
    size_t k = 0;
    for (size_t s = 0; s < m->n; s++)
        if (m->cur[s] < m->series[s].n &&
            m->series[s].v[m->cur[s]].time == best) {
            syms[k] = (tr_sym)s;
            bars[k++] = m->series[s].v[m->cur[s]++];
        }
    *t = best;
    return k;
}
