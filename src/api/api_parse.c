/* api_parse.c: checking request bodies and query strings, field by field,
 * with errors that name the field and say what is wanted. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/err.h"

json_t *tr__api_body(const tr_api_request *req, tr_api_response *r)
{
    if (!req->body_len) {
        tr__api_error(r, 400, "bad_request", "a JSON object body is required",
                      NULL);
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(req->body, req->body_len,
                              JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char msg[240];
        snprintf(msg, sizeof msg, "the body is not valid JSON: %s (line %d, "
                 "column %d)", je.text, je.line, je.column);
        tr__api_error(r, 400, "bad_json", msg, NULL);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        tr__api_error(r, 400, "bad_json", "the body must be a JSON object",
                      NULL);
        return NULL;
    }
    return root;
}

int tr__api_only_fields(json_t *obj, const char *const *allowed,
                        tr_api_response *r)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(key, allowed[i]);
        if (!ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown field '%.60s'; this request "
                     "takes: ", key);
            size_t len = strlen(msg);
            for (size_t i = 0; allowed[i] && len < sizeof msg - 2; i++)
                len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s",
                                        i ? ", " : "", allowed[i]);
            tr__api_error(r, 422, "unknown_field", msg, key);
            return 0;
        }
    }
    return 1;
}

int tr__api_str_field(json_t *obj, const char *key, int required,
                      const char **out, tr_api_response *r)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!required)
            return 1;
        char msg[120];
        snprintf(msg, sizeof msg, "'%s' is required", key);
        tr__api_error(r, 422, "missing_field", msg, key);
        return 0;
    }
    if (!json_is_string(v)) {
        char msg[120];
        snprintf(msg, sizeof msg, "'%s' must be a string", key);
        tr__api_error(r, 422, "wrong_type", msg, key);
        return 0;
    }
    *out = json_string_value(v);
    return 1;
}

int tr__api_fx_field(json_t *obj, const char *key, int required, tr_fx max,
                     tr_fx *out, tr_api_response *r)
{
    json_t *v = json_object_get(obj, key);
    *out = 0;
    char msg[200];
    if (!v || json_is_null(v)) {
        if (!required)
            return 1;
        snprintf(msg, sizeof msg, "'%s' is required", key);
        tr__api_error(r, 422, "missing_field", msg, key);
        return 0;
    }
    tr_fx x = 0;
    int ok = 1;
    if (json_is_string(v)) { /* exact decimal text, at most 8 decimals */
        const char *s = json_string_value(v);
        const char *dot = strchr(s, '.');
        ok = tr_fx_parse(s, strlen(s), &x) == TR_OK && !strpbrk(s, "eE") &&
             (!dot || strspn(dot + 1, "0123456789") <= 8);
    } else if (json_is_integer(v)) {
        ok = tr_fx_from_int((int64_t)json_integer_value(v), &x) == TR_OK;
    } else if (json_is_real(v)) {
        /* A JSON number is read as a double; it must be one of ours (at
         * most 8 decimals) to well within the double's own precision. */
        double d = json_real_value(v);
        ok = isfinite(d) && tr_fx_from_double(d, &x) == TR_OK &&
             fabs(tr_fx_to_double(x) - d) <= 1e-12 * fmax(1.0, fabs(d));
    } else {
        snprintf(msg, sizeof msg, "'%s' must be a number (or a decimal "
                 "string such as \"101.25\")", key);
        tr__api_error(r, 422, "wrong_type", msg, key);
        return 0;
    }
    if (!ok) {
        snprintf(msg, sizeof msg, "'%s' is not a number we can hold exactly "
                 "(at most 8 decimals, and not that large)", key);
        tr__api_error(r, 422, "invalid", msg, key);
        return 0;
    }
    if (x <= 0) {
        snprintf(msg, sizeof msg, "'%s' must be greater than 0", key);
        tr__api_error(r, 422, "invalid", msg, key);
        return 0;
    }
    if (x > max) {
        char mx[TR_FX_STRLEN];
        tr_fx_format(max, mx, sizeof mx);
        snprintf(msg, sizeof msg, "'%s' must be at most %s", key, mx);
        tr__api_error(r, 422, "invalid", msg, key);
        return 0;
    }
    *out = x;
    return 1;
}

int tr__api_symbol(tr_api *a, const char *name, const char *field,
                   tr_sym *out, tr_api_response *r)
{
    if (tr_symtab_find(a->syms, name, out) == TR_OK)
        return 1;
    char msg[200];
    snprintf(msg, sizeof msg, "unknown symbol '%.40s': this run trades %zu "
             "symbols (GET /api/v1/positions lists them)", name,
             tr_symtab_count(a->syms));
    tr__api_error(r, field ? 422 : 404, "unknown_symbol", msg, field);
    return 0;
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

int tr__api_query(const char *query, const char *key, char *buf, size_t size)
{
    if (!query)
        return 0;
    size_t klen = strlen(key);
    const char *p = query;
    while (*p) {
        const char *end = p + strcspn(p, "&");
        if ((size_t)(end - p) >= klen && !strncmp(p, key, klen) &&
            (p[klen] == '=' || p + klen == end)) {
            const char *v = p[klen] == '=' ? p + klen + 1 : end;
            size_t n = 0;
            while (v < end && n + 1 < size) {
                if (*v == '%' && end - v >= 3 && hexval(v[1]) >= 0 &&
                    hexval(v[2]) >= 0) {
                    buf[n++] = (char)(hexval(v[1]) * 16 + hexval(v[2]));
                    v += 3;
                } else {
                    buf[n++] = *v == '+' ? ' ' : *v;
                    v++;
                }
            }
            buf[n] = '\0';
            return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}
