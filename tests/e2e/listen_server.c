/*
 * A socket-activated test server for `portalloc exec --listen N`: checks
 * what systemd's sd_listen_fds() checks and more, then serves.
 *
 * It exits non-zero, saying why on stderr, unless: LISTEN_PID is its pid;
 * LISTEN_FDS is N; LISTEN_FDNAMES is portalloc0:...; each fd 3+i is a
 * listening TCP socket bound to PORTALLOC_PORTi on 127.0.0.1; its parent
 * (portalloc) lets go of every one of them within 2 s.  Then it prints
 * "ready PID PORT0" on stdout, accepts one connection on fd 3, answers
 * "hello PORT0\n", waits for the client to close, and exits 0.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void
die(const char *what)
{
	fprintf(stderr, "listen_server: %s\n", what);
	exit(10);
}

/* The environment variable as a number; dies if missing. */
static long
env_num(const char *name)
{
	const char *s = getenv(name);

	if (s == NULL)
		die(name);
	return strtol(s, NULL, 10);
}

/* 1 if process pid has an fd on the socket with inode ino. */
static int
has_inode(pid_t pid, ino_t ino)
{
	char path[64], link[64], want[64];
	struct dirent *d;
	DIR *dir;
	ssize_t n;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)ino);
	if ((dir = opendir(path)) == NULL)
		return 0;
	while (!found && (d = readdir(dir)) != NULL) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
		    d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = strcmp(link, want) == 0;
		}
	}
	closedir(dir);
	return found;
}

/* Checks fd 3+i against PORTALLOC_PORTi; returns its inode. */
static ino_t
check_fd(int i)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char name[32];
	struct stat st;
	int on = 0;

	len = sizeof(on);
	if (getsockopt(3 + i, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) != 0 ||
	    !on)
		die("a passed fd is not a listening socket");
	len = sizeof(sin);
	if (getsockname(3 + i, (struct sockaddr *)&sin, &len) != 0 ||
	    sin.sin_family != AF_INET)
		die("a passed fd is not an IPv4 socket");
	snprintf(name, sizeof(name), "PORTALLOC_PORT%d", i);
	if (ntohs(sin.sin_port) != env_num(name))
		die("fd port differs from PORTALLOC_PORTi");
	if (sin.sin_addr.s_addr != htonl(INADDR_LOOPBACK))
		die("fd not bound on bind_address 127.0.0.1");
	if (fstat(3 + i, &st) != 0)
		die("fstat");
	return st.st_ino;
}

int
main(void)
{
	char names[256] = "", answer[64];
	ino_t inos[16];
	long n, i, tries;
	int c, held;

	if (env_num("LISTEN_PID") != (long)getpid())
		die("LISTEN_PID is not my pid");
	n = env_num("LISTEN_FDS");
	if (n < 1 || n > 16)
		die("LISTEN_FDS out of range");
	for (i = 0; i < n; i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names),
		    "%sportalloc%ld", i ? ":" : "", i);
	if (getenv("LISTEN_FDNAMES") == NULL ||
	    strcmp(getenv("LISTEN_FDNAMES"), names) != 0)
		die("LISTEN_FDNAMES");
	for (i = 0; i < n; i++)
		inos[i] = check_fd((int)i);
	for (tries = 0; tries < 2000; tries++) {   /* 20 s at most */
		for (held = 0, i = 0; i < n; i++)
			held += has_inode(getppid(), inos[i]);
		if (held == 0)
			break;
		usleep(10000);
	}
	if (held)
		die("portalloc still holds the listening sockets");
	printf("ready %d %ld\n", (int)getpid(), env_num("PORTALLOC_PORT0"));
	fflush(stdout);
	if ((c = accept(3, NULL, NULL)) < 0)
		die("accept");
	snprintf(answer, sizeof(answer), "hello %ld\n",
	    env_num("PORTALLOC_PORT0"));
	if (write(c, answer, strlen(answer)) != (ssize_t)strlen(answer))
		die("write");
	/* the client closes first: its end, not this port, is left in
	 * TIME_WAIT, where it would keep other tests off the port */
	while (read(c, answer, sizeof(answer)) > 0)
		;
	close(c);
	return 0;
}
