/*
 * portalloc get: lease free ports and print them.  The ports are only
 * leased if the caller can read them: when the result cannot be written
 * (a full disk, a closed pipe, an unwritable $GITHUB_OUTPUT), the leases
 * are released again before exiting 74, so that nobody holds ports nobody
 * knows of.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

enum format { FMT_PLAIN, FMT_ENV, FMT_JSON, FMT_GITHUB, FMT_DOTENV };
static const char *const formats[] = { "plain", "env", "json", "github",
    "dotenv", NULL };

/*
 * NAME=VALUE lines: port0=.. and ports=a b c for GitHub step outputs, or
 * PORTALLOC_PORT0=.. and PORTALLOC_PORTS=a b c unquoted (GitLab's dotenv
 * keeps quotes as part of the value); with quote, PORTALLOC_PORTS="a b c".
 */
static void
print_pairs(FILE *fp, const struct pa_lease *v, size_t n, int github,
    int quote)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(fp, "%s%zu=%u\n", github ? "port" : "PORTALLOC_PORT",
		    i, v[i].port);
	fputs(github ? "ports=" : "PORTALLOC_PORTS=", fp);
	fputs(quote ? "\"" : "", fp);
	for (i = 0; i < n; i++)
		fprintf(fp, "%s%u", i ? " " : "", v[i].port);
	fputs(quote ? "\"\n" : "\n", fp);
}

static void
print_leases(FILE *fp, const struct pa_lease *v, size_t n, enum format f)
{
	size_t i;

	switch (f) {
	case FMT_GITHUB: /* written to $GITHUB_OUTPUT; shown here too */
	case FMT_DOTENV:
		print_pairs(fp, v, n, f == FMT_GITHUB, 0);
		break;
	case FMT_ENV:
		print_pairs(fp, v, n, 0, 1);
		break;
	case FMT_PLAIN:
		for (i = 0; i < n; i++)
			fprintf(fp, "%u\n", v[i].port);
		break;
	case FMT_JSON:
		out_leases_json(fp, v, n);
		break;
	}
}

/* Appends the result to $GITHUB_OUTPUT: 0, or -1 after saying why. */
static int
write_github(const struct pa_lease *v, size_t n)
{
	const char *path = getenv("GITHUB_OUTPUT");
	FILE *fp;

	if ((fp = fopen(path, "a")) == NULL) {
		cli_warn("--format github: cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	print_pairs(fp, v, n, 1, 0);
	if (ferror(fp) | (fclose(fp) != 0)) {
		cli_warn("--format github: cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Takes back the leases nobody could be told about. */
static void
unlease(struct cli *cli, const struct pa_lease *v, size_t n)
{
	struct pa_filter f = PA_FILTER_INIT;
	struct pa_lease *gone = NULL;
	struct pa_error err;
	uint16_t *ports = calloc(n, sizeof(*ports));
	size_t i, ngone = 0;

	for (i = 0; i < n && ports != NULL; i++)
		ports[i] = v[i].port;
	f.ports = ports;
	f.nports = ports != NULL ? n : 0;   /* else all of the owner's */
	f.block = v[0].block;
	f.owner_pid = v[0].owner_pid;
	memset(&err, 0, sizeof(err));
	if (pa_release(cli->pa, &f, &gone, &ngone, &err) != 0)
		cli_warn("the leases could not be released either (gc or "
		    "release will end them): %s", err.msg);
	else
		cli_warn("released the %zu lease%s again", ngone,
		    ngone == 1 ? "" : "s");
	pa_leases_free(gone);
	free(ports);
}

/* Leases what req asks for and prints it; releases it if that fails. */
static int
lease_and_print(struct cli *cli, const struct pa_request *req,
    enum format fmt)
{
	struct pa_lease *v;
	struct pa_error err;
	size_t n;
	int rc, failed = 0;

	memset(&err, 0, sizeof(err));
	if ((rc = pa_get(cli->pa, req, &v, &n, &err)) != 0)
		return cli_fail(cli, rc, &err);
	if (fmt == FMT_GITHUB)
		failed = write_github(v, n) != 0;
	if (!failed) {
		print_leases(stdout, v, n, fmt);
		failed = fflush(stdout) != 0 || ferror(stdout);
		if (failed)
			cli_warn("cannot write the ports: %s",
			    strerror(errno));
		clearerr(stdout);   /* said once */
	}
	if (failed)
		unlease(cli, v, n);
	pa_leases_free(v);
	return failed ? EXIT_IOERR : EXIT_OK;
}

static int
cmd_get(struct cli *cli, int argc, char **argv)
{
	struct pa_request req = { NULL, 1, 0, PA_OWNER_PARENT, -1, NULL, NULL,
	    0 };
	int rc, fmt = FMT_PLAIN;
	const struct cli_opt opts[] = {
		OPT_BLOCK(&req.block, "lease from BLOCK (default: the first "
		    "block)"),
		OPT_UINT('n', "count", "N", &req.count, 1, 65535, "how many "
		    "ports (default 1); all or none"),
		OPT_PROTO(&req.protos, "tcp, udp or tcp,udp (default: what "
		    "the block serves)"),
		OPT_PID('o', "owner", &req.owner_pid, "the process that owns "
		    "the leases (default: the\nprocess that ran portalloc, "
		    "i.e. the calling shell);\na lease ends when its owner "
		    "exits"),
		OPT_DURATION('t', "ttl", &req.ttl, "lease time: 90s, 30m, 2h, "
		    "1d, or never for leases\nthat do not expire (default: "
		    "lease_ttl)"),
		OPT_TAG(&req.tag, "a label for release --tag and list"),
		OPT_FLAG(0, "consecutive", &req.consecutive, "adjacent ports "
		    "only"),
		OPT_CHOICE('f', "format", "F", &fmt, formats, "plain "
		    "(one port per line), env (PORTALLOC_PORT0=...,\nsafe to "
		    "eval), json, github (appends port0=..,\nports=a b to "
		    "$GITHUB_OUTPUT) or dotenv (GitLab CI:\nPORTALLOC_PORT0=.. "
		    "unquoted)"),
		OPT_SET("json", &fmt, FMT_JSON, "the same as --format json"),
		OPT_END
	};

	if ((rc = cli_parse(cli, opts, argc, argv, 0, NULL)) >= 0)
		return rc;
	if (fmt == FMT_GITHUB && (getenv("GITHUB_OUTPUT") == NULL ||
	    getenv("GITHUB_OUTPUT")[0] == '\0')) {
		cli_warn("--format github: GITHUB_OUTPUT is not set (it is "
		    "set inside a GitHub Actions step)");
		return EXIT_USAGE;
	}
	if ((rc = cli_open(cli, 1)) != 0)
		return rc;
	return lease_and_print(cli, &req, (enum format)fmt);
}

const struct cmd_entry cmd_get_entry = {
	"get",
	"",
	"Lease free ports and print them, one per line.",
	cmd_get,
};
