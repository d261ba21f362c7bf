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

static const char *
linux_boot_id(void *ctx)
{
	static char id[48];
	size_t len;

	(void)ctx;
	if (id[0] == '\0') {
		if (pa__linux_read_small("/proc/sys/kernel/random/boot_id", id,
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
	if (pa__linux_read_small("/proc/sys/net/ipv4/ip_local_port_range", buf,
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
			return pa__hint(err, pa__err(err, PA_ESTORE, "cannot "
			    "create %s, the directory of store %s: %s", dir,
			    path, strerror(errno)), PA_HINT_STORE, NULL);
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
	return pa__hint(err, pa__err(err, PA_ESTORE, "cannot create store %s: "
	    "%s", path, strerror(errno)), PA_HINT_STORE, NULL);
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
	pa__linux_proc,
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
	pa__linux_ns_proc,
	/* the store's lock: lock.c */
	pa__linux_store_lock,
	pa__linux_store_unlock,
	/* a whole command line, for long `sh -c` scripts */
	pa__linux_proc_cmdline,
	/* a process without the parts nobody asked for */
	pa__linux_proc_part,
	/* the sockets op in a thread: sockets.c */
	pa__linux_sockets_start,
	pa__linux_sockets_wait,
	/* ns_proc from one look at /proc per transaction: proc.c */
	pa__linux_ns_batch,
};

const struct pa_os *
pa__os_native(void)
{
	return &linux_os;
}
