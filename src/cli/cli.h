/* cli.h: the trader subcommands and the helpers they share.
 *
 * Each subcommand is int tr_cli_NAME(int argc, char **argv) with argv[0] the
 * subcommand's own name; it returns the process exit status (0 ok, 1 the
 * command found problems in its input, 2 usage error or failure). Every
 * subcommand prints its usage on --help / -h to stdout and exits 0. */
#ifndef TR_CLI_H
#define TR_CLI_H

int tr_cli_data(int argc, char **argv);       /* data check | data gen */
int tr_cli_indicators(int argc, char **argv); /* indicators --data --ind */
int tr_cli_backtest(int argc, char **argv);   /* backtest -c CONFIG */
int tr_cli_journal(int argc, char **argv);    /* journal inspect|verify|tail */
int tr_cli_run(int argc, char **argv);        /* run -c CONFIG */
int tr_cli_db(int argc, char **argv);         /* db migrate|rebuild */
int tr_cli_status(int argc, char **argv);     /* status -c CONFIG */
int tr_cli_keys(int argc, char **argv);       /* keys create|list|revoke */

/* "0.1.0" */
const char *tr_cli_version(void);

/* Print "trader: <message>\n" to stderr (printf-style). */
void tr_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
