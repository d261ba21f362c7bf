/*
 * Duplicates under contention: CALLERS processes released together by a
 * gate, each running CMD (which prints ports, one per line), ROUNDS times.
 * Each round has an owner, a process that lives until the round ends, as a
 * test job would: its pid replaces "{owner}" in CMD's arguments and is in
 * $RACE_OWNER.  After each round every port is bound by a listener on
 * 127.0.0.1, all at once, as the test servers would; then the owner exits
 * and BETWEEN (a shell command, "-" for none) runs.  Counts ports handed
 * out twice within a round, failed binds and failed calls.
 *
 * usage: race ROUNDS CALLERS PER_CALLER BETWEEN CMD [ARGS...]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PORTS 65536

static int
listen_on(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, 4) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static unsigned char seen[MAX_PORTS];
	int rounds, callers, per, r, i, gate[2], st, fd;
	long dups = 0, failed_binds = 0, failed_calls = 0, total = 0;
	unsigned port, *ports, nports;
	int *fds;
	pid_t *pids;
	char path[64], c;
	FILE *fp;

	if (argc < 6) {
		fprintf(stderr, "usage: race ROUNDS CALLERS PER_CALLER BETWEEN "
		    "CMD [ARGS...]\n");
		return 2;
	}
	rounds = atoi(argv[1]);
	callers = atoi(argv[2]);
	per = atoi(argv[3]);
	if (rounds < 1 || rounds > 1000 || callers < 1 || callers > 512 ||
	    per < 1 || per > 64)
		return 2;
	pids = calloc((size_t)callers, sizeof(*pids));
	ports = calloc((size_t)(callers * per), sizeof(*ports));
	fds = calloc((size_t)(callers * per), sizeof(*fds));
	for (r = 0; r < rounds; r++) {
		char owner[16], **args = calloc((size_t)argc, sizeof(*args));
		pid_t opid;

		if ((opid = fork()) == 0) {
			for (;;)
				pause();
		}
		snprintf(owner, sizeof(owner), "%d", (int)opid);
		setenv("RACE_OWNER", owner, 1);
		for (i = 5; i < argc; i++)
			args[i - 5] = strcmp(argv[i], "{owner}") ? argv[i] :
			    owner;
		if (pipe(gate) != 0)
			return 1;
		for (i = 0; i < callers; i++) {
			snprintf(path, sizeof(path), "/tmp/race.%d.%d",
			    (int)getpid(), i);
			if ((pids[i] = fork()) == 0) {
				close(gate[1]);
				if (read(gate[0], &c, 1) != 0)
					_exit(125);
				fd = open(path, O_WRONLY | O_CREAT | O_TRUNC,
				    0600);
				dup2(fd, 1);
				execvp(args[0], args);
				_exit(127);
			}
		}
		close(gate[0]);
		close(gate[1]);      /* go */
		nports = 0;
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < callers; i++) {
			int got = 0;
			waitpid(pids[i], &st, 0);
			snprintf(path, sizeof(path), "/tmp/race.%d.%d",
			    (int)getpid(), i);
			if ((fp = fopen(path, "r")) != NULL) {
				while (got < per && fscanf(fp, "%u", &port) == 1
				    && port > 0 && port < MAX_PORTS) {
					if (seen[port]++)
						dups++;
					else
						ports[nports++] = port;
					got++;
				}
				fclose(fp);
			}
			unlink(path);
			total += got;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got < per)
				failed_calls++;
		}
		for (i = 0; i < (int)nports; i++)
			if ((fds[i] = listen_on(ports[i])) < 0)
				failed_binds++;
		for (i = 0; i < (int)nports; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		kill(opid, SIGKILL);
		waitpid(opid, &st, 0);
		free(args);
		if (strcmp(argv[4], "-") != 0 && system(argv[4]) != 0)
			fprintf(stderr, "race: '%s' failed\n", argv[4]);
	}
	printf("rounds=%d callers=%d ports=%ld duplicates=%ld "
	    "failed_binds=%ld failed_calls=%ld\n", rounds, callers, total, dups,
	    failed_binds, failed_calls);
	return 0;
}
