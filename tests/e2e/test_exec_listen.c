/*
 * End to end: `portalloc exec --listen N` hands a real server (listen_server,
 * built with the tests) N listening sockets the systemd way; a client then
 * talks to it on PORTALLOC_PORT0.  Temporary store and config, as in
 * test_cli.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

struct e2e {
	char *dir;
	char *env[8];
};

static int
setup(void **state)
{
	struct e2e *e = calloc(1, sizeof(*e));

	e->dir = th_tmpdir();
	if (asprintf(&e->env[0], "PORTALLOC_STORE=%s/leases.db", e->dir) < 0 ||
	    asprintf(&e->env[1], "HOME=%s", e->dir) < 0 ||
	    asprintf(&e->env[2], "XDG_CONFIG_HOME=%s/xdg", e->dir) < 0 ||
	    asprintf(&e->env[3], "PORTALLOC_CONFIG=%s/portalloc.ini",
	    e->dir) < 0 ||
	    asprintf(&e->env[4], "PATH=/usr/bin:/bin") < 0)
		return -1;
	free(th_write(e->dir, "portalloc.ini", "[block l]\n"
	    "ports = 27200-27209\nprotocols = tcp\n"
	    "bind_address = 127.0.0.1\n"));
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

/* Starts portalloc with argv[1..] in the background, its stdout on *out. */
static pid_t
start(struct e2e *e, char *const argv[], FILE **out)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (chdir(e->dir) != 0)
			_exit(125);
		execve(argv[0], argv, e->env);
		_exit(126);
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	return pid;
}

/* Connects to 127.0.0.1:port and returns the line the server says; closes
 * first, so that TIME_WAIT is left on this end, not on the block's port. */
static void
ask(uint16_t port, char *buf, size_t len)
{
	struct sockaddr_in sin;
	ssize_t n, got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	while ((got == 0 || buf[got - 1] != '\n') &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fd);
}

static int
exit_status(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_listen_serves(void **state)
{
	struct e2e *e = *state;
	char *argv[] = { PORTALLOC_BIN, "exec", "--listen", "2", "--",
	    LISTEN_SERVER, NULL };
	char *list[] = { PORTALLOC_BIN, "list", "--json", NULL };
	char line[128], want[64], answer[64];
	int busy = th_listen_tcp(AF_INET, 27200), srv_pid, port, fd;
	struct th_run r;
	FILE *out;
	pid_t pid;

	assert_true(busy >= 0);   /* somebody else's server on the first */
	pid = start(e, argv, &out);
	if (fgets(line, sizeof(line), out) == NULL) {
		exit_status(pid);
		fail_msg("the server did not get ready");
	}
	assert_int_equal(sscanf(line, "ready %d %d", &srv_pid, &port), 2);
	assert_true(port > 27200 && port <= 27209);
	/* the server owns the two leases, and the port is held already */
	th_run(&r, e->dir, e->env, list);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "\"owner_pid\":%d", srv_pid);
	assert_non_null(strstr(r.out, want));
	assert_int_equal(th_lines(r.out), 2);
	th_run_free(&r);
	fd = th_listen_tcp(AF_INET, (uint16_t)port);
	assert_int_equal(fd, -1);
	ask((uint16_t)port, answer, sizeof(answer));
	snprintf(want, sizeof(want), "hello %d\n", port);
	assert_string_equal(answer, want);
	assert_int_equal(exit_status(pid), 0);
	fclose(out);
	/* the leases ended with the server */
	th_run(&r, e->dir, e->env, list);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	close(busy);
}

/* Without --listen the server finds no sockets and says so: the check in
 * the test above can fail. */
static void
test_without_listen_server_fails(void **state)
{
	struct e2e *e = *state;
	char *argv[] = { PORTALLOC_BIN, "exec", "-n", "1", "--",
	    LISTEN_SERVER, NULL };
	struct th_run r;

	th_run(&r, e->dir, e->env, argv);
	assert_int_equal(r.status, 10);
	assert_non_null(strstr(r.err, "LISTEN_PID"));
	th_run_free(&r);
}

static void
test_listen_usage(void **state)
{
	struct e2e *e = *state;
	char *a[] = { PORTALLOC_BIN, "exec", "--listen", "2", "-n", "3", "--",
	    "/bin/true", NULL };
	char *b[] = { PORTALLOC_BIN, "exec", "--listen", "1", "-p", "udp",
	    "--", "/bin/true", NULL };
	char *c[] = { PORTALLOC_BIN, "exec", "--listen", "0", "--",
	    "/bin/true", NULL };
	char *const *v[] = { a, b, c };
	struct th_run r;
	size_t i;

	for (i = 0; i < 3; i++) {
		th_run(&r, e->dir, e->env, v[i]);
		assert_int_equal(r.status, 2);
		th_run_free(&r);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listen_serves, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_without_listen_server_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_usage, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
