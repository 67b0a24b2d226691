/* cmd_db.c: `trader db migrate` and `trader db rebuild`: the SQLite
 * projection of a run's journal. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/err.h"
#include "engine/backtest.h"
#include "store/projection.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader db migrate (-c CONFIG | --db FILE)\n"
            "       trader db rebuild (-c CONFIG | --db FILE --journal DIR)\n"
            "\n"
            "The SQLite database of a `trader run` (its run.database) is a\n"
            "projection of the run's event journal (run.journal): `trader\n"
            "run` keeps it up to date on a thread of its own, and it can\n"
            "always be built again from the journal.\n"
            "  migrate  bring the database's schema up to date (creating the\n"
            "           file when missing); each migration is a transaction\n"
            "  rebuild  build the database anew from the whole journal: into\n"
            "           FILE.tmp first, then installed in one step (renamed\n"
            "           in, or, when FILE exists, copied over it in one\n"
            "           transaction, so that a running `trader run` and\n"
            "           readers never see a half-built database; the run's\n"
            "           projection goes on from there)\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  take run.database and run.journal from it\n"
            "      --db FILE        the database file\n"
            "      --journal DIR    the journal folder (rebuild)\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 done, 1 the journal is damaged (rebuild installs\n"
            "the records before the damage and says where it stopped), 2 bad\n"
            "usage, config or database.\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_migrate(const char *db)
{
    char err[4800] = "";
    int from = 0, to = 0;
    double t0 = now_s();
    int rc = tr_proj_migrate(db, 0, &from, &to, err, sizeof err);
    double dt = now_s() - t0;
    if (rc != TR_OK) {
        tr_cli_error("db migrate: %s", err);
        return 2;
    }
    if (from == to)
        printf("%s: schema version %d, up to date (%.3f s)\n", db, to, dt);
    else
        printf("%s: schema version %d -> %d (%d migration%s applied in "
               "%.3f s)\n", db, from, to, to - from, to - from == 1 ? "" : "s",
               dt);
    return 0;
}

static int do_rebuild(const char *db, const char *journal)
{
    char err[4800] = "";
    tr_proj_counts c = {0};
    double t0 = now_s();
    int rc = tr_proj_rebuild(journal, db, &c, err, sizeof err);
    double dt = now_s() - t0;
    if (rc != TR_OK && rc != TR_ERR_DATA) {
        tr_cli_error("db rebuild: %s", err);
        return 2;
    }
    double per = dt > 0 ? 1.0 / dt : 0;
    printf("%s: rebuilt from %s: %" PRIu64 " records applied (%" PRIu64
           " rows written, %" PRIu64 " transactions) in %.3f s: %.0f "
           "records/s, %.0f rows/s\n", db, journal, c.records, c.rows,
           c.batches, dt, (double)c.records * per, (double)c.rows * per);
    if (c.skipped)
        printf("%s: %" PRIu64 " records of event types this build does not "
               "know were skipped\n", db, c.skipped);
    if (rc == TR_ERR_DATA) {
        tr_cli_error("db rebuild: the journal is damaged: %s", err);
        return 1;
    }
    return 0;
}

int tr_cli_db(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(stdout);
        return 0;
    }
    const char *action = argv[1];
    int migrate = !strcmp(action, "migrate");
    int rebuild = !strcmp(action, "rebuild");
    if (!migrate && !rebuild) {
        tr_cli_error("db: unknown action '%s' (migrate or rebuild)", action);
        return 2;
    }
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"journal", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *db = NULL, *journal = NULL;
    int c;
    optind = 1;
    argc--, argv++;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'd': db = optarg; break;
        case 'j': journal = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        tr_cli_error("db %s: unexpected argument '%s'", action, argv[optind]);
        return 2;
    }
    if (config && (db || journal)) {
        tr_cli_error("db %s: give -c CONFIG, or --db (and --journal), not "
                     "both", action);
        return 2;
    }
    if (!config && (!db || (rebuild && !journal))) {
        tr_cli_error("db %s: -c CONFIG or --db FILE%s is required (see "
                     "'trader db --help')", action,
                     rebuild ? " --journal DIR" : "");
        return 2;
    }
    if (migrate && journal) {
        tr_cli_error("db migrate: --journal is for rebuild");
        return 2;
    }
    tr_bt_config cfg;
    int have_cfg = 0;
    if (config) {
        char err[4800] = "";
        if (tr_bt_config_load(config, &cfg, err, sizeof err) != TR_OK) {
            fprintf(stderr, "%s\n", err);
            return 2;
        }
        have_cfg = 1;
        db = cfg.run.database;
        journal = cfg.run.journal;
    }
    int status = migrate ? do_migrate(db) : do_rebuild(db, journal);
    if (have_cfg)
        tr_bt_config_free(&cfg);
    return status;
}
