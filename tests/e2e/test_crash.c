/*
 * Crash safety: the built binary is killed with SIGKILL in the middle of
 * get, release, gc and reserve, hundreds of times, and the store must
 * survive every kill: it opens, passes PRAGMA integrity_check, every
 * lease made by one command exists whole or not at all, no port is leased
 * twice, and the next get works.
 *
 * Two ways to kill: $PORTALLOC_TEST_FAULT=*:K (src/core/fault.c) makes
 * the process kill itself at its Kth fault point (a random step between
 * BEGIN and COMMIT, or just after), and a plain kill -9 from here after a
 * random delay hits whatever it is doing then, SQLite's own writes too.
 *
 * As root the test first moves into a private network namespace, where
 * reserve may change ip_local_reserved_ports; otherwise the reserve trials
 * are skipped.  $PORTALLOC_CRASH_TRIALS sets the number of trials (500),
 * $PORTALLOC_CRASH_SEED the random seed (printed) to replay a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sandbox.h"

#include "core/core.h"      /* PA__STORE_VERSION */

#define GROUP 3                 /* leases one command makes */
#define KILLED (128 + SIGKILL)

static int private_netns;      /* reserve trials may run */
/* The CLI built with fault points (PA_FAULTS); the shipped one has none. */
static const char *crash_bin = PORTALLOC_FAULTS_BIN;

struct crash {
	struct sb *sb;
	char *dir;              /* the sandbox's */
	char store[600];
	pid_t keeper;           /* owns the leases that must stay */
	unsigned kills, completed, fault_kills, timer_kills;
};

static int
setup(void **state)
{
	struct crash *c = calloc(1, sizeof(*c));
	unsigned p = sb_free_range(27000, 210);

	c->sb = sb_new();
	c->dir = c->sb->dir;
	snprintf(c->store, sizeof(c->store), "%s", c->sb->store);
	sb_config(c->sb, "[block c]\nports = %u-%u\nprotocols = tcp\n"
	    "[block r]\nports = %u-%u\nreserve = persistent\n", p, p + 99,
	    p + 200, p + 209);
	if ((c->keeper = fork()) == 0) {
		pause();
		_exit(0);
	}
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct crash *c = *state;
	int status;

	kill(c->keeper, SIGKILL);
	waitpid(c->keeper, &status, 0);
	sb_free(c->sb);
	free(c);
	return 0;
}

/*
 * Runs portalloc with args (NULL-terminated, at most 10) and, when fault
 * > 0, PORTALLOC_TEST_FAULT=*:fault; with delay_us > 0 kills it with
 * SIGKILL after that long instead.  Returns its shell-style status.
 */
static int
run(struct crash *c, int fault, long delay_us, const char *const *args)
{
	char *argv[12], **env = sb_envp(c->sb), fenv[64];
	struct timespec ts;
	int i, n = 0, status, fd;
	pid_t pid;

	argv[n++] = (char *)crash_bin;
	while (n < 11 && args[n - 1] != NULL) {
		argv[n] = (char *)args[n - 1];
		n++;
	}
	argv[n] = NULL;
	for (i = 0; env[i] != NULL; i++)
		;
	snprintf(fenv, sizeof(fenv), "PORTALLOC_TEST_FAULT=*:%d", fault);
	if (fault > 0)
		env[i++] = fenv;
	env[i] = NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		if (chdir(c->dir) != 0)
			_exit(125);
		execve(argv[0], argv, env);
		_exit(126);
	}
	free(env);
	assert_true(pid > 0);
	if (delay_us > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = delay_us * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

/* Runs a command that must succeed. */
static void
run_ok(struct crash *c, const char *const *args)
{
	int rc = run(c, 0, 0, args);

	if (rc != 0)
		fail_msg("portalloc %s: exit %d", args[0], rc);
}

/* One integer from the store (a fresh connection, as a new process). */
static int64_t
db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Everything the store must be after any kill. */
static void
check_store(struct crash *c, const char *when)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	if (access(c->store, F_OK) != 0)
		return; /* killed before the first command created it */
	if (sqlite3_open_v2(c->store, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		fail_msg("%s: store does not open", when);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check",
	    -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		fail_msg("%s: integrity_check: %s", when,
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	/* killed while the very first command made it: no schema at all
	 * (migrations are one transaction), and the next get makes it */
	if (db_int(db, "PRAGMA user_version") == 0) {
		if (db_int(db, "SELECT COUNT(*) FROM sqlite_master") != 0)
			fail_msg("%s: a schema half made", when);
		sqlite3_close(db);
		return;
	}
	/* whole or nothing: every tag names one command's GROUP leases */
	if (db_int(db, "SELECT COUNT(*) FROM (SELECT tag FROM lease "
	    "GROUP BY tag HAVING COUNT(*) != 3)") != 0)
		fail_msg("%s: a command's leases were half written", when);
	if (db_int(db, "SELECT COUNT(*) - COUNT(DISTINCT port) FROM lease")
	    != 0)
		fail_msg("%s: a port is leased twice", when);
	if (db_int(db, "SELECT COUNT(*) FROM lease WHERE block = '' OR "
	    "owner_pid <= 0 OR created <= 0 OR owner_boot = ''") != 0)
		fail_msg("%s: a lease lacks fields", when);
	if (db_int(db, "PRAGMA user_version") != PA__STORE_VERSION)
		fail_msg("%s: schema version lost", when);
	sqlite3_close(db);
}

/* Ends every lease, as the test's own bookkeeping (not under test). */
static void
clear_leases(struct crash *c)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(c->store, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM lease", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The next get after a kill must work. */
static void
next_get(struct crash *c)
{
	char owner[32];
	const char *args[] = { "get", "-b", "c", "-n", "3", "--tag", "next",
	    "--owner", owner, NULL };

	snprintf(owner, sizeof(owner), "%d", (int)c->keeper);
	run_ok(c, args);
}

/* Runs args under a kill: a fault point half the time, a timer else. */
static void
killed_run(struct crash *c, const char *const *args)
{
	int rc;

	if (rand() % 2 == 0) {
		rc = run(c, 1 + rand() % 10, 0, args);
		c->fault_kills += rc == KILLED;
	} else {
		rc = run(c, 0, 1 + rand() % 2500, args);
		c->timer_kills += rc == KILLED;
	}
	if (rc == KILLED)
		c->kills++;
	else if (rc == 0)
		c->completed++;
	else
		fail_msg("portalloc %s: exit %d, neither killed nor done",
		    args[0], rc);
}

static void
trial_get(struct crash *c, int t)
{
	char owner[32], tag[32];
	const char *args[] = { "get", "-b", "c", "-n", "3", "--tag", tag,
	    "--owner", owner, NULL };

	snprintf(owner, sizeof(owner), "%d", (int)c->keeper);
	snprintf(tag, sizeof(tag), "g%d", t);
	killed_run(c, args);
}

static void
trial_release(struct crash *c, int t)
{
	char owner[32], tag[32];
	const char *get[] = { "get", "-b", "c", "-n", "3", "--tag", tag,
	    "--owner", owner, NULL };
	const char *rel[] = { "release", "--tag", tag, NULL };

	snprintf(owner, sizeof(owner), "%d", (int)c->keeper);
	snprintf(tag, sizeof(tag), "r%d", t);
	run_ok(c, get);
	killed_run(c, rel);
}

/* gc of a group whose owner just died, next to a live one. */
static void
trial_gc(struct crash *c, int t)
{
	char owner[32], tag[32];
	const char *get[] = { "get", "-b", "c", "-n", "3", "--tag", tag,
	    "--owner", owner, NULL };
	const char *gc[] = { "gc", NULL };
	pid_t child;
	int status;

	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	snprintf(owner, sizeof(owner), "%d", (int)child);
	snprintf(tag, sizeof(tag), "d%d", t);
	run_ok(c, get);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	killed_run(c, gc);
}

static void
trial_reserve(struct crash *c, int t)
{
	const char *res[] = { t % 2 ? "unreserve" : "reserve", "-b", "r",
	    NULL };

	killed_run(c, res);
}

static void
test_kill_anywhere(void **state)
{
	struct crash *c = *state;
	const char *env = getenv("PORTALLOC_CRASH_TRIALS");
	const char *seed_env = getenv("PORTALLOC_CRASH_SEED");
	const char *resv[] = { "reserve", "-b", "r", NULL };
	const char *list[] = { "reservations", NULL };
	int trials = env ? atoi(env) : 500, t, kind, ops[4] = { 0 };
	unsigned seed = seed_env ? (unsigned)atol(seed_env) :
	    (unsigned)time(NULL) ^ (unsigned)getpid();
	char when[64];

	print_message("seed %u (PORTALLOC_CRASH_SEED)\n", seed);
	srand(seed);
	for (t = 0; t < trials; t++) {
		kind = rand() % (private_netns ? 4 : 3);
		ops[kind]++;
		if (kind == 0)
			trial_get(c, t);
		else if (kind == 1)
			trial_release(c, t);
		else if (kind == 2)
			trial_gc(c, t);
		else
			trial_reserve(c, t);
		snprintf(when, sizeof(when), "trial %d (op %d)", t, kind);
		check_store(c, when);
		next_get(c);
		check_store(c, when);
		if (kind == 3) {
			run_ok(c, list);
			run_ok(c, resv);
		}
		clear_leases(c);
	}
	print_message("%d trials (get %d, release %d, gc %d, reserve %d): "
	    "%u killed (%u at a fault point, %u by a timer), %u ran to the "
	    "end; the store was whole after every one\n", trials, ops[0],
	    ops[1], ops[2], ops[3], c->kills, c->fault_kills, c->timer_kills,
	    c->completed);
	/* the kills must really have happened, mostly */
	assert_true(c->kills >= (unsigned)trials / 4);
	if (!private_netns)
		print_message("reserve trials skipped: not root\n");
}

/* Fills the filesystem the store is on with one file; 0 on success. */
static void
fill_up(const char *dir)
{
	char path[700], block[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	while (write(fd, block, sizeof(block)) > 0)
		;
	while (write(fd, block, 1) > 0)
		;
	close(fd);
}

/*
 * A store on a full filesystem: a small tmpfs mounted in a private mount
 * namespace (root only), so it vanishes with the test.  get fails with the
 * path and exit 74, the leases already there stay, and once there is room
 * again the next get works.
 */
static void
test_full_filesystem(void **state)
{
	struct crash *c = *state;
	char owner[32], dir[700], *before, *after;
	const char *get[] = { "get", "-b", "c", "-n", "3", "--tag", "a",
	    "--owner", owner, NULL };
	const char *big[] = { "get", "-b", "c", "-n", "60", "--owner", owner,
	    NULL };
	size_t nb, na;
	int rc;

	if (getuid() != 0 || unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/small", c->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mount("tmpfs", dir, "tmpfs", 0, "size=256k"), 0);
	snprintf(c->store, sizeof(c->store), "%s/leases.db", dir);
	sb_setenv(c->sb, "PORTALLOC_STORE", c->store);
	snprintf(owner, sizeof(owner), "%d", (int)c->keeper);
	run_ok(c, get);
	fill_up(dir);
	before = th_read(c->store, &nb);
	rc = run(c, 0, 0, big);
	assert_int_equal(rc, 74);
	after = th_read(c->store, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
	check_store(c, "full filesystem");
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/filler");
	assert_int_equal(unlink(dir), 0);
	get[6] = "b";
	run_ok(c, get);
	check_store(c, "room again");
	dir[strlen(dir) - strlen("/filler")] = '\0';
	umount2(dir, MNT_DETACH);
}

/* The shipped binary has no fault points: the variable that stops the
 * test build at its first one changes nothing there. */
static void
test_shipped_binary_has_no_faults(void **state)
{
	struct crash *c = *state;
	const char *get[] = { "get", "-b", "c", "-n", "2", NULL };
	const char *list[] = { "list", NULL };

	crash_bin = PORTALLOC_BIN;
	assert_int_equal(run(c, 1, 0, get), 0);
	assert_int_equal(run(c, 1, 0, list), 0);
	crash_bin = PORTALLOC_FAULTS_BIN;
	assert_int_equal(run(c, 1, 0, get), KILLED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_shipped_binary_has_no_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_anywhere, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_full_filesystem, setup,
		    teardown),
	};

	/* reserve may change ip_local_reserved_ports only in a namespace of
	 * its own */
	private_netns = sb_private_net();
	if (!private_netns)
		fprintf(stderr, "test_crash: reserve trials skipped\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
