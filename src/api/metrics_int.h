/* metrics_int.h: the metrics registry's fault-injection hook, for tests only
 * (not API; see metrics.h for that).
 *
 * A registry made with faults asks fail(ctx) before every allocation it
 * makes (registration, series creation, render buffer growth); a nonzero
 * answer makes that allocation fail, which is how tests drive every
 * TR_ERR_NOMEM path and check that nothing leaks and the registry stays
 * usable. fail is called with the registry mutex held (except for the
 * registry itself); ctx must stay valid until tr_metrics_free. */
#ifndef TR_METRICS_INT_H
#define TR_METRICS_INT_H

#include "api/metrics.h"

typedef struct tr__metrics_faults {
    int (*fail)(void *ctx); /* nonzero: fail this allocation */
    void *ctx;
} tr__metrics_faults;

/* tr_metrics_new with faults (NULL: none). */
int tr__metrics_new_faults(const tr__metrics_faults *faults,
                           tr_metrics **out /* OUT */);

#endif
