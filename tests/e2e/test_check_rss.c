/*
 * check in small memory (issue 14): the built portalloc checks a block of
 * which a few hundred ports are held by a few dozen processes, reports
 * every one of them with its holders, and peaks under 4 MiB of resident
 * memory, as wait4 counts it for a process started from a small C parent
 * (bench/maxrss, the bench's own yardstick).  Before holders shared their
 * processes' texts this took about 4.4 MiB.  Runs in a private network
 * namespace (root), so that the ports are this test's alone; skips
 * elsewhere and under the sanitizers (whose memory would be counted).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#define NPROCS 40              /* holder processes */
#define PER_PROC 10            /* ports each: a TCP listener and UDP */
#define NPORTS (NPROCS * PER_PROC)
#define BLOCK_PORTS (NPORTS + 100)
#define LIMIT_KIB 4096

static struct sb *sb;
static pid_t kids[NPROCS];
static uint16_t base;

/* A child holding ports first..first+PER_PROC) on TCP and UDP until it
 * is killed (or the test ends); returns once it holds them. */
static pid_t
holder(uint16_t first)
{
	int ready[2];
	pid_t pid;
	char c;
	int i;

	if (pipe(ready) != 0)
		abort();
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		for (i = 0; i < PER_PROC; i++)
			if (th_listen_tcp(AF_INET, (uint16_t)(first + i)) < 0 ||
			    th_bind_udp(AF_INET, (uint16_t)(first + i)) < 0)
				_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		fail_msg("holder of %u.. did not get ready", first);
	close(ready[0]);
	return pid;
}

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

/* Every held port is in check's JSON as an intruder, each child holds
 * its 2 * PER_PROC sockets, and the summary adds up. */
static void
test_check_reports_every_port(void **state)
{
	char *argv[] = { PORTALLOC_BIN, "check", "--json", NULL };
	char want[80];
	struct th_run r;
	int i;

	(void)state;
	sb_run_argv(sb, &r, argv);
	assert_int_equal(r.status, 1);          /* intruders: a conflict */
	for (i = 0; i < NPORTS; i++) {
		snprintf(want, sizeof(want), "{\"port\":%d,\"status\":"
		    "\"intruder\"", base + i);
		if (strstr(r.out, want) == NULL)
			fail_msg("port %d not reported", base + i);
	}
	for (i = 0; i < NPROCS; i++) {
		snprintf(want, sizeof(want), "\"pid\":%d,", (int)kids[i]);
		assert_int_equal(count(r.out, want), 2 * PER_PROC);
	}
	snprintf(want, sizeof(want), "\"intruder\":%d,\"orphan\":0}",
	    NPORTS);
	assert_non_null(strstr(r.out, want));
	assert_int_equal(count(r.out, "\"name\":\"test_check_rss\""),
	    2 * NPORTS);
	th_run_free(&r);
}

/* The peak resident memory of check (and of who) over those ports. */
static void
test_check_peak_rss(void **state)
{
	char *check[] = { MAXRSS_BIN, "3", PORTALLOC_BIN, "check", NULL };
	char range[32], *who[] = { MAXRSS_BIN, "3", PORTALLOC_BIN, "who",
	    range, NULL };
	struct th_run r;
	long kib;
	int fails;

	(void)state;
#ifdef PA_TEST_SANITIZED
	skip();
#endif
	sb_run_argv(sb, &r, check);
	assert_int_equal(r.status, 0);
	if (sscanf(r.out, "%ld %d", &kib, &fails) != 2)
		fail_msg("maxrss said: %s", r.out);
	assert_int_equal(fails, 0);
	print_message("check of %d held ports: peak RSS %ld KiB\n", NPORTS,
	    kib);
	if (kib >= LIMIT_KIB)
		fail_msg("check peaked at %ld KiB, over %d", kib, LIMIT_KIB);
	th_run_free(&r);
	snprintf(range, sizeof(range), "%u-%u", base, base + NPORTS - 1);
	sb_run_argv(sb, &r, who);
	assert_int_equal(r.status, 0);
	if (sscanf(r.out, "%ld %d", &kib, &fails) != 2)
		fail_msg("maxrss said: %s", r.out);
	print_message("who of the same ports: peak RSS %ld KiB\n", kib);
	assert_true(kib < LIMIT_KIB);
	th_run_free(&r);
}

static int
setup(void **state)
{
	int i;

	(void)state;
	sb = sb_new();
	base = sb_free_range(21000, BLOCK_PORTS);
	sb_config(sb, "[block m]\nports = %u-%u\n", base,
	    base + BLOCK_PORTS - 1);
	for (i = 0; i < NPROCS; i++)
		kids[i] = holder((uint16_t)(base + i * PER_PROC));
	return 0;
}

static int
teardown(void **state)
{
	int i, st;

	(void)state;
	for (i = 0; i < NPROCS; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &st, 0);
		}
	}
	sb_free(sb);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_reports_every_port),
		cmocka_unit_test(test_check_peak_rss),
	};

	signal(SIGPIPE, SIG_IGN);
	if (!sb_private_net()) {
		printf("test_check_rss: skipped: needs a private network "
		    "namespace (root)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
