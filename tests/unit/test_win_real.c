/*
 * What real Windows does with persistent port reservations: the unknowns
 * of issue 16, settled by running this, not by reading.  Opt-in and
 * elevated only (PORTALLOC_REAL_WINDOWS=1, as Administrator): it changes
 * the machine's reservations for a moment; it skips everywhere else
 * (Wine has no reservation functions).  .github/workflows/windows.yml
 * runs it on windows-latest.
 *
 * It reserves 16 TCP ports high in the registered range, then prints, as
 * "RESULT name: what happened":
 * - a socket associated with the token and bound to port 0 (documented);
 * - a plain bind() into the range, from this process and from another
 *   one (undocumented: WSAEACCES or success?);
 * - an associated bind to a specific port of the range (undocumented);
 * - filling the range: what the bind after the last port says
 *   (WSAEADDRINUSE or WSAENOBUFS?);
 * - a lookup and an association from an unelevated process (a restricted
 *   token without the Administrators group);
 * - portalloc itself on the range: reserve, get, get_socket, get_listen,
 *   unreserve;
 * then deletes the reservation.  It fails only where Windows contradicts
 * its documentation or portalloc fails.
 */
#include "test_win.h"

#define NPORTS 16

static USHORT first_port;       /* host order */
static ULONG64 token;

static void
result(const char *name, int e)
{
	print_message("RESULT %s: %s (%d)\n", name, e == 0 ? "ok" :
	    e == WSAEACCES ? "WSAEACCES" : e == WSAEADDRINUSE ?
	    "WSAEADDRINUSE" : e == WSAENOBUFS ? "WSAENOBUFS" :
	    e == ERROR_ACCESS_DENIED ? "ERROR_ACCESS_DENIED" : "error", e);
}

/* A TCP socket bound to 127.0.0.1:port, through the token if assoc; 0 or
 * the Winsock error; *out the socket (closed by the caller). */
static int
bind_tcp(uint16_t port, int assoc, SOCKET *out)
{
	const struct pa__win_api *api = pa__win_api_real();
	struct sockaddr_in sin;
	SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*out = s;
	if (assoc)
		return api->assoc_bind(s, token, (struct sockaddr *)&sin,
		    sizeof(sin));
	return bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0 :
	    WSAGetLastError();
}

/* In a child: "plain PORT" binds plainly; "lookup FIRST" looks the
 * reservation up and binds through it.  The result is the exit code. */
static int
child_main(char **argv)
{
	const struct pa__win_api *api = pa__win_api_real();
	SOCKET s;
	ULONG e;
	int rc;

	assert_int_equal(pa__win_wsa(NULL), 0);
	if (strcmp(argv[2], "plain") == 0) {
		rc = bind_tcp((uint16_t)atoi(argv[3]), 0, &s);
		closesocket(s);
		return rc;
	}
	e = api->lookup[0](htons((USHORT)atoi(argv[3])), NPORTS, &token);
	if (e != NO_ERROR)
		return 1000 + (int)e;
	rc = bind_tcp(0, 1, &s);
	closesocket(s);
	return rc;
}

/* Runs this program with args, unelevated when restricted; its exit. */
static int
run_self(const char *args, int restricted)
{
	wchar_t self[MAX_PATH], line[MAX_PATH + 64];
	SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
	SID_AND_ATTRIBUTES drop;
	PROCESS_INFORMATION pi;
	STARTUPINFOW si;
	HANDLE tok = NULL, rtok = NULL;
	DWORD code = 9999;
	PSID admins = NULL;
	BOOL ok;

	GetModuleFileNameW(NULL, self, MAX_PATH);
	_snwprintf(line, MAX_PATH + 63, L"\"%ls\" --child %hs", self, args);
	line[MAX_PATH + 63] = L'\0';
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	if (restricted) {
		AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID,
		    DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0, &admins);
		drop.Sid = admins;
		drop.Attributes = 0;
		OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &tok);
		assert_true(CreateRestrictedToken(tok, DISABLE_MAX_PRIVILEGE,
		    1, &drop, 0, NULL, 0, NULL, &rtok));
		ok = CreateProcessAsUserW(rtok, self, line, NULL, NULL, FALSE,
		    0, NULL, NULL, &si, &pi);
	} else {
		ok = CreateProcessW(self, line, NULL, NULL, FALSE, 0, NULL,
		    NULL, &si, &pi);
	}
	assert_true(ok);
	WaitForSingleObject(pi.hProcess, INFINITE);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	if (rtok != NULL)
		CloseHandle(rtok);
	if (tok != NULL)
		CloseHandle(tok);
	if (admins != NULL)
		FreeSid(admins);
	return (int)code;
}

/* Reserves NPORTS ports at the first start from 47000 up that Windows
 * accepts. */
static void
reserve_somewhere(void)
{
	const struct pa__win_api *api = pa__win_api_real();
	ULONG e = ERROR_SHARING_VIOLATION;
	USHORT p;

	assert_non_null(api->create[0]);
	for (p = 47000; p < 49000 && e == ERROR_SHARING_VIOLATION;
	    p += 100) {
		e = api->create[0](htons(p), NPORTS, &token);
		first_port = p;
	}
	assert_int_equal(e, NO_ERROR);
	print_message("RESULT reserved: tcp %u-%u, token %llu\n", first_port,
	    first_port + NPORTS - 1, (unsigned long long)token);
}

/* The raw calls, one unknown after another. */
static void
test_raw(void **state)
{
	SOCKET s, fill[NPORTS + 1];
	int e, i, n = 0;

	(void)state;
	e = bind_tcp(0, 1, &s);
	result("associated bind to port 0", e);
	assert_int_equal(e, 0);
	print_message("RESULT port picked: %u\n", th_sock_port((pa_socket_t)s));
	assert_true(th_sock_port((pa_socket_t)s) >= first_port &&
	    th_sock_port((pa_socket_t)s) < first_port + NPORTS);
	closesocket(s);
	result("plain bind into the range, this process",
	    bind_tcp(first_port + 1, 0, &s));
	closesocket(s);
	{
		char a[32];

		snprintf(a, sizeof(a), "plain %u", first_port + 2);
		result("plain bind into the range, another process",
		    run_self(a, 0));
	}
	result("associated bind to a specific port",
	    bind_tcp(first_port + 3, 1, &s));
	closesocket(s);
	for (i = 0; i <= NPORTS; i++)
		if ((e = bind_tcp(0, 1, &fill[n])) == 0)
			n++;
		else
			closesocket(fill[n]);
	print_message("RESULT filled: %d sockets bound\n", n);
	result("associated bind into the full range", e);
	assert_true(e == WSAEADDRINUSE || e == WSAENOBUFS);
	while (n > 0)
		closesocket(fill[--n]);
}

/* Unelevated: the lookup works (documented), the association? */
static void
test_unelevated(void **state)
{
	char a[32];
	int rc;

	(void)state;
	snprintf(a, sizeof(a), "lookup %u", first_port);
	rc = run_self(a, 1);
	if (rc >= 1000)
		print_message("RESULT unelevated lookup: error %d\n",
		    rc - 1000);
	else
		print_message("RESULT unelevated lookup: ok\n");
	result("unelevated associated bind", rc >= 1000 ? -1 : rc);
	assert_true(rc < 1000);
}

/* portalloc on the range: get (the OS picks), get_socket, get_listen
 * (exec --listen's path), then unreserve, which deletes it. */
static void
test_portalloc(void **state)
{
	struct pa_request req = { NULL, 2, PA_TCP, 0, -1, NULL, NULL, 0 };
	char *dir = th_tmpdir(), *text;
	struct pa_resv_report *r;
	struct pa_config *cfg;
	struct pa_lease *v, l;
	struct pa_error err;
	struct pa *pa;
	pa_socket_t s;
	int fds[2];
	size_t n;

	(void)state;
	if (asprintf(&text, "[portalloc]\nstore = %s\\l.db\n[block real]\n"
	    "ports = %u-%u\nprotocols = tcp\nreserve = persistent\n", dir,
	    first_port, first_port + NPORTS - 1) < 0)
		abort();
	assert_int_equal(pa_config_parse_string(&cfg, text, "r.ini", &err), 0);
	free(text);
	assert_int_equal(pa_open(&pa, cfg, &err), 0);
	if (pa_get(pa, &req, &v, &n, &err) != 0)
		fail_msg("get: %s", err.msg);
	print_message("RESULT portalloc get: %u %u\n", v[0].port, v[1].port);
	pa_leases_free(v);
	req.count = 1;
	if (pa_get_socket(pa, &req, &l, &s, &err) != 0)
		fail_msg("get_socket: %s", err.msg);
	print_message("RESULT portalloc get_socket: %u\n", l.port);
	th_sock_close(s);
	req.count = 2;
	if (pa_get_listen(pa, &req, fds, &v, &n, &err) != 0)
		fail_msg("get_listen: %s", err.msg);
	print_message("RESULT portalloc get_listen: %u %u\n", v[0].port,
	    v[1].port);
	closesocket((SOCKET)fds[0]);
	closesocket((SOCKET)fds[1]);
	pa_leases_free(v);
	if (pa_unreserve(pa, NULL, &r, &err) != 0)
		fail_msg("unreserve: %s", err.msg);
	pa_resv_report_free(r);
	assert_int_equal(pa__win_api_real()->lookup[0](htons(first_port),
	    NPORTS, &token), ERROR_NOT_FOUND);
	print_message("RESULT deleted: tcp %u-%u\n", first_port,
	    first_port + NPORTS - 1);
	first_port = 0;
	pa_close(pa);
	pa_config_free(cfg);
	th_rmtree(dir);
	free(dir);
}

/* Is this process elevated? */
static int
elevated(void)
{
	TOKEN_ELEVATION te;
	HANDLE tok;
	DWORD len;
	int yes = 0;

	if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
		yes = GetTokenInformation(tok, TokenElevation, &te, sizeof(te),
		    &len) && te.TokenIsElevated;
		CloseHandle(tok);
	}
	return yes;
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(pa__win_wsa(NULL), 0);
	reserve_somewhere();
	return 0;
}

/* Deletes the reservation if a test left it. */
static int
teardown(void **state)
{
	(void)state;
	if (first_port != 0)
		pa__win_api_real()->remove[0](htons(first_port), NPORTS);
	return 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_unelevated),
		cmocka_unit_test(test_portalloc),
	};
	const char *want = getenv("PORTALLOC_REAL_WINDOWS");

	if (argc >= 4 && strcmp(argv[1], "--child") == 0)
		return child_main(argv);
	if (want == NULL || strcmp(want, "1") != 0 || wine() || !elevated()) {
		printf("test_win_real: skipped (needs real Windows, "
		    "PORTALLOC_REAL_WINDOWS=1 and an elevated process)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
