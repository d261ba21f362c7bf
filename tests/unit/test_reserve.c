/*
 * OS port reservations on the fake OS: parsing and rendering of port lists,
 * merging with what the OS has, taking off only what portalloc added,
 * idempotence, the drop-in, permission errors that leave everything as it
 * was, namespaces, and pa_get making sure of its block's reservation;
 * then the same calls on an OS whose reservations come in whole blocks, one
 * per protocol (as on Windows).
 */
#include <string.h>

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

/* The fixture on the fake OS with the reserved list set to list. */
static struct fx *
open_with(const char *blocks, const char *list)
{
	struct fx *x = fx_new(blocks);

	pa_fake_set_reserved(x->f, list);
	fx_open(x);
	return x;
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

/* 1 if some warning of the report contains words. */
static int
warned(const struct pa_resv_report *r, const char *words)
{
	size_t i;

	for (i = 0; i < r->nwarnings; i++)
		if (strstr(r->warnings[i].msg, words) != NULL)
			return 1;
	return 0;
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
	assert_int_equal(r->nactions, 1);   /* not n: reserve = no */
	assert_string_equal(r->actions[0].block, "r");
	assert_string_equal(r->actions[0].ports, "20100-20199");
	assert_string_equal(r->netns, "net:[4026531840]");
	assert_true(entry(r, "r", NULL)->recorded);
	assert_int_equal(entry(r, "r", NULL)->os_count, 100);
	assert_false(entry(r, "n", NULL)->recorded);
	assert_int_equal(r->nwarnings, 0);
	assert_false(r->dropin_changed);
	pa_resv_report_free(r);
	assert_int_equal(pa_fake_reserved_writes(x->f), 1);
	assert_int_equal(pa_fake_unlocked_writes(x->f), 0);
	assert_null(pa_fake_dropin(x->f));  /* runtime only: no drop-in */
	/* a named block is reserved whatever its reserve = says */
	pa_resv_report_free(reserve(x, "n"));
	assert_string_equal(pa_fake_reserved(x->f),
	    "1,5-9,20100-20199,20500-20509,30000");
	fx_free(x);
}

static void
test_reserve_idempotent(void **state)
{
	struct fx *x = open_with(RUNTIME PERSIST, "1");
	struct pa_resv_report *r;
	char *dropin;

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	dropin = strdup(pa_fake_dropin(x->f));
	r = reserve(x, NULL);
	assert_int_equal(pa_fake_reserved_writes(x->f), 1);
	assert_string_equal(pa_fake_reserved(x->f), "1,20100-20199,"
	    "20300-20309");
	assert_string_equal(r->before, r->now);
	assert_int_equal(r->nactions, 2);
	assert_string_equal(r->actions[0].ports, "");
	assert_string_equal(r->actions[1].ports, "");
	assert_false(r->dropin_changed);
	assert_string_equal(pa_fake_dropin(x->f), dropin);
	pa_resv_report_free(r);
	free(dropin);
	/* the second one did not forget what the first one added */
	pa_resv_report_free(unreserve(x, NULL));
	assert_string_equal(pa_fake_reserved(x->f), "1");
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

/* A block whose ports were all reserved already: recorded, nothing added,
 * and unreserve takes nothing off. */
static void
test_reserved_by_somebody_else(void **state)
{
	struct fx *x = open_with(RUNTIME, "20000-20999");
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "");
	pa_resv_report_free(r);
	assert_int_equal(pa_fake_reserved_writes(x->f), 0);
	assert_int_equal(recorded(x), 1);
	r = unreserve(x, NULL);
	assert_int_equal(r->nactions, 1);
	assert_string_equal(r->actions[0].ports, "");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_reserved(x->f), "20000-20999");
	assert_int_equal(pa_fake_reserved_writes(x->f), 0);
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

/* Without the right to write the list: PA_EPERM with what to run, and
 * nothing written anywhere. */
static void
test_eperm_writes_nothing(void **state)
{
	struct fx *x = open_with(RUNTIME PERSIST, "1,5-9");
	struct pa_resv_report *r;
	struct pa_error err;

	(void)state;
	pa_fake_fail_reserved_write(x->f, PA_EPERM);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_null(r);
	assert_non_null(strstr(err.msg, "Permission denied"));
	assert_non_null(strstr(err.msg, "nothing was changed"));
	assert_non_null(strstr(err.msg, "run 'sudo portalloc reserve'"));
	assert_string_equal(pa_fake_reserved(x->f), "1,5-9");
	assert_null(pa_fake_dropin(x->f));
	assert_int_equal(recorded(x), 0);
	assert_int_equal(pa_reserve(x->pa, "p", &r, &err), PA_EPERM);
	assert_non_null(strstr(err.msg, "run 'sudo portalloc reserve -b p'"));
	/* the list could be written, the drop-in not: the list is put back */
	pa_fake_fail_reserved_write(x->f, 0);
	pa_fake_fail_dropin_write(x->f, PA_EPERM);
	assert_int_equal(pa_reserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_string_equal(pa_fake_reserved(x->f), "1,5-9");
	assert_int_equal(pa_fake_reserved_writes(x->f), 2); /* on, back off */
	assert_null(pa_fake_dropin(x->f));
	assert_int_equal(recorded(x), 0);
	/* the lock was let go each time: with the right, it works */
	pa_fake_fail_dropin_write(x->f, 0);
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(recorded(x), 2);
	/* unreserve without the right changes nothing either */
	pa_fake_fail_reserved_write(x->f, PA_EPERM);
	assert_int_equal(pa_unreserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_non_null(strstr(err.msg, "run 'sudo portalloc unreserve'"));
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
	assert_false(warned(r, "lost"));
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

static void
test_warnings(void **state)
{
	struct fx *x = fx_new(RUNTIME PERSIST);
	struct pa_resv_report *r;

	(void)state;
	pa_fake_set_ephemeral(x->f, 20000, 20999);
	fx_open(x);
	r = report(x);
	assert_true(warned(r, "block 'r' (20100-20199) lies in the "
	    "ephemeral port range 20000-20999"));
	assert_true(warned(r, "run 'sudo portalloc reserve -b r'"));
	assert_true(warned(r, "the drop-in /fake/sysctl.d/60-portalloc.conf "
	    "is missing"));
	assert_true(entry(r, "r", NULL)->in_ephemeral);
	pa_resv_report_free(r);
	pa_resv_report_free(reserve(x, NULL));
	r = report(x);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	/* a reboot without the drop-in: the list is empty again */
	pa_fake_set_reserved(x->f, "");
	pa_fake_set_dropin(x->f, NULL);
	r = report(x);
	assert_true(warned(r, "the OS lost the reservation portalloc made of "
	    "block 'r' (20100-20199) in net:[4026531840]"));
	assert_true(warned(r, "block 'p' (20300-20309) is persistent, but "
	    "the drop-in /fake/sysctl.d/60-portalloc.conf is missing"));
	pa_resv_report_free(r);
	/* reserve puts it all back */
	pa_resv_report_free(reserve(x, NULL));
	r = report(x);
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	fx_free(x);
}

/* A block that moved: the old range portalloc added goes, the new comes. */
static void
test_block_moved(void **state)
{
	struct fx *x = open_with(RUNTIME, "1");

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	x->cfg->blocks[0].first = 20150;
	x->cfg->blocks[0].last = 20249;
	pa_resv_report_free(reserve(x, NULL));
	assert_string_equal(pa_fake_reserved(x->f), "1,20150-20249");
	pa_resv_report_free(unreserve(x, NULL));
	assert_string_equal(pa_fake_reserved(x->f), "1");
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

/* pa_get reserves its block first, or says why it cannot. */
static void
test_get_ensures_reservation(void **state)
{
	struct fx *x = open_with(RUNTIME "[block s]\nports = 20600-20609\n"
	    "reserve = runtime\n", "1");
	struct pa_request req = { "s", 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	v = fx_get(x, 2, 0, &n);
	assert_int_equal(v[0].port, 20100);
	pa_leases_free(v);
	assert_string_equal(pa_fake_reserved(x->f), "1,20100-20199");
	assert_int_equal(recorded(x), 1);
	/* reserved already: no write needed, so no right needed either */
	pa_fake_fail_reserved_write(x->f, PA_EPERM);
	v = fx_get(x, 1, 0, &n);
	pa_leases_free(v);
	assert_int_equal(pa_fake_reserved_writes(x->f), 1);
	/* not reserved and may not be: refused, with what to run */
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EPERM);
	assert_null(v);
	assert_non_null(strstr(err.msg, "block 's' (20600-20609) has reserve "
	    "= runtime, but the OS does not reserve it in net:[4026531840]"));
	assert_non_null(strstr(err.msg, "run 'sudo portalloc reserve -b s'"));
	assert_int_equal(fx_count(x), 3);
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/*
 * Reservations in whole blocks, one per protocol (Windows).
 */
#define BOTH "[block p]\nports = 20300-20309\nreserve = persistent\n"
#define TCP_RT "[block t]\nports = 20400-20409\nprotocols = tcp\n" \
	"reserve = runtime\n"

/* The fixture on a fake OS with block reservations. */
static struct fx *
open_blocks(const char *blocks)
{
	struct fx *x = fx_new(blocks);

	pa_fake_use_blocks(x->f);
	fx_open(x);
	return x;
}

/* One reservation per protocol the block serves; recorded as made by
 * portalloc; a second reserve changes nothing; unreserve deletes them. */
static void
test_blocks_reserve(void **state)
{
	struct fx *x = open_blocks(BOTH TCP_RT PLAIN);
	struct pa_resv_report *r;

	(void)state;
	r = reserve(x, NULL);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309,"
	    "udp:20300-20309,tcp:20400-20409");
	assert_string_equal(r->netns, "host");
	assert_string_equal(r->before, "");
	assert_string_equal(r->now, "20300-20309,20400-20409");
	assert_int_equal(r->nactions, 2);   /* not n: reserve = no */
	assert_string_equal(r->actions[0].ports, "tcp,udp");
	assert_string_equal(r->actions[1].ports, "tcp");
	assert_true(r->actions[1].persistent); /* the only kind there is */
	assert_string_equal(entry(r, "p", NULL)->added, "tcp,udp");
	assert_int_equal(entry(r, "p", NULL)->os_count, 10);
	assert_true(entry(r, "p", NULL)->in_dropin);
	assert_int_equal(entry(r, "n", NULL)->os_count, 0);
	assert_string_equal(r->dropin, "");
	assert_int_equal(r->nwarnings, 0);
	pa_resv_report_free(r);
	r = reserve(x, NULL);
	assert_string_equal(r->before, r->now);
	assert_string_equal(r->actions[0].ports, "");
	assert_string_equal(entry(r, "p", NULL)->added, "tcp,udp");
	pa_resv_report_free(r);
	r = unreserve(x, "p");
	assert_string_equal(r->actions[0].ports, "tcp,udp");
	assert_string_equal(r->now, "20400-20409");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20400-20409");
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/* What was reserved before is not portalloc's to delete: a block found
 * reserved for TCP gets only its UDP reservation made, and unreserve
 * deletes only that. */
static void
test_blocks_only_ours(void **state)
{
	struct fx *x = fx_new(BOTH);
	struct pa_resv_report *r;

	(void)state;
	pa_fake_use_blocks(x->f);
	pa_fake_add_block(x->f, PA_TCP, 20300, 20309);
	fx_open(x);
	r = reserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "udp");
	assert_string_equal(entry(r, "p", NULL)->added, "udp");
	pa_resv_report_free(r);
	r = unreserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "udp");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	assert_int_equal(recorded(x), 0);
	/* a reservation of ours gone already is no error */
	pa_resv_report_free(reserve(x, NULL));
	assert_int_equal(pa_fake_os(x->f)->block_delete(x->f, PA_UDP, 20300,
	    20309, NULL), 0);
	r = unreserve(x, NULL);
	assert_string_equal(r->actions[0].ports, "");
	pa_resv_report_free(r);
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	assert_int_equal(recorded(x), 0);
	fx_free(x);
}

/* Refused: overlapping reservations and missing rights leave the OS and
 * the store as they were, half-made reservations included. */
static void
test_blocks_refused(void **state)
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
	assert_string_equal(pa_fake_blocks(x->f), "udp:20305-20320");
	assert_int_equal(recorded(x), 0);
	fx_free(x);

	x = open_blocks(BOTH);
	pa_fake_fail_block_create(x->f, PA_EPERM);
	assert_int_equal(pa_reserve(x->pa, "p", &r, &err), PA_EPERM);
	assert_non_null(strstr(err.msg, "run 'portalloc reserve -b p' as "
	    "Administrator"));
	assert_string_equal(pa_fake_blocks(x->f), "");
	assert_int_equal(recorded(x), 0);
	pa_fake_fail_block_create(x->f, 0);
	pa_resv_report_free(reserve(x, NULL));
	/* unreserve refused half way: the deleted one is made again */
	pa_fake_fail_block_delete(x->f, PA_EPERM);
	assert_int_equal(pa_unreserve(x->pa, NULL, &r, &err), PA_EPERM);
	assert_non_null(strstr(err.msg, "run 'portalloc unreserve' as "
	    "Administrator"));
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309,"
	    "udp:20300-20309");
	assert_int_equal(recorded(x), 1);
	fx_free(x);
}

/* The report warns about lost reservations and unreserved blocks in the
 * ephemeral range, naming the protocol. */
static void
test_blocks_warnings(void **state)
{
	struct fx *x = open_blocks(BOTH "[block e]\nports = 50000-50009\n"
	    "reserve = runtime\n");
	struct pa_resv_report *r;

	(void)state;
	pa_fake_set_ephemeral(x->f, 49152, 65535);
	pa_resv_report_free(reserve(x, "p"));
	assert_int_equal(pa_fake_os(x->f)->block_delete(x->f, PA_UDP, 20300,
	    20309, NULL), 0);
	r = report(x);
	assert_true(warned(r, "the OS lost the reservation portalloc made of "
	    "block 'p' (20300-20309): it does not reserve it for udp"));
	assert_true(warned(r, "block 'e' (50000-50009) lies in the ephemeral "
	    "port range 49152-65535, but the OS does not reserve it for "
	    "tcp,udp"));
	assert_int_equal(r->nwarnings, 2);
	assert_int_equal(entry(r, "p", NULL)->os_count, 0);
	pa_resv_report_free(r);
	fx_free(x);
}

/* A block that moved loses the old reservations portalloc made; one that
 * serves fewer protocols, those of the others. */
static void
test_blocks_moved(void **state)
{
	struct fx *x = open_blocks(TCP_RT);

	(void)state;
	pa_resv_report_free(reserve(x, NULL));
	strcpy(x->cfg->blocks[0].name, "t");
	x->cfg->blocks[0].first = 20410;
	x->cfg->blocks[0].last = 20419;
	pa_resv_report_free(reserve(x, NULL));
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20410-20419");
	assert_int_equal(recorded(x), 1);
	fx_free(x);
	/* one that serves one protocol less loses that reservation */
	x = open_blocks(BOTH);
	pa_resv_report_free(reserve(x, NULL));
	x->cfg->blocks[0].protos = PA_TCP;
	pa_resv_report_free(reserve(x, NULL));
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309");
	pa_resv_report_free(unreserve(x, NULL));
	assert_string_equal(pa_fake_blocks(x->f), "");
	fx_free(x);
}

/* pa_get reserves its block first, or says why it cannot. */
static void
test_blocks_get_ensures(void **state)
{
	struct fx *x = open_blocks(BOTH TCP_RT);
	struct pa_request req = { "t", 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_lease *v;
	struct pa_error err;
	size_t n;

	(void)state;
	pa_leases_free(fx_get(x, 1, 0, &n));
	assert_string_equal(pa_fake_blocks(x->f), "tcp:20300-20309,"
	    "udp:20300-20309");
	pa_fake_fail_block_create(x->f, PA_EPERM);
	assert_int_equal(pa_get(x->pa, &req, &v, &n, &err), PA_EPERM);
	assert_non_null(strstr(err.msg, "block 't' (20400-20409) has reserve "
	    "= runtime, but the OS does not reserve it for tcp"));
	assert_non_null(strstr(err.msg, "run 'portalloc reserve -b t' once "
	    "as Administrator"));
	assert_int_equal(fx_count(x), 1);
	fx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_render),
		cmocka_unit_test(test_set_operations),
		cmocka_unit_test(test_dropin_parse),
		cmocka_unit_test(test_reserve_merges),
		cmocka_unit_test(test_reserve_idempotent),
		cmocka_unit_test(test_unreserve_only_ours),
		cmocka_unit_test(test_reserved_by_somebody_else),
		cmocka_unit_test(test_persistent_dropin),
		cmocka_unit_test(test_eperm_writes_nothing),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_block_moved),
		cmocka_unit_test(test_unreserve_spares_other_rows),
		cmocka_unit_test(test_get_ensures_reservation),
		cmocka_unit_test(test_blocks_reserve),
		cmocka_unit_test(test_blocks_only_ours),
		cmocka_unit_test(test_blocks_refused),
		cmocka_unit_test(test_blocks_warnings),
		cmocka_unit_test(test_blocks_moved),
		cmocka_unit_test(test_blocks_get_ensures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
