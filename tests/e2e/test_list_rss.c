/*
 * `portalloc list` in constant memory (issue 14): over a store of 20,000
 * leases its peak RSS, as the kernel counts it for the process, stays
 * under 4 MiB (a process holding every lease at once needed 17 MiB), and
 * it still prints every row, table and JSON; a stdout that cannot be
 * written still exits 74.  The store is filled through the library on the
 * fake OS (no port is probed or held), then read by the real binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "fake/fake.h"
#include "sandbox.h"

#define LEASES 20000
#define PEAK_KIB_MAX 4096

static struct sb *sb;

/* LEASES leases in the sandbox's store, 10,000 to a call. */
static int
fill(void **state)
{
	struct pa_request req = { "big", 10000, 0, 0, 0, NULL, NULL, 0 };
	struct pa_fake *f = pa_fake_new();
	struct pa_config *cfg;
	struct pa_lease *v;
	struct pa_error err;
	struct pa *pa;
	char *text;
	size_t n;
	int i;

	(void)state;
	sb = sb_new();
	if (asprintf(&text, "[portalloc]\nstore = %s\n[block big]\n"
	    "ports = 20000-49999\n", sb->store) < 0)
		abort();
	if (pa_config_parse_string(&cfg, text, "fill.ini", &err) != 0 ||
	    pa__open_os(&pa, cfg, pa_fake_os(f), &err) != 0)
		fail_msg("fill: %s", err.msg);
	for (i = 0; i < LEASES / 10000; i++) {
		if (pa_get(pa, &req, &v, &n, &err) != 0)
			fail_msg("fill: pa_get: %s", err.msg);
		pa_leases_free(v);
	}
	pa_close(pa);
	pa_config_free(cfg);
	pa_fake_free(f);
	free(text);
	return 0;
}

static int
cleanup(void **state)
{
	(void)state;
	sb_free(sb);
	return 0;
}

/* Runs portalloc list [opt] under peak_rss: its output in *r, its peak
 * RSS in KiB returned. */
static long
list_peak(struct th_run *r, const char *opt)
{
	char *argv[] = { PORTALLOC_BIN, "list", (char *)opt, NULL };

	return sb_peak_rss(sb, r, PEAK_RSS, argv, 0);
}

static void
check_peak(long kib, const char *what)
{
#ifdef PA_TEST_SANITIZE
	(void)kib;
	print_message("%s: peak RSS not checked under the sanitizers\n", what);
#else
	print_message("%s: peak RSS %ld KiB\n", what, kib);
	if (kib <= 0 || kib >= PEAK_KIB_MAX)
		fail_msg("%s over %d leases: peak RSS %ld KiB, not under "
		    "%d KiB", what, LEASES, kib, PEAK_KIB_MAX);
#endif
}

static void
test_table(void **state)
{
	struct th_run r;
	long kib;

	(void)state;
	kib = list_peak(&r, NULL);
	assert_int_equal(th_lines(r.out), LEASES + 1);
	assert_int_equal(strncmp(r.out, "PORT ", 5), 0);
	assert_non_null(strstr(r.out, "\n20000  tcp,udp  big "));
	assert_non_null(strstr(r.out, "\n39999  tcp,udp  big "));
	th_run_free(&r);
	check_peak(kib, "list");
}

static void
test_json(void **state)
{
	size_t len;
	struct th_run r;
	long kib;

	(void)state;
	kib = list_peak(&r, "--json");
	len = strlen(r.out);
	assert_int_equal(th_lines(r.out), LEASES);
	assert_int_equal(strncmp(r.out, "[{\"port\":20000,", 15), 0);
	assert_true(len > 3 && strcmp(r.out + len - 3, "}]\n") == 0);
	assert_non_null(strstr(r.out, "},\n {\"port\":39999,"));
	th_run_free(&r);
	check_peak(kib, "list --json");
}

/* What nobody can read is a failure: exit 74 and why, table and JSON. */
static void
test_unwritable(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "exec \"$0\" list $1 >/dev/full",
	    PORTALLOC_BIN, "", NULL };
	struct th_run r;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 74);
	assert_non_null(strstr(r.err, "cannot write output: "));
	th_run_free(&r);
	argv[4] = "--json";
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 74);
	assert_non_null(strstr(r.err, "cannot write output: "));
	th_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, fill, cleanup);
}
