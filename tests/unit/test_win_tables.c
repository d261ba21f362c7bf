/*
 * The owner-PID tables of the Windows backend (sockets-win.c), run under
 * Wine in CI.
 *
 * - The table walker on hand-made tables: every matching row (the last
 *   one too, none past dwNumEntries), IPv4 and IPv6, TCP and UDP, ports in
 *   network order with junk in dwLocalPort's upper 16 bits,
 *   MIB_TCP_STATE_* mapped, pid 0 as no process; a table that grows
 *   between two GetExtendedTcpTable calls.
 * - The real GetExtendedTcpTable/GetExtendedUdpTable against sockets this
 *   test opens on ports the OS picks.  Wine before 9.17 gives 0 as every
 *   row's owning pid, later Wine and Windows give ours: either passes
 *   under Wine, only ours on Windows.
 */
#include "test_win.h"

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
}

/* A count that runs past the buffer is refused, not read; an empty table
 * is empty. */
static void
test_walk_bad_counts(void **state)
{
	struct {
		DWORD n;
		MIB_TCPROW_OWNER_PID r[4];
	} t;
	struct pa__win_rows rows;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.n = 5;
	rows = walk(&t, sizeof(t), PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
	t.n = 0xffffffffu;
	rows = walk(&t, sizeof(t), PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
	rows = walk(&t, 2, PA_TCP, 4, 1, 65535, PA_EDATA);
	pa__win_rows_free(&rows);
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

}

static void
test_walk_udp6(void **state)
{
	struct {
		DWORD n;
		MIB_UDP6ROW_OWNER_PID r[1];
	} u6;
	struct pa__win_rows rows;

	(void)state;
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
 * The real owner-PID tables against sockets opened here, on ports the OS
 * picks.
 */
static void
test_real_tables(void **state)
{
	const struct pa_os *os = pa__os_native();
	pa_socket_t l4, u4, l6;
	struct pa_portq q[3];
	struct pa_socktab t;
	struct pa_error err;
	uint16_t p4, pu, p6 = 0;
	int seen_l4 = 0, seen_u4 = 0, seen_l6 = 0;
	size_t i;

	(void)state;
	l4 = th_listen_tcp(AF_INET, 0);
	u4 = th_bind_udp(AF_INET, 0);
	l6 = th_listen_tcp(AF_INET6, 0);
	assert_true(l4 != TH_BADSOCK && u4 != TH_BADSOCK);
	p4 = th_sock_port(l4);
	pu = th_sock_port(u4);
	if (l6 != TH_BADSOCK)
		p6 = th_sock_port(l6);
	q[0].first = q[0].last = p4;
	q[0].protos = PA_TCP;
	q[1].first = q[1].last = pu;
	q[1].protos = PA_UDP;
	q[2].first = q[2].last = p6;
	q[2].protos = PA_TCP;
	assert_int_equal(os->sockets(os->ctx, q, l6 != TH_BADSOCK ? 3 : 2, 1,
	    &t, &err), 0);
	for (i = 0; i < t.n; i++) {
		const struct pa_sock *s = &t.socks[i];

		print_message("row: proto %u v%d port %u state %d holders "
		    "%lu pid %ld\n", s->proto, s->family, s->lport,
		    s->state, (unsigned long)s->npids, s->npids ? (long)
		    t.pids[s->first_pid] : 0L);
		assert_true(our_pid_or_wine_zero(s->npids ?
		    t.pids[s->first_pid] : 0));
		if (s->proto == PA_TCP && s->family == 4 && s->lport == p4) {
			assert_int_equal(s->state, PA_SOCK_LISTEN);
			assert_int_equal(s->local[0], 127);
			seen_l4++;
		}
		if (s->proto == PA_UDP && s->lport == pu)
			seen_u4++;
		if (s->proto == PA_TCP && s->family == 6 && s->lport == p6)
			seen_l6++;
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

/* pa_who on the real tables: the listener is found, held by this process
 * (Wine before 9.17: by no process, pid 0, which is what it reports). */
static void
test_real_who(void **state)
{
	struct pa_port_query q;
	struct pa_holder *h;
	struct pa_error err;
	unsigned unreadable;
	pa_socket_t l;
	size_t n;

	(void)state;
	l = th_listen_tcp(AF_INET, 0);
	assert_true(l != TH_BADSOCK);
	q.first = q.last = th_sock_port(l);
	q.protos = PA_TCP;
	assert_int_equal(pa_who(&q, 1, &h, &n, &unreadable, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].port, q.first);
	assert_string_equal(h[0].local, "127.0.0.1");
	assert_true(our_pid_or_wine_zero(h[0].pid));
	if (h[0].pid != 0)
		assert_string_equal(h[0].name, "test_win_tables.exe");
	pa_holders_free(h);
	th_sock_close(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_tcp4),
		cmocka_unit_test(test_walk_bad_counts),
		cmocka_unit_test(test_walk_v6_and_udp),
		cmocka_unit_test(test_walk_udp6),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_table_grows),
		cmocka_unit_test(test_real_tables),
		cmocka_unit_test(test_real_who),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
