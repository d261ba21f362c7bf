/*
 * Running the command of `portalloc exec`.  The child is forked first and
 * waits on a socket pair, so that its pid can own the leases before it
 * runs; the parent then sends it the environment to add, and the listening
 * sockets of `exec --listen` (SCM_RIGHTS), and it execs.  A close-on-exec
 * pipe carries errno back when exec fails.
 */

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "os/spawn.h"

#define ENV_MAX 65536
#define FDS_MAX 253     /* SCM_MAX_FD */

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

struct pa_child {
	pid_t pid;
	int go;          /* write end: 'G' then NAME=VALUE\0... */
	int status_fd;   /* read end: errno of a failed exec, or EOF */
	int exec_errno;
	char name[128];
	struct sigaction old[NFORWARDED]; /* portalloc's own, meanwhile */
};

static ssize_t
read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/*
 * In the child: everything the parent sends until it closes its end, into
 * buf (NUL-terminated; the length is returned) and fds (*nfds of them,
 * close-on-exec).  -1 on error.
 */
static ssize_t
receive(int go, char *buf, size_t len, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	size_t got = 0, k;
	ssize_t r;

	*nfds = 0;
	while (got < len - 1) {
		iov.iov_base = buf + got;
		iov.iov_len = len - 1 - got;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		r = recvmsg(go, &msg, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (*nfds + k > FDS_MAX)
				return -1;
			memcpy(fds + *nfds, CMSG_DATA(cm), k * sizeof(int));
			*nfds += (int)k;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/*
 * In the child: puts fds[0..n) at 3..3+n-1, open across exec, after moving
 * *status_fd out of the way.  Every other descriptor stays as it was.
 */
static int
place_fds(int *fds, int n, int *status_fd)
{
	int i, t;

	if (n == 0)
		return 0;
	if ((t = fcntl(*status_fd, F_DUPFD_CLOEXEC, 3 + n)) < 0)
		return -1;
	close(*status_fd);
	*status_fd = t;
	for (i = 0; i < n; i++) {
		if ((t = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + n)) < 0)
			return -1;
		close(fds[i]);
		fds[i] = t;
	}
	for (i = 0; i < n; i++) {
		if (dup2(fds[i], 3 + i) < 0)
			return -1;
		close(fds[i]);
	}
	return 0;
}

/* In the child: wait for the word, take the environment and fds, exec. */
static void
child_main(char *const argv[], int go, int status_fd)
{
	static char env[ENV_MAX];
	int fds[FDS_MAX], nfds;
	ssize_t n = receive(go, env, sizeof(env), fds, &nfds);
	char *s;
	int e;

	if (n < 1 || env[0] != 'G')
		_exit(127); /* the parent gave up on us */
	for (s = env + 1; s < env + n; s += strlen(s) + 1)
		putenv(s);
	close(go);
	if (place_fds(fds, nfds, &status_fd) != 0) {
		e = errno;
		write_full(status_fd, &e, sizeof(e));
		_exit(126);
	}
	execvp(argv[0], argv);
	e = errno;
	write_full(status_fd, &e, sizeof(e));
	_exit(e == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t forward_to;

/* Signals sent to portalloc alone (kill, sigqueue, tgkill) go on to the
 * child; those the terminal sends (SI_KERNEL) reach the child's process
 * group by themselves. */
static void
forward(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (forward_to > 0 && info != NULL && (info->si_code == SI_USER ||
	    info->si_code == SI_QUEUE || info->si_code == SI_TKILL))
		kill((pid_t)forward_to, sig);
}

/*
 * From the moment the child exists until it is reaped, signals sent to
 * portalloc alone go on to it: a SIGTERM that arrives while the ports are
 * being leased ends the child (still held, or running), and portalloc
 * lives on to release the leases and report.
 */
static void
start_forwarding(struct pa_child *c)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	forward_to = c->pid;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &c->old[i]);
}

static void
stop_forwarding(struct pa_child *c)
{
	size_t i;

	forward_to = 0;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &c->old[i], NULL);
}

int
pa__child_start(char *const argv[], struct pa_child **out, int64_t *pid,
    struct pa_error *err)
{
	struct pa_child *c;
	int go[2], st[2];

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return pa__err(err, PA_ENOMEM, "out of memory");
	pa__strlcpy(c->name, argv[0], sizeof(c->name));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) {
		free(c);
		return pa__err(err, PA_EOS, "socketpair: %s", strerror(errno));
	}
	if (pipe2(st, O_CLOEXEC) != 0) {
		close(go[0]);
		close(go[1]);
		free(c);
		return pa__err(err, PA_EOS, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	c->pid = fork();
	if (c->pid < 0) {
		int e = errno;
		close(go[0]);
		close(go[1]);
		close(st[0]);
		close(st[1]);
		free(c);
		return pa__err(err, PA_EOS, "fork: %s", strerror(e));
	}
	if (c->pid == 0) {
		close(go[1]);
		close(st[0]);
		child_main(argv, go[0], st[1]);
	}
	start_forwarding(c);
	close(go[0]);
	close(st[1]);
	c->go = go[1];
	c->status_fd = st[0];
	*pid = c->pid;
	*out = c;
	return 0;
}

/* Sends buf[0..len) to the child with fds[0..nfds) on the first part. */
static int
send_all(int sock, const char *buf, size_t len, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	while ((r = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return -1;
	for (buf += r, len -= (size_t)r; len > 0; buf += r, len -= (size_t)r) {
		r = send(sock, buf, len, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r <= 0)
			return -1;
	}
	return 0;
}

int
pa__child_go_fds(struct pa_child *c, char *const env[], int n,
    const int *fds, int nfds, struct pa_error *err)
{
	char buf[ENV_MAX];
	size_t len = 1, l;
	int i, e;

	if (nfds < 0 || nfds > FDS_MAX)
		return pa__err(err, PA_EUSAGE, "at most %d sockets can be "
		    "passed", FDS_MAX);
	buf[0] = 'G';
	for (i = 0; i < n; i++) {
		l = strlen(env[i]) + 1;
		if (len + l >= sizeof(buf))
			return pa__err(err, PA_EUSAGE, "environment too large");
		memcpy(buf + len, env[i], l);
		len += l;
	}
	e = send_all(c->go, buf, len, fds, nfds);
	close(c->go);
	c->go = -1;
	if (e != 0)
		return pa__err(err, PA_EOS, "cannot start '%s': %s", c->name,
		    strerror(errno));
	if (read_full(c->status_fd, &c->exec_errno, sizeof(c->exec_errno)) ==
	    sizeof(c->exec_errno))
		return pa__err(err, PA_EOS, "cannot run '%s': %s", c->name,
		    strerror(c->exec_errno));
	c->exec_errno = 0;
	return 0;
}

int
pa__child_go(struct pa_child *c, char *const env[], int n,
    struct pa_error *err)
{
	return pa__child_go_fds(c, env, n, NULL, 0, err);
}

int
pa__child_wait(struct pa_child *c, int *status, struct pa_error *err)
{
	pid_t r;
	int ws, rc = 0;

	while ((r = waitpid(c->pid, &ws, 0)) < 0 && errno == EINTR)
		;
	stop_forwarding(c);
	if (r < 0) {
		rc = pa__err(err, PA_EOS, "waitpid: %s", strerror(errno));
		*status = 127;
	} else if (WIFEXITED(ws)) {
		*status = WEXITSTATUS(ws);
	} else if (WIFSIGNALED(ws)) {
		*status = 128 + WTERMSIG(ws);
	} else {
		*status = 127;
	}
	if (c->go >= 0)
		close(c->go);
	close(c->status_fd);
	free(c);
	return rc;
}

void
pa__child_abort(struct pa_child *c)
{
	int ws;

	if (c == NULL)
		return;
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &ws, 0) < 0 && errno == EINTR)
		;
	stop_forwarding(c);
	if (c->go >= 0)
		close(c->go);
	close(c->status_fd);
	free(c);
}

void
pa__stdio_plain(void)
{
}

void
pa__heap_one_arena(void)
{
#ifdef __GLIBC__
	mallopt(M_ARENA_MAX, 1);
#endif
}

void
pa__fd_close(int fd)
{
	close(fd);
}

int
pa__term_columns(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
		return 80;
	return ws.ws_col;
}

int64_t
pa__monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pa__sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
	    (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
