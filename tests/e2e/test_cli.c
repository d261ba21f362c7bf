/*
 * End to end: the built portalloc binary, run with a temporary store,
 * config directory and working directory, never the user's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#include "portalloc/portalloc.h"

/* printf into one of a few rotating buffers, for expected text made of
 * the ports a test was given. */
static const char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static const char *
fmt(const char *f, ...)
{
	static char bufs[8][512];
	static unsigned next;
	char *b = bufs[next++ % 8];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(bufs[0]), f, ap);
	va_end(ap);
	return b;
}

/* A config of one block `name` over width ports checked free, from
 * about `from`; the first port. */
static unsigned
block(struct sb *e, const char *name, uint16_t from, unsigned width)
{
	unsigned p = sb_free_range(from, width);

	sb_config(e, "[block %s]\nports = %u-%u\n", name, p, p + width - 1);
	return p;
}

/* Writes ./portalloc.ini of the sandbox; its malloc'd path. */
static char *
config(struct sb *e, const char *text)
{
	return th_write(e->dir, "portalloc.ini", text);
}

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

static void
test_get_five_then_bind(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	uint16_t ports[8];
	size_t n, i;
	int fd;

	/* no config file anywhere: the built-in default block */
	sb_run(e, &r, "get", "--count", "5", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_int_equal(th_lines(r.out), 5);
	n = th_ports(r.out, ports, 8);
	assert_int_equal(n, 5);
	assert_true(th_distinct(ports, n));
	for (i = 0; i < n; i++) {
		assert_in_range(ports[i], 29000, 29999);
		fd = th_listen_tcp(AF_INET, ports[i]);
		assert_true(fd >= 0);
		close(fd);
		fd = th_bind_udp(AF_INET, ports[i]);
		assert_true(fd >= 0);
		close(fd);
	}
	th_run_free(&r);
	/* the leases belong to us, the parent of portalloc */
	sb_run(e, &r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(th_lines(r.out), 6);
	assert_non_null(strstr(r.out, "alive"));
	th_run_free(&r);
}

static void
test_formats(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	unsigned p = block(e, "f", 26500, 10);

	sb_run(e, &r, "get", "-n", "2", "--format", "env", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, fmt("PORTALLOC_PORT0=%u\n"
	    "PORTALLOC_PORT1=%u\nPORTALLOC_PORTS=\"%u %u\"\n", p, p + 1, p,
	    p + 1));
	th_run_free(&r);
	sb_run(e, &r, "get", "--json", "--tag", "web", "--proto", "tcp",
	    "--ttl", "90s", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, fmt("[{\"port\":%u,\"proto\":\"tcp\","
	    "\"block\":\"f\"", p + 2)));
	assert_non_null(strstr(r.out, "\"tag\":\"web\""));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", "--tag", "web", NULL);
	assert_int_equal(r.status, 0);
	assert_int_equal(th_lines(r.out), 1);
	assert_non_null(strstr(r.out, fmt("\"port\":%u", p + 2)));
	th_run_free(&r);
	sb_run(e, &r, "release", "--tag", "web", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, fmt("released 1 lease: %u\n", p + 2));
	th_run_free(&r);
	sb_run(e, &r, "release", fmt("%u", p), fmt("%u", p + 9), NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, fmt("released 1 lease: %u\n", p));
	assert_non_null(strstr(r.err, fmt("port %u: no lease", p + 9)));
	th_run_free(&r);
	sb_run(e, &r, "release", "--mine", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, fmt("released 1 lease: %u\n", p + 1));
	th_run_free(&r);
}

static void
test_exec_runs_and_releases(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	unsigned p = block(e, "x", 26600, 10);

	sb_run(e, &r, "exec", "-n", "3", "--", "/bin/sh", "-c",
	    "echo \"$PORTALLOC_PORTS|$PORTALLOC_PORT2\"; "
	    PORTALLOC_BIN " list | grep -c ' x '; exit 3", NULL);
	assert_int_equal(r.status, 3);
	assert_string_equal(r.out, fmt("%u %u %u|%u\n3\n", p, p + 1, p + 2,
	    p + 2));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	/* a command that cannot run: 127, and nothing leased */
	sb_run(e, &r, "exec", "--", "/nonexistent/cmd", NULL);
	assert_int_equal(r.status, 127);
	assert_non_null(strstr(r.err, "/nonexistent/cmd"));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", NULL);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
	/* death by signal: 128+N */
	sb_run(e, &r, "exec", "--", "/bin/sh", "-c", "kill -KILL $$", NULL);
	assert_int_equal(r.status, 128 + SIGKILL);
	th_run_free(&r);
}

struct leases_wait {
	struct sb *e;
	size_t n;
};

/* Does `list --json` show w->n leases? */
static int
has_leases(void *arg)
{
	struct leases_wait *w = arg;
	struct th_run r;
	int ok;

	sb_run(w->e, &r, "list", "--json", NULL);
	ok = w->n == 0 ? strcmp(r.out, "[]\n") == 0 : th_lines(r.out) == w->n;
	th_run_free(&r);
	return ok;
}

/* Waits until `list --json` shows n leases; 1 if it did within 20 s. */
static int
wait_leases(struct sb *e, size_t n)
{
	struct leases_wait w = { e, n };

	return sb_until(has_leases, &w, 20000);
}

/* A SIGTERM sent to portalloc alone by how (kill or tgkill): passed on
 * to the command, and the leases released when it ends. */
static void
exec_signalled(struct sb *e, int how)
{
	char *argv[] = { PORTALLOC_BIN, "exec", "-n", "2", "--", "/bin/sh",
	    "-c", "exec sleep 30", NULL };
	char **full = sb_envp(e);
	pid_t pid;
	int status;

	pid = fork();
	if (pid == 0) {
		if (chdir(e->dir) != 0)
			_exit(125);
		execve(argv[0], argv, full);
		_exit(126);
	}
	assert_true(wait_leases(e, 2));
	if (how == 0)
		kill(pid, SIGTERM);
	else    /* to its main thread (si_code SI_TKILL), as a
		 * supervisor that signals threads sends it */
		syscall(SYS_tgkill, pid, pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 128 + SIGTERM);
	assert_true(wait_leases(e, 0));
	free(full);
}

static void
test_exec_sigterm_releases(void **state)
{
	struct sb *e = *state;

	block(e, "x", 26700, 10);
	exec_signalled(e, 0);
	exec_signalled(e, 1);
}

static void
test_concurrent_gets(void **state)
{
	enum { PROCS = 32, EACH = 5 };
	struct sb *e = *state;
	char *argv[] = { PORTALLOC_BIN, "get", "-n", "5", NULL };
	char path[700], *out, **full = sb_envp(e);
	uint16_t ports[PROCS * EACH + 8];
	pid_t pids[PROCS];
	int gate[2], i, status, fd;
	size_t n = 0;
	char c;

	block(e, "c", 26000, 200);
	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < PROCS; i++) {
		snprintf(path, sizeof(path), "%s/out.%d", e->dir, i);
		pids[i] = fork();
		if (pids[i] == 0) {
			close(gate[1]);
			/* all start together when the gate closes */
			if (read(gate[0], &c, 1) != 0 || chdir(e->dir) != 0)
				_exit(125);
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 1);
			execve(argv[0], argv, full);
			_exit(126);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		snprintf(path, sizeof(path), "%s/out.%d", e->dir, i);
		out = th_read(path, NULL);
		assert_int_equal(th_ports(out, ports + n, EACH + 1), EACH);
		n += EACH;
		free(out);
	}
	assert_int_equal(n, PROCS * EACH);
	assert_true(th_distinct(ports, n));
	for (i = 0; i < (int)n; i++) {
		fd = th_listen_tcp(AF_INET, ports[i]);
		assert_true(fd >= 0);
		close(fd);
	}
	free(full);
}

static void
test_bad_config_exits_78(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	sb_config(e, "[block a]\nports = 1000-2000\nprotocols = sctp\n");

	/* found as ./portalloc.ini, and named so */
	sb_run(e, &r, "get", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "portalloc.ini:3: bad protocols 'sctp'"));
	assert_string_equal(r.out, "");
	th_run_free(&r);
	/* nothing was written: no store */
	assert_int_equal(access(e->store, F_OK), -1);
	sb_run(e, &r, "-c", "/nonexistent.ini", "get", NULL);
	assert_int_equal(r.status, 78);
	assert_non_null(strstr(r.err, "/nonexistent.ini"));
	th_run_free(&r);
	sb_run(e, &r, "config", NULL);
	assert_int_equal(r.status, 78);
	th_run_free(&r);
}

/* A store whose directory cannot be made: 73, the directory and the
 * store named, and how to name another (a system user's HOME=/nonexistent
 * gives the same). */
static void
test_store_dir_cannot_be_made(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	char store[800], want[900];

	block(e, "x", 26800, 10);
	free(th_write(e->dir, "file", "not a directory\n"));
	snprintf(store, sizeof(store), "%s/file/state/leases.db", e->dir);
	sb_setenv(e, "PORTALLOC_STORE", store);
	sb_run(e, &r, "get", NULL);
	assert_int_equal(r.status, 73);
	snprintf(want, sizeof(want), "cannot create %s/file/state, the "
	    "directory of store %s: Not a directory", e->dir, store);
	assert_non_null(strstr(r.err, want));
	assert_non_null(strstr(r.err, "hint: name another store: "
	    "PORTALLOC_STORE="));
	assert_string_equal(r.out, "");
	th_run_free(&r);
}

static void
test_corrupt_store_untouched(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	char *before, *after, junk[2001], sdir[700];
	size_t nb, na;

	snprintf(sdir, sizeof(sdir), "%s/state", e->dir);
	assert_int_equal(mkdir(sdir, 0700), 0);
	memset(junk, 'Z', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	free(th_write(e->dir, "state/leases.db", junk));
	before = th_read(e->store, &nb);
	sb_run(e, &r, "get", NULL);
	assert_int_equal(r.status, 74);
	assert_non_null(strstr(r.err, e->store));
	assert_non_null(strstr(r.err, "left as it is"));
	th_run_free(&r);
	sb_run(e, &r, "list", NULL);
	assert_int_equal(r.status, 74);
	th_run_free(&r);
	after = th_read(e->store, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
}

/* A store this user may read but not write: 74 with the path, unchanged. */
static void
test_readonly_store(void **state)
{
	struct sb *e = *state;
	char *argv[] = { PORTALLOC_BIN, "get", NULL }, sdir[700];
	char *before, *after;
	struct th_run r;
	size_t nb, na;
	long uid = getuid() == 0 ? 65534 : -1;

	sb_run(e, &r, "get", "--owner", "1", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	snprintf(sdir, sizeof(sdir), "%s/state", e->dir);
	assert_int_equal(chmod(e->store, 0444), 0);
	assert_int_equal(chmod(sdir, 0555), 0);
	assert_int_equal(chmod(e->dir, 0755), 0);
	before = th_read(e->store, &nb);
	th_run_as(&r, uid, "/", e->env, argv);
	if (uid < 0 && r.status == 0) /* a user who ignores modes */
		skip();
	assert_int_equal(r.status, 74);
	assert_non_null(strstr(r.err, e->store));
	assert_non_null(strstr(r.err, "cannot be written"));
	th_run_free(&r);
	after = th_read(e->store, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(before, after, nb);
	free(before);
	free(after);
	chmod(sdir, 0700);
}

static void
test_block_full_exits_69(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	unsigned p = sb_free_range(26800, 3);

	sb_config(e, "[block tiny]\nports = %u-%u\n", p, p + 2);

	sb_run(e, &r, "get", "-n", "2", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	sb_run(e, &r, "get", "-n", "2", NULL);
	assert_int_equal(r.status, 69);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, fmt("block 'tiny' (%u-%u) has fewer "
	    "than 2 free ports: 2 leased (pid ", p, p + 2)));
	/* the owners live: gc cannot help, the hint says what can */
	assert_null(strstr(r.err, "portalloc gc"));
	assert_non_null(strstr(r.err, "hint: see who holds its ports with "
	    "'portalloc list -b tiny'"));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", NULL);
	assert_int_equal(th_lines(r.out), 2); /* all or none */
	th_run_free(&r);
}

static void
test_gc_dead_owner(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	unsigned p = block(e, "g", 26900, 10);
	char pidbuf[32];
	pid_t child;
	int status;

	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)child);
	sb_run(e, &r, "get", "-n", "2", "--owner", pidbuf, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	sb_run(e, &r, "gc", NULL);
	assert_string_equal(r.out, "reclaimed 0 leases\n");
	th_run_free(&r);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	sb_run(e, &r, "list", NULL);
	assert_non_null(strstr(r.out, "dead"));
	th_run_free(&r);
	sb_run(e, &r, "gc", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, fmt("%u/tcp,udp  block g  pid", p)));
	assert_non_null(strstr(r.out, "reclaimed 2 leases\n"));
	th_run_free(&r);
	/* an owner that does not exist is refused */
	sb_run(e, &r, "get", "--owner", pidbuf, NULL);
	assert_int_equal(r.status, 65);
	assert_non_null(strstr(r.err, pidbuf));
	th_run_free(&r);
}

static void
test_usage_errors(void **state)
{
	static const char *const cases[][4] = {
		{ "frobnicate", NULL },
		{ "get", "--count", "0", NULL },
		{ "get", "--count", "-3", NULL },
		{ "get", "--count", "99999999999", NULL },
		{ "get", "--count", "five", NULL },
		{ "get", "--proto", "sctp", NULL },
		{ "get", "--ttl", "soon", NULL },
		{ "get", "--tag", "", NULL },
		{ "get", "--frob", NULL },
		{ "get", "extra", NULL },
		{ "release", NULL },
		{ "release", "70000", NULL },
		{ "exec", "-n", "2", NULL },
		{ "--bogus", NULL },
		{ "get", "--count", "70000", NULL },
		{ "get", "-n", "1x", NULL },
		{ "get", "--owner", "-5", NULL },
		{ "get", "--owner", "99999999999", NULL },
		{ "get", "--ttl", "-5s", NULL },
		{ "release", "0", NULL },
		{ "release", "65536", NULL },
		{ "release", "--tag=", NULL },
		{ "release", "--owner", "0", NULL },
		{ "gc", "extra", NULL },
		{ "list", "--frob", NULL },
	};
	struct sb *e = *state;
	struct th_run r;
	char *argv[6];
	size_t i, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[0] = PORTALLOC_BIN;
		for (j = 0; cases[i][j]; j++)
			argv[j + 1] = (char *)cases[i][j];
		argv[j + 1] = NULL;
		th_run(&r, e->dir, e->env, argv);
		print_message("case %zu: %s\n", i, r.err);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		assert_true(strncmp(r.err, "portalloc: ", 11) == 0 ||
		    strstr(r.err, "unrecognized option") != NULL);
		th_run_free(&r);
	}
	/* nothing was written by any of them */
	assert_int_equal(access(e->store, F_OK), -1);
}

static void
test_help_and_version(void **state)
{
	static const char *const cmds[] = { "get", "release", "list", "exec",
	    "gc", "config", "who", "check", "map", "reserve", "unreserve",
	    "reservations" };
	struct sb *e = *state;
	struct th_run r;
	char want[64];
	size_t i;

	sb_run(e, &r, "--help", NULL);
	assert_int_equal(r.status, 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		assert_non_null(strstr(r.out, cmds[i]));
	th_run_free(&r);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		sb_run(e, &r, cmds[i], "--help", NULL);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof(want), "usage: portalloc %s ", cmds[i]);
		assert_non_null(strstr(r.out, want));
		th_run_free(&r);
	}
	sb_run(e, &r, "--version", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "portalloc " PA_VERSION "\n");
	th_run_free(&r);
	sb_run(e, &r, NULL);
	assert_int_equal(r.status, 2);
	th_run_free(&r);
}

static void
test_config_shows_origins(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	sb_config(e, "[portalloc]\nlease_ttl = 30m\n\n[block web]\n"
	    "ports = 21000-21499\nprotocols = tcp\n");

	sb_run(e, &r, "config", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "; file: portalloc.ini\n"));
	assert_non_null(strstr(r.out, "lease_ttl = 30m"));
	assert_non_null(strstr(r.out, "; portalloc.ini:2\n"));
	assert_non_null(strstr(r.out, "ports = 21000-21499"));
	assert_non_null(strstr(r.out, "; portalloc.ini:5\n"));
	assert_non_null(strstr(r.out, "bind_address = 127.0.0.1"));
	assert_non_null(strstr(r.out, "; $PORTALLOC_STORE\n"));
	/* the output is itself a valid configuration, saying the same */
	free(th_write(e->dir, "again.ini", r.out));
	th_run_free(&r);
	sb_run(e, &r, "-c", "again.ini", "config", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "lease_ttl = 30m                          "
	    "; again.ini:5\n"));
	assert_non_null(strstr(r.out, "protocols = tcp                          "
	    "; again.ini:"));
	th_run_free(&r);
	sb_run(e, &r, "config", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"ports\":{\"first\":21000,"
	    "\"last\":21499,\"from\":\"portalloc.ini:5\"}"));
	assert_non_null(strstr(r.out, "\"protocols\":{\"value\":\"tcp\","
	    "\"from\":\"portalloc.ini:6\"}"));
	assert_non_null(strstr(r.out, "\"reserve\":{\"value\":\"no\","
	    "\"from\":\"default\"}"));
	th_run_free(&r);
}

static void
test_map_plain(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	unsigned p = block(e, "m", 26960, 20);
	int ok, intruder;

	sb_run(e, &r, "get", "-n", "2", NULL);     /* p, p + 1: ours */
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	ok = th_listen_tcp(AF_INET, (uint16_t)p);            /* the owner's */
	intruder = th_listen_tcp(AF_INET, (uint16_t)(p + 5)); /* not leased */
	assert_true(ok >= 0 && intruder >= 0);
	sb_run(e, &r, "map", NULL);                 /* stdout is a file */
	print_message("%s", r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, fmt("block m (%u-%u)\n"
	    "%u ow...I..............\n", p, p + 19, p)));
	assert_non_null(strstr(r.out, "  I intruder      1  not leased, "
	    "held\n"));
	assert_non_null(strstr(r.out, "  . free         17  free\n"));
	assert_null(strchr(r.out, '\033'));       /* no colors */
	th_run_free(&r);
	close(ok);
	close(intruder);
}

/* Runs portalloc with extra environment entries (NULL-terminated). */
static void
pa_run_env(struct sb *e, struct th_run *r, char *const extra[],
    char *const argv[])
{
	char *env[16];
	size_t n = 0, i;

	for (i = 0; e->env[i] != NULL; i++)
		env[n++] = e->env[i];
	for (i = 0; extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	th_run(r, e->dir, env, argv);
}

/* 1 if s is valid UTF-8 with no raw control character but '\n'. */
static int
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n, i;

	while (*p) {
		if (*p < 0x80) {
			if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
				return 0;
			p++;
			continue;
		}
		n = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc2 ? 1 : -1;
		if (n < 0 || *p > 0xf4)
			return 0;
		for (i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n + 1;
	}
	return 1;
}

/* Every option is declared once: long-only options have no short letter,
 * unknown ones are refused the way other errors are said. */
static void
test_long_only_options_refused(void **state)
{
	static const char *const cases[][3] = {
		{ "-j", "unknown option '-j'" },
		{ "-C", "unknown option '-C'" },
		{ "-T", "unknown option '-T'" },
		{ "--json=1", "option '--json' takes no value" },
		{ "--count", "option '--count' needs a value" },
	};
	struct sb *e = *state;
	struct th_run r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* "foo" would be --count's value */
		sb_run(e, &r, "get", cases[i][0], i < 4 ? "foo" : NULL, NULL);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		assert_true(strncmp(r.err, "portalloc: get: ", 16) == 0);
		assert_non_null(strstr(r.err, cases[i][1]));
		th_run_free(&r);
	}
	sb_run(e, &r, "gte", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command 'gte'; did you mean "
	    "'get'?"));
	assert_null(strstr(r.err, "commands:"));   /* not the whole usage */
	th_run_free(&r);
	assert_int_equal(access(e->store, F_OK), -1);
}

/* -cFILE, -c FILE, --config=FILE before the command and -cFILE after it
 * all read FILE. */
static void
test_config_option_spellings(void **state)
{
	static const char *const forms[][4] = {
		{ "-csub/p.ini", "config", "--json", NULL },
		{ "-c", "sub/p.ini", "config", "--json" },
		{ "--config=sub/p.ini", "config", "--json", NULL },
		{ "config", "-csub/p.ini", "--json", NULL },
		{ "config", "--json", "--config", "sub/p.ini" },
	};
	struct sb *e = *state;
	struct th_run r;
	char *first = NULL, *argv[8], sub[700];
	size_t i, j;

	snprintf(sub, sizeof(sub), "%s/sub", e->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	free(th_write(sub, "p.ini", "[block elsewhere]\nports = 1-2\n"
	    "reserve = no\n"));
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		argv[0] = PORTALLOC_BIN;
		for (j = 0; j < 4 && forms[i][j]; j++)
			argv[j + 1] = (char *)forms[i][j];
		argv[j + 1] = NULL;
		th_run(&r, e->dir, e->env, argv);
		print_message("form %zu: %s", i, r.err);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "\"name\":\"elsewhere\""));
		if (first == NULL)
			first = strdup(r.out);
		assert_string_equal(r.out, first);
		th_run_free(&r);
	}
	free(first);
}

/* One validator per kind of value: every command refuses the same bad
 * tags and pids, before touching anything. */
static void
test_checks_alike(void **state)
{
	static const char *const cmds[][2] = {
		{ "get", NULL }, { "list", NULL }, { "release", NULL },
		{ "exec", "--" },
	};
	static const char *const bad[][2] = {
		{ "--tag", "" }, { "--tag", "a\033[2Jb" }, { "--tag", "x\ny" },
		{ "--tag", "caf\xe9" }, { "--tag", "\xc2\x9b" },
		{ "--owner", "0" }, { "--block", "" },
	};
	struct sb *e = *state;
	struct th_run r;
	char *argv[8];
	size_t i, j;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			if (i == 3 && strcmp(bad[j][0], "--owner") == 0)
				continue;       /* exec's child is the owner */
			argv[0] = PORTALLOC_BIN;
			argv[1] = (char *)cmds[i][0];
			argv[2] = (char *)bad[j][0];
			argv[3] = (char *)bad[j][1];
			argv[4] = cmds[i][1] ? (char *)cmds[i][1] : NULL;
			argv[5] = cmds[i][1] ? "/bin/true" : NULL;
			argv[6] = NULL;
			th_run(&r, e->dir, e->env, argv);
			print_message("%s %s: %s", cmds[i][0], bad[j][0],
			    r.err);
			assert_int_equal(r.status, 2);
			assert_string_equal(r.out, "");
			assert_true(clean_utf8(r.err));   /* shown escaped */
			th_run_free(&r);
		}
	assert_int_equal(access(e->store, F_OK), -1);
	/* a good UTF-8 tag is fine */
	sb_run(e, &r, "get", "--tag", "caf\xc3\xa9", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"tag\":\"caf\xc3\xa9\""));
	th_run_free(&r);
}

/* --ttl 0 is not "never": refused; never is how to ask. */
static void
test_ttl_zero_refused(void **state)
{
	struct sb *e = *state;
	struct th_run r;

	sb_run(e, &r, "get", "--ttl", "0", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "'never'"));
	th_run_free(&r);
	sb_run(e, &r, "get", "--ttl", "0s", NULL);
	assert_int_equal(r.status, 2);
	th_run_free(&r);
	assert_int_equal(access(e->store, F_OK), -1);
	sb_run(e, &r, "get", "--ttl", "never", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"expires\":null"));
	th_run_free(&r);
}

/* A result nobody can read is no lease: get > /dev/full exits 74 and
 * leaves nothing leased. */
static void
test_unwritable_result_released(void **state)
{
	struct sb *e = *state;
	char *argv[] = { "/bin/sh", "-c", "exec \"$0\" get -n 2 >/dev/full",
	    PORTALLOC_BIN, NULL };
	struct th_run r;

	if (access("/dev/full", W_OK) != 0)
		skip();
	th_run(&r, e->dir, e->env, argv);
	assert_int_equal(r.status, 74);
	assert_non_null(strstr(r.err, "released the 2 leases again"));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "[]\n");
	th_run_free(&r);
}

/* A TCP port below the ephemeral ranges that nobody holds just now. */
static uint16_t
unheld_port(void)
{
	pa_socket_t s = TH_BADSOCK;
	uint16_t port = 0;
	int i;

	for (i = 0; i < 200 && s == TH_BADSOCK; i++) {
		port = (uint16_t)(20000 + (getpid() * 13 + i * 41) % 8000);
		s = th_listen_tcp(AF_INET, port);
	}
	assert_true(s != TH_BADSOCK);
	th_sock_close(s);
	return port;
}

/* A lease whose owner's command line holds an escape sequence, a newline
 * and invalid UTF-8: list --json stays valid JSON, the table one row, the
 * full block's message one clean line. */
static void
test_hostile_command_line(void **state)
{
	struct sb *e = *state;
	char ini[96];
	char *argv[] = { "\033[2J\nport 1 fake\xff\xc3", "30", NULL };
	pa_socket_t s = th_listen_tcp(AF_INET, 0);
	char pid[32], port[16];
	struct th_run r;
	pid_t child;
	int status;

	assert_true(s != TH_BADSOCK);
	snprintf(port, sizeof(port), "%u", th_sock_port(s));
	child = fork();
	if (child == 0) {       /* it holds our listener, too */
		fcntl(s, F_SETFD, 0);
		execv("/bin/sleep", argv);
		_exit(126);
	}
	snprintf(pid, sizeof(pid), "%d", (int)child);
	snprintf(ini, sizeof(ini), "[block one]\nports = %u\n",
	    unheld_port());
	free(config(e, ini));
	sb_run(e, &r, "get", "--owner", pid, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	sb_run(e, &r, "get", NULL);             /* full: says whose */
	assert_int_equal(r.status, 69);
	assert_true(clean_utf8(r.err));
	assert_non_null(strstr(r.err, "\\x1b[2J\\nport 1 fake"));
	th_run_free(&r);
	sb_run(e, &r, "list", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_true(clean_utf8(r.out));
	assert_int_equal(th_lines(r.out), 1);
	assert_non_null(strstr(r.out, "\\u001b[2J\\nport 1 fake\\ufffd"));
	th_run_free(&r);
	sb_run(e, &r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_true(clean_utf8(r.out));
	assert_int_equal(th_lines(r.out), 2);   /* header and one row */
	assert_non_null(strstr(r.out, "\\x1b[2J\\nport 1 fake\\xff\\xc3"));
	th_run_free(&r);
	sb_run(e, &r, "check", NULL);           /* the lease's line */
	assert_int_equal(r.status, 0);
	assert_true(clean_utf8(r.out));
	assert_int_equal(th_lines(r.out), 2);   /* the port and the sums */
	assert_non_null(strstr(r.out, "waiting   leased to pid "));
	assert_non_null(strstr(r.out, " (\\x1b[2J\\nport 1 fake\\xff\\xc3 30)\n"));
	th_run_free(&r);
	/* who: the same command line, as a holder (we hold it too) */
	sb_run(e, &r, "who", port, NULL);
	assert_int_equal(r.status, 0);
	assert_true(clean_utf8(r.out));
	assert_int_equal(th_lines(r.out), 3);   /* header, us, the child */
	assert_non_null(strstr(r.out, "\\x1b[2J\\nport 1 fake"));
	th_run_free(&r);
	sb_run(e, &r, "who", port, "--json", NULL);
	assert_true(clean_utf8(r.out));
	assert_non_null(strstr(r.out, "\\u001b[2J\\nport 1 fake\\ufffd"));
	th_run_free(&r);
	th_sock_close(s);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
}

/* The library's hint, worded with the user's own -c FILE: a one-port
 * block that a process without a lease holds. */
static void
test_hint_names_config(void **state)
{
	struct sb *e = *state;
	pa_socket_t s = TH_BADSOCK;
	char ini[128], sub[700];
	struct th_run r;
	uint16_t port = 0;
	int i;

	/* a port below every ephemeral range that we can hold */
	for (i = 0; i < 200 && s == TH_BADSOCK; i++) {
		port = (uint16_t)(20000 + (getpid() * 7 + i * 37) % 8000);
		s = th_listen_tcp(AF_INET, port);
	}
	assert_true(s != TH_BADSOCK);
	snprintf(sub, sizeof(sub), "%s/sub", e->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(ini, sizeof(ini), "[block one]\nports = %u\nprotocols = "
	    "tcp\nbind_address = 127.0.0.1\n", port);
	free(th_write(sub, "p.ini", ini));
	sb_run(e, &r, "-c", "sub/p.ini", "get", NULL);
	assert_int_equal(r.status, 69);
	assert_non_null(strstr(r.err, "has no free port: 0 leased, 1 held "
	    "by other processes"));
	assert_non_null(strstr(r.err, "hint: "));
	assert_non_null(strstr(r.err, "'portalloc -c sub/p.ini check -b "
	    "one'"));
	th_run_free(&r);
	th_sock_close(s);
}

/* Reports: list says "no leases" on stderr; who --json has the same keys
 * on every row; the protocol pair has one spelling, old ones accepted. */
static void
test_report_shapes(void **state)
{
	struct sb *e = *state;
	pa_socket_t t = th_listen_tcp(AF_INET, 0), u;
	char port[16];
	struct th_run r;
	const char *p;
	size_t rows = 0, remote = 0;

	sb_run(e, &r, "list", NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "no leases in "));
	th_run_free(&r);
	assert_true(t != TH_BADSOCK);
	snprintf(port, sizeof(port), "%u", th_sock_port(t));
	u = th_bind_udp(AF_INET, th_sock_port(t));
	sb_run(e, &r, "who", port, "--json", NULL);
	assert_int_equal(r.status, 0);
	for (p = r.out; (p = strstr(p, "\"port\":")) != NULL; p++)
		rows++;
	for (p = r.out; (p = strstr(p, "\"remote_port\":")) != NULL; p++)
		remote++;
	assert_true(rows >= 1);
	assert_int_equal(rows, remote);
	assert_non_null(strstr(r.out, "\"remote\":null,\"remote_port\":null"));
	th_run_free(&r);
	th_sock_close(t);
	if (u != TH_BADSOCK)
		th_sock_close(u);
	sb_run(e, &r, "get", "--proto", "both", "--json", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"proto\":\"tcp,udp\""));
	th_run_free(&r);
	sb_run(e, &r, "get", "--proto", "tcp+udp", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	sb_run(e, &r, "config", NULL);
	assert_non_null(strstr(r.out, "protocols = tcp,udp "));
	th_run_free(&r);
}

/* --help: the options and nothing between them; exec's synopsis has
 * --listen. */
static void
test_help_shapes(void **state)
{
	struct sb *e = *state;
	struct th_run r;
	const char *p;

	sb_run(e, &r, "release", "--help", NULL);
	assert_int_equal(r.status, 0);
	p = strstr(r.out, "\noptions:\n");
	assert_non_null(p);
	for (p += 10; *p; p = strchr(p, '\n') + 1)
		assert_true(strncmp(p, "  -", 3) == 0 ||
		    strncmp(p, "      --", 8) == 0 ||
		    strncmp(p, "                      ", 22) == 0);
	th_run_free(&r);
	sb_run(e, &r, "exec", "--help", NULL);
	assert_int_equal(r.status, 0);
	p = strstr(r.out, "\n\n");
	assert_non_null(p);
	assert_true(strstr(r.out, "[--listen N]") < p);
	assert_non_null(strstr(r.out, "[--listen N]"));
	th_run_free(&r);
}

/* map fits a 40-column terminal. */
static void
test_map_fits_columns(void **state)
{
	struct sb *e = *state;
	char *cfg = config(e, "[block wide]\nports = 26000-26099\n");
	char *extra[] = { "COLUMNS=40", NULL };
	char *argv[] = { PORTALLOC_BIN, "map", NULL };
	struct th_run r;
	const char *p, *nl;
	size_t rows = 0;

	pa_run_env(e, &r, extra, argv);
	assert_int_equal(r.status, 0);
	for (p = r.out; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		assert_true(nl - p <= 40);
		rows += strncmp(p, "26", 2) == 0;
	}
	assert_int_equal(rows, 4);      /* 100 ports, 30 to a row */
	th_run_free(&r);
	free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_five_then_bind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_runs_and_releases,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_dir_cannot_be_made,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_sigterm_releases,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_gets, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_config_exits_78, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_store_untouched,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_block_full_exits_69, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gc_dead_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_help_and_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_plain, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_config_shows_origins,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_only_options_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_option_spellings,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks_alike,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_zero_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_result_released,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_command_line,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_names_config,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_shapes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_shapes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_fits_columns,
		    setup, teardown),
	};

	sb_private_net();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
