/*
 * Many callers at once, timed: CALLERS copies of CMD, either held at a
 * gate and released together (as when 64 CI workers start) or run one
 * after another, ROUNDS times.  Prints one line per round: the wall time
 * in ms from the release (or the first start) until the last caller
 * finished, and how many callers failed.  BETWEEN (a shell command, "-"
 * for none) runs after each round, untimed.  Each caller's stdout goes to
 * /dev/null.
 *
 * usage: herd together|sequence ROUNDS CALLERS BETWEEN CMD [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A child that waits for the gate (if gate[0] >= 0: until its write end
 * closes), then runs argv. */
static pid_t
spawn(const int *gate, char **argv)
{
	pid_t pid;
	char c;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	if (gate[1] >= 0)
		close(gate[1]);
	if (gate[0] >= 0 && read(gate[0], &c, 1) != 0)
		_exit(125);
	if ((fd = open("/dev/null", O_WRONLY)) >= 0)
		dup2(fd, 1);
	execvp(argv[0], argv);
	_exit(127);
}

static int
failed(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return 1;
	return !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

int
main(int argc, char **argv)
{
	int rounds, callers, together, r, i, gate[2], none[2] = { -1, -1 };
	int fails;
	pid_t *pids;
	double t0;

	if (argc < 6 || (strcmp(argv[1], "together") != 0 &&
	    strcmp(argv[1], "sequence") != 0)) {
		fprintf(stderr, "usage: herd together|sequence ROUNDS CALLERS "
		    "BETWEEN CMD [ARGS...]\n");
		return 2;
	}
	together = strcmp(argv[1], "together") == 0;
	rounds = atoi(argv[2]);
	callers = atoi(argv[3]);
	if (rounds < 1 || callers < 1 || callers > 4096)
		return 2;
	pids = calloc((size_t)callers, sizeof(*pids));
	for (r = 0; r < rounds; r++) {
		fails = 0;
		if (together) {
			if (pipe(gate) != 0)
				return 1;
			for (i = 0; i < callers; i++)
				pids[i] = spawn(gate, argv + 5);
			close(gate[0]);
			t0 = now_ms();
			close(gate[1]);         /* go */
			for (i = 0; i < callers; i++)
				fails += failed(pids[i]);
		} else {
			t0 = now_ms();
			for (i = 0; i < callers; i++)
				fails += failed(spawn(none, argv + 5));
		}
		printf("%.1f %d\n", now_ms() - t0, fails);
		fflush(stdout);
		if (strcmp(argv[4], "-") != 0 && system(argv[4]) != 0)
			fprintf(stderr, "herd: '%s' failed\n", argv[4]);
	}
	free(pids);
	return 0;
}
