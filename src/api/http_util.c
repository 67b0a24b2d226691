/* http_util.c: static files, JSON error bodies and response helpers of the
 * HTTP server; no libwebsockets calls, so any thread may use them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "api/http_int.h"
#include "core/err.h"

/* Static files are for the dashboard: a bigger file is a mistake. */
#define TR__STATIC_MAX ((off_t)64 << 20)

const char *tr_http_method_name(tr_http_method m)
{
    switch (m) {
    case TR_HTTP_GET:
        return "GET";
    case TR_HTTP_HEAD:
        return "HEAD";
    case TR_HTTP_POST:
        return "POST";
    case TR_HTTP_PUT:
        return "PUT";
    case TR_HTTP_PATCH:
        return "PATCH";
    case TR_HTTP_DELETE:
        return "DELETE";
    case TR_HTTP_OPTIONS:
        return "OPTIONS";
    }
    return "?";
}

const char *tr__http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    }
    if (status >= 200 && status < 300) return "Success";
    if (status >= 400 && status < 500) return "Client Error";
    return "Error";
}

static const char *default_code(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 408:
        return "request_timeout";
    case 409:
        return "conflict";
    case 411:
        return "length_required";
    case 413:
        return "payload_too_large";
    case 415:
        return "unsupported_media_type";
    case 422:
        return "unprocessable";
    case 429:
        return "rate_limited";
    case 431:
        return "headers_too_large";
    case 503:
        return "unavailable";
    }
    return status >= 500 ? "internal" : "error";
}

char *tr_http_error_json(int status, const char *code, const char *message,
                         const char *field)
{
    json_t *err = json_object();
    json_t *root = json_object();
    char *out = NULL;
    if (!err || !root) goto done;
    if (json_object_set_new(err, "code",
                            json_string(code ? code : default_code(status))) ||
        json_object_set_new(
            err, "message",
            json_string(message ? message : tr__http_reason(status))) ||
        json_object_set_new(err, "field",
                            field ? json_string(field) : json_null()))
        goto done;
    if (json_object_set(root, "error", err)) goto done;
    out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
done:
    json_decref(err);
    json_decref(root);
    return out;
}

int tr_http_response_header(tr_http_response *resp, const char *name,
                            const char *value)
{
    static const char *const reserved[] = {"content-length", "content-type",
                                           "connection", "transfer-encoding"};
    if (!resp || !name || !value || !*name) return TR_ERR_INVALID;
    if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n")) return TR_ERR_INVALID;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (!strcasecmp(name, reserved[i])) return TR_ERR_INVALID;
    size_t nl = strlen(name), vl = strlen(value);
    size_t need = nl + 2 + vl + 2;
    if (resp->headers_len + need >= sizeof resp->headers) return TR_ERR_FULL;
    char *p = resp->headers + resp->headers_len;
    memcpy(p, name, nl);
    memcpy(p + nl, ": ", 2);
    memcpy(p + nl + 2, value, vl);
    memcpy(p + nl + 2 + vl, "\r\n", 2);
    resp->headers_len += need;
    resp->headers[resp->headers_len] = '\0';
    return TR_OK;
}

int tr_http_response_set(tr_http_response *resp, int status, const char *body,
                         size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy) return TR_ERR_NOMEM;
    if (len) memcpy(copy, body, len);
    copy[len] = '\0';
    free(resp->body);
    resp->body = copy;
    resp->body_len = len;
    resp->status = status;
    return TR_OK;
}

int tr_http_response_error(tr_http_response *resp, int status, const char *code,
                           const char *message, const char *field)
{
    char *j = tr_http_error_json(status, code, message, field);
    if (!j) return TR_ERR_NOMEM;
    free(resp->body);
    resp->body = j;
    resp->body_len = strlen(j);
    resp->status = status;
    resp->content_type = "application/json";
    return TR_OK;
}

const char *tr__http_mime(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"png", "image/png"},
        {"svg", "image/svg+xml"},
        {"ico", "image/vnd.microsoft.icon"},
        {"txt", "text/plain; charset=utf-8"},
        {"woff2", "font/woff2"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcasecmp(dot + 1, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* A path segment that must never be served: "..", ".", hidden files. */
static int bad_segments(const char *path)
{
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '.') return 1;
        while (*p && *p != '/')
            p++;
    }
    return 0;
}

static int not_found(tr_http_response *resp)
{
    return tr_http_response_error(resp, 404, "not_found", "no such file", NULL);
}

static int read_file(int fd, off_t size, tr_http_response *resp)
{
    char *buf = malloc((size_t)size + 1);
    if (!buf) return TR_ERR_NOMEM;
    size_t got = 0;
    while (got < (size_t)size) {
        ssize_t n = read(fd, buf + got, (size_t)size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break; /* shrank while we read: serve what is there */
        got += (size_t)n;
    }
    buf[got] = '\0';
    free(resp->body);
    resp->body = buf;
    resp->body_len = got;
    resp->status = 200;
    return TR_OK;
}

int tr__http_static(const char *root_real, const char *path,
                    tr_http_response *resp)
{
    char full[PATH_MAX], real[PATH_MAX];
    if (path[0] != '/' || bad_segments(path)) return not_found(resp);
    size_t pl = strlen(path);
    int n = snprintf(full, sizeof full, "%s%s%s", root_real, path,
                     path[pl - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof full || !realpath(full, real))
        return not_found(resp);
    /* realpath resolved symlinks: the file must still be under the root. */
    size_t rl = strlen(root_real);
    if (strncmp(real, root_real, rl) != 0 || real[rl] != '/')
        return not_found(resp);
    struct stat st;
    if (stat(real, &st) != 0) return not_found(resp);
    if (S_ISDIR(st.st_mode)) {
        size_t l = strlen(real);
        if (l + sizeof "/index.html" > sizeof real) return not_found(resp);
        memcpy(real + l, "/index.html", sizeof "/index.html");
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return not_found(resp);
    int rc;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        rc = not_found(resp);
    else if (st.st_size > TR__STATIC_MAX)
        rc = tr_http_response_error(resp, 500, "internal",
                                    "file too large to serve", NULL);
    else {
        rc = read_file(fd, st.st_size, resp);
        if (rc == TR_OK) resp->content_type = tr__http_mime(real);
    }
    close(fd);
    return rc;
}

int tr__url_encode(char *dst, size_t cap, size_t len, const char *src, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)src[i];
        bool keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                    ch == '_' || ch == '~'; /* RFC 3986 unreserved */
        if (keep) {
            if (len + 1 >= cap) return TR_ERR_FULL;
            dst[len++] = (char)ch;
        } else {
            if (len + 3 >= cap) return TR_ERR_FULL;
            dst[len++] = '%';
            dst[len++] = hex[ch >> 4];
            dst[len++] = hex[ch & 15];
        }
    }
    dst[len] = '\0';
    return (int)len;
}
