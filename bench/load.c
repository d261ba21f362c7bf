/*
 * A socket load for the benchmarks, on 127.0.0.1 only, bounded in time:
 * PROCS processes, each with LISTENERS listeners (ports BASE..) and PAIRS
 * established connections to itself, closed with SO_LINGER 0 so that no
 * TIME-WAIT is left behind.  Port SHARED gets one more listener, shared by
 * process 0 and a child it forks.  Prints "ready" when everything is up,
 * then waits until stdin closes or MAX_SECONDS pass, and exits.
 *
 * usage: load PROCS LISTENERS PAIRS BASE SHARED
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SECONDS 600

static int
listener(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 128) != 0) {
		fprintf(stderr, "load: port %u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static void
no_linger(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static void
pair(int lfd, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int c = socket(AF_INET, SOCK_STREAM, 0), a;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    (a = accept(lfd, NULL, NULL)) < 0) {
		fprintf(stderr, "load: pair on %u: %s\n", port,
		    strerror(errno));
		exit(1);
	}
	no_linger(c);
	no_linger(a);
}

/* One process: its listeners and pairs, then it waits to be killed. */
static void
worker(int i, int nl, int np, unsigned base, unsigned shared, int ready)
{
	unsigned first = base + (unsigned)(i * nl);
	int k, *fds = calloc((size_t)nl, sizeof(int));
	pid_t child;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (k = 0; k < nl; k++)
		fds[k] = listener(first + (unsigned)k);
	for (k = 0; k < np; k++)
		pair(fds[k % nl], first + (unsigned)(k % nl));
	if (i == 0 && shared != 0) {
		listener(shared);
		if ((child = fork()) == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	}
	if (write(ready, "r", 1) != 1)
		exit(1);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	struct rlimit rl = { 65536, 65536 };
	int procs, nl, np, i, ready[2];
	unsigned base, shared;
	struct pollfd pfd = { 0, POLLIN, 0 };
	pid_t *pids;
	char c;

	if (argc != 6) {
		fprintf(stderr, "usage: load PROCS LISTENERS PAIRS BASE "
		    "SHARED\n");
		return 2;
	}
	procs = atoi(argv[1]);
	nl = atoi(argv[2]);
	np = atoi(argv[3]);
	base = (unsigned)atoi(argv[4]);
	shared = (unsigned)atoi(argv[5]);
	if (procs < 1 || procs > 1000 || nl < 1 || np < 0 ||
	    base + (unsigned)(procs * nl) > 65535)
		return 2;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (pipe(ready) != 0)
		return 1;
	pids = calloc((size_t)procs, sizeof(*pids));
	for (i = 0; i < procs; i++) {
		if ((pids[i] = fork()) == 0) {
			close(ready[0]);
			worker(i, nl, np, base, shared, ready[1]);
		}
	}
	close(ready[1]);
	for (i = 0; i < procs; i++)
		if (read(ready[0], &c, 1) != 1) {
			fprintf(stderr, "load: a worker failed\n");
			goto out;
		}
	printf("ready\n");
	fflush(stdout);
	/* until stdin closes (or says anything), at most MAX_SECONDS */
	poll(&pfd, 1, MAX_SECONDS * 1000);
out:
	for (i = 0; i < procs; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < procs; i++)
		waitpid(pids[i], NULL, 0);
	return 0;
}
