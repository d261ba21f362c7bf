/* The real operating system on Linux: /proc, probe binds, the store's home. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/linux.h"
#include "os/os.h"
#include "os/linux/files.h"
#include "os/linux/reserve-linux.h"

#define SYSTEM_STORE_DIR "/var/lib/portalloc"

/* The initial PID namespace (PROC_PID_INIT_INO) and pidfs (Linux >= 6.9,
 * where a pidfd's inode is never reused within a boot). */
#define INIT_PIDNS 0xEFFFFFFCu
#define PIDFS_MAGIC 0x50494446

static int64_t
linux_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int64_t
linux_self_pid(void *ctx)
{
	(void)ctx;
	return getpid();
}

static int64_t
linux_parent_pid(void *ctx)
{
	(void)ctx;
	return getppid();
}

static int64_t
linux_self_uid(void *ctx)
{
	(void)ctx;
	return getuid();
}

/*
 * Reads at most len - 1 bytes of a small /proc or /sys file; -1 with errno
 * on failure.  Such a file gives all it has to one read (a seq_file, a
 * command line copied page by page): a read shorter than asked for is its
 * end, and the read that would return 0 is spared.
 */
static ssize_t
read_small(const char *path, char *buf, size_t len, struct stat *st)
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

static int
linux_proc_cmdline(void *ctx, int64_t pid, char *buf, size_t len, int *cut,
    struct pa_error *err)
{
	char path[64];
	ssize_t n;

	(void)ctx;
	snprintf(path, sizeof(path), "/proc/%lld/cmdline", (long long)pid);
	if ((n = read_small(path, buf, len, NULL)) < 0)
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
	n = read_small(path, p->cmdline, sizeof(p->cmdline), NULL);
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
	if (read_small(path, buf, sizeof(buf), NULL) <= 0 ||
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
static int
linux_proc_part(void *ctx, int64_t pid, unsigned want, struct pa_proc *p,
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
	if (read_small(path, buf, sizeof(buf), &st) < 0) {
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

static int
linux_proc(void *ctx, int64_t pid, struct pa_proc *p, struct pa_error *err)
{
	return linux_proc_part(ctx, pid, PA_PROC_CMDLINE | PA_PROC_IDENT, p,
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
	if (read_small(path, buf, sizeof(buf), NULL) <= 0 ||
	    ((s = strstr(buf, "\nState:")) != NULL &&
	    strchr("ZX", s[8] == '\t' ? s[9] : s[8]) != NULL))
		return 0;
	if (nspid_of(pid, &levels) == 0)
		return 0; /* gone since */
	return levels != 1;
}

/*
 * Finds the process that is nspid in namespace pidns among those of /proc:
 * see ns_proc in os.h.  A namespace nobody here can see is proven empty
 * only from the initial namespace, when every process could be read.
 */
static int
linux_ns_proc(void *ctx, uint64_t pidns, int64_t nspid, struct pa_proc *p,
    struct pa_error *err)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	uint64_t ns;
	int seen = 0, blind = 0;
	long long pid;
	char *end;

	if (d == NULL)
		return PA_ENOENT;
	while ((e = readdir(d)) != NULL) {
		pid = strtoll(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (pidns_of(pid, &ns) != 0) {
			blind += errno != ENOENT && errno != ESRCH &&
			    hidden_ns(pid);
			continue;
		}
		if (ns != pidns)
			continue;
		seen = 1;
		if (nspid_of(pid, NULL) != nspid)
			continue;
		closedir(d);
		return linux_proc(ctx, pid, p, err) == 0 ? 0 : PA_ESRCH;
	}
	closedir(d);
	if (seen || (blind == 0 && pidns_of(getpid(), &ns) == 0 &&
	    ns == INIT_PIDNS))
		return PA_ESRCH;
	return PA_ENOENT;
}

static const char *
linux_boot_id(void *ctx)
{
	static char id[48];
	size_t len;

	(void)ctx;
	if (id[0] == '\0') {
		if (read_small("/proc/sys/kernel/random/boot_id", id,
		    sizeof(id), NULL) <= 0)
			strcpy(id, "unknown");
		len = strcspn(id, "\n");
		id[len] = '\0';
	}
	return id;
}

/*
 * A new socket of type bound to a:port into *fd: 0, PA_EINUSE when the
 * port is taken, 1 when this address family is not available here, or
 * another error.
 */
static int
bind_new(const struct pa_addr *a, uint16_t port, int type, int *fd,
    struct pa_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = (socklen_t)pa__addr_sockaddr(a, port, &ss);
	int on = 1, rc = 0, e;

	*fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		if (errno == EAFNOSUPPORT)
			return 1;
		return pa__err(err, PA_EOS, "socket: %s", strerror(errno));
	}
	/* The v6 socket must not also claim the v4 port: that has its own. */
	if (a->family == 6)
		setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(*fd, (struct sockaddr *)&ss, sslen) == 0)
		return 0;
	e = errno;
	if (e == EADDRINUSE || e == EACCES)
		rc = PA_EINUSE;
	else if (e == EADDRNOTAVAIL && a->wildcard)
		rc = 1;
	else
		rc = pa__err(err, PA_EOS, "bind to port %u: %s", port,
		    strerror(e));
	close(*fd);
	*fd = -1;
	return rc;
}

/* 0 bound, PA_EINUSE taken, 1 this address family is not available here. */
static int
probe_one(const struct pa_addr *a, uint16_t port, int type,
    struct pa_error *err)
{
	int fd, rc = bind_new(a, port, type, &fd, err);

	if (rc == 0)
		close(fd);
	return rc;
}

/* A wildcard or loopback address: one that is always there to bind. */
static int
always_there(const struct pa_addr *a)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };

	if (a->wildcard)
		return 1;
	if (a->family == 4)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, v6_loopback, sizeof(v6_loopback)) == 0;
}

/*
 * A socket bound to [::] with IPV6_V6ONLY off claims the port on every
 * IPv4 and IPv6 address at once, so its bind fails when any socket of
 * that type holds the port on any address (checked for TCP and UDP, with
 * and without SO_REUSEADDR, v4 and v6, wildcard and specific).  One bind
 * then answers for all the addresses of a probe.  0 free, PA_EINUSE
 * taken, 1 when it cannot be made here (no IPv6): probe one by one.
 */
static int
probe_dual(uint16_t port, int type)
{
	struct sockaddr_in6 sin6;
	int fd, off = 0, rc = 0;

	if ((fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0)
		rc = 1;
	else if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0)
		rc = errno == EADDRINUSE || errno == EACCES ? PA_EINUSE : 1;
	close(fd);
	return rc;
}

static int
linux_probe(void *ctx, const struct pa_addr *addrs, int n, uint16_t port,
    unsigned protos, struct pa_error *err)
{
	static const struct { unsigned proto; int type; } kinds[] = {
		{ PA_TCP, SOCK_STREAM }, { PA_UDP, SOCK_DGRAM },
	};
	size_t k;
	int i, rc, merge = 1;

	(void)ctx;
	for (i = 0; i < n; i++)
		merge = merge && always_there(&addrs[i]);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if (!(protos & kinds[k].proto))
			continue;
		if (merge && (rc = probe_dual(port, kinds[k].type)) != 1) {
			if (rc < 0)
				return rc;
			continue;
		}
		for (i = 0; i < n; i++) {
			rc = probe_one(&addrs[i], port, kinds[k].type, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int
linux_bind_port(void *ctx, unsigned proto, const struct pa_addr *addr,
    uint16_t port, pa_socket_t *sock, struct pa_error *err)
{
	int rc;

	(void)ctx;
	rc = bind_new(addr, port, proto == PA_UDP ? SOCK_DGRAM : SOCK_STREAM,
	    sock, err);
	if (rc == 1)
		return pa__err(err, PA_EOS, "cannot bind port %u: IPv%d is not "
		    "available here", port, addr->family);
	return rc;
}

static void
linux_sock_close(void *ctx, pa_socket_t sock)
{
	(void)ctx;
	close(sock);
}

static int
linux_ephemeral_range(void *ctx, uint16_t *first, uint16_t *last)
{
	char buf[64];
	unsigned a, b;

	(void)ctx;
	if (read_small("/proc/sys/net/ipv4/ip_local_port_range", buf,
	    sizeof(buf), NULL) <= 0)
		return PA_EOS;
	if (sscanf(buf, "%u %u", &a, &b) != 2 || a == 0 || b > 65535 || a > b)
		return PA_EOS;
	*first = (uint16_t)a;
	*last = (uint16_t)b;
	return 0;
}

static int
linux_default_store(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	(void)ctx;
	if (getuid() == 0)
		n = snprintf(buf, len, "%s/leases.db", SYSTEM_STORE_DIR);
	else if (state != NULL && state[0] == '/')
		n = snprintf(buf, len, "%s/portalloc/leases.db", state);
	else if (home != NULL && home[0] == '/')
		n = snprintf(buf, len, "%s/.local/state/portalloc/leases.db",
		    home);
	else
		return pa__err(err, PA_ESTORE, "no place for the lease store: "
		    "neither XDG_STATE_HOME nor HOME is set; set "
		    "PORTALLOC_STORE");
	if (n < 0 || (size_t)n >= len)
		return pa__err(err, PA_ESTORE, "store path too long");
	return 0;
}

/* mkdir -p of the directory part of path. */
static int
make_parents(const char *path, mode_t mode, struct pa_error *err)
{
	char dir[PA_PATH_MAX], *s;

	if (pa__strlcpy(dir, path, sizeof(dir)))
		return pa__err(err, PA_ESTORE, "store path too long");
	if ((s = strrchr(dir, '/')) == NULL || s == dir)
		return 0;
	*s = '\0';
	for (s = dir + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(dir, mode) != 0 && errno != EEXIST)
			return pa__err(err, PA_ESTORE, "cannot create store "
			    "directory %s: %s", dir, strerror(errno));
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/*
 * The store's directory must be a real directory that nobody else can
 * plant files in: not a symbolic link, and, when anybody may write to it,
 * sticky and owned by root or the caller (like /tmp).
 */
static int
check_store_dir(const char *path, struct pa_error *err)
{
	char dir[PA_PATH_MAX], *s;
	struct stat sb;

	if (pa__strlcpy(dir, path, sizeof(dir)))
		return pa__err(err, PA_ESTORE, "store path too long");
	if ((s = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else
		s[s == dir] = '\0';
	if (lstat(dir, &sb) != 0)
		return pa__err(err, PA_ESTORE, "store directory %s: %s", dir,
		    strerror(errno));
	if (S_ISLNK(sb.st_mode))
		return pa__err(err, PA_EPERM, "store directory %s is a "
		    "symbolic link: refusing to follow it; use the real path",
		    dir);
	if (!S_ISDIR(sb.st_mode))
		return pa__err(err, PA_ESTORE, "%s is not a directory", dir);
	if ((sb.st_mode & S_IWOTH) && (!(sb.st_mode & S_ISVTX) ||
	    (sb.st_uid != 0 && sb.st_uid != getuid())))
		return pa__err(err, PA_EPERM, "store directory %s is writable "
		    "by every user%s: anybody could replace the store; use "
		    "a directory only you (or root) can write to", dir,
		    sb.st_mode & S_ISVTX ? " and owned by another user" :
		    " without the sticky bit");
	return 0;
}

/* An existing store must be a regular file, never a symbolic link. */
static int
check_store_file(const char *path, struct pa_error *err)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return 0;
	if (S_ISLNK(sb.st_mode))
		return pa__err(err, PA_EPERM, "store %s is a symbolic link: "
		    "refusing to follow it; use the real path", path);
	if (!S_ISREG(sb.st_mode))
		return pa__err(err, PA_ESTORE, "store %s is not a regular "
		    "file", path);
	/* two names, two -wal files: two stores over one file */
	if (sb.st_nlink > 1)
		return pa__hint(err, pa__err(err, PA_ESTORE, "store %s has %ju "
		    "names (hard links): callers using another name would "
		    "not see its leases; remove the other links", path,
		    (uintmax_t)sb.st_nlink), PA_HINT_STORE, NULL);
	return 0;
}

/* Is the directory of path setgid (a group shares it)? */
static int
group_dir(const char *path)
{
	char dir[PA_PATH_MAX], *s;
	struct stat sb;

	if (pa__strlcpy(dir, path, sizeof(dir)) || (s = strrchr(dir, '/')) ==
	    NULL)
		return 0;
	s[s == dir] = '\0';
	return stat(dir, &sb) == 0 && (sb.st_mode & S_ISGID);
}

/*
 * A new store is 0600 (root's 0644), or 0660 in a setgid directory, so
 * that the group's users share it (SQLite gives its -wal and -shm the
 * store's mode); the mode is set past the umask.
 */
static int
linux_prepare_store(void *ctx, const char *path, struct pa_error *err)
{
	int root = getuid() == 0, fd, rc;
	mode_t mode = group_dir(path) ? 0660 : root ? 0644 : 0600;

	(void)ctx;
	if ((rc = make_parents(path, root ? 0755 : 0700, err)) != 0)
		return rc;
	if ((rc = check_store_dir(path, err)) != 0 ||
	    (rc = check_store_file(path, err)) != 0)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd >= 0) {
		if (fchmod(fd, mode) != 0)
			rc = pa__err(err, PA_ESTORE, "cannot set the mode of "
			    "store %s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (errno == EEXIST)
		return 0; /* an existing file is never touched here */
	return pa__err(err, PA_ESTORE, "cannot create store %s: %s", path,
	    strerror(errno));
}

static void
linux_user_name(void *ctx, int64_t uid, char *buf, size_t len)
{
	static int64_t last_uid = -1;
	static char last[32];
	struct passwd pw, *res = NULL;
	char tmp[1024];

	(void)ctx;
	buf[0] = '\0';
	if (uid < 0)
		return;
	if (uid != last_uid) {
		last[0] = '\0';
		if (getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 &&
		    res != NULL)
			pa__strlcpy(last, pw.pw_name, sizeof(last));
		else
			snprintf(last, sizeof(last), "%lld", (long long)uid);
		last_uid = uid;
	}
	pa__strlcpy(buf, last, len);
}

int
pa__path_absolute(const char *path)
{
	return path[0] == '/';
}

static const struct pa_os linux_os = {
	NULL,
	linux_now,
	linux_self_pid,
	linux_parent_pid,
	linux_self_uid,
	linux_proc,
	linux_boot_id,
	linux_probe,
	linux_ephemeral_range,
	linux_default_store,
	linux_prepare_store,
	pa__linux_sockets,
	linux_user_name,
	/* OS port reservations: a list (reserve-linux.c), no ranges */
	&pa__linux_resv_list,
	NULL,
	/* held ports for exec --listen: listen.c */
	pa__linux_listen,
	pa__linux_unlisten,
	linux_bind_port,
	linux_sock_close,
	/* configuration files: files.c */
	pa__linux_file_read,
	/* the pinned BPF iterator: accel.c */
	pa__linux_accel_on,
	pa__linux_accel_off,
	pa__linux_accel_status,
	/* PID namespaces */
	linux_ns_proc,
	/* the store's lock: lock.c */
	pa__linux_store_lock,
	pa__linux_store_unlock,
	/* a whole command line, for long `sh -c` scripts */
	linux_proc_cmdline,
	/* a process without the parts nobody asked for */
	linux_proc_part,
};

const struct pa_os *
pa__os_native(void)
{
	return &linux_os;
}
