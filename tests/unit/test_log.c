/* test_log.c: log records as JSON lines (escaped) or text lines, and level
 * filtering; tr_strerror names every code. */
#include <stdlib.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "test.h"

/* Run fn with the log going into a pipe; return what it wrote. */
static const char *capture(void (*fn)(void))
{
    static char buf[8192];
    int fds[2];
    if (pipe(fds) != 0)
        return "";
    tr_log_set_fd(fds[1]);
    fn();
    close(fds[1]);
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    buf[n > 0 ? n : 0] = '\0';
    tr_log_set_fd(2);
    return buf;
}

static void emit(void)
{
    tr_log(TR_LOG_DEBUG, "test", "hidden %d", 1);
    tr_log(TR_LOG_INFO, "csv", "read %d bars from \"a\\b.csv\"\n", 5550);
    tr_log(TR_LOG_ERROR, "engine", "halted");
}

int main(void)
{
    tr_log_setup(TR_LOG_INFO, TR_LOG_JSON);
    const char *out = capture(emit);
    CHECK_MSG(strstr(out, "hidden") == NULL, "debug below the level: %s", out);
    CHECK_MSG(strstr(out, "\"level\":\"info\",\"component\":\"csv\","
                          "\"msg\":\"read 5550 bars from \\\"a\\\\b.csv\\\"\\u000a\"}\n"),
              "JSON record, escaped: %s", out);
    CHECK_MSG(strstr(out, "{\"ts\":\"") == out, "starts with a timestamp: %s", out);
    CHECK_MSG(strstr(out, "\"level\":\"error\",\"component\":\"engine\","
                          "\"msg\":\"halted\"}\n"), "%s", out);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    CHECK_EQ_I64(lines, 2);

    tr_log_setup(TR_LOG_DEBUG, TR_LOG_TEXT);
    out = capture(emit);
    CHECK_MSG(strstr(out, " DEBUG test: hidden 1\n") != NULL, "%s", out);
    CHECK_MSG(strstr(out, " ERROR engine: halted\n") != NULL, "%s", out);

    tr_log_setup(TR_LOG_ERROR, TR_LOG_TEXT);
    out = capture(emit);
    CHECK_MSG(strstr(out, "csv") == NULL && strstr(out, "halted"), "%s", out);

    CHECK_EQ_I64(tr_log_level_parse("WARN"), TR_LOG_WARN);
    CHECK_EQ_I64(tr_log_level_parse("warning"), TR_LOG_WARN);
    CHECK_EQ_I64(tr_log_level_parse("debug"), TR_LOG_DEBUG);
    CHECK_EQ_I64(tr_log_level_parse("loud"), -1);

    for (int e = TR_ERR_USAGE; e <= TR_OK; e++)
        CHECK_MSG(strcmp(tr_strerror(e), "unknown error") != 0, "code %d", e);
    CHECK_STR(tr_strerror(TR_ERR_RANGE), "value out of range");
    CHECK_STR(tr_strerror(-1000), "unknown error");
    return test_summary();
}
