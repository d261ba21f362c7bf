/*
 * Allocation: in one BEGIN IMMEDIATE transaction, reclaim what is expired,
 * walk the block next-fit from its cursor, skip leased ports and ports a
 * probe bind shows in use, record the leases, move the cursor, commit.
 * On a reserved block of an OS that picks ports from its reservations
 * (Windows), the OS picks instead of the walk.
 *
 * The time inside the lock must not grow with the store: the walk reads
 * the leased ports ahead of it a few at a time with indexed range queries,
 * judges only the owners of the leases it meets (a gone owner's leases are
 * reclaimed there and then), and reclaims every owner only when the block
 * looks full.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Leased ports read per range query, ahead of the walk. */
#define LEASED_AHEAD 64
/*
 * Owners of the leases met in one walk that are judged (and their leases
 * reclaimed when gone).  Past that, leases met count as live: the walk's
 * cost stays bounded, and a block that looks full has every owner judged.
 */
#define OWNERS_JUDGED 32

/* One allocation in progress. */
struct walk {
	struct pa *pa;
	const struct pa_block *b;
	struct pa_addr bind;        /* the block's bind_address */
	struct pa_addr addrs[3];
	int naddrs;
	unsigned protos;
	unsigned size;              /* ports in the block */
	struct pa__leased lv[LEASED_AHEAD]; /* leased ports from lfrom on */
	size_t nl;
	unsigned lfrom, lto;        /* offsets lv covers, when lvalid */
	int lvalid;
	struct pa__owner alive[OWNERS_JUDGED]; /* owners met, judged alive */
	size_t nalive;
	signed char *probed;        /* by offset: -1 unknown, 0 free, 1 held */
	unsigned held;              /* ports found in use */
	int dumped;                 /* the socket table was read into probed */
	int *fds;                   /* pa_get_listen: a held socket per pick */
	int os_pick;                /* the OS picks from the reservation */
	pa_socket_t *spare;         /* sockets on ports the OS picked but */
	size_t nspare;              /* that were refused, held meanwhile */
	int keep;                   /* pa_get_socket: keep a bound socket */
	int have_sock;
	pa_socket_t sock;
};

/*
 * A probe costs a socket and a bind per protocol and address; a block
 * crowded with other people's sockets would take one per port.  After this
 * many busy ports the walk reads the kernel's socket table for the whole
 * block once instead, and probes only the ports it shows free.
 */
#define PROBES_BEFORE_DUMP 8

/* Marks every port of the block that has a socket as held. */
static int
read_table(struct walk *w, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	struct pa_portq q = { w->b->first, w->b->last, w->protos };
	struct pa_socktab t;
	size_t i;
	unsigned off;
	int rc;

	w->dumped = 1;
	if ((rc = os->sockets(os->ctx, &q, 1, 0, &t, err)) != 0)
		return rc == PA_ENOMEM ? rc : 0; /* probes still work */
	for (i = 0; i < t.n; i++) {
		off = (unsigned)(t.socks[i].lport - w->b->first);
		if (off < w->size && w->probed[off] < 0) {
			w->probed[off] = 1;
			w->held++;
		}
	}
	pa__socktab_free(&t);
	return 0;
}

/* Probe binds go to the block's bind_address and to both wildcards: a
 * listener on any of them makes the port useless to a test server. */
static int
probe_addrs(struct walk *w, struct pa_error *err)
{
	static const char *const wild[] = { "0.0.0.0", "::" };
	struct pa_addr a;
	int i;

	if (pa__addr_parse(w->b->bind_address, &a) != 0)
		return pa__err(err, PA_ECONFIG, "block '%s': bad bind_address "
		    "'%s'", w->b->name, w->b->bind_address);
	w->bind = a;
	w->naddrs = 0;
	if (!a.wildcard)
		w->addrs[w->naddrs++] = a;
	for (i = 0; i < 2; i++) {
		pa__addr_parse(wild[i], &a);
		w->addrs[w->naddrs++] = a;
	}
	return 0;
}

/* Reads the leased ports from offset off on (LEASED_AHEAD of them). */
static int
read_leased(struct walk *w, unsigned off, struct pa_error *err)
{
	int rc;

	rc = pa__store_leased_from(w->pa->store, (uint16_t)(w->b->first + off),
	    w->b->last, w->lv, LEASED_AHEAD, &w->nl, err);
	if (rc != 0)
		return rc;
	w->lfrom = off;
	w->lto = w->nl == LEASED_AHEAD ?
	    (unsigned)(w->lv[LEASED_AHEAD - 1].port - w->b->first) :
	    w->size - 1;
	w->lvalid = 1;
	return 0;
}

/*
 * The lease l met in the walk: 1 if it stands, 0 if its owner is gone
 * (its leases are reclaimed now), or an error.
 */
static int
judge(struct walk *w, const struct pa__leased *l, struct pa_error *err)
{
	size_t i, none = 0, cap = 0;
	int rc;

	for (i = 0; i < w->nalive; i++)
		if (pa__owner_same(&w->alive[i], &l->owner))
			return 1;
	if (w->nalive == OWNERS_JUDGED)
		return 1;
	rc = pa__reclaim_owner(w->pa, &l->owner, NULL, &none, &cap, err);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		w->lvalid = 0; /* more of lv may be gone */
		return 0;
	}
	w->alive[w->nalive++] = l->owner;
	return 1;
}

/* 1 if a live lease holds the port at offset off, 0 if not, or an error. */
static int
leased(struct walk *w, unsigned off, struct pa_error *err)
{
	uint16_t port = (uint16_t)(w->b->first + off);
	size_t lo = 0, hi, mid;
	int rc;

	if ((!w->lvalid || off < w->lfrom || off > w->lto) &&
	    (rc = read_leased(w, off, err)) != 0)
		return rc;
	for (hi = w->nl; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if (w->lv[mid].port < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == w->nl || w->lv[lo].port != port)
		return 0;
	return judge(w, &w->lv[lo], err);
}

/* 1 if the port at offset off can be handed out, 0 if not, or an error. */
static int
port_free(struct walk *w, unsigned off, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	int rc;

	if ((rc = leased(w, off, err)) != 0)
		return rc < 0 ? rc : 0;
	if (!w->dumped && w->held >= PROBES_BEFORE_DUMP && w->probed[off] < 0 &&
	    (rc = read_table(w, err)) != 0)
		return rc;
	if (w->probed[off] < 0) {
		rc = os->probe(os->ctx, w->addrs, w->naddrs,
		    (uint16_t)(w->b->first + off), w->protos, err);
		if (rc != 0 && rc != PA_EINUSE)
			return rc;
		pa__fault("get.probe");
		w->probed[off] = rc == PA_EINUSE;
		w->held += rc == PA_EINUSE;
	}
	return w->probed[off] == 0;
}

/*
 * pa_get_listen: 1 once the port at offset off is held by a listening
 * socket in *fd, 0 if somebody took it since the probe, or an error.
 */
static int
hold(struct walk *w, unsigned off, int *fd, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	int rc;

	*fd = -1;
	rc = os->listen(os->ctx, &w->bind, (uint16_t)(w->b->first + off),
	    fd, err);
	if (rc == PA_EINUSE) {
		w->probed[off] = 1;
		w->held++;
		return 0;
	}
	return rc < 0 ? rc : 1;
}

/* Closes the held sockets among fds[0..n) and marks them -1. */
static void
unhold(struct walk *w, unsigned n)
{
	const struct pa_os *os = w->pa->os;

	while (w->fds != NULL && n > 0) {
		n--;
		if (w->fds[n] >= 0)
			os->unlisten(os->ctx, w->fds[n]);
		w->fds[n] = -1;
	}
}

/*
 * Picks count ports walking from offset start.  With consecutive, they must
 * be adjacent; the walk goes count - 1 steps past a full turn so that a run
 * across the starting point is found too.  Returns the number picked.
 */
static int
pick(struct walk *w, unsigned start, unsigned count, int consecutive,
    uint16_t *ports, struct pa_error *err)
{
	unsigned steps = w->size + (consecutive ? count - 1 : 0);
	unsigned i, off, prev = 0, got = 0;
	int rc;

	for (i = 0; i < steps && got < count; i++) {
		off = (start + i) % w->size;
		if (consecutive && got > 0 && off != prev + 1) {
			unhold(w, got);
			got = 0;
		}
		rc = port_free(w, off, err);
		if (rc == 1 && w->fds != NULL)
			rc = hold(w, off, &w->fds[got], err);
		if (rc < 0) {
			unhold(w, got);
			return rc;
		}
		if (rc == 1) {
			ports[got++] = (uint16_t)(w->b->first + off);
			prev = off;
		} else if (consecutive) {
			unhold(w, got);
			got = 0;
		}
	}
	return (int)got;
}

/* Keeps a refused socket open, so that the OS picks another port. */
static int
spare_push(struct walk *w, pa_socket_t s, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	pa_socket_t *v;

	v = realloc(w->spare, (w->nspare + 1) * sizeof(*v));
	if (v == NULL) {
		os->sock_close(os->ctx, s);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	w->spare = v;
	w->spare[w->nspare++] = s;
	return 0;
}

static void
spares_close(struct walk *w)
{
	const struct pa_os *os = w->pa->os;

	while (w->nspare > 0)
		os->sock_close(os->ctx, w->spare[--w->nspare]);
	free(w->spare);
	w->spare = NULL;
}

/* The protocol a kept socket has: TCP when the walk serves it. */
static unsigned
first_proto(unsigned protos)
{
	return (protos & PA_TCP) ? PA_TCP : PA_UDP;
}

/*
 * Is the port the OS picked (socket s bound to it) one to hand out?  A
 * socket to keep (pa_get_socket: one protocol) stays bound: the OS's bind
 * vouches for the port.  Otherwise s is closed and the port probed like
 * any other.  1 yes, 0 no (s kept as a spare), or an error.
 */
static int
os_pick_ok(struct walk *w, unsigned off, const uint16_t *ports,
    unsigned got, pa_socket_t s, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	uint16_t port = (uint16_t)(w->b->first + off);
	unsigned i;
	int rc;

	for (i = 0; i < got; i++)
		if (ports[i] == port)
			return spare_push(w, s, err);
	if ((rc = leased(w, off, err)) < 0) {
		os->sock_close(os->ctx, s);
		return rc;
	}
	if (rc == 1 || w->probed[off] == 1)
		return spare_push(w, s, err);
	if (!w->keep) {
		os->sock_close(os->ctx, s);
		return port_free(w, off, err);
	}
	w->sock = s;
	w->have_sock = 1;
	return 1;
}

/*
 * Lets the OS pick count ports from its reservation of the block, one
 * bind at a time.  A refused port keeps its socket until the end, so the
 * OS never offers it twice; the tries are bounded all the same.  Returns
 * the number picked, or an error (PA_ENOENT, PA_ENOTSUP or PA_EPERM when
 * the OS will not pick here at all).
 */
static int
pick_os(struct walk *w, unsigned count, uint16_t *ports,
    struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	const struct pa_block *b = w->b;
	unsigned tries, got = 0;
	pa_socket_t s;
	uint16_t port;
	int rc = 0;

	for (tries = 0; got < count && tries < 2 * w->size + 1; tries++) {
		rc = os->resv_range->bind(os->ctx, b->first, b->last,
		    first_proto(w->protos), &w->bind, &port, &s, err);
		if (rc == PA_EFULL) {
			rc = 0;
			break;
		}
		if (rc != 0)
			break;
		if (port < b->first || port > b->last) {
			os->sock_close(os->ctx, s);
			rc = pa__err(err, PA_EOS, "the OS picked port %u from "
			    "its reservation of block '%s' (%u-%u), outside "
			    "the block", port, b->name, b->first, b->last);
			break;
		}
		rc = os_pick_ok(w, (unsigned)(port - b->first), ports, got, s,
		    err);
		if (rc < 0)
			break;
		if (rc == 1)
			ports[got++] = port;
		rc = 0;
	}
	spares_close(w);
	if (rc != 0 && w->have_sock) {
		os->sock_close(os->ctx, w->sock);
		w->have_sock = 0;
	}
	return rc < 0 ? rc : (int)got;
}

/*
 * For a socket to keep after a walk: binds it to the port picked, or, if
 * somebody took the port since the probe, says so (0) for the walk to go
 * on.  1 when bound.
 */
static int
bind_picked(struct walk *w, uint16_t port, struct pa_error *err)
{
	const struct pa_os *os = w->pa->os;
	unsigned off = (unsigned)(port - w->b->first);
	int rc;

	rc = os->bind_port(os->ctx, first_proto(w->protos), &w->bind, port,
	    &w->sock, err);
	if (rc == PA_EINUSE) {
		w->probed[off] = 1;
		w->held++;
		return 0;
	}
	if (rc != 0)
		return rc;
	w->have_sock = 1;
	return 1;
}

/*
 * Picks count ports walking from offset start, the OS's way where it has
 * one.  A socket to keep is bound (or the OS's kept).  Returns the number
 * picked, or an error.
 */
static int
choose(struct walk *w, unsigned start, const struct pa_request *req,
    uint16_t *ports, struct pa_error *err)
{
	int rc;

	if (w->os_pick && !req->consecutive) {
		rc = pick_os(w, req->count, ports, err);
		if (rc != PA_ENOENT && rc != PA_ENOTSUP && rc != PA_EPERM)
			return rc;
		w->os_pick = 0; /* the OS will not pick here: walk instead */
	}
	for (;;) {
		rc = pick(w, start, req->count, req->consecutive, ports, err);
		if (rc <= 0 || !w->keep)
			return rc;
		if ((rc = bind_picked(w, ports[0], err)) != 0)
			return rc < 0 ? rc : 1;
	}
}

/* How many of b's ports are leased, under whatever block name (another
 * configuration may share the store with overlapping blocks). */
static size_t
leased_in(struct pa *pa, const struct pa_block *b)
{
	struct pa__leased v[256];
	size_t n, total = 0;
	unsigned from = b->first;

	while (from <= b->last) {
		if (pa__store_leased_from(pa->store, (uint16_t)from, b->last, v,
		    256, &n, NULL) != 0 || n == 0)
			break;
		total += n;
		from = (unsigned)v[n - 1].port + 1;
	}
	return total;
}

/* The owners of a block's leases, in the order of their first port. */
struct owner_tally {
	struct {
		int64_t pid;
		size_t count;
		char command[41];
	} *v;
	size_t n, cap, leases;
};

/* Counts l for its owner; PA_ENOMEM stops the walk. */
static int
tally_one(struct pa_lease *l, void *arg)
{
	struct owner_tally *t = arg;
	size_t i;

	t->leases++;
	for (i = 0; i < t->n && t->v[i].pid != l->owner_pid; i++)
		;
	if (i == t->n) {
		if (pa__grow(&t->v, &t->cap, t->n, sizeof(*t->v)) != 0)
			return PA_ENOMEM;
		t->v[i].pid = l->owner_pid;
		t->v[i].count = 0;
		pa__strlcpy(t->v[i].command, l->command,
		    sizeof(t->v[i].command));
		t->n++;
	}
	t->v[i].count++;
	return 0;
}

/* Who holds the block's leases, for the "block full" message: read one
 * lease at a time, so that a full block of 60,000 costs no array. */
static void
describe_owners(struct pa *pa, const struct pa_block *b, char *buf,
    size_t len)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct owner_tally t = { NULL, 0, 0, 0 };
	size_t i, off;

	buf[0] = '\0';
	f.block = b->name;
	if (pa__store_each(pa->store, &f, tally_one, &t, NULL) != 0) {
		free(t.v);
		return;
	}
	off = (size_t)snprintf(buf, len, "%zu leased", t.leases);
	for (i = 0; i < t.n && i < 5 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off,
		    "%spid %lld (%s): %zu", i == 0 ? " (" : ", ",
		    (long long)t.v[i].pid, t.v[i].command, t.v[i].count);
	if (off < len && t.n > 5)
		off += (size_t)snprintf(buf + off, len - off, ", %zu more "
		    "owners", t.n - 5);
	if (off < len && t.n > 0)
		off += (size_t)snprintf(buf + off, len - off, ")");
	free(t.v);
	if (off < len && (i = leased_in(pa, b)) > t.leases)
		snprintf(buf + off, len - off, ", %zu leased for blocks of "
		    "another configuration that shares this store",
		    i - t.leases);
}

static int
full(struct walk *w, unsigned count, int consecutive, struct pa_error *err)
{
	char owners[512], want[64], held[64] = "";

	describe_owners(w->pa, w->b, owners, sizeof(owners));
	if (count == 1)
		snprintf(want, sizeof(want), "no free port");
	else
		snprintf(want, sizeof(want), "%s %u %sfree ports",
		    consecutive ? "no" : "fewer than", count,
		    consecutive ? "adjacent " : "");
	if (w->held > 0)
		snprintf(held, sizeof(held), ", %u held by other processes",
		    w->held);
	return pa__hint(err, pa__err(err, PA_EFULL, "block '%s' (%u-%u) has "
	    "%s: %s%s", w->b->name, w->b->first, w->b->last, want, owners,
	    held), PA_HINT_RELEASE, w->b->name);
}

static int
valid_tag(const char *tag)
{
	const unsigned char *s;

	if (strlen(tag) >= PA_TAG_MAX)
		return 0;
	for (s = (const unsigned char *)tag; *s; s++)
		if (iscntrl(*s))
			return 0;
	return 1;
}

/* Checks the request against the block; fills what it leaves open. */
static int
check_request(struct pa *pa, const struct pa_request *req,
    const struct pa_block **bp, unsigned *protos, struct pa_error *err)
{
	const struct pa_block *b;
	unsigned size;

	if ((b = pa_config_block(pa->cfg, req->block)) == NULL)
		return pa__err(err, PA_ENOENT, "no block '%s' in %s",
		    req->block ? req->block : "(any)", pa->cfg->file[0] ?
		    pa->cfg->file : PA__DEFAULT_CONFIG_NAME);
	size = (unsigned)b->last - b->first + 1;
	*protos = req->protos ? req->protos : b->protos;
	if ((*protos & ~b->protos) != 0)
		return pa__err(err, PA_EDATA, "block '%s' serves %s, not %s",
		    b->name, pa_protos_name(b->protos),
		    pa_protos_name(*protos));
	if (req->count == 0 || req->count > size)
		return pa__err(err, PA_EUSAGE, "cannot lease %u ports from "
		    "block '%s': it has %u", req->count, b->name, size);
	if (req->tag && !valid_tag(req->tag))
		return pa__err(err, PA_EUSAGE, "bad tag: at most %d "
		    "printable characters", PA_TAG_MAX - 1);
	if (req->ttl < -1)
		return pa__err(err, PA_EUSAGE, "bad lease time %lld",
		    (long long)req->ttl);
	*bp = b;
	return 0;
}

/* The lease every picked port gets, but for the port itself. */
static int
lease_template(struct pa *pa, const struct pa_request *req,
    const struct pa_block *b, unsigned protos, struct pa_lease *l,
    struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	int64_t ttl = req->ttl < 0 ? pa->cfg->lease_ttl : req->ttl;
	struct pa_proc owner;
	int rc, exiting;

	memset(l, 0, sizeof(*l));
	if ((rc = pa__owner_choose(os, pa->pidns, req->owner_pid, &owner,
	    &exiting, NULL, NULL, err)) != 0)
		return rc;
	l->owner_pid = owner.pid;
	l->owner_pidns = owner.pidns;
	l->owner_nspid = owner.nspid;
	l->owner_pidid = owner.pidid;
	l->owner_exiting = exiting;
	l->protos = protos;
	pa__strlcpy(l->block, b->name, sizeof(l->block));
	l->owner_start = owner.start;
	pa__strlcpy(l->owner_boot, os->boot_id(os->ctx),
	    sizeof(l->owner_boot));
	l->uid = os->self_uid(os->ctx);
	pa__strlcpy(l->tag, req->tag ? req->tag : "", sizeof(l->tag));
	pa__strlcpy(l->command, req->command ? req->command : owner.cmdline,
	    sizeof(l->command));
	l->created = os->now(os->ctx);
	l->expires = ttl ? l->created + ttl : 0;
	l->state = PA_LEASE_ALIVE;
	return 0;
}

/* Inside the transaction: everything from reclaim to the new cursor. */
static int
allocate(struct walk *w, const struct pa_request *req,
    const struct pa_lease *tmpl, struct pa_lease *out, struct pa_error *err)
{
	const struct pa_block *b = w->b;
	const struct pa_os *os = w->pa->os;
	uint16_t cursor, *ports;
	unsigned i, start;
	size_t none = 0, cap = 0;
	int rc;

	if ((rc = pa__store_take_expired(w->pa->store, os->now(os->ctx), NULL,
	    &none, &cap, err)) != 0)
		return rc;
	if ((rc = pa__store_cursor(w->pa->store, b->name, b->first, &cursor,
	    err)) != 0)
		return rc;
	start = cursor >= b->first && cursor <= b->last ?
	    (unsigned)(cursor - b->first) : 0;
	if ((ports = calloc(req->count, sizeof(*ports))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	rc = choose(w, start, req, ports, err);
	if (rc >= 0 && (unsigned)rc < req->count) {
		/* looks full: judge every owner, then walk once more */
		unhold(w, (unsigned)rc);
		if ((rc = pa__reclaim(w->pa, NULL, &none, err)) == 0) {
			w->lvalid = 0;
			rc = choose(w, start, req, ports, err);
		}
	}
	if (rc >= 0 && (unsigned)rc < req->count) {
		unhold(w, (unsigned)rc);
		rc = full(w, req->count, req->consecutive, err);
	}
	for (i = 0; rc >= 0 && i < req->count; i++) {
		out[i] = *tmpl;
		out[i].port = ports[i];
		rc = pa__store_insert(w->pa->store, &out[i], err);
	}
	if (rc >= 0) {
		cursor = ports[req->count - 1] == b->last ? b->first :
		    (uint16_t)(ports[req->count - 1] + 1);
		rc = pa__store_set_cursor(w->pa->store, b->name, cursor, err);
	}
	free(ports);
	return rc < 0 ? rc : 0;
}

/*
 * pa_get, and pa_get_socket with w->keep: checks, then the transaction.
 * On success *out holds req->count leases (and w->sock the socket kept).
 */
static int
get(struct pa *pa, const struct pa_request *req, struct walk *w,
    struct pa_lease **out, struct pa_error *err)
{
	const struct pa_os *os = pa->os;
	struct pa_lease tmpl, *leases = NULL;
	int rc;

	w->pa = pa;
	if ((rc = check_request(pa, req, &w->b, &w->protos, err)) != 0)
		return rc;
	if ((rc = probe_addrs(w, err)) != 0)
		return rc;
	if ((rc = pa__reserve_ensure(pa, w->b, err)) != 0)
		return rc;
	if ((rc = lease_template(pa, req, w->b, w->protos, &tmpl, err)) != 0)
		return rc;
	w->os_pick = os->resv_range != NULL && os->resv_range->bind != NULL &&
	    w->b->reserve != PA_RESERVE_NO && w->fds == NULL;
	w->size = (unsigned)w->b->last - w->b->first + 1;
	w->probed = malloc(w->size);
	leases = calloc(req->count, sizeof(*leases));
	if (w->probed == NULL || leases == NULL) {
		rc = pa__err(err, PA_ENOMEM, "out of memory");
		goto out;
	}
	memset(w->probed, -1, w->size);
	if ((rc = pa__store_begin(pa->store, err)) != 0)
		goto out;
	if ((rc = allocate(w, req, &tmpl, leases, err)) == 0)
		rc = pa__store_commit(pa->store, err);
	else
		pa__store_rollback(pa->store);
	if (rc != 0)
		unhold(w, req->count);
	if (rc == 0) {
		*out = leases;
		leases = NULL;
	} else if (w->have_sock) {
		os->sock_close(os->ctx, w->sock);
		w->have_sock = 0;
	}
out:
	free(w->probed);
	free(leases);
	return rc;
}

int
pa_get(struct pa *pa, const struct pa_request *req, struct pa_lease **out,
    size_t *n, struct pa_error *err)
{
	struct walk w;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&w, 0, sizeof(w));
	if ((rc = get(pa, req, &w, out, err)) == 0)
		*n = req->count;
	return rc;
}

int
pa_get_socket(struct pa *pa, const struct pa_request *req,
    struct pa_lease *out, pa_socket_t *sock, struct pa_error *err)
{
	struct pa_request one = *req;
	struct pa_lease *v;
	struct walk w;
	int rc;

	if (req->count != 1)
		return pa__err(err, PA_EUSAGE, "pa_get_socket leases one port, "
		    "not %u", req->count);
	if (req->protos != 0 && req->protos != PA_TCP &&
	    req->protos != PA_UDP)
		return pa__err(err, PA_EUSAGE, "pa_get_socket binds one "
		    "protocol: tcp or udp, not %s",
		    pa_protos_name(req->protos));
	memset(&w, 0, sizeof(w));
	w.keep = 1;
	if (one.protos == 0) {
		const struct pa_block *b = pa_config_block(pa->cfg, req->block);

		one.protos = b != NULL ? first_proto(b->protos) : PA_TCP;
	}
	if ((rc = get(pa, &one, &w, &v, err)) != 0)
		return rc;
	*out = v[0];
	*sock = w.sock;
	pa_leases_free(v);
	return 0;
}

int
pa_get_listen(struct pa *pa, const struct pa_request *req, int *fds,
    struct pa_lease **out, size_t *n, struct pa_error *err)
{
	struct pa_request r = *req;
	struct walk w;
	unsigned i;
	int rc;

	*out = NULL;
	*n = 0;
	if (pa->os->listen == NULL || pa->os->unlisten == NULL)
		return pa__err(err, PA_EUSAGE, "listening sockets cannot be "
		    "handed out on this OS");
	if (r.protos != 0 && r.protos != PA_TCP)
		return pa__err(err, PA_EUSAGE, "listening sockets are TCP "
		    "only");
	r.protos = PA_TCP;
	for (i = 0; i < r.count; i++)
		fds[i] = -1;
	memset(&w, 0, sizeof(w));
	w.fds = fds;
	if ((rc = get(pa, &r, &w, out, err)) == 0)
		*n = r.count;
	return rc;
}
