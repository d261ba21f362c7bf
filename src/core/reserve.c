/*
 * OS port reservations: put blocks on the OS's list of ports that are never
 * handed out automatically (Linux: net.ipv4.ip_local_reserved_ports), and
 * take off exactly what portalloc put there.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

#define SYSCTL_KEY "net.ipv4.ip_local_reserved_ports"

static int
has_port(const struct pa__ports *set, unsigned p)
{
	return (set->bits[p / 8] >> (p % 8)) & 1;
}

void
pa__ports_add(struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p;

	for (p = first; p <= last; p++)
		set->bits[p / 8] |= (unsigned char)(1u << (p % 8));
}

void
pa__ports_remove(struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p;

	for (p = first; p <= last; p++)
		set->bits[p / 8] &= (unsigned char)~(1u << (p % 8));
}

unsigned
pa__ports_count(const struct pa__ports *set, uint16_t first, uint16_t last)
{
	unsigned p, n = 0;

	for (p = first; p <= last; p++)
		n += (unsigned)has_port(set, p);
	return n;
}

void
pa__ports_union(struct pa__ports *set, const struct pa__ports *other)
{
	size_t i;

	for (i = 0; i < sizeof(set->bits); i++)
		set->bits[i] |= other->bits[i];
}

void
pa__ports_minus(struct pa__ports *set, const struct pa__ports *other)
{
	size_t i;

	for (i = 0; i < sizeof(set->bits); i++)
		set->bits[i] &= (unsigned char)~other->bits[i];
}

int
pa__ports_equal(const struct pa__ports *a, const struct pa__ports *b)
{
	return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

static const char *
skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Nothing but blanks and line ends left? */
static int
at_end(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* Reads a port number 0-65535 from *sp, advancing it. */
static int
read_port(const char **sp, unsigned *port)
{
	const char *s = *sp;
	unsigned v = 0;

	if (*s < '0' || *s > '9')
		return PA_EDATA;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 65535)
			return PA_EDATA;
	}
	*sp = s;
	*port = v;
	return 0;
}

int
pa__ports_parse(const char *text, struct pa__ports *set)
{
	const char *s = skip_blank(text);
	unsigned a, b;

	memset(set, 0, sizeof(*set));
	while (!at_end(s)) {
		if (read_port(&s, &a) != 0)
			goto bad;
		s = skip_blank(s);
		b = a;
		if (*s == '-') {
			s = skip_blank(s + 1);
			if (read_port(&s, &b) != 0 || b < a)
				goto bad;
			s = skip_blank(s);
		}
		pa__ports_add(set, (uint16_t)a, (uint16_t)b);
		if (*s == ',') {
			s = skip_blank(s + 1);
			if (at_end(s))
				goto bad;   /* a comma needs an item after it */
		} else if (!at_end(s)) {
			goto bad;
		}
	}
	return 0;
bad:
	memset(set, 0, sizeof(*set));
	return PA_EDATA;
}

/* Writes the set's text into buf when buf is not NULL; returns its
 * length either way. */
static size_t
render(const struct pa__ports *set, char *buf)
{
	char item[16];
	size_t len = 0;
	unsigned p = 0, q;
	int k;

	while (p < 65536) {
		if (!has_port(set, p)) {
			p++;
			continue;
		}
		for (q = p; q + 1 < 65536 && has_port(set, q + 1); q++)
			;
		if (q == p)
			k = snprintf(item, sizeof(item), "%s%u", len ? "," : "",
			    p);
		else
			k = snprintf(item, sizeof(item), "%s%u-%u",
			    len ? "," : "", p, q);
		if (buf != NULL)
			memcpy(buf + len, item, (size_t)k);
		len += (size_t)k;
		p = q + 1;
	}
	return len;
}

int
pa__ports_render(const struct pa__ports *set, char **text)
{
	size_t len = render(set, NULL);

	if ((*text = malloc(len + 1)) == NULL)
		return PA_ENOMEM;
	render(set, *text);
	(*text)[len] = '\0';
	return 0;
}

/* Is s[0..len) the reserved-ports key?  sysctl.d allows '/' for '.'. */
static int
is_key(const char *s, size_t len)
{
	const char *k = SYSCTL_KEY;
	size_t i;

	if (len != strlen(k))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] != k[i] && !(k[i] == '.' && s[i] == '/'))
			return 0;
	return 1;
}

int
pa__dropin_parse(const char *text, struct pa__ports *set)
{
	const char *line, *end, *k, *eq, *v = NULL, *vend = NULL;
	size_t klen;
	char *value;
	int rc;

	memset(set, 0, sizeof(*set));
	for (line = text; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		k = skip_blank(line);
		if (*k == '-')
			k++;    /* systemd: ignore a failure to set it */
		if (k >= end || *k == '#' || *k == ';' ||
		    (eq = memchr(k, '=', (size_t)(end - k))) == NULL)
			continue;
		for (klen = (size_t)(eq - k); klen > 0 &&
		    (k[klen - 1] == ' ' || k[klen - 1] == '\t'); klen--)
			;
		if (is_key(k, klen)) {
			v = eq + 1;
			vend = end;
		}
	}
	if (v == NULL)
		return 0;
	if ((value = malloc((size_t)(vend - v) + 1)) == NULL)
		return PA_ENOMEM;
	memcpy(value, v, (size_t)(vend - v));
	value[vend - v] = '\0';
	rc = pa__ports_parse(value, set);
	free(value);
	return rc;
}

/* The drop-in's text for the ports in set; NULL (no file) when empty. */
static int
dropin_text(const struct pa__ports *set, char **text)
{
	char *list;
	int n;

	*text = NULL;
	if (pa__ports_count(set, 0, 65535) == 0)
		return 0;
	if (pa__ports_render(set, &list) != 0)
		return PA_ENOMEM;
	n = asprintf(text, "# Written by portalloc: the blocks with reserve "
	    "= persistent, reserved\n# again at every boot.  'portalloc "
	    "reserve' and 'portalloc unreserve'\n# rewrite this file; do not "
	    "edit it.\n" SYSCTL_KEY " = %s\n", list);
	free(list);
	if (n < 0) {
		*text = NULL;
		return PA_ENOMEM;
	}
	return 0;
}

/*
 * One reserve or unreserve: the store's transaction, the OS's lock, and
 * what was read under them.
 */
struct job {
	struct pa *pa;
	char netns[PA_NETNS_MAX];
	int lock;                       /* the OS lock's handle; -1: none */
	struct pa__ports before, after; /* the OS's list */
	char *dropin;                   /* the drop-in's text; NULL: none */
	int dropin_changed;
	struct pa__resv *rows;          /* the store's, every namespace */
	size_t nrows;
	struct pa_resv_action *actions;
	size_t nactions;
	int undo_failed;
};

void
pa__resv_actions_free(struct pa_resv_action *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i].ports);
	free(v);
}

/* Lets go of everything the job holds; an uncommitted change is rolled
 * back. */
static void
job_end(struct job *j)
{
	const struct pa_os *os = j->pa->os;

	if (j->lock >= 0)
		os->reserved_unlock(os->ctx, j->lock);
	j->lock = -1;
	pa__store_rollback(j->pa->store);
	free(j->dropin);
	pa__resv_free(j->rows, j->nrows);
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

	if ((rc = os->reserved_read(os->ctx, &text, err)) != 0)
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
	int rc = os->dropin_read(os->ctx, text, err);

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
	j->lock = -1;
	if ((rc = os->netns_id(os->ctx, j->netns, sizeof(j->netns),
	    err)) != 0)
		return rc;
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		return rc;
	if ((rc = os->reserved_lock(os->ctx, &j->lock, err)) != 0) {
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
	pa__resv_free(j->rows, j->nrows);
	j->rows = NULL;
	j->nrows = 0;
	return pa__store_resv_select(j->pa->store, &j->rows, &j->nrows, err);
}

struct pa__resv *
pa__resv_find(const struct pa__resv *rows, size_t n, const char *netns,
    const char *block)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].netns, netns) == 0 &&
		    strcmp(rows[i].block, block) == 0)
			return (struct pa__resv *)&rows[i];
	return NULL;
}

int
pa__resv_action_push(struct pa_resv_action **v, size_t *n, const char *block,
    uint16_t first, uint16_t last, int persistent, char *ports,
    struct pa_error *err)
{
	struct pa_resv_action *nv, *a;

	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(ports);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	*v = nv;
	a = &nv[(*n)++];
	memset(a, 0, sizeof(*a));
	pa__strlcpy(a->block, block, sizeof(a->block));
	a->first = first;
	a->last = last;
	a->persistent = persistent;
	a->ports = ports;
	return 0;
}

/* The ports a row says portalloc added. */
static int
row_added(const struct pa__resv *r, struct pa__ports *set,
    struct pa_error *err)
{
	if (pa__ports_parse(r->added, set) != 0)
		return pa__err(err, PA_EIO, "the store's reservation of block "
		    "'%s' in %s has a bad port list '%.60s'", r->block,
		    r->netns, r->added);
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
		const struct pa__resv *r = &j->rows[i];

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
take_off(struct job *j, const struct pa__resv *r, struct pa__ports *gone,
    struct pa_error *err)
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

/* Puts block b on the list (in j->after) and records it in the store. */
static int
reserve_block(struct job *j, const struct pa_block *b, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	struct pa__resv *row = pa__resv_find(j->rows, j->nrows, j->netns,
	    b->name), nr;
	struct pa__ports added, missing;
	char *text = NULL;
	unsigned p;
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
	for (p = b->first; p <= b->last; p++)
		if (!has_port(&j->after, p))
			pa__ports_add(&missing, (uint16_t)p, (uint16_t)p);
	pa__ports_union(&j->after, &missing);
	pa__ports_union(&added, &missing);
	memset(&nr, 0, sizeof(nr));
	pa__strlcpy(nr.netns, j->netns, sizeof(nr.netns));
	pa__strlcpy(nr.block, b->name, sizeof(nr.block));
	nr.first = b->first;
	nr.last = b->last;
	nr.persistent = b->reserve == PA_RESERVE_PERSISTENT;
	nr.created = row != NULL && !moved ? row->created :
	    os->now(os->ctx);
	if (pa__ports_render(&added, &nr.added) != 0)
		return pa__err(err, PA_ENOMEM, "out of memory");
	rc = pa__store_resv_put(j->pa->store, &nr, err);
	free(nr.added);
	if (rc != 0)
		return rc;
	if (pa__ports_render(&missing, &text) != 0)
		return pa__err(err, PA_ENOMEM, "out of memory");
	return pa__resv_action_push(&j->actions, &j->nactions, b->name,
	    b->first, b->last, nr.persistent, text, err);
}

void
pa__resv_undo_failed(struct pa_error *err, const struct pa_error *u)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	pa__err(err, err->code, "%s; and it could not be undone (%s): "
	    "'portalloc reservations' shows what is left", msg, u->msg);
}

/* The same, remembering that the job could not undo everything. */
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
	const struct pa_os *os = j->pa->os;
	struct pa_error u;
	char *text;

	memset(&u, 0, sizeof(u));
	if (pa__ports_render(&j->before, &text) != 0) {
		pa__err(&u, PA_ENOMEM, "out of memory");
		undo_failed(j, err, &u);
		return;
	}
	if (os->reserved_write(os->ctx, text, &u) != 0)
		undo_failed(j, err, &u);
	free(text);
}

/*
 * Writes what the job computed: the OS's list, the drop-in (from the
 * persistent rows of this namespace), then the store.  Each failure
 * undoes the writes before it.
 */
static int
job_apply(struct job *j, struct pa_error *err)
{
	const struct pa_os *os = j->pa->os;
	struct pa__ports persist;
	struct pa_error u;
	char *list = NULL, *text = NULL;
	int rc, list_same, dropin_same;

	if ((rc = job_reload(j, err)) != 0)
		return rc;
	rows_ports(j, 1, NULL, &persist);
	if (dropin_text(&persist, &text) != 0 ||
	    pa__ports_render(&j->after, &list) != 0) {
		rc = pa__err(err, PA_ENOMEM, "out of memory");
		goto out;
	}
	list_same = pa__ports_equal(&j->before, &j->after);
	dropin_same = j->dropin == NULL ? text == NULL :
	    text != NULL && strcmp(j->dropin, text) == 0;
	if (!list_same && (rc = os->reserved_write(os->ctx, list, err)) != 0)
		goto out;
	pa__fault("reserve.os");
	if (!dropin_same && (rc = os->dropin_write(os->ctx, text, err)) != 0) {
		if (!list_same)
			undo_list(j, err);
		goto out;
	}
	pa__fault("reserve.dropin");
	if ((rc = pa__store_commit(j->pa->store, err)) != 0) {
		memset(&u, 0, sizeof(u));
		if (!dropin_same && os->dropin_write(os->ctx, j->dropin,
		    &u) != 0)
			undo_failed(j, err, &u);
		if (!list_same)
			undo_list(j, err);
		goto out;
	}
	j->dropin_changed = !dropin_same;
out:
	free(list);
	free(text);
	return rc;
}

/* Adds "run 'sudo portalloc CMD [-b BLOCK]'" to a permission error. */
static int
perm_hint(const struct job *j, const char *cmd, const char *block, int rc,
    struct pa_error *err)
{
	char msg[sizeof(err->msg)];

	if (rc != PA_EPERM || err == NULL)
		return rc;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	return pa__err(err, PA_EPERM, "%s%s; reserving ports needs root "
	    "(CAP_NET_ADMIN): run 'sudo portalloc %s%s%s'", msg,
	    j->undo_failed ? "" : " (nothing was changed)", cmd,
	    block ? " -b " : "", block ? block : "");
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
 * The report: what the OS reserves now, every configured block and every
 * recorded row, and the warnings.
 */
static void
report_free_entries(struct pa_resv_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].added);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

void
pa_resv_report_free(struct pa_resv_report *r)
{
	if (r == NULL)
		return;
	report_free_entries(r);
	pa__resv_actions_free(r->actions, r->nactions);
	free(r->before);
	free(r->now);
	free(r->dropin_ports);
	free(r->warnings);
	free(r);
}

/* What the report is built from. */
struct view {
	struct pa__ports now, dropin;
	struct pa__resv *rows;
	size_t nrows;
};

struct pa_resv *
pa__resv_entry_push(struct pa_resv_report *r)
{
	struct pa_resv *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	if (v == NULL)
		return NULL;
	r->v = v;
	memset(&v[r->n], 0, sizeof(v[r->n]));
	return &v[r->n++];
}

/* Fills in an entry for a configured block (b) and/or a row. */
static int
fill_entry(struct pa_resv_report *r, const struct view *w,
    const struct pa_block *b, const struct pa__resv *row)
{
	struct pa_resv *e = pa__resv_entry_push(r);

	if (e == NULL)
		return PA_ENOMEM;
	pa__strlcpy(e->netns, row ? row->netns : r->netns, sizeof(e->netns));
	e->this_netns = strcmp(e->netns, r->netns) == 0;
	pa__strlcpy(e->block, b ? b->name : row->block, sizeof(e->block));
	e->first = b ? b->first : row->first;
	e->last = b ? b->last : row->last;
	e->configured = b != NULL;
	e->reserve = b ? b->reserve : PA_RESERVE_NO;
	e->recorded = row != NULL;
	e->persistent = row ? row->persistent : 0;
	e->created = row ? row->created : 0;
	if ((e->added = strdup(row ? row->added : "")) == NULL)
		return PA_ENOMEM;
	if (!e->this_netns)
		return 0;   /* the rest is about this namespace only */
	e->os_count = pa__ports_count(&w->now, e->first, e->last);
	e->in_dropin = pa__ports_count(&w->dropin, e->first, e->last) ==
	    (unsigned)e->last - e->first + 1u;
	e->in_ephemeral = r->eph_first != 0 && e->first <= r->eph_last &&
	    e->last >= r->eph_first;
	return 0;
}

/* Configured blocks first, then rows of this namespace that no block
 * matches, then rows of other namespaces. */
static int
fill_entries(struct pa_resv_report *r, const struct view *w,
    const struct pa_config *cfg)
{
	size_t i;
	int pass, rc;

	for (i = 0; i < cfg->nblocks; i++)
		if ((rc = fill_entry(r, w, &cfg->blocks[i], pa__resv_find(
		    w->rows, w->nrows, r->netns, cfg->blocks[i].name))) != 0)
			return rc;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < w->nrows; i++) {
			const struct pa__resv *row = &w->rows[i];
			int here = strcmp(row->netns, r->netns) == 0;

			if (here != (pass == 0) || (here &&
			    pa_config_block(cfg, row->block) != NULL))
				continue;
			if ((rc = fill_entry(r, w, NULL, row)) != 0)
				return rc;
		}
	}
	return 0;
}

int
pa__resv_warn(struct pa_resv_report *r, const char *block, const char *fmt,
    ...)
{
	struct pa_resv_warning *v;
	va_list ap;

	v = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*v));
	if (v == NULL)
		return PA_ENOMEM;
	r->warnings = v;
	v = &v[r->nwarnings++];
	pa__strlcpy(v->block, block, sizeof(v->block));
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* The warnings about one entry of this namespace. */
static int
entry_warnings(struct pa_resv_report *r, const struct pa_resv *e)
{
	unsigned size = (unsigned)e->last - e->first + 1u;
	int rc = 0, want = e->reserve != PA_RESERVE_NO || e->recorded;

	if (e->recorded && e->os_count < size)
		rc = pa__resv_warn(r, e->block, "the OS lost the reservation "
		    "portalloc made of block '%s' (%u-%u) in %s: %u of its %u "
		    "ports are not reserved (a reboot without the drop-in?); "
		    "run 'sudo portalloc reserve -b %s'", e->block, e->first,
		    e->last, e->netns, size - e->os_count, size, e->block);
	else if (e->in_ephemeral && e->os_count < size)
		rc = pa__resv_warn(r, e->block, "block '%s' (%u-%u) lies in "
		    "the ephemeral port range %u-%u, but the OS reserves only "
		    "%u of its %u ports: any outgoing connection may take the "
		    "others; run 'sudo portalloc reserve -b %s'", e->block,
		    e->first, e->last, r->eph_first, r->eph_last, e->os_count,
		    size, e->block);
	else if (want && e->os_count < size)
		rc = pa__resv_warn(r, e->block, "block '%s' (%u-%u) has "
		    "reserve = %s but is not reserved in %s; run 'sudo "
		    "portalloc reserve -b %s'", e->block, e->first, e->last,
		    e->reserve == PA_RESERVE_PERSISTENT ? "persistent" :
		    "runtime", e->netns, e->block);
	if (rc == 0 && (e->reserve == PA_RESERVE_PERSISTENT ||
	    (e->recorded && e->persistent)) && !e->in_dropin)
		rc = pa__resv_warn(r, e->block, "block '%s' (%u-%u) is "
		    "persistent, but the drop-in %s %s: it will not be "
		    "reserved after a reboot; run 'sudo portalloc reserve -b "
		    "%s'", e->block, e->first, e->last, r->dropin,
		    r->dropin_exists ? "does not reserve it" : "is missing",
		    e->block);
	return rc;
}

/* Reads the OS's list, the drop-in and the rows into w and r. */
static int
read_view(struct pa *pa, struct pa_resv_report *r, struct view *w,
    struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	char *text;
	int rc;

	if ((rc = os->netns_id(os->ctx, r->netns, sizeof(r->netns),
	    err)) != 0)
		return rc;
	if ((rc = read_list(os, &w->now, err)) != 0)
		return rc;
	if (os->ephemeral_range(os->ctx, &r->eph_first, &r->eph_last) != 0)
		r->eph_first = r->eph_last = 0;
	pa__strlcpy(r->dropin, os->dropin_path(os->ctx), sizeof(r->dropin));
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
		return pa__err(err, PA_ENOMEM, "out of memory");
	return pa__store_resv_select(pa->store, &w->rows, &w->nrows, err);
}

static int
build_report(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct pa_resv_report *r;
	struct view *w;
	size_t i;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	w = calloc(1, sizeof(*w));
	if (r == NULL || w == NULL) {
		free(r);
		free(w);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	rc = read_view(pa, r, w, err);
	if (rc == 0 && (rc = fill_entries(r, w, pa->cfg)) != 0)
		rc = pa__err(err, rc, "out of memory");
	for (i = 0; rc == 0 && i < r->n; i++)
		if (r->v[i].this_netns &&
		    (rc = entry_warnings(r, &r->v[i])) != 0)
			rc = pa__err(err, rc, "out of memory");
	pa__resv_free(w->rows, w->nrows);
	free(w);
	if (rc != 0) {
		pa_resv_report_free(r);
		return rc;
	}
	*out = r;
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
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	(*out)->actions = *actions;
	(*out)->nactions = *nactions;
	*actions = NULL;
	*nactions = 0;
	return 0;
}

/* Builds the report after a job, handing it the job's actions. */
static int
job_report(struct job *j, struct pa_resv_report **out, struct pa_error *err)
{
	int rc;

	if ((rc = build_report(j->pa, out, err)) != 0)
		return rc;
	(*out)->dropin_changed = j->dropin_changed;
	return pa__resv_report_done(out, &j->before, &j->actions,
	    &j->nactions, err);
}

/* The blocks a reserve covers: the named one, or every block with
 * reserve = runtime or persistent.  *v is malloc'd. */
int
pa__resv_pick_blocks(const struct pa_config *cfg, const char *name,
    const struct pa_block ***v, size_t *n, struct pa_error *err)
{
	const struct pa_block *b;
	size_t i;

	*n = 0;
	if ((*v = calloc(cfg->nblocks + 1, sizeof(**v))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
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

int
pa_reserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	const struct pa_block **blocks;
	struct job j;
	size_t n;
	int rc;

	*out = NULL;
	if ((rc = pa__config_may_change_system(pa->cfg, pa->os, err)) != 0)
		return rc;
	if (pa->os->block_lookup != NULL)
		return pa__block_reserve(pa, block, out, err);
	if ((rc = pa__resv_pick_blocks(pa->cfg, block, &blocks, &n,
	    err)) != 0)
		return rc;
	if (n == 0) {
		free(blocks);
		if ((rc = build_report(pa, out, err)) == 0 &&
		    ((*out)->before = strdup((*out)->now)) == NULL) {
			pa_resv_report_free(*out);
			*out = NULL;
			rc = pa__err(err, PA_ENOMEM, "out of memory");
		}
		return rc;
	}
	rc = reserve_blocks(pa, blocks, n, &j, err);
	free(blocks);
	if (rc == 0)
		rc = job_report(&j, out, err);
	else
		rc = perm_hint(&j, "reserve", block, rc, err);
	job_end(&j);
	return rc;
}

/* Unreserves this namespace's rows for block (NULL: all of them). */
static int
unreserve_rows(struct job *j, const char *block, struct pa_error *err)
{
	struct pa__resv *targets = j->rows;
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
		const struct pa__resv *r = &targets[i];

		if (strcmp(r->netns, j->netns) != 0 ||
		    (block != NULL && strcmp(r->block, block) != 0))
			continue;
		if ((rc = take_off(j, r, &gone, err)) != 0)
			break;
		if (pa__ports_render(&gone, &text) != 0)
			rc = pa__err(err, PA_ENOMEM, "out of memory");
		else
			rc = pa__resv_action_push(&j->actions, &j->nactions,
			    r->block, r->first, r->last, r->persistent, text,
			    err);
	}
	pa__resv_free(targets, ntargets);
	return rc;
}

int
pa_unreserve(struct pa *pa, const char *block, struct pa_resv_report **out,
    struct pa_error *err)
{
	struct job j;
	int rc;

	*out = NULL;
	if ((rc = pa__config_may_change_system(pa->cfg, pa->os, err)) != 0)
		return rc;
	if (pa->os->block_lookup != NULL)
		return pa__block_unreserve(pa, block, out, err);
	if ((rc = job_begin(&j, pa, err)) != 0)
		return rc;
	rc = unreserve_rows(&j, block, err);
	if (rc == 0 && j.nactions > 0)
		rc = job_apply(&j, err);
	if (rc == 0)
		rc = job_report(&j, out, err);
	else
		rc = perm_hint(&j, "unreserve", block, rc, err);
	job_end(&j);
	return rc;
}

int
pa_reservations(struct pa *pa, struct pa_resv_report **out,
    struct pa_error *err)
{
	if (pa->os->block_lookup != NULL)
		return pa__block_report(pa, out, err);
	return build_report(pa, out, err);
}

int
pa__reserve_ensure(struct pa *pa, const struct pa_block *b,
    struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	struct pa__ports now;
	char msg[sizeof(err->msg)];
	struct job j;
	int rc;

	if (b->reserve == PA_RESERVE_NO)
		return 0;
	if (os->block_lookup != NULL)
		return pa__block_ensure(pa, b, err);
	if ((rc = read_list(os, &now, err)) != 0)
		return rc;
	if (pa__ports_count(&now, b->first, b->last) ==
	    (unsigned)b->last - b->first + 1u)
		return 0;
	if ((rc = pa__config_may_change_system(pa->cfg, os, err)) != 0)
		return rc;
	rc = reserve_blocks(pa, &b, 1, &j, err);
	job_end(&j);
	if (rc != PA_EPERM || err == NULL)
		return rc;
	pa__strlcpy(msg, err->msg, sizeof(msg));
	return pa__err(err, PA_EPERM, "block '%s' (%u-%u) has reserve = %s, "
	    "but the OS does not reserve it in %s, and this user may not "
	    "(%s): run 'sudo portalloc reserve -b %s' once; then any user "
	    "can lease from it", b->name, b->first, b->last, b->reserve ==
	    PA_RESERVE_PERSISTENT ? "persistent" : "runtime", j.netns, msg,
	    b->name);
}
