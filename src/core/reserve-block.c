/*
 * OS port reservations that come in whole blocks, one per protocol
 * (Windows: persistent TCP and UDP port reservations): reserve creates one
 * for each protocol a block serves, unreserve deletes those portalloc
 * created, reservations looks every block up.  pa_reserve and friends in
 * reserve.c come here when the OS has block_lookup.
 *
 * The OS keeps these reservations across reboots by itself, so there is
 * no drop-in, and it refuses one that overlaps another, so there is no
 * list to lock either.  The store keeps one row per block with, in
 * `added`, the protocols whose reservation portalloc created ("tcp",
 * "udp", "tcp,udp"): a reservation that was there before is not
 * portalloc's to delete.  A change runs inside the store's BEGIN
 * IMMEDIATE; when a later step fails, the reservations the call made or
 * deleted are put back as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static const unsigned protos_each[] = { PA_TCP, PA_UDP };
#define NPROTOS (sizeof(protos_each) / sizeof(protos_each[0]))

/* "", "tcp", "udp" or "tcp,udp". */
static const char *
protos_text(unsigned protos)
{
	static const char *const names[] = { "", "tcp", "udp", "tcp,udp" };

	return names[protos & PA_BOTH];
}

/* The protocols a row's `added` names; 0 for "". */
static unsigned
protos_of(const char *text)
{
	unsigned protos = 0;

	if (text[0] != '\0' && pa_parse_protos(text, &protos) != 0)
		protos = 0;
	return protos;
}

/* One reservation the call made (undo: delete) or deleted (undo:
 * create). */
struct change {
	unsigned proto;
	uint16_t first, last;
	int created;
};

/* One reserve or unreserve in progress. */
struct bjob {
	struct pa *pa;
	char netns[PA_NETNS_MAX];
	struct pa__resv *rows;
	size_t nrows;
	struct change *changes;
	size_t nchanges;
	struct pa_resv_action *actions;
	size_t nactions;
	struct pa__ports before;        /* the blocks' ports reserved */
};

static void
bjob_free(struct bjob *j)
{
	pa__resv_free(j->rows, j->nrows);
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
		rc = os->block_lookup(os->ctx, protos_each[i], first, last,
		    err);
		if (rc == 0)
			*have |= protos_each[i];
		else if (rc != PA_ENOENT)
			return rc;
	}
	return 0;
}

static int
push_change(struct bjob *j, unsigned proto, uint16_t first, uint16_t last,
    int created, struct pa_error *err)
{
	struct change *v;

	v = realloc(j->changes, (j->nchanges + 1) * sizeof(*v));
	if (v == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
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
apply(struct bjob *j, unsigned protos, uint16_t first, uint16_t last,
    int del, unsigned *done, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	size_t i;
	int rc;

	*done = 0;
	for (i = 0; i < NPROTOS; i++) {
		if (!(protos & protos_each[i]))
			continue;
		rc = del ? os->block_delete(os->ctx, protos_each[i], first,
		    last, err) : os->block_create(os->ctx, protos_each[i],
		    first, last, err);
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
undo(struct bjob *j, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	const struct change *c;
	struct pa_error u;
	int rc;

	while (j->nchanges > 0) {
		c = &j->changes[--j->nchanges];
		memset(&u, 0, sizeof(u));
		rc = c->created ? os->block_delete(os->ctx, c->proto, c->first,
		    c->last, &u) : os->block_create(os->ctx, c->proto,
		    c->first, c->last, &u);
		if (rc != 0) {
			pa__resv_undo_failed(err, &u);
			return;
		}
	}
}

/* Records what was done to one block: the protocols acted on. */
static int
push_action(struct bjob *j, const char *block, uint16_t first,
    uint16_t last, unsigned protos, struct pa_error *err)
{
	char *text = strdup(protos_text(protos));

	if (text == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return pa__resv_action_push(&j->actions, &j->nactions, block, first,
	    last, 1, text, err);
}

/* The ports of the blocks (configured, or recorded here) that the OS
 * reserves for every protocol they serve. */
static int
reserved_ports(struct pa *pa, const char *netns, const struct pa__resv *rows,
    size_t nrows, struct pa__ports *set, struct pa_error *err);

/* Takes the store's transaction and reads the rows and what is reserved. */
static int
bjob_begin(struct bjob *j, struct pa *pa, struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	int rc;

	memset(j, 0, sizeof(*j));
	j->pa = pa;
	if ((rc = os->netns_id(os->ctx, j->netns, sizeof(j->netns),
	    err)) != 0)
		return rc;
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		return rc;
	rc = pa__store_resv_select(pa->store, &j->rows, &j->nrows, err);
	if (rc == 0)
		rc = reserved_ports(pa, j->netns, j->rows, j->nrows,
		    &j->before, err);
	if (rc != 0) {
		pa__store_rollback(pa->store);
		bjob_free(j);
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
reserve_one(struct bjob *j, const struct pa_block *b, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	struct pa__resv *row = pa__resv_find(j->rows, j->nrows, j->netns,
	    b->name);
	unsigned have, made, gone, ours = 0;
	struct pa__resv nr;
	int rc, moved;

	moved = row != NULL && (row->first != b->first ||
	    row->last != b->last);
	if (moved && (rc = apply(j, protos_of(row->added), row->first,
	    row->last, 1, &gone, err)) != 0)
		return rc;
	if (row != NULL && !moved) {
		/* a protocol the block no longer serves loses ours */
		ours = protos_of(row->added);
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
	pa__strlcpy(nr.netns, j->netns, sizeof(nr.netns));
	pa__strlcpy(nr.block, b->name, sizeof(nr.block));
	nr.first = b->first;
	nr.last = b->last;
	nr.persistent = 1;      /* the only kind these are */
	nr.created = row != NULL && !moved ? row->created : os->now(os->ctx);
	nr.added = (char *)protos_text(ours | made);
	if ((rc = pa__store_resv_put(j->pa->store, &nr, err)) != 0)
		return rc;
	return push_action(j, b->name, b->first, b->last, made, err);
}

/* Adds what to run, as whom, to a permission error. */
static int
perm_hint(const char *cmd, const char *block, int rc, struct pa_error *err)
{
	char msg[sizeof(err->msg)];

	if (rc != PA_EPERM || err == NULL)
		return rc;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	return pa__err(err, PA_EPERM, "%s; run 'portalloc %s%s%s' as "
	    "Administrator", msg, cmd, block ? " -b " : "",
	    block ? block : "");
}

/* Commits the job, or puts the OS back as it was. */
static int
bjob_finish(struct bjob *j, int rc, struct pa_error *err)
{
	if (rc == 0)
		rc = pa__store_commit(j->pa->store, err);
	if (rc != 0) {
		pa__store_rollback(j->pa->store);
		undo(j, err);
	}
	return rc;
}

/* The report after a job, with its actions. */
static int
bjob_report(struct bjob *j, struct pa_resv_report **out,
    struct pa_error *err)
{
	int rc;

	if ((rc = pa__block_report(j->pa, out, err)) != 0)
		return rc;
	return pa__resv_report_done(out, &j->before, &j->actions,
	    &j->nactions, err);
}

/* Reserves blocks[0..n) in one job, committed or undone. */
static int
reserve_blocks(struct pa *pa, const struct pa_block *const *blocks,
    size_t n, struct bjob *j, struct pa_error *err)
{
	size_t i;
	int rc;

	if ((rc = bjob_begin(j, pa, err)) != 0)
		return rc;
	for (i = 0, rc = 0; rc == 0 && i < n; i++)
		rc = reserve_one(j, blocks[i], err);
	return bjob_finish(j, rc, err);
}

int
pa__block_reserve(struct pa *pa, const char *block,
    struct pa_resv_report **out, struct pa_error *err)
{
	const struct pa_block **blocks;
	struct bjob j;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = pa__resv_pick_blocks(pa->cfg, block, &blocks, &n,
	    err)) != 0)
		return rc;
	rc = reserve_blocks(pa, blocks, n, &j, err);
	free(blocks);
	if (rc == 0)
		rc = bjob_report(&j, out, err);
	else
		rc = perm_hint("reserve", block, rc, err);
	bjob_free(&j);
	return rc;
}

/* Deletes this namespace's reservations portalloc made for block (NULL:
 * every block), and their rows. */
static int
unreserve_rows(struct bjob *j, const char *block, struct pa_error *err)
{
	const struct pa__resv *r;
	unsigned gone;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < j->nrows; i++) {
		r = &j->rows[i];
		if (strcmp(r->netns, j->netns) != 0 ||
		    (block != NULL && strcmp(r->block, block) != 0))
			continue;
		rc = apply(j, protos_of(r->added), r->first, r->last, 1,
		    &gone, err);
		if (rc == 0)
			rc = pa__store_resv_delete(j->pa->store, j->netns,
			    r->block, err);
		if (rc == 0)
			rc = push_action(j, r->block, r->first, r->last, gone,
			    err);
	}
	return rc;
}

int
pa__block_unreserve(struct pa *pa, const char *block,
    struct pa_resv_report **out, struct pa_error *err)
{
	struct bjob j;
	int rc;

	*out = NULL;
	if ((rc = bjob_begin(&j, pa, err)) != 0)
		return rc;
	rc = bjob_finish(&j, unreserve_rows(&j, block, err), err);
	if (rc == 0)
		rc = bjob_report(&j, out, err);
	else
		rc = perm_hint("unreserve", block, rc, err);
	bjob_free(&j);
	return rc;
}

/*
 * The report: every configured block, then the rows of this namespace no
 * block matches, then other namespaces' rows; what the OS reserves is
 * looked up for this namespace's.
 */

/* The protocols an entry is about: the block's, or for a row with no
 * block the ones portalloc reserved (both when it reserved none). */
static unsigned
entry_protos(const struct pa_block *b, const struct pa__resv *row)
{
	unsigned p;

	if (b != NULL)
		return b->protos;
	p = protos_of(row->added);
	return p ? p : PA_BOTH;
}

/* One entry; *missing gets the protocols the OS does not reserve. */
static int
fill_entry(struct pa *pa, struct pa_resv_report *r, const struct pa_block *b,
    const struct pa__resv *row, unsigned *missing, struct pa_error *err)
{
	struct pa_resv *e = pa__resv_entry_push(r);
	unsigned protos = entry_protos(b, row), have;
	int rc;

	*missing = 0;
	if (e == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	pa__strlcpy(e->netns, row ? row->netns : r->netns, sizeof(e->netns));
	e->this_netns = strcmp(e->netns, r->netns) == 0;
	pa__strlcpy(e->block, b ? b->name : row->block, sizeof(e->block));
	e->first = b ? b->first : row->first;
	e->last = b ? b->last : row->last;
	e->configured = b != NULL;
	e->reserve = b ? b->reserve : PA_RESERVE_NO;
	e->recorded = row != NULL;
	e->persistent = row != NULL;
	e->created = row ? row->created : 0;
	if ((e->added = strdup(row ? row->added : "")) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	if (!e->this_netns)
		return 0;
	if ((rc = lookup(pa->os, protos, e->first, e->last, &have, err)) != 0)
		return rc;
	*missing = protos & ~have;
	e->os_count = *missing ? 0 : (unsigned)e->last - e->first + 1u;
	e->in_dropin = *missing == 0;   /* they outlive reboots */
	e->in_ephemeral = r->eph_first != 0 && e->first <= r->eph_last &&
	    e->last >= r->eph_first;
	return 0;
}

/* The warning about an entry of this namespace that is not reserved for
 * the protocols in missing, if it needs one. */
static int
entry_warning(struct pa_resv_report *r, const struct pa_resv *e,
    unsigned missing)
{
	const char *p = protos_text(missing);

	if (missing == 0)
		return 0;
	if (e->recorded)
		return pa__resv_warn(r, e->block, "the OS lost the "
		    "reservation portalloc made of block '%s' (%u-%u): it "
		    "does not reserve it for %s; run 'portalloc reserve -b "
		    "%s' as Administrator", e->block, e->first, e->last, p,
		    e->block);
	if (e->in_ephemeral)
		return pa__resv_warn(r, e->block, "block '%s' (%u-%u) lies in "
		    "the ephemeral port range %u-%u, but the OS does not "
		    "reserve it for %s: any outgoing connection may take its "
		    "ports; run 'portalloc reserve -b %s' as Administrator",
		    e->block, e->first, e->last, r->eph_first, r->eph_last, p,
		    e->block);
	if (e->reserve != PA_RESERVE_NO)
		return pa__resv_warn(r, e->block, "block '%s' (%u-%u) has "
		    "reserve = %s but the OS does not reserve it for %s; run "
		    "'portalloc reserve -b %s' as Administrator", e->block,
		    e->first, e->last, e->reserve == PA_RESERVE_PERSISTENT ?
		    "persistent" : "runtime", p, e->block);
	return 0;
}

/* Fills the entry of b and/or row, with its warning. */
static int
add_entry(struct pa *pa, struct pa_resv_report *r, const struct pa_block *b,
    const struct pa__resv *row, struct pa_error *err)
{
	unsigned missing;
	int rc;

	if ((rc = fill_entry(pa, r, b, row, &missing, err)) != 0)
		return rc;
	if (entry_warning(r, &r->v[r->n - 1], missing) != 0)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return 0;
}

static int
fill_entries(struct pa *pa, struct pa_resv_report *r,
    const struct pa__resv *rows, size_t nrows, struct pa_error *err)
{
	const struct pa_config *cfg = pa->cfg;
	size_t i;
	int pass, here, rc;

	for (i = 0; i < cfg->nblocks; i++)
		if ((rc = add_entry(pa, r, &cfg->blocks[i], pa__resv_find(rows,
		    nrows, r->netns, cfg->blocks[i].name), err)) != 0)
			return rc;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nrows; i++) {
			here = strcmp(rows[i].netns, r->netns) == 0;
			if (here != (pass == 0) || (here &&
			    pa_config_block(cfg, rows[i].block) != NULL))
				continue;
			if ((rc = add_entry(pa, r, NULL, &rows[i], err)) != 0)
				return rc;
		}
	}
	return 0;
}

/* The ports of this namespace's entries that the OS reserves. */
static int
entries_ports(const struct pa_resv_report *r, char **text)
{
	struct pa__ports set;
	size_t i;

	memset(&set, 0, sizeof(set));
	for (i = 0; i < r->n; i++)
		if (r->v[i].this_netns && r->v[i].os_count > 0)
			pa__ports_add(&set, r->v[i].first, r->v[i].last);
	return pa__ports_render(&set, text);
}

/* The report on its own, without the rows read under a job. */
static int
report(struct pa *pa, const struct pa__resv *rows, size_t nrows,
    struct pa_resv_report **out, struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	struct pa_resv_report *r;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	rc = os->netns_id(os->ctx, r->netns, sizeof(r->netns), err);
	if (rc == 0 && os->ephemeral_range(os->ctx, &r->eph_first,
	    &r->eph_last) != 0)
		r->eph_first = r->eph_last = 0;
	if (rc == 0)
		rc = fill_entries(pa, r, rows, nrows, err);
	if (rc == 0 && (entries_ports(r, &r->now) != 0 ||
	    (r->dropin_ports = strdup("")) == NULL))
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	if (rc != 0) {
		pa_resv_report_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int
pa__block_report(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct pa__resv *rows;
	size_t nrows;
	int rc;

	if ((rc = pa__store_resv_select(pa->store, &rows, &nrows, err)) != 0)
		return rc;
	rc = report(pa, rows, nrows, out, err);
	pa__resv_free(rows, nrows);
	return rc;
}

static int
reserved_ports(struct pa *pa, const char *netns, const struct pa__resv *rows,
    size_t nrows, struct pa__ports *set, struct pa_error *err)
{
	struct pa_resv_report *r;
	size_t i;
	int rc;

	memset(set, 0, sizeof(*set));
	if ((rc = report(pa, rows, nrows, &r, err)) != 0)
		return rc;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].netns, netns) == 0 && r->v[i].os_count > 0)
			pa__ports_add(set, r->v[i].first, r->v[i].last);
	pa_resv_report_free(r);
	return 0;
}

int
pa__block_ensure(struct pa *pa, const struct pa_block *b,
    struct pa_error *err)
{
	char msg[sizeof(err->msg)];
	unsigned have;
	struct bjob j;
	int rc;

	if ((rc = lookup(pa->os, b->protos, b->first, b->last, &have,
	    err)) != 0)
		return rc;
	if (have == b->protos)
		return 0;
	rc = reserve_blocks(pa, &b, 1, &j, err);
	bjob_free(&j);
	if (rc != PA_EPERM || err == NULL)
		return rc;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	return pa__err(err, PA_EPERM, "block '%s' (%u-%u) has reserve = %s, "
	    "but the OS does not reserve it for %s, and this user may not "
	    "(%s): run 'portalloc reserve -b %s' once as Administrator; then "
	    "any user can lease from it", b->name, b->first, b->last,
	    b->reserve == PA_RESERVE_PERSISTENT ? "persistent" : "runtime",
	    protos_text(b->protos & ~have), msg, b->name);
}
