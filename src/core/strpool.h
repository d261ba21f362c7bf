/*
 * Interned strings, for results that would otherwise carry many copies of
 * few texts: the holders of pa_who and pa_check repeat one process's name
 * and command line on each of its sockets, and the same few addresses on
 * thousands of them.  Each distinct text is stored once, in chunks that
 * never move, so a pointer handed out stays valid until the chunks are
 * freed.  The lookup table is needed only while interning.
 */
#ifndef PA_CORE_STRPOOL_H
#define PA_CORE_STRPOOL_H

#include <stddef.h>

struct pa__strchunk;

struct pa__strpool {
	struct pa__strchunk *chunks;  /* newest first */
	const char **slots;           /* open addressing; NULL: empty */
	size_t nslots, nused;
};

#define PA__STRPOOL_INIT { NULL, NULL, 0, 0 }

/* s stored once in p: a pointer that lives as long as p's chunks, or NULL
 * when out of memory. */
const char *pa__strpool_intern(struct pa__strpool *p, const char *s);
/* Empties p and hands over its chunks (the interned strings): free them
 * with pa__strchunks_free.  The lookup table is freed. */
struct pa__strchunk *pa__strpool_take(struct pa__strpool *p);
/* Frees p, its strings included. */
void pa__strpool_free(struct pa__strpool *p);
/* Frees chunks from pa__strpool_take; NULL is fine. */
void pa__strchunks_free(struct pa__strchunk *c);

#endif /* PA_CORE_STRPOOL_H */
