/* log.c: readable lines on a terminal, JSON lines elsewhere (see log.h). */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static tr_log_level min_level = TR_LOG_INFO;
static tr_log_format log_format = TR_LOG_AUTO;
static int log_fd = 2;

static pthread_mutex_t hook_mu = PTHREAD_MUTEX_INITIALIZER;
static tr_log_hook hook_fn;
static void *hook_ctx;
static int hook_set; /* read without the lock first: no cost without hook */

void tr_log_set_hook(tr_log_hook fn, void *ctx)
{
    pthread_mutex_lock(&hook_mu);
    hook_fn = fn;
    hook_ctx = ctx;
    __atomic_store_n(&hook_set, fn != NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&hook_mu);
}

void tr_log_setup(tr_log_level min, tr_log_format format)
{
    min_level = min;
    log_format = format;
}

void tr_log_set_fd(int fd)
{
    log_fd = fd;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *tr_log_level_name(tr_log_level level)
{
    return level >= TR_LOG_DEBUG && level <= TR_LOG_ERROR ? level_names[level]
                                                          : "?";
}

int tr_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    if (strcasecmp(s, "warning") == 0)
        return TR_LOG_WARN;
    return -1;
}

/* Append s to out as the inside of a JSON string. */
static size_t json_escape(char *out, size_t cap, size_t n, const char *s)
{
    for (; *s && n + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[n++] = '\\';
            out[n++] = (char)ch;
        } else if (ch < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", ch);
        } else {
            out[n++] = (char)ch;
        }
    }
    return n;
}

void tr_log(tr_log_level level, const char *component, const char *fmt, ...)
{
    static const char *upper[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < min_level || level > TR_LOG_ERROR)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    /* Log records carry wall-clock time; they never feed engine decisions. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int ms = (int)(ts.tv_nsec / 1000000);

    int json = log_format == TR_LOG_JSON ||
               (log_format == TR_LOG_AUTO && !isatty(log_fd));
    char line[1400];
    size_t n;
    if (json) {
        n = (size_t)snprintf(line, sizeof line,
                             "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\","
                             "\"level\":\"%s\",\"component\":\"",
                             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                             level_names[level]);
        n = json_escape(line, sizeof line, n, component);
        n += (size_t)snprintf(line + n, sizeof line - n, "\",\"msg\":\"");
        n = json_escape(line, sizeof line - 3, n, msg);
        line[n++] = '"';
        line[n++] = '}';
        line[n++] = '\n';
    } else {
        int w = snprintf(line, sizeof line,
                         "%04d-%02d-%02d %02d:%02d:%02d.%03d %s %s: %s\n",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, ms, upper[level],
                         component, msg);
        n = w < 0 ? 0 : (size_t)w >= sizeof line ? sizeof line - 1 : (size_t)w;
        if (n == sizeof line - 1)
            line[n - 1] = '\n';
    }
    ssize_t rc = write(log_fd, line, n);
    (void)rc; /* nowhere left to report a failed log write */
    if (__atomic_load_n(&hook_set, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&hook_mu);
        if (hook_fn)
            hook_fn(hook_ctx, level, component, msg);
        pthread_mutex_unlock(&hook_mu);
    }
}
