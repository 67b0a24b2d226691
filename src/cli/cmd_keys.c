/* cmd_keys.c: `trader keys create|list|revoke`: the API keys of a run's
 * key store (api/auth.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth.h"
#include "cli/cli.h"
#include "core/err.h"
#include "engine/backtest.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader keys create --role ROLE [--name NAME] "
            "(-c CONFIG | --db FILE)\n"
            "       trader keys list (-c CONFIG | --db FILE) [--json]\n"
            "       trader keys revoke ID|NAME (-c CONFIG | --db FILE)\n"
            "\n"
            "API keys for the HTTP API and the dashboard, kept in a key\n"
            "store: a SQLite file (mode 0600) that holds each key's SHA-256,\n"
            "never the key itself. With -c it is keys.db in the folder of\n"
            "the run's database (run.database). A running API notices new\n"
            "and revoked keys within a second.\n"
            "  create  make a key and print it, once: it cannot be shown\n"
            "          again (only its id, the 8 hex digits after trk_)\n"
            "  list    every key: id, role, times, name; revoked ones too\n"
            "  revoke  end a key, by id or name, and its dashboard sessions\n"
            "\n"
            "Roles: viewer (read), trader (also signals and orders), admin\n"
            "(also control). 'trader keys COMMAND --help' for details.\n"
            "\n"
            "Exit status: 0 done, 1 no such key (revoke), 2 bad usage or\n"
            "an unreadable key store.\n");
}

static void usage_create(FILE *out)
{
    fprintf(out,
            "usage: trader keys create --role ROLE [--name NAME] "
            "(-c CONFIG | --db FILE)\n"
            "\n"
            "Make a new API key and print it on stdout (the key alone, for\n"
            "scripts; what it is goes to stderr). The key is shown this once:\n"
            "the store keeps only its hash. Send it as the header\n"
            "'Authorization: Bearer trk_...'.\n"
            "\n"
            "options:\n"
            "  -r, --role ROLE      viewer, trader or admin (required)\n"
            "  -n, --name NAME      a label: up to 64 printable ASCII\n"
            "                       characters, unique among active keys\n"
            "  -c, --config CONFIG  the run's config: keys.db next to its\n"
            "                       run.database (the folder is created)\n"
            "      --db FILE        the key store file (created when missing)\n"
            "  -h, --help           this help\n");
}

static void usage_list(FILE *out)
{
    fprintf(out,
            "usage: trader keys list (-c CONFIG | --db FILE) [--json]\n"
            "\n"
            "Every key of the store, oldest first: id, role, status, when it\n"
            "was created, last used (as recorded by the API about once a\n"
            "minute) and revoked, and its name. Times are UTC.\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  the run's config (keys.db next to its\n"
            "                       run.database)\n"
            "      --db FILE        the key store file\n"
            "      --json           a JSON array of {id, name, role, active,\n"
            "                       created_at, last_used_at, revoked_at}\n"
            "                       (times ISO 8601 or null)\n"
            "  -h, --help           this help\n");
}

static void usage_revoke(FILE *out)
{
    fprintf(out,
            "usage: trader keys revoke ID|NAME (-c CONFIG | --db FILE)\n"
            "\n"
            "Revoke a key, given its id (8 hex digits, see 'trader keys\n"
            "list') or the name of an active key. A running API refuses it\n"
            "within a second, and refuses the dashboard sessions opened\n"
            "with it. There is no undo: create a new key instead.\n"
            "\n"
            "options:\n"
            "  -c, --config CONFIG  the run's config (keys.db next to its\n"
            "                       run.database)\n"
            "      --db FILE        the key store file\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 revoked, 1 no active key by that id or name, 2\n"
            "bad usage or an unreadable key store.\n");
}

/* A time to the second, or `none` for 0. */
static const char *when(tr_time t, const char *none, char *buf)
{
    if (!t) return none;
    tr_time_format(t - t % TR_NS_PER_SEC, buf, TR_TIME_STRLEN);
    return buf;
}

/* The key store's path: --db, the config's api.keys, or keys.db beside the
 * config's run.database (api.keys defaults to that too).
 * Returns a malloc'd string, or NULL after printing why. */
static char *store_path(const char *cmd, const char *config, const char *db)
{
    if (db) return strdup(db);
    tr_bt_config cfg;
    char err[4800] = "";
    if (tr_bt_config_load(config, &cfg, err, sizeof err) != TR_OK) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    if (cfg.api.keys) { /* the api: section names it (or its default) */
        char *k = strdup(cfg.api.keys);
        tr_bt_config_free(&cfg);
        if (!k)
            tr_cli_error("keys %s: out of memory", cmd);
        return k;
    }
    const char *dbp = cfg.run.database;
    const char *slash = strrchr(dbp, '/');
    size_t dirlen = slash ? (size_t)(slash - dbp) + 1 : 0;
    char *p = malloc(dirlen + sizeof "keys.db");
    if (p) {
        memcpy(p, dbp, dirlen);
        memcpy(p + dirlen, "keys.db", sizeof "keys.db");
    } else {
        tr_cli_error("keys %s: out of memory", cmd);
    }
    tr_bt_config_free(&cfg);
    return p;
}

static tr_keys *open_store(const char *cmd, const char *config, const char *db,
                           int create)
{
    char *path = store_path(cmd, config, db);
    if (!path) return NULL;
    tr_keys *ks = NULL;
    char err[4400] = "";
    if (tr_keys_open(path, create, &ks, err, sizeof err) != TR_OK) {
        tr_cli_error("keys %s: %s", cmd, err);
        ks = NULL;
    }
    free(path);
    return ks;
}

/* The options every subcommand shares, and each one's extras. */
typedef struct opts {
    const char *config, *db, *role, *name;
    int json;
    int nargs;
    char **args;
} opts;

/* Parse argv for subcommand cmd; returns -1 to go on, else an exit
 * status. */
static int parse(const char *cmd, int argc, char **argv, void (*help)(FILE *),
                 const char *shortopts, opts *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        /* long options some subcommand does not take */
        if ((c == 'r' || c == 'n') && !strchr(shortopts, c)) c = '?';
        if (c == 'J' && strcmp(cmd, "list") != 0) c = '?';
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'd':
            o->db = optarg;
            break;
        case 'r':
            o->role = optarg;
            break;
        case 'n':
            o->name = optarg;
            break;
        case 'J':
            o->json = 1;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            tr_cli_error("keys %s: bad option (see 'trader keys %s "
                         "--help')",
                         cmd, cmd);
            return 2;
        }
    }
    if (!o->config == !o->db) {
        tr_cli_error("keys %s: give -c CONFIG or --db FILE (see 'trader "
                     "keys %s --help')",
                     cmd, cmd);
        return 2;
    }
    o->nargs = argc - optind;
    o->args = argv + optind;
    return -1;
}

static int cmd_create(int argc, char **argv)
{
    opts o;
    int st = parse("create", argc, argv, usage_create, "c:r:n:h", &o);
    if (st >= 0) return st;
    char err[4400] = "";
    tr_role role;
    if (o.nargs) {
        tr_cli_error("keys create: unexpected argument '%s'", o.args[0]);
        return 2;
    }
    if (!o.role) {
        tr_cli_error("keys create: give --role viewer, trader or admin");
        return 2;
    }
    if (tr_role_parse(o.role, &role, err, sizeof err) != TR_OK) {
        tr_cli_error("keys create: %s", err);
        return 2;
    }
    if (o.name && tr_key_name_check(o.name, err, sizeof err) != TR_OK) {
        tr_cli_error("keys create: --name: %s", err);
        return 2;
    }
    tr_keys *ks = open_store("create", o.config, o.db, 1);
    if (!ks) return 2;
    char key[TR_KEY_LEN + 1];
    tr_key_info info;
    int rc = tr_keys_create(ks, role, o.name, tr_time_now(), key, &info, err,
                            sizeof err);
    tr_keys_close(ks);
    if (rc != TR_OK) {
        tr_cli_error("keys create: %s", err);
        return 2;
    }
    fprintf(stderr, "created %s key %s%s%s%s\n", tr_role_name(info.role),
            info.id, info.name[0] ? " ('" : "", info.name,
            info.name[0] ? "')" : "");
    puts(key);
    fflush(stdout);
    fprintf(stderr, "warning: copy this key now: it cannot be shown again\n");
    memset(key, 0, sizeof key);
    return 0;
}

static json_t *json_time(tr_time t)
{
    char buf[TR_TIME_STRLEN];
    return t ? json_string(when(t, "", buf)) : json_null();
}

static int print_json(const tr_key_info *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:b,s:o,s:o,s:o}", "id", v[i].id, "name", v[i].name,
            "role", tr_role_name(v[i].role), "active", !v[i].revoked_at,
            "created_at", json_time(v[i].created_at), "last_used_at",
            json_time(v[i].last_used_at), "revoked_at",
            json_time(v[i].revoked_at));
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    char *s = a ? json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(a);
    if (!s) {
        tr_cli_error("keys list: out of memory");
        return 2;
    }
    puts(s);
    free(s);
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    opts o;
    int st = parse("list", argc, argv, usage_list, "c:h", &o);
    if (st >= 0) return st;
    if (o.nargs) {
        tr_cli_error("keys list: unexpected argument '%s'", o.args[0]);
        return 2;
    }
    tr_keys *ks = open_store("list", o.config, o.db, 0);
    if (!ks) return 2;
    tr_key_info *v = NULL;
    size_t n = 0;
    char err[4400] = "";
    int rc = tr_keys_list(ks, &v, &n, err, sizeof err);
    tr_keys_close(ks);
    if (rc != TR_OK) {
        tr_cli_error("keys list: %s", err);
        return 2;
    }
    if (o.json) {
        st = print_json(v, n);
    } else if (!n) {
        printf("no keys (create one with 'trader keys create')\n");
        st = 0;
    } else {
        printf("%-8s  %-6s  %-7s  %-20s  %-20s  %-20s  %s\n", "ID", "ROLE",
               "STATUS", "CREATED", "LAST USED", "REVOKED", "NAME");
        for (size_t i = 0; i < n; i++) {
            char a[TR_TIME_STRLEN], b[TR_TIME_STRLEN], c[TR_TIME_STRLEN];
            printf(
                "%-8s  %-6s  %-7s  %-20s  %-20s  %-20s  %s\n", v[i].id,
                tr_role_name(v[i].role), v[i].revoked_at ? "revoked" : "active",
                when(v[i].created_at, "-", a),
                when(v[i].last_used_at, "never", b),
                when(v[i].revoked_at, "-", c), v[i].name[0] ? v[i].name : "-");
        }
        st = 0;
    }
    free(v);
    return st;
}

static int cmd_revoke(int argc, char **argv)
{
    opts o;
    int st = parse("revoke", argc, argv, usage_revoke, "c:h", &o);
    if (st >= 0) return st;
    if (o.nargs != 1) {
        tr_cli_error("keys revoke: give one key id or name (see 'trader "
                     "keys list')");
        return 2;
    }
    tr_keys *ks = open_store("revoke", o.config, o.db, 0);
    if (!ks) return 2;
    tr_key_info info;
    char err[4400] = "";
    int rc = tr_keys_revoke(ks, o.args[0], tr_time_now(), &info, err, sizeof err);
    tr_keys_close(ks);
    if (rc != TR_OK) {
        tr_cli_error("keys revoke: %s", err);
        return rc == TR_ERR_NOT_FOUND ? 1 : 2;
    }
    printf("revoked %s key %s%s%s%s\n", tr_role_name(info.role), info.id,
           info.name[0] ? " ('" : "", info.name, info.name[0] ? "')" : "");
    return 0;
}

int tr_cli_keys(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(sub, "create")) return cmd_create(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return cmd_list(argc - 1, argv + 1);
    if (!strcmp(sub, "revoke")) return cmd_revoke(argc - 1, argv + 1);
    tr_cli_error("keys: unknown command '%s' (create, list or revoke; see "
                 "'trader keys --help')",
                 sub);
    return 2;
}
