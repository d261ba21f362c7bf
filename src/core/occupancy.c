/*
 * Occupancy: who holds a port (pa_who), and leases checked against the
 * kernel's tables (pa_check).  One table dump and one process scan per
 * call, whatever the number of ports.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

const char *
pa_sock_state_name(int state, unsigned proto)
{
	static const char *const names[] = {
		"?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1",
		"FIN-WAIT-2", "TIME-WAIT", "CLOSE", "CLOSE-WAIT", "LAST-ACK",
		"LISTEN", "CLOSING", "NEW-SYN-RECV",
	};

	if (proto == PA_UDP && state == PA_SOCK_CLOSE)
		return "UNCONN";
	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[state];
}

const char *
pa_port_status_name(enum pa_port_status s)
{
	static const char *const names[PA_PORT_NSTATUS] = {
		"free", "ok", "waiting", "foreign", "stale", "intruder",
		"orphan",
	};

	return (unsigned)s < PA_PORT_NSTATUS ? names[s] : "?";
}

/* What is known of each process met, so each is read once. */
struct procs {
	struct pa_proc *v;
	int *ok;
	size_t n, cap;
};

/* The process, or NULL when it is gone (or cannot be read at all). */
static const struct pa_proc *
proc_get(const struct pa_os *os, struct procs *c, int64_t pid)
{
	struct pa_proc *nv;
	int *nok;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].pid == pid)
			return c->ok[i] ? &c->v[i] : NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 32;
		nv = realloc(c->v, c->cap * sizeof(*nv));
		if (nv != NULL)
			c->v = nv;
		nok = realloc(c->ok, c->cap * sizeof(*nok));
		if (nok != NULL)
			c->ok = nok;
		if (nv == NULL || nok == NULL)
			return NULL;
	}
	c->ok[c->n] = pa__proc(os, pid, PA_PROC_CMDLINE, &c->v[c->n],
	    NULL) == 0;
	c->v[c->n].pid = pid;
	return c->ok[c->n++] ? &c->v[c->n - 1] : NULL;
}

static void
procs_free(struct procs *c)
{
	free(c->v);
	free(c->ok);
}

/* Growing array of holders. */
struct holders {
	struct pa_holder *v;
	size_t n, cap;
};

static int
holder_push(struct holders *h, const struct pa_holder *x)
{
	struct pa_holder *nv;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 32;
		if ((nv = realloc(h->v, h->cap * sizeof(*nv))) == NULL)
			return PA_ENOMEM;
		h->v = nv;
	}
	h->v[h->n++] = *x;
	return 0;
}

static void
socket_part(struct pa_holder *h, const struct pa_sock *s)
{
	static const unsigned char zero[16];

	memset(h, 0, sizeof(*h));
	h->proto = s->proto;
	h->family = s->family;
	pa__addr_format(s->family, s->local, h->local, sizeof(h->local));
	h->port = s->lport;
	if (s->rport != 0 || memcmp(s->remote, zero, 16) != 0)
		pa__addr_format(s->family, s->remote, h->remote,
		    sizeof(h->remote));
	h->rport = s->rport;
	h->state = s->state;
	h->inode = s->inode;
	h->uid = s->uid;
}

static void
process_part(const struct pa_os *os, struct procs *c, struct pa_holder *h,
    int64_t pid)
{
	const struct pa_proc *p = proc_get(os, c, pid);

	h->pid = pid;
	if (p != NULL) {
		h->ppid = p->ppid;
		if (p->uid >= 0)
			h->uid = p->uid;
		pa__strlcpy(h->name, p->name, sizeof(h->name));
		pa__strlcpy(h->cmdline, p->cmdline, sizeof(h->cmdline));
	} else {
		pa__strlcpy(h->name, "?", sizeof(h->name));
	}
	os->user_name(os->ctx, h->uid, h->user, sizeof(h->user));
}

/* One holder per (socket, process); one with pid 0 for an orphan. */
static int
holders_of(const struct pa_os *os, struct procs *c,
    const struct pa_socktab *t, const struct pa_sock *s, struct holders *out)
{
	struct pa_holder h;
	size_t i;

	socket_part(&h, s);
	if (s->npids == 0) {
		if (s->uid >= 0)
			os->user_name(os->ctx, s->uid, h.user, sizeof(h.user));
		return holder_push(out, &h);
	}
	for (i = 0; i < s->npids; i++) {
		process_part(os, c, &h, t->pids[s->first_pid + i]);
		if (holder_push(out, &h) != 0)
			return PA_ENOMEM;
	}
	return 0;
}

static int
by_port(const void *a, const void *b)
{
	const struct pa_holder *x = a, *y = b;

	if (x->port != y->port)
		return (int)x->port - (int)y->port;
	if (x->proto != y->proto)
		return (int)x->proto - (int)y->proto;
	if (x->family != y->family)
		return x->family - y->family;
	if (x->state != y->state)
		return x->state == PA_SOCK_LISTEN ? -1 :
		    y->state == PA_SOCK_LISTEN ? 1 : x->state - y->state;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every holder of the ports in q, sorted. */
static int
collect(const struct pa_os *os, const struct pa_portq *q, size_t nq,
    struct holders *out, unsigned *unreadable, const char **source,
    struct pa_error *err)
{
	struct pa_socktab t;
	struct procs c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = os->sockets(os->ctx, q, nq, 1, &t, err)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < t.n; i++)
		if (holders_of(os, &c, &t, &t.socks[i], out) != 0)
			rc = pa__err(err, PA_ENOMEM, "out of memory");
	*unreadable = t.unreadable;
	if (source != NULL)
		*source = t.source; /* a static string */
	pa__socktab_free(&t);
	procs_free(&c);
	if (rc == 0 && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), by_port);
	return rc;
}

static int
who_os(const struct pa_os *os, const struct pa_port_query *q, size_t nq,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    const char **source, struct pa_error *err)
{
	struct holders h = { NULL, 0, 0 };
	struct pa_portq *pq;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	*unreadable = 0;
	if (nq == 0)
		return 0;
	if ((pq = calloc(nq, sizeof(*pq))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	for (i = 0; i < nq; i++) {
		if (q[i].first == 0 || q[i].first > q[i].last) {
			free(pq);
			return pa__err(err, PA_EUSAGE, "bad port range %u-%u",
			    q[i].first, q[i].last);
		}
		pq[i].first = q[i].first;
		pq[i].last = q[i].last;
		pq[i].protos = q[i].protos ? q[i].protos : PA_BOTH;
	}
	rc = collect(os, pq, nq, &h, unreadable, source, err);
	free(pq);
	if (rc != 0) {
		free(h.v);
		return rc;
	}
	*out = h.v;
	*n = h.n;
	return 0;
}

int
pa__who_os(const struct pa_os *os, const struct pa_port_query *q, size_t nq,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    struct pa_error *err)
{
	return who_os(os, q, nq, out, n, unreadable, NULL, err);
}

int
pa_who(const struct pa_port_query *q, size_t nq, struct pa_holder **out,
    size_t *n, unsigned *unreadable, struct pa_error *err)
{
	return who_os(pa__os_native(), q, nq, out, n, unreadable, NULL, err);
}

int
pa_who_from(const struct pa_port_query *q, size_t nq,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    const char **source, struct pa_error *err)
{
	*source = "";
	return who_os(pa__os_native(), q, nq, out, n, unreadable, source,
	    err);
}

void
pa_holders_free(struct pa_holder *holders)
{
	free(holders);
}

/*
 * Is pid the lease's owner or one of its descendants?  Walks up the parent
 * chain; the owner is matched with its start time too.
 */
static int
owned_by(const struct pa_os *os, struct procs *c, int64_t pid,
    const struct pa_lease *l)
{
	const struct pa_proc *p;
	int depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		if ((p = proc_get(os, c, pid)) == NULL)
			return 0;
		if (pid == l->owner_pid)
			return p->start == 0 || p->start == l->owner_start;
		pid = p->ppid;
	}
	return 0;
}

/* The status of one port from its lease (or none) and its holders. */
static enum pa_port_status
judge(struct pa *pa, struct procs *c, const struct pa_lease *l,
    struct pa_holder *h, size_t n)
{
	size_t i, procs = 0, foreign = 0;

	for (i = 0; i < n; i++) {
		if (h[i].pid == 0)
			continue;
		procs++;
		h[i].foreign = l != NULL &&
		    !owned_by(pa->os, c, h[i].pid, l);
		foreign += h[i].foreign;
	}
	if (l != NULL) {
		if (l->state != PA_LEASE_ALIVE)
			return PA_PORT_STALE;
		if (foreign)
			return PA_PORT_FOREIGN;
		if (procs)
			return PA_PORT_OK;
		return n ? PA_PORT_ORPHAN : PA_PORT_WAITING;
	}
	if (procs)
		return PA_PORT_INTRUDER;
	return n ? PA_PORT_ORPHAN : PA_PORT_FREE;
}

/* The ranges to ask about: the named block, or all of them. */
static int
check_ranges(struct pa *pa, const char *block, struct pa_portq **q,
    size_t *nq, unsigned *total, struct pa_error *err)
{
	const struct pa_config *cfg = pa->cfg;
	const struct pa_block *b;
	size_t i;

	*total = 0;
	*nq = 0;
	if ((*q = calloc(cfg->nblocks + 1, sizeof(**q))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	for (i = 0; i < cfg->nblocks; i++) {
		b = &cfg->blocks[i];
		if (block != NULL && strcmp(b->name, block) != 0)
			continue;
		(*q)[*nq].first = b->first;
		(*q)[*nq].last = b->last;
		(*q)[*nq].protos = PA_BOTH;
		(*nq)++;
		*total += (unsigned)b->last - b->first + 1;
	}
	if (*nq == 0) {
		free(*q);
		*q = NULL;
		return pa__err(err, PA_ENOENT, "no block '%s' in %s", block,
		    cfg->file[0] ? cfg->file : PA__DEFAULT_CONFIG_NAME);
	}
	return 0;
}

static int
in_ranges(const struct pa_portq *q, size_t nq, uint16_t port)
{
	size_t i;

	for (i = 0; i < nq; i++)
		if (port >= q[i].first && port <= q[i].last)
			return 1;
	return 0;
}

/* Merges the leases and the holders, both sorted by port. */
static int
classify(struct pa *pa, struct pa_check *r, const struct pa_portq *q,
    size_t nq, const struct pa_lease *v, size_t nv, unsigned total)
{
	struct procs c;
	struct pa_port_check *pc;
	size_t i = 0, j = 0, k;
	uint16_t port;

	memset(&c, 0, sizeof(c));
	if ((r->ports = calloc(nv + r->nholders + 1, sizeof(*r->ports))) ==
	    NULL)
		return PA_ENOMEM;
	while (i < nv || j < r->nholders) {
		if (i < nv && !in_ranges(q, nq, v[i].port)) {
			i++;
			continue;
		}
		port = i < nv ? v[i].port : 65535;
		if (j < r->nholders && r->holders[j].port < port)
			port = r->holders[j].port;
		pc = &r->ports[r->nports++];
		pc->port = port;
		pc->first = j;
		for (k = j; k < r->nholders && r->holders[k].port == port; k++)
			;
		pc->n = k - j;
		j = k;
		if (i < nv && v[i].port == port) {
			pc->leased = 1;
			pc->lease = v[i++];
		}
		pc->status = judge(pa, &c, pc->leased ? &pc->lease : NULL,
		    r->holders + pc->first, pc->n);
		r->count[pc->status]++;
	}
	r->count[PA_PORT_FREE] = total - (unsigned)r->nports;
	procs_free(&c);
	return 0;
}

int
pa_check(struct pa *pa, const char *block, struct pa_check **out,
    struct pa_error *err)
{
	struct pa_filter all = PA_FILTER_INIT;
	struct holders h = { NULL, 0, 0 };
	struct pa_lease *v = NULL;
	struct pa_portq *q;
	struct pa_check *r;
	unsigned total;
	size_t nq, nv = 0;
	int rc;

	*out = NULL;
	if ((rc = check_ranges(pa, block, &q, &nq, &total, err)) != 0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		free(q);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	rc = pa_list(pa, &all, &v, &nv, err);
	if (rc == 0)
		rc = collect(pa->os, q, nq, &h, &r->unreadable, &r->source,
		    err);
	r->holders = h.v;
	r->nholders = h.n;
	if (rc == 0 && classify(pa, r, q, nq, v, nv, total) != 0)
		rc = pa__err(err, PA_ENOMEM, "out of memory");
	free(q);
	pa_leases_free(v);
	if (rc != 0) {
		pa_check_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
pa_check_free(struct pa_check *c)
{
	if (c == NULL)
		return;
	free(c->ports);
	free(c->holders);
	free(c);
}
