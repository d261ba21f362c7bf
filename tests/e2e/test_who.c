/*
 * who and check on the real kernel: sockets the test makes in child
 * processes, each of which `who` and `check` must classify exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#include "core/core.h"
#include "os/linux/linux.h"

/* Ports BASE..BASE+19 are this test's: checked free, or in a network
 * namespace of its own. */
static unsigned base_port;
#define BASE base_port

static struct sb *sb;

/* A child that runs fn, says it is ready, and waits to be killed. */
struct child {
	pid_t pid;
};

/* Every child still running, so that a failed test leaves none behind. */
static pid_t spawned[32];
static size_t nspawned;

static void
kill_all(void)
{
	int st;

	while (nspawned > 0) {
		kill(spawned[--nspawned], SIGKILL);
		waitpid(spawned[nspawned], &st, 0);
	}
}

/* What a child does once it said it is ready (may block). */
static void (*after_ready)(void);

static pid_t
spawn(void (*fn)(void *), void *arg)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready) != 0)
		abort();
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlives the test */
		close(ready[0]);
		fn(arg);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		if (after_ready)
			after_ready();
		for (;;)
			pause();
	}
	close(ready[1]);
	if (nspawned < sizeof(spawned) / sizeof(spawned[0]))
		spawned[nspawned++] = pid;
	if (read(ready[0], &c, 1) != 1)
		fail_msg("child %d did not get ready", (int)pid);
	close(ready[0]);
	return pid;
}

static void
stop(pid_t pid)
{
	size_t i;
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	for (i = 0; i < nspawned; i++)
		if (spawned[i] == pid)
			spawned[i] = spawned[--nspawned];
}

/* Closes with a reset, so that no TIME-WAIT is left for the next run. */
static void
no_linger(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static int
connect_to(int family, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(family, SOCK_STREAM, 0);

	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		return -1;
	return fd;
}

static void
listen4(void *arg)
{
	if (th_listen_tcp(AF_INET, (uint16_t)(uintptr_t)arg) < 0)
		_exit(1);
}

static void
listen6(void *arg)
{
	if (th_listen_tcp(AF_INET6, (uint16_t)(uintptr_t)arg) < 0)
		_exit(1);
}

static void
udp4(void *arg)
{
	if (th_bind_udp(AF_INET, (uint16_t)(uintptr_t)arg) < 0)
		_exit(1);
}

/* A listener in two descriptors of one process (dup, as a daemon that
 * moves its socket to fd 3 may leave it). */
static void
listen_dup(void *arg)
{
	int fd = th_listen_tcp(AF_INET, (uint16_t)(uintptr_t)arg);

	if (fd < 0 || dup(fd) < 0)
		_exit(1);
}

/* A listener that accepts one connection (once ready) and keeps it. */
static int accept_fd = -1;
static void
accept_one(void)
{
	int fd = accept(accept_fd, NULL, NULL);

	if (fd < 0)
		_exit(1);
	no_linger(fd);
}

static void
listen_accept(void *arg)
{
	accept_fd = th_listen_tcp(AF_INET, (uint16_t)(uintptr_t)arg);
	if (accept_fd < 0)
		_exit(1);
	after_ready = accept_one;
}

static void
client(void *arg)
{
	int fd = connect_to(AF_INET, (uint16_t)(uintptr_t)arg);

	if (fd < 0)
		_exit(1);
	no_linger(fd);
}

/* A listener shared with a forked child: one inode, two pids. */
static pid_t shared_child;
static void
listen_shared(void *arg)
{
	if (th_listen_tcp(AF_INET, (uint16_t)(uintptr_t)arg) < 0)
		_exit(1);
	if ((shared_child = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);  /* ends with its parent */
		for (;;)
			pause();
	}
}

/* Are there sockets on *(uint16_t *)arg, all of them in TIME-WAIT? */
static int
only_time_wait(void *arg)
{
	uint16_t port = *(uint16_t *)arg;
	struct pa_portq q = { port, port, PA_TCP };
	struct pa__sockvec v = { 0 };
	struct pa_error err;
	size_t i;
	int ok;

	if (pa__diag_dump(PA_TCP, 4, port, port, &q, 1, &v, &err) != 0)
		fail_msg("sock_diag: %s", err.msg);
	ok = v.n > 0;
	for (i = 0; i < v.n; i++)
		ok &= v.v[i].state == PA_SOCK_TIME_WAIT;
	free(v.v);
	return ok;
}

/* Leaves a TIME-WAIT socket on the port and no listener. */
static void
time_wait(uint16_t port)
{
	int l = th_listen_tcp(AF_INET, port), c, a;
	char buf[1];

	assert_true(l >= 0);
	c = connect_to(AF_INET, port);
	assert_true(c >= 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	close(a);               /* the server closes first */
	assert_int_equal(read(c, buf, 1), 0);
	close(c);
	close(l);
	/* the server's end reaches TIME-WAIT once the client's FIN is in */
	if (!sb_until(only_time_wait, &port, 20000))
		fail_msg("port %u never reached TIME-WAIT alone", port);
}

static void
who(struct th_run *r, const char *what)
{
	char *argv[] = { PORTALLOC_BIN, "who", (char *)what, "--json", NULL };

	sb_run_argv(sb, r, argv);
}

static void
has_pid(const char *out, pid_t pid, size_t times)
{
	char want[32];

	snprintf(want, sizeof(want), "\"pid\":%d,", (int)pid);
	if (th_count(out, want) != times)
		fail_msg("%s %zu times expected in %s", want, times, out);
}

/* Does `who what` show exactly two sockets with a process? */
static int
two_holders(void *what)
{
	struct th_run r;
	int ok;

	who(&r, what);
	ok = r.status == 0 && th_count(r.out, "\"pid\":") -
	    th_count(r.out, "\"pid\":null") == 2;
	th_run_free(&r);
	return ok;
}

static void
test_who_classifies(void **state)
{
	struct th_run r;
	char what[128];
	pid_t a, b, v6, u, s, d;
	int v6ok;

	(void)state;
	/* 1: a listener with one accepted connection from another process */
	a = spawn(listen_accept, (void *)(uintptr_t)(BASE + 1));
	b = spawn(client, (void *)(uintptr_t)(BASE + 1));
	/* the accepted socket is a's once a's accept() returned */
	snprintf(what, sizeof(what), "%d", BASE + 1);
	if (!sb_until(two_holders, what, 20000))
		fail_msg("the listener never held its accepted connection");
	who(&r, what);
	assert_int_equal(r.status, 0);
	assert_int_equal(th_count(r.out, "\"pid\":") -
	    th_count(r.out, "\"pid\":null"), 2);
	has_pid(r.out, a, 2);       /* its LISTEN and its ESTAB socket */
	has_pid(r.out, b, 0);       /* the client's *remote* port is it */
	assert_non_null(strstr(r.out, "\"state\":\"LISTEN\""));
	assert_non_null(strstr(r.out, "\"state\":\"ESTAB\""));
	th_run_free(&r);

	/* 2: IPv6 */
	v6 = fork();
	if (v6 == 0) {
		int fd = th_listen_tcp(AF_INET6, BASE + 2);
		_exit(fd < 0);
	}
	waitpid(v6, &v6ok, 0);
	v6ok = WIFEXITED(v6ok) && WEXITSTATUS(v6ok) == 0;
	if (v6ok) {
		v6 = spawn(listen6, (void *)(uintptr_t)(BASE + 2));
		snprintf(what, sizeof(what), "%d/tcp", BASE + 2);
		who(&r, what);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "\"family\":6,\"local\":\"::1\""));
		has_pid(r.out, v6, 1);
		th_run_free(&r);
		stop(v6);
	}

	/* 3: UDP, and asking for the other protocol */
	u = spawn(udp4, (void *)(uintptr_t)(BASE + 3));
	snprintf(what, sizeof(what), "%d/udp", BASE + 3);
	who(&r, what);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"proto\":\"udp\""));
	assert_non_null(strstr(r.out, "\"state\":\"UNCONN\""));
	has_pid(r.out, u, 1);
	th_run_free(&r);
	snprintf(what, sizeof(what), "%d/tcp", BASE + 3);
	who(&r, what);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);

	/* 4: one listener, two processes */
	s = spawn(listen_shared, (void *)(uintptr_t)(BASE + 4));
	snprintf(what, sizeof(what), "%d", BASE + 4);
	who(&r, what);
	assert_int_equal(r.status, 0);
	assert_int_equal(th_count(r.out, "\"pid\":") -
	    th_count(r.out, "\"pid\":null"), 2);
	has_pid(r.out, s, 1);
	{
		/* the other is s's child, on the same socket */
		char ppid[32], *ino = strstr(r.out, "\"inode\":");
		snprintf(ppid, sizeof(ppid), "\"ppid\":%d,", (int)s);
		assert_int_equal(th_count(r.out, ppid), 1);
		assert_non_null(ino);
		ino = strndup(ino, strcspn(ino, ","));
		assert_int_equal(th_count(r.out, ino), 2);
		free(ino);
	}
	th_run_free(&r);

	/* 4b: a socket in two descriptors of a process: held once */
	d = spawn(listen_dup, (void *)(uintptr_t)(BASE + 6));
	snprintf(what, sizeof(what), "%d", BASE + 6);
	who(&r, what);
	assert_int_equal(r.status, 0);
	has_pid(r.out, d, 1);
	th_run_free(&r);

	/* 5: TIME-WAIT only: shown with no process, and exit 1 */
	time_wait(BASE + 5);
	snprintf(what, sizeof(what), "%d", BASE + 5);
	who(&r, what);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.out, "\"state\":\"TIME-WAIT\""));
	assert_non_null(strstr(r.out, "\"pid\":null"));
	th_run_free(&r);

	/* a range covers them all; the table view names the no-process
	 * socket so */
	snprintf(what, sizeof(what), "%d-%d", BASE + 1, BASE + 5);
	{
		char *argv[] = { PORTALLOC_BIN, "who", what, NULL };
		sb_run_argv(sb, &r, argv);
	}
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "(no process)"));
	assert_non_null(strstr(r.out, "LISTEN"));
	th_run_free(&r);

	/* check shows the TIME-WAIT port as an orphan, its socket under it */
	sb_config(sb, "[block w]\nports = %d-%d\n", BASE + 5, BASE + 5);
	{
		char *argv[] = { PORTALLOC_BIN, "check", NULL };
		sb_run_argv(sb, &r, argv);
	}
	assert_int_equal(r.status, 0);
	snprintf(what, sizeof(what), "%d  orphan    not leased\n       IPv4 "
	    "tcp/127.0.0.1 TIME-WAIT, no process\n", BASE + 5);
	if (strstr(r.out, what) == NULL)
		fail_msg("no lines\n%s\nin\n%s", what, r.out);
	th_run_free(&r);

	stop(a);
	stop(b);
	stop(u);
	stop(s);
	stop(d);
}

/* sock_diag and /proc/net give the same sockets. */
static void
test_netlink_matches_procnet(void **state)
{
	static const struct { unsigned proto; int family; const char *f; }
	    d[] = {
		{ PA_TCP, 4, "/proc/net/tcp" }, { PA_TCP, 6, "/proc/net/tcp6" },
		{ PA_UDP, 4, "/proc/net/udp" }, { PA_UDP, 6, "/proc/net/udp6" },
	};
	struct pa_portq q = { BASE + 10, BASE + 14, PA_BOTH };
	struct pa__sockvec nl, pn;
	struct pa_error err;
	pid_t p[3];
	size_t i, j, k;

	(void)state;
	p[0] = spawn(listen4, (void *)(uintptr_t)(BASE + 10));
	p[1] = spawn(udp4, (void *)(uintptr_t)(BASE + 11));
	p[2] = spawn(listen_accept, (void *)(uintptr_t)(BASE + 12));
	time_wait(BASE + 13);
	for (i = 0; i < 4; i++) {
		memset(&nl, 0, sizeof(nl));
		memset(&pn, 0, sizeof(pn));
		assert_int_equal(pa__diag_dump(d[i].proto, d[i].family,
		    q.first, q.last, &q, 1, &nl, &err), 0);
		assert_int_equal(pa__procnet_read(d[i].f, d[i].family,
		    d[i].proto, &q, 1, &pn, &err), 0);
		assert_int_equal(nl.n, pn.n);
		for (j = 0; j < nl.n; j++) {
			for (k = 0; k < pn.n; k++)
				if (nl.v[j].inode == pn.v[k].inode &&
				    nl.v[j].lport == pn.v[k].lport &&
				    nl.v[j].state == pn.v[k].state &&
				    nl.v[j].rport == pn.v[k].rport &&
				    memcmp(nl.v[j].local, pn.v[k].local, 16) ==
				    0)
					break;
			assert_true(k < pn.n);
		}
		if (i == 0)
			assert_true(nl.n >= 2); /* the listener, TIME-WAIT */
		free(nl.v);
		free(pn.v);
	}
	for (i = 0; i < 3; i++)
		stop(p[i]);
}

static void
own_listener(void *arg)
{
	listen4(arg);
}

/*
 * A process that is nobody's descendant here: forked twice, listening on
 * port (and on also, unless 0).  It lives until *life (the write end of a
 * pipe only the test holds) is closed, which happens at the latest when
 * the test exits.
 */
static pid_t
spawn_stranger(uint16_t port, uint16_t also, int *life)
{
	int ready[2], alive[2];
	pid_t mid, pid = 0;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(alive), 0);
	if ((mid = fork()) == 0) {
		if (fork() == 0) {
			close(alive[1]);
			if (th_listen_tcp(AF_INET, port) < 0 || (also != 0 &&
			    th_listen_tcp(AF_INET, also) < 0))
				_exit(1);
			pid = getpid();
			if (write(ready[1], &pid, sizeof(pid)) < 0)
				_exit(1);
			while (read(alive[0], &c, 1) > 0)
				;
			_exit(0);
		}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	close(alive[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &pid, sizeof(pid)), sizeof(pid));
	close(ready[0]);
	*life = alive[1];
	return pid;
}

/* check --json says port has status. */
static void
expect_status(const char *out, unsigned port, const char *status)
{
	char want[64];

	snprintf(want, sizeof(want), "{\"port\":%u,\"status\":\"%s\"", port,
	    status);
	if (strstr(out, want) == NULL)
		fail_msg("%s not in %s", want, out);
}

/* What check's text shows of a process forked from this one: its name
 * and user, and its command line cut to 80 bytes. */
static void
forked_texts(char *name, size_t nlen, char *user, size_t ulen, char *cmd)
{
	struct passwd *pw = getpwuid(geteuid());
	char buf[4096];
	ssize_t n, i;
	int fd;

	assert_true((fd = open("/proc/self/comm", O_RDONLY)) >= 0);
	n = read(fd, name, nlen - 1);
	close(fd);
	assert_true(n > 0);
	name[n - 1] = '\0';  /* its newline */
	snprintf(user, ulen, "%s", pw != NULL ? pw->pw_name : "");
	assert_true((fd = open("/proc/self/cmdline", O_RDONLY)) >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	snprintf(cmd, 81, "%s", buf);
}

static void
test_check_real(void **state)
{
	char me[32], want[1024], name[64], user[64], cmd[81], *argv[8];
	pid_t ok, foreign, intruder;
	int life[2];
	struct th_run r;

	(void)state;
	sb_config(sb, "[block k]\nports = %u-%u\n", BASE + 15, BASE + 19);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	argv[0] = PORTALLOC_BIN;
	argv[1] = "get";
	argv[2] = "-n";
	argv[3] = "3";
	argv[4] = "--owner";
	argv[5] = me;
	argv[6] = NULL;
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%u\n%u\n%u\n", BASE + 15, BASE + 16,
	    BASE + 17);
	assert_string_equal(r.out, want);
	th_run_free(&r);
	ok = spawn(own_listener, (void *)(uintptr_t)(BASE + 15)); /* ours */
	/* the foreign one holds BASE + 18 too, which nobody leased: the same
	 * process, FOREIGN on one line and "held by" on the next */
	foreign = spawn_stranger((uint16_t)(BASE + 17), (uint16_t)(BASE + 18),
	    &life[0]);
	intruder = spawn_stranger((uint16_t)(BASE + 19), 0, &life[1]);
	argv[1] = "check";
	argv[2] = "--json";
	argv[3] = NULL;
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 1);
	expect_status(r.out, BASE + 15, "ok");
	expect_status(r.out, BASE + 16, "waiting");
	expect_status(r.out, BASE + 17, "foreign");
	expect_status(r.out, BASE + 18, "intruder");
	expect_status(r.out, BASE + 19, "intruder");
	has_pid(r.out, foreign, 2);
	has_pid(r.out, intruder, 1);
	assert_non_null(strstr(r.out, "\"summary\":{\"free\":0,\"ok\":1,"
	    "\"waiting\":1,\"foreign\":1,\"stale\":0,\"intruder\":2,"
	    "\"orphan\":0}"));
	th_run_free(&r);
	argv[2] = NULL;
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 1);
	/* the text, a line per port, each holder's under it */
	forked_texts(name, sizeof(name), user, sizeof(user), cmd);
	snprintf(want, sizeof(want), "\n%u  waiting   leased to pid %s (",
	    BASE + 16, me);
	assert_non_null(strstr(r.out, want));
	snprintf(want, sizeof(want), "\n%u  foreign   leased to pid %s (",
	    BASE + 17, me);
	assert_non_null(strstr(r.out, want));
	snprintf(want, sizeof(want), ")\n       FOREIGN pid %d %s (%s): %s "
	    "[tcp 127.0.0.1 LISTEN]\n%u  intruder  not leased\n       held "
	    "by pid %d %s (%s): %s [tcp 127.0.0.1 LISTEN]\n", (int)foreign,
	    name, user, cmd, BASE + 18, (int)foreign, name, user, cmd);
	if (strstr(r.out, want) == NULL)
		fail_msg("no lines\n%s\nin\n%s", want, r.out);
	snprintf(want, sizeof(want), "\n%u  intruder  not leased\n       held "
	    "by pid %d %s (%s): %s [tcp 127.0.0.1 LISTEN]\n", BASE + 19,
	    (int)intruder, name, user, cmd);
	if (strstr(r.out, want) == NULL)
		fail_msg("no lines\n%s\nin\n%s", want, r.out);
	assert_non_null(strstr(r.out, "5 ports: 1 ok, 1 waiting, 1 foreign, "
	    "0 stale, 2 intruder, 0 orphan, 0 free"));
	th_run_free(&r);
	stop(ok);
	close(life[0]);
	close(life[1]);
}

static int
setup(void **state)
{
	(void)state;
	sb = sb_new();
	base_port = sb_free_range(27300, 20);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	kill_all();
	sb_free(sb);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_who_classifies),
		cmocka_unit_test(test_netlink_matches_procnet),
		cmocka_unit_test(test_check_real),
	};

	signal(SIGPIPE, SIG_IGN);
	atexit(kill_all);
	sb_private_net();
	return cmocka_run_group_tests(tests, setup, teardown);
}
