/*
 * OS port reservations on the real kernel, end to end with the built
 * binary.  The test process first moves itself into a private network
 * namespace (unshare(CLONE_NEWNET), root only), where
 * ip_local_reserved_ports and ip_local_port_range are its own; the
 * portalloc processes it starts inherit it.  The host's settings are never
 * written: every write checks that the namespace is not the one the test
 * started in.  Without root, or where unshare is refused, every test is
 * skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sandbox.h"

#include "portalloc/portalloc.h"

#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define RANGE "/proc/sys/net/ipv4/ip_local_port_range"
#define NOBODY 65534

static char host_netns[64];   /* where the test started */
static char test_netns[64];   /* its private namespace; "" if none */

struct e2e {
	struct sb *sb;          /* tests/support/sandbox.h */
	char *dir;              /* the sandbox's */
	char store[600];
	char dropin[600];
};

static void
netns_of_self(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/net", buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

/* Moves the test into its own network namespace, if it may. */
static void
enter_private_netns(void)
{
	struct rlimit rl;

	netns_of_self(host_netns, sizeof(host_netns));
	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "test_reserve_ns: not root, or unshare "
		    "refused (%s): skipping\n", strerror(errno));
		return;
	}
	netns_of_self(test_netns, sizeof(test_netns));
	if (strcmp(test_netns, host_netns) == 0 || sb_lo_up() != 0) {
		test_netns[0] = '\0';
		return;
	}
	/* room for the hundreds of sockets held at once */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 &&
	    rl.rlim_max >= 4096) {
		rl.rlim_cur = 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
need_netns(void)
{
	if (test_netns[0] == '\0')
		skip();
}

/* Writes a sysctl, but never the host's: only in the test's namespace. */
static void
sysctl_set(const char *path, const char *value)
{
	char now[64];
	FILE *fp;

	netns_of_self(now, sizeof(now));
	if (test_netns[0] == '\0' || strcmp(now, host_netns) == 0 ||
	    strcmp(now, test_netns) != 0)
		fail_msg("refusing to write %s outside the test's namespace",
		    path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(fprintf(fp, "%s\n", value) > 0);
	assert_int_equal(fclose(fp), 0);
}

/* The sysctl's text without its newline; malloc'd. */
static char *
sysctl_get(const char *path)
{
	char *s = th_read(path, NULL);

	assert_non_null(s);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

static void
expect_reserved(const char *want)
{
	char *now = sysctl_get(RESERVED);

	assert_string_equal(now, want);
	free(now);
}

static int
setup(void **state)
{
	struct e2e *e = calloc(1, sizeof(*e));

	e->sb = sb_new();
	e->dir = e->sb->dir;
	snprintf(e->store, sizeof(e->store), "%s", e->sb->store);
	snprintf(e->dropin, sizeof(e->dropin), "%s/sysctl.d/"
	    "60-portalloc.conf", e->dir);
	sb_setenv(e->sb, "PORTALLOC_SYSCTL_DROPIN", e->dropin);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct e2e *e = *state;

	sb_free(e->sb);
	free(e);
	return 0;
}

/* Runs portalloc as uid (-1: as we are) with up to 12 arguments. */
static void
pa_run_as(struct e2e *e, long uid, struct th_run *r, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;
	int n;

	va_start(ap, r);
	n = th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	th_run_as(r, uid, e->dir, e->sb->env, argv);
	/* cut: cmocka's messages are short */
	print_message("$ portalloc %s %s%s\n%.400s%.400s\n[exit %d]\n",
	    argv[1], n > 2 ? argv[2] : "", n > 3 ? " ..." : "", r->out,
	    r->err, r->status);
}

#define pa_run(e, r, ...) pa_run_as((e), -1, (r), __VA_ARGS__)

/* Runs portalloc, expecting exit code want; frees the output. */
#define pa_ok(e, want, ...) do {                                        \
	struct th_run r_;                                               \
	pa_run_as((e), -1, &r_, __VA_ARGS__);                           \
	assert_int_equal(r_.status, (want));                            \
	th_run_free(&r_);                                               \
} while (0)

static char *
config(struct e2e *e, const char *text)
{
	return th_write(e->dir, "portalloc.ini", text);
}

/* The port a socket was given. */
static unsigned
local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket bound to port 0 (the kernel picks); -1 if none is left. */
static int
bind_any(int family, int type)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int fd = socket(family, type | SOCK_CLOEXEC, 0), rc;

	assert_true(fd >= 0);
	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		rc = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	if (rc != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Binds up to n sockets to port 0, all held open at once (so that each
 * gets a port of its own); returns how many got a port in first..last.
 * With stop_at_hit it stops at the first such port.
 */
static unsigned
auto_binds(int family, int type, unsigned n, unsigned first,
    unsigned last, int stop_at_hit, unsigned *bound)
{
	int *fds = calloc(n, sizeof(*fds));
	unsigned i, k = 0, hits = 0, p;

	assert_non_null(fds);
	for (i = 0; i < n && !(stop_at_hit && hits > 0); i++) {
		if ((fds[k] = bind_any(family, type)) < 0)
			break;
		p = local_port(fds[k++]);
		assert_in_range(p, 20000, 20999);
		hits += p >= first && p <= last;
	}
	*bound = k;
	while (k > 0)
		close(fds[--k]);
	free(fds);
	return hits;
}

/*
 * Opens up to n TCP connections to a listener on 127.0.0.1, all held at
 * once; returns how many got a local port in first..last.
 */
static unsigned
auto_connects(unsigned n, unsigned first, unsigned last, unsigned *made)
{
	struct sockaddr_in sin;
	int *fds = calloc(n, sizeof(*fds)), lfd, afd;
	unsigned i, hits = 0, p;

	assert_non_null(fds);
	lfd = th_listen_tcp(AF_INET, 21000);   /* outside the range */
	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(21000);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		/* take it off the backlog; the client end stays open */
		afd = accept(lfd, NULL, NULL);
		assert_true(afd >= 0);
		close(afd);
		p = local_port(fds[i]);
		assert_in_range(p, 20000, 20999);
		hits += p >= first && p <= last;
	}
	*made = n;
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(lfd);
	free(fds);
	return hits;
}

/*
 * After reserve, hundreds of automatic binds (TCP, UDP, IPv4, IPv6) and
 * outgoing connections never get a block port, while an explicit bind to
 * one still works.  Before it, they do get block ports: the check can fail.
 */
static void
test_reserve_keeps_automatic_ports_out(void **state)
{
	struct e2e *e = *state;
	char *cfg;
	unsigned n, made;
	int fd;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "");
	cfg = config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n");
	/* without the reservation: 10% of the range, hit within 900 */
	assert_true(auto_binds(AF_INET, SOCK_STREAM, 900, 20100, 20199, 1,
	    &n) > 0);
	pa_ok(e, 0, "reserve", NULL);
	expect_reserved("20100-20199");
	assert_int_equal(auto_binds(AF_INET, SOCK_STREAM, 400, 20100, 20199,
	    0, &n), 0);
	assert_int_equal(n, 400);
	assert_int_equal(auto_binds(AF_INET, SOCK_DGRAM, 300, 20100, 20199,
	    0, &n), 0);
	assert_int_equal(n, 300);
	assert_int_equal(auto_binds(AF_INET6, SOCK_STREAM, 300, 20100, 20199,
	    0, &n), 0);
	assert_int_equal(n, 300);
	assert_int_equal(auto_binds(AF_INET6, SOCK_DGRAM, 300, 20100, 20199,
	    0, &n), 0);
	assert_int_equal(n, 300);
	assert_int_equal(auto_connects(400, 20100, 20199, &made), 0);
	assert_int_equal(made, 400);
	/* a test server binding a block port explicitly still can */
	fd = th_listen_tcp(AF_INET, 20150);
	assert_true(fd >= 0);
	close(fd);
	fd = th_bind_udp(AF_INET6, 20199);
	assert_true(fd >= 0);
	close(fd);
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("");
	free(cfg);
}

/* unreserve puts back the exact value, whatever was there before or was
 * added since, inside the block too. */
static void
test_unreserve_restores_exact_value(void **state)
{
	struct e2e *e = *state;
	struct th_run r;
	char *cfg;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "1,5-9,20150,30000-30010");
	cfg = config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n");
	pa_run(e, &r, "reserve", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "reserved block r (20100-20199, "
	    "runtime) in net:["));
	assert_non_null(strstr(r.out, "added 20100-20149,20151-20199\n"));
	assert_non_null(strstr(r.out, "1,5-9,20150,30000-30010 -> "
	    "1,5-9,20100-20199,30000-30010\n"));
	th_run_free(&r);
	expect_reserved("1,5-9,20100-20199,30000-30010");
	/* idempotent */
	pa_run(e, &r, "reserve", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "was reserved in net:["));
	assert_non_null(strstr(r.out, "(unchanged)"));
	th_run_free(&r);
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("1,5-9,20150,30000-30010");
	/* again, with an entry somebody else added in between */
	pa_ok(e, 0, "reserve", NULL);
	sysctl_set(RESERVED, "1,5-9,20100-20199,30000-30010,40000");
	pa_run(e, &r, "unreserve", "-b", "r", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "unreserved block r (20100-20199) in "
	    "net:["));
	th_run_free(&r);
	expect_reserved("1,5-9,20150,30000-30010,40000");
	pa_run(e, &r, "unreserve", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "nothing to undo"));
	th_run_free(&r);
	expect_reserved("1,5-9,20150,30000-30010,40000");
	free(cfg);
}

/* Runs /bin/sh -c script in a fresh network namespace of its own. */
static void
run_in_fresh_netns(struct th_run *r, const char *script)
{
	char out[700], *dir = th_tmpdir();
	pid_t pid;
	int status, fd;

	snprintf(out, sizeof(out), "%s/out", dir);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
		    unshare(CLONE_NEWNET) != 0)
			_exit(125);
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(126);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	r->out = th_read(out, NULL);
	r->err = NULL;
	th_rmtree(dir);
	free(dir);
}

/* A persistent reserve writes a drop-in that `sysctl -p` applies in a
 * fresh namespace (what a boot does); unreserve removes it. */
static void
test_persistent_dropin_applies(void **state)
{
	struct e2e *e = *state;
	struct th_run r;
	struct stat st;
	char *cfg, *text, script[1200];

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "7");
	cfg = config(e, "[block p]\nports = 20300-20309\n"
	    "reserve = persistent\n[block r]\nports = 20100-20199\n"
	    "reserve = runtime\n");
	pa_run(e, &r, "reserve", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "written, reserves 20300-20309 at "
	    "boot"));
	th_run_free(&r);
	expect_reserved("7,20100-20199,20300-20309");
	assert_int_equal(stat(e->dropin, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	text = th_read(e->dropin, NULL);
	assert_non_null(strstr(text, "\nnet.ipv4.ip_local_reserved_ports = "
	    "20300-20309\n"));
	free(text);
	snprintf(script, sizeof(script), "PATH=/usr/sbin:/sbin:/usr/bin:/bin; "
	    "command -v sysctl >/dev/null || { echo 'no sysctl (procps)'; "
	    "exit 3; }; printf '[%%s]' \"$(cat " RESERVED ")\"; "
	    "sysctl -q -p '%s' || exit 4; printf '[%%s]' \"$(cat " RESERVED
	    ")\"", e->dropin);
	run_in_fresh_netns(&r, script);
	print_message("fresh namespace: %s\n", r.out);
	assert_int_equal(r.status, 0);
	/* empty at first (not ours, not the host's), then the block */
	assert_string_equal(r.out, "[][20300-20309]");
	th_run_free(&r);
	/* our own namespace is as it was */
	expect_reserved("7,20100-20199,20300-20309");
	pa_run(e, &r, "unreserve", "-b", "p", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "drop-in"));
	assert_non_null(strstr(r.out, ": removed\n"));
	th_run_free(&r);
	assert_int_equal(access(e->dropin, F_OK), -1);
	expect_reserved("7,20100-20199");
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("7");
	free(cfg);
}

/* Rows in the store's reservation table; 0 when there is no store. */
static long
store_rows(struct e2e *e)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long n = 0;

	if (access(e->store, F_OK) != 0)
		return 0;
	assert_int_equal(sqlite3_open_v2(e->store, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM reservation", -1,
	    &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Without CAP_NET_ADMIN: 77, why, and nothing written: not the
 * list, not the drop-in, not the store.  get says the same. */
static void
test_without_privilege(void **state)
{
	struct e2e *e = *state;
	struct th_run r;
	char *cfg;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "1,5-9");
	cfg = config(e, "[block p]\nports = 20300-20309\n"
	    "reserve = persistent\n");
	assert_int_equal(chown(e->dir, NOBODY, NOBODY), 0);
	pa_run_as(e, NOBODY, &r, "reserve", NULL);
	assert_int_equal(r.status, 77);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, RESERVED ": Permission denied"));
	assert_non_null(strstr(r.err, "nothing was changed"));
	/* what to run is the CLI's wording of the library's hint, not part
	 * of the library's message */
	th_run_free(&r);
	expect_reserved("1,5-9");
	assert_int_equal(access(e->dropin, F_OK), -1);
	assert_int_equal(store_rows(e), 0);
	/* get from the unreserved block: refused, nothing leased */
	pa_run_as(e, NOBODY, &r, "get", "-b", "p", NULL);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, "block 'p' (20300-20309) has reserve = "
	    "persistent, but the OS does not reserve it"));
	th_run_free(&r);
	pa_run_as(e, NOBODY, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	/* root reserves once (from a file in a directory of its own: it
	 * refuses one that another user could have written, issue 19);
	 * then anybody can lease from it */
	assert_int_equal(chown(e->dir, 0, 0), 0);
	assert_int_equal(chmod(e->dir, 0755), 0);
	pa_ok(e, 0, "reserve", NULL);
	pa_run_as(e, NOBODY, &r, "get", "-b", "p", "--owner", "1", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "20300\n");
	th_run_free(&r);
	/* and nobody may undo it */
	pa_run_as(e, NOBODY, &r, "unreserve", NULL);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, RESERVED ": Permission denied"));
	th_run_free(&r);
	expect_reserved("1,5-9,20300-20309");
	assert_int_equal(access(e->dropin, F_OK), 0);
	assert_int_equal(store_rows(e), 1);
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("1,5-9");
	free(cfg);
}

/* get from a runtime block reserves it first. */
static void
test_get_reserves_its_block(void **state)
{
	struct e2e *e = *state;
	struct th_run r;
	char *cfg;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "");
	cfg = config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n");
	pa_run(e, &r, "get", "-n", "3", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "20100\n20101\n20102\n");
	th_run_free(&r);
	expect_reserved("20100-20199");
	pa_run(e, &r, "reservations", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"block\":\"r\""));
	assert_non_null(strstr(r.out, "\"recorded\":true"));
	assert_non_null(strstr(r.out, "\"added\":\"20100-20199\""));
	th_run_free(&r);
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("");
	free(cfg);
}

/*
 * Concurrent reserves, each with its own store, so that only the lock on
 * the list keeps them from losing each other's update: every block ends
 * up reserved.
 */
static void
test_concurrent_reserves(void **state)
{
	enum { PROCS = 12 };
	struct e2e *e = *state;
	char text[2048], name[16], store[700], *full[10], *cfg;
	char *argv[] = { PORTALLOC_BIN, "reserve", "-b", name, NULL };
	pid_t pids[PROCS];
	int gate[2], i, k, status, fd;
	size_t off = 0;
	char c;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "3");
	for (i = 0; i < PROCS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[block b%d]\nports = %d-%d\nreserve = runtime\n", i,
		    20700 + 10 * i, 20709 + 10 * i);
	cfg = config(e, text);
	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < PROCS; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		snprintf(store, sizeof(store), "PORTALLOC_STORE=%s/s%d.db",
		    e->dir, i);
		for (k = 0; e->sb->env[k]; k++)
			full[k] = e->sb->env[k];
		/* the sandbox names the store first */
		assert_int_equal(strncmp(full[0], "PORTALLOC_STORE=", 16), 0);
		full[0] = store;
		full[k++] = "PATH=/usr/bin:/bin";
		full[k] = NULL;
		fflush(NULL);
		if ((pids[i] = fork()) == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0 || chdir(e->dir) != 0)
				_exit(125);
			fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			execve(argv[0], argv, full);
			_exit(126);
		}
	}
	close(gate[0]);
	close(gate[1]);   /* all start at once */
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	expect_reserved("3,20700-20819");
	free(cfg);
}

/* reservations: the namespace, the list, the ephemeral range, blocks and
 * warnings, among them a reservation the OS lost. */
static void
test_reservations_report(void **state)
{
	struct e2e *e = *state;
	struct th_run r;
	char want[200], *cfg;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "9");
	cfg = config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n"
	    "[block p]\nports = 20300-20309\nreserve = persistent\n");
	pa_run(e, &r, "reservations", NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "network namespace: %s\n", test_netns);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "reserved ports:    9\n"));
	assert_non_null(strstr(r.out, "ephemeral range:   20000-20999\n"));
	assert_non_null(strstr(r.out, "warning: block 'r' (20100-20199) lies "
	    "in the ephemeral port range 20000-20999, but the OS reserves "
	    "only 0 of its 100 ports"));
	assert_non_null(strstr(r.out, "is missing: it will not be reserved "
	    "after a reboot"));
	th_run_free(&r);
	pa_ok(e, 0, "reserve", NULL);
	pa_run(e, &r, "reservations", "--json", NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "{\"netns\":\"%s\",\"reserved\":"
	    "\"9,20100-20199,20300-20309\",\"ephemeral\":{\"first\":20000,"
	    "\"last\":20999}", test_netns);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "\"shape\":\"list\""));
	assert_non_null(strstr(r.out, "\"warnings\":[]}"));
	th_run_free(&r);
	/* a "reboot" that kept neither the list nor the drop-in */
	sysctl_set(RESERVED, "9");
	assert_int_equal(unlink(e->dropin), 0);
	pa_run(e, &r, "reservations", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "warning: the OS lost the reservation "
	    "portalloc made of block 'r' (20100-20199)"));
	assert_non_null(strstr(r.out, "warning: block 'p' (20300-20309) is "
	    "persistent, but the drop-in"));
	th_run_free(&r);
	pa_ok(e, 0, "reserve", NULL);
	expect_reserved("9,20100-20199,20300-20309");
	assert_int_equal(access(e->dropin, F_OK), 0);
	pa_ok(e, 0, "unreserve", NULL);
	expect_reserved("9");
	free(cfg);
}

/* Sets the reserved list in one write() per page the kernel takes, the
 * way a long list must be written (stdio could cut a number in two). */
static void
set_long_list(const char *text)
{
	size_t len = strlen(text), off = 0;
	char now[64];
	ssize_t n;
	int fd;

	netns_of_self(now, sizeof(now));
	if (test_netns[0] == '\0' || strcmp(now, test_netns) != 0)
		fail_msg("refusing to write outside the test's namespace");
	fd = open(RESERVED, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	while (off < len) {
		n = write(fd, text + off, len - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	assert_int_equal(close(fd), 0);
}

/* The list in one read(): the kernel answers a second one with nothing. */
static char *
get_long_list(void)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	ssize_t n;
	int fd = open(RESERVED, O_RDONLY | O_CLOEXEC);

	assert_non_null(buf);
	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n > 0);
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* A list of ~100 KB (every odd port from 30001) goes through reserve and
 * unreserve whole: many pages written, one long read. */
static void
test_long_list(void **state)
{
	struct e2e *e = *state;
	char *list, *want, *now, *cfg;
	size_t off = 0, cap = 1 << 18;
	unsigned p;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	list = malloc(cap);
	assert_non_null(list);
	for (p = 30001; p <= 65535; p += 2)
		off += (size_t)snprintf(list + off, cap - off, "%s%u",
		    off ? "," : "", p);
	assert_true(off > 100000 && off < cap - 1);
	set_long_list(list);
	now = get_long_list();
	assert_string_equal(now, list);
	free(now);
	cfg = config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n");
	pa_ok(e, 0, "reserve", "--json", NULL);
	assert_int_not_equal(asprintf(&want, "20100-20199,%s", list), -1);
	now = get_long_list();
	assert_string_equal(now, want);
	free(now);
	free(want);
	pa_ok(e, 0, "unreserve", "--json", NULL);
	now = get_long_list();
	assert_string_equal(now, list);
	free(now);
	sysctl_set(RESERVED, "");
	free(list);
	free(cfg);
}

/* Help, usage errors and an unknown block: nothing of the OS is touched. */
static void
test_help_and_usage(void **state)
{
	static const char *const cmds[] = { "reserve", "unreserve",
	    "reservations" };
	struct e2e *e = *state;
	struct th_run r;
	char want[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		pa_run(e, &r, cmds[i], "--help", NULL);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof(want), "usage: portalloc %s ", cmds[i]);
		assert_non_null(strstr(r.out, want));
		th_run_free(&r);
		pa_run(e, &r, cmds[i], "extra", NULL);
		assert_int_equal(r.status, 2);
		th_run_free(&r);
		pa_run(e, &r, cmds[i], "--frob", NULL);
		assert_int_equal(r.status, 2);
		th_run_free(&r);
	}
	pa_run(e, &r, "--help", NULL);
	assert_non_null(strstr(r.out, "  reservations "));
	th_run_free(&r);
	assert_int_equal(access(e->store, F_OK), -1);
	need_netns();
	sysctl_set(RANGE, "20000 20999");
	free(config(e, "[block r]\nports = 20100-20199\nreserve = runtime\n"));
	pa_run(e, &r, "reserve", "-b", "nosuch", NULL);
	assert_int_equal(r.status, 65);
	assert_non_null(strstr(r.err, "no block 'nosuch' in portalloc.ini"));
	th_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_reserve_keeps_automatic_ports_out, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_unreserve_restores_exact_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_persistent_dropin_applies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_privilege, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_get_reserves_its_block,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_reserves,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reservations_report,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_and_usage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_long_list, setup,
		    teardown),
	};

	enter_private_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
