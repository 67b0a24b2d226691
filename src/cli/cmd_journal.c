/* cmd_journal.c: `trader journal inspect|verify|tail DIR`. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "engine/engine.h"
#include "engine/live.h"
#include "store/event.h"
#include "store/journal.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader journal inspect DIR\n"
            "       trader journal verify DIR\n"
            "       trader journal tail [-n N] [-f] DIR\n"
            "\n"
            "The event journal of a `trader run` (its run.journal folder):\n"
            "  inspect  segments, records by type, sequence and time range,\n"
            "           the engine snapshots (record, size, time, contents)\n"
            "  verify   check every record's checksum and payload and the\n"
            "           sequence's continuity; exit 1 at the first damage,\n"
            "           saying where (segment file and offset)\n"
            "  tail     the last N records (default 20) as JSON lines; -f keeps\n"
            "           following new records until interrupted\n"
            "\n"
            "Exit status: 0 fine, 1 damage found, 2 bad usage or no journal.\n");
}

/* Decode check: a record whose payload does not decode is damage too. */
static int payload_ok(const tr_record *r)
{
    char line[2048];
    return r->type < 1 || r->type > TR_EV_TYPE_MAX ||
           tr_ev_to_json(r->seq, r->time, r->type, r->payload, r->len, line,
                         sizeof line) > 0;
}

/* The engine snapshots beside the journal, oldest first: the record each
 * follows, its size, when it was written, and what it holds. */
static void print_snapshots(const char *dir, uint64_t last)
{
    tr_snapshot_info *v = NULL;
    size_t n = 0;
    if (tr_snapshot_list(dir, 1, &v, &n) != TR_OK || !n) {
        printf("  snapshot  none\n");
        free(v);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char when[TR_TIME_STRLEN], at[TR_TIME_STRLEN];
        tr_time_format(v[i].mtime / TR_NS_PER_SEC * TR_NS_PER_SEC, when,
                       sizeof when);
        printf("  snapshot  after record %" PRIu64 ", %" PRIu64 " bytes, "
               "written %s", v[i].seq, v[i].bytes, when);
        void *data = NULL;
        size_t len = 0, elen = 0;
        const void *edata = NULL;
        uint64_t seg, off;
        tr_engine_snap_info info;
        if (!v[i].valid) {
            printf(": DAMAGED (header or checksum; a start skips it)");
        } else if (tr_snapshot_read_at(dir, v[i].seq, &data, &len, NULL, 0) ==
                       TR_OK &&
                   tr_live_snapshot_parse(data, len, &edata, &elen, &seg,
                                          &off) == TR_OK &&
                   tr_engine_snapshot_info(edata, elen, &info) == TR_OK) {
            printf(": %s on %" PRIu64 " symbols, format %" PRIu32,
                   info.strategy, info.nsyms, info.version);
            if (info.last_step != INT64_MIN) {
                tr_time_format(info.last_step, at, sizeof at);
                printf(", last step %s", at);
            }
            if (v[i].seq > last)
                printf(" (AHEAD of the journal's last record %" PRIu64
                       ": unusable)", last);
        } else {
            printf(": not an engine snapshot");
        }
        free(data);
        printf("\n");
    }
    free(v);
}

static int cmd_verify(const char *dir, int inspect)
{
    char err[4600] = "";
    tr_reader *r;
    int rc = tr_reader_open(dir, 0, &r, err, sizeof err);
    if (rc != TR_OK) {
        fprintf(stderr, "trader: journal: %s\n", err);
        return rc == TR_ERR_DATA ? 1 : 2;
    }
    uint64_t count = 0, first = 0, last = 0, by_type[TR_EV_TYPE_MAX + 2] = {0};
    tr_time t0 = 0, t1 = 0;
    tr_record rec;
    int status = 0;
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        if (!payload_ok(&rec)) {
            snprintf(err, sizeof err, "record %" PRIu64 " (%s): payload does "
                     "not decode", rec.seq, tr_event_type_name(rec.type));
            rc = TR_ERR_DATA;
            break;
        }
        if (!count)
            first = rec.seq;
        /* Market time: session and stop records carry wall-clock time. */
        if (rec.type != TR_EV_SESSION && rec.type != TR_EV_STOP) {
            if (!t0 && !t1)
                t0 = rec.time;
            t1 = rec.time;
        }
        count++;
        last = rec.seq;
        by_type[rec.type <= TR_EV_TYPE_MAX ? rec.type : TR_EV_TYPE_MAX + 1]++;
    }
    tr_reader_close(r);
    if (rc < 0) {
        printf("DAMAGED: %s\n", err);
        printf("  %" PRIu64 " good records before it", count);
        if (count)
            printf(" (%" PRIu64 "..%" PRIu64 ")", first, last);
        printf("\n");
        status = 1;
    } else if (!inspect) {
        printf("OK: %" PRIu64 " records", count);
        if (count)
            printf(", sequence %" PRIu64 "..%" PRIu64 " continuous", first, last);
        printf(", every checksum and payload valid\n");
    }
    if (inspect) {
        char a[TR_TIME_STRLEN], b[TR_TIME_STRLEN];
        printf("journal %s\n", dir);
        printf("  records   %" PRIu64, count);
        if (count) {
            tr_time_format(t0, a, sizeof a);
            tr_time_format(t1, b, sizeof b);
            printf("  (sequence %" PRIu64 "..%" PRIu64 ", market time %s .. %s)",
                   first, last, a, b);
        }
        printf("\n");
        for (int k = 1; k <= TR_EV_TYPE_MAX + 1; k++)
            if (by_type[k])
                printf("  %-9s %" PRIu64 "\n",
                       k <= TR_EV_TYPE_MAX ? tr_event_type_name((uint16_t)k)
                                           : "unknown",
                       by_type[k]);
        print_snapshots(dir, last);
        printf("  status    %s\n", status ? "DAMAGED (see above)" : "ok");
    }
    return status;
}

static volatile sig_atomic_t stop_following;

static void on_signal(int sig)
{
    (void)sig;
    stop_following = 1;
}

/* Print records from seq on; returns the next seq to read, or 0 on error. */
static uint64_t print_from(const char *dir, uint64_t from, uint64_t skip_to,
                           int quiet_damage)
{
    char err[4600];
    tr_reader *r;
    if (tr_reader_open(dir, from, &r, err, sizeof err) != TR_OK) {
        if (!quiet_damage)
            fprintf(stderr, "trader: journal: %s\n", err);
        return 0;
    }
    tr_record rec;
    uint64_t next = from;
    int rc;
    char line[4096];
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        next = rec.seq + 1;
        if (rec.seq < skip_to)
            continue;
        if (tr_ev_to_json(rec.seq, rec.time, rec.type, rec.payload, rec.len,
                          line, sizeof line))
            puts(line);
        else
            printf("{\"seq\":%" PRIu64 ",\"type\":\"%s\",\"error\":\"payload "
                   "does not decode\"}\n", rec.seq,
                   tr_event_type_name(rec.type));
    }
    if (rc < 0 && !quiet_damage) /* a writer may be mid-record: not final */
        fprintf(stderr, "trader: journal: %s\n", err);
    tr_reader_close(r);
    fflush(stdout);
    return next;
}

static int cmd_tail(const char *dir, uint64_t n, int follow)
{
    /* Find the last sequence number, then print the last n records. */
    char err[4600];
    tr_reader *r;
    if (tr_reader_open(dir, 0, &r, err, sizeof err) != TR_OK) {
        fprintf(stderr, "trader: journal: %s\n", err);
        return 2;
    }
    tr_record rec;
    uint64_t first = 0, last = 0;
    int rc;
    while ((rc = tr_reader_next(r, &rec, err, sizeof err)) == 1) {
        if (!first)
            first = rec.seq;
        last = rec.seq;
    }
    tr_reader_close(r);
    uint64_t from = last >= n ? last - n + 1 : 1;
    if (from < first)
        from = first;
    uint64_t next = last ? print_from(dir, from, from, 0) : first ? first : 1;
    if (rc < 0 && !follow) {
        fprintf(stderr, "trader: journal: %s\n", err);
        return 1;
    }
    if (!follow)
        return 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop_following) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        /* Re-read from the segment holding `next`; a record being written
         * shows as a torn tail and is simply picked up next time. */
        uint64_t got = print_from(dir, next > 1 ? next - 1 : 1, next, 1);
        if (got > next)
            next = got;
    }
    return 0;
}

int tr_cli_journal(int argc, char **argv)
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
    static const struct option longopts[] = {
        {"lines", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t n = 20;
    int follow = 0, c;
    optind = 1;
    argc--, argv++;
    while ((c = getopt_long(argc, argv, "n:fh", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || v < 1) {
                tr_cli_error("journal: -n takes a whole number >= 1, got '%s'",
                             optarg);
                return 2;
            }
            n = (uint64_t)v;
            break;
        }
        case 'f': follow = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        tr_cli_error("journal %s: give exactly one journal folder", action);
        return 2;
    }
    const char *dir = argv[optind];
    if (!strcmp(action, "inspect"))
        return cmd_verify(dir, 1);
    if (!strcmp(action, "verify"))
        return cmd_verify(dir, 0);
    if (!strcmp(action, "tail"))
        return cmd_tail(dir, n, follow);
    tr_cli_error("journal: unknown action '%s' (inspect, verify or tail)",
                 action);
    return 2;
}
