/*
 * OS port reservations on the fake OS: parsing and rendering of port lists;
 * then one table of tests run over both shapes of reservation (a list, as
 * on Linux; ranges per protocol, as on Windows): what reserve and
 * unreserve change, taking off only what portalloc added, idempotence,
 * refusals that change nothing and hand back a hint, warnings with their
 * kind, moved blocks, pa_get making sure of its block's reservation, the
 * report's fields; then what only one shape has (the list's merging,
 * drop-in and namespaces; the ranges' protocols); and a store written by
 * the schema before `added` was split.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "fixture.h"

#define RUNTIME "[block r]\nports = 20100-20199\nreserve = runtime\n"
#define PERSIST "[block p]\nports = 20300-20309\nreserve = persistent\n"
#define PERSIST2 "[block q]\nports = 20400-20401\nreserve = persistent\n"
#define PLAIN "[block n]\nports = 20500-20509\n"
#define DROPIN_LINE "net.ipv4.ip_local_reserved_ports = "

/* Parses text and renders it again. */
static void
expect_render(const char *text, const char *want)
{
	struct pa__ports set;
	char *out;

	assert_int_equal(pa__ports_parse(text, &set), 0);
	assert_int_equal(pa__ports_render(&set, &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void
test_parse_render(void **state)
{
	static const char *const bad[] = { "a", "1,", ",1", "5-3", "65536",
	    "1-", "1 2", "1,,2", "-5", "1-2-3", "99999999999", "1;2" };
	struct pa__ports set;
	size_t i;

	(void)state;
	expect_render("", "");
	expect_render("\n", "");
	expect_render("1,5-9,20000-20999", "1,5-9,20000-20999");
	expect_render("1,5-9,20000-20999\n", "1,5-9,20000-20999");
	expect_render("5-9,1", "1,5-9");
	expect_render("1,2,3,5", "1-3,5");
	expect_render("10-20,15-25,26", "10-26");
	expect_render(" 7 - 8 , 9 ", "7-9");
	expect_render("0,65535", "0,65535");
	expect_render("0-65535", "0-65535");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad: '%s'\n", bad[i]);
		memset(&set, 0xff, sizeof(set));
		assert_int_equal(pa__ports_parse(bad[i], &set), PA_EDATA);
		assert_int_equal(pa__ports_count(&set, 0, 65535), 0);
	}
	assert_int_equal(pa__ports_parse("1,5-9,20000-20999", &set), 0);
	assert_int_equal(pa__ports_count(&set, 0, 65535), 1 + 5 + 1000);
	assert_int_equal(pa__ports_count(&set, 8, 20000), 3);
}

static void
test_set_operations(void **state)
{
	struct pa__ports a, b;
	char *out;

	(void)state;
	assert_int_equal(pa__ports_parse("1-10,20", &a), 0);
	assert_int_equal(pa__ports_parse("5-6,20-21", &b), 0);
	pa__ports_minus(&a, &b);
	assert_int_equal(pa__ports_render(&a, &out), 0);
	assert_string_equal(out, "1-4,7-10");
	free(out);
	pa__ports_union(&a, &b);
	pa__ports_remove(&a, 1, 2);
	pa__ports_add(&a, 65535, 65535);
	assert_int_equal(pa__ports_render(&a, &out), 0);
	assert_string_equal(out, "3-10,20-21,65535");
	free(out);
	assert_false(pa__ports_equal(&a, &b));
	b = a;
	assert_true(pa__ports_equal(&a, &b));
}

static void
test_dropin_parse(void **state)
{
	struct pa__ports set;
	char *out;

	(void)state;
	assert_int_equal(pa__dropin_parse("# comment\n; other\n"
	    "net.ipv4.tcp_syncookies = 1\n"
	    "net/ipv4/ip_local_reserved_ports=1-2\n"
	    " -net.ipv4.ip_local_reserved_ports = 5, 7-8  \n"
	    "#net.ipv4.ip_local_reserved_ports = 9\n", &set), 0);
	assert_int_equal(pa__ports_render(&set, &out), 0);
	assert_string_equal(out, "5,7-8");   /* the last one wins */
	free(out);
	assert_int_equal(pa__dropin_parse("kernel.x = 1", &set), 0);
	assert_int_equal(pa__ports_count(&set, 0, 65535), 0);
	assert_int_equal(pa__dropin_parse(DROPIN_LINE "x\n", &set), PA_EDATA);
}

static struct pa_resv_report *
reserve(struct fx *x, const char *block)
{
	struct pa_resv_report *r;
	struct pa_error err;

	if (pa_reserve(x->pa, block, &r, &err) != 0)
		fail_msg("pa_reserve: %s", err.msg);
	return r;
}

static struct pa_resv_report *
unreserve(struct fx *x, const char *block)
{
	struct pa_resv_report *r;
	struct pa_error err;

	if (pa_unreserve(x->pa, block, &r, &err) != 0)
		fail_msg("pa_unreserve: %s", err.msg);
	return r;
}

static struct pa_resv_report *
report(struct fx *x)
{
	struct pa_resv_report *r;
	struct pa_error err;

	if (pa_reservations(x->pa, &r, &err) != 0)
		fail_msg("pa_reservations: %s", err.msg);
	return r;
}

/* The report's entry for block in namespace netns (NULL: this one). */
static const struct pa_resv *
entry(const struct pa_resv_report *r, const char *block, const char *netns)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].block, block) == 0 &&
		    strcmp(r->v[i].netns, netns ? netns : r->netns) == 0)
			return &r->v[i];
	return NULL;
}

/* How many rows the store has (any namespace). */
static size_t
recorded(struct fx *x)
{
	struct pa_resv_report *r = report(x);
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->v[i].recorded;
	pa_resv_report_free(r);
	return n;
}

/*
 * The two shapes of OS reservation, as the fake OS plays them.  Each test
 * of the table runs over both; OS text is compared in the list's syntax
 * ("20100-20199,20300-20309"), which os_text() renders for the fake's
 * ranges as one range per protocol.
 */
struct shape {
	const char *name;
	int range;              /* 1: ranges (Windows), 0: a list (Linux) */
};

static const struct shape list_shape = { "list", 0 };
static const struct shape range_shape = { "range", 1 };

/* The fixture on a fake OS of shape s; blocks as configured; others' is
 * somebody else's reservation (list text, every protocol) or NULL. */
static struct fx *
open_shape(const struct shape *s, const char *blocks, const char *others)
{
	struct fx *x = fx_new(blocks);
	struct pa__ports set;
	unsigned p, q;

	if (s->range)
		pa_fake_use_blocks(x->f);
	if (others != NULL && !s->range)
		pa_fake_set_reserved(x->f, others);
	if (others != NULL && s->range) {
		assert_int_equal(pa__ports_parse(others, &set), 0);
		for (p = 0; p < 65536; p = q + 1) {
			for (; p < 65536 && !pa__ports_count(&set, (uint16_t)p,
			    (uint16_t)p); p++)
				;
			if (p == 65536)
				break;
			for (q = p; q + 1 < 65536 && pa__ports_count(&set,
			    (uint16_t)(q + 1), (uint16_t)(q + 1)); q++)
				;
			pa_fake_add_block(x->f, PA_TCP, (uint16_t)p,
			    (uint16_t)q);
			pa_fake_add_block(x->f, PA_UDP, (uint16_t)p,
			    (uint16_t)q);
		}
	}
	fx_open(x);
	return x;
}

/* What the OS reserves, in list syntax: for ranges, the ranges reserved
 * for both protocols (all the tests' blocks serve both). */
static char *
os_text(const struct shape *s, struct fx *x)
{
	struct pa__ports set;
	const char *t;
	char *out, *copy, *item, *save;
	unsigned a, b;

	if (!s->range)
		return strdup(pa_fake_reserved(x->f));
	memset(&set, 0, sizeof(set));
	copy = strdup(pa_fake_blocks(x->f));
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		t = strchr(item, ':') + 1;
		assert_int_equal(sscanf(t, "%u-%u", &a, &b), 2);
		if (strncmp(item, "tcp:", 4) == 0)
			pa__ports_add(&set, (uint16_t)a, (uint16_t)b);
	}
	free(copy);
	assert_int_equal(pa__ports_render(&set, &out), 0);
	return out;
}

#define assert_os(s, x, want) do {                                        \
	char *os_ = os_text((s), (x));                                    \
	assert_string_equal(os_, (want));                                 \
	free(os_);                                                        \
} while (0)

/* Makes the OS refuse changes (code) or accept them again (0). */
static void
os_refuse(const struct shape *s, struct fx *x, int code)
{
	if (s->range) {
		pa_fake_fail_block_create(x->f, code);
		pa_fake_fail_block_delete(x->f, code);
	} else {
		pa_fake_fail_reserved_write(x->f, code);
	}
}

/* The OS forgets its reservation of first..last, as after a reboot. */
static void
os_lose(const struct shape *s, struct fx *x, uint16_t first, uint16_t last)
{
	const struct pa__resv_range_ops *rg = pa_fake_os(x->f)->resv_range;
	struct pa__ports set;
	char *text;

	if (s->range) {
		rg->remove(x->f, PA_TCP, first, last, NULL);
		rg->remove(x->f, PA_UDP, first, last, NULL);
		return;
	}
	assert_int_equal(pa__ports_parse(pa_fake_reserved(x->f), &set), 0);
	pa__ports_remove(&set, first, last);
	assert_int_equal(pa__ports_render(&set, &text), 0);
	pa_fake_set_reserved(x->f, text);
	free(text);
}

/* The warning of kind about block, or NULL. */
static const struct pa_resv_warning *
warning(const struct pa_resv_report *r, enum pa_resv_warn kind,
    const char *block)
{
	size_t i;

	for (i = 0; i < r->nwarnings; i++)
		if (r->warnings[i].kind == kind &&
		    strcmp(r->warnings[i].block, block) == 0)
			return &r->warnings[i];
	return NULL;
}

/* Reserve covers the blocks with reserve =, records them, and says what
 * it did; a second reserve changes nothing; unreserve undoes it all. */
static void
test_both_reserve_idempotent(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, RUNTIME PERSIST PLAIN, "1-9");
	struct pa_resv_report *r;

	r = reserve(x, NULL);
	assert_int_equal(r->shape, s->range ? PA_RESV_RANGE : PA_RESV_LIST);
	assert_os(s, x, "1-9,20100-20199,20300-20309");
	/* ranges list only the known blocks: others' cannot be listed */
	assert_string_equal(r->before, s->range ? "" : "1-9");
	assert_string_equal(r->now, s->range ? "20100-20199,20300-20309" :
	    "1-9,20100-20199,20300-20309");
	assert_int_equal(r->nactions, 2);   /* not n: reserve = no */
	assert_string_equal(r->actions[0].block, "r");
	assert_string_equal(r->actions[0].ports, "20100-20199");
	assert_int_equal(r->actions[0].protos, s->range ? PA_BOTH : 0);
	assert_true(entry(r, "r", NULL)->recorded);
	assert_int_equal(entry(r, "r", NULL)->os_count, 100);
	assert_false(entry(r, "n", NULL)->recorded);
	assert_int_equal(entry(r, "n", NULL)->os_count, 0);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	r = reserve(x, NULL);
	assert_string_equal(r->before, r->now);
	assert_int_equal(r->nactions, 2);
	assert_string_equal(r->actions[0].ports, "");
	assert_string_equal(r->actions[1].ports, "");
	assert_int_equal(r->actions[0].protos, 0);
	pa_resv_report_free(r);
	/* the second one did not forget what the first one added */
	r = unreserve(x, NULL);
	assert_int_equal(r->nactions, 2);
	assert_string_equal(r->actions[1].ports, "20300-20309");
	pa_resv_report_free(r);
	assert_os(s, x, "1-9");
	assert_int_equal(recorded(x), 0);
	/* a named block is reserved whatever its reserve = says */
	pa_resv_report_free(reserve(x, "n"));
	assert_os(s, x, "1-9,20500-20509");
	fx_free(x);
}

/* A block the OS reserved already, for somebody else: recorded, nothing
 * added, and unreserve takes nothing away. */
static void
test_both_reserved_by_somebody_else(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, RUNTIME, "20100-20199");
	struct pa_resv_report *r;

	r = reserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "");
	assert_string_equal(entry(r, "r", NULL)->added, "");
	assert_int_equal(entry(r, "r", NULL)->added_protos, 0);
	pa_resv_report_free(r);
	assert_int_equal(recorded(x), 1);
	r = unreserve(x, NULL);
	assert_int_equal(r->nactions, 1);
	assert_string_equal(r->actions[0].ports, "");
	pa_resv_report_free(r);
	assert_os(s, x, "20100-20199");
	assert_int_equal(recorded(x), 0);
	if (!s->range)
		assert_int_equal(pa_fake_reserved_writes(x->f), 0);
	fx_free(x);
}

/* Without the right: PA_EPERM, the hint as data (no advice in the
 * message), and nothing changed: not the OS, not the store. */
static void
test_both_eperm_changes_nothing(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, RUNTIME PERSIST, "1-9");
	struct pa_resv_report *r;
	struct pa_error err;

	os_refuse(s, x, PA_EPERM);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_null(r);
	assert_int_equal(err.hint, PA_HINT_PRIVILEGE);
	assert_string_equal(err.hint_block, "");
	assert_non_null(strstr(err.msg, "nothing was changed"));
	assert_null(strstr(err.msg, "portalloc reserve"));
	assert_null(strstr(err.msg, "Administrator"));
	assert_os(s, x, "1-9");
	assert_int_equal(recorded(x), 0);
	assert_int_equal(pa_reserve(x->pa, "p", &r, &err), PA_EPERM);
	assert_int_equal(err.hint, PA_HINT_PRIVILEGE);
	assert_string_equal(err.hint_block, "p");
	/* with the right it works; then unreserve without it changes
	 * nothing either */
	os_refuse(s, x, 0);
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(recorded(x), 2);
	os_refuse(s, x, PA_EPERM);
	assert_int_equal(pa_unreserve(x->pa, "r", &r, &err), PA_EPERM);
	assert_null(r);
	assert_int_equal(err.hint, PA_HINT_PRIVILEGE);
	assert_string_equal(err.hint_block, "r");
	assert_int_equal(recorded(x), 2);
	assert_os(s, x, "1-9,20100-20199,20300-20309");
	fx_free(x);
}

/* Warnings: a block in the ephemeral range not reserved, a block with
 * reserve = not reserved, a reservation the OS lost; each with its kind
 * and the reserve hint, the message a plain fact. */
static void
test_both_warnings(void **state)
{
	const struct shape *s = *state;
	struct fx *x = fx_new(RUNTIME PERSIST);
	const struct pa_resv_warning *w;
	struct pa_resv_report *r;

	if (s->range)
		pa_fake_use_blocks(x->f);
	pa_fake_set_ephemeral(x->f, 20000, 20199);
	fx_open(x);
	r = report(x);
	assert_non_null(w = warning(r, PA_RESV_WARN_EPHEMERAL, "r"));
	assert_int_equal(w->hint, PA_HINT_RESERVE);
	assert_non_null(strstr(w->msg, "block 'r' (20100-20199) lies in the "
	    "ephemeral port range 20000-20199, but the OS "));
	assert_null(strstr(w->msg, "portalloc reserve"));
	assert_non_null(w = warning(r, PA_RESV_WARN_UNRESERVED, "p"));
	assert_non_null(strstr(w->msg, "block 'p' (20300-20309) has reserve "
	    "= persistent, but the OS "));
	assert_true(entry(r, "r", NULL)->in_ephemeral);
	assert_false(entry(r, "p", NULL)->in_ephemeral);
	pa_resv_report_free(r);
	pa_resv_report_free(reserve(x, NULL));
	r = report(x);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	/* a reboot that lost it */
	os_lose(s, x, 20100, 20199);
	r = report(x);
	assert_non_null(w = warning(r, PA_RESV_WARN_LOST, "r"));
	assert_int_equal(w->hint, PA_HINT_RESERVE);
	assert_non_null(strstr(w->msg, "the OS lost the reservation "
	    "portalloc made of block 'r' (20100-20199)"));
	assert_non_null(strstr(w->msg, s->range ? ": it now does not reserve "
	    "it for tcp+udp" : " in net:[4026531840]: it now reserves only 0 "
	    "of its 100 ports"));
	assert_int_equal(entry(r, "r", NULL)->os_count, 0);
	pa_resv_report_free(r);
	/* reserve puts it back */
	pa_resv_report_free(reserve(x, NULL));
	r = report(x);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	fx_free(x);
}

/* A block that moved: the old ports portalloc reserved go, the new come. */
static void
test_both_block_moved(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, RUNTIME, "1");

	pa_resv_report_free(reserve(x, NULL));
	x->cfg->blocks[0].first = 20150;
	x->cfg->blocks[0].last = 20249;
	pa_resv_report_free(reserve(x, NULL));
	assert_os(s, x, "1,20150-20249");
	assert_int_equal(recorded(x), 1);
	pa_resv_report_free(unreserve(x, NULL));
	assert_os(s, x, "1");
	fx_free(x);
}

/* pa_get reserves its block first, or says why it cannot, with the hint
 * to reserve it. */
static void
test_both_get_ensures(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, RUNTIME "[block s]\nports = 20600-20609\n"
	    "reserve = runtime\n", "1");
	struct pa_request req = { "s", 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	v = fx_get(x, 2, 0, &n);
	assert_int_equal(v[0].port, 20100);
	pa_leases_free(v);
	assert_os(s, x, "1,20100-20199");
	assert_int_equal(recorded(x), 1);
	/* reserved already: no change needed, so no right needed either */
	os_refuse(s, x, PA_EPERM);
	pa_leases_free(fx_get(x, 1, 0, &n));
	/* not reserved and may not be: refused */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EPERM);
	assert_null(v);
	assert_non_null(strstr(err.msg, "block 's' (20600-20609) has reserve "
	    "= runtime, but the OS does not reserve it, and this user may "
	    "not"));
	assert_null(strstr(err.msg, "portalloc reserve"));
	assert_int_equal(err.hint, PA_HINT_RESERVE);
	assert_string_equal(err.hint_block, "s");
	assert_int_equal(fx_count(x), 3);
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/* What each shape knows, and what it leaves empty. */
static void
test_both_report_fields(void **state)
{
	const struct shape *s = *state;
	struct fx *x = open_shape(s, PERSIST, NULL);
	struct pa_resv_report *r;

	r = reserve(x, NULL);
	assert_string_equal(r->netns, s->range ? "" : "net:[4026531840]");
	assert_string_equal(entry(r, "p", NULL)->netns, r->netns);
	assert_true(entry(r, "p", NULL)->this_netns);
	assert_string_equal(r->dropin, s->range ? "" :
	    "/fake/sysctl.d/60-portalloc.conf");
	assert_int_equal(r->dropin_exists, !s->range);
	assert_int_equal(r->dropin_changed, !s->range);
	assert_string_equal(r->dropin_ports, s->range ? "" : "20300-20309");
	assert_int_equal(entry(r, "p", NULL)->in_dropin, !s->range);
	assert_true(entry(r, "p", NULL)->persistent);
	assert_int_equal(entry(r, "p", NULL)->protos, PA_BOTH);
	assert_string_equal(entry(r, "p", NULL)->added, s->range ? "" :
	    "20300-20309");
	assert_int_equal(entry(r, "p", NULL)->added_protos,
	    s->range ? PA_BOTH : 0);
	assert_int_equal(entry(r, "p", NULL)->os_protos,
	    s->range ? PA_BOTH : 0);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	fx_free(x);
}

/*
 * The list shape only: merging with the list, the drop-in, namespaces.
 */

/* The fixture on the fake OS with the reserved list set to list. */
static struct fx *
open_with(const char *blocks, const char *list)
{
	return open_shape(&list_shape, blocks, list);
}

static void
test_reserve_merges(void **state)
{
	struct fx *x = open_with(RUNTIME PLAIN, "1,5-9,30000");
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_string_equal(pa_fake_reserved(x->f), "1,5-9,20100-20199,30000");
	assert_string_equal(r->before, "1,5-9,30000");
	assert_string_equal(r->now, "1,5-9,20100-20199,30000");
	assert_false(r->dropin_changed);
	pa_resv_report_free(r);
	assert_int_equal(pa_fake_reserved_writes(x->f), 1);
	assert_int_equal(pa_fake_unlocked_writes(x->f), 0);
	assert_null(pa_fake_dropin(x->f));  /* runtime only: no drop-in */
	/* again: nothing written */
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(pa_fake_reserved_writes(x->f), 1);
	fx_free(x);
}

/* Ports that were reserved before (inside the block too) or that somebody
 * reserved since stay; only what portalloc added goes. */
static void
test_unreserve_only_ours(void **state)
{
	struct fx *x = open_with(RUNTIME, "1,5-9,20150,30000");
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "20100-20149,20151-20199");
	assert_string_equal(entry(r, "r", NULL)->added,
	    "20100-20149,20151-20199");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_reserved(x->f), "1,5-9,20100-20199,"
	    "30000");
	pa_fake_set_reserved(x->f, "1,5-9,20100-20199,30000,40000-40001");
	r = unreserve(x, "r");
	assert_string_equal(r->actions[0].ports, "20100-20149,20151-20199");
	assert_string_equal(r->now, "1,5-9,20150,30000,40000-40001");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_reserved(x->f),
	    "1,5-9,20150,30000,40000-40001");
	assert_int_equal(recorded(x), 0);
	/* again: nothing to undo, nothing written */
	r = unreserve(x, NULL);
	assert_int_equal(r->nactions, 0);
	pa_resv_report_free(r);
	assert_int_equal(pa_fake_reserved_writes(x->f), 2);
	fx_free(x);
}

static void
test_persistent_dropin(void **state)
{
	struct fx *x = open_with(RUNTIME PERSIST PERSIST2, "");
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_true(r->dropin_changed);
	assert_true(r->dropin_exists);
	assert_string_equal(r->dropin, "/fake/sysctl.d/60-portalloc.conf");
	assert_string_equal(r->dropin_ports, "20300-20309,20400-20401");
	assert_true(entry(r, "p", NULL)->in_dropin);
	assert_false(entry(r, "r", NULL)->in_dropin);
	pa_resv_report_free(r);
	assert_non_null(strstr(pa_fake_dropin(x->f),
	    "\n" DROPIN_LINE "20300-20309,20400-20401\n"));
	/* the runtime block is not in it */
	assert_null(strstr(pa_fake_dropin(x->f), "20100"));
	r = unreserve(x, "p");
	assert_true(r->dropin_changed);
	pa_resv_report_free(r);
	assert_non_null(strstr(pa_fake_dropin(x->f),
	    "\n" DROPIN_LINE "20400-20401\n"));
	assert_string_equal(pa_fake_reserved(x->f), "20100-20199,"
	    "20400-20401");
	r = unreserve(x, NULL);
	assert_true(r->dropin_changed);
	assert_false(r->dropin_exists);
	pa_resv_report_free(r);
	assert_null(pa_fake_dropin(x->f));
	assert_string_equal(pa_fake_reserved(x->f), "");
	fx_free(x);
}

/* The list could be written, the drop-in not: the list is put back, and
 * the lock let go each time. */
static void
test_dropin_refused_undoes_list(void **state)
{
	struct fx *x = open_with(RUNTIME PERSIST, "1,5-9");
	struct pa_resv_report *r;
	struct pa_error err;

	(void)state;
	pa_fake_fail_dropin_write(x->f, PA_EPERM);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_int_equal(err.hint, PA_HINT_PRIVILEGE);
	assert_non_null(strstr(err.msg, "Permission denied"));
	assert_non_null(strstr(err.msg, "nothing was changed"));
	assert_string_equal(pa_fake_reserved(x->f), "1,5-9");
	assert_int_equal(pa_fake_reserved_writes(x->f), 2); /* on, back off */
	assert_null(pa_fake_dropin(x->f));
	assert_int_equal(recorded(x), 0);
	pa_fake_fail_dropin_write(x->f, 0);
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(recorded(x), 2);
	assert_non_null(pa_fake_dropin(x->f));
	assert_int_equal(pa_fake_unlocked_writes(x->f), 0);
	fx_free(x);
}

/* Each namespace has its own list and rows; neither touches the other's. */
static void
test_namespaces(void **state)
{
	struct fx *x = open_with(RUNTIME, "1");
	struct pa_resv_report *r;
	const struct pa_resv *e;

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	/* the same store, seen from another network namespace */
	pa_fake_set_netns(x->f, "net:[4026532999]");
	pa_fake_set_reserved(x->f, "7");
	r = report(x);
	assert_string_equal(r->netns, "net:[4026532999]");
	assert_false(entry(r, "r", NULL)->recorded);
	e = entry(r, "r", "net:[4026531840]");
	assert_non_null(e);
	assert_true(e->recorded);
	assert_false(e->this_netns);
	/* not "lost": it was never made here */
	assert_null(warning(r, PA_RESV_WARN_LOST, "r"));
	pa_resv_report_free(r);
	r = unreserve(x, NULL);
	assert_int_equal(r->nactions, 0);
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_reserved(x->f), "7");
	pa_resv_report_free(reserve(x, NULL));
	assert_string_equal(pa_fake_reserved(x->f), "7,20100-20199");
	assert_int_equal(recorded(x), 2);
	pa_resv_report_free(unreserve(x, NULL));
	assert_string_equal(pa_fake_reserved(x->f), "7");
	/* the first namespace's row is still there */
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/* A persistent block missing from the drop-in is warned about. */
static void
test_dropin_warning(void **state)
{
	struct fx *x = open_with(PERSIST, "");
	const struct pa_resv_warning *w;
	struct pa_resv_report *r;

	(void)state;
	r = report(x);
	assert_non_null(w = warning(r, PA_RESV_WARN_DROPIN, "p"));
	assert_int_equal(w->hint, PA_HINT_RESERVE);
	assert_non_null(strstr(w->msg, "block 'p' (20300-20309) is "
	    "persistent, but the drop-in /fake/sysctl.d/60-portalloc.conf is "
	    "missing"));
	pa_resv_report_free(r);
	pa_resv_report_free(reserve(x, NULL));
	pa_fake_set_dropin(x->f, NULL);
	r = report(x);
	assert_non_null(warning(r, PA_RESV_WARN_DROPIN, "p"));
	assert_null(warning(r, PA_RESV_WARN_LOST, "p"));
	pa_resv_report_free(r);
	fx_free(x);
}

/* A row of a block that was renamed does not take away ports the new
 * name's reservation covers. */
static void
test_unreserve_spares_other_rows(void **state)
{
	struct fx *x = open_with(RUNTIME, "");
	struct pa_resv_report *r;

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	strcpy(x->cfg->blocks[0].name, "r2");
	r = reserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "");
	assert_non_null(entry(r, "r", NULL));   /* listed, not configured */
	assert_false(entry(r, "r", NULL)->configured);
	pa_resv_report_free(r);
	r = unreserve(x, "r");
	assert_int_equal(r->nactions, 1);
	assert_string_equal(r->actions[0].ports, "");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_reserved(x->f), "20100-20199");
	fx_free(x);
}

/*
 * The range shape only: one reservation per protocol.
 */
#define BOTH "[block p]\nports = 20300-20309\nreserve = persistent\n"
#define TCP_RT "[block t]\nports = 20400-20409\nprotocols = tcp\n" \
	"reserve = runtime\n"

/* The fixture on a fake OS with range reservations. */
static struct fx *
open_blocks(const char *blocks)
{
	return open_shape(&range_shape, blocks, NULL);
}

/* One reservation per protocol the block serves. */
static void
test_range_per_protocol(void **state)
{
	struct fx *x = open_blocks(BOTH TCP_RT);
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309,"
	    "udp:20300-20309,tcp:20400-20409");
	assert_int_equal(r->actions[0].protos, PA_BOTH);
	assert_int_equal(r->actions[1].protos, PA_TCP);
	assert_true(r->actions[1].persistent); /* the only kind there is */
	assert_int_equal(entry(r, "t", NULL)->protos, PA_TCP);
	assert_int_equal(entry(r, "t", NULL)->os_protos, PA_TCP);
	assert_int_equal(entry(r, "t", NULL)->os_count, 10);
	pa_resv_report_free(r);
	r = unreserve(x, "p");
	assert_int_equal(r->actions[0].protos, PA_BOTH);
	assert_string_equal(r->now, "20400-20409");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20400-20409");
	fx_free(x);
}

/* What was reserved before is not portalloc's to delete: a block found
 * reserved for TCP gets only its UDP reservation made, and unreserve
 * deletes only that. */
static void
test_range_only_ours(void **state)
{
	struct fx *x = fx_new(BOTH);
	const struct pa__resv_range_ops *rg;
	struct pa_resv_report *r;

	(void)state;
	pa_fake_use_blocks(x->f);
	pa_fake_add_block(x->f, PA_TCP, 20300, 20309);
	fx_open(x);
	rg = pa_fake_os(x->f)->resv_range;
	r = reserve(x, NULL);
	assert_int_equal(r->actions[0].protos, PA_UDP);
	assert_int_equal(entry(r, "p", NULL)->added_protos, PA_UDP);
	pa_resv_report_free(r);
	r = unreserve(x, NULL);
	assert_int_equal(r->actions[0].protos, PA_UDP);
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	assert_int_equal(recorded(x), 0);
	/* a reservation of ours gone already is no error */
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(rg->remove(x->f, PA_UDP, 20300, 20309, NULL), 0);
	r = unreserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "");
	assert_int_equal(r->actions[0].protos, 0);
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	assert_int_equal(recorded(x), 0);
	fx_free(x);
}

/* The report lists every range the OS excludes, others' too (Hyper-V's,
 * where a bind fails with "access denied"), and tells portalloc's apart. */
static void
test_range_excluded_listed(void **state)
{
	struct fx *x = fx_new(BOTH);
	const struct pa_resv_excluded *e;
	struct pa_resv_report *r;
	size_t i, ours = 0, others = 0;

	(void)state;
	pa_fake_use_blocks(x->f);
	pa_fake_add_block(x->f, PA_TCP, 50000, 50059);  /* not portalloc's */
	fx_open(x);
	pa_resv_report_free(reserve(x, NULL));
	r = report(x);
	assert_int_equal(r->nexcluded, 3);
	for (i = 0; i < r->nexcluded; i++) {
		e = &r->excluded[i];
		if (e->first == 50000) {
			assert_int_equal(e->last, 50059);
			assert_int_equal(e->proto, PA_TCP);
			assert_false(e->portalloc);
			others++;
		} else {
			assert_int_equal(e->first, 20300);
			assert_int_equal(e->last, 20309);
			assert_true(e->portalloc);
			ours++;
		}
	}
	assert_int_equal(ours, 2);      /* TCP and UDP */
	assert_int_equal(others, 1);
	pa_resv_report_free(r);
	fx_free(x);
}

/* Refused: an overlapping reservation leaves the OS and the store as they
 * were, half-made reservations included; so does a refused delete. */
static void
test_range_refused(void **state)
{
	struct fx *x = open_blocks(BOTH);
	struct pa_resv_report *r;
	struct pa_error err;

	(void)state;
	/* somebody's UDP reservation overlaps: the TCP one made first goes */
	pa_fake_add_block(x->f, PA_UDP, 20305, 20320);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_EINUSE);
	assert_null(r);
	assert_non_null(strstr(err.msg, "overlaps the fake reservation "
	    "20305-20320"));
	assert_int_equal(err.hint, PA_HINT_NONE);
	assert_string_equal(pa_fake_blocks(x->f), "udp:20305-20320");
	assert_int_equal(recorded(x), 0);
	fx_free(x);
	x = open_blocks(BOTH);
	pa_resv_report_free(reserve(x, NULL));
	/* unreserve refused half way: the deleted one is made again */
	pa_fake_fail_block_delete(x->f, PA_EPERM);
	assert_int_equal(pa_unreserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309,"
	    "udp:20300-20309");
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/* A lost reservation names the protocol it lacks. */
static void
test_range_lost_protocol(void **state)
{
	struct fx *x = open_blocks(BOTH);
	const struct pa_resv_warning *w;
	struct pa_resv_report *r;

	(void)state;
	pa_resv_report_free(reserve(x, "p"));
	assert_int_equal(pa_fake_os(x->f)->resv_range->remove(x->f, PA_UDP,
	    20300, 20309, NULL), 0);
	r = report(x);
	assert_non_null(w = warning(r, PA_RESV_WARN_LOST, "p"));
	assert_non_null(strstr(w->msg, "the OS lost the reservation portalloc "
	    "made of block 'p' (20300-20309): it now does not reserve it for "
	    "udp"));
	assert_int_equal(entry(r, "p", NULL)->os_protos, PA_TCP);
	assert_int_equal(entry(r, "p", NULL)->os_count, 0);
	assert_int_equal(r->nwarnings, 1);
	pa_resv_report_free(r);
	fx_free(x);
}

/* One that serves one protocol less loses that reservation. */
static void
test_range_fewer_protocols(void **state)
{
	struct fx *x = open_blocks(BOTH);

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	x->cfg->blocks[0].protos = PA_TCP;
	pa_resv_report_free(reserve(x, NULL));
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	pa_resv_report_free(unreserve(x, NULL));
	assert_string_equal(pa_fake_blocks(x->f), "");
	fx_free(x);
}

/*
 * A store written before `added` was split (schema 2) still reads, and
 * what it recorded can still be undone, in both shapes.
 */
static const char *const schema2 =
	"CREATE TABLE lease (port INTEGER PRIMARY KEY, protos INTEGER NOT "
	"NULL, block TEXT NOT NULL, owner_pid INTEGER NOT NULL, owner_start "
	"INTEGER NOT NULL, owner_boot TEXT NOT NULL, uid INTEGER NOT NULL, "
	"tag TEXT NOT NULL DEFAULT '', command TEXT NOT NULL DEFAULT '', "
	"created INTEGER NOT NULL, expires INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX lease_owner ON lease(owner_pid, owner_start, "
	"owner_boot);"
	"CREATE INDEX lease_expires ON lease(expires) WHERE expires != 0;"
	"CREATE TABLE cursor (block TEXT PRIMARY KEY, next INTEGER NOT NULL) "
	"WITHOUT ROWID;"
	"CREATE TABLE reservation (netns TEXT NOT NULL, block TEXT NOT NULL, "
	"first INTEGER NOT NULL, last INTEGER NOT NULL, added TEXT NOT NULL "
	"DEFAULT '', persistent INTEGER NOT NULL DEFAULT 0, created INTEGER "
	"NOT NULL, PRIMARY KEY (netns, block)) WITHOUT ROWID;"
	"INSERT INTO reservation VALUES ('net:[4026531840]', 'r', 20100, "
	"20199, '20100-20149', 0, 5);"
	"INSERT INTO reservation VALUES ('host', 'p', 20300, 20309, "
	"'tcp,udp', 1, 6);"
	"PRAGMA user_version = 2;";

/* The fixture with a schema-2 store made by hand. */
static struct fx *
open_old_store(const struct shape *s, const char *blocks)
{
	struct fx *x = fx_new(blocks);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(x->store, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL,
	    NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, schema2, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	if (s->range)
		pa_fake_use_blocks(x->f);
	return x;
}

static void
test_old_store_reads(void **state)
{
	struct fx *x = open_old_store(&list_shape, RUNTIME);
	struct pa_resv_report *r;
	const struct pa_resv *e;

	(void)state;
	pa_fake_set_reserved(x->f, "20100-20199");
	fx_open(x);
	r = report(x);
	e = entry(r, "r", NULL);
	assert_true(e->recorded);
	assert_string_equal(e->added, "20100-20149");
	assert_int_equal(e->added_protos, 0);
	assert_int_equal(e->created, 5);
	/* the other shape's row: another place, protocols not ports */
	e = entry(r, "p", "host");
	assert_non_null(e);
	assert_string_equal(e->added, "");
	assert_int_equal(e->added_protos, PA_BOTH);
	pa_resv_report_free(r);
	/* what the old row says portalloc added is what goes */
	pa_resv_report_free(unreserve(x, "r"));
	assert_string_equal(pa_fake_reserved(x->f), "20150-20199");
	fx_free(x);

	x = open_old_store(&range_shape, BOTH);
	pa_fake_add_block(x->f, PA_TCP, 20300, 20309);
	pa_fake_add_block(x->f, PA_UDP, 20300, 20309);
	fx_open(x);
	r = report(x);
	e = entry(r, "p", NULL);
	assert_true(e->recorded);
	assert_int_equal(e->added_protos, PA_BOTH);
	assert_int_equal(e->created, 6);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	pa_resv_report_free(unreserve(x, "p"));
	assert_string_equal(pa_fake_blocks(x->f), "");
	fx_free(x);
}

/* An OS with no reservations at all: every reservation call, and a get
 * from a block that asks for one, say "not supported here"; a block
 * without reserve = still leases. */
static void
test_no_reservations(void **state)
{
	struct fx *x = fx_new(PLAIN RUNTIME);
	struct pa_request req = { "r", 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_resv_report *r;
	struct pa_lease *v;
	struct pa_error err;
	struct pa_os os;
	size_t n;

	(void)state;
	os = *pa_fake_os(x->f);
	os.resv_list = NULL;
	os.resv_range = NULL;
	if (pa__open_os(&x->pa, x->cfg, &os, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_ENOTSUP);
	assert_null(r);
	assert_int_equal(pa_unreserve(x->pa, NULL, &r, &err), PA_ENOTSUP);
	assert_int_equal(pa_reservations(x->pa, &r, &err), PA_ENOTSUP);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_ENOTSUP);
	pa_leases_free(fx_get(x, 1, 0, &n));
	fx_free(x);
}

/* A test of the table, once for each shape. */
#define BOTH_SHAPES(f)                                                    \
	{ #f "(list)", f, NULL, NULL, (void *)&list_shape },              \
	{ #f "(range)", f, NULL, NULL, (void *)&range_shape }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_render),
		cmocka_unit_test(test_set_operations),
		cmocka_unit_test(test_dropin_parse),
		BOTH_SHAPES(test_both_reserve_idempotent),
		BOTH_SHAPES(test_both_reserved_by_somebody_else),
		BOTH_SHAPES(test_both_eperm_changes_nothing),
		BOTH_SHAPES(test_both_warnings),
		BOTH_SHAPES(test_both_block_moved),
		BOTH_SHAPES(test_both_get_ensures),
		BOTH_SHAPES(test_both_report_fields),
		cmocka_unit_test(test_reserve_merges),
		cmocka_unit_test(test_unreserve_only_ours),
		cmocka_unit_test(test_persistent_dropin),
		cmocka_unit_test(test_dropin_refused_undoes_list),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_dropin_warning),
		cmocka_unit_test(test_unreserve_spares_other_rows),
		cmocka_unit_test(test_range_per_protocol),
		cmocka_unit_test(test_range_only_ours),
		cmocka_unit_test(test_range_excluded_listed),
		cmocka_unit_test(test_range_refused),
		cmocka_unit_test(test_range_lost_protocol),
		cmocka_unit_test(test_range_fewer_protocols),
		cmocka_unit_test(test_old_store_reads),
		cmocka_unit_test(test_no_reservations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
