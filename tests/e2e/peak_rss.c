/*
 * Runs a command and writes its peak resident memory (wait4's ru_maxrss,
 * in KiB) and its exit status to a file.  The parent that measures must be
 * small: a forked child is counted with its parent's pages until it execs
 * (bench/maxrss.c, for the same reason), and a test process that filled a
 * store is not small.  The command keeps this program's stdout and stderr,
 * so the caller still sees what it printed.
 *
 * usage: peak_rss OUTFILE CMD [ARGS...]
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *fp;
	pid_t pid;
	int st;

	if (argc < 3) {
		fprintf(stderr, "usage: peak_rss OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	if ((pid = fork()) == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) != pid)
		return 1;
	if ((fp = fopen(argv[1], "w")) == NULL)
		return 1;
	fprintf(fp, "%ld %d\n", ru.ru_maxrss,
	    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return fclose(fp) != 0;
}
