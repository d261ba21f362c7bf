/*
 * The fake OS's sockets: one list, whoever made the socket (the test or
 * the core), from which probe, listen, bind_port, the sockets op and the
 * reservations' "port in use" (held[], fake_bound_by) are all derived.
 * The conflict rule is written once, in overlap() and conflicts(); fake.h
 * says what it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "fake/fake-impl.h"

static const unsigned protos_each[] = { PA_TCP, PA_UDP };

/* Do the local addresses of x and y overlap, as for a bind? */
static int
overlap(const struct fake_sock *x, const struct fake_sock *y)
{
	if (x->s.family == y->s.family)
		return x->wildcard || y->wildcard ||
		    memcmp(x->s.local, y->s.local, 16) == 0;
	return (x->dual && x->wildcard) || (y->dual && y->wildcard);
}

/* Would a socket like want conflict with one in the list?  With reuse
 * (SO_REUSEADDR), TIME_WAIT sockets do not count. */
static int
conflicts(const struct pa_fake *f, const struct fake_sock *want, int reuse)
{
	const struct fake_sock *fs;
	size_t i;

	for (i = 0; i < MAX_SOCKS; i++) {
		fs = &f->socks[i];
		if (fs->kind == FAKE_FREE || fs->s.lport != want->s.lport ||
		    !(fs->s.proto & want->s.proto))
			continue;
		if (reuse && fs->s.state == PA_SOCK_TIME_WAIT)
			continue;
		if (overlap(fs, want))
			return 1;
	}
	return 0;
}

/* Recomputes the derived held[port] from the list. */
static void
reindex(struct pa_fake *f, uint16_t port)
{
	size_t i;

	f->held[port] = 0;
	for (i = 0; i < MAX_SOCKS; i++)
		if (f->socks[i].kind != FAKE_FREE &&
		    f->socks[i].s.lport == port)
			f->held[port] |= (unsigned char)f->socks[i].s.proto;
}

/* A socket of proto on a:port in state, held by pids[0..npids), not yet
 * in the list. */
static void
sock_make(struct fake_sock *fs, unsigned proto, const struct pa_addr *a,
    uint16_t port, int state, const int64_t *pids, size_t npids)
{
	if (npids > MAX_SOCK_PIDS)
		abort();
	memset(fs, 0, sizeof(*fs));
	fs->s.proto = proto;
	fs->s.family = a->family;
	memcpy(fs->s.local, a->bytes, 16);
	fs->wildcard = a->wildcard;
	fs->s.lport = port;
	fs->s.state = state;
	fs->s.uid = 1000;
	fs->s.npids = npids;
	if (npids)
		memcpy(fs->pids, pids, npids * sizeof(*pids));
}

/* Puts *fs in the first free slot; its index. */
static size_t
sock_add(struct pa_fake *f, enum fake_kind kind, const struct fake_sock *fs)
{
	size_t i;

	for (i = 0; i < MAX_SOCKS && f->socks[i].kind != FAKE_FREE; i++)
		;
	if (i == MAX_SOCKS)
		abort();
	f->socks[i] = *fs;
	f->socks[i].kind = kind;
	f->socks[i].s.inode = fs->s.npids ? 10000 + ++f->next_inode : 0;
	f->held[fs->s.lport] |= (unsigned char)fs->s.proto;
	return i;
}

static void
sock_del(struct pa_fake *f, size_t i)
{
	uint16_t port = f->socks[i].s.lport;

	memset(&f->socks[i], 0, sizeof(f->socks[i]));
	reindex(f, port);
}

static void
parse_or_die(const char *text, struct pa_addr *a)
{
	if (pa__addr_parse(text, a) != 0)
		abort();
}

/* A wildcard or loopback address, which the real probe merges. */
static int
always_there(const struct pa_addr *a)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };

	if (a->wildcard)
		return 1;
	if (a->family == 4)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, v6_loopback, 16) == 0;
}

/*
 * As Linux's: where every address is loopback or a wildcard, one
 * dual-stack bind answers for all, and any socket of the protocol on the
 * port (either family, TIME-WAIT too) is in the way; else each address is
 * bound by itself.
 */
static int
fake_probe(void *ctx, const struct pa_addr *addrs, int n, uint16_t port,
    unsigned protos, struct pa_error *err)
{
	struct pa_fake *f = ctx;
	struct fake_sock want;
	size_t k;
	int i, merge = 1;

	f->probes++;
	if (f->probe_error)
		return pa__err(err, f->probe_error, "fake probe failure");
	for (i = 0; i < n; i++)
		merge = merge && always_there(&addrs[i]);
	for (k = 0; k < 2; k++) {
		if (!(protos & protos_each[k]))
			continue;
		if (merge && (f->held[port] & protos_each[k]))
			return PA_EINUSE;
		for (i = 0; !merge && i < n; i++) {
			sock_make(&want, protos_each[k], &addrs[i], port, 0,
			    NULL, 0);
			if (conflicts(f, &want, 0))
				return PA_EINUSE;
		}
	}
	if (f->race[port]) {      /* somebody is quicker than the caller */
		f->race[port] = 0;
		pa_fake_hold(f, port, PA_TCP);
	}
	return 0;
}

/* A socket of the core on a:port (bind_port, resv_bind): handle slot + 1. */
static int
bind_at(struct pa_fake *f, unsigned proto, const struct pa_addr *a,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	struct fake_sock fs;

	sock_make(&fs, proto, a, port, PA_SOCK_CLOSE, &f->self, 1);
	if (conflicts(f, &fs, 0))
		return pa__err(err, PA_EINUSE, "fake port %u in use", port);
	*sock = (pa_socket_t)(sock_add(f, FAKE_BOUND, &fs) + 1);
	return 0;
}

int
fake_bind(struct pa_fake *f, unsigned proto, uint16_t port,
    pa_socket_t *sock, struct pa_error *err)
{
	struct pa_addr any;

	parse_or_die("0.0.0.0", &any);
	return bind_at(f, proto, &any, port, sock, err);
}

static int
fake_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	return bind_at(ctx, proto, addr, port, sock, err);
}

int
fake_bound_by(const struct pa_fake *f, uint16_t port, unsigned protos)
{
	return (f->held[port] & protos) != 0;
}

void
pa_fake_sock_close(struct pa_fake *f, pa_socket_t s)
{
	size_t i = (size_t)s - 1;

	if (s == 0 || i >= MAX_SOCKS || f->socks[i].kind != FAKE_BOUND)
		abort(); /* closing what is not open: a bug in the core */
	sock_del(f, i);
}

static void
fake_sock_close(void *ctx, pa_socket_t s)
{
	pa_fake_sock_close(ctx, s);
}

unsigned
pa_fake_open_socks(const struct pa_fake *f)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < MAX_SOCKS; i++)
		n += f->socks[i].kind == FAKE_BOUND;
	return n;
}

uint16_t
pa_fake_sock_port(const struct pa_fake *f, pa_socket_t s)
{
	size_t i = (size_t)s - 1;

	if (s == 0 || i >= MAX_SOCKS || f->socks[i].kind != FAKE_BOUND)
		return 0;
	return f->socks[i].s.lport;
}

/*
 * Listening sockets (exec --listen): SO_REUSEADDR, and a :: socket takes
 * IPv4 too, as pa__linux_listen's do.  fd 1000 + port.
 */
static int
fake_listen(void *ctx, const struct pa_addr *a, uint16_t port, int *fd,
    struct pa_error *err)
{
	struct pa_fake *f = ctx;
	struct fake_sock fs;

	(void)err;
	*fd = -1;
	sock_make(&fs, PA_TCP, a, port, PA_SOCK_LISTEN, &f->self, 1);
	fs.dual = a->family == 6;
	if (conflicts(f, &fs, 1))
		return PA_EINUSE;
	sock_add(f, FAKE_LISTEN, &fs);
	*fd = 1000 + port;
	return 0;
}

static void
fake_unlisten(void *ctx, int fd)
{
	struct pa_fake *f = ctx;
	size_t i;

	for (i = 0; i < MAX_SOCKS; i++)
		if (f->socks[i].kind == FAKE_LISTEN &&
		    f->socks[i].s.lport + 1000 == fd) {
			sock_del(f, i);
			return;
		}
	abort(); /* closing what was never opened */
}

unsigned
pa_fake_listening(const struct pa_fake *f)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < MAX_SOCKS; i++)
		n += f->socks[i].kind == FAKE_LISTEN;
	return n;
}

void
pa_fake_busy_listen(struct pa_fake *f, uint16_t port)
{
	f->race[port] = 1;
}

/* Does the kernel list fs (a bound, unconnected TCP socket: no, as
 * sock_diag does not)? */
static int
listed(const struct fake_sock *fs, const struct pa_portq *q, size_t nq)
{
	if (fs->kind == FAKE_FREE)
		return 0;
	if (fs->s.proto == PA_TCP && fs->s.state == PA_SOCK_CLOSE)
		return 0;
	return pa__portq_match(q, nq, fs->s.lport, fs->s.proto);
}

static int
fake_sockets(void *ctx, const struct pa_portq *q, size_t nq, int pids,
    struct pa_socktab *t, struct pa_error *err)
{
	struct pa_fake *f = ctx;
	const struct fake_sock *fs;
	size_t i, k;

	memset(t, 0, sizeof(*t));
	t->source = "fake";
	t->partial = f->partial;
	f->dumps++;
	t->socks = calloc(MAX_SOCKS, sizeof(*t->socks));
	t->pids = calloc(MAX_SOCKS * MAX_SOCK_PIDS, sizeof(*t->pids));
	if (t->socks == NULL || t->pids == NULL) {
		pa__socktab_free(t);
		return pa__err_nomem(err);
	}
	for (i = 0; i < MAX_SOCKS; i++) {
		fs = &f->socks[i];
		if (!listed(fs, q, nq))
			continue;
		t->socks[t->n] = fs->s;
		t->socks[t->n].first_pid = t->npids;
		t->socks[t->n].npids = pids ? fs->s.npids : 0;
		for (k = 0; pids && k < fs->s.npids; k++)
			t->pids[t->npids++] = fs->pids[k];
		t->n++;
	}
	return 0;
}

unsigned
pa_fake_dumps(const struct pa_fake *f)
{
	return f->dumps;
}

unsigned
pa_fake_probes(const struct pa_fake *f)
{
	return f->probes;
}

void
pa_fake_fail_probes(struct pa_fake *f, int code)
{
	f->probe_error = code;
}

/*
 * What the test states.
 */
void
pa_fake_add_sock_at(struct pa_fake *f, unsigned proto, const char *addr,
    uint16_t port, int state, const int64_t *pids, size_t npids)
{
	struct fake_sock fs;
	struct pa_addr a;

	parse_or_die(addr, &a);
	sock_make(&fs, proto, &a, port, state, pids, npids);
	sock_add(f, FAKE_ADDED, &fs);
}

void
pa_fake_set_partial(struct pa_fake *f, int partial)
{
	f->partial = partial;
}

void
pa_fake_add_unseen_sock(struct pa_fake *f, unsigned proto, uint16_t port,
    int state, int64_t uid)
{
	struct fake_sock fs;
	struct pa_addr a;
	size_t i;

	parse_or_die("127.0.0.1", &a);
	sock_make(&fs, proto, &a, port, state, NULL, 0);
	fs.s.uid = uid;
	i = sock_add(f, FAKE_ADDED, &fs);
	f->socks[i].s.inode = 10000 + ++f->next_inode;
}

void
pa_fake_add_sock(struct pa_fake *f, unsigned proto, int family,
    uint16_t port, int state, const int64_t *pids, size_t npids)
{
	pa_fake_add_sock_at(f, proto, family == 4 ? "127.0.0.1" : "::1",
	    port, state, pids, npids);
}

void
pa_fake_hold(struct pa_fake *f, uint16_t port, unsigned protos)
{
	static const int64_t foreign[] = { PA_FAKE_FOREIGN };
	struct fake_sock fs;
	struct pa_addr any;
	size_t k;

	parse_or_die("0.0.0.0", &any);
	for (k = 0; k < 2; k++) {
		if (!(protos & protos_each[k]))
			continue;
		sock_make(&fs, protos_each[k], &any, port, protos_each[k] ==
		    PA_TCP ? PA_SOCK_LISTEN : PA_SOCK_CLOSE, foreign, 1);
		sock_add(f, FAKE_HELD, &fs);
	}
}

/* Closes the sockets of kind (FAKE_FREE: the test's) on port. */
static void
close_kind(struct pa_fake *f, uint16_t port, enum fake_kind kind)
{
	size_t i;

	for (i = 0; i < MAX_SOCKS; i++) {
		if (f->socks[i].kind == FAKE_FREE ||
		    f->socks[i].s.lport != port)
			continue;
		if (kind == FAKE_FREE ? f->socks[i].kind == FAKE_ADDED ||
		    f->socks[i].kind == FAKE_HELD : f->socks[i].kind == kind)
			sock_del(f, i);
	}
}

void
pa_fake_unhold(struct pa_fake *f, uint16_t port)
{
	close_kind(f, port, FAKE_HELD);
}

void
pa_fake_close_port(struct pa_fake *f, uint16_t port)
{
	close_kind(f, port, FAKE_FREE);
}

void
fake_socks_init(struct pa_fake *f)
{
	f->os.probe = fake_probe;
	f->os.sockets = fake_sockets;
	f->os.listen = fake_listen;
	f->os.unlisten = fake_unlisten;
	f->os.bind_port = fake_bind_port;
	f->os.sock_close = fake_sock_close;
}
