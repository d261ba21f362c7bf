/* Test helpers that need a POSIX system: temporary directories, running
 * the CLI, sockets, the environment. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

char *
th_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (asprintf(&path, "%s/portalloc-test.XXXXXX", base) < 0)
		abort();
	if (mkdtemp(path) == NULL)
		abort();
	return path;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		chmod(path, 0700);
	return remove(path);
}

void
th_rmtree(const char *path)
{
	chmod(path, 0700);
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void
th_run(struct th_run *r, const char *cwd, char *const env[],
    char *const argv[])
{
	th_run_as(r, -1, cwd, env, argv);
}

void
th_run_as(struct th_run *r, long uid, const char *cwd, char *const env[],
    char *const argv[])
{
	char *dir = th_tmpdir(), out[512], err[512], **full;
	int status, fd, i, n;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(err, sizeof(err), "%s/err", dir);
	for (n = 0; env && env[n]; n++)
		;
	full = calloc((size_t)n + 2, sizeof(*full));
	for (i = 0; i < n; i++)
		full[i] = env[i];
	full[n] = "PATH=/usr/local/bin:/usr/bin:/bin";
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (cwd && chdir(cwd) != 0)
			_exit(125);
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		if (uid >= 0 && (setgid((gid_t)uid) != 0 ||
		    setuid((uid_t)uid) != 0))
			_exit(125);
		execve(argv[0], argv, full);
		_exit(126);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	free(full);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
	r->out = th_read(out, NULL);
	r->err = th_read(err, NULL);
	th_rmtree(dir);
	free(dir);
}

static pa_socket_t
bind_socket(int family, int type, uint16_t port)
{
	struct sockaddr_storage ss;
	int len = th_loopback(family, port, &ss);
	int fd = socket(family, type | SOCK_CLOEXEC, 0), rc, on = 1;

	if (fd < 0)
		return -1;
	/* as servers do: a TIME-WAIT left by an earlier run is no obstacle */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	rc = bind(fd, (struct sockaddr *)&ss, (socklen_t)len);
	if (rc != 0 || (type == SOCK_STREAM && listen(fd, 4) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

pa_socket_t
th_listen_tcp(int family, uint16_t port)
{
	return bind_socket(family, SOCK_STREAM, port);
}

pa_socket_t
th_bind_udp(int family, uint16_t port)
{
	return bind_socket(family, SOCK_DGRAM, port);
}

void
th_sock_close(pa_socket_t s)
{
	close(s);
}

uint16_t
th_sock_port(pa_socket_t s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
}

void
th_setenv(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		abort();
}

void
th_unsetenv(const char *name)
{
	unsetenv(name);
}

int
th_mkdir(const char *path)
{
	return mkdir(path, 0700);
}

int
th_is_root(void)
{
	return getuid() == 0;
}

int
th_lock_waiter_seen(const char *path)
{
	char line[256];
	unsigned maj, min;
	unsigned long long ino;
	struct stat st;
	int i, seen = 0;
	FILE *f;

	if (stat(path, &st) != 0)
		return 0;
	for (i = 0; i < 2000 && !seen; i++) {
		if ((f = fopen("/proc/locks", "r")) == NULL)
			return 0;
		while (!seen && fgets(line, sizeof(line), f) != NULL)
			seen = sscanf(line, "%*d: -> %*s %*s %*s %*d "
			    "%x:%x:%llu", &maj, &min, &ino) == 3 &&
			    ino == (unsigned long long)st.st_ino &&
			    maj == major(st.st_dev) && min == minor(st.st_dev);
		fclose(f);
		if (!seen)
			usleep(5000);
	}
	return seen;
}
