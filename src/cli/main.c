/* main.c: the trader command: global options, then one subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/log.h"

#define TRADER_VERSION "0.1.0"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"data", tr_cli_data, "check CSV market data, or generate synthetic data"},
    {"indicators", tr_cli_indicators, "compute indicators over a CSV file"},
    {"backtest", tr_cli_backtest, "run a strategy over history, with a report"},
    {"run", tr_cli_run, "trade live on the paper broker, journaled"},
    {"journal", tr_cli_journal, "inspect, verify or tail an event journal"},
    {"db", tr_cli_db, "migrate or rebuild the SQLite database of a run"},
    {"status", tr_cli_status, "positions, orders, P&L and halts of a run"},
    {"keys", tr_cli_keys, "create, list or revoke API keys"},
};

const char *tr_cli_version(void)
{
    return TRADER_VERSION;
}

void tr_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("trader: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: trader [--log-level LEVEL] [--log-json] COMMAND [ARGS]\n"
            "\n"
            "An algorithmic trading system: market data, indicators,\n"
            "strategies, risk, paper and live brokers.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "options:\n"
            "  --log-level LEVEL  debug, info (default), warn or error\n"
            "                     (also the TRADER_LOG_LEVEL environment variable)\n"
            "  --log-json         JSON log lines even on a terminal\n"
            "  --version          print the version\n"
            "  -h, --help         this help\n"
            "\n"
            "'trader COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    int level = TR_LOG_INFO;
    tr_log_format format = TR_LOG_AUTO;
    const char *env = getenv("TRADER_LOG_LEVEL");
    if (env && tr_log_level_parse(env) >= 0)
        level = tr_log_level_parse(env);

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("trader %s\n", TRADER_VERSION);
            return 0;
        } else if (!strcmp(argv[i], "--log-json")) {
            format = TR_LOG_JSON;
        } else if (!strcmp(argv[i], "--log-level") && i + 1 < argc) {
            level = tr_log_level_parse(argv[++i]);
            if (level < 0) {
                tr_cli_error("unknown log level '%s' (debug, info, warn, "
                             "error)", argv[i]);
                return 2;
            }
        } else {
            tr_cli_error("unknown option '%s'; see 'trader --help'", argv[i]);
            return 2;
        }
    }
    tr_log_setup((tr_log_level)level, format);
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(argv[i], commands[k].name))
            return commands[k].run(argc - i, argv + i);
    tr_cli_error("unknown command '%s'; see 'trader --help'", argv[i]);
    return 2;
}
