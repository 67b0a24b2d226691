/* backtests.h: backtests asked for over the API, run one at a time in a
 * worker process (`trader backtest`), never on the engine thread.
 *
 * Each job has a folder DIR/ID holding its config.yaml, job.json (status
 * and times), progress ("BARS_DONE BARS_TOTAL"), log.txt (what the worker
 * printed) and, when done, the backtest's files (metrics.json, report.html,
 * trades.csv, ...). Jobs found in DIR at start are listed too, so results
 * outlive a restart; a job that was running when the server stopped is
 * failed ("interrupted").
 *
 * Threads: every function may be called from any thread. */
#ifndef TR_BACKTESTS_H
#define TR_BACKTESTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/time.h"

typedef enum tr_job_status {
    TR_JOB_QUEUED = 0,
    TR_JOB_RUNNING,
    TR_JOB_DONE,
    TR_JOB_FAILED,
} tr_job_status;

const char *tr_job_status_name(tr_job_status s); /* "queued", ... */

typedef struct tr_job_info {
    uint64_t id;
    tr_job_status status;
    double progress;        /* 0..1 */
    tr_time created, started, finished; /* wall clock; 0 = not yet */
    char who[32];           /* who asked ("api:alice") */
    char name[64];          /* the config's name */
    char error[512];        /* why it failed, or "" */
    char dir[4096];         /* its folder */
} tr_job_info;

typedef struct tr_bt_jobs tr_bt_jobs;

/* Jobs in folder dir (created), run with the trader executable exe.
 * TR_ERR_IO / TR_ERR_NOMEM with a message in err. */
int tr_bt_jobs_start(const char *dir, const char *exe, tr_bt_jobs **out,
                     char *err, size_t errlen);

/* Stop: a running worker is terminated (its job fails "interrupted"), the
 * runner thread joined, everything freed. NULL is fine. */
void tr_bt_jobs_stop(tr_bt_jobs *j);

/* A new job for the YAML config text[0..len), checked before it is
 * queued: TR_ERR_INVALID with the config's error ("config.yaml:LINE:
 * ...") in err, TR_ERR_FULL when too many jobs wait, TR_ERR_IO,
 * TR_ERR_NOMEM. *id gets its id. */
int tr_bt_jobs_submit(tr_bt_jobs *j, const char *text, size_t len,
                      const char *who, uint64_t *id, char *err,
                      size_t errlen);

/* The job's state now: TR_OK, or TR_ERR_NOT_FOUND. */
int tr_bt_jobs_get(tr_bt_jobs *j, uint64_t id, tr_job_info *out);

/* The newest jobs first, at most max; returns how many. */
size_t tr_bt_jobs_list(tr_bt_jobs *j, tr_job_info *out, size_t max);

#endif
