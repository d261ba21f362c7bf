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

/*
 * Callers that must not share a port must share one store file, reached by
 * one name: never an in-memory database, an SQLite URI (its options could
 * open the file another way) or a relative path (one store per working
 * directory).  PA_ECONFIG with where the name came from.
 */
static int
check_store_name(const struct pa_config *cfg, const char *path,
    struct pa_error *err)
{
	const char *from = cfg->o_store.source == PA_FROM_ENV ?
	    " (from $PORTALLOC_STORE)" : "";
	const char *why = NULL;

	if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
		why = "an in-memory database: every process would have its own";
	else if (strncmp(path, "file:", 5) == 0)
		why = "an SQLite URI: the store is named by its plain path";
	else if (!pa__path_absolute(path))
		why = "a relative path: every working directory would have its "
		    "own store";
	if (why == NULL)
		return 0;
	return pa__hint(err, pa__err(err, PA_ECONFIG, "store '%s'%s is %s; "
	    "name it by its absolute path", path, from, why), PA_HINT_STORE,
	    NULL);
}

static int
store_path(const struct pa_config *cfg, const struct pa_os *os, char *buf,
    size_t len, struct pa_error *err)
{
	if (cfg->store[0] == '\0')
		return os->default_store(os->ctx, buf, len, err);
	if (pa__strlcpy(buf, cfg->store, len))
		return pa__err(err, PA_ESTORE, "store path too long");
	return check_store_name(cfg, buf, err);
}

int
pa_config_store(const struct pa_config *cfg, char *buf, size_t len,
    struct pa_error *err)
{
	return store_path(cfg, pa__os_native(), buf, len, err);
}

/* The caller's PID namespace; 0 when the OS does not say. */
static uint64_t
self_pidns(const struct pa_os *os)
{
	struct pa_proc me;

	if (pa__proc(os, os->self_pid(os->ctx), PA_PROC_PIDNS, &me,
	    NULL) != 0)
		return 0;
	return me.pidns;
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
	pa->pidns = self_pidns(os);
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

enum pa_lease_state
pa__lease_state(const struct pa *pa, const struct pa_lease *l, int64_t *here)
{
	struct pa__owner o;

	if (l->expires != 0 && l->expires <= pa->os->now(pa->os->ctx))
		return PA_LEASE_EXPIRED;
	pa__owner_of_lease(l, &o);
	if (!pa__owner_alive(pa->os, pa->pidns, &o, here))
		return PA_LEASE_DEAD;
	return PA_LEASE_ALIVE;
}

/* Many leases share an owner: ask the OS about each owner once. */
struct owner_cache {
	struct pa__owner v[64];
	enum pa_lease_state state[64];
	int64_t here[64];
	size_t n;
};

/* l's state, and its owner's pid here (pa_lease.owner_pid_here). */
static enum pa_lease_state
cached_state(const struct pa *pa, struct owner_cache *c, struct pa_lease *l)
{
	struct pa__owner o;
	enum pa_lease_state s;
	size_t i;

	l->owner_pid_here = 0;
	if (l->expires != 0 && l->expires <= pa->os->now(pa->os->ctx))
		return PA_LEASE_EXPIRED;
	pa__owner_of_lease(l, &o);
	for (i = 0; i < c->n; i++)
		if (pa__owner_same(&c->v[i], &o)) {
			l->owner_pid_here = c->here[i];
			return c->state[i];
		}
	s = pa__lease_state(pa, l, &l->owner_pid_here);
	if (c->n < 64) {
		c->v[c->n] = o;
		c->here[c->n] = l->owner_pid_here;
		c->state[c->n++] = s;
	}
	return s;
}

int
pa__reclaim_owner(struct pa *pa, const struct pa__owner *o,
    struct pa_lease **out, size_t *n, size_t *cap, struct pa_error *err)
{
	int rc;

	if (pa__owner_alive(pa->os, pa->pidns, o, NULL))
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

/*
 * What a filter selects, made ready for a walk: the filter the store
 * applies (block, tag, uid, ports) and the owner a lease must have.  An
 * owner pid means a process, not a number: the one with that pid now, or,
 * when none lives, the dead owners of the caller's namespace that had it.
 * "Mine" (PA_OWNER_PARENT) is the owner pa_get would choose, or a launcher
 * it went past on the way (a script whose last command releases is one,
 * though it owned what it got).
 */
struct selection {
	struct pa_filter r;
	int have_want;
	struct pa__owner want;          /* f->owner_of's owner */
	int64_t pid;                    /* > 0: owned by this pid's process */
	int have_live;                  /* live: the process there now */
	struct pa_proc live;
	struct pa_proc passed[PA__OWNER_DEPTH]; /* launchers that also own */
	int npassed;
};

/* s made from f, the caller's uid and "mine"'s owner looked up once;
 * fails only when "mine" has no owner. */
static int
select_begin(struct pa *pa, const struct pa_filter *f, struct selection *s,
    struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	int exiting, rc;

	s->r = resolve(pa, f);
	s->pid = s->r.owner_pid;
	s->have_live = s->have_want = s->npassed = 0;
	if (s->pid == PA_OWNER_PARENT) {
		if ((rc = pa__owner_choose(os, pa->pidns, s->pid, &s->live,
		    &exiting, s->passed, &s->npassed, err)) != 0)
			return rc;
		s->pid = s->live.pid;
		s->have_live = 1;
	} else if (s->pid > 0) {
		s->have_live = os->proc(os->ctx, s->pid, &s->live, NULL) == 0 &&
		    s->live.start != 0;
	}
	if (f->owner_of != NULL) {
		pa__owner_of_lease(f->owner_of, &s->want);
		s->have_want = 1;
	}
	s->r.owner_pid = 0;
	s->r.owner_of = NULL;
	return 0;
}

/* Whether the selection's owner (if it names one) owns l. */
static int
owned(const struct pa *pa, const struct selection *s, const struct pa_lease *l)
{
	struct pa__owner o;
	int j, keep;

	if (!s->have_want && s->pid <= 0)
		return 1;
	pa__owner_of_lease(l, &o);
	if (s->have_want && !pa__owner_same(&o, &s->want))
		return 0;
	if (s->pid <= 0)
		return 1;
	keep = pa__owner_is(pa->pidns, &o, s->pid,
	    s->have_live ? &s->live : NULL);
	for (j = 0; !keep && j < s->npassed; j++)
		keep = pa__owner_is(pa->pidns, &o, s->passed[j].pid,
		    &s->passed[j]);
	return keep;
}

/* One walk over the store: the selection, and where its leases go. */
struct walk {
	struct pa *pa;
	struct selection sel;
	struct owner_cache *cache;      /* NULL: no states wanted */
	int (*fn)(const struct pa_lease *, void *);
	void *arg;
};

/* Hands a row the selection keeps to the walk's fn, with its state. */
static int
walk_row(struct pa_lease *l, void *arg)
{
	struct walk *w = arg;

	if (!owned(w->pa, &w->sel, l))
		return 0;
	if (w->cache != NULL)
		l->state = cached_state(w->pa, w->cache, l);
	return w->fn(l, w->arg);
}

/* The one filtering path: fn gets each lease f selects, by port, with its
 * state when states is set; fn's nonzero return stops the walk. */
static int
walk_leases(struct pa *pa, const struct pa_filter *f, int states,
    int (*fn)(const struct pa_lease *, void *), void *arg,
    struct pa_error *err)
{
	struct owner_cache cache;
	struct walk w;
	int rc;

	if ((rc = select_begin(pa, f, &w.sel, err)) != 0)
		return rc;
	cache.n = 0;
	w.pa = pa;
	w.cache = states ? &cache : NULL;
	w.fn = fn;
	w.arg = arg;
	return pa__store_each(pa->store, &w.sel.r, walk_row, &w, err);
}

int
pa_list_each(struct pa *pa, const struct pa_filter *f,
    int (*fn)(const struct pa_lease *, void *), void *arg,
    struct pa_error *err)
{
	return walk_leases(pa, f, 1, fn, arg, err);
}

/* An array a walk fills. */
struct collect {
	struct pa_lease **out;
	size_t *n;
	size_t cap;
};

/* Appends l; PA_ENOMEM stops the walk. */
static int
collect_one(const struct pa_lease *l, void *arg)
{
	struct collect *c = arg;

	return pa__leases_push(c->out, c->n, &c->cap, l);
}

/* Every lease f selects into *out (*n of them), with states if asked;
 * on failure *out may hold some, for the caller to free. */
static int
select_leases(struct pa *pa, const struct pa_filter *f, int states,
    struct pa_lease **out, size_t *n, struct pa_error *err)
{
	struct collect c = { out, n, 0 };
	int rc;

	rc = walk_leases(pa, f, states, collect_one, &c, err);
	if (rc == PA_ENOMEM)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return rc;
}

int
pa_list(struct pa *pa, const struct pa_filter *f, struct pa_lease **out,
    size_t *n, struct pa_error *err)
{
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = select_leases(pa, f, 1, out, n, err)) != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
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
	int64_t uid = pa->os->self_uid(pa->os->ctx);
	size_t i;
	int rc;

	if ((rc = select_leases(pa, arg, 0, out, n, err)) != 0)
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
