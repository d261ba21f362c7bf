/* pa_check's classification and the default owner, on the fake OS. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define BLOCK "[block t]\nports = 25000-25009\n"

static void
lease(struct fx *x, unsigned count, int64_t owner)
{
	size_t n;

	pa_leases_free(fx_get(x, count, owner, &n));
}

static const struct pa_port_check *
port(const struct pa_check *r, uint16_t p)
{
	size_t i;

	for (i = 0; i < r->nports; i++)
		if (r->ports[i].port == p)
			return &r->ports[i];
	return NULL;
}

static void
test_classification(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int64_t owner[] = { 500 }, grandchild[] = { 502 }, other[] = { 600 },
	    shared[] = { 500, 600 };
	const struct pa_port_check *p;
	struct pa_check *r;
	struct pa_error err;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	pa_fake_add_proc(x->f, 501, 500, 112, 1000, "sh -c ./server");
	pa_fake_add_proc(x->f, 502, 501, 113, 1000, "./server");
	pa_fake_add_proc(x->f, 600, 1, 114, 33, "nginx");
	pa_fake_add_proc(x->f, 700, 1, 115, 1000, "make other");
	lease(x, 5, 500);                 /* 25000-25004 */
	lease(x, 1, 700);                 /* 25005 */
	/* one socket each, stated once: probes skip them, check sees them */
	pa_fake_add_sock(x->f, PA_TCP, 4, 25006, PA_SOCK_LISTEN, other, 1);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25007, PA_SOCK_TIME_WAIT, NULL, 0);
	lease(x, 1, 500);                 /* 25008 */
	pa_fake_kill(x->f, 700);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25000, PA_SOCK_LISTEN, owner, 1);
	pa_fake_add_sock(x->f, PA_TCP, 6, 25001, PA_SOCK_LISTEN, grandchild,
	    1);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25003, PA_SOCK_LISTEN, other, 1);
	pa_fake_add_sock(x->f, PA_UDP, 4, 25004, PA_SOCK_CLOSE, shared, 2);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25005, PA_SOCK_LISTEN, other, 1);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25008, PA_SOCK_TIME_WAIT, NULL, 0);
	/* outside the block: not looked at */
	pa_fake_add_sock(x->f, PA_TCP, 4, 26000, PA_SOCK_LISTEN, other, 1);

	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(pa_fake_dumps(x->f), 1);  /* one dump, all ports */
	assert_int_equal(r->nports, 9);
	assert_int_equal(port(r, 25000)->status, PA_PORT_OK);
	assert_int_equal(port(r, 25001)->status, PA_PORT_OK);
	assert_int_equal(port(r, 25002)->status, PA_PORT_WAITING);
	p = port(r, 25003);
	assert_int_equal(p->status, PA_PORT_FOREIGN);
	assert_non_null(p->lease);
	assert_int_equal(p->lease->owner_pid, 500);
	assert_int_equal(p->n, 1);
	assert_int_equal(r->holders[p->first].pid, 600);
	assert_true(r->holders[p->first].foreign);
	assert_string_equal(r->holders[p->first].name, "nginx");
	assert_string_equal(r->holders[p->first].user, "user33");
	/* shared by the owner and a stranger: foreign, and only the
	 * stranger is marked */
	p = port(r, 25004);
	assert_int_equal(p->status, PA_PORT_FOREIGN);
	assert_int_equal(p->n, 2);
	assert_int_equal(r->holders[p->first].pid, 500);
	assert_false(r->holders[p->first].foreign);
	assert_true(r->holders[p->first + 1].foreign);
	assert_int_equal(port(r, 25005)->status, PA_PORT_STALE);
	assert_int_equal(port(r, 25006)->status, PA_PORT_INTRUDER);
	assert_null(port(r, 25006)->lease);
	assert_int_equal(port(r, 25007)->status, PA_PORT_ORPHAN);
	assert_int_equal(port(r, 25008)->status, PA_PORT_ORPHAN);
	assert_non_null(port(r, 25008)->lease);
	assert_null(port(r, 25009));
	assert_int_equal(r->count[PA_PORT_FREE], 1);
	assert_int_equal(r->count[PA_PORT_OK], 2);
	assert_int_equal(r->count[PA_PORT_FOREIGN], 2);
	assert_int_equal(r->count[PA_PORT_ORPHAN], 2);
	pa_check_free(r);
	/* one block by name; an unknown one is an error */
	assert_int_equal(pa_check(x->pa, "t", &r, &err), 0);
	pa_check_free(r);
	assert_int_equal(pa_check(x->pa, "nope", &r, &err), PA_ENOENT);
	fx_free(x);
}

/* A reused pid is not the owner: the start time must match too. */
static void
test_reused_pid_is_foreign(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int64_t holder[] = { 501 };
	struct pa_check *r;
	struct pa_error err;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	lease(x, 1, 500);
	/* 501's parent is "500", but a 500 started later than the owner */
	pa_fake_add_proc(x->f, 501, 500, 300, 1000, "./server");
	pa_fake_add_sock(x->f, PA_TCP, 4, 25000, PA_SOCK_LISTEN, holder, 1);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(r->ports[0].status, PA_PORT_OK);
	pa_check_free(r);
	pa_fake_add_proc(x->f, 500, 1, 999, 1000, "make test");
	/* the lease is now stale (its owner is gone), and the holder is not
	 * taken for the owner's */
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(r->ports[0].status, PA_PORT_STALE);
	assert_true(r->holders[0].foreign);
	pa_check_free(r);
	fx_free(x);
}

/*
 * A store shared by the host and its containers.  A lease records its
 * owner's pid as the process that made it saw it, with the owner's PID
 * namespace and its pid there.  A check from another namespace finds the
 * owner by those, not by the pid it recorded.
 */
enum { NS_HOST = 0xF0, NS_BOX = 0xA0 };

/* Made inside the container: the owner is pid 3 there.  Seen from the
 * host, pid 1003 is that process; 1004, a sibling started in the same
 * tick, is not: for check, and for --owner. */
static void
test_container_lease_checked_from_host(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int64_t owner[] = { 1003 }, sibling[] = { 1004 };
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_check *r;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	pa_fake_set_ns(x->f, 100, NS_HOST, 100, 0);
	pa_fake_set_initial_ns(x->f, 1);
	fx_open(x);
	pa_fake_add_proc(x->f, 3, 1, 111, 1000, "pytest");
	pa_fake_set_ns(x->f, 3, NS_BOX, 3, 0);
	lease(x, 2, 3);                         /* 25000, 25001 */
	pa_fake_kill(x->f, 3);
	pa_fake_add_proc(x->f, 1003, 1001, 111, 1000, "pytest");
	pa_fake_set_ns(x->f, 1003, NS_BOX, 3, 0);
	pa_fake_add_proc(x->f, 1004, 1001, 111, 1000, "other");
	pa_fake_set_ns(x->f, 1004, NS_BOX, 4, 0);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25000, PA_SOCK_LISTEN, owner, 1);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25001, PA_SOCK_LISTEN, sibling, 1);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(port(r, 25000)->status, PA_PORT_OK);
	assert_false(r->holders[port(r, 25000)->first].foreign);
	assert_int_equal(port(r, 25001)->status, PA_PORT_FOREIGN);
	assert_true(r->holders[port(r, 25001)->first].foreign);
	pa_check_free(r);
	/* and the host's --owner 1003 (list, release) selects them, which
	 * list shows with that pid too */
	f.owner_pid = 1003;
	assert_int_equal(pa_list(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].owner_pid, 3);
	assert_int_equal(v[0].owner_pid_here, 1003);
	pa_leases_free(v);
	f.owner_pid = 1004;
	assert_int_equal(pa_list(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pa_leases_free(v);
	/* a lease of the host's own process keeps its pid: no pid here */
	pa_fake_add_proc(x->f, 600, 1, 222, 1000, "host job");
	pa_fake_set_ns(x->f, 600, NS_HOST, 600, 0);
	lease(x, 1, 600);
	f.owner_pid = 600;
	assert_int_equal(pa_list(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].owner_pid, 600);
	assert_int_equal(v[0].owner_pid_here, 0);
	pa_leases_free(v);
	fx_free(x);
}

/* Made on the host for a process of the container (pid 1003 there, 3 in
 * the container), checked from inside the container. */
static void
test_host_lease_checked_from_container(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int64_t owner[] = { 3 };
	struct pa_check *r;
	struct pa_error err;

	(void)state;
	pa_fake_set_ns(x->f, 100, NS_HOST, 100, 0);
	fx_open(x);
	pa_fake_add_proc(x->f, 1003, 1001, 111, 1000, "pytest");
	pa_fake_set_ns(x->f, 1003, NS_BOX, 3, 0);
	lease(x, 1, 1003);                      /* 25000 */
	pa_close(x->pa);
	/* the container's view: it is pid 3, and so is its owner */
	pa_fake_kill(x->f, 1003);
	pa_fake_set_ns(x->f, 100, NS_BOX, 100, 0);
	pa_fake_add_proc(x->f, 3, 1, 111, 1000, "pytest");
	pa_fake_set_ns(x->f, 3, NS_BOX, 3, 0);
	fx_open(x);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25000, PA_SOCK_LISTEN, owner, 1);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(port(r, 25000)->status, PA_PORT_OK);
	assert_false(r->holders[port(r, 25000)->first].foreign);
	/* the lease as check shows it: the owner is pid 3 here */
	assert_int_equal(port(r, 25000)->lease->owner_pid, 1003);
	assert_int_equal(port(r, 25000)->lease->owner_pid_here, 3);
	pa_check_free(r);
	fx_free(x);
}

/*
 * Sockets with an inode that no process found holds.  Where the OS sees
 * every process's sockets (root, outside a container) they are the
 * kernel's, or were opened or closed during the check: orphans.  Where it
 * cannot (partial: not root, or in a PID namespace of its own) a process
 * the caller cannot see holds them, and the port is taken all the same.
 * Not leased: an intruder.  Leased: foreign when the socket is another
 * user's than the lease's, ok (it may be the owner's) when the same
 * user's.  A TIME-WAIT socket (no inode) stays an orphan.
 */
static void
test_unseen_holders(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_check *r;
	struct pa_error err;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	lease(x, 3, 500);                       /* 25000-25002, uid 1000 */
	pa_fake_add_unseen_sock(x->f, PA_TCP, 25000, PA_SOCK_LISTEN, 2000);
	pa_fake_add_unseen_sock(x->f, PA_TCP, 25001, PA_SOCK_LISTEN, 1000);
	pa_fake_add_sock(x->f, PA_TCP, 4, 25002, PA_SOCK_TIME_WAIT, NULL, 0);
	pa_fake_add_unseen_sock(x->f, PA_UDP, 25005, PA_SOCK_CLOSE, 0);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(port(r, 25000)->status, PA_PORT_ORPHAN);
	assert_false(r->holders[port(r, 25000)->first].hidden);
	assert_int_equal(port(r, 25005)->status, PA_PORT_ORPHAN);
	pa_check_free(r);
	/* the same where the OS cannot see every process */
	pa_fake_set_partial(x->f, 1);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(port(r, 25000)->status, PA_PORT_FOREIGN);
	assert_true(r->holders[port(r, 25000)->first].hidden);
	assert_true(r->holders[port(r, 25000)->first].foreign);
	assert_int_equal(r->holders[port(r, 25000)->first].pid, 0);
	assert_int_equal(port(r, 25001)->status, PA_PORT_OK);
	assert_false(r->holders[port(r, 25001)->first].foreign);
	assert_int_equal(port(r, 25002)->status, PA_PORT_ORPHAN);
	assert_false(r->holders[port(r, 25002)->first].hidden);
	assert_int_equal(port(r, 25005)->status, PA_PORT_INTRUDER);
	pa_check_free(r);
	fx_free(x);
}

static void
test_who_on_fake(void **state)
{
	struct pa_fake *f = pa_fake_new();
	int64_t shared[] = { 600, 601 };
	struct pa_port_query q = { 8080, 8080, 0 };
	struct pa_holder *v;
	struct pa_error err;
	unsigned unreadable;
	size_t n;

	(void)state;
	pa_fake_add_proc(f, 600, 1, 1, 33, "nginx: master");
	pa_fake_add_proc(f, 601, 600, 2, 33, "nginx: worker");
	pa_fake_add_sock(f, PA_TCP, 6, 8080, PA_SOCK_LISTEN, shared, 2);
	pa_fake_add_sock(f, PA_TCP, 4, 8080, PA_SOCK_TIME_WAIT, NULL, 0);
	pa_fake_add_sock(f, PA_UDP, 4, 8081, PA_SOCK_CLOSE, shared, 1);
	assert_int_equal(pa__who_os(pa_fake_os(f), &q, 1, &v, &n,
	    &unreadable, &err), 0);
	assert_int_equal(n, 3);
	/* v4 before v6; the listener once for each process */
	assert_int_equal(v[0].family, 4);
	assert_int_equal(v[0].pid, 0);
	assert_string_equal(v[0].local, "127.0.0.1");
	assert_int_equal(v[1].pid, 600);
	assert_int_equal(v[2].pid, 601);
	assert_string_equal(v[2].local, "::1");
	assert_string_equal(v[2].cmdline, "nginx: worker");
	assert_int_equal(v[2].ppid, 600);
	pa_holders_free(v);
	q.protos = PA_UDP;
	assert_int_equal(pa__who_os(pa_fake_os(f), &q, 1, &v, &n,
	    &unreadable, &err), 0);
	assert_int_equal(n, 0);
	pa_holders_free(v);
	q.first = 9000;
	assert_int_equal(pa__who_os(pa_fake_os(f), &q, 1, &v, &n,
	    &unreadable, &err), PA_EUSAGE);
	pa_fake_free(f);
}

/* pa_who on f over first..last: the holders, n of them. */
static struct pa_holder *
who_fake(struct pa_fake *f, uint16_t first, uint16_t last, size_t *n)
{
	struct pa_port_query q = { first, last, 0 };
	struct pa_holder *v;
	struct pa_error err;
	unsigned unreadable;

	assert_int_equal(pa__who_os(pa_fake_os(f), &q, 1, &v, n,
	    &unreadable, &err), 0);
	return v;
}

/* A pid too large for the sort's key (no OS gives one today): the same
 * order, by the comparison. */
static void
test_who_order_huge_pid(void **state)
{
	struct pa_fake *f = pa_fake_new();
	int64_t huge[] = { (int64_t)1 << 41 }, small[] = { 5 };
	struct pa_holder *v;
	size_t n;

	(void)state;
	pa_fake_add_proc(f, huge[0], 1, 1, 0, "huge");
	pa_fake_add_proc(f, small[0], 1, 2, 0, "small");
	pa_fake_add_sock(f, PA_TCP, 4, 8080, PA_SOCK_TIME_WAIT, NULL, 0);
	pa_fake_add_sock(f, PA_TCP, 4, 8080, PA_SOCK_LISTEN, huge, 1);
	pa_fake_add_sock(f, PA_TCP, 4, 8080, PA_SOCK_LISTEN, small, 1);
	v = who_fake(f, 8080, 8080, &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].pid, 5);
	assert_int_equal(v[1].pid, huge[0]);
	assert_int_equal(v[2].state, PA_SOCK_TIME_WAIT);
	pa_holders_free(v);
	pa_fake_free(f);
}

/* Listeners on 40 ports added out of order, one of them pid 5's: the
 * holders' keys differ in three bytes (pid's two, the port's low one), an
 * odd number of the sort's passes. */
static void
test_who_order_scrambled(void **state)
{
	struct pa_fake *f = pa_fake_new();
	struct pa_holder *v;
	int64_t pid[1];
	size_t i, n;

	(void)state;
	pa_fake_add_proc(f, 5, 1, 1, 0, "five");
	for (pid[0] = 1000; pid[0] < 1024; pid[0]++)
		pa_fake_add_proc(f, pid[0], 1, 2, 0, "worker");
	for (i = 0; i < 40; i++) {
		pid[0] = (i * 17) % 40 == 33 ? 5 : 1000 + (int64_t)(i * 7) % 24;
		pa_fake_add_sock(f, PA_TCP, 4, (uint16_t)(26000 + (i * 17) % 40),
		    PA_SOCK_LISTEN, pid, 1);
	}
	v = who_fake(f, 26000, 26039, &n);
	assert_int_equal(n, 40);
	for (i = 0; i < n; i++)
		assert_int_equal(v[i].port, 26000 + i);
	assert_int_equal(v[33].pid, 5);
	pa_holders_free(v);
	pa_fake_free(f);
}

/*
 * Many holders sharing few processes, as under load: 24 processes with
 * sockets on 40 ports (TCP and UDP, v4 and v6, listeners shared by up to
 * three of them, orphans, a holder that is gone).  Every holder must carry
 * its own process's name, command line, parent and user, every port its
 * status and holders; a process's texts are stored once, however many
 * sockets it has.
 */
#define MANY_PROCS 24
#define MANY_BLOCK "[block m]\nports = 26000-26039\n" \
    "[block o]\nports = 27000-27009\n"

static void
many_cmdline(char *buf, size_t len, int64_t pid)
{
	snprintf(buf, len, "worker-%lld --id %lld", (long long)pid,
	    (long long)pid * 7);
}

/* Sockets: port i has one held by pid 1000+i%24, and every fourth one a
 * second, shared by 1000+(i+5)%24 and 1000+(i+11)%24 (a gone 999 as
 * well on port 26003); every fifth an orphan. */
static size_t
many_sockets(struct pa_fake *f)
{
	int64_t one[1], shared[3];
	size_t i, n = 0;

	for (i = 0; i < 40; i++) {
		one[0] = 1000 + (int64_t)(i % MANY_PROCS);
		pa_fake_add_sock(f, i % 2 ? PA_UDP : PA_TCP, i % 3 ? 4 : 6,
		    (uint16_t)(26000 + i), i % 2 ? PA_SOCK_CLOSE :
		    PA_SOCK_LISTEN, one, 1);
		n++;
		if (i % 4 == 3) {
			shared[0] = 1000 + (int64_t)((i + 5) % MANY_PROCS);
			shared[1] = 1000 + (int64_t)((i + 11) % MANY_PROCS);
			shared[2] = 999;
			pa_fake_add_sock_at(f, PA_TCP, "0.0.0.0",
			    (uint16_t)(26000 + i), PA_SOCK_ESTABLISHED, shared,
			    i == 3 ? 3 : 2);
			n += i == 3 ? 3 : 2;
		}
		if (i % 5 == 4) {
			pa_fake_add_sock(f, PA_TCP, 4, (uint16_t)(26000 + i),
			    PA_SOCK_TIME_WAIT, NULL, 0);
			n++;
		}
	}
	return n;
}

/* h shows its process as the fake has it; *seen remembers the first
 * texts of each pid, which every later holder of the pid must share. */
static void
many_holder_ok(const struct pa_holder *h, const struct pa_holder **seen)
{
	char want[64], user[32];

	assert_non_null(h->local);
	assert_non_null(h->remote);
	assert_non_null(h->user);
	if (h->pid == 0) {
		assert_string_equal(h->name, "");
		return;
	}
	if (h->pid == 999) {            /* gone: nothing of another's */
		assert_string_equal(h->name, "?");
		assert_string_equal(h->cmdline, "");
		assert_int_equal(h->ppid, 0);
		return;
	}
	assert_true(h->pid >= 1000 && h->pid < 1000 + MANY_PROCS);
	many_cmdline(want, sizeof(want), h->pid);
	assert_string_equal(h->cmdline, want);
	assert_string_equal(h->name, want);
	assert_int_equal(h->ppid, 1);
	snprintf(user, sizeof(user), "user%lld", (long long)(h->pid % 3));
	assert_string_equal(h->user, user);
	if (seen[h->pid - 1000] == NULL) {
		seen[h->pid - 1000] = h;
		return;
	}
	assert_ptr_equal(h->cmdline, seen[h->pid - 1000]->cmdline);
	assert_ptr_equal(h->name, seen[h->pid - 1000]->name);
}

/* x opened over MANY_BLOCK with the MANY_PROCS processes and 500, which
 * leases 26000 and 26001 (held by others). */
static void
many_setup(struct fx *x)
{
	char cmd[64];
	int64_t pid;

	fx_open(x);
	for (pid = 1000; pid < 1000 + MANY_PROCS; pid++) {
		many_cmdline(cmd, sizeof(cmd), pid);
		pa_fake_add_proc(x->f, pid, 1, (uint64_t)pid, pid % 3, cmd);
	}
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make test");
	lease(x, 2, 500);
}

static void
test_many_holders_share_processes(void **state)
{
	const struct pa_holder *seen[MANY_PROCS] = { NULL };
	struct pa_request other = { "o", 3, 0, 500, -1, NULL, NULL, 0 };
	struct fx *x = fx_new(MANY_BLOCK);
	const struct pa_port_check *p;
	struct pa_lease *v;
	struct pa_check *r;
	struct pa_error err;
	size_t i, n, nh;

	(void)state;
	many_setup(x);                  /* 26000 26001: held, not by 500 */
	assert_int_equal(pa_get(x->pa, &other, &v, &n, &err), 0);
	pa_leases_free(v);              /* 27000-27002: another block's */
	nh = many_sockets(x->f);
	assert_int_equal(pa_check(x->pa, NULL, &r, &err), 0);
	assert_int_equal(r->nleases, 5);
	assert_int_equal(r->count[PA_PORT_WAITING], 3);
	pa_check_free(r);
	assert_int_equal(pa_check(x->pa, "m", &r, &err), 0);
	assert_int_equal(r->nleases, 2);        /* only the block's */
	assert_int_equal(r->nholders, nh);
	assert_int_equal(r->nports, 40);
	assert_int_equal(r->count[PA_PORT_FOREIGN], 2);
	assert_int_equal(r->count[PA_PORT_INTRUDER], 38);
	for (i = 0; i < r->nports; i++) {
		p = &r->ports[i];
		assert_int_equal(p->port, 26000 + i);
		assert_int_equal(p->lease != NULL, i < 2);
		if (p->lease != NULL)
			assert_int_equal(p->lease->port, p->port);
		n = 1 + (i % 4 == 3 ? (i == 3 ? 3 : 2) : 0) + (i % 5 == 4);
		assert_int_equal(p->n, n);
		for (n = 0; n < p->n; n++) {
			assert_int_equal(r->holders[p->first + n].port,
			    p->port);
			many_holder_ok(&r->holders[p->first + n], seen);
			assert_int_equal(r->holders[p->first + n].foreign,
			    i < 2 && r->holders[p->first + n].pid != 0);
		}
	}
	/* 1000 holds 26000 and 26024 (after an orphan): its texts once */
	p = &r->ports[24];
	assert_int_equal(r->holders[p->first].pid, 0);
	assert_int_equal(r->holders[p->first + 1].pid, 1000);
	assert_ptr_equal(r->holders[r->ports[0].first].cmdline,
	    r->holders[p->first + 1].cmdline);
	pa_check_free(r);
	fx_free(x);
}

/*
 * A check of one block asks nothing about the leases of another: a store
 * with thousands of leases of gone owners elsewhere must not make it look
 * each owner up.
 */
static void
test_other_blocks_cost_nothing(void **state)
{
	struct pa_request other = { "o", 1, 0, 0, -1, NULL, NULL, 0 };
	struct fx *x = fx_new(MANY_BLOCK);
	struct pa_lease *v;
	struct pa_check *r;
	struct pa_error err;
	unsigned before;
	size_t n;
	int64_t pid;

	(void)state;
	fx_open(x);
	for (pid = 2000; pid < 2010; pid++) {
		pa_fake_add_proc(x->f, pid, 1, (uint64_t)pid, 1000, "gone");
		other.owner_pid = pid;
		assert_int_equal(pa_get(x->pa, &other, &v, &n, &err), 0);
		pa_leases_free(v);
		if (pid == 2000)
			lease(x, 1, pid);       /* 26000, in block m */
		pa_fake_kill(x->f, pid);
	}
	before = pa_fake_proc_reads(x->f);
	assert_int_equal(pa_check(x->pa, "m", &r, &err), 0);
	assert_int_equal(r->nleases, 1);
	assert_int_equal(r->count[PA_PORT_STALE], 1);
	/* the one lease's owner, read once (its parents are not walked) */
	assert_int_equal(pa_fake_proc_reads(x->f) - before, 1);
	pa_check_free(r);
	assert_int_equal(pa_check(x->pa, "o", &r, &err), 0);
	assert_int_equal(r->nleases, 10);
	assert_int_equal(r->count[PA_PORT_STALE], 10);
	pa_check_free(r);
	fx_free(x);
}

/*
 * pa_check in two halves (the CLI reads the kernel's tables while it opens
 * the store): the same answer as pa_check; a job dropped, or finished on
 * another OS than it started on, frees what it holds (ASan and valgrind
 * runs catch a leak); a block that is not there fails at the start.
 */
static void
test_check_in_two_halves(void **state)
{
	struct fx *x = fx_new(MANY_BLOCK);
	struct pa_fake *other = pa_fake_new();
	struct pa_check_job *job;
	struct pa_check *r, *whole;
	struct pa_error err;
	unsigned before;

	(void)state;
	many_setup(x);
	many_sockets(x->f);
	assert_int_equal(pa_check(x->pa, "m", &whole, &err), 0);
	before = pa_fake_dumps(x->f);
	assert_int_equal(pa__check_start_os(pa_fake_os(x->f), x->cfg, "m",
	    &job, &err), 0);
	assert_int_equal(pa_fake_dumps(x->f), before + 1); /* read at start */
	assert_int_equal(pa_check_finish(x->pa, job, &r, &err), 0);
	assert_int_equal(r->nports, whole->nports);
	assert_int_equal(r->nholders, whole->nholders);
	assert_int_equal(r->nleases, whole->nleases);
	assert_memory_equal(r->count, whole->count, sizeof(r->count));
	pa_check_free(r);
	pa_check_free(whole);
	/* dropped */
	assert_int_equal(pa__check_start_os(pa_fake_os(x->f), x->cfg, NULL,
	    &job, &err), 0);
	pa_check_abort(job);
	pa_check_abort(NULL);
	/* finished through a pa of another OS */
	assert_int_equal(pa__check_start_os(pa_fake_os(other), x->cfg, "m",
	    &job, &err), 0);
	assert_int_equal(pa_check_finish(x->pa, job, &r, &err), PA_EUSAGE);
	assert_null(r);
	assert_non_null(strstr(err.msg, "another OS"));
	/* no such block: said at the start, nothing to free */
	assert_int_equal(pa__check_start_os(pa_fake_os(x->f), x->cfg, "nope",
	    &job, &err), PA_ENOENT);
	assert_null(job);
	assert_non_null(strstr(err.msg, "no block 'nope'"));
	pa_fake_free(other);
	fx_free(x);
}

/* May a come before b in pa_who's order: port, protocol, family,
 * listeners first, then the states in their order, pid? */
static int
who_ordered(const struct pa_holder *a, const struct pa_holder *b)
{
	if (a->port != b->port)
		return a->port < b->port;
	if (a->proto != b->proto)
		return a->proto < b->proto;
	if (a->family != b->family)
		return a->family < b->family;
	if (a->state != b->state)
		return a->state == PA_SOCK_LISTEN ||
		    (b->state != PA_SOCK_LISTEN && a->state < b->state);
	return a->pid <= b->pid;
}

/* pa_who over the same sockets: the same holders, in pa_who's order
 * (a port with a listener and a TIME-WAIT socket, ports with TCP and UDP,
 * v4 and v6, listeners shared by several pids). */
static void
test_many_holders_who(void **state)
{
	const struct pa_holder *seen[MANY_PROCS] = { NULL };
	struct pa_fake *f = pa_fake_new();
	struct pa_holder *v;
	char cmd[64];
	size_t i, n, nh;
	int64_t pid;

	(void)state;
	for (pid = 1000; pid < 1000 + MANY_PROCS; pid++) {
		many_cmdline(cmd, sizeof(cmd), pid);
		pa_fake_add_proc(f, pid, 1, (uint64_t)pid, pid % 3, cmd);
	}
	nh = many_sockets(f);
	v = who_fake(f, 26000, 26039, &n);
	assert_int_equal(n, nh);
	for (i = 0; i < n; i++) {
		many_holder_ok(&v[i], seen);
		if (i > 0 && !who_ordered(&v[i - 1], &v[i]))
			fail_msg("holders %zu and %zu out of order: port %u "
			    "state %d pid %lld, port %u state %d pid %lld",
			    i - 1, i, v[i - 1].port, v[i - 1].state,
			    (long long)v[i - 1].pid, v[i].port, v[i].state,
			    (long long)v[i].pid);
	}
	pa_holders_free(v);
	pa_fake_free(f);
}

static void
test_owner_is_the_calling_shell(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	size_t n;

	(void)state;
	fx_open(x);
	/* portalloc (100) <- subshell (99) <- shell (50) <- sshd (40) */
	pa_fake_add_proc(x->f, 40, 1, 10, 0, "sshd: user");
	pa_fake_add_proc(x->f, 50, 40, 20, 1000, "-bash");
	pa_fake_add_proc(x->f, 99, 50, 30, 1000, "-bash");
	pa_fake_add_proc(x->f, 100, 99, 40, 1000, "portalloc get");
	v = fx_get(x, 1, PA_OWNER_PARENT, &n);
	assert_int_equal(v[0].owner_pid, 50);
	pa_leases_free(v);
	/* a parent that ran something else is the owner itself */
	pa_fake_add_proc(x->f, 99, 50, 30, 1000, "bash -c make");
	v = fx_get(x, 1, PA_OWNER_PARENT, &n);
	assert_int_equal(v[0].owner_pid, 99);
	pa_leases_free(v);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_reused_pid_is_foreign),
		cmocka_unit_test(test_container_lease_checked_from_host),
		cmocka_unit_test(test_unseen_holders),
		cmocka_unit_test(test_host_lease_checked_from_container),
		cmocka_unit_test(test_who_on_fake),
		cmocka_unit_test(test_who_order_huge_pid),
		cmocka_unit_test(test_who_order_scrambled),
		cmocka_unit_test(test_many_holders_share_processes),
		cmocka_unit_test(test_other_blocks_cost_nothing),
		cmocka_unit_test(test_check_in_two_halves),
		cmocka_unit_test(test_many_holders_who),
		cmocka_unit_test(test_owner_is_the_calling_shell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
