/*
 * portalloc: the list of commands and the dispatch, nothing else.  The
 * global options go through the same parser as every command's (opts.c),
 * so `portalloc -cFILE list`, `portalloc -c FILE list` and `portalloc list
 * -cFILE` mean the same.  Adding a command is one line in CLI_COMMANDS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "os/spawn.h"

#define CLI_COMMANDS(X) \
	X(get) X(release) X(list) X(exec) X(who) X(check) X(map) X(gc) \
	X(config) X(reserve) X(unreserve) X(reservations) X(accel)

#define CLI_DECLARE(name) extern const struct cmd_entry cmd_##name##_entry;
#define CLI_ENTRY(name) &cmd_##name##_entry,
CLI_COMMANDS(CLI_DECLARE)
static const struct cmd_entry *const commands[] = {
	CLI_COMMANDS(CLI_ENTRY)
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp, const struct cli_opt *opts)
{
	size_t i;

	fprintf(fp, "usage: portalloc [-c FILE] COMMAND [OPTIONS]\n"
	    "\nHands out TCP/UDP ports so that parallel test jobs on one host "
	    "never collide.\n\ncommands:\n");
	/* the first line of each summary */
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-13s %.*s\n", commands[i]->name,
		    (int)strcspn(commands[i]->summary, "\n"),
		    commands[i]->summary);
	fprintf(fp, "\noptions:\n");
	cli_option_lines(fp, opts);
	fprintf(fp, "\nRun 'portalloc COMMAND --help' for a command's options.\n"
	    "Exit codes: 0 ok, 1 conflict, 2 usage, 65 bad data, 69 no ports "
	    "left,\n71 OS error or not supported here, 73 cannot create "
	    "store, 74 I/O,\n77 permission denied, 78 config.\n");
}

/* How far apart two words are (edits), for "did you mean"; at most 9. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[16][16], i, j, c;

	if (la > 14 || lb > 14)
		return 9;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			c = d[i - 1][j] + 1 < c ? d[i - 1][j] + 1 : c;
			c = d[i][j - 1] + 1 < c ? d[i][j - 1] + 1 : c;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < c)
				c = d[i - 2][j - 2] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

/* The command called name; else NULL after saying so (and what was meant). */
static const struct cmd_entry *
find_command(const char *name)
{
	char shown[64];
	size_t i, best = 0, bestd = 9, d;

	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
		if ((d = distance(commands[i]->name, name)) < bestd)
			bestd = d, best = i;
	}
	out_text(shown, sizeof(shown), name);
	if (bestd <= 2)
		cli_warn("unknown command '%s'; did you mean '%s'?", shown,
		    commands[best]->name);
	else
		cli_warn("unknown command '%s'", shown);
	fprintf(stderr, "Try 'portalloc --help'.\n");
	return NULL;
}

/* The global options, then the command: its exit code. */
static int
run(struct cli *cli, int argc, char **argv)
{
	int help = 0, version = 0, first, rc;
	const struct cli_opt opts[] = {
		{ 'c', "config", OPT_KIND_PATH, "FILE", "read FILE instead of "
		    "searching for portalloc.ini", &cli->config_path, 0, 0,
		    NULL },
		OPT_FLAG('h', "help", &help, "show this help"),
		OPT_FLAG('V', "version", &version, "show the version"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, CLI_ARGS | CLI_STOP,
	    &first)) >= 0)
		return rc;
	if (help || version) {
		if (help)
			usage(stdout, opts);
		else
			printf("portalloc %s\n", PA_VERSION);
		return EXIT_OK;
	}
	if (first == argc) {
		usage(stderr, opts);
		return EXIT_USAGE;
	}
	if ((cli->cmd = find_command(argv[first])) == NULL)
		return EXIT_USAGE;
	return cli->cmd->exec(cli, argc - first, argv + first);
}

/* stdout's buffer when it is no terminal (glibc ignores a size given
 * without one) */
static char outbuf[64 * 1024];

int
main(int argc, char **argv)
{
	struct cli cli;
	int rc;

	memset(&cli, 0, sizeof(cli));
	pa__stdio_plain();
	pa__heap_one_arena();
	/* a pipe or a file gets few large writes (check and list print
	 * thousands of rows), a terminal its lines as they come */
	if (pa__term_columns() == 0)
		setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rc = run(&cli, argc, argv);
	pa_close(cli.pa);
	pa_config_free(cli.cfg);
	/* a failure already said (and its exit code) stands */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == EXIT_OK) {
		cli_warn("cannot write output: %s", strerror(errno));
		rc = EXIT_IOERR;
	}
	return rc;
}
