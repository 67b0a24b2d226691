/* bar.c: growable bar series. */
#include "data/bar.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "core/err.h"

void tr_bars_init(tr_bars *s)
{
    s->v = NULL;
    s->adj_close = NULL;
    s->n = s->cap = 0;
}

void tr_bars_free(tr_bars *s)
{
    free(s->v);
    free(s->adj_close);
    tr_bars_init(s);
}

/* Ask for transparent huge pages on a large array: streaming through
 * hundreds of megabytes of bars with 4 KiB pages costs a third of a
 * backtest's time in TLB misses on this project's machines. A hint only. */
static void huge_pages(void *p, size_t bytes)
{
    if (bytes < ((size_t)8 << 20))
        return;
    uintptr_t start = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
    uintptr_t end = ((uintptr_t)p + bytes) & ~(uintptr_t)4095;
    if (end > start)
        madvise((void *)start, end - start, MADV_HUGEPAGE);
}

int tr_bars_reserve(tr_bars *s, size_t cap, int with_adj_close)
{
    if (cap <= s->cap && (!with_adj_close || s->adj_close))
        return TR_OK;
    if (cap < s->cap)
        cap = s->cap;
    tr_bar *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return TR_ERR_NOMEM;
    huge_pages(v, cap * sizeof *v);
    s->v = v;
    if (with_adj_close || s->adj_close) {
        tr_fx *a = realloc(s->adj_close, cap * sizeof *a);
        if (!a)
            return TR_ERR_NOMEM; /* s->v grew; harmless, cap stays old */
        s->adj_close = a;
    }
    s->cap = cap;
    return TR_OK;
}

int tr_bars_push(tr_bars *s, const tr_bar *b, tr_fx adj_close)
{
    if (s->n == s->cap) {
        int rc = tr_bars_reserve(s, s->cap ? s->cap * 2 : 256,
                                 s->adj_close != NULL);
        if (rc != TR_OK)
            return rc;
    }
    s->v[s->n] = *b;
    if (s->adj_close)
        s->adj_close[s->n] = adj_close;
    s->n++;
    return TR_OK;
}
