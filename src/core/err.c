/* err.c: messages for tr_err codes. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *tr_strerror(int err)
{
    switch ((tr_err)err) {
    case TR_OK: return "success";
    case TR_ERR_NOMEM: return "out of memory";
    case TR_ERR_INVALID: return "invalid input";
    case TR_ERR_RANGE: return "value out of range";
    case TR_ERR_DIV_ZERO: return "division by zero";
    case TR_ERR_IO: return "input/output error";
    case TR_ERR_NOT_FOUND: return "not found";
    case TR_ERR_DATA: return "input data refused";
    case TR_ERR_FULL: return "capacity exhausted";
    case TR_ERR_USAGE: return "usage error";
    }
    return "unknown error";
}

void tr_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
