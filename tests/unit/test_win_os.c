/*
 * The Windows backend's real OS table (os-win.c, net-win.c, util-win.c,
 * paths-win.c), run under Wine in CI: processes, the boot, probes, the
 * store's home (also on \\?\ paths), the config search's places, the error
 * map, and sockets that no child inherits.
 */
#include "test_win.h"

#include <sddl.h>

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
	assert_string_equal(p.name, "test_win_os.exe");
	assert_non_null(strstr(p.cmdline, "test_win_os"));
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

/* A port nobody holds right now: one the OS picked, let go. */
static uint16_t
free_port(int udp)
{
	pa_socket_t s = udp ? th_bind_udp(AF_INET, 0) :
	    th_listen_tcp(AF_INET, 0);
	uint16_t p;

	assert_true(s != TH_BADSOCK);
	p = th_sock_port(s);
	th_sock_close(s);
	return p;
}

static void
test_real_probe(void **state)
{
	const struct pa_os *os = pa__os_native();
	struct pa_addr a[3];
	struct pa_error err;
	pa_socket_t l, s;
	uint16_t p;

	(void)state;
	pa__addr_parse("127.0.0.1", &a[0]);
	pa__addr_parse("0.0.0.0", &a[1]);
	pa__addr_parse("::", &a[2]);
	l = th_listen_tcp(AF_INET, 0);
	assert_true(l != TH_BADSOCK);
	p = th_sock_port(l);
	assert_int_equal(os->probe(os->ctx, a, 3, p, PA_TCP, &err),
	    PA_EINUSE);
	/* the wildcard probe alone sees the loopback listener: it is
	 * exclusive, so its bind fails where anybody holds the port */
	assert_int_equal(os->probe(os->ctx, &a[1], 1, p, PA_TCP, &err),
	    PA_EINUSE);
	th_sock_close(l);
	p = free_port(0);
	assert_int_equal(os->probe(os->ctx, a, 3, p, PA_TCP, &err), 0);
	/* a bound socket holds its port against probes */
	p = free_port(1);
	assert_int_equal(os->bind_port(os->ctx, PA_UDP, &a[0], p, &s, &err),
	    0);
	assert_int_equal(th_sock_port(s), p);
	assert_int_equal(os->probe(os->ctx, a, 3, p, PA_UDP, &err),
	    PA_EINUSE);
	assert_int_equal(os->bind_port(os->ctx, PA_UDP, &a[0], p, &l, &err),
	    PA_EINUSE);
	os->sock_close(os->ctx, s);
	assert_int_equal(os->probe(os->ctx, a, 3, p, PA_UDP, &err), 0);
}

static void
test_real_store_home(void **state)
{
	const struct pa_os *os = pa__os_native();
	char *dir = th_tmpdir(), path[600], buf[PA_PATH_MAX];
	struct pa_error err;
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
	/* a file where a directory must go: the store named, and the hint */
	snprintf(path, sizeof(path), "%s\\a\\b\\leases.db\\c\\l.db", dir);
	memset(&err, 0, sizeof(err));
	assert_int_equal(os->prepare_store(os->ctx, path, &err), PA_ESTORE);
	assert_non_null(strstr(err.msg, "the directory of store"));
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(err.hint, PA_HINT_STORE);
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

/* The root of a path is never created; what follows it is. */
static void
test_roots(void **state)
{
	char *dir = th_tmpdir(), path[700];
	struct pa_error err;
	const struct pa_os *os = pa__os_native();

	(void)state;
	assert_int_equal(pa__win_root_len("C:\\x\\l.db"), 3);
	assert_int_equal(pa__win_root_len("\\\\srv\\share\\d\\l.db"), 12);
	assert_int_equal(pa__win_root_len("\\\\?\\C:\\d\\l.db"), 7);
	assert_int_equal(pa__win_root_len("\\\\?\\UNC\\srv\\share\\d"), 18);
	assert_int_equal(pa__win_root_len("//srv/share/d"), 12);
	assert_int_equal(pa__win_root_len("\\x"), 1);
	/* a store under \\?\: made, directories and all */
	snprintf(path, sizeof(path), "\\\\?\\%s\\n1\\n2\\l.db", dir);
	assert_int_equal(os->prepare_store(os->ctx, path, &err), 0);
	snprintf(path, sizeof(path), "%s\\n1\\n2\\l.db", dir);
	assert_true(GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES);
	th_rmtree(dir);
	free(dir);
}

/* Issue 16, item 2: the config search's places are the user's roaming
 * folder and ProgramData, never a drive's \etc. */
static void
test_config_places(void **state)
{
	char user[PA_PATH_MAX], sys[PA_PATH_MAX], pd[MAX_PATH];

	(void)state;
	th_unsetenv("XDG_CONFIG_HOME");
	pa__config_paths(user, sizeof(user), sys, sizeof(sys));
	print_message("user %s\nsystem %s\n", user, sys);
	assert_non_null(strstr(user, "\\portalloc\\portalloc.ini"));
	assert_non_null(strstr(sys, "\\portalloc\\portalloc.ini"));
	assert_true(pa__path_absolute(user) && pa__path_absolute(sys));
	assert_null(strstr(sys, "etc\\portalloc"));
	assert_null(strstr(sys, "/etc"));
	assert_true(GetEnvironmentVariableA("ProgramData", pd, sizeof(pd)) >
	    0);
	assert_true(_strnicmp(sys, pd, strlen(pd)) == 0);
}

/* Issue 16, item 6: the backend's sockets are not inheritable. */
static void
test_sockets_not_inherited(void **state)
{
	struct pa_addr lo;
	DWORD flags = 0;
	SOCKET s;

	(void)state;
	assert_int_equal(pa__win_wsa(NULL), 0);
	pa__addr_parse("127.0.0.1", &lo);
	s = pa__win_socket(&lo, PA_TCP);
	assert_true(s != INVALID_SOCKET);
	assert_true(GetHandleInformation((HANDLE)s, &flags));
	assert_int_equal(flags & HANDLE_FLAG_INHERIT, 0);
	closesocket(s);
}

/*
 * Issue 16, items 10 and 11: netsh's reports, read by their numbers only
 * (the labels are translated).
 */
static void
test_netsh_parsers(void **state)
{
	static const char dyn_en[] =
	    "\r\nProtocol tcp Dynamic Port Range\r\n"
	    "---------------------------------\r\n"
	    "Start Port      : 10000\r\nNumber of Ports : 55536\r\n";
	static const char dyn_de[] =
	    "\r\nProtokoll tcp Dynamischer Portbereich\r\n-----\r\n"
	    "Startport       : 49152\r\nAnzahl der Ports : 16384\r\n";
	static const char excl[] =
	    "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\n"
	    "Start Port    End Port\r\n----------    --------\r\n"
	    "      1540        1639\r\n     50000       50059     *\r\n"
	    "\r\n* - Administered port exclusions.\r\n";
	struct pa__win_range v[4];
	uint16_t first, last;
	size_t n;

	(void)state;
	assert_int_equal(pa__win_parse_dynamic(dyn_en, &first, &last), 0);
	assert_int_equal(first, 10000);
	assert_int_equal(last, 65535);
	assert_int_equal(pa__win_parse_dynamic(dyn_de, &first, &last), 0);
	assert_int_equal(first, 49152);
	assert_int_equal(last, 65535);
	assert_int_equal(pa__win_parse_dynamic("", &first, &last), -1);
	assert_int_equal(pa__win_parse_dynamic("Start : 60000\nN : 9000\n",
	    &first, &last), -1);    /* past 65535 */
	assert_int_equal(pa__win_parse_excluded(excl, v, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].first, 1540);
	assert_int_equal(v[0].last, 1639);
	assert_false(v[0].administered);
	assert_int_equal(v[1].first, 50000);
	assert_int_equal(v[1].last, 50059);
	assert_true(v[1].administered);
	assert_int_equal(pa__win_parse_excluded(excl, v, 1, &n), -1);
}

/* The excluded ranges now: whatever netsh says (Wine: nothing). */
static void
test_excluded_now(void **state)
{
	struct pa__win_range v[256];
	struct pa_error err;
	size_t n, i;

	(void)state;
	assert_int_equal(pa__win_excluded(PA_TCP, v, 256, &n, &err), 0);
	for (i = 0; i < n; i++)
		print_message("excluded tcp %u-%u%s\n", v[i].first, v[i].last,
		    v[i].administered ? " *" : "");
	if (wine())
		assert_int_equal(n, 0);
}

/* Issue 16, item 2: who may write the system config, from its security
 * descriptor (SDDL: O: owner, D: allow ACEs; BA Administrators, SY
 * SYSTEM, BU Users, CO creator owner). */
static int
sddl_admin_only(const wchar_t *sddl, int leaf)
{
	PSECURITY_DESCRIPTOR sd;
	char why[300];
	int rc;

	assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl,
	    SDDL_REVISION_1, &sd, NULL));
	rc = pa__win_sd_admin_only(sd, leaf, why, sizeof(why));
	print_message("%ls: %d %s\n", sddl, rc, rc ? "" : why);
	LocalFree(sd);
	return rc;
}

static void
test_admin_only(void **state)
{
	char why[400];

	(void)state;
	/* ProgramData's portalloc folder as an Administrator makes it */
	assert_true(sddl_admin_only(L"O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)"
	    L"(A;;0x1200a9;;;BU)", 1));
	/* made by a user: the user owns it */
	assert_false(sddl_admin_only(L"O:BUD:(A;;FA;;;SY)", 1));
	/* users may add files to it: portalloc.ini could be planted */
	assert_false(sddl_admin_only(L"O:SYD:(A;;FA;;;BA)(A;;0x2;;;BU)", 1));
	/* ProgramData itself: users add folders, may not replace ours */
	assert_true(sddl_admin_only(L"O:SYD:(A;;FA;;;SY)(A;;FA;;;BA)"
	    L"(A;;0x1200a9;;;BU)(A;CI;0x6;;;BU)(A;OICIIO;GA;;;CO)", 0));
	assert_false(sddl_admin_only(L"O:SYD:(A;;FA;;;SY)(A;;0x40;;;BU)", 0));
	/* no DACL: everyone may */
	assert_false(sddl_admin_only(L"O:BA", 1));
	/* a real path is read (Wine's own descriptors say what they say) */
	assert_int_not_equal(pa__win_admin_only("relative\\x.ini", why,
	    sizeof(why)), 1);
	print_message("C:\\windows\\win.ini: %d\n", pa__win_admin_only(
	    "C:\\windows\\win.ini", why, sizeof(why)));
}

/* The same descriptors as the core's file facts (uid 0: an
 * Administrator's; mode bits for others' rights). */
static void
test_file_facts(void **state)
{
	static const struct {
		const wchar_t *sddl;
		int dir;
		int64_t uid;
		unsigned mode;
	} c[] = {
		{ L"O:BAD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)", 0, 0,
		    0644 },
		{ L"O:SYD:(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x1200a9;;;BU)"
		    L"(A;CI;0x6;;;BU)(A;OICIIO;GA;;;CO)", 1, 0, 01777 },
		{ L"O:BAD:(A;;FA;;;BA)(A;;0x2;;;BU)", 0, 0, 0666 },
		{ L"O:BAD:(A;;FA;;;BA)(A;;0x40;;;BU)", 1, 0, 0777 },
		{ L"O:BA", 0, 0, 0777 },
	};
	const struct pa_os *os = pa__os_native();
	char *dir = th_tmpdir(), *path;
	PSECURITY_DESCRIPTOR sd;
	struct pa_file_read f;
	struct pa_error err;
	unsigned mode;
	int64_t uid;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(
		    c[i].sddl, SDDL_REVISION_1, &sd, NULL));
		assert_int_equal(pa__win_sd_facts(sd, c[i].dir, &uid, &mode), 0);
		LocalFree(sd);
		assert_int_equal(uid, c[i].uid);
		assert_int_equal(mode, c[i].mode);
	}
	/* a file of this user's: the user's or an Administrator's, nobody
	 * else may write it, and every folder above is listed */
	path = th_write(dir, "p.ini", "[block x]\nports = 3-4\n");
	assert_int_equal(os->file_read(os->ctx, path, 4096, &f, &err), 0);
	print_message("%s: uid %lld mode %o, %lu folders above\n", f.path,
	    (long long)f.file.uid, f.file.mode, (unsigned long)f.ndirs);
	assert_true(pa__path_absolute(f.path));
	assert_true(f.file.uid == os->self_uid(os->ctx) || f.file.uid == 0);
	assert_int_equal(f.file.mode & 0022, 0);
	assert_true(f.ndirs >= 2);
	assert_int_equal(f.dirs[0].kind, PA_FILE_DIR);
	assert_true(f.dirs[f.ndirs - 1].uid >= 0);
	pa__file_read_free(&f);
	free(path);
	th_rmtree(dir);
	free(dir);
}

/* The ephemeral range the OS table gives: netsh's on Windows, the
 * default where netsh says nothing (Wine's is a stub). */
static void
test_ephemeral_range(void **state)
{
	const struct pa_os *os = pa__os_native();
	uint16_t first, last;

	(void)state;
	assert_int_equal(os->ephemeral_range(os->ctx, &first, &last), 0);
	print_message("ephemeral %u-%u\n", first, last);
	assert_true(first > 0 && first <= last);
	if (wine()) {
		assert_int_equal(first, 49152);
		assert_int_equal(last, 65535);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_processes),
		cmocka_unit_test(test_real_probe),
		cmocka_unit_test(test_real_store_home),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_config_places),
		cmocka_unit_test(test_sockets_not_inherited),
		cmocka_unit_test(test_netsh_parsers),
		cmocka_unit_test(test_ephemeral_range),
		cmocka_unit_test(test_excluded_now),
		cmocka_unit_test(test_admin_only),
		cmocka_unit_test(test_file_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
