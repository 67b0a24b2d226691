/* bench_csv.c: CSV reader throughput (rows/s into memory).
 * Target (issue 2): >= 2 million rows/s. Writes a synthetic file of one-minute
 * bars to $TMPDIR, reads it back several times and reports the median. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "data/csv.h"
#include "data/gen.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)atol(argv[1]) : 2000000;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/trader_bench_%d.csv", tmp, (int)getpid());

    tr_bars s;
    tr_bars_init(&s);
    tr_gen_opts o = {.seed = 7, .bars = rows, .interval = TR_GEN_1M};
    tr_time_parse("2024-01-02", 10, &o.start);
    if (tr_gen_series(&o, 0, &s) != TR_OK || tr_csv_write_file(path, &s) != 0) {
        fprintf(stderr, "bench_csv: cannot prepare %s\n", path);
        return 1;
    }
    tr_bars_free(&s);
    struct stat st;
    stat(path, &st);

    enum { RUNS = 5 };
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        tr_bars in;
        tr_bars_init(&in);
        double t0 = now();
        int rc = tr_csv_read_file(path, NULL, &in, NULL);
        t[r] = now() - t0;
        if (rc != TR_OK || in.n != rows) {
            fprintf(stderr, "bench_csv: read %zu of %zu rows (%s)\n", in.n,
                    rows, tr_strerror(rc));
            remove(path);
            return 1;
        }
        tr_bars_free(&in);
    }
    remove(path);
    qsort(t, RUNS, sizeof t[0], cmp_double);
    double med = t[RUNS / 2];
    printf("csv read: %zu rows (%.1f MB, 1-minute bars, ISO datetimes)\n",
           rows, (double)st.st_size / 1e6);
    printf("  median of %d runs: %.3f s = %.2f million rows/s, %.0f MB/s "
           "(target >= 2 million rows/s)\n", RUNS, med, (double)rows / med / 1e6,
           (double)st.st_size / med / 1e6);
    return 0;
}
