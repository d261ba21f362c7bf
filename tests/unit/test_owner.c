/*
 * Lease owners on the fake OS: which process a lease goes to behind each
 * launcher (the README's table, one row per case here), PORTALLOC_OWNER,
 * pid 1 of a container, leases judged across PID namespaces, pid reuse,
 * and release --mine.
 */
#include <string.h>

#include "fixture.h"

#define BLOCK "[block t]\nports = 25100-25109\n"

/* A launcher under an interactive shell (pid 10), running portalloc. */
struct row {
	const char *above;      /* pid 10's command line */
	const char *launcher;   /* pid 20's, portalloc's parent */
	int64_t owner;
	int exiting;
};

static const struct row rows[] = {
	{ "bash", "timeout 10 portalloc get", 10, 0 },
	{ "bash", "xargs -n1 portalloc", 10, 0 },
	{ "bash", "flock /tmp/l portalloc get", 10, 0 },
	{ "bash", "runuser -u ci -- portalloc get", 10, 0 },
	{ "bash", "sudo portalloc get", 10, 0 },
	{ "bash", "su ci -c portalloc get", 10, 0 },
	{ "bash", "nice -n 5 portalloc get", 10, 0 },
	{ "bash", "ionice -c3 portalloc get", 10, 0 },
	{ "bash", "stdbuf -oL portalloc get", 10, 0 },
	{ "bash", "/usr/bin/env portalloc get", 10, 0 },
	{ "bash", "bash", 10, 0 },                       /* a subshell */
	{ "make", "/bin/sh -c portalloc get > ports", 10, 0 },
	{ "python3 t.py", "sh -c portalloc get", 10, 0 }, /* os.system */
	{ "node t.js", "/bin/sh -c portalloc get -n 2", 10, 0 }, /* execSync */
	{ "bash", "sh -c portalloc get | tr -d x", 10, 0 },
	{ "bash", "sh -c portalloc get > ports 2>&1", 10, 0 },
	{ "bash", "sh -c portalloc get &>ports", 10, 0 },
	{ "bash", "sh -c echo $(portalloc get)", 10, 0 },
	{ "bash", "sh -ec portalloc get || exit 1", 10, 0 },
	{ "bash", "bash -c portalloc get; ./server", 20, 0 },
	{ "bash", "sh -c x=$(portalloc get) && exec ./server", 20, 0 },
	{ "bash", "sh -c /opt/bin/portalloc get\n./server", 20, 0 },
	{ "bash", "bash run-tests.sh", 20, 0 },
	{ "bash", "python3 harness.py", 20, 0 },
	{ "bash", "sh -c cat /etc/portalloc/x; portalloc-like", 20, 0 },
};

static int64_t
owner_of_get(struct fx *x, int *exiting)
{
	struct pa_lease *v;
	int64_t pid;
	size_t n;

	v = fx_get(x, 1, PA_OWNER_PARENT, &n);
	pid = v[0].owner_pid;
	*exiting = v[0].owner_exiting;
	pa_leases_free(v);
	return pid;
}

static void
test_launchers(void **state)
{
	size_t i;
	int exiting;

	(void)state;
	th_unsetenv("PORTALLOC_OWNER");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx *x = fx_new(BLOCK);

		pa_fake_add_proc(x->f, 10, 1, 1000, 1000, rows[i].above);
		pa_fake_add_proc(x->f, 20, 10, 2000, 1000, rows[i].launcher);
		pa_fake_set_self(x->f, 100, 20, 1000);
		fx_open(x);
		if (owner_of_get(x, &exiting) != rows[i].owner ||
		    exiting != rows[i].exiting)
			fail_msg("'%s' under '%s': owner %lld, exiting %d",
			    rows[i].launcher, rows[i].above,
			    (long long)owner_of_get(x, &exiting), exiting);
		fx_free(x);
	}
}

/* make -> sh -c 'timeout 10 portalloc get' -> timeout -> portalloc. */
static void
test_chain_of_launchers(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int exiting;

	(void)state;
	pa_fake_add_proc(x->f, 5, 1, 900, 1000, "make -j2");
	pa_fake_add_proc(x->f, 10, 5, 1000, 1000,
	    "/bin/sh -c timeout 10 portalloc get > ports");
	pa_fake_add_proc(x->f, 20, 10, 2000, 1000, "timeout 10 portalloc get");
	pa_fake_set_self(x->f, 100, 20, 1000);
	fx_open(x);
	assert_int_equal(owner_of_get(x, &exiting), 5);
	assert_int_equal(exiting, 0);
	fx_free(x);
}

/*
 * A `sh -c` script longer than the command line struct pa_proc keeps (as
 * `bash -c "$(cat ci-script.sh)"` makes): read whole, a script that goes
 * on after portalloc keeps the shell as the owner, and one that ends with
 * it is skipped.
 */
static void
test_long_script(void **state)
{
	char script[1024], line[1100];
	int exiting, goes_on;

	(void)state;
	memset(script, 0, sizeof(script));
	memset(script, ' ', 400);       /* a long script's first part */
	memcpy(script, "echo start;", 11);
	for (goes_on = 0; goes_on < 2; goes_on++) {
		struct fx *x = fx_new(BLOCK);

		snprintf(line, sizeof(line), "bash -c %s; portalloc get%s",
		    script, goes_on ? "; ./server --port 1" : "");
		pa_fake_add_proc(x->f, 10, 1, 1000, 1000, "make");
		pa_fake_add_proc(x->f, 20, 10, 2000, 1000, line);
		pa_fake_set_self(x->f, 100, 20, 1000);
		fx_open(x);
		assert_int_equal(owner_of_get(x, &exiting), goes_on ? 20 : 10);
		fx_free(x);
	}
}

/* Nothing above a `sh -c` that ends with portalloc: it is the owner, and
 * the caller is told it is about to exit. */
static void
test_owner_about_to_exit(void **state)
{
	struct fx *x = fx_new(BLOCK);
	int exiting;

	(void)state;
	pa_fake_add_proc(x->f, 1, 0, 10, 0, "/sbin/init");
	pa_fake_add_proc(x->f, 20, 1, 2000, 1000, "sh -c portalloc get");
	pa_fake_set_self(x->f, 100, 20, 1000);
	fx_open(x);
	assert_int_equal(owner_of_get(x, &exiting), 20);
	assert_int_equal(exiting, 1);
	fx_free(x);
}

static void
test_env_owner(void **state)
{
	struct pa_request req = { NULL, 1, 0, PA_OWNER_PARENT, -1, NULL, NULL,
	    0 };
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	struct pa_error err;
	int exiting;
	size_t n;

	(void)state;
	pa_fake_add_proc(x->f, 10, 1, 1000, 1000, "bash");
	pa_fake_add_proc(x->f, 30, 1, 3000, 1000, "harness");
	pa_fake_add_proc(x->f, 20, 10, 2000, 1000, "timeout 5 portalloc get");
	pa_fake_set_self(x->f, 100, 20, 1000);
	fx_open(x);
	th_setenv("PORTALLOC_OWNER", "30");
	assert_int_equal(owner_of_get(x, &exiting), 30);
	th_setenv("PORTALLOC_OWNER", "31");
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ESRCH);
	assert_non_null(strstr(err.msg, "PORTALLOC_OWNER"));
	th_setenv("PORTALLOC_OWNER", "12abc");
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EUSAGE);
	th_unsetenv("PORTALLOC_OWNER");
	assert_int_equal(owner_of_get(x, &exiting), 10);
	fx_free(x);
}

/* pid 1 of a container, or a process docker exec started in one, has no
 * parent to own the lease. */
static void
test_pid1(void **state)
{
	struct pa_request req = { NULL, 1, 0, PA_OWNER_PARENT, -1, NULL, NULL,
	    0 };
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	th_unsetenv("PORTALLOC_OWNER");
	pa_fake_set_self(x->f, 1, 0, 0);
	pa_fake_set_parent(x->f, 0);
	fx_open(x);
	memset(&err, 0, sizeof(err));
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ESRCH);
	assert_int_equal(err.hint, PA_HINT_OWNER);
	assert_non_null(strstr(err.msg, "it is pid 1 there, a container's "
	    "first process"));
	assert_int_equal(fx_count(x), 0);
	/* docker exec, nsenter: a process whose parent is outside its PID
	 * namespace has no parent there either */
	pa_fake_set_self(x->f, 40, 0, 0);
	pa_fake_set_parent(x->f, 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ESRCH);
	assert_int_equal(err.hint, PA_HINT_OWNER);
	assert_non_null(strstr(err.msg, "started from outside it, as by "
	    "docker exec or nsenter"));
	assert_int_equal(fx_count(x), 0);
	fx_free(x);
}

#define HOST_NS 4026531836u
#define BOX_NS 4026532999u

/* A second handle on the same store, through its own fake OS. */
static struct pa *
open_other(struct fx *x, struct pa_fake *f)
{
	struct pa_error err;
	struct pa *pa;

	if (pa__open_os(&pa, x->cfg, pa_fake_os(f), &err) != 0)
		fail_msg("open: %s", err.msg);
	return pa;
}

static size_t
gc_count(struct pa *pa)
{
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	if (pa_gc(pa, &v, &n, &err) != 0)
		fail_msg("gc: %s", err.msg);
	pa_leases_free(v);
	return n;
}

/*
 * The host leases for host pid 50; a container (its own PID namespace,
 * where pid 50 is somebody else or nobody) neither reclaims it nor hands
 * its port out again.
 */
static void
test_container_cannot_judge_host(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 25100-25101\n");
	struct pa_fake *box = pa_fake_new();
	struct pa_request req = { NULL, 1, 0, 1, -1, NULL, NULL, 0 };
	struct pa_error err;
	struct pa_lease *v;
	struct pa *bpa;
	size_t n;

	(void)state;
	pa_fake_set_initial_ns(x->f, 1);
	pa_fake_add_proc(x->f, 50, 1, 5000, 1000, "host-job");
	pa_fake_set_ns(x->f, 50, HOST_NS, 50, 777);
	pa_fake_set_ns(x->f, 100, HOST_NS, 100, 778);
	fx_open(x);
	pa_leases_free(fx_get(x, 1, 50, &n));
	/* the container: pid 1 a shell, portalloc pid 7 under it */
	pa_fake_set_self(box, 7, 1, 1000);
	pa_fake_add_proc(box, 1, 0, 6000, 1000, "bash -c job; sleep 9");
	pa_fake_set_ns(box, 1, BOX_NS, 1, 900);
	pa_fake_set_ns(box, 7, BOX_NS, 7, 901);
	pa_fake_add_proc(box, 50, 1, 6100, 1000, "unrelated");
	pa_fake_set_ns(box, 50, BOX_NS, 50, 902);
	bpa = open_other(x, box);
	assert_int_equal(gc_count(bpa), 0);
	assert_int_equal(pa_get(bpa, &req, &v, &n, &err), 0);
	assert_int_equal(v[0].port, 25101);
	assert_int_equal(v[0].owner_pidns, BOX_NS);
	pa_leases_free(v);
	assert_int_equal(pa_get(bpa, &req, &v, &n, &err), PA_EFULL);
	/* the host sees the container's owner alive, then its namespace
	 * empty */
	pa_fake_add_proc(x->f, 4001, 1, 6000, 1000, "bash -c job; sleep 9");
	pa_fake_set_ns(x->f, 4001, BOX_NS, 1, 900);
	assert_int_equal(gc_count(x->pa), 0);
	pa_fake_kill(x->f, 4001);
	assert_int_equal(gc_count(x->pa), 1);
	assert_int_equal(fx_count(x), 1);
	pa_close(bpa);
	pa_fake_free(box);
	fx_free(x);
}

/* From a namespace that sees the owner's (a parent), the owner's death
 * is seen: the namespace has processes, none is the owner. */
static void
test_parent_ns_judges(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	pa_fake_set_initial_ns(x->f, 0);   /* not even the host */
	pa_fake_set_ns(x->f, 100, HOST_NS + 5, 100, 1);
	pa_fake_add_proc(x->f, 300, 1, 3000, 1000, "job");
	pa_fake_set_ns(x->f, 300, BOX_NS, 2, 30);
	pa_fake_add_proc(x->f, 301, 1, 3000, 1000, "init");
	pa_fake_set_ns(x->f, 301, BOX_NS, 1, 31);
	fx_open(x);
	pa_leases_free(fx_get(x, 1, 300, &n));
	assert_int_equal(gc_count(x->pa), 0);
	pa_fake_kill(x->f, 300);
	assert_int_equal(gc_count(x->pa), 1);
	/* a namespace nobody here is in, seen from a non-initial one:
	 * it stands */
	pa_fake_add_proc(x->f, 302, 1, 3000, 1000, "job");
	pa_fake_set_ns(x->f, 302, BOX_NS + 1, 5, 32);
	pa_leases_free(fx_get(x, 1, 302, &n));
	pa_fake_kill(x->f, 302);
	assert_int_equal(gc_count(x->pa), 0);
	fx_free(x);
}

static size_t
release_owner(struct fx *x, int64_t pid)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	f.owner_pid = pid;
	if (pa_release(x->pa, &f, &v, &n, &err) != 0)
		fail_msg("release: %s", err.msg);
	pa_leases_free(v);
	return n;
}

/*
 * pid 60 ends and a new process gets pid 60 within the same clock tick:
 * the id tells them apart, so the old lease is dead, and release --owner
 * 60 and exec's release touch only the new process's leases.
 */
static void
test_pid_reuse(void **state)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *old, *v;
	struct pa_error err;
	size_t n;

	(void)state;
	pa_fake_add_proc(x->f, 60, 1, 6000, 1000, "job one");
	pa_fake_set_ns(x->f, 60, HOST_NS, 60, 600);
	pa_fake_set_ns(x->f, 100, HOST_NS, 100, 1);
	fx_open(x);
	old = fx_get(x, 2, 60, &n);
	pa_fake_add_proc(x->f, 60, 1, 6000, 1000, "job two"); /* same tick */
	pa_fake_set_ns(x->f, 60, HOST_NS, 60, 601);
	/* job one's leases are dead: gc reclaims them (a get reclaims only
	 * the owners its walk meets), and job two's lease stays */
	pa_leases_free(fx_get(x, 1, 60, &n));
	assert_int_equal(pa_gc(x->pa, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	pa_leases_free(v);
	assert_int_equal(fx_count(x), 1);
	/* exec's release for job one leaves job two's lease */
	f.owner_of = &old[0];
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	pa_leases_free(v);
	assert_int_equal(fx_count(x), 1);
	/* release --owner 60: the process with pid 60 now, job two */
	pa_leases_free(fx_get(x, 2, 0, &n));
	assert_int_equal(release_owner(x, 60), 1);
	assert_int_equal(fx_count(x), 2);
	/* gc: job two's lease is dead by its id once job three has pid 60 */
	pa_leases_free(fx_get(x, 1, 60, &n));
	pa_fake_add_proc(x->f, 60, 1, 6000, 1000, "job three");
	pa_fake_set_ns(x->f, 60, HOST_NS, 60, 602);
	assert_int_equal(release_owner(x, 60), 0);
	assert_int_equal(gc_count(x->pa), 1);
	assert_int_equal(fx_count(x), 2);
	pa_leases_free(old);
	fx_free(x);
}

/* Without ids (an older kernel) the start time still tells. */
static void
test_pid_reuse_by_start(void **state)
{
	struct fx *x = fx_new(BLOCK);
	size_t n;

	(void)state;
	pa_fake_add_proc(x->f, 60, 1, 6000, 1000, "job one");
	fx_open(x);
	pa_leases_free(fx_get(x, 1, 60, &n));
	pa_fake_add_proc(x->f, 60, 1, 6001, 1000, "job two");
	assert_int_equal(release_owner(x, 60), 0);
	assert_int_equal(gc_count(x->pa), 1);
	fx_free(x);
}

/* root's release --mine: the caller's owner's leases, not every root
 * lease on the host. */
static void
test_release_mine_as_root(void **state)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct fx *x = fx_new(BLOCK);
	struct pa_lease *v;
	struct pa_error err;
	int exiting;
	size_t n;

	(void)state;
	th_unsetenv("PORTALLOC_OWNER");
	pa_fake_add_proc(x->f, 10, 1, 1000, 0, "bash");
	pa_fake_add_proc(x->f, 11, 1, 1100, 0, "other-root-job");
	pa_fake_add_proc(x->f, 20, 10, 2000, 0, "timeout 9 portalloc get");
	pa_fake_set_self(x->f, 100, 20, 0);
	fx_open(x);
	pa_leases_free(fx_get(x, 2, 11, &n));
	assert_int_equal(owner_of_get(x, &exiting), 10);
	f.owner_pid = PA_OWNER_PARENT;
	assert_int_equal(pa_release(x->pa, &f, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].owner_pid, 10);
	pa_leases_free(v);
	assert_int_equal(fx_count(x), 2);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launchers),
		cmocka_unit_test(test_chain_of_launchers),
		cmocka_unit_test(test_long_script),
		cmocka_unit_test(test_owner_about_to_exit),
		cmocka_unit_test(test_env_owner),
		cmocka_unit_test(test_pid1),
		cmocka_unit_test(test_container_cannot_judge_host),
		cmocka_unit_test(test_parent_ns_judges),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_pid_reuse_by_start),
		cmocka_unit_test(test_release_mine_as_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
