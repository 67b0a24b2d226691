/* bar.c: growable bar series. */
#include "data/bar.h"

#include <stdlib.h>

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

int tr_bars_reserve(tr_bars *s, size_t cap, int with_adj_close)
{
    if (cap <= s->cap && (!with_adj_close || s->adj_close))
        return TR_OK;
    if (cap < s->cap)
        cap = s->cap;
    tr_bar *v = realloc(s->v, cap * sizeof *v);
    if (!v)
        return TR_ERR_NOMEM;
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
