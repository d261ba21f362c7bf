/*
 * End to end on Windows (under Wine in CI): the built portalloc.exe, run
 * with a temporary store and configuration, never the user's own: get,
 * list, release, exec (this program run again with --child), who, and
 * reserve where the system has no persistent reservations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

#include <windows.h>
#include <shellapi.h>

#define BLOCK "[block t]\nports = 28700-28709\n"

struct e2e {
	char *dir;
	char bin[MAX_PATH];
	char *env[3];
};

/* portalloc.exe is next to the tests' directory: ..\portalloc.exe. */
static int
setup(void **state)
{
	struct e2e *e = calloc(1, sizeof(*e));
	char *slash, *cfg;

	e->dir = th_tmpdir();
	if (GetModuleFileNameA(NULL, e->bin, sizeof(e->bin)) == 0 ||
	    (slash = strrchr(e->bin, '\\')) == NULL)
		return -1;
	*slash = '\0';
	if ((slash = strrchr(e->bin, '\\')) == NULL)
		return -1;
	strcpy(slash, "\\portalloc.exe");
	cfg = th_write(e->dir, "portalloc.ini", BLOCK);
	if (asprintf(&e->env[0], "PORTALLOC_STORE=%s\\l.db", e->dir) < 0 ||
	    asprintf(&e->env[1], "PORTALLOC_CONFIG=%s", cfg) < 0)
		return -1;
	free(cfg);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct e2e *e = *state;

	th_rmtree(e->dir);
	th_strv_free(e->env);
	free(e->dir);
	free(e);
	return 0;
}

/* Runs portalloc with up to 12 arguments (NULL-terminated). */
static void
pa_run(struct e2e *e, struct th_run *r, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, r);
	th_argv(argv, e->bin, ap);
	va_end(ap);
	th_run(r, e->dir, e->env, argv);
}

static void
test_get_list_release(void **state)
{
	struct e2e *e = *state;
	char pid[32];
	struct th_run r;
	uint16_t v[8];
	size_t n, i;

	pa_run(e, &r, "get", "-n", "3", NULL);
	assert_int_equal(r.status, 0);
	n = th_ports(r.out, v, 8);
	assert_int_equal(n, 3);
	assert_true(th_distinct(v, n));
	for (i = 0; i < n; i++)
		assert_true(v[i] >= 28700 && v[i] <= 28709);
	th_run_free(&r);
	/* this test program, the parent of portalloc.exe, owns them */
	snprintf(pid, sizeof(pid), "%lu", (unsigned long)GetCurrentProcessId());
	pa_run(e, &r, "list", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(th_lines(r.out), 3);
	assert_non_null(strstr(r.out, "\"owner_pid\":"));
	assert_non_null(strstr(r.out, pid));
	assert_non_null(strstr(r.out, "\"state\":\"alive\""));
	th_run_free(&r);
	pa_run(e, &r, "release", "--owner", pid, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	pa_run(e, &r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "28700"));
	th_run_free(&r);
}

/* exec: the ports reach the command's environment, its exit code comes
 * back, and the leases end with it. */
static void
test_exec(void **state)
{
	struct e2e *e = *state;
	char self[MAX_PATH];
	struct th_run r;
	uint16_t v[8];

	assert_true(GetModuleFileNameA(NULL, self, sizeof(self)) > 0);
	pa_run(e, &r, "exec", "-n", "2", "--", self, "--child", "ports", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "ports="));
	assert_int_equal(th_ports(strstr(r.out, "=") + 1, v, 8), 2);
	assert_true(v[0] >= 28700 && v[0] <= 28709);
	assert_true(th_distinct(v, 2));
	th_run_free(&r);
	pa_run(e, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	pa_run(e, &r, "exec", "--", self, "--child", "exit", "5", NULL);
	assert_int_equal(r.status, 5);
	th_run_free(&r);
	pa_run(e, &r, "exec", "--", "portalloc-no-such-command", NULL);
	assert_int_equal(r.status, 127);
	assert_non_null(strstr(r.err, "cannot run 'portalloc-no-such-command'"));
	th_run_free(&r);
	pa_run(e, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
}

/* who finds a listener in the owner-PID table, held by this program (or,
 * under Wine before 9.17, which reports pid 0, by no process). */
static void
test_who(void **state)
{
	struct e2e *e = *state;
	char arg[32], local[40];
	struct th_run r;
	pa_socket_t l;

	l = th_listen_tcp(AF_INET, 0);
	assert_true(l != TH_BADSOCK);
	snprintf(arg, sizeof(arg), "%u/tcp", th_sock_port(l));
	snprintf(local, sizeof(local), "127.0.0.1:%u", th_sock_port(l));
	pa_run(e, &r, "who", arg, NULL);
	print_message("%s%s", r.out, r.err);
	assert_non_null(strstr(r.out, local));
	assert_non_null(strstr(r.out, "LISTEN"));
	/* Wine before 9.17 reports pid 0; later Wine and Windows ours */
	if (GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") == NULL || strstr(r.out, "(no process)") ==
	    NULL)
		assert_non_null(strstr(r.out, "test_win_cli.exe"));
	th_run_free(&r);
	th_sock_close(l);
}

/* Without persistent reservations (Wine): exit 71, "not supported here". */
static void
test_reserve_unsupported(void **state)
{
	struct e2e *e = *state;
	struct th_run r;

	if (GetProcAddress(GetModuleHandleW(L"ntdll.dll"),
	    "wine_get_version") == NULL)
		skip();     /* real Windows: this would change the machine */
	pa_run(e, &r, "reserve", "-b", "t", NULL);
	assert_int_equal(r.status, 71);
	assert_non_null(strstr(r.err, "not supported here"));
	th_run_free(&r);
}

/*
 * exec --listen (issue 16, item 1): the command gets listening sockets by
 * handle (PORTALLOC_LISTEN_HANDLES), on the ports it is told, and a client
 * reaches them; the leases end with it.
 */
static void
test_exec_listen(void **state)
{
	struct e2e *e = *state;
	char self[MAX_PATH];
	struct th_run r;

	assert_true(GetModuleFileNameA(NULL, self, sizeof(self)) > 0);
	pa_run(e, &r, "exec", "--listen", "2", "--", self, "--child",
	    "listen", NULL);
	print_message("%s%s", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "accepted 2"));
	th_run_free(&r);
	pa_run(e, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
}

/* Runs portalloc with a wide command line (the test's own th_run speaks
 * the ANSI code page); its exit code. */
static int
run_wide(struct e2e *e, const wchar_t *args)
{
	wchar_t line[2048], bin[MAX_PATH];
	PROCESS_INFORMATION pi;
	STARTUPINFOW si;
	DWORD code = 99;
	size_t i;

	for (i = 0; e->env[i] != NULL; i++)
		assert_int_equal(putenv(e->env[i]), 0);
	MultiByteToWideChar(CP_ACP, 0, e->bin, -1, bin, MAX_PATH);
	_snwprintf(line, 2047, L"\"%ls\" %ls", bin, args);
	line[2047] = L'\0';
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	assert_true(CreateProcessW(bin, line, NULL, NULL, FALSE, 0, NULL, NULL,
	    &si, &pi));
	WaitForSingleObject(pi.hProcess, INFINITE);
	GetExitCodeProcess(pi.hProcess, &code);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	return (int)code;
}

/*
 * Issue 16, item 7: a non-ASCII argument reaches the command unchanged
 * (portalloc.exe's manifest makes its code page UTF-8; Wine 8 honours it,
 * Windows from 10 1903).  Without the manifest portalloc says "not UTF-8"
 * and exits 126, in a test whose own code page is 1252.
 */
static void
test_exec_non_ascii(void **state)
{
	struct e2e *e = *state;
	wchar_t self[MAX_PATH], args[1024];
	int status;

	assert_true(GetModuleFileNameW(NULL, self, MAX_PATH) > 0);
	_snwprintf(args, 1023, L"exec -- \"%ls\" --child wide "
	    L"\"\u00e9t\u00e9 \u20ac\"", self);
	args[1023] = L'\0';
	status = run_wide(e, args);
	print_message("exit %d, ANSI code page %u\n", status, GetACP());
	assert_int_equal(status, 0);
}

/* In the child, "listen": accepts one connection on each socket of
 * PORTALLOC_LISTEN_HANDLES, checked against PORTALLOC_PORTn. */
static int
child_listen(void)
{
	const char *h = getenv("PORTALLOC_LISTEN_HANDLES"), *p;
	char name[32];
	WSADATA d;
	SOCKET s, c, a;
	int n = 0;

	if (h == NULL || WSAStartup(MAKEWORD(2, 2), &d) != 0)
		return 4;
	for (; *h != '\0'; n++) {
		s = (SOCKET)strtoull(h, (char **)&h, 10);
		if (*h == ',')
			h++;
		snprintf(name, sizeof(name), "PORTALLOC_PORT%d", n);
		if ((p = getenv(name)) == NULL ||
		    th_sock_port((pa_socket_t)s) != (uint16_t)atoi(p))
			return 5;
		c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
		{
			struct sockaddr_in sin;

			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_port = htons((u_short)atoi(p));
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (connect(c, (struct sockaddr *)&sin,
			    sizeof(sin)) != 0)
				return 6;
		}
		if ((a = accept(s, NULL, NULL)) == INVALID_SOCKET)
			return 7;
		closesocket(a);
		closesocket(c);
	}
	printf("accepted %d\n", n);
	return 0;
}

/* In the child, "wide": its argument, read as UTF-16, is "été €". */
static int
child_wide(void)
{
	wchar_t **v;
	int n, ok;

	if ((v = CommandLineToArgvW(GetCommandLineW(), &n)) == NULL)
		return 4;
	ok = n == 4 && wcscmp(v[3], L"\u00e9t\u00e9 \u20ac") == 0;
	LocalFree(v);
	return ok ? 0 : 3;
}

/* In the child: "ports" prints PORTALLOC_PORTS; "exit N" exits N;
 * "listen" and "wide" as above. */
static int
child_main(int argc, char **argv)
{
	const char *v = getenv("PORTALLOC_PORTS");

	if (argc == 4 && strcmp(argv[2], "exit") == 0)
		return atoi(argv[3]);
	if (argc == 3 && strcmp(argv[2], "listen") == 0)
		return child_listen();
	if (argc >= 3 && strcmp(argv[2], "wide") == 0)
		return child_wide();
	if (argc == 3 && strcmp(argv[2], "ports") == 0 && v != NULL) {
		printf("ports=%s\n", v);
		return 0;
	}
	return 3;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_list_release, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_listen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exec_non_ascii, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reserve_unsupported,
		    setup, teardown),
	};

	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
