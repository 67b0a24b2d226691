/* err.h: the one error-code enum of libtrader and its messages.
 *
 * Functions return 0 (TR_OK) or a negative tr_err; tr_strerror() names it.
 * Where a caller needs to know *where* input was bad (file, line, field), the
 * function also fills a caller-provided message buffer; the code says what
 * kind of failure it was.
 *
 * Out-of-memory policy: library functions return TR_ERR_NOMEM and leave their
 * outputs untouched; they never abort. The CLI turns it into an exit status. */
#ifndef TR_ERR_H
#define TR_ERR_H

#include <stddef.h>

typedef enum tr_err {
    TR_OK = 0,
    TR_ERR_NOMEM = -1,     /* allocation failed */
    TR_ERR_INVALID = -2,   /* argument or input is malformed */
    TR_ERR_RANGE = -3,     /* value does not fit (fixed-point overflow, ...) */
    TR_ERR_DIV_ZERO = -4,  /* division by zero */
    TR_ERR_IO = -5,        /* read or write failed; errno has the detail */
    TR_ERR_NOT_FOUND = -6, /* no such file, symbol, key, ... */
    TR_ERR_DATA = -7,      /* input data refused (bad rows); see the report */
    TR_ERR_FULL = -8,      /* a fixed-capacity table or queue is full */
    TR_ERR_USAGE = -9,     /* command-line usage error */
} tr_err;

/* Static English text for a code; never NULL, "unknown error" for codes that
 * are not in the enum. Any thread. */
const char *tr_strerror(int err);

/* Write a printf-style message into the caller's err[errlen] (nothing when
 * err is NULL or errlen 0). Any thread. */
void tr_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
