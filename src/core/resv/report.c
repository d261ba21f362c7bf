/*
 * The report that pa_reserve, pa_unreserve and pa_reservations hand back,
 * and its pieces, the same for both shapes of OS reservation: which
 * blocks a reserve covers, the entries (configured blocks, then rows of
 * this place no block matches, then rows of other places), the warnings
 * and the actions.  What the OS itself reserves comes from the strategy
 * (list.c, range.c) through a callback; everything else is here once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int
pa__resv_pick_blocks(const struct pa_config *cfg, const char *name,
    const struct pa_block ***v, size_t *n, struct pa_error *err)
{
	const struct pa_block *b;
	size_t i;

	*n = 0;
	if ((*v = calloc(cfg->nblocks + 1, sizeof(**v))) == NULL)
		return pa__err_nomem(err);
	if (name != NULL) {
		if ((b = pa_config_block(cfg, name)) == NULL) {
			free(*v);
			*v = NULL;
			return pa__err(err, PA_ENOENT, "no block '%s' in %s",
			    name, cfg->file[0] ? cfg->file :
			    PA__DEFAULT_CONFIG_NAME);
		}
		(*v)[(*n)++] = b;
		return 0;
	}
	for (i = 0; i < cfg->nblocks; i++)
		if (cfg->blocks[i].reserve != PA_RESERVE_NO)
			(*v)[(*n)++] = &cfg->blocks[i];
	return 0;
}

struct pa_resv_report *
pa__resv_report_new(enum pa_resv_shape shape, const struct pa_os *os)
{
	struct pa_resv_report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->shape = shape;
	if (os->ephemeral_range(os->ctx, &r->eph_first, &r->eph_last) != 0)
		r->eph_first = r->eph_last = 0;
	return r;
}

void
pa__resv_actions_free(struct pa_resv_action *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].ports);
	free(v);
}

void
pa_resv_report_free(struct pa_resv_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].added);
	free(r->v);
	pa__resv_actions_free(r->actions, r->nactions);
	free(r->before);
	free(r->now);
	free(r->dropin_ports);
	free(r->warnings);
	free(r->excluded);
	free(r);
}

struct pa__resv_row *
pa__resv_row_find(const struct pa__resv_row *rows, size_t n,
    const char *netns, const char *block)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].netns, netns) == 0 &&
		    strcmp(rows[i].block, block) == 0)
			return (struct pa__resv_row *)&rows[i];
	return NULL;
}

unsigned
pa__resv_protos(const struct pa_block *b, const struct pa__resv_row *row)
{
	if (b != NULL)
		return b->protos;
	return row->added_protos ? row->added_protos : PA_BOTH;
}

int
pa__resv_walk(const struct pa_config *cfg, const struct pa__resv_row *rows,
    size_t nrows, const char *here, pa__resv_visit_fn fn, void *ctx)
{
	size_t i;
	int pass, is_here, rc;

	for (i = 0; i < cfg->nblocks; i++)
		if ((rc = fn(ctx, &cfg->blocks[i], pa__resv_row_find(rows,
		    nrows, here, cfg->blocks[i].name), 1)) != 0)
			return rc;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nrows; i++) {
			is_here = strcmp(rows[i].netns, here) == 0;
			if (is_here != (pass == 0) || (is_here &&
			    pa_config_block(cfg, rows[i].block) != NULL))
				continue;
			if ((rc = fn(ctx, NULL, &rows[i], is_here)) != 0)
				return rc;
		}
	}
	return 0;
}

/*
 * Warnings.
 */

/* Adds a warning of kind about entry e, with the hint to reserve it;
 * PA_ENOMEM. */
static int
warn(struct pa_resv_report *r, const struct pa_resv *e,
    enum pa_resv_warn kind, const char *fmt, ...) PA__PRINTF(4, 5);

static int
warn(struct pa_resv_report *r, const struct pa_resv *e,
    enum pa_resv_warn kind, const char *fmt, ...)
{
	struct pa_resv_warning *v;
	va_list ap;

	v = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*v));
	if (v == NULL)
		return PA_ENOMEM;
	r->warnings = v;
	v = &v[r->nwarnings++];
	memset(v, 0, sizeof(*v));
	pa__strlcpy(v->block, e->block, sizeof(v->block));
	v->kind = kind;
	v->hint = PA_HINT_RESERVE;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* What the OS lacks of an entry, after "the OS": "reserves only 3 of its
 * 10 ports" (list), "does not reserve it for udp" (range). */
static void
lack(const struct pa_resv_report *r, const struct pa_resv *e, char *buf,
    size_t len)
{
	unsigned size = (unsigned)e->last - e->first + 1u;

	if (r->shape == PA_RESV_RANGE)
		snprintf(buf, len, "does not reserve it for %s",
		    pa_protos_name(e->protos & ~e->os_protos));
	else
		snprintf(buf, len, "reserves only %u of its %u ports",
		    e->os_count, size);
}

/* The warnings about one entry of this place. */
static int
entry_warnings(struct pa_resv_report *r, const struct pa_resv *e)
{
	unsigned size = (unsigned)e->last - e->first + 1u;
	int list = r->shape == PA_RESV_LIST;
	char what[64], where[PA_NETNS_MAX + 8] = "";
	int rc = 0;

	if (list)
		snprintf(where, sizeof(where), " in %s", e->netns);
	lack(r, e, what, sizeof(what));
	if (e->os_count < size && e->recorded)
		rc = warn(r, e, PA_RESV_WARN_LOST, "the OS lost the "
		    "reservation portalloc made of block '%s' (%u-%u)%s: it "
		    "now %s%s", e->block, e->first, e->last, where, what,
		    list ? " (a reboot without the drop-in?)" : "");
	else if (e->os_count < size && e->in_ephemeral)
		rc = warn(r, e, PA_RESV_WARN_EPHEMERAL, "block '%s' (%u-%u) "
		    "lies in the ephemeral port range %u-%u, but the OS %s: "
		    "any outgoing connection may take its ports", e->block,
		    e->first, e->last, r->eph_first, r->eph_last, what);
	else if (e->os_count < size && e->reserve != PA_RESERVE_NO)
		rc = warn(r, e, PA_RESV_WARN_UNRESERVED, "block '%s' (%u-%u) "
		    "has reserve = %s, but the OS %s%s", e->block, e->first,
		    e->last, e->reserve == PA_RESERVE_PERSISTENT ?
		    "persistent" : "runtime", what, where);
	if (rc == 0 && list && (e->reserve == PA_RESERVE_PERSISTENT ||
	    (e->recorded && e->persistent)) && !e->in_dropin)
		rc = warn(r, e, PA_RESV_WARN_DROPIN, "block '%s' (%u-%u) is "
		    "persistent, but the drop-in %s %s: it will not be "
		    "reserved after a reboot", e->block, e->first, e->last,
		    r->dropin, r->dropin_exists ? "does not reserve it" :
		    "is missing");
	return rc;
}

/*
 * Entries.
 */

struct entries {
	struct pa_resv_report *r;
	int (*os_part)(void *ctx, struct pa_resv *e, struct pa_error *err);
	void *ctx;
	struct pa_error *err;
};

/* Adds the entry of b and/or row, with what the OS does if it is here. */
static int
add_entry(void *arg, const struct pa_block *b,
    const struct pa__resv_row *row, int is_here)
{
	struct entries *x = arg;
	struct pa_resv_report *r = x->r;
	struct pa_resv *v, *e;

	if ((v = realloc(r->v, (r->n + 1) * sizeof(*v))) == NULL)
		return pa__err_nomem(x->err);
	r->v = v;
	e = &v[r->n++];
	memset(e, 0, sizeof(*e));
	pa__strlcpy(e->netns, is_here ? r->netns : row->netns,
	    sizeof(e->netns));
	e->this_netns = is_here;
	pa__strlcpy(e->block, b ? b->name : row->block, sizeof(e->block));
	e->first = b ? b->first : row->first;
	e->last = b ? b->last : row->last;
	e->configured = b != NULL;
	e->reserve = b ? b->reserve : PA_RESERVE_NO;
	e->recorded = row != NULL;
	e->persistent = row ? row->persistent : 0;
	e->created = row ? row->created : 0;
	e->added_protos = row ? row->added_protos : 0;
	e->protos = pa__resv_protos(b, row);
	if ((e->added = strdup(row ? row->added_ports : "")) == NULL)
		return pa__err_nomem(x->err);
	if (!is_here)
		return 0;   /* the rest is about this place only */
	e->in_ephemeral = r->eph_first != 0 && e->first <= r->eph_last &&
	    e->last >= r->eph_first;
	return x->os_part(x->ctx, e, x->err);
}

int
pa__resv_entries(struct pa_resv_report *r, const struct pa_config *cfg,
    const struct pa__resv_row *rows, size_t nrows, const char *here,
    int (*os_part)(void *ctx, struct pa_resv *e, struct pa_error *err),
    void *ctx, struct pa_error *err)
{
	struct entries x = { r, os_part, ctx, err };
	size_t i;
	int rc;

	if ((rc = pa__resv_walk(cfg, rows, nrows, here, add_entry, &x)) != 0)
		return rc;
	for (i = 0; i < r->n; i++)
		if (r->v[i].this_netns && entry_warnings(r, &r->v[i]) != 0)
			return pa__err_nomem(err);
	return 0;
}

/*
 * Actions, and the end of a change.
 */

int
pa__resv_action_push(struct pa_resv_action **v, size_t *n, const char *block,
    uint16_t first, uint16_t last, int persistent, char *ports,
    unsigned protos, struct pa_error *err)
{
	struct pa_resv_action *nv, *a;

	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(ports);
		return pa__err_nomem(err);
	}
	*v = nv;
	a = &nv[(*n)++];
	memset(a, 0, sizeof(*a));
	pa__strlcpy(a->block, block, sizeof(a->block));
	a->first = first;
	a->last = last;
	a->persistent = persistent;
	a->ports = ports;
	a->protos = protos;
	return 0;
}

int
pa__resv_report_done(struct pa_resv_report **out,
    const struct pa__ports *before, struct pa_resv_action **actions,
    size_t *nactions, struct pa_error *err)
{
	if (pa__ports_render(before, &(*out)->before) != 0) {
		pa_resv_report_free(*out);
		*out = NULL;
		return pa__err_nomem(err);
	}
	(*out)->actions = *actions;
	(*out)->nactions = *nactions;
	*actions = NULL;
	*nactions = 0;
	return 0;
}

void
pa__resv_undo_failed(struct pa_error *err, const struct pa_error *u)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	pa__err(err, err->code, "%s; and it could not be undone (%s), so "
	    "part of the change is left in place", msg, u->msg);
}

int
pa__resv_failed(struct pa_error *err, int rc, int undo_failed)
{
	char msg[sizeof(err->msg)];

	if (rc != PA_EPERM || err == NULL || undo_failed)
		return rc;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	return pa__err(err, PA_EPERM, "%s (nothing was changed)", msg);
}
