/*
 * The Windows backend, run under Wine in CI.
 *
 * - The owner-PID table walker on hand-made tables: every matching row
 *   (the last one too, none past dwNumEntries), IPv4 and IPv6, TCP and UDP,
 *   ports in network order with junk in dwLocalPort's upper 16 bits,
 *   MIB_TCP_STATE_* mapped, pid 0 as no process; a table that grows
 *   between two GetExtendedTcpTable calls.
 * - Persistent reservations on a fake iphlpapi (Wine has none): create,
 *   overlap (ERROR_SHARING_VIOLATION, naming which), lookup, a socket
 *   associated with the reservation binding inside the block, delete,
 *   access denied, functions missing; then through the core: reserve, get,
 *   get_socket, unreserve, with tokens that change as after a reboot.
 * - The real GetExtendedTcpTable/GetExtendedUdpTable against sockets this
 *   test opens.  Wine gives 0 as every row's owning pid (checked, so that
 *   a Wine that learns the pid shows up here); Windows gives ours.
 * - The real OS table: processes, the boot, probes, the store's home, and
 *   exec's child (this program run again with --child).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "os/spawn.h"
#include "os/win/win.h"

#define SELF_BLOCK "[block w]\nports = 28800-28809\nreserve = persistent\n"

/* Are we under Wine? */
static int
wine(void)
{
	return GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") != NULL;
}

/*
 * Owner-PID tables by hand.
 */
static struct pa__win_rows
walk(const void *buf, size_t len, unsigned proto, int family, uint16_t first,
    uint16_t last, int want)
{
	struct pa_portq q = { first, last, PA_BOTH };
	struct pa__win_rows rows;
	struct pa_error err;

	memset(&rows, 0, sizeof(rows));
	assert_int_equal(pa__win_table_walk(buf, len, proto, family, &q, 1,
	    &rows, &err), want);
	return rows;
}

static void
test_walk_tcp4(void **state)
{
	struct {
		DWORD n;
		MIB_TCPROW_OWNER_PID r[4];
	} t;
	struct pa__win_rows rows;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.n = 4;
	/* a listener, with junk in the upper bits of dwLocalPort */
	t.r[0].dwState = MIB_TCP_STATE_LISTEN;
	t.r[0].dwLocalAddr = htonl(INADDR_LOOPBACK);
	t.r[0].dwLocalPort = 0xbeef0000u | htons(28900);
	t.r[0].dwOwningPid = 1234;
	/* another port; 28900 byte-swapped is 42096: not ours either */
	t.r[1].dwState = MIB_TCP_STATE_ESTAB;
	t.r[1].dwLocalPort = htons(42096);
	t.r[1].dwOwningPid = 77;
	/* a connection on the port: a second row for it */
	t.r[2].dwState = MIB_TCP_STATE_ESTAB;
	t.r[2].dwLocalAddr = htonl(INADDR_LOOPBACK);
	t.r[2].dwLocalPort = htons(28900);
	t.r[2].dwRemoteAddr = htonl(0x0a000001);
	t.r[2].dwRemotePort = 0xffff0000u | htons(51000);
	t.r[2].dwOwningPid = 1234;
	/* the last row: TIME_WAIT, no process */
	t.r[3].dwState = MIB_TCP_STATE_TIME_WAIT;
	t.r[3].dwLocalPort = htons(28900);
	t.r[3].dwOwningPid = 0;
	rows = walk(&t, sizeof(t), PA_TCP, 4, 28900, 28900, 0);
	assert_int_equal(rows.socks.n, 3);
	assert_int_equal(rows.socks.v[0].lport, 28900);
	assert_int_equal(rows.socks.v[0].state, PA_SOCK_LISTEN);
	assert_int_equal(rows.socks.v[0].family, 4);
	assert_int_equal(rows.socks.v[0].local[0], 127);
	assert_int_equal(rows.socks.v[0].local[3], 1);
	assert_int_equal(rows.socks.v[0].inode, 0);
	assert_int_equal(rows.pids[0], 1234);
	assert_int_equal(rows.socks.v[1].state, PA_SOCK_ESTABLISHED);
	assert_int_equal(rows.socks.v[1].rport, 51000);
	assert_int_equal(rows.socks.v[1].remote[0], 10);
	assert_int_equal(rows.socks.v[2].state, PA_SOCK_TIME_WAIT);
	assert_int_equal(rows.pids[2], 0);
	pa__win_rows_free(&rows);
	/* the byte-swapped port is found as itself */
	rows = walk(&t, sizeof(t), PA_TCP, 4, 42096, 42096, 0);
	assert_int_equal(rows.socks.n, 1);
	assert_int_equal(rows.pids[0], 77);
	pa__win_rows_free(&rows);
	/* a count that runs past the buffer is refused, not read */
	t.n = 5;
	rows = walk(&t, sizeof(t), PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
	t.n = 0xffffffffu;
	rows = walk(&t, sizeof(t), PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
	rows = walk(&t, 2, PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
	/* an empty table */
	t.n = 0;
	rows = walk(&t, sizeof(DWORD), PA_TCP, 4, 1, 65535, 0);
	assert_int_equal(rows.socks.n, 0);
	pa__win_rows_free(&rows);
}

static void
test_walk_v6_and_udp(void **state)
{
	struct {
		DWORD n;
		MIB_TCP6ROW_OWNER_PID r[2];
	} t6;
	struct {
		DWORD n;
		MIB_UDPROW_OWNER_PID r[2];
	} u4;
	struct {
		DWORD n;
		MIB_UDP6ROW_OWNER_PID r[1];
	} u6;
	struct pa__win_rows rows;

	(void)state;
	memset(&t6, 0, sizeof(t6));
	t6.n = 2;
	t6.r[0].ucLocalAddr[15] = 1;    /* ::1 */
	t6.r[0].dwLocalPort = 0x12340000u | htons(28901);
	t6.r[0].dwState = MIB_TCP_STATE_LISTEN;
	t6.r[0].dwOwningPid = 42;
	t6.r[1].dwLocalPort = htons(28901);
	t6.r[1].dwState = MIB_TCP_STATE_CLOSE_WAIT;
	t6.r[1].ucRemoteAddr[0] = 0xfe;
	t6.r[1].dwRemotePort = htons(443);
	t6.r[1].dwOwningPid = 43;
	rows = walk(&t6, sizeof(t6), PA_TCP, 6, 28901, 28901, 0);
	assert_int_equal(rows.socks.n, 2);
	assert_int_equal(rows.socks.v[0].family, 6);
	assert_int_equal(rows.socks.v[0].local[15], 1);
	assert_int_equal(rows.socks.v[0].state, PA_SOCK_LISTEN);
	assert_int_equal(rows.pids[0], 42);
	assert_int_equal(rows.socks.v[1].state, PA_SOCK_CLOSE_WAIT);
	assert_int_equal(rows.socks.v[1].remote[0], 0xfe);
	assert_int_equal(rows.socks.v[1].rport, 443);
	assert_int_equal(rows.pids[1], 43);
	pa__win_rows_free(&rows);

	memset(&u4, 0, sizeof(u4));
	u4.n = 2;
	u4.r[0].dwLocalPort = htons(28902);
	u4.r[0].dwOwningPid = 5;
	u4.r[1].dwLocalAddr = htonl(INADDR_LOOPBACK);
	u4.r[1].dwLocalPort = 0xffff0000u | htons(28903);
	u4.r[1].dwOwningPid = 6;
	rows = walk(&u4, sizeof(u4), PA_UDP, 4, 28902, 28903, 0);
	assert_int_equal(rows.socks.n, 2);
	assert_int_equal(rows.socks.v[0].proto, PA_UDP);
	assert_int_equal(rows.socks.v[0].state, PA_SOCK_CLOSE);
	assert_int_equal(rows.socks.v[1].lport, 28903);
	assert_int_equal(rows.pids[1], 6);
	pa__win_rows_free(&rows);

	memset(&u6, 0, sizeof(u6));
	u6.n = 1;
	u6.r[0].dwLocalPort = htons(28904);
	u6.r[0].dwOwningPid = 9;
	rows = walk(&u6, sizeof(u6), PA_UDP, 6, 28904, 28904, 0);
	assert_int_equal(rows.socks.n, 1);
	assert_int_equal(rows.socks.v[0].family, 6);
	assert_int_equal(rows.pids[0], 9);
	pa__win_rows_free(&rows);
}

static void
test_tcp_states(void **state)
{
	(void)state;
	/* Windows numbers them its own way: LISTEN is 2, not Linux's 10 */
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_CLOSED),
	    PA_SOCK_CLOSE);
	assert_int_equal(pa__win_tcp_state(2), PA_SOCK_LISTEN);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_SYN_SENT),
	    PA_SOCK_SYN_SENT);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_SYN_RCVD),
	    PA_SOCK_SYN_RECV);
	assert_int_equal(pa__win_tcp_state(5), PA_SOCK_ESTABLISHED);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_FIN_WAIT1),
	    PA_SOCK_FIN_WAIT1);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_FIN_WAIT2),
	    PA_SOCK_FIN_WAIT2);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_CLOSE_WAIT),
	    PA_SOCK_CLOSE_WAIT);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_CLOSING),
	    PA_SOCK_CLOSING);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_LAST_ACK),
	    PA_SOCK_LAST_ACK);
	assert_int_equal(pa__win_tcp_state(11), PA_SOCK_TIME_WAIT);
	assert_int_equal(pa__win_tcp_state(MIB_TCP_STATE_DELETE_TCB),
	    PA_SOCK_CLOSE);
}

/*
 * A GetExtendedTcpTable whose table grows: it needs rows[call] rows at
 * each call (the last entry for every later call).
 */
static const unsigned *grow_rows;
static size_t grow_nrows;
static unsigned grow_calls;

static DWORD WINAPI
growing_table(PVOID buf, PDWORD size, BOOL order, ULONG af,
    TCP_TABLE_CLASS cls, ULONG reserved)
{
	unsigned n = grow_rows[grow_calls < grow_nrows ? grow_calls :
	    grow_nrows - 1], i;
	DWORD need = (DWORD)(offsetof(MIB_TCPTABLE_OWNER_PID, table) +
	    n * sizeof(MIB_TCPROW_OWNER_PID));
	MIB_TCPTABLE_OWNER_PID *t = buf;

	(void)order;
	(void)reserved;
	grow_calls++;
	assert_int_equal(af, AF_INET);
	assert_int_equal(cls, TCP_TABLE_OWNER_PID_ALL);
	if (buf == NULL || *size < need) {
		*size = need;
		return ERROR_INSUFFICIENT_BUFFER;
	}
	t->dwNumEntries = n;
	for (i = 0; i < n; i++) {
		memset(&t->table[i], 0, sizeof(t->table[i]));
		t->table[i].dwState = MIB_TCP_STATE_ESTAB;
		t->table[i].dwLocalPort = htons((u_short)(30000 + i));
		t->table[i].dwOwningPid = 4000 + i;
	}
	return NO_ERROR;
}

static void
test_table_grows(void **state)
{
	static const unsigned twice[] = { 300, 600 }, always[] = {
	    300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700 };
	struct pa__win_api api;
	struct pa_portq q = { 30000, 39999, PA_TCP };
	struct pa__win_rows rows;
	struct pa_error err;
	size_t len;
	void *buf;

	(void)state;
	memset(&api, 0, sizeof(api));
	api.tcp_table = growing_table;
	/* grown between the first and the second call: asked a third time */
	grow_rows = twice;
	grow_nrows = 2;
	grow_calls = 0;
	assert_int_equal(pa__win_table_read(&api, PA_TCP, 4, &buf, &len,
	    &err), 0);
	assert_int_equal(grow_calls, 3);
	memset(&rows, 0, sizeof(rows));
	assert_int_equal(pa__win_table_walk(buf, len, PA_TCP, 4, &q, 1,
	    &rows, &err), 0);
	assert_int_equal(rows.socks.n, 600);
	assert_int_equal(rows.socks.v[599].lport, 30599);
	assert_int_equal(rows.pids[599], 4599);
	pa__win_rows_free(&rows);
	free(buf);
	/* growing every time: given up on, with a message */
	grow_rows = always;
	grow_nrows = sizeof(always) / sizeof(always[0]);
	grow_calls = 0;
	assert_int_equal(pa__win_table_read(&api, PA_TCP, 4, &buf, &len,
	    &err), PA_EOS);
	assert_non_null(strstr(err.msg, "kept growing"));
	assert_null(buf);
}

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

static void
fake_reset(void)
{
	memset(fres, 0, sizeof(fres));
	fake_denied = 0;
	fake_busy = 0;
	assoc_error = 0;
	assoc_calls = 0;
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
	unsigned port;
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
	for (port = r->first; port < r->first + r->n; port++) {
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

static struct pa__win_api fake_api = {
	{ create_tcp, create_udp },
	{ lookup_tcp, lookup_udp },
	{ delete_tcp, delete_udp },
	fake_assoc_bind,
	GetExtendedTcpTable,
	GetExtendedUdpTable,
};

static void
test_fake_reservations(void **state)
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
	s = th_listen_tcp(AF_INET, 28827);
	assert_true(s != TH_BADSOCK);
	fake_busy = 28827;
	assert_int_equal(rg->create(&w, PA_TCP, 28825, 28829, &err),
	    PA_EINUSE);
	assert_non_null(strstr(err.msg, "port 28827 is in use"));
	th_sock_close(s);
	fake_busy = 0;
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

/* Where iphlpapi.dll has no such functions (Wine): "not supported here",
 * no crash.  The real table says what this system has. */
static void
test_missing_functions(void **state)
{
	struct pa__win_api none = fake_api;
	const struct pa__win_api *real = pa__win_api_real();
	const struct pa__resv_range_ops *rg;
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

/* The core on the Windows backend with the fake iphlpapi: reserve, leases
 * from the OS's pick, a kept socket, unreserve, refusals. */
static void
test_core_on_fake_iphlpapi(void **state)
{
	struct pa_request req = { NULL, 2, 0, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir();
	struct pa_resv_report *r;
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
	/* not elevated: refused, nothing made */
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
	/* unreserve: refused, then done */
	fake_denied = 1;
	assert_int_equal(pa_unreserve(pa, NULL, &r, &err), PA_EPERM);
	assert_true(fres[0][0].used && fres[1][0].used);
	fake_denied = 0;
	assert_int_equal(pa_unreserve(pa, NULL, &r, &err), 0);
	assert_int_equal(r->actions[0].protos, PA_BOTH);
	assert_string_equal(r->now, "");
	pa_resv_report_free(r);
	assert_false(fres[0][0].used || fres[1][0].used);
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
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
 * The real owner-PID tables against sockets opened here.
 */
static void
test_real_tables(void **state)
{
	struct pa_portq q = { 28950, 28953, PA_BOTH };
	const struct pa_os *os = pa__os_native();
	pa_socket_t l4, u4, l6;
	struct pa_socktab t;
	struct pa_error err;
	int seen_l4 = 0, seen_u4 = 0, seen_l6 = 0;
	size_t i;

	(void)state;
	l4 = th_listen_tcp(AF_INET, 28950);
	u4 = th_bind_udp(AF_INET, 28951);
	l6 = th_listen_tcp(AF_INET6, 28952);
	assert_true(l4 != TH_BADSOCK && u4 != TH_BADSOCK);
	assert_int_equal(os->sockets(os->ctx, &q, 1, 1, &t, &err), 0);
	for (i = 0; i < t.n; i++) {
		const struct pa_sock *s = &t.socks[i];

		print_message("row: proto %u v%d port %u state %d holders "
		    "%lu pid %ld\n", s->proto, s->family, s->lport,
		    s->state, (unsigned long)s->npids, s->npids ? (long)
		    t.pids[s->first_pid] : 0L);
		/* Wine gives pid 0 for every row; Windows the owner's */
		if (wine())
			assert_int_equal(s->npids, 0);
		else
			assert_int_equal(t.pids[s->first_pid],
			    (int64_t)GetCurrentProcessId());
		if (s->proto == PA_TCP && s->family == 4 &&
		    s->lport == 28950) {
			assert_int_equal(s->state, PA_SOCK_LISTEN);
			assert_int_equal(s->local[0], 127);
			seen_l4++;
		}
		if (s->proto == PA_UDP && s->lport == 28951)
			seen_u4++;
		if (s->proto == PA_TCP && s->family == 6 &&
		    s->lport == 28952)
			seen_l6++;
		assert_true(s->lport >= 28950 && s->lport <= 28953);
	}
	assert_int_equal(seen_l4, 1);
	assert_int_equal(seen_u4, 1);
	assert_int_equal(seen_l6, l6 != TH_BADSOCK);
	pa__socktab_free(&t);
	th_sock_close(l4);
	th_sock_close(u4);
	if (l6 != TH_BADSOCK)
		th_sock_close(l6);
}

/* pa_who on the real tables: the listener is found; under Wine with no
 * process (pid 0), which is what Wine reports. */
static void
test_real_who(void **state)
{
	struct pa_port_query q = { 28955, 28955, PA_TCP };
	struct pa_holder *h;
	struct pa_error err;
	unsigned unreadable;
	pa_socket_t l;
	size_t n;

	(void)state;
	l = th_listen_tcp(AF_INET, 28955);
	assert_true(l != TH_BADSOCK);
	assert_int_equal(pa_who(&q, 1, &h, &n, &unreadable, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].port, 28955);
	assert_string_equal(h[0].local, "127.0.0.1");
	if (wine()) {
		assert_int_equal(h[0].pid, 0);
	} else {
		assert_int_equal(h[0].pid, (int64_t)GetCurrentProcessId());
		assert_string_equal(h[0].name, "test_win.exe");
	}
	pa_holders_free(h);
	th_sock_close(l);
}

/*
 * The real OS table: processes, boot, probes, store.
 */
static void
test_real_processes(void **state)
{
	const struct pa_os *os = pa__os_native();
	struct pa_proc p, q;
	struct pa_error err;
	const char *boot;
	char user[64];

	(void)state;
	assert_int_equal(os->proc(os->ctx, os->self_pid(os->ctx), &p, &err),
	    0);
	assert_int_equal(p.pid, (int64_t)GetCurrentProcessId());
	assert_true(p.start != 0);
	assert_string_equal(p.name, "test_win.exe");
	assert_non_null(strstr(p.cmdline, "test_win"));
	assert_int_equal(p.ppid, os->parent_pid(os->ctx));
	assert_int_equal(p.uid, os->self_uid(os->ctx));
	assert_true(p.uid > 0);
	os->user_name(os->ctx, p.uid, user, sizeof(user));
	assert_true(user[0] != '\0');
	/* the same start each time: what lease ownership rests on */
	assert_int_equal(os->proc(os->ctx, p.pid, &q, &err), 0);
	assert_true(q.start == p.start);
	/* pid 0 (the System Idle process) is no process */
	assert_int_equal(os->proc(os->ctx, 0, &q, &err), PA_ESRCH);
	assert_int_equal(os->proc(os->ctx, 0x7ffffff0, &q, &err), PA_ESRCH);
	boot = os->boot_id(os->ctx);
	assert_non_null(strstr(boot, "win-boot-"));
	assert_string_equal(os->boot_id(os->ctx), boot);
}

static void
test_real_probe(void **state)
{
	const struct pa_os *os = pa__os_native();
	struct pa_addr a[3];
	struct pa_error err;
	pa_socket_t l, s;

	(void)state;
	pa__addr_parse("127.0.0.1", &a[0]);
	pa__addr_parse("0.0.0.0", &a[1]);
	pa__addr_parse("::", &a[2]);
	l = th_listen_tcp(AF_INET, 28960);
	assert_true(l != TH_BADSOCK);
	assert_int_equal(os->probe(os->ctx, a, 3, 28960, PA_TCP, &err),
	    PA_EINUSE);
	/* the wildcard probe alone sees the loopback listener: it is
	 * exclusive, so its bind fails where anybody holds the port */
	assert_int_equal(os->probe(os->ctx, &a[1], 1, 28960, PA_TCP, &err),
	    PA_EINUSE);
	assert_int_equal(os->probe(os->ctx, a, 3, 28960, PA_UDP, &err), 0);
	assert_int_equal(os->probe(os->ctx, a, 3, 28961, PA_BOTH, &err), 0);
	th_sock_close(l);
	/* a bound socket holds its port against probes */
	assert_int_equal(os->bind_port(os->ctx, PA_UDP, &a[0], 28962, &s,
	    &err), 0);
	assert_int_equal(th_sock_port(s), 28962);
	assert_int_equal(os->probe(os->ctx, a, 3, 28962, PA_UDP, &err),
	    PA_EINUSE);
	assert_int_equal(os->bind_port(os->ctx, PA_UDP, &a[0], 28962, &l,
	    &err), PA_EINUSE);
	os->sock_close(os->ctx, s);
	assert_int_equal(os->probe(os->ctx, a, 3, 28962, PA_UDP, &err), 0);
}

static void
test_real_store_home(void **state)
{
	const struct pa_os *os = pa__os_native();
	char *dir = th_tmpdir(), path[600], buf[PA_PATH_MAX];
	struct pa_error err;
	uint16_t first, last;
	FILE *fp;

	(void)state;
	assert_int_equal(os->default_store(os->ctx, buf, sizeof(buf), &err),
	    0);
	assert_non_null(strstr(buf, "\\portalloc\\leases.db"));
	/* nested directories, either slash; an existing file is left be */
	snprintf(path, sizeof(path), "%s\\a/b\\leases.db", dir);
	assert_int_equal(os->prepare_store(os->ctx, path, &err), 0);
	assert_non_null(fp = fopen(path, "r+"));
	fputs("x", fp);
	fclose(fp);
	assert_int_equal(os->prepare_store(os->ctx, path, &err), 0);
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fgetc(fp), 'x');
	fclose(fp);
	assert_int_equal(os->ephemeral_range(os->ctx, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	th_rmtree(dir);
	free(dir);
}

static void
test_paths(void **state)
{
	(void)state;
	assert_true(pa__path_absolute("C:\\Users\\x\\l.db"));
	assert_true(pa__path_absolute("c:/x/l.db"));
	assert_true(pa__path_absolute("\\\\server\\share\\l.db"));
	assert_true(pa__path_absolute("/var/tmp/l.db"));
	assert_false(pa__path_absolute("C:l.db"));
	assert_false(pa__path_absolute("x\\l.db"));
	assert_false(pa__path_absolute(""));
}

static void
test_error_codes(void **state)
{
	struct pa_error err;

	(void)state;
	assert_int_equal(pa__win_code(ERROR_ACCESS_DENIED), PA_EPERM);
	assert_int_equal(pa__win_code(WSAEACCES), PA_EPERM);
	assert_int_equal(pa__win_code(ERROR_SHARING_VIOLATION), PA_EINUSE);
	assert_int_equal(pa__win_code(WSAEADDRINUSE), PA_EINUSE);
	assert_int_equal(pa__win_code(WSAEOPNOTSUPP), PA_ENOTSUP);
	assert_int_equal(pa__win_code(ERROR_NOT_FOUND), PA_ENOENT);
	assert_int_equal(pa__win_code(ERROR_INVALID_PARAMETER), PA_EOS);
	assert_int_equal(pa__win_err(&err, ERROR_ACCESS_DENIED, "doing %s",
	    "it"), PA_EPERM);
	assert_int_equal(err.code, PA_EPERM);
	assert_non_null(strstr(err.msg, "doing it: "));
	assert_non_null(strstr(err.msg, "(5)"));
}

/*
 * exec's child: this program again, with --child.
 */
static const char *const child_args[] = { "a b", "c\"d", "e\\", "f\\\\\"g",
    "", "h" };
#define NCHILD_ARGS (sizeof(child_args) / sizeof(child_args[0]))

/* In the child: 0 if the arguments came through unchanged and
 * PORTALLOC_PORT0 is 12345; 3 otherwise; argv[2] may ask for an exit
 * code instead. */
static int
child_main(int argc, char **argv)
{
	const char *v = getenv("PORTALLOC_PORT0");
	size_t i;

	if (argc == 4 && strcmp(argv[2], "--exit") == 0)
		return atoi(argv[3]);
	if (argc != 2 + (int)NCHILD_ARGS || v == NULL ||
	    strcmp(v, "12345") != 0)
		return 3;
	for (i = 0; i < NCHILD_ARGS; i++)
		if (strcmp(argv[2 + i], child_args[i]) != 0)
			return 3;
	return 0;
}

static int
run_child(char **argv, char *const *env, int nenv, int go_rc)
{
	struct pa_child *c;
	struct pa_error err;
	int64_t pid;
	int status;

	assert_int_equal(pa__child_start(argv, &c, &pid, &err), 0);
	/* portalloc itself owns the leases on Windows */
	assert_int_equal(pid, (int64_t)GetCurrentProcessId());
	assert_int_equal(pa__child_go(c, env, nenv, &err), go_rc);
	assert_int_equal(pa__child_wait(c, &status, &err), 0);
	return status;
}

static void
test_spawn(void **state)
{
	char self[MAX_PATH], *argv[3 + NCHILD_ARGS], *env[] = {
	    "PORTALLOC_PORT0=12345" };
	char *exit7[] = { self, "--child", "--exit", "7", NULL };
	char *none[] = { "portalloc-no-such-command", NULL };
	size_t i;

	(void)state;
	assert_true(GetModuleFileNameA(NULL, self, sizeof(self)) > 0);
	argv[0] = self;
	argv[1] = "--child";
	for (i = 0; i < NCHILD_ARGS; i++)
		argv[2 + i] = (char *)child_args[i];
	argv[2 + NCHILD_ARGS] = NULL;
	assert_int_equal(run_child(argv, env, 1, 0), 0);
	/* without the variable the child says so: it was really checked */
	th_unsetenv("PORTALLOC_PORT0");
	assert_int_equal(run_child(argv, NULL, 0, 0), 3);
	assert_int_equal(run_child(exit7, NULL, 0, 0), 7);
	assert_int_equal(run_child(none, NULL, 0, PA_EOS), 127);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_tcp4),
		cmocka_unit_test(test_walk_v6_and_udp),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_table_grows),
		cmocka_unit_test(test_fake_reservations),
		cmocka_unit_test(test_missing_functions),
		cmocka_unit_test(test_core_on_fake_iphlpapi),
		cmocka_unit_test(test_real_reservations),
		cmocka_unit_test(test_real_tables),
		cmocka_unit_test(test_real_who),
		cmocka_unit_test(test_real_processes),
		cmocka_unit_test(test_real_probe),
		cmocka_unit_test(test_real_store_home),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_spawn),
	};

	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
