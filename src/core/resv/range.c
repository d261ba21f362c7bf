/*
 * The range-shaped reservation strategy (Windows: persistent TCP and UDP
 * port reservations): reserve creates one OS reservation for each
 * protocol a block serves, unreserve deletes those portalloc created, the
 * report looks every block up.  The OS's ops are os->resv_range.
 *
 * The OS keeps these reservations across reboots by itself, so there is
 * no drop-in, and it refuses one that overlaps another, so there is no
 * list to lock either; they are host-wide, so the store's rows all have
 * the place PA__RESV_HOST.  A row's added_protos are the protocols whose
 * reservation portalloc created: a reservation that was there before is
 * not portalloc's to delete.  A change runs inside the store's BEGIN
 * IMMEDIATE; when a later step fails, the reservations the call made or
 * deleted are put back as they were.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const unsigned protos_each[] = { PA_TCP, PA_UDP };
#define NPROTOS (sizeof(protos_each) / sizeof(protos_each[0]))

/* One reservation the call made (undo: delete) or deleted (undo:
 * create). */
struct change {
	unsigned proto;
	uint16_t first, last;
	int created;
};

/* One reserve or unreserve in progress. */
struct job {
	struct pa *pa;
	const struct pa__resv_range_ops *ops;
	struct pa__resv_row *rows;
	size_t nrows;
	struct change *changes;
	size_t nchanges;
	struct pa_resv_action *actions;
	size_t nactions;
	struct pa__ports before;        /* the known blocks' ports reserved */
	int undo_failed;
};
/* Frees what the job holds (the store's transaction is ended by then). */
static void
job_free(struct job *j)
{
	pa__resv_rows_free(j->rows, j->nrows);
	free(j->changes);
	pa__resv_actions_free(j->actions, j->nactions);
	j->rows = NULL;
	j->changes = NULL;
	j->actions = NULL;
	j->nrows = j->nchanges = j->nactions = 0;
}

/* The protocols of protos that the OS reserves exactly first..last
 * for, into *have. */
static int
lookup(const struct pa_os *os, unsigned protos, uint16_t first,
    uint16_t last, unsigned *have, struct pa_error *err)
{
	size_t i;
	int rc;

	*have = 0;
	for (i = 0; i < NPROTOS; i++) {
		if (!(protos & protos_each[i]))
			continue;
		rc = os->resv_range->lookup(os->ctx, protos_each[i], first,
		    last, err);
		if (rc == 0)
			*have |= protos_each[i];
		else if (rc != PA_ENOENT)
			return rc;
	}
	return 0;
}
/* Notes a reservation the job made (created) or deleted, for undo. */
static int
push_change(struct job *j, unsigned proto, uint16_t first, uint16_t last,
    int created, struct pa_error *err)
{
	struct change *v;

	v = realloc(j->changes, (j->nchanges + 1) * sizeof(*v));
	if (v == NULL)
		return pa__err_nomem(err);
	j->changes = v;
	v[j->nchanges].proto = proto;
	v[j->nchanges].first = first;
	v[j->nchanges].last = last;
	v[j->nchanges++].created = created;
	return 0;
}

/*
 * Creates (or, with del, deletes) the reservations of first..last for
 * the protocols in protos, recording each change; *done gets the
 * protocols acted on.  A deletion finding nothing is no error.
 */
static int
apply(struct job *j, unsigned protos, uint16_t first, uint16_t last,
    int del, unsigned *done, struct pa_error *err)
{
	void *ctx = j->pa->os->ctx;
	size_t i;
	int rc;

	*done = 0;
	for (i = 0; i < NPROTOS; i++) {
		if (!(protos & protos_each[i]))
			continue;
		rc = del ? j->ops->remove(ctx, protos_each[i], first, last,
		    err) : j->ops->create(ctx, protos_each[i], first, last,
		    err);
		if (del && rc == PA_ENOENT)
			continue;
		if (rc == 0)
			rc = push_change(j, protos_each[i], first, last, !del,
			    err);
		if (rc != 0)
			return rc;
		*done |= protos_each[i];
	}
	return 0;
}

/* Puts back every reservation the job made or deleted, newest first. */
static void
undo(struct job *j, struct pa_error *err)
{
	void *ctx = j->pa->os->ctx;
	const struct change *c;
	struct pa_error u;
	int rc;

	while (j->nchanges > 0) {
		c = &j->changes[--j->nchanges];
		memset(&u, 0, sizeof(u));
		rc = c->created ? j->ops->remove(ctx, c->proto, c->first,
		    c->last, &u) : j->ops->create(ctx, c->proto, c->first,
		    c->last, &u);
		if (rc != 0) {
			j->undo_failed = 1;
			pa__resv_undo_failed(err, &u);
			return;
		}
	}
}

/* Records what was done to one block: the protocols acted on. */
static int
push_action(struct job *j, const char *block, uint16_t first,
    uint16_t last, unsigned protos, struct pa_error *err)
{
	char *text = NULL;
	int n = protos ? asprintf(&text, "%u-%u", first, last) :
	    ((text = strdup("")) ? 0 : -1);

	if (n < 0)
		return pa__err_nomem(err);
	return pa__resv_action_push(&j->actions, &j->nactions, block, first,
	    last, 1, text, protos, err);
}

/*
 * The ports of the blocks portalloc knows (configured, or recorded) that
 * the OS reserves for every protocol they serve: what the report calls
 * the reserved list, looked up directly.
 */
struct known {
	const struct pa_os *os;
	struct pa__ports *set;
	struct pa_error *err;
};

static int
add_known(void *arg, const struct pa_block *b, const struct pa__resv_row *row,
    int is_here)
{
	struct known *k = arg;
	unsigned protos = pa__resv_protos(b, row), have;
	uint16_t first = b ? b->first : row->first;
	uint16_t last = b ? b->last : row->last;
	int rc;

	if (!is_here)
		return 0;
	if ((rc = lookup(k->os, protos, first, last, &have, k->err)) != 0)
		return rc;
	if (have == protos)
		pa__ports_add(k->set, first, last);
	return 0;
}

/* The ports of the known blocks that the OS reserves, into *set. */
static int
known_reserved(struct pa *pa, const struct pa__resv_row *rows, size_t nrows,
    struct pa__ports *set, struct pa_error *err)
{
	struct known k = { pa->os, set, err };

	memset(set, 0, sizeof(*set));
	return pa__resv_walk(pa->cfg, rows, nrows, PA__RESV_HOST, add_known,
	    &k);
}

/* Takes the store's transaction and reads the rows, and (with before)
 * what is reserved. */
static int
job_begin(struct job *j, struct pa *pa, int before, struct pa_error *err)
{
	int rc;

	memset(j, 0, sizeof(*j));
	j->pa = pa;
	j->ops = pa->os->resv_range;
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		return rc;
	rc = pa__store_resv_select(pa->store, &j->rows, &j->nrows, err);
	if (rc == 0 && before)
		rc = known_reserved(pa, j->rows, j->nrows, &j->before, err);
	if (rc != 0) {
		pa__store_rollback(pa->store);
		job_free(j);
	}
	return rc;
}

/*
 * Reserves block b for the protocols it serves that the OS does not
 * reserve yet, and records it.  A block that moved first loses the
 * reservations portalloc made of its old ports, and one that serves fewer
 * protocols those of the others.
 */
static int
reserve_one(struct job *j, const struct pa_block *b, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	struct pa__resv_row *row = pa__resv_row_find(j->rows, j->nrows,
	    PA__RESV_HOST, b->name), nr;
	unsigned have, made, gone, ours = 0;
	int rc, moved;

	moved = row != NULL && (row->first != b->first ||
	    row->last != b->last);
	if (moved && (rc = apply(j, row->added_protos, row->first,
	    row->last, 1, &gone, err)) != 0)
		return rc;
	if (row != NULL && !moved) {
		/* a protocol the block no longer serves loses ours */
		ours = row->added_protos;
		if ((rc = apply(j, ours & ~b->protos, b->first, b->last, 1,
		    &gone, err)) != 0)
			return rc;
		ours &= b->protos;
	}
	if ((rc = lookup(os, b->protos, b->first, b->last, &have, err)) != 0)
		return rc;
	if ((rc = apply(j, b->protos & ~have, b->first, b->last, 0, &made,
	    err)) != 0)
		return rc;
	memset(&nr, 0, sizeof(nr));
	pa__strlcpy(nr.netns, PA__RESV_HOST, sizeof(nr.netns));
	pa__strlcpy(nr.block, b->name, sizeof(nr.block));
	nr.first = b->first;
	nr.last = b->last;
	nr.persistent = 1;      /* the only kind these are */
	nr.created = row != NULL && !moved ? row->created : os->now(os->ctx);
	nr.added_ports = (char *)"";
	nr.added_protos = ours | made;
	if ((rc = pa__store_resv_put(j->pa->store, &nr, err)) != 0)
		return rc;
	return push_action(j, b->name, b->first, b->last, made, err);
}

/* Commits the job, or puts the OS back as it was. */
static int
job_finish(struct job *j, int rc, struct pa_error *err)
{
	if (rc == 0)
		rc = pa__store_commit(j->pa->store, err);
	if (rc != 0) {
		pa__store_rollback(j->pa->store);
		undo(j, err);
	}
	return rc;
}

/* What the OS reserves of an entry. */
static int
os_part(void *ctx, struct pa_resv *e, struct pa_error *err)
{
	const struct pa_os *os = ctx;
	int rc;

	if ((rc = lookup(os, e->protos, e->first, e->last, &e->os_protos,
	    err)) != 0)
		return rc;
	e->os_count = e->os_protos == e->protos ?
	    (unsigned)e->last - e->first + 1u : 0;
	return 0;
}
/* Is e one of the report's reservations for its protocol? */
static int
known_range(const struct pa_resv_report *r, const struct pa_resv_excluded *e)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].first == e->first && r->v[i].last == e->last &&
		    (r->v[i].os_protos & e->proto))
			return 1;
	return 0;
}

/* Every range the OS excludes, where it can say (others' are what users
 * fight most: a bind there fails with WSAEACCES); nothing otherwise. */
static int
add_excluded(struct pa *pa, struct pa_resv_report *r, struct pa_error *err)
{
	const struct pa__resv_range_ops *ops = pa->os->resv_range;
	static const unsigned protos[] = { PA_TCP, PA_UDP };
	size_t i, k, n, max = 512;
	int rc;

	if (ops->excluded == NULL)
		return 0;
	if ((r->excluded = calloc(2 * max, sizeof(*r->excluded))) == NULL)
		return pa__err_nomem(err);
	for (k = 0; k < 2; k++) {
		rc = ops->excluded(pa->os->ctx, protos[k],
		    r->excluded + r->nexcluded, max, &n, NULL);
		if (rc != 0)
			continue;   /* the OS cannot say: the report says less */
		for (i = r->nexcluded; i < r->nexcluded + n; i++) {
			r->excluded[i].proto = protos[k];
			r->excluded[i].portalloc = known_range(r,
			    &r->excluded[i]);
		}
		r->nexcluded += n;
	}
	return 0;
}

/* The strategy's report: every entry looked up in the OS. */
static int
range_report(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct pa_resv_report *r;
	struct pa__resv_row *rows = NULL;
	struct pa__ports now;
	size_t nrows = 0;
	int rc;

	*out = NULL;
	if ((r = pa__resv_report_new(PA_RESV_RANGE, pa->os)) == NULL)
		return pa__err_nomem(err);
	rc = pa__store_resv_select(pa->store, &rows, &nrows, err);
	if (rc == 0)
		rc = pa__resv_entries(r, pa->cfg, rows, nrows, PA__RESV_HOST,
		    os_part, (void *)pa->os, err);
	if (rc == 0)
		rc = known_reserved(pa, rows, nrows, &now, err);
	if (rc == 0 && (pa__ports_render(&now, &r->now) != 0 ||
	    (r->dropin_ports = strdup("")) == NULL))
		rc = pa__err_nomem(err);
	if (rc == 0)
		rc = add_excluded(pa, r, err);
	pa__resv_rows_free(rows, nrows);
	if (rc != 0) {
		pa_resv_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* The report after a job, with its actions. */
static int
job_report(struct job *j, struct pa_resv_report **out,
    struct pa_error *err)
{
	int rc;

	if ((rc = range_report(j->pa, out, err)) != 0)
		return rc;
	return pa__resv_report_done(out, &j->before, &j->actions,
	    &j->nactions, err);
}
/* The strategy's reserve: one job over every block, with what the
 * known blocks had reserved before. */
static int
range_reserve(struct pa *pa, const struct pa_block *const *blocks, size_t n,
    struct pa_resv_report **out, struct pa_error *err)
{
	struct job j;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = job_begin(&j, pa, 1, err)) != 0)
		return rc;
	for (i = 0, rc = 0; rc == 0 && i < n; i++)
		rc = reserve_one(&j, blocks[i], err);
	if ((rc = job_finish(&j, rc, err)) == 0)
		rc = job_report(&j, out, err);
	else
		rc = pa__resv_failed(err, rc, j.undo_failed);
	job_free(&j);
	return rc;
}

/* Deletes the reservations portalloc made for block (NULL: every block),
 * and their rows. */
static int
unreserve_rows(struct job *j, const char *block, struct pa_error *err)
{
	const struct pa__resv_row *r;
	unsigned gone;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < j->nrows; i++) {
		r = &j->rows[i];
		if (strcmp(r->netns, PA__RESV_HOST) != 0 ||
		    (block != NULL && strcmp(r->block, block) != 0))
			continue;
		rc = apply(j, r->added_protos, r->first, r->last, 1, &gone,
		    err);
		if (rc == 0)
			rc = pa__store_resv_delete(j->pa->store, r->netns,
			    r->block, err);
		if (rc == 0)
			rc = push_action(j, r->block, r->first, r->last, gone,
			    err);
	}
	return rc;
}
/* The strategy's unreserve: portalloc's reservations go, then the
 * rows. */
static int
range_unreserve(struct pa *pa, const char *block,
    struct pa_resv_report **out, struct pa_error *err)
{
	struct job j;
	int rc;

	*out = NULL;
	if ((rc = job_begin(&j, pa, 1, err)) != 0)
		return rc;
	rc = job_finish(&j, unreserve_rows(&j, block, err), err);
	if (rc == 0)
		rc = job_report(&j, out, err);
	else
		rc = pa__resv_failed(err, rc, j.undo_failed);
	job_free(&j);
	return rc;
}

/* Whether the OS has b for every protocol it serves: pa_get's path,
 * looked up directly, with no report. */
static int
range_covered(struct pa *pa, const struct pa_block *b, struct pa_error *err)
{
	unsigned have;
	int rc;

	if ((rc = lookup(pa->os, b->protos, b->first, b->last, &have,
	    err)) != 0)
		return rc;
	return have == b->protos;
}

/* Reserves b unless the OS has it for every protocol it serves. */
static int
range_ensure(struct pa *pa, const struct pa_block *b, struct pa_error *err)
{
	struct job j;
	int rc;

	if ((rc = range_covered(pa, b, err)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = job_begin(&j, pa, 0, err)) != 0)
		return rc;
	rc = job_finish(&j, reserve_one(&j, b, err), err);
	job_free(&j);
	return rc;
}

const struct pa__resv_strategy pa__resv_range = {
	PA_RESV_RANGE,
	range_reserve,
	range_unreserve,
	range_report,
	range_covered,
	range_ensure,
};
