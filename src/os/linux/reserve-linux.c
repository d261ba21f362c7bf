/*
 * OS port reservations on Linux: net.ipv4.ip_local_reserved_ports of this
 * process's network namespace, and the sysctl.d drop-in that sets it again
 * at boot ($PORTALLOC_SYSCTL_DROPIN, else /etc/sysctl.d/60-portalloc.conf).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "os/linux/reserve-linux.h"

#define RESERVED_PATH "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define NETNS_PATH "/proc/self/ns/net"
#define DROPIN_DEFAULT "/etc/sysctl.d/60-portalloc.conf"
#define DROPIN_ENV "PORTALLOC_SYSCTL_DROPIN"
/* The longest list the kernel writes (every other port) is ~200 KB. */
#define LIST_MAX (512 * 1024)

/* Translates a failed system call on path: PA_EPERM where the caller lacks
 * the right (EACCES, EPERM, or a read-only /proc/sys in a container). */
static int
sys_err(struct pa_error *err, int e, const char *what, const char *path)
{
	int code = e == EACCES || e == EPERM || e == EROFS ? PA_EPERM :
	    PA_EOS;

	return pa__err(err, code, "cannot %s %s: %s", what, path,
	    strerror(e));
}

static int
linux_netns_id(void *ctx, char *buf, size_t len, struct pa_error *err)
{
	ssize_t n;

	(void)ctx;
	n = readlink(NETNS_PATH, buf, len - 1);
	if (n < 0)
		return sys_err(err, errno, "read", NETNS_PATH);
	buf[n] = '\0';
	return 0;
}

/*
 * Reads a whole file into a malloc'd string.  The kernel renders a sysctl
 * list in one read() and answers a second read at an offset with nothing,
 * so the buffer must hold it all at once.
 */
static int
read_all(const char *path, char **text, struct pa_error *err)
{
	size_t got = 0;
	ssize_t n;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return pa__err(err, PA_ENOENT, "%s: no such file",
			    path);
		return sys_err(err, errno, "read", path);
	}
	if ((buf = malloc(LIST_MAX)) == NULL) {
		close(fd);
		return pa__err(err, PA_ENOMEM, "out of memory");
	}
	while (got < LIST_MAX - 1) {
		n = read(fd, buf + got, LIST_MAX - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			n = errno;
			close(fd);
			free(buf);
			return sys_err(err, (int)n, "read", path);
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (got == LIST_MAX - 1) {
		free(buf);
		return pa__err(err, PA_EOS, "%s: longer than %d bytes", path,
		    LIST_MAX - 1);
	}
	*text = buf;
	return 0;
}

static int
linux_reserved_read(void *ctx, char **text, struct pa_error *err)
{
	int rc;

	(void)ctx;
	if ((rc = read_all(RESERVED_PATH, text, err)) == PA_ENOENT)
		return pa__err(err, PA_EOS, "%s: missing (not Linux, or no "
		    "IPv4 here): cannot reserve ports", RESERVED_PATH);
	if (rc == 0)
		(*text)[strcspn(*text, "\n")] = '\0';
	return rc;
}

/* Writes all of buf[0..len) to fd; errno is set on failure. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The kernel replaces the list with what the first write() at offset 0
 * says, takes at most a page per write() and adds later writes of one
 * open file to it: so one open, then write until all is taken.
 */
static int
linux_reserved_write(void *ctx, const char *text, struct pa_error *err)
{
	size_t len = strlen(text);
	char *line;
	int fd, e = 0;

	(void)ctx;
	if ((line = malloc(len + 2)) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	memcpy(line, text, len);
	line[len] = '\n';   /* an empty list too is one line */
	line[len + 1] = '\0';
	if ((fd = open(RESERVED_PATH, O_WRONLY | O_CLOEXEC)) < 0)
		e = errno;
	else if (write_all(fd, line, len + 1) != 0)
		e = errno;
	if (fd >= 0 && close(fd) != 0 && e == 0)
		e = errno;
	free(line);
	return e == 0 ? 0 : sys_err(err, e, "write", RESERVED_PATH);
}

/*
 * The lock is flock(2) on the sysctl file itself: the file is one inode per
 * network namespace, so the lock covers exactly the processes that share
 * the setting, needs no file of its own, and any user may take it.
 */
static int
linux_reserved_lock(void *ctx, int *handle, struct pa_error *err)
{
	int fd, rc;

	(void)ctx;
	if ((fd = open(RESERVED_PATH, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_err(err, errno, "open", RESERVED_PATH);
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		rc = sys_err(err, errno, "lock", RESERVED_PATH);
		close(fd);
		return rc;
	}
	*handle = fd;
	return 0;
}

static void
linux_reserved_unlock(void *ctx, int handle)
{
	(void)ctx;
	close(handle);
}

static const char *
linux_dropin_path(void *ctx)
{
	const char *env = getenv(DROPIN_ENV);

	(void)ctx;
	return env != NULL && *env != '\0' ? env : DROPIN_DEFAULT;
}

/* Why root may not write in dir, the directory of a path from the
 * environment: someone else owns it or may write it (a sticky one above
 * is fine); NULL when root alone can.  Missing directories are skipped
 * (root creates them). */
static const char *
dir_unsafe(char *dir)
{
	struct stat st;
	char *s;
	int first = 1;

	for (;;) {
		if (lstat(dir, &st) != 0) {
			if (errno != ENOENT)
				return "cannot be examined";
		} else {
			if (!S_ISDIR(st.st_mode) || st.st_uid != 0)
				return "is not root's";
			if ((st.st_mode & 022) &&
			    (first || !(st.st_mode & S_ISVTX)))
				return "may be written by others";
			first = 0;
		}
		if ((s = strrchr(dir, '/')) == NULL || s[1] == '\0')
			return NULL;
		s[s == dir] = '\0';
	}
}

/*
 * $PORTALLOC_SYSCTL_DROPIN is honoured for root only where the path is
 * safe: every directory above it root's and no one else's to write (a
 * sticky root-owned one above its own directory is fine), and the file,
 * if there is one, a regular root-owned file no one else can write.
 * Otherwise PA_ECONFIG: root never writes a boot-time file where another
 * user could have put something.  Others: the OS's permissions decide.
 */
static int
dropin_env_check(const char *path, struct pa_error *err)
{
	char dir[PA_PATH_MAX];
	const char *why = NULL;
	struct stat st;

	if (geteuid() != 0 || strcmp(path, DROPIN_DEFAULT) == 0)
		return 0;
	if (path[0] != '/')
		why = "it is not an absolute path";
	else if (lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & 022)))
		why = "the file is not a regular one that root alone can write";
	else if (pa__strlcpy(dir, path, sizeof(dir)))
		why = "it is too long";
	if (why == NULL) {
		*strrchr(dir, '/') = '\0';
		if (dir[0] == '\0')
			pa__strlcpy(dir, "/", sizeof(dir));
		if ((why = dir_unsafe(dir)) != NULL)
			return pa__err(err, PA_ECONFIG, "$%s=%s is not used as "
			    "root: the directory %s %s", DROPIN_ENV, path, dir,
			    why);
		return 0;
	}
	return pa__err(err, PA_ECONFIG, "$%s=%s is not used as root: %s",
	    DROPIN_ENV, path, why);
}

static int
linux_dropin_read(void *ctx, char **text, struct pa_error *err)
{
	const char *path = linux_dropin_path(ctx);
	int rc;

	if ((rc = dropin_env_check(path, err)) != 0)
		return rc;
	return read_all(path, text, err);
}

/* The directory part of path ("." when none) into buf. */
static void
dir_of(const char *path, char *buf, size_t len)
{
	char *s;

	pa__strlcpy(buf, path, len);
	if ((s = strrchr(buf, '/')) == NULL)
		pa__strlcpy(buf, ".", len);
	else if (s == buf)
		s[1] = '\0';
	else
		*s = '\0';
}

/* Makes the file's directory (one level, like /etc/sysctl.d) if missing. */
static int
ensure_dir(const char *dir, struct pa_error *err)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return sys_err(err, errno, "create directory", dir);
	return 0;
}

/* Flushes a directory after a rename or unlink in it (best effort: the
 * change itself has been made). */
static void
sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Writes text to a new file next to path and renames it over path: a
 * reader (or a boot) sees the old file or the new one, never a part. */
static int
replace_file(const char *path, const char *text, struct pa_error *err)
{
	char tmp[PA_PATH_MAX + 16], dir[PA_PATH_MAX];
	int fd, rc, e = 0;

	dir_of(path, dir, sizeof(dir));
	if ((rc = ensure_dir(dir, err)) != 0)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return pa__err(err, PA_EOS, "%s: path too long", path);
	if ((fd = mkstemp(tmp)) < 0)
		return sys_err(err, errno, "create a file next to", path);
	if (fchmod(fd, 0644) != 0 || write_all(fd, text, strlen(text)) != 0 ||
	    fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0) {
		unlink(tmp);
		return sys_err(err, e, "write", path);
	}
	sync_dir(dir);
	return 0;
}

static int
linux_dropin_write(void *ctx, const char *text, struct pa_error *err)
{
	const char *path = linux_dropin_path(ctx);
	char dir[PA_PATH_MAX];
	int rc;

	if ((rc = dropin_env_check(path, err)) != 0)
		return rc;
	if (text != NULL)
		return replace_file(path, text, err);
	if (unlink(path) != 0 && errno != ENOENT)
		return sys_err(err, errno, "remove", path);
	dir_of(path, dir, sizeof(dir));
	sync_dir(dir);
	return 0;
}

const struct pa__resv_list_ops pa__linux_resv_list = {
	linux_netns_id,
	linux_reserved_read,
	linux_reserved_write,
	linux_reserved_lock,
	linux_reserved_unlock,
	linux_dropin_path,
	linux_dropin_read,
	linux_dropin_write,
};
