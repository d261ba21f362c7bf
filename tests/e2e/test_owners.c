/*
 * Lease owners and stores end to end (issue 13), with the real launchers,
 * real PID namespaces (unshare -p -f --mount-proc) and real pid reuse:
 * no port is handed out twice behind timeout, xargs, flock, sh -c,
 * os.system, make or execSync, across a host and its containers, or to a
 * process that reused a pid; stores reached two ways are refused.
 *
 * Everything runs in a private network namespace of its own (root), so
 * that the blocks' ports are clean; without root it is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "sandbox.h"
#include "core/core.h"

struct o {
	char *dir;
	char store[700];
	char *env[8];
};

static int private_ns;
static pid_t keepers[8];        /* ended by teardown, whatever happened */
static int nkeepers;

/* A private network namespace with lo up, for the whole test. */
static void
enter_netns(void)
{
	if (getuid() != 0 || unshare(CLONE_NEWNET) != 0)
		return;
	private_ns = sb_lo_up() == 0;
}

static int
setup(void **state)
{
	struct o *o = calloc(1, sizeof(*o));

	o->dir = th_tmpdir();
	chmod(o->dir, 0755);
	snprintf(o->store, sizeof(o->store), "%s/leases.db", o->dir);
	free(th_write(o->dir, "portalloc.ini", "[block s]\n"
	    "ports = 26700-26702\n[block m]\nports = 26710-26749\n"));
	if (asprintf(&o->env[0], "PORTALLOC_STORE=%s", o->store) < 0 ||
	    asprintf(&o->env[1], "PORTALLOC_CONFIG=%s/portalloc.ini",
	    o->dir) < 0 || asprintf(&o->env[2], "HOME=%s", o->dir) < 0 ||
	    asprintf(&o->env[3], "D=%s", o->dir) < 0 ||
	    asprintf(&o->env[4], "PA=%s", PORTALLOC_BIN) < 0)
		return -1;
	*state = o;
	return 0;
}

static int
teardown(void **state)
{
	struct o *o = *state;
	int status;

	while (nkeepers > 0)
		if (keepers[--nkeepers] > 0) {
			kill(keepers[nkeepers], SIGKILL);
			waitpid(keepers[nkeepers], &status, 0);
		}
	th_rmtree(o->dir);
	th_strv_free(o->env);
	free(o->dir);
	free(o);
	return 0;
}

static void
need_ns(void)
{
	if (!private_ns) {
		print_message("not root, or no private network namespace: "
		    "skipped\n");
		skip();
	}
}

/* Runs `bash -c script`, the portalloc path in place of each %s. */
static void
bash(struct o *o, struct th_run *r, const char *fmt)
{
	char script[4096], *argv[4];
	const char *s;
	size_t off = 0;

	for (s = fmt; *s && off + sizeof(PORTALLOC_BIN) < sizeof(script);
	    s++) {
		if (s[0] == '%' && s[1] == 's') {
			memcpy(script + off, PORTALLOC_BIN,
			    sizeof(PORTALLOC_BIN) - 1);
			off += sizeof(PORTALLOC_BIN) - 1;
			s++;
		} else {
			script[off++] = *s;
		}
	}
	script[off] = '\0';
	argv[0] = "/bin/bash";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = NULL;
	th_run(r, o->dir, o->env, argv);
}

/* Runs portalloc with its arguments. */
static void
pa(struct o *o, struct th_run *r, ...)
{
	char *argv[TH_ARGS_MAX];
	va_list ap;

	va_start(ap, r);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	th_run(r, o->dir, o->env, argv);
}

/* On a 3-port block, the fourth `timeout 10 portalloc get` of a script
 * finds the block full: the script owns the leases, not timeout. */
static void
test_timeout_loop(void **state)
{
	struct th_run r;

	need_ns();
	bash(*state, &r, "for i in 1 2 3 4; do timeout 10 %s get -b s "
	    "2>/dev/null; echo rc=$?; done");
	assert_string_equal(r.out, "26700\nrc=0\n26701\nrc=0\n26702\nrc=0\n"
	    "rc=69\n");
	th_run_free(&r);
}

/*
 * Each launcher under a script that goes on: the first line of output is
 * the pid that must own the lease, the rest the list --json the script
 * prints while it still runs.
 */
static const struct {
	const char *name;
	const char *script;
} launchers[] = {
	{ "timeout", "echo $$; timeout 10 %s get -b m >/dev/null; "
	    "%s list --json" },
	{ "xargs", "echo $$; echo get | xargs %s >/dev/null; %s list --json" },
	{ "flock", "echo $$; flock $D/lk %s get -b m >/dev/null; "
	    "%s list --json" },
	{ "sh -c", "echo $$; sh -c '%s get -b m > $D/ports'; %s list --json" },
	{ "subshell", "echo $$; x=$(%s get -b m | tr -d x); %s list --json" },
	{ "bash -c that goes on", "bash -c 'echo $$; %s get -b m >/dev/null; "
	    "%s list --json'; true" },
	{ "os.system", "python3 -c 'import os, sys; print(os.getpid(), "
	    "flush=True); os.system(sys.argv[1] + \" get -b m >/dev/null\"); "
	    "os.system(sys.argv[1] + \" list --json\")' %s" },
	{ "subprocess shell=True", "python3 -c 'import os, sys, subprocess; "
	    "print(os.getpid(), flush=True); subprocess.run(sys.argv[1] + "
	    "\" get -b m\", shell=True, stdout=subprocess.DEVNULL); "
	    "subprocess.run([sys.argv[1], \"list\", \"--json\"])' %s" },
	{ "make", "printf 'all:\\n\\t@echo $$PPID\\n\\t@%s get -b m > "
	    "ports\\n\\t@%s list --json\\n' > $D/Makefile; make -s -C $D" },
	{ "execSync", "node -e 'const c = require(\"child_process\"); "
	    "console.log(process.pid); c.execSync(process.argv[1] + \" get "
	    "-b m\"); process.stdout.write(c.execSync(process.argv[1] + \" "
	    "list --json\"))' %s" },
};

static int
have(const char *tool)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static void
test_launchers(void **state)
{
	struct o *o = *state;
	char want[64], *nl;
	struct th_run r;
	size_t i;

	need_ns();
	for (i = 0; i < sizeof(launchers) / sizeof(launchers[0]); i++) {
		if ((strstr(launchers[i].script, "python3") && !have("python3")) ||
		    (strstr(launchers[i].script, "make") && !have("make")) ||
		    (strstr(launchers[i].script, "node") && !have("node"))) {
			print_message("%s: not installed, skipped\n",
			    launchers[i].name);
			continue;
		}
		bash(o, &r, launchers[i].script);
		if ((nl = strchr(r.out, '\n')) == NULL)
			fail_msg("%s: no output: %s", launchers[i].name, r.err);
		snprintf(want, sizeof(want), "\"owner_pid\":%.*s,",
		    (int)(nl - r.out), r.out);
		if (strstr(nl, want) == NULL || strstr(nl, "\"state\":"
		    "\"alive\"") == NULL || th_lines(nl + 1) != 1)
			fail_msg("%s: want %s alive in:\n%s\n%s",
			    launchers[i].name, want, r.out, r.err);
		th_run_free(&r);
		pa(o, &r, "release", "--all", NULL);
		th_run_free(&r);
	}
}

/* PORTALLOC_OWNER names the owner for every nested call. */
static void
test_env_owner(void **state)
{
	struct th_run r;

	need_ns();
	bash(*state, &r, "sleep 30 & k=$!; echo $k; PORTALLOC_OWNER=$k sh -c "
	    "'%s get -b m >/dev/null; true'; %s list --json; kill $k");
	assert_non_null(strchr(r.out, '\n'));
	*strchr(r.out, '\n') = '\0';
	{
		char want[64];

		snprintf(want, sizeof(want), "\"owner_pid\":%s,", r.out);
		assert_non_null(strstr(r.out + strlen(r.out) + 1, want));
	}
	th_run_free(&r);
}

/* A process started by us that waits; its pid as text. */
static pid_t
keeper(char *pid, size_t len)
{
	pid_t k = fork();
	int fd;

	if (k == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 1);
		dup2(fd, 2);
		pause();
		_exit(0);
	}
	snprintf(pid, len, "%d", (int)k);
	if (nkeepers < 8)
		keepers[nkeepers++] = k;
	return k;
}

static void
reap(pid_t k)
{
	int status, i;

	for (i = 0; i < nkeepers; i++)
		if (keepers[i] == k)
			keepers[i] = 0;
	kill(k, SIGKILL);
	waitpid(k, &status, 0);
}

/* Starts argv with our environment plus PATH; its stdout in *out. */
static pid_t
start(struct o *o, char *const argv[], FILE **out)
{
	char *env[10];
	int fds[2], i;
	pid_t pid;

	for (i = 0; o->env[i] != NULL; i++)
		env[i] = o->env[i];
	env[i++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	env[i] = NULL;
	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(fds[1]);
	*out = fdopen(fds[0], "r");
	return pid;
}

/* One gc, as sb_until polls it: did it say want?  last keeps what the
 * last one said, for the failure message. */
struct gc_poll {
	struct o *o;
	const char *want;
	char last[512];
};

static int
gc_said(void *arg)
{
	struct gc_poll *g = arg;
	struct th_run r;
	int said;

	pa(g->o, &r, "gc", NULL);
	said = strstr(r.out, g->want) != NULL;
	snprintf(g->last, sizeof(g->last), "%s%s", r.out, r.err);
	th_run_free(&r);
	return said;
}

/* Runs gc until it reclaims want leases, for at most 30 s: a clock, not
 * a count of tries, bounds it on a busy host. */
static void
gc_until(struct o *o, const char *want)
{
	struct gc_poll g = { o, want, "" };

	if (!sb_until(gc_said, &g, 30000))
		fail_msg("gc never said '%s', but: %s", want, g.last);
}

/* Runs script in a container of its own (unshare -p -f --mount-proc
 * --kill-child bash -c), its stdout in *out; a keeper, ended by teardown
 * if an assertion fails first.  Skips where unshare is missing. */
static pid_t
start_box(struct o *o, char *script, FILE **out)
{
	char *argv[] = { "/usr/bin/unshare", "-p", "-f", "--mount-proc",
	    "--kill-child", "/bin/bash", "-c", script, NULL };
	pid_t box;

	if (access(argv[0], X_OK) != 0)
		skip();
	box = start(o, argv, out);
	if (nkeepers < 8)
		keepers[nkeepers++] = box;
	return box;
}

/*
 * A container (its own PID namespace, same store and network) neither
 * reclaims the host's live lease nor hands its port out again; the host
 * does not reclaim the container's live lease; once the container is
 * gone, the host reclaims it.
 */
static void
test_container(void **state)
{
	struct o *o = *state;
	char kp[32], line[256], script[1024];
	struct th_run r;
	pid_t k, box;
	FILE *fp;

	need_ns();
	if (access("/usr/bin/unshare", X_OK) != 0)
		skip();
	k = keeper(kp, sizeof(kp));
	pa(o, &r, "get", "-b", "s", "-n", "2", "--owner", kp, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	/* the container: gc takes nothing, get gets the third port only */
	bash(o, &r, "unshare -p -f --mount-proc bash -c '%s gc; %s get -b s; "
	    "%s get -b s >/dev/null 2>&1; echo rc=$?'");
	assert_string_equal(r.out, "reclaimed 0 leases\n26702\nrc=69\n");
	th_run_free(&r);
	/* that container is gone: the host reclaims its lease, not ours */
	gc_until(o, "reclaimed 1 lease");
	/* a live container's lease stands from the host */
	snprintf(script, sizeof(script), "%s get -b s; echo ready; sleep 60",
	    PORTALLOC_BIN);
	box = start_box(o, script, &fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "26702\n");
	assert_non_null(fgets(line, sizeof(line), fp));
	pa(o, &r, "gc", NULL);
	assert_string_equal(r.out, "reclaimed 0 leases\n");
	th_run_free(&r);
	pa(o, &r, "get", "-b", "s", NULL);
	assert_int_equal(r.status, 69);
	th_run_free(&r);
	/* until the container ends */
	reap(box);
	fclose(fp);
	gc_until(o, "reclaimed 1 lease");
	pa(o, &r, "list", "--json", NULL);
	assert_int_equal(th_lines(r.out), 2);
	th_run_free(&r);
	reap(k);
	gc_until(o, "reclaimed 2 leases");
}

/* One check of block m, as sb_until polls it: all ok, with want? */
static int
check_said(void *arg)
{
	struct gc_poll *g = arg;
	struct th_run r;
	int said;

	pa(g->o, &r, "check", "-b", "m", NULL);
	said = r.status == 0 && strstr(r.out, g->want) != NULL;
	snprintf(g->last, sizeof(g->last), "exit %d: %s%s", r.status, r.out,
	    r.err);
	th_run_free(&r);
	return said;
}

/*
 * A container's job listens on its leased port (exec --listen: the
 * command owns the lease and holds the socket).  The lease records the
 * owner as the container numbers it; a check from the host finds it by
 * its namespace and its pid there, and calls the port ok, not foreign.
 */
static void
test_container_check(void **state)
{
	struct o *o = *state;
	char script[1024];
	struct gc_poll g = { o, "1 ok, 0 waiting, 0 foreign", "" };
	struct th_run r;
	pid_t box;
	FILE *fp;

	need_ns();
	snprintf(script, sizeof(script), "exec %s exec --listen 1 -b m -- "
	    "sleep 60", PORTALLOC_BIN);
	box = start_box(o, script, &fp);
	/* until the socket is the command's alone (exec closes its copy) */
	if (!sb_until(check_said, &g, 30000))
		fail_msg("check from the host never said '%s', but: %s",
		    g.want, g.last);
	pa(o, &r, "check", "-b", "m", NULL);
	assert_null(strstr(r.out, "FOREIGN"));
	th_run_free(&r);
	/* list shows the host's pid of the owner beside the one recorded */
	pa(o, &r, "list", "--json", NULL);
	assert_non_null(strstr(r.out, "\"owner_pid_here\":"));
	assert_null(strstr(r.out, "\"owner_pid_here\":null"));
	th_run_free(&r);
	reap(box);
	fclose(fp);
}

/*
 * Two owners in one container, one killed: a gc on the host reclaims the
 * dead one's lease and keeps the live one's.  Both are judged in one
 * transaction, from one look at the processes (ns_batch): the dead one
 * is missing from it, the live one found.
 */
static void
test_container_one_owner_dies(void **state)
{
	struct o *o = *state;
	char script[1024], line[256];
	struct th_run r;
	pid_t box;
	FILE *fp;

	need_ns();
	snprintf(script, sizeof(script), "sleep 60 & a=$!; sleep 60 & b=$!; "
	    "%s get -b m --owner $a >/dev/null && %s get -b m --owner $b "
	    ">/dev/null && kill -9 $a && wait $a; echo ready; wait",
	    PORTALLOC_BIN, PORTALLOC_BIN);
	box = start_box(o, script, &fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_string_equal(line, "ready\n");
	pa(o, &r, "gc", NULL);
	assert_non_null(strstr(r.out, "(owner gone)\nreclaimed 1 lease\n"));
	th_run_free(&r);
	pa(o, &r, "list", "--json", NULL);
	assert_int_equal(th_lines(r.out), 1);
	assert_non_null(strstr(r.out, "\"state\":\"alive\""));
	th_run_free(&r);
	reap(box);
	fclose(fp);
}

/*
 * From inside a container, the host's server on a port of the block is
 * not visible in /proc, but its socket is in the shared network: who
 * names it "(not visible)" and exits 0 (the port is held), and check calls
 * the port an intruder (exit 1), not an orphan no process holds.
 */
static void
test_container_sees_hidden_holder(void **state)
{
	struct o *o = *state;
	struct th_run r;
	int fd;

	need_ns();
	if (access("/usr/bin/unshare", X_OK) != 0)
		skip();
	fd = (int)th_listen_tcp(AF_INET, 26749);
	assert_true(fd >= 0);
	bash(o, &r, "unshare -p -f --mount-proc bash -c '%s who 26749; "
	    "echo who=$?; %s check -b m; echo check=$?'");
	assert_non_null(strstr(r.out, "(not visible)"));
	assert_non_null(strstr(r.out, "who=0\n"));
	assert_non_null(strstr(r.out, "26749  intruder  not leased\n"
	    "       held by a process not visible here (root)"));
	assert_non_null(strstr(r.out, "check=1\n"));
	th_run_free(&r);
	close(fd);
}

/*
 * A process's identity as the Linux backend reads it: in our namespace its
 * own pid is /proc's number (read without its status file); in a PID
 * namespace of its own, the number there (1 for its first process), from
 * NSpid.  proc_part without identity leaves it 0 and the rest the same.
 */
static void
test_identity(void **state)
{
	const struct pa_os *os = pa__os_native();
	struct pa_proc me, part, box;
	int fds[2], status;
	pid_t helper, first = 0;

	(void)state;
	need_ns();
	assert_int_equal(os->proc(os->ctx, getpid(), &me, NULL), 0);
	assert_int_equal(me.nspid, getpid());
	assert_true(me.pidns != 0);
	assert_non_null(os->proc_part);
	assert_int_equal(os->proc_part(os->ctx, getpid(), PA_PROC_CMDLINE,
	    &part, NULL), 0);
	assert_int_equal(part.start, me.start);
	assert_string_equal(part.cmdline, me.cmdline);
	assert_true(part.pidns == 0 && part.nspid == 0 && part.pidid == 0);
	assert_int_equal(pipe(fds), 0);
	if ((helper = fork()) == 0) {
		/* the helper's next child is pid 1 of a new namespace */
		if (unshare(CLONE_NEWPID) != 0 || (first = fork()) < 0)
			_exit(1);
		if (first == 0) {
			pause();
			_exit(0);
		}
		if (write(fds[1], &first, sizeof(first)) != sizeof(first))
			_exit(1);
		waitpid(first, &status, 0);
		_exit(0);
	}
	assert_int_equal(read(fds[0], &first, sizeof(first)), sizeof(first));
	assert_int_equal(os->proc(os->ctx, first, &box, NULL), 0);
	assert_int_equal(box.nspid, 1);
	assert_true(box.pidns != 0 && box.pidns != me.pidns);
	kill(first, SIGKILL);
	waitpid(helper, &status, 0);
	close(fds[0]);
	close(fds[1]);
}

/* portalloc as pid 1 of a container: no owner, a clear error. */
static void
test_pid1(void **state)
{
	struct th_run r;

	need_ns();
	bash(*state, &r, "unshare -p -f --mount-proc %s get -b s");
	assert_int_equal(r.status, 65);
	assert_non_null(strstr(r.err, "pid 1"));
	assert_string_equal(r.out, "");
	th_run_free(&r);
}

/*
 * Forced pid reuse, 20 times, in a PID namespace of our own (its
 * ns_last_pid): process A ends, B gets its pid.  Counts how often B's start
 * time (clock ticks) equals A's and how often the pidfd inode does, and
 * whether a lease of A's would be judged alive.  Written as four numbers
 * to fd.
 */
static int
reuse_trials(int fd)
{
	const struct pa_os *os = pa__os_native();
	struct pa_proc pa_, pb, me;
	struct pa__owner ow;
	int t, got = 0, tick = 0, id = 0, alive = 0, status, tries;
	pid_t a, b;
	char buf[64];
	FILE *fp;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("proc", "/proc", "proc", 0, NULL) != 0)
		return 3;
	os->proc(os->ctx, getpid(), &me, NULL);
	for (t = 0, tries = 0; t < 20 && tries < 200; tries++) {
		if ((a = fork()) == 0) {
			pause();
			_exit(0);
		}
		os->proc(os->ctx, a, &pa_, NULL);
		kill(a, SIGKILL);
		waitpid(a, &status, 0);
		if ((fp = fopen("/proc/sys/kernel/ns_last_pid", "w")) == NULL)
			return 4;
		fprintf(fp, "%d", (int)a - 1);
		fclose(fp);
		if ((b = fork()) == 0) {
			pause();
			_exit(0);
		}
		if (b == a && os->proc(os->ctx, b, &pb, NULL) == 0) {
			t++;
			got += pb.pidid != 0;
			tick += pa_.start == pb.start;
			id += pa_.pidid == pb.pidid;
			pa__owner_of_proc(os, &pa_, &ow);
			alive += pa__owner_alive(os, me.pidns, &ow, NULL);
		}
		kill(b, SIGKILL);
		waitpid(b, &status, 0);
	}
	snprintf(buf, sizeof(buf), "%d %d %d %d %d\n", t, tick, id, alive,
	    got);
	return write(fd, buf, strlen(buf)) > 0 ? 0 : 5;
}

static void
test_forced_pid_reuse(void **state)
{
	int fds[2], status, t, tick, id, alive, got;
	char buf[64] = "";
	pid_t c, g;

	(void)state;
	need_ns();
	assert_int_equal(pipe(fds), 0);
	if ((c = fork()) == 0) {
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) != 0)
			_exit(2);
		if ((g = fork()) == 0)
			_exit(reuse_trials(fds[1]));
		waitpid(g, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 6);
	}
	close(fds[1]);
	waitpid(c, &status, 0);
	if (read(fds[0], buf, sizeof(buf) - 1) <= 0)
		buf[0] = '\0';
	close(fds[0]);
	if (sscanf(buf, "%d %d %d %d %d", &t, &tick, &id, &alive, &got) != 5)
		fail_msg("trials failed: exit %d", WEXITSTATUS(status));
	print_message("forced pid reuse: %d trials, same start tick %d, same "
	    "pidfd inode %d, old owner judged alive %d (ids read %d)\n", t,
	    tick, id, alive, got);
	assert_int_equal(t, 20);
	if (got == 0) {
		print_message("no pidfd inodes here (Linux < 6.9): the start "
		    "tick alone tells\n");
		assert_int_equal(alive, tick);
		return;
	}
	assert_int_equal(id, 0);
	assert_int_equal(alive, 0);
}

/* Runs portalloc with PORTALLOC_STORE=store (in o->dir). */
static void
pa_store(struct o *o, struct th_run *r, const char *store, ...)
{
	char *argv[TH_ARGS_MAX], *env[8], senv[800];
	va_list ap;
	int i;

	va_start(ap, store);
	th_argv(argv, PORTALLOC_BIN, ap);
	va_end(ap);
	snprintf(senv, sizeof(senv), "PORTALLOC_STORE=%s", store);
	env[0] = senv;
	for (i = 1; o->env[i] != NULL; i++)
		env[i] = o->env[i];
	env[i] = NULL;
	th_run(r, o->dir, env, argv);
}

/* One store, one name: no in-memory store, URI, relative path or second
 * hard link. */
static void
test_store_names(void **state)
{
	static const char *const bad[] = { ":memory:", "file:x.db",
	    "leases.db", "./x/leases.db" };
	struct o *o = *state;
	char other[800];
	struct th_run r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pa_store(o, &r, bad[i], "get", "-b", "m", NULL);
		if (r.status != 78 || strstr(r.err, bad[i]) == NULL)
			fail_msg("%s: exit %d: %s", bad[i], r.status, r.err);
		th_run_free(&r);
	}
	pa(o, &r, "get", "-b", "m", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	snprintf(other, sizeof(other), "%s/other.db", o->dir);
	assert_int_equal(link(o->store, other), 0);
	pa_store(o, &r, other, "get", "-b", "m", NULL);
	assert_int_equal(r.status, 73);
	assert_non_null(strstr(r.err, "hard link"));
	th_run_free(&r);
	pa(o, &r, "list", NULL);
	assert_int_equal(r.status, 73);
	th_run_free(&r);
	unlink(other);
}

/* Copies file from to to (both small). */
static void
copy(const char *from, const char *to)
{
	size_t len;
	char *text = th_read(from, &len);
	FILE *fp = fopen(to, "wb");

	assert_non_null(text);
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
	free(text);
}

/*
 * A -wal deleted or emptied after leases were made: every command exits
 * 74 and nothing is made anew; with the -wal back, the leases are there.
 */
static void
test_lost_wal(void **state)
{
	struct o *o = *state;
	char wal[800], saved[800];
	struct th_run r;
	int i;

	pa(o, &r, "get", "-b", "m", "-n", "3", "--owner", "1", NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	snprintf(wal, sizeof(wal), "%s-wal", o->store);
	snprintf(saved, sizeof(saved), "%s/saved-wal", o->dir);
	copy(wal, saved);
	for (i = 0; i < 2; i++) {
		if (i == 0)
			assert_int_equal(unlink(wal), 0);
		else
			assert_int_equal(truncate(wal, 0), 0);
		pa(o, &r, "get", "-b", "m", NULL);
		assert_int_equal(r.status, 74);
		assert_non_null(strstr(r.err, "write-ahead log"));
		th_run_free(&r);
		pa(o, &r, "list", NULL);
		assert_int_equal(r.status, 74);
		th_run_free(&r);
		copy(saved, wal);
		pa(o, &r, "list", "--json", NULL);
		assert_int_equal(r.status, 0);
		assert_int_equal(th_lines(r.out), 3);
		th_run_free(&r);
	}
}

/* Runs portalloc as user (runuser: with the user's own groups), on
 * store. */
static void
pa_as(struct o *o, struct th_run *r, const char *user, const char *store,
    const char *args)
{
	char script[2048];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	char *env[8], senv[1000];
	int n;

	snprintf(senv, sizeof(senv), "PORTALLOC_STORE=%s", store);
	env[0] = senv;
	for (n = 1; o->env[n] != NULL; n++)
		env[n] = o->env[n];
	env[n] = NULL;
	snprintf(script, sizeof(script), "PATH=$PATH:/usr/sbin:/sbin; exec "
	    "runuser -u %s -- %s %s", user,
	    PORTALLOC_BIN, args);
	th_run(r, "/", env, argv);
}

/*
 * A store in a setgid directory of a group is made 0660 (and its -wal
 * and -shm), so that two users of the group, created here, share it.
 */
static void
test_group_store(void **state)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	struct o *o = *state;
	char dir[800], store[900], path[960];
	struct group *g;
	struct stat sb;
	struct th_run r;
	size_t i;

	need_ns();
	if (!have("runuser") || !have("useradd") ||
	    system("groupadd pa_own_g 2>/dev/null && "
	    "useradd -M -N -g pa_own_g pa_own_a 2>/dev/null && "
	    "useradd -M -N -g pa_own_g pa_own_b 2>/dev/null") != 0 ||
	    (g = getgrnam("pa_own_g")) == NULL) {
		print_message("cannot create users: skipped\n");
		system("userdel pa_own_a; userdel pa_own_b; groupdel pa_own_g");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/team", o->dir);
	assert_int_equal(mkdir(dir, 0770), 0);
	assert_int_equal(chown(dir, 0, g->gr_gid), 0);
	assert_int_equal(chmod(dir, 02770), 0);
	snprintf(store, sizeof(store), "%s/leases.db", dir);
	pa_as(o, &r, "pa_own_a", store, "get -b m --owner 1");
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", store, ext[i]);
		assert_int_equal(stat(path, &sb), 0);
		if ((sb.st_mode & 0777) != 0660 || sb.st_gid != g->gr_gid)
			fail_msg("%s: mode %o gid %d", path,
			    (unsigned)(sb.st_mode & 0777), (int)sb.st_gid);
	}
	pa_as(o, &r, "pa_own_b", store, "get -b m --owner 1");
	if (r.status != 0)
		fail_msg("second user: exit %d: %s", r.status, r.err);
	th_run_free(&r);
	pa_as(o, &r, "pa_own_a", store, "list --json");
	assert_int_equal(th_lines(r.out), 2);
	th_run_free(&r);
	system("userdel pa_own_a; userdel pa_own_b; groupdel pa_own_g");
}

/*
 * root's release --mine ends the leases of its own owner, not every root
 * lease of the host, and says whose; --tag alone keeps to root's own.
 */
static void
test_release_mine_root(void **state)
{
	struct o *o = *state;
	char kp[32];
	struct th_run r;
	pid_t k;

	need_ns();
	k = keeper(kp, sizeof(kp));
	pa(o, &r, "get", "-b", "m", "-n", "2", "--owner", kp, NULL);
	assert_int_equal(r.status, 0);
	th_run_free(&r);
	bash(o, &r, "%s get -b m >/dev/null; timeout 5 %s release --mine; "
	    "%s list --json | wc -l");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "released 1 lease: "));
	assert_non_null(strstr(r.out, "\n2\n"));
	assert_non_null(strstr(r.err, "released from pid "));
	th_run_free(&r);
	reap(k);
	pa(o, &r, "release", "--all", NULL);
	th_run_free(&r);
}

#define CALLERS 8
#define EACH 4

/* Reads a caller's ports up to "done"; how many, or -1 if it ended. */
static int
read_ports(FILE *fp, uint16_t *v)
{
	char line[256];
	int n = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strcmp(line, "done\n") == 0)
			return n;
		if (n < EACH)
			v[n++] = (uint16_t)atoi(line);
	}
	return -1;
}

/* One round: host and container callers on one store, two killed at a
 * random moment; the survivors' ports are all different and all live. */
static void
stress_round(struct o *o)
{
	char script[512], *host[] = { "/bin/bash", "-c", script, NULL };
	char *box[] = { "/usr/bin/unshare", "-p", "-f", "--mount-proc",
	    "--kill-child", "/bin/bash", "-c", script, NULL };
	struct timespec ts = { 0, 0 };
	uint16_t ports[CALLERS * EACH];
	pid_t pid[CALLERS];
	FILE *fp[CALLERS];
	int i, n, got = 0, dead1, dead2, status;
	struct th_run r;

	snprintf(script, sizeof(script), "for i in 1 2 3 4; do %s get -b m "
	    "|| exit 9; done; echo done; sleep 60", PORTALLOC_BIN);
	for (i = 0; i < CALLERS; i++)
		pid[i] = start(o, i % 2 ? box : host, &fp[i]);
	dead1 = rand() % CALLERS;
	dead2 = (dead1 + 1 + rand() % (CALLERS - 1)) % CALLERS;
	ts.tv_nsec = (rand() % 150) * 1000 * 1000;
	nanosleep(&ts, NULL);
	kill(pid[dead1], SIGKILL);
	kill(pid[dead2], SIGKILL);
	for (i = 0; i < CALLERS; i++) {
		if (i == dead1 || i == dead2)
			continue;
		if ((n = read_ports(fp[i], ports + got)) != EACH)
			fail_msg("caller %d: %d ports", i, n);
		got += n;
	}
	if (!th_distinct(ports, (size_t)got))
		fail_msg("a port was handed out twice among live callers");
	pa(o, &r, "list", "--json", NULL);
	for (i = 0; i < got; i++) {
		char want[64];

		snprintf(want, sizeof(want), "{\"port\":%u,", ports[i]);
		if (strstr(r.out, want) == NULL)
			fail_msg("port %u: its lease is gone", ports[i]);
	}
	th_run_free(&r);
	for (i = 0; i < CALLERS; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], &status, 0);
		fclose(fp[i]);
	}
	pa(o, &r, "release", "--all", NULL);
	th_run_free(&r);
}

static void
test_stress_host_and_containers(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	int round;

	need_ns();
	if (access("/usr/bin/unshare", X_OK) != 0)
		skip();
	srand(seed);
	print_message("seed %u\n", seed);
	for (round = 0; round < 3; round++)
		stress_round(*state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timeout_loop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_launchers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_env_owner, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_container_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_container_sees_hidden_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_container_one_owner_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pid1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_pid_reuse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_store_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lost_wal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_store, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_release_mine_root, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_stress_host_and_containers, setup, teardown),
	};

	enter_netns();
	th_unsetenv("PORTALLOC_OWNER");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
