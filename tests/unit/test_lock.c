/*
 * The store's lock on Linux (src/os/linux/lock.c), called directly: a
 * writer that finds it taken waits in the kernel and proceeds the moment
 * the holder lets go; a holder that keeps it past the timeout is named by
 * its pid; a waiter that gave up does not keep the lock once it frees; the
 * lock file gets the store's mode.  The holders are forked processes; no
 * fixed sleeps: every wait is a bounded poll on a condition.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#include "os/os.h"

struct lk {
	char *dir;
	char *store;
	char lock[600];
};

static int
setup(void **state)
{
	struct lk *l = calloc(1, sizeof(*l));

	l->dir = th_tmpdir();
	l->store = th_write(l->dir, "leases.db", "");
	snprintf(l->lock, sizeof(l->lock), "%s.lock", l->store);
	*state = l;
	return 0;
}

static int
teardown(void **state)
{
	struct lk *l = *state;

	th_rmtree(l->dir);
	free(l->dir);
	free(l->store);
	free(l);
	return 0;
}

static const struct pa_os *
os_lock(void)
{
	const struct pa_os *os = pa__os_native();

	assert_non_null(os->store_lock);
	return os;
}

/*
 * A child that takes the lock, says 'L' on *to_parent, then lets go when
 * told (a byte on from_parent, or when from_parent closes), or, with
 * wait_for_waiter, once somebody queues behind it (saying 'R' first).
 */
static pid_t
holder(const char *store, const char *lockpath, int wait_for_waiter,
    int *to_parent, int *from_parent)
{
	int up[2], down[2];
	intptr_t h;
	int64_t who;
	pid_t pid;
	char c;

	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		const struct pa_os *os = pa__os_native();

		close(up[0]);
		close(down[1]);
		if (os->store_lock(os->ctx, store, -1, &h, &who, NULL) != 0 ||
		    h < 0)
			_exit(1);
		if (write(up[1], "L", 1) != 1)
			_exit(1);
		if (wait_for_waiter) {
			if (!th_lock_waiter_seen(lockpath))
				_exit(2);
			if (write(up[1], "R", 1) != 1)
				_exit(1);
		} else if (read(down[0], &c, 1) < 0) {
			_exit(1);
		}
		os->store_unlock(os->ctx, h);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	assert_true(pid > 0);
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(c, 'L');
	*to_parent = up[0];
	*from_parent = down[1];
	return pid;
}

/* A waiter queued behind the holder gets the lock as soon as it is let go,
 * and not before. */
static void
test_waiter_proceeds(void **state)
{
	struct lk *l = *state;
	const struct pa_os *os = os_lock();
	int up, down, status;
	intptr_t h;
	int64_t who = -1;
	pid_t pid;
	char c;

	pid = holder(l->store, l->lock, 1, &up, &down);
	assert_int_equal(os->store_lock(os->ctx, l->store, 20000, &h, &who,
	    NULL), 0);
	assert_true(h >= 0);
	/* the holder saw us queued in the kernel, then let go */
	assert_int_equal(read(up, &c, 1), 1);
	assert_int_equal(c, 'R');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	os->store_unlock(os->ctx, h);
	close(up);
	close(down);
}

/* A holder that keeps the lock past the timeout is named by its pid; once
 * it lets go, the waiter that gave up does not keep the lock. */
static void
test_stuck_holder_named(void **state)
{
	struct lk *l = *state;
	const struct pa_os *os = os_lock();
	struct pa_error err;
	struct timespec t0, t1;
	int up, down, status;
	intptr_t h;
	int64_t who = 0;
	double took;
	pid_t pid;

	pid = holder(l->store, l->lock, 0, &up, &down);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(os->store_lock(os->ctx, l->store, 200, &h, &who,
	    &err), PA_EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took >= 0.19);
	assert_int_equal(who, pid);
	assert_int_equal(h, -1);
	/* the holder lets go: the abandoned wait must not keep the lock */
	close(down);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(os->store_lock(os->ctx, l->store, 10000, &h, &who,
	    &err), 0);
	assert_true(h >= 0);
	os->store_unlock(os->ctx, h);
	close(up);
}

/* The lock file is made with the store's mode, whatever the umask. */
static void
test_lock_file_mode(void **state)
{
	struct lk *l = *state;
	const struct pa_os *os = os_lock();
	struct stat st;
	mode_t old;
	intptr_t h;
	int64_t who;

	assert_int_equal(chmod(l->store, 0660), 0);
	old = umask(077);
	assert_int_equal(os->store_lock(os->ctx, l->store, 1000, &h, &who,
	    NULL), 0);
	umask(old);
	assert_true(h >= 0);
	os->store_unlock(os->ctx, h);
	assert_int_equal(stat(l->lock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_waiter_proceeds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stuck_holder_named, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_file_mode, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
