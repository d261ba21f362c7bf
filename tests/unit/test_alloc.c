/* Allocation: next-fit, skipping leased and held ports, consecutive runs,
 * a full block, and a real socket on the real OS. */
#include <string.h>

#include "fixture.h"
#ifdef _WIN32
/* No sandbox there (tests/support/sandbox.c is POSIX): the ports as
 * written, on the host's network. */
#define sb_free_range(from, width) (from)
#define sb_private_net() ((void)0)
#else
#include "sandbox.h"
#endif

#define BLOCK "[block t]\nports = 25000-25009\n"

static void
test_next_fit(void **state)
{
	struct fx *x = fx_new(BLOCK);
	uint16_t p;
	int i;

	(void)state;
	fx_open(x);
	assert_int_equal(fx_port(x, 0), 25000);
	fx_release_port(x, 25000);
	/* a just-released port is not handed out straight away */
	assert_int_equal(fx_port(x, 0), 25001);
	for (i = 2; i < 10; i++)
		assert_int_equal(fx_port(x, 0), 25000 + i);
	/* the walk wraps around to what was freed */
	p = fx_port(x, 0);
	assert_int_equal(p, 25000);
	fx_free(x);
}

static void
test_skips_held_and_leased(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	unsigned probes;
	size_t n, i;

	(void)state;
	fx_open(x);
	pa_fake_hold(x->f, 25001, PA_UDP);   /* somebody's UDP socket */
	pa_fake_hold(x->f, 25003, PA_TCP);
	v = fx_get(x, 3, 0, &n);
	assert_int_equal(v[0].port, 25000);
	assert_int_equal(v[1].port, 25002);
	assert_int_equal(v[2].port, 25004);
	pa_leases_free(v);
	/* a block that serves only udp does not care about a TCP holder */
	/* leased ports are never probed again */
	probes = pa_fake_probes(x->f);
	v = fx_get(x, 5, 0, &n);
	for (i = 0; i < n; i++)
		assert_true(v[i].port >= 25005);
	assert_int_equal(pa_fake_probes(x->f) - probes, 5);
	pa_leases_free(v);
	fx_free(x);
}

/* A block crowded with other sockets: one table read, not a probe each. */
static void
test_crowded_block_reads_the_table(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 25000-25099\n");
	int64_t stranger[] = { 600 };
	struct pa_lease *v;
	unsigned probes;
	size_t n;
	int i;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 600, 1, 114, 33, "nginx");
	for (i = 0; i < 50; i++) {
		pa_fake_add_sock(x->f, PA_TCP, 4, (uint16_t)(25000 + i),
		    PA_SOCK_LISTEN, stranger, 1);
	}
	probes = pa_fake_probes(x->f);
	v = fx_get(x, 2, 0, &n);
	assert_int_equal(v[0].port, 25050);
	assert_int_equal(v[1].port, 25051);
	pa_leases_free(v);
	assert_int_equal(pa_fake_dumps(x->f), 1);
	/* 8 probes find the crowd, the table the other 42, then 2 probes */
	assert_int_equal(pa_fake_probes(x->f) - probes, 8 + 2);
	/* a quiet block is never dumped */
	v = fx_get(x, 2, 0, &n);
	pa_leases_free(v);
	assert_int_equal(pa_fake_dumps(x->f), 1);
	fx_free(x);
}

static void
test_proto_subset(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 1, PA_UDP, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_hold(x->f, 25000, PA_TCP);
	/* a UDP-only lease may take a port somebody holds for TCP */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25000);
	assert_int_equal(v[0].protos, PA_UDP);
	pa_leases_free(v);
	/* but no other lease gets that port number, whatever its protocol */
	req.protos = PA_TCP;
	pa_fake_unhold(x->f, 25000);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25001);
	pa_leases_free(v);
	fx_free(x);
}

static void
test_consecutive(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 3, 0, 0, -1, NULL, NULL, 1 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_hold(x->f, 25002, PA_TCP);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].port, 25003);
	assert_int_equal(v[1].port, 25004);
	assert_int_equal(v[2].port, 25005);
	pa_leases_free(v);
	/* cursor at 25006: 25006-25009 then the wrap; 25009/25000 are not
	 * adjacent, so with 25007 held the only run of 2 is 25000-25001 */
	pa_fake_hold(x->f, 25007, PA_TCP);
	req.count = 2;
	pa_fake_hold(x->f, 25008, PA_TCP);
	pa_fake_hold(x->f, 25006, PA_TCP);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25000);
	assert_int_equal(v[1].port, 25001);
	pa_leases_free(v);
	/* nothing adjacent left for 2: full, and nothing leased */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
	assert_non_null(strstr(err.msg, "no 2 adjacent free ports"));
	assert_int_equal(fx_count(x), 5);
	fx_free(x);
}

/* A free run that starts before the cursor and ends after it is found. */
static void
test_consecutive_across_cursor(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 4, 0, 0, -1, NULL, NULL, 1 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;
	int i;

	(void)state;
	fx_open(x);
	/* leave the cursor at 25006 with 25000-25003 and 25006-25009 busy */
	for (i = 0; i < 6; i++)
		fx_port(x, 0);
	fx_release_port(x, 25004);
	fx_release_port(x, 25005);
	for (i = 6; i < 10; i++)
		pa_fake_hold(x->f, (uint16_t)(25000 + i), PA_BOTH);
	fx_release_port(x, 25003);
	/* free: 25003, 25004, 25005 - a run of 3 only */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
	req.count = 3;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25003);
	assert_int_equal(v[2].port, 25005);
	pa_leases_free(v);
	fx_free(x);
}

static void
test_block_full(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 4, 0, 500, -1, NULL, NULL, 0 };
	struct pa_lease *v = (struct pa_lease *)1;
	struct pa_error err;
	size_t n = 99;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make check");
	pa_leases_free(fx_get(x, 7, 0, &n));
	pa_fake_hold(x->f, 25009, PA_TCP);
	/* 2 free, 4 asked: all or none */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(fx_count(x), 7);
	assert_non_null(strstr(err.msg, "block 't' (25000-25009)"));
	assert_non_null(strstr(err.msg, "7 leased"));
	assert_non_null(strstr(err.msg, "pid 100 (portalloc): 7"));
	assert_non_null(strstr(err.msg, "1 held by other processes"));
	/* the owner of those 7 exits: the next get reclaims them */
	pa_fake_kill(x->f, 100);
	pa_fake_set_self(x->f, 101, 99, 1000);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	pa_leases_free(v);
	assert_int_equal(fx_count(x), 4);
	fx_free(x);
}

/*
 * Two configurations share one store with overlapping blocks: a full
 * block's message counts the ports leased under the other's block name
 * too, instead of "0 leased".
 */
static void
test_block_full_counts_other_blocks(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 1, 0, 500, -1, NULL, NULL, 0 };
	struct pa_config *other;
	struct pa *pa2;
	struct pa_lease *v;
	struct pa_error err;
	char *text;
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "make check");
	pa_leases_free(fx_get(x, 10, 0, &n));     /* all of block t */
	if (asprintf(&text, "[portalloc]\nstore = %s\n[block other]\n"
	    "ports = 25000-25009\n", x->store) < 0)
		abort();
	assert_int_equal(pa_config_parse_string(&other, text, "o.ini", &err),
	    0);
	free(text);
	assert_int_equal(pa__open_os(&pa2, other, pa_fake_os(x->f), &err), 0);
	assert_int_equal(pa_get(pa2, &req, &v, &n, &err), PA_EFULL);
	assert_non_null(strstr(err.msg, "0 leased, 10 leased for blocks of "
	    "another configuration"));
	pa_close(pa2);
	pa_config_free(other);
	fx_free(x);
}

static void
test_bad_requests(void **state)
{
	struct fx *x = fx_new("[block u]\nports = 25000-25009\n"
	    "protocols = udp\n");
	struct pa_request req = { NULL, 1, PA_TCP, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	char tag[PA_TAG_MAX + 1];
	size_t n;

	(void)state;
	fx_open(x);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EDATA);
	assert_non_null(strstr(err.msg, "serves udp"));
	req.protos = 0;
	req.count = 11;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EUSAGE);
	req.count = 0;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EUSAGE);
	req.count = 1;
	req.block = "nope";
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ENOENT);
	assert_non_null(strstr(err.msg, "no block 'nope' in fx.ini"));
	req.block = NULL;
	req.owner_pid = 4242;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ESRCH);
	assert_non_null(strstr(err.msg, "4242"));
	req.owner_pid = 0;
	memset(tag, 't', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	req.tag = tag;
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EUSAGE);
	req.tag = "a\nb";
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EUSAGE);
	assert_int_equal(fx_count(x), 0);
	fx_free(x);
}

static void
test_owner_parent(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	size_t n;

	(void)state;
	fx_open(x);
	v = fx_get(x, 1, PA_OWNER_PARENT, &n);
	assert_int_equal(v[0].owner_pid, 99);
	assert_string_equal(v[0].command, "sh");
	pa_leases_free(v);
	fx_free(x);
}

static void
test_probe_error_leases_nothing(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_fail_probes(x->f, PA_EOS);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EOS);
	pa_fake_fail_probes(x->f, 0);
	assert_int_equal(fx_count(x), 0);
	fx_free(x);
}

#define RESERVED "[block w]\nports = 25100-25104\nreserve = persistent\n"

/* RESERVED, reserved already (so that ports the test holds do not stop
 * the reservation), on a fake OS that picks from reservations (as Windows
 * does). */
static struct fx *
fx_blocks(void)
{
	struct fx *x = fx_new(RESERVED);

	pa_fake_use_blocks(x->f);
	pa_fake_add_block(x->f, PA_TCP, 25100, 25104);
	pa_fake_add_block(x->f, PA_UDP, 25100, 25104);
	fx_open(x);
	return x;
}

/* The OS picks: leased ports and ports a probe finds taken are refused,
 * their sockets held meanwhile, so the OS offers others; none stays open. */
static void
test_os_picks(void **state)
{
	struct fx *x = fx_blocks();
	struct pa_lease *v;
	unsigned binds;
	size_t n;

	(void)state;
	v = fx_get(x, 1, 0, &n);
	assert_string_equal(pa_fake_blocks(x->f),
	    "tcp:25100-25104,udp:25100-25104");
	assert_int_equal(v[0].port, 25100);
	pa_leases_free(v);
	assert_true(pa_fake_resv_binds(x->f) >= 1);
	assert_int_equal(pa_fake_open_socks(x->f), 0);
	/* The OS offers 25100 again (its socket is closed): leased, so
	 * refused and held.  25101 is somebody's for UDP: refused after the
	 * probe, and held when offered again.  25102 is picked, offered
	 * again and held; then 25103: six binds for two ports. */
	pa_fake_hold(x->f, 25101, PA_UDP);
	binds = pa_fake_resv_binds(x->f);
	v = fx_get(x, 2, 0, &n);
	assert_int_equal(v[0].port, 25102);
	assert_int_equal(v[1].port, 25103);
	pa_leases_free(v);
	assert_int_equal(pa_fake_resv_binds(x->f) - binds, 6);
	assert_int_equal(pa_fake_open_socks(x->f), 0);
	/* one left (25104), two asked: full, nothing leased, nothing open */
	{
		struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
		struct pa_error err;

		assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
		assert_non_null(strstr(err.msg, "block 'w' (25100-25104)"));
	}
	assert_int_equal(fx_count(x), 3);
	assert_int_equal(pa_fake_open_socks(x->f), 0);
	fx_free(x);
}

/* Where the OS will not pick (not supported, not allowed), the walk does;
 * consecutive ports are always walked for. */
static void
test_os_pick_fallback(void **state)
{
	static const int codes[] = { PA_ENOTSUP, PA_EPERM };
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 1 };
	struct pa_lease *v;
	struct pa_error err;
	unsigned probes;
	size_t i, n;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct fx *x = fx_blocks();

		pa_fake_fail_resv_bind(x->f, codes[i]);
		probes = pa_fake_probes(x->f);
		v = fx_get(x, 2, 0, &n);
		assert_int_equal(v[0].port, 25100);
		assert_int_equal(v[1].port, 25101);
		pa_leases_free(v);
		assert_int_equal(pa_fake_probes(x->f) - probes, 2);
		assert_int_equal(pa_fake_resv_binds(x->f), 1);
		fx_free(x);
	}
	{
		struct fx *x = fx_blocks();

		pa_fake_hold(x->f, 25101, PA_TCP);
		assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), 0);
		assert_int_equal(v[0].port, 25102);
		assert_int_equal(v[1].port, 25103);
		pa_leases_free(v);
		assert_int_equal(pa_fake_resv_binds(x->f), 0);
		fx_free(x);
	}
}

/* pa_get_socket: the socket comes bound to the leased port, for its one
 * protocol; by the walk, or from the OS's pick on a reserved block. */
static void
test_get_socket(void **state)
{
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	struct fx *x = fx_new(BLOCK);
	struct pa_lease l;
	struct pa_error err;
	pa_socket_t s;

	(void)state;
	fx_open(x);
	pa_fake_hold(x->f, 25000, PA_TCP);
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), 0);
	assert_int_equal(l.port, 25001);
	assert_int_equal(l.protos, PA_TCP);
	assert_int_equal(pa_fake_sock_port(x->f, s), 25001);
	assert_int_equal(pa_fake_open_socks(x->f), 1);
	/* the kept socket holds its port: the next walk skips it */
	req.protos = PA_UDP;
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), 0);
	assert_int_equal(l.port, 25002);
	assert_int_equal(l.protos, PA_UDP);
	assert_int_equal(pa_fake_open_socks(x->f), 2);
	/* one port, one protocol */
	req.count = 2;
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), PA_EUSAGE);
	req.count = 1;
	req.protos = PA_BOTH;
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), PA_EUSAGE);
	assert_int_equal(pa_fake_open_socks(x->f), 2);
	assert_int_equal(fx_count(x), 2);
	fx_free(x);

	x = fx_blocks();
	req.protos = 0;
	pa_fake_hold(x->f, 25100, PA_TCP);
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), 0);
	assert_int_equal(l.port, 25101);
	assert_int_equal(pa_fake_sock_port(x->f, s), 25101);
	assert_int_equal(pa_fake_resv_binds(x->f), 1);
	assert_int_equal(pa_fake_open_socks(x->f), 1);
	/* full: an error, and no socket left open */
	pa_fake_hold(x->f, 25102, PA_TCP);
	pa_fake_hold(x->f, 25103, PA_TCP);
	pa_fake_hold(x->f, 25104, PA_TCP);
	assert_int_equal(pa_get_socket(x->pa, &req, &l, &s, &err), PA_EFULL);
	assert_int_equal(pa_fake_open_socks(x->f), 1);
	fx_free(x);
}

/* The real OS: a port the test holds with a real socket is skipped. */
static void
test_real_socket_is_skipped(void **state)
{
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa *pa;
	char *dir = th_tmpdir(), text[800];
	pa_socket_t fd4, fd6, fdu;
	size_t n;
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	unsigned p = sb_free_range(28700, 10);

	(void)state;
	snprintf(text, sizeof(text), "[portalloc]\nstore = %s/l.db\n"
	    "[block r]\nports = %u-%u\n", dir, p, p + 9);
	assert_int_equal(pa_config_parse_string(&cfg, text, "r.ini", &err), 0);
	fd4 = th_listen_tcp(AF_INET, (uint16_t)p);
	fd6 = th_listen_tcp(AF_INET6, (uint16_t)(p + 1));
	fdu = th_bind_udp(AF_INET, (uint16_t)(p + 2));
	assert_true(fd4 != TH_BADSOCK && fdu != TH_BADSOCK);
	assert_int_equal(pa_open(&pa, cfg, &err), 0);
	assert_int_equal(pa_get(pa, &req, &v, &n, &err), 0);
	if (fd6 != TH_BADSOCK)
		assert_int_equal(v[0].port, p + 3);
	else
		assert_true(v[0].port != p && v[0].port != p + 2);
	pa_leases_free(v);
	th_sock_close(fd4);
	th_sock_close(fdu);
	if (fd6 != TH_BADSOCK)
		th_sock_close(fd6);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* The real OS: pa_get_socket hands back a socket bound to the leased
 * port, which a probe then sees as taken. */
static void
test_real_get_socket(void **state)
{
	struct pa_request req = { NULL, 1, PA_UDP, 0, -1, NULL, NULL, 0 };
	struct pa_config *cfg;
	struct pa_lease l;
	struct pa_error err;
	struct pa *pa;
	char *dir = th_tmpdir(), text[800];
	pa_socket_t s, s2;
	unsigned p = sb_free_range(28710, 10);

	(void)state;
	snprintf(text, sizeof(text), "[portalloc]\nstore = %s/l.db\n"
	    "[block r]\nports = %u-%u\n", dir, p, p + 9);
	assert_int_equal(pa_config_parse_string(&cfg, text, "r.ini", &err), 0);
	assert_int_equal(pa_open(&pa, cfg, &err), 0);
	assert_int_equal(pa_get_socket(pa, &req, &l, &s, &err), 0);
	assert_true(l.port >= p && l.port <= p + 9);
	assert_int_equal(l.protos, PA_UDP);
	assert_int_equal(th_sock_port(s), l.port);
	s2 = th_bind_udp(AF_INET, l.port);
	assert_true(s2 == TH_BADSOCK);
	th_sock_close(s);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* pa_get_listen: a port taken between probe and bind is skipped, the
 * held sockets come back with the leases, a full block leaves none open. */
static void
test_listen_holds_ports(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 3, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	int fds[8];
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_busy_listen(x->f, 25001); /* the probe says free, bind fails */
	assert_int_equal(pa_get_listen(x->pa, &req, fds, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].port, 25000);
	assert_int_equal(v[1].port, 25002);
	assert_int_equal(v[2].port, 25003);
	assert_int_equal(v[0].protos, PA_TCP);
	assert_int_equal(fds[0], 1000 + 25000);
	assert_int_equal(fds[1], 1000 + 25002);
	assert_int_equal(fds[2], 1000 + 25003);
	assert_int_equal(pa_fake_listening(x->f), 3);
	assert_int_equal(fx_count(x), 3);
	pa_leases_free(v);
	/* 7 ports left, 1 of them busy: 7 asked fails and holds nothing */
	req.count = 7;
	assert_int_equal(pa_get_listen(x->pa, &req, fds, &v, &n, &err),
	    PA_EFULL);
	assert_int_equal(pa_fake_listening(x->f), 3);
	assert_int_equal(fx_count(x), 3);
	req.count = 6;
	assert_int_equal(pa_get_listen(x->pa, &req, fds, &v, &n, &err), 0);
	assert_int_equal(pa_fake_listening(x->f), 9);
	assert_int_equal(v[5].port, 25009);
	pa_leases_free(v);
	fx_free(x);
}

/* A consecutive run broken by a failed bind starts again, closing what
 * it held; UDP cannot listen. */
static void
test_listen_consecutive_and_udp(void **state)
{
	struct fx *x = fx_new(BLOCK);
	struct pa_request req = { NULL, 3, 0, 0, -1, NULL, NULL, 1 };
	struct pa_lease *v;
	struct pa_error err;
	int fds[3];
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_busy_listen(x->f, 25002);
	assert_int_equal(pa_get_listen(x->pa, &req, fds, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25003);
	assert_int_equal(v[2].port, 25005);
	assert_int_equal(pa_fake_listening(x->f), 3);
	pa_leases_free(v);
	req.protos = PA_UDP;
	assert_int_equal(pa_get_listen(x->pa, &req, fds, &v, &n, &err),
	    PA_EUSAGE);
	assert_int_equal(pa_fake_listening(x->f), 3);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_fit),
		cmocka_unit_test(test_listen_holds_ports),
		cmocka_unit_test(test_listen_consecutive_and_udp),
		cmocka_unit_test(test_skips_held_and_leased),
		cmocka_unit_test(test_crowded_block_reads_the_table),
		cmocka_unit_test(test_proto_subset),
		cmocka_unit_test(test_consecutive),
		cmocka_unit_test(test_consecutive_across_cursor),
		cmocka_unit_test(test_block_full),
		cmocka_unit_test(test_block_full_counts_other_blocks),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_owner_parent),
		cmocka_unit_test(test_probe_error_leases_nothing),
		cmocka_unit_test(test_os_picks),
		cmocka_unit_test(test_os_pick_fallback),
		cmocka_unit_test(test_get_socket),
		cmocka_unit_test(test_real_socket_is_skipped),
		cmocka_unit_test(test_real_get_socket),
	};

	sb_private_net();   /* the real-OS tests: a network of their own */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
