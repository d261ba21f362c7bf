/*
 * Start-up times of a few commands, interleaved: run 1 of each, then run 2
 * of each, and so on, so that a noisy second of a shared machine falls on
 * all of them alike (hyperfine runs one command's runs in a block, and on
 * this VM a block's median moves by 20% from one minute to the next).
 * Each round runs the commands in an order of its own (a shuffle from a
 * fixed seed): whatever runs right after `ss -p` pays 3 to 4 ms for what
 * ss leaves the kernel to clean up, and a fixed order gave that to one
 * command every time (check/who was 1.49 in one order, 1.07 in another).
 * Prints one line per command: its label, then the median, min, max and
 * 10th percentile of its wall time in ms (the 10th: how the runs that met
 * a quiet moment compare).  stdout and stderr of the commands go to
 * /dev/null.  An exit status is no failure (check exits 1 when it finds
 * intruders), a command that cannot be run (127) or dies of a signal is.
 *
 * usage: pairs RUNS LABEL CMD [ARGS...] \; LABEL CMD [ARGS...] \; ...
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMDS 8

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One run of argv: its wall time in ms, or -1 if it could not run. */
static double
run(char **argv)
{
	double t0 = now_ms();
	int status, fd;
	pid_t pid;

	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return -1;
	return now_ms() - t0;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	char *label[MAXCMDS], **cmd[MAXCMDS];
	double *t[MAXCMDS];
	int order[MAXCMDS], runs, n = 0, i, j, k, r;

	if (argc < 4 || (runs = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: pairs RUNS LABEL CMD [ARGS...] ; ...\n");
		return 2;
	}
	for (i = 2; i < argc && n < MAXCMDS; n++) {
		label[n] = argv[i++];
		cmd[n] = &argv[i];
		while (i < argc && strcmp(argv[i], ";") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
		if ((t[n] = calloc((size_t)runs, sizeof(double))) == NULL)
			return 1;
	}
	srand(1);
	for (i = 0; i < n; i++)
		order[i] = i;
	for (r = 0; r < runs; r++) {
		for (i = n - 1; i > 0; i--) {   /* Fisher-Yates */
			j = rand() % (i + 1);
			k = order[i];
			order[i] = order[j];
			order[j] = k;
		}
		for (k = 0; k < n; k++) {
			i = order[k];
			if ((t[i][r] = run(cmd[i])) < 0) {
				fprintf(stderr, "pairs: %s failed\n", label[i]);
				return 1;
			}
		}
	}
	for (i = 0; i < n; i++) {
		qsort(t[i], (size_t)runs, sizeof(double), by_value);
		printf("%s|%.3f|%.3f|%.3f|%.3f\n", label[i], t[i][runs / 2],
		    t[i][0], t[i][runs - 1], t[i][(runs - 1) / 10]);
	}
	return 0;
}
