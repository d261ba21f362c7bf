/*
 * Running the command of `portalloc exec`.  The child is forked first and
 * waits on a pipe, so that its pid can own the leases before it runs; the
 * parent then sends it the environment to add and it execs.  A second
 * close-on-exec pipe carries errno back when exec fails.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/core.h"
#include "os/os.h"

#define ENV_MAX 65536

struct pa_child {
	pid_t pid;
	int go;          /* write end: 'G' then NAME=VALUE\0... */
	int status_fd;   /* read end: errno of a failed exec, or EOF */
	int exec_errno;
	char name[128];
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

/* In the child: wait for the word, take the environment, exec. */
static void
child_main(char *const argv[], int go, int status_fd)
{
	static char env[ENV_MAX];
	ssize_t n = read_full(go, env, sizeof(env) - 1);
	char *s;
	int e;

	if (n < 1 || env[0] != 'G')
		_exit(127); /* the parent gave up on us */
	env[n] = '\0';
	for (s = env + 1; s < env + n; s += strlen(s) + 1)
		putenv(s);
	close(go);
	execvp(argv[0], argv);
	e = errno;
	write_full(status_fd, &e, sizeof(e));
	_exit(e == ENOENT ? 127 : 126);
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
	if (pipe2(go, O_CLOEXEC) != 0) {
		free(c);
		return pa__err(err, PA_EOS, "pipe: %s", strerror(errno));
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
	close(go[0]);
	close(st[1]);
	c->go = go[1];
	c->status_fd = st[0];
	*pid = c->pid;
	*out = c;
	return 0;
}

int
pa__child_go(struct pa_child *c, char *const env[], int n,
    struct pa_error *err)
{
	char buf[ENV_MAX];
	size_t len = 1, l;
	int i, e;

	buf[0] = 'G';
	for (i = 0; i < n; i++) {
		l = strlen(env[i]) + 1;
		if (len + l >= sizeof(buf))
			return pa__err(err, PA_EUSAGE, "environment too large");
		memcpy(buf + len, env[i], l);
		len += l;
	}
	e = write_full(c->go, buf, len);
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

static volatile sig_atomic_t forward_to;

/* Signals sent to portalloc alone go on to the child; those the terminal
 * sends reach the child's process group by themselves. */
static void
forward(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	if (forward_to > 0 && info != NULL &&
	    (info->si_code == SI_USER || info->si_code == SI_QUEUE))
		kill((pid_t)forward_to, sig);
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

int
pa__child_wait(struct pa_child *c, int *status, struct pa_error *err)
{
	struct sigaction sa, old[NFORWARDED];
	size_t i;
	pid_t r;
	int ws, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	forward_to = c->pid;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	while ((r = waitpid(c->pid, &ws, 0)) < 0 && errno == EINTR)
		;
	forward_to = 0;
	for (i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
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
	if (c->go >= 0)
		close(c->go);
	close(c->status_fd);
	free(c);
}
