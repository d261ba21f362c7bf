/*
 * portalloc accel on the real kernel: the holders who finds through the
 * pinned BPF iterator are exactly those the /proc scan finds (shared
 * listeners, SCM_RIGHTS, threads, v4 and v6, UDP, TIME-WAIT, a port nobody
 * holds), and the scan is taken, and said, when the pin is missing, this
 * user may not read it, or the process is in a PID namespace of its own.  Root only, in a private network namespace so the
 * ports are the test's own; the pin goes to a directory of the test's own
 * (PORTALLOC_BPF_PIN_DIR=/sys/fs/bpf/portalloc-test-PID), removed at the
 * end, in a bpffs of its own (a private mount namespace) where it can.  Skipped without root, BTF or a build with PORTALLOC_BPF.
 */
#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox.h"

#include <linux/bpf.h>
#include <linux/types.h>
#include <sys/syscall.h>

#include "os/linux/linux.h"
#include "os/linux/bpf/sockfd.h"

#define NOBODY 65534      /* nobody, and nogroup */
#define OTHER_GID 65533   /* a group that may not read the pin */

static int ready;         /* root, namespace, pin: the tests can run */
static int own_bpffs;     /* a private bpffs mounted 0700 */
static char pindir[64];
static char pinenv[96];

/* One holder row, for comparing the two sources. */
struct row {
	int64_t pid;
	uint64_t inode;
	int state;
	unsigned proto;
	int family;
	int64_t ppid, uid;
	char name[16], cmd[48];     /* cut, zero-padded: compared whole */
};

/* pa_accel_on with accel_group = nogroup. */
static int
accel_on(struct pa_accel_status *st, struct pa_error *err)
{
	struct pa_config *cfg = NULL;
	int rc;

	rc = pa_config_parse_string(&cfg, "[portalloc]\naccel_group = "
	    "nogroup\n", "test.ini", err);
	if (rc == 0)
		rc = pa_accel_on(cfg, st, err);
	pa_config_free(cfg);
	return rc;
}

static int
setup(void **state)
{
	struct pa_accel_status st;
	struct pa_error err;

	(void)state;
	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0 || sb_lo_up() != 0) {
		fprintf(stderr, "test_accel: not root, or no network namespace"
		    ": skipping\n");
		return 0;
	}
	/* a bpffs of our own, 0700 as systemd mounts it, where we may */
	if (unshare(CLONE_NEWNS) == 0 &&
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") == 0)
		own_bpffs = 1;
	snprintf(pindir, sizeof(pindir), "/sys/fs/bpf/portalloc-test-%d",
	    (int)getpid());
	snprintf(pinenv, sizeof(pinenv), "PORTALLOC_BPF_PIN_DIR=%s", pindir);
	setenv("PORTALLOC_BPF_PIN_DIR", pindir, 1);
	unsetenv("PORTALLOC_ACCEL");
	memset(&err, 0, sizeof(err));
	if (accel_on(&st, &err) != 0) {
		fprintf(stderr, "test_accel: accel on: %s: skipping\n",
		    err.msg);
		return 0;
	}
	ready = 1;
	return 0;
}

static int
teardown(void **state)
{
	struct pa_accel_status st;

	(void)state;
	if (pindir[0]) {
		pa_accel_off(&st, NULL);
		rmdir(pindir);
	}
	return 0;
}

static int
by_row(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct row));
}

/*
 * How who_rows asks: through the pin as portalloc does (the pin's timing
 * decides whether its thread joins while the dumps run), with that thread
 * joining every time (PORTALLOC_PIN_JOIN=stream), or by the /proc scan
 * (PORTALLOC_ACCEL=0).
 */
enum { SCAN, PIN, PIN_STREAM };

/* The holders of the ports q[0..nq), asked as how says, as rows, sorted;
 * how many; *source says where they came from. */
static size_t
who_rows_q(const struct pa_port_query *q, size_t nq, int how,
    struct row *v, size_t max, const char **source)
{
	struct pa_holder *h;
	struct pa_error err;
	unsigned unreadable;
	size_t n, i;
	int rc;

	unsetenv("PORTALLOC_ACCEL");
	unsetenv("PORTALLOC_PIN_JOIN");
	if (how == SCAN)
		setenv("PORTALLOC_ACCEL", "0", 1);
	if (how == PIN_STREAM)
		setenv("PORTALLOC_PIN_JOIN", "stream", 1);
	memset(&err, 0, sizeof(err));
	rc = pa_who_from(q, nq, &h, &n, &unreadable, source, &err);
	unsetenv("PORTALLOC_ACCEL");
	unsetenv("PORTALLOC_PIN_JOIN");
	if (rc != 0)
		return (size_t)-1;
	memset(v, 0, max * sizeof(*v));
	for (i = 0; i < n && i < max; i++) {
		v[i].pid = h[i].pid;
		v[i].inode = h[i].inode;
		v[i].state = h[i].state;
		v[i].proto = h[i].proto;
		v[i].family = h[i].family;
		v[i].ppid = h[i].ppid;
		v[i].uid = h[i].uid;
		strncpy(v[i].name, h[i].name, sizeof(v[i].name) - 1);
		strncpy(v[i].cmd, h[i].cmdline, sizeof(v[i].cmd) - 1);
	}
	pa_holders_free(h);
	n = n < max ? n : max;
	qsort(v, n, sizeof(*v), by_row);
	return n;
}

/* The holders of port; with accel 0, by the /proc scan. */
static size_t
who_rows(uint16_t port, int accel, struct row *v, size_t max,
    const char **source)
{
	struct pa_port_query q = { port, port, 0 };

	return who_rows_q(&q, 1, accel ? PIN : SCAN, v, max, source);
}

/* The pin, joined either way, gives the rows the scan gives for q[0..nq)
 * (as v[0..max) holds them); their number. */
static size_t
assert_same_q(const struct pa_port_query *q, size_t nq, struct row *v,
    size_t max)
{
	struct row *w = calloc(max, sizeof(*w)), *x = calloc(max, sizeof(*x));
	const char *s1, *s2, *s3;
	size_t n1, n2, n3;

	assert_true(w != NULL && x != NULL);
	n1 = who_rows_q(q, nq, PIN, v, max, &s1);
	n2 = who_rows_q(q, nq, SCAN, w, max, &s2);
	n3 = who_rows_q(q, nq, PIN_STREAM, x, max, &s3);
	assert_true(n1 != (size_t)-1 && n2 != (size_t)-1 &&
	    n3 != (size_t)-1);
	/* with no socket of a process (none, or TIME-WAIT), no pids asked */
	if (n1 > 0 && v[0].inode != 0) {
		assert_non_null(strstr(s1, "bpf pin"));
		assert_null(strstr(s1, "scan"));
		assert_string_equal(s1, s3);
		assert_non_null(strstr(s2, "/proc scan (PORTALLOC_ACCEL=0)"));
	}
	assert_int_equal(n1, n2);
	assert_int_equal(n3, n2);
	assert_memory_equal(v, w, n1 * sizeof(*v));
	assert_memory_equal(x, w, n3 * sizeof(*v));
	free(w);
	free(x);
	return n1;
}

static size_t
assert_same(uint16_t port, struct row *v, size_t max)
{
	struct pa_port_query q = { port, port, 0 };

	return assert_same_q(&q, 1, v, max);
}

static int
has_pid(const struct row *v, size_t n, int64_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].pid == pid)
			return 1;
	return 0;
}

/* A child that holds what it inherited until killed. */
static pid_t
idle_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	assert_true(pid > 0);
	return pid;
}

static void
reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

#define NEED_READY() do { if (!ready) skip(); } while (0)

/* A listener shared by fork: every process holding it is listed. */
static void
test_shared_listener(void **state)
{
	pa_socket_t s = th_listen_tcp(AF_INET, 0);
	struct row v[16];
	pid_t a, b;
	size_t n;

	(void)state;
	NEED_READY();
	assert_true(s != TH_BADSOCK);
	a = idle_child();
	b = idle_child();
	n = assert_same(th_sock_port(s), v, 16);
	assert_int_equal(n, 3);
	assert_true(has_pid(v, n, a) && has_pid(v, n, b) &&
	    has_pid(v, n, getpid()));
	reap(a);
	reap(b);
	th_sock_close(s);
}

/* A UDP v6 socket passed with SCM_RIGHTS: sender and receiver hold it. */
static void
test_scm_rights(void **state)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *cm;
	struct row v[16];
	int sp[2], fd;
	pid_t a;

	(void)state;
	NEED_READY();
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if ((a = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = th_bind_udp(AF_INET6, 0);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(sp[1], &m, 0) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(recvmsg(sp[0], &m, 0), 1);
	cm = CMSG_FIRSTHDR(&m);
	assert_non_null(cm);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	assert_int_equal(assert_same(th_sock_port(fd), v, 16), 2);
	assert_true(has_pid(v, 2, a) && has_pid(v, 2, getpid()));
	assert_true(v[0].proto == PA_UDP && v[0].family == 6);
	reap(a);
	close(fd);
	close(sp[0]);
	close(sp[1]);
}

static void *
thread_listen(void *arg)
{
	int *fd = arg;

	*fd = th_listen_tcp(AF_INET6, 0);
	return NULL;
}

/* A socket made by a thread is its process's, listed once. */
static void
test_thread(void **state)
{
	int p[2], fd = -1;
	uint16_t port;
	pthread_t t;
	struct row v[16];
	pid_t a;

	(void)state;
	NEED_READY();
	assert_int_equal(pipe(p), 0);
	if ((a = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (pthread_create(&t, NULL, thread_listen, &fd) != 0 ||
		    pthread_join(t, NULL) != 0)
			_exit(1);
		port = th_sock_port(fd);
		if (write(p[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(read(p[0], &port, sizeof(port)), sizeof(port));
	assert_int_equal(assert_same(port, v, 16), 1);
	assert_int_equal(v[0].pid, a);
	assert_int_equal(v[0].state, PA_SOCK_LISTEN);
	reap(a);
	close(p[0]);
	close(p[1]);
}

/* TIME-WAIT: pid 0 from both; a port nobody holds: no rows from both. */
static void
test_time_wait_and_nobody(void **state)
{
	struct sockaddr_storage ss;
	pa_socket_t l = th_listen_tcp(AF_INET, 0);
	struct row v[16];
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	const char *src;
	int c, a, i;
	uint16_t port;
	size_t n = 0;

	(void)state;
	NEED_READY();
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&ss,
	    (socklen_t)th_loopback(AF_INET, th_sock_port(l), &ss)), 0);
	assert_true((a = accept(l, NULL, NULL)) >= 0);
	port = th_sock_port(c);
	close(c);               /* the active close: c ends in TIME-WAIT */
	close(a);
	for (i = 0; i < 500; i++) {
		n = who_rows(port, 1, v, 16, &src);
		if (n == 1 && v[0].state == PA_SOCK_TIME_WAIT)
			break;
		nanosleep(&ts, NULL);
	}
	assert_int_equal(assert_same(port, v, 16), 1);
	assert_int_equal(v[0].state, PA_SOCK_TIME_WAIT);
	assert_int_equal(v[0].pid, 0);
	port = th_sock_port(l);
	th_sock_close(l);
	assert_int_equal(assert_same(port, v, 16), 0);
}

/*
 * In a child as nobody: exit 0 when who on port says source `want` and
 * finds holder pid, else a code saying what differed.
 */
static int
as_nobody(gid_t gid, int with_group, uint16_t port, const char *want,
    pid_t holder)
{
	gid_t g = NOBODY;
	struct row v[16];
	const char *src;
	size_t n;
	int st;
	pid_t pid;

	if ((pid = fork()) == 0) {
		if (setgroups(with_group ? 1 : 0, &g) != 0 || setgid(gid) != 0 ||
		    setuid(NOBODY) != 0)
			_exit(10);
		n = who_rows(port, 1, v, 16, &src);
		if (strstr(src, want) == NULL) {
			fprintf(stderr, "source '%s', want '%s'\n", src, want);
			_exit(11);
		}
		_exit(holder == 0 || has_pid(v, n, holder) ? 0 : 12);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* A group member reads the pin; any other user falls back, and says so. */
static void
test_unprivileged(void **state)
{
	int p[2], fd;
	uint16_t port;
	pid_t h;

	(void)state;
	NEED_READY();
	assert_int_equal(pipe(p), 0);
	if ((h = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		fd = th_bind_udp(AF_INET, 0);
		port = th_sock_port(fd);
		if (write(p[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		for (;;)
			pause();
	}
	assert_int_equal(read(p[0], &port, sizeof(port)), sizeof(port));
	if (own_bpffs) {   /* accel on let the group through the 0700 */
		struct stat sb;

		assert_int_equal(stat("/sys/fs/bpf", &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0711);
	}
	assert_int_equal(as_nobody(NOBODY, 1, port, "sock_diag, bpf pin", h),
	    0);
	assert_int_equal(as_nobody(OTHER_GID, 0, port,
	    "/proc scan (bpf pin not readable)", 0), 0);
	reap(h);
	close(p[0]);
	close(p[1]);
}

/* In a PID namespace of its own, a process does not take the host's pids
 * from the pin: it scans /proc, and says why. */
static void
test_pid_namespace(void **state)
{
	pa_socket_t s = th_listen_tcp(AF_INET, 0);
	uint16_t port = th_sock_port(s);
	struct row v[16];
	const char *src;
	pid_t pid, inner;
	int st;

	(void)state;
	NEED_READY();
	if ((pid = fork()) == 0) {
		if (unshare(CLONE_NEWPID) != 0)
			_exit(20);
		if ((inner = fork()) == 0) {
			who_rows(port, 1, v, 16, &src);
			_exit(strstr(src, "/proc scan (bpf pin: in a PID "
			    "namespace)") != NULL ? 0 : 21);
		}
		_exit(inner > 0 && waitpid(inner, &st, 0) == inner &&
		    WIFEXITED(st) ? WEXITSTATUS(st) : 22);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	th_sock_close(s);
}

/* No pin: the scan, said; on again, twice and four at once: one good pin. */
static void
test_missing_pin_and_on_again(void **state)
{
	pa_socket_t s = th_listen_tcp(AF_INET6, 0);
	struct pa_accel_status st;
	struct pa_error err;
	struct row v[16];
	const char *src;
	pid_t kids[4];
	int i, wst;

	(void)state;
	NEED_READY();
	assert_int_equal(pa_accel_off(&st, NULL), 0);
	assert_int_equal(st.why, PA_ACCEL_NOT_PINNED);
	assert_int_equal(who_rows(th_sock_port(s), 1, v, 16, &src), 1);
	assert_string_equal(src, "sock_diag, /proc scan (no bpf pin)");
	for (i = 0; i < 4; i++)
		if ((kids[i] = fork()) == 0)
			_exit(accel_on(&st, NULL) == 0 ? 0 : 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &wst, 0), kids[i]);
		assert_int_equal(wst, 0);
	}
	memset(&err, 0, sizeof(err));
	assert_int_equal(accel_on(&st, &err), 0);
	assert_true(st.pinned && st.readable && !st.other_version);
	assert_int_equal(st.why, PA_ACCEL_READY);
	assert_int_equal(st.mode, 0440);
	assert_int_equal(st.gid, NOBODY);
	assert_int_equal(assert_same(th_sock_port(s), v, 16), 1);
	th_sock_close(s);
}

/*
 * Hundreds of sockets held by twenty processes, asked about in one call:
 * the dumps hand their inodes to the pin's thread in several batches, and
 * the thread reads the processes it finds.  Pin and scan agree on every
 * holder, its process's name and command line included.  The first socket
 * is in two descriptors of each of its processes: one holder each still.
 */
static void
test_many_sockets(void **state)
{
	/* more processes than sockets.c reads ahead in two threads (16) */
	enum { NSOCK = 300, PER = 15, NKIDS = NSOCK / PER };
	struct pa_port_query q[NSOCK];
	pa_socket_t s[NSOCK];
	struct row *v;
	pid_t kids[NKIDS];
	size_t n;
	int i, twin = -1;

	(void)state;
	NEED_READY();
	for (i = 0; i < NSOCK; i++) {
		s[i] = i % 2 ? th_bind_udp(AF_INET6, 0) :
		    th_listen_tcp(AF_INET, 0);
		assert_true(s[i] != TH_BADSOCK);
		if (i == 0)
			assert_true((twin = dup(s[0])) >= 0);
		q[i].first = q[i].last = th_sock_port(s[i]);
		q[i].protos = i % 2 ? PA_UDP : PA_TCP;
		/* a child per PER sockets: it holds those opened so far */
		if (i % PER == PER - 1)
			kids[i / PER] = idle_child();
	}
	v = calloc(12 * NSOCK, sizeof(*v));
	assert_non_null(v);
	n = assert_same_q(q, NSOCK, v, 12 * NSOCK);
	/* each socket is held by us and by the children forked after it was
	 * opened: child k by the first PER (k + 1) */
	assert_int_equal(n, NSOCK + (size_t)PER * NKIDS * (NKIDS + 1) / 2);
	for (i = 0; i < NKIDS; i++)
		assert_true(has_pid(v, n, kids[i]));
	for (i = 0; i < NKIDS; i++)
		reap(kids[i]);
	for (i = 0; i < NSOCK; i++)
		th_sock_close(s[i]);
	close(twin);
	free(v);
}

/* Many readers at once each get the whole answer. */
static void
test_many_readers(void **state)
{
	pa_socket_t s;
	struct row v[16];
	const char *src;
	pid_t kids[6];
	int i, k, wst, bad, p[2];
	uint16_t port;

	(void)state;
	NEED_READY();
	assert_int_equal(pipe(p), 0);
	for (i = 0; i < 6; i++) {
		if ((kids[i] = fork()) != 0)
			continue;
		if (read(p[0], &port, sizeof(port)) != sizeof(port))
			_exit(2);
		for (k = 0, bad = 0; k < 20; k++)
			bad += who_rows(port, 1, v, 16, &src) != 1 ||
			    v[0].pid != getppid() ||
			    strcmp(src, "sock_diag, bpf pin") != 0;
		_exit(bad != 0);
	}
	s = th_listen_tcp(AF_INET, 0);
	port = th_sock_port(s);
	for (i = 0; i < 6; i++)
		assert_int_equal(write(p[1], &port, sizeof(port)),
		    sizeof(port));
	for (i = 0; i < 6; i++) {
		assert_int_equal(waitpid(kids[i], &wst, 0), kids[i]);
		assert_int_equal(wst, 0);
	}
	th_sock_close(s);
	close(p[0]);
	close(p[1]);
}

/* The CLI: accel says the state; who -v says the source. */
static void
test_cli(void **state)
{
	pa_socket_t s = th_listen_tcp(AF_INET, 0);
	char port[8], *env[3] = { pinenv, NULL, NULL };
	char *a1[] = { PORTALLOC_BIN, "accel", NULL };
	char *a2[] = { PORTALLOC_BIN, "who", "-v", port, NULL };
	struct th_run r;

	(void)state;
	NEED_READY();
	snprintf(port, sizeof(port), "%u", th_sock_port(s));
	th_run(&r, "/", env, a1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "pinned: "));
	assert_non_null(strstr(r.out, "readable by you"));
	th_run_free(&r);
	th_run(&r, "/", env, a2);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "holders from: sock_diag, bpf pin"));
	th_run_free(&r);
	env[1] = "PORTALLOC_ACCEL=0";
	th_run(&r, "/", env, a2);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "/proc scan (PORTALLOC_ACCEL=0)"));
	th_run_free(&r);
	th_sock_close(s);
}

/* Writes recs[0..n) to a file and reads it as a pin. */
static int
read_fake_pin(const struct pa_sockfd_rec *recs, size_t n, char **buf,
    size_t *len)
{
	char *dir = th_tmpdir(), *path;
	FILE *f;
	int rc;

	path = th_write(dir, "pin", "");
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(recs, sizeof(*recs), n, f), n);
	fclose(f);
	rc = pa__pin_read(path, buf, len, NULL);
	free(path);
	th_rmtree(dir);
	free(dir);
	return rc;
}

/* A pin's records: another version's header is refused; pairs are picked
 * by inode, sorted, once each.  Needs no root. */
static void
test_pin_records(void **state)
{
	struct pa_sockfd_rec r[5] = {
		{ PA_SOCKFD_MAGIC, PA_SOCKFD_VERSION, sizeof(r[0]) },
		{ 30, 4, 900 }, { 20, 3, 700 }, { 30, 9, 900 }, { 40, 1, 800 },
	};
	const uint64_t want[] = { 700, 900 };
	struct pa__inopid *v;
	struct pa__pinidx ix;
	size_t len, n, cap;
	char *buf;

	(void)state;
	assert_int_equal(read_fake_pin(r, 5, &buf, &len), 0);
	assert_int_equal(pa__pin_join(buf, len, want, 2, &v, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_true(v[0].inode == 700 && v[0].pid == 20);
	assert_true(v[1].inode == 900 && v[1].pid == 30);
	free(v);
	/* the index the pin's thread joins with, inode by inode */
	assert_int_equal(pa__pin_index(buf, len, &ix), 0);
	v = NULL;
	n = cap = 0;
	assert_int_equal(pa__pin_lookup(&ix, 900, &v, &n, &cap), 0);
	assert_int_equal(n, 2);     /* two descriptors of pid 30 */
	assert_int_equal(pa__pin_lookup(&ix, 555, &v, &n, &cap), 0);
	assert_int_equal(pa__pin_lookup(&ix, 0, &v, &n, &cap), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pa__pin_lookup(&ix, 800, &v, &n, &cap), 0);
	assert_int_equal(pa__pin_lookup(&ix, 700, &v, &n, &cap), 0);
	assert_int_equal(n, 4);
	assert_int_equal(pa__inopid_unique(v, n), 3);
	assert_true(v[0].inode == 700 && v[0].pid == 20);
	assert_true(v[1].inode == 800 && v[1].pid == 40);
	assert_true(v[2].inode == 900 && v[2].pid == 30);
	pa__pinidx_free(&ix);
	free(v);
	free(buf);
	r[0].fd = PA_SOCKFD_VERSION + 1;
	assert_int_equal(read_fake_pin(r, 5, &buf, &len), PA_EDATA);
	assert_null(buf);
	r[0].fd = PA_SOCKFD_VERSION;
	assert_int_equal(read_fake_pin(r, 0, &buf, &len), PA_EDATA);
	assert_int_equal(pa__pin_read("/nonexistent/pin", &buf, &len, NULL),
	    PA_ENOENT);
}

/* A pin of another version is reported and replaced by accel on. */
static void
test_other_version_replaced(void **state)
{
	union bpf_attr a;
	char path[128];
	struct pa_accel_status st;
	int fd;

	(void)state;
	NEED_READY();
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/sockfd-v0", pindir);
	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(uintptr_t)path;
	a.bpf_fd = (__u32)fd;
	assert_int_equal(syscall(SYS_bpf, BPF_OBJ_PIN, &a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(pa_accel_status(&st, NULL), 0);
	assert_true(st.other_version && st.pinned);
	assert_int_equal(accel_on(&st, NULL), 0);
	assert_false(st.other_version);
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_listener),
		cmocka_unit_test(test_scm_rights),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_time_wait_and_nobody),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_missing_pin_and_on_again),
		cmocka_unit_test(test_many_readers),
		cmocka_unit_test(test_many_sockets),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_pid_namespace),
		cmocka_unit_test(test_pin_records),
		cmocka_unit_test(test_other_version_replaced),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
