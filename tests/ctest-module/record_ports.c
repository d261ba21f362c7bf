/*
 * A test program for tests/ctest-module: checks that portalloc exec gave
 * it the ports it was promised and writes them to the file argv[1].  With
 * "--listen", also that each port came as a listening socket at fds 3..
 * (LISTEN_FDS, LISTEN_PID), bound to the port PORTALLOC_PORTi names.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
fail(const char *what)
{
	fprintf(stderr, "record_ports: %s\n", what);
	return 1;
}

/* The port fd is bound to, or -1. */
static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int listening = 0;
	socklen_t ll = sizeof(listening);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) != 0 ||
	    !listening)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int
check_listen(int n)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	char name[32];
	int i;

	if (fds == NULL || atoi(fds) != n)
		return fail("LISTEN_FDS does not match the ports");
	if (pid == NULL || atol(pid) != (long)getpid())
		return fail("LISTEN_PID is not this process");
	for (i = 0; i < n; i++) {
		const char *p;

		snprintf(name, sizeof(name), "PORTALLOC_PORT%d", i);
		if ((p = getenv(name)) == NULL || bound_port(3 + i) != atoi(p))
			return fail("a passed socket is not on its port");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *ports = getenv("PORTALLOC_PORTS");
	FILE *fp;
	int n = 0;
	const char *s;

	if (argc < 2 || ports == NULL)
		return fail("usage: record_ports FILE [--listen] (under exec)");
	for (s = ports; *s; s++)
		if (*s != ' ' && (s == ports || s[-1] == ' '))
			n++;
	if (argc > 2 && strcmp(argv[2], "--listen") == 0 && check_listen(n))
		return 1;
	if ((fp = fopen(argv[1], "w")) == NULL)
		return fail("cannot write the result file");
	fprintf(fp, "%s\n", ports);
	return fclose(fp) != 0;
}
