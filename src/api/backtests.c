/* backtests.c: backtest jobs in worker processes (see backtests.h). */
#include "api/backtests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/err.h"
#include "core/files.h"
#include "core/log.h"
#include "engine/backtest.h"

extern char **environ;

#define MAX_JOBS 4096   /* kept in memory (the oldest are forgotten) */
#define MAX_QUEUED 16

typedef struct job {
    tr_job_info info;
} job;

struct tr_bt_jobs {
    char *dir, *exe;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t runner;
    int started, stopping;
    job *v;             /* by id order */
    size_t n, cap;
    uint64_t next_id;
    pid_t child;        /* the running worker, 0 when none */
};

const char *tr_job_status_name(tr_job_status s)
{
    static const char *names[] = {"queued", "running", "done", "failed"};
    return (unsigned)s <= TR_JOB_FAILED ? names[s] : "?";
}

/* job.json: what a restart needs to list the job again. */
static void save_job(const tr_job_info *in)
{
    json_t *o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:s}",
                          "id", (json_int_t)in->id, "status",
                          tr_job_status_name(in->status), "created",
                          (json_int_t)in->created, "started",
                          (json_int_t)in->started, "finished",
                          (json_int_t)in->finished, "who", in->who, "name",
                          in->name, "error", in->error);
    if (!o)
        return;
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/job.json", in->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(o, tmp, JSON_COMPACT) == 0)
        rename(tmp, path);
    json_decref(o);
}

static job *find(tr_bt_jobs *j, uint64_t id)
{
    for (size_t i = 0; i < j->n; i++)
        if (j->v[i].info.id == id)
            return &j->v[i];
    return NULL;
}

static job *add(tr_bt_jobs *j)
{
    if (j->n == MAX_JOBS) { /* forget the oldest finished one */
        size_t k = 0;
        while (k < j->n && j->v[k].info.status < TR_JOB_DONE)
            k++;
        if (k == j->n)
            return NULL;
        memmove(&j->v[k], &j->v[k + 1], (j->n - k - 1) * sizeof *j->v);
        j->n--;
    }
    if (j->n == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 16;
        job *v = realloc(j->v, cap * sizeof *v);
        if (!v)
            return NULL;
        j->v = v;
        j->cap = cap;
    }
    job *x = &j->v[j->n++];
    memset(x, 0, sizeof *x);
    return x;
}

/* Jobs left by an earlier run of the server. */
static int id_cmp(const void *a, const void *b)
{
    uint64_t x = ((const job *)a)->info.id, y = ((const job *)b)->info.id;
    return x < y ? -1 : x > y;
}

static void load_old(tr_bt_jobs *j)
{
    DIR *d = opendir(j->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        unsigned long long id = strtoull(e->d_name, &end, 10);
        if (!id || *end)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s/job.json", j->dir, e->d_name);
        json_t *o = json_load_file(path, 0, NULL);
        if (!o)
            continue;
        job *x = add(j);
        if (!x) {
            json_decref(o);
            break;
        }
        tr_job_info *in = &x->info;
        in->id = id;
        snprintf(in->dir, sizeof in->dir, "%s/%s", j->dir, e->d_name);
        const char *st = json_string_value(json_object_get(o, "status"));
        in->status = st && !strcmp(st, "done") ? TR_JOB_DONE : TR_JOB_FAILED;
        in->created = json_integer_value(json_object_get(o, "created"));
        in->started = json_integer_value(json_object_get(o, "started"));
        in->finished = json_integer_value(json_object_get(o, "finished"));
        const char *s;
        if ((s = json_string_value(json_object_get(o, "who"))))
            snprintf(in->who, sizeof in->who, "%s", s);
        if ((s = json_string_value(json_object_get(o, "name"))))
            snprintf(in->name, sizeof in->name, "%s", s);
        if ((s = json_string_value(json_object_get(o, "error"))))
            snprintf(in->error, sizeof in->error, "%s", s);
        if (st && strcmp(st, "done") && strcmp(st, "failed")) {
            snprintf(in->error, sizeof in->error,
                     "interrupted: the server stopped while it %s",
                     strcmp(st, "queued") ? "ran" : "waited");
            in->finished = in->finished ? in->finished : tr_time_now();
            save_job(in);
        }
        if (id >= j->next_id)
            j->next_id = id + 1;
        json_decref(o);
    }
    closedir(d);
    if (j->n) qsort(j->v, j->n, sizeof *j->v, id_cmp); /* v is NULL when none */
}

/* The last line the worker printed (its error), from log.txt. */
static void last_line(const char *dir, char *out, size_t size)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    FILE *f = fopen(path, "r");
    out[0] = '\0';
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || line[0] == '\r')
            continue;
        size_t n = strnlen(line, size - 1);
        memcpy(out, line, n);
        out[n] = '\0';
    }
    fclose(f);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
}

/* Run job x (lock not held): the worker process, until it exits. */
static void run_job(tr_bt_jobs *j, job *x, tr_job_info *copy)
{
    char cfg[4200], log[4200], prog[4200];
    snprintf(cfg, sizeof cfg, "%s/config.yaml", copy->dir);
    snprintf(log, sizeof log, "%s/log.txt", copy->dir);
    snprintf(prog, sizeof prog, "%s/progress", copy->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    char a_bt[] = "backtest", a_c[] = "-c", a_out[] = "--out",
         a_pf[] = "--progress-file";
    char *argv[] = {j->exe, a_bt, a_c, cfg, a_out, copy->dir, a_pf, prog,
                    NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, j->exe, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    pthread_mutex_lock(&j->mu);
    x = find(j, copy->id);
    if (rc != 0) {
        if (x) {
            x->info.status = TR_JOB_FAILED;
            x->info.finished = tr_time_now();
            snprintf(x->info.error, sizeof x->info.error,
                     "cannot start the worker: %s", strerror(rc));
            save_job(&x->info);
        }
        pthread_mutex_unlock(&j->mu);
        return;
    }
    j->child = pid;
    pthread_mutex_unlock(&j->mu);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&j->mu);
    j->child = 0;
    x = find(j, copy->id);
    if (x) {
        x->info.finished = tr_time_now();
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            x->info.status = TR_JOB_DONE;
            x->info.progress = 1;
        } else {
            x->info.status = TR_JOB_FAILED;
            char why[400];
            last_line(x->info.dir, why, sizeof why);
            if (j->stopping)
                snprintf(x->info.error, sizeof x->info.error,
                         "interrupted: the server stopped while it ran");
            else if (WIFSIGNALED(status))
                snprintf(x->info.error, sizeof x->info.error,
                         "the worker died of signal %d", WTERMSIG(status));
            else
                snprintf(x->info.error, sizeof x->info.error, "%s",
                         why[0] ? why : "the backtest failed");
        }
        save_job(&x->info);
    }
    pthread_mutex_unlock(&j->mu);
}

static void *runner_main(void *arg)
{
    tr_bt_jobs *j = arg;
    pthread_mutex_lock(&j->mu);
    for (;;) {
        job *next = NULL;
        for (size_t i = 0; i < j->n && !next; i++)
            if (j->v[i].info.status == TR_JOB_QUEUED)
                next = &j->v[i];
        if (j->stopping)
            break;
        if (!next) {
            pthread_cond_wait(&j->wake, &j->mu);
            continue;
        }
        next->info.status = TR_JOB_RUNNING;
        next->info.started = tr_time_now();
        save_job(&next->info);
        tr_job_info copy = next->info;
        pthread_mutex_unlock(&j->mu);
        run_job(j, next, &copy);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

int tr_bt_jobs_start(const char *dir, const char *exe, tr_bt_jobs **out,
                     char *err, size_t errlen)
{
    if (tr_mkdir_p(dir) != TR_OK) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return TR_ERR_IO;
    }
    tr_bt_jobs *j = calloc(1, sizeof *j);
    if (!j)
        return TR_ERR_NOMEM;
    j->dir = strdup(dir);
    j->exe = strdup(exe);
    j->next_id = 1;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->wake, NULL);
    if (!j->dir || !j->exe) {
        tr_bt_jobs_stop(j);
        return TR_ERR_NOMEM;
    }
    load_old(j);
    if (pthread_create(&j->runner, NULL, runner_main, j) != 0) {
        snprintf(err, errlen, "cannot start the backtest runner");
        tr_bt_jobs_stop(j);
        return TR_ERR_IO;
    }
    j->started = 1;
    *out = j;
    return TR_OK;
}

void tr_bt_jobs_stop(tr_bt_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    if (j->child)
        kill(j->child, SIGTERM);
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->mu);
    if (j->started)
        pthread_join(j->runner, NULL);
    /* Queued jobs stay queued on disk: a restart lists them interrupted. */
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->wake);
    free(j->v);
    free(j->dir);
    free(j->exe);
    free(j);
}

int tr_bt_jobs_submit(tr_bt_jobs *j, const char *text, size_t len,
                      const char *who, uint64_t *id, char *err, size_t errlen)
{
    pthread_mutex_lock(&j->mu);
    size_t queued = 0;
    for (size_t i = 0; i < j->n; i++)
        queued += j->v[i].info.status == TR_JOB_QUEUED;
    if (queued >= MAX_QUEUED) {
        pthread_mutex_unlock(&j->mu);
        snprintf(err, errlen, "%zu backtests are waiting already; try again "
                 "when one has run", queued);
        return TR_ERR_FULL;
    }
    uint64_t n = j->next_id++;
    pthread_mutex_unlock(&j->mu);

    tr_job_info in;
    memset(&in, 0, sizeof in);
    in.id = n;
    in.created = tr_time_now();
    snprintf(in.who, sizeof in.who, "%s", who);
    snprintf(in.dir, sizeof in.dir, "%s/%" PRIu64, j->dir, n);
    char path[4200];
    snprintf(path, sizeof path, "%s/config.yaml", in.dir);
    FILE *f = NULL;
    if (tr_mkdir_p(in.dir) != TR_OK || !(f = fopen(path, "w")) ||
        fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return TR_ERR_IO;
    }
    /* Check it now, so that a bad config is an answer, not a failed job. */
    tr_bt_config cfg;
    int rc = tr_bt_config_load(path, &cfg, err, errlen);
    if (rc != TR_OK) {
        remove(path);
        rmdir(in.dir);
        return rc == TR_ERR_NOMEM ? rc : TR_ERR_INVALID;
    }
    snprintf(in.name, sizeof in.name, "%s", cfg.engine.strategy->name);
    tr_bt_config_free(&cfg);
    in.status = TR_JOB_QUEUED;
    save_job(&in);
    pthread_mutex_lock(&j->mu);
    job *x = add(j);
    if (x)
        x->info = in;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->mu);
    if (!x)
        return TR_ERR_NOMEM;
    *id = n;
    return TR_OK;
}

/* Progress of a running job from its progress file. */
static double read_progress(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/progress", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long done = 0, total = 0;
    int n = fscanf(f, "%llu %llu", &done, &total);
    fclose(f);
    return n == 2 && total ? (double)done / (double)total : 0;
}

int tr_bt_jobs_get(tr_bt_jobs *j, uint64_t id, tr_job_info *out)
{
    pthread_mutex_lock(&j->mu);
    job *x = find(j, id);
    if (x)
        *out = x->info;
    pthread_mutex_unlock(&j->mu);
    if (!x)
        return TR_ERR_NOT_FOUND;
    if (out->status == TR_JOB_RUNNING)
        out->progress = read_progress(out->dir);
    return TR_OK;
}

size_t tr_bt_jobs_list(tr_bt_jobs *j, tr_job_info *out, size_t max)
{
    pthread_mutex_lock(&j->mu);
    size_t k = 0;
    for (size_t i = j->n; i-- > 0 && k < max;)
        out[k++] = j->v[i].info;
    pthread_mutex_unlock(&j->mu);
    for (size_t i = 0; i < k; i++)
        if (out[i].status == TR_JOB_RUNNING)
            out[i].progress = read_progress(out[i].dir);
    return k;
}
