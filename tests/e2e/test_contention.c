/*
 * Many callers on one store, through the CLI: callers released together
 * all get distinct ports; a caller queued behind the store's lock goes on
 * as soon as the holder lets go; a holder stuck with the lock is named
 * (pid, exit 74) after $PORTALLOC_LOCK_TIMEOUT instead of being waited on
 * in silence.  As root it runs in a private network namespace, so that its
 * probe binds meet nobody else's sockets.  No fixed sleeps: waits are
 * bounded polls on a condition.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox.h"

#define CALLERS 32
#define EACH 3

struct ct {
	char *dir;
	char lock[600];
	char *env[6];
};

static void
enter_private_netns(void)
{
	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0)
		return;
	sb_lo_up();
}

static int
setup(void **state)
{
	struct ct *c = calloc(1, sizeof(*c));

	c->dir = th_tmpdir();
	snprintf(c->lock, sizeof(c->lock), "%s/leases.db.lock", c->dir);
	if (asprintf(&c->env[0], "PORTALLOC_STORE=%s/leases.db", c->dir) < 0 ||
	    asprintf(&c->env[1], "PORTALLOC_CONFIG=%s/portalloc.ini",
	    c->dir) < 0 ||
	    asprintf(&c->env[2], "HOME=%s", c->dir) < 0 ||
	    asprintf(&c->env[3], "PORTALLOC_LOCK_TIMEOUT=60") < 0)
		return -1;
	free(th_write(c->dir, "portalloc.ini",
	    "[block c]\nports = 23000-23499\nprotocols = tcp\n"));
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ct *c = *state;
	int i;

	th_rmtree(c->dir);
	for (i = 0; c->env[i]; i++)
		free(c->env[i]);
	free(c->dir);
	free(c);
	return 0;
}

/* Runs `portalloc ARGS...` to the end. */
static void
run(struct ct *c, struct th_run *r, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, r);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	th_run(r, c->dir, c->env, argv);
}

/*
 * A child holding the store's lock until *release is closed.  The store
 * is made first, by one get.
 */
static pid_t
hold_lock(struct ct *c, int *release)
{
	struct th_run r;
	int up[2], down[2], fd;
	pid_t pid;
	char ch;

	run(c, &r, "get", "-n", "1", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	/* close-on-exec: a get started later must not keep them open */
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(up[0]);
		close(down[1]);
		fd = open(c->lock, O_RDWR | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX) != 0 ||
		    write(up[1], "L", 1) != 1)
			_exit(1);
		if (read(down[0], &ch, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_true(pid > 0);
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &ch, 1), 1);
	close(up[0]);
	*release = down[1];
	return pid;
}

/* CALLERS gets released together by a pipe: all succeed, all distinct. */
static void
test_callers_together_distinct(void **state)
{
	struct ct *c = *state;
	char *argv[] = { PORTALLOC_BIN, "get", "-n", "3", NULL };
	uint16_t ports[CALLERS * EACH + 4];
	char path[700], *out, ch;
	pid_t pids[CALLERS];
	int gate[2], i, status, fd;
	size_t n = 0;

	assert_int_equal(pipe(gate), 0);
	fflush(NULL);
	for (i = 0; i < CALLERS; i++) {
		snprintf(path, sizeof(path), "%s/out.%d", c->dir, i);
		if ((pids[i] = fork()) == 0) {
			close(gate[1]);
			if (read(gate[0], &ch, 1) != 0 || chdir(c->dir) != 0)
				_exit(125);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
			execve(argv[0], argv, c->env);
			_exit(126);
		}
		assert_true(pids[i] > 0);
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < CALLERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		snprintf(path, sizeof(path), "%s/out.%d", c->dir, i);
		out = th_read(path, NULL);
		assert_int_equal(th_ports(out, ports + n, EACH + 1), EACH);
		n += EACH;
		free(out);
	}
	assert_true(th_distinct(ports, n));
}

/* A get queued behind the lock goes on when the holder lets go. */
static void
test_queued_get_proceeds(void **state)
{
	struct ct *c = *state;
	char *argv[] = { PORTALLOC_BIN, "get", "-n", "2", NULL };
	char path[700], *out;
	int release, status, fd;
	pid_t holder, getter;

	holder = hold_lock(c, &release);
	snprintf(path, sizeof(path), "%s/queued.out", c->dir);
	fflush(NULL);
	if ((getter = fork()) == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execve(argv[0], argv, c->env);
		_exit(126);
	}
	assert_true(getter > 0);
	assert_true(th_lock_waiter_seen(c->lock));
	/* still waiting: it has printed nothing */
	assert_int_equal(waitpid(getter, &status, WNOHANG), 0);
	close(release);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(waitpid(getter, &status, 0), getter);
	out = th_read(path, NULL);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("queued get: status %d: %s", status, out);
	assert_int_equal(th_lines(out), 2);
	free(out);
}

/* A holder stuck with the lock: exit 74 naming its pid, after the
 * timeout, and nothing leased. */
static void
test_stuck_holder_exit_74(void **state)
{
	struct ct *c = *state;
	struct th_run r;
	char want[64];
	int release, status;
	pid_t holder;

	holder = hold_lock(c, &release);
	free(c->env[3]);
	c->env[3] = strdup("PORTALLOC_LOCK_TIMEOUT=0.3");
	run(c, &r, "get", "-n", "1", NULL);
	assert_int_equal(r.status, 74);
	snprintf(want, sizeof(want), "locked by pid %d ", (int)holder);
	if (strstr(r.err, want) == NULL)
		fail_msg("no '%s' in: %s", want, r.err);
	assert_string_equal(r.out, "");
	th_run_free(&r);
	close(release);
	assert_int_equal(waitpid(holder, &status, 0), holder);
	/* with the holder gone the store works again */
	run(c, &r, "get", "-n", "1", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_callers_together_distinct,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_get_proceeds,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_stuck_holder_exit_74,
		    setup, teardown),
	};

	enter_private_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
