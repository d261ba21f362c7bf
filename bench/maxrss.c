/*
 * Peak memory of a command, as the kernel counts it (wait4's ru_maxrss),
 * from a parent that is small itself: a child forked from a large parent
 * (Python, /usr/bin/time under a shell) starts with the parent's pages
 * counted until it execs.  Runs CMD RUNS times and prints the largest
 * peak in KiB, and how many runs failed.
 *
 * usage: maxrss RUNS CMD [ARGS...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	long peak = 0;
	int runs, i, st, fd, fails = 0;
	pid_t pid;

	if (argc < 3 || (runs = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: maxrss RUNS CMD [ARGS...]\n");
		return 2;
	}
	for (i = 0; i < runs; i++) {
		if ((pid = fork()) == 0) {
			if ((fd = open("/dev/null", O_WRONLY)) >= 0)
				dup2(fd, 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
			return 1;
		fails += !WIFEXITED(st) || WEXITSTATUS(st) > 1;
		if (ru.ru_maxrss > peak)
			peak = ru.ru_maxrss;
	}
	printf("%ld %d\n", peak, fails);
	return 0;
}
