/*
 * The contract of the OS seam's socket operations, asserted once and run
 * twice: against the fake OS (tests/fake) and against the real Linux
 * backend.  What the unit tests learn from the fake is only worth what
 * the fake agrees with the kernel, so every assertion here holds for
 * both: probe says "in use" for a socket on the same port and protocol,
 * and (one dual-stack bind where every address is loopback or wildcard)
 * of either family, not for the other protocol; a wildcard conflicts; the
 * sockets op lists a listener and a UDP socket with their pid, IPv4 and
 * IPv6; an orphan (TIME-WAIT) has no pid; listen and bind_port take the
 * port until closed.
 *
 * The real backend runs in a network namespace of its own (root), or
 * else on ports checked free.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox.h"

#include "fake/fake.h"
#include "os/os.h"

/* One backend and how a test makes sockets in it that this process
 * holds. */
struct world {
	const char *name;
	const struct pa_os *os;
	int64_t self;               /* the pid the backend says holds them */
	struct pa_fake *fake;       /* the fake's, else NULL */
	int fds[32];                /* the real ones, to close */
	size_t nfds;
	int v6;                     /* IPv6 loopback exists */
	unsigned base;              /* this test's ports: base..base+9 */
};

static unsigned next_base;

static struct pa_addr
addr(const char *text)
{
	struct pa_addr a;

	if (pa__addr_parse(text, &a) != 0)
		fail_msg("bad address %s", text);
	return a;
}

/* A real socket of proto on text:port held by this process (TCP: listening;
 * IPv6: v6 only, as the probes' are). */
static void
real_bind(struct world *w, unsigned proto, const char *text, uint16_t port)
{
	struct pa_addr a = addr(text);
	struct sockaddr_storage ss;
	socklen_t len = (socklen_t)pa__addr_sockaddr(&a, port, &ss);
	int fd = socket(ss.ss_family, proto == PA_TCP ? SOCK_STREAM :
	    SOCK_DGRAM, 0), on = 1;

	assert_true(fd >= 0);
	if (a.family == 6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    (proto == PA_TCP && listen(fd, 4) != 0))
		fail_msg("%s: bind %s:%u: %s", w->name, text, port,
		    strerror(errno));
	w->fds[w->nfds++] = fd;
}

/* The same socket, stated to the fake. */
static void
fake_bind(struct world *w, unsigned proto, const char *text, uint16_t port)
{
	pa_fake_add_sock_at(w->fake, proto, text, port, proto == PA_TCP ?
	    PA_SOCK_LISTEN : PA_SOCK_CLOSE, &w->self, 1);
}

static void
bind_in(struct world *w, unsigned proto, const char *text, uint16_t port)
{
	if (w->fake)
		fake_bind(w, proto, text, port);
	else
		real_bind(w, proto, text, port);
}

/* The sockets of port and proto, with or without their pids. */
static void
table(struct world *w, uint16_t port, unsigned proto, int pids,
    struct pa_socktab *t)
{
	struct pa_portq q = { port, port, proto };
	struct pa_error err;

	if (w->os->sockets(w->os->ctx, &q, 1, pids, t, &err) != 0)
		fail_msg("%s: sockets: %s", w->name, err.msg);
}

/* Are there sockets on the port, all of them in TIME-WAIT? */
static int
only_time_wait(struct world *w, uint16_t port)
{
	struct pa_socktab t;
	size_t i;
	int ok;

	table(w, port, PA_TCP, 0, &t);
	ok = t.n > 0;
	for (i = 0; i < t.n; i++)
		ok &= t.socks[i].state == PA_SOCK_TIME_WAIT;
	pa__socktab_free(&t);
	return ok;
}

struct tw_wait {
	struct world *w;
	uint16_t port;
};

static int
tw_reached(void *arg)
{
	struct tw_wait *tw = arg;

	return only_time_wait(tw->w, tw->port);
}

/* A TIME-WAIT socket on 127.0.0.1:port that no process holds. */
static void
orphan_in(struct world *w, uint16_t port)
{
	struct tw_wait tw = { w, port };
	struct sockaddr_storage ss;
	int l, c, a, len;
	char buf[1];

	if (w->fake) {
		pa_fake_add_sock(w->fake, PA_TCP, 4, port, PA_SOCK_TIME_WAIT,
		    NULL, 0);
		return;
	}
	l = th_listen_tcp(AF_INET, port);
	len = th_loopback(AF_INET, port, &ss);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0 && c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&ss, (socklen_t)len),
	    0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	close(a);               /* the server's end closes first */
	assert_int_equal(read(c, buf, 1), 0);
	close(c);
	close(l);
	if (!sb_until(tw_reached, &tw, 20000))
		fail_msg("port %u never reached TIME-WAIT alone", port);
}

/* probe of proto on text:port. */
static int
probe(struct world *w, const char *text, uint16_t port, unsigned proto)
{
	struct pa_addr a = addr(text);
	struct pa_error err;

	return w->os->probe(w->os->ctx, &a, 1, port, proto, &err);
}

static void
test_probe_same_port_and_family(void **state)
{
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;

	bind_in(w, PA_TCP, "127.0.0.1", p);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_TCP), PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_BOTH), PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_UDP), 0);
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 1), PA_TCP), 0);
	/* loopback and wildcard probes are one dual-stack bind: a socket of
	 * either family on the port is in the way */
	if (w->v6)
		assert_int_equal(probe(w, "::1", p, PA_TCP), PA_EINUSE);
	bind_in(w, PA_UDP, "127.0.0.1", (uint16_t)(p + 2));
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 2), PA_UDP),
	    PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 2), PA_TCP), 0);
	if (!w->v6)
		return;
	bind_in(w, PA_TCP, "::1", (uint16_t)(p + 3));
	assert_int_equal(probe(w, "::1", (uint16_t)(p + 3), PA_TCP),
	    PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 3), PA_TCP),
	    PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 3), PA_UDP), 0);
}

static void
test_wildcard_conflicts(void **state)
{
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;

	/* a wildcard socket: a probe on a specific address of its family */
	bind_in(w, PA_TCP, "0.0.0.0", p);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_TCP), PA_EINUSE);
	assert_int_equal(probe(w, "0.0.0.0", p, PA_TCP), PA_EINUSE);
	/* a specific socket: a wildcard probe of its family */
	bind_in(w, PA_UDP, "127.0.0.1", (uint16_t)(p + 1));
	assert_int_equal(probe(w, "0.0.0.0", (uint16_t)(p + 1), PA_UDP),
	    PA_EINUSE);
	if (!w->v6)
		return;
	assert_int_equal(probe(w, "::", p, PA_TCP), PA_EINUSE); /* dual */
	bind_in(w, PA_TCP, "::", (uint16_t)(p + 2));
	assert_int_equal(probe(w, "::1", (uint16_t)(p + 2), PA_TCP),
	    PA_EINUSE);
	assert_int_equal(probe(w, "127.0.0.1", (uint16_t)(p + 2), PA_TCP),
	    PA_EINUSE);
}

/* The socket of t on port, proto and family; fails if it is not there. */
static const struct pa_sock *
find_sock(const struct pa_socktab *t, uint16_t port, unsigned proto,
    int family)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->socks[i].lport == port && t->socks[i].proto == proto &&
		    t->socks[i].family == family)
			return &t->socks[i];
	fail_msg("no %s IPv%d socket on %u", proto == PA_TCP ? "TCP" : "UDP",
	    family, port);
	return NULL;
}

/* s is held by exactly one process, w->self. */
static void
held_by_self(struct world *w, const struct pa_socktab *t,
    const struct pa_sock *s)
{
	assert_int_equal(s->npids, 1);
	assert_int_equal(t->pids[s->first_pid], w->self);
}

static void
test_sockets_lists_holders(void **state)
{
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;
	const struct pa_sock *s;
	struct pa_socktab t;

	bind_in(w, PA_TCP, "127.0.0.1", p);
	bind_in(w, PA_UDP, "127.0.0.1", p);
	if (w->v6)
		bind_in(w, PA_TCP, "::1", p);
	table(w, p, PA_BOTH, 1, &t);
	assert_int_equal(t.n, w->v6 ? 3 : 2);
	s = find_sock(&t, p, PA_TCP, 4);
	assert_int_equal(s->state, PA_SOCK_LISTEN);
	assert_true(s->inode != 0);
	held_by_self(w, &t, s);
	s = find_sock(&t, p, PA_UDP, 4);
	assert_int_equal(s->state, PA_SOCK_CLOSE);
	held_by_self(w, &t, s);
	if (w->v6) {
		s = find_sock(&t, p, PA_TCP, 6);
		assert_int_equal(s->local[15], 1);      /* ::1 */
		held_by_self(w, &t, s);
	}
	pa__socktab_free(&t);
	/* only what was asked: one protocol, no pids */
	table(w, p, PA_UDP, 0, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.socks[0].proto, PA_UDP);
	assert_int_equal(t.socks[0].npids, 0);
	pa__socktab_free(&t);
	table(w, (uint16_t)(p + 1), PA_BOTH, 1, &t);
	assert_int_equal(t.n, 0);
	pa__socktab_free(&t);
}

static void
test_orphan_has_no_pid(void **state)
{
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;
	const struct pa_sock *s;
	struct pa_socktab t;

	orphan_in(w, p);
	table(w, p, PA_TCP, 1, &t);
	s = find_sock(&t, p, PA_TCP, 4);
	assert_int_equal(s->state, PA_SOCK_TIME_WAIT);
	assert_int_equal(s->npids, 0);
	assert_int_equal(s->inode, 0);
	pa__socktab_free(&t);
	/* a probe binds without SO_REUSEADDR: TIME-WAIT is in the way */
	assert_int_equal(probe(w, "127.0.0.1", p, PA_TCP), PA_EINUSE);
}

static void
test_listen_takes_the_port(void **state)
{
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;
	struct pa_addr lo = addr("127.0.0.1");
	struct pa_error err;
	int fd, fd2;

	assert_int_equal(w->os->listen(w->os->ctx, &lo, p, &fd, &err), 0);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_TCP), PA_EINUSE);
	assert_int_equal(probe(w, "0.0.0.0", p, PA_TCP), PA_EINUSE);
	assert_int_equal(w->os->listen(w->os->ctx, &lo, p, &fd2, &err),
	    PA_EINUSE);
	w->os->unlisten(w->os->ctx, fd);
	assert_int_equal(probe(w, "127.0.0.1", p, PA_TCP), 0);
	/* somebody's listener: listen says in use */
	bind_in(w, PA_TCP, "0.0.0.0", (uint16_t)(p + 1));
	assert_int_equal(w->os->listen(w->os->ctx, &lo, (uint16_t)(p + 1),
	    &fd2, &err), PA_EINUSE);
}

static void
test_bind_port_takes_the_port(void **state)
{
	static const unsigned protos[] = { PA_TCP, PA_UDP };
	struct world *w = *state;
	uint16_t p = (uint16_t)w->base;
	struct pa_addr lo = addr("127.0.0.1");
	struct pa_error err;
	pa_socket_t s, s2;
	size_t i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(w->os->bind_port(w->os->ctx, protos[i], &lo,
		    p, &s, &err), 0);
		assert_int_equal(probe(w, "127.0.0.1", p, protos[i]),
		    PA_EINUSE);
		assert_int_equal(w->os->bind_port(w->os->ctx, protos[i], &lo,
		    p, &s2, &err), PA_EINUSE);
		w->os->sock_close(w->os->ctx, s);
		assert_int_equal(probe(w, "127.0.0.1", p, protos[i]), 0);
	}
	bind_in(w, PA_UDP, "127.0.0.1", (uint16_t)(p + 1));
	assert_int_equal(w->os->bind_port(w->os->ctx, PA_UDP, &lo,
	    (uint16_t)(p + 1), &s, &err), PA_EINUSE);
}

/* Per test: fresh ports, a fresh fake, nothing left open after. */
static int
world_setup(void **state)
{
	struct world *w = *state;

	w->base = next_base;
	next_base += 10;
	if (w->fake != NULL) {
		pa_fake_free(w->fake);
		w->fake = pa_fake_new();
		w->os = pa_fake_os(w->fake);
	} else {
		w->base = sb_free_range((uint16_t)w->base, 10);
	}
	return 0;
}

static int
world_teardown(void **state)
{
	struct world *w = *state;

	while (w->nfds > 0)
		close(w->fds[--w->nfds]);
	return 0;
}

static int
v6_here(void)
{
	pa_socket_t s = th_bind_udp(AF_INET6, 0);

	if (s == TH_BADSOCK)
		return 0;
	th_sock_close(s);
	return 1;
}

static struct world fake_world = { .name = "fake", .self = 100 };
static struct world real_world = { .name = "linux" };

static int
fake_group(void **state)
{
	fake_world.fake = pa_fake_new();
	fake_world.os = pa_fake_os(fake_world.fake);
	next_base = 24000;
	*state = &fake_world;
	return 0;
}

static int
fake_group_end(void **state)
{
	(void)state;
	pa_fake_free(fake_world.fake);
	return 0;
}

static int
real_group(void **state)
{
	real_world.os = pa__os_native();
	real_world.self = getpid();
	next_base = 24000;
	*state = &real_world;
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, world_setup, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe_same_port_and_family),
		T(test_wildcard_conflicts),
		T(test_sockets_lists_holders),
		T(test_orphan_has_no_pid),
		T(test_listen_takes_the_port),
		T(test_bind_port_takes_the_port),
	};
	int failed;

	sb_private_net();
	/* the same assertions on both sides: IPv6 where the host has it */
	real_world.v6 = fake_world.v6 = v6_here();
	failed = cmocka_run_group_tests_name("contract: fake", tests,
	    fake_group, fake_group_end);
	failed += cmocka_run_group_tests_name("contract: linux", tests,
	    real_group, NULL);
	return failed != 0;
}
