/*
 * Lease life: open a store, reclaim what is dead or expired, list, release.
 * Allocation itself is in alloc.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void
pa_leases_free(struct pa_lease *leases)
{
	free(leases);
}

static int
store_path(const struct pa_config *cfg, const struct pa_os *os, char *buf,
    size_t len, struct pa_error *err)
{
	if (cfg->store[0] == '\0')
		return os->default_store(os->ctx, buf, len, err);
	if (pa__strlcpy(buf, cfg->store, len))
		return pa__err(err, PA_ESTORE, "store path too long");
	return 0;
}

int
pa_config_store(const struct pa_config *cfg, char *buf, size_t len,
    struct pa_error *err)
{
	return store_path(cfg, pa__os_native(), buf, len, err);
}

int
pa__open_os(struct pa **out, const struct pa_config *cfg,
    const struct pa_os *os, struct pa_error *err)
{
	char path[PA_PATH_MAX];
	struct pa *pa;
	int rc;

	*out = NULL;
	if ((rc = pa__config_check_os(cfg, os, err)) != 0)
		return rc;
	if ((rc = store_path(cfg, os, path, sizeof(path), err)) != 0)
		return rc;
	if ((pa = calloc(1, sizeof(*pa))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	pa->cfg = cfg;
	pa->os = os;
	pa->resv = pa__resv_choose(os);
	if ((rc = pa__store_open(&pa->store, path, os, err)) != 0) {
		free(pa);
		return rc;
	}
	*out = pa;
	return 0;
}

int
pa_open(struct pa **out, const struct pa_config *cfg, struct pa_error *err)
{
	return pa__open_os(out, cfg, pa__os_native(), err);
}

void
pa_close(struct pa *pa)
{
	if (pa == NULL)
		return;
	pa__store_close(pa->store);
	free(pa);
}

const char *
pa_store_path(const struct pa *pa)
{
	return pa__store_path(pa->store);
}

int
pa__owner_alive(const struct pa_os *os, int64_t pid, uint64_t start,
    const char *boot)
{
	struct pa_proc p;
	int rc;

	if (strcmp(boot, os->boot_id(os->ctx)) != 0)
		return 0;
	rc = os->proc(os->ctx, pid, &p, NULL);
	if (rc == PA_ESRCH)
		return 0;
	if (rc != 0 || p.start == 0)
		return 1; /* exists but unreadable: never reclaim on a guess */
	return p.start == start;
}

enum pa_lease_state
pa__lease_state(const struct pa *pa, const struct pa_lease *l)
{
	if (l->expires != 0 && l->expires <= pa->os->now(pa->os->ctx))
		return PA_LEASE_EXPIRED;
	if (!pa__owner_alive(pa->os, l->owner_pid, l->owner_start,
	    l->owner_boot))
		return PA_LEASE_DEAD;
	return PA_LEASE_ALIVE;
}

/* Many leases share an owner: ask the OS about each owner once. */
struct owner_cache {
	const struct pa_lease *v[64];
	enum pa_lease_state state[64];
	size_t n;
};

static enum pa_lease_state
cached_state(const struct pa *pa, struct owner_cache *c,
    const struct pa_lease *l)
{
	const struct pa_lease *o;
	enum pa_lease_state s;
	size_t i;

	if (l->expires != 0 && l->expires <= pa->os->now(pa->os->ctx))
		return PA_LEASE_EXPIRED;
	for (i = 0; i < c->n; i++) {
		o = c->v[i];
		if (o->owner_pid == l->owner_pid &&
		    o->owner_start == l->owner_start &&
		    strcmp(o->owner_boot, l->owner_boot) == 0)
			return c->state[i];
	}
	s = pa__lease_state(pa, l);
	if (c->n < 64) {
		c->v[c->n] = l;
		c->state[c->n++] = s;
	}
	return s;
}

static void
fill_states(const struct pa *pa, struct pa_lease *v, size_t n)
{
	struct owner_cache c;
	size_t i;

	c.n = 0;
	for (i = 0; i < n; i++)
		v[i].state = cached_state(pa, &c, &v[i]);
}

int
pa__reclaim_owner(struct pa *pa, const struct pa__owner *o,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err)
{
	int rc;

	if (pa__owner_alive(pa->os, o->pid, o->start, o->boot))
		return 0;
	rc = pa__store_take_owner(pa->store, o, out, n, cap, err);
	return rc != 0 ? rc : 1;
}

int
pa__reclaim(struct pa *pa, struct pa_lease **out, size_t *n,
    struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	struct pa__owner *owners;
	size_t nowners, i, cap = *n;
	int rc;

	rc = pa__store_take_expired(pa->store, os->now(os->ctx), out, n, &cap,
	    err);
	if (rc != 0)
		return rc;
	if ((rc = pa__store_owners(pa->store, &owners, &nowners, err)) != 0)
		return rc;
	for (i = 0; rc >= 0 && i < nowners; i++)
		rc = pa__reclaim_owner(pa, &owners[i], out, n, &cap, err);
	free(owners);
	return rc < 0 ? rc : 0;
}

/* The filter with PA_UID_SELF made the caller's uid. */
static struct pa_filter
resolve(const struct pa *pa, const struct pa_filter *f)
{
	struct pa_filter r = *f;

	if (r.uid == PA_UID_SELF)
		r.uid = pa->os->self_uid(pa->os->ctx);
	return r;
}

int
pa_list(struct pa *pa, const struct pa_filter *f, struct pa_lease **out,
    size_t *n, struct pa_error *err)
{
	struct pa_filter r = resolve(pa, f);
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = pa__store_select(pa->store, &r, out, n, err)) != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return rc;
	}
	fill_states(pa, *out, *n);
	return 0;
}

/* Runs fn inside one transaction; on failure the output is emptied. */
static int
in_transaction(struct pa *pa, struct pa_lease **out, size_t *n,
    struct pa_error *err,
    int (*fn)(struct pa *, const void *, struct pa_lease **, size_t *,
    struct pa_error *), const void *arg)
{
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		return rc;
	if ((rc = fn(pa, arg, out, n, err)) == 0)
		rc = pa__store_commit(pa->store, err);
	else
		pa__store_rollback(pa->store);
	if (rc != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int
release_locked(struct pa *pa, const void *arg, struct pa_lease **out,
    size_t *n, struct pa_error *err)
{
	struct pa_filter f = resolve(pa, arg);
	int64_t uid = pa->os->self_uid(pa->os->ctx);
	size_t i;
	int rc;

	if ((rc = pa__store_select(pa->store, &f, out, n, err)) != 0)
		return rc;
	for (i = 0; uid != 0 && i < *n; i++)
		if ((*out)[i].uid != uid)
			return pa__err(err, PA_EPERM, "port %u is leased by "
			    "uid %lld (pid %lld); only that user or root can "
			    "release it", (*out)[i].port,
			    (long long)(*out)[i].uid,
			    (long long)(*out)[i].owner_pid);
	return pa__store_delete(pa->store, *out, *n, err);
}

int
pa_release(struct pa *pa, const struct pa_filter *f, struct pa_lease **out,
    size_t *n, struct pa_error *err)
{
	return in_transaction(pa, out, n, err, release_locked, f);
}

static int
gc_locked(struct pa *pa, const void *arg, struct pa_lease **out, size_t *n,
    struct pa_error *err)
{
	(void)arg;
	return pa__reclaim(pa, out, n, err);
}

int
pa_gc(struct pa *pa, struct pa_lease **out, size_t *n, struct pa_error *err)
{
	return in_transaction(pa, out, n, err, gc_locked, NULL);
}

int64_t
pa_uid(const struct pa *pa)
{
	return pa->os->self_uid(pa->os->ctx);
}
