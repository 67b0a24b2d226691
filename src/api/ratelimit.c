/* ratelimit.c: token buckets per client id, behind one mutex (see
 * auth.h).
 *
 * Exact arithmetic: a bucket's level is kept in units of 1/(ns a minute) of
 * a request, so that a refill of per_minute requests a minute adds exactly
 * per_minute units a nanosecond; a request costs TR_NS_PER_MIN units. With
 * capacity and rate <= 1e6 every quantity fits in 64 bits (6e16 at most).
 *
 * The table is open addressing with linear probing, keyed by a seeded
 * FNV-1a hash of the id. When it would pass half full it is rebuilt
 * without the buckets that are full again (a full bucket is the same as no
 * bucket), and doubled if that is not enough. */
#include "api/auth.h"

#include <assert.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define UNIT ((uint64_t)TR_NS_PER_MIN) /* level units in one request */

typedef struct bucket {
    char id[TR_RATELIMIT_ID_MAX + 1]; /* "" = empty slot */
    uint64_t level;                   /* units, <= cap_units */
    tr_time last;                     /* the time level was computed at */
} bucket;

struct tr_ratelimit {
    pthread_mutex_t mu; /* guards everything below */
    uint64_t rate;      /* units a ns = requests a minute */
    uint64_t cap_units; /* capacity * UNIT */
    uint64_t seed;
    bucket *b;
    size_t nslots, used;
};

static uint64_t hash_id(uint64_t seed, const char *s)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ^ h >> 29;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/* Bring b's level up to time now. */
static void refill(const tr_ratelimit *rl, bucket *b, tr_time now)
{
    if (now <= b->last) return;
    uint64_t elapsed = (uint64_t)now - (uint64_t)b->last;
    uint64_t deficit = rl->cap_units - b->level;
    if (elapsed >= ceil_div(deficit, rl->rate))
        b->level = rl->cap_units;
    else
        b->level += elapsed * rl->rate; /* < deficit: no overflow */
    b->last = now;
    assert(b->level <= rl->cap_units);
}

static bucket *probe(bucket *t, size_t nslots, uint64_t seed, const char *id)
{
    size_t mask = nslots - 1;
    for (size_t i = hash_id(seed, id) & mask;; i = (i + 1) & mask)
        if (!t[i].id[0] || !strcmp(t[i].id, id)) return &t[i];
}

/* Rebuild the table, dropping buckets that are full at time now, into
 * nslots slots (doubling until under half full). */
static int rebuild(tr_ratelimit *rl, tr_time now)
{
    size_t keep = 0;
    for (size_t i = 0; i < rl->nslots; i++)
        if (rl->b[i].id[0]) {
            refill(rl, &rl->b[i], now);
            keep += rl->b[i].level < rl->cap_units;
        }
    size_t nslots = rl->nslots;
    while ((keep + 1) * 2 > nslots)
        nslots *= 2;
    bucket *t = calloc(nslots, sizeof *t);
    if (!t) return TR_ERR_NOMEM;
    for (size_t i = 0; i < rl->nslots; i++)
        if (rl->b[i].id[0] && rl->b[i].level < rl->cap_units)
            *probe(t, nslots, rl->seed, rl->b[i].id) = rl->b[i];
    free(rl->b);
    rl->b = t;
    rl->nslots = nslots;
    rl->used = keep;
    return TR_OK;
}

int tr_ratelimit_new(uint32_t capacity, uint32_t per_minute, tr_ratelimit **out)
{
    if (capacity < 1 || capacity > TR_RATELIMIT_MAX || per_minute < 1 ||
        per_minute > TR_RATELIMIT_MAX)
        return TR_ERR_INVALID;
    tr_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl) return TR_ERR_NOMEM;
    rl->nslots = 64;
    rl->b = calloc(rl->nslots, sizeof *rl->b);
    if (!rl->b) {
        free(rl);
        return TR_ERR_NOMEM;
    }
    rl->rate = per_minute;
    rl->cap_units = (uint64_t)capacity * UNIT;
    /* a seed the clients cannot guess makes colliding ids harder to pick */
    if (RAND_bytes((unsigned char *)&rl->seed, sizeof rl->seed) != 1)
        rl->seed = (uint64_t)(uintptr_t)rl;
    pthread_mutex_init(&rl->mu, NULL);
    *out = rl;
    return TR_OK;
}

void tr_ratelimit_free(tr_ratelimit *rl)
{
    if (!rl) return;
    pthread_mutex_destroy(&rl->mu);
    free(rl->b);
    free(rl);
}

int tr_ratelimit_take(tr_ratelimit *rl, const char *client, tr_time now,
                      uint32_t *retry_after_s)
{
    size_t len = client ? strnlen(client, TR_RATELIMIT_ID_MAX + 1) : 0;
    if (len == 0 || len > TR_RATELIMIT_ID_MAX) return TR_ERR_INVALID;
    int rc;
    pthread_mutex_lock(&rl->mu);
    bucket *b = probe(rl->b, rl->nslots, rl->seed, client);
    if (!b->id[0]) {
        if ((rl->used + 1) * 2 > rl->nslots) {
            rc = rebuild(rl, now);
            if (rc != TR_OK) goto out;
            b = probe(rl->b, rl->nslots, rl->seed, client);
        }
        memcpy(b->id, client, len + 1);
        b->level = rl->cap_units;
        b->last = now;
        rl->used++;
    }
    refill(rl, b, now);
    if (b->level >= UNIT) {
        b->level -= UNIT;
        rc = 1;
    } else {
        uint64_t ns = ceil_div(UNIT - b->level, rl->rate);
        uint64_t s = ceil_div(ns, (uint64_t)TR_NS_PER_SEC);
        if (retry_after_s)
            *retry_after_s = s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
        rc = 0;
    }
out:
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

size_t tr_ratelimit_clients(tr_ratelimit *rl)
{
    pthread_mutex_lock(&rl->mu);
    size_t n = rl->used;
    pthread_mutex_unlock(&rl->mu);
    return n;
}
