/* log.h: structured logging to stderr.
 *
 * On a terminal each record is a readable line
 *     2026-11-22 10:00:00.123 INFO  csv: read 5550 bars from ttrc.csv
 * otherwise (a file, a pipe, a service manager) one JSON object per line
 *     {"ts":"2026-11-22T10:00:00.123Z","level":"info","component":"csv","msg":"..."}
 *
 * The settings are process-wide: set them once in main() before any thread
 * starts (the one piece of global state: log output is not business state).
 * tr_log itself may be called from any thread; each record is one write(2). */
#ifndef TR_LOG_H
#define TR_LOG_H

typedef enum tr_log_level {
    TR_LOG_DEBUG = 0,
    TR_LOG_INFO = 1,
    TR_LOG_WARN = 2,
    TR_LOG_ERROR = 3,
} tr_log_level;

typedef enum tr_log_format {
    TR_LOG_AUTO = 0, /* text on a terminal, JSON otherwise */
    TR_LOG_TEXT = 1,
    TR_LOG_JSON = 2,
} tr_log_format;

/* Records below min are dropped. Defaults: TR_LOG_INFO, TR_LOG_AUTO, fd 2. */
void tr_log_setup(tr_log_level min, tr_log_format format);

/* Send records to file descriptor fd instead of stderr (tests use a pipe). */
void tr_log_set_fd(int fd);

/* Also hand every record that passes the level to fn (the live API's log
 * channel), with a lock held: fn must be short and must not log. NULL
 * removes it; after this returns no call of the old hook is running. */
typedef void (*tr_log_hook)(void *ctx, tr_log_level level,
                            const char *component, const char *msg);
void tr_log_set_hook(tr_log_hook fn, void *ctx);

/* Parse "debug", "info", "warn", "error" (any case). -1 when unknown. */
int tr_log_level_parse(const char *s);

/* "debug", "info", "warn", "error"; "?" for no level. */
const char *tr_log_level_name(tr_log_level level);

/* Log one record; fmt is printf-style. The message is cut at 1 KiB. */
void tr_log(tr_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
