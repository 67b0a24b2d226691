/* test.h: the minimal check helper shared by the unit tests.
 *
 * Each tests/unit/test_*.c is its own executable: it includes this header,
 * runs its checks and ends main() with `return test_summary();`, which prints
 * "N passed, N failed" and gives exit status 1 when any check failed. A
 * failed check prints file:line, the expression and the values, then the run
 * goes on so that one run shows every failure. */
#ifndef TR_TEST_H
#define TR_TEST_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int test_passed_ __attribute__((unused));
static int test_failed_ __attribute__((unused));

__attribute__((unused, format(printf, 4, 5))) static int
test_check_(int ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        test_passed_++;
        return 1;
    }
    test_failed_++;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: FAIL: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 0;
}

/* Every CHECK evaluates to 1 when it passed, 0 when it failed. */
#define CHECK(cond) test_check_(!!(cond), __FILE__, __LINE__, "%s", #cond)

/* CHECK with a printf-style note (the case being tested, ...). */
#define CHECK_MSG(cond, ...) test_check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define CHECK_EQ_I64(a, b)                                                     \
    test_check_i64_(__FILE__, __LINE__, #a, #b, (int64_t)(a), (int64_t)(b))

#define CHECK_STR(a, b) test_check_str_(__FILE__, __LINE__, #a, #b, (a), (b))

__attribute__((unused)) static int
test_check_i64_(const char *file, int line, const char *ea, const char *eb,
                int64_t a, int64_t b)
{
    return test_check_(a == b, file, line,
                       "%s == %s: got %" PRId64 ", expected %" PRId64, ea, eb,
                       a, b);
}

__attribute__((unused)) static int test_check_str_(const char *file, int line,
                                                   const char *ea,
                                                   const char *eb,
                                                   const char *a, const char *b)
{
    int ok = (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
    return test_check_(ok, file, line, "%s == %s: got \"%s\", expected \"%s\"",
                       ea, eb, a ? a : "(null)", b ? b : "(null)");
}

/* Print the summary line; the exit status for main(). */
__attribute__((unused)) static int test_summary(void)
{
    printf("%d passed, %d failed\n", test_passed_, test_failed_);
    fflush(stdout);
    return test_failed_ ? 1 : 0;
}

#endif
