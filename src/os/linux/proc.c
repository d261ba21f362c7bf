/*
 * Processes on Linux, from /proc: the proc, proc_part, proc_cmdline and
 * ns_proc operations of struct pa_os (os-linux.c lists them), which the
 * thread of sockets.c uses too, and the small-file read they share.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/os.h"

/* pidfs (Linux >= 6.9, where a pidfd's inode is never reused within a
 * boot). */
#define PIDFS_MAGIC 0x50494446

/*
 * Reads at most len - 1 bytes of a small /proc or /sys file; -1 with errno
 * on failure.  Such a file gives all it has to one read (a seq_file, a
 * command line copied page by page): a read shorter than asked for is its
 * end, and the read that would return 0 is spared.
 */
ssize_t
pa__linux_read_small(const char *path, char *buf, size_t len,
    struct stat *st)
{
	ssize_t n, got = 0;
	size_t want;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (st != NULL && fstat(fd, st) != 0) {
		close(fd);
		return -1;
	}
	while ((size_t)got < len - 1) {
		want = len - 1 - (size_t)got;
		n = read(fd, buf + got, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/*
 * /proc/PID/stat: "pid (comm) state ppid ... starttime ...".  comm may hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
static int
parse_stat(char *buf, struct pa_proc *p, char *state)
{
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *s, *end;
	unsigned long long v;
	size_t len;
	int field;

	if (open == NULL || close == NULL || close < open || close[1] != ' ')
		return -1;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(p->name))
		len = sizeof(p->name) - 1;
	memcpy(p->name, open + 1, len);
	p->name[len] = '\0';
	*state = close[2];
	s = close + 2;
	/* fields from 3 (state); ppid is 4, starttime 22 */
	for (field = 3; field <= 22; field++) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return -1;
		if (field == 4 || field == 22) {
			errno = 0;
			v = strtoull(s, &end, 10);
			if (errno != 0 || end == s)
				return -1;
			if (field == 4)
				p->ppid = (int64_t)v;
			else
				p->start = (uint64_t)v;
		}
		s += strcspn(s, " ");
	}
	return 0;
}

/* The arguments in buf[0..n) joined by spaces, NUL-terminated. */
static void
join_args(char *buf, ssize_t n)
{
	ssize_t i;

	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
}

int
pa__linux_proc_cmdline(void *ctx, int64_t pid, char *buf, size_t len,
    int *cut, struct pa_error *err)
{
	char path[64];
	ssize_t n;

	(void)ctx;
	snprintf(path, sizeof(path), "/proc/%lld/cmdline", (long long)pid);
	if ((n = pa__linux_read_small(path, buf, len, NULL)) < 0)
		return pa__err(err, errno == ENOENT ? PA_ESRCH : PA_EOS,
		    "cannot read %s: %s", path, strerror(errno));
	*cut = (size_t)n >= len - 1;
	join_args(buf, n);
	return 0;
}

static void
read_cmdline(int64_t pid, struct pa_proc *p)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%lld/cmdline", (long long)pid);
	n = pa__linux_read_small(path, p->cmdline, sizeof(p->cmdline), NULL);
	if (n <= 0) {
		snprintf(p->cmdline, sizeof(p->cmdline), "[%s]", p->name);
		return;
	}
	join_args(p->cmdline, n);
}

/* The inode of pid's PID namespace into *ns; -1 with errno if unreadable. */
static int
pidns_of(int64_t pid, uint64_t *ns)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%lld/ns/pid", (long long)pid);
	if (stat(path, &sb) != 0)
		return -1;
	*ns = (uint64_t)sb.st_ino;
	return 0;
}

/* pid's pid in its own namespace: the last NSpid of its status; 0 if
 * unknown.  *levels (if not NULL) gets how many namespaces see it from
 * ours down (1: it is in ours). */
static int64_t
nspid_of(int64_t pid, int *levels)
{
	char path[64], buf[2048], *s, *end;
	long long v = 0;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%lld/status", (long long)pid);
	if (pa__linux_read_small(path, buf, sizeof(buf), NULL) <= 0 ||
	    (s = strstr(buf, "\nNSpid:")) == NULL)
		return 0;
	for (s += 7; *s == ' ' || *s == '\t' || (*s >= '0' && *s <= '9');
	    s = end) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			break;
		v = strtoll(s, &end, 10);
		n++;
	}
	if (levels != NULL)
		*levels = n;
	return v;
}

/*
 * An id of the process no other process of this boot gets: the inode of
 * a pidfd on pidfs (Linux >= 6.9); 0 where pidfds share one inode.
 */
static uint64_t
pidid_of(int64_t pid)
{
#ifdef SYS_pidfd_open
	static int pidfs = -1;
	struct statfs sf;
	struct stat sb;
	uint64_t id = 0;
	int fd;

	if (pidfs == 0 || (fd = (int)syscall(SYS_pidfd_open, (pid_t)pid,
	    0)) < 0)
		return 0;
	if (pidfs < 0)
		pidfs = fstatfs(fd, &sf) == 0 && sf.f_type == PIDFS_MAGIC;
	if (pidfs == 1 && fstat(fd, &sb) == 0)
		id = (uint64_t)sb.st_ino;
	close(fd);
	return id;
#else
	(void)pid;
	return 0;
#endif
}

/*
 * Is ns the PID namespace of ours, and /proc numbered in it?  Then a
 * process of ns has /proc's number for its own pid, and its status file
 * (NSpid) need not be read.  Asked of the kernel once.
 */
static int
ours_and_procs(uint64_t ns)
{
	static int known = -1;
	static uint64_t self;
	char buf[32];
	ssize_t n;

	if (known < 0) {
		known = 0;
		n = readlink("/proc/self", buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = '\0';
			known = strtoll(buf, NULL, 10) == (long long)getpid() &&
			    pidns_of(getpid(), &self) == 0;
		}
	}
	return known == 1 && ns == self;
}

/* The identity across namespaces and pid reuse (see struct pa_proc):
 * all of it, or (PA_PROC_PIDNS alone) the namespace. */
static void
read_identity(int64_t pid, unsigned want, struct pa_proc *p)
{
	if ((want & PA_PROC_IDENT) == PA_PROC_PIDNS) {
		if (pidns_of(pid, &p->pidns) != 0)
			p->pidns = 0;
		return;
	}
	if (pidns_of(pid, &p->pidns) != 0)
		p->pidns = 0;
	else if (ours_and_procs(p->pidns))
		p->nspid = pid;
	else if ((p->nspid = nspid_of(pid, NULL)) == 0)
		p->pidns = 0;
	p->pidid = pidid_of(pid);
}

/* /proc/PID/stat (ppid, start, name; uid from the file's owner), then
 * the parts asked for: a stat, the command line, the status file and a
 * pidfd for the whole of it. */
int
pa__linux_proc_part(void *ctx, int64_t pid, unsigned want, struct pa_proc *p,
    struct pa_error *err)
{
	char path[64], buf[1024], state = '?';
	struct stat st;

	(void)ctx;
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = -1;
	if (pid <= 0 || pid > INT32_MAX)
		return PA_ESRCH;
	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	if (pa__linux_read_small(path, buf, sizeof(buf), &st) < 0) {
		/* Gone, or hidden from us (hidepid): kill(0) tells which. */
		if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
			return PA_ESRCH;
		return 0;
	}
	if (parse_stat(buf, p, &state) != 0)
		return pa__err(err, PA_EOS, "%s: unexpected format", path);
	if (state == 'Z' || state == 'X')
		return PA_ESRCH;
	p->uid = st.st_uid;
	if (want & PA_PROC_CMDLINE)
		read_cmdline(pid, p);
	if (want & PA_PROC_IDENT)
		read_identity(pid, want, p);
	return 0;
}

int
pa__linux_proc(void *ctx, int64_t pid, struct pa_proc *p,
    struct pa_error *err)
{
	return pa__linux_proc_part(ctx, pid, PA_PROC_CMDLINE | PA_PROC_IDENT, p,
	    err);
}

/*
 * Could the process whose namespace link we may not read (even root may
 * not stat an init's) be in another namespace?  Not when it is gone or a
 * zombie, nor when only our namespace numbers it (one NSpid).
 */
static int
hidden_ns(int64_t pid)
{
	char path[64], buf[2048], *s;
	int levels;

	snprintf(path, sizeof(path), "/proc/%lld/status", (long long)pid);
	if (pa__linux_read_small(path, buf, sizeof(buf), NULL) <= 0 ||
	    ((s = strstr(buf, "\nState:")) != NULL &&
	    strchr("ZX", s[8] == '\t' ? s[9] : s[8]) != NULL))
		return 0;
	if (nspid_of(pid, &levels) == 0)
		return 0; /* gone since */
	return levels != 1;
}

/*
 * ns_batch (os.h): while a batch is on, the first ns_proc reads every
 * process's PID namespace once, and the others look there.  Per thread,
 * so that threads with handles of their own do not share a look.
 */
struct ns_ent {
	uint64_t ns;
	int64_t pid;
};

static _Thread_local struct {
	unsigned depth;             /* ns_batch(1) not yet matched by (0) */
	int built;
	struct ns_ent *v;
	size_t n, cap;
	unsigned blind;
} batch;

void
pa__linux_ns_batch(void *ctx, int on)
{
	(void)ctx;
	if (on) {
		batch.depth++;
		return;
	}
	if (batch.depth > 0 && --batch.depth == 0) {
		free(batch.v);
		memset(&batch, 0, sizeof(batch));
	}
}

/* The look: each process's namespace, and how many could hide in
 * another; -1 if /proc cannot be listed or memory runs out. */
static int
batch_build(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	uint64_t ns;
	long long pid;
	char *end;

	if (d == NULL)
		return -1;
	batch.n = 0;
	batch.blind = 0;
	while ((e = readdir(d)) != NULL) {
		pid = strtoll(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (pidns_of(pid, &ns) != 0) {
			batch.blind += errno != ENOENT && errno != ESRCH &&
			    hidden_ns(pid);
			continue;
		}
		if (pa__grow(&batch.v, &batch.cap, batch.n,
		    sizeof(*batch.v)) != 0) {
			closedir(d);
			return -1;
		}
		batch.v[batch.n].ns = ns;
		batch.v[batch.n++].pid = pid;
	}
	closedir(d);
	batch.built = 1;
	return 0;
}

/* ns_proc from the batch's look, taken now if it was not yet (PA_ENOENT,
 * cannot tell, if it cannot be).  A process of it may have ended since
 * (its status is gone: not a match); one started since cannot own a
 * lease read in the batch. */
static int
batch_ns_proc(void *ctx, uint64_t pidns, int64_t nspid, struct pa_proc *p,
    struct pa_error *err)
{
	uint64_t ns;
	size_t i;
	int seen = 0;

	if (!batch.built && batch_build() != 0)
		return PA_ENOENT;
	for (i = 0; i < batch.n; i++) {
		if (batch.v[i].ns != pidns)
			continue;
		seen = 1;
		if (nspid_of(batch.v[i].pid, NULL) != nspid)
			continue;
		return pa__linux_proc(ctx, batch.v[i].pid, p, err) == 0 ? 0 :
		    PA_ESRCH;
	}
	/* gone where processes of the namespace were seen, or where this
	 * is the initial namespace and every process could be read */
	if (seen || (batch.blind == 0 && pidns_of(getpid(), &ns) == 0 &&
	    ns == PA__LINUX_INIT_PIDNS))
		return PA_ESRCH;
	return PA_ENOENT;
}

/*
 * Finds the process that is nspid in namespace pidns among those of /proc:
 * see ns_proc in os.h.  A namespace nobody here can see is proven empty
 * only from the initial namespace, when every process could be read.
 * Outside a batch, the call is a batch of its own.
 */
int
pa__linux_ns_proc(void *ctx, uint64_t pidns, int64_t nspid, struct pa_proc *p,
    struct pa_error *err)
{
	int rc;

	pa__linux_ns_batch(ctx, 1);     /* nested in the caller's, if any */
	rc = batch_ns_proc(ctx, pidns, nspid, p, err);
	pa__linux_ns_batch(ctx, 0);
	return rc;
}
