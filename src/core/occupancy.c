/*
 * Occupancy: who holds a port (pa_who), and leases checked against the
 * kernel's tables (pa_check).  One table dump and one process scan per
 * call, whatever the number of ports.  Memory follows the sockets found,
 * so it is kept small (issue 14): a holder points at texts stored once per
 * result (strpool.h) instead of carrying copies of its process's, the
 * holders are built where the socket table was, and a checked port points
 * at its lease.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/strpool.h"

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

/*
 * What is known of each process met, so that each is read once: what
 * check needs to walk up to a lease's owner, and the texts a holder shows
 * (interned; NULL until a holder needed them).  Found by pid through a
 * hash table of indexes.
 */
struct proc_ent {
	int64_t pid, ppid, uid;
	uint64_t start;
	const char *name, *cmdline;
	int ok;                     /* 0: gone, or not readable at all */
};

/* A user's name, looked up once per uid. */
struct user_ent {
	int64_t uid;
	const char *name;
};

/* The last address addr_text formatted. */
struct addr_memo {
	int family;
	unsigned char bytes[16];
	const char *text;           /* in the collector's pool; NULL: none */
};

/* The state of one pa_who or pa_check: processes, users, strings. */
struct collector {
	const struct pa_os *os;
	struct proc_ent *procs;
	size_t nprocs, capprocs;
	uint32_t *slots;            /* index + 1 into procs; 0: empty */
	size_t nslots;
	struct user_ent *users;
	size_t nusers, capusers;
	struct pa__strpool pool;    /* the texts the holders point at */
	struct addr_memo local, remote;
	const struct pa_proc *pre;  /* read by the OS with the table */
	size_t npre;
	uint64_t self_ns;           /* check: the caller's PID namespace */
};

/* An empty collector over os. */
static void
collector_init(struct collector *c, const struct pa_os *os)
{
	memset(c, 0, sizeof(*c));
	c->os = os;
}

/* Frees the collector, and the pool's strings unless holders_own took
 * them. */
static void
collector_free(struct collector *c)
{
	free(c->procs);
	free(c->slots);
	free(c->users);
	pa__strpool_free(&c->pool);
}

/* Where pid is in the table, or the empty slot where it would go. */
static size_t
pid_slot(const struct collector *c, int64_t pid)
{
	size_t i = (size_t)(((uint64_t)pid * 0x9E3779B97F4A7C15u) >> 40) &
	    (c->nslots - 1);

	while (c->slots[i] != 0 && c->procs[c->slots[i] - 1].pid != pid)
		i = (i + 1) & (c->nslots - 1);
	return i;
}

/* Room for one more process (the table at half load at most); 0 or -1. */
static int
procs_grow(struct collector *c)
{
	size_t i, n;
	uint32_t *ns;

	if (pa__grow(&c->procs, &c->capprocs, c->nprocs,
	    sizeof(*c->procs)) != 0 || c->nprocs >= UINT32_MAX - 1)
		return -1;
	if (2 * (c->nprocs + 1) <= c->nslots)
		return 0;
	n = c->nslots ? 2 * c->nslots : 64;
	if ((ns = calloc(n, sizeof(*ns))) == NULL)
		return -1;
	free(c->slots);
	c->slots = ns;
	c->nslots = n;
	for (i = 0; i < c->nprocs; i++)
		c->slots[pid_slot(c, c->procs[i].pid)] = (uint32_t)i + 1;
	return 0;
}

/* pid as the OS read it with the socket table, or NULL. */
static const struct pa_proc *
prefetched(const struct collector *c, int64_t pid)
{
	size_t lo = 0, hi = c->npre, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->pre[mid].pid == pid)
			return &c->pre[mid];
		if (c->pre[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The process's entry, read when first met, its texts too when text is
 * set; NULL only when out of memory (a gone process has ok 0). */
static const struct proc_ent *
proc_get(struct collector *c, int64_t pid, int text)
{
	struct proc_ent *e = NULL;
	const struct pa_proc *pp;
	struct pa_proc p;
	size_t i;

	if (c->nslots > 0 && c->slots[i = pid_slot(c, pid)] != 0) {
		e = &c->procs[c->slots[i] - 1];
		if (!text || !e->ok || e->name != NULL)
			return e;
	}
	if (e == NULL) {
		if (procs_grow(c) != 0)
			return NULL;
		e = &c->procs[c->nprocs];
		memset(e, 0, sizeof(*e));
		e->pid = pid;
		c->slots[pid_slot(c, pid)] = (uint32_t)++c->nprocs;
	}
	if ((pp = prefetched(c, pid)) == NULL) {
		if (!(e->ok = pa__proc(c->os, pid, text ? PA_PROC_CMDLINE : 0,
		    &p, NULL) == 0))
			return e;
		pp = &p;
	}
	e->ok = 1;
	e->ppid = pp->ppid;
	e->uid = pp->uid;
	e->start = pp->start;
	if (text && ((e->name = pa__strpool_intern(&c->pool, pp->name)) ==
	    NULL || (e->cmdline = pa__strpool_intern(&c->pool,
	    pp->cmdline)) == NULL)) {
		e->name = NULL;
		return NULL;
	}
	return e;
}

/* The name of uid ("" if unknown), interned; NULL when out of memory. */
static const char *
user_of(struct collector *c, int64_t uid)
{
	char buf[32];
	size_t i;

	for (i = 0; i < c->nusers; i++)
		if (c->users[i].uid == uid)
			return c->users[i].name;
	if (pa__grow(&c->users, &c->capusers, c->nusers,
	    sizeof(*c->users)) != 0)
		return NULL;
	buf[0] = '\0';
	c->os->user_name(c->os->ctx, uid, buf, sizeof(buf));
	c->users[c->nusers].uid = uid;
	c->users[c->nusers].name = pa__strpool_intern(&c->pool, buf);
	return c->users[c->nusers++].name;
}

/*
 * A holders array owns the texts its holders point at: their chunks hang
 * in a head just before the array, which pa_holders_free frees too.
 */
union holders_head {
	struct pa__strchunk *strings;
	max_align_t align;
};

/* Hands the collector's strings to the holders v (which must not be
 * NULL). */
static void
holders_own(struct pa_holder *v, struct collector *c)
{
	union holders_head *head = (union holders_head *)v - 1;

	head->strings = pa__strpool_take(&c->pool);
}

void
pa_holders_free(struct pa_holder *holders)
{
	union holders_head *head;

	if (holders == NULL)
		return;
	head = (union holders_head *)holders - 1;
	pa__strchunks_free(head->strings);
	free(head);
}

/*
 * An address as text, interned; NULL when out of memory.  The sockets of
 * a block mostly share a handful of addresses (127.0.0.1, ::), so the last
 * one formatted is kept: formatting and interning it again for each of a
 * thousand sockets was a fifth of naming them.
 */
static const char *
addr_text(struct collector *c, struct addr_memo *m, int family,
    const unsigned char bytes[16])
{
	char a[PA_ADDR_MAX];

	if (m->text != NULL && m->family == family &&
	    memcmp(m->bytes, bytes, 16) == 0)
		return m->text;
	pa__addr_format(family, bytes, a, sizeof(a));
	if ((m->text = pa__strpool_intern(&c->pool, a)) != NULL) {
		m->family = family;
		memcpy(m->bytes, bytes, 16);
	}
	return m->text;
}

/* The socket's half of a holder; 0 or PA_ENOMEM. */
static int
socket_part(struct collector *c, struct pa_holder *h,
    const struct pa_sock *s)
{
	static const unsigned char zero[16];

	memset(h, 0, sizeof(*h));
	h->proto = s->proto;
	h->family = s->family;
	h->port = s->lport;
	h->rport = s->rport;
	h->state = s->state;
	h->inode = s->inode;
	h->uid = s->uid;
	h->remote = h->user = h->name = h->cmdline = "";
	if ((h->local = addr_text(c, &c->local, s->family, s->local)) == NULL)
		return PA_ENOMEM;
	if ((s->rport != 0 || memcmp(s->remote, zero, 16) != 0) &&
	    (h->remote = addr_text(c, &c->remote, s->family, s->remote)) ==
	    NULL)
		return PA_ENOMEM;
	if (s->npids == 0 && s->uid >= 0 &&
	    (h->user = user_of(c, s->uid)) == NULL)
		return PA_ENOMEM;
	return 0;
}

/* The process's half of a holder whose socket half is s; 0 or
 * PA_ENOMEM. */
static int
process_part(struct collector *c, struct pa_holder *h,
    const struct pa_sock *s, int64_t pid)
{
	const struct proc_ent *p = proc_get(c, pid, 1);

	if (p == NULL)
		return PA_ENOMEM;
	h->pid = pid;
	h->ppid = 0;
	h->uid = s->uid;
	h->name = "?";
	h->cmdline = "";
	if (p->ok) {
		h->ppid = p->ppid;
		if (p->uid >= 0)
			h->uid = p->uid;
		h->name = p->name;
		h->cmdline = p->cmdline;
	}
	return (h->user = user_of(c, h->uid)) != NULL ? 0 : PA_ENOMEM;
}

/* One holder per (socket, process), one with pid 0 for an orphan, into
 * out[0..); how many.  s must not lie where out is. */
static int
holders_of(struct collector *c, const struct pa_socktab *t,
    const struct pa_sock *s, struct pa_holder *out, size_t *n)
{
	size_t i;

	if (socket_part(c, &out[0], s) != 0)
		return PA_ENOMEM;
	*n = 1;
	for (i = 0; i < s->npids; i++) {
		if (i > 0)
			out[i] = out[0];
		if (process_part(c, &out[i], s, t->pids[s->first_pid + i]) !=
		    0)
			return PA_ENOMEM;
	}
	if (s->npids > 1)
		*n = s->npids;
	return 0;
}

/* How many holders the sockets of t give. */
static size_t
holders_count(const struct pa_socktab *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->socks[i].npids ? t->socks[i].npids : 1;
	return n;
}

_Static_assert(sizeof(struct pa_holder) >= sizeof(struct pa_sock),
    "holders_in_place: a holder must be no smaller than a socket");

/*
 * The holders of t's sockets (t->n > 0), made where the sockets were, so
 * that a table of 10,000 sockets never exists twice: t->socks (from
 * malloc, as pa__socktab_free has it) grows to a head and the holders, and
 * is filled from its end.  Socket i gives holders i.. on, and holder j
 * begins no earlier than socket j (a holder is no smaller than a socket),
 * so the sockets not yet read, 0..i-1, lie wholly before socket i's
 * holders; socket i itself is copied out before they are written.
 */
static int
holders_in_place(struct collector *c, struct pa_socktab *t,
    struct pa_holder **out, size_t *n)
{
	union holders_head *head;
	struct pa_holder *v;
	struct pa_sock s;
	size_t nh = holders_count(t), at = nh, i, k;

	if (nh > (SIZE_MAX - sizeof(*head)) / sizeof(*v) ||
	    (head = realloc(t->socks, sizeof(*head) + nh * sizeof(*v))) ==
	    NULL)
		return PA_ENOMEM;
	t->socks = (struct pa_sock *)(void *)head;
	v = (struct pa_holder *)(head + 1);
	for (i = t->n; i-- > 0; at -= k) {
		memcpy(&s, &t->socks[i], sizeof(s));
		k = s.npids ? s.npids : 1;
		if (holders_of(c, t, &s, v + at - k, &k) != 0)
			return PA_ENOMEM;
	}
	head->strings = NULL;
	t->socks = NULL; /* the holders' now */
	*out = v;
	*n = nh;
	return 0;
}

/* The order of pa_who: port, protocol, family, listeners first, pid. */
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

/*
 * by_port's order as one number: port, protocol, family, listeners first
 * and the other states in their order, pid.  -1 when a holder does not fit
 * (a pid of 2^40 or more, a state or protocol no OS gives).
 */
static int
holder_key(const struct pa_holder *h, uint64_t *key)
{
	uint64_t st;

	if (h->pid < 0 || h->pid >= (int64_t)1 << 40 || h->proto > 3 ||
	    h->state < 0 || h->state > 30 || (h->family != 4 &&
	    h->family != 6))
		return -1;
	st = h->state == PA_SOCK_LISTEN ? 0 : (uint64_t)h->state + 1;
	*key = (uint64_t)h->port << 48 | (uint64_t)h->proto << 46 |
	    (uint64_t)(h->family == 6) << 45 | st << 40 | (uint64_t)h->pid;
	return 0;
}

/* The indices ix[0..n) ordered by their keys k[ix[i]], ascending and
 * stable: a byte at a time from the least significant, the bytes all keys
 * share skipped; ti has room for n.  The keys stay where they are, so the
 * sort needs 16 bytes an item, no more than qsort's. */
static void
radix_sort(const uint64_t *k, uint32_t *ix, uint32_t *ti, size_t n)
{
	uint32_t *ix0 = ix, *si;
	uint64_t diff = 0;
	size_t count[256], i, sum, c;
	unsigned b;

	for (i = 1; i < n; i++)
		diff |= k[i] ^ k[0];
	for (b = 0; b < 64; b += 8) {
		if (((diff >> b) & 0xff) == 0)
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(k[ix[i]] >> b) & 0xff]++;
		for (i = 0, sum = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			ti[count[(k[ix[i]] >> b) & 0xff]++] = ix[i];
		si = ix, ix = ti, ti = si;
	}
	if (ix != ix0)
		memcpy(ix0, ix, n * sizeof(*ix));
}

/*
 * v[0..n) in by_port's order.  Sorting keys and moving each holder once
 * costs a tenth of qsort's calls of by_port (0.2 ms for the 1,751 holders
 * of a 1,000-port check under the bench load); qsort remains for holders
 * that have no key, and when memory is short.
 */
static void
sort_holders(struct pa_holder *v, size_t n)
{
	struct pa_holder tmp;
	uint64_t *k;
	uint32_t *ix, next;
	size_t i, j;

	if (n < 2)
		return;
	if (n > UINT32_MAX || (k = malloc(n * (sizeof(*k) +
	    2 * sizeof(*ix)))) == NULL)
		goto slow;
	ix = (uint32_t *)(k + n);
	for (i = 0; i < n; i++) {
		if (holder_key(&v[i], &k[i]) != 0) {
			free(k);
			goto slow;
		}
		ix[i] = (uint32_t)i;
	}
	radix_sort(k, ix, ix + n, n);
	/* position i takes holder ix[i]: each cycle of moves with one copy
	 * aside */
	for (i = 0; i < n; i++) {
		if (ix[i] == i)
			continue;
		tmp = v[i];
		for (j = i; ix[j] != i; j = next) {
			next = ix[j];
			v[j] = v[next];
			ix[j] = (uint32_t)j;
		}
		v[j] = tmp;
		ix[j] = (uint32_t)j;
	}
	free(k);
	return;
slow:
	qsort(v, n, sizeof(*v), by_port);
}

/*
 * Marks the holders that a process holds though none was found: a socket
 * with an inode (a file holds it; TIME-WAIT has none) where the OS says
 * the caller could not see every process's sockets.  Where it sees them
 * all, such a socket is the kernel's, or was opened or closed while the
 * tables were read: no process, as before.
 */
static void
mark_hidden(struct pa_holder *h, size_t n, int partial)
{
	size_t i;

	if (!partial)
		return;
	for (i = 0; i < n; i++)
		h[i].hidden = h[i].pid == 0 && h[i].inode != 0;
}

/* Every holder of the ports in q, sorted, into *out (NULL when none),
 * its texts in c's pool. */
static int
collect(struct collector *c, struct pa__sockjob *job,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    const char **source, struct pa_error *err)
{
	struct pa_socktab t;
	int rc, partial;

	*out = NULL;
	*n = 0;
	if ((rc = pa__sockets_wait(job, &t, err)) != 0)
		return rc;
	*unreadable = t.unreadable;
	partial = t.partial;
	if (source != NULL)
		*source = t.source; /* a static string */
	c->pre = t.procs;
	c->npre = t.nprocs;
	if (t.n > 0 && holders_in_place(c, &t, out, n) != 0)
		rc = pa__err_nomem(err);
	c->pre = NULL;  /* freed with the table */
	c->npre = 0;
	pa__socktab_free(&t);
	if (rc != 0)
		return rc;
	mark_hidden(*out, *n, partial);
	sort_holders(*out, *n);
	return 0;
}

/* The port ranges of q, checked, as the OS seam takes them, into *out. */
static int
port_ranges(const struct pa_port_query *q, size_t nq, struct pa_portq **out,
    struct pa_error *err)
{
	struct pa_portq *pq;
	size_t i;

	if ((*out = pq = calloc(nq, sizeof(*pq))) == NULL)
		return pa__err_nomem(err);
	for (i = 0; i < nq; i++) {
		if (q[i].first == 0 || q[i].first > q[i].last) {
			free(pq);
			*out = NULL;
			return pa__err(err, PA_EUSAGE, "bad port range %u-%u",
			    q[i].first, q[i].last);
		}
		pq[i].first = q[i].first;
		pq[i].last = q[i].last;
		pq[i].protos = q[i].protos ? q[i].protos : PA_BOTH;
	}
	return 0;
}

/* pa_who on os; *source (when not NULL) says where the table came from. */
static int
who_os(const struct pa_os *os, const struct pa_port_query *q, size_t nq,
    struct pa_holder **out, size_t *n, unsigned *unreadable,
    const char **source, struct pa_error *err)
{
	struct pa__sockjob job;
	struct collector c;
	struct pa_portq *pq;
	int rc;

	*out = NULL;
	*n = 0;
	*unreadable = 0;
	if (nq == 0)
		return 0;
	if ((rc = port_ranges(q, nq, &pq, err)) != 0)
		return rc;
	rc = pa__sockets_start(os, pq, nq, 1, 0, &job, err);
	free(pq);
	if (rc != 0)
		return rc;
	collector_init(&c, os);
	rc = collect(&c, &job, out, n, unreadable, source, err);
	if (rc == 0 && *out != NULL)
		holders_own(*out, &c);
	collector_free(&c);
	return rc;
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

/*
 * Is p, met walking up from a holder, the lease's owner?  An owner of our
 * PID namespace (or of none known) is its pid here: the one recorded, or
 * its pid in its namespace when the lease was made from another (a
 * container's process, leased from the host).  An owner of another
 * namespace (a container's lease, checked from the host) is found by its
 * identity, read only for a process started when it was.
 */
static int
is_owner(struct collector *c, const struct proc_ent *p,
    const struct pa_lease *l)
{
	struct pa__owner o;
	struct pa_proc q;

	if (l->owner_pidns == 0 || c->self_ns == 0 ||
	    l->owner_pidns == c->self_ns)
		return p->pid == pa__owner_pid_in(c->self_ns, l->owner_pidns,
		    l->owner_nspid, l->owner_pid) &&
		    (p->start == 0 || p->start == l->owner_start);
	if (p->start != l->owner_start ||
	    pa__proc(c->os, p->pid, PA_PROC_IDENT, &q, NULL) != 0)
		return 0;
	pa__owner_of_lease(l, &o);
	return pa__owner_is(c->self_ns, &o, p->pid, &q);
}

/* Is pid the lease's owner or one of its descendants?  Walks up the
 * parent chain. */
static int
owned_by(struct collector *c, int64_t pid, const struct pa_lease *l)
{
	const struct proc_ent *p;
	int depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		if ((p = proc_get(c, pid, 0)) == NULL || !p->ok)
			return 0;
		if (is_owner(c, p, l))
			return 1;
		pid = p->ppid;
	}
	return 0;
}

/*
 * The status of one port from its lease (or none) and its holders.  A
 * hidden holder (a process the caller cannot see) takes the port all the
 * same: it is foreign when its socket's user is not the lease's; of the
 * same user it may be the owner's, which cannot be proven either way.
 */
static enum pa_port_status
judge(struct collector *c, const struct pa_lease *l, struct pa_holder *h,
    size_t n)
{
	size_t i, held = 0, foreign = 0;

	for (i = 0; i < n; i++) {
		if (h[i].pid == 0 && !h[i].hidden)
			continue;   /* no process holds it (TIME-WAIT) */
		held++;
		if (l == NULL)
			continue;
		if (h[i].pid == 0)
			h[i].foreign = h[i].uid >= 0 && h[i].uid != l->uid;
		else
			h[i].foreign = !owned_by(c, h[i].pid, l);
		foreign += h[i].foreign;
	}
	if (l != NULL) {
		if (l->state != PA_LEASE_ALIVE)
			return PA_PORT_STALE;
		if (foreign)
			return PA_PORT_FOREIGN;
		if (held)
			return PA_PORT_OK;
		return n ? PA_PORT_ORPHAN : PA_PORT_WAITING;
	}
	if (held)
		return PA_PORT_INTRUDER;
	return n ? PA_PORT_ORPHAN : PA_PORT_FREE;
}

/* The ranges to ask about: the named block, or all of them. */
static int
check_ranges(const struct pa_config *cfg, const char *block,
    struct pa_portq **q, size_t *nq, unsigned *total, struct pa_error *err)
{
	const struct pa_block *b;
	size_t i;

	*total = 0;
	*nq = 0;
	if ((*q = calloc(cfg->nblocks + 1, sizeof(**q))) == NULL)
		return pa__err_nomem(err);
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

/* Where check_leases gathers the leases on the checked ports. */
struct lease_sink {
	struct pa_check *r;
	size_t cap;
};

/* pa_list_each's callback: keeps l. */
static int
lease_keep(const struct pa_lease *l, void *arg)
{
	struct lease_sink *k = arg;

	return pa__leases_push(&k->r->leases, &k->r->nleases, &k->cap, l);
}

/*
 * The leases on the ports of q, in port order, into r->leases: only those
 * (the store reads the span of the ports, and whose owner lives is asked
 * only for them), one at a time, so that a store with many leases
 * elsewhere costs nothing here.  A bench store with 3,555 leases of dead
 * owners in another block made a check of 1,000 ports ask /proc about
 * each of those owners.
 */
static int
check_leases(struct pa *pa, struct pa_check *r, const struct pa_portq *q,
    size_t nq, struct pa_error *err)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct lease_sink k = { r, 0 };
	uint16_t *ports;
	size_t i, n = 0;
	unsigned p;
	int rc;

	for (i = 0; i < nq; i++)
		n += (size_t)q[i].last - q[i].first + 1;
	if ((ports = malloc(n * sizeof(*ports))) == NULL)
		return pa__err_nomem(err);
	for (i = 0, n = 0; i < nq; i++)
		for (p = q[i].first; p <= q[i].last; p++)
			ports[n++] = (uint16_t)p;
	f.ports = ports;
	f.nports = n;
	rc = pa_list_each(pa, &f, lease_keep, &k, err);
	free(ports);
	if (rc == PA_ENOMEM)
		return pa__err_nomem(err);
	return rc;
}

/* How many ports are leased or held: the length of the merge below. */
static size_t
ports_count(const struct pa_check *r)
{
	size_t i = 0, j = 0, n = 0;
	uint16_t port;

	while (i < r->nleases || j < r->nholders) {
		port = i < r->nleases ? r->leases[i].port : 65535;
		if (j < r->nholders && r->holders[j].port < port)
			port = r->holders[j].port;
		while (j < r->nholders && r->holders[j].port == port)
			j++;
		if (i < r->nleases && r->leases[i].port == port)
			i++;
		n++;
	}
	return n;
}

/* Merges the leases and the holders, both sorted by port. */
static int
classify(struct collector *c, struct pa_check *r, unsigned total)
{
	struct pa_port_check *pc;
	size_t i = 0, j = 0, k, n = ports_count(r);
	uint16_t port;

	if (n > 0 && (r->ports = calloc(n, sizeof(*r->ports))) == NULL)
		return PA_ENOMEM;
	while (i < r->nleases || j < r->nholders) {
		port = i < r->nleases ? r->leases[i].port : 65535;
		if (j < r->nholders && r->holders[j].port < port)
			port = r->holders[j].port;
		pc = &r->ports[r->nports++];
		pc->port = port;
		pc->first = j;
		for (k = j; k < r->nholders && r->holders[k].port == port; k++)
			;
		pc->n = k - j;
		j = k;
		if (i < r->nleases && r->leases[i].port == port)
			pc->lease = &r->leases[i++];
		pc->status = judge(c, pc->lease, r->holders + pc->first, pc->n);
		r->count[pc->status]++;
	}
	r->count[PA_PORT_FREE] = total - (unsigned)r->nports;
	return 0;
}

/* A check begun: its ports, and the kernel's tables being read. */
struct pa_check_job {
	struct pa_portq *q;
	size_t nq;
	unsigned total;             /* ports checked */
	struct pa__sockjob sockets;
};

/* pa_check's work once r exists: leases, holders, then each port. */
static int
check_fill(struct pa *pa, struct pa_check *r, struct pa_check_job *j,
    struct pa_error *err)
{
	struct collector c;
	int rc;

	if ((rc = check_leases(pa, r, j->q, j->nq, err)) != 0) {
		pa__sockets_wait(&j->sockets, NULL, NULL);
		return rc;
	}
	collector_init(&c, pa->os);
	c.self_ns = pa->pidns;
	rc = collect(&c, &j->sockets, &r->holders, &r->nholders,
	    &r->unreadable, &r->source, err);
	if (rc == 0 && classify(&c, r, j->total) != 0)
		rc = pa__err_nomem(err);
	if (r->holders != NULL)
		holders_own(r->holders, &c);
	collector_free(&c);
	return rc;
}

int
pa__check_start_os(const struct pa_os *os, const struct pa_config *cfg,
    const char *block, struct pa_check_job **out, struct pa_error *err)
{
	struct pa_check_job *j;
	int rc;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return pa__err_nomem(err);
	if ((rc = check_ranges(cfg, block, &j->q, &j->nq, &j->total,
	    err)) != 0 || (rc = pa__sockets_start(os, j->q, j->nq, 1, 1,
	    &j->sockets, err)) != 0) {
		free(j->q);
		free(j);
		return rc;
	}
	*out = j;
	return 0;
}

int
pa_check_start(const struct pa_config *cfg, const char *block,
    struct pa_check_job **out, struct pa_error *err)
{
	return pa__check_start_os(pa__os_native(), cfg, block, out, err);
}

int
pa_check_finish(struct pa *pa, struct pa_check_job *job,
    struct pa_check **out, struct pa_error *err)
{
	struct pa_check *r = NULL;
	int rc;

	*out = NULL;
	if (job->sockets.os != pa->os)
		rc = pa__err(err, PA_EUSAGE, "pa_check_finish: the check was "
		    "started on another OS than pa's");
	else if ((r = calloc(1, sizeof(*r))) == NULL)
		rc = pa__err_nomem(err);
	else
		rc = check_fill(pa, r, job, err);
	if (r == NULL)      /* else check_fill took the table, or dropped it */
		pa__sockets_wait(&job->sockets, NULL, NULL);
	free(job->q);
	free(job);
	if (rc != 0) {
		pa_check_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
pa_check_abort(struct pa_check_job *job)
{
	if (job == NULL)
		return;
	pa__sockets_wait(&job->sockets, NULL, NULL);
	free(job->q);
	free(job);
}

int
pa_check(struct pa *pa, const char *block, struct pa_check **out,
    struct pa_error *err)
{
	struct pa_check_job *job;
	int rc;

	*out = NULL;
	if ((rc = pa__check_start_os(pa->os, pa->cfg, block, &job, err)) != 0)
		return rc;
	return pa_check_finish(pa, job, out, err);
}

void
pa_check_free(struct pa_check *c)
{
	if (c == NULL)
		return;
	free(c->ports);
	pa_holders_free(c->holders);
	free(c->leases);
	free(c);
}
