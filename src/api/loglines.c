/* loglines.c: the latest log lines (see loglines.h). */
#include "api/loglines.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct tr_loglines {
    pthread_mutex_t mu;
    tr_log_line v[TR_LOGLINES_KEEP]; /* ring: line id sits at id % KEEP */
    uint64_t last;                   /* id of the newest; 0: none yet */
};

tr_loglines *tr_loglines_new(void)
{
    tr_loglines *l = calloc(1, sizeof *l);
    if (l)
        pthread_mutex_init(&l->mu, NULL);
    return l;
}

void tr_loglines_free(tr_loglines *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void tr_loglines_add(tr_loglines *l, tr_log_level level, const char *component,
                     const char *msg, tr_time time)
{
    pthread_mutex_lock(&l->mu);
    tr_log_line *x = &l->v[++l->last % TR_LOGLINES_KEEP];
    x->id = l->last;
    x->level = level;
    x->time = time;
    snprintf(x->component, sizeof x->component, "%s", component);
    snprintf(x->msg, sizeof x->msg, "%s", msg);
    pthread_mutex_unlock(&l->mu);
}

/* The oldest id still kept (1 when nothing was overwritten). */
static uint64_t oldest(const tr_loglines *l)
{
    return l->last > TR_LOGLINES_KEEP ? l->last - TR_LOGLINES_KEEP + 1 : 1;
}

size_t tr_loglines_after(tr_loglines *l, uint64_t after, tr_log_line *out,
                         size_t max, uint64_t *missed)
{
    pthread_mutex_lock(&l->mu);
    uint64_t from = after + 1, first = oldest(l);
    if (missed)
        *missed = from < first && l->last ? first - from : 0;
    if (from < first)
        from = first;
    size_t n = 0;
    for (uint64_t id = from; id <= l->last && n < max; id++)
        out[n++] = l->v[id % TR_LOGLINES_KEEP];
    pthread_mutex_unlock(&l->mu);
    return n;
}

size_t tr_loglines_latest(tr_loglines *l, tr_log_level min, tr_log_line *out,
                          size_t max)
{
    pthread_mutex_lock(&l->mu);
    size_t n = 0;
    for (uint64_t id = l->last, first = oldest(l); id >= first && id && n < max;
         id--) {
        const tr_log_line *x = &l->v[id % TR_LOGLINES_KEEP];
        if (x->level >= min)
            out[n++] = *x;
    }
    pthread_mutex_unlock(&l->mu);
    return n;
}
