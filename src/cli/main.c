/* portalloc: the command table, global options and the shared CLI helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "os/spawn.h"

static const struct cmd_entry *const commands[] = {
	&cmd_get_entry,
	&cmd_release_entry,
	&cmd_list_entry,
	&cmd_exec_entry,
	&cmd_who_entry,
	&cmd_check_entry,
	&cmd_map_entry,
	&cmd_gc_entry,
	&cmd_config_entry,
	&cmd_reserve_entry,
	&cmd_unreserve_entry,
	&cmd_reservations_entry,
	&cmd_accel_entry,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *fp)
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
	fprintf(fp, "\noptions:\n"
	    "  -c, --config FILE  read FILE instead of searching for "
	    "portalloc.ini\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\nRun 'portalloc COMMAND --help' for a command's options.\n"
	    "Exit codes: 0 ok, 1 conflict, 2 usage, 65 bad data, 69 no ports "
	    "left,\n71 OS error or not supported here, 73 cannot create "
	    "store, 74 store I/O,\n77 permission denied, 78 config.\n");
}

static void
command_help(const struct cmd_entry *cmd, FILE *fp)
{
	fprintf(fp, "usage: portalloc %s %s\n\n%s\n\noptions:\n%s"
	    "  -c, --config FILE   read FILE instead of searching for "
	    "portalloc.ini\n"
	    "  -h, --help          show this help\n", cmd->name, cmd->args,
	    cmd->summary, cmd->help);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("portalloc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_exit_code(int rc)
{
	switch (rc) {
	case PA_OK:
		return EXIT_OK;
	case PA_EUSAGE:
		return EXIT_USAGE;
	case PA_ECONFIG:
		return EXIT_CONFIG;
	case PA_EFULL:
	case PA_EINUSE:     /* Windows reserve: overlap, or a port in use */
		return EXIT_NOPORTS;
	case PA_ESTORE:
		return EXIT_CANTCREAT;
	case PA_EIO:
		return EXIT_IOERR;
	case PA_EPERM:
		return EXIT_NOPERM;
	case PA_ENOENT:
	case PA_EDATA:
	case PA_ESRCH:
		return EXIT_DATA;
	case PA_ENOMEM:
	case PA_EOS:
	case PA_ENOTSUP:
		return EXIT_OSERR;
	}
	return EXIT_SOFTWARE;
}

int
cli_fail(int rc, const struct pa_error *err)
{
	if (err != NULL && err->msg[0] != '\0')
		cli_warn("%s", err->msg);
	else
		cli_warn("%s", pa_strerror(rc));
	if (err != NULL && err->hint == PA_HINT_TRUST)
		cli_warn("to use it anyway, name it: 'portalloc -c %s ...'; or "
		    "let the host trust it, in /etc/portalloc/portalloc.ini: "
		    "[portalloc] trust = %s (as root, reserve still takes "
		    "blocks only from files that root alone can write)",
		    err->file, err->file);
	return cli_exit_code(rc);
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fputs("portalloc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'portalloc %s%s--help'.\n",
	    cli->cmd ? cli->cmd->name : "", cli->cmd ? " " : "");
	return EXIT_USAGE;
}

int
cli_number(const struct cli *cli, const char *s, long long min,
    long long max, const char *what, long long *out)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return cli_usage_error(cli, "bad %s '%s' (expected %lld-%lld)",
		    what, s, min, max);
	*out = v;
	return 0;
}

int
cli_common_option(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_HELP:
		command_help(cli->cmd, stdout);
		return EXIT_OK;
	case CLI_OPT_CONFIG:
		cli->config_path = arg;
		return -1;
	default:
		/* getopt said what was wrong */
		fprintf(stderr, "Try 'portalloc %s --help'.\n",
		    cli->cmd->name);
		return EXIT_USAGE;
	}
}

int
cli_open(struct cli *cli, int need_store)
{
	struct pa_error err;
	int rc;
	size_t i;

	memset(&err, 0, sizeof(err));
	if (cli->cfg == NULL) {
		rc = pa_config_load(&cli->cfg, cli->config_path, &err);
		if (rc != 0)
			return cli_fail(rc, &err);
		for (i = 0; i < cli->cfg->nwarnings; i++)
			cli_warn("warning: %s", cli->cfg->warnings[i]);
	}
	if (need_store && cli->pa == NULL &&
	    (rc = pa_open(&cli->pa, cli->cfg, &err)) != 0)
		return cli_fail(rc, &err);
	return 0;
}

int
cli_simple_options(struct cli *cli, int argc, char **argv, int need_store,
    const char **block, int *json)
{
	struct option opts[5] = { CLI_COMMON_OPTIONS };
	char optstring[8] = "hc:";
	int c, rc, n = 2;

	if (block != NULL) {
		*block = NULL;
		opts[n++] = (struct option){ "block", required_argument, NULL,
		    'b' };
		strcat(optstring, "b:");
	}
	if (json != NULL) {
		*json = 0;
		opts[n++] = (struct option){ "json", no_argument, NULL, 'j' };
		strcat(optstring, "j");
	}
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		if (c == 'b')
			*block = optarg;
		else if (c == 'j')
			*json = 1;
		else if ((rc = cli_common_option(cli, c, optarg)) >= 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		    argv[optind]);
	rc = cli_open(cli, need_store);
	return rc == 0 ? -1 : rc;
}

static const struct cmd_entry *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	int i, rc;

	memset(&cli, 0, sizeof(cli));
	pa__stdio_plain();
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("portalloc %s\n", PA_VERSION);
			return EXIT_OK;
		}
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc) {
			cli.config_path = argv[++i];
			continue;
		}
		if (!strncmp(argv[i], "--config=", 9)) {
			cli.config_path = argv[i] + 9;
			continue;
		}
		fprintf(stderr, "portalloc: unknown option '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cli.cmd = find_command(argv[i])) == NULL) {
		fprintf(stderr, "portalloc: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	optind = 0; /* GNU getopt: start afresh on the command's arguments */
	rc = cli.cmd->exec(&cli, argc - i, argv + i);
	pa_close(cli.pa);
	pa_config_free(cli.cfg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_warn("cannot write output: %s", strerror(errno));
		if (rc == 0)
			rc = EXIT_IOERR;
	}
	return rc;
}
