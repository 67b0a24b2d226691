/* codec.h: explicit little-endian encoding of state for snapshots: a
 * growable encoder and a bounds-checked decoder.
 *
 * Values are written field by field, never as raw structs: integers
 * little-endian, doubles as their IEEE-754 bit patterns (state restores bit
 * for bit, NaN included), strings and byte blocks with their length. A
 * section is a tag, a length and its bytes: a reader checks that it is the
 * section it expects, knows where it ends, and can tell whether a writer
 * appended fields it does not know (tr_dec_left) or whether an older writer
 * did not have fields it knows (then they keep their defaults).
 *
 * Errors are sticky so that a save or load function writes or reads a whole
 * block and checks once: after a failed allocation the encoder ignores
 * everything and tr_enc_error is TR_ERR_NOMEM; after a read past the end or
 * a failed check (tr_dec_check) every read returns 0 and tr_dec_error is
 * TR_ERR_DATA. A decoder never reads outside the bytes it was given.
 *
 * Threads: an encoder or a decoder belongs to one thread. */
#ifndef TR_CODEC_H
#define TR_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* A section tag from four characters: TR_TAG('P', 'A', 'P', 'R'). */
#define TR_TAG(a, b, c, d)                                                     \
    ((uint32_t)(uint8_t)(a) | (uint32_t)(uint8_t)(b) << 8 |                    \
     (uint32_t)(uint8_t)(c) << 16 | (uint32_t)(uint8_t)(d) << 24)

typedef struct tr_enc {
    uint8_t *p; /* owned; tr_enc_free releases it */
    size_t len, cap;
    int err;    /* TR_OK or TR_ERR_NOMEM, sticky */
} tr_enc;

void tr_enc_init(tr_enc *e); /* empty; allocates nothing */
void tr_enc_free(tr_enc *e);
/* Empty again, keeping the memory (and clearing the error). */
void tr_enc_reset(tr_enc *e);
/* TR_OK, or TR_ERR_NOMEM when an allocation failed since the last reset. */
int tr_enc_error(const tr_enc *e);
/* Room for n more bytes without a reallocation (TR_ERR_NOMEM). */
int tr_enc_reserve(tr_enc *e, size_t n);

void tr_enc_u8(tr_enc *e, uint8_t v);
void tr_enc_u16(tr_enc *e, uint16_t v);
void tr_enc_u32(tr_enc *e, uint32_t v);
void tr_enc_u64(tr_enc *e, uint64_t v);
void tr_enc_i32(tr_enc *e, int32_t v);
void tr_enc_i64(tr_enc *e, int64_t v);
void tr_enc_f64(tr_enc *e, double v); /* the bit pattern */
void tr_enc_bytes(tr_enc *e, const void *p, size_t n); /* raw, no length */
/* A string of at most max bytes (a char array that may lack its NUL):
 * u32 length, then the bytes. */
void tr_enc_str(tr_enc *e, const char *s, size_t max);

/* Open a section with tag; returns a mark for tr_enc_end, which writes the
 * section's length once its content is written. Sections may nest. */
size_t tr_enc_begin(tr_enc *e, uint32_t tag);
void tr_enc_end(tr_enc *e, size_t mark);

typedef struct tr_dec {
    const uint8_t *p; /* borrowed */
    size_t len, pos;
    int err;          /* TR_OK or TR_ERR_DATA, sticky */
} tr_dec;

/* Read p[0..len) (borrowed for the decoder's life). */
void tr_dec_init(tr_dec *d, const void *p, size_t len);
int tr_dec_error(const tr_dec *d);    /* TR_OK or TR_ERR_DATA */
size_t tr_dec_left(const tr_dec *d);  /* not read yet (0 after an error) */
/* Mark the data refused when cond is false; returns cond. */
int tr_dec_check(tr_dec *d, int cond);
/* TR_OK when nothing failed and every byte was read, else TR_ERR_DATA. */
int tr_dec_finish(tr_dec *d);

uint8_t tr_dec_u8(tr_dec *d);
uint16_t tr_dec_u16(tr_dec *d);
uint32_t tr_dec_u32(tr_dec *d);
uint64_t tr_dec_u64(tr_dec *d);
int32_t tr_dec_i32(tr_dec *d);
int64_t tr_dec_i64(tr_dec *d);
double tr_dec_f64(tr_dec *d);
void tr_dec_bytes(tr_dec *d, void *out, size_t n); /* zeros on error */
/* A string written by tr_enc_str into out[size], NUL-terminated; refused
 * when it does not fit with its NUL or holds a NUL byte. */
void tr_dec_str(tr_dec *d, char *out, size_t size);
/* A count written as u64: refused (0 returned) when above max, or when
 * count * min_elem_bytes exceeds what is left (a corrupt count never makes
 * the caller allocate more than the data could fill). */
size_t tr_dec_count(tr_dec *d, size_t max, size_t min_elem_bytes);

/* The next section: its tag in *tag and a decoder over its bytes in *body;
 * d moves past it. 1 when there was one, 0 at the end of d, or 0 with d's
 * error set when the section is cut short. */
int tr_dec_section(tr_dec *d, uint32_t *tag, tr_dec *body);
/* The next section, which must have this tag (else the data is refused). */
int tr_dec_expect(tr_dec *d, uint32_t tag, tr_dec *body);

#endif
