/*
 * The fake OS's reservations, in a file of their own: the list-shaped
 * kind (a reserved list, its lock and a boot-time drop-in, as on Linux) and
 * the range-shaped kind (ranges the OS owns, as Windows' persistent
 * reservations).  "Port in use" comes from the socket list of fake-sock.c
 * (held[], fake_bound_by, fake_bind); nothing here keeps ports of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "fake/fake-impl.h"

/*
 * OS port reservations: the reserved list and the drop-in are strings;
 * writes fail with the code the test set; a write made without the lock
 * is counted.
 */
static int
fake_netns_id(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	(void)err;
	pa__strlcpy(buf, ((struct pa_fake *)ctx)->netns, len);
	return 0;
}

/* A malloc'd copy of s into *text. */
static int
copy_out(const char *s, char **text, struct pa_error *err)
{
	if ((*text = strdup(s)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return 0;
}

static int
fake_reserved_read(void *ctx, char **text, struct pa_error *err)
{
	return copy_out(((struct pa_fake *)ctx)->reserved, text, err);
}

static int
fake_reserved_write(void *ctx, const char *text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->reserved_error)
		return pa__err(err, f->reserved_error, "cannot write the "
		    "fake reserved ports: Permission denied");
	f->reserved_writes++;
	f->unlocked_writes += !f->locked;
	pa_fake_set_reserved(f, text);
	return 0;
}

static int
fake_reserved_lock(void *ctx, int *handle, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->locked)   /* one process: a second lock would deadlock */
		return pa__err(err, PA_EOS, "fake reserved list locked twice");
	f->locked = 1;
	*handle = 7;
	return 0;
}

static void
fake_reserved_unlock(void *ctx, int handle)
{
	struct pa_fake *f = ctx;

	if (handle == 7)
		f->locked = 0;
}

static const char *
fake_dropin_path(void *ctx)
{
	(void)ctx;
	return "/fake/sysctl.d/60-portalloc.conf";
}

static int
fake_dropin_read(void *ctx, char **text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->dropin == NULL)
		return pa__err(err, PA_ENOENT, "no fake drop-in");
	return copy_out(f->dropin, text, err);
}

static int
fake_dropin_write(void *ctx, const char *text, struct pa_error *err)
{
	struct pa_fake *f = ctx;

	if (f->dropin_error)
		return pa__err(err, f->dropin_error, "cannot write the fake "
		    "drop-in: Permission denied");
	pa_fake_set_dropin(f, text);
	return 0;
}

static const struct pa__resv_list_ops fake_list_ops = {
	fake_netns_id,
	fake_reserved_read,
	fake_reserved_write,
	fake_reserved_lock,
	fake_reserved_unlock,
	fake_dropin_path,
	fake_dropin_read,
	fake_dropin_write,
};

void
fake_reserve_init(struct pa_fake *f)
{
	f->os.resv_list = &fake_list_ops;
	pa__strlcpy(f->netns, "net:[4026531840]", sizeof(f->netns));
	pa_fake_set_reserved(f, "");
}

void
pa_fake_set_netns(struct pa_fake *f, const char *id)
{
	pa__strlcpy(f->netns, id, sizeof(f->netns));
}

void
pa_fake_set_reserved(struct pa_fake *f, const char *list)
{
	char *copy = strdup(list);

	if (copy == NULL)
		abort();
	free(f->reserved);
	f->reserved = copy;
}

const char *
pa_fake_reserved(const struct pa_fake *f)
{
	return f->reserved;
}

unsigned
pa_fake_reserved_writes(const struct pa_fake *f)
{
	return f->reserved_writes;
}

unsigned
pa_fake_unlocked_writes(const struct pa_fake *f)
{
	return f->unlocked_writes;
}

void
pa_fake_fail_reserved_write(struct pa_fake *f, int code)
{
	f->reserved_error = code;
}

void
pa_fake_set_dropin(struct pa_fake *f, const char *text)
{
	char *copy = text ? strdup(text) : NULL;

	if (text != NULL && copy == NULL)
		abort();
	free(f->dropin);
	f->dropin = copy;
}

const char *
pa_fake_dropin(const struct pa_fake *f)
{
	return f->dropin;
}

void
pa_fake_fail_dropin_write(struct pa_fake *f, int code)
{
	f->dropin_error = code;
}

/*
 * Reservations as ranges the OS owns (as on Windows); the API's "block"
 * is such a range.
 */
static struct fake_block *
find_block(struct pa_fake *f, unsigned proto, uint16_t first, uint16_t last)
{
	size_t i;

	for (i = 0; i < f->nblocks; i++)
		if (f->blocks[i].proto == proto &&
		    f->blocks[i].first == first && f->blocks[i].last == last)
			return &f->blocks[i];
	return NULL;
}

static int
fake_range_lookup(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	if (find_block(ctx, proto, first, last) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	return 0;
}

static int
fake_range_create(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	const struct fake_block *b;
	size_t i;
	unsigned p;

	if (f->create_error)
		return pa__err(err, f->create_error, "cannot create the fake "
		    "reservation: Access is denied");
	for (i = 0; i < f->nblocks; i++) {
		b = &f->blocks[i];
		if (b->proto == proto && b->first <= last && b->last >= first)
			return pa__err(err, PA_EINUSE, "overlaps the fake "
			    "reservation %u-%u", b->first, b->last);
	}
	for (p = first; p <= last; p++)
		if (f->held[p] & proto)
			return pa__err(err, PA_EINUSE, "fake port %u in use",
			    p);
	pa_fake_add_block(f, proto, first, last);
	return 0;
}

static int
fake_range_remove(void *ctx, unsigned proto, uint16_t first, uint16_t last,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	struct fake_block *b;

	if (f->delete_error)
		return pa__err(err, f->delete_error, "cannot delete the fake "
		    "reservation: Access is denied");
	if ((b = find_block(f, proto, first, last)) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	*b = f->blocks[--f->nblocks];
	return 0;
}

static int
fake_range_bind(void *ctx, uint16_t first, uint16_t last, unsigned proto,
    const struct pa_addr *addr, uint16_t *port, pa_socket_t *sock,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	unsigned p;

	(void)addr;
	f->resv_binds++;
	if (f->resv_bind_error)
		return pa__err(err, f->resv_bind_error, "fake association "
		    "refused");
	if (find_block(f, proto, first, last) == NULL)
		return pa__err(err, PA_ENOENT, "no fake reservation");
	for (p = first; p <= last; p++) {
		if ((f->held[p] & proto) || fake_bound_by(f, (uint16_t)p,
		    proto))
			continue;
		*port = (uint16_t)p;
		return fake_bind(f, proto, (uint16_t)p, sock, err);
	}
	return pa__err(err, PA_EFULL, "fake reservation full");
}

/* Every reservation the fake OS holds, as Windows' netsh lists them:
 * portalloc's and others' alike. */
static int
fake_range_excluded(void *ctx, unsigned proto, struct pa_resv_excluded *v,
    size_t max, size_t *n, struct pa_error *err)
{
	struct pa_fake *f = ctx;
	size_t i;

	(void)err;
	*n = 0;
	for (i = 0; i < f->nblocks && *n < max; i++) {
		if (f->blocks[i].proto != proto)
			continue;
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].first = f->blocks[i].first;
		v[*n].last = f->blocks[i].last;
		(*n)++;
	}
	return 0;
}

static const struct pa__resv_range_ops fake_range_ops = {
	fake_range_lookup,
	fake_range_create,
	fake_range_remove,
	fake_range_bind,
	fake_range_excluded,
};

void
pa_fake_use_blocks(struct pa_fake *f)
{
	f->os.resv_list = NULL;
	f->os.resv_range = &fake_range_ops;
}

void
pa_fake_add_block(struct pa_fake *f, unsigned proto, uint16_t first,
    uint16_t last)
{
	if (f->nblocks == MAX_BLOCKS)
		abort();
	f->blocks[f->nblocks].proto = proto;
	f->blocks[f->nblocks].first = first;
	f->blocks[f->nblocks++].last = last;
}

static int
block_order(const void *a, const void *b)
{
	const struct fake_block *x = a, *y = b;

	if (x->first != y->first)
		return (int)x->first - (int)y->first;
	return (int)x->proto - (int)y->proto;
}

const char *
pa_fake_blocks(struct pa_fake *f)
{
	size_t i, off = 0;

	qsort(f->blocks, f->nblocks, sizeof(f->blocks[0]), block_order);
	f->blocks_text[0] = '\0';
	for (i = 0; i < f->nblocks; i++)
		off += (size_t)snprintf(f->blocks_text + off,
		    sizeof(f->blocks_text) - off, "%s%s:%u-%u", i ? "," : "",
		    f->blocks[i].proto == PA_TCP ? "tcp" : "udp",
		    f->blocks[i].first, f->blocks[i].last);
	return f->blocks_text;
}

void
pa_fake_fail_block_create(struct pa_fake *f, int code)
{
	f->create_error = code;
}

void
pa_fake_fail_block_delete(struct pa_fake *f, int code)
{
	f->delete_error = code;
}

void
pa_fake_fail_resv_bind(struct pa_fake *f, int code)
{
	f->resv_bind_error = code;
}

unsigned
pa_fake_resv_binds(const struct pa_fake *f)
{
	return f->resv_binds;
}
