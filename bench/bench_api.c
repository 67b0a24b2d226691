/* bench_api.c: a load generator for the REST API's POST /api/v1/signals.
 *
 *   bench_api [options] HOST PORT KEY RATE SECONDS CONNS
 *
 * Open loop (RATE > 0): request i is scheduled at t0 + i / RATE, whatever
 * the server does. It goes out on the first idle keep-alive connection
 * (HTTP/1.1, no pipelining: one request in flight per connection); when
 * every connection is busy it waits in the generator, and that wait counts.
 * Latency runs from the request's *scheduled* time to the last byte of its
 * answer, so a server that stalls is charged for every request it delays
 * (no coordinated omission). The generator's own lateness (actual send -
 * scheduled send) is reported apart, to tell a slow generator from a slow
 * server.
 *
 * Closed loop (RATE = max or 0): every connection sends its next request as
 * soon as the answer to the previous one is in: the most the server takes
 * at that concurrency. Latency then runs from the actual send.
 *
 * Each request is a valid signal: {"symbol", "action" BUY/SELL alternating,
 * "quantity": 1, "signal_id" unique}, so each one goes through the engine,
 * the risk check and the journal. An answer counts as good when it is a 200
 * whose "status" is "executed" or "rejected" (and not a duplicate); anything
 * else (another status code, another body, a closed connection, no answer
 * within the drain time after the run) is an error.
 *
 * Every latency is kept and sorted: the percentiles are exact.
 *
 * Plain C and Linux: epoll, non-blocking sockets, a timerfd for the
 * schedule. The last line of the output is a "RESULT key=value ..." line
 * for scripts. Exit status: 0 when the run had no error, 1 with errors,
 * 2 for bad usage or when it could not connect. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define MAX_SYMS  64
#define MAX_KEYS  64
#define OUT_CAP   2048
#define IN_MAX    (64 * 1024) /* an answer larger than this is an error */

typedef struct conn {
    int fd;
    int busy;          /* a request is in flight */
    uint64_t sched_ns; /* its scheduled (open) or actual (closed) send time */
    uint64_t idle_ns;  /* when it last became free */
    char out[OUT_CAP];
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    const char *key;
} conn;

typedef struct u64v {
    uint64_t *v;
    size_t n, cap;
} u64v;

static struct {
    /* options */
    const char *host, *port;
    char *keys[MAX_KEYS];
    size_t nkeys;
    char *syms[MAX_SYMS];
    size_t nsyms;
    double rate; /* 0: closed loop */
    double seconds;
    size_t nconns;
    double drain_s;
    char prefix[24];
    FILE *acked;
    /* state */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    int ep, tfd;
    conn *c;
    size_t *idle;
    size_t nidle, inflight;
    uint64_t next_id;  /* signal_id counter */
    uint64_t armed_ns; /* timerfd's current target, 0 if disarmed */
    /* counts */
    uint64_t sent, answered, executed, rejected, bad_body, duplicates,
        conn_errors, reconnects, unanswered, waited;
    uint64_t status[600];
    uint64_t first_send_ns, last_answer_ns;
    u64v lat, lag, handler; /* handler: the server's latency_us, in ns */
} G;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_api: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void push(u64v *a, uint64_t x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 65536;
        uint64_t *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "bench_api: out of memory\n");
            exit(2);
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of a sorted vector (nearest rank), in microseconds. */
static double pct_us(const u64v *a, double q)
{
    if (!a->n) return 0;
    size_t i = (size_t)(q * (double)a->n);
    if (i >= a->n) i = a->n - 1;
    return (double)a->v[i] / 1e3;
}

/* ---- connections ----------------------------------------------------------
 */

static void ep_mod(conn *c, size_t idx, int want_out)
{
    struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0),
                             .data.u64 = idx};
    if (epoll_ctl(G.ep, EPOLL_CTL_MOD, c->fd, &ev)) die("epoll_ctl");
}

/* A fresh connection for slot idx (blocking connect: loopback answers at
 * once), then non-blocking. 0, or -1 when the server cannot be reached. */
static int conn_open(size_t idx)
{
    conn *c = &G.c[idx];
    int fd = socket(G.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&G.addr, G.addrlen)) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    c->fd = fd;
    c->busy = 0;
    c->idle_ns = now_ns();
    c->in_len = 0;
    c->out_len = c->out_off = 0;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = idx};
    if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev)) die("epoll_ctl");
    return 0;
}

static void conn_close(size_t idx)
{
    conn *c = &G.c[idx];
    if (c->fd >= 0) {
        epoll_ctl(G.ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
}

/* Write what is left of the request; 0, or -1 when the connection failed. */
static int conn_flush(size_t idx)
{
    conn *c = &G.c[idx];
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ep_mod(c, idx, 1);
            return 0;
        }
        return -1;
    }
    return 0;
}

/* The connection failed or the server closed it: an in-flight request is
 * an error; the slot gets a new connection and becomes idle. */
static void conn_fail(size_t idx)
{
    conn *c = &G.c[idx];
    int was_busy = c->busy;
    if (was_busy) {
        G.conn_errors++;
        G.inflight--;
    }
    c->busy = 0;
    conn_close(idx);
    G.reconnects++;
    /* An idle connection (closed by the server while it waited) is in the
     * idle list already; a busy one goes back to it. */
    if (conn_open(idx) == 0 && was_busy) G.idle[G.nidle++] = idx;
}

/* Send the next signal on idle connection idx, scheduled at sched. */
static void send_signal(size_t idx, uint64_t sched, uint64_t now)
{
    conn *c = &G.c[idx];
    uint64_t id = G.next_id++;
    const char *sym = G.syms[(id / 2) % G.nsyms];
    const char *action = id % 2 ? "SELL" : "BUY";
    char body[256];
    int bl = snprintf(body, sizeof body,
                      "{\"symbol\":\"%s\",\"action\":\"%s\",\"quantity\":1,"
                      "\"signal_id\":\"%s%" PRIu64 "\"}",
                      sym, action, G.prefix, id);
    int n = snprintf(c->out, sizeof c->out,
                     "POST /api/v1/signals HTTP/1.1\r\n"
                     "Host: %s:%s\r\n"
                     "Authorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %d\r\n"
                     "\r\n%s",
                     G.host, G.port, c->key, bl, body);
    if (n < 0 || (size_t)n >= sizeof c->out) {
        fprintf(stderr, "bench_api: request too long\n");
        exit(2);
    }
    c->out_len = (size_t)n;
    c->out_off = 0;
    c->busy = 1;
    c->sched_ns = sched;
    G.inflight++;
    G.sent++;
    if (!G.first_send_ns) G.first_send_ns = now;
    /* The generator's own delay: from when the request could go (due, and
     * a connection free) to when it went. Waiting for a free connection is
     * the server's doing, and counted apart. */
    uint64_t ready = sched;
    if (c->idle_ns > sched) {
        ready = c->idle_ns;
        G.waited++;
    }
    push(&G.lag, now > ready ? now - ready : 0);
    if (conn_flush(idx)) conn_fail(idx);
}

/* ---- answers ---------------------------------------------------------------
 */

static const char *find(const char *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k)) return h + i;
    return NULL;
}

/* The value of header name (lower case, with ':') in the head [h, h+n), or
 * NULL. */
static const char *header(const char *h, size_t n, const char *name,
                          size_t *vlen)
{
    size_t k = strlen(name);
    const char *p = h, *e = h + n;
    while (p < e) {
        const char *eol = find(p, (size_t)(e - p), "\r\n");
        if (!eol) eol = e;
        if ((size_t)(eol - p) > k && !strncasecmp(p, name, k)) {
            const char *v = p + k;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            *vlen = (size_t)(eol - v);
            return v;
        }
        p = eol + 2;
    }
    return NULL;
}

/* Take a complete answer from c->in if there is one: 1 taken, 0 not yet,
 * -1 malformed (the connection must go). *keep tells whether the server
 * keeps the connection. */
static int take_answer(size_t idx, uint64_t now, int *keep)
{
    conn *c = &G.c[idx];
    const char *end = find(c->in, c->in_len, "\r\n\r\n");
    if (!end) return c->in_len > IN_MAX ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    if (c->in_len < 12 || strncmp(c->in, "HTTP/1.", 7)) return -1;
    int code = atoi(c->in + 9);
    size_t vl;
    const char *v = header(c->in, head, "content-length:", &vl);
    if (!v) return -1; /* this server always sends one */
    size_t clen = (size_t)strtoul(v, NULL, 10);
    if (clen > IN_MAX) return -1;
    if (c->in_len < head + clen) return 0;
    v = header(c->in, head, "connection:", &vl);
    *keep = !(v && vl >= 5 && !strncasecmp(v, "close", 5));
    if (!c->busy) return -1; /* an answer nobody asked for */
    const char *body = c->in + head;
    G.answered++;
    G.last_answer_ns = now;
    if (code >= 100 && code < 600) G.status[code]++;
    if (code == 200) {
        int ex = find(body, clen, "\"status\":\"executed\"") != NULL;
        int rj = find(body, clen, "\"status\":\"rejected\"") != NULL;
        int dup = find(body, clen, "\"duplicate\":true") != NULL;
        /* The server's own figure: POST /signals handler, from the parsed
         * body through the engine to the journal's confirmation. */
        const char *lu = find(body, clen, "\"latency_us\":");
        if (lu) push(&G.handler, (uint64_t)(strtod(lu + 13, NULL) * 1e3));
        if (dup)
            G.duplicates++;
        else if (ex)
            G.executed++;
        else if (rj)
            G.rejected++;
        else
            G.bad_body++;
        if (G.acked && (ex || rj)) {
            /* the signal_id is in the request still held in c->out */
            const char *s = find(c->out, c->out_len, "\"signal_id\":\"");
            if (s) {
                s += 13;
                const char *q =
                    memchr(s, '"', c->out_len - (size_t)(s - c->out));
                if (q) fprintf(G.acked, "%.*s\n", (int)(q - s), s);
            }
        }
    }
    push(&G.lat, now - c->sched_ns);
    c->busy = 0;
    c->idle_ns = now;
    G.inflight--;
    size_t used = head + clen;
    memmove(c->in, c->in + used, c->in_len - used);
    c->in_len -= used;
    return 1;
}

/* Readable: read what is there, take the answer. Returns 1 when the
 * connection became idle. */
static int on_readable(size_t idx, uint64_t now)
{
    conn *c = &G.c[idx];
    int closed = 0;
    for (;;) {
        if (c->in_cap - c->in_len < 4096) {
            size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
            char *p = realloc(c->in, cap);
            if (!p) {
                fprintf(stderr, "bench_api: out of memory\n");
                exit(2);
            }
            c->in = p;
            c->in_cap = cap;
        }
        size_t room = c->in_cap - c->in_len;
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            if ((size_t)n < room) break; /* took all the kernel had */
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        closed = 1; /* 0: the server closed; < 0: an error */
        break;
    }
    int keep = 1;
    int rc = take_answer(idx, now, &keep);
    if (rc < 0 || (rc == 0 && closed) || (rc == 1 && (closed || !keep))) {
        if (rc < 0 && c->busy) {
            G.bad_body++; /* malformed: counted as a bad answer */
            c->busy = 0;
            G.inflight--;
        }
        conn_fail(idx);
        return 0;
    }
    if (rc == 1 && c->in_len) { /* bytes after the answer: not HTTP/1.1 */
        conn_fail(idx);
        return 0;
    }
    return rc == 1;
}

/* ---- the schedule ------------------------------------------------------ */

static void arm(uint64_t at_ns)
{
    if (at_ns == G.armed_ns) return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (at_ns) {
        its.it_value.tv_sec = (time_t)(at_ns / 1000000000u);
        its.it_value.tv_nsec = (long)(at_ns % 1000000000u);
    }
    if (timerfd_settime(G.tfd, TFD_TIMER_ABSTIME, &its, NULL))
        die("timerfd_settime");
    G.armed_ns = at_ns;
}

static void run(void)
{
    int closed = G.rate <= 0;
    uint64_t total = closed ? UINT64_MAX : (uint64_t)(G.rate * G.seconds + 0.5);
    double period = closed ? 0 : 1e9 / G.rate;
    uint64_t t0 = now_ns() + 1000000; /* 1 ms to settle */
    uint64_t t_end = t0 + (uint64_t)(G.seconds * 1e9);
    uint64_t t_drain = t_end + (uint64_t)(G.drain_s * 1e9);
    uint64_t due = 0, issued = 0;
    struct epoll_event evs[256];
    for (;;) {
        uint64_t now = now_ns();
        if (closed) {
            if (now >= t0 && now < t_end)
                while (G.nidle) {
                    size_t i = G.idle[--G.nidle];
                    send_signal(i, now, now);
                }
        } else {
            while (due < total && t0 + (uint64_t)((double)due * period) <= now)
                due++;
            while (issued < due && G.nidle) {
                size_t i = G.idle[--G.nidle];
                send_signal(i, t0 + (uint64_t)((double)issued * period), now);
                issued++;
            }
        }
        int done_sending = closed ? now >= t_end : issued == total;
        if (done_sending && !G.inflight) break;
        if (now >= t_drain) {
            G.unanswered = G.inflight;
            break;
        }
        /* Wake for the next scheduled send (if a connection can take it),
         * or anyway within 100 ms to watch the clock. */
        uint64_t wake = 0;
        if (closed && now < t0)
            wake = t0;
        else if (!closed && G.nidle && due < total)
            wake = t0 + (uint64_t)((double)due * period);
        arm(wake);
        int n = epoll_wait(G.ep, evs, 256, 100);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        now = now_ns();
        for (int k = 0; k < n; k++) {
            uint64_t idx = evs[k].data.u64;
            if (idx == UINT64_MAX) {
                uint64_t x;
                if (read(G.tfd, &x, sizeof x) < 0 && errno != EAGAIN)
                    die("read timerfd");
                G.armed_ns = 0;
                continue;
            }
            conn *c = &G.c[idx];
            if (c->fd < 0) continue;
            if ((evs[k].events & EPOLLOUT) && c->out_off < c->out_len) {
                if (conn_flush(idx)) {
                    conn_fail(idx);
                    continue;
                }
                if (c->out_off == c->out_len) ep_mod(c, idx, 0);
            }
            if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                if (on_readable(idx, now)) {
                    if (closed && now < t_end)
                        send_signal(idx, now, now); /* straight on */
                    else
                        G.idle[G.nidle++] = idx;
                }
            }
        }
    }
}

/* ---- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_api [options] HOST PORT KEY RATE SECONDS CONNS\n"
               "\n"
               "POST /api/v1/signals to a trader API over CONNS keep-alive\n"
               "connections for SECONDS.\n"
               "  RATE     requests a second, open loop (constant arrival\n"
               "           rate; latency from each request's scheduled time),\n"
               "           or max (or 0): closed loop, each connection sends\n"
               "           its next request when its answer is in\n"
               "  KEY      an API key with the trader role; several separated\n"
               "           by commas are used in turn by the connections\n"
               "options:\n"
               "  -s SYMS    symbols, comma-separated (default SYNA)\n"
               "  -p PREFIX  signal_id prefix (default: from pid and time)\n"
               "  -a FILE    append each acknowledged signal_id to FILE\n"
               "  -d SECS    wait for answers this long after the run\n"
               "             (default 10); then unanswered ones are errors\n"
               "The last line is RESULT key=value ... for scripts.\n"
               "Exit status: 0 no errors, 1 errors, 2 usage or no server.\n");
}

static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
        if (*tok) out[n++] = tok;
    return n;
}

int main(int argc, char **argv)
{
    char syms_default[] = "SYNA";
    char *syms = syms_default;
    G.drain_s = 10;
    snprintf(G.prefix, sizeof G.prefix, "b%x-%lx-", (unsigned)getpid(),
             (unsigned long)time(NULL));
    int opt;
    while ((opt = getopt(argc, argv, "s:p:a:d:h")) != -1) {
        switch (opt) {
        case 's':
            syms = optarg;
            break;
        case 'p':
            if (strlen(optarg) >= sizeof G.prefix - 1 || !*optarg) {
                fprintf(stderr, "bench_api: -p: 1 to %zu characters\n",
                        sizeof G.prefix - 2);
                return 2;
            }
            snprintf(G.prefix, sizeof G.prefix, "%s", optarg);
            break;
        case 'a':
            G.acked = fopen(optarg, "a");
            if (!G.acked) die(optarg);
            break;
        case 'd':
            G.drain_s = atof(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 6) {
        usage(stderr);
        return 2;
    }
    char **a = argv + optind;
    G.host = a[0];
    G.port = a[1];
    G.nkeys = split(a[2], G.keys, MAX_KEYS);
    G.rate = strcmp(a[3], "max") ? atof(a[3]) : 0;
    G.seconds = atof(a[4]);
    G.nconns = (size_t)atol(a[5]);
    G.nsyms = split(syms, G.syms, MAX_SYMS);
    if (!G.nkeys || G.rate < 0 || !(G.seconds > 0) || G.nconns < 1 ||
        G.nconns > MAX_CONNS || !G.nsyms || G.drain_s < 0) {
        usage(stderr);
        return 2;
    }
    struct addrinfo hints, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int gr = getaddrinfo(G.host, G.port, &hints, &ai);
    if (gr) {
        fprintf(stderr, "bench_api: %s:%s: %s\n", G.host, G.port,
                gai_strerror(gr));
        return 2;
    }
    memcpy(&G.addr, ai->ai_addr, ai->ai_addrlen);
    G.addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* precise wake-ups */

    G.ep = epoll_create1(EPOLL_CLOEXEC);
    G.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (G.ep < 0 || G.tfd < 0) die("epoll/timerfd");
    struct epoll_event tev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (epoll_ctl(G.ep, EPOLL_CTL_ADD, G.tfd, &tev)) die("epoll_ctl");
    G.c = calloc(G.nconns, sizeof *G.c);
    G.idle = calloc(G.nconns, sizeof *G.idle);
    if (!G.c || !G.idle) die("calloc");
    for (size_t i = 0; i < G.nconns; i++) {
        G.c[i].fd = -1;
        G.c[i].key = G.keys[i % G.nkeys];
        if (conn_open(i)) {
            fprintf(stderr, "bench_api: connect %s:%s: %s\n", G.host, G.port,
                    strerror(errno));
            return 2;
        }
        G.idle[G.nidle++] = G.nconns - 1 - i;
    }

    uint64_t start = now_ns();
    run();
    double elapsed = (double)(now_ns() - start) / 1e9;
    if (G.acked) fclose(G.acked);

    uint64_t non200 = 0;
    for (int s = 0; s < 600; s++)
        if (s != 200) non200 += G.status[s];
    uint64_t errors =
        non200 + G.bad_body + G.duplicates + G.conn_errors + G.unanswered;
    uint64_t good = G.executed + G.rejected;
    double span = G.last_answer_ns > G.first_send_ns
                      ? (double)(G.last_answer_ns - G.first_send_ns) / 1e9
                      : 0;
    double achieved = span > 0 ? (double)good / span : 0;
    qsort(G.lat.v, G.lat.n, sizeof *G.lat.v, cmp_u64);
    qsort(G.lag.v, G.lag.n, sizeof *G.lag.v, cmp_u64);
    qsort(G.handler.v, G.handler.n, sizeof *G.handler.v, cmp_u64);

    int closed = G.rate <= 0;
    if (closed)
        printf("closed loop (max throughput) for %.1f s over %zu "
               "connections to %s:%s\n",
               G.seconds, G.nconns, G.host, G.port);
    else
        printf("open loop at %.0f req/s for %.1f s over %zu connections to "
               "%s:%s\n",
               G.rate, G.seconds, G.nconns, G.host, G.port);
    printf("  sent %" PRIu64 ", answered %" PRIu64 ": executed %" PRIu64
           ", rejected %" PRIu64 "; errors %" PRIu64 " (non-200 %" PRIu64
           ", bad body %" PRIu64 ", duplicate %" PRIu64 ", connection %" PRIu64
           ", unanswered %" PRIu64 ")\n",
           G.sent, G.answered, G.executed, G.rejected, errors, non200,
           G.bad_body, G.duplicates, G.conn_errors, G.unanswered);
    if (non200) {
        printf("  non-200 answers:");
        for (int s = 0; s < 600; s++)
            if (s != 200 && G.status[s])
                printf(" %d x%" PRIu64, s, G.status[s]);
        printf("\n");
    }
    printf("  achieved %.0f good answers/s (first send to last answer %.2f s; "
           "run %.2f s)\n",
           achieved, span, elapsed);
    printf("  latency (us, from %s send to full answer): p50 %.0f, p90 %.0f, "
           "p99 %.0f, p99.9 %.0f, max %.0f\n",
           closed ? "actual" : "scheduled", pct_us(&G.lat, 0.5),
           pct_us(&G.lat, 0.9), pct_us(&G.lat, 0.99), pct_us(&G.lat, 0.999),
           pct_us(&G.lat, 1.0));
    if (!closed)
        printf("  %" PRIu64 " requests waited for a free connection (all %zu "
               "busy: counted in the latency)\n"
               "  generator lag (us, from due with a free connection to sent; "
               "included above): p50 %.0f, p99 %.0f, max %.0f\n",
               G.waited, G.nconns, pct_us(&G.lag, 0.5), pct_us(&G.lag, 0.99),
               pct_us(&G.lag, 1.0));
    if (G.handler.n)
        printf("  of which in the server's handler (its latency_us: engine, "
               "risk, journal write; no HTTP, no queueing for a worker), us: "
               "p50 %.0f, p99 %.0f, p99.9 %.0f, max %.0f\n",
               pct_us(&G.handler, 0.5), pct_us(&G.handler, 0.99),
               pct_us(&G.handler, 0.999), pct_us(&G.handler, 1.0));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec +
                 (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    printf("  generator CPU: %.2f s (%.0f%% of one CPU, %.1f us a request)\n",
           cpu, elapsed > 0 ? 100 * cpu / elapsed : 0,
           G.sent ? cpu * 1e6 / (double)G.sent : 0);
    printf("RESULT mode=%s target=%.0f conns=%zu sent=%" PRIu64 " good=%" PRIu64
           " executed=%" PRIu64 " rejected=%" PRIu64 " errors=%" PRIu64
           " achieved=%.0f p50_us=%.0f p90_us=%.0f"
           " p99_us=%.0f p999_us=%.0f max_us=%.0f lag_p99_us=%.0f"
           " waited=%" PRIu64 " gen_cpu_s=%.2f handler_p50_us=%.0f"
           " handler_p99_us=%.0f\n",
           closed ? "closed" : "open", G.rate, G.nconns, G.sent, good,
           G.executed, G.rejected, errors, achieved, pct_us(&G.lat, 0.5),
           pct_us(&G.lat, 0.9), pct_us(&G.lat, 0.99), pct_us(&G.lat, 0.999),
           pct_us(&G.lat, 1.0), pct_us(&G.lag, 0.99), G.waited, cpu,
           pct_us(&G.handler, 0.5), pct_us(&G.handler, 0.99));
    for (size_t i = 0; i < G.nconns; i++) {
        conn_close(i);
        free(G.c[i].in);
    }
    free(G.c);
    free(G.idle);
    free(G.lat.v);
    free(G.lag.v);
    free(G.handler.v);
    return errors ? 1 : 0;
}
