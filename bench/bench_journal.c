/* bench_journal.c: journal throughput.
 *   appends of 1 million 64-byte events, committed in groups of 100 (one
 *   engine step's worth), under each fsync policy (target >= 1 million
 *   events/s with group commit);
 *   reading them back with checksum verification.
 * The journal lives in $TMPDIR (default /tmp): the figures are for that
 * disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "store/journal.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void rm_journal(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_journal: could not remove %s\n", dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    const size_t N = 1000000, GROUP = 100;
    static const struct { tr_fsync_policy p; const char *name; size_t n; }
    runs[] = {
        {TR_FSYNC_OS, "os (no fsync)", 1000000},
        {TR_FSYNC_INTERVAL, "interval 10 ms", 1000000},
        {TR_FSYNC_ALWAYS, "always (fsync every group of 100)", 100000},
    };
    uint8_t payload[64];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    char dir[512];
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        snprintf(dir, sizeof dir, "%s/trader_bench_journal_%d_%zu", tmp,
                 (int)getpid(), r);
        rm_journal(dir);
        tr_journal_opts o = {.fsync = runs[r].p, .interval_ms = 10};
        tr_journal *j;
        char err[512];
        if (tr_journal_open(dir, &o, &j, err, sizeof err) != TR_OK) {
            fprintf(stderr, "bench_journal: %s\n", err);
            return 1;
        }
        double t0 = now();
        for (size_t i = 0; i < runs[r].n; i++) {
            memcpy(payload, &i, sizeof i);
            if (tr_journal_append(j, 2, (tr_time)i, payload, sizeof payload,
                                  NULL) != TR_OK)
                return 1;
            if ((i + 1) % GROUP == 0 &&
                tr_journal_commit(j, (uint64_t)((now() - t0) * 1000)) != TR_OK)
                return 1;
        }
        if (tr_journal_close(j) != TR_OK)
            return 1;
        double t = now() - t0;
        printf("append, fsync %-36s %9.0f events/s (%zu events)\n",
               runs[r].name, (double)runs[r].n / t, runs[r].n);
        if (r == 0) {
            tr_reader *rd;
            tr_record rec;
            size_t n = 0;
            t0 = now();
            if (tr_reader_open(dir, 1, &rd, err, sizeof err) != TR_OK)
                return 1;
            while (tr_reader_next(rd, &rec, err, sizeof err) == 1)
                n++;
            tr_reader_close(rd);
            t = now() - t0;
            printf("read back with CRC checks                  %9.0f events/s "
                   "(%zu events)\n", (double)n / t, n);
            if (n != N)
                return 1;
        }
        rm_journal(dir);
    }
    return 0;
}
