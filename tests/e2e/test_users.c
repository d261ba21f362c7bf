/*
 * Many users on one store: nobody (65534) may not release, gc away or
 * overwrite root's live leases; root may release anybody's and is told
 * whose they were.  And the store's place: a symbolic link planted as the
 * store or its directory, or a directory anybody may write to, is refused
 * with exit 77 and nothing is written through it.  The tests that switch
 * users need root and are skipped otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#define NOBODY 65534

struct u {
	struct sb *sb;
	char *dir;                  /* the sandbox's */
	char shared[600];
	char store[700];
	unsigned port;              /* the block: port..port+2 */
	char p[3][8];               /* the same, as text */
	pid_t keeper;
	char keeper_pid[32];
};

static int
setup(void **state)
{
	struct u *u = calloc(1, sizeof(*u));

	int i;

	u->sb = sb_new();
	u->dir = u->sb->dir;
	chmod(u->dir, 0755);
	snprintf(u->shared, sizeof(u->shared), "%s/shared", u->dir);
	mkdir(u->shared, 01777);
	chmod(u->shared, 01777);
	snprintf(u->store, sizeof(u->store), "%s/leases.db", u->shared);
	sb_setenv(u->sb, "PORTALLOC_STORE", u->store);
	u->port = sb_free_range(27600, 3);
	for (i = 0; i < 3; i++)
		snprintf(u->p[i], sizeof(u->p[i]), "%u", u->port + i);
	sb_config(u->sb, "[block u]\nports = %u-%u\nprotocols = tcp\n",
	    u->port, u->port + 2);
	chmod(u->dir, 0755);
	if ((u->keeper = fork()) == 0) {
		pause();
		_exit(0);
	}
	snprintf(u->keeper_pid, sizeof(u->keeper_pid), "%d", (int)u->keeper);
	*state = u;
	return 0;
}

static int
teardown(void **state)
{
	struct u *u = *state;
	int status;

	kill(u->keeper, SIGKILL);
	waitpid(u->keeper, &status, 0);
	sb_free(u->sb);
	free(u);
	return 0;
}

/* Runs portalloc as uid (-1: as we are) with its arguments. */
static void
run_as(struct u *u, struct th_run *r, long uid, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, uid);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	th_run_as(r, uid, u->dir, u->sb->env, argv);
}

/* Lets every user write the store's files, as a shared store's group
 * would. */
static void
share_store(struct u *u)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	char path[800];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", u->store, ext[i]);
		chmod(path, 0666);
	}
}

static void
need_root(void)
{
	if (getuid() != 0)
		skip();
}

static void
test_nobody_cannot_take_roots_leases(void **state)
{
	struct u *u = *state;
	struct th_run r;
	char *before, want[64];

	need_root();
	run_as(u, &r, -1, "get", "-n", "2", "--tag", "rootjob", "--owner",
	    u->keeper_pid, NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%s\n%s\n", u->p[0], u->p[1]);
	assert_string_equal(r.out, want);
	th_run_free(&r);
	share_store(u);
	run_as(u, &r, -1, "list", "--json", NULL);
	before = r.out;
	free(r.err);
	/* release by port, by tag: refused, nothing released */
	run_as(u, &r, NOBODY, "release", u->p[0], NULL);
	assert_int_equal(r.status, 77);
	snprintf(want, sizeof(want), "port %s is leased by uid 0", u->p[0]);
	assert_non_null(strstr(r.err, want));
	th_run_free(&r);
	run_as(u, &r, NOBODY, "release", "--tag", "rootjob", NULL);
	assert_int_equal(r.status, 77);
	th_run_free(&r);
	run_as(u, &r, NOBODY, "release", "--mine", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "released 0 leases\n");
	th_run_free(&r);
	/* gc: the owner lives, so nothing goes */
	run_as(u, &r, NOBODY, "gc", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "reclaimed 0 leases\n");
	th_run_free(&r);
	/* get: the last free port, then the block is full, not overwritten */
	run_as(u, &r, NOBODY, "get", "--owner", u->keeper_pid, NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%s\n", u->p[2]);
	assert_string_equal(r.out, want);
	th_run_free(&r);
	run_as(u, &r, NOBODY, "get", "--owner", u->keeper_pid, NULL);
	assert_int_equal(r.status, 69);
	th_run_free(&r);
	/* root's leases are as they were */
	run_as(u, &r, -1, "list", "--json", "--tag", "rootjob", NULL);
	assert_string_equal(r.out, before);
	th_run_free(&r);
	free(before);
	/* root may release nobody's lease, and is told whose it was */
	run_as(u, &r, -1, "release", u->p[2], NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "released 1 lease: %s\n", u->p[2]);
	assert_string_equal(r.out, want);
	snprintf(want, sizeof(want), "port %s was leased by uid 65534",
	    u->p[2]);
	assert_non_null(strstr(r.err, want));
	th_run_free(&r);
	/* and its own without a word */
	run_as(u, &r, -1, "release", u->p[0], NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	th_run_free(&r);
}

/* who PORT as nobody in a mount namespace whose /proc has hidepid=2;
 * 125 when that cannot be set up here. */
static void
hidepid_who(struct u *u, struct th_run *r, const char *port)
{
	char script[1200], *argv[] = { "/usr/bin/unshare", "-m", "/bin/sh",
	    "-c", script, NULL };

	snprintf(script, sizeof(script), "mount -t proc -o hidepid=2 proc "
	    "/proc || exit 125; command -v setpriv >/dev/null || exit 125; "
	    "exec setpriv --reuid=%d --regid=%d --clear-groups %s who %s",
	    NOBODY, NOBODY, PORTALLOC_BIN, port);
	if (access(argv[0], X_OK) != 0) {
		memset(r, 0, sizeof(*r));
		r->status = 125;
		r->out = strdup("");
		r->err = strdup("");
		return;
	}
	th_run(r, u->dir, u->sb->env, argv);
}

/*
 * A holder nobody cannot see: root's server on nobody's leased port and
 * on a port of the block nobody leased.  /proc hides root's descriptors
 * from nobody, but the sockets are there: check calls the first foreign
 * (the socket is root's, the lease nobody's) and the second an intruder,
 * and exits 1; who says the port is held, by a process not visible.
 * Before, both were "orphan" with "no process", check exited 0 and who 1.
 */
static void
test_unseen_holder(void **state)
{
	struct u *u = *state;
	struct th_run r;
	char want[128];
	int a, b;

	need_root();
	run_as(u, &r, -1, "gc", NULL);          /* the store, made by root */
	th_run_free(&r);
	share_store(u);
	run_as(u, &r, NOBODY, "get", "--owner", u->keeper_pid, NULL);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%s\n", u->p[0]);
	assert_string_equal(r.out, want);
	th_run_free(&r);
	a = (int)th_listen_tcp(AF_INET, (uint16_t)u->port);
	b = (int)th_listen_tcp(AF_INET, (uint16_t)(u->port + 2));
	assert_true(a >= 0 && b >= 0);
	run_as(u, &r, NOBODY, "check", NULL);
	assert_int_equal(r.status, 1);
	snprintf(want, sizeof(want), "%s  foreign   leased to pid", u->p[0]);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "FOREIGN, a process not visible here "
	    "(root) [tcp 127.0.0.1 LISTEN]"));
	snprintf(want, sizeof(want), "%s  intruder  not leased\n       held "
	    "by a process not visible here (root)", u->p[2]);
	assert_non_null(strstr(r.out, want));
	th_run_free(&r);
	run_as(u, &r, NOBODY, "who", u->p[2], NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "(not visible)"));
	assert_non_null(strstr(r.err, "held by a process not visible here"));
	th_run_free(&r);
	/* under hidepid=2 nobody's /proc does not even list root's
	 * processes (none is unreadable): held all the same */
	hidepid_who(u, &r, u->p[2]);
	if (r.status != 125) {
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "(not visible)"));
	}
	th_run_free(&r);
	close(a);
	close(b);
	/* gone: nobody holds either now */
	run_as(u, &r, NOBODY, "who", u->p[2], NULL);
	assert_int_equal(r.status, 1);
	th_run_free(&r);
}

/* A symbolic link planted where the store goes is never followed. */
static void
test_symlink_store_refused(void **state)
{
	struct u *u = *state;
	char victim[700], *after;
	struct th_run r;
	size_t n;

	snprintf(victim, sizeof(victim), "%s/victim", u->dir);
	free(th_write(u->dir, "victim", "precious\n"));
	assert_int_equal(symlink(victim, u->store), 0);
	run_as(u, &r, -1, "get", NULL);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, u->store));
	assert_non_null(strstr(r.err, "symbolic link"));
	assert_string_equal(r.out, "");
	th_run_free(&r);
	after = th_read(victim, &n);
	assert_string_equal(after, "precious\n");
	free(after);
	/* a dangling link is not followed to create a file either */
	assert_int_equal(unlink(victim), 0);
	run_as(u, &r, -1, "get", NULL);
	assert_int_equal(r.status, 77);
	th_run_free(&r);
	assert_int_equal(access(victim, F_OK), -1);
}

/* ... nor one planted as its directory. */
static void
test_symlink_dir_refused(void **state)
{
	struct u *u = *state;
	char real[700], link[700], store[800];
	char *argv[] = { PORTALLOC_BIN, "get", NULL };
	struct th_run r;

	snprintf(real, sizeof(real), "%s/real", u->dir);
	snprintf(link, sizeof(link), "%s/link", u->dir);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink(real, link), 0);
	snprintf(store, sizeof(store), "%s/leases.db", link);
	sb_setenv(u->sb, "PORTALLOC_STORE", store);
	sb_run_argv(u->sb, &r, argv);
	sb_setenv(u->sb, "PORTALLOC_STORE", u->store);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, link));
	assert_non_null(strstr(r.err, "symbolic link"));
	th_run_free(&r);
	snprintf(store, sizeof(store), "%s/leases.db", real);
	assert_int_equal(access(store, F_OK), -1);
}

/* A directory anybody may write to, without the sticky bit, or sticky
 * but owned by a third user: refused before anything is created. */
static void
test_world_writable_dir_refused(void **state)
{
	struct u *u = *state;
	struct th_run r;

	assert_int_equal(chmod(u->shared, 0777), 0);
	run_as(u, &r, -1, "get", NULL);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, u->shared));
	assert_non_null(strstr(r.err, "without the sticky bit"));
	th_run_free(&r);
	assert_int_equal(access(u->store, F_OK), -1);
	/* sticky and ours (or root's), like /tmp: fine */
	assert_int_equal(chmod(u->shared, 01777), 0);
	run_as(u, &r, -1, "get", "--owner", u->keeper_pid, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	if (getuid() != 0)
		return;
	assert_int_equal(unlink(u->store), 0);
	assert_int_equal(chown(u->shared, NOBODY, NOBODY), 0);
	run_as(u, &r, -1, "get", NULL);
	assert_int_equal(r.status, 77);
	assert_non_null(strstr(r.err, "owned by another user"));
	th_run_free(&r);
	assert_int_equal(access(u->store, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_nobody_cannot_take_roots_leases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unseen_holder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink_store_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_dir_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_world_writable_dir_refused, setup, teardown),
	};

	sb_private_net();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
