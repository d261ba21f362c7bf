/*
 * Interned strings (strpool.h): a hash set of the texts stored so far, and
 * the texts themselves packed into chunks of a few KB, so that a few
 * hundred short texts cost a few allocations and no per-string header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/strpool.h"

#define CHUNK_DATA 4000 /* with its header, about a page */

struct pa__strchunk {
	struct pa__strchunk *next;
	size_t used, cap;
	char data[];
};

/* FNV-1a. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (size_t)(h ^ (h >> 32));
}

/* Where s is in the table, or the empty slot where it would go. */
static size_t
slot_of(const struct pa__strpool *p, const char *s)
{
	size_t i = hash(s) & (p->nslots - 1);

	while (p->slots[i] != NULL && strcmp(p->slots[i], s) != 0)
		i = (i + 1) & (p->nslots - 1);
	return i;
}

/* Room for one more entry at half load at most; 0 or -1. */
static int
table_grow(struct pa__strpool *p)
{
	const char **old = p->slots;
	size_t nold = p->nslots, i;

	if (2 * (p->nused + 1) <= p->nslots)
		return 0;
	p->nslots = nold ? 2 * nold : 64;
	if ((p->slots = calloc(p->nslots, sizeof(*p->slots))) == NULL) {
		p->slots = old;
		p->nslots = nold;
		return -1;
	}
	for (i = 0; i < nold; i++)
		if (old[i] != NULL)
			p->slots[slot_of(p, old[i])] = old[i];
	free(old);
	return 0;
}

/* A copy of s (len bytes with its NUL) in the chunks, or NULL. */
static char *
store(struct pa__strpool *p, const char *s, size_t len)
{
	struct pa__strchunk *c = p->chunks;
	size_t cap;
	char *d;

	if (c == NULL || c->cap - c->used < len) {
		cap = len > CHUNK_DATA / 4 ? len : CHUNK_DATA;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* a string of its own goes behind the current chunk, which
		 * keeps its room for the short ones */
		if (cap == len && p->chunks != NULL) {
			c->next = p->chunks->next;
			p->chunks->next = c;
		} else {
			c->next = p->chunks;
			p->chunks = c;
		}
	}
	d = c->data + c->used;
	memcpy(d, s, len);
	c->used += len;
	return d;
}

const char *
pa__strpool_intern(struct pa__strpool *p, const char *s)
{
	size_t i;
	char *d;

	if (table_grow(p) != 0)
		return NULL;
	i = slot_of(p, s);
	if (p->slots[i] != NULL)
		return p->slots[i];
	if ((d = store(p, s, strlen(s) + 1)) == NULL)
		return NULL;
	p->slots[i] = d;
	p->nused++;
	return d;
}

struct pa__strchunk *
pa__strpool_take(struct pa__strpool *p)
{
	struct pa__strchunk *c = p->chunks;

	free(p->slots);
	memset(p, 0, sizeof(*p));
	return c;
}

void
pa__strpool_free(struct pa__strpool *p)
{
	pa__strchunks_free(pa__strpool_take(p));
}

void
pa__strchunks_free(struct pa__strchunk *c)
{
	struct pa__strchunk *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}
