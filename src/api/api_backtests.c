/* api_backtests.c: POST /backtests and what it became: the job's status,
 * progress and metrics, and its HTML report. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/err.h"

#define MAX_CONFIG (256 * 1024)

static int jobs_ready(tr_api *a, tr_api_response *r)
{
    if (a->d.jobs)
        return 1;
    tr__api_error(r, 503, "unavailable", "backtests are not available in "
                  "this server", NULL);
    return 0;
}

/* A whole small file, NUL-terminated; NULL when missing or too big. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void write_job(tr_jw *w, const tr_job_info *in, int with_metrics)
{
    tr_jw_obj(w);
    tr_jw_kint(w, "id", (int64_t)in->id);
    tr_jw_kstr(w, "status", tr_job_status_name(in->status));
    tr_jw_knum(w, "progress", in->progress);
    tr_jw_kstr(w, "strategy", in->name);
    tr_jw_kstr(w, "who", in->who);
    tr_jw_ktime(w, "created_at", in->created);
    tr_jw_ktime(w, "started_at", in->started);
    tr_jw_ktime(w, "finished_at", in->finished);
    tr_jw_key(w, "error");
    if (in->error[0])
        tr_jw_str(w, in->error);
    else
        tr_jw_null(w);
    char link[96];
    snprintf(link, sizeof link, "/api/v1/backtests/%" PRIu64 "/report",
             in->id);
    tr_jw_key(w, "report");
    if (in->status == TR_JOB_DONE)
        tr_jw_str(w, link);
    else
        tr_jw_null(w);
    if (with_metrics) {
        /* metrics.json as the backtest wrote it (our own JSON). */
        char path[4200];
        snprintf(path, sizeof path, "%s/metrics.json", in->dir);
        size_t len = 0;
        char *m = in->status == TR_JOB_DONE ? slurp(path, 16 << 20, &len)
                                            : NULL;
        tr_jw_key(w, "metrics");
        if (m && len)
            tr_jw_raw(w, m, len);
        else
            tr_jw_null(w);
        free(m);
    }
    tr_jw_end(w);
}

void tr__api_backtest_post(tr_api *a, const tr_api_request *req,
                           const tr_key_info *who, const char (*seg)[96],
                           tr_api_response *r)
{
    (void)seg;
    if (!jobs_ready(a, r))
        return;
    json_t *b = tr__api_body(req, r);
    if (!b)
        return;
    const char *text = NULL;
    if (!tr__api_only_fields(b, (const char *[]){"config", NULL}, r) ||
        !tr__api_str_field(b, "config", 1, &text, r))
        goto out;
    size_t len = strlen(text);
    if (!len || len > MAX_CONFIG) {
        tr__api_error(r, 422, "invalid", "config must be the text of a "
                      "backtest YAML file (at most 256 KiB)", "config");
        goto out;
    }
    char by[32], err[1200];
    snprintf(by, sizeof by, "api:%.27s", who->name[0] ? who->name : who->id);
    uint64_t id = 0;
    int rc = tr_bt_jobs_submit(a->d.jobs, text, len, by, &id, err,
                               sizeof err);
    if (rc == TR_ERR_INVALID) {
        char msg[1300];
        snprintf(msg, sizeof msg, "the config is refused: %s", err);
        tr__api_error(r, 422, "invalid_config", msg, "config");
        goto out;
    }
    if (rc == TR_ERR_FULL) {
        tr__api_error(r, 429, "busy", err, NULL);
        snprintf(r->headers, sizeof r->headers, "Retry-After: 10\r\n");
        goto out;
    }
    if (rc != TR_OK) {
        tr__api_error(r, 503, "unavailable", err[0] ? err : tr_strerror(rc),
                      NULL);
        goto out;
    }
    tr_job_info in;
    if (tr_bt_jobs_get(a->d.jobs, id, &in) != TR_OK) {
        tr__api_error(r, 500, "internal", "the job vanished", NULL);
        goto out;
    }
    tr_jw w;
    tr_jw_init(&w);
    write_job(&w, &in, 0);
    tr__api_json(r, 202, &w);
    snprintf(r->headers, sizeof r->headers,
             "Location: /api/v1/backtests/%" PRIu64 "\r\n", id);
out:
    json_decref(b);
}

void tr__api_backtests(tr_api *a, const tr_api_request *req,
                       const tr_key_info *who, const char (*seg)[96],
                       tr_api_response *r)
{
    (void)req, (void)who, (void)seg;
    if (!jobs_ready(a, r))
        return;
    enum { MAX = 100 };
    tr_job_info *v = malloc(MAX * sizeof *v);
    if (!v) {
        tr__api_error(r, 500, "out_of_memory", "out of memory", NULL);
        return;
    }
    size_t n = tr_bt_jobs_list(a->d.jobs, v, MAX);
    tr_jw w;
    tr_jw_init(&w);
    tr_jw_obj(&w);
    tr_jw_key(&w, "backtests");
    tr_jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        write_job(&w, &v[i], 0);
    tr_jw_end(&w);
    tr_jw_end(&w);
    free(v);
    tr__api_json(r, 200, &w);
}

static int job_of(tr_api *a, const char *s, tr_job_info *in,
                  tr_api_response *r)
{
    char *end;
    unsigned long long id = strtoull(s, &end, 10);
    if (!*s || *end || !id || tr_bt_jobs_get(a->d.jobs, id, in) != TR_OK) {
        tr__api_error(r, 404, "not_found", "no such backtest", NULL);
        return 0;
    }
    return 1;
}

void tr__api_backtest(tr_api *a, const tr_api_request *req,
                      const tr_key_info *who, const char (*seg)[96],
                      tr_api_response *r)
{
    (void)req, (void)who;
    tr_job_info in;
    if (!jobs_ready(a, r) || !job_of(a, seg[1], &in, r))
        return;
    tr_jw w;
    tr_jw_init(&w);
    write_job(&w, &in, 1);
    tr__api_json(r, 200, &w);
}

void tr__api_backtest_report(tr_api *a, const tr_api_request *req,
                             const tr_key_info *who, const char (*seg)[96],
                             tr_api_response *r)
{
    (void)req, (void)who;
    tr_job_info in;
    if (!jobs_ready(a, r) || !job_of(a, seg[1], &in, r))
        return;
    if (in.status != TR_JOB_DONE) {
        tr__api_error(r, 409, "conflict", in.status == TR_JOB_FAILED
                      ? "the backtest failed: it has no report"
                      : "the backtest has not finished yet", NULL);
        return;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/report.html", in.dir);
    size_t len = 0;
    char *html = slurp(path, 256 << 20, &len);
    if (!html) {
        tr__api_error(r, 404, "not_found", "the report file is missing",
                      NULL);
        return;
    }
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
    r->body = html;
    r->body_len = len;
}
