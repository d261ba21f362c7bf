/*
 * Root must not act on configuration other users wrote (issue 19), end to
 * end with the built binary, as root and as nobody.  The test moves
 * itself into a private network namespace first (root only), so that the
 * kernel's ip_local_reserved_ports it checks is its own; the drop-in is a
 * file of the test's ($PORTALLOC_SYSCTL_DROPIN) and the host's file a
 * path of the test's that does not exist ($PORTALLOC_HOST_CONFIG), so
 * /etc is never read or written.  Without root every test is skipped.
 * Also the config robustness cases the CLI sees: /dev/zero, `config`
 * failing where `get` fails, the host-store warning.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox.h"

#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define RANGE "/proc/sys/net/ipv4/ip_local_port_range"
#define NOBODY 65534

static char host_netns[64];   /* where the test started */
static char test_netns[64];   /* its private namespace; "" if none */

struct t {
	char *dir;            /* root's, 0755 */
	char proj[600];       /* nobody's project directory, 0755 */
	char dropin[600];     /* root's drop-in (in root's directory) */
	char *env[8];         /* root's environment */
	char *nenv[8];        /* nobody's: the store in its own directory */
};

static void
netns_of_self(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/ns/net", buf, len - 1);

	buf[n < 0 ? 0 : n] = '\0';
}

/* Moves the test into a network namespace of its own, with lo up. */
static void
enter_private_netns(void)
{
	netns_of_self(host_netns, sizeof(host_netns));
	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "test_trust: not root, or unshare refused "
		    "(%s): skipping\n", strerror(errno));
		return;
	}
	netns_of_self(test_netns, sizeof(test_netns));
	if (strcmp(test_netns, host_netns) == 0) {
		test_netns[0] = '\0';
		return;
	}
	sb_lo_up();
}

static void
need_netns(void)
{
	if (test_netns[0] == '\0')
		skip();
}

/* Writes a sysctl, but only in the test's own namespace. */
static void
sysctl_set(const char *path, const char *value)
{
	char now[64];
	FILE *fp;

	netns_of_self(now, sizeof(now));
	if (test_netns[0] == '\0' || strcmp(now, test_netns) != 0)
		fail_msg("refusing to write %s outside the test's namespace",
		    path);
	assert_non_null(fp = fopen(path, "w"));
	assert_true(fprintf(fp, "%s\n", value) > 0);
	assert_int_equal(fclose(fp), 0);
}

static void
expect_reserved(const char *want)
{
	char *s = th_read(RESERVED, NULL);

	assert_non_null(s);
	s[strcspn(s, "\n")] = '\0';
	assert_string_equal(s, want);
	free(s);
}

static int
setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));

	t->dir = th_tmpdir();
	chmod(t->dir, 0755);
	snprintf(t->proj, sizeof(t->proj), "%s/proj", t->dir);
	snprintf(t->dropin, sizeof(t->dropin), "%s/60-portalloc.conf",
	    t->dir);
	if (mkdir(t->proj, 0755) != 0 || chown(t->proj, NOBODY, NOBODY) != 0)
		return -1;
	if (asprintf(&t->env[0], "PORTALLOC_STORE=%s/leases.db",
	    t->dir) < 0 ||
	    asprintf(&t->env[1], "HOME=%s", t->dir) < 0 ||
	    asprintf(&t->env[2], "PORTALLOC_SYSCTL_DROPIN=%s",
	    t->dropin) < 0 ||
	    asprintf(&t->env[3], "PORTALLOC_HOST_CONFIG=%s/none.ini",
	    t->dir) < 0 ||
	    asprintf(&t->nenv[0], "PORTALLOC_STORE=%s/leases.db",
	    t->proj) < 0 ||
	    asprintf(&t->nenv[1], "HOME=%s", t->proj) < 0 ||
	    asprintf(&t->nenv[2], "PORTALLOC_HOST_CONFIG=%s/none.ini",
	    t->dir) < 0)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	th_rmtree(t->dir);
	th_strv_free(t->env);
	th_strv_free(t->nenv);
	free(t->dir);
	free(t);
	return 0;
}

/* Runs portalloc in cwd as uid (-1: root, with root's environment). */
static void
run(struct t *t, struct th_run *r, long uid, const char *cwd, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, cwd);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	th_run_as(r, uid, cwd, uid < 0 ? t->env : t->nenv, argv);
	print_message("$ portalloc %s %s\n%.300s%.600s[exit %d]\n", argv[1],
	    argv[2] ? argv[2] : "", r->out, r->err, r->status);
}

/* dir/name owned by uid with mode. */
static char *
file_as(const char *dir, const char *name, const char *text, long uid,
    mode_t mode)
{
	char *path = th_write(dir, name, text);

	assert_int_equal(chown(path, (uid_t)uid, (gid_t)uid), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

#define EVIL "[block evil]\nports = 20100-20199\nprotocols = tcp\n" \
	"reserve = persistent\n"

/* nobody's ./portalloc.ini in nobody's directory: root's reserve refuses
 * it (78, which file, whose, how to use it anyway) and changes nothing;
 * nobody's own get uses it. */
static void
test_users_file_refused_for_root(void **state)
{
	struct t *t = *state;
	struct th_run r;
	char *p;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "7");
	p = file_as(t->proj, "portalloc.ini", EVIL, NOBODY, 0644);
	run(t, &r, -1, t->proj, "reserve", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, p));
	assert_non_null(strstr(r.err, "belongs to uid 65534"));
	assert_non_null(strstr(r.err, "portalloc -c "));
	assert_non_null(strstr(r.err, "trust = "));
	th_run_free(&r);
	expect_reserved("7");
	assert_int_equal(access(t->dropin, F_OK), -1);
	assert_int_equal(access(t->env[0] + strlen("PORTALLOC_STORE="),
	    F_OK), -1);
	/* a get that would reserve: the same */
	run(t, &r, -1, t->proj, "get", "-b", "evil", "--owner", "1", NULL);
	assert_int_equal(r.status, 78);
	th_run_free(&r);
	expect_reserved("7");
	/* its owner's get uses it, once root has reserved the block */
	sysctl_set(RESERVED, "7,20100-20199");
	run(t, &r, NOBODY, t->proj, "get", "--owner", "1", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "20100\n");
	th_run_free(&r);
	free(p);
}

/* Named with -c, nobody's file is used for root's ordinary commands, but
 * never to reserve, nor for its store; a root-owned 0644 file named with
 * -c reserves. */
static void
test_named_files(void **state)
{
	struct t *t = *state;
	struct th_run r;
	char *p, *q;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "7");
	p = file_as(t->proj, "evil.ini", EVIL, NOBODY, 0644);
	run(t, &r, -1, "/", "-c", p, "reserve", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "not used to change system settings"));
	assert_non_null(strstr(r.err, "belongs to uid 65534"));
	th_run_free(&r);
	run(t, &r, -1, "/", "-c", p, "unreserve", NULL);
	assert_int_equal(r.status, 78);
	th_run_free(&r);
	expect_reserved("7");
	assert_int_equal(access(t->dropin, F_OK), -1);
	run(t, &r, -1, "/", "-c", p, "list", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	q = file_as(t->dir, "root.ini", EVIL, 0, 0644);
	run(t, &r, -1, "/", "-c", q, "reserve", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	expect_reserved("7,20100-20199");
	assert_int_equal(access(t->dropin, F_OK), 0);
	free(p);
	free(q);
}

/* A group-writable file, even root's, is not used by the search; a
 * store = from nobody's file is not used by root. */
static void
test_group_writable_and_store(void **state)
{
	struct t *t = *state;
	struct th_run r;
	char *p, evil_store[700], text[900];

	need_netns();
	p = file_as(t->dir, "portalloc.ini", "[block a]\nports = 5000-5009\n",
	    0, 0664);
	run(t, &r, -1, t->dir, "list", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "writable by its group"));
	th_run_free(&r);
	free(p);
	snprintf(evil_store, sizeof(evil_store), "%s/planted.db", t->proj);
	snprintf(text, sizeof(text), "[portalloc]\nstore = %s\n"
	    "[block a]\nports = 5000-5009\n", evil_store);
	p = file_as(t->proj, "store.ini", text, NOBODY, 0644);
	/* no $PORTALLOC_STORE this time: the file's store would count */
	free(t->env[0]);
	t->env[0] = strdup("PORTALLOC_X=1");
	run(t, &r, -1, "/", "-c", p, "list", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "is not used as root"));
	th_run_free(&r);
	assert_int_equal(access(evil_store, F_OK), -1);
	free(p);
}

/* $PORTALLOC_SYSCTL_DROPIN in a directory nobody may write: refused for
 * root, nothing changed. */
static void
test_dropin_env(void **state)
{
	struct t *t = *state;
	struct th_run r;
	char *p;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	sysctl_set(RESERVED, "7");
	p = file_as(t->dir, "root.ini", EVIL, 0, 0644);
	free(t->env[2]);
	assert_true(asprintf(&t->env[2], "PORTALLOC_SYSCTL_DROPIN=%s/x.conf",
	    t->proj) > 0);
	run(t, &r, -1, "/", "-c", p, "reserve", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "PORTALLOC_SYSCTL_DROPIN"));
	assert_non_null(strstr(r.err, "is not used as root"));
	th_run_free(&r);
	expect_reserved("7");
	free(p);
}

/* /dev/zero is refused at once; `config` fails where get fails; a
 * project store away from the host's is warned about. */
static void
test_config_checks(void **state)
{
	struct t *t = *state;
	struct th_run r;
	char *p, *h;

	need_netns();
	sysctl_set(RANGE, "20000 20999");
	run(t, &r, -1, "/", "-c", "/dev/zero", "config", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "not a regular file"));
	th_run_free(&r);
	p = file_as(t->dir, "eph.ini", "[block e]\nports = 20500-20509\n", 0,
	    0644);
	run(t, &r, -1, "/", "-c", p, "config", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "ephemeral port range"));
	th_run_free(&r);
	free(p);
	/* the host's file ($PORTALLOC_HOST_CONFIG), root's */
	h = file_as(t->dir, "none.ini", "[portalloc]\nstore = /var/tmp/h.db\n",
	    0, 0644);
	p = file_as(t->dir, "proj.ini", "[portalloc]\nstore = /var/tmp/p.db\n"
	    "[block a]\nports = 5000-5009\n", 0, 0644);
	free(t->env[0]);
	t->env[0] = strdup("PORTALLOC_X=1");
	run(t, &r, -1, "/", "-c", p, "config", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "warning: "));
	assert_non_null(strstr(r.err, "moves the store away from the host's"));
	th_run_free(&r);
	free(p);
	/* a project file without a store: the host's, and `config` says so */
	p = file_as(t->dir, "proj.ini", "[block a]\nports = 5000-5009\n", 0,
	    0644);
	run(t, &r, -1, "/", "-c", p, "config", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "store = /var/tmp/h.db"));
	assert_non_null(strstr(r.out, "none.ini:2"));
	th_run_free(&r);
	free(p);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_users_file_refused_for_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_files, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_group_writable_and_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropin_env, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config_checks, setup,
		    teardown),
	};

	enter_private_netns();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
