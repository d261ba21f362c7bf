/*
 * Persistent port reservations in the Windows backend (reserve-win.c,
 * token-win.c, own-win.c, net-win.c), on a fake iphlpapi: Wine has none
 * of the reservation functions.
 *
 * - create, overlap (ERROR_SHARING_VIOLATION, naming which), lookup, a
 *   socket associated with the reservation binding inside the block,
 *   delete, access denied, functions missing; then through the core:
 *   reserve, get, get_socket, unreserve, with tokens that change as after
 *   a reboot.
 * - The unknown of issue 16 played both ways: a plain bind into the
 *   reservation refused with WSAEACCES although nobody holds the port.
 *   Probes must not read that as "in use" (else every get says full),
 *   while a port somebody does hold stays taken; exec --listen binds
 *   through the token instead.
 * - A full reservation that says WSAENOBUFS is full, as WSAEADDRINUSE.
 * - A port another process holds on 0.0.0.0 is not handed out with a
 *   socket bound to 127.0.0.1, though the exclusive bind succeeds.
 */
#include "test_win.h"

/* Fixed ports, which the fake binds for real: ci/test.sh runs the Windows
 * tests in a network namespace of their own (ci/win-tests.sh), where no
 * other program holds any. */
#define SELF_BLOCK "[block w]\nports = 28800-28809\nreserve = persistent\n"

/*
 * A fake iphlpapi with persistent reservations.  Ports arrive in network
 * byte order and are kept in host order, so that a caller passing host
 * order would reserve the wrong ports, and the test would see it.
 */
#define FAKE_MAX 8

static struct fake_resv {
	int used;
	unsigned first, n;
	ULONG64 token;
} fres[2][FAKE_MAX];
static ULONG64 next_token = 1000;
static int fake_denied;         /* ERROR_ACCESS_DENIED from create/delete */
static unsigned fake_busy;      /* a port "in use": no reservation over it */
static int assoc_error;         /* what assoc_bind fails with; 0: works */
static unsigned assoc_calls;
static int plain_refused;       /* plain binds into a reservation fail */
static unsigned wild_port;      /* held on 0.0.0.0 by "another process" */
static unsigned held_port;      /* held on 127.0.0.1 by "another process" */

static void
fake_reset(void)
{
	memset(fres, 0, sizeof(fres));
	fake_denied = 0;
	fake_busy = 0;
	assoc_error = 0;
	assoc_calls = 0;
	plain_refused = 0;
	wild_port = 0;
	held_port = 0;
}

/* A reboot: every token changes. */
static void
fake_reboot(void)
{
	size_t i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < FAKE_MAX; i++)
			fres[k][i].token = next_token++;
}

static ULONG
fake_create(int k, USHORT start, USHORT n, PULONG64 token)
{
	unsigned first = ntohs(start), i;

	if (fake_denied)
		return ERROR_ACCESS_DENIED;
	if (first == 0 || n == 0 || first + n - 1u > 65535)
		return ERROR_INVALID_PARAMETER;
	for (i = 0; i < FAKE_MAX; i++)
		if (fres[k][i].used && first <= fres[k][i].first +
		    fres[k][i].n - 1 && fres[k][i].first <= first + n - 1u)
			return ERROR_SHARING_VIOLATION;
	if (fake_busy >= first && fake_busy <= first + n - 1u)
		return ERROR_SHARING_VIOLATION;
	for (i = 0; i < FAKE_MAX && fres[k][i].used; i++)
		;
	if (i == FAKE_MAX)
		return ERROR_NOT_ENOUGH_MEMORY;
	fres[k][i].used = 1;
	fres[k][i].first = first;
	fres[k][i].n = n;
	fres[k][i].token = *token = next_token++;
	return NO_ERROR;
}

static struct fake_resv *
fake_find(int k, USHORT start, USHORT n)
{
	size_t i;

	for (i = 0; i < FAKE_MAX; i++)
		if (fres[k][i].used && fres[k][i].first == ntohs(start) &&
		    fres[k][i].n == n)
			return &fres[k][i];
	return NULL;
}

static ULONG
fake_lookup(int k, USHORT start, USHORT n, PULONG64 token)
{
	struct fake_resv *r = fake_find(k, start, n);

	if (r == NULL)
		return ERROR_NOT_FOUND;
	*token = r->token;
	return NO_ERROR;
}

static ULONG
fake_delete(int k, USHORT start, USHORT n)
{
	struct fake_resv *r;

	if (fake_denied)
		return ERROR_ACCESS_DENIED;
	if ((r = fake_find(k, start, n)) == NULL)
		return ERROR_NOT_FOUND;
	r->used = 0;
	return NO_ERROR;
}

static ULONG WINAPI
create_tcp(USHORT s, USHORT n, PULONG64 t)
{
	return fake_create(0, s, n, t);
}

static ULONG WINAPI
create_udp(USHORT s, USHORT n, PULONG64 t)
{
	return fake_create(1, s, n, t);
}

static ULONG WINAPI
lookup_tcp(USHORT s, USHORT n, PULONG64 t)
{
	return fake_lookup(0, s, n, t);
}

static ULONG WINAPI
lookup_udp(USHORT s, USHORT n, PULONG64 t)
{
	return fake_lookup(1, s, n, t);
}

static ULONG WINAPI
delete_tcp(USHORT s, USHORT n)
{
	return fake_delete(0, s, n);
}

static ULONG WINAPI
delete_udp(USHORT s, USHORT n)
{
	return fake_delete(1, s, n);
}

/* The association as Windows does it, on a real socket: the bind to port 0
 * lands on a free port of the reservation whose token is given. */
static int
fake_assoc_bind(SOCKET s, ULONG64 token, const struct sockaddr *sa, int len)
{
	struct sockaddr_storage ss;
	const struct fake_resv *r = NULL;
	unsigned port, want;
	size_t i, k;
	int e = WSAEADDRINUSE;

	assoc_calls++;
	if (assoc_error)
		return assoc_error;
	for (k = 0; k < 2 && r == NULL; k++)
		for (i = 0; i < FAKE_MAX; i++)
			if (fres[k][i].used && fres[k][i].token == token)
				r = &fres[k][i];
	if (r == NULL)
		return WSAEINVAL;   /* a token from before a reboot */
	memcpy(&ss, sa, (size_t)len);
	want = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	if (want != 0 && (want < r->first || want >= r->first + r->n))
		return WSAEINVAL;
	for (port = r->first; port < r->first + r->n; port++) {
		if (want != 0 && port != want)
			continue;
		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port =
			    htons((u_short)port);
		else
			((struct sockaddr_in *)&ss)->sin_port =
			    htons((u_short)port);
		if (bind(s, (struct sockaddr *)&ss, len) == 0)
			return 0;
		if ((e = WSAGetLastError()) != WSAEADDRINUSE &&
		    e != WSAEACCES)
			return e;
	}
	return WSAEADDRINUSE;
}

/*
 * A plain bind as Windows may do it inside an API-made reservation (the
 * unknown the real-Windows test settles): with plain_refused, refused
 * with WSAEACCES for every port of a TCP reservation, free or not.
 */
static int
fake_plain_bind(SOCKET s, const struct sockaddr *sa, int len)
{
	unsigned port = ntohs(sa->sa_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)sa)->sin6_port :
	    ((const struct sockaddr_in *)sa)->sin_port);
	size_t i;

	for (i = 0; plain_refused && i < FAKE_MAX; i++)
		if (fres[0][i].used && port >= fres[0][i].first &&
		    port < fres[0][i].first + fres[0][i].n)
			return WSAEACCES;
	return bind(s, sa, len) == 0 ? 0 : WSAGetLastError();
}

/*
 * Owner-PID tables of the fake machine, not the real one (which is slow
 * to read on a loaded host): TCP holds a listener of "another process"
 * on 0.0.0.0:wild_port, as Windows shows one that an exclusive bind to
 * 127.0.0.1 does not collide with, and one on 127.0.0.1:held_port (0:
 * none); no IPv6 rows, no UDP rows.
 */
static DWORD WINAPI
fake_tcp_table(PVOID buf, PDWORD size, BOOL order, ULONG af,
    TCP_TABLE_CLASS cls, ULONG reserved)
{
	MIB_TCPTABLE_OWNER_PID *t = buf;
	DWORD need = sizeof(MIB_TCPTABLE_OWNER_PID) +
	    sizeof(MIB_TCPROW_OWNER_PID);
	unsigned ports[2] = { wild_port, held_port }, i;

	(void)order;
	(void)cls;
	(void)reserved;
	if (buf == NULL || *size < need) {
		*size = need;
		return ERROR_INSUFFICIENT_BUFFER;
	}
	memset(t, 0, need);
	for (i = 0; af == AF_INET && i < 2; i++) {
		if (ports[i] == 0)
			continue;
		t->table[t->dwNumEntries].dwState = MIB_TCP_STATE_LISTEN;
		t->table[t->dwNumEntries].dwLocalAddr = i == 0 ? 0 :
		    htonl(INADDR_LOOPBACK);
		t->table[t->dwNumEntries].dwLocalPort = htons((u_short)ports[i]);
		t->table[t->dwNumEntries].dwOwningPid = 4242;
		t->dwNumEntries++;
	}
	return NO_ERROR;
}

static DWORD WINAPI
fake_udp_table(PVOID buf, PDWORD size, BOOL order, ULONG af,
    UDP_TABLE_CLASS cls, ULONG reserved)
{
	(void)order;
	(void)af;
	(void)cls;
	(void)reserved;
	if (buf == NULL || *size < sizeof(DWORD)) {
		*size = sizeof(DWORD);
		return ERROR_INSUFFICIENT_BUFFER;
	}
	*(DWORD *)buf = 0;
	return NO_ERROR;
}

static struct pa__win_api fake_api = {
	.create = { create_tcp, create_udp },
	.lookup = { lookup_tcp, lookup_udp },
	.remove = { delete_tcp, delete_udp },
	.assoc_bind = fake_assoc_bind,
	.bind = fake_plain_bind,
	.tcp_table = fake_tcp_table,
	.udp_table = fake_udp_table,
};

/* Create, lookup, overlap, busy ports, refusals, delete. */
static void
test_fake_create_delete(void **state)
{
	const struct pa__resv_range_ops *rg;
	struct pa__win w;
	struct pa_error err;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	rg = w.os.resv_range;
	assert_int_equal(rg->lookup(&w, PA_TCP, 28810, 28819, &err),
	    PA_ENOENT);
	assert_int_equal(rg->create(&w, PA_TCP, 28810, 28819, &err),
	    0);
	/* the start port went over in network order */
	assert_int_equal(fres[0][0].first, 28810);
	assert_int_equal(fres[0][0].n, 10);
	assert_int_equal(rg->lookup(&w, PA_TCP, 28810, 28819, &err),
	    0);
	/* exact blocks only; UDP is another table */
	assert_int_equal(rg->lookup(&w, PA_TCP, 28810, 28818, &err),
	    PA_ENOENT);
	assert_int_equal(rg->lookup(&w, PA_UDP, 28810, 28819, &err),
	    PA_ENOENT);
	/* overlapping: which it is, is said */
	assert_int_equal(rg->create(&w, PA_TCP, 28815, 28824, &err),
	    PA_EINUSE);
	assert_non_null(strstr(err.msg, "cannot reserve tcp ports "
	    "28815-28824: the range overlaps another reservation"));
	/* a port in use: named, with what the table knows of its owner */
	held_port = 28827;
	fake_busy = 28827;
	assert_int_equal(rg->create(&w, PA_TCP, 28825, 28829, &err),
	    PA_EINUSE);
	assert_non_null(strstr(err.msg, "port 28827 is in use"));
	held_port = 0;
	fake_busy = 0;
	/* not elevated */
	fake_denied = 1;
	assert_int_equal(rg->create(&w, PA_UDP, 28810, 28819, &err),
	    PA_EPERM);
	assert_non_null(strstr(err.msg, "CreatePersistentUdpPortReservation "
	    "of ports 28810-28819"));
	assert_non_null(strstr(err.msg, "(5)"));
	assert_int_equal(rg->remove(&w, PA_TCP, 28810, 28819, &err),
	    PA_EPERM);
	fake_denied = 0;
	assert_int_equal(rg->remove(&w, PA_TCP, 28810, 28819, &err),
	    0);
	assert_int_equal(rg->remove(&w, PA_TCP, 28810, 28819, &err),
	    PA_ENOENT);
	assert_int_equal(rg->lookup(&w, PA_TCP, 28810, 28819, &err),
	    PA_ENOENT);
}

/* Sockets from the reservation, through its token. */
static void
test_fake_resv_bind(void **state)
{
	const struct pa__resv_range_ops *rg;
	struct pa__win w;
	struct pa_addr lo;
	struct pa_error err;
	pa_socket_t s, s2;
	uint16_t port;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	rg = w.os.resv_range;
	pa__addr_parse("127.0.0.1", &lo);
	assert_int_equal(rg->create(&w, PA_TCP, 28810, 28819, &err),
	    0);
	/* a socket from the reservation: bound inside it, held */
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), 0);
	assert_true(port >= 28810 && port <= 28819);
	assert_int_equal(th_sock_port(s), port);
	s2 = th_listen_tcp(AF_INET, port);
	assert_true(s2 == TH_BADSOCK);
	/* tokens change at a reboot: looked up again, not remembered */
	fake_reboot();
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s2, &err), 0);
	assert_true(port >= 28810 && port <= 28819);
	assert_int_equal(th_sock_port(s2), port);
	w.os.sock_close(&w, s);
	w.os.sock_close(&w, s2);
	assert_int_equal(rg->bind(&w, 28830, 28839, PA_TCP, &lo, &port,
	    &s, &err), PA_ENOENT);
	/* errors of the association, translated */
	assoc_error = WSAEOPNOTSUPP;    /* what Wine says */
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), PA_ENOTSUP);
	assoc_error = WSAEACCES;        /* not elevated */
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), PA_EPERM);
	assoc_error = WSAEADDRINUSE;    /* every port of it taken */
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), PA_EFULL);
	assoc_error = 0;
	assert_int_equal(rg->remove(&w, PA_TCP, 28810, 28819, &err),
	    0);
}

/* Where iphlpapi.dll has no such functions (Wine): "not supported here",
 * no crash.  The real table says what this system has. */
static void
test_missing_functions(void **state)
{
	const struct pa__resv_range_ops *rg;
	struct pa__win_api none = fake_api;
	const struct pa__win_api *real = pa__win_api_real();
	struct pa__win w;
	struct pa_addr lo;
	struct pa_error err;
	pa_socket_t s;
	uint16_t port;

	(void)state;
	memset(none.create, 0, sizeof(none.create));
	memset(none.lookup, 0, sizeof(none.lookup));
	memset(none.remove, 0, sizeof(none.remove));
	pa__win_os_init(&w, &none);
	rg = w.os.resv_range;
	pa__addr_parse("127.0.0.1", &lo);
	assert_int_equal(rg->lookup(&w, PA_TCP, 1, 2, &err),
	    PA_ENOTSUP);
	assert_non_null(strstr(err.msg, "not supported here: iphlpapi.dll "
	    "has no LookupPersistentTcpPortReservation"));
	assert_int_equal(rg->create(&w, PA_UDP, 1, 2, &err),
	    PA_ENOTSUP);
	assert_int_equal(rg->remove(&w, PA_UDP, 1, 2, &err),
	    PA_ENOTSUP);
	assert_int_equal(rg->bind(&w, 1, 2, PA_TCP, &lo, &port, &s,
	    &err), PA_ENOTSUP);
	assert_non_null(real->tcp_table);
	assert_non_null(real->udp_table);
	if (wine()) {   /* Wine 8: none of the six */
		assert_null(real->create[0]);
		assert_null(real->lookup[1]);
		assert_null(real->remove[0]);
	}
}

/* A store with config text, on the Windows OS table w. */
static struct pa *
open_on(struct pa__win *w, const char *dir, const char *blocks,
    struct pa_config **cfg)
{
	struct pa_error err;
	struct pa *pa;
	char *text;

	if (asprintf(&text, "[portalloc]\nstore = %s\\l.db\n%s", dir,
	    blocks) < 0)
		abort();
	if (pa_config_parse_string(cfg, text, "w.ini", &err) != 0)
		fail_msg("config: %s", err.msg);
	free(text);
	if (pa__open_os(&pa, *cfg, &w->os, &err) != 0)
		fail_msg("open: %s", err.msg);
	return pa;
}

/* pa_reserve on SELF_BLOCK: refused while not elevated (nothing made),
 * then done. */
static void
reserve_as_admin(struct pa *pa)
{
	struct pa_resv_report *r;
	struct pa_error err;

	fake_denied = 1;
	assert_int_equal(pa_reserve(pa, NULL, &r, &err), PA_EPERM);
	assert_int_equal(err.hint, PA_HINT_PRIVILEGE);
	assert_false(fres[0][0].used || fres[1][0].used);
	fake_denied = 0;
	assert_int_equal(pa_reserve(pa, NULL, &r, &err), 0);
	assert_int_equal(r->shape, PA_RESV_RANGE);
	assert_int_equal(r->actions[0].protos, PA_BOTH);
	assert_string_equal(r->now, "28800-28809");
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	assert_int_equal(fres[0][0].first, 28800);
	assert_int_equal(fres[1][0].first, 28800);
}

/* pa_unreserve: refused while not elevated, then done. */
static void
unreserve_as_admin(struct pa *pa)
{
	struct pa_resv_report *r;
	struct pa_error err;

	fake_denied = 1;
	assert_int_equal(pa_unreserve(pa, NULL, &r, &err), PA_EPERM);
	assert_true(fres[0][0].used && fres[1][0].used);
	fake_denied = 0;
	assert_int_equal(pa_unreserve(pa, NULL, &r, &err), 0);
	assert_int_equal(r->actions[0].protos, PA_BOTH);
	assert_string_equal(r->now, "");
	pa_resv_report_free(r);
	assert_false(fres[0][0].used || fres[1][0].used);
}

/* The core on the Windows backend with the fake iphlpapi: reserve, leases
 * from the OS's pick, a kept socket, unreserve, refusals. */
static void
test_core_on_fake_iphlpapi(void **state)
{
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir();
	struct pa_config *cfg;
	struct pa_lease *v, l;
	struct pa_error err;
	struct pa__win w;
	struct pa *pa;
	pa_socket_t s;
	size_t n;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	pa = open_on(&w, dir, SELF_BLOCK, &cfg);
	reserve_as_admin(pa);
	/* leases the OS picks from the reservation */
	assert_int_equal(pa_get(pa, &req, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].port, 28800);
	assert_int_equal(v[1].port, 28801);
	pa_leases_free(v);
	assert_true(assoc_calls >= 2);
	/* after a reboot the tokens differ; still fine */
	fake_reboot();
	req.count = 1;
	req.protos = PA_TCP;
	assert_int_equal(pa_get_socket(pa, &req, &l, &s, &err), 0);
	assert_int_equal(l.port, 28802);
	assert_int_equal(th_sock_port(s), 28802);
	th_sock_close(s);
	/* the association refused (not elevated): the walk hands out */
	assoc_error = WSAEACCES;
	assoc_calls = 0;
	assert_int_equal(pa_get(pa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 28803);
	pa_leases_free(v);
	assert_int_equal(assoc_calls, 1);
	assoc_error = 0;
	unreserve_as_admin(pa);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* Can a client connect to 127.0.0.1:port? */
static int
th_connects(uint16_t port)
{
	struct sockaddr_in sin;
	SOCKET c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	int ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	closesocket(c);
	return ok;
}

/* Ends every lease of the store. */
static void
release_all(struct pa *pa)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *gone;
	struct pa_error err;
	size_t n;

	assert_int_equal(pa_release(pa, &f, &gone, &n, &err), 0);
	pa_leases_free(gone);
}

/* The real OS's Windows ops where Wine has no reservations: reserve and a
 * reserved block's get say so. */
static void
test_real_reservations(void **state)
{
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir(), *text;
	struct pa_resv_report *r;
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa *pa;
	size_t n;

	(void)state;
	if (!wine())
		skip();     /* on Windows this would change the machine */
	if (asprintf(&text, "[portalloc]\nstore = %s\\l.db\n" SELF_BLOCK,
	    dir) < 0)
		abort();
	assert_int_equal(pa_config_parse_string(&cfg, text, "w.ini", &err), 0);
	free(text);
	assert_int_equal(pa_open(&pa, cfg, &err), 0);
	assert_int_equal(pa_reserve(pa, NULL, &r, &err), PA_ENOTSUP);
	assert_non_null(strstr(err.msg, "not supported here"));
	assert_int_equal(pa_get(pa, &req, &v, &n, &err), PA_ENOTSUP);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/*
 * Issue 16, item 1: inside its own reservation, a plain bind refused with
 * WSAEACCES does not make a port "in use"; a port with a socket on it
 * does.  Not elevated (the association refused): the walk hands out.
 */
static void
test_own_reservation_refuses_plain_binds(void **state)
{
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir();
	struct pa_resv_report *r;
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa__win w;
	struct pa *pa;
	size_t n;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	pa = open_on(&w, dir, SELF_BLOCK, &cfg);
	assert_int_equal(pa_reserve(pa, NULL, &r, &err), 0);
	pa_resv_report_free(r);
	held_port = 28800;
	plain_refused = 1;
	assoc_error = WSAEACCES;
	req.protos = PA_TCP;
	assert_int_equal(pa_get(pa, &req, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].port, 28801);   /* 28800 is held */
	assert_int_equal(v[1].port, 28802);
	pa_leases_free(v);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* exec --listen inside the reservation: where a plain bind is refused,
 * the socket is bound through the token to the port the walk chose. */
static void
test_listen_through_token(void **state)
{
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir();
	struct pa_resv_report *r;
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa__win w;
	struct pa *pa;
	int fds[2];
	size_t n;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	pa = open_on(&w, dir, SELF_BLOCK, &cfg);
	assert_int_equal(pa_reserve(pa, NULL, &r, &err), 0);
	pa_resv_report_free(r);
	plain_refused = 1;
	assert_int_equal(pa_get_listen(pa, &req, fds, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(th_sock_port((pa_socket_t)fds[0]), v[0].port);
	assert_int_equal(th_sock_port((pa_socket_t)fds[1]), v[1].port);
	assert_true(assoc_calls >= 2);
	/* it listens: a client connects */
	assert_true(th_connects(v[0].port));
	closesocket((SOCKET)fds[0]);
	closesocket((SOCKET)fds[1]);
	pa_leases_free(v);
	release_all(pa);
	/* and not elevated: refused, saying why, not "full" */
	assoc_error = WSAEACCES;
	assert_int_equal(pa_get_listen(pa, &req, fds, &v, &n, &err),
	    PA_EPERM);
	assert_non_null(strstr(err.msg, "lies in a persistent reservation"));
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* Items 4 and 5: a port somebody holds on 0.0.0.0 is skipped by a socket
 * kept on 127.0.0.1; WSAENOBUFS from the bind is "full". */
static void
test_token_picks(void **state)
{
	const struct pa__resv_range_ops *rg;
	struct pa__win w;
	struct pa_addr lo, any;
	struct pa_error err;
	pa_socket_t s;
	uint16_t port;

	(void)state;
	fake_reset();
	pa__win_os_init(&w, &fake_api);
	rg = w.os.resv_range;
	pa__addr_parse("127.0.0.1", &lo);
	pa__addr_parse("0.0.0.0", &any);
	assert_int_equal(rg->create(&w, PA_TCP, 28810, 28819, &err),
	    0);
	wild_port = 28810;
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), 0);
	assert_int_equal(port, 28811);
	assert_int_equal(assoc_calls, 2);
	w.os.sock_close(&w, s);
	/* a wildcard socket of ours would have collided itself: no check */
	wild_port = 0;
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &any, &port,
	    &s, &err), 0);
	w.os.sock_close(&w, s);
	assoc_error = WSAENOBUFS;
	assert_int_equal(rg->bind(&w, 28810, 28819, PA_TCP, &lo, &port,
	    &s, &err), PA_EFULL);
	assert_non_null(strstr(err.msg, "no port of the reservation"));
	assoc_error = 0;
	assert_int_equal(rg->remove(&w, PA_TCP, 28810, 28819, &err),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fake_create_delete),
		cmocka_unit_test(test_fake_resv_bind),
		cmocka_unit_test(test_missing_functions),
		cmocka_unit_test(test_core_on_fake_iphlpapi),
		cmocka_unit_test(test_own_reservation_refuses_plain_binds),
		cmocka_unit_test(test_listen_through_token),
		cmocka_unit_test(test_token_picks),
		cmocka_unit_test(test_real_reservations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
