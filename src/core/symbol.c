/* symbol.c: symbol interning with an open-addressing hash table (FNV-1a,
 * linear probing) over a dense array of names indexed by id. */
#include "core/symbol.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

typedef struct sym_name {
    char s[TR_SYM_MAX_LEN + 1];
} sym_name;

/* Names live in fixed blocks that never move, so the pointers that
 * tr_symtab_name hands out stay valid while the table grows. */
#define BLOCK_NAMES 256

struct tr_symtab {
    sym_name **blocks; /* name of id: blocks[id / BLOCK_NAMES][id % ...] */
    size_t count, nblocks;
    uint32_t *slots; /* id + 1, 0 = empty; capacity is a power of two */
    size_t slots_cap;
};

static uint64_t hash(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static int valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        if (ch <= ' ' || ch >= 127 || ch == ',' || ch == '"' || ch == '\'')
            return 0;
        if (n >= TR_SYM_MAX_LEN)
            return 0;
    }
    return n > 0;
}

tr_symtab *tr_symtab_new(void)
{
    tr_symtab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->slots_cap = 64;
    t->slots = calloc(t->slots_cap, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return NULL;
    }
    return t;
}

void tr_symtab_free(tr_symtab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nblocks; i++)
        free(t->blocks[i]);
    free(t->blocks);
    free(t->slots);
    free(t);
}

static const char *name_of(const tr_symtab *t, size_t id)
{
    return t->blocks[id / BLOCK_NAMES][id % BLOCK_NAMES].s;
}

/* Slot holding name, or the empty slot where it would go. */
static size_t probe(const tr_symtab *t, const char *name)
{
    size_t mask = t->slots_cap - 1, i = (size_t)hash(name) & mask;
    while (t->slots[i] && strcmp(name_of(t, t->slots[i] - 1), name) != 0)
        i = (i + 1) & mask;
    return i;
}

static int grow_slots(tr_symtab *t)
{
    size_t cap = t->slots_cap * 2;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return TR_ERR_NOMEM;
    free(t->slots);
    t->slots = slots;
    t->slots_cap = cap;
    for (size_t id = 0; id < t->count; id++)
        t->slots[probe(t, name_of(t, id))] = (uint32_t)id + 1;
    return TR_OK;
}

int tr_symtab_find(const tr_symtab *t, const char *name, tr_sym *out)
{
    if (!valid_name(name))
        return TR_ERR_NOT_FOUND;
    size_t i = probe(t, name);
    if (!t->slots[i])
        return TR_ERR_NOT_FOUND;
    *out = t->slots[i] - 1;
    return TR_OK;
}

int tr_symtab_intern(tr_symtab *t, const char *name, tr_sym *out)
{
    if (!valid_name(name))
        return TR_ERR_INVALID;
    size_t i = probe(t, name);
    if (t->slots[i]) {
        *out = t->slots[i] - 1;
        return TR_OK;
    }
    if (t->count >= UINT32_MAX - 1)
        return TR_ERR_FULL;
    if (t->count == t->nblocks * BLOCK_NAMES) {
        sym_name **blocks = realloc(t->blocks, (t->nblocks + 1) * sizeof *blocks);
        if (!blocks)
            return TR_ERR_NOMEM;
        t->blocks = blocks;
        blocks[t->nblocks] = malloc(BLOCK_NAMES * sizeof(sym_name));
        if (!blocks[t->nblocks])
            return TR_ERR_NOMEM;
        t->nblocks++;
    }
    /* Keep the load factor at or below one half. */
    if ((t->count + 1) * 2 > t->slots_cap) {
        if (grow_slots(t) != TR_OK)
            return TR_ERR_NOMEM;
        i = probe(t, name);
    }
    size_t id = t->count++;
    strcpy(t->blocks[id / BLOCK_NAMES][id % BLOCK_NAMES].s, name);
    t->slots[i] = (uint32_t)id + 1;
    *out = (tr_sym)id;
    return TR_OK;
}

const char *tr_symtab_name(const tr_symtab *t, tr_sym id)
{
    return id < t->count ? name_of(t, id) : NULL;
}

size_t tr_symtab_count(const tr_symtab *t)
{
    return t->count;
}
