/*
 * pa_list_each (issue 14): the walk `portalloc list` prints from.  It must
 * hand out exactly what pa_list hands out (the same leases, by port, with
 * the same states) for every kind of filter, since the CLI prints one and
 * harnesses may use either; and a callback's nonzero return must end the
 * walk at once and come back, leaving the handle usable.  On the fake OS.
 */
#include <string.h>

#include "fixture.h"

#define BLOCKS "[block a]\nports = 25100-25119\n" \
	"[block b]\nports = 25200-25219\n"

/* A walk's leases, copied as they come. */
struct seen {
	struct pa_lease v[64];
	size_t n;
	size_t stop_at;                 /* 0: never stop */
};

static int
keep(const struct pa_lease *l, void *arg)
{
	struct seen *s = arg;

	if (s->n == sizeof(s->v) / sizeof(s->v[0]))
		fail_msg("more leases than the test made");
	s->v[s->n++] = *l;
	return s->stop_at != 0 && s->n == s->stop_at ? 7 : 0;
}

static struct pa_lease *
get(struct fx *x, const char *block, unsigned count, int64_t owner,
    const char *tag, int64_t ttl)
{
	struct pa_request req = { block, count, 0, owner, ttl, tag, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	if (pa_get(x->pa, &req, &v, &n, &err) != 0)
		fail_msg("pa_get: %s", err.msg);
	return v;
}

/*
 * Ten leases of every kind a filter tells apart: owner 10 (the caller's
 * owner: bash above a launcher, pid 20) 3 in a tagged x, the launcher 1 in
 * a, 30 2 in b tagged y that expire, 40 1 in b as uid 2000, 50 1 in a and
 * gone, 60 1 in a before its pid was reused and 1 in b after.  Returns the
 * fixture, open; *of30 gets one of 30's leases.
 */
static struct fx *
crowd(struct pa_lease *of30)
{
	struct fx *x = fx_new(BLOCKS);
	struct pa_lease *v;

	th_unsetenv("PORTALLOC_OWNER");
	pa_fake_add_proc(x->f, 10, 1, 1000, 1000, "bash");
	pa_fake_add_proc(x->f, 20, 10, 2000, 1000, "timeout 9 portalloc get");
	pa_fake_add_proc(x->f, 30, 1, 3000, 1000, "job30");
	pa_fake_add_proc(x->f, 40, 1, 4000, 2000, "job40");
	pa_fake_add_proc(x->f, 50, 1, 5000, 1000, "job50");
	pa_fake_add_proc(x->f, 60, 1, 6000, 1000, "job60");
	pa_fake_set_self(x->f, 100, 20, 1000);
	fx_open(x);
	pa_leases_free(get(x, "a", 3, 10, "x", -1));
	pa_leases_free(get(x, "a", 1, 20, NULL, -1));
	v = get(x, "b", 2, 30, "y", 60);
	*of30 = v[0];
	pa_leases_free(v);
	pa_fake_set_self(x->f, 100, 20, 2000);
	pa_leases_free(get(x, "b", 1, 40, NULL, -1));
	pa_fake_set_self(x->f, 100, 20, 1000);
	pa_leases_free(get(x, "a", 1, 50, NULL, -1));
	pa_leases_free(get(x, "a", 1, 60, NULL, -1));
	/* a get reclaims the dead it meets: 60's new lease is in b */
	pa_fake_add_proc(x->f, 60, 1, 6001, 1000, "job60 again");
	pa_leases_free(get(x, "b", 1, 60, NULL, -1));
	pa_fake_kill(x->f, 50);
	pa_fake_set_now(x->f, 1000000000 + 120);   /* 30's have expired */
	return x;
}

/* pa_list_each over f gives pa_list's leases, by port, with pa_list's
 * states, and there are want of them. */
static void
same_as_list(struct fx *x, const struct pa_filter *f, size_t want,
    const char *what)
{
	struct seen s;
	struct pa_lease *v;
	struct pa_error err;
	size_t n, i;

	memset(&s, 0, sizeof(s));
	if (pa_list(x->pa, f, &v, &n, &err) != 0)
		fail_msg("%s: pa_list: %s", what, err.msg);
	if (pa_list_each(x->pa, f, keep, &s, &err) != 0)
		fail_msg("%s: pa_list_each: %s", what, err.msg);
	if (n != want || s.n != want)
		fail_msg("%s: pa_list %zu, pa_list_each %zu, want %zu", what,
		    n, s.n, want);
	for (i = 0; i < n; i++) {
		if (s.v[i].port != v[i].port || s.v[i].state != v[i].state ||
		    s.v[i].owner_pid != v[i].owner_pid ||
		    s.v[i].owner_start != v[i].owner_start ||
		    s.v[i].uid != v[i].uid ||
		    strcmp(s.v[i].block, v[i].block) != 0 ||
		    strcmp(s.v[i].tag, v[i].tag) != 0)
			fail_msg("%s: lease %zu: port %u/%u state %d/%d", what,
			    i, s.v[i].port, v[i].port, s.v[i].state,
			    v[i].state);
		if (i > 0 && s.v[i].port <= s.v[i - 1].port)
			fail_msg("%s: not by port at %zu", what, i);
	}
	pa_leases_free(v);
}

/* Every kind of filter, alone and together. */
static void
test_filters(void **state)
{
	struct pa_lease of30;
	struct fx *x = crowd(&of30);
	struct pa_filter f;
	uint16_t ports[3], many[40];
	size_t i;

	(void)state;
	f = (struct pa_filter)PA_FILTER_INIT;
	same_as_list(x, &f, 10, "all");
	f.block = "a";
	same_as_list(x, &f, 6, "block a");
	f = (struct pa_filter)PA_FILTER_INIT;
	f.tag = "x";
	same_as_list(x, &f, 3, "tag x");
	f = (struct pa_filter)PA_FILTER_INIT;
	f.uid = 2000;
	same_as_list(x, &f, 1, "uid 2000");
	f.uid = PA_UID_SELF;
	same_as_list(x, &f, 9, "uid self");
	f = (struct pa_filter)PA_FILTER_INIT;
	f.owner_pid = 30;
	same_as_list(x, &f, 2, "owner 30");
	f.owner_pid = 60;       /* the process there now, not the earlier one */
	same_as_list(x, &f, 1, "owner 60");
	f.owner_pid = 50;       /* none lives: the dead owner that had it */
	same_as_list(x, &f, 1, "owner 50");
	f.owner_pid = PA_OWNER_PARENT;  /* 10, and the launcher it went past */
	same_as_list(x, &f, 4, "mine");
	f = (struct pa_filter)PA_FILTER_INIT;
	f.owner_of = &of30;
	same_as_list(x, &f, 2, "owner_of");
	ports[0] = 25100;
	ports[1] = of30.port;
	ports[2] = 65000;
	f = (struct pa_filter)PA_FILTER_INIT;
	f.ports = ports;
	f.nports = 3;
	same_as_list(x, &f, 2, "ports");
	f.block = "b";
	f.tag = "y";
	same_as_list(x, &f, 1, "ports, block b, tag y");
	/* many ports (searched, not scanned): in order, as check passes
	 * them, and out of order, sorted into a copy */
	for (i = 0; i < 40; i++)
		many[i] = (uint16_t)(i < 20 ? 25100 + i : 25200 + i - 20);
	f = (struct pa_filter)PA_FILTER_INIT;
	f.ports = many;
	f.nports = 40;
	same_as_list(x, &f, 10, "40 ports in order");
	for (i = 0; i < 20; i++) {
		many[i] = (uint16_t)(30039 - i);    /* nobody's */
		many[39 - i] = (uint16_t)(30000 + i);
	}
	many[7] = of30.port;
	many[31] = 25100;
	same_as_list(x, &f, 2, "40 ports out of order");
	f = (struct pa_filter)PA_FILTER_INIT;
	f.block = "b";
	f.owner_pid = 60;
	f.uid = 1000;
	same_as_list(x, &f, 1, "block b, owner 60, uid 1000");
	fx_free(x);
}

/* The states come out right: alive, dead (gone, or its pid reused) and
 * expired, each from its own owner. */
static void
test_states(void **state)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease of30;
	struct fx *x = crowd(&of30);
	struct pa_error err;
	struct seen s;
	size_t i, alive = 0, dead = 0, expired = 0;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(pa_list_each(x->pa, &f, keep, &s, &err), 0);
	for (i = 0; i < s.n; i++) {
		alive += s.v[i].state == PA_LEASE_ALIVE;
		dead += s.v[i].state == PA_LEASE_DEAD;
		expired += s.v[i].state == PA_LEASE_EXPIRED;
		if (s.v[i].owner_pid == 30)
			assert_int_equal(s.v[i].state, PA_LEASE_EXPIRED);
		if (s.v[i].owner_pid == 50)
			assert_int_equal(s.v[i].state, PA_LEASE_DEAD);
	}
	assert_int_equal(alive, 6);     /* 10 x3, 20, 40, 60 now */
	assert_int_equal(dead, 2);      /* 50, 60 before */
	assert_int_equal(expired, 2);
	fx_free(x);
}

/* fn's nonzero return ends the walk there and is returned; the handle
 * then lists and leases as before (no statement left open). */
static void
test_stop(void **state)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease of30;
	struct fx *x = crowd(&of30);
	struct pa_error err;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	assert_int_equal(pa_list_each(x->pa, &f, keep, &s, &err), 7);
	assert_int_equal(s.n, 3);
	s.n = 0;
	s.stop_at = 1;
	assert_int_equal(pa_list_each(x->pa, &f, keep, &s, &err), 7);
	assert_int_equal(s.n, 1);
	assert_int_equal(fx_count(x), 10);
	pa_leases_free(get(x, "a", 1, 10, NULL, -1));  /* a write goes in */
	fx_free(x);
}

/* No lease, no call. */
static void
test_empty(void **state)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct fx *x = fx_new(BLOCKS);
	struct pa_error err;
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	fx_open(x);
	assert_int_equal(pa_list_each(x->pa, &f, keep, &s, &err), 0);
	assert_int_equal(s.n, 0);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
