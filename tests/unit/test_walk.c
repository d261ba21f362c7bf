/*
 * The allocation walk over a crowded store (alloc.c reads the leased ports
 * ahead of it with range queries, a few at a time, instead of loading the
 * block): a free port is still found after the cursor however many leases
 * lie between, the cursor wraps, and a gone owner's leases met in the walk
 * are reclaimed there, before the block is full.  On the fake OS.
 */
#include <string.h>

#include "fixture.h"

/* 10,000 live leases: the two ports released among them are found, in
 * order from the cursor, then the block is full. */
static void
test_free_port_among_many_leases(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 20000-29999\n");
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	fx_open(x);
	pa_leases_free(fx_get(x, 10000, 0, &n));
	assert_int_equal(n, 10000);
	/* the cursor wrapped to 20000; free one port far past it, one near */
	fx_release_port(x, 27777);
	fx_release_port(x, 20130);
	assert_int_equal(fx_port(x, 0), 20130);
	assert_int_equal(fx_port(x, 0), 27777);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
	assert_int_equal(fx_count(x), 10000);
	fx_free(x);
}

/* A full block's message names its owners in the order of their first
 * port, each with its count, five of them, and how many more there are. */
static void
test_full_names_owners(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 25000-25007\n");
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	char cmd[32];
	size_t n;
	int64_t pid;

	(void)state;
	fx_open(x);
	for (pid = 501; pid <= 507; pid++) {
		snprintf(cmd, sizeof(cmd), "job %lld", (long long)pid);
		pa_fake_add_proc(x->f, pid, 1, 111, 1000, cmd);
		pa_leases_free(fx_get(x, pid == 501 ? 2 : 1, pid, &n));
	}
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EFULL);
	assert_non_null(strstr(err.msg, "8 leased (pid 501 (job 501): 2, "
	    "pid 502 (job 502): 1, pid 503 (job 503): 1, pid 504 (job 504): "
	    "1, pid 505 (job 505): 1, 2 more owners)"));
	fx_free(x);
}

/* Next-fit wraps: after the last port comes the first. */
static void
test_cursor_wraps(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 25000-25009\n");
	struct pa_lease *v;
	size_t n;

	(void)state;
	fx_open(x);
	pa_leases_free(fx_get(x, 8, 0, &n));
	fx_release_port(x, 25000);
	fx_release_port(x, 25001);
	v = fx_get(x, 3, 0, &n);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].port, 25008);
	assert_int_equal(v[1].port, 25009);
	assert_int_equal(v[2].port, 25000);
	pa_leases_free(v);
	/* and the cursor goes on from there */
	assert_int_equal(fx_port(x, 0), 25001);
	fx_free(x);
}

/* A lease met in the walk whose owner is gone is reclaimed then and there,
 * with the rest of that owner's leases, though the block is not full. */
static void
test_dead_owner_met_in_walk(void **state)
{
	struct fx *x = fx_new("[block t]\nports = 25000-25019\n");
	size_t n;

	(void)state;
	fx_open(x);
	pa_fake_add_proc(x->f, 500, 1, 111, 1000, "job a");
	pa_fake_add_proc(x->f, 600, 1, 222, 1000, "job b");
	pa_leases_free(fx_get(x, 5, 500, &n));
	pa_leases_free(fx_get(x, 15, 600, &n));
	fx_release_port(x, 25019); /* one free port: not full */
	pa_fake_kill(x->f, 500);
	/* the cursor is back at 25000, job a's: it is reclaimed */
	assert_int_equal(fx_port(x, 600), 25000);
	assert_int_equal(fx_count(x), 15);
	fx_free(x);
}

/*
 * Containers started together: two jobs, each pid 7 of its own PID
 * namespace, started in the same clock tick.  Their owners differ only in
 * the namespace.  The one still running must not vouch for the other:
 * met in the walk after it, the gone one's leases are reclaimed there.
 */
static void
test_dead_twin_of_other_namespace(void **state)
{
	enum { HOST = 0xF0, NS_A = 0xA0, NS_B = 0xB0 };
	struct fx *x = fx_new("[block t]\nports = 25000-25009\n");
	size_t n;

	(void)state;
	pa_fake_set_ns(x->f, 100, HOST, 100, 0);   /* the caller, on the host */
	pa_fake_set_initial_ns(x->f, 1);
	fx_open(x);
	/* as the host sees them while they run: both pid 7, start 111 */
	pa_fake_add_proc(x->f, 7, 1, 111, 1000, "job a");
	pa_fake_set_ns(x->f, 7, NS_A, 7, 0);
	pa_leases_free(fx_get(x, 5, 7, &n));        /* 25000-25004 */
	pa_fake_add_proc(x->f, 7, 1, 111, 1000, "job b");
	pa_fake_set_ns(x->f, 7, NS_B, 7, 0);
	pa_leases_free(fx_get(x, 4, 7, &n));        /* 25005-25008 */
	/* job b is gone; job a runs on (found by its namespace) */
	pa_fake_kill(x->f, 7);
	pa_fake_add_proc(x->f, 1007, 1, 111, 1000, "job a");
	pa_fake_set_ns(x->f, 1007, NS_A, 7, 0);
	/* the cursor wraps past 25009 to 25000 */
	assert_int_equal(fx_port(x, 0), 25009);
	fx_release_port(x, 25009);
	/* job a's leases stand; job b's, met next, are reclaimed */
	assert_int_equal(fx_port(x, 0), 25005);
	assert_int_equal(fx_count(x), 5 + 1);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_port_among_many_leases),
		cmocka_unit_test(test_cursor_wraps),
		cmocka_unit_test(test_full_names_owners),
		cmocka_unit_test(test_dead_owner_met_in_walk),
		cmocka_unit_test(test_dead_twin_of_other_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
