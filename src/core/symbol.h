/* symbol.h: interning of instrument symbols ("AAPL", "BTC/USD") to small
 * integer ids 0, 1, 2, ... in order of first appearance, so that
 * per-instrument state is a plain array indexed by id.
 *
 * A table belongs to one thread (the engine's); it is not locked. */
#ifndef TR_SYMBOL_H
#define TR_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t tr_sym;

#define TR_SYM_MAX_LEN 31 /* bytes, not counting the NUL */

typedef struct tr_symtab tr_symtab;

/* A new empty table, or NULL when out of memory. Free with tr_symtab_free. */
tr_symtab *tr_symtab_new(void);
void tr_symtab_free(tr_symtab *tab);

/* The id of name, adding it when new. A valid name is 1..TR_SYM_MAX_LEN
 * printable ASCII characters without spaces, commas or quotes
 * (TR_ERR_INVALID otherwise). TR_ERR_NOMEM. */
int tr_symtab_intern(tr_symtab *tab, const char *name, tr_sym *out);

/* The id of an existing name; TR_ERR_NOT_FOUND when it was never interned. */
int tr_symtab_find(const tr_symtab *tab, const char *name, tr_sym *out);

/* The name of id (borrowed, valid until the table is freed), or NULL when id
 * is not in the table. */
const char *tr_symtab_name(const tr_symtab *tab, tr_sym id);

/* Number of interned symbols; ids are 0 .. count-1. */
size_t tr_symtab_count(const tr_symtab *tab);

#endif
