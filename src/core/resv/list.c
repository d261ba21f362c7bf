/*
 * The list-shaped reservation strategy (Linux): put blocks on the OS's
 * list of ports that are never handed out automatically
 * (net.ipv4.ip_local_reserved_ports), and take off exactly what portalloc
 * put there.  The OS's ops are os->resv_list.
 *
 * The list belongs to a network namespace.  The store keeps one row per
 * namespace and block, with the ports portalloc itself added (ports that
 * were on the list already are not ours to take off).  Every change runs
 * inside the store's BEGIN IMMEDIATE and under the OS's lock on the list,
 * so that two portalloc processes never lose each other's update, and
 * writes in the order: the OS's list, the drop-in, the store's commit; a
 * failed step undoes those before it.  A caller who may not change the
 * list therefore changes nothing at all.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/*
 * One reserve or unreserve: the store's transaction, the OS's lock, and
 * what was read under them.
 */
struct job {
	struct pa *pa;
	const struct pa__resv_list_ops *ops;
	char netns[PA_NETNS_MAX];
	int lock;                       /* the OS lock's handle; -1: none */
	struct pa__ports before, after; /* the OS's list */
	char *dropin;                   /* the drop-in's text; NULL: none */
	int dropin_changed;
	struct pa__resv_row *rows;      /* the store's, every namespace */
	size_t nrows;
	struct pa_resv_action *actions;
	size_t nactions;
	int undo_failed;
};

/* Lets go of everything the job holds; an uncommitted change is rolled
 * back. */
static void
job_end(struct job *j)
{
	void *ctx = j->pa->os->ctx;

	if (j->lock >= 0)
		j->ops->reserved_unlock(ctx, j->lock);
	j->lock = -1;
	pa__store_rollback(j->pa->store);
	free(j->dropin);
	pa__resv_rows_free(j->rows, j->nrows);
	pa__resv_actions_free(j->actions, j->nactions);
	j->dropin = NULL;
	j->rows = NULL;
	j->actions = NULL;
	j->nrows = j->nactions = 0;
}

/* The OS's list, parsed. */
static int
read_list(const struct pa_os *os, struct pa__ports *set,
    struct pa_error *err)
{
	char *text;
	int rc;

	if ((rc = os->resv_list->reserved_read(os->ctx, &text, err)) != 0)
		return rc;
	rc = pa__ports_parse(text, set);
	if (rc != 0)
		rc = pa__err(err, PA_EOS, "cannot read the OS's reserved "
		    "ports: unexpected text '%.60s'", text);
	free(text);
	return rc;
}

/* The drop-in's text into *text, NULL when there is none. */
static int
read_dropin(const struct pa_os *os, char **text, struct pa_error *err)
{
	int rc = os->resv_list->dropin_read(os->ctx, text, err);

	if (rc == PA_ENOENT) {
		*text = NULL;
		return 0;
	}
	return rc;
}

/* Takes the store's transaction and the OS's lock, then reads. */
static int
job_begin(struct job *j, struct pa *pa, struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	int rc;

	memset(j, 0, sizeof(*j));
	j->pa = pa;
	j->ops = os->resv_list;
	j->lock = -1;
	if ((rc = j->ops->netns_id(os->ctx, j->netns, sizeof(j->netns),
	    err)) != 0)
		return rc;
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		return rc;
	if ((rc = j->ops->reserved_lock(os->ctx, &j->lock, err)) != 0) {
		j->lock = -1;
		goto fail;
	}
	if ((rc = read_list(os, &j->before, err)) != 0)
		goto fail;
	j->after = j->before;
	if ((rc = read_dropin(os, &j->dropin, err)) != 0)
		goto fail;
	if ((rc = pa__store_resv_select(pa->store, &j->rows, &j->nrows,
	    err)) != 0)
		goto fail;
	return 0;
fail:
	job_end(j);
	return rc;
}

/* Reads the rows again, with this transaction's own changes. */
static int
job_reload(struct job *j, struct pa_error *err)
{
	pa__resv_rows_free(j->rows, j->nrows);
	j->rows = NULL;
	j->nrows = 0;
	return pa__store_resv_select(j->pa->store, &j->rows, &j->nrows, err);
}

/* The ports a row says portalloc added. */
static int
row_added(const struct pa__resv_row *r, struct pa__ports *set,
    struct pa_error *err)
{
	if (pa__ports_parse(r->added_ports, set) != 0)
		return pa__err(err, PA_EIO, "the store's reservation of block "
		    "'%s' in %s has a bad port list '%.60s'", r->block,
		    r->netns, r->added_ports);
	return 0;
}

/* The ports of every row of this namespace (persistent ones only, with
 * persistent_only), but the one named skip. */
static void
rows_ports(const struct job *j, int persistent_only, const char *skip,
    struct pa__ports *set)
{
	size_t i;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < j->nrows; i++) {
		const struct pa__resv_row *r = &j->rows[i];

		if (strcmp(r->netns, j->netns) != 0 ||
		    (persistent_only && !r->persistent) ||
		    (skip && strcmp(r->block, skip) == 0))
			continue;
		pa__ports_add(set, r->first, r->last);
	}
}

/* Takes a row's own ports off the list, sparing those another row of this
 * namespace covers; *gone gets what was taken off. */
static int
take_off(struct job *j, const struct pa__resv_row *r,
    struct pa__ports *gone, struct pa_error *err)
{
	struct pa__ports keep;
	int rc;

	if ((rc = row_added(r, gone, err)) != 0)
		return rc;
	rows_ports(j, 0, r->block, &keep);
	pa__ports_minus(gone, &keep);
	pa__ports_minus(&j->after, gone);
	return 0;
}

/* Records block b's row: added are the ports portalloc added, created
 * when first reserved. */
static int
put_row(struct job *j, const struct pa_block *b,
    const struct pa__ports *added, int64_t created, struct pa_error *err)
{
	struct pa__resv_row nr;
	int rc;

	memset(&nr, 0, sizeof(nr));
	pa__strlcpy(nr.netns, j->netns, sizeof(nr.netns));
	pa__strlcpy(nr.block, b->name, sizeof(nr.block));
	nr.first = b->first;
	nr.last = b->last;
	nr.persistent = b->reserve == PA_RESERVE_PERSISTENT;
	nr.created = created;
	if (pa__ports_render(added, &nr.added_ports) != 0)
		return pa__err_nomem(err);
	rc = pa__store_resv_put(j->pa->store, &nr, err);
	free(nr.added_ports);
	return rc;
}

/* Puts block b on the list (in j->after) and records it in the store. */
static int
reserve_block(struct job *j, const struct pa_block *b, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	struct pa__resv_row *row = pa__resv_row_find(j->rows, j->nrows,
	    j->netns, b->name);
	struct pa__ports added, missing;
	char *text = NULL;
	int rc, moved;

	memset(&added, 0, sizeof(added));
	memset(&missing, 0, sizeof(missing));
	moved = row != NULL && (row->first != b->first ||
	    row->last != b->last);
	if (moved && (rc = take_off(j, row, &added, err)) != 0)
		return rc;   /* the block has moved: undo the old range */
	memset(&added, 0, sizeof(added));
	if (row != NULL && !moved && (rc = row_added(row, &added, err)) != 0)
		return rc;
	pa__ports_add(&missing, b->first, b->last);
	pa__ports_minus(&missing, &j->after);
	pa__ports_union(&j->after, &missing);
	pa__ports_union(&added, &missing);
	if ((rc = put_row(j, b, &added, row != NULL && !moved ?
	    row->created : os->now(os->ctx), err)) != 0)
		return rc;
	if (pa__ports_render(&missing, &text) != 0)
		return pa__err_nomem(err);
	return pa__resv_action_push(&j->actions, &j->nactions, b->name,
	    b->first, b->last, b->reserve == PA_RESERVE_PERSISTENT, text, 0,
	    err);
}

/* Notes in err that an undo failed (u says why). */
static void
undo_failed(struct job *j, struct pa_error *err, const struct pa_error *u)
{
	j->undo_failed = 1;
	pa__resv_undo_failed(err, u);
}

/* Puts the OS's list back as it was before the job. */
static void
undo_list(struct job *j, struct pa_error *err)
{
	struct pa_error u;
	char *text;

	memset(&u, 0, sizeof(u));
	if (pa__ports_render(&j->before, &text) != 0) {
		pa__err_nomem(&u);
		undo_failed(j, err, &u);
		return;
	}
	if (j->ops->reserved_write(j->pa->os->ctx, text, &u) != 0)
		undo_failed(j, err, &u);
	free(text);
}

/* Commits the store; if that fails, puts the drop-in and the list back
 * (those that were written). */
static int
commit_or_undo(struct job *j, int list_same, int dropin_same,
    struct pa_error *err)
{
	struct pa_error u;
	int rc;

	if ((rc = pa__store_commit(j->pa->store, err)) == 0)
		return 0;
	memset(&u, 0, sizeof(u));
	if (!dropin_same && j->ops->dropin_write(j->pa->os->ctx, j->dropin,
	    &u) != 0)
		undo_failed(j, err, &u);
	if (!list_same)
		undo_list(j, err);
	return rc;
}

/*
 * Writes what the job computed: the OS's list, the drop-in (from the
 * persistent rows of this namespace), then the store.  Each failure
 * undoes the writes before it.
 */
static int
job_apply(struct job *j, struct pa_error *err)
{
	void *ctx = j->pa->os->ctx;
	struct pa__ports persist;
	char *list = NULL, *text = NULL;
	int rc, list_same, dropin_same;

	if ((rc = job_reload(j, err)) != 0)
		return rc;
	rows_ports(j, 1, NULL, &persist);
	if (pa__dropin_text(&persist, &text) != 0 ||
	    pa__ports_render(&j->after, &list) != 0) {
		rc = pa__err_nomem(err);
		goto out;
	}
	list_same = pa__ports_equal(&j->before, &j->after);
	dropin_same = j->dropin == NULL ? text == NULL :
	    text != NULL && strcmp(j->dropin, text) == 0;
	if (!list_same && (rc = j->ops->reserved_write(ctx, list, err)) != 0)
		goto out;
	pa__fault("reserve.os");
	if (!dropin_same && (rc = j->ops->dropin_write(ctx, text,
	    err)) != 0) {
		if (!list_same)
			undo_list(j, err);
		goto out;
	}
	pa__fault("reserve.dropin");
	if ((rc = commit_or_undo(j, list_same, dropin_same, err)) == 0)
		j->dropin_changed = !dropin_same;
out:
	free(list);
	free(text);
	return rc;
}

/* Reserves blocks[0..n) in one job, which the caller ends (job_end) after
 * a report, if it wants one. */
static int
reserve_blocks(struct pa *pa, const struct pa_block *const *blocks,
    size_t n, struct job *j, struct pa_error *err)
{
	size_t i;
	int rc;

	if ((rc = job_begin(j, pa, err)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < n; i++)
		rc = reserve_block(j, blocks[i], err);
	if (rc == 0)
		rc = job_apply(j, err);
	return rc;
}

/*
 * The report: what the OS reserves now, the drop-in, every configured
 * block and every recorded row, and the warnings.
 */

/* What the report's entries are measured against. */
struct view {
	struct pa__ports now, dropin;
};

/* How much of an entry of this namespace the list and the drop-in have. */
static int
os_part(void *ctx, struct pa_resv *e, struct pa_error *err)
{
	const struct view *w = ctx;

	(void)err;
	e->os_count = pa__ports_count(&w->now, e->first, e->last);
	e->in_dropin = pa__ports_count(&w->dropin, e->first, e->last) ==
	    (unsigned)e->last - e->first + 1u;
	return 0;
}

/* Reads the OS's list and the drop-in into w and r. */
static int
read_view(const struct pa_os *os, struct pa_resv_report *r, struct view *w,
    struct pa_error *err)
{
	char *text;
	int rc;

	if ((rc = os->resv_list->netns_id(os->ctx, r->netns,
	    sizeof(r->netns), err)) != 0)
		return rc;
	if ((rc = read_list(os, &w->now, err)) != 0)
		return rc;
	pa__strlcpy(r->dropin, os->resv_list->dropin_path(os->ctx),
	    sizeof(r->dropin));
	if ((rc = read_dropin(os, &text, err)) != 0)
		return rc;
	r->dropin_exists = text != NULL;
	rc = pa__dropin_parse(text ? text : "", &w->dropin);
	free(text);
	if (rc != 0)
		return pa__err(err, rc == PA_ENOMEM ? rc : PA_EDATA,
		    "the drop-in %s does not parse: fix or remove it",
		    r->dropin);
	if (pa__ports_render(&w->now, &r->now) != 0 ||
	    pa__ports_render(&w->dropin, &r->dropin_ports) != 0)
		return pa__err_nomem(err);
	return 0;
}
/* The strategy's report (struct pa__resv_strategy): the list as it
 * is, read without the lock. */
static int
list_report(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct pa_resv_report *r;
	struct pa__resv_row *rows = NULL;
	struct view *w;
	size_t nrows = 0;
	int rc;

	r = pa__resv_report_new(PA_RESV_LIST, pa->os);
	w = calloc(1, sizeof(*w));
	if (r == NULL || w == NULL) {
		free(w);
		pa_resv_report_free(r);
		return pa__err_nomem(err);
	}
	rc = read_view(pa->os, r, w, err);
	if (rc == 0)
		rc = pa__store_resv_select(pa->store, &rows, &nrows, err);
	if (rc == 0)
		rc = pa__resv_entries(r, pa->cfg, rows, nrows, r->netns,
		    os_part, w, err);
	pa__resv_rows_free(rows, nrows);
	free(w);
	if (rc != 0) {
		pa_resv_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Builds the report after a job, handing it the job's actions. */
static int
job_report(struct job *j, struct pa_resv_report **out, struct pa_error *err)
{
	int rc;

	if ((rc = list_report(j->pa, out, err)) != 0)
		return rc;
	(*out)->dropin_changed = j->dropin_changed;
	return pa__resv_report_done(out, &j->before, &j->actions,
	    &j->nactions, err);
}
/* The strategy's reserve: one job over every block. */
static int
list_reserve(struct pa *pa, const struct pa_block *const *blocks, size_t n,
    struct pa_resv_report **out, struct pa_error *err)
{
	struct job j;
	int rc;

	*out = NULL;
	rc = reserve_blocks(pa, blocks, n, &j, err);
	if (rc == 0)
		rc = job_report(&j, out, err);
	else
		rc = pa__resv_failed(err, rc, j.undo_failed);
	job_end(&j);
	return rc;
}

/* Unreserves this namespace's rows for block (NULL: all of them). */
static int
unreserve_rows(struct job *j, const char *block, struct pa_error *err)
{
	struct pa__resv_row *targets = j->rows;
	struct pa__ports gone;
	size_t ntargets = j->nrows, i;
	char *text;
	int rc = 0;

	/* delete first, so that take_off spares only the rows that stay */
	for (i = 0; rc == 0 && i < ntargets; i++)
		if (strcmp(targets[i].netns, j->netns) == 0 &&
		    (block == NULL || strcmp(targets[i].block, block) == 0))
			rc = pa__store_resv_delete(j->pa->store, j->netns,
			    targets[i].block, err);
	j->rows = NULL;
	j->nrows = 0;
	if (rc == 0)
		rc = job_reload(j, err);
	for (i = 0; rc == 0 && i < ntargets; i++) {
		const struct pa__resv_row *r = &targets[i];

		if (strcmp(r->netns, j->netns) != 0 ||
		    (block != NULL && strcmp(r->block, block) != 0))
			continue;
		if ((rc = take_off(j, r, &gone, err)) != 0)
			break;
		if (pa__ports_render(&gone, &text) != 0)
			rc = pa__err_nomem(err);
		else
			rc = pa__resv_action_push(&j->actions, &j->nactions,
			    r->block, r->first, r->last, r->persistent, text,
			    0, err);
	}
	pa__resv_rows_free(targets, ntargets);
	return rc;
}
/* The strategy's unreserve: the rows go first, then their ports. */
static int
list_unreserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct job j;
	int rc;

	*out = NULL;
	if ((rc = job_begin(&j, pa, err)) != 0)
		return rc;
	rc = unreserve_rows(&j, block, err);
	if (rc == 0 && j.nactions > 0)
		rc = job_apply(&j, err);
	if (rc == 0)
		rc = job_report(&j, out, err);
	else
		rc = pa__resv_failed(err, rc, j.undo_failed);
	job_end(&j);
	return rc;
}

/* Whether the list has all of b: a read, without the lock, for the
 * common case of a block reserved long ago. */
static int
list_covered(struct pa *pa, const struct pa_block *b, struct pa_error *err)
{
	struct pa__ports now;
	int rc;

	if ((rc = read_list(pa->os, &now, err)) != 0)
		return rc;
	return pa__ports_count(&now, b->first, b->last) ==
	    (unsigned)b->last - b->first + 1u;
}

/* Reserves b unless the list has all of it. */
static int
list_ensure(struct pa *pa, const struct pa_block *b, struct pa_error *err)
{
	struct job j;
	int rc;

	if ((rc = list_covered(pa, b, err)) != 0)
		return rc < 0 ? rc : 0;
	rc = reserve_blocks(pa, &b, 1, &j, err);
	job_end(&j);
	return rc;
}

const struct pa__resv_strategy pa__resv_list = {
	PA_RESV_LIST,
	list_reserve,
	list_unreserve,
	list_report,
	list_covered,
	list_ensure,
};
