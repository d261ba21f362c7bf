/*
 * exec's child on Windows (spawn-win.c, cmdline-win.c), run under Wine in
 * CI: this program run again with --child.
 *
 * - Arguments come through the C runtime's quoting unchanged, also
 *   non-ASCII ones (checked as UTF-16 in the child, whatever its code
 *   page); the environment arrives; the exit code comes back; a missing
 *   command is 127.
 * - The command is found through PATH and PATHEXT (a .cmd by its bare
 *   name), never in the current folder; a batch file gets its arguments
 *   quoted for cmd.exe (& and spaces intact) and one that cmd.exe cannot
 *   carry (% ") is refused, the command not run.
 * - exec --listen: the sockets named in PORTALLOC_LISTEN_HANDLES reach the
 *   child and are the ones bound; an inheritable handle not named does
 *   not (PROC_THREAD_ATTRIBUTE_HANDLE_LIST).
 */
#include "test_win.h"

#include <shellapi.h>

#include "os/spawn.h"

static const char *const child_args[] = { "a b", "c\"d", "e\\", "f\\\\\"g",
    "", "h", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac" };
#define NCHILD_ARGS (sizeof(child_args) / sizeof(child_args[0]))

/* Is the child's wide argument i (from its own command line) arg? */
static int
wide_arg_is(int i, const char *arg)
{
	wchar_t **wv, *w;
	int n, same;

	if ((wv = CommandLineToArgvW(GetCommandLineW(), &n)) == NULL ||
	    i >= n)
		return 0;
	w = pa__win_wide(arg);
	same = w != NULL && wcscmp(wv[i], w) == 0;
	free(w);
	LocalFree(wv);
	return same;
}

/* In the child, --listen: the handles of PORTALLOC_LISTEN_HANDLES are
 * listening sockets on PORTALLOC_PORT0..; the handle in STRAY is not
 * ours.  0, or 4 and more. */
static int
child_listen(void)
{
	const char *h = getenv("PORTALLOC_LISTEN_HANDLES");
	const char *p0 = getenv("PORTALLOC_PORT0"), *stray = getenv("STRAY");
	WSADATA d;
	DWORD flags;

	if (h == NULL || p0 == NULL || stray == NULL)
		return 4;
	if (WSAStartup(MAKEWORD(2, 2), &d) != 0)
		return 5;
	if (th_sock_port((pa_socket_t)strtoull(h, NULL, 10)) !=
	    (uint16_t)atoi(p0))
		return 6;
	if (GetHandleInformation((HANDLE)(intptr_t)strtoll(stray, NULL, 10),
	    &flags))
		return 7;
	return 0;
}

/* In the child: 0 if the arguments came through unchanged and
 * PORTALLOC_PORT0 is 12345; 3 otherwise; argv[2] may ask for an exit
 * code or the --listen checks instead. */
static int
child_main(int argc, char **argv)
{
	const char *v = getenv("PORTALLOC_PORT0");
	size_t i;

	if (argc == 4 && strcmp(argv[2], "--exit") == 0)
		return atoi(argv[3]);
	if (argc == 3 && strcmp(argv[2], "--listen") == 0)
		return child_listen();
	if (argc != 2 + (int)NCHILD_ARGS || v == NULL ||
	    strcmp(v, "12345") != 0)
		return 3;
	for (i = 0; i < NCHILD_ARGS; i++)
		if (!wide_arg_is(2 + (int)i, child_args[i]))
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
	if (go_rc != 0)
		print_message("go: %s\n", err.msg);
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
	assert_int_equal(run_child(none, NULL, 0, PA_ENOENT), 127);
}

/* A batch file that exits 0 when its arguments are "a&b", "c d" and
 * "x^y", each intact. */
#define SCRIPT \
	"@echo off\r\n" \
	"if not \"%~1\"==\"a&b\" exit /b 11\r\n" \
	"if not \"%~2\"==\"c d\" exit /b 12\r\n" \
	"if not \"%~3\"==\"x^y\" exit /b 13\r\n" \
	"exit /b 0\r\n"

/* Issue 16, item 8: PATH and PATHEXT, never the current folder; batch
 * arguments quoted for cmd.exe, or refused. */
static void
test_path_and_batch(void **state)
{
	char *dir = th_tmpdir(), *cwd = th_tmpdir(), *f, old[4096], path[5000];
	char *ok[] = { "pa-test-script", "a&b", "c d", "x^y", NULL };
	char *pct[] = { "pa-test-script", "100%", NULL };
	char *quote[] = { "pa-test-script", "a\"b", NULL };
	char *here[] = { "pa-test-here", NULL };
	char prev[MAX_PATH];

	(void)state;
	f = th_write(dir, "pa-test-script.cmd", SCRIPT);
	free(f);
	f = th_write(cwd, "pa-test-here.cmd", "@exit /b 0\r\n");
	free(f);
	assert_true(GetEnvironmentVariableA("PATH", old, sizeof(old)) > 0);
	snprintf(path, sizeof(path), "%s;%s", dir, old);
	th_setenv("PATH", path);
	assert_true(GetCurrentDirectoryA(sizeof(prev), prev) > 0);
	assert_true(SetCurrentDirectoryA(cwd));
	assert_int_equal(run_child(ok, NULL, 0, 0), 0);
	assert_int_equal(run_child(pct, NULL, 0, PA_EUSAGE), 126);
	assert_int_equal(run_child(quote, NULL, 0, PA_EUSAGE), 126);
	/* in the current folder, not on PATH: not found */
	assert_int_equal(run_child(here, NULL, 0, PA_ENOENT), 127);
	assert_true(SetCurrentDirectoryA(prev));
	th_setenv("PATH", old);
	th_rmtree(dir);
	th_rmtree(cwd);
	free(dir);
	free(cwd);
}

/* The command lines themselves, for what the child cannot show. */
static void
test_batch_lines(void **state)
{
	char *a[] = { "x", "a&b", "", "p,q", "plain", NULL };
	char *bad[] = { "x", "line\nend", NULL };
	struct pa_error err;
	char *line;

	(void)state;
	assert_int_equal(pa__win_batch_line("C:\\d\\s.cmd", a, &line, &err),
	    0);
	assert_string_equal(line, "cmd.exe /d /v:off /s /c \"\"C:\\d\\s.cmd\" "
	    "\"a&b\" \"\" \"p,q\" plain\"");
	free(line);
	assert_int_equal(pa__win_batch_line("C:\\s.bat", bad, &line, &err),
	    PA_EUSAGE);
	assert_non_null(strstr(err.msg, "cannot pass argument 1"));
}

/* Issue 16, items 1 and 6: exec --listen hands over exactly the named
 * sockets. */
static void
test_listen_handles(void **state)
{
	char self[MAX_PATH], port[40], stray[40];
	char *argv[] = { self, "--child", "--listen", NULL };
	char *env[] = { port, stray };
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	const struct pa_os *os;
	struct pa_child *c;
	struct pa_error err;
	struct pa_addr lo;
	HANDLE ev;
	int64_t pid;
	int fd, status;

	(void)state;
	assert_true(GetModuleFileNameA(NULL, self, sizeof(self)) > 0);
	assert_int_equal(pa__win_wsa(NULL), 0);
	pa__addr_parse("127.0.0.1", &lo);
	os = pa__os_native();
	assert_int_equal(os->listen(os->ctx, &lo, 0, &fd, &err), 0);
	snprintf(port, sizeof(port), "PORTALLOC_PORT0=%u",
	    th_sock_port((pa_socket_t)fd));
	/* inheritable, but not for this child */
	assert_non_null(ev = CreateEventW(&sa, TRUE, FALSE, NULL));
	snprintf(stray, sizeof(stray), "STRAY=%lld",
	    (long long)(intptr_t)ev);
	assert_int_equal(pa__child_start(argv, &c, &pid, &err), 0);
	assert_int_equal(pa__child_go_fds(c, env, 2, &fd, 1, &err), 0);
	assert_int_equal(pa__child_wait(c, &status, &err), 0);
	assert_int_equal(status, 0);
	CloseHandle(ev);
	os->unlisten(os->ctx, fd);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spawn),
		cmocka_unit_test(test_path_and_batch),
		cmocka_unit_test(test_batch_lines),
		cmocka_unit_test(test_listen_handles),
	};

	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
