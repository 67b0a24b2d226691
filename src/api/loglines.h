/* loglines.h: the latest log lines of the process (info and above), kept
 * in a bounded ring for GET /api/v1/logs and the stream's logs channel, so
 * that a dashboard opened late still sees what happened before it came.
 *
 * Threads: any thread adds (the log hook runs on the thread that logs);
 * any thread reads. One mutex; a line is copied in and out, never shared. */
#ifndef TR_LOGLINES_H
#define TR_LOGLINES_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/time.h"

#define TR_LOGLINES_KEEP 500

typedef struct tr_log_line {
    uint64_t id;             /* 1, 2, ... in the order added */
    tr_log_level level;
    tr_time time;            /* wall clock */
    char component[24];
    char msg[480];           /* cut to fit */
} tr_log_line;

typedef struct tr_loglines tr_loglines;

/* NULL when out of memory. */
tr_loglines *tr_loglines_new(void);
void tr_loglines_free(tr_loglines *l);

/* Keep one line (the oldest goes when TR_LOGLINES_KEEP are kept). */
void tr_loglines_add(tr_loglines *l, tr_log_level level, const char *component,
                     const char *msg, tr_time time);

/* Up to max lines with id > after, oldest first, into out; their count.
 * Lines that went out of the ring meanwhile are not there: *missed (may be
 * NULL) says how many. */
size_t tr_loglines_after(tr_loglines *l, uint64_t after, tr_log_line *out,
                         size_t max, uint64_t *missed);

/* The newest max lines of level min or above, newest first; their count. */
size_t tr_loglines_latest(tr_loglines *l, tr_log_level min, tr_log_line *out,
                          size_t max);

#endif
