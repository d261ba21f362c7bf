/*
 * End to end: `portalloc exec --listen N` hands a real server (listen_server,
 * built with the tests) N listening sockets the systemd way; a client then
 * talks to it on PORTALLOC_PORT0.  In the sandbox of tests/support.
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

#include "sandbox.h"

static unsigned base;   /* the block: base..base+9, checked free */

static int
setup(void **state)
{
	struct sb *e = sb_new();

	base = sb_free_range(27200, 10);
	sb_config(e, "[block l]\nports = %u-%u\nprotocols = tcp\n"
	    "bind_address = 127.0.0.1\n", base, base + 9);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	sb_free(*state);
	return 0;
}

/* Starts portalloc with argv[1..] in the background, its stdout on *out. */
static pid_t
start(struct sb *e, char *const argv[], FILE **out)
{
	char **env = sb_envp(e);
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
		execve(argv[0], argv, env);
		_exit(126);
	}
	free(env);
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
	struct sb *e = *state;
	char *argv[] = { PORTALLOC_BIN, "exec", "--listen", "2", "--",
	    LISTEN_SERVER, NULL };
	char *list[] = { PORTALLOC_BIN, "list", "--json", NULL };
	char line[128], want[64], answer[64];
	int busy = th_listen_tcp(AF_INET, (uint16_t)base), srv_pid, port, fd;
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
	assert_true(port > (int)base && port <= (int)base + 9);
	/* the server owns the two leases, and the port is held already */
	sb_run_argv(e, &r, list);
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
	sb_run_argv(e, &r, list);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	close(busy);
}

/* Without --listen the server finds no sockets and says so: the check in
 * the test above can fail. */
static void
test_without_listen_server_fails(void **state)
{
	struct sb *e = *state;
	char *argv[] = { PORTALLOC_BIN, "exec", "-n", "1", "--",
	    LISTEN_SERVER, NULL };
	struct th_run r;

	sb_run_argv(e, &r, argv);
	assert_int_equal(r.status, 10);
	assert_non_null(strstr(r.err, "LISTEN_PID"));
	th_run_free(&r);
}

static void
test_listen_usage(void **state)
{
	struct sb *e = *state;
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
		sb_run_argv(e, &r, v[i]);
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
	sb_private_net();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
