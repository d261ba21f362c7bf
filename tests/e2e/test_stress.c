/*
 * Stress: 200 portalloc processes asking for 5 ports each at the same
 * moment, and a soak of get/release cycles through the C API in 8 forked
 * processes sharing one store.  No port may be handed out twice, no error
 * but "block full" may appear (and that only where the block is too
 * small on purpose), and the store must stay small.
 *
 * The soak runs $PORTALLOC_SOAK_CYCLES cycles in all (100000), in-process
 * (pa_get + pa_release on one handle per process), not 100000 process
 * spawns.  As root the test runs in a private network namespace, so that
 * its probe binds meet nobody else's sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#include "portalloc/portalloc.h"

#define PROCS 200
#define EACH 5

static int
setup(void **state)
{
	*state = sb_new();
	return 0;
}

static int
teardown(void **state)
{
	sb_free(*state);
	return 0;
}

static off_t
file_size(const char *dir, const char *name)
{
	char path[700];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * Starts PROCS `portalloc get -n 5` at once (they wait on a pipe) and
 * collects their ports into ports[] and their exit codes into codes[].
 * Returns how many ports were printed.
 */
static size_t
get_storm(struct sb *s, uint16_t *ports, int *codes)
{
	char *argv[] = { PORTALLOC_BIN, "get", "-n", "5", NULL };
	char path[700], *out, **env = sb_envp(s);
	pid_t pids[PROCS];
	int gate[2], i, status, fd;
	size_t n = 0, got;
	char c;

	assert_int_equal(pipe(gate), 0);
	fflush(NULL);
	for (i = 0; i < PROCS; i++) {
		snprintf(path, sizeof(path), "%s/out.%d", s->dir, i);
		if ((pids[i] = fork()) == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0 || chdir(s->dir) != 0)
				_exit(125);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
			snprintf(path, sizeof(path), "%s/err.%d", s->dir, i);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 2);
			execve(argv[0], argv, env);
			_exit(126);
		}
		assert_true(pids[i] > 0);
	}
	free(env);
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		codes[i] = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		snprintf(path, sizeof(path), "%s/out.%d", s->dir, i);
		out = th_read(path, NULL);
		got = th_ports(out, ports + n, EACH + 1);
		assert_int_equal(got, codes[i] == 0 ? EACH : 0);
		n += got;
		free(out);
		snprintf(path, sizeof(path), "%s/err.%d", s->dir, i);
		out = th_read(path, NULL);
		if (codes[i] == 69 && strstr(out, "has fewer than 5 free ports") == NULL)
			fail_msg("process %d: exit 69 but: %s", i, out);
		if (codes[i] != 0 && codes[i] != 69)
			fail_msg("process %d: exit %d: %s", i, codes[i], out);
		free(out);
	}
	return n;
}

/* 200 at once, room for all: every one gets 5 distinct ports. */
static void
test_200_gets(void **state)
{
	struct sb *s = *state;
	uint16_t ports[PROCS * EACH + 8];
	int codes[PROCS], i;
	struct timespec t0, t1;
	size_t n;

	unsigned p = sb_free_range(22000, 1200);

	sb_config(s, "[block s]\nports = %u-%u\nprotocols = tcp\n", p,
	    p + 1199);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = get_storm(s, ports, codes);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < PROCS; i++)
		assert_int_equal(codes[i], 0);
	assert_int_equal(n, PROCS * EACH);
	assert_true(th_distinct(ports, n));
	print_message("%d concurrent gets of %d: %zu distinct ports in "
	    "%.2f s, store %lld + WAL %lld bytes\n", PROCS, EACH, n,
	    (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (long long)file_size(s->dir, "state/leases.db"),
	    (long long)file_size(s->dir, "state/leases.db-wal"));
}

/* 200 at once into 600 ports: 120 succeed, 80 say the block is full. */
static void
test_200_gets_block_too_small(void **state)
{
	struct sb *s = *state;
	uint16_t ports[PROCS * EACH + 8];
	int codes[PROCS], i, ok = 0, full = 0;
	size_t n;

	unsigned p = sb_free_range(22000, 600);

	sb_config(s, "[block s]\nports = %u-%u\nprotocols = tcp\n", p,
	    p + 599);
	n = get_storm(s, ports, codes);
	for (i = 0; i < PROCS; i++) {
		ok += codes[i] == 0;
		full += codes[i] == 69;
	}
	assert_int_equal(ok, 600 / EACH);
	assert_int_equal(full, PROCS - 600 / EACH);
	assert_int_equal(n, 600);
	assert_true(th_distinct(ports, n));
	print_message("%d concurrent gets into 600 ports: %d got 5, %d were "
	    "told the block is full\n", PROCS, ok, full);
}

/* What the soak workers share: who holds each port of the block now. */
static unsigned soak_first;    /* checked free */
#define SOAK_FIRST soak_first
#define SOAK_PORTS 10
#define SOAK_WORKERS 8
struct soak_shared {
	int holder[SOAK_PORTS];        /* worker + 1, or 0 */
	unsigned long cycles, full, errors, dup;
	char error[SOAK_WORKERS][256];
};

/* One worker: cycles of get (1-3 ports) and release on one handle. */
static void
soak_worker(struct soak_shared *sh, int me, unsigned long cycles,
    const char *ini)
{
	struct pa_request req = { NULL, 1, 0, 0, -1, NULL, NULL, 0 };
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_config *cfg;
	struct pa_lease *v, *r;
	struct pa_error err;
	struct pa *pa;
	uint16_t ports[3];
	unsigned long i;
	size_t n, nr, k;
	int rc;

	if (pa_config_parse_file(&cfg, ini, &err) != 0 ||
	    pa_open(&pa, cfg, &err) != 0) {
		snprintf(sh->error[me], sizeof(sh->error[me]), "%s", err.msg);
		__sync_fetch_and_add(&sh->errors, 1);
		_exit(1);
	}
	srand((unsigned)me);
	for (i = 0; i < cycles; i++) {
		req.count = 1 + (unsigned)rand() % 3;
		rc = pa_get(pa, &req, &v, &n, &err);
		if (rc == PA_EFULL) {
			__sync_fetch_and_add(&sh->full, 1);
			continue;
		}
		if (rc != 0) {
			snprintf(sh->error[me], sizeof(sh->error[me]), "get: %s",
			    err.msg);
			__sync_fetch_and_add(&sh->errors, 1);
			break;
		}
		for (k = 0; k < n; k++) {
			ports[k] = v[k].port;
			if (!__sync_bool_compare_and_swap(
			    &sh->holder[v[k].port - SOAK_FIRST], 0, me + 1))
				__sync_fetch_and_add(&sh->dup, 1);
		}
		for (k = 0; k < n; k++)
			__sync_bool_compare_and_swap(
			    &sh->holder[ports[k] - SOAK_FIRST], me + 1, 0);
		f.ports = ports;
		f.nports = n;
		rc = pa_release(pa, &f, &r, &nr, &err);
		if (rc != 0 || nr != n) {
			snprintf(sh->error[me], sizeof(sh->error[me]),
			    "release: %s", rc ? err.msg : "lost a lease");
			__sync_fetch_and_add(&sh->errors, 1);
		}
		pa_leases_free(v);
		pa_leases_free(r);
		__sync_fetch_and_add(&sh->cycles, 1);
	}
	pa_close(pa);
	pa_config_free(cfg);
	_exit(0);
}

static void
test_soak(void **state)
{
	struct sb *s = *state;
	const char *env = getenv("PORTALLOC_SOAK_CYCLES");
	unsigned long total = env ? strtoul(env, NULL, 10) : 100000;
	struct soak_shared *sh;
	struct timespec t0, t1;
	pid_t pids[SOAK_WORKERS];
	char ini[700], *text;
	int i, status;
	double secs;
	off_t db, wal;

	soak_first = sb_free_range(22000, SOAK_PORTS);
	if (asprintf(&text, "[portalloc]\nstore = %s/soak.db\n[block k]\n"
	    "ports = %u-%u\nprotocols = tcp\n", s->dir, SOAK_FIRST,
	    SOAK_FIRST + SOAK_PORTS - 1) < 0)
		abort();
	free(th_write(s->dir, "soak.ini", text));
	free(text);
	snprintf(ini, sizeof(ini), "%s/soak.ini", s->dir);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fflush(NULL);
	for (i = 0; i < SOAK_WORKERS; i++)
		if ((pids[i] = fork()) == 0)
			soak_worker(sh, i, total / SOAK_WORKERS, ini);
	for (i = 0; i < SOAK_WORKERS; i++)
		waitpid(pids[i], &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	db = file_size(s->dir, "soak.db");
	wal = file_size(s->dir, "soak.db-wal");
	print_message("soak: %lu get/release cycles in %d processes in %.1f s "
	    "(%.0f/s), %lu block-full answers, %lu duplicates, %lu errors; "
	    "store %lld + WAL %lld bytes\n", sh->cycles, SOAK_WORKERS, secs,
	    (double)sh->cycles / secs, sh->full, sh->dup, sh->errors,
	    (long long)db, (long long)wal);
	for (i = 0; i < SOAK_WORKERS; i++)
		if (sh->error[i][0])
			print_message("worker %d: %s\n", i, sh->error[i]);
	assert_int_equal(sh->errors, 0);
	assert_int_equal(sh->dup, 0);
	assert_int_equal(sh->cycles + sh->full,
	    total / SOAK_WORKERS * SOAK_WORKERS);
	/* bounded: a few pages of leases, a WAL checkpointed as it grows */
	assert_true(db < 256 * 1024);
	assert_true(wal < 8 * 1024 * 1024);
	munmap(sh, sizeof(*sh));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_200_gets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_200_gets_block_too_small,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_soak, setup, teardown),
	};

	sb_private_net();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
