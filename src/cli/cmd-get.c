/* portalloc get: lease free ports and print them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum format { FMT_PLAIN, FMT_ENV, FMT_JSON, FMT_GITHUB, FMT_DOTENV };

static int
parse_format(const char *s, enum format *f)
{
	if (strcmp(s, "plain") == 0)
		*f = FMT_PLAIN;
	else if (strcmp(s, "env") == 0)
		*f = FMT_ENV;
	else if (strcmp(s, "json") == 0)
		*f = FMT_JSON;
	else if (strcmp(s, "github") == 0)
		*f = FMT_GITHUB;
	else if (strcmp(s, "dotenv") == 0)
		*f = FMT_DOTENV;
	else
		return -1;
	return 0;
}

/*
 * NAME=VALUE lines: port0=.. and ports=a b c for GitHub step outputs, or
 * PORTALLOC_PORT0=.. and PORTALLOC_PORTS=a b c unquoted (GitLab's dotenv
 * keeps quotes as part of the value).
 */
static void
print_pairs(FILE *fp, const struct pa_lease *v, size_t n, int github)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s%zu=%u\n", github ? "port" : "PORTALLOC_PORT",
		    i, v[i].port);
	fputs(github ? "ports=" : "PORTALLOC_PORTS=", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%u", i ? " " : "", v[i].port);
	fputc('\n', fp);
}

/* $GITHUB_OUTPUT opened for appending, or NULL after saying why. */
static FILE *
open_github_output(void)
{
	const char *path = getenv("GITHUB_OUTPUT");
	FILE *fp;

	if (path == NULL || path[0] == '\0') {
		cli_warn("--format github: GITHUB_OUTPUT is not set (it is "
		    "set inside a GitHub Actions step)");
		return NULL;
	}
	if ((fp = fopen(path, "a")) == NULL)
		cli_warn("--format github: cannot open %s: %s", path,
		    strerror(errno));
	return fp;
}

static void
print_leases(const struct pa_lease *v, size_t n, enum format f)
{
	size_t i;

	switch (f) {
	case FMT_GITHUB: /* written to $GITHUB_OUTPUT; shown here too */
	case FMT_DOTENV:
		print_pairs(stdout, v, n, f == FMT_GITHUB);
		break;
	case FMT_PLAIN:
		for (i = 0; i < n; i++)
			printf("%u\n", v[i].port);
		break;
	case FMT_ENV:
		for (i = 0; i < n; i++)
			printf("PORTALLOC_PORT%zu=%u\n", i, v[i].port);
		printf("PORTALLOC_PORTS=\"");
		for (i = 0; i < n; i++)
			printf("%s%u", i ? " " : "", v[i].port);
		printf("\"\n");
		break;
	case FMT_JSON:
		out_leases_json(stdout, v, n);
		break;
	}
}

/* Leases what req asks for and prints it (and appends it to gh). */
static int
lease_and_print(struct cli *cli, const struct pa_request *req,
    enum format fmt, FILE *gh)
{
	struct pa_lease *leases;
	struct pa_error err;
	size_t n;
	int rc;

	memset(&err, 0, sizeof(err));
	if ((rc = pa_get(cli->pa, req, &leases, &n, &err)) != 0)
		return cli_fail(rc, &err);
	if (leases[0].owner_exiting)
		cli_warn("warning: the %s owner, pid %lld (%.60s), is "
		    "no process that waits for the job (it is about to exit, "
		    "or is the system's init); run the job under 'portalloc "
		    "exec', or name the owner with --owner PID or "
		    "PORTALLOC_OWNER=PID", n == 1 ? "lease's" : "leases'",
		    (long long)leases[0].owner_pid, leases[0].command);
	if (gh != NULL)
		print_pairs(gh, leases, n, 1);
	print_leases(leases, n, fmt);
	pa_leases_free(leases);
	return EXIT_OK;
}

static int
cmd_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "block", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "proto", required_argument, NULL, 'p' },
		{ "owner", required_argument, NULL, 'o' },
		{ "ttl", required_argument, NULL, 't' },
		{ "tag", required_argument, NULL, 'T' },
		{ "consecutive", no_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct pa_request req = { NULL, 1, 0, PA_OWNER_PARENT, -1, NULL, NULL,
	    0 };
	enum format fmt = FMT_PLAIN;
	FILE *gh = NULL;
	long long v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "hc:b:n:p:o:t:T:Cf:j", opts,
	    NULL)) != -1) {
		switch (c) {
		case 'o':
			if ((rc = cli_number(cli, optarg, 1, INT32_MAX,
			    "owner pid", &v)) != 0)
				return rc;
			req.owner_pid = v;
			break;
		case 'f':
			if (parse_format(optarg, &fmt) != 0)
				return cli_usage_error(cli, "bad format '%s' "
				    "(expected plain, env, json, github or "
				    "dotenv)", optarg);
			break;
		case 'j':
			fmt = FMT_JSON;
			break;
		default:
			rc = cli_request_option(cli, c, optarg, &req, 65535);
			if (rc == -2)
				rc = cli_common_option(cli, c, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'",
		    argv[optind]);
	if (fmt == FMT_GITHUB && (gh = open_github_output()) == NULL)
		return EXIT_USAGE;
	if ((rc = cli_open(cli, 1)) == 0)
		rc = lease_and_print(cli, &req, fmt, gh);
	if (gh != NULL && fclose(gh) != 0 && rc == EXIT_OK) {
		cli_warn("--format github: cannot write GITHUB_OUTPUT: %s",
		    strerror(errno));
		rc = EXIT_IOERR;
	}
	return rc;
}

const struct cmd_entry cmd_get_entry = {
	"get",
	"[-b BLOCK] [-n COUNT] [--proto tcp|udp|both] [--owner PID] "
	    "[--ttl DUR] [--tag TAG] [--consecutive] [--format plain|env|json|github|dotenv]",
	"Lease free ports and print them, one per line.",
	"  -b, --block BLOCK   lease from BLOCK (default: the first block)\n"
	"  -n, --count N       how many ports (default 1); all or none\n"
	"  -p, --proto P       tcp, udp or both (default: what the block "
	"serves)\n"
	"  -o, --owner PID     the process that owns the leases (default: "
	"the parent\n"
	"                      of portalloc, i.e. the calling shell); a "
	"lease ends\n"
	"                      when its owner exits\n"
	"  -t, --ttl DUR       lease time: 90s, 30m, 2h, 1d or never "
	"(default: lease_ttl)\n"
	"      --tag TAG       a label for release --tag and list\n"
	"      --consecutive   adjacent ports only\n"
	"  -f, --format F      plain (one port per line), env "
	"(PORTALLOC_PORT0=...,\n"
	"                      safe to eval), json, github (appends "
	"port0=..,\n"
	"                      ports=a b to $GITHUB_OUTPUT) or dotenv "
	"(GitLab CI:\n"
	"                      PORTALLOC_PORT0=.. unquoted)\n"
	"      --json          the same as --format json\n",
	cmd_get,
};
