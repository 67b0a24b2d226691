/* window.c: the rolling windows shared by the indicators (ind_int.h). */
#include <stdlib.h>

#include "core/err.h"
#include "ind/ind_int.h"

int tr__win_init(tr__win *w, size_t n)
{
    double *buf = calloc(n, sizeof *buf);
    if (!buf)
        return TR_ERR_NOMEM;
    w->buf = buf;
    w->n = n;
    tr__win_reset(w);
    return TR_OK;
}

void tr__win_free(tr__win *w)
{
    free(w->buf);
    w->buf = NULL;
    w->count = 0;
}

void tr__win_reset(tr__win *w)
{
    w->head = 0;
    w->count = 0;
    tr__ksum_zero(&w->sum);
}

int tr__mono_init(tr__mono *m, size_t n)
{
    tr__mono_item *q = calloc(n, sizeof *q);
    if (!q)
        return TR_ERR_NOMEM;
    m->q = q;
    m->n = n;
    m->head = 0;
    m->size = 0;
    m->seq = 0;
    return TR_OK;
}

void tr__mono_free(tr__mono *m)
{
    free(m->q);
    m->q = NULL;
    m->size = 0;
}
