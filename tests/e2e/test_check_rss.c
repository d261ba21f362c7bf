/*
 * check in small memory (issue 14): the built portalloc checks a block of
 * which 400 ports are held by 40 processes, reports every one of them with
 * its holders, and peaks under 4 MiB of resident memory, and within
 * GROWTH_KIB of what it takes over a block with one held port: what check
 * keeps grows with the sockets it finds, and that growth is bounded.  Peaks
 * are wait4's ru_maxrss for a process started from a small parent
 * (peak_rss).  The growth was 1,152 KiB while every holder carried copies
 * of its process's texts and every port a whole lease; it was 384-512 KiB
 * after that, and is 384-704 KiB since check reads the kernel's tables in
 * a thread while it opens the store (what the two allocate meets at the
 * peak or not, as the threads' timing falls).  Runs in a private network
 * namespace (root), so that the ports are this test's alone; skipped
 * elsewhere.
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
#define GROWTH_KIB 1024

static struct sb *sb;
static pid_t kids[NPROCS + 1]; /* the last: block e's one port */
static uint16_t base;

/* A child holding ports first..first+n) on TCP and UDP until it is
 * killed (or the test ends); returns once it holds them. */
static pid_t
holder(uint16_t first, int n)
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
		for (i = 0; i < n; i++)
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

/* Runs portalloc with args under peak_rss; its peak in KiB. */
static long
peak(struct th_run *r, char **args, int want_status)
{
	char *argv[12] = { PORTALLOC_BIN };
	int i;

	for (i = 0; args[i] != NULL && i < 10; i++)
		argv[1 + i] = args[i];
	argv[1 + i] = NULL;
	return sb_peak_rss(sb, r, PEAK_RSS, argv, want_status);
}

/* Every held port is in check's JSON as an intruder, each child holds
 * its 2 * PER_PROC sockets, and the summary adds up. */
static void
reports_every_port(const char *out)
{
	char want[80];
	int i;

	for (i = 0; i < NPORTS; i++) {
		snprintf(want, sizeof(want), "{\"port\":%d,\"status\":"
		    "\"intruder\"", base + i);
		if (strstr(out, want) == NULL)
			fail_msg("port %d not reported", base + i);
	}
	for (i = 0; i < NPROCS; i++) {
		snprintf(want, sizeof(want), "\"pid\":%d,", (int)kids[i]);
		assert_int_equal(th_count(out, want), 2 * PER_PROC);
	}
	snprintf(want, sizeof(want), "{\"free\":100,\"ok\":0,\"waiting\":0,"
	    "\"foreign\":0,\"stale\":0,\"intruder\":%d,\"orphan\":0}",
	    NPORTS);
	assert_non_null(strstr(out, want));
	assert_int_equal(th_count(out, "\"name\":\"test_check_rss\""),
	    2 * NPORTS);
}

static void
under(long kib, long limit, const char *what)
{
#ifdef PA_TEST_SANITIZE
	(void)kib;
	(void)limit;
	print_message("%s: peak RSS not checked under the sanitizers\n",
	    what);
#else
	print_message("%s: %ld KiB\n", what, kib);
	if (kib < 0 || kib >= limit)
		fail_msg("%s: %ld KiB, not under %ld", what, kib, limit);
#endif
}

static void
test_check_in_small_memory(void **state)
{
	char *held[] = { "check", "-b", "m", "--json", NULL };
	char *one[] = { "check", "-b", "e", NULL };
	char range[32], *who[] = { "who", range, NULL };
	struct th_run r;
	long kib, kib0;

	(void)state;
	kib = peak(&r, held, 1);        /* intruders: a conflict */
	reports_every_port(r.out);
	th_run_free(&r);
	kib0 = peak(&r, one, 1);
	assert_non_null(strstr(r.out, "500 ports: 0 ok, 0 waiting, 0 foreign, "
	    "0 stale, 1 intruder, 0 orphan, 499 free"));
	th_run_free(&r);
	under(kib, LIMIT_KIB, "check of 400 held ports: peak RSS");
	under(kib - kib0, GROWTH_KIB, "... above a block with one");
	snprintf(range, sizeof(range), "%u-%u", base, base + NPORTS - 1);
	kib = peak(&r, who, 0);
	assert_int_equal(th_count(r.out, "LISTEN"), NPORTS);
	th_run_free(&r);
	under(kib, LIMIT_KIB, "who of the same ports: peak RSS");
}

static int
setup(void **state)
{
	int i;

	(void)state;
	sb = sb_new();
	base = sb_free_range(21000, 2 * BLOCK_PORTS);
	sb_config(sb, "[block m]\nports = %u-%u\n[block e]\nports = %u-%u\n",
	    base, base + BLOCK_PORTS - 1, base + BLOCK_PORTS,
	    base + 2 * BLOCK_PORTS - 1);
	for (i = 0; i < NPROCS; i++)
		kids[i] = holder((uint16_t)(base + i * PER_PROC), PER_PROC);
	kids[NPROCS] = holder((uint16_t)(base + BLOCK_PORTS), 1);
	return 0;
}

static int
teardown(void **state)
{
	int i, st;

	(void)state;
	for (i = 0; i <= NPROCS; i++) {
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
		cmocka_unit_test(test_check_in_small_memory),
	};

	signal(SIGPIPE, SIG_IGN);
	if (!sb_private_net()) {
		printf("test_check_rss: skipped: needs a private network "
		    "namespace (root)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
